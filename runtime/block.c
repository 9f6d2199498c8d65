/* block.c: blocks (the records of a batch, as lines), the builder that
 * fills them and the FIFO that hands them over.  A builder belongs to the
 * thread filling it; a finished block belongs to whoever holds the pointer
 * (a receiver's queue under its lock, then the batch that took it). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void ds__blockb_init(ds__blockb *bb) { memset(bb, 0, sizeof *bb); }

void ds__blockb_close(ds__blockb *bb) { ds__buf_close(&bb->buf); }

void ds__blockb_line(ds__blockb *bb, ds_str line)
{
	ds_buf_put(&bb->buf, line.p, (size_t)line.n);
	ds_buf_putc(&bb->buf, '\n');
	bb->nrecs++;
}

void ds__blockb_long(ds__blockb *bb, const ds__linerd *r)
{
	ds__bad_add(&bb->bad, DS__WHY_LONG_LINE, r->sample, r->sample_len);
}

void ds__blockb_drain(ds__blockb *bb, ds__linerd *r) { ds__blockb_drain_max(bb, r, -1); }

int64_t ds__blockb_drain_max(ds__blockb *bb, ds__linerd *r, int64_t max)
{
	ds_str line;
	int64_t n = 0;
	while (n != max) {
		int k = ds__linerd_next(r, &line);
		if (k == DS__LINE_NONE)
			break;
		if (k == DS__LINE_OK)
			ds__blockb_line(bb, line);
		else
			ds__blockb_long(bb, r);
		n++;
	}
	return n;
}

void ds__blockb_finish(ds__blockb *bb, ds__linerd *r)
{
	ds_str line;
	int k = ds__linerd_finish(r, &line);
	if (k == DS__LINE_OK)
		ds__blockb_line(bb, line);
	else if (k == DS__LINE_LONG)
		ds__blockb_long(bb, r);
}

bool ds__blockb_empty(const ds__blockb *bb) { return bb->nrecs == 0 && bb->bad.n == 0; }

ds__block *ds__blockb_take(ds__blockb *bb, int64_t time_ms)
{
	ds__block *b = ds__xcalloc(1, sizeof *b);
	b->time_ms = time_ms;
	b->b.data = bb->buf.p;
	b->b.len = bb->buf.len;
	b->b.nrecs = bb->nrecs;
	b->bad = bb->bad;
	ds__blockb_init(bb);
	return b;
}

void ds__block_free(ds__block *b)
{
	if (b) {
		free((void *)b->b.data);
		free(b);
	}
}

void ds__blockq_init(ds__blockq *q)
{
	q->head = NULL;
	q->tailp = &q->head;
}

void ds__blockq_push(ds__blockq *q, ds__block *b)
{
	b->next = NULL;
	*q->tailp = b;
	q->tailp = &b->next;
}

ds__block *ds__blockq_pop(ds__blockq *q)
{
	ds__block *b = q->head;
	if (b) {
		q->head = b->next;
		if (!q->head)
			q->tailp = &q->head;
		b->next = NULL;
	}
	return b;
}

void ds__blockq_take_until(ds__blockq *q, int64_t t, ds__blockq *out)
{
	while (q->head && q->head->time_ms <= t)
		ds__blockq_push(out, ds__blockq_pop(q));
}

void ds__blockq_free(ds__blockq *q)
{
	ds__block *b;
	while ((b = ds__blockq_pop(q)))
		ds__block_free(b);
}

int ds__read_file_block(const char *path, size_t max_line, ds__block **out)
{
	struct stat st;
	int fd = ds__open_input(path, &st);
	if (fd < 0)
		return fd;
	ds__linerd r;
	ds__linerd_init(&r, max_line);
	ds__blockb bb;
	ds__blockb_init(&bb);
	int rc = 0;
	for (;;) {
		ds__blockb_drain(&bb, &r);
		ssize_t n = ds__linerd_fill(&r, fd);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0) {
			ds__blockb_finish(&bb, &r);
			break;
		}
	}
	close(fd);
	ds__linerd_close(&r);
	if (rc < 0) {
		ds__blockb_close(&bb);
		return rc;
	}
	*out = ds__blockb_take(&bb, 0);
	return 0;
}
