/* receiver.c: CustomReceiver(host, port) of the Spark Streaming guide. */
#define _GNU_SOURCE
#include "receiver.h"

#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = {0}, *ais, *ai;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ais) != 0)
		return -1;
	int fd = -1;
	for (ai = ais; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ais);
	return fd;
}

int receive(ds_receiver *r)
{
	const char *host = getenv("RECEIVER_HOST"), *port = getenv("RECEIVER_PORT");
	int fd = connect_to(host ? host : "localhost", port ? port : "9999");
	if (fd < 0)
		return 1; /* "Error connecting to host:port": restarted */
	char buf[65536];
	size_t have = 0;
	while (!ds_receiver_stopping(r)) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue; /* every 100 ms: are we stopping? */
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		char *nl = memrchr(buf, '\n', have);
		if (!nl && have == sizeof buf)
			nl = buf + have - 1; /* a line longer than the buffer: cut it */
		if (nl) { /* store the complete lines, keep the rest */
			size_t done = (size_t)(nl - buf) + 1;
			ds_store(r, buf, done - 1);
			memmove(buf, buf + done, have - done);
			have -= done;
		}
	}
	close(fd);
	return ds_receiver_stopping(r) ? 0 : 2; /* "Trying to connect again" */
}
