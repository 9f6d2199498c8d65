/* ckpt.c: checkpoints: writing them, choosing one at start, and restoring
 * the program's state from it (Spark's Checkpoint and CheckpointWriter;
 * state matched by operator identity, as Flink's savepoints do).
 *
 * A checkpoint is one file, DIR/checkpoint-<batch time, 16 digits>, that
 * holds everything needed to go on after the batch at that time:
 *   - metadata: the program's name and source, its batch, block and
 *     checkpoint intervals, the batch's time and number, the batches that
 *     were due but had not run when it was written;
 *   - the source positions: a queue's next batch, the files a directory
 *     stream has read (and when it started);
 *   - every part of the state that the program descriptor lists
 *     (ds_program.states), as typed entries under its name: a table's
 *     entries (stored hash, key, value), a window's panes (time, records);
 *   - the counters' totals (counter("name", n)), by name, when the program
 *     has any (a checkpoint without them, from before counters, reads as
 *     none).
 * It is written as SQLite and Spark write what must survive a crash: a
 * temporary file (".checkpoint-<t>.tmp", which nothing reads), a checksum
 * of the whole (zlib's crc32), fsync, an atomic rename, fsync of the
 * directory.  The newest two are kept: when the newest turns out damaged,
 * the one before it is used, so the write-ahead log is only truncated up to
 * the older of the two.
 *
 * Layout, little-endian:
 *   "DSCKPT\r\n" | u32 format (1) | u32 crc32 of the payload | u64 payload bytes | payload
 * and in the payload, strings are u64 length + bytes, values as their
 * layout code says (rt.h, ds_state_desc.layout): I i64, D f64 bits, B u8,
 * S string, L<T> u64 count + elements, O<T> u8 + T when 1, T<n> fields.
 * A reader checks every length against what is left before it uses it:
 * a damaged file is rejected with a reason, never trusted.
 *
 * Everything here runs on the scheduler thread. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DS__CKPT_MAGIC "DSCKPT\r\n"
#define DS__CKPT_FORMAT 1
#define DS__CKPT_HEAD 24 /* magic, format, crc, payload length */
#define DS__CKPT_PREFIX "checkpoint-"
/* The hash functions of rt.h that stored hashes came from; a checkpoint
 * with another one would put keys in slots no probe finds. */
#define DS__HASH_VERSION 1

/* ---- layouts: a type code, and where C puts each part ---------------------- */

typedef enum { L_INT, L_DOUBLE, L_BOOL, L_STR, L_LIST, L_OPTION, L_TUPLE } ds__lkind;

typedef struct ds__lay {
	ds__lkind kind;
	size_t size, align;
	int n;                 /* tuple: fields; list, option: 1 */
	struct ds__lay **sub;  /* the fields, or the element */
	size_t *off;           /* the fields' offsets; option: off[0] is the value's */
} ds__lay;

static size_t ds__round(size_t n, size_t a) { return (n + a - 1) / a * a; }

static void ds__lay_free(ds__lay *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n; i++)
		ds__lay_free(l->sub[i]);
	free(l->sub);
	free(l->off);
	free(l);
}

/* Types nested deeper than this are refused: a layout code comes from the
 * file, and one of a million 'L's would otherwise recurse a million deep
 * (the compiler's types are nowhere near it). */
#define DS__LAY_DEPTH 200

/* Parses one type of the code at *p; NULL on a malformed code. */
static ds__lay *ds__lay_parse_at(const char **p, int depth)
{
	if (depth > DS__LAY_DEPTH)
		return NULL;
	ds__lay *l = ds__xcalloc(1, sizeof *l);
	char c = *(*p)++;
	switch (c) {
	case 'I': l->kind = L_INT; l->size = l->align = 8; return l;
	case 'D': l->kind = L_DOUBLE; l->size = l->align = 8; return l;
	case 'B': l->kind = L_BOOL; l->size = l->align = 1; return l;
	case 'S': l->kind = L_STR; l->size = sizeof(ds_str); l->align = 8; return l;
	case 'L': case 'O': {
		l->kind = c == 'L' ? L_LIST : L_OPTION;
		l->n = 1;
		l->sub = ds__xcalloc(1, sizeof *l->sub);
		l->off = ds__xcalloc(1, sizeof *l->off);
		if (!(l->sub[0] = ds__lay_parse_at(p, depth + 1)))
			break;
		if (c == 'L') {
			l->size = sizeof(ds_list);
			l->align = 8;
		} else { /* struct { bool some; T v; } */
			l->align = l->sub[0]->align;
			l->off[0] = ds__round(1, l->align);
			l->size = ds__round(l->off[0] + l->sub[0]->size, l->align);
		}
		return l;
	}
	case 'T': {
		l->kind = L_TUPLE;
		char *end;
		long n = strtol(*p, &end, 10);
		if (end == *p || n < 1 || n > 64)
			break;
		*p = end;
		l->n = (int)n;
		l->sub = ds__xcalloc((size_t)n, sizeof *l->sub);
		l->off = ds__xcalloc((size_t)n, sizeof *l->off);
		size_t at = 0;
		l->align = 1;
		for (int i = 0; i < l->n; i++) {
			if (!(l->sub[i] = ds__lay_parse_at(p, depth + 1)))
				goto bad;
			at = ds__round(at, l->sub[i]->align);
			l->off[i] = at;
			at += l->sub[i]->size;
			if (l->sub[i]->align > l->align)
				l->align = l->sub[i]->align;
		}
		l->size = ds__round(at, l->align);
		return l;
	}
	default:
		break;
	}
bad:
	ds__lay_free(l);
	return NULL;
}

static ds__lay *ds__lay_parse(const char **p)
{
	return ds__lay_parse_at(p, 0);
}

/* The layout of a descriptor's code; a code that does not parse, or that
 * disagrees with the engine's size, is a compiler bug.  A table's esize is
 * its slot's: the hash, then the entry, padded to 8 bytes. */
static ds__lay *ds__lay_of(const ds_state_desc *d)
{
	const char *p = d->layout;
	ds__lay *l = ds__lay_parse(&p);
	size_t size = !l ? 0 : d->kind == DS_STATE_TABLE ? DS_TABLE_HDR + (l->size + 7) / 8 * 8 : l->size;
	if (!l || *p || size != d->esize) {
		fprintf(stderr, "dstream: internal error: state '%s': layout '%s' is %zu bytes, the engine's %zu\n",
		        d->name, d->layout, size, d->esize);
		abort();
	}
	return l;
}

