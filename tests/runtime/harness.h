/* harness.h: running a hand-written program through ds_main in a child
 * process, in a scratch directory, with stdout and stderr captured. */
#ifndef DS_TEST_HARNESS_H
#define DS_TEST_HARNESS_H

#include "runner.h"

#include "dstream/rt.h"

#include <fcntl.h>
#include <sys/stat.h>

typedef struct ds_run {
	pid_t pid;
	char out_path[64], err_path[64];
	int status; /* exit status, or 128 + signal */
	char *out, *err;
} ds_run;

/* Test-side buffers stay reachable from here: the programs forked later
 * inherit the heap, and LeakSanitizer must only see the runtime's leaks. */
static inline char *h_keep(char *p)
{
	static char *kept[1024];
	static size_t n;
	if (n < sizeof kept / sizeof kept[0])
		kept[n++] = p;
	return p;
}

static inline char *h_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	size_t got = fread(p, 1, (size_t)n, f);
	p[got] = 0;
	fclose(f);
	return h_keep(p);
}

static inline void h_write(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	CHECK(f);
	fputs(text, f);
	CHECK(fclose(f) == 0);
}

static char h_dir[64];

static inline void h_rmdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", h_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", h_dir);
}

/* A scratch directory, removed when the case passes (kept to look at when
 * it fails). */
static inline char *h_tmpdir(void)
{
	snprintf(h_dir, sizeof h_dir, "/tmp/dsrt-XXXXXX");
	CHECK(mkdtemp(h_dir));
	ds_test_cleanup = h_rmdir;
	return h_dir;
}

/* Starts prog in dir with args (NULL-terminated); argv[0] is "wc". */
static inline void h_start(ds_run *r, const ds_program *prog, const char *dir, const char *const *args)
{
	snprintf(r->out_path, sizeof r->out_path, "/tmp/dsrt-out-XXXXXX");
	snprintf(r->err_path, sizeof r->err_path, "/tmp/dsrt-err-XXXXXX");
	int fo = mkstemp(r->out_path), fe = mkstemp(r->err_path);
	CHECK(fo >= 0 && fe >= 0);
	fflush(NULL);
	r->pid = fork();
	CHECK(r->pid >= 0);
	if (r->pid == 0) {
		if (chdir(dir) != 0)
			_exit(99);
		dup2(fo, 1);
		dup2(fe, 2);
		for (int fd = 3; fd < 1024; fd++) /* e.g. the test's listening socket */
			close(fd);
		/* progs.c's programs are written by hand, without exchanges: their
		 * keyed tables are right on one worker only (the test's args come
		 * after, and may say otherwise) */
		char *argv[33];
		int n = 0;
		argv[n++] = (char *)"wc";
		argv[n++] = (char *)"--workers=1";
		for (int i = 0; args && args[i] && n < 32; i++)
			argv[n++] = (char *)args[i];
		argv[n] = NULL;
		int st = ds_main(n, argv, prog);
		exit(st); /* not _exit: LeakSanitizer reports into the captured stderr */
	}
	close(fo);
	close(fe);
}

static inline void h_finish(ds_run *r)
{
	int st;
	while (waitpid(r->pid, &st, 0) < 0)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = h_slurp(r->out_path);
	r->err = h_slurp(r->err_path);
	unlink(r->out_path);
	unlink(r->err_path);
	CHECK(r->out && r->err);
}

static inline void h_run(ds_run *r, const ds_program *prog, const char *dir, const char *const *args)
{
	h_start(r, prog, dir, args);
	h_finish(r);
}

/* Sorts the records inside each printed batch (their order is not specified). */
static inline int h_cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline char *h_sorted(const char *out)
{
	static const char dashes[] = "-------------------------------------------";
	size_t n = strlen(out);
	char *copy = strdup(out), *res = malloc(n + 1);
	char **lines = malloc((n + 1) * sizeof *lines);
	size_t nl = 0;
	for (char *p = copy; *p;) {
		char *e = strchr(p, '\n');
		lines[nl++] = p;
		if (!e)
			break;
		*e = 0;
		p = e + 1;
	}
	size_t i = 0;
	while (i < nl) {
		if (i + 2 < nl && strcmp(lines[i], dashes) == 0 && strncmp(lines[i + 1], "Time: ", 6) == 0) {
			size_t j = i + 3;
			while (j < nl && lines[j][0] && strcmp(lines[j], "...") != 0)
				j++;
			qsort(lines + i + 3, j - (i + 3), sizeof *lines, h_cmp_lines);
			i = j;
		} else {
			i++;
		}
	}
	res[0] = 0;
	size_t len = 0;
	for (i = 0; i < nl; i++) {
		size_t k = strlen(lines[i]);
		memcpy(res + len, lines[i], k);
		len += k;
		res[len++] = '\n';
	}
	if (len && out[n - 1] != '\n')
		len--;
	res[len] = 0;
	free(lines);
	free(copy);
	return h_keep(res);
}

static inline int h_count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define H_HEAD(ms) "-------------------------------------------\nTime: " #ms " ms\n-------------------------------------------\n"

#endif
