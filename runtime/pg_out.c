/* pg_out.c: saveToPostgres, the PostgreSQL sink (lang/SPEC.md §12.3).
 *
 * One libpq connection per output, opened at start (ds_pg_open, before any
 * batch) and kept for the run: the seeds' connection pool, done once.  At
 * open the table is checked against the stream's records (their fields in
 * order, then a batch_time bigint column), or created from them when it is
 * missing, and the progress table dstream_progress(app, output,
 * batch_time) is created when missing.
 *
 * A batch is one transaction:
 *
 *     BEGIN;
 *     INSERT INTO dstream_progress VALUES (app, output, T) ON CONFLICT DO NOTHING;
 *         -- no row inserted: an earlier run committed batch T: ROLLBACK, skip it
 *     COPY table (fields..., batch_time) FROM STDIN;      -- append
 *     COPY pg_temp.dstream_upsert FROM STDIN; INSERT INTO table SELECT DISTINCT ON (key)
 *         ... ON CONFLICT (key) DO UPDATE ...;             -- "upsert"
 *     DELETE FROM dstream_progress WHERE ... batch_time <= C;  -- C: the older kept
 *         -- checkpoint's time, when it moved: those batches never run again
 *         -- (on the real clock only)
 *     COMMIT;
 *
 * so the rows and the progress row commit together or not at all: a batch
 * that runs again after a crash (recovery re-runs the batches after the
 * checkpoint) finds its row and is skipped, and each batch's rows are in
 * the table exactly once.  A connection lost at any point (even while the
 * COMMIT's answer is on its way) is retried the same way after a
 * reconnection: the server rolled the transaction back, or committed it
 * and the retry skips it.
 *
 * Failures: a server that cannot be reached (down, starting up, too many
 * connections) is retried with a back-off from 100 ms to 5 s, said once
 * and said again when it answers; a server that refuses us (authentication,
 * no such database or role) and a table of the wrong shape stop the program
 * at start, naming the output; a statement the server refuses for the
 * data (a constraint of the user's table, say) stops it at that batch
 * (exit 1; a restart with the checkpoint writes the batch again).  Every
 * failure counts in the batch's db_errors.
 *
 * Owned by the scheduler thread: ds_pg_open and ds_pg_commit run there,
 * and libpq starts no thread.  A checkpoint's forked writer inherits the
 * connection's socket and never touches it (it _exits).
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef DS_HAVE_LIBPQ
#include <libpq-fe.h>

#define DS__PG_BACKOFF_MIN_MS 100
#define DS__PG_BACKOFF_MAX_MS 5000

typedef struct ds__pg {
	PGconn *conn;        /* NULL: not connected */
	const char *loc;     /* the output's, for messages */
	char *app, *output;  /* the key of its progress rows */
	int nf;              /* fields of a record */
	const char *fields;  /* their ds_field_kind letters */
	bool upsert;
	bool utf8;           /* the server checks encodings: strings must be UTF-8 */
	bool temp_made;      /* upsert: this connection has pg_temp.dstream_upsert */
	char *copy_sql;      /* COPY ... FROM STDIN of a batch's rows */
	char *merge_sql;     /* upsert: the temporary table into the table */
	char *temp_sql;      /* upsert: makes the temporary table */
	int64_t backoff_ms;
	bool said_skip;      /* "skipped: an earlier run wrote it", once */
	int64_t pruned;      /* its progress rows up to this batch time are deleted */
	ds_buf data;         /* the COPY text of a batch */
} ds__pg;

static void ds__pg_close(void *sink)
{
	ds__pg *p = sink;
	if (!p)
		return;
	if (p->conn)
		PQfinish(p->conn);
	free(p->app);
	free(p->output);
	free(p->copy_sql);
	free(p->merge_sql);
	free(p->temp_sql);
	ds__buf_close(&p->data);
	free(p);
}

/* The server's notices (CREATE TABLE IF NOT EXISTS's "already exists,
 * skipping") are not ours to say. */
