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
#include <malloc.h>
#include <stdlib.h>
#include <sys/stat.h>
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
		rt->workers[0].bad += b->bad.n;
		if (s->desc->site >= 0 && s->desc->site < rt->prog->nsites)
			ds__bad_merge(&rt->sites[s->desc->site], &b->bad);
	}
}

static void ds__limit(ds_rt *rt, ds__source *s);

static bool ds__is_receiver(const ds__source *s)
{
	return s->desc->kind == DS_SRC_SOCKET || s->desc->kind == DS_SRC_RECEIVER;
}

/* A record of the log or the replica: a block that batches after the
 * checkpoint take again. */
static void ds__recovered_block(void *ctx, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	ds_rt *rt = ctx;
	/* the log's source numbers are the checkpointed program's */
	src = src >= 0 && src < rt->ck.nsrc_map ? rt->ck.src_map[src] : -1;
	if (src < 0 || !ds__is_receiver(&rt->src[src]))
		return; /* a receiver this program no longer has */
	ds__block *b = ds__xcalloc(1, sizeof *b);
	char *p = ds__xmalloc(len ? len : 1);
	memcpy(p, data, len);
	b->b.data = p;
	b->b.len = len;
	b->b.nrecs = nrecs;
	b->time_ms = time_ms;
	ds__blockq_push(&rt->src[src].recovered, b);
}

static void ds__recovered_free(ds_rt *rt)
{
	for (int i = 0; i < rt->prog->nsources; i++)
		ds__blockq_free(&rt->src[i].recovered);
}

/* With receivers and a checkpoint directory: opens the write-ahead log
 * (DIR/wal) and the replica link, and takes back the blocks that batches
 * after the chosen checkpoint need, from the log, or from the replica when
 * the log is missing or damaged.  Before any receiver runs, so that
 * nothing new is in the log yet. */
static int ds__recover_blocks(ds_rt *rt)
{
	const ds_program *p = rt->prog;
	bool any = false;
	for (int i = 0; i < p->nsources; i++)
		any |= ds__is_receiver(&rt->src[i]);
	if (!any)
		return 0;
	size_t n = strlen(p->checkpoint_dir) + 8;
	char *dir = ds__xmalloc(n);
	snprintf(dir, n, "%s/wal", p->checkpoint_dir);
	struct stat st;
	bool had_log = stat(dir, &st) == 0;
	int rc = ds__wal_open(&rt->wal, dir, rt->opts.wal_sync, rt->cmd);
	if (rc < 0) {
		ds__msg(rt->cmd, "write-ahead log: cannot open '%s': %s", dir, strerror(-rc));
		free(dir);
		return rc;
	}
	if (rt->opts.replicate && (rc = ds__repl_open(&rt->repl, rt->opts.replicate, p->name, rt->cmd)) < 0) {
		ds__msg(rt->cmd, "--replicate: bad address '%s': %s", rt->opts.replicate, strerror(-rc));
		free(dir);
		return rc;
	}
	rt->stores = ds__xcalloc((size_t)p->nsources, sizeof *rt->stores);
	for (int i = 0; i < p->nsources; i++)
		rt->stores[i] = (ds__store){rt->cmd, i, rt->wal, rt->repl};
	int64_t after = rt->ck.resume_time;
	if (after == INT64_MIN) { /* a fresh start: what an earlier run logged is not ours */
		free(dir);
		return 0;
	}
	bool damaged = false;
	int got = ds__wal_replay(rt->wal, after, ds__recovered_block, rt, &damaged);
	if ((got < 0 || damaged || !had_log) && rt->repl) {
		ds__msg(rt->cmd, "write-ahead log '%s' is %s: fetching the blocks after batch %" PRId64
		        " ms from the replica", dir, !had_log ? "missing" : "damaged", after);
		ds__recovered_free(rt);
		got = ds__repl_fetch(rt->repl, after, ds__recovered_block, rt);
		if (got < 0)
			ds__msg(rt->cmd, "replica: cannot fetch the blocks: %s; the batches after the checkpoint "
			        "run without them", strerror(-got));
	} else if (got < 0) {
		ds__msg(rt->cmd, "write-ahead log '%s': cannot replay: %s", dir, strerror(-got));
	} else if (!had_log) {
		ds__msg(rt->cmd, "warning: write-ahead log '%s' is missing (and no --replicate): the blocks "
		        "received before the crash are lost", dir);
	}
	if (got > 0)
		ds__msg(rt->cmd, "recovered %d block%s received before the crash", got, got == 1 ? "" : "s");
	free(dir);
	return 0;
}

