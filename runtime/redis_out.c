/* redis_out.c: saveToRedis, the Redis sink (lang/SPEC.md §12.4).
 *
 * saveToRedis(addr, hash) writes a stream of pairs (key, value) as fields of
 * one hash: HSET hash key value.  One hash per output, not a SET per pair:
 * the output's results are one key that HGETALL reads, that DEL removes and
 * that cannot collide with the rest of the database's keys, and its
 * progress key sits beside it.  (A hash field cannot expire on its own, and
 * a hash lives on one node of a cluster: an output per hash is the unit.)
 *
 * One connection per output, opened at start (ds_redis_open) and kept for
 * the run.  A batch T is, pipelined in two round trips:
 *
 *     WATCH P; GET P            -- P = dstream:progress:APP:HASH: the last batch written
 *         (P >= T: an earlier run wrote it: UNWATCH, skipped)
 *     MULTI; HSET hash k v k v ...; ...; SET P T; EXEC
 *
 * so the batch's fields and its progress mark are applied together or not
 * at all, and a batch that runs again after a crash is skipped: exactly
 * once, as far as the server keeps what it acknowledged (its persistence
 * settings decide that: appendfsync always for no loss at all).  A
 * connection lost at any point leaves the server with none of the batch
 * (MULTI's queue is dropped) or all of it (EXEC ran; the retry skips it):
 * the batch is retried after a reconnection, with a back-off from 100 ms to
 * 5 s, said once and said again when the server answers.  A refused
 * password, a key of another type than a hash and a server that refuses a
 * command for good stop the program (exit 1), naming the output.  Every
 * failure counts in the batch's db_errors.
 *
 * Owned by the scheduler thread: ds_redis_open and ds_redis_commit run
 * there; hiredis's synchronous API starts no thread.
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef DS_HAVE_HIREDIS
#include <hiredis/hiredis.h>

#define DS__REDIS_BACKOFF_MIN_MS 100
#define DS__REDIS_BACKOFF_MAX_MS 5000
#define DS__REDIS_TIMEOUT_S 10 /* a command not answered by then: the connection is lost */
#define DS__REDIS_CHUNK 512    /* pairs per HSET */

typedef struct ds__redis {
	redisContext *c;     /* NULL: not connected */
	const char *loc;     /* the output's, for messages */
	/* where and who: from the address */
	char *host;          /* NULL: a unix socket */
	int port;
	char *path;          /* the unix socket */
	char where[300];     /* "host:port" or the socket's path, for messages */
	char *user, *pass;   /* NULL: none */
	int db;
	char *hash;          /* the output's hash */
	char *progress;      /* its progress key */
	const char *fields;  /* the key's and the value's ds_field_kind letters */
	int64_t backoff_ms;
	bool said_skip;
	ds_buf text;         /* the batch's keys and values as text */
	const char **argv;   /* an HSET's arguments, into text */
	size_t *argl;
	size_t argcap;
} ds__redis;

static void ds__redis_close(void *sink)
{
	ds__redis *r = sink;
	if (!r)
		return;
	if (r->c)
		redisFree(r->c);
	free(r->host);
	free(r->path);
	free(r->user);
	free(r->pass);
	free(r->hash);
	free(r->progress);
	free(r->argv);
	free(r->argl);
	ds__buf_close(&r->text);
	free(r);
}

/* "host:port", "unix:PATH" or "redis://[[user]:password@]host[:port][/db]";
 * false after a message. */
