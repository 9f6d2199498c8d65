/* queue.c: queueStream(path), the deterministic test source.
 *
 * The file is read once at start: one record per line; a line that is
 * exactly "---" closes a batch (two in a row: an empty batch); a tail
 * after the last "---" with at least one line is a last batch.  The
 * position (the next batch to hand out) is a plain field so that a
 * checkpoint can store and restore it.  Owned by the scheduler thread. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void ds__queue_push(ds__queue *q, ds__blockb *bb)
{
	if ((q->nbatches & (q->nbatches - 1)) == 0)
		q->batches = ds__xrealloc(q->batches,
		                          (q->nbatches ? 2 * (size_t)q->nbatches : 1) * sizeof *q->batches);
	q->batches[q->nbatches++] = ds__blockb_take(bb, 0);
}

int ds__queue_load(ds__queue *q, const char *path, size_t max_line)
{
	memset(q, 0, sizeof *q);
	struct stat st;
	int fd = ds__open_input(path, &st);
	if (fd < 0)
		return fd;
	ds__linerd r;
	ds__linerd_init(&r, max_line);
	ds__blockb bb;
	ds__blockb_init(&bb);
	bool tail = false; /* lines since the last "---" */
	bool eof = false;
	int rc = 0;
	while (!eof) {
		ds_str line;
		int k = ds__linerd_next(&r, &line);
		if (k == DS__LINE_NONE) {
			ssize_t n = ds__linerd_fill(&r, fd);
			if (n < 0) {
				rc = (int)n;
				break;
			}
			if (n > 0)
				continue;
			eof = true;
			k = ds__linerd_finish(&r, &line);
		}
		if (k == DS__LINE_LONG) {
			ds__blockb_long(&bb, &r);
			tail = true;
		} else if (k == DS__LINE_OK && line.n == 3 && memcmp(line.p, "---", 3) == 0) {
			ds__queue_push(q, &bb);
			tail = false;
		} else if (k == DS__LINE_OK) {
			ds__blockb_line(&bb, line);
			tail = true;
		}
	}
	close(fd);
	ds__linerd_close(&r);
	if (rc == 0 && tail)
		ds__queue_push(q, &bb);
	ds__blockb_close(&bb);
	if (rc < 0)
		ds__queue_close(q);
	return rc;
}

const ds__block *ds__queue_next(ds__queue *q)
{
	return q->pos < q->nbatches ? q->batches[q->pos++] : NULL;
}

void ds__queue_close(ds__queue *q)
{
	for (int64_t i = 0; i < q->nbatches; i++)
		ds__block_free(q->batches[i]);
	free(q->batches);
	memset(q, 0, sizeof *q);
}
