/* output.c: print, saveAsTextFiles, and foreachRDD / foreachRecord.
 *
 * Stage code hands records over with ds_out_begin/ds_out_end into a
 * per-output buffer; at the end of the batch the scheduler commits the
 * outputs in program order: print writes Spark's block to stdout and
 * flushes it; saveAsTextFiles writes prefix-<ms>[.suffix] atomically (a
 * temporary file in the same directory, fsync, rename, fsync of the
 * directory); saveToKafka's commit (kafka_out.c) sends them and waits for
 * their acknowledgements; saveToPostgres's and saveToRedis's (pg_out.c,
 * redis_out.c) write them in one transaction with the batch's progress
 * mark; a foreach output calls its function with a ds_rdd over the
 * batch's records (their text, NUL-terminated, in buf; their typed fields
 * in fields[]).  With several workers, each worker formats into its own
 * ds__output (ds__worker.out) during the batch; after it, the scheduler
 * thread appends workers 1 .. n-1's records to worker 0's, in worker order
 * (ds__outputs_merge), and commits those.  Owned by the scheduler thread
 * between batches. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

static const char ds__dashes[] = "-------------------------------------------"; /* 43 */

/* An output whose records come with their typed fields. */
static bool ds__typed(const ds_output_desc *d)
{
	return d->kind == DS_OUT_FOREACH || d->kind == DS_OUT_KAFKA || d->kind == DS_OUT_POSTGRES ||
	       d->kind == DS_OUT_REDIS;
}

static bool ds__output_due(const ds_output_desc *d, int64_t t)
{
	return d->slide_ms <= 0 || t % d->slide_ms == 0;
}

ds_buf *ds_out_begin(ds_task *t, int out)
{
	ds__output *o = &t->rt->workers[t->worker].out[out];
	t->records_out++;
	if (o->desc->kind == DS_OUT_PRINT && o->nrecs > o->desc->n)
		return NULL; /* n + 1 kept: enough to know "..." is due */
	if (ds__typed(o->desc)) {
		o->cur = o->buf.len;
		if ((size_t)o->nrecs == o->reccap) {
			o->reccap = o->reccap ? 2 * o->reccap : 64;
			o->recs = ds__xrealloc(o->recs, o->reccap * sizeof *o->recs);
		}
		o->recs[o->nrecs].field0 = o->nfields;
	}
	return &o->buf;
}

int ds_out_full(ds_task *t, int out)
{
	const ds__output *o = &t->rt->workers[t->worker].out[out];
	return o->desc->kind == DS_OUT_PRINT && o->nrecs > o->desc->n;
}

void ds_out_skip(ds_task *t, int64_t n)
{
	if (n > 0)
		t->records_out += (uint64_t)n;
}

void ds_out_end(ds_task *t, int out)
{
	ds__output *o = &t->rt->workers[t->worker].out[out];
	if (ds__typed(o->desc)) {
		o->recs[o->nrecs].off = o->cur;
		o->recs[o->nrecs].len = o->buf.len - o->cur;
		ds_buf_putc(&o->buf, '\0');
	} else {
		ds_buf_putc(&o->buf, '\n');
	}
	o->nrecs++;
}

static ds__field *ds__out_field(ds_task *t, int out)
{
	ds__output *o = &t->rt->workers[t->worker].out[out];
	if (o->nfields == o->fieldcap) {
		o->fieldcap = o->fieldcap ? 2 * o->fieldcap : 128;
		o->fields = ds__xrealloc(o->fields, o->fieldcap * sizeof *o->fields);
	}
	ds__field *f = &o->fields[o->nfields++];
	memset(f, 0, sizeof *f);
	return f;
}

void ds_out_field_int(ds_task *t, int out, int64_t v) { ds__out_field(t, out)->v.i = v; }
void ds_out_field_double(ds_task *t, int out, double v) { ds__out_field(t, out)->v.d = v; }
void ds_out_field_bool(ds_task *t, int out, bool v) { ds__out_field(t, out)->v.b = v; }

void ds_out_field_str(ds_task *t, int out, ds_str v)
{
	ds__output *o = &t->rt->workers[t->worker].out[out];
	ds__field *f = ds__out_field(t, out);
	f->v.off = o->strs.len;
	f->len = (size_t)v.n;
	ds_buf_put(&o->strs, v.p, (size_t)v.n);
	ds_buf_putc(&o->strs, '\0');
}

/* ---- the ds_rdd accessors of foreach functions (rt.h) ---- */

static _Noreturn void ds__rdd_misuse(const char *fn, const char *fmt, long long a, long long b)
{
	char m[200];
	snprintf(m, sizeof m, fmt, a, b);
	ds__msg("dstream", "%s: %s (a bug in the foreachRDD function)", fn, m);
	abort();
}

