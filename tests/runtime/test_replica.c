/* test_replica.c: block replication (replica.c), client and server.
 *
 * Each case starts the replica server (ds__replica_serve) in a child
 * process on 127.0.0.1, port 0, and reads the port it prints; the client
 * (ds__repl) runs in the case's process.  Raw sockets speak the wire
 * protocol by hand for the frames a correct client never sends. */
#include "runner.h"

#include "../../runtime/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <zlib.h>

static char tdir[64];

static void rm_tdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tdir);
}

/* A scratch directory, removed when the case passes. */
static const char *scratch(void)
{
	snprintf(tdir, sizeof tdir, "/tmp/dsrepl-XXXXXX");
	CHECK(mkdtemp(tdir));
	ds_test_cleanup = rm_tdir;
	return tdir;
}

typedef struct server {
	pid_t pid;
	int port;
	char err_path[128]; /* its stderr */
} server;

/* Starts `replica` serving dir on 127.0.0.1:port (0: any) in a child;
 * returns once it has printed its "listening" line. */
static void server_start(server *s, const char *dir, int port)
{
	int p[2];
	CHECK(pipe(p) == 0);
	static int nth;
	snprintf(s->err_path, sizeof s->err_path, "%s/replica-%d.err", tdir, ++nth); /* in the scratch dir */
	int fe = open(s->err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	CHECK(fe >= 0);
	fflush(NULL);
	s->pid = fork();
	CHECK(s->pid >= 0);
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the case */
		alarm(30);
		dup2(p[1], 1);
		dup2(fe, 2);
		close(p[0]);
		char addr[64];
		snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
		_exit(ds__replica_serve(addr, dir, "replica"));
	}
	close(p[1]);
	close(fe);
	char line[128];
	size_t n = 0;
	while (n < sizeof line - 1 && (n == 0 || line[n - 1] != '\n')) {
		struct pollfd pf = {p[0], POLLIN, 0};
		CHECK(poll(&pf, 1, 5000) == 1);
		ssize_t k = read(p[0], line + n, sizeof line - 1 - n);
		CHECK(k > 0);
		n += (size_t)k;
	}
	line[n] = 0;
	close(p[0]);
	CHECK(sscanf(line, "replica listening on 127.0.0.1:%d\n", &s->port) == 1);
	CHECK(s->port > 0 && (port == 0 || s->port == port));
}

/* SIGTERM (or sig), then its exit status within 3 s (128 + signal). */
static int server_stop(server *s, int sig)
{
	CHECK(kill(s->pid, sig) == 0);
	int st;
	for (int i = 0; i < 300; i++) {
		pid_t r = waitpid(s->pid, &st, WNOHANG);
		CHECK(r >= 0);
		if (r == s->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10 * 1000);
	}
	kill(s->pid, SIGKILL);
	CHECK(!"the replica did not stop within 3 s");
	return -1;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return strcpy(buf, "");
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- what fetch gives back ------------------------------------------------------ */

typedef struct rec {
	int src;
	int64_t t, nrecs;
	char *data;
	size_t len;
} rec;

typedef struct recs {
	rec v[512];
	int n;
} recs;

static void collect(void *ctx, int src, int64_t t, const char *data, size_t len, int64_t nrecs)
{
	recs *r = ctx;
	CHECK(r->n < 512);
	rec *x = &r->v[r->n++];
	x->src = src;
	x->t = t;
	x->nrecs = nrecs;
	x->data = malloc(len + 1);
	memcpy(x->data, data, len);
	x->len = len;
}

static void recs_clear(recs *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->v[i].data);
	r->n = 0;
}

static void check_rec(const rec *x, int src, int64_t t, const char *data, size_t len, int64_t nrecs)
{
	CHECK(x->src == src);
	CHECK(x->t == t);
	CHECK(x->nrecs == nrecs);
	CHECK(x->len == len);
	CHECK(memcmp(x->data, data, len) == 0);
}

static char *hostport(int port)
{
	static char b[64];
	snprintf(b, sizeof b, "127.0.0.1:%d", port);
	return b;
}