static void ds__pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* libpq's message on one line, without its trailing newline (in buf). */
static const char *ds__pg_why(const char *m, char *buf, size_t n)
{
	size_t k = 0;
	for (; m && *m && k + 1 < n; m++) {
		if (*m == '\n') {
			while (m[1] == ' ' || m[1] == '\t')
				m++;
			if (m[1] && k + 3 < n)
				buf[k++] = ';', buf[k++] = ' ';
			continue;
		}
		buf[k++] = *m == '\t' ? ' ' : *m;
	}
	buf[k] = 0;
	return k ? buf : "no reason given";
}

/* Sleeps ms in slices, false when SIGINT or SIGTERM came meanwhile. */
/* Whether a failed connection's message is the server refusing us for
 * good (authentication, an unknown role or database), not the server being
 * away or busy: those are retried.  libpq gives no SQLSTATE for them: the
 * server's words (lc_messages English, the default) decide. */
static bool ds__pg_refused(PGconn *c, const char *m)
{
	if (PQconnectionNeedsPassword(c))
		return true;
	if (!strstr(m, "FATAL"))
		return false;
	static const char *const transient[] = {"starting up", "shutting down", "not yet accepting",
	                                        "in recovery", "too many", "connection slots", "terminating"};
	for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
		if (strstr(m, transient[i]))
			return false;
	return true;
}

/* A result's SQLSTATE ("" when none: the connection broke). */
static const char *ds__pg_state(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

/* Whether a statement's failure is worth another try after a back-off:
 * connection exceptions, serialization failures and deadlocks, the server
 * shutting down or out of resources, a lock not available. */
static bool ds__pg_transient(PGconn *c, const PGresult *r)
{
	if (PQstatus(c) != CONNECTION_OK)
		return true;
	const char *s = ds__pg_state(r);
	return !*s || !strncmp(s, "08", 2) || !strncmp(s, "40", 2) || !strncmp(s, "53", 2) || !strncmp(s, "57", 2) ||
	       !strcmp(s, "55P03");
}

/* Connects, retrying while the server is away.  0; -EACCES when the server
 * refuses us (said); -EINTR when SIGINT or SIGTERM came while waiting. */
static int ds__pg_connect(ds_rt *rt, ds__pg *p, const char *conninfo)
{
	/* ours first, so that the connection string's own settings win */
	const char *const keys[] = {"connect_timeout", "application_name", "client_encoding", "keepalives_idle",
	                            "keepalives_interval", "keepalives_count", "dbname", NULL};
	const char *const vals[] = {"10", "dstream", "UTF8", "30", "10", "3", conninfo, NULL};
	char why[512];
	int64_t attempts = 0;
	for (;;) {
		attempts++;
		PGconn *c = PQconnectdbParams(keys, vals, 1);
		if (c && PQstatus(c) == CONNECTION_OK) {
			p->conn = c;
			PQsetNoticeProcessor(c, ds__pg_notice, NULL);
			const char *enc = PQparameterStatus(c, "server_encoding");
			p->utf8 = !enc || strcmp(enc, "SQL_ASCII") != 0;
			p->temp_made = false;
			p->backoff_ms = 0;
			if (attempts > 1)
				ds__msg(rt->cmd, "%s: saveToPostgres: connected to the server again", p->loc);
			if (PQserverVersion(c) < 90500) {
				ds__msg(rt->cmd, "%s: saveToPostgres: the server is PostgreSQL %d.%d: 9.5 or later is needed "
				        "(INSERT ... ON CONFLICT)", p->loc, PQserverVersion(c) / 10000, PQserverVersion(c) / 100 % 100);
				return -ENOTSUP;
			}
			return 0;
		}
		const char *m = ds__pg_why(c ? PQerrorMessage(c) : "out of memory", why, sizeof why);
		rt->db_errors++;
		if (c && ds__pg_refused(c, PQerrorMessage(c))) {
			ds__msg(rt->cmd, "%s: saveToPostgres: the server refused the connection: %s", p->loc, m);
			PQfinish(c);
			return -EACCES;
		}
		PQfinish(c);
		if (attempts == 1)
			ds__msg(rt->cmd, "%s: saveToPostgres: cannot connect to the server (%s): retrying, every %d s at most",
			        p->loc, m, DS__PG_BACKOFF_MAX_MS / 1000);
		p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : DS__PG_BACKOFF_MIN_MS;
		if (p->backoff_ms > DS__PG_BACKOFF_MAX_MS)
			p->backoff_ms = DS__PG_BACKOFF_MAX_MS;
		if (!ds__nap(p->backoff_ms))
			return -EINTR;
	}
}

/* Runs sql (no parameters) and returns its result, or NULL after a message
 * (what names what was being done). */
static PGresult *ds__pg_exec(ds_rt *rt, ds__pg *p, const char *sql, ExecStatusType want, const char *what)
{
	PGresult *r = PQexec(p->conn, sql);
	if (PQresultStatus(r) == want)
		return r;
	char why[512];
	rt->db_errors++;
	ds__msg(rt->cmd, "%s: saveToPostgres: %s: %s", p->loc, what,
	        ds__pg_why(r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn), why, sizeof why));
	PQclear(r);
	return NULL;
}

