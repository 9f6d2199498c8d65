/* scheduler.c: the clock and the batches.
 *
 * On the manual clock (any queueStream or binaryQueueStream) batch k has time k * batch_ms and
 * batches run back to back.  On the real clock batch times are the
 * multiples of batch_ms in epoch ms; the batch at T waits until T, takes
 * what each source has for (T - batch_ms, T], runs the program's stages,
 * commits the outputs in program order, reports bad records and records
 * metrics.  A batch that starts late runs anyway; its delay is measured.
 *
 * Everything here is owned by the scheduler (main) thread; the only
 * cross-thread traffic is through ds__socket (see socket.c). */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

static void ds__src_view_add(ds_rt *rt, ds__source *s, const ds__block *b, int64_t *in)
{
	if (s->nview == s->capview) {
		s->capview = s->capview ? 2 * s->capview : 8;
		s->view = ds__xrealloc(s->view, (size_t)s->capview * sizeof *s->view);
	}
	s->view[s->nview++] = b->b;
	*in += b->b.nrecs;
	if (b->bad.n) {
		rt->bad_in_batch += b->bad.n;
		if (s->desc->site >= 0 && s->desc->site < rt->prog->nsites)
			ds__bad_merge(&rt->sites[s->desc->site], &b->bad);
	}
}