/* ---- cases --------------------------------------------------------------------- */

static void test_bad_address(void)
{
	ds__repl *r;
	CHECK(ds__repl_open(&r, "localhost", "a", "t") == -EINVAL);
	CHECK(ds__repl_open(&r, "localhost:", "a", "t") == -EINVAL);
	CHECK(ds__repl_open(&r, "localhost:0", "a", "t") == -EINVAL);
	CHECK(ds__repl_open(&r, "localhost:65536", "a", "t") == -EINVAL);
	CHECK(ds__repl_open(&r, "localhost:12x", "a", "t") == -EINVAL);
	CHECK(ds__repl_open(&r, ":123", "a", "t") == -EINVAL);
	CHECK(ds__repl_open(&r, "::1:123", "a", "t") == -EINVAL);
	CHECK(ds__repl_open(&r, "localhost:123", "", "t") == -EINVAL);
	CHECK(ds__repl_open(&r, "[::1]:123", "a", "t") == 0);
	ds__repl_close(r);
	CHECK(ds__repl_open(&r, "localhost:123", "a", "t") == 0);
	ds__repl_close(r);
	/* the server: a usage error is status 2, a port taken status 1 */
	CHECK(ds__replica_serve("127.0.0.1:99999", "/tmp", "t") == 2);
	CHECK(ds__replica_serve("nope", "/tmp", "t") == 2);
}

static void test_roundtrip_truncate(void)
{
	const char *dir = scratch();
	server s;
	server_start(&s, dir, 0);
	ds__repl *r;
	CHECK(ds__repl_open(&r, hostport(s.port), "Word Count", "t") == 0);

	/* a line with every byte value ('\n' last: blocks are lines, as the
	 * write-ahead log that stores them checks), a large block, an empty one */
	char bin[256];
	for (int i = 0; i < 256; i++)
		bin[i] = (char)i;
	bin['\n'] = (char)255;
	bin[255] = '\n';
	size_t biglen = (size_t)3 << 20;
	char *big = malloc(biglen);
	for (size_t i = 0; i < biglen; i++) /* 7 lines */
		big[i] = (i + 1) % (biglen / 7 + 1) == 0 || i + 1 == biglen ? '\n' : (char)('a' + i % 26);
	CHECK(ds__repl_send(r, 0, 1000, "a b\nc\n", 6, 2) == 0);
	CHECK(ds__repl_send(r, 3, 1200, bin, sizeof bin, 1) == 0);
	CHECK(ds__repl_send(r, 1, 2000, big, biglen, 7) == 0);
	CHECK(ds__repl_send(r, 0, 2200, "", 0, 0) == 0);

	recs got = {0};
	CHECK(ds__repl_fetch(r, 0, collect, &got) == 4);
	CHECK(got.n == 4);
	check_rec(&got.v[0], 0, 1000, "a b\nc\n", 6, 2);
	check_rec(&got.v[1], 3, 1200, bin, sizeof bin, 1);
	check_rec(&got.v[2], 1, 2000, big, biglen, 7);
	check_rec(&got.v[3], 0, 2200, "", 0, 0);
	recs_clear(&got);
	CHECK(ds__repl_fetch(r, 1200, collect, &got) == 2);
	check_rec(&got.v[0], 1, 2000, big, biglen, 7);
	recs_clear(&got);

	/* A checkpoint covers up to 2000; the replica's log drops what it
	 * covers (the segment being written goes at the next truncation). */
	CHECK(ds__repl_truncate(r, 2000) == 0);
	CHECK(ds__repl_send(r, 0, 3000, "x\n", 2, 1) == 0);
	CHECK(ds__repl_fetch(r, 2000, collect, &got) == 2);
	check_rec(&got.v[0], 0, 2200, "", 0, 0);
	check_rec(&got.v[1], 0, 3000, "x\n", 2, 1);
	recs_clear(&got);
	CHECK(ds__repl_truncate(r, 2200) == 0);
	CHECK(ds__repl_fetch(r, 0, collect, &got) == 1);
	check_rec(&got.v[0], 0, 3000, "x\n", 2, 1);
	recs_clear(&got);

	/* the log is the app's, under DIR, and outlives the replica */
	char path[256];
	struct stat st;
	snprintf(path, sizeof path, "%s/Word%%20Count", dir);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(server_stop(&s, SIGTERM) == 0);
	ds__repl_close(r);
	server_start(&s, dir, 0);
	CHECK(ds__repl_open(&r, hostport(s.port), "Word Count", "t") == 0);
	CHECK(ds__repl_fetch(r, 0, collect, &got) == 1);
	check_rec(&got.v[0], 0, 3000, "x\n", 2, 1);
	recs_clear(&got);
	ds__repl_close(r);
	CHECK(server_stop(&s, SIGTERM) == 0);
	CHECK(strcmp(slurp(s.err_path), "") == 0); /* nothing to say */
	free(big);
}

