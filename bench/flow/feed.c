/* feed: the TCP line server of bench/flow/run.sh (socketTextStream's other
 * end), unpaced or on a schedule of rates.
 *
 *   feed [--port N] [--clients N] [--loop] [--phase RATE:SECONDS]... FILE
 *
 * Listens on 127.0.0.1:N (0, the default: a free port), prints "port N" on
 * stdout once it listens, then serves clients one at a time, --clients of
 * them (default: until killed).  FILE's lines are sent over and over with
 * --loop (a '\n' is added to a last line that lacks it).
 *
 * Without --phase, each client gets FILE as fast as it reads it: whole-file
 * writes, so the kernel moves as much as the socket takes at a time
 * (tools/linefeed's unpaced mode writes a line per call, too slow to
 * saturate a receiver).
 *
 * With phases, the client is offered RATE lines/s for SECONDS, then the next
 * phase's rate, from the moment it connects: the lines due by time t are
 * the integral of the rates up to t.  A sender held back by TCP flow control
 * (the receiver not reading) falls behind and sends what it owes as soon as
 * it may, as a producer with a buffer does; what is still owed at the end of
 * the last phase is never sent.  After the last phase the connection stays
 * open, silent, until the client closes it (so that the program does not
 * reconnect and take the next client's schedule).  On stderr, per client,
 * one line per phase: "phase I rate R secs S offered O sent N".
 *
 * Like linefeed (tools/linefeed.c), which it extends with the schedule. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#define MAX_PHASES 16
#define CHUNK (256 * 1024) /* at most this much is written per call when paced */

static const char *prog = "feed";

typedef struct phase {
	double rate; /* lines/s */
	double secs;
	uint64_t sent; /* lines written during this phase, for the client being served */
} phase;

static _Noreturn void fatal(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: %s [--port N] [--clients N] [--loop] [--phase RATE:SECONDS]... FILE\n", prog);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole file, every line ending in '\n'. */
static char *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fatal(path);
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			fatal("malloc");
		if (cap - n < 2) {
			buf = realloc(buf, cap *= 2);
			continue;
		}
		if ((got = fread(buf + n, 1, cap - n - 1, f)) == 0)
			break;
		n += got;
	}
	if (ferror(f))
		fatal(path);
	fclose(f);
	if (n > 0 && buf[n - 1] != '\n')
		buf[n++] = '\n';
	*len = n;
	return buf;
}

/* Sends p[0..n) on a blocking socket; false when the client has gone. */
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

/* Unpaced: the file as fast as the client reads it, once or forever. */
static void serve_fast(int fd, const char *buf, size_t len, bool loop)
{
	do {
		if (!send_all(fd, buf, len))
			return;
	} while (loop);
}

/* Waits until the client closes the connection (or 1 h passes). */
static void wait_close(int fd)
{
	char tmp[4096];
	struct pollfd p = {fd, POLLIN, 0};
	while (poll(&p, 1, 3600 * 1000) > 0 && read(fd, tmp, sizeof tmp) > 0)
		;
}

/* Paced: the schedule of phases (see the top of the file). */
static void serve_paced(int fd, const char *buf, size_t len, bool loop, phase *ph, int nph)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	char *out = malloc(CHUNK + 65536);
	if (!out)
		fatal("malloc");
	size_t olen = 0, ooff = 0; /* bytes in out; of which written */
	size_t pos = 0;            /* next line's offset in buf */
	uint64_t sent = 0;         /* lines put into out */
	bool done = false;         /* the file is over (no --loop) */
	double start = now_s(), total = 0;
	for (int i = 0; i < nph; i++)
		total += ph[i].secs;
	for (;;) {
		double t = now_s() - start;
		if (t >= total)
			break;
		int cur = 0;
		double owed = 0, acc = 0;
		for (int i = 0; i < nph; i++) {
			double in = t - acc;
			if (in > ph[i].secs)
				in = ph[i].secs;
			if (in > 0) {
				owed += ph[i].rate * in;
				cur = i;
			}
			acc += ph[i].secs;
		}
		if (ooff == olen && !done && (double)sent + 1 <= owed) {
			/* the lines due, up to CHUNK bytes */
			olen = ooff = 0;
			uint64_t n = (uint64_t)owed - sent;
			while (n > 0 && olen < CHUNK) {
				if (pos == len) {
					if (!loop || len == 0) {
						done = true;
						break;
					}
					pos = 0;
				}
				const char *nl = memchr(buf + pos, '\n', len - pos);
				size_t l = (size_t)(nl - (buf + pos)) + 1;
				memcpy(out + olen, buf + pos, l);
				olen += l;
				pos += l;
				n--;
				sent++;
				ph[cur].sent++;
			}
		}
		if (ooff < olen) {
			ssize_t w = send(fd, out + ooff, olen - ooff, MSG_NOSIGNAL);
			if (w > 0) {
				ooff += (size_t)w;
				continue;
			}
			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				goto gone;
			struct pollfd p = {fd, POLLOUT, 0};
			poll(&p, 1, 1); /* the receiver is not reading: wait for room */
			continue;
		}
		/* nothing due: sleep until the next line is (at most 1 ms) */
		double r = ph[cur].rate > 0 ? ph[cur].rate : 1000;
		double wait = ((double)sent + 1 - owed) / r;
		if (wait > 0.001)
			wait = 0.001;
		if (wait > 0) {
			struct timespec ts = {0, (long)(wait * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
	fcntl(fd, F_SETFL, fl);
	wait_close(fd);
gone:
	free(out);
	for (int i = 0; i < nph; i++) {
		fprintf(stderr, "phase %d rate %.0f secs %.0f offered %.0f sent %llu\n", i + 1, ph[i].rate, ph[i].secs,
		        ph[i].rate * ph[i].secs, (unsigned long long)ph[i].sent);
		ph[i].sent = 0;
	}
	fflush(stderr);
}

int main(int argc, char **argv)
{
	long port = 0, clients = -1;
	bool loop = false;
	phase ph[MAX_PHASES];
	int nph = 0;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i], *end;
		if (strcmp(a, "--loop") == 0) {
			loop = true;
		} else if (strcmp(a, "--port") == 0 && i + 1 < argc) {
			port = strtol(argv[++i], &end, 10);
			if (*end || port < 0 || port > 65535)
				usage();
		} else if (strcmp(a, "--clients") == 0 && i + 1 < argc) {
			clients = strtol(argv[++i], &end, 10);
			if (*end || clients < 1)
				usage();
		} else if (strcmp(a, "--phase") == 0 && i + 1 < argc && nph < MAX_PHASES) {
			ph[nph].rate = strtod(argv[++i], &end);
			if (*end != ':' || !(ph[nph].rate >= 0))
				usage();
			ph[nph].secs = strtod(end + 1, &end);
			if (*end || !(ph[nph].secs > 0))
				usage();
			ph[nph++].sent = 0;
		} else if (a[0] != '-' && !path) {
			path = a;
		} else {
			usage();
		}
	}
	if (!path)
		usage();
	size_t len;
	char *buf = load(path, &len);

	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		fatal("socket");
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 16) != 0)
		fatal("bind");
	socklen_t alen = sizeof addr;
	if (getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0)
		fatal("getsockname");
	printf("port %d\n", ntohs(addr.sin_port));
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	for (long served = 0; clients < 0 || served < clients; served++) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED) {
				served--;
				continue;
			}
			fatal("accept");
		}
		if (nph)
			serve_paced(fd, buf, len, loop, ph, nph);
		else
			serve_fast(fd, buf, len, loop);
		close(fd);
	}
	free(buf);
	return 0;
}
