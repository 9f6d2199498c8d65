/* test_wal.c: the write-ahead log (wal.c), the store in front of it
 * (store.c), and the receivers that write to it (receiver.c, socket.c).
 * Each case works in a scratch directory of its own, removed when it
 * passes (kept for a look when it fails). */
#include "runner.h"

#include "../../runtime/internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

/* ---- scratch space ------------------------------------------------------ */

static char t_dir[64];

static void t_rmdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t_dir);
	CHECK(system(cmd) == 0);
}

/* A fresh scratch directory; the WAL goes in t_dir/wal (open creates it). */
static const char *t_scratch(void)
{
	snprintf(t_dir, sizeof t_dir, "/tmp/ds_wal_XXXXXX");
	CHECK(mkdtemp(t_dir));
	ds_test_cleanup = t_rmdir;
	static char wal[96];
	snprintf(wal, sizeof wal, "%s/wal", t_dir);
	return wal;
}

static const char *t_seg(const char *wal, int seq)
{
	static char p[160];
	snprintf(p, sizeof p, "%s/seg-%016d.wal", wal, seq);
	return p;
}

static bool t_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int64_t t_size(const char *path)
{
	struct stat st;
	CHECK(stat(path, &st) == 0);
	return (int64_t)st.st_size;
}

/* The names in dir, sorted, joined by ' '. */
static const char *t_ls(const char *dir)
{
	static char out[1024];
	char cmd[256];
	snprintf(cmd, sizeof cmd, "ls '%s' | tr '\\n' ' '", dir);
	FILE *f = popen(cmd, "r");
	CHECK(f);
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = 0;
	pclose(f);
	return out;
}

/* Bytes in the segment files of dir: what is in the log right now,
 * looked at without the log's lock (replay would wait for an append). */
static int64_t t_logged(const char *dir)
{
	DIR *d = opendir(dir);
	CHECK(d);
	int64_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "seg-", 4) != 0)
			continue;
		char p[512]; /* dir is short; d_name at most 255 */
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		n += t_size(p);
	}
	closedir(d);
	return n;
}

/* What blocks of q take in the log: a header and the lines each. */
static int64_t t_block_bytes(const ds__blockq *q)
{
	int64_t n = 0;
	for (const ds__block *b = q->head; b; b = b->next)
		n += 40 + (int64_t)b->b.len;
	return n;
}

static int t_count(const ds__blockq *q)
{
	int n = 0;
	for (const ds__block *b = q->head; b; b = b->next)
		n++;
	return n;
}

/* stderr into a file while a piece of a test runs. */
static int t_saved_err = -1;
static char t_err_path[128];

