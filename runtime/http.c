/* http.c: --http HOST:PORT, what an operator sees of a running program.
 *
 * Three read-only paths, over HTTP/1.0 and 1.1 GET:
 *
 *   /metrics       the Prometheus text format (0.0.4): totals, histograms
 *                  of the batches' times, the sources (lang/SPEC.md §20)
 *   /api/batches   JSON: the program, its sources, its last 1000 batches
 *   / /index.html  the status page (status.html, embedded at build time),
 *                  which polls /api/batches
 *
 * Anything else is 404, another method 405.  A small server of our own,
 * not a library (libmicrohttpd): it serves three read-only paths, on
 * loopback unless told otherwise, and every program dstreamc builds would
 * otherwise link the library.  Each response ends the connection
 * (Connection: close); a request's head is at most DS__HTTP_HEAD_MAX
 * bytes, and a connection that has not been served within
 * DS__HTTP_TIMEOUT_MS is closed, so a slow client costs one of
 * DS__HTTP_CONNS slots for a few seconds, never the server.  The query
 * string is ignored.
 *
 * Threads: the scheduler thread calls ds__http_start, ds__http_batch and
 * ds__http_stop; the server thread (signals blocked) owns the listening
 * socket and the connections, and polls them with the wake pipe, which
 * ds__http_stop writes to.  What ds__http_batch hands over is copied into
 * the fields guarded by lock.  Lock order: lock is a leaf; the scheduler
 * holds it only to copy a batch in, the server thread only to render a
 * response into a buffer; neither does I/O or takes another lock while
 * holding it.  Nothing of ds_rt is read after ds__http_start. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* status.html, as bytes (runtime/embed.cmake, at build time) */
extern const unsigned char ds__status_html[];
extern const size_t ds__status_html_len;

#define DS__HTTP_HEAD_MAX 8192    /* bytes of a request's line and headers */
#define DS__HTTP_TIMEOUT_MS 5000  /* from accept to the last byte of the response */
#define DS__HTTP_LINGER_MS 1000   /* after the response: reading what the client still sends */
#define DS__HTTP_CONNS 16         /* connections served at once */
#define DS__HTTP_RING 1000        /* batches kept for /api/batches */

/* The buckets of the histograms, seconds: 1 ms to 60 s. */
static const double ds__http_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                     0.5,   1,      2.5,   5,    10,    30,    60};
#define DS__HTTP_NLE (sizeof ds__http_le / sizeof ds__http_le[0])

typedef struct ds__http_hist {
	int64_t n[DS__HTTP_NLE]; /* observations <= ds__http_le[i] (cumulative when rendered) */
	int64_t count;
	double sum; /* seconds */
} ds__http_hist;

/* One batch, as /api/batches shows it. */
typedef struct ds__http_row {
	int64_t time_ms, records_in, records_out, bad_records, sched_delay_ms, queued_bytes;
	double processing_ms, checkpoint_ms, rate_limit;
} ds__http_row;

/* A source, as it is at start (owned copies of its text). */
typedef struct ds__http_src {
	const char *kind; /* static: its operator's name */
	char *what;       /* host:port, receiver function, topic or path */
	char *loc;        /* file:line:col */
} ds__http_src;

typedef enum { DS__CONN_FREE, DS__CONN_READ, DS__CONN_WRITE, DS__CONN_LINGER } ds__conn_state;

/* A client's connection: server thread only. */
typedef struct ds__http_conn {
	ds__conn_state st;
	int fd;
	int64_t deadline;          /* monotonic ms: closed when not done by then */
	size_t nhead;              /* bytes of head */
	char head[DS__HTTP_HEAD_MAX];
	ds_buf out;                /* the response; kept for the next connection */
	size_t sent;               /* bytes of out written */
} ds__http_conn;