static const ds__field *ds__rdd_field(const ds_rdd *r, int64_t i, int field, char kind, const char *fn)
{
	if (i < 0 || i >= r->o->nrecs)
		ds__rdd_misuse(fn, "record %lld of %lld", (long long)i, (long long)r->o->nrecs);
	if (field < 0 || field >= r->nfields)
		ds__rdd_misuse(fn, "field %lld of %lld", field, r->nfields);
	if (r->o->desc->fields[field] != kind)
		ds__rdd_misuse(fn, "field %lld is not of this kind (it is '%c')", field, r->o->desc->fields[field]);
	return &r->o->fields[r->o->recs[i].field0 + (size_t)field];
}

int64_t ds_rdd_count(const ds_rdd *rdd) { return rdd->o->nrecs; }
int ds_rdd_fields(const ds_rdd *rdd) { return rdd->nfields; }

ds_field_kind ds_rdd_kind(const ds_rdd *rdd, int field)
{
	if (field < 0 || field >= rdd->nfields)
		ds__rdd_misuse("ds_rdd_kind", "field %lld of %lld", field, rdd->nfields);
	return (ds_field_kind)rdd->o->desc->fields[field];
}

const char *ds_rdd_text(const ds_rdd *rdd, int64_t i, size_t *len)
{
	if (i < 0 || i >= rdd->o->nrecs)
		ds__rdd_misuse("ds_rdd_text", "record %lld of %lld", (long long)i, (long long)rdd->o->nrecs);
	const ds__rec *r = &rdd->o->recs[i];
	if (len)
		*len = r->len;
	return rdd->o->buf.p + r->off;
}

int64_t ds_rdd_int(const ds_rdd *rdd, int64_t i, int field)
{
	return ds__rdd_field(rdd, i, field, DS_FIELD_INT, "ds_rdd_int")->v.i;
}

double ds_rdd_double(const ds_rdd *rdd, int64_t i, int field)
{
	return ds__rdd_field(rdd, i, field, DS_FIELD_DOUBLE, "ds_rdd_double")->v.d;
}

bool ds_rdd_bool(const ds_rdd *rdd, int64_t i, int field)
{
	return ds__rdd_field(rdd, i, field, DS_FIELD_BOOL, "ds_rdd_bool")->v.b;
}

const char *ds_rdd_string(const ds_rdd *rdd, int64_t i, int field, size_t *len)
{
	const ds__field *f = ds__rdd_field(rdd, i, field, DS_FIELD_STRING, "ds_rdd_string");
	if (len)
		*len = f->len;
	return rdd->o->strs.p + f->v.off;
}

static int ds__commit_foreach(ds__output *o, int64_t t)
{
	ds_rdd rdd = {o, (int)strlen(o->desc->fields)};
	o->desc->foreach(t, &rdd);
	return 0;
}

