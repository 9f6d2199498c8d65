/* killsave.c: killsave DIR PROG [ARGS...]: runs PROG and kills it with
 * SIGKILL the moment a hidden temporary file (".NAME.tmp-PID", what
 * saveAsTextFiles writes before its rename) appears in DIR: a crash in the
 * middle of a save, for tests/sources/save_leftovers.sh.
 *
 * DIR must exist (the watch is set before PROG starts).  Prints
 * "killed PID NAME" and exits 0; exits 1 when PROG ends before any such
 * file appears, 2 on a usage or system error. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: killsave DIR PROG [ARGS...]\n");
		return 2;
	}
	int in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, argv[1], IN_CREATE) < 0) {
		perror("killsave: inotify");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("killsave: fork");
		return 2;
	}
	if (pid == 0) {
		execv(argv[2], argv + 2);
		perror("killsave: exec");
		_exit(127);
	}
	_Alignas(struct inotify_event) char buf[4096];
	for (;;) {
		struct pollfd pf = {in, POLLIN, 0};
		int k = poll(&pf, 1, 100);
		if (k == 0) {
			int st;
			if (waitpid(pid, &st, WNOHANG) == pid) {
				fprintf(stderr, "killsave: the program ended (status %d) before any save\n", st);
				return 1;
			}
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		ssize_t n = read(in, buf, sizeof buf);
		if (n <= 0) {
			perror("killsave: read");
			return 2;
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (e->len && e->name[0] == '.' && strstr(e->name, ".tmp-")) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				printf("killed %ld %s\n", (long)pid, e->name);
				return 0;
			}
			p += sizeof *e + e->len;
		}
	}
}