struct ds__http {
	/* set by ds__http_start, then read-only */
	const char *cmd;
	const ds_program *prog;
	int64_t start_ms;   /* realtime at start */
	int workers;
	bool backpressure;
	int nsrc;
	ds__http_src *src;  /* [nsrc] */
	int lfd;            /* the listening socket (non-blocking) */
	int wake[2];        /* pipe: ds__http_stop writes, the server thread polls */
	pthread_t thread;
	/* server thread only */
	ds__http_conn conns[DS__HTTP_CONNS];
	ds_buf body;        /* the response being rendered */
	int64_t accept_after; /* monotonic ms: no accept before (after a failure) */
	/* guarded by lock */
	pthread_mutex_t lock;
	int64_t batches, records_in, records_out, bad_records, kafka_errors, db_errors;
	int64_t checkpoints, checkpoint_failures;
	bool ck_failing;    /* the last batch's checkpoint failed: the next one is due */
	ds__http_hist processing, sched_delay, checkpoint;
	ds__http_row ring[DS__HTTP_RING];
	int64_t nring;      /* rows written in all: the newest is ring[(nring - 1) % DS__HTTP_RING] */
	ds__src_obs *obs;   /* [nsrc]: each source after the last batch (state: static text) */
	int64_t *counters;  /* [prog->ncounters]: the counters' totals after the last batch */
};

/* ---- what the scheduler hands over --------------------------------------- */

static void ds__hist_add(ds__http_hist *h, double s)
{
	for (size_t i = 0; i < DS__HTTP_NLE; i++)
		if (s <= ds__http_le[i]) {
			h->n[i]++;
			break;
		}
	h->count++;
	h->sum += s;
}

void ds__http_batch(ds__http *h, const ds__batch_metrics *m, const ds__src_obs *src)
{
	const ds_program *p = h->prog;
	pthread_mutex_lock(&h->lock);
	h->batches++;
	h->records_in += m->records_in;
	h->records_out += m->records_out;
	h->bad_records += m->bad_records;
	h->kafka_errors += m->kafka_errors;
	h->db_errors += m->db_errors;
	ds__hist_add(&h->processing, m->processing_ms / 1000.0);
	ds__hist_add(&h->sched_delay, (double)m->sched_delay_ms / 1000.0);
	/* m->checkpoint_ms also counts the scheduler looking for a finished
	 * writer: a checkpoint is what was due (its interval, or a retry) */
	bool due = p->checkpoint_dir && p->checkpoint_ms > 0 &&
	           (m->time_ms % p->checkpoint_ms == 0 || h->ck_failing);
	if (due && m->checkpoint_failed)
		h->checkpoint_failures++;
	else if (due && m->checkpoint_ms > 0)
		h->checkpoints++;
	if (due)
		ds__hist_add(&h->checkpoint, m->checkpoint_ms / 1000.0);
	h->ck_failing = m->checkpoint_failed;
	h->ring[h->nring++ % DS__HTTP_RING] = (ds__http_row){
		m->time_ms, m->records_in, m->records_out, m->bad_records, m->sched_delay_ms,
		m->queued_bytes, m->processing_ms, due ? m->checkpoint_ms : 0, m->rate_limit};
	if (h->nsrc > 0)
		memcpy(h->obs, src, (size_t)h->nsrc * sizeof *h->obs);
	if (m->counter_totals)
		memcpy(h->counters, m->counter_totals, (size_t)p->ncounters * sizeof *h->counters);
	pthread_mutex_unlock(&h->lock);
}

/* ---- rendering (under lock) ------------------------------------------------ */

static void ds__put(ds_buf *b, const char *s) { ds_buf_put(b, s, strlen(s)); }

