/* runner.h: a tiny test runner in the manner of libuv's test/runner.c:
 * every case runs in a child process under an alarm, so a crash, a hang or
 * a failed check fails that case alone.  The last line printed is exactly
 * "N passed, M failed"; the exit status is non-zero when anything failed.
 * `prog NAME` runs the one case NAME. */
#ifndef DS_TEST_RUNNER_H
#define DS_TEST_RUNNER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ds_test {
	const char *name;
	void (*fn)(void);
	unsigned timeout_s; /* 0: 10 s */
} ds_test;

#define CHECK(c)                                                                        \
	do {                                                                                \
		if (!(c)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);       \
			exit(1);                                                                    \
		}                                                                               \
	} while (0)

#define CHECK_STREQ(a, b)                                                                    \
	do {                                                                                     \
		const char *a_ = (a), *b_ = (b);                                                     \
		if (strcmp(a_, b_) != 0) {                                                           \
			fprintf(stderr, "%s:%d: %s != %s\n--- got:\n%s\n--- want:\n%s\n---\n", __FILE__, \
			        __LINE__, #a, #b, a_, b_);                                               \
			exit(1);                                                                         \
		}                                                                                    \
	} while (0)

/* Called in the child after a case passes (e.g. to remove scratch dirs). */
static void (*ds_test_cleanup)(void);

static inline int ds_run_tests(const ds_test *t, int n, int argc, char **argv)
{
	int passed = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], t[i].name) != 0)
			continue;
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			alarm(t[i].timeout_s ? t[i].timeout_s : 10);
			t[i].fn();
			if (ds_test_cleanup)
				ds_test_cleanup();
			fflush(NULL);
			_exit(0);
		}
		int st = 0;
		while (waitpid(pid, &st, 0) < 0)
			;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("ok     %s\n", t[i].name);
			passed++;
		} else {
			if (WIFSIGNALED(st))
				printf("FAILED %s (signal %d%s)\n", t[i].name, WTERMSIG(st),
				       WTERMSIG(st) == SIGALRM ? ": timeout" : "");
			else
				printf("FAILED %s (exit %d)\n", t[i].name, WEXITSTATUS(st));
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define DS_RUN_TESTS(tests, argc, argv) \
	ds_run_tests(tests, (int)(sizeof(tests) / sizeof(tests[0])), argc, argv)

#endif
