/* timer.c: runs a command and reports its wall-clock time and peak RSS.
 *
 *   timer OUTFILE CMD [ARGS...]
 *
 * Runs CMD with its stdout and stderr untouched, then writes one line
 * "wall_ms W maxrss_kb R status S" to OUTFILE.  Exits with CMD's status.
 * Used by the benchmark scripts instead of date(1) and time(1) so that
 * nothing beyond a C compiler is needed. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: timer OUTFILE CMD [ARGS...]\n");
		return 2;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0) {
		perror("wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fprintf(f, "wall_ms %.3f maxrss_kb %ld status %d\n", ms, ru.ru_maxrss, status);
	fclose(f);
	return status;
}