static void ds__pg_puts(ds_buf *b, const char *s) { ds_buf_put(b, s, strlen(s)); }

/* A column type as format_type() writes it, against a field's kind. */
static bool ds__pg_type_fits(char kind, const char *type)
{
	switch (kind) {
	case DS_FIELD_INT: return !strcmp(type, "bigint");
	case DS_FIELD_DOUBLE: return !strcmp(type, "double precision");
	case DS_FIELD_BOOL: return !strcmp(type, "boolean");
	default: return !strcmp(type, "text") || !strncmp(type, "character varying", 17);
	}
}

static const char *ds__pg_type_of(char kind)
{
	switch (kind) {
	case DS_FIELD_INT: return "bigint";
	case DS_FIELD_DOUBLE: return "double precision";
	case DS_FIELD_BOOL: return "boolean";
	default: return "text"; /* strings, and the text of nested values */
	}
}

/* Makes the table when it is missing, checks its shape, and prepares the
 * statements of a batch.  0, or a negative errno after a message. */
static int ds__pg_prepare(ds_rt *rt, ds__pg *p, const ds_output_desc *d)
{
	/* made only when missing: a user who may write into an existing one
	 * need not be allowed to create tables */
	PGresult *r = PQexec(p->conn, "SELECT to_regclass('dstream_progress') IS NULL");
	bool missing = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	bool asked = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (!asked && PQstatus(p->conn) != CONNECTION_OK)
		return -ECONNRESET;
	if (missing || !asked) {
		if (!(r = ds__pg_exec(rt, p,
		                      "CREATE TABLE IF NOT EXISTS dstream_progress (app text NOT NULL, output text NOT NULL, "
		                      "batch_time bigint NOT NULL, PRIMARY KEY (app, output, batch_time))",
		                      PGRES_COMMAND_OK, "cannot create the table dstream_progress")))
			return PQstatus(p->conn) == CONNECTION_OK ? -EIO : -ECONNRESET;
		PQclear(r);
	}
	/* the table: its columns in order, by the name as SQL folds it */
	const char *par[1] = {d->table};
	const char *cols_sql =
		"SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnum FROM pg_attribute a "
		"WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
	r = PQexecParams(p->conn, cols_sql, 1, NULL, par, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char why[512];
		rt->db_errors++;
		ds__msg(rt->cmd, "%s: saveToPostgres: cannot read the columns of '%s': %s", d->loc, d->table,
		        ds__pg_why(PQresultErrorMessage(r), why, sizeof why));
		PQclear(r);
		return PQstatus(p->conn) == CONNECTION_OK ? -EIO : -ECONNRESET;
	}
	ds_buf sql = {0};
	char num[32];
	if (PQntuples(r) == 0) { /* missing: made from the record type */
		PQclear(r);
		ds__pg_puts(&sql, "CREATE TABLE IF NOT EXISTS ");
		ds_buf_put(&sql, d->table, strlen(d->table));
		ds__pg_puts(&sql, " (");
		for (int f = 0; f < p->nf; f++) {
			int n = snprintf(num, sizeof num, "_%d ", f + 1);
			ds_buf_put(&sql, num, (size_t)n);
			const char *ty = ds__pg_type_of(p->fields[f]);
			ds_buf_put(&sql, ty, strlen(ty));
			ds__pg_puts(&sql, ", ");
		}
		ds__pg_puts(&sql, "batch_time bigint NOT NULL");
		if (p->upsert)
			ds__pg_puts(&sql, ", PRIMARY KEY (_1)");
		ds_buf_putc(&sql, ')');
		ds_buf_putc(&sql, 0);
		r = ds__pg_exec(rt, p, sql.p, PGRES_COMMAND_OK, "cannot create the table");
		sql.len = 0;
		if (!r) {
			ds__buf_close(&sql);
			return PQstatus(p->conn) == CONNECTION_OK ? -EIO : -ECONNRESET;
		}
		PQclear(r);
		r = PQexecParams(p->conn, cols_sql, 1, NULL, par, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0) {
			rt->db_errors++;
			ds__msg(rt->cmd, "%s: saveToPostgres: the table '%s' is still missing after CREATE TABLE", d->loc,
			        d->table);
			PQclear(r);
			ds__buf_close(&sql);
			return -EIO;
		}
	}
	/* the shape: the fields in order, and batch_time bigint anywhere */
	int n = PQntuples(r), bt = -1, k = 0;
	bool good = true;
	const char *key = NULL, *key_num = NULL;
	for (int i = 0; i < n; i++) {
		const char *name = PQgetvalue(r, i, 0), *type = PQgetvalue(r, i, 1);
		if (!strcmp(name, "batch_time")) {
			bt = i;
			good &= !strcmp(type, "bigint");
			continue;
		}
		if (k == 0)
			key = name, key_num = PQgetvalue(r, i, 2);
		good &= k < p->nf && ds__pg_type_fits(p->fields[k], type);
		k++;
	}
	good &= k == p->nf && bt >= 0;
	if (!good) {
		ds_buf has = {0}, need = {0};
		for (int i = 0; i < n; i++) {
			if (i)
				ds__pg_puts(&has, ", ");
			ds_buf_put(&has, PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)));
			ds_buf_putc(&has, ' ');
			ds_buf_put(&has, PQgetvalue(r, i, 1), strlen(PQgetvalue(r, i, 1)));
		}
		ds_buf_putc(&has, 0);
		for (int f = 0; f < p->nf; f++) {
			const char *ty = ds__pg_type_of(p->fields[f]);
			ds_buf_put(&need, ty, strlen(ty));
			ds__pg_puts(&need, ", ");
		}
		ds__pg_puts(&need, "batch_time bigint");
		ds_buf_putc(&need, 0);
		ds__msg(rt->cmd, "%s: saveToPostgres: the table '%s' has the wrong shape: its columns are (%s); the "
		        "stream's records need (%s): their fields in order, as columns of those types, and a "
		        "column batch_time bigint", d->loc, d->table, has.p, need.p);
		ds__buf_close(&has);
		ds__buf_close(&need);
		PQclear(r);
		ds__buf_close(&sql);
		return -EINVAL;
	}
	/* the statements, with the table's own column names */
	ds_buf cols = {0};
	char *qkey = NULL;
	for (int i = 0; i < n; i++) {
		char *q = PQescapeIdentifier(p->conn, PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)));
		if (!q)
			ds__oom();
		if (i != bt) {
			ds_buf_put(&cols, q, strlen(q));
			ds__pg_puts(&cols, ", ");
		}
		if (key && !strcmp(PQgetvalue(r, i, 0), key))
			qkey = ds__xstrdup(q);
		PQfreemem(q);
	}
	ds__pg_puts(&cols, "batch_time");
	ds_buf_putc(&cols, 0);
	if (p->upsert) {
		/* the key's column must be the table's primary key or unique on its own */
		const char *kp[2] = {d->table, key_num};
		PGresult *u = PQexecParams(p->conn,
		                           "SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique "
		                           "AND i.indnatts = 1 AND i.indkey[0] = $2::int2 AND i.indpred IS NULL "
		                           "AND i.indexprs IS NULL",
		                           2, NULL, kp, NULL, NULL, 0);
		bool unique = PQresultStatus(u) == PGRES_TUPLES_OK && PQntuples(u) > 0;
		PQclear(u);
		if (!unique) {
			ds__msg(rt->cmd, "%s: saveToPostgres: \"upsert\" keeps one row per key, but the column %s of the "
			        "table '%s' is not its primary key nor unique on its own (ALTER TABLE %s ADD PRIMARY KEY (%s))",
			        d->loc, qkey, d->table, d->table, qkey);
			free(qkey);
			ds__buf_close(&cols);
			PQclear(r);
			ds__buf_close(&sql);
			return -EINVAL;
		}
	}
	ds__pg_puts(&sql, "COPY ");
	ds_buf_put(&sql, p->upsert ? "pg_temp.dstream_upsert" : d->table,
	           strlen(p->upsert ? "pg_temp.dstream_upsert" : d->table));
	ds__pg_puts(&sql, " (");
	ds_buf_put(&sql, cols.p, strlen(cols.p));
	ds__pg_puts(&sql, p->upsert ? ", dstream_ord) FROM STDIN" : ") FROM STDIN");
	ds_buf_putc(&sql, 0);
	free(p->copy_sql);
	p->copy_sql = ds__xstrdup(sql.p);
	if (p->upsert) {
		sql.len = 0;
		ds__pg_puts(&sql, "CREATE TEMP TABLE IF NOT EXISTS dstream_upsert (LIKE ");
		ds_buf_put(&sql, d->table, strlen(d->table));
		ds__pg_puts(&sql, ", dstream_ord bigint) ON COMMIT DELETE ROWS");
		ds_buf_putc(&sql, 0);
		free(p->temp_sql);
		p->temp_sql = ds__xstrdup(sql.p);
		/* the last record of a key in the batch wins */
		sql.len = 0;
		const char *parts[] = {"INSERT INTO ", d->table, " (", cols.p, ") SELECT DISTINCT ON (", qkey, ") ", cols.p,
		                       " FROM pg_temp.dstream_upsert ORDER BY ", qkey, ", dstream_ord DESC ON CONFLICT (",
		                       qkey, ") DO UPDATE SET "};
		for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
			ds_buf_put(&sql, parts[i], strlen(parts[i]));
		for (int i = 0, first = 1; i < n; i++) {
			const char *name = PQgetvalue(r, i, 0);
			if (!strcmp(name, key))
				continue;
			char *q = PQescapeIdentifier(p->conn, name, strlen(name));
			if (!q)
				ds__oom();
			if (!first)
				ds__pg_puts(&sql, ", ");
			first = 0;
			ds_buf_put(&sql, q, strlen(q));
			ds__pg_puts(&sql, " = EXCLUDED.");
			ds_buf_put(&sql, q, strlen(q));
			PQfreemem(q);
		}
		ds_buf_putc(&sql, 0);
		free(p->merge_sql);
		p->merge_sql = ds__xstrdup(sql.p);
	}
	free(qkey);
	ds__buf_close(&cols);
	ds__buf_close(&sql);
	PQclear(r);
	return 0;
}

