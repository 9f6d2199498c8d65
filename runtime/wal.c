/* PLACEHOLDER wal.c (branch repl): a minimal stand-in so replica.c builds and is tested; replace it with the real wal.c. */
/* wal.c: the "wal.c" section of internal.h, simply.
 *
 * DIR/NNNNNNNNNNNNNNNNNNNN.wal are the segments, in number order.  A
 * record is [u32 len][u32 crc32 of the body][body: i32 src, i64 time_ms,
 * i64 nrecs, bytes], little-endian, len the body's bytes.  Open starts a
 * new segment after the existing ones (never appends after a torn tail).
 *
 * Threads: any; every call takes w->lock (a leaf) for its whole length,
 * replay's callbacks included (fn must not call back into w). */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define DS__WAL_HEAD 8
#define DS__WAL_BODY_HEAD 20
#define DS__WAL_MAX ((uint32_t)256 << 20)

typedef struct ds__seg {
	uint64_t n;
	int64_t max_time; /* of its records; INT64_MIN: none */
} ds__seg;

struct ds__wal {
	pthread_mutex_t lock;
	char *dir;
	const char *cmd;
	ds__wal_policy sync;
	int fd;       /* the current segment (the last of segs), for appending */
	off_t end;    /* its length */
	ds__seg *segs;
	size_t nsegs, cap;
};

static void ds__wal_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static void ds__wal_put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t ds__wal_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t ds__wal_get64(const unsigned char *p)
{
	return (uint64_t)ds__wal_get32(p) | (uint64_t)ds__wal_get32(p + 4) << 32;
}

