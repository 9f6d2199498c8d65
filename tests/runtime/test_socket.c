/* test_socket.c: socketTextStream end to end.  The test is the server: it
 * listens on 127.0.0.1 (ephemeral port), the hand-written word count
 * connects, the test sends lines, drops the connection, refuses, listens
 * again, and checks the counts and the receiver's messages. */
#include "harness.h"
#include "progs.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	CHECK(listen(fd, 8) == 0);
	return fd;
}

static int port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	return ntohs(a.sin_port);
}

static void send_all(int fd, const char *s)
{
	size_t n = strlen(s);
	CHECK(send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n);
}

/* Sums the counts of word w over every printed batch. */
static int64_t total(const char *out, const char *w)
{
	char needle[64];
	int n = snprintf(needle, sizeof needle, "\n(%s,", w);
	int64_t sum = 0;
	for (const char *p = out; (p = strstr(p, needle)); p += n)
		sum += strtoll(p + n, NULL, 10);
	return sum;
}

static void use_socket(int port)
{
	wc_sources[0] = (ds_source_desc){.kind = DS_SRC_SOCKET, .host = "127.0.0.1", .port = port, .path = NULL, .loc = "wc.dstream:3:13", .site = 0};
	wc_prog.batch_ms = 200;
	wc_prog.block_ms = 50;
	wc_outputs[0].slide_ms = 0;
	wc_outputs[0].n = 100;
}

static void test_counts_and_reconnect(void)
{
	char *dir = h_tmpdir();
	int lfd = listen_on(0), port = port_of(lfd);
	use_socket(port);
	const char *const args[] = {"--duration", "4s", NULL};
	ds_run r;
	h_start(&r, &wc_prog, dir, args);
	int c = accept(lfd, NULL, NULL);
	CHECK(c >= 0);
	send_all(c, "a b a\nc\n");
	usleep(100 * 1000);
	send_all(c, "b ");
	usleep(100 * 1000);
	send_all(c, "a\r\n");
	usleep(300 * 1000);
	close(c);
	close(lfd); /* the receiver's reconnect is refused now */
	usleep(600 * 1000);
	lfd = listen_on(port);
	c = accept(lfd, NULL, NULL);
	CHECK(c >= 0);
	send_all(c, "a c\nlast");
	usleep(300 * 1000);
	close(c);
	close(lfd);
	h_finish(&r);
	CHECK(r.status == 0);
	CHECK(total(r.out, "a") == 4);
	CHECK(total(r.out, "b") == 2);
	CHECK(total(r.out, "c") == 2);
	CHECK(total(r.out, "last") == 1); /* the unterminated line before the close */
	char want[1024];
	snprintf(want, sizeof want,
	         "wc: socketTextStream 127.0.0.1:%d: connection closed by server; reconnecting\n"
	         "wc: socketTextStream 127.0.0.1:%d: connection refused; retrying in 0.1s\n"
	         "wc: socketTextStream 127.0.0.1:%d: connected\n"
	         "wc: socketTextStream 127.0.0.1:%d: connection closed by server; reconnecting\n",
	         port, port, port, port);
	if (strncmp(r.err, want, strlen(want)) != 0)
		CHECK_STREQ(r.err, want);
	/* at most the refusal after the second close may follow */
	const char *rest = r.err + strlen(want);
	CHECK(rest[0] == 0 || h_count(rest, "\n") == 1);
	/* batches every 200 ms, aligned */
	const char *t = strstr(r.out, "Time: ");
	CHECK(t && strtoll(t + 6, NULL, 10) % 200 == 0);
	CHECK(h_count(r.out, "Time: ") >= 15);
}

static void test_refused_once(void)
{
	char *dir = h_tmpdir();
	int lfd = listen_on(0), port = port_of(lfd);
	close(lfd); /* nobody listens there */
	use_socket(port);
	const char *const args[] = {"--duration", "800ms", NULL};
	ds_run r;
	h_run(&r, &wc_prog, dir, args);
	CHECK(r.status == 0);
	char want[256];
	snprintf(want, sizeof want, "wc: socketTextStream 127.0.0.1:%d: connection refused; retrying in 0.1s\n", port);
	CHECK_STREQ(r.err, want); /* said once, not once per attempt */
	CHECK(h_count(r.out, "Time: ") >= 4);
	CHECK(h_count(r.out, "(") == 0);
}

static void test_stops_promptly(void)
{
	char *dir = h_tmpdir();
	int lfd = listen_on(0);
	use_socket(port_of(lfd));
	ds_run r;
	static const char *const none[] = {NULL};
	h_start(&r, &wc_prog, dir, none);
	int c = accept(lfd, NULL, NULL);
	CHECK(c >= 0);
	send_all(c, "x\n");
	usleep(500 * 1000);
	int64_t t0 = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	kill(r.pid, SIGINT);
	h_finish(&r);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t took = ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0;
	CHECK(r.status == 0);
	CHECK(took < 1000);
	CHECK(total(r.out, "x") == 1);
	CHECK_STREQ(r.err, "");
	close(c);
	close(lfd);
}

static const ds_test tests[] = {
	{"counts_and_reconnect", test_counts_and_reconnect, 20},
	{"refused_once", test_refused_once, 10},
	{"stops_promptly", test_stops_promptly, 10},
};

int main(int argc, char **argv) { return DS_RUN_TESTS(tests, argc, argv); }
