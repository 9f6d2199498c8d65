/* workers.c: the worker pool, the exchange between stages, and the split
 * of a batch's input into one share per worker (lang/SPEC.md, "Workers";
 * DESIGN.md, "Parallelism and scale").
 *
 * A batch runs on every worker at once, SPMD style: each worker calls the
 * program's run_batch on its own state, over its own share of each
 * source's blocks (ds_input).  A keyed operator's record is sent to the
 * worker that owns its key (ds_owner of its hash): the sender appends it to
 * its own buffer for that destination (ds_xchg_put, in rt.h), and after
 * a barrier the owner reads every sender's buffer for it, in worker order
 * (ds_xchg_input).  No record is copied on the way but into that buffer,
 * and no lock is taken per record: buffers have one writer, and are read
 * only after the barrier that ends their writing.
 *
 * Threads: worker 0 is the scheduler thread; workers 1 .. n-1 are threads
 * started here, which wait for a job (init, a batch, exit), run it on their
 * own ds__worker and report that they are done.
 * Lock order: pool.lock is a leaf (held only to move gen, running,
 * arrived and bgen, never while running stage code).
 */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ds__workers_default(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		int n = CPU_COUNT(&set);
		if (n > 0)
			return n;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* Zeroed bytes on cache lines no other allocation shares. */
static void *ds__aligned_calloc(size_t n)
{
	n = (n + DS__LINE - 1) / DS__LINE * DS__LINE;
	void *p = aligned_alloc(DS__LINE, n);
	if (!p)
		ds__oom();
	return memset(p, 0, n);
}

static void ds__mark(ds__worker *w)
{
	if (w->nmarks == w->capmarks) {
		w->capmarks = w->capmarks ? 2 * w->capmarks : 16;
		w->marks = ds__xrealloc(w->marks, (size_t)w->capmarks * sizeof *w->marks);
	}
	w->marks[w->nmarks++] = ds__mono_us();
}

static void ds__worker_job(ds_rt *rt, ds__worker *w, int job)
{
	const ds_program *p = rt->prog;
	w->nmarks = 0;
	ds__mark(w);
	int64_t t0 = w->marks[0];
	if (job == DS__JOB_INIT) {
		/* every worker computes the static Datasets in full (a join's
		 * table is probed by every share of the stream), and keeps the
		 * keys it owns of an initial state (lower_initial_state) */
		w->task = (ds_task){&w->init_arena, 0, 0, rt, 0, w->id, rt->nworkers, false, w->xout};
		if (p->init)
			p->init(&w->task, w->state);
	} else if (job == DS__JOB_BATCH) {
		p->run_batch(&w->task, w->state);
	}
	ds__mark(w);
	w->busy_ms = (double)(w->marks[w->nmarks - 1] - t0) / 1000.0;
}

void ds__workers_steps(ds_rt *rt, ds__batch_metrics *m)
{
	int nw = rt->nworkers, nsteps = (rt->workers[0].nmarks - 2) / 2 + 1;
	for (int i = 1; i < nw; i++)
		if ((rt->workers[i].nmarks - 2) / 2 + 1 != nsteps) {
			fprintf(stderr, "dstream: internal error: the workers passed different numbers of barriers\n");
			abort();
		}
	m->nsteps = nsteps;
	m->steps = ds__xcalloc((size_t)nsteps, sizeof *m->steps);
	for (int s = 0; s < nsteps; s++) {
		/* worker w runs step s from marks[2s] (its start, or leaving
		 * barrier s) to marks[2s + 1] (arriving at the next, or its end) */
		int64_t first = INT64_MAX, last = INT64_MIN;
		double slowest = 0, sum = 0;
		for (int i = 0; i < nw; i++) {
			const int64_t *mk = rt->workers[i].marks;
			int64_t a = mk[2 * s], b = mk[2 * s + 1];
			first = a < first ? a : first;
			last = b > last ? b : last;
			double busy = (double)(b - a) / 1000.0;
			slowest = busy > slowest ? busy : slowest;
			sum += busy;
		}
		m->steps[s] = (struct ds__step){(double)(last - first) / 1000.0, slowest, sum / nw};
	}
}

static void *ds__worker_main(void *arg)
{
	ds__worker *w = arg;
	ds_rt *rt = w->task.rt;
	ds__pool *pool = &rt->pool;
	uint64_t seen = 0;
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (pool->gen == seen)
			pthread_cond_wait(&pool->go, &pool->lock);
		seen = pool->gen;
		int job = pool->job;
		pthread_mutex_unlock(&pool->lock);
		if (job == DS__JOB_EXIT)
			return NULL;
		ds__worker_job(rt, w, job);
		pthread_mutex_lock(&pool->lock);
		if (--pool->running == 0)
			pthread_cond_signal(&pool->done);
		pthread_mutex_unlock(&pool->lock);
	}
}

