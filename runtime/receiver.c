/* receiver.c: receiverStream(f), a custom receiver written in C (Spark's
 * Receiver: onStart's thread, store(), isStopped(), restart()).
 *
 * f runs on a receiver thread of its own and stores records with ds_store.
 * Records belong to the cut point that follows the moment they are stored
 * (a multiple of the block interval or of the batch interval, as in
 * socket.c), so the batch at time T is exactly what was stored before T.
 * ds_store cuts the block being filled when its cut point has passed; the
 * scheduler cuts it at T when f has stored nothing since (ds_store is
 * synchronous, so at T everything stored before T is already here: no
 * watermark is needed).  When f returns an error it is said once per
 * change of state and f is called again after a back-off (100 ms doubling
 * to 5 s, reset once f stores again); when it returns 0 the stream ends.
 *
 * With a store (a write-ahead log, a replica), ds_store returns only once
 * the records of that call are stored, under the cut time of the block
 * they go into: it chooses the cut time, stores the records without the
 * lock, then puts them in the block.  Meanwhile `storing` tells the
 * scheduler not to cut that block yet: a batch that took it would miss
 * them, and they would be in the log under a cut time whose checkpoint
 * did not include them.  Over-long lines are bad records and not stored.
 *
 * Bounded memory and backpressure: ds_store waits (as Spark's
 * BlockGenerator does) while the blocks not yet taken by a batch hold
 * --max-queued bytes or the resident set is over --max-memory, until take
 * makes room; and, with a rate (records/s, set by the scheduler after each
 * batch), until the token bucket has the call's records (a call larger
 * than a burst goes into debt, and the next one waits it out).  A stop
 * ends every wait: what is stored then is kept.
 *
 * Threads: the receiver thread runs f and ds_store; the scheduler thread
 * takes blocks.  Locks: r->lock only, a leaf, never held while calling f,
 * storing or writing a message. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

/* Under r->lock: moves the block being filled onto the queue. */
static void ds__recv_cut(ds_receiver *r)
{
	if (!ds__blockb_empty(&r->bb)) {
		r->queued += (int64_t)r->bb.buf.len;
		ds__blockq_push(&r->q, ds__blockb_take(&r->bb, r->bb_cut));
	}
	r->bb_cut = 0;
}

/* Waits, as the top says, until the n records of a ds_store call may go in. */
static void ds__recv_admit(ds_receiver *r, int64_t n, size_t bytes)
{
	int64_t mem_at = 0;
	bool mem_over = false;
	pthread_mutex_lock(&r->lock);
	r->unchecked += bytes;
	for (;;) {
		if (r->stop)
			break;
		int64_t now = ds__now_ms();
		/* the resident set: every MiB stored, and every block interval while waiting */
		if (r->max_memory && (r->unchecked >= ((size_t)1 << 20) || (mem_at && now >= mem_at))) {
			mem_over = ds__rss_bytes() > r->max_memory;
			mem_at = now + r->block_ms;
			r->unchecked = 0;
		}
		bool full = mem_over || r->queued + (int64_t)r->bb.buf.len >= (int64_t)r->max_queued;
		int64_t now_us = ds__mono_us();
		ds__bucket_set(&r->bucket, r->rate, r->block_ms, now_us);
		int64_t wait_us = 0;
		if (full) {
			r->state = "blocked";
			wait_us = r->block_ms * 1000;
		} else if (r->bucket.rate > 0 && ds__bucket_avail(&r->bucket, now_us) < 1) {
			r->state = "throttled";
			wait_us = ds__bucket_wait_us(&r->bucket, 1);
		} else {
			break;
		}
		int64_t until = now * 1000 + wait_us; /* realtime, us: r->cond's clock */
		struct timespec ts = {(time_t)(until / 1000000), (long)(until % 1000000) * 1000};
		pthread_cond_timedwait(&r->cond, &r->lock, &ts);
	}
	ds__bucket_take(&r->bucket, (double)n);
	r->records_total += n;
	r->state = "receiving";
	pthread_mutex_unlock(&r->lock);
}

/* The records of a ds_store call: its lines, or one empty record. */
static int64_t ds__recv_count(const char *line, size_t n)
{
	if (n == 0)
		return 1;
	int64_t k = 0;
	for (const char *p = line, *end = line + n; p < end; k++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	return k;
}

static void ds__recv_record(ds_receiver *r, const char *p, size_t n)
{
	if (n > r->max_line)
		ds__bad_add(&r->bb.bad, DS__WHY_LONG_LINE, p, n);
	else
		ds__blockb_line(&r->bb, (ds_str){p, (int64_t)n});
}

/* Under r->lock: the records of one ds_store call into bb. */
static void ds__recv_records(ds_receiver *r, const char *line, size_t n)
{
	const char *p = line, *end = line + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		ds__recv_record(r, p, (size_t)(e - p));
		p = nl ? nl + 1 : end;
	}
	if (n == 0)
		ds__recv_record(r, line, 0); /* an empty record */
}

/* Under r->lock: the cut time of the records stored now. */
static int64_t ds__recv_cut_for(ds_receiver *r, int64_t now)
{
	if (r->bb_cut && now >= r->bb_cut)
		ds__recv_cut(r);
	if (!r->bb_cut)
		r->bb_cut = ds__next_cut(now, r->block_ms, r->batch_ms);
	return r->bb_cut;
}

