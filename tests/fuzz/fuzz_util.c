/* fuzz_util.c: the helpers of fuzz.h. */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[4096];

void fuzz_remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[8192];
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				fuzz_remove_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void remove_tmpdir_at_exit(void)
{
	if (tmpdir[0])
		fuzz_remove_tree(tmpdir);
}

const char *fuzz_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof tmpdir, "%s/dstream-fuzz-XXXXXX", t && *t ? t : "/tmp");
		FUZZ_CHECK(mkdtemp(tmpdir));
		atexit(remove_tmpdir_at_exit);
	}
	return tmpdir;
}

void fuzz_write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	const char *c = p;
	while (n > 0) {
		ssize_t k = write(fd, c, n);
		FUZZ_CHECK(k > 0);
		c += k;
		n -= (size_t)k;
	}
	FUZZ_CHECK(close(fd) == 0);
}

void fuzz_clear_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[8192];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}