/* A FIFO's open gave up waiting for a writer: SIGINT or SIGTERM, no news. */
static bool ds__stopped(int rc)
{
	return rc == -EINTR && ds__stop_flag;
}

int ds__rt_open(ds_rt *rt, const ds_program *prog, const char *cmd, const ds__opts *o)
{
	memset(rt, 0, sizeof *rt);
	rt->metrics.fd = -1;
	rt->prog = prog;
	rt->cmd = cmd;
	rt->opts = *o;
	ds_arena_init(&rt->init_arena);
	int rc = ds__workers_open(rt, o->workers > 0 ? o->workers : 1);
	rt->metrics.workers = rt->nworkers;
	for (int i = 0; i < prog->nsources; i++)
		rt->metrics.kafka |= prog->sources[i].kind == DS_SRC_KAFKA;
	for (int i = 0; i < prog->noutputs; i++)
		rt->metrics.kafka |= prog->outputs[i].kind == DS_OUT_KAFKA;
	for (int i = 0; i < prog->noutputs; i++)
		rt->metrics.db |= prog->outputs[i].kind == DS_OUT_POSTGRES || prog->outputs[i].kind == DS_OUT_REDIS;
	if (rc < 0)
		return rc;
	rt->src = ds__xcalloc((size_t)(prog->nsources > 0 ? prog->nsources : 1), sizeof *rt->src);
	for (int i = 0; i < prog->nsources; i++) {
		rt->src[i].own = prog->sources[i];
		if (o->source_path && o->source_path[i])
			rt->src[i].own.path = o->source_path[i];
		if (o->replay && o->replay[i]) /* --replay: a text stream read as a queue */
			rt->src[i].own.kind = DS_SRC_QUEUE;
		rt->src[i].desc = &rt->src[i].own;
		ds__blockq_init(&rt->src[i].owned);
		ds__blockq_init(&rt->src[i].recovered);
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
			if ((rc = ds__queue_load(&s->queue, d->path, o->max_line)) < 0 && !ds__stopped(rc))
				ds__src_msg(cmd, d, "cannot open '%s': %s", d->path, strerror(-rc));
			break;
		case DS_SRC_TEXTFILE:
			if ((rc = ds__read_file_block(d->path, o->max_line, &s->file)) < 0) {
				if (!ds__stopped(rc))
					ds__src_msg(cmd, d, "cannot open '%s': %s", d->path, strerror(-rc));
				break;
			}
			ds__src_view_add(rt, s, s->file, &ignored); /* bad lines: reported with batch 1 */
			break;
		case DS_SRC_TEXTDIR:
			if ((rc = ds__textdir_init(&s->dir, d->path)) < 0)
				ds__src_msg(cmd, d, "cannot open directory '%s': %s", d->path, strerror(-rc));
			break;
		case DS_SRC_SOCKET: case DS_SRC_RECEIVER:
			break;
		case DS_SRC_KAFKA:
			rc = d->ops && d->ops->open ? d->ops->open(rt, i) : -ENOSYS;
			break;
		case DS_SRC_BINQUEUE:
			rc = ds__binrec_open(&s->bin, cmd, d); /* says why */
			break;
		case DS_SRC_BINDIR:
			if ((rc = ds__binrec_open(&s->bin, cmd, d)) < 0)
				break;
			if ((rc = ds__textdir_init(&s->dir, d->path)) < 0)
				ds__src_msg(cmd, d, "cannot open directory '%s': %s", d->path, strerror(-rc));
			break;
		case DS_SRC_BINFILE: {
			ds__blockq q;
			ds__blockq_init(&q);
			if ((rc = ds__binrec_open(&s->bin, cmd, d)) < 0 ||
			    (rc = ds__binrec_read(&s->bin, d->path, SIZE_MAX, &q)) < 0) {
				if (!ds__stopped(rc))
					ds__src_msg(cmd, d, "cannot open '%s': %s", d->path, strerror(-rc));
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
	if ((rc = ds__outputs_open(rt)) < 0)
		return rc;
	if (prog->checkpoint_dir) {
		int64_t t0 = ds__mono_us();
		int rc = ds__ckpt_open(rt);
		if (rc == 0)
			rc = ds__recover_blocks(rt);
		if (rc < 0)
			return rc;
		rt->metrics.recovery_ms += (double)(ds__mono_us() - t0) / 1000.0;
	}
	for (int i = 0; i < prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		if (s->desc->kind == DS_SRC_RECEIVER) {
			s->recv = ds__xmalloc(sizeof *s->recv);
			int rc = ds__receiver_start(s->recv, cmd, s->desc, prog->block_ms, prog->batch_ms,
			                            o->max_line, rt->stores ? &rt->stores[i] : NULL, o->max_queued,
			                            o->max_memory);
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
		                          rt->stores ? &rt->stores[i] : NULL, o->max_queued, o->max_memory);
		if (rc < 0) {
			free(s->sock);
			s->sock = NULL;
			ds__msg(cmd, "socketTextStream: cannot start receiver: %s", strerror(-rc));
			return rc;
		}
	}
	rt->counters = ds__xcalloc((size_t)(prog->ncounters > 0 ? prog->ncounters : 1), sizeof *rt->counters);
	rt->counter_totals = ds__xcalloc((size_t)(prog->ncounters > 0 ? prog->ncounters : 1), sizeof *rt->counter_totals);
	rt->metrics.counter_totals = rt->counter_totals;
	rt->obs = ds__xcalloc((size_t)(prog->nsources > 0 ? prog->nsources : 1), sizeof *rt->obs);
	for (int i = 0; i < prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		rt->obs[i].state = s->desc->kind == DS_SRC_KAFKA ? "receiving" : "-";
		ds__pid_init(&s->pid, prog->batch_ms);
		ds__limit(rt, s);
	}
	if ((rc = ds__metrics_open(&rt->metrics, prog, o->metrics_json, cmd)) < 0)
		return rc;
	if (o->http && (rc = ds__http_start(&rt->http, o->http, rt)) < 0)
		return rc;
	return 0;
}

void ds__rt_close(ds_rt *rt)
{
	const ds_program *prog = rt->prog;
	if (!prog)
		return;
	ds__http_stop(rt->http); /* first: it reads nothing of ours, but says nothing after we end */
	free(rt->obs);
	free(rt->counters);
	free(rt->counter_totals);
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
		if (s->desc && s->desc->kind == DS_SRC_KAFKA && s->kafka)
			s->desc->ops->close(rt, i);
		ds__queue_close(&s->queue);
		ds__block_free(s->file);
		ds__textdir_close(&s->dir);
		ds__binrec_close(&s->bin);
		ds__blockq_free(&s->owned);
		ds__blockq_free(&s->recovered);
		free(s->view);
	}
	if (rt->wal)
		ds__wal_close(rt->wal);
	if (rt->repl)
		ds__repl_close(rt->repl);
	free(rt->stores);
	ds__ckpt_close(rt);
	ds__workers_close(rt);
	free(rt->src);
	ds_arena_close(&rt->init_arena);
	ds__metrics_close(&rt->metrics);
	memset(rt, 0, sizeof *rt);
}

const ds_block *ds_input(ds_task *t, int src, int *n)
{
	if (t->exchange) { /* the worker's share (ds__workers_split) */
		const ds__worker *w = &t->rt->workers[t->worker];
		*n = w->nviews[src];
		return w->views[src];
	}
	ds__source *s = &t->rt->src[src];
	*n = s->nview;
	return s->view;
}

int64_t ds_input_records(ds_task *t, int src)
{
	int n;
	const ds_block *b = ds_input(t, src, &n);
	int64_t r = 0;
	for (int i = 0; i < n; i++)
		r += b[i].nrecs;
	return r;
}

int64_t ds_counter_add(ds_task *t, int counter, int64_t n)
{
	ds__worker *w = &t->rt->workers[t->worker];
	if (t->arena == &w->init_arena && w->id != 0)
		return n; /* every worker computes the static Datasets: worker 0 counts */
	w->counters[counter] += n; /* (Int arithmetic wraps, as everywhere) */
	return n;
}

/* The workers' counter sums of the batch (or of init) into rt->counters,
 * added to the totals. */
static void ds__fold_counters(ds_rt *rt)
{
	int nc = rt->prog->ncounters;
	for (int k = 0; k < nc; k++) {
		int64_t sum = 0;
		for (int i = 0; i < rt->nworkers; i++) {
			sum = (int64_t)((uint64_t)sum + (uint64_t)rt->workers[i].counters[k]);
			rt->workers[i].counters[k] = 0;
		}
		rt->counters[k] = sum;
		rt->counter_totals[k] = (int64_t)((uint64_t)rt->counter_totals[k] + (uint64_t)sum);
	}
}

void ds_bad_record(ds_task *t, int site, const char *why, ds_str sample)
{
	ds_rt *rt = t->rt;
	ds__worker *w = &rt->workers[t->worker];
	if (t->arena == &w->init_arena && w->id != 0)
		return; /* every worker computes the static Datasets: worker 0 reports */
	w->bad++;
	if (site >= 0 && site < rt->prog->nsites)
		ds__bad_add(&w->sites[site], why, sample.p, (size_t)(sample.n > 0 ? sample.n : 0));
}

/* Gathers every source's blocks for the batch at time t; returns the
 * number of records in, or -EIO after a message when a source cannot give
 * its part (the program must stop). */
static int64_t ds__form_batch(ds_rt *rt, int64_t t)
{
	int64_t in = 0;
	bool failed = false;
	for (int i = 0; i < rt->prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		int64_t before = in;
		switch (s->desc->kind) {
		case DS_SRC_QUEUE: {
			const ds__block *b = ds__queue_next(&s->queue);
			if (b)
				ds__src_view_add(rt, s, b, &in);
			break;
		}
		case DS_SRC_TEXTDIR: {
			int rc = ds__textdir_scan(&s->dir, rt->cmd, s->desc, rt->opts.max_line, &s->owned);
			if (rc < 0)
				ds__src_msg(rt->cmd, s->desc, "cannot read directory '%s': %s", s->desc->path,
				            strerror(-rc));
			break;
		}
		case DS_SRC_BINQUEUE: {
			const ds__block *b;
			int rc = ds__binrec_next(&s->bin, &b);
			if (rc < 0)
				failed = true; /* said */
			else if (b)
				ds__src_view_add(rt, s, b, &in);
			break;
		}
		case DS_SRC_BINDIR: {
			int rc = ds__binrec_scan(&s->bin, &s->dir, &s->owned);
			if (rc < 0)
				ds__src_msg(rt->cmd, s->desc, "cannot read directory '%s': %s", s->desc->path,
				            strerror(-rc));
			break;
		}
		case DS_SRC_SOCKET:
			ds__blockq_take_until(&s->recovered, rt->manual ? INT64_MAX : t, &s->owned);
			if (rt->manual) {
				ds__socket_take(s->sock, INT64_MAX, &s->owned);
			} else {
				ds__socket_wait(s->sock, t, t + 1000 + rt->prog->block_ms);
				ds__socket_take(s->sock, t, &s->owned);
			}
			break;
		case DS_SRC_RECEIVER:
			ds__blockq_take_until(&s->recovered, rt->manual ? INT64_MAX : t, &s->owned);
			ds__receiver_take(s->recv, rt->manual ? INT64_MAX : t, &s->owned);
			break;
		case DS_SRC_KAFKA: /* the direct approach: the batch's offset ranges, read now */
			s->desc->ops->take(rt, i, t, &s->owned);
			break;
		default:
			break; /* textFile, binaryRecords: the one block stays in view for the whole run */
		}
		for (ds__block *b = s->owned.head; b; b = b->next)
			ds__src_view_add(rt, s, b, &in);
		s->batch_records = in - before;
	}
	return failed ? -EIO : in;
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
	/* --max-memory goes by the resident set: give what the batch freed back
	 * to the system, else the allocator keeps it and the receivers stay
	 * stopped for memory nothing uses */
	if (rt->opts.max_memory && ds__rss_bytes() > rt->opts.max_memory / 2)
		malloc_trim(0);
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
	if (rt->nworkers > 1) { /* each step's slowest worker against the mean one */
		fprintf(stderr, " (%d workers, steps", rt->nworkers);
		for (int s = 0; s < m->nsteps; s++)
			fprintf(stderr, " %.1f/%.1f", m->steps[s].slowest_ms, m->steps[s].mean_ms);
		fputs(" ms slowest/mean)", stderr);
	}
}

/* Waits d ms (--pace), in steps short enough to notice a stop. */
static void ds__pace(int64_t d)
{
	int64_t end = ds__mono_us() + d * 1000;
	while (!ds__stop_flag) {
		int64_t left = end - ds__mono_us();
		if (left <= 0)
			return;
		struct timespec ts = {0, (long)(left > 100000 ? 100000 : left) * 1000};
		nanosleep(&ts, NULL);
	}
}

/* Once a checkpoint is written, the log and the replica may drop what the
 * older of the two kept checkpoints covers. */
static void ds__truncate_logs(ds_rt *rt)
{
	rt->metrics.checkpoints = rt->ck.written;
	if (rt->ck.covered == INT64_MIN)
		return;
	if (rt->wal) {
		int rc = ds__wal_truncate(rt->wal, rt->ck.covered);
		if (rc < 0)
			ds__msg(rt->cmd, "write-ahead log: cannot truncate: %s", strerror(-rc));
	}
	if (rt->repl)
		ds__repl_truncate(rt->repl, rt->ck.covered);
	for (int i = 0; i < rt->prog->nsources; i++) /* kafkaStream: its ranges log */
		if (rt->src[i].desc->kind == DS_SRC_KAFKA && rt->src[i].kafka)
			rt->src[i].desc->ops->truncate(rt, i, rt->ck.covered);
}

/* After the batch at t (number k): collects a checkpoint written in the
 * background; starts one when t is on the interval, or when the last one
 * failed.  force (the first and the last checkpoint of a run) writes it
 * here and now. */
static void ds__maybe_checkpoint(ds_rt *rt, int64_t t, int64_t k, bool force)
{
	const ds_program *p = rt->prog;
	if (!p->checkpoint_dir)
		return;
	if (ds__ckpt_poll(rt, false) > 0)
		ds__truncate_logs(rt);
	if (!force && !rt->ck.failing && t % p->checkpoint_ms != 0)
		return;
	if (ds__ckpt_write(rt, t, k, !force) == 0)
		ds__truncate_logs(rt);
}

/* The rate source s is held to: backpressure's estimate (--initial-rate
 * before the first), capped by --max-rate for a receiver; 0: none. */
static void ds__limit(ds_rt *rt, ds__source *s)
{
	const ds__opts *o = &rt->opts;
	bool rx = s->desc->kind == DS_SRC_SOCKET || s->desc->kind == DS_SRC_RECEIVER;
	if (!rx && s->desc->kind != DS_SRC_KAFKA)
		return;
	double rate = 0;
	if (!o->no_backpressure)
		rate = s->estimate > 0 ? s->estimate : o->initial_rate;
	if (rx && o->max_rate > 0 && (rate == 0 || rate > o->max_rate))
		rate = o->max_rate;
	s->rate = rate;
	if (s->sock)
		ds__socket_set_rate(s->sock, rate);
	if (s->recv)
		ds__receiver_set_rate(s->recv, rate);
}

/* After the batch: each source's estimate and limit (backpressure), and
 * what an operator sees of it.  work_ms: the batch's time from its input
 * being formed to its end (the checkpoint included). */
static void ds__control(ds_rt *rt, ds__batch_metrics *m, double work_ms)
{
	for (int i = 0; i < rt->prog->nsources; i++) {
		ds__source *s = &rt->src[i];
		ds__src_obs *o = &rt->obs[i];
		o->records = s->batch_records;
		if (!rt->opts.no_backpressure && !rt->manual) {
			double est = ds__pid_compute(&s->pid, m->time_ms, s->batch_records, work_ms, m->sched_delay_ms);
			if (est > 0)
				s->estimate = est;
		}
		ds__limit(rt, s);
		if (s->sock) {
			ds__socket_obs(s->sock, o);
		} else if (s->recv) {
			ds__receiver_obs(s->recv, o);
		} else {
			o->records_total += s->batch_records;
			o->rate_limit = s->rate;
			if (s->desc->kind == DS_SRC_KAFKA)
				o->errors_total += m->kafka_errors;
		}
		m->rate_limit += o->rate_limit;
		m->queued_bytes += o->queued_bytes;
	}
}

/* Off a terminal, every log_every batches: one line of what they did. */
static void ds__log_summary(ds_rt *rt, const ds__batch_metrics *m)
{
	struct ds__since *x = &rt->since;
	int64_t every = rt->opts.log_every;
	if (every < 0) /* the default: on the real clock, about once a minute */
		every = rt->opts.quiet || rt->manual ? 0 : 60000 / rt->prog->batch_ms > 1 ? 60000 / rt->prog->batch_ms : 1;
	if (rt->status_line || every == 0)
		return;
	if (x->batches++ == 0)
		x->first_t = m->time_ms;
	x->in += m->records_in;
	x->out += m->records_out;
	x->bad += m->bad_records;
	x->proc += m->processing_ms;
	x->max_proc = m->processing_ms > x->max_proc ? m->processing_ms : x->max_proc;
	x->max_delay = m->sched_delay_ms > x->max_delay ? m->sched_delay_ms : x->max_delay;
	if (x->batches < every)
		return;
	double secs = (double)(m->time_ms - x->first_t + rt->prog->batch_ms) / 1000.0;
	char limit[64] = "";
	if (m->rate_limit > 0)
		snprintf(limit, sizeof limit, ", limit %.0f/s", m->rate_limit);
	ds__msg(rt->cmd, "batches %" PRId64 "..%" PRId64 " ms (%" PRId64 "): %" PRId64 " in (%.1f/s), %" PRId64
	        " out, %" PRId64 " bad, processing %.1f ms mean, %.1f max, delay %" PRId64 " ms max, queued %" PRId64
	        " bytes%s", x->first_t, m->time_ms, x->batches, x->in, secs > 0 ? (double)x->in / secs : 0.0, x->out,
	        x->bad, x->proc / (double)x->batches, x->max_proc, x->max_delay, m->queued_bytes, limit);
	memset(x, 0, sizeof *x);
}

/* On the real clock: a warning when a batch starts later than a batch
 * interval, again whenever the delay has grown for 10 batches in a row,
 * and a word when it is back under the interval. */
static void ds__watch_delay(ds_rt *rt, const ds__batch_metrics *m)
{
	if (rt->manual || ds__stop_flag) /* (the final batch after a stop is no news) */
		return;
	int64_t d = m->sched_delay_ms, bms = rt->prog->batch_ms;
	if (m->time_ms <= rt->loop_ms) { /* due before the batches began (missed while the
					   program was down, or while it recovered): late by design */
		rt->last_delay = d;
		return;
	}
	if (rt->status_line && (d > bms || rt->behind))
		fputs("\r\033[K", stderr); /* the status line gives way to what follows */
	if (d > bms && !rt->behind) {
		/* batches that take a fraction of the interval did not make this
		 * one late: the batch thread did not get a CPU in time */
		bool slow = m->processing_ms * 2 > (double)bms;
		ds__msg(rt->cmd, "warning: batch %" PRId64 " ms started %" PRId64 " ms late, more than the batch "
		        "interval (%" PRId64 " ms): %s (processing %.1f ms)%s",
		        m->time_ms, d, bms,
		        slow ? "the batches take longer than the interval"
		             : "the program did not get a CPU in time, the machine is busy",
		        m->processing_ms,
		        slow && m->rate_limit > 0 && !rt->opts.no_backpressure ? "; backpressure is slowing the input" : "");
		rt->behind = true;
		rt->grew = 0;
	} else if (d > bms) {
		rt->grew = d > rt->last_delay ? rt->grew + 1 : 0;
		if (rt->grew == 10) {
			ds__msg(rt->cmd, "warning: falling behind: the scheduling delay has grown for 10 batches in a "
			        "row, to %" PRId64 " ms (batch %" PRId64 " ms: %" PRId64 " records, processing %.1f ms "
			        "per %" PRId64 " ms interval)", d, m->time_ms, m->records_in, m->processing_ms, bms);
			rt->grew = 0;
		}
	} else if (rt->behind) {
		ds__msg(rt->cmd, "caught up: batch %" PRId64 " ms started %" PRId64 " ms late", m->time_ms, d);
		rt->behind = false;
	}
	rt->last_delay = d;
}

/* Runs the batch at time t (number k): forms it, runs the stages, commits
 * the outputs, reports, then checkpoints when due.  Returns the outputs'
 * status (< 0: an output failed, the program must stop). */
static int ds__run_batch(ds_rt *rt, int64_t t, int64_t k)
{
	const ds_program *p = rt->prog;
	int64_t t0 = ds__mono_us();
	ds__batch_metrics m = {0};
	m.time_ms = t;
	m.sched_delay_ms = rt->manual ? 0 : ds__now_ms() - t;
	if (m.sched_delay_ms < 0) /* the final batch after a stop runs before its time */
		m.sched_delay_ms = 0;
	m.records_in = ds__form_batch(rt, t);
	if (m.records_in < 0) {
		ds__release_batch(rt);
		return -EIO;
	}
	int64_t t1 = ds__mono_us();
	if (rt->wal && rt->opts.wal_sync == DS__WAL_SYNC_BATCH) {
		int rc = ds__wal_sync(rt->wal);
		if (rc < 0)
			ds__msg(rt->cmd, "write-ahead log: cannot sync: %s", strerror(-rc));
	}

	rt->batch_time = t;
	int nw = rt->nworkers, nx = p->nexchanges > 0 ? p->nexchanges : 0;
	if (nw > 1)
		ds__workers_split(rt);
	for (int i = 0; i < nw; i++) {
		ds__worker *w = &rt->workers[i];
		ds_arena_reset(&w->batch_arena);
		w->task = (ds_task){&w->batch_arena, t, k, rt, 0, i, nw, nw > 1, w->xout};
		for (int x = 0; x < nx * nw; x++)
			w->xout[x].len = 0;
	}
	ds__workers_run(rt, DS__JOB_BATCH);
	if (rt->status_line)
		fputs("\r\033[K", stderr); /* stdout may be the same terminal */
	ds__outputs_merge(rt);
	for (int i = 0; i < nw; i++) {
		ds__worker *w = &rt->workers[i];
		m.records_out += (int64_t)w->task.records_out;
		m.bad_records += w->bad;
		w->bad = 0;
		if (i > 0)
			for (int site = 0; site < p->nsites; site++)
				if (w->sites[site].n) {
					ds__bad_merge(&rt->sites[site], &w->sites[site]);
					memset(&w->sites[site], 0, sizeof w->sites[site]);
				}
		m.slowest_worker_ms = w->busy_ms > m.slowest_worker_ms ? w->busy_ms : m.slowest_worker_ms;
	}
	ds__workers_steps(rt, &m);
	ds__fold_counters(rt);
	m.counters = rt->counters;
	m.counter_totals = rt->counter_totals;
	int rc = 0;
	for (int i = 0; i < p->nsources; i++) /* a mapped file that shrank under the batch */
		if (rt->src[i].desc->kind == DS_SRC_BINQUEUE && ds__binrec_faulted(&rt->src[i].bin, t) < 0)
			rc = -EIO;
	if (rc == 0) /* (else nothing of the batch is written: the program stops) */
		rc = ds__outputs_commit(rt, t);
	m.kafka_errors = rt->kafka_errors;
	rt->kafka_errors = 0;
	m.db_errors = rt->db_errors;
	rt->db_errors = 0;
	for (int i = 0; rc == 0 && i < p->nsources; i++) /* kafkaStream: its progress, to the group */
		if (rt->src[i].desc->kind == DS_SRC_KAFKA && rt->src[i].kafka)
			rt->src[i].desc->ops->done(rt, i);
	ds__report_bad(rt, t);
	ds__release_batch(rt);

	m.processing_ms = (double)(ds__mono_us() - t0) / 1000.0;
	if (rc == 0) {
		int64_t c0 = ds__mono_us();
		ds__maybe_checkpoint(rt, t, k, false);
		m.checkpoint_ms = (double)(ds__mono_us() - c0) / 1000.0;
		m.checkpoint_failed = rt->ck.failing;
	}
	ds__control(rt, &m, (double)(ds__mono_us() - t1) / 1000.0);
	if (rt->metrics.fd >= 0 || rt->http)
		m.rss_bytes = (int64_t)ds__rss_bytes();
	ds__metrics_add(&rt->metrics, &m, rt->cmd);
	if (rt->http)
		ds__http_batch(rt->http, &m, rt->obs);
	ds__watch_delay(rt, &m);
	ds__log_summary(rt, &m);
	ds__status(rt, &m);
	free(m.steps);
	return rc;
}

/* After SIGINT or SIGTERM on the real clock (Spark's graceful stop): the
 * receivers stop, keeping what they had received, and one more batch takes
 * all of it.  Its time is the next batch time after now, which is not
 * before any cut time of what they hold, so a restart does not take any of
 * it from the log again.  Returns the batch's time, or INT64_MIN when
 * there was nothing to run. */
static int64_t ds__final_batch(ds_rt *rt, int64_t last_t, int64_t k, int *status)
{
	const ds_program *p = rt->prog;
	int64_t now = ds__now_ms(), t = (now / p->batch_ms + 1) * p->batch_ms;
	if (last_t != INT64_MIN && t <= last_t)
		t = last_t + p->batch_ms;
	bool any = false;
	for (int i = 0; i < p->nsources; i++) {
		ds__source *s = &rt->src[i];
		if (s->sock)
			ds__socket_halt(s->sock, t);
		if (s->recv)
			ds__receiver_halt(s->recv);
		any |= s->sock || s->recv;
	}
	if (!any)
		return INT64_MIN;
	/* anything there? (the batch takes it from where it now lies) */
	bool data = false;
	for (int i = 0; i < p->nsources && !data; i++) {
		ds__source *s = &rt->src[i];
		ds__blockq q;
		ds__blockq_init(&q);
		if (s->sock)
			ds__socket_take(s->sock, t, &q);
		if (s->recv)
			ds__receiver_take(s->recv, t, &q);
		data = q.head || s->recovered.head;
		while (q.head) /* back in front, in order */
			ds__blockq_push(&s->owned, ds__blockq_pop(&q));
	}
	if (!data)
		return INT64_MIN;
	*status = ds__run_batch(rt, t, k) < 0 ? 1 : 0;
	return t;
}

int ds__rt_run(ds_rt *rt)
{
	const ds_program *p = rt->prog;
	const ds__opts *o = &rt->opts;
	int64_t bms = p->batch_ms;

	ds__workers_run(rt, DS__JOB_INIT);
	ds__fold_counters(rt); /* what the static Datasets counted: in the totals */

	int64_t qmax = 0;
	for (int i = 0; i < p->nsources; i++)
		if (rt->src[i].desc->kind == DS_SRC_QUEUE && rt->src[i].queue.nbatches > qmax)
			qmax = rt->src[i].queue.nbatches;
		else if (rt->src[i].desc->kind == DS_SRC_BINQUEUE && rt->src[i].bin.nbatches > qmax)
			qmax = rt->src[i].bin.nbatches;
	int64_t first = rt->manual ? bms : rt->start_ms - rt->start_ms % bms + bms;
	int64_t k0 = 1; /* the number of the first batch this run */

	if (p->checkpoint_dir) {
		int64_t t0 = ds__mono_us();
		if (ds__ckpt_restore(rt) < 0)
			return 1;
		rt->metrics.recovery_ms += (double)(ds__mono_us() - t0) / 1000.0;
		if (rt->ck.resume_time != INT64_MIN) {
			/* go on after the checkpoint: the batches that were due but
			 * had not finished run again, then the ones missed while we
			 * were down (on the real clock: late, at once) */
			k0 = rt->ck.resume_seq + 1;
			first = rt->ck.resume_time + bms;
		} else {
			/* checkpoint 0: a crash before the first interval recovers
			 * from here, with what the receivers logged meanwhile */
			ds__maybe_checkpoint(rt, first - bms, 0, true);
		}
	}

	int status = 0;
	int64_t last_t = INT64_MIN, k = k0; /* the last batch run, for the final checkpoint */
	rt->loop_ms = rt->manual ? 0 : ds__now_ms();
	for (;; k++) {
		if (ds__stop_flag)
			break;
		if (o->batches && k - k0 >= o->batches)
			break;
		if (rt->manual && !o->batches && !o->duration_ms && k > qmax)
			break;
		int64_t t = first + (k - k0) * bms;
		if (!rt->manual && !ds__sleep_until(t))
			break;
		if (rt->manual && o->pace_ms) {
			ds__pace(o->pace_ms);
			if (ds__stop_flag)
				break;
		}
		if (ds__run_batch(rt, t, k) < 0) {
			status = 1;
			break;
		}
		last_t = t;
		if (o->duration_ms && t >= rt->start_ms + o->duration_ms) {
			k++;
			break;
		}
	}
	if (ds__stop_flag && status == 0 && !rt->manual) {
		int64_t t = ds__final_batch(rt, last_t, k, &status);
		if (t != INT64_MIN) {
			last_t = t;
			k++;
		}
	}
	/* a stop (SIGINT, SIGTERM, --batches, --duration, the end of the
	 * input): what ran is kept, so that a restart goes on after it */
	if (p->checkpoint_dir && status == 0 && last_t != INT64_MIN && last_t % p->checkpoint_ms != 0)
		ds__maybe_checkpoint(rt, last_t, k - 1, true);
	if (p->checkpoint_dir && ds__ckpt_poll(rt, true) > 0) /* the last one in the background */
		ds__truncate_logs(rt);
	if (rt->status_line)
		fputc('\n', stderr);
	return status;
}
