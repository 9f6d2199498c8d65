/* numfeed: a TCP server of numbered lines for the write-ahead log tests.
 *
 *   numfeed [--port N] --rate R --total M
 *
 * Listens on 127.0.0.1:N (0, the default, picks a free port), prints
 * "port N" on stdout, then serves one client at a time: it sends the lines
 * "1", "2", ... "M", R lines a second (in 10 ms steps), numbering on across
 * clients.  For each client it prints "client K first F" (the first number
 * it sends that client); a client that goes away (a killed receiver) ends
 * its turn, and the next client gets the numbers after the last one sent.
 * A line the kernel accepted for a client that died unread is lost: that is
 * the tail of the client's range the tests allow.  After line M it prints
 * "done" and holds the connection until the client closes it.  alarm(110):
 * it never outlives a test.
 *
 * Compiled by the test scripts: cc -std=c11 -o numfeed numfeed.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "numfeed: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0, or -1 when the client is gone. */
static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long port = 0, rate = 0, total = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--total") && i + 1 < argc)
			total = strtol(argv[++i], NULL, 10);
		else
			rate = -1;
	}
	if (rate <= 0 || total <= 0 || port < 0 || port > 65535) {
		fprintf(stderr, "usage: numfeed [--port N] --rate R --total M\n");
		return 2;
	}
	alarm(110);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	int one = 1;
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		die("setsockopt");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4) != 0)
		die("bind/listen");
	socklen_t al = sizeof a;
	if (getsockname(lfd, (struct sockaddr *)&a, &al) != 0)
		die("getsockname");
	printf("port %d\n", ntohs(a.sin_port));

	long next = 1;
	for (int k = 1;; k++) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		printf("client %d first %ld\n", k, next);
		int64_t start = mono_ms();
		long sent_here = 0;
		bool gone = false;
		while (!gone && next <= total) {
			/* what is due by now at R lines a second, in one send */
			long due = (long)((mono_ms() - start) * rate / 1000) - sent_here;
			char buf[65536];
			size_t n = 0;
			while (due > 0 && next <= total && n + 24 < sizeof buf) {
				n += (size_t)snprintf(buf + n, sizeof buf - n, "%ld\n", next++);
				sent_here++;
				due--;
			}
			if (n && send_all(fd, buf, n) != 0)
				gone = true;
			else {
				struct timespec ts = {0, 10 * 1000000L};
				nanosleep(&ts, NULL);
			}
		}
		if (!gone) {
			printf("done\n");
			char c;
			while (recv(fd, &c, 1, 0) > 0) /* until the client closes */
				;
		}
		close(fd);
	}
}
