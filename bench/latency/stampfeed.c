/* stampfeed: the sender of bench/latency/run.sh.  A TCP line server whose
 * every line is the moment it was written: CLOCK_MONOTONIC in nanoseconds,
 * the clock every process of the machine shares.
 *
 *   stampfeed --rate LINES_PER_S --secs S [--port N]
 *
 * Listens on 127.0.0.1:N (0, the default: a free port), prints "port N" on
 * stdout once it listens, serves one client: RATE lines a second for S
 * seconds, at a steady pace (every 200 us, the lines due by then, each
 * stamped as it is formatted), then keeps the connection open, silent,
 * until the client closes it.  On stderr: "sent N lines in S s". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Noreturn void fatal(const char *what)
{
	fprintf(stderr, "stampfeed: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	double rate = 0, secs = 0;
	int port = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rate"))
			rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--secs"))
			secs = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "usage: stampfeed --rate LINES_PER_S --secs S [--port N]\n");
			return 2;
		}
	}
	if (rate <= 0 || secs <= 0) {
		fprintf(stderr, "usage: stampfeed --rate LINES_PER_S --secs S [--port N]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		fatal("socket");
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0)
		fatal("bind/listen");
	socklen_t al = sizeof a;
	getsockname(ls, (struct sockaddr *)&a, &al);
	printf("port %d\n", ntohs(a.sin_port));
	fflush(stdout);
	int c = accept(ls, NULL, NULL);
	if (c < 0)
		fatal("accept");
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	int64_t start = now_ns(), end = start + (int64_t)(secs * 1e9), sent = 0;
	static char buf[1 << 20];
	struct timespec tick;
	clock_gettime(CLOCK_MONOTONIC, &tick);
	for (;;) {
		int64_t t = now_ns();
		if (t >= end)
			break;
		int64_t due = (int64_t)((double)(t - start) * rate / 1e9);
		size_t len = 0;
		while (sent < due && len + 24 < sizeof buf) {
			len += (size_t)snprintf(buf + len, 24, "%lld\n", (long long)now_ns());
			sent++;
		}
		for (size_t off = 0; off < len;) {
			ssize_t k = write(c, buf + off, len - off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				goto done;
			off += (size_t)k;
		}
		tick.tv_nsec += 200000;
		if (tick.tv_nsec >= 1000000000) {
			tick.tv_nsec -= 1000000000;
			tick.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
	}
done:
	fprintf(stderr, "sent %lld lines in %.1f s\n", (long long)sent, (double)(now_ns() - start) / 1e9);
	char b;
	while (read(c, &b, 1) > 0) /* until the program closes */
		;
	return 0;
}