static int ds__commit_print(ds_rt *rt, ds__output *o, int64_t t)
{
	char head[160];
	int hn = snprintf(head, sizeof head, "%s\nTime: %" PRId64 " ms\n%s\n", ds__dashes, t, ds__dashes);
	size_t show = 0; /* bytes of the first n records */
	int64_t k = 0;
	while (k < o->desc->n && show < o->buf.len) {
		const char *nl = memchr(o->buf.p + show, '\n', o->buf.len - show);
		show = (size_t)(nl - o->buf.p) + 1;
		k++;
	}
	fwrite(head, 1, (size_t)hn, stdout);
	if (show)
		fwrite(o->buf.p, 1, show, stdout);
	if (o->nrecs > o->desc->n)
		fputs("...\n", stdout);
	fputc('\n', stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ds__msg(rt->cmd, "print: cannot write to standard output: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Writes data to path so that a reader sees the old file or the whole new
 * one, never a part: a temporary sibling, fsync, rename, fsync the dir.
 * The temporary file is ".NAME.tmp-PID" (NAME path's last component, PID
 * ours) and is locked (flock) while it is written, so that a program
 * starting in the same directory can tell a killed writer's leftover from
 * a file being written (ds__outputs_open). */
int ds__write_atomic(const char *path, const char *data, size_t len)
{
	size_t plen = strlen(path);
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	char *tmp = ds__xmalloc(plen + 48);
	/* A dot name: textFileStream readers skip it. */
	snprintf(tmp, plen + 48, "%.*s%s.%s.tmp-%ld", (int)dlen, path, slash ? "/" : "",
	         slash ? slash + 1 : path, (long)getpid());
	int rc = 0;
	int fd = ds__fopen(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	(void)flock(fd, LOCK_EX); /* released when we close it, or die */
	rc = ds__write_all(fd, data, len);
	if (rc == 0 && ds__ffsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && ds__frename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		goto out;
	}
	char *dir = ds__xmalloc(dlen + 2);
	if (slash)
		snprintf(dir, dlen + 2, "%.*s", (int)(dlen ? dlen : 1), dlen ? path : "/");
	else
		strcpy(dir, ".");
	int dfd = ds__fopen(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd >= 0) {
		ds__ffsync(dfd); /* best effort: the rename itself is already atomic */
		close(dfd);
	}
	free(dir);
out:
	free(tmp);
	return rc;
}

/* A save's directory (malloc'd: "." when prefix has none) and the start
 * of its files' names in prefix. */
static char *ds__save_dir(const char *prefix, const char **base)
{
	const char *slash = strrchr(prefix, '/');
	*base = slash ? slash + 1 : prefix;
	if (!slash)
		return ds__xstrdup(".");
	if (slash == prefix)
		return ds__xstrdup("/");
	size_t n = (size_t)(slash - prefix);
	char *dir = ds__xmalloc(n + 1);
	memcpy(dir, prefix, n);
	dir[n] = 0;
	return dir;
}

static int ds__commit_save(ds_rt *rt, ds__output *o, int64_t t)
{
	const ds_output_desc *d = o->desc;
	char *path = ds__xmalloc(strlen(d->prefix) + (d->suffix ? strlen(d->suffix) : 0) + 32);
	if (d->suffix && d->suffix[0])
		sprintf(path, "%s-%" PRId64 ".%s", d->prefix, t, d->suffix);
	else
		sprintf(path, "%s-%" PRId64, d->prefix, t);
	int rc = ds__write_atomic(path, o->buf.p ? o->buf.p : "", o->buf.len);
	if (rc == -ENOENT) { /* its directory went away since the start: made again */
		const char *base;
		char *dir = ds__save_dir(path, &base);
		int mk = ds__mkdirs(dir);
		if (mk < 0)
			ds__msg(rt->cmd, "%s: saveAsTextFiles: cannot create directory '%s': %s", d->loc, dir,
			        strerror(-mk));
		free(dir);
		if (mk < 0) {
			free(path);
			return mk;
		}
		rc = ds__write_atomic(path, o->buf.p ? o->buf.p : "", o->buf.len);
	}
	if (rc < 0)
		ds__msg(rt->cmd, "%s: saveAsTextFiles: cannot write '%s': %s", d->loc, path, strerror(-rc));
	free(path);
	return rc;
}

/* Whether name is the temporary file of one of the save's files: "." base
 * "-" digits ["." suffix] ".tmp-" digits (ds__write_atomic's name); *pid is
 * its writer's. */
static bool ds__save_tmp(const char *name, const char *base, const char *suffix, long *pid)
{
	size_t bl = strlen(base);
	if (name[0] != '.' || strncmp(name + 1, base, bl) != 0 || name[1 + bl] != '-')
		return false;
	const char *p = name + 2 + bl, *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q == p)
		return false;
	if (suffix && suffix[0]) {
		size_t sl = strlen(suffix);
		if (*q != '.' || strncmp(q + 1, suffix, sl) != 0)
			return false;
		q += 1 + sl;
	}
	if (strncmp(q, ".tmp-", 5) != 0)
		return false;
	p = q += 5;
	long v = 0;
	for (; *q >= '0' && *q <= '9' && v < 1L << 40; q++)
		v = v * 10 + (*q - '0');
	if (q == p || *q)
		return false;
	*pid = v;
	return true;
}

/* Removes, in dir, the temporary files of the save's files that killed
 * runs left: those whose writer is no longer alive (no process has its
 * PID, or it is ours: we have written nothing yet) and that nobody holds
 * locked (a writer of another PID namespace sharing the directory).
 * Returns how many. */
static int ds__save_leftovers(const char *dir, const char *base, const char *suffix)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return 0;
	int dfd = dirfd(dp), n = 0;
	struct dirent *e;
	while ((e = readdir(dp))) {
		long pid;
		if (!ds__save_tmp(e->d_name, base, suffix, &pid))
			continue;
		if (pid != (long)getpid() && pid > 0 && pid <= INT32_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue; /* its writer may be writing it */
		int fd = openat(dfd, e->d_name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dfd, e->d_name, 0) == 0)
			n++;
		close(fd);
	}
	closedir(dp);
	return n;
}

int ds__outputs_open(ds_rt *rt)
{
	for (int i = 0; i < rt->prog->noutputs; i++) {
		const ds_output_desc *d = &rt->prog->outputs[i];
		if (d->kind == DS_OUT_POSTGRES || d->kind == DS_OUT_REDIS) {
			/* connect and check the table or hash before any batch */
			int rc = d->open ? d->open(rt, i) : -ENOSYS;
			if (rc < 0)
				return rc;
			continue;
		}
		if (d->kind != DS_OUT_SAVE)
			continue;
		const char *base;
		char *dir = ds__save_dir(d->prefix, &base);
		int rc = ds__mkdirs(dir);
		if (rc == 0 && access(dir, W_OK | X_OK) != 0)
			rc = -errno;
		if (rc < 0) {
			ds__msg(rt->cmd, "%s: saveAsTextFiles: cannot %s directory '%s': %s", d->loc,
			        rc == -EACCES || rc == -EROFS ? "write in" : "create", dir, strerror(-rc));
			free(dir);
			return rc;
		}
		int n = ds__save_leftovers(dir, base, d->suffix);
		if (n > 0)
			ds__msg(rt->cmd, "%s: saveAsTextFiles: removed %d unfinished file%s that a killed run left in '%s'",
			        d->loc, n, n == 1 ? "" : "s", dir);
		free(dir);
	}
	return 0;
}

/* Appends src's records to dst's, then empties src. */
static void ds__output_append(ds__output *dst, ds__output *src)
{
	const ds_output_desc *d = dst->desc;
	if (ds__typed(d)) {
		size_t base = dst->buf.len, fbase = dst->nfields, sbase = dst->strs.len;
		int nf = d->fields ? (int)strlen(d->fields) : 0;
		ds_buf_put(&dst->buf, src->buf.p, src->buf.len);
		ds_buf_put(&dst->strs, src->strs.p, src->strs.len);
		for (int64_t r = 0; r < src->nrecs; r++) {
			if ((size_t)dst->nrecs == dst->reccap) {
				dst->reccap = dst->reccap ? 2 * dst->reccap : 64;
				dst->recs = ds__xrealloc(dst->recs, dst->reccap * sizeof *dst->recs);
			}
			ds__rec rec = src->recs[r];
			rec.off += base;
			rec.field0 += fbase;
			dst->recs[dst->nrecs++] = rec;
		}
		if (dst->nfields + src->nfields > dst->fieldcap) {
			while (dst->nfields + src->nfields > dst->fieldcap)
				dst->fieldcap = dst->fieldcap ? 2 * dst->fieldcap : 128;
			dst->fields = ds__xrealloc(dst->fields, dst->fieldcap * sizeof *dst->fields);
		}
		for (size_t f = 0; f < src->nfields; f++) {
			ds__field fd = src->fields[f];
			if (nf && d->fields[f % (size_t)nf] == DS_FIELD_STRING)
				fd.v.off += sbase;
			dst->fields[dst->nfields++] = fd;
		}
	} else if (!(d->kind == DS_OUT_PRINT && dst->nrecs > d->n)) {
		/* (a print that holds n + 1 already needs no more) */
		ds_buf_put(&dst->buf, src->buf.p, src->buf.len);
		dst->nrecs += src->nrecs;
	}
	src->buf.len = 0;
	src->nrecs = 0;
	src->nfields = 0;
	src->strs.len = 0;
}

void ds__outputs_merge(ds_rt *rt)
{
	for (int w = 1; w < rt->nworkers; w++)
		for (int i = 0; i < rt->prog->noutputs; i++)
			ds__output_append(&rt->out[i], &rt->workers[w].out[i]);
}

int ds__outputs_commit(ds_rt *rt, int64_t t)
{
	int rc = 0;
	for (int i = 0; i < rt->prog->noutputs; i++) {
		ds__output *o = &rt->out[i];
		if (rc == 0 && ds__output_due(o->desc, t)) {
			if (o->desc->kind == DS_OUT_PRINT)
				rc = ds__commit_print(rt, o, t);
			else if (o->desc->kind == DS_OUT_SAVE)
				rc = ds__commit_save(rt, o, t);
			else if (o->desc->kind == DS_OUT_FOREACH)
				rc = ds__commit_foreach(o, t);
			else if (o->desc->kind == DS_OUT_KAFKA || o->desc->kind == DS_OUT_POSTGRES ||
			         o->desc->kind == DS_OUT_REDIS)
				rc = o->desc->commit ? o->desc->commit(rt, i, t) : -ENOSYS;
		}
		o->buf.len = 0;
		o->nrecs = 0;
		o->nfields = 0;
		o->strs.len = 0;
	}
	return rc;
}