int ds__workers_open(ds_rt *rt, int n)
{
	const ds_program *p = rt->prog;
	int nx = p->nexchanges > 0 ? p->nexchanges : 0;
	size_t nxb = (size_t)(nx * n > 0 ? nx * n : 1);
	rt->nworkers = n;
	/* each worker's structures on cache lines of their own: a worker
	 * writes its arenas' cursors and its tables' counts all the time */
	rt->workers = ds__aligned_calloc((size_t)n * sizeof *rt->workers);
	for (int i = 0; i < n; i++) {
		ds__worker *w = &rt->workers[i];
		w->id = i;
		w->state = ds__aligned_calloc(p->state_size ? p->state_size : 1);
		ds_arena_init(&w->init_arena);
		ds_arena_init(&w->batch_arena);
		w->out = ds__xcalloc((size_t)(p->noutputs > 0 ? p->noutputs : 1), sizeof *w->out);
		for (int k = 0; k < p->noutputs; k++)
			w->out[k].desc = &p->outputs[k];
		w->sites = ds__xcalloc((size_t)(p->nsites > 0 ? p->nsites : 1), sizeof *w->sites);
		w->counters = ds__xcalloc((size_t)(p->ncounters > 0 ? p->ncounters : 1), sizeof *w->counters);
		w->xout = ds__xcalloc(nxb, sizeof *w->xout);
		w->xin = ds__xcalloc(nxb, sizeof *w->xin);
		int ns = p->nsources > 0 ? p->nsources : 1;
		w->views = ds__xcalloc((size_t)ns, sizeof *w->views);
		w->nviews = ds__xcalloc((size_t)ns, sizeof *w->nviews);
		w->capviews = ds__xcalloc((size_t)ns, sizeof *w->capviews);
		w->task.rt = rt;
	}
	rt->out = rt->workers[0].out;
	rt->sites = rt->workers[0].sites;

	ds__pool *pool = &rt->pool;
	pool->n = n;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->go, NULL);
	pthread_cond_init(&pool->done, NULL);
	pthread_cond_init(&pool->met, NULL);
	pool->threads = ds__xcalloc((size_t)n, sizeof *pool->threads);
	for (int i = 1; i < n; i++) {
		int rc = ds__thread_start(&pool->threads[i], ds__worker_main, &rt->workers[i]);
		if (rc < 0) {
			ds__msg(rt->cmd, "cannot start worker %d: %s", i, strerror(-rc));
			return rc;
		}
		pool->started = i;
	}
	return 0;
}

void ds__workers_run(ds_rt *rt, int job)
{
	ds__pool *pool = &rt->pool;
	rt->inited |= job == DS__JOB_INIT;
	if (rt->nworkers > 1) {
		pthread_mutex_lock(&pool->lock);
		pool->job = job;
		pool->running = rt->nworkers - 1;
		pool->gen++;
		pthread_cond_broadcast(&pool->go);
		pthread_mutex_unlock(&pool->lock);
	}
	ds__worker_job(rt, &rt->workers[0], job);
	if (rt->nworkers > 1) {
		pthread_mutex_lock(&pool->lock);
		while (pool->running)
			pthread_cond_wait(&pool->done, &pool->lock);
		pthread_mutex_unlock(&pool->lock);
	}
}

void ds__workers_close(ds_rt *rt)
{
	ds__pool *pool = &rt->pool;
	if (!rt->workers)
		return;
	if (pool->started) {
		pthread_mutex_lock(&pool->lock);
		pool->job = DS__JOB_EXIT;
		pool->gen++;
		pthread_cond_broadcast(&pool->go);
		pthread_mutex_unlock(&pool->lock);
		for (int i = 1; i <= pool->started; i++)
			pthread_join(pool->threads[i], NULL);
	}
	free(pool->threads);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->go);
	pthread_cond_destroy(&pool->done);
	pthread_cond_destroy(&pool->met);
	const ds_program *p = rt->prog;
	int nx = p->nexchanges > 0 ? p->nexchanges : 0;
	for (int i = 0; i < rt->nworkers; i++) {
		ds__worker *w = &rt->workers[i];
		if (p->close && rt->inited)
			p->close(w->state);
		free(w->state);
		ds_arena_close(&w->init_arena);
		ds_arena_close(&w->batch_arena);
		for (int k = 0; k < p->noutputs; k++) {
			if (w->out[k].sink_close)
				w->out[k].sink_close(w->out[k].sink);
			ds__buf_close(&w->out[k].buf);
			ds__buf_close(&w->out[k].strs);
			free(w->out[k].recs);
			free(w->out[k].fields);
		}
		free(w->out);
		free(w->sites);
		free(w->counters);
		for (int k = 0; k < nx * rt->nworkers; k++)
			ds__buf_close(&w->xout[k]);
		free(w->xout);
		free(w->xin);
		for (int k = 0; k < p->nsources; k++)
			free(w->views[k]);
		free(w->views);
		free(w->marks);
		free(w->nviews);
		free(w->capviews);
	}
	free(rt->workers);
	rt->workers = NULL;
	rt->out = NULL;
	rt->sites = NULL;
}