static void ds__putf(ds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ds__putf(ds_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (b->cap - b->len < (size_t)n + 1)
		ds__buf_grow(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A Prometheus label value: \ " and newline escaped. */
static void ds__prom_str(ds_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			ds_buf_putc(b, '\\');
		if (*s == '\n')
			ds__put(b, "\\n");
		else
			ds_buf_putc(b, *s);
	}
}

/* "# HELP" and "# TYPE" of a family. */
static void ds__prom_family(ds_buf *b, const char *name, const char *type, const char *help)
{
	ds__putf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{app="..."[,extra]} : the start of a sample, up to the value. */
static void ds__prom_sample(ds_buf *b, const ds__http *h, const char *name, const char *extra)
{
	ds__put(b, name);
	ds__put(b, "{app=\"");
	ds__prom_str(b, h->prog->name);
	ds_buf_putc(b, '"');
	if (extra) {
		ds_buf_putc(b, ',');
		ds__put(b, extra);
	}
	ds__put(b, "} ");
}

static void ds__prom_int(ds_buf *b, const ds__http *h, const char *name, const char *type,
                         const char *help, int64_t v)
{
	ds__prom_family(b, name, type, help);
	ds__prom_sample(b, h, name, NULL);
	ds__putf(b, "%" PRId64 "\n", v);
}

static void ds__prom_double(ds_buf *b, const ds__http *h, const char *name, const char *help, double v)
{
	ds__prom_family(b, name, "gauge", help);
	ds__prom_sample(b, h, name, NULL);
	ds__putf(b, "%.15g\n", v);
}

static void ds__prom_hist(ds_buf *b, const ds__http *h, const char *name, const char *help,
                          const ds__http_hist *x)
{
	char n[96], le[32];
	ds__prom_family(b, name, "histogram", help);
	snprintf(n, sizeof n, "%s_bucket", name);
	int64_t cum = 0;
	for (size_t i = 0; i < DS__HTTP_NLE; i++) {
		cum += x->n[i];
		snprintf(le, sizeof le, "le=\"%g\"", ds__http_le[i]);
		ds__prom_sample(b, h, n, le);
		ds__putf(b, "%" PRId64 "\n", cum);
	}
	ds__prom_sample(b, h, n, "le=\"+Inf\"");
	ds__putf(b, "%" PRId64 "\n", x->count);
	snprintf(n, sizeof n, "%s_sum", name);
	ds__prom_sample(b, h, n, NULL);
	ds__putf(b, "%.9f\n", x->sum);
	snprintf(n, sizeof n, "%s_count", name);
	ds__prom_sample(b, h, n, NULL);
	ds__putf(b, "%" PRId64 "\n", x->count);
}

/* The labels of source i (without app), escaped, into t. */
static void ds__prom_src_labels(ds_buf *t, const ds__http *h, int i)
{
	t->len = 0;
	ds__putf(t, "source=\"%d\",kind=\"", i);
	ds__prom_str(t, h->src[i].kind);
	ds__put(t, "\",loc=\"");
	ds__prom_str(t, h->src[i].loc);
	ds_buf_putc(t, '"');
	ds_buf_putc(t, 0);
}

/* One family with a sample per source: f(obs) its value. */
static void ds__prom_per_src(ds_buf *b, ds_buf *t, const ds__http *h, const char *name, const char *type,
                             const char *help, double (*f)(const ds__src_obs *))
{
	ds__prom_family(b, name, type, help);
	for (int i = 0; i < h->nsrc; i++) {
		ds__prom_src_labels(t, h, i);
		ds__prom_sample(b, h, name, t->p);
		ds__putf(b, "%.15g\n", f(&h->obs[i]));
	}
}
static double ds__obs_records(const ds__src_obs *o) { return (double)o->records_total; }
static double ds__obs_errors(const ds__src_obs *o) { return (double)o->errors_total; }
static double ds__obs_queued(const ds__src_obs *o) { return (double)o->queued_bytes; }
static double ds__obs_rate(const ds__src_obs *o) { return o->rate_limit; }

static const ds__http_row *ds__last_row(const ds__http *h)
{
	static const ds__http_row none;
	return h->nring ? &h->ring[(h->nring - 1) % DS__HTTP_RING] : &none;
}

static void ds__render_metrics(ds__http *h, ds_buf *b)
{
	const ds_program *p = h->prog;
	ds_buf t = {0};
	ds__prom_family(b, "dstream_info", "gauge", "The program: the dstreamc version that built it and its source's hash.");
	ds__put(&t, "version=\"");
	ds__prom_str(&t, p->version ? p->version : "");
	ds__putf(&t, "\",source_hash=\"%016" PRIx64 "\"", p->source_hash);
	ds_buf_putc(&t, 0);
	ds__prom_sample(b, h, "dstream_info", t.p);
	ds__put(b, "1\n");

	ds__prom_int(b, h, "dstream_batches_total", "counter", "Batches run.", h->batches);
	ds__prom_int(b, h, "dstream_records_in_total", "counter", "Records the batches took from the sources.", h->records_in);
	ds__prom_int(b, h, "dstream_records_out_total", "counter", "Records the outputs were given.", h->records_out);
	ds__prom_int(b, h, "dstream_bad_records_total", "counter", "Bad records dropped.", h->bad_records);
	ds__prom_int(b, h, "dstream_kafka_errors_total", "counter", "Kafka failures said (ranges not read, records not delivered).",
	             h->kafka_errors);
	ds__prom_int(b, h, "dstream_db_errors_total", "counter",
	             "saveToPostgres and saveToRedis failures (lost connections, refused statements), retried or fatal.",
	             h->db_errors);
	ds__prom_int(b, h, "dstream_checkpoints_total", "counter", "Checkpoints due after a batch and written.", h->checkpoints);
	ds__prom_int(b, h, "dstream_checkpoint_failures_total", "counter", "Checkpoints due after a batch that could not be written.",
	             h->checkpoint_failures);
	ds__prom_hist(b, h, "dstream_processing_seconds", "A batch's processing time.", &h->processing);
	ds__prom_hist(b, h, "dstream_scheduling_delay_seconds", "From a batch's time to its start.", &h->sched_delay);
	ds__prom_hist(b, h, "dstream_checkpoint_seconds", "Writing a checkpoint after a batch (a background write: starting it).",
	              &h->checkpoint);

	const ds__http_row *last = ds__last_row(h);
	ds__prom_int(b, h, "dstream_queued_bytes", "gauge", "The receivers' bytes not yet in a batch when the last batch was formed.",
	             last->queued_bytes);
	ds__prom_double(b, h, "dstream_rate_limit_records_per_second",
	                "Records/s the receivers are held to after the last batch, summed (0: none).", last->rate_limit);
	ds__prom_int(b, h, "dstream_workers", "gauge", "Worker threads.", h->workers);
	ds__prom_double(b, h, "dstream_batch_interval_seconds", "The batch interval.", (double)p->batch_ms / 1000.0);
	ds__prom_double(b, h, "dstream_last_batch_time_seconds", "The last batch's time (0: none yet).",
	                (double)last->time_ms / 1000.0);
	ds__prom_double(b, h, "dstream_start_time_seconds", "When the program started, since the epoch.",
	                (double)h->start_ms / 1000.0);

	ds__prom_per_src(b, &t, h, "dstream_source_records_total", "counter", "Records a source gave the batches.", ds__obs_records);
	ds__prom_per_src(b, &t, h, "dstream_source_errors_total", "counter", "Failures a source said (connections, restarts, Kafka).",
	                 ds__obs_errors);
	ds__prom_per_src(b, &t, h, "dstream_source_queued_bytes", "gauge", "A receiver's bytes not yet in a batch.", ds__obs_queued);
	ds__prom_per_src(b, &t, h, "dstream_source_rate_limit_records_per_second", "gauge",
	                 "Records/s a receiver is held to (0: none).", ds__obs_rate);
	ds__prom_family(b, "dstream_source_state", "gauge", "A source's state: 1 for the one it is in.");
	for (int i = 0; i < h->nsrc; i++) {
		ds__prom_src_labels(&t, h, i);
		t.len--; /* its NUL */
		ds__put(&t, ",state=\"");
		ds__prom_str(&t, h->obs[i].state);
		ds_buf_putc(&t, '"');
		ds_buf_putc(&t, 0);
		ds__prom_sample(b, h, "dstream_source_state", t.p);
		ds__put(b, "1\n");
	}
	if (p->ncounters > 0)
		ds__prom_family(b, "dstream_counter_total", "counter",
		                "A counter(\"name\", n) of the program: its total since the job started (a checkpoint keeps it).");
	for (int k = 0; k < p->ncounters; k++) {
		t.len = 0;
		ds__put(&t, "name=\"");
		ds__prom_str(&t, p->counters[k]);
		ds_buf_putc(&t, '"');
		ds_buf_putc(&t, 0);
		ds__prom_sample(b, h, "dstream_counter_total", t.p);
		ds__putf(b, "%" PRId64 "\n", h->counters[k]);
	}
	ds__buf_close(&t);
}

static void ds__render_batches(ds__http *h, ds_buf *b)
{
	const ds_program *p = h->prog;
	ds__put(b, "{\"app\": ");
	ds__json_str(b, p->name);
	ds__put(b, ", \"version\": ");
	ds__json_str(b, p->version ? p->version : "");
	ds__putf(b, ", \"source_hash\": \"%016" PRIx64 "\", \"batch_ms\": %" PRId64 ", \"workers\": %d", p->source_hash,
	         p->batch_ms, h->workers);
	ds__putf(b, ", \"start_ms\": %" PRId64 ", \"now_ms\": %" PRId64 ", \"backpressure\": %s", h->start_ms, ds__now_ms(),
	         h->backpressure ? "true" : "false");
	ds__put(b, ",\n \"explain\": ");
	ds__json_str(b, p->explain ? p->explain : "");
	ds__put(b, ",\n \"counters\": {");
	for (int k = 0; k < p->ncounters; k++) {
		ds__put(b, k ? ", " : "");
		ds__json_str(b, p->counters[k]);
		ds__putf(b, ": %" PRId64, h->counters[k]);
	}
	ds__put(b, "}");
	ds__put(b, ",\n \"sources\": [");
	for (int i = 0; i < h->nsrc; i++) {
		const ds__src_obs *o = &h->obs[i];
		ds__putf(b, "%s\n  {\"index\": %d, \"kind\": ", i ? "," : "", i);
		ds__json_str(b, h->src[i].kind);
		ds__put(b, ", \"what\": ");
		ds__json_str(b, h->src[i].what);
		ds__put(b, ", \"loc\": ");
		ds__json_str(b, h->src[i].loc);
		ds__put(b, ", \"state\": ");
		ds__json_str(b, o->state);
		ds__putf(b, ", \"records_total\": %" PRId64 ", \"errors_total\": %" PRId64 ", \"queued_bytes\": %" PRId64,
		         o->records_total, o->errors_total, o->queued_bytes);
		ds__putf(b, ", \"rate_limit\": %.3f, \"records\": %" PRId64 "}", o->rate_limit, o->records);
	}
	ds__put(b, "],\n \"batches\": [");
	int64_t first = h->nring > DS__HTTP_RING ? h->nring - DS__HTTP_RING : 0;
	for (int64_t k = first; k < h->nring; k++) {
		const ds__http_row *r = &h->ring[k % DS__HTTP_RING];
		ds__putf(b, "%s\n  {\"time_ms\": %" PRId64 ", \"records_in\": %" PRId64 ", \"records_out\": %" PRId64, k > first ? "," : "",
		         r->time_ms, r->records_in, r->records_out);
		ds__putf(b, ", \"bad_records\": %" PRId64 ", \"scheduling_delay_ms\": %" PRId64 ", \"processing_ms\": %.3f",
		         r->bad_records, r->sched_delay_ms, r->processing_ms);
		ds__putf(b, ", \"total_delay_ms\": %.3f, \"checkpoint_ms\": %.3f, \"queued_bytes\": %" PRId64 ", \"rate_limit\": %.3f}",
		         (double)r->sched_delay_ms + r->processing_ms, r->checkpoint_ms, r->queued_bytes, r->rate_limit);
	}
	ds__put(b, "]}\n");
}

/* ---- the server thread --------------------------------------------------- */

static int64_t ds__mono_ms(void) { return ds__mono_us() / 1000; }

/* The whole response to a request's head into c->out. */
static void ds__respond(ds__http *h, ds__http_conn *c)
{
	const char *status = "200 OK", *type = "text/plain; charset=utf-8", *extra = "";
	const char *msg = NULL; /* a short text body; else body and len */
	const void *body = NULL;
	size_t len = 0;
	ds_buf *b = &h->body;
	b->len = 0;

	char *line = c->head, *eol = memchr(line, '\n', c->nhead);
	char *sp1 = eol ? memchr(line, ' ', (size_t)(eol - line)) : NULL;
	char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	size_t vlen = sp2 ? (size_t)(eol - sp2 - 1) : 0;
	if (vlen && sp2[vlen] == '\r')
		vlen--;
	if (!sp2 || sp1[1] != '/') {
		status = "400 Bad Request", msg = "bad request\n";
	} else if (!(vlen == 8 && (!memcmp(sp2 + 1, "HTTP/1.0", 8) || !memcmp(sp2 + 1, "HTTP/1.1", 8)))) {
		status = "505 HTTP Version Not Supported", msg = "HTTP/1.0 or HTTP/1.1 only\n";
	} else if (sp1 - line != 3 || memcmp(line, "GET", 3)) {
		status = "405 Method Not Allowed", msg = "GET only\n", extra = "Allow: GET\r\n";
	} else {
		char *path = sp1 + 1, *end = memchr(path, '?', (size_t)(sp2 - path));
		size_t n = (size_t)((end ? end : sp2) - path);
#define DS__IS(s) (n == sizeof s - 1 && !memcmp(path, s, n))
		if (DS__IS("/") || DS__IS("/index.html")) {
			type = "text/html; charset=utf-8";
			/* the page needs nothing from elsewhere, and gets nothing */
			extra = "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
			        "style-src 'unsafe-inline'; connect-src 'self'; img-src data:\r\n";
			body = ds__status_html, len = ds__status_html_len;
		} else if (DS__IS("/metrics") || DS__IS("/api/batches")) {
			bool metrics = path[1] == 'm';
			type = metrics ? "text/plain; version=0.0.4; charset=utf-8" : "application/json";
			pthread_mutex_lock(&h->lock);
			if (metrics)
				ds__render_metrics(h, b);
			else
				ds__render_batches(h, b);
			pthread_mutex_unlock(&h->lock);
			body = b->p, len = b->len;
		} else {
			status = "404 Not Found", msg = "not found\n";
		}
#undef DS__IS
	}
	if (msg)
		body = msg, len = strlen(msg);
	c->out.len = 0;
	ds__putf(&c->out, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n", status, type, len);
	ds__put(&c->out, extra);
	ds__put(&c->out, "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n");
	ds_buf_put(&c->out, body, len);
	c->sent = 0;
	c->st = DS__CONN_WRITE;
}

static void ds__conn_close(ds__http_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->st = DS__CONN_FREE;
}

/* The head so far ends with an empty line. */
static bool ds__head_done(const ds__http_conn *c)
{
	const char *h = c->head;
	for (size_t i = 1; i < c->nhead; i++)
		if (h[i] == '\n' && (h[i - 1] == '\n' || (i >= 2 && h[i - 1] == '\r' && h[i - 2] == '\n')))
			return true;
	return false;
}

/* c's socket is ready: goes on reading, writing or lingering. */
static void ds__conn_step(ds__http *h, ds__http_conn *c)
{
	if (c->st == DS__CONN_READ) {
		ssize_t n = read(c->fd, c->head + c->nhead, sizeof c->head - c->nhead);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			ds__conn_close(c);
			return;
		}
		c->nhead += (size_t)n;
		if (ds__head_done(c)) {
			ds__respond(h, c);
		} else if (c->nhead == sizeof c->head) {
			c->out.len = 0;
			ds__put(&c->out, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
			                 "Content-Length: 19\r\nConnection: close\r\n\r\nrequest too large\r\n");
			c->sent = 0;
			c->st = DS__CONN_WRITE;
		}
		if (c->st != DS__CONN_WRITE)
			return;
	}
	if (c->st == DS__CONN_WRITE) {
		ssize_t n = send(c->fd, c->out.p + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			ds__conn_close(c);
			return;
		}
		c->sent += (size_t)n;
		if (c->sent < c->out.len)
			return;
		/* all sent: closing now, with the client's bytes unread, could
		 * reset the connection before it has read the response */
		shutdown(c->fd, SHUT_WR);
		c->st = DS__CONN_LINGER;
		int64_t t = ds__mono_ms() + DS__HTTP_LINGER_MS;
		c->deadline = t < c->deadline ? t : c->deadline;
		return;
	}
	char sink[4096];
	ssize_t n = read(c->fd, sink, sizeof sink);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		ds__conn_close(c);
}

static void ds__accept(ds__http *h)
{
	for (int i = 0; i < DS__HTTP_CONNS; i++) {
		ds__http_conn *c = &h->conns[i];
		if (c->st != DS__CONN_FREE)
			continue;
		c->fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd < 0) {
			/* EMFILE and the like: the listener stays readable, so
			 * wait a little rather than spin */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				h->accept_after = ds__mono_ms() + 100;
			return;
		}
		c->st = DS__CONN_READ;
		c->nhead = 0;
		c->deadline = ds__mono_ms() + DS__HTTP_TIMEOUT_MS;
	}
}

static void *ds__http_main(void *arg)
{
	ds__http *h = arg;
	struct pollfd pf[2 + DS__HTTP_CONNS];
	int who[2 + DS__HTTP_CONNS];
	for (;;) {
		int n = 0, timeout = -1, nfree = 0;
		int64_t now = ds__mono_ms();
		pf[n++] = (struct pollfd){h->wake[0], POLLIN, 0};
		for (int i = 0; i < DS__HTTP_CONNS; i++) {
			ds__http_conn *c = &h->conns[i];
			if (c->st != DS__CONN_FREE && now >= c->deadline)
				ds__conn_close(c);
			if (c->st == DS__CONN_FREE) {
				nfree++;
				continue;
			}
			int64_t left = c->deadline - now;
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
			who[n] = i;
			pf[n++] = (struct pollfd){c->fd, c->st == DS__CONN_WRITE ? POLLOUT : POLLIN, 0};
		}
		if (nfree && now >= h->accept_after) {
			who[n] = -1;
			pf[n++] = (struct pollfd){h->lfd, POLLIN, 0};
		} else if (timeout < 0 || timeout > 100) {
			timeout = 100; /* the listener waits in its backlog */
		}
		if (poll(pf, (nfds_t)n, timeout) < 0) {
			if (errno != EINTR)
				poll(NULL, 0, 100); /* ENOMEM: try again a little later */
			continue;
		}
		if (pf[0].revents)
			break;
		for (int k = 1; k < n; k++) {
			if (!pf[k].revents)
				continue;
			if (who[k] < 0)
				ds__accept(h);
			else
				ds__conn_step(h, &h->conns[who[k]]);
		}
	}
	for (int i = 0; i < DS__HTTP_CONNS; i++)
		if (h->conns[i].st != DS__CONN_FREE)
			ds__conn_close(&h->conns[i]);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------ */

static char *ds__source_what(const ds_source_desc *d)
{
	char t[300];
	switch (d->kind) {
	case DS_SRC_SOCKET:
		snprintf(t, sizeof t, strchr(d->host ? d->host : "", ':') ? "[%s]:%d" : "%s:%d", d->host ? d->host : "", d->port);
		return ds__xstrdup(t);
	case DS_SRC_RECEIVER:
		return ds__xstrdup(d->fn ? d->fn : "");
	case DS_SRC_KAFKA:
		return ds__xstrdup(d->topic ? d->topic : "");
	default:
		return ds__xstrdup(d->path ? d->path : "");
	}
}

/* Binds and listens on host:port (host empty: 127.0.0.1): the socket or -errno, after a message. */
static int ds__http_listen(const char *cmd, const char *hostport, char *where, size_t wcap)
{
	char *host;
	int port;
	if (ds__split_hostport(hostport, &host, &port) < 0) {
		ds__msg(cmd, "--http %s: not HOST:PORT (PORT 0 to 65535; 0: any free port)", hostport);
		return -EINVAL;
	}
	const char *why;
	int fd = ds__tcp_listen(host, port, true, &why), err = fd < 0 ? -fd : 0;
	free(host);
	if (fd < 0) {
		if (why)
			ds__msg(cmd, "--http %s: cannot resolve: %s", hostport, why);
		else
			ds__msg(cmd, "--http %s: cannot listen: %s", hostport, strerror(err));
		return -err;
	}
	struct sockaddr_storage a;
	socklen_t alen = sizeof a;
	char hs[64], pstr[8];
	if (getsockname(fd, (struct sockaddr *)&a, &alen) < 0 ||
	    getnameinfo((struct sockaddr *)&a, alen, hs, sizeof hs, pstr, sizeof pstr, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		err = errno ? errno : EINVAL;
		close(fd);
		ds__msg(cmd, "--http %s: cannot listen: %s", hostport, strerror(err));
		return -err;
	}
	snprintf(where, wcap, a.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", hs, pstr);
	return fd;
}

int ds__http_start(ds__http **hp, const char *hostport, const ds_rt *rt)
{
	*hp = NULL;
	char where[80];
	int fd = ds__http_listen(rt->cmd, hostport, where, sizeof where);
	if (fd < 0)
		return fd;
	const ds_program *p = rt->prog;
	ds__http *h = ds__xcalloc(1, sizeof *h);
	h->cmd = rt->cmd;
	h->prog = p;
	h->start_ms = rt->start_ms ? rt->start_ms : ds__now_ms(); /* the manual clock: 0 */
	h->workers = rt->nworkers;
	h->backpressure = !rt->opts.no_backpressure;
	h->nsrc = p->nsources;
	h->src = ds__xcalloc((size_t)(h->nsrc > 0 ? h->nsrc : 1), sizeof *h->src);
	h->obs = ds__xcalloc((size_t)(h->nsrc > 0 ? h->nsrc : 1), sizeof *h->obs);
	h->counters = ds__xcalloc((size_t)(rt->prog->ncounters > 0 ? rt->prog->ncounters : 1), sizeof *h->counters);
	for (int i = 0; i < h->nsrc; i++) {
		/* the descriptor in use: --source-path applied */
		const ds_source_desc *d = rt->src && rt->src[i].desc ? rt->src[i].desc : &p->sources[i];
		h->src[i].kind = ds__source_kind_name(d);
		h->src[i].what = ds__source_what(d);
		h->src[i].loc = ds__xstrdup(d->loc ? d->loc : "");
		h->obs[i] = rt->obs ? rt->obs[i] : (ds__src_obs){.state = "-"};
	}
	for (int i = 0; i < DS__HTTP_CONNS; i++)
		h->conns[i].fd = -1;
	h->lfd = fd;
	pthread_mutex_init(&h->lock, NULL);
	int rc = pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) < 0 ? -errno : 0;
	if (rc == 0 && (rc = ds__thread_start(&h->thread, ds__http_main, h)) < 0) {
		close(h->wake[0]);
		close(h->wake[1]);
	}
	if (rc < 0) {
		ds__msg(rt->cmd, "--http %s: cannot start the server: %s", hostport, strerror(-rc));
		h->wake[0] = h->wake[1] = -1; /* no thread to stop */
		ds__http_stop(h);
		return rc;
	}
	*hp = h;
	ds__msg(rt->cmd, "http: serving on http://%s/", where);
	return 0;
}

void ds__http_stop(ds__http *h)
{
	if (!h)
		return;
	if (h->wake[1] >= 0) { /* the thread runs */
		ssize_t r = write(h->wake[1], "x", 1);
		(void)r;
		pthread_join(h->thread, NULL);
		close(h->wake[0]);
		close(h->wake[1]);
	}
	close(h->lfd);
	for (int i = 0; i < DS__HTTP_CONNS; i++)
		ds__buf_close(&h->conns[i].out);
	ds__buf_close(&h->body);
	for (int i = 0; i < h->nsrc; i++) {
		free(h->src[i].what);
		free(h->src[i].loc);
	}
	free(h->src);
	free(h->obs);
	free(h->counters);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