static bool ds__redis_addr(ds__redis *r, const char *addr, const char *cmd)
{
	const char *s = addr;
	if (!strncmp(s, "unix:", 5)) {
		r->path = ds__xstrdup(s + 5);
		return r->path[0] != 0 || (ds__msg(cmd, "%s: saveToRedis: '%s': no socket path", r->loc, addr), false);
	}
	bool url = !strncmp(s, "redis://", 8);
	if (url) {
		s += 8;
		const char *at = strrchr(s, '@');
		if (at) {
			const char *colon = memchr(s, ':', (size_t)(at - s));
			if (colon) {
				if (colon > s)
					r->user = ds__xstrdup(s), r->user[colon - s] = 0;
				r->pass = ds__xstrdup(colon + 1), r->pass[at - colon - 1] = 0;
			} else {
				r->pass = ds__xstrdup(s), r->pass[at - s] = 0;
			}
			s = at + 1;
		}
	}
	const char *end = s + strcspn(s, "/");
	const char *colon = memchr(s, ':', (size_t)(end - s));
	r->port = 6379;
	if (colon) {
		char *e;
		long p = strtol(colon + 1, &e, 10);
		if (e != end || p < 1 || p > 65535) {
			ds__msg(cmd, "%s: saveToRedis: '%s': the port must be a number from 1 to 65535", r->loc, addr);
			return false;
		}
		r->port = (int)p;
	}
	size_t hn = (size_t)((colon ? colon : end) - s);
	r->host = ds__xmalloc(hn + 1);
	memcpy(r->host, s, hn);
	r->host[hn] = 0;
	if (!hn) {
		ds__msg(cmd, "%s: saveToRedis: '%s': no host (\"host:port\", \"unix:PATH\" or "
		        "\"redis://[:password@]host:port[/db]\")", r->loc, addr);
		return false;
	}
	if (*end == '/' && end[1]) {
		char *e;
		long db = strtol(end + 1, &e, 10);
		if (!url || *e || db < 0 || db > 1000000) {
			ds__msg(cmd, "%s: saveToRedis: '%s': the database must be a number", r->loc, addr);
			return false;
		}
		r->db = (int)db;
	}
	return true;
}

static void ds__redis_backoff(ds__redis *r)
{
	r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : DS__REDIS_BACKOFF_MIN_MS;
	if (r->backoff_ms > DS__REDIS_BACKOFF_MAX_MS)
		r->backoff_ms = DS__REDIS_BACKOFF_MAX_MS;
}

/* A command's reply on r->c, NULL when the connection failed (r->c->errstr). */
static redisReply *ds__redis_cmd(ds__redis *r, int argc, const char **argv)
{
	return redisCommandArgv(r->c, argc, argv, NULL);
}

/* After connecting: AUTH, SELECT, PING.  0; -EACCES when the server refuses
 * for good (said); -EAGAIN when the connection failed. */
static int ds__redis_hello(ds_rt *rt, ds__redis *r)
{
	char db[16];
	snprintf(db, sizeof db, "%d", r->db);
	const char *auth[3] = {"AUTH", r->user ? r->user : r->pass, r->pass};
	const char *sel[2] = {"SELECT", db};
	const char *ping[1] = {"PING"};
	struct {
		int argc;
		const char **argv;
		bool want;
	} steps[] = {{r->user ? 3 : 2, auth, r->pass != NULL}, {2, sel, r->db != 0}, {1, ping, true}};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		if (!steps[i].want)
			continue;
		redisReply *x = ds__redis_cmd(r, steps[i].argc, steps[i].argv);
		if (!x)
			return -EAGAIN;
		if (x->type == REDIS_REPLY_ERROR) {
			bool busy = !strncmp(x->str, "LOADING", 7) || !strncmp(x->str, "BUSY", 4);
			rt->db_errors++;
			if (!busy) {
				ds__msg(rt->cmd, "%s: saveToRedis: the server refused %s: %s", r->loc,
				        i == 0 ? "the password" : i == 1 ? "the database" : "us", x->str);
				freeReplyObject(x);
				return -EACCES;
			}
			freeReplyObject(x);
			return -EAGAIN;
		}
		freeReplyObject(x);
	}
	return 0;
}

/* Connects, retrying while the server is away.  0; -EACCES (said); -EINTR
 * when SIGINT or SIGTERM came while waiting. */
