/* socket.c: socketTextStream(host, port), a receiver thread.
 *
 * The receiver connects (non-blocking, every address getaddrinfo gives),
 * reads lines, and cuts what it has read into a block at every multiple
 * of the block interval and of the batch interval (epoch ms), so the
 * batch at time T is exactly the blocks cut at or before T.  After each
 * cut it raises its watermark and signals cond; the scheduler waits for
 * watermark >= T before it takes the blocks.  When the connection fails or
 * the server goes away it says so once per change of state and retries
 * with exponential back-off (100 ms doubling to 5 s, reset on connect).
 *
 * With a store (a write-ahead log, a replica), each block goes there when
 * it is cut and before it is queued and the watermark passes it: a block
 * counts as received only once it is stored.  A writer thread does the
 * storing, in cut order, so that the receiver goes on reading the socket
 * while a block is written and synced; cuts without data pass through it
 * as marks, so the watermark never overtakes a block being stored.  At most
 * DS__SOCKET_PENDING bytes wait for it: past that the receiver waits too,
 * and TCP flow control slows the sender.
 *
 * Bounded memory: once the blocks not yet taken by a batch (queued, being
 * stored, being filled) reach --max-queued bytes, or the process's
 * resident set passes --max-memory (checked at each cut), the receiver
 * stops reading the socket: the kernel's buffers fill and TCP flow
 * control slows the sender, and nothing is dropped.  take wakes it.
 * Backpressure: with a rate (records/s, set by the scheduler after each
 * batch) the receiver takes lines from what it read only as a token
 * bucket allows, and reads no more while lines wait: the same flow
 * control holds the sender to the rate.
 *
 * Threads: the receiver thread owns the connection, the line reader and
 * the block being filled; the writer thread owns the block it stores; the
 * scheduler thread owns the blocks it takes.  Locks: s->lock only, a leaf:
 * never held while taking another lock or doing I/O.  The scheduler wakes
 * the receiver through the wake pipe. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>


enum { DS__RX_IDLE, DS__RX_CONNECTING, DS__RX_CONNECTED };
/* What the receiver last said, so it speaks once per change. */
enum { DS__SAID_NOTHING = 0, DS__SAID_CLOSED = -1, DS__SAID_RESOLVE = -2 };

typedef struct ds__rx {
	ds__socket *s;
	int state, fd;
	struct addrinfo *ais, *ai; /* addresses of this attempt; the one being tried */
	int64_t retry_at, backoff; /* ms */
	int said;                  /* errno, or DS__SAID_* */
	ds__linerd r;
	ds__blockb bb;
	ds__bucket bucket;
	bool held;                 /* whole lines wait in r for tokens */
	bool mem_over;             /* the resident set was over --max-memory when last checked */
	size_t unchecked;          /* bytes read since (checked at each cut and every MiB) */
} ds__rx;

static int64_t ds__floor_to(int64_t t, int64_t m) { return t - t % m; }

static int64_t ds__last_cut(const ds__socket *s, int64_t now)
{
	int64_t a = ds__floor_to(now, s->block_ms), b = ds__floor_to(now, s->batch_ms);
	return a > b ? a : b;
}

/* Under s->lock: b (NULL: a cut with no data) is received: queued, and the
 * watermark passes its cut time t. */
static void ds__socket_received(ds__socket *s, ds__block *b, int64_t t)
{
	if (b) {
		ds__blockq_push(&s->q, b);
		s->queued += (int64_t)b->b.len;
	}
	if (t > s->watermark)
		s->watermark = t;
	pthread_cond_broadcast(&s->cond);
}