void ds_barrier(ds_task *t)
{
	if (!t->exchange)
		return;
	ds__pool *pool = &t->rt->pool;
	ds__worker *w = &t->rt->workers[t->worker];
	ds__mark(w);
	pthread_mutex_lock(&pool->lock);
	uint64_t g = pool->bgen;
	if (++pool->arrived == pool->n) {
		pool->arrived = 0;
		pool->bgen++;
		pthread_cond_broadcast(&pool->met);
	} else {
		while (pool->bgen == g)
			pthread_cond_wait(&pool->met, &pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	ds__mark(w);
}

const ds_block *ds_xchg_input(ds_task *t, int x, int *n)
{
	ds_rt *rt = t->rt;
	int nw = rt->nworkers;
	if (!t->exchange) {
		*n = 0;
		return NULL;
	}
	ds_block *in = &rt->workers[t->worker].xin[x * nw];
	for (int u = 0; u < nw; u++) {
		const ds_buf *b = &rt->workers[u].xout[x * nw + t->worker];
		in[u] = (ds_block){b->p, b->len, 0};
	}
	*n = nw;
	return in;
}

/* ---- the split of the input --------------------------------------------------- */

static void ds__view_push(ds__worker *w, int src, const char *data, size_t len, int64_t nrecs)
{
	if (!len)
		return;
	if (w->nviews[src] == w->capviews[src]) {
		w->capviews[src] = w->capviews[src] ? 2 * w->capviews[src] : 8;
		w->views[src] = ds__xrealloc(w->views[src], (size_t)w->capviews[src] * sizeof *w->views[src]);
	}
	w->views[src][w->nviews[src]++] = (ds_block){data, len, nrecs};
}

/* Where a share may end at or after byte off of block b: after a line's
 * '\n', at a record boundary of a binary source (reclen > 0), or of a
 * framed one (reclen < 0: walked from the block's start). */
static size_t ds__cut_at(const ds_block *b, size_t off, int64_t reclen)
{
	if (off >= b->len)
		return b->len;
	if (reclen < 0) {
		const char *p = b->data, *end = b->data + b->len;
		ds_str r;
		while ((size_t)(p - b->data) < off && ds_next_framed(&p, end, &r))
			;
		return p < end ? (size_t)(p - b->data) : b->len;
	}
	if (reclen > 0) {
		size_t r = (size_t)reclen;
		off = (off + r - 1) / r * r;
		return off < b->len ? off : b->len;
	}
	if (off == 0)
		return 0;
	const char *nl = memchr(b->data + off - 1, '\n', b->len - (off - 1));
	return nl ? (size_t)(nl - b->data) + 1 : b->len;
}

void ds__workers_split(ds_rt *rt)
{
	int nw = rt->nworkers;
	const ds_program *p = rt->prog;
	for (int s = 0; s < p->nsources; s++) {
		const ds__source *src = &rt->src[s];
		int64_t reclen = 0;
		switch (src->desc->kind) {
		case DS_SRC_TEXTFILE: case DS_SRC_BINFILE:
			continue; /* static Datasets: read in full by init, never by a batch */
		case DS_SRC_BINDIR: case DS_SRC_BINQUEUE:
			reclen = src->desc->record_len;
			break;
		case DS_SRC_KAFKA:
			reclen = -1; /* framed records */
			break;
		default:
			break;
		}
		size_t total = 0;
		for (int i = 0; i < src->nview; i++)
			total += src->view[i].len;
		for (int w = 0; w < nw; w++)
			rt->workers[w].nviews[s] = 0;
		/* worker w takes the bytes from its cut to the next worker's; a cut
		 * is the first record boundary at or after w * total / nw */
		int bi = 0;       /* the block the next cut is in */
		size_t base = 0;  /* global offset of block bi */
		size_t pos = 0;   /* offset in block bi where the current share starts */
		for (int w = 0; w < nw; w++) {
			ds__worker *wk = &rt->workers[w];
			size_t target = w + 1 == nw ? total : (size_t)((unsigned __int128)total * (unsigned)(w + 1) / (unsigned)nw);
			while (bi < src->nview) {
				const ds_block *b = &src->view[bi];
				if (base + b->len <= target || w + 1 == nw) {
					/* the rest of this block is w's */
					size_t len = b->len - pos;
					ds__view_push(wk, s, b->data + pos, len, reclen > 0 ? (int64_t)(len / (size_t)reclen) : 0);
					base += b->len;
					bi++;
					pos = 0;
					continue;
				}
				size_t cut = ds__cut_at(b, target - base > pos ? target - base : pos, reclen);
				size_t len = cut - pos;
				ds__view_push(wk, s, b->data + pos, len, reclen > 0 ? (int64_t)(len / (size_t)reclen) : 0);
				if (cut == b->len) {
					base += b->len;
					bi++;
					pos = 0;
				} else {
					pos = cut;
				}
				break;
			}
		}
	}
}