/* ds_store with a store: the records go there first (see the top). */
static void ds__recv_store(ds_receiver *r, const char *line, size_t n)
{
	int64_t now = ds__now_ms();
	/* The records as lines, as the store takes them, into a buffer the
	 * receiver thread reuses (ds_store is called from that thread only). */
	ds_buf *b = &r->stored;
	b->len = 0;
	int64_t nrecs = 0;
	const char *p = line, *end = line + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		if ((size_t)(e - p) <= r->max_line) { /* else a bad record, not stored */
			ds_buf_put(b, p, (size_t)(e - p));
			ds_buf_putc(b, '\n');
			nrecs++;
		}
		p = nl ? nl + 1 : end;
	}
	if (n == 0) {
		ds_buf_putc(b, '\n');
		nrecs = 1;
	}
	pthread_mutex_lock(&r->lock);
	int64_t cut = ds__recv_cut_for(r, now);
	r->storing++;
	pthread_mutex_unlock(&r->lock);

	ds__store_block(r->store, cut, b->p, b->len, nrecs);

	pthread_mutex_lock(&r->lock);
	/* Nothing cut bb meanwhile: the scheduler waits for storing == 0, and
	 * only this thread stores. */
	ds__recv_records(r, line, n);
	if (--r->storing == 0)
		pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void ds_store(ds_receiver *r, const char *line, size_t n)
{
	ds__recv_admit(r, ds__recv_count(line, n), n);
	if (r->store) {
		ds__recv_store(r, line, n);
	} else {
		int64_t now = ds__now_ms();
		pthread_mutex_lock(&r->lock);
		ds__recv_cut_for(r, now);
		ds__recv_records(r, line, n);
		pthread_mutex_unlock(&r->lock);
	}
	if (r->failing) { /* a recovery is news */
		ds__msg(r->cmd, "receiverStream %s: receiving again", r->fname);
		r->failing = false;
		r->said_rc = 0;
		r->backoff = DS__BACKOFF_MIN;
	}
}

bool ds_receiver_stopping(ds_receiver *r)
{
	pthread_mutex_lock(&r->lock);
	bool stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return stop;
}

static void *ds__receiver_main(void *arg)
{
	ds_receiver *r = arg;
	r->backoff = DS__BACKOFF_MIN;
	while (!ds_receiver_stopping(r)) {
		int rc = r->fn(r);
		if (rc == 0 || ds_receiver_stopping(r))
			break;
		if (!r->failing || rc != r->said_rc)
			ds__msg(r->cmd, "receiverStream %s: failed (returned %d); restarting in %gs", r->fname, rc,
			        (double)r->backoff / 1000);
		r->failing = true;
		r->said_rc = rc;
		int64_t until = ds__now_ms() + r->backoff;
		pthread_mutex_lock(&r->lock);
		r->errors_total++;
		r->state = "retrying";
		while (!r->stop) {
			struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000};
			if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) == ETIMEDOUT)
				break;
		}
		pthread_mutex_unlock(&r->lock);
		r->backoff = ds__backoff_next(r->backoff);
	}
	pthread_mutex_lock(&r->lock);
	r->state = "stopped";
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int ds__receiver_start(ds_receiver *r, const char *cmd, const ds_source_desc *d, int64_t block_ms,
                       int64_t batch_ms, size_t max_line, const ds__store *store, size_t max_queued,
                       size_t max_memory)
{
	memset(r, 0, sizeof *r);
	r->max_queued = max_queued ? max_queued : SIZE_MAX / 2;
	r->max_memory = max_memory;
	r->state = "receiving";
	r->cmd = cmd;
	r->fname = d->fn ? d->fn : "?";
	r->fn = d->receiver;
	r->block_ms = block_ms > 0 ? block_ms : 200;
	r->batch_ms = batch_ms;
	r->max_line = max_line;
	r->store = store;
	ds__blockq_init(&r->q);
	ds__blockb_init(&r->bb);
	if (!r->fn)
		return -EINVAL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	int rc = ds__thread_start(&r->thread, ds__receiver_main, r);
	if (rc != 0) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->cond);
		return rc;
	}
	r->started = true;
	return 0;
}

void ds__receiver_take(ds_receiver *r, int64_t t, ds__blockq *out)
{
	pthread_mutex_lock(&r->lock);
	/* A ds_store is storing records for bb: they belong to this batch if
	 * bb does (r->cond is broadcast when it is done). */
	while (r->storing && r->bb_cut && r->bb_cut <= t)
		pthread_cond_wait(&r->cond, &r->lock);
	if (r->bb_cut && r->bb_cut <= t)
		ds__recv_cut(r);
	for (const ds__block *b = r->q.head; b && b->time_ms <= t; b = b->next)
		r->queued -= (int64_t)b->b.len;
	ds__blockq_take_until(&r->q, t, out);
	pthread_cond_broadcast(&r->cond); /* room: a ds_store waiting for it goes on */
	pthread_mutex_unlock(&r->lock);
}

void ds__receiver_set_rate(ds_receiver *r, double rate)
{
	pthread_mutex_lock(&r->lock);
	r->rate = rate;
	pthread_mutex_unlock(&r->lock);
}

void ds__receiver_obs(ds_receiver *r, ds__src_obs *o)
{
	pthread_mutex_lock(&r->lock);
	o->records_total = r->records_total;
	o->errors_total = r->errors_total;
	o->queued_bytes = r->queued + (int64_t)r->bb.buf.len;
	o->rate_limit = r->rate;
	o->state = r->state;
	pthread_mutex_unlock(&r->lock);
}

void ds__receiver_halt(ds_receiver *r)
{
	if (!r->started || r->joined)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->joined = true;
}

void ds__receiver_stop(ds_receiver *r)
{
	if (!r->started)
		return;
	ds__receiver_halt(r);
	ds__blockq_free(&r->q);
	ds__blockb_close(&r->bb);
	ds__buf_close(&r->stored);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	r->started = false;
}