static void test_apps_apart(void)
{
	/* DIR is one level down the scratch directory: an escape that
	 * worked would stay inside the scratch directory */
	char dir[128];
	snprintf(dir, sizeof dir, "%s/store", scratch());
	server s;
	server_start(&s, dir, 0);
	ds__repl *a, *b;
	CHECK(ds__repl_open(&a, hostport(s.port), "alpha", "t") == 0);
	CHECK(ds__repl_open(&b, hostport(s.port), "../escape", "t") == 0);
	CHECK(ds__repl_send(a, 0, 100, "A\n", 2, 1) == 0);
	CHECK(ds__repl_send(b, 0, 100, "B\n", 2, 1) == 0);
	recs got = {0};
	CHECK(ds__repl_fetch(a, 0, collect, &got) == 1);
	check_rec(&got.v[0], 0, 100, "A\n", 2, 1);
	recs_clear(&got);
	CHECK(ds__repl_fetch(b, 0, collect, &got) == 1);
	check_rec(&got.v[0], 0, 100, "B\n", 2, 1);
	recs_clear(&got);
	/* the name stays inside DIR, escaped */
	char path[256];
	struct stat st;
	snprintf(path, sizeof path, "%s/%%2E.%%2Fescape", dir);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	snprintf(path, sizeof path, "%s/escape", tdir);
	CHECK(stat(path, &st) < 0 && errno == ENOENT);
	ds__repl_close(a);
	ds__repl_close(b);
	CHECK(server_stop(&s, SIGTERM) == 0);
}

typedef struct sender {
	ds__repl *r;
	int src;
} sender;

static void *send_many(void *arg)
{
	sender *x = arg;
	for (int i = 0; i < 50; i++) {
		char line[64];
		int n = snprintf(line, sizeof line, "src %d block %d\n", x->src, i);
		if (ds__repl_send(x->r, x->src, 1000 + i, line, (size_t)n, 1) != 0)
			return (void *)1;
	}
	return NULL;
}