static int ds__redis_connect(ds_rt *rt, ds__redis *r)
{
	struct timeval tv = {DS__REDIS_TIMEOUT_S, 0};
	int64_t attempts = 0;
	for (;;) {
		attempts++;
		r->c = r->host ? redisConnectWithTimeout(r->host, r->port, tv) : redisConnectUnixWithTimeout(r->path, tv);
		int rc = -EAGAIN;
		if (r->c && !r->c->err) {
			redisSetTimeout(r->c, tv);
			rc = ds__redis_hello(rt, r);
		}
		if (rc == 0) {
			r->backoff_ms = 0;
			if (attempts > 1)
				ds__msg(rt->cmd, "%s: saveToRedis: connected to the server again", r->loc);
			return 0;
		}
		char why[256];
		snprintf(why, sizeof why, "%s", r->c ? r->c->errstr : "out of memory");
		if (r->c)
			redisFree(r->c);
		r->c = NULL;
		if (rc == -EACCES)
			return rc;
		rt->db_errors++;
		if (attempts == 1)
			ds__msg(rt->cmd, "%s: saveToRedis: cannot connect to the server %s (%s): retrying, every %d s at most",
			        r->loc, r->where, why[0] ? why : "no answer", DS__REDIS_BACKOFF_MAX_MS / 1000);
		ds__redis_backoff(r);
		if (!ds__nap(r->backoff_ms))
			return -EINTR;
	}
}

/* The hash's key holds a hash or nothing: 0; -EINVAL (said); -EAGAIN. */
static int ds__redis_check(ds_rt *rt, ds__redis *r)
{
	const char *type[2] = {"TYPE", r->hash};
	redisReply *x = ds__redis_cmd(r, 2, type);
	if (!x)
		return -EAGAIN;
	int rc = 0;
	if (x->type == REDIS_REPLY_STATUS && strcmp(x->str, "hash") && strcmp(x->str, "none")) {
		ds__msg(rt->cmd, "%s: saveToRedis: the key '%s' holds a %s, not a hash: this output writes its pairs as "
		        "the fields of a hash (DEL it, or name another)", r->loc, r->hash, x->str);
		rc = -EINVAL;
	}
	freeReplyObject(x);
	return rc;
}

int ds_redis_open(ds_rt *rt, int out)
{
	ds__output *o = &rt->out[out];
	const ds_output_desc *d = o->desc;
	ds__redis *r = ds__xcalloc(1, sizeof *r);
	o->sink = r;
	o->sink_close = ds__redis_close;
	r->loc = d->loc;
	r->fields = d->fields && strlen(d->fields) == 2 ? d->fields : "SS";
	r->hash = ds__xstrdup(d->table);
	/* its progress key: the program's name and the hash, #N for the Nth
	 * output of the program into that hash */
	int nth = 1;
	for (int i = 0; i < out; i++)
		nth += rt->prog->outputs[i].kind == DS_OUT_REDIS && rt->prog->outputs[i].table &&
		       !strcmp(rt->prog->outputs[i].table, d->table);
	const char *app = rt->prog->name ? rt->prog->name : rt->cmd;
	size_t n = strlen(app) + strlen(d->table) + 48;
	r->progress = ds__xmalloc(n);
	snprintf(r->progress, n, nth > 1 ? "dstream:progress:%s:%s#%d" : "dstream:progress:%s:%s", app, d->table, nth);
	if (!ds__redis_addr(r, d->conninfo ? d->conninfo : "", rt->cmd))
		return -EINVAL;
	if (r->host)
		snprintf(r->where, sizeof r->where, "%s:%d", r->host, r->port);
	else
		snprintf(r->where, sizeof r->where, "%s", r->path);
	for (;;) {
		int rc = ds__redis_connect(rt, r);
		if (rc == 0)
			rc = ds__redis_check(rt, r);
		if (rc != -EAGAIN)
			return rc;
		redisFree(r->c);
		r->c = NULL;
	}
}

/* The text of field f of record rec: a string's bytes, or the value as
 * print writes it. */
static void ds__redis_text(ds__redis *r, const ds__output *o, const ds__field *f, char kind, size_t *off, size_t *len)
{
	*off = r->text.len;
	switch (kind) {
	case DS_FIELD_INT: ds_fmt_int(&r->text, f->v.i); break;
	case DS_FIELD_DOUBLE: ds_fmt_double(&r->text, f->v.d); break;
	case DS_FIELD_BOOL: ds_buf_put(&r->text, f->v.b ? "true" : "false", f->v.b ? 4 : 5); break;
	default: ds_buf_put(&r->text, o->strs.p + f->v.off, f->len); break;
	}
	*len = r->text.len - *off;
}