int ds__rt_open(ds_rt *rt, const ds_program *prog, const char *cmd, const ds__opts *o)
{
	memset(rt, 0, sizeof *rt);
	rt->prog = prog;
	rt->cmd = cmd;
	rt->opts = *o;
	ds_arena_init(&rt->init_arena);
	ds_arena_init(&rt->batch_arena);
	rt->sites = ds__xcalloc((size_t)(prog->nsites > 0 ? prog->nsites : 1), sizeof *rt->sites);
	ds__outputs_init(rt);
	rt->src = ds__xcalloc((size_t)(prog->nsources > 0 ? prog->nsources : 1), sizeof *rt->src);
	for (int i = 0; i < prog->nsources; i++) {
		rt->src[i].own = prog->sources[i];
		if (o->source_path && o->source_path[i])
			rt->src[i].own.path = o->source_path[i];
		if (o->replay && o->replay[i]) /* --replay: a text stream read as a queue */
			rt->src[i].own.kind = DS_SRC_QUEUE;
		rt->src[i].desc = &rt->src[i].own;
		ds__blockq_init(&rt->src[i].owned);
		if (rt->src[i].own.kind == DS_SRC_QUEUE || rt->src[i].own.kind == DS_SRC_BINQUEUE)
			rt->manual = true;
	}
	rt->start_ms = rt->manual ? 0 : ds__now_ms();
	/* Files first, receivers last: a missing file stops us before any thread runs. */
	for (int i = 0; i < prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		const ds_source_desc *d = s->desc;
		int rc = 0;
		int64_t ignored = 0;
		switch (d->kind) {
		case DS_SRC_QUEUE:
			if ((rc = ds__queue_load(&s->queue, d->path, o->max_line)) < 0)
				ds__msg(cmd, "queueStream: cannot open '%s': %s", d->path, strerror(-rc));
			break;
		case DS_SRC_TEXTFILE:
			if ((rc = ds__read_file_block(d->path, o->max_line, &s->file)) < 0) {
				ds__msg(cmd, "textFile: cannot open '%s': %s", d->path, strerror(-rc));
				break;
			}
			ds__src_view_add(rt, s, s->file, &ignored); /* bad lines: reported with batch 1 */
			break;
		case DS_SRC_TEXTDIR:
			if ((rc = ds__textdir_init(&s->dir, d->path)) < 0)
				ds__msg(cmd, "textFileStream: cannot open directory '%s': %s", d->path,
				        strerror(-rc));
			break;
		case DS_SRC_SOCKET: case DS_SRC_RECEIVER:
			break;
		case DS_SRC_BINQUEUE:
			if ((rc = ds__binrec_open(&s->bin, cmd, d)) < 0)
				ds__msg(cmd, "binaryQueueStream: cannot open '%s': %s", d->path, strerror(-rc));
			break;
		case DS_SRC_BINDIR:
			if ((rc = ds__binrec_open(&s->bin, cmd, d)) < 0)
				break;
			if ((rc = ds__textdir_init(&s->dir, d->path)) < 0)
				ds__msg(cmd, "binaryRecordsStream: cannot open directory '%s': %s", d->path,
				        strerror(-rc));
			break;
		case DS_SRC_BINFILE: {
			ds__blockq q;
			ds__blockq_init(&q);
			if ((rc = ds__binrec_open(&s->bin, cmd, d)) < 0 ||
			    (rc = ds__binrec_read(&s->bin, d->path, SIZE_MAX, &q)) < 0) {
				ds__msg(cmd, "binaryRecords: cannot open '%s': %s", d->path, strerror(-rc));
				break;
			}
			s->file = ds__blockq_pop(&q); /* the one block of a whole file */
			ds__blockq_free(&q);
			ds__src_view_add(rt, s, s->file, &ignored); /* a tail: reported with batch 1 */
			break;
		}
		default:
			ds__msg(cmd, "source %d: unknown kind %d", i, (int)d->kind);
			rc = -EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	for (int i = 0; i < prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		if (s->desc->kind == DS_SRC_RECEIVER) {
			s->recv = ds__xmalloc(sizeof *s->recv);
			int rc = ds__receiver_start(s->recv, cmd, s->desc, prog->block_ms, prog->batch_ms,
			                            o->max_line, NULL);
			if (rc < 0) {
				free(s->recv);
				s->recv = NULL;
				ds__msg(cmd, "receiverStream: cannot start receiver: %s", strerror(-rc));
				return rc;
			}
			continue;
		}
		if (s->desc->kind != DS_SRC_SOCKET)
			continue;
		s->sock = ds__xmalloc(sizeof *s->sock);
		int rc = ds__socket_start(s->sock, cmd, s->desc, prog->block_ms, prog->batch_ms, o->max_line,
		                          NULL);
		if (rc < 0) {
			free(s->sock);
			s->sock = NULL;
			ds__msg(cmd, "socketTextStream: cannot start receiver: %s", strerror(-rc));
			return rc;
		}
	}
	rt->state = ds__xcalloc(1, prog->state_size ? prog->state_size : 1);
	return 0;
}

void ds__rt_close(ds_rt *rt)
{
	const ds_program *prog = rt->prog;
	if (!prog)
		return;
	for (int i = 0; i < prog->nsources && rt->src; i++) {
		ds__source *s = &rt->src[i];
		if (s->sock) {
			ds__socket_stop(s->sock);
			free(s->sock);
		}
		if (s->recv) {
			ds__receiver_stop(s->recv);
			free(s->recv);
		}
		ds__queue_close(&s->queue);
		ds__block_free(s->file);
		ds__textdir_close(&s->dir);
		ds__binrec_close(&s->bin);
		ds__blockq_free(&s->owned);
		free(s->view);
	}
	free(rt->src);
	free(rt->sites);
	ds__outputs_close(rt);
	free(rt->state);
	ds_arena_close(&rt->init_arena);
	ds_arena_close(&rt->batch_arena);
	ds__metrics_close(&rt->metrics);
	memset(rt, 0, sizeof *rt);
}

const ds_block *ds_input(ds_task *t, int src, int *n)
{
	ds__source *s = &t->rt->src[src];
	*n = s->nview;
	return s->view;
}

void ds_bad_record(ds_task *t, int site, const char *why, ds_str sample)
{
	ds_rt *rt = t->rt;
	rt->bad_in_batch++;
	if (site >= 0 && site < rt->prog->nsites)
		ds__bad_add(&rt->sites[site], why, sample.p, (size_t)(sample.n > 0 ? sample.n : 0));
}

/* Gathers every source's blocks for the batch at time t; returns the
 * number of records in. */
static int64_t ds__form_batch(ds_rt *rt, int64_t t)
{
	int64_t in = 0;
	for (int i = 0; i < rt->prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		switch (s->desc->kind) {
		case DS_SRC_QUEUE: {
			const ds__block *b = ds__queue_next(&s->queue);
			if (b)
				ds__src_view_add(rt, s, b, &in);
			break;
		}
		case DS_SRC_TEXTDIR: {
			int rc = ds__textdir_scan(&s->dir, rt->cmd, rt->opts.max_line, &s->owned);
			if (rc < 0)
				ds__msg(rt->cmd, "textFileStream: cannot read directory '%s': %s", s->desc->path,
				        strerror(-rc));
			break;
		}
		case DS_SRC_BINQUEUE: {
			const ds__block *b = ds__binrec_next(&s->bin);
			if (b)
				ds__src_view_add(rt, s, b, &in);
			break;
		}
		case DS_SRC_BINDIR: {
			int rc = ds__binrec_scan(&s->bin, &s->dir, &s->owned);
			if (rc < 0)
				ds__msg(rt->cmd, "binaryRecordsStream: cannot read directory '%s': %s",
				        s->desc->path, strerror(-rc));
			break;
		}
		case DS_SRC_SOCKET:
			if (rt->manual) {
				ds__socket_take(s->sock, INT64_MAX, &s->owned);
			} else {
				ds__socket_wait(s->sock, t, t + 1000 + rt->prog->block_ms);
				ds__socket_take(s->sock, t, &s->owned);
			}
			break;
		case DS_SRC_RECEIVER:
			ds__receiver_take(s->recv, rt->manual ? INT64_MAX : t, &s->owned);
			break;
		default:
			break; /* textFile, binaryRecords: the one block stays in view for the whole run */
		}
		for (ds__block *b = s->owned.head; b; b = b->next)
			ds__src_view_add(rt, s, b, &in);
	}
	return in;
}

static void ds__release_batch(ds_rt *rt)
{
	for (int i = 0; i < rt->prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		if (s->desc->kind == DS_SRC_TEXTFILE || s->desc->kind == DS_SRC_BINFILE)
			continue;
		ds__blockq_free(&s->owned);
		s->nview = 0;
	}
}

static void ds__report_bad(ds_rt *rt, int64_t t)
{
	ds_buf b = {0};
	for (int i = 0; i < rt->prog->nsites; i++) {
		ds__bad *bad = &rt->sites[i];
		if (!bad->n)
			continue;
		const ds_site *site = &rt->prog->sites[i];
		char head[512];
		snprintf(head, sizeof head, "%s%s: warning: %s: dropped %" PRId64 " bad record(s) in batch %" PRId64 " ms: %s: \"",
		         rt->status_line ? "\r\033[K" : "", site->loc, site->op, bad->n, t,
		         bad->why ? bad->why : "bad record");
		ds_buf_put(&b, head, strlen(head));
		ds__fmt_sample(&b, bad);
		ds_buf_put(&b, "\"\n", 2);
		memset(bad, 0, sizeof *bad);
	}
	if (b.len) {
		ssize_t r = write(2, b.p, b.len);
		(void)r;
	}
	ds__buf_close(&b);
}

/* Sleeps until the realtime clock reaches t; false if asked to stop. */
static bool ds__sleep_until(int64_t t)
{
	for (;;) {
		if (ds__stop_flag)
			return false;
		int64_t now = ds__now_ms();
		if (now >= t)
			return true;
		int64_t ms = t - now < 100 ? t - now : 100;
		struct timespec ts = {0, (long)ms * 1000000};
		nanosleep(&ts, NULL);
	}
}

static void ds__status(ds_rt *rt, const ds__batch_metrics *m)
{
	if (!rt->status_line)
		return;
	fprintf(stderr, "\r\033[K%s: batch %" PRId64 " ms: %" PRId64 " in, %" PRId64 " out, %" PRId64
	        " bad, delay %" PRId64 " ms, processing %.1f ms",
	        rt->cmd, m->time_ms, m->records_in, m->records_out, m->bad_records, m->sched_delay_ms,
	        m->processing_ms);
}

int ds__rt_run(ds_rt *rt)
{
	const ds_program *p = rt->prog;
	const ds__opts *o = &rt->opts;
	int64_t bms = p->batch_ms;

	ds_task task = {&rt->init_arena, 0, 0, rt, 0};
	if (p->init)
		p->init(&task, rt->state);

	int64_t qmax = 0;
	for (int i = 0; i < p->nsources; i++)
		if (rt->src[i].desc->kind == DS_SRC_QUEUE && rt->src[i].queue.nbatches > qmax)
			qmax = rt->src[i].queue.nbatches;
		else if (rt->src[i].desc->kind == DS_SRC_BINQUEUE && rt->src[i].bin.nbatches > qmax)
			qmax = rt->src[i].bin.nbatches;
	int64_t first = rt->manual ? bms : rt->start_ms - rt->start_ms % bms + bms;

	int status = 0;
	for (int64_t k = 1;; k++) {
		if (ds__stop_flag)
			break;
		if (o->batches && k > o->batches)
			break;
		if (rt->manual && !o->batches && !o->duration_ms && k > qmax)
			break;
		int64_t t = first + (k - 1) * bms;
		if (!rt->manual && !ds__sleep_until(t))
			break;
		int64_t t0 = ds__mono_us();
		ds__batch_metrics m = {0};
		m.time_ms = t;
		m.sched_delay_ms = rt->manual ? 0 : ds__now_ms() - t;
		m.records_in = ds__form_batch(rt, t);

		ds_arena_reset(&rt->batch_arena);
		task = (ds_task){&rt->batch_arena, t, k, rt, 0};
		rt->batch_time = t;
		p->run_batch(&task, rt->state);
		if (rt->status_line)
			fputs("\r\033[K", stderr); /* stdout may be the same terminal */
		int rc = ds__outputs_commit(rt, t);
		ds__report_bad(rt, t);
		ds__release_batch(rt);

		m.records_out = (int64_t)task.records_out;
		m.bad_records = rt->bad_in_batch;
		rt->bad_in_batch = 0;
		m.processing_ms = (double)(ds__mono_us() - t0) / 1000.0;
		ds__metrics_add(&rt->metrics, &m);
		ds__status(rt, &m);
		if (rc < 0) {
			status = 1;
			break;
		}
		if (o->duration_ms && t >= rt->start_ms + o->duration_ms)
			break;
	}
	if (rt->status_line)
		fputc('\n', stderr);
	return status;
}