static void t_capture(void)
{
	snprintf(t_err_path, sizeof t_err_path, "%s/stderr", t_dir);
	int fd = open(t_err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	t_saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Ends the capture; returns what was written (static). */
static const char *t_captured(void)
{
	static char buf[8192];
	dup2(t_saved_err, 2);
	close(t_saved_err);
	FILE *f = fopen(t_err_path, "r");
	CHECK(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	fprintf(stderr, "%s", buf); /* shown again, for a failing case's log */
	return buf;
}

/* ---- collecting what replay delivers ------------------------------------ */

typedef struct rec {
	int src;
	int64_t time_ms, nrecs;
	char data[256];
	size_t len;
} rec;

typedef struct got {
	rec r[64];
	int n;
} got;

static void t_collect(void *ctx, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	got *g = ctx;
	CHECK(data && g->n < 64 && len <= sizeof g->r[0].data);
	rec *r = &g->r[g->n++];
	r->src = src;
	r->time_ms = time_ms;
	r->nrecs = nrecs;
	memcpy(r->data, data, len);
	r->len = len;
}

/* Replays everything after `after`; checks the return value is the count. */
static got t_replay(ds__wal *w, int64_t after, bool *damaged)
{
	got g = {0};
	int n = ds__wal_replay(w, after, t_collect, &g, damaged);
	CHECK(n == g.n);
	return g;
}

/* "time:data|time:data|..." of what was delivered: easy to compare. */
static const char *t_str(const got *g)
{
	static char s[4096];
	size_t k = 0;
	s[0] = 0;
	for (int i = 0; i < g->n; i++)
		k += (size_t)snprintf(s + k, sizeof s - k, "%lld:%.*s|", (long long)g->r[i].time_ms,
		                      (int)g->r[i].len, g->r[i].data);
	return s;
}

static void t_append(ds__wal *w, int64_t time_ms, const char *lines)
{
	size_t n = strlen(lines);
	int64_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += lines[i] == '\n';
	CHECK(ds__wal_append(w, 0, time_ms, lines, n, k) == 0);
}

/* ---- the log ------------------------------------------------------------ */

static void test_wal_roundtrip(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	CHECK(t_exists(dir));
	const char bin[] = "x\0y\xff\n\n"; /* any bytes but '\n' within a line */
	CHECK(ds__wal_append(w, 3, 1000, "hello\nworld\n", 12, 2) == 0);
	CHECK(ds__wal_append(w, 7, -5, bin, sizeof bin - 1, 2) == 0);
	CHECK(ds__wal_append(w, 0, 1200, "", 0, 0) == 0);
	CHECK(ds__wal_append(w, 0, 1300, NULL, 0, 0) == 0); /* after a payload: the buffer is not NULL */
	/* payloads replay would not believe are refused */
	CHECK(ds__wal_append(w, 0, 1, "a\nb\n", 4, 1) == -EINVAL);
	CHECK(ds__wal_append(w, 0, 1, "a\nb", 3, 2) == -EINVAL);
	CHECK(ds__wal_append(w, 0, 1, "", 0, 1) == -EINVAL);
	bool damaged = true;
	got g = t_replay(w, INT64_MIN, &damaged);
	CHECK(!damaged);
	CHECK(g.n == 4);
	CHECK(g.r[0].src == 3 && g.r[0].time_ms == 1000 && g.r[0].nrecs == 2);
	CHECK(g.r[0].len == 12 && memcmp(g.r[0].data, "hello\nworld\n", 12) == 0);
	CHECK(g.r[1].src == 7 && g.r[1].time_ms == -5 && g.r[1].nrecs == 2);
	CHECK(g.r[1].len == sizeof bin - 1 && memcmp(g.r[1].data, bin, sizeof bin - 1) == 0);
	CHECK(g.r[2].src == 0 && g.r[2].time_ms == 1200 && g.r[2].nrecs == 0 && g.r[2].len == 0);
	CHECK(g.r[3].time_ms == 1300 && g.r[3].len == 0);
	/* one segment: 40-byte headers and the payloads, nothing else */
	CHECK_STREQ(t_ls(dir), "seg-0000000000000001.wal ");
	CHECK(t_size(t_seg(dir, 1)) == 4 * 40 + 12 + (int64_t)sizeof bin - 1);
	ds__wal_close(w);
	/* and the same from a fresh open */
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	got g2 = t_replay(w, INT64_MIN, NULL);
	CHECK(g2.n == 4);
	for (int i = 0; i < 4; i++)
		CHECK(g2.r[i].src == g.r[i].src && g2.r[i].time_ms == g.r[i].time_ms &&
		      g2.r[i].nrecs == g.r[i].nrecs && g2.r[i].len == g.r[i].len &&
		      memcmp(g2.r[i].data, g.r[i].data, g.r[i].len) == 0);
	/* an empty payload first of all: fn still gets a pointer (t_collect checks) */
	CHECK(ds__wal_truncate(w, 1300) == 0);
	CHECK(ds__wal_append(w, 0, 1400, NULL, 0, 0) == 0);
	CHECK_STREQ(t_str((got[]){t_replay(w, INT64_MIN, NULL)}), "1400:|");
	ds__wal_close(w);
}

static void test_wal_replay_after(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BATCH, "t") == 0);
	t_append(w, 100, "a\n");
	t_append(w, 300, "c\n");
	t_append(w, 200, "b\n"); /* log order, not time order */
	CHECK(ds__wal_sync(w) == 0);
	got g = t_replay(w, 99, NULL);
	CHECK_STREQ(t_str(&g), "100:a\n|300:c\n|200:b\n|");
	g = t_replay(w, 100, NULL);
	CHECK_STREQ(t_str(&g), "300:c\n|200:b\n|");
	g = t_replay(w, 200, NULL);
	CHECK_STREQ(t_str(&g), "300:c\n|");
	g = t_replay(w, 300, NULL);
	CHECK(g.n == 0);
	ds__wal_close(w);
}

static void test_wal_truncate(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	CHECK(ds__wal_truncate(w, 1000) == 0); /* nothing to delete, no file made */
	CHECK_STREQ(t_ls(dir), "");
	t_append(w, 100, "a\n");
	t_append(w, 200, "b\n");
	CHECK(ds__wal_truncate(w, 150) == 0); /* 200 is not covered: kept */
	CHECK_STREQ(t_ls(dir), "seg-0000000000000001.wal ");
	t_append(w, 300, "c\n"); /* a new segment */
	CHECK_STREQ(t_ls(dir), "seg-0000000000000001.wal seg-0000000000000002.wal ");
	CHECK(ds__wal_truncate(w, 200) == 0); /* covers segment 1 exactly */
	CHECK_STREQ(t_ls(dir), "seg-0000000000000002.wal ");
	t_append(w, 400, "d\n");
	got g = t_replay(w, INT64_MIN, NULL);
	CHECK_STREQ(t_str(&g), "300:c\n|400:d\n|");
	ds__wal_close(w);

	/* A reopened log knows each segment's max time from the files. */
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	CHECK_STREQ(t_ls(dir), "seg-0000000000000002.wal seg-0000000000000003.wal ");
	CHECK(ds__wal_truncate(w, 399) == 0);
	CHECK_STREQ(t_ls(dir), "seg-0000000000000003.wal ");
	t_append(w, 500, "e\n"); /* after the newest segment, never reusing a number */
	CHECK_STREQ(t_ls(dir), "seg-0000000000000003.wal seg-0000000000000004.wal ");
	CHECK(ds__wal_truncate(w, 500) == 0); /* the current segment goes too */
	CHECK_STREQ(t_ls(dir), "");
	CHECK(t_replay(w, INT64_MIN, NULL).n == 0);
	t_append(w, 600, "f\n");
	CHECK_STREQ(t_ls(dir), "seg-0000000000000005.wal ");
	CHECK_STREQ(t_str((got[]){t_replay(w, INT64_MIN, NULL)}), "600:f\n|");
	ds__wal_close(w);
}

static void test_wal_reopen(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_OFF, "t") == 0);
	t_append(w, 100, "a\n");
	t_append(w, 100, "b\n");
	ds__wal_close(w);
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_OFF, "t") == 0);
	CHECK_STREQ(t_str((got[]){t_replay(w, INT64_MIN, NULL)}), "100:a\n|100:b\n|");
	t_append(w, 50, "c\n");
	CHECK_STREQ(t_str((got[]){t_replay(w, INT64_MIN, NULL)}), "100:a\n|100:b\n|50:c\n|");
	ds__wal_close(w);
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_OFF, "t") == 0);
	t_append(w, 60, "d\n");
	CHECK_STREQ(t_str((got[]){t_replay(w, INT64_MIN, NULL)}), "100:a\n|100:b\n|50:c\n|60:d\n|");
	/* never appended to a segment that was there: its tail may be torn */
	CHECK_STREQ(t_ls(dir), "seg-0000000000000001.wal seg-0000000000000002.wal seg-0000000000000003.wal ");
	/* a file that is not a segment is left alone */
	char other[160];
	snprintf(other, sizeof other, "%s/notes.txt", dir);
	FILE *f = fopen(other, "w");
	CHECK(f && fputs("x", f) >= 0 && fclose(f) == 0);
	ds__wal_close(w);
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_OFF, "t") == 0);
	CHECK(ds__wal_truncate(w, 1000) == 0);
	CHECK_STREQ(t_ls(dir), "notes.txt ");
	ds__wal_close(w);
}