/* One attempt at batch t: 1 written, 0 skipped, -EAGAIN a failure worth
 * retrying (said), another negative errno one that stops the program. */
static int ds__redis_try(ds_rt *rt, ds__redis *r, const ds__output *o, int64_t t)
{
	char tt[32], why[256];
	snprintf(tt, sizeof tt, "%" PRId64, t);
	const char *step = "WATCH";
	redisReply *x = NULL;
	const char *watch[2] = {"WATCH", r->progress}, *get[2] = {"GET", r->progress};
	redisAppendCommandArgv(r->c, 2, watch, NULL);
	redisAppendCommandArgv(r->c, 2, get, NULL);
	for (int i = 0; i < 2; i++) {
		if (redisGetReply(r->c, (void **)&x) != REDIS_OK)
			goto lost;
		if (x->type == REDIS_REPLY_ERROR)
			goto refused;
		if (i == 1 && x->type == REDIS_REPLY_STRING && strtoll(x->str, NULL, 10) >= t) {
			freeReplyObject(x);
			const char *unwatch[1] = {"UNWATCH"};
			x = ds__redis_cmd(r, 1, unwatch);
			if (!x)
				goto lost;
			freeReplyObject(x);
			return 0; /* an earlier run wrote it */
		}
		freeReplyObject(x);
		x = NULL;
		step = "GET";
	}
	/* MULTI; HSET ...; SET P T; EXEC, pipelined: one round trip */
	step = "MULTI";
	int64_t nrec = o->nrecs, ncmds = 0;
	const char *multi[1] = {"MULTI"}, *exec[1] = {"EXEC"}, *set[3] = {"SET", r->progress, tt};
	redisAppendCommandArgv(r->c, 1, multi, NULL);
	ncmds++;
	size_t want = 2 + 2 * DS__REDIS_CHUNK;
	if (r->argcap < want) {
		r->argv = ds__xrealloc(r->argv, want * sizeof *r->argv);
		r->argl = ds__xrealloc(r->argl, want * sizeof *r->argl);
		r->argcap = want;
	}
	size_t *offs = ds__xmalloc((want > 2 ? want : 2) * sizeof *offs);
	for (int64_t i = 0; i < nrec;) {
		r->text.len = 0;
		int argc = 2;
		r->argv[0] = "HSET", r->argl[0] = 4;
		r->argv[1] = r->hash, r->argl[1] = strlen(r->hash);
		for (int k = 0; k < DS__REDIS_CHUNK && i < nrec; k++, i++) {
			const ds__field *f = &o->fields[o->recs[i].field0];
			ds__redis_text(r, o, &f[0], r->fields[0], &offs[argc], &r->argl[argc]);
			argc++;
			ds__redis_text(r, o, &f[1], r->fields[1], &offs[argc], &r->argl[argc]);
			argc++;
		}
		for (int a = 2; a < argc; a++) /* text may have moved while it grew */
			r->argv[a] = r->text.p + offs[a];
		redisAppendCommandArgv(r->c, argc, r->argv, r->argl);
		ncmds++;
	}
	free(offs);
	redisAppendCommandArgv(r->c, 3, set, NULL);
	redisAppendCommandArgv(r->c, 1, exec, NULL);
	ncmds += 2;
	for (int64_t i = 0; i < ncmds; i++) {
		step = i == 0 ? "MULTI" : i == ncmds - 1 ? "EXEC" : i == ncmds - 2 ? "SET" : "HSET";
		if (redisGetReply(r->c, (void **)&x) != REDIS_OK)
			goto lost;
		if (x->type == REDIS_REPLY_ERROR) {
			/* the rest of the pipeline's replies, then the verdict: EXEC
			 * of a transaction with an error queued is refused whole */
			snprintf(why, sizeof why, "%s", x->str);
			freeReplyObject(x);
			for (i++; i < ncmds; i++) {
				if (redisGetReply(r->c, (void **)&x) != REDIS_OK)
					goto lost;
				freeReplyObject(x);
			}
			rt->db_errors++;
			ds__msg(rt->cmd, "%s: saveToRedis: batch %" PRId64 " ms: %s refused: %s (nothing of the batch was "
			        "written)", r->loc, t, step, why);
			return -EIO;
		}
		if (i == ncmds - 1 && x->type == REDIS_REPLY_ARRAY) {
			/* a command that failed as it ran (the hash's key made something
			 * else meanwhile): Redis does not undo the others */
			for (size_t e = 0; e < x->elements; e++)
				if (x->element[e]->type == REDIS_REPLY_ERROR) {
					rt->db_errors++;
					ds__msg(rt->cmd, "%s: saveToRedis: batch %" PRId64 " ms: a command of its transaction failed: "
					        "%s (the others were applied, its progress key set)", r->loc, t, x->element[e]->str);
					freeReplyObject(x);
					return -EIO;
				}
		}
		if (i == ncmds - 1 && x->type == REDIS_REPLY_NIL) { /* the progress key changed under WATCH */
			freeReplyObject(x);
			rt->db_errors++;
			ds__msg(rt->cmd, "%s: saveToRedis: batch %" PRId64 " ms: the key %s changed during the batch (another "
			        "writer?): tried again", r->loc, t, r->progress);
			return -EAGAIN;
		}
		freeReplyObject(x);
	}
	return 1;
lost:
	rt->db_errors++;
	ds__msg(rt->cmd, "%s: saveToRedis: batch %" PRId64 " ms: the connection was lost at %s (%s): the batch is "
	        "written again once the server is back", r->loc, t, step, r->c->errstr[0] ? r->c->errstr : "no answer");
	redisFree(r->c);
	r->c = NULL;
	return -EAGAIN;
refused:
	rt->db_errors++;
	snprintf(why, sizeof why, "%s", x->str);
	freeReplyObject(x);
	bool busy = !strncmp(why, "LOADING", 7) || !strncmp(why, "BUSY", 4) || !strncmp(why, "TRYAGAIN", 8);
	ds__msg(rt->cmd, "%s: saveToRedis: batch %" PRId64 " ms: %s refused: %s%s", r->loc, t, step, why,
	        busy ? ": tried again after a pause" : "");
	redisFree(r->c); /* the pipeline's other replies: with the connection */
	r->c = NULL;
	return busy ? -EAGAIN : -EIO;
}