/* Connects and prepares, retrying while the server is away (a lost
 * connection in the middle included). */
static int ds__pg_ready(ds_rt *rt, ds__pg *p, const ds_output_desc *d)
{
	for (;;) {
		if (p->conn && PQstatus(p->conn) != CONNECTION_OK) {
			PQfinish(p->conn);
			p->conn = NULL;
		}
		int rc = p->conn ? 0 : ds__pg_connect(rt, p, d->conninfo ? d->conninfo : "");
		if (rc == 0 && !p->copy_sql)
			rc = ds__pg_prepare(rt, p, d);
		if (rc != -ECONNRESET)
			return rc;
	}
}

int ds_pg_open(ds_rt *rt, int out)
{
	ds__output *o = &rt->out[out];
	const ds_output_desc *d = o->desc;
	ds__pg *p = ds__xcalloc(1, sizeof *p);
	o->sink = p;
	o->sink_close = ds__pg_close;
	p->loc = d->loc;
	p->fields = d->fields ? d->fields : "S";
	p->nf = (int)strlen(p->fields);
	p->upsert = d->mode && !strcmp(d->mode, "upsert");
	p->pruned = INT64_MIN;
	p->app = ds__xstrdup(rt->prog->name ? rt->prog->name : rt->cmd);
	/* the output's identity: its table, and #N for the Nth output of the
	 * program into that table (stable across edits elsewhere) */
	int nth = 1;
	for (int i = 0; i < out; i++)
		nth += rt->prog->outputs[i].kind == DS_OUT_POSTGRES && rt->prog->outputs[i].table &&
		       !strcmp(rt->prog->outputs[i].table, d->table);
	char *id = ds__xmalloc(strlen(d->table) + 24);
	sprintf(id, nth > 1 ? "%s#%d" : "%s", d->table, nth);
	p->output = id;
	/* a table from a parameter (--param) is checked here, as the compiler
	 * checks a constant one: it goes into statements unquoted */
	bool good = d->table && d->table[0];
	for (const char *c = d->table; good && *c; c++) {
		bool start = c == d->table || c[-1] == '.';
		good = *c == '.' ? !start && c[1] : (*c >= 'a' && *c <= 'z') || *c == '_' || (!start && *c >= '0' && *c <= '9');
	}
	if (!good || strchr(d->table, '.') != strrchr(d->table, '.')) {
		ds__msg(rt->cmd, "%s: saveToPostgres: the table must be a name such as word_counts or public.word_counts "
		        "(lower-case letters, digits and _), not '%s'", d->loc, d->table ? d->table : "");
		return -EINVAL;
	}
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(d->conninfo ? d->conninfo : "", &err);
	if (!opts) {
		char why[512];
		ds__msg(rt->cmd, "%s: saveToPostgres: the connection string is not libpq's: %s", d->loc,
		        ds__pg_why(err ? err : "out of memory", why, sizeof why));
		PQfreemem(err);
		return -EINVAL;
	}
	PQconninfoFree(opts);
	return ds__pg_ready(rt, p, d);
}