/* The record offsets of a, bb, ccc appended at 100, 200, 300 to a new log. */
enum { OFF_A = 0, OFF_B = 40 + 2, OFF_C = OFF_B + 40 + 3, OFF_END = OFF_C + 40 + 4 };

static void t_abc(const char *dir)
{
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	t_append(w, 100, "a\n");
	t_append(w, 200, "bb\n");
	t_append(w, 300, "ccc\n");
	ds__wal_close(w);
	CHECK(t_size(t_seg(dir, 1)) == OFF_END);
}

static void test_wal_torn_tail(void)
{
	const char *dir = t_scratch();
	/* cut in c's payload, in its header, right after b: each loses only c */
	const int64_t cuts[] = {OFF_END - 1, OFF_C + 41, OFF_C + 39, OFF_C + 1, OFF_C};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		t_abc(dir);
		CHECK(truncate(t_seg(dir, 1), (off_t)cuts[i]) == 0);
		ds__wal *w;
		t_capture();
		CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
		bool damaged = true;
		got g = t_replay(w, INT64_MIN, &damaged);
		CHECK(!damaged);
		CHECK_STREQ(t_str(&g), "100:a\n|200:bb\n|");
		/* appends after a torn tail are readable: they go to a new segment */
		t_append(w, 400, "d\n");
		g = t_replay(w, INT64_MIN, &damaged);
		CHECK(!damaged);
		CHECK_STREQ(t_str(&g), "100:a\n|200:bb\n|400:d\n|");
		ds__wal_close(w);
		CHECK_STREQ(t_captured(), ""); /* quiet */
		char cmd[200];
		snprintf(cmd, sizeof cmd, "rm -f '%s'/seg-*", dir);
		CHECK(system(cmd) == 0);
	}
	/* A tail of zeros (the size grew, the data never came) is torn too. */
	t_abc(dir);
	CHECK(truncate(t_seg(dir, 1), OFF_END + 4096) == 0);
	ds__wal *w;
	t_capture();
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	bool damaged = true;
	CHECK_STREQ(t_str((got[]){t_replay(w, INT64_MIN, &damaged)}), "100:a\n|200:bb\n|300:ccc\n|");
	CHECK(!damaged);
	ds__wal_close(w);
	CHECK_STREQ(t_captured(), "");
}