/* Receivers' threads share one client. */
static void test_threads_share(void)
{
	const char *dir = scratch();
	server s;
	server_start(&s, dir, 0);
	ds__repl *r;
	CHECK(ds__repl_open(&r, hostport(s.port), "app", "t") == 0);
	pthread_t th[4];
	sender x[4];
	for (int i = 0; i < 4; i++) {
		x[i] = (sender){r, i};
		CHECK(pthread_create(&th[i], NULL, send_many, &x[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		void *rv;
		pthread_join(th[i], &rv);
		CHECK(rv == NULL);
	}
	recs got = {0};
	CHECK(ds__repl_fetch(r, 0, collect, &got) == 200);
	int next[4] = {0};
	for (int i = 0; i < got.n; i++) { /* each thread's blocks in its order, intact */
		rec *g = &got.v[i];
		CHECK(g->src >= 0 && g->src < 4);
		char line[64];
		int n = snprintf(line, sizeof line, "src %d block %d\n", g->src, next[g->src]);
		check_rec(g, g->src, 1000 + next[g->src], line, (size_t)n, 1);
		next[g->src]++;
	}
	recs_clear(&got);
	ds__repl_close(r);
	CHECK(server_stop(&s, SIGTERM) == 0);
}

/* The replica dies: the client says so once, fails fast while it is away,
 * and says so once more when a new replica on the same port takes a block. */
static void test_away_and_back(void)
{
	const char *dir = scratch();
	server s;
	server_start(&s, dir, 0);
	int port = s.port;
	char errp[128];
	snprintf(errp, sizeof errp, "%s/client.err", dir);
	int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(2);
	CHECK(fe >= 0 && saved >= 0);
	dup2(fe, 2); /* the client's messages */
	ds__repl *r;
	CHECK(ds__repl_open(&r, hostport(port), "app", "prog") == 0);
	int rc1 = ds__repl_send(r, 0, 100, "one\n", 4, 1);
	int st = server_stop(&s, SIGKILL);
	int rc2 = ds__repl_send(r, 0, 200, "two\n", 4, 1); /* finds the connection dead */
	int64_t t0 = ds__mono_us();
	int rc3 = ds__repl_send(r, 0, 300, "three\n", 6, 1); /* in the back-off */
	int64_t fast_us = ds__mono_us() - t0;
	int fails = 0;
	for (int i = 0; i < 20; i++) { /* 1 s of attempts: refused, back-off, ... */
		if (ds__repl_send(r, 0, 400, "x\n", 2, 1) < 0)
			fails++;
		usleep(50 * 1000);
	}
	char away[4096];
	snprintf(away, sizeof away, "%s", slurp(errp));
	server_start(&s, dir, port);
	int rc4 = -1;
	int64_t t1 = ds__mono_us();
	while (rc4 != 0 && ds__mono_us() - t1 < 8000000) { /* the back-off is at most 5 s */
		rc4 = ds__repl_send(r, 0, 500, "five\n", 5, 1);
		if (rc4 != 0)
			usleep(50 * 1000);
	}
	fflush(stderr);
	dup2(saved, 2);
	char *all = slurp(errp);
	fprintf(stderr, "client said:\n%s", all);
	CHECK(rc1 == 0);
	CHECK(st == 128 + SIGKILL);
	CHECK(rc2 < 0);
	CHECK(rc3 == -EAGAIN);
	CHECK(fast_us < 50000);
	CHECK(fails == 20);
	CHECK(count(away, "prog: replica ") == 1);
	CHECK(strstr(away, "prog: replica 127.0.0.1:") && strstr(away, ": unreachable (") &&
	      strstr(away, "): going on unreplicated\n"));
	CHECK(rc4 == 0);
	CHECK(count(all, "unreachable") == 1);
	char again[128];
	snprintf(again, sizeof again, "prog: replica 127.0.0.1:%d: replicating again\n", port);
	CHECK(count(all, again) == 1);
	CHECK(count(all, "\n") == 2);
	/* what the first replica stored is still there */
	recs got = {0};
	CHECK(ds__repl_fetch(r, 0, collect, &got) == 2);
	check_rec(&got.v[0], 0, 100, "one\n", 4, 1);
	check_rec(&got.v[1], 0, 500, "five\n", 5, 1);
	recs_clear(&got);
	ds__repl_close(r);
	CHECK(server_stop(&s, SIGTERM) == 0);
}

/* A replica that accepts the connection (the kernel's backlog does) but
 * never answers: the client gives up after its 5 s timeout, says so, and
 * fails fast after that. */
static void test_silent_replica(void)
{
	const char *dir = scratch();
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(lfd >= 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 4) == 0);
	socklen_t len = sizeof a;
	CHECK(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
	char errp[128];
	snprintf(errp, sizeof errp, "%s/client.err", dir);
	int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(2);
	CHECK(fe >= 0 && saved >= 0);
	dup2(fe, 2);
	ds__repl *r;
	CHECK(ds__repl_open(&r, hostport(ntohs(a.sin_port)), "app", "prog") == 0);
	int64_t t0 = ds__mono_us();
	int rc1 = ds__repl_send(r, 0, 1, "a\n", 2, 1);
	int64_t waited = ds__mono_us() - t0;
	int rc2 = ds__repl_send(r, 0, 2, "b\n", 2, 1);
	int64_t fast = ds__mono_us() - t0 - waited;
	dup2(saved, 2);
	char *said = slurp(errp);
	fprintf(stderr, "client said:\n%s", said);
	CHECK(rc1 == -ETIMEDOUT);
	CHECK(waited > 4500000 && waited < 7000000);
	CHECK(rc2 == -EAGAIN && fast < 50000);
	char want[160];
	snprintf(want, sizeof want, "prog: replica 127.0.0.1:%d: unreachable (connection timed out): going on unreplicated\n",
	         ntohs(a.sin_port));
	CHECK_STREQ(said, want);
	ds__repl_close(r);
	close(lfd);
}

/* ---- raw frames ---------------------------------------------------------------- */

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Sends [len][crc][type][payload], crc spoiled when bad_crc. */
static void raw_frame(int fd, int type, const void *payload, size_t n, bool bad_crc)
{
	unsigned char b[512];
	CHECK(n + 9 <= sizeof b);
	put32(b, (uint32_t)(n + 1));
	b[8] = (unsigned char)type;
	if (n)
		memcpy(b + 9, payload, n);
	uint32_t crc = (uint32_t)crc32(0, b + 8, (uInt)(n + 1));
	put32(b + 4, bad_crc ? crc ^ 1 : crc);
	CHECK(send(fd, b, n + 9, MSG_NOSIGNAL) == (ssize_t)(n + 9));
}

/* Reads one frame: its type, the payload NUL-terminated into out; -1 at EOF. */
static int raw_read(int fd, char *out, size_t cap)
{
	unsigned char h[9];
	size_t got = 0;
	while (got < 9) {
		ssize_t k = recv(fd, h + got, 9 - got, 0);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	CHECK(len >= 1 && len - 1 < cap);
	got = 0;
	while (got < len - 1) {
		ssize_t k = recv(fd, out + got, len - 1 - got, 0);
		CHECK(k > 0);
		got += (size_t)k;
	}
	out[got] = 0;
	return h[8];
}

static void hello(int fd, uint32_t version)
{
	unsigned char p[16];
	put32(p, version);
	memcpy(p + 4, "raw", 3);
	raw_frame(fd, 1, p, 7, false);
}

/* The server answers ERR(reason containing want) and closes. */
static void expect_refused(int fd, const char *want)
{
	char m[512];
	int t = raw_read(fd, m, sizeof m);
	if (t != 3 || !strstr(m, want))
		fprintf(stderr, "got frame type %d '%s', want ERR '%s'\n", t, t < 0 ? "" : m, want);
	CHECK(t == 3 && strstr(m, want));
	CHECK(raw_read(fd, m, sizeof m) == -1);
	close(fd);
}

/* The server still serves a well-behaved client. */
static void still_serves(int port)
{
	ds__repl *r;
	CHECK(ds__repl_open(&r, hostport(port), "good", "t") == 0);
	CHECK(ds__repl_send(r, 0, 1, "ok\n", 3, 1) == 0);
	ds__repl_close(r);
}

static void test_bad_frames(void)
{
	const char *dir = scratch();
	server s;
	server_start(&s, dir, 0);
	char m[512];

	int fd = dial(s.port); /* a good greeting, then a corrupt BLOCK */
	hello(fd, 1);
	CHECK(raw_read(fd, m, sizeof m) == 2);
	unsigned char blk[24] = {0};
	memcpy(blk + 20, "hi\n", 3);
	raw_frame(fd, 4, blk, 23, true);
	expect_refused(fd, "bad frame checksum");
	still_serves(s.port);

	fd = dial(s.port); /* a corrupt HELLO */
	unsigned char p[8];
	put32(p, 1);
	memcpy(p + 4, "app", 3);
	raw_frame(fd, 1, p, 7, true);
	expect_refused(fd, "bad frame checksum");

	fd = dial(s.port); /* a length far over the cap: no 4 GiB allocation, no wait */
	unsigned char h[9] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1};
	CHECK(send(fd, h, sizeof h, MSG_NOSIGNAL) == 9);
	expect_refused(fd, "bad frame length");

	fd = dial(s.port); /* a type nobody knows, checksum right */
	raw_frame(fd, 42, "x", 1, false);
	expect_refused(fd, "unknown frame type 42");

	fd = dial(s.port); /* BLOCK before HELLO */
	raw_frame(fd, 4, blk, 23, false);
	expect_refused(fd, "BLOCK before HELLO");

	fd = dial(s.port); /* another protocol version */
	hello(fd, 7);
	expect_refused(fd, "protocol version 7");

	fd = dial(s.port); /* a reply type from a client */
	hello(fd, 1);
	CHECK(raw_read(fd, m, sizeof m) == 2);
	raw_frame(fd, 5, NULL, 0, false);
	expect_refused(fd, "ACK from a client");

	fd = dial(s.port); /* gone in the middle of a frame */
	hello(fd, 1);
	CHECK(raw_read(fd, m, sizeof m) == 2);
	unsigned char half[12] = {100, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0};
	CHECK(send(fd, half, sizeof half, MSG_NOSIGNAL) == 12);
	close(fd);

	still_serves(s.port);
	CHECK(server_stop(&s, SIGTERM) == 0);
	char *err = slurp(s.err_path);
	fprintf(stderr, "replica said:\n%s", err);
	CHECK(count(err, ": bad frame checksum: closing the connection\n") == 2);
	CHECK(count(err, "replica: replica: 127.0.0.1:") == 8);
	CHECK(strstr(err, "connection closed in the middle of a frame"));
}

/* SIGTERM stops the replica promptly, clients connected or not. */
static void test_sigterm_with_clients(void)
{
	const char *dir = scratch();
	server s;
	server_start(&s, dir, 0);
	ds__repl *r;
	CHECK(ds__repl_open(&r, hostport(s.port), "app", "t") == 0);
	CHECK(ds__repl_send(r, 0, 1, "a\n", 2, 1) == 0);
	int idle = dial(s.port); /* and one that never says a thing */
	int64_t t0 = ds__mono_us();
	CHECK(server_stop(&s, SIGTERM) == 0);
	CHECK(ds__mono_us() - t0 < 1000000);
	close(idle);
	ds__repl_close(r);
	/* the port is free again */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)s.port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno == ECONNREFUSED);
	close(fd);
}

/* A port taken: a clear message, status 1. */
static void test_port_taken(void)
{
	const char *dir = scratch();
	server s;
	server_start(&s, dir, 0);
	char errp[128];
	snprintf(errp, sizeof errp, "%s/second.err", dir);
	int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(2);
	CHECK(fe >= 0 && saved >= 0);
	dup2(fe, 2);
	int st = ds__replica_serve(hostport(s.port), dir, "second");
	dup2(saved, 2);
	CHECK(st == 1);
	char want[128];
	snprintf(want, sizeof want, "second: replica: cannot listen on 127.0.0.1:%d: address already in use\n", s.port);
	CHECK_STREQ(slurp(errp), want);
	CHECK(server_stop(&s, SIGTERM) == 0);
}

static const ds_test tests[] = {
	{"bad_address", test_bad_address, 0},
	{"roundtrip_truncate", test_roundtrip_truncate, 20},
	{"apps_apart", test_apps_apart, 0},
	{"threads_share", test_threads_share, 20},
	{"away_and_back", test_away_and_back, 30},
	{"silent_replica", test_silent_replica, 20},
	{"bad_frames", test_bad_frames, 20},
	{"sigterm_with_clients", test_sigterm_with_clients, 0},
	{"port_taken", test_port_taken, 0},
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	return DS_RUN_TESTS(tests, argc, argv);
}