/* s is fine for the server: no NUL byte, and UTF-8 when it checks. */
static bool ds__pg_text_ok(const ds__pg *p, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		if (c == 0)
			return false;
		if (c < 0x80 || !p->utf8) {
			i++;
			continue;
		}
		size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		if (!len || (c >= 0xe0 && len == 3 && c > 0xef) || i + len > n)
			return false;
		for (size_t j = 1; j < len; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] >= 0xa0) || (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] >= 0x90))
			return false; /* overlong, surrogates, beyond U+10FFFF */
		i += len;
	}
	return true;
}

/* A string in COPY's text format. */
static void ds__pg_put_text(ds_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		switch (c) {
		case '\\': ds_buf_put(b, "\\\\", 2); break;
		case '\n': ds_buf_put(b, "\\n", 2); break;
		case '\r': ds_buf_put(b, "\\r", 2); break;
		case '\t': ds_buf_put(b, "\\t", 2); break;
		default: ds_buf_putc(b, c);
		}
	}
}

/* The batch's rows as COPY text; the records the server cannot take are
 * left out and counted (*dropped, the first one's index in *first). */
static void ds__pg_rows(ds__pg *p, const ds__output *o, int64_t t, int64_t *dropped, int64_t *first)
{
	ds_buf *b = &p->data;
	b->len = 0;
	char num[40];
	int tn = snprintf(num, sizeof num, "%" PRId64, t);
	char tbuf[40];
	memcpy(tbuf, num, (size_t)tn + 1);
	*dropped = 0;
	*first = -1;
	for (int64_t i = 0; i < o->nrecs; i++) {
		const ds__field *f = &o->fields[o->recs[i].field0];
		bool ok = true;
		for (int k = 0; k < p->nf && ok; k++)
			if (p->fields[k] == DS_FIELD_STRING)
				ok = ds__pg_text_ok(p, (const unsigned char *)o->strs.p + f[k].v.off, f[k].len);
		if (!ok) {
			if (!(*dropped)++)
				*first = i;
			continue;
		}
		for (int k = 0; k < p->nf; k++) {
			int n;
			switch (p->fields[k]) {
			case DS_FIELD_INT:
				n = snprintf(num, sizeof num, "%" PRId64, f[k].v.i);
				ds_buf_put(b, num, (size_t)n);
				break;
			case DS_FIELD_DOUBLE:
				if (isnan(f[k].v.d))
					ds_buf_put(b, "NaN", 3);
				else if (isinf(f[k].v.d))
					ds_buf_put(b, f[k].v.d > 0 ? "Infinity" : "-Infinity", f[k].v.d > 0 ? 8 : 9);
				else {
					n = snprintf(num, sizeof num, "%.17g", f[k].v.d);
					ds_buf_put(b, num, (size_t)n);
				}
				break;
			case DS_FIELD_BOOL: ds_buf_putc(b, f[k].v.b ? 't' : 'f'); break;
			default: ds__pg_put_text(b, o->strs.p + f[k].v.off, f[k].len); break;
			}
			ds_buf_putc(b, '\t');
		}
		ds_buf_put(b, tbuf, (size_t)tn);
		if (p->upsert) {
			int n = snprintf(num, sizeof num, "\t%" PRId64, i);
			ds_buf_put(b, num, (size_t)n);
		}
		ds_buf_putc(b, '\n');
	}
}

