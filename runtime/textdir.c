/* textdir.c: textFileStream(dir).
 *
 * Each batch reads the files that appeared in dir since the stream
 * started: a rename keeps a file's mtime but sets its ctime, so "new" is
 * ctime > start.  File times come from the kernel's coarse clock while
 * ours is fine-grained, so a file created just before the start can look
 * newer and one created just after can look older: the names present at
 * the start are put in the seen set (they are old whatever their times
 * say), and the ctime test allows DS__CTIME_SLACK_NS of skew.  Names starting with '.' or '_' (files being written,
 * _SUCCESS markers) and non-regular files are skipped.  A file is read
 * whole, once: its name goes into the seen set, the source position a
 * checkpoint stores.  binaryRecordsStream finds its files the same way,
 * through ds__textdir_each.  Owned by the scheduler thread. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#define DS__CTIME_SLACK_NS 20000000L /* 20 ms: a few scheduler ticks */

int ds__textdir_init(ds__textdir *d, const char *dir)
{
	memset(d, 0, sizeof *d);
	clock_gettime(CLOCK_REALTIME, &d->start);
	d->start.tv_nsec -= DS__CTIME_SLACK_NS;
	if (d->start.tv_nsec < 0) {
		d->start.tv_sec--;
		d->start.tv_nsec += 1000000000L;
	}
	DIR *dp = opendir(dir);
	if (!dp)
		return -errno;
	d->dir = ds__xstrdup(dir);
	ds__strset_init(&d->seen);
	struct dirent *e;
	while ((e = readdir(dp)))
		if (e->d_name[0] != '.' && e->d_name[0] != '_')
			ds__strset_add(&d->seen, (ds_str){e->d_name, (int64_t)strlen(e->d_name)});
	closedir(dp);
	return 0;
}

void ds__textdir_close(ds__textdir *d)
{
	if (d->dir)
		ds__strset_close(&d->seen);
	free(d->dir);
	memset(d, 0, sizeof *d);
}

static bool ds__after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static int ds__cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ds__textdir_each(ds__textdir *d, void (*fn)(void *ctx, const char *path), void *ctx)
{
	DIR *dp = opendir(d->dir);
	if (!dp)
		return -errno;
	char **names = NULL;
	size_t n = 0, cap = 0;
	size_t dlen = strlen(d->dir);
	char *path = NULL;
	size_t pathcap = 0;
	struct dirent *e;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.' || e->d_name[0] == '_')
			continue;
		size_t nlen = strlen(e->d_name);
		if (ds__strset_has(&d->seen, (ds_str){e->d_name, (int64_t)nlen}))
			continue;
		if (dlen + nlen + 2 > pathcap) {
			pathcap = dlen + nlen + 64;
			path = ds__xrealloc(path, pathcap);
		}
		snprintf(path, pathcap, "%s/%s", d->dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !ds__after(st.st_ctim, d->start))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = ds__xrealloc(names, cap * sizeof *names);
		}
		names[n++] = ds__xstrdup(e->d_name);
	}
	closedir(dp);
	if (n > 1)
		qsort(names, n, sizeof *names, ds__cmp_names);
	for (size_t i = 0; i < n; i++) {
		size_t nlen = strlen(names[i]);
		if (dlen + nlen + 2 > pathcap) {
			pathcap = dlen + nlen + 64;
			path = ds__xrealloc(path, pathcap);
		}
		snprintf(path, pathcap, "%s/%s", d->dir, names[i]);
		fn(ctx, path);
		ds__strset_add(&d->seen, (ds_str){names[i], (int64_t)nlen});
		free(names[i]);
	}
	free(names);
	free(path);
	return 0;
}

struct ds__text_ctx {
	const char *cmd;
	const ds_source_desc *src;
	size_t max_line;
	ds__blockq *out;
};

static void ds__read_text(void *ctx, const char *path)
{
	struct ds__text_ctx *c = ctx;
	ds__block *b;
	int rc = ds__read_file_block(path, c->max_line, &b);
	if (rc < 0)
		ds__src_msg(c->cmd, c->src, "cannot read '%s': %s", path, strerror(-rc));
	else
		ds__blockq_push(c->out, b);
}

int ds__textdir_scan(ds__textdir *d, const char *cmd, const ds_source_desc *src, size_t max_line,
                     ds__blockq *out)
{
	struct ds__text_ctx c = {cmd, src, max_line, out};
	return ds__textdir_each(d, ds__read_text, &c);
}
