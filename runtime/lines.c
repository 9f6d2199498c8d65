/* lines.c: cutting a byte stream into lines without ever holding more
 * than --max-line-bytes of one line.  A ds__linerd is owned by the one
 * thread reading through it (a receiver, or the scheduler for files). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define DS__READ_CHUNK ((size_t)64 * 1024)

void ds__linerd_init(ds__linerd *r, size_t max)
{
	memset(r, 0, sizeof *r);
	r->max = max;
}

void ds__linerd_close(ds__linerd *r)
{
	free(r->buf);
	r->buf = NULL;
}

static void ds__linerd_sample(ds__linerd *r, const char *p, size_t n)
{
	r->sample_len = n > DS__SAMPLE_MAX ? DS__SAMPLE_MAX + 1 : n;
	memcpy(r->sample, p, r->sample_len);
}

int ds__linerd_next(ds__linerd *r, ds_str *line)
{
	char *nl = r->scan < r->end ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
	if (!nl) {
		if (r->skipping) {
			r->start = r->scan = r->end;
		} else if (r->end - r->start > r->max + 1) { /* +1: a '\r' may follow */
			ds__linerd_sample(r, r->buf + r->start, r->end - r->start);
			r->skipping = true;
			r->start = r->scan = r->end;
		} else {
			r->scan = r->end;
		}
		return DS__LINE_NONE;
	}
	size_t pos = (size_t)(nl - r->buf), from = r->start;
	r->start = r->scan = pos + 1;
	if (r->skipping) {
		r->skipping = false;
		return DS__LINE_LONG;
	}
	size_t len = pos - from;
	if (len && r->buf[pos - 1] == '\r')
		len--;
	if (len > r->max) {
		ds__linerd_sample(r, r->buf + from, len);
		return DS__LINE_LONG;
	}
	*line = (ds_str){r->buf + from, (int64_t)len};
	return DS__LINE_OK;
}

ssize_t ds__linerd_fill(ds__linerd *r, int fd)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	/* Held bytes never exceed max + 1, so max + 1 + one chunk is enough. */
	if (r->cap - r->end < DS__READ_CHUNK / 2) {
		size_t want = r->cap ? r->cap * 2 : DS__READ_CHUNK;
		size_t limit = r->max + 1 + DS__READ_CHUNK;
		if (want > limit)
			want = limit;
		if (want > r->cap) {
			r->buf = ds__xrealloc(r->buf, want);
			r->cap = want;
		}
	}
	for (;;) {
		ssize_t n = ds__fread(fd, r->buf + r->end, r->cap - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		r->end += (size_t)n;
		return n;
	}
}

int ds__linerd_finish(ds__linerd *r, ds_str *line)
{
	if (r->skipping) {
		r->skipping = false;
		r->start = r->scan = r->end;
		return DS__LINE_LONG;
	}
	if (r->end == r->start)
		return DS__LINE_NONE;
	size_t from = r->start, len = r->end - r->start;
	r->start = r->scan = r->end;
	if (r->buf[from + len - 1] == '\r')
		len--;
	if (len > r->max) {
		ds__linerd_sample(r, r->buf + from, len);
		return DS__LINE_LONG;
	}
	*line = (ds_str){r->buf + from, (int64_t)len};
	return DS__LINE_OK;
}