/* One attempt at the batch's transaction: 1 written, 0 skipped (an earlier
 * run wrote it), -EAGAIN a failure worth retrying (said), another negative
 * errno a failure that stops the program (said). */
static int ds__pg_try(ds_rt *rt, ds__pg *p, const ds_output_desc *d, int64_t t)
{
	char why[512], tt[32];
	PGresult *r = NULL;
	const char *step = "BEGIN";
	snprintf(tt, sizeof tt, "%" PRId64, t);
	if (p->upsert && !p->temp_made) {
		step = "creating its temporary table";
		r = PQexec(p->conn, p->temp_sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			goto failed;
		PQclear(r);
		p->temp_made = true;
	}
	step = "BEGIN";
	r = PQexec(p->conn, "BEGIN");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		goto failed;
	PQclear(r);
	step = "recording its progress";
	const char *par[3] = {p->app, p->output, tt};
	r = PQexecParams(p->conn,
	                 "INSERT INTO dstream_progress (app, output, batch_time) VALUES ($1, $2, $3::bigint) "
	                 "ON CONFLICT DO NOTHING",
	                 3, NULL, par, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		goto failed;
	bool there = !strcmp(PQcmdTuples(r), "0");
	PQclear(r);
	if (there) { /* committed by an earlier run: nothing to do */
		r = PQexec(p->conn, "ROLLBACK");
		PQclear(r);
		return 0;
	}
	/* the progress rows of batches that can never run again (the older
	 * kept checkpoint covers them): a row per batch would grow forever.  Not
	 * on the manual clock, whose batch times a fresh run repeats: its
	 * programs end, and a fresh run finds its batches there */
	char cov[32];
	int64_t covered = rt->manual ? INT64_MIN : rt->ck.covered;
	if (covered != INT64_MIN && covered > p->pruned) {
		step = "deleting old progress rows";
		snprintf(cov, sizeof cov, "%" PRId64, covered);
		const char *dp[3] = {p->app, p->output, cov};
		r = PQexecParams(p->conn, "DELETE FROM dstream_progress WHERE app = $1 AND output = $2 AND batch_time <= $3::bigint",
		                 3, NULL, dp, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			goto failed;
		PQclear(r);
	}
	step = "COPY";
	r = PQexec(p->conn, p->copy_sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		goto failed;
	PQclear(r);
	r = NULL;
	if ((p->data.len && PQputCopyData(p->conn, p->data.p, (int)p->data.len) != 1) || PQputCopyEnd(p->conn, NULL) != 1)
		goto failed;
	r = PQgetResult(p->conn);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		goto failed;
	PQclear(r);
	while ((r = PQgetResult(p->conn)))
		PQclear(r);
	if (p->upsert) {
		step = "merging the batch into the table";
		r = PQexec(p->conn, p->merge_sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			goto failed;
		PQclear(r);
	}
	step = "COMMIT";
	r = PQexec(p->conn, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		goto failed;
	PQclear(r);
	if (covered > p->pruned)
		p->pruned = covered;
	return 1;
failed:
	rt->db_errors++;
	bool again = ds__pg_transient(p->conn, r);
	ds__pg_why(r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(p->conn), why, sizeof why);
	PQclear(r);
	while ((r = PQgetResult(p->conn)))
		PQclear(r);
	if (PQstatus(p->conn) == CONNECTION_OK) {
		r = PQexec(p->conn, "ROLLBACK");
		PQclear(r);
	}
	if (again) {
		ds__msg(rt->cmd, "%s: saveToPostgres: batch %" PRId64 " ms: %s failed (%s): rolled back; it is written "
		        "again %s", d->loc, t, step, why,
		        PQstatus(p->conn) == CONNECTION_OK ? "after a pause" : "once the server is back");
		return -EAGAIN;
	}
	ds__msg(rt->cmd, "%s: saveToPostgres: batch %" PRId64 " ms: %s failed: %s (nothing of the batch was written)",
	        d->loc, t, step, why);
	return -EIO;
}

int ds_pg_commit(ds_rt *rt, int out, int64_t t)
{
	ds__output *o = &rt->out[out];
	const ds_output_desc *d = o->desc;
	ds__pg *p = o->sink;
	if (!p)
		return -EINVAL; /* open failed: the program did not start */
	int64_t dropped, first;
	ds__pg_rows(p, o, t, &dropped, &first);
	if (dropped) {
		rt->db_errors += dropped;
		ds__msg(rt->cmd, "%s: saveToPostgres: batch %" PRId64 " ms: %" PRId64 " record(s) left out: a string "
		        "field holds a NUL byte%s (the first: record %" PRId64 ")",
		        d->loc, t, dropped, p->utf8 ? " or is not UTF-8" : "", first);
	}
	for (;;) {
		int rc = ds__pg_ready(rt, p, d);
		if (rc == -EINTR)
			ds__msg(rt->cmd, "%s: saveToPostgres: stopped while waiting for the server: batch %" PRId64
			        " ms is not written (a restart with the checkpoint writes it)", d->loc, t);
		if (rc < 0)
			return rc;
		rc = ds__pg_try(rt, p, d, t);
		if (rc == 0 && !p->said_skip) {
			p->said_skip = true;
			ds__msg(rt->cmd, "%s: saveToPostgres: batch %" PRId64 " ms is in dstream_progress already: "
			        "skipped, as every batch an earlier run wrote", d->loc, t);
		}
		if (rc >= 0) {
			p->backoff_ms = 0;
			return 0;
		}
		if (rc != -EAGAIN)
			return rc;
		/* a pause before the next try: the server going down, a
		 * serialization failure, a lock */
		p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : DS__PG_BACKOFF_MIN_MS;
		if (p->backoff_ms > DS__PG_BACKOFF_MAX_MS)
			p->backoff_ms = DS__PG_BACKOFF_MAX_MS;
		if (!ds__nap(p->backoff_ms)) {
			ds__msg(rt->cmd, "%s: saveToPostgres: stopped: batch %" PRId64 " ms is not written (a restart "
			        "with the checkpoint writes it)", d->loc, t);
			return -EINTR;
		}
	}
}

#else /* !DS_HAVE_LIBPQ */

int ds_pg_open(ds_rt *rt, int out)
{
	ds__msg(rt->cmd, "%s: saveToPostgres: this runtime was built without libpq", rt->out[out].desc->loc);
	return -ENOSYS;
}

int ds_pg_commit(ds_rt *rt, int out, int64_t t)
{
	(void)t;
	return ds_pg_open(rt, out);
}

#endif
