/* lineserv: a one-client TCP line server for the tests in tests/sources/.
 *
 *   lineserv [--port N] [--align MS] [--gap-ms G] FILE...
 *
 * Listens on 127.0.0.1:N (0, the default, picks a free port; SO_REUSEADDR,
 * so a test can restart a server on the port of one it killed), prints
 * "port N" on stdout, accepts ONE client and closes the listener (a second
 * connection is refused: a client that reconnects by mistake cannot get the
 * data twice).  Then it sends each FILE whole, in one write per file:
 *   - with --align MS, each file when the epoch-ms clock is next at MS past
 *     a whole second (so early in a 1 s batch), each file in a later second
 *     than the one before;
 *   - without it, the first at once and the next ones --gap-ms apart
 *     (default 0).
 * After each file it prints "sent K T" (K = 1, 2, ..., T = epoch ms) on
 * stdout.  Then it holds the connection open until the client closes it
 * (prints "closed") or it is killed.  alarm(110): it never outlives a test.
 *
 * Compiled by the test scripts: cc -std=c11 -o lineserv lineserv.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "lineserv: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static char *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			die("malloc");
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (ferror(f))
		die(path);
	fclose(f);
	*len = n;
	return buf;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		p += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	long port = 0, align = -1, gap = 0;
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--align") && i + 1 < argc)
			align = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--gap-ms") && i + 1 < argc)
			gap = strtol(argv[++i], NULL, 10);
		else
			break;
	}
	if (i >= argc || port < 0 || port > 65535 || align > 999) {
		fprintf(stderr, "usage: lineserv [--port N] [--align MS] [--gap-ms G] FILE...\n");
		return 2;
	}
	alarm(110);
	signal(SIGPIPE, SIG_IGN);

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	int one = 1;
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		die("setsockopt");
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0)
		die("bind");
	if (listen(lfd, 4) != 0)
		die("listen");
	socklen_t alen = sizeof a;
	if (getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
		die("getsockname");
	printf("port %d\n", ntohs(a.sin_port));
	fflush(stdout);

	int fd;
	while ((fd = accept(lfd, NULL, NULL)) < 0)
		if (errno != EINTR && errno != ECONNABORTED)
			die("accept");
	close(lfd);

	int64_t last = 0; /* the second the last file was sent in */
	for (int k = 1; i < argc; i++, k++) {
		size_t len;
		char *buf = load(argv[i], &len);
		if (align >= 0) {
			int64_t t = now_ms();
			int64_t s = t / 1000;
			if (t % 1000 > align || (k > 1 && s <= last))
				s++;
			if (k > 1 && s <= last)
				s = last + 1;
			sleep_ms(s * 1000 + align - now_ms());
			last = s;
		} else if (k > 1) {
			sleep_ms(gap);
		}
		send_all(fd, buf, len);
		free(buf);
		printf("sent %d %lld\n", k, (long long)now_ms());
		fflush(stdout);
	}

	char drain[4096];
	for (;;) {
		ssize_t r = recv(fd, drain, sizeof drain, 0);
		if (r > 0 || (r < 0 && errno == EINTR))
			continue;
		break;
	}
	printf("closed\n");
	fflush(stdout);
	close(fd);
	return 0;
}