/* ---- writing ---------------------------------------------------------------- */

static void ds__put_u8(ds_buf *b, uint8_t v) { ds_buf_putc(b, (char)v); }
static void ds__put_u32(ds_buf *b, uint32_t v)
{
	unsigned char x[4];
	ds__put32(x, v);
	ds_buf_put(b, x, 4);
}
static void ds__put_u64(ds_buf *b, uint64_t v)
{
	unsigned char x[8];
	ds__put64(x, v);
	ds_buf_put(b, x, 8);
}
static void ds__put_bytes(ds_buf *b, const char *p, size_t n)
{
	ds__put_u64(b, n);
	ds_buf_put(b, p, n);
}
static void ds__put_str(ds_buf *b, const char *s) { ds__put_bytes(b, s ? s : "", s ? strlen(s) : 0); }

static void ds__put_val(ds_buf *b, const ds__lay *l, const char *v)
{
	switch (l->kind) {
	case L_INT: case L_DOUBLE: {
		uint64_t u;
		memcpy(&u, v, 8);
		ds__put_u64(b, u);
		break;
	}
	case L_BOOL: ds__put_u8(b, *(const bool *)v); break;
	case L_STR: {
		ds_str s;
		memcpy(&s, v, sizeof s);
		ds__put_bytes(b, s.p, (size_t)s.n);
		break;
	}
	case L_LIST: {
		ds_list x;
		memcpy(&x, v, sizeof x);
		ds__put_u64(b, (uint64_t)x.len);
		for (int64_t i = 0; i < x.len; i++)
			ds__put_val(b, l->sub[0], (const char *)x.data + (size_t)i * l->sub[0]->size);
		break;
	}
	case L_OPTION: {
		bool some = *(const bool *)v;
		ds__put_u8(b, some);
		if (some)
			ds__put_val(b, l->sub[0], v + l->off[0]);
		break;
	}
	case L_TUPLE:
		for (int i = 0; i < l->n; i++)
			ds__put_val(b, l->sub[i], v + l->off[i]);
		break;
	}
}

/* The hash generated code gives a value of layout l (compiler/emit_c.c's
 * hash_ functions), for the worker that owns it. */
static uint64_t ds__lay_hash(const ds__lay *l, const char *v)
{
	switch (l->kind) {
	case L_INT: case L_BOOL: {
		int64_t i = 0;
		if (l->kind == L_BOOL)
			i = *(const bool *)v;
		else
			memcpy(&i, v, 8);
		return ds_hash_i64(i);
	}
	case L_DOUBLE: {
		double d;
		memcpy(&d, v, 8);
		return ds_hash_f64(d);
	}
	case L_STR: {
		ds_str s;
		memcpy(&s, v, sizeof s);
		return ds_hash_str(s);
	}
	case L_LIST: {
		ds_list x;
		memcpy(&x, v, sizeof x);
		uint64_t h = ds_hash_i64(x.len);
		for (int64_t i = 0; i < x.len; i++)
			h = ds_hash_combine(h, ds__lay_hash(l->sub[0], (const char *)x.data + (size_t)i * l->sub[0]->size));
		return h;
	}
	case L_OPTION:
		return *(const bool *)v ? ds_hash_combine(1, ds__lay_hash(l->sub[0], v + l->off[0])) : ds_hash_i64(0);
	case L_TUPLE: {
		uint64_t h = 0;
		for (int i = 0; i < l->n; i++)
			h = ds_hash_combine(h, ds__lay_hash(l->sub[i], v + l->off[i]));
		return h;
	}
	}
	return 0;
}

/* The worker that holds record v (of layout l) of a state split as d->dist says. */
static int ds__record_owner(const ds_state_desc *d, const ds__lay *l, const char *v, int nworkers)
{
	switch (d->dist) {
	case 'P':
		return ds_owner(ds__lay_hash(l->kind == L_TUPLE ? l->sub[0] : l, l->kind == L_TUPLE ? v + l->off[0] : v),
		                nworkers);
	case 'G':
		return 0;
	default:
		return -1; /* anyone's */
	}
}

/* One state as the union of every worker's slice of it. */
static void ds__put_state(ds_buf *b, const ds_state_desc *d, ds_rt *rt)
{
	ds__lay *l = ds__lay_of(d);
	ds__put_str(b, d->name);
	ds__put_str(b, d->op);
	ds__put_str(b, d->loc);
	ds__put_str(b, d->type);
	ds__put_str(b, d->layout);
	ds__put_u32(b, (uint32_t)d->kind);
	int nw = rt->nworkers;
	if (d->kind == DS_STATE_TABLE) {
		uint64_t count = 0;
		for (int k = 0; k < nw; k++)
			count += ((const ds_table *)((char *)rt->workers[k].state + d->offset))->count;
		ds__put_u64(b, count);
		for (int k = 0; k < nw; k++) {
			const ds_table *t = (const ds_table *)((char *)rt->workers[k].state + d->offset);
			for (size_t i = 0; i < t->cap; i++) {
				if (!ds_table_hash(t, i))
					continue;
				ds__put_u64(b, ds_table_hash(t, i));
				ds__put_val(b, l, ds_table_entry(t, i));
			}
		}
	} else {
		/* every worker's window holds panes of the same batch times */
		ds_window *w0 = (ds_window *)((char *)rt->workers[0].state + d->offset);
		uint32_t n = 0;
		for (int i = 0; i < w0->n; i++)
			n += ds_window_pane(w0, i)->time != INT64_MIN;
		ds__put_u32(b, n);
		for (int i = 0; i < w0->n; i++) { /* oldest first */
			const ds_pane *p0 = ds_window_pane(w0, i);
			if (p0->time == INT64_MIN)
				continue;
			ds__put_u64(b, (uint64_t)p0->time);
			uint64_t recs = 0;
			for (int k = 0; k < nw; k++)
				recs += (uint64_t)ds_window_pane((ds_window *)((char *)rt->workers[k].state + d->offset), i)->recs.len;
			ds__put_u64(b, recs);
			for (int k = 0; k < nw; k++) {
				const ds_pane *p = ds_window_pane((ds_window *)((char *)rt->workers[k].state + d->offset), i);
				for (int64_t r = 0; r < p->recs.len; r++)
					ds__put_val(b, l, (const char *)p->recs.data + (size_t)r * d->esize);
			}
		}
	}
	ds__lay_free(l);
}

