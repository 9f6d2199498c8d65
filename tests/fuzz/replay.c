/* replay.c: a main() for a fuzz target without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every file named, and on every file of
 * every directory named (a corpus).  What ctest's `fuzz` label runs, in the
 * normal build: the corpus, every crash found and fixed included, replayed
 * in well under a second per target.  Exit status 0 after all of them; a
 * bug aborts (or a sanitizer reports, in a sanitized build). */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int nrun;

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open '%s'\n", path);
		exit(2);
	}
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	for (size_t k; buf && (k = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += k;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	FUZZ_CHECK(buf && !ferror(f));
	fclose(f);
	/* a copy of exactly n bytes, so that a read past the end is one (ASan) */
	uint8_t *copy = malloc(n ? n : 1);
	memcpy(copy, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	nrun++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: no such file or directory: '%s'\n", path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	DIR *d = opendir(path);
	FUZZ_CHECK(d);
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		snprintf(names[n++], len, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name); /* the same order every time */
	for (size_t i = 0; i < n; i++) {
		run_path(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("replay: %d input%s, no crash\n", nrun, nrun == 1 ? "" : "s");
	return 0;
}
