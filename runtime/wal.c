/* wal.c: the write-ahead log of receiver sources.
 *
 * A log is a directory of segment files, seg-<16-digit seq>.wal, read in
 * seq order.  A segment is a run of records, each one frame:
 *
 *   offset  size  field
 *        0     4  magic "DSW1"
 *        4     4  len: payload bytes (at most DS__WAL_REC_MAX)
 *        8     4  src: the source's index
 *       12     4  zero (reserved)
 *       16     8  time_ms: the cut time the payload belongs to
 *       24     8  nrecs: lines in the payload
 *       32     4  hcrc: zlib crc32 of bytes [0, 32)
 *       36     4  crc: zlib crc32 of bytes [0, 36) and the payload
 *       40   len  payload: nrecs lines, each ending in '\n'
 *
 * all integers little-endian.  The header has a checksum of its own so
 * that a reader can tell a torn tail (a good header whose payload runs
 * past the end of the file: the process died in the middle of an append)
 * from damage (a bad length, which would otherwise look just the same).
 *
 * Appends go to the newest segment, which is created lazily by the first
 * append after open or after a truncate (so neither leaves empty files
 * behind).  Open never appends to a segment that was there before: its
 * tail may be torn, and a record written after a torn one could never be
 * read.  A failed append cuts the segment back to where the record began;
 * if even that fails the segment is closed, its tail now a torn record,
 * and the next append starts a new one.
 *
 * For each segment we keep the largest time_ms it holds (recomputed by
 * reading the segments at open), so a truncate deletes exactly the
 * segments a checkpoint covers without reading them again.
 *
 * Threads: receivers append from their own threads; the scheduler syncs,
 * replays and truncates.  Locks: w->lock only, a leaf: no other lock is
 * taken while it is held, and replay calls fn without it.  It is held
 * across the write (and, with DS__WAL_SYNC_BLOCK, the fdatasync) of an
 * append, which is what keeps records in one order in the file; file
 * deletions and replay's reads happen outside it.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define DS__WAL_MAGIC 0x31575344u /* "DSW1" read as a little-endian u32 */
#define DS__WAL_HDR 40
#define DS__WAL_REC_MAX ((size_t)1 << 30)       /* bytes of payload in one record */
#define DS__WAL_SEG_BYTES ((int64_t)64 << 20)   /* roll to a new segment past this */
#define DS__WAL_NONE INT64_MIN                  /* max_time of a segment with no records */

ssize_t (*ds__wal_pwritev)(int fd, const struct iovec *iov, int iovcnt, off_t off) = pwritev;

typedef struct ds__wal_seg {
	uint64_t seq;
	int64_t max_time; /* the largest time_ms of its records; DS__WAL_NONE: none */
} ds__wal_seg;

struct ds__wal {
	/* set by open, then read-only */
	char *dir;
	const char *cmd;
	int dirfd;
	ds__wal_policy sync;
	/* guarded by lock */
	pthread_mutex_t lock;
	ds__wal_seg *segs; /* by seq; the last one is the current segment when fd >= 0 */
	size_t nsegs, cap;
	uint64_t next_seq; /* of the next segment created */
	int fd;            /* the current segment, open for appending; -1: none yet */
	int64_t size;      /* bytes in the current segment: where the next record goes */
	bool dirty;        /* appended since the last fdatasync (DS__WAL_SYNC_BATCH) */
	int sync_err;      /* -errno of a failed fdatasync of a segment since closed:
	                    * the next ds__wal_sync or truncate returns it */
};

/* ---- the frame ---------------------------------------------------------- */