/* What a source is, whatever its index: its kind and, as the program
 * names it (not as --source-path replaces it), its path, address or C
 * function.  A restart matches positions by it, so that adding a source
 * does not hand one source's position to another. */
static void ds__source_id(char *buf, size_t n, const ds_source_desc *d)
{
	if (d->kind == DS_SRC_SOCKET)
		snprintf(buf, n, "%s:%d", d->host ? d->host : "", d->port);
	else if (d->kind == DS_SRC_RECEIVER)
		snprintf(buf, n, "%s", d->fn ? d->fn : "");
	else if (d->kind == DS_SRC_KAFKA)
		snprintf(buf, n, "%s", d->topic ? d->topic : "");
	else
		snprintf(buf, n, "%s", d->path ? d->path : "");
}

static void ds__put_sources(ds_buf *b, ds_rt *rt)
{
	ds__put_u32(b, (uint32_t)rt->prog->nsources);
	for (int i = 0; i < rt->prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		char id[1024];
		ds__source_id(id, sizeof id, &rt->prog->sources[i]);
		ds__put_u32(b, (uint32_t)rt->prog->sources[i].kind);
		ds__put_str(b, id);
		switch (s->desc->kind) {
		case DS_SRC_QUEUE: ds__put_u64(b, (uint64_t)s->queue.pos); break;
		case DS_SRC_BINQUEUE: ds__put_u64(b, (uint64_t)s->bin.pos); break;
		case DS_SRC_TEXTDIR: case DS_SRC_BINDIR: {
			const ds_table *t = &s->dir.seen.t;
			ds__put_u64(b, (uint64_t)s->dir.start.tv_sec);
			ds__put_u64(b, (uint64_t)s->dir.start.tv_nsec);
			ds__put_u64(b, t->count);
			for (size_t j = 0; j < t->cap; j++)
				if (ds_table_hash(t, j)) {
					const ds_str *k = ds_table_entry(t, j);
					ds__put_bytes(b, k->p, (size_t)k->n);
				}
			break;
		}
		case DS_SRC_KAFKA: /* u32 partitions, then the next offset of each */
			if (s->kafka)
				s->desc->ops->save(rt, i, b);
			else
				ds__put_u32(b, 0);
			break;
		default:
			break; /* receivers: their position is the write-ahead log */
		}
	}
}

static char *ds__ckpt_path(const char *dir, int64_t t, bool tmp)
{
	size_t n = strlen(dir) + 64;
	char *p = ds__xmalloc(n);
	snprintf(p, n, "%s/%s%s%016" PRId64 "%s", dir, tmp ? "." : "", DS__CKPT_PREFIX, t, tmp ? ".tmp" : "");
	return p;
}