/* Flips one bit at off in segment 1, replays everything (after a fresh
 * open) and returns what was said on stderr. */
static const char *t_flip_replay(const char *dir, int64_t off, const char *want, bool want_damaged)
{
	int fd = open(t_seg(dir, 1), O_RDWR);
	CHECK(fd >= 0);
	unsigned char c;
	CHECK(pread(fd, &c, 1, off) == 1);
	c ^= 0x10;
	CHECK(pwrite(fd, &c, 1, off) == 1);
	close(fd);
	ds__wal *w;
	t_capture();
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	bool damaged = !want_damaged;
	got g = t_replay(w, INT64_MIN, &damaged);
	ds__wal_close(w);
	const char *err = t_captured();
	CHECK_STREQ(t_str(&g), want);
	CHECK(damaged == want_damaged);
	return err;
}

static void test_wal_damage(void)
{
	const char *dir = t_scratch();
	char want[512];
	struct {
		int64_t off;
		const char *why;
	} cases[] = {
		{OFF_B + 40 + 1, "bad checksum"}, /* b's payload */
		{OFF_B + 4, "bad header"},        /* b's length: must not pass for a torn tail */
		{OFF_B + 16, "bad header"},       /* b's time */
		{OFF_B + 38, "bad checksum"},     /* b's checksum itself */
		{OFF_B, "bad header"},            /* b's magic */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t_abc(dir);
		const char *err = t_flip_replay(dir, cases[i].off, "100:a\n|", true);
		snprintf(want, sizeof want,
		         "t: write-ahead log %s: damaged record at offset %d (%s); skipping the rest of the segment\n",
		         t_seg(dir, 1), OFF_B, cases[i].why);
		CHECK_STREQ(err, want);
		char cmd[200];
		snprintf(cmd, sizeof cmd, "rm -f '%s'/seg-*", dir);
		CHECK(system(cmd) == 0);
	}
	/* Damage skips the rest of its segment only: later segments replay. */
	t_abc(dir);
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	t_append(w, 400, "d\n");
	ds__wal_close(w);
	const char *err = t_flip_replay(dir, OFF_A + 40, "400:d\n|", true);
	CHECK(strstr(err, "seg-0000000000000001.wal: damaged record at offset 0 (bad checksum)"));
	/* flipped back: no damage, no message (the checks are not too eager) */
	err = t_flip_replay(dir, OFF_A + 40, "100:a\n|200:bb\n|300:ccc\n|400:d\n|", false);
	CHECK_STREQ(err, "");
}