/* The number of '\n' in p[0, n). */
static int64_t ds__count_lines(const char *p, size_t n)
{
	int64_t k = 0;
	for (const char *end = p + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		k++;
	return k;
}

bool ds__wal_payload_ok(const char *data, size_t len, int64_t nrecs)
{
	if (len == 0)
		return nrecs == 0;
	return data[len - 1] == '\n' && ds__count_lines(data, len) == nrecs;
}

static void ds__seg_name(char *buf, size_t n, uint64_t seq)
{
	snprintf(buf, n, "seg-%016" PRIu64 ".wal", seq);
}

/* seq of a segment file name, or 0 when name is not one. */
static uint64_t ds__seg_seq(const char *name)
{
	if (strncmp(name, "seg-", 4) != 0 || strlen(name) != 4 + 16 + 4 || strcmp(name + 20, ".wal") != 0)
		return 0;
	uint64_t v = 0;
	for (int i = 4; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	return v;
}

/* ---- reading a segment -------------------------------------------------- */

/* Reads exactly n bytes at off: 0, -EIO when the file is shorter (it
 * shrank under us), or -errno. */
static int ds__pread_all(int fd, void *p, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t r = ds__fpread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		p = (char *)p + r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* True when bytes [off, size) are all zero: what a crash can leave after
 * the file's size was extended but before its data reached the disk.
 * That is a torn tail too. */
static bool ds__zero_to_end(int fd, int64_t off, int64_t size)
{
	char buf[4096];
	while (off < size) {
		size_t n = size - off < (int64_t)sizeof buf ? (size_t)(size - off) : sizeof buf;
		if (ds__pread_all(fd, buf, n, off) < 0)
			return false;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return false;
		off += (int64_t)n;
	}
	return true;
}

typedef struct ds__wal_scan {
	const char *cmd, *path; /* for messages */
	int64_t after;          /* deliver records with time_ms > after */
	ds__wal_fn *fn;         /* NULL: only compute max_time */
	void *ctx;
	bool quiet;             /* open's pass: replay is the one that reports damage */
	char *buf;              /* payload buffer, grown as needed; owned by the caller */
	size_t cap;
	/* out */
	int64_t max_time;  /* over the records that checked out */
	int64_t delivered; /* calls of fn */
	bool damaged;
} ds__wal_scan;

static void ds__scan_damage(ds__wal_scan *sc, int64_t off, const char *why)
{
	sc->damaged = true;
	if (!sc->quiet)
		ds__msg(sc->cmd, "write-ahead log %s: damaged record at offset %" PRId64
		        " (%s); skipping the rest of the segment", sc->path, off, why);
}

/* Reads the first size bytes of the segment open at fd, checking every
 * record before it is believed.  0 or -errno (an I/O error). */
static int ds__wal_scan_seg(ds__wal_scan *sc, int fd, int64_t size)
{
	int64_t off = 0;
	unsigned char h[DS__WAL_HDR];
	while (off < size) {
		if (size - off < DS__WAL_HDR)
			return 0; /* a torn header */
		int rc = ds__pread_all(fd, h, DS__WAL_HDR, off);
		if (rc < 0)
			return rc;
		if (ds__get32(h) != DS__WAL_MAGIC || ds__get32(h + 32) != ds__crc32(0, h, 32)) {
			if (!ds__zero_to_end(fd, off, size))
				ds__scan_damage(sc, off, "bad header");
			return 0;
		}
		/* the header is what was written: its fields can be trusted */
		size_t len = ds__get32(h + 4);
		int src = (int)ds__get32(h + 8);
		int64_t time_ms = (int64_t)ds__get64(h + 16);
		int64_t nrecs = (int64_t)ds__get64(h + 24);
		if (len > DS__WAL_REC_MAX || nrecs < 0 || (uint64_t)nrecs > len || ds__get32(h + 12) != 0) {
			ds__scan_damage(sc, off, "bad length");
			return 0;
		}
		if ((int64_t)len > size - off - DS__WAL_HDR)
			return 0; /* a torn payload */
		if (len > sc->cap) {
			sc->cap = len;
			sc->buf = ds__xrealloc(sc->buf, sc->cap);
		}
		if ((rc = ds__pread_all(fd, sc->buf, len, off + DS__WAL_HDR)) < 0)
			return rc;
		if (ds__get32(h + 36) != ds__crc32(ds__crc32(0, h, 36), sc->buf, len)) {
			ds__scan_damage(sc, off, "bad checksum");
			return 0;
		}
		if (!ds__wal_payload_ok(sc->buf, len, nrecs)) { /* only a bug of ours writes this */
			ds__scan_damage(sc, off, "bad record count");
			return 0;
		}
		if (time_ms > sc->max_time)
			sc->max_time = time_ms;
		if (sc->fn && time_ms > sc->after) {
			sc->fn(sc->ctx, src, time_ms, len ? sc->buf : "", len, nrecs);
			sc->delivered++;
		}
		off += DS__WAL_HDR + (int64_t)len;
	}
	return 0;
}

/* ---- segments ----------------------------------------------------------- */

static void ds__wal_seg_add(ds__wal *w, uint64_t seq, int64_t max_time)
{
	if (w->nsegs == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 8;
		w->segs = ds__xrealloc(w->segs, w->cap * sizeof *w->segs);
	}
	w->segs[w->nsegs++] = (ds__wal_seg){seq, max_time};
}

static int ds__seg_cmp(const void *a, const void *b)
{
	uint64_t x = ((const ds__wal_seg *)a)->seq, y = ((const ds__wal_seg *)b)->seq;
	return x < y ? -1 : x > y;
}

/* Makes a new file's directory entry (or a deletion) durable. */
static int ds__wal_sync_dir(ds__wal *w)
{
	if (w->sync == DS__WAL_SYNC_OFF)
		return 0; /* only a crash of the machine loses it, and OFF accepts that */
	return ds__ffsync(w->dirfd) < 0 ? -errno : 0;
}

/* Under lock: ends the current segment (fdatasync'ing what the policy
 * has not yet: only DS__WAL_SYNC_BATCH leaves it dirty); the next append
 * creates a new one. */
static void ds__wal_close_seg(ds__wal *w)
{
	if (w->fd < 0)
		return;
	if (w->dirty && ds__ffdatasync(w->fd) < 0 && !w->sync_err)
		w->sync_err = -errno;
	close(w->fd);
	w->fd = -1;
	w->dirty = false;
}

/* Under lock: the sticky error of an earlier sync, cleared. */
static int ds__wal_take_err(ds__wal *w)
{
	int rc = w->sync_err;
	w->sync_err = 0;
	return rc;
}

/* Under lock: creates the next segment and makes it current. */
static int ds__wal_new_seg(ds__wal *w)
{
	char name[64];
	uint64_t seq = w->next_seq++; /* used up even on failure: the name may be taken */
	ds__seg_name(name, sizeof name, seq);
	int fd = ds__fopenat(w->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int rc = ds__wal_sync_dir(w);
	if (rc < 0) { /* not durable: a record in it could vanish with the entry */
		unlinkat(w->dirfd, name, 0);
		close(fd);
		return rc;
	}
	ds__wal_seg_add(w, seq, DS__WAL_NONE);
	w->fd = fd;
	w->size = 0;
	w->dirty = false;
	return 0;
}

/* ---- the interface ------------------------------------------------------ */

int ds__wal_open(ds__wal **out, const char *dir, ds__wal_policy sync, const char *cmd)
{
	*out = NULL;
	if (!dir || !*dir)
		return -EINVAL;
	int rc = ds__mkdirs(dir);
	if (rc < 0)
		return rc;
	ds__wal *w = ds__xcalloc(1, sizeof *w);
	w->dir = ds__xstrdup(dir);
	w->cmd = cmd;
	w->sync = sync;
	w->fd = -1;
	w->next_seq = 1;
	w->dirfd = ds__fopen(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (w->dirfd < 0) {
		rc = -errno;
		goto fail;
	}
	DIR *d = opendir(dir);
	if (!d) {
		rc = -errno;
		goto fail;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (ds__seg_seq(e->d_name))
			ds__wal_seg_add(w, ds__seg_seq(e->d_name), DS__WAL_NONE);
	closedir(d);
	if (w->nsegs)
		qsort(w->segs, w->nsegs, sizeof *w->segs, ds__seg_cmp);
	/* Each segment's max time, by reading it as replay would (quietly:
	 * damage is said when the records are replayed). */
	ds__wal_scan sc = {.cmd = cmd, .quiet = true};
	for (size_t i = 0; i < w->nsegs; i++) {
		char name[64];
		ds__seg_name(name, sizeof name, w->segs[i].seq);
		int fd = ds__fopenat(w->dirfd, name, O_RDONLY | O_CLOEXEC, 0);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0) {
			rc = -errno;
			if (fd >= 0)
				close(fd);
			free(sc.buf);
			goto fail;
		}
		sc.path = name;
		sc.max_time = DS__WAL_NONE;
		rc = ds__wal_scan_seg(&sc, fd, st.st_size);
		close(fd);
		if (rc < 0) {
			free(sc.buf);
			goto fail;
		}
		w->segs[i].max_time = sc.max_time;
		w->next_seq = w->segs[i].seq + 1;
	}
	free(sc.buf);
	pthread_mutex_init(&w->lock, NULL);
	*out = w;
	return 0;
fail:
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->segs);
	free(w->dir);
	free(w);
	return rc;
}

int ds__wal_append(ds__wal *w, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	if (len > DS__WAL_REC_MAX)
		return -EFBIG;
	if (nrecs < 0 || !ds__wal_payload_ok(data, len, nrecs))
		return -EINVAL; /* replay would call it damage */
	/* The frame, checksums included, before the lock: they are the slow part. */
	unsigned char h[DS__WAL_HDR] = {0};
	ds__put32(h, DS__WAL_MAGIC);
	ds__put32(h + 4, (uint32_t)len);
	ds__put32(h + 8, (uint32_t)src);
	ds__put64(h + 16, (uint64_t)time_ms);
	ds__put64(h + 24, (uint64_t)nrecs);
	ds__put32(h + 32, ds__crc32(0, h, 32));
	ds__put32(h + 36, ds__crc32(ds__crc32(0, h, 36), data, len));

	pthread_mutex_lock(&w->lock);
	int rc = 0;
	if (w->fd >= 0 && w->size >= DS__WAL_SEG_BYTES)
		ds__wal_close_seg(w); /* a sync error there is not this record's: see sync_err */
	if (w->fd < 0)
		rc = ds__wal_new_seg(w);
	if (rc < 0) {
		pthread_mutex_unlock(&w->lock);
		return rc;
	}
	/* One write of the whole frame, so a crash tears at most this record. */
	struct iovec iov[2] = {{h, DS__WAL_HDR}, {(void *)data, len}};
	struct iovec *v = iov;
	int nv = len ? 2 : 1;
	int64_t start = w->size, off = start;
	while (nv > 0) {
		int fault = DS__FAULT(DS__F_WRITE);
		ssize_t n = fault ? (errno = fault, -1) : ds__wal_pwritev(w->fd, v, nv, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0) { /* not an error the kernel gives for regular files; don't spin */
			rc = -EIO;
			break;
		}
		off += n;
		while (nv > 0 && (size_t)n >= v->iov_len)
			n -= (ssize_t)v->iov_len, v++, nv--;
		if (nv > 0) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	if (rc == 0 && w->sync == DS__WAL_SYNC_BLOCK && ds__ffdatasync(w->fd) < 0)
		rc = -errno;
	if (rc < 0) {
		/* Leave the log as it was before this record.  If we cannot, the
		 * bytes written are a torn record: end the segment there, where a
		 * reader stops quietly, and put later records in a new one. */
		if (ds__fftruncate(w->fd, (off_t)start) < 0)
			ds__wal_close_seg(w);
		pthread_mutex_unlock(&w->lock);
		return rc;
	}
	w->size = off;
	w->dirty = w->sync == DS__WAL_SYNC_BATCH;
	ds__wal_seg *cur = &w->segs[w->nsegs - 1];
	if (time_ms > cur->max_time)
		cur->max_time = time_ms;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int ds__wal_sync(ds__wal *w)
{
	pthread_mutex_lock(&w->lock);
	int rc = ds__wal_take_err(w);
	if (w->fd >= 0 && w->dirty) {
		if (ds__ffdatasync(w->fd) < 0) {
			if (rc == 0)
				rc = -errno;
		} else {
			w->dirty = false;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int ds__wal_replay(ds__wal *w, int64_t after, ds__wal_fn *fn, void *ctx, bool *damaged)
{
	if (damaged)
		*damaged = false;
	/* What to read, as of now: the segments, and how much of the current
	 * one holds whole records (an append in progress is past that). */
	pthread_mutex_lock(&w->lock);
	size_t n = w->nsegs;
	ds__wal_seg *segs = ds__xmalloc((n ? n : 1) * sizeof *segs);
	if (n)
		memcpy(segs, w->segs, n * sizeof *segs);
	uint64_t cur = w->fd >= 0 ? w->segs[w->nsegs - 1].seq : 0;
	int64_t cur_size = w->size;
	pthread_mutex_unlock(&w->lock);

	ds__wal_scan sc = {.cmd = w->cmd, .after = after, .fn = fn, .ctx = ctx};
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char name[64], path[PATH_MAX];
		ds__seg_name(name, sizeof name, segs[i].seq);
		snprintf(path, sizeof path, "%s/%s", w->dir, name);
		int fd = ds__fopenat(w->dirfd, name, O_RDONLY | O_CLOEXEC, 0);
		if (fd < 0) {
			if (errno != ENOENT) /* ENOENT: a truncate deleted it since */
				rc = -errno;
			continue;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			rc = -errno;
		} else {
			int64_t size = segs[i].seq == cur ? cur_size : st.st_size;
			sc.path = path;
			sc.max_time = DS__WAL_NONE;
			rc = ds__wal_scan_seg(&sc, fd, size);
		}
		close(fd);
	}
	free(sc.buf);
	free(segs);
	if (damaged)
		*damaged = sc.damaged;
	return rc < 0 ? rc : (int)(sc.delivered > INT_MAX ? INT_MAX : sc.delivered);
}

int ds__wal_truncate(ds__wal *w, int64_t upto)
{
	pthread_mutex_lock(&w->lock);
	ds__wal_close_seg(w); /* the current segment can go too */
	int rc = ds__wal_take_err(w);
	/* Take the covered segments out of the list now; delete their files
	 * after the lock is released. */
	uint64_t *gone = ds__xmalloc((w->nsegs ? w->nsegs : 1) * sizeof *gone);
	size_t ngone = 0, keep = 0;
	for (size_t i = 0; i < w->nsegs; i++) {
		if (w->segs[i].max_time <= upto)
			gone[ngone++] = w->segs[i].seq;
		else
			w->segs[keep++] = w->segs[i];
	}
	w->nsegs = keep;
	pthread_mutex_unlock(&w->lock);

	for (size_t i = 0; i < ngone; i++) {
		char name[64];
		ds__seg_name(name, sizeof name, gone[i]);
		if (unlinkat(w->dirfd, name, 0) < 0 && errno != ENOENT && rc == 0)
			rc = -errno; /* left behind: replay skips it by time, open finds it again */
	}
	if (ngone) {
		int r = ds__wal_sync_dir(w);
		if (rc == 0)
			rc = r;
	}
	free(gone);
	return rc;
}

void ds__wal_close(ds__wal *w)
{
	if (!w)
		return;
	ds__wal_close_seg(w);
	close(w->dirfd);
	pthread_mutex_destroy(&w->lock);
	free(w->segs);
	free(w->dir);
	free(w);
}
