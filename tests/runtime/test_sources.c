/* test_sources.c: binaryQueueStream's guard over its mapped file (binrec.c).
 *
 * A file that shrinks while a batch reads its mapping: the pages past the
 * new end read as zeros instead of raising SIGBUS, in a thread started as
 * the workers are (ds__thread_start), and ds__binrec_faulted then stops the
 * batch with the message.  A SIGBUS elsewhere still kills the process.
 * Each case works in a scratch directory, removed when it passes. */
#include "runner.h"

#include "../../runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

static char t_dir[64];

static void t_rmdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t_dir);
	CHECK(system(cmd) == 0);
}

/* t_dir/NAME, a file of n bytes of value 1; returns its path (static). */
static const char *t_file(const char *name, size_t n)
{
	snprintf(t_dir, sizeof t_dir, "/tmp/ds_src_XXXXXX");
	CHECK(mkdtemp(t_dir));
	ds_test_cleanup = t_rmdir;
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", t_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	char *p = malloc(n);
	memset(p, 1, n);
	CHECK(ds__write_all(fd, p, n) == 0);
	free(p);
	CHECK(close(fd) == 0);
	return path;
}

/* stderr into t_dir/err while a case runs; t_err() reads it back. */
static int t_saved_err = -1;
static char t_err_path[96];
static void t_err_begin(void)
{
	snprintf(t_err_path, sizeof t_err_path, "%s/err", t_dir);
	int fd = open(t_err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	t_saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}
static char *t_err(void)
{
	dup2(t_saved_err, 2);
	close(t_saved_err);
	static char buf[1024];
	int fd = open(t_err_path, O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = ds__read_full(fd, buf, sizeof buf - 1, 0);
	CHECK(n >= 0);
	buf[n] = 0;
	close(fd);
	return buf;
}

struct t_sum {
	const char *p;
	size_t n;
	uint64_t sum;
};

static void *t_sum_thread(void *arg)
{
	struct t_sum *s = arg;
	const volatile char *p = s->p;
	for (size_t i = 0; i < s->n; i++)
		s->sum += (unsigned char)p[i];
	return NULL;
}

#define T_PAGES 64

static void test_binqueue_shrinks_mid_batch(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = T_PAGES * page;
	const char *path = t_file("b.bin", size);
	ds_source_desc d = {.kind = DS_SRC_BINQUEUE, .path = path, .loc = "t.dstream:3:9", .site = -1,
	                    .record_len = 16, .per_batch = (int64_t)size / 16};
	ds__binrec r;
	CHECK(ds__binrec_open(&r, "t", &d) == 0);
	CHECK(r.map != NULL);
	const ds__block *b;
	CHECK(ds__binrec_next(&r, &b) == 1);
	CHECK(b->b.len == size);
	CHECK(ds__binrec_faulted(&r, 1000) == 0);
	/* the rotation, after the batch's fstat: 4 pages are left */
	CHECK(truncate(path, (off_t)(4 * page)) == 0);
	struct t_sum s = {b->b.data, b->b.len, 0};
	pthread_t th;
	CHECK(ds__thread_start(&th, t_sum_thread, &s) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK(s.sum == 4 * page); /* the 4 pages' ones, then zeros */
	t_err_begin();
	int rc = ds__binrec_faulted(&r, 1000);
	char *err = t_err();
	CHECK(rc == -EIO);
	char want[512];
	snprintf(want, sizeof want,
	         "t: t.dstream:3:9: binaryQueueStream: '%s' became shorter while the batch at 1000 ms read it "
	         "(%zu bytes, %zu at start): stopping before its outputs\n", path, 4 * page, size);
	CHECK_STREQ(err, want);
	ds__binrec_close(&r);
}

static void test_binqueue_shrinks_between_batches(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = T_PAGES * page;
	const char *path = t_file("b.bin", size);
	ds_source_desc d = {.kind = DS_SRC_BINQUEUE, .path = path, .loc = "t.dstream:3:9", .site = -1,
	                    .record_len = 16, .per_batch = (int64_t)size / 32};
	ds__binrec r;
	CHECK(ds__binrec_open(&r, "t", &d) == 0);
	const ds__block *b;
	CHECK(ds__binrec_next(&r, &b) == 1);
	CHECK(truncate(path, (off_t)(size - 1)) == 0);
	t_err_begin();
	int rc = ds__binrec_next(&r, &b);
	char *err = t_err();
	CHECK(rc == -EIO && b == NULL);
	char want[512];
	snprintf(want, sizeof want,
	         "t: t.dstream:3:9: binaryQueueStream: '%s' became shorter while the program ran (%zu bytes, "
	         "%zu at start): stopping before the batch that reads records %zu..%zu\n",
	         path, size - 1, size, size / 32, size / 16 - 1);
	CHECK_STREQ(err, want);
	ds__binrec_close(&r);
}

/* The guard is for the sources' mappings only: any other SIGBUS still
 * kills the process (here a child). */
static void test_other_sigbus_kills(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const char *path = t_file("b.bin", 4 * page);
	ds_source_desc d = {.kind = DS_SRC_BINQUEUE, .path = path, .loc = "t.dstream:3:9", .site = -1,
	                    .record_len = 16, .per_batch = 16};
	ds__binrec r;
	CHECK(ds__binrec_open(&r, "t", &d) == 0); /* installs the handler */
	char other[160];
	snprintf(other, sizeof other, "%s/other", t_dir);
	int fd = open(other, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)(4 * page)) == 0);
	const volatile char *m = mmap(NULL, 4 * page, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(ftruncate(fd, 0) == 0);
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c = m[2 * page];
		_exit(c == 0 ? 3 : 4); /* not reached */
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
	ds__binrec_close(&r);
}

static const ds_test tests[] = {
	{"binqueue_shrinks_mid_batch", test_binqueue_shrinks_mid_batch, 0},
	{"binqueue_shrinks_between_batches", test_binqueue_shrinks_between_batches, 0},
	{"other_sigbus_kills", test_other_sigbus_kills, 0},
};

int main(int argc, char **argv) { return DS_RUN_TESTS(tests, argc, argv); }