int ds_redis_commit(ds_rt *rt, int out, int64_t t)
{
	ds__output *o = &rt->out[out];
	ds__redis *r = o->sink;
	if (!r)
		return -EINVAL;
	for (;;) {
		int rc = r->c ? 0 : ds__redis_connect(rt, r);
		if (rc == 0)
			rc = ds__redis_try(rt, r, o, t);
		if (rc == 0 && !r->said_skip) {
			r->said_skip = true;
			ds__msg(rt->cmd, "%s: saveToRedis: batch %" PRId64 " ms is written already (%s): skipped, as every "
			        "batch an earlier run wrote", r->loc, t, r->progress);
		}
		if (rc >= 0) {
			r->backoff_ms = 0;
			return 0;
		}
		if (rc != -EAGAIN) {
			if (rc == -EINTR)
				ds__msg(rt->cmd, "%s: saveToRedis: stopped while waiting for the server: batch %" PRId64
				        " ms is not written (a restart with the checkpoint writes it)", r->loc, t);
			return rc;
		}
		ds__redis_backoff(r);
		if (!ds__nap(r->backoff_ms)) {
			ds__msg(rt->cmd, "%s: saveToRedis: stopped: batch %" PRId64 " ms is not written (a restart with "
			        "the checkpoint writes it)", r->loc, t);
			return -EINTR;
		}
	}
}

#else /* !DS_HAVE_HIREDIS */

int ds_redis_open(ds_rt *rt, int out)
{
	ds__msg(rt->cmd, "%s: saveToRedis: this runtime was built without hiredis", rt->out[out].desc->loc);
	return -ENOSYS;
}

int ds_redis_commit(ds_rt *rt, int out, int64_t t)
{
	(void)t;
	return ds_redis_open(rt, out);
}

#endif