/* ---- failed appends ------------------------------------------------------ */

static int t_fail_err;        /* errno the next write fails with after t_fail_after bytes */
static size_t t_fail_after;
static size_t t_chunk = SIZE_MAX; /* at most this many bytes per call */
static int t_delay_ms;            /* a slow disk: each call waits this long first */

static ssize_t t_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	if (t_delay_ms) {
		struct timespec ts = {t_delay_ms / 1000, (long)(t_delay_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	size_t n = total < t_chunk ? total : t_chunk;
	if (t_fail_err) {
		if (t_fail_after == 0) {
			errno = t_fail_err;
			return -1;
		}
		if (n > t_fail_after)
			n = t_fail_after;
		t_fail_after -= n;
	}
	/* write n bytes of the vector */
	struct iovec v[4];
	int k = 0;
	for (size_t left = n; left && k < iovcnt; k++) {
		v[k] = iov[k];
		if (v[k].iov_len > left)
			v[k].iov_len = left;
		left -= v[k].iov_len;
	}
	return pwritev(fd, v, k, off);
}

static void test_wal_failed_append(void)
{
	const char *dir = t_scratch();
	ds__wal_pwritev = t_pwritev;
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	t_append(w, 100, "a\n");
	int64_t size = t_size(t_seg(dir, 1));
	/* the disk fills half way through the next record */
	t_fail_err = ENOSPC;
	t_fail_after = 50;
	CHECK(ds__wal_append(w, 0, 200, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n", 42, 1) == -ENOSPC);
	CHECK(t_size(t_seg(dir, 1)) == size); /* cut back */
	t_fail_after = 0;
	CHECK(ds__wal_append(w, 0, 200, "b\n", 2, 1) == -ENOSPC);
	CHECK(t_size(t_seg(dir, 1)) == size);
	/* EIO at once */
	t_fail_err = EIO;
	CHECK(ds__wal_append(w, 0, 200, "b\n", 2, 1) == -EIO);
	t_fail_err = 0;
	/* space again: the log goes on where it was, readable to the end */
	t_append(w, 300, "c\n");
	bool damaged = true;
	CHECK_STREQ(t_str((got[]){t_replay(w, INT64_MIN, &damaged)}), "100:a\n|300:c\n|");
	CHECK(!damaged);
	/* partial writes that succeed are carried on, not lost or repeated */
	t_chunk = 7;
	t_append(w, 400, "ddddddddddddd\neeeeeeeeeeeeeeeeeeeeee\n");
	t_chunk = SIZE_MAX;
	ds__wal_close(w);
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	CHECK_STREQ(t_str((got[]){t_replay(w, INT64_MIN, &damaged)}),
	            "100:a\n|300:c\n|400:ddddddddddddd\neeeeeeeeeeeeeeeeeeeeee\n|");
	CHECK(!damaged);
	ds__wal_close(w);
}

/* ---- concurrency --------------------------------------------------------- */

enum { T_PER_THREAD = 3000 };

typedef struct t_writer {
	ds__wal *w;
	int src;
} t_writer;

/* Source src's records 0, 1, 2, ... at times 0, 1, 2, ... */
static void *t_appender(void *arg)
{
	t_writer *tw = arg;
	for (int i = 0; i < T_PER_THREAD; i++) {
		char line[32];
		int n = snprintf(line, sizeof line, "%d %d\n", tw->src, i);
		CHECK(ds__wal_append(tw->w, tw->src, i, line, (size_t)n, 1) == 0);
	}
	return NULL;
}

typedef struct t_seen {
	int64_t upto;  /* the last truncate's: records up to it may be gone */
	int next[2];   /* per source: the record expected next; -1 before the first */
	int count;
} t_seen;

/* Each source's records arrive in order, with no gap but among records a
 * truncate was allowed to delete. */
static void t_check_order(void *ctx, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	t_seen *s = ctx;
	CHECK(src == 0 || src == 1);
	CHECK(nrecs == 1 && len > 0 && data[len - 1] == '\n');
	int a, b;
	CHECK(sscanf(data, "%d %d", &a, &b) == 2 && a == src && b == time_ms);
	CHECK(s->next[src] < 0 || b == s->next[src] || (b > s->next[src] && b - 1 <= s->upto));
	s->next[src] = b + 1;
	s->count++;
}

static void test_wal_threads(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BATCH, "t") == 0);
	t_writer tw[2] = {{w, 0}, {w, 1}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, t_appender, &tw[i]) == 0);
	/* the scheduler's side meanwhile: sync, replay, truncate */
	for (int k = 0; k < 40; k++) {
		t_seen s = {(k - 1) * 50, {-1, -1}, 0};
		bool damaged = true;
		int n = ds__wal_replay(w, INT64_MIN, t_check_order, &s, &damaged);
		CHECK(n == s.count && !damaged);
		CHECK(ds__wal_sync(w) == 0);
		CHECK(ds__wal_truncate(w, k * 50) == 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	t_seen s = {39 * 50, {-1, -1}, 0};
	bool damaged = true;
	CHECK(ds__wal_replay(w, 40 * 50, t_check_order, &s, &damaged) >= 0 && !damaged);
	CHECK(s.count == 2 * (T_PER_THREAD - 40 * 50 - 1));
	CHECK(s.next[0] == T_PER_THREAD && s.next[1] == T_PER_THREAD);
	ds__wal_close(w);
}

/* ---- the store ----------------------------------------------------------- */

static void test_store_block(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	ds__store st = {.cmd = "prog", .src = 2, .wal = w, .repl = NULL};
	ds__store_block(NULL, 100, "x\n", 2, 1); /* no store: nothing */
	ds__store_block(&st, 100, "a\nb\n", 4, 2);
	ds__store_block(&st, 150, "", 0, 0); /* bad records only: nothing to keep */
	ds__wal_pwritev = t_pwritev;
	t_capture();
	t_fail_err = ENOSPC;
	for (int i = 0; i < 5; i++) /* a full disk: said once */
		ds__store_block(&st, 200, "c\n", 2, 1);
	t_fail_err = 0;
	ds__store_block(&st, 300, "d\n", 2, 1);
	ds__store_block(&st, 400, "e\n", 2, 1);
	const char *err = t_captured();
	CHECK_STREQ(err, "prog: write-ahead log: cannot append a block of source 2 (time 200): "
	                 "no space left on device; going on without it for this block\n"
	                 "prog: write-ahead log: appending again (5 blocks are not in it)\n");
	got g = t_replay(w, INT64_MIN, NULL);
	CHECK_STREQ(t_str(&g), "100:a\nb\n|300:d\n|400:e\n|");
	CHECK(g.r[0].src == 2 && g.r[0].nrecs == 2);
	ds__wal_close(w);
}

/* ---- the receivers -------------------------------------------------------- */

/* The WAL records and the taken blocks agree: same times, same bytes, in
 * the same order (a block may hold several ds_store calls' records). */
static void t_check_blocks(const got *g, ds__blockq *q, const char *want_all)
{
	char all_wal[4096] = "", all_blk[4096] = "";
	int i = 0;
	for (ds__block *b = q->head; b; b = b->next) {
		size_t off = 0;
		while (off < b->b.len) {
			CHECK(i < g->n);
			CHECK(g->r[i].time_ms == b->time_ms); /* logged under the block's cut time */
			CHECK(off + g->r[i].len <= b->b.len && memcmp(b->b.data + off, g->r[i].data, g->r[i].len) == 0);
			off += g->r[i].len;
			i++;
		}
		strncat(all_blk, b->b.data, b->b.len);
	}
	CHECK(i == g->n);
	for (int k = 0; k < g->n; k++)
		strncat(all_wal, g->r[k].data, g->r[k].len);
	CHECK_STREQ(all_wal, all_blk);
	CHECK_STREQ(all_wal, want_all);
}

static int t_rx_calls;

static int t_rx(ds_receiver *r)
{
	if (t_rx_calls++ == 0) {
		ds_store(r, "a\nbb", 4);
		ds_store(r, "", 0);
		ds_store(r, "this line is too long\nok\n", 25); /* 21 > max_line 10 */
		ds_store(r, "this line is too long", 21);        /* nothing to log */
		struct timespec ts = {0, 120 * 1000000};          /* the next block */
		nanosleep(&ts, NULL);
		ds_store(r, "later\n", 6);
	}
	while (!ds_receiver_stopping(r)) {
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void test_receiver_store(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	ds__store st = {.cmd = "t", .src = 0, .wal = w};
	ds_source_desc d = {.kind = DS_SRC_RECEIVER, .receiver = t_rx, .fn = "t_rx"};
	ds_receiver r;
	CHECK(ds__receiver_start(&r, "t", &d, 50, 1000, 10, &st, 0, 0) == 0);
	/* ds_store returns once the records are in the log: wait for the last */
	got g;
	for (int i = 0; i < 200; i++) {
		g = t_replay(w, INT64_MIN, NULL);
		if (g.n == 4)
			break;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	CHECK(g.n == 4);
	CHECK(g.r[0].nrecs == 2 && g.r[1].nrecs == 1 && g.r[2].nrecs == 1 && g.r[3].nrecs == 1);
	CHECK(g.r[3].time_ms > g.r[0].time_ms); /* a later block */
	ds__blockq q;
	ds__blockq_init(&q);
	ds__receiver_take(&r, INT64_MAX, &q);
	ds__receiver_stop(&r);
	t_check_blocks(&g, &q, "a\nbb\n\nok\nlater\n");
	int64_t bad = 0;
	for (ds__block *b = q.head; b; b = b->next)
		bad += b->bad.n;
	CHECK(bad == 2); /* over-long lines: bad records, not logged */
	ds__blockq_free(&q);
	ds__wal_close(w);
}

/* The scheduler takes the block while ds_store is still appending its
 * records: the take waits, and gets them, already in the log, under the
 * time they were logged with. */
static int t_rx_slow(ds_receiver *r)
{
	ds_store(r, "x\n", 2);
	while (!ds_receiver_stopping(r)) {
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void test_receiver_store_slow(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_OFF, "t") == 0);
	ds__wal_pwritev = t_pwritev;
	t_delay_ms = 300;
	ds__store st = {.cmd = "t", .src = 0, .wal = w};
	ds_source_desc d = {.kind = DS_SRC_RECEIVER, .receiver = t_rx_slow, .fn = "t_rx_slow"};
	ds_receiver r;
	CHECK(ds__receiver_start(&r, "t", &d, 50, 1000, 10, &st, 0, 0) == 0);
	struct timespec ts = {0, 100 * 1000000}; /* well inside the append */
	nanosleep(&ts, NULL);
	ds__blockq q;
	ds__blockq_init(&q);
	ds__receiver_take(&r, INT64_MAX, &q);
	CHECK(t_logged(dir) == 40 + 2); /* in the log already when taken */
	got g = t_replay(w, INT64_MIN, NULL);
	CHECK(g.n == 1);
	CHECK(q.head && !q.head->next);
	t_check_blocks(&g, &q, "x\n");
	ds__receiver_stop(&r);
	ds__blockq_free(&q);
	ds__wal_close(w);
}

/* A socket receiver (block 50 ms, batch 1 s) storing into st, connected
 * to a listener of ours on loopback: *lfd, and the accepted end, returned. */
static int t_socket_connected(ds__socket *s, const ds__store *st, int *lfd)
{
	*lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(*lfd >= 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(*lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(*lfd, 1) == 0);
	socklen_t alen = sizeof a;
	CHECK(getsockname(*lfd, (struct sockaddr *)&a, &alen) == 0);
	ds_source_desc d = {.kind = DS_SRC_SOCKET, .host = "127.0.0.1", .port = ntohs(a.sin_port)};
	CHECK(ds__socket_start(s, "t", &d, 50, 1000, 100, st, 0, 0) == 0);
	int c = accept(*lfd, NULL, NULL);
	CHECK(c >= 0);
	return c;
}

static void test_socket_store(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	ds__store st = {.cmd = "t", .src = 1, .wal = w};
	ds__wal_pwritev = t_pwritev;
	t_delay_ms = 200; /* a slow disk: a block queued before it is logged would show */
	int lfd;
	ds__socket s;
	int c = t_socket_connected(&s, &st, &lfd);
	ds__blockq q;
	ds__blockq_init(&q);
	/* Each line is cut into a block at the next 50 ms cut, logged (200 ms),
	 * and only then passed by the watermark: whatever a take gets is in
	 * the log already.  The takes step through the cuts one by one, so
	 * the one that gets the line is at its very cut. */
	const char *send[] = {"one\ntwo\n", "three\n"};
	for (int i = 0; i < 2; i++) {
		int64_t t = ds__next_cut(ds__now_ms(), 50, 1000);
		CHECK(write(c, send[i], strlen(send[i])) == (ssize_t)strlen(send[i]));
		for (int had = t_count(&q); t_count(&q) == had; t += 50) {
			ds__socket_wait(&s, t, t + 3000);
			ds__socket_take(&s, t, &q);
			CHECK(t_logged(dir) == t_block_bytes(&q));
		}
	}
	got g = t_replay(w, INT64_MIN, NULL);
	ds__socket_stop(&s);
	close(c);
	close(lfd);
	for (int i = 0; i < g.n; i++)
		CHECK(g.r[i].src == 1);
	t_check_blocks(&g, &q, "one\ntwo\nthree\n");
	CHECK(g.n == 2);
	ds__blockq_free(&q);
	ds__wal_close(w);
}

/* The scheduler may take a batch before its blocks are logged (its wait for
 * the watermark has a deadline; the disk here takes 300 ms a write).  A
 * block must then be logged with a time in the batch that takes it: after
 * every earlier take's time, at or before its own take's, so that a
 * recovery replays it into the batch that processed it. */
static void test_socket_store_late(void)
{
	const char *dir = t_scratch();
	ds__wal *w;
	CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_BLOCK, "t") == 0);
	ds__store st = {.cmd = "t", .src = 0, .wal = w};
	ds__wal_pwritev = t_pwritev;
	t_delay_ms = 300;
	int lfd;
	ds__socket s;
	int c = t_socket_connected(&s, &st, &lfd);
	int64_t t = ds__next_cut(ds__now_ms(), 50, 1000);
	CHECK(write(c, "late\n", 5) == 5);
	while (ds__now_ms() < t + 30) /* the block is cut and being logged, not yet queued */
		usleep(5000);
	int64_t takes[3] = {t, t + 1000, t + 2000};
	int taken_by = -1;
	for (int i = 0; i < 3 && taken_by < 0; i++) {
		ds__blockq q;
		ds__blockq_init(&q);
		ds__socket_take(&s, takes[i], &q); /* no wait for the watermark: a deadline passed */
		if (q.head)
			taken_by = i;
		ds__blockq_free(&q);
		if (taken_by < 0)
			usleep(400 * 1000);
	}
	ds__socket_stop(&s);
	close(c);
	close(lfd);
	t_delay_ms = 0;
	got g = t_replay(w, INT64_MIN, NULL);
	CHECK(taken_by >= 0 && g.n == 1);
	if (taken_by >= 0 && g.n == 1) {
		CHECK(g.r[0].time_ms <= takes[taken_by]);
		CHECK(taken_by == 0 || g.r[0].time_ms > takes[taken_by - 1]);
	}
	ds__wal_close(w);
}

static const ds_test tests[] = {
	{"wal_roundtrip", test_wal_roundtrip, 0},
	{"wal_replay_after", test_wal_replay_after, 0},
	{"wal_truncate", test_wal_truncate, 0},
	{"wal_reopen", test_wal_reopen, 0},
	{"wal_torn_tail", test_wal_torn_tail, 0},
	{"wal_damage", test_wal_damage, 0},
	{"wal_failed_append", test_wal_failed_append, 0},
	{"wal_threads", test_wal_threads, 60},
	{"store_block", test_store_block, 0},
	{"receiver_store", test_receiver_store, 0},
	{"receiver_store_slow", test_receiver_store_slow, 0},
	{"socket_store_late", test_socket_store_late, 0},
	{"socket_store", test_socket_store, 0},
};

int main(int argc, char **argv) { return DS_RUN_TESTS(tests, argc, argv); }