static int ds__wal_mkdirs(const char *dir)
{
	char *p = ds__xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		char c = *s;
		if (c != '/' && c != 0)
			continue;
		*s = 0;
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

static char *ds__wal_path(const ds__wal *w, uint64_t n)
{
	size_t len = strlen(w->dir) + 32;
	char *p = ds__xmalloc(len);
	snprintf(p, len, "%s/%020llu.wal", w->dir, (unsigned long long)n);
	return p;
}

static int ds__seg_cmp(const void *a, const void *b)
{
	uint64_t x = ((const ds__seg *)a)->n, y = ((const ds__seg *)b)->n;
	return x < y ? -1 : x > y;
}

static void ds__wal_push(ds__wal *w, uint64_t n)
{
	if (w->nsegs == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->segs = ds__xrealloc(w->segs, w->cap * sizeof *w->segs);
	}
	w->segs[w->nsegs++] = (ds__seg){n, INT64_MIN};
}

/* Reads segment s, calling fn for records with time_ms > after (fn NULL:
 * only s->max_time is computed).  Returns the count delivered or -errno. */
static int64_t ds__wal_scan(ds__wal *w, ds__seg *s, int64_t after, ds__wal_fn *fn, void *ctx, bool *damaged)
{
	char *path = ds__wal_path(w, s->n);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	size_t size = (size_t)st.st_size;
	unsigned char *buf = ds__xmalloc(size);
	size_t got = 0;
	while (got < size) {
		ssize_t k = read(fd, buf + got, size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	int64_t n = 0;
	size_t off = 0;
	while (off + DS__WAL_HEAD <= got) {
		uint32_t len = ds__wal_get32(buf + off), crc = ds__wal_get32(buf + off + 4);
		if (len < DS__WAL_BODY_HEAD || len > DS__WAL_MAX || off + DS__WAL_HEAD + len > got)
			break; /* a torn tail */
		const unsigned char *b = buf + off + DS__WAL_HEAD;
		if ((uint32_t)crc32(0, b, len) != crc) {
			ds__msg(w->cmd, "write-ahead log %s: segment %llu: bad checksum at offset %zu; skipping the rest",
			        w->dir, (unsigned long long)s->n, off);
			if (damaged)
				*damaged = true;
			break;
		}
		int src = (int)(int32_t)ds__wal_get32(b);
		int64_t t = (int64_t)ds__wal_get64(b + 4), nrecs = (int64_t)ds__wal_get64(b + 12);
		if (t > s->max_time)
			s->max_time = t;
		if (fn && t > after) {
			fn(ctx, src, t, (const char *)b + DS__WAL_BODY_HEAD, len - DS__WAL_BODY_HEAD, nrecs);
			n++;
		}
		off += DS__WAL_HEAD + len;
	}
	free(buf);
	return n;
}

/* Starts segment number n as the current one. */
static int ds__wal_roll(ds__wal *w)
{
	uint64_t n = w->nsegs ? w->segs[w->nsegs - 1].n + 1 : 1;
	char *path = ds__wal_path(w, n);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
	free(path);
	if (fd < 0)
		return -errno;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->end = 0;
	ds__wal_push(w, n);
	return 0;
}

int ds__wal_open(ds__wal **wp, const char *dir, ds__wal_policy sync, const char *cmd)
{
	*wp = NULL;
	int rc = ds__wal_mkdirs(dir);
	if (rc < 0)
		return rc;
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	ds__wal *w = ds__xcalloc(1, sizeof *w);
	w->dir = ds__xstrdup(dir);
	w->cmd = cmd;
	w->sync = sync;
	w->fd = -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		unsigned long long n = strtoull(e->d_name, &end, 10);
		if (end != e->d_name && strcmp(end, ".wal") == 0)
			ds__wal_push(w, n);
	}
	closedir(d);
	if (w->nsegs)
		qsort(w->segs, w->nsegs, sizeof *w->segs, ds__seg_cmp);
	for (size_t i = 0; i < w->nsegs; i++)
		ds__wal_scan(w, &w->segs[i], 0, NULL, NULL, NULL);
	rc = ds__wal_roll(w);
	if (rc < 0) {
		free(w->segs);
		free(w->dir);
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->lock, NULL);
	*wp = w;
	return 0;
}

int ds__wal_append(ds__wal *w, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	if (len > DS__WAL_MAX - DS__WAL_BODY_HEAD)
		return -EMSGSIZE;
	size_t total = DS__WAL_HEAD + DS__WAL_BODY_HEAD + len;
	unsigned char *rec = ds__xmalloc(total);
	unsigned char *b = rec + DS__WAL_HEAD;
	ds__wal_put32(b, (uint32_t)src);
	ds__wal_put64(b + 4, (uint64_t)time_ms);
	ds__wal_put64(b + 12, (uint64_t)nrecs);
	if (len)
		memcpy(b + DS__WAL_BODY_HEAD, data, len);
	ds__wal_put32(rec, (uint32_t)(DS__WAL_BODY_HEAD + len));
	ds__wal_put32(rec + 4, (uint32_t)crc32(0, b, (uInt)(DS__WAL_BODY_HEAD + len)));
	pthread_mutex_lock(&w->lock);
	int rc = 0;
	size_t off = 0;
	while (off < total) {
		ssize_t k = write(w->fd, rec + off, total - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			break;
		}
		off += (size_t)k;
	}
	if (rc == 0 && w->sync == DS__WAL_SYNC_BLOCK && fdatasync(w->fd) < 0)
		rc = -errno;
	if (rc < 0) {
		if (ftruncate(w->fd, w->end) < 0) { /* the record is not in the log */
		}
	} else {
		w->end += (off_t)total;
		ds__seg *s = &w->segs[w->nsegs - 1];
		if (time_ms > s->max_time)
			s->max_time = time_ms;
	}
	pthread_mutex_unlock(&w->lock);
	free(rec);
	return rc;
}

int ds__wal_sync(ds__wal *w)
{
	pthread_mutex_lock(&w->lock);
	int rc = fdatasync(w->fd) < 0 ? -errno : 0;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int ds__wal_replay(ds__wal *w, int64_t after, ds__wal_fn *fn, void *ctx, bool *damaged)
{
	if (damaged)
		*damaged = false;
	pthread_mutex_lock(&w->lock);
	int64_t n = 0;
	for (size_t i = 0; i < w->nsegs; i++) {
		int64_t k = ds__wal_scan(w, &w->segs[i], after, fn, ctx, damaged);
		if (k < 0) {
			n = k;
			break;
		}
		n += k;
	}
	pthread_mutex_unlock(&w->lock);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int ds__wal_truncate(ds__wal *w, int64_t upto)
{
	pthread_mutex_lock(&w->lock);
	int rc = 0;
	size_t keep = 0;
	for (size_t i = 0; i < w->nsegs; i++) {
		ds__seg *s = &w->segs[i];
		if (i + 1 < w->nsegs && s->max_time <= upto) {
			char *path = ds__wal_path(w, s->n);
			if (unlink(path) < 0 && errno != ENOENT && rc == 0)
				rc = -errno;
			free(path);
			continue;
		}
		w->segs[keep++] = *s;
	}
	w->nsegs = keep;
	if (w->end > 0) {
		int r2 = ds__wal_roll(w);
		if (rc == 0)
			rc = r2;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void ds__wal_close(ds__wal *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	pthread_mutex_destroy(&w->lock);
	free(w->segs);
	free(w->dir);
	free(w);
}