static void ds__rx_cut(ds__rx *x, int64_t t)
{
	ds__socket *s = x->s;
	int64_t nrecs = x->bb.nrecs;
	ds__block *b = ds__blockb_empty(&x->bb) ? NULL : ds__blockb_take(&x->bb, t);
	if (s->max_memory) {
		x->mem_over = ds__rss_bytes() > s->max_memory;
		x->unchecked = 0;
	}
	pthread_mutex_lock(&s->lock);
	s->records_total += nrecs;
	s->filling = 0;
	if (!s->has_writer) {
		ds__socket_received(s, b, t);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	while (s->pending_bytes > DS__SOCKET_PENDING) /* the disk is behind: so are we */
		pthread_cond_wait(&s->cond, &s->lock);
	if (!b) { /* a mark: the watermark moves when the writer gets here */
		b = ds__xcalloc(1, sizeof *b);
		b->time_ms = t;
		b->b.nrecs = -1;
	}
	s->pending_bytes += b->b.len;
	ds__blockq_push(&s->pending, b);
	pthread_cond_signal(&s->wcond);
	pthread_mutex_unlock(&s->lock);
}

static void *ds__socket_writer(void *arg)
{
	ds__socket *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->pending.head && !s->wstop)
			pthread_cond_wait(&s->wcond, &s->lock);
		ds__block *b = ds__blockq_pop(&s->pending);
		if (!b)
			break; /* stopped, and nothing left */
		/* A block whose batch was formed without it (the disk was slow
		 * past the scheduler's wait) belongs to the next batch: it is
		 * logged with that time, so that a recovery replays it into the
		 * batch that processed it; take waits for the one being stored. */
		if (s->formed != INT64_MIN && b->time_ms <= s->formed)
			b->time_ms = s->formed + s->batch_ms;
		s->storing_t = b->time_ms;
		pthread_mutex_unlock(&s->lock);
		if (b->b.nrecs > 0) /* outside the lock: it writes, and may wait for a replica */
			ds__store_block(s->store, b->time_ms, b->b.data, b->b.len, b->b.nrecs);
		pthread_mutex_lock(&s->lock);
		s->pending_bytes -= b->b.len;
		s->storing_t = INT64_MAX;
		int64_t t = b->time_ms;
		if (b->b.nrecs < 0) { /* a mark */
			free(b);
			b = NULL;
		}
		ds__socket_received(s, b, t);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void ds__rx_close(ds__rx *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	if (x->ais)
		freeaddrinfo(x->ais);
	x->ais = x->ai = NULL;
	x->state = DS__RX_IDLE;
}

/* Under no lock: one more failure for the operator's count. */
static void ds__rx_error(ds__socket *s)
{
	pthread_mutex_lock(&s->lock);
	s->errors_total++;
	pthread_mutex_unlock(&s->lock);
}

static void ds__rx_failed(ds__rx *x, int err, const char *what)
{
	ds__rx_close(x);
	ds__rx_error(x->s);
	if (x->said != err) {
		char m[256];
		snprintf(m, sizeof m, "%s", what);
		if (m[0] >= 'A' && m[0] <= 'Z' && !(m[1] >= 'A' && m[1] <= 'Z'))
			m[0] = (char)(m[0] + 32); /* "Connection refused" -> "connection refused" */
		ds__msg(x->s->cmd, "socketTextStream %s:%d: %s; retrying in %gs", x->s->host, x->s->port, m,
		        (double)x->backoff / 1000);
		x->said = err;
	}
	x->retry_at = ds__now_ms() + x->backoff;
	x->backoff = ds__backoff_next(x->backoff);
}

static void ds__rx_connected(ds__rx *x)
{
	x->state = DS__RX_CONNECTED;
	freeaddrinfo(x->ais);
	x->ais = x->ai = NULL;
	x->backoff = DS__BACKOFF_MIN;
	if (x->said != DS__SAID_NOTHING) /* only a recovery is news */
		ds__msg(x->s->cmd, "socketTextStream %s:%d: connected", x->s->host, x->s->port);
	x->said = DS__SAID_NOTHING;
	ds__linerd_close(&x->r);
	ds__linerd_init(&x->r, x->s->max_line);
}

/* Tries x->ai and the addresses after it until one connects or is in
 * progress. */
static void ds__rx_try(ds__rx *x)
{
	int err = ECONNREFUSED;
	for (; x->ai; x->ai = x->ai->ai_next) {
		x->fd = socket(x->ai->ai_family, x->ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		               x->ai->ai_protocol);
		if (x->fd < 0) {
			err = errno;
			continue;
		}
		if (connect(x->fd, x->ai->ai_addr, x->ai->ai_addrlen) == 0) {
			ds__rx_connected(x);
			return;
		}
		if (errno == EINPROGRESS) {
			x->state = DS__RX_CONNECTING;
			return;
		}
		err = errno;
		close(x->fd);
		x->fd = -1;
	}
	ds__rx_failed(x, err, strerror(err));
}

static void ds__rx_connect(ds__rx *x)
{
	char port[16];
	snprintf(port, sizeof port, "%d", x->s->port);
	struct addrinfo hints = {0};
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(x->s->host, port, &hints, &x->ais);
	if (rc != 0) {
		x->ais = NULL;
		char m[200];
		snprintf(m, sizeof m, "cannot resolve host: %s", gai_strerror(rc));
		ds__rx_failed(x, DS__SAID_RESOLVE, m);
		return;
	}
	x->ai = x->ais;
	ds__rx_try(x);
}

/* The whole lines read so far into the block, as many as the bucket
 * allows (all when there is no rate); held when some are left. */
static void ds__rx_drain(ds__rx *x, bool all)
{
	double avail = ds__bucket_avail(&x->bucket, ds__mono_us());
	int64_t max = all || x->bucket.rate == 0 ? -1 : avail < 1 ? 0 : (int64_t)avail;
	int64_t n = max == 0 ? 0 : ds__blockb_drain_max(&x->bb, &x->r, max);
	ds__bucket_take(&x->bucket, (double)n);
	x->held = max >= 0 && n == max;
}

static void ds__rx_read(ds__rx *x)
{
	ssize_t n = ds__linerd_fill(&x->r, x->fd);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return;
	if (n > 0 && x->s->max_memory && (x->unchecked += (size_t)n) >= ((size_t)1 << 20)) {
		x->mem_over = ds__rss_bytes() > x->s->max_memory;
		x->unchecked = 0;
	}
	ds__rx_drain(x, n <= 0); /* at the end, what was read is taken whatever the rate */
	if (n > 0)
		return;
	ds__blockb_finish(&x->bb, &x->r); /* the server's last, unterminated line */
	ds__rx_close(x);
	x->held = false;
	int said = n == 0 ? DS__SAID_CLOSED : (int)-n;
	if (n < 0)
		ds__rx_error(x->s);
	if (x->said != said)
		ds__msg(x->s->cmd, "socketTextStream %s:%d: %s; reconnecting", x->s->host, x->s->port,
		        n == 0 ? "connection closed by server" : strerror((int)-n));
	x->said = said;
	x->retry_at = ds__now_ms() + DS__BACKOFF_MIN;
}

static void *ds__socket_main(void *arg)
{
	ds__rx x = {0};
	x.s = arg;
	x.fd = -1;
	x.backoff = DS__BACKOFF_MIN;
	ds__linerd_init(&x.r, x.s->max_line);
	ds__blockb_init(&x.bb);
	int64_t next_cut = ds__next_cut(ds__now_ms(), x.s->block_ms, x.s->batch_ms);
	for (;;) {
		pthread_mutex_lock(&x.s->lock);
		bool stop = x.s->stop;
		int64_t halt_t = x.s->halt_t;
		double rate = x.s->rate;
		x.s->filling = (int64_t)x.bb.buf.len;
		bool full = x.s->queued + (int64_t)x.s->pending_bytes + x.s->filling >= (int64_t)x.s->max_queued ||
		            x.mem_over;
		x.s->blocked = full;
		pthread_mutex_unlock(&x.s->lock);
		if (stop) {
			/* a graceful stop keeps what the socket holds already
			 * (not a last line without its '\n': it is not whole),
			 * whatever the bounds */
			ds__rx_drain(&x, true);
			while (halt_t && x.state == DS__RX_CONNECTED) {
				ssize_t n = ds__linerd_fill(&x.r, x.fd);
				if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR)
					break;
				ds__blockb_drain(&x.bb, &x.r);
				if (n <= 0)
					break;
			}
			if (halt_t)
				ds__rx_cut(&x, halt_t);
			break;
		}
		int64_t now = ds__now_ms();
		if (now >= next_cut) {
			ds__rx_cut(&x, ds__last_cut(x.s, now));
			next_cut = ds__next_cut(now, x.s->block_ms, x.s->batch_ms);
		}
		if (x.state == DS__RX_IDLE && now >= x.retry_at)
			ds__rx_connect(&x);
		/* backpressure: lines waiting for tokens go first; no reading while
		 * any wait, or while the bounds are reached */
		int64_t now_us = ds__mono_us();
		ds__bucket_set(&x.bucket, rate, x.s->block_ms, now_us);
		if (x.held && !full)
			ds__rx_drain(&x, false);
		bool throttled = x.held || (x.bucket.rate > 0 && ds__bucket_avail(&x.bucket, now_us) < 1);
		struct pollfd p[2] = {{x.s->wake[0], POLLIN, 0}, {x.fd, 0, 0}};
		int np = 1;
		if (x.state == DS__RX_CONNECTING)
			p[1].events = POLLOUT, np = 2;
		else if (x.state == DS__RX_CONNECTED && !full && !throttled)
			p[1].events = POLLIN, np = 2;
		const char *state = x.state == DS__RX_CONNECTING ? "connecting"
		                  : x.state == DS__RX_IDLE ? "retrying"
		                  : full ? "blocked" : throttled ? "throttled" : "receiving";
		pthread_mutex_lock(&x.s->lock);
		x.s->state = state;
		pthread_mutex_unlock(&x.s->lock);
		int64_t until = next_cut;
		if (x.state == DS__RX_IDLE && x.retry_at < until)
			until = x.retry_at;
		int64_t wait = until - now;
		if (throttled && !full) { /* until a token is there */
			int64_t us = ds__bucket_wait_us(&x.bucket, 1);
			if (us / 1000 + 1 < wait)
				wait = us / 1000 + 1;
		}
		if (poll(p, (nfds_t)np, wait < 0 ? 0 : (int)wait) < 0)
			continue; /* EINTR */
		if (p[0].revents) {
			char drain[64];
			ssize_t r = read(x.s->wake[0], drain, sizeof drain);
			(void)r;
		}
		if (np < 2 || !p[1].revents)
			continue;
		if (x.state == DS__RX_CONNECTING) {
			int err = 0;
			socklen_t len = sizeof err;
			if (getsockopt(x.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
			if (err == 0) {
				ds__rx_connected(&x);
			} else {
				close(x.fd);
				x.fd = -1;
				x.ai = x.ai->ai_next;
				if (x.ai)
					ds__rx_try(&x);
				else
					ds__rx_failed(&x, err, strerror(err));
			}
		} else {
			ds__rx_read(&x);
		}
	}
	pthread_mutex_lock(&x.s->lock);
	x.s->state = "stopped";
	x.s->filling = 0;
	pthread_mutex_unlock(&x.s->lock);
	ds__rx_close(&x);
	ds__linerd_close(&x.r);
	ds__blockb_close(&x.bb);
	return NULL;
}

int ds__socket_start(ds__socket *s, const char *cmd, const ds_source_desc *d, int64_t block_ms,
                     int64_t batch_ms, size_t max_line, const ds__store *store, size_t max_queued,
                     size_t max_memory)
{
	memset(s, 0, sizeof *s);
	s->max_queued = max_queued ? max_queued : SIZE_MAX / 2;
	s->max_memory = max_memory;
	s->state = "connecting";
	s->cmd = cmd;
	s->host = d->host;
	s->port = d->port;
	s->block_ms = block_ms > 0 ? block_ms : 200;
	s->batch_ms = batch_ms;
	s->max_line = max_line;
	s->store = store;
	ds__blockq_init(&s->q);
	ds__blockq_init(&s->pending);
	s->formed = INT64_MIN;
	s->storing_t = INT64_MAX;
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_cond_init(&s->wcond, NULL);
	int rc = 0;
	if (store) {
		rc = ds__thread_start(&s->writer, ds__socket_writer, s);
		s->has_writer = rc == 0;
	}
	if (rc == 0)
		rc = ds__thread_start(&s->thread, ds__socket_main, s);
	if (rc != 0) {
		if (s->has_writer) {
			pthread_mutex_lock(&s->lock);
			s->wstop = true;
			pthread_cond_signal(&s->wcond);
			pthread_mutex_unlock(&s->lock);
			pthread_join(s->writer, NULL);
		}
		close(s->wake[0]);
		close(s->wake[1]);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->cond);
		pthread_cond_destroy(&s->wcond);
		return rc;
	}
	s->started = true;
	return 0;
}

void ds__socket_wait(ds__socket *s, int64_t t, int64_t deadline_ms)
{
	pthread_mutex_lock(&s->lock);
	while (s->watermark < t && !s->stop) {
		int64_t now = ds__now_ms();
		if (now >= deadline_ms || ds__stop_flag)
			break;
		int64_t until = deadline_ms < now + 50 ? deadline_ms : now + 50;
		struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000};
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
}

void ds__socket_take(ds__socket *s, int64_t t, ds__blockq *out)
{
	pthread_mutex_lock(&s->lock);
	while (s->storing_t <= t) /* a block of this batch is being logged */
		pthread_cond_wait(&s->cond, &s->lock);
	if (t != INT64_MAX && t > s->formed) /* (the manual clock takes all: no batch time) */
		s->formed = t;
	for (const ds__block *b = s->q.head; b && b->time_ms <= t; b = b->next)
		s->queued -= (int64_t)b->b.len;
	ds__blockq_take_until(&s->q, t, out);
	bool wake = s->blocked;
	pthread_mutex_unlock(&s->lock);
	if (wake) { /* room again: the receiver reads on */
		ssize_t r = write(s->wake[1], "x", 1);
		(void)r;
	}
}

void ds__socket_set_rate(ds__socket *s, double rate)
{
	pthread_mutex_lock(&s->lock);
	s->rate = rate;
	pthread_mutex_unlock(&s->lock);
}

void ds__socket_obs(ds__socket *s, ds__src_obs *o)
{
	pthread_mutex_lock(&s->lock);
	o->records_total = s->records_total;
	o->errors_total = s->errors_total;
	o->queued_bytes = s->queued + (int64_t)s->pending_bytes + s->filling;
	o->rate_limit = s->rate;
	o->state = s->state;
	pthread_mutex_unlock(&s->lock);
}

/* Ends the thread: a graceful stop when halt_t is not 0. */
static void ds__socket_join(ds__socket *s, int64_t halt_t)
{
	if (s->joined)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	s->halt_t = halt_t;
	pthread_mutex_unlock(&s->lock);
	ssize_t r = write(s->wake[1], "x", 1);
	(void)r;
	pthread_join(s->thread, NULL);
	if (s->has_writer) { /* what the receiver cut is stored and queued before we go on */
		pthread_mutex_lock(&s->lock);
		s->wstop = true;
		pthread_cond_signal(&s->wcond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->writer, NULL);
	}
	s->joined = true;
}

void ds__socket_halt(ds__socket *s, int64_t t)
{
	if (s->started)
		ds__socket_join(s, t);
}

void ds__socket_stop(ds__socket *s)
{
	if (!s->started)
		return;
	ds__socket_join(s, 0);
	ds__blockq_free(&s->q);
	ds__blockq_free(&s->pending);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	pthread_cond_destroy(&s->wcond);
	s->started = false;
}
