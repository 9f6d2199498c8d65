/* linefeed: a small TCP line server for demos and socket tests (as `nc -lk`,
 * but paced and scriptable).
 *
 *   linefeed [--host 127.0.0.1] --port N [--rate LINES_PER_SEC] [--loop] FILE
 *
 * Listens on HOST:N (--port 0 picks a free port), prints "port N" on stdout
 * once it listens, then serves clients one at a time: each gets the file's
 * lines at the given rate (default 1000 lines/s, 0 = as fast as possible),
 * once, or over and over with --loop.  When a client goes away or the file is
 * done, the next client is served.  Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "linefeed";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [--host ADDR] --port N [--rate LINES_PER_SEC] [--loop] FILE\n",
		prog);
	exit(2);
}

static _Noreturn void fatal(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

/* The whole file, with a '\n' after every line (one is added to a last line
 * that lacks it). */
static char *load(const char *path, size_t *len, size_t *nlines)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fatal(path);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		fatal("malloc");
	for (;;) {
		if (cap - n < 2) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb)
				fatal("realloc");
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		fatal(path);
	fclose(f);
	if (n > 0 && buf[n - 1] != '\n')
		buf[n++] = '\n';
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	*len = n;
	*nlines = lines;
	return buf;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Sends p[0..n); false when the client has gone. */
static bool send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Feeds one client: the lines of buf at `rate` lines/s (0: unpaced), once or
 * forever.  Returns when the file is done or the client has gone. */
static void serve(int fd, const char *buf, size_t len, double rate, bool loop)
{
	double start = now_s();
	unsigned long long sent = 0; /* lines sent to this client */
	size_t pos = 0;              /* offset of the next line in buf */
	for (;;) {
		if (pos == len) {
			if (!loop || len == 0)
				return;
			pos = 0;
		}
		/* How many lines are due now; send them in one write. */
		unsigned long long due = sent + 1;
		if (rate > 0) {
			double t = now_s() - start;
			due = (unsigned long long)(t * rate);
			if (due <= sent) {
				sleep_s((double)(sent + 1) / rate - t);
				continue;
			}
		}
		size_t end = pos;
		while (end < len && sent < due) {
			const char *nl = memchr(buf + end, '\n', len - end);
			end = (size_t)(nl - buf) + 1;
			sent++;
		}
		if (!send_all(fd, buf + pos, end - pos))
			return;
		pos = end;
	}
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	long port = -1;
	double rate = 1000;
	bool loop = false;
	static const struct option opts[] = {
		{"host", required_argument, 0, 'h'},
		{"port", required_argument, 0, 'p'},
		{"rate", required_argument, 0, 'r'},
		{"loop", no_argument, 0, 'l'},
		{0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'h':
			host = optarg;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || port < 0 || port > 65535)
				usage();
			break;
		case 'r':
			rate = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(rate >= 0))
				usage();
			break;
		case 'l':
			loop = true;
			break;
		default:
			usage();
		}
	}
	if (port < 0 || optind != argc - 1)
		usage();

	size_t len, nlines;
	char *buf = load(argv[optind], &len, &nlines);
	(void)nlines;

	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "%s: not an IPv4 address: %s\n", prog, host);
		return 2;
	}
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		fatal("socket");
	int one = 1;
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		fatal("setsockopt");
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		fprintf(stderr, "%s: bind %s:%ld: %s\n", prog, host, port, strerror(errno));
		return 1;
	}
	if (listen(lfd, 16) != 0)
		fatal("listen");
	socklen_t alen = sizeof addr;
	if (getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0)
		fatal("getsockname");
	printf("port %d\n", ntohs(addr.sin_port));
	fflush(stdout);

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fatal("accept");
		}
		serve(fd, buf, len, rate, loop);
		close(fd);
	}
}