static int ds__fsync_dir(const char *dir)
{
	int fd = ds__fopen(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = ds__ffsync(fd) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

/* The checkpoint times in dir, newest first (*n of them; malloc'd). */
static int64_t *ds__ckpt_list(const char *dir, int *n)
{
	*n = 0;
	DIR *dp = opendir(dir);
	if (!dp)
		return NULL;
	int64_t *v = NULL;
	int cap = 0;
	struct dirent *e;
	size_t plen = strlen(DS__CKPT_PREFIX);
	while ((e = readdir(dp))) {
		if (strncmp(e->d_name, DS__CKPT_PREFIX, plen) != 0)
			continue;
		char *end;
		long long t = strtoll(e->d_name + plen, &end, 10);
		if (*end || end == e->d_name + plen)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			v = ds__xrealloc(v, (size_t)cap * sizeof *v);
		}
		v[(*n)++] = t;
	}
	closedir(dp);
	for (int i = 1; i < *n; i++) /* few: insertion sort, newest first */
		for (int j = i; j > 0 && v[j] > v[j - 1]; j--) {
			int64_t x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return v;
}

/* Builds the checkpoint of the batch at t (number seq) in ck->buf and
 * writes it: temp file, fsync, rename, fsync of the directory.  0, or
 * -errno with no temporary file left.  Touches nothing but ck->buf and the
 * files, so that a forked child can run it on its copy of the state. */
static int ds__ckpt_build_write(ds_rt *rt, int64_t t, int64_t seq)
{
	const ds_program *p = rt->prog;
	ds__ckpt *ck = &rt->ck;
	ds_buf *b = &ck->buf;
	b->len = 0;
	ds_buf_put(b, DS__CKPT_MAGIC, 8);
	ds__put_u32(b, DS__CKPT_FORMAT);
	ds__put_u32(b, 0);  /* crc, below */
	ds__put_u64(b, 0);  /* payload bytes, below */
	ds__put_str(b, p->name);
	ds__put_str(b, p->source);
	ds__put_u64(b, (uint64_t)p->batch_ms);
	ds__put_u64(b, (uint64_t)p->block_ms);
	ds__put_u64(b, (uint64_t)p->checkpoint_ms);
	ds__put_u64(b, (uint64_t)t);
	ds__put_u64(b, (uint64_t)seq);
	ds__put_u64(b, (uint64_t)ds__now_ms());
	ds__put_u32(b, DS__HASH_VERSION);
	/* the batches due but not run: on the real clock, those whose time has
	 * come while this one ran (they run again after a recovery) */
	int64_t now = ds__now_ms(), due = 0;
	if (!rt->manual && now > t)
		due = (now - t) / p->batch_ms;
	if (due > 1000)
		due = 1000;
	ds__put_u32(b, (uint32_t)due);
	for (int64_t i = 1; i <= due; i++)
		ds__put_u64(b, (uint64_t)(t + i * p->batch_ms));
	ds__put_sources(b, rt);
	ds__put_u32(b, (uint32_t)p->nstates);
	for (int i = 0; i < p->nstates; i++)
		ds__put_state(b, &p->states[i], rt);
	if (p->ncounters > 0) { /* u32 count, then (name, u64 total) each */
		ds__put_u32(b, (uint32_t)p->ncounters);
		for (int k = 0; k < p->ncounters; k++) {
			ds__put_str(b, p->counters[k]);
			ds__put_u64(b, (uint64_t)rt->counter_totals[k]);
		}
	}
	size_t plen = b->len - DS__CKPT_HEAD;
	uint32_t crc = ds__crc32(0, b->p + DS__CKPT_HEAD, plen);
	ds__put32((unsigned char *)b->p + 12, crc);
	ds__put64((unsigned char *)b->p + 16, (uint64_t)plen);

	char *tmp = ds__ckpt_path(ck->dir, t, true), *path = ds__ckpt_path(ck->dir, t, false);
	int rc = 0;
	int fd = ds__fopen(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		rc = -errno;
	if (rc == 0)
		rc = ds__write_all(fd, b->p, b->len);
	if (rc == 0 && ds__ffsync(fd) != 0)
		rc = -errno;
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && ds__frename(tmp, path) != 0)
		rc = -errno;
	if (rc == 0)
		rc = ds__fsync_dir(ck->dir);
	if (rc < 0)
		unlink(tmp); /* no half-written file stays behind */
	free(tmp);
	free(path);
	/* a buffer as big as a 1M-key state is not kept between checkpoints */
	if (b->cap > ((size_t)64 << 20))
		ds__buf_close(b);
	return rc;
}

/* What the scheduler learns when the checkpoint of t was written (rc 0)
 * or not: failures are said once, and a success after them; after a
 * success only the newest two are kept, and covered says what the older
 * one covers (what the logs may drop). */
static int ds__ckpt_finish(ds_rt *rt, int64_t t, int rc)
{
	ds__ckpt *ck = &rt->ck;
	char *path = ds__ckpt_path(ck->dir, t, false);
	if (rc < 0) {
		if (!ck->failing)
			ds__msg(rt->cmd, "checkpoint: cannot write '%s': %s; processing goes on, and the "
			        "checkpoint is tried again after every batch", path, strerror(-rc));
		ck->failing = true;
		free(path);
		return rc;
	}
	if (ck->failing)
		ds__msg(rt->cmd, "checkpoint: written again ('%s')", path);
	ck->failing = false;
	ck->written++;
	int n;
	int64_t *v = ds__ckpt_list(ck->dir, &n);
	for (int i = 2; i < n; i++) {
		char *old = ds__ckpt_path(ck->dir, v[i], false);
		unlink(old);
		free(old);
	}
	ck->covered = n >= 2 ? v[1] : INT64_MIN;
	free(v);
	free(path);
	return 0;
}

int ds__ckpt_poll(ds_rt *rt, bool block)
{
	ds__ckpt *ck = &rt->ck;
	if (ck->child <= 0)
		return 0;
	int st;
	pid_t r;
	while ((r = waitpid(ck->child, &st, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return 0; /* still writing */
	int rc = r < 0 ? -errno : WIFEXITED(st) ? -WEXITSTATUS(st) : -EINTR;
	if (rc < 0) /* a writer that died leaves its temporary file */
		unlink(ck->child_tmp);
	ck->child = 0;
	free(ck->child_tmp);
	ck->child_tmp = NULL;
	return ds__ckpt_finish(rt, ck->child_t, rc) == 0 ? 1 : -1;
}

int ds__ckpt_write(ds_rt *rt, int64_t t, int64_t seq, bool background)
{
	ds__ckpt *ck = &rt->ck;
	ds__ckpt_poll(rt, true); /* one writer at a time, in order */
	if (background) {
		/* The child writes from its copy-on-write image of the state while
		 * the batches go on (Redis's BGSAVE): the batch thread pays for
		 * the fork, not for serialising and syncing.  Only this thread
		 * runs in the child, which touches no lock the receivers take. */
		pid_t parent = getpid();
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed program takes its writer along */
			if (getppid() != parent)
				_exit(EINTR);
			int rc = ds__ckpt_build_write(rt, t, seq);
			_exit(rc < 0 && -rc < 256 ? -rc : rc < 0 ? EIO : 0);
		}
		if (pid > 0) {
			ck->child = pid;
			ck->child_t = t;
			ck->child_tmp = ds__ckpt_path(ck->dir, t, true);
			return 1;
		}
		/* no fork (out of processes or memory): write it here */
	}
	return ds__ckpt_finish(rt, t, ds__ckpt_build_write(rt, t, seq));
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct ds__rd {
	const char *p, *end;
	const char *why; /* the first problem found, or NULL */
} ds__rd;

static bool ds__rd_need(ds__rd *r, uint64_t n, const char *what)
{
	if (r->why)
		return false;
	if ((uint64_t)(r->end - r->p) < n) {
		r->why = what;
		return false;
	}
	return true;
}
static uint64_t ds__get_u64(ds__rd *r)
{
	if (!ds__rd_need(r, 8, "truncated"))
		return 0;
	uint64_t v = ds__get64((const unsigned char *)r->p);
	r->p += 8;
	return v;
}
static uint32_t ds__get_u32(ds__rd *r)
{
	if (!ds__rd_need(r, 4, "truncated"))
		return 0;
	uint32_t v = ds__get32((const unsigned char *)r->p);
	r->p += 4;
	return v;
}
static uint8_t ds__get_u8(ds__rd *r)
{
	if (!ds__rd_need(r, 1, "truncated"))
		return 0;
	return (uint8_t)*r->p++;
}
/* Bytes in place (not NUL-terminated). */
static ds_str ds__get_bytes(ds__rd *r)
{
	uint64_t n = ds__get_u64(r);
	if (!ds__rd_need(r, n, "a length runs past the end"))
		return (ds_str){"", 0};
	ds_str s = {r->p, (int64_t)n};
	r->p += n;
	return s;
}
/* A NUL-terminated copy, in a. */
static const char *ds__get_cstr(ds__rd *r, ds_arena *a)
{
	return ds_str_cstr(a, ds__get_bytes(r));
}

/* Reads a value of layout l into v; its strings and lists go into a. */
static void ds__get_val(ds__rd *r, const ds__lay *l, char *v, ds_arena *a)
{
	switch (l->kind) {
	case L_INT: case L_DOUBLE: {
		uint64_t u = ds__get_u64(r);
		memcpy(v, &u, 8);
		break;
	}
	case L_BOOL: {
		uint8_t x = ds__get_u8(r);
		if (x > 1 && !r->why)
			r->why = "a Boolean is neither 0 nor 1";
		*(bool *)v = x == 1;
		break;
	}
	case L_STR: {
		ds_str s = ds_str_copy(a, ds__get_bytes(r));
		memcpy(v, &s, sizeof s);
		break;
	}
	case L_LIST: {
		uint64_t n = ds__get_u64(r);
		ds_list x = {NULL, 0};
		/* each element takes at least one byte: a count past the end is damage */
		if (n && ds__rd_need(r, n, "a list's count runs past the end")) {
			size_t cap = 1;
			while (cap < n)
				cap *= 2; /* ds_list_push's implicit capacity */
			x.data = ds_arena_alloc(a, cap * l->sub[0]->size);
			for (uint64_t i = 0; i < n && !r->why; i++)
				ds__get_val(r, l->sub[0], (char *)x.data + i * l->sub[0]->size, a);
			x.len = (int64_t)n;
		}
		memcpy(v, &x, sizeof x);
		break;
	}
	case L_OPTION: {
		memset(v, 0, l->size);
		uint8_t some = ds__get_u8(r);
		if (some > 1 && !r->why)
			r->why = "an Option is neither 0 nor 1";
		*(bool *)v = some == 1;
		if (some == 1)
			ds__get_val(r, l->sub[0], v + l->off[0], a);
		break;
	}
	case L_TUPLE:
		memset(v, 0, l->size);
		for (int i = 0; i < l->n; i++)
			ds__get_val(r, l->sub[i], v + l->off[i], a);
		break;
	}
}

/* A checkpoint's header and metadata, read and checked. */
typedef struct ds__ck_meta {
	const char *name, *source;
	int64_t batch_ms, block_ms, checkpoint_ms, time, seq, written_ms;
	uint32_t hash_version;
	uint32_t ndue;
} ds__ck_meta;

/* Reads path and checks its frame: magic, format, length, checksum.  On
 * success *data (of *len bytes, malloc'd) is the whole file. */
static const char *ds__ckpt_open_file(const char *path, char **data, size_t *len)
{
	int fd = ds__fopen(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return strerror(errno);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return strerror(errno);
	}
	size_t n = (size_t)st.st_size;
	char *p = n ? ds__xmalloc(n) : NULL;
	ssize_t got = n ? ds__read_full(fd, p, n, 0) : 0;
	close(fd);
	if (got < 0 || (size_t)got != n) {
		free(p);
		return "cannot be read";
	}
	const char *why = NULL;
	if (n < DS__CKPT_HEAD || memcmp(p, DS__CKPT_MAGIC, 8) != 0)
		why = "not a dstream checkpoint (bad magic)";
	else {
		ds__rd r = {p + 8, p + n, NULL};
		uint32_t format = ds__get_u32(&r), crc = ds__get_u32(&r);
		uint64_t plen = ds__get_u64(&r);
		if (format != DS__CKPT_FORMAT)
			why = "written in an unknown format";
		else if (plen != n - DS__CKPT_HEAD)
			why = "truncated (its length does not match)";
		else {
			uint32_t c = ds__crc32(0, p + DS__CKPT_HEAD, plen);
			if (c != crc)
				why = "corrupt (checksum mismatch)";
		}
	}
	if (why) {
		free(p);
		return why;
	}
	*data = p;
	*len = n;
	return NULL;
}

static void ds__get_meta(ds__rd *r, ds__ck_meta *m, ds_arena *a)
{
	m->name = ds__get_cstr(r, a);
	m->source = ds__get_cstr(r, a);
	m->batch_ms = (int64_t)ds__get_u64(r);
	m->block_ms = (int64_t)ds__get_u64(r);
	m->checkpoint_ms = (int64_t)ds__get_u64(r);
	m->time = (int64_t)ds__get_u64(r);
	m->seq = (int64_t)ds__get_u64(r);
	m->written_ms = (int64_t)ds__get_u64(r);
	m->hash_version = ds__get_u32(r);
	m->ndue = ds__get_u32(r);
	if (ds__rd_need(r, (uint64_t)m->ndue * 8, "the due batches run past the end"))
		r->p += (size_t)m->ndue * 8;
}

/* Applies the source positions at r to rt's sources (opened as the
 * program names them), matching each stored source to the first source of
 * this program of the same kind and identity not matched yet; sets
 * map[stored index] to its index here, or -1 (a source the program no
 * longer has: its position is dropped).  A source of this program that the
 * checkpoint does not know starts afresh. */
static void ds__get_sources(ds__rd *r, ds_rt *rt, int **map, int *nmap)
{
	int ns = rt->prog->nsources;
	uint32_t n = ds__get_u32(r);
	if (!ds__rd_need(r, (uint64_t)n * 12, "the source count runs past the end"))
		return;
	bool *taken = ds__xcalloc((size_t)ns + 1, sizeof *taken);
	*map = ds__xcalloc((size_t)n + 1, sizeof **map);
	*nmap = (int)n;
	for (uint32_t i = 0; i < n && !r->why; i++) {
		uint32_t kind = ds__get_u32(r);
		ds_str id = ds__get_bytes(r);
		if (r->why)
			break;
		int at = -1;
		for (int j = 0; j < ns && at < 0; j++) {
			char mine[1024];
			ds__source_id(mine, sizeof mine, &rt->prog->sources[j]);
			if (!taken[j] && (uint32_t)rt->prog->sources[j].kind == kind &&
			    ds_str_eq(id, (ds_str){mine, (int64_t)strlen(mine)}))
				at = j;
		}
		(*map)[i] = at;
		if (at >= 0)
			taken[at] = true;
		ds__source *s = at >= 0 ? &rt->src[at] : NULL;
		switch (kind) {
		case DS_SRC_QUEUE: case DS_SRC_BINQUEUE: {
			int64_t pos = (int64_t)ds__get_u64(r);
			if (!s)
				break;
			int64_t max = kind == DS_SRC_QUEUE ? s->queue.nbatches : s->bin.nbatches;
			pos = pos < 0 ? 0 : pos > max ? max : pos;
			if (kind == DS_SRC_QUEUE)
				s->queue.pos = pos;
			else
				s->bin.pos = pos;
			break;
		}
		case DS_SRC_TEXTDIR: case DS_SRC_BINDIR: {
			int64_t sec = (int64_t)ds__get_u64(r), nsec = (int64_t)ds__get_u64(r);
			uint64_t names = ds__get_u64(r);
			if (r->why)
				break;
			if (s) {
				/* the files that came while we were down are new: the
				 * stream goes on from when it first started, with the
				 * names it had read then (not those there now) */
				s->dir.start.tv_sec = (time_t)sec;
				s->dir.start.tv_nsec = (long)nsec;
				ds__strset_close(&s->dir.seen);
				ds__strset_init(&s->dir.seen);
			}
			for (uint64_t j = 0; j < names && !r->why; j++) {
				ds_str k = ds__get_bytes(r);
				if (!r->why && s)
					ds__strset_add(&s->dir.seen, k);
			}
			break;
		}
		case DS_SRC_KAFKA: {
			uint32_t np = ds__get_u32(r);
			if (!ds__rd_need(r, (uint64_t)np * 8, "a Kafka position runs past the end"))
				break;
			int64_t *next = ds__xcalloc(np ? np : 1, sizeof *next);
			for (uint32_t j = 0; j < np; j++)
				next[j] = (int64_t)ds__get_u64(r);
			if (s && s->kafka)
				s->desc->ops->restore(rt, at, next, (int)np);
			free(next);
			break;
		}
		case DS_SRC_SOCKET: case DS_SRC_RECEIVER: case DS_SRC_TEXTFILE: case DS_SRC_BINFILE:
			break; /* receivers: their position is the write-ahead log */
		default:
			r->why = "a source of an unknown kind";
		}
	}
	free(taken);
}

/* One state as stored: where its data starts and ends in the file. */
typedef struct ds__ck_state {
	const char *name, *op, *loc, *type, *layout;
	uint32_t kind;
	const char *data; /* its entries or panes, not yet read */
	int match;        /* the program's state of the same name, or -1 */
} ds__ck_state;

/* Skips the data of a state of layout code `layout` (checking it). */
static void ds__skip_state(ds__rd *r, uint32_t kind, const char *layout, ds_arena *scratch)
{
	const char *lp = layout;
	ds__lay *l = ds__lay_parse(&lp);
	if (!l || *lp) {
		r->why = "a state's layout code is malformed";
		ds__lay_free(l);
		return;
	}
	char *v = ds__xmalloc(l->size);
	if (kind == DS_STATE_TABLE) {
		uint64_t n = ds__get_u64(r);
		for (uint64_t i = 0; i < n && !r->why; i++) {
			/* as ds__get_table will read it: what it refuses, refused here */
			if (!(ds__get_u64(r) & DS_HASH_USED) && !r->why)
				r->why = "a stored hash is not one";
			ds__get_val(r, l, v, scratch);
			if ((i & 4095) == 0)
				ds_arena_reset(scratch);
		}
	} else if (kind == DS_STATE_WINDOW) {
		uint32_t panes = ds__get_u32(r);
		for (uint32_t i = 0; i < panes && !r->why; i++) {
			ds__get_u64(r);
			uint64_t n = ds__get_u64(r);
			for (uint64_t j = 0; j < n && !r->why; j++)
				ds__get_val(r, l, v, scratch);
			ds_arena_reset(scratch);
		}
	} else {
		r->why = "a state of an unknown kind";
	}
	ds_arena_reset(scratch);
	free(v);
	ds__lay_free(l);
}

/* A table's entries, each to the worker that owns its key (its stored
 * hash), whatever the number of workers that wrote the checkpoint. */
static void ds__get_table(ds__rd *r, const ds_state_desc *d, ds_rt *rt)
{
	int nw = rt->nworkers;
	ds__lay *l = ds__lay_of(d);
	/* the checkpoint's state replaces what init put there (an initial
	 * state's Dataset) */
	for (int k = 0; k < nw; k++) {
		ds_table_clear((ds_table *)((char *)rt->workers[k].state + d->offset));
		ds_arena_reset((ds_arena *)((char *)rt->workers[k].state + d->arena_offset));
	}
	uint64_t n = ds__get_u64(r);
	/* each entry takes at least its hash: a count past the end is damage */
	if (ds__rd_need(r, n * 8, "a table's count runs past the end"))
		for (int k = 0; k < nw; k++) {
			ds_table *t = (ds_table *)((char *)rt->workers[k].state + d->offset);
			while (n / (uint64_t)nw > t->cap / 4 * 3 && !r->why)
				ds_table_grow(t);
		}
	for (uint64_t i = 0; i < n && !r->why; i++) {
		uint64_t h = ds__get_u64(r);
		if (!(h & DS_HASH_USED)) {
			if (!r->why)
				r->why = "a stored hash is not one";
			break;
		}
		int k = d->dist == 'G' ? 0 : ds_owner(h, nw);
		ds_table *t = (ds_table *)((char *)rt->workers[k].state + d->offset);
		ds_arena *a = (ds_arena *)((char *)rt->workers[k].state + d->arena_offset);
		if (ds_table_full(t))
			ds_table_grow(t);
		size_t mask = t->cap - 1, j = h & mask;
		while (ds_table_hash(t, j))
			j = (j + 1) & mask;
		ds__get_val(r, l, ds_table_entry(t, j), a);
		ds_table_set_hash(t, j, h);
		t->count++;
	}
	ds__lay_free(l);
}

/* A window's panes: each record to the worker that owns its key (or, in a
 * window of records no key owns, to the workers in turn). */
static void ds__get_window(ds__rd *r, const ds_state_desc *d, ds_rt *rt)
{
	int nw = rt->nworkers;
	ds__lay *l = ds__lay_of(d);
	uint32_t panes = ds__get_u32(r);
	ds_arena scratch;
	ds_arena_init(&scratch);
	char *v = ds__xmalloc(l->size);
	int turn = 0;
	/* oldest first; a window that is shorter now keeps the newest w->n */
	for (uint32_t i = 0; i < panes && !r->why; i++) {
		int64_t time = (int64_t)ds__get_u64(r);
		uint64_t n = ds__get_u64(r);
		ds_window *w0 = (ds_window *)((char *)rt->workers[0].state + d->offset);
		bool keep = panes - i <= (uint32_t)w0->n;
		if (keep)
			for (int k = 0; k < nw; k++)
				ds_window_begin_batch((ds_window *)((char *)rt->workers[k].state + d->offset), time);
		for (uint64_t j = 0; j < n && !r->why; j++) {
			if (!keep) {
				ds__get_val(r, l, v, &scratch);
				continue;
			}
			/* read it once to learn its owner, then again into its pane */
			const char *at = r->p;
			ds__get_val(r, l, v, &scratch);
			int k = ds__record_owner(d, l, v, nw);
			if (k < 0)
				k = turn++ % nw;
			r->p = at;
			ds_window *w = (ds_window *)((char *)rt->workers[k].state + d->offset);
			ds_pane *p = &w->panes[w->cur];
			ds__get_val(r, l, ds_pane_push(p, d->esize), &p->arena);
		}
		ds_arena_reset(&scratch);
	}
	free(v);
	ds_arena_close(&scratch);
	ds__lay_free(l);
}

static void ds__ck_states(ds__rd *r, ds__ck_state **out, uint32_t *nout, ds_arena *a, ds_arena *scratch)
{
	uint32_t n = ds__get_u32(r);
	if (!ds__rd_need(r, (uint64_t)n * 4, "the state count runs past the end"))
		return;
	ds__ck_state *v = ds__xcalloc(n ? n : 1, sizeof *v);
	for (uint32_t i = 0; i < n && !r->why; i++) {
		v[i].name = ds__get_cstr(r, a);
		v[i].op = ds__get_cstr(r, a);
		v[i].loc = ds__get_cstr(r, a);
		v[i].type = ds__get_cstr(r, a);
		v[i].layout = ds__get_cstr(r, a);
		v[i].kind = ds__get_u32(r);
		v[i].data = r->p;
		v[i].match = -1;
		if (!r->why)
			ds__skip_state(r, v[i].kind, v[i].layout, scratch);
	}
	*out = v;
	*nout = n;
}

/* After the states: the counters' totals, if any, restored by name into
 * totals (NULL: only checked); a counter this program does not have is
 * dropped, one it has that the checkpoint lacks starts at 0. */
static void ds__ck_counters(ds__rd *r, const ds_program *p, int64_t *totals, ds_arena *a)
{
	if (r->why || r->p == r->end)
		return; /* none */
	uint32_t n = ds__get_u32(r);
	if (!ds__rd_need(r, (uint64_t)n * 16, "the counter count runs past the end"))
		return;
	for (uint32_t i = 0; i < n && !r->why; i++) {
		const char *name = ds__get_cstr(r, a);
		uint64_t total = ds__get_u64(r);
		for (int k = 0; totals && !r->why && k < p->ncounters; k++)
			if (!strcmp(p->counters[k], name))
				totals[k] = (int64_t)total;
	}
	if (!r->why && r->p != r->end)
		r->why = "bytes follow the last counter";
}

/* ---- choosing and restoring at start ---------------------------------------- */

/* Removes the temporary files that a killed writer left in dir: those
 * whose name starts with a dot and contains ".tmp" after `stem`. */
static void ds__remove_temps(const char *cmd, const char *dir, const char *stem)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	struct dirent *e;
	size_t sl = strlen(stem);
	while ((e = readdir(dp))) {
		if (e->d_name[0] != '.' || strncmp(e->d_name + 1, stem, sl) != 0 || !strstr(e->d_name + 1 + sl, ".tmp"))
			continue;
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *p = ds__xmalloc(n);
		snprintf(p, n, "%s/%s", dir, e->d_name);
		if (unlink(p) == 0)
			ds__msg(cmd, "removed '%s', a temporary file that a crash left behind", p);
		free(p);
	}
	closedir(dp);
}

/* Deletes dir's checkpoints (--discard-checkpoint). */
static void ds__ckpt_discard(ds_rt *rt)
{
	int n;
	int64_t *v = ds__ckpt_list(rt->ck.dir, &n);
	for (int i = 0; i < n; i++) {
		char *p = ds__ckpt_path(rt->ck.dir, v[i], false);
		unlink(p);
		free(p);
	}
	free(v);
	/* and the receivers' log: its blocks belong to the batches after them */
	size_t len = strlen(rt->ck.dir) + 8;
	char *wal = ds__xmalloc(len);
	snprintf(wal, len, "%s/wal", rt->ck.dir);
	int segs = 0;
	DIR *dp = opendir(wal);
	for (struct dirent *e; dp && (e = readdir(dp));) {
		size_t k = strlen(e->d_name);
		if (strncmp(e->d_name, "seg-", 4) != 0 || k < 8 || strcmp(e->d_name + k - 4, ".wal") != 0)
			continue;
		char *p = ds__xmalloc(len + k + 2);
		snprintf(p, len + k + 2, "%s/%s", wal, e->d_name);
		segs += unlink(p) == 0;
		free(p);
	}
	if (dp)
		closedir(dp);
	free(wal);
	if (n || segs)
		ds__msg(rt->cmd, "checkpoint: discarded %d checkpoint%s in '%s'%s, as --discard-checkpoint asks: "
		        "starting afresh", n, n == 1 ? "" : "s", rt->ck.dir, segs ? " and its write-ahead log" : "");
}

int ds__ckpt_open(ds_rt *rt)
{
	const ds_program *p = rt->prog;
	ds__ckpt *ck = &rt->ck;
	ck->dir = p->checkpoint_dir;
	ck->resume_time = INT64_MIN;
	ck->covered = INT64_MIN;
	int rc = ds__mkdirs(ck->dir);
	if (rc < 0) {
		ds__msg(rt->cmd, "checkpoint: cannot create directory '%s': %s", ck->dir, strerror(-rc));
		return rc;
	}
	/* (saveAsTextFiles' leftovers: ds__outputs_open, with or without a checkpoint) */
	ds__remove_temps(rt->cmd, ck->dir, DS__CKPT_PREFIX);
	if (rt->opts.discard_checkpoint) {
		ds__ckpt_discard(rt);
		return 0;
	}

	int n;
	int64_t *v = ds__ckpt_list(ck->dir, &n);
	int bad = 0;
	for (int i = 0; i < n; i++) {
		char *path = ds__ckpt_path(ck->dir, v[i], false);
		char *data = NULL;
		size_t len = 0;
		const char *why = ds__ckpt_open_file(path, &data, &len);
		if (why) {
			ds__msg(rt->cmd, "warning: checkpoint '%s' is %s: %s", path, why,
			        i + 1 < n ? "using the one before it" : "no older one is left");
			bad++;
			free(path);
			continue;
		}
		ds__rd r = {data + DS__CKPT_HEAD, data + len, NULL};
		ds__ck_meta m;
		ds__get_meta(&r, &m, &rt->init_arena);
		/* Another program's checkpoint is refused, not skipped: going on
		 * from an older one of ours would hide the mistake. */
		char refuse[1024] = "";
		if (!r.why && strcmp(m.name, p->name) != 0)
			snprintf(refuse, sizeof refuse, "it belongs to program '%s' (%s), not to '%s' (%s)", m.name,
			         m.source, p->name, p->source);
		else if (!r.why && m.batch_ms != p->batch_ms)
			snprintf(refuse, sizeof refuse, "it was written with a batch interval of %" PRId64
			         " ms, and this program's is %" PRId64 " ms", m.batch_ms, p->batch_ms);
		else if (!r.why && m.hash_version != DS__HASH_VERSION)
			snprintf(refuse, sizeof refuse, "it was written by a dstream whose hash tables differ");
		if (*refuse) {
			ds__msg(rt->cmd, "checkpoint '%s': refused: %s (use another checkpoint directory, or "
			        "--discard-checkpoint to start afresh)", path, refuse);
			free(data);
			free(path);
			free(v);
			return -EINVAL;
		}
		if (!r.why)
			ds__get_sources(&r, rt, &ck->src_map, &ck->nsrc_map);
		if (r.why) {
			free(ck->src_map);
			ck->src_map = NULL;
			ck->nsrc_map = 0;
			ds__msg(rt->cmd, "warning: checkpoint '%s' is damaged (%s): %s", path, r.why,
			        i + 1 < n ? "using the one before it" : "no older one is left");
			bad++;
			free(data);
			free(path);
			continue;
		}
		ck->data = data;
		ck->len = len;
		ck->states_at = r.p;
		ck->resume_time = m.time;
		ck->resume_seq = m.seq;
		ck->path = path;
		ck->covered = i + 1 < n ? v[i + 1] : INT64_MIN;
		break;
	}
	free(v);
	if (!ck->data && bad) {
		ds__msg(rt->cmd, "checkpoint: no usable checkpoint in '%s' (%d damaged): refusing to start afresh "
		        "and lose the state they held (--discard-checkpoint starts afresh)", ck->dir, bad);
		return -EINVAL;
	}
	return 0;
}

int ds__ckpt_restore(ds_rt *rt)
{
	const ds_program *p = rt->prog;
	ds__ckpt *ck = &rt->ck;
	if (!ck->data)
		return 0;
	ds__rd r = {ck->states_at, ck->data + ck->len, NULL};
	ds__ck_state *cs = NULL;
	uint32_t n = 0;
	ds_arena scratch;
	ds_arena_init(&scratch);
	ds__ck_states(&r, &cs, &n, &rt->init_arena, &scratch);
	ds_arena_close(&scratch);
	const char *counters_at = r.p;
	ds__ck_counters(&r, p, NULL, &rt->init_arena); /* checked with the rest, before anything is restored */
	if (r.why) {
		/* the frame's checksum held: this is a bug of ours, or a format
		 * we do not know; nothing was restored yet */
		ds__msg(rt->cmd, "checkpoint '%s' is damaged (%s): refusing to go on without its state "
		        "(--discard-checkpoint starts afresh)", ck->path, r.why);
		free(cs);
		return -EINVAL;
	}
	/* Match every stored state to the program's by name; check all of
	 * them before restoring any. */
	int errors = 0;
	bool *restored = ds__xcalloc((size_t)p->nstates + 1, sizeof *restored);
	for (uint32_t i = 0; i < n; i++) {
		for (int j = 0; j < p->nstates; j++)
			if (!strcmp(cs[i].name, p->states[j].name))
				cs[i].match = j;
		if (cs[i].match < 0) {
			if (rt->opts.allow_dropped_state) {
				ds__msg(rt->cmd, "warning: checkpoint: dropping the state '%s' of %s (%s when checkpointed): "
				        "this program has no such operator (--allow-dropped-state)", cs[i].name, cs[i].op,
				        cs[i].loc);
			} else {
				ds__msg(rt->cmd, "checkpoint '%s': the state '%s' of %s (%s when checkpointed) belongs to "
				        "no operator of this program: refusing to drop it (--allow-dropped-state drops it; "
				        ".named(\"id\") keeps an operator's identity when its code moves)",
				        ck->path, cs[i].name, cs[i].op, cs[i].loc);
				errors++;
			}
			continue;
		}
		const ds_state_desc *d = &p->states[cs[i].match];
		if (strcmp(cs[i].type, d->type) != 0 || strcmp(cs[i].layout, d->layout) != 0 ||
		    cs[i].kind != (uint32_t)d->kind) {
			ds__msg(rt->cmd, "%s: error: %s: the type of its state '%s' changed: the checkpoint holds %s, "
			        "this program keeps %s (restore needs the same type; --discard-checkpoint starts afresh)",
			        d->loc, d->op, d->name, cs[i].type, d->type);
			errors++;
			continue;
		}
		restored[cs[i].match] = true;
	}
	if (errors) {
		free(restored);
		free(cs);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n && !r.why; i++) {
		if (cs[i].match < 0)
			continue;
		const ds_state_desc *d = &p->states[cs[i].match];
		r.p = cs[i].data;
		if (d->kind == DS_STATE_TABLE)
			ds__get_table(&r, d, rt);
		else
			ds__get_window(&r, d, rt);
	}
	if (!r.why) { /* past the states: the counters */
		r.p = counters_at;
		memset(rt->counter_totals, 0, sizeof *rt->counter_totals * (size_t)p->ncounters);
		ds__ck_counters(&r, p, rt->counter_totals, &rt->init_arena);
	}
	if (r.why) { /* checked by the skip pass: cannot happen */
		fprintf(stderr, "dstream: internal error: checkpoint state unreadable on the second pass: %s\n", r.why);
		abort();
	}
	for (int j = 0; j < p->nstates; j++)
		if (!restored[j])
			ds__msg(rt->cmd, "%s: note: %s: its state '%s' is new in this program: it starts empty",
			        p->states[j].loc, p->states[j].op, p->states[j].name);
	free(restored);
	free(cs);
	ds__msg(rt->cmd, "checkpoint: recovered from '%s' (batch %" PRId64 " ms): going on with the batch after it",
	        ck->path, ck->resume_time);
	free(ck->data); /* state restored: the file's bytes are not needed */
	ck->data = NULL;
	return 0;
}

void ds__ckpt_close(ds_rt *rt)
{
	ds__ckpt_poll(rt, true);
	free(rt->ck.src_map);
	free(rt->ck.data);
	free(rt->ck.path);
	ds__buf_close(&rt->ck.buf);
	memset(&rt->ck, 0, sizeof rt->ck);
}
