/* blast.c: a one-client loopback line sender for the WAL benchmark
 * (bench/ft/run.sh).  Not a test tool: it times what a receiver ingests.
 *
 *   blast [--port N] [--repeat R] [--timeout S] FILE
 *
 * Loads FILE, listens on 127.0.0.1:N only (0, the default, picks a free
 * port; SO_REUSEADDR, so the next run can take the same port), prints
 * "port N", accepts ONE client and closes the listener.  Then it writes the
 * whole file R times (default 1; FILE should end with a newline) as fast as
 * the client takes it, shuts its side down
 * (SHUT_WR: the client reads EOF after the last byte) and waits for the
 * client to close the connection, which a socketTextStream receiver does as
 * soon as it has read that EOF, i.e. once it has read every byte.  It
 * prints, in epoch ms (CLOCK_REALTIME, the clock of the program's batch
 * times):
 *   accepted T0     the client connected; the first write follows
 *   sent T1 BYTES   the last write returned (the rest is in kernel buffers)
 *   closed T2       the client closed: it had read everything
 * alarm(S) (default 60) bounds its life.
 *
 *   cc -O2 -o blast bench/ft/blast.c */
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
	fprintf(stderr, "blast: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	int port = 0, timeout = 60, repeat = 1;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else {
			fprintf(stderr, "usage: blast [--port N] [--repeat R] [--timeout S] FILE\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "usage: blast [--port N] [--repeat R] [--timeout S] FILE\n");
		return 2;
	}
	alarm((unsigned)timeout);
	signal(SIGPIPE, SIG_IGN);

	FILE *f = fopen(path, "rb");
	if (!f)
		die(path);
	if (fseek(f, 0, SEEK_END) != 0)
		die(path);
	long size = ftell(f);
	rewind(f);
	char *buf = malloc(size > 0 ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		die(path);
	fclose(f);

	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		die("socket");
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0)
		die("bind");
	if (listen(l, 1) < 0)
		die("listen");
	socklen_t al = sizeof a;
	if (getsockname(l, (struct sockaddr *)&a, &al) < 0)
		die("getsockname");
	printf("port %d\n", ntohs(a.sin_port));
	fflush(stdout);

	int c;
	while ((c = accept(l, NULL, NULL)) < 0)
		if (errno != EINTR)
			die("accept");
	close(l);
	printf("accepted %lld\n", (long long)now_ms());
	fflush(stdout);
	for (int r = 0; r < repeat; r++)
		for (long off = 0; off < size;) {
			ssize_t n = write(c, buf + off, (size_t)(size - off));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("write");
			off += n;
		}
	printf("sent %lld %lld\n", (long long)now_ms(), (long long)size * repeat);
	fflush(stdout);
	shutdown(c, SHUT_WR);
	char x[4096];
	for (;;) { /* until the client closes */
		ssize_t n = read(c, x, sizeof x);
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		break;
	}
	printf("closed %lld\n", (long long)now_ms());
	fflush(stdout);
	close(c);
	free(buf);
	return 0;
}
