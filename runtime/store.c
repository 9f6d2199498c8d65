/* store.c: where a receiver's block goes before it counts as received.
 *
 * A receiver (socket.c, receiver.c) calls ds__store_block with each block
 * (or each ds_store call's records) before it hands them to the scheduler,
 * so that whatever a batch has read is in the write-ahead log, and on the
 * replica, first.  A failure there does not stop the stream: the block is
 * processed without the copy that failed, and this is said on stderr.  A
 * full disk fails every block, so the saying is rate-limited: once when
 * the error starts or changes, again at most every DS__STORE_SAY_MS with
 * the count of blocks since, and once when appends work again.
 *
 * Threads: any receiver thread.  Locks: ds__store_lock only, a leaf,
 * guarding the saying state (one per process: a full disk is full for
 * every source); messages are written after it is released.
 */
#include "internal.h"

#include <inttypes.h>
#include <stdatomic.h>

#define DS__STORE_SAY_MS 10000

/* What was last said about one kind of copy (the log; later the replica). */
typedef struct ds__store_said {
	atomic_bool failing; /* read without the lock on the success path */
	/* guarded by ds__store_lock */
	int err;             /* errno last said */
	int64_t said_ms;     /* when, realtime ms */
	int64_t unsaid;      /* blocks failed since */
	int64_t lost;        /* blocks failed since the failures started */
} ds__store_said;

static pthread_mutex_t ds__store_lock = PTHREAD_MUTEX_INITIALIZER;
static ds__store_said ds__wal_said;

/* strerror, starting lower-case as our messages do ("no space left on device"). */
static void ds__store_why(char *m, size_t n, int err)
{
	snprintf(m, n, "%s", strerror(err));
	if (m[0] >= 'A' && m[0] <= 'Z' && !(m[1] >= 'A' && m[1] <= 'Z'))
		m[0] = (char)(m[0] + 32);
}

/* Notes the outcome rc (0 or -errno) of copying one block to `what`, and
 * says what is news. */
static void ds__store_note(ds__store_said *st, const ds__store *s, const char *what, int rc,
                           int64_t time_ms)
{
	if (rc == 0 && !atomic_load_explicit(&st->failing, memory_order_relaxed))
		return; /* the common case: no lock */
	enum { QUIET, FAILED, RECOVERED } say = QUIET;
	int64_t more = 0, lost = 0;
	int64_t now = ds__now_ms();
	pthread_mutex_lock(&ds__store_lock);
	if (rc == 0) {
		if (atomic_load_explicit(&st->failing, memory_order_relaxed)) {
			say = RECOVERED;
			lost = st->lost;
			atomic_store_explicit(&st->failing, false, memory_order_relaxed);
			st->err = 0;
			st->lost = st->unsaid = 0;
		}
	} else {
		bool was = atomic_load_explicit(&st->failing, memory_order_relaxed);
		st->lost++;
		if (!was || st->err != -rc || now - st->said_ms >= DS__STORE_SAY_MS) {
			say = FAILED;
			more = st->unsaid;
			st->err = -rc;
			st->said_ms = now;
			st->unsaid = 0;
		} else {
			st->unsaid++;
		}
		atomic_store_explicit(&st->failing, true, memory_order_relaxed);
	}
	pthread_mutex_unlock(&ds__store_lock);

	if (say == RECOVERED) {
		ds__msg(s->cmd, "%s: appending again (%" PRId64 " block%s not in it)", what, lost,
		        lost == 1 ? " is" : "s are");
	} else if (say == FAILED) {
		char why[128], since[96] = "";
		ds__store_why(why, sizeof why, -rc);
		if (more)
			snprintf(since, sizeof since, " (and %" PRId64 " more block%s since the last message)",
			         more, more == 1 ? "" : "s");
		ds__msg(s->cmd,
		        "%s: cannot append a block of source %d (time %" PRId64
		        "): %s; going on without it for this block%s",
		        what, s->src, time_ms, why, since);
	}
}

void ds__store_block(const ds__store *s, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	if (!s || nrecs == 0)
		return; /* nothing to keep: a block of bad records only */
	if (s->wal)
		ds__store_note(&ds__wal_said, s, "write-ahead log",
		               ds__wal_append(s->wal, s->src, time_ms, data, len, nrecs), time_ms);
	if (s->repl) /* the replica link says itself when it goes away and comes back */
		(void)ds__repl_send(s->repl, s->src, time_ms, data, len, nrecs);
}
