/* runtime/internal.h: what the runtime's files share (ds__* names).
 *
 * Never included by generated code: the ABI is dstream/rt.h.  Each file's
 * header comment says which thread owns its structures and, where there
 * are locks, the order they are taken in.  Errors are negative errno
 * values; user-facing messages are "PROG: ..." lines on stderr, where PROG
 * is the base name of argv[0] (ds_rt.cmd).
 */
#ifndef DSTREAM_INTERNAL_H
#define DSTREAM_INTERNAL_H

#include "dstream/rt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- fault.c: DS_FAULT ---------------------------------------------------- */

/* The runtime's fallible calls, by kind (fault.c says what each covers). */
typedef enum ds__fault_kind {
	DS__F_OPEN, DS__F_WRITE, DS__F_FSYNC, DS__F_RENAME, DS__F_MKDIR, DS__F_READ, DS__F_MMAP, DS__F_TRUNC,
	DS__F__N
} ds__fault_kind;
extern int ds__fault_armed; /* DS_FAULT is set: the wrappers count their calls */
/* Reads DS_FAULT (once, before any thread starts): 0, or -EINVAL after a
 * message about a malformed value. */
int ds__fault_init(const char *cmd);
/* Counts a call of kind k: 0, or the errno it must fail with. */
int ds__fault(ds__fault_kind k);
#define DS__FAULT(k) (__builtin_expect(ds__fault_armed, 0) ? ds__fault(k) : 0)
/* The calls, each failing as its kind does when DS_FAULT says so. */
#define DS__FAULTED(k, fail) \
	do { \
		int e_ = DS__FAULT(k); \
		if (e_) { \
			errno = e_; \
			return fail; \
		} \
	} while (0)
static inline int ds__fopen(const char *path, int flags, mode_t mode)
{
	DS__FAULTED(DS__F_OPEN, -1);
	return open(path, flags, mode);
}
static inline int ds__fopenat(int dfd, const char *path, int flags, mode_t mode)
{
	DS__FAULTED(DS__F_OPEN, -1);
	return openat(dfd, path, flags, mode);
}
static inline ssize_t ds__fwrite(int fd, const void *p, size_t n)
{
	DS__FAULTED(DS__F_WRITE, -1);
	return write(fd, p, n);
}
static inline ssize_t ds__fread(int fd, void *p, size_t n)
{
	DS__FAULTED(DS__F_READ, -1);
	return read(fd, p, n);
}
static inline ssize_t ds__fpread(int fd, void *p, size_t n, off_t off)
{
	DS__FAULTED(DS__F_READ, -1);
	return pread(fd, p, n, off);
}
static inline int ds__ffsync(int fd)
{
	DS__FAULTED(DS__F_FSYNC, -1);
	return fsync(fd);
}
static inline int ds__ffdatasync(int fd)
{
	DS__FAULTED(DS__F_FSYNC, -1);
	return fdatasync(fd);
}
static inline int ds__frename(const char *from, const char *to)
{
	DS__FAULTED(DS__F_RENAME, -1);
	return rename(from, to);
}
static inline int ds__fmkdir(const char *path, mode_t mode)
{
	DS__FAULTED(DS__F_MKDIR, -1);
	return mkdir(path, mode);
}
static inline void *ds__fmmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
	DS__FAULTED(DS__F_MMAP, MAP_FAILED);
	return mmap(a, n, prot, flags, fd, off);
}
static inline int ds__fftruncate(int fd, off_t n)
{
	DS__FAULTED(DS__F_TRUNC, -1);
	return ftruncate(fd, n);
}

/* ---- util.c -------------------------------------------------------------- */

/* "PROG: out of memory ...", exit 1 (not an abort: the visible files are
 * whole, a restart goes on from the last checkpoint). */
_Noreturn void ds__oom(void);
extern const char *ds__prog_name; /* for ds__oom: set by ds_main */
void *ds__xmalloc(size_t n);
void *ds__xcalloc(size_t n, size_t size);
void *ds__xrealloc(void *p, size_t n);
char *ds__xstrdup(const char *s);
int64_t ds__now_ms(void);  /* CLOCK_REALTIME, ms since the epoch */
/* Receivers (socket.c, receiver.c): the block being filled is cut at the
 * next block or batch boundary after now, whichever comes first. */
int64_t ds__next_cut(int64_t now, int64_t block_ms, int64_t batch_ms);
/* A receiver's retry delay: from DS__BACKOFF_MIN, doubled up to _MAX. */
#define DS__BACKOFF_MIN 100
#define DS__BACKOFF_MAX 5000
static inline int64_t ds__backoff_next(int64_t ms) { return ms * 2 > DS__BACKOFF_MAX ? DS__BACKOFF_MAX : ms * 2; }
/* Sleeps ms (in 50 ms naps), or less when a stop is asked: whether it was
 * not (the sinks' pause between tries). */
bool ds__nap(int64_t ms);
/* pthread_create with every signal blocked in the new thread but the
 * faults' (SIGBUS, SIGSEGV): SIGINT and SIGTERM go to the scheduler.  0 or
 * -errno. */
int ds__thread_start(pthread_t *t, void *(*fn)(void *), void *arg);
int64_t ds__mono_us(void); /* CLOCK_MONOTONIC, microseconds */
/* Reads up to n bytes at off (at the file position when off < 0): the
 * bytes read, short only at the end of the file, or -errno. */
ssize_t ds__read_full(int fd, char *buf, size_t n, off_t off);
/* Opens a source's input file for reading: the descriptor (and *st), or
 * -errno (-EISDIR for a directory).  A FIFO waits for its writer, until
 * ds__stop_flag (then -EINTR), so a pipe is read as a file is. */
struct stat;
int ds__open_input(const char *path, struct stat *st);
/* "a directory", "a FIFO", ...: what a file that is not a regular one is. */
const char *ds__file_type(mode_t m);
/* One "CMD: LOC: SOURCE: message" line about source d: its place in the
 * program (when it has one) and its operator's name. */
void ds__src_msg(const char *cmd, const ds_source_desc *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Writes all n bytes (looping on short writes); 0 or -errno. */
int ds__write_all(int fd, const char *p, size_t n);
/* zlib's crc32 of n bytes at p, going on from crc (0 to start), for any n
 * (p may be NULL when n is 0). */
uint32_t ds__crc32(uint32_t crc, const void *p, size_t n);
/* Binds and listens on host:port (host empty: 127.0.0.1; port 0: any free
 * one), the first address that works: the socket, or -errno; *why is the
 * resolver's reason when the address cannot be resolved (-EINVAL), else NULL. */
int ds__tcp_listen(const char *host, int port, bool nonblock, const char **why);
/* The operator that makes a source: "socketTextStream", ... */
const char *ds__source_kind_name(const ds_source_desc *d);
/* s as a JSON string (quoted, escaped) onto b; NULL as "". */
void ds__json_str(ds_buf *b, const char *s);
/* mkdir -p: path and its missing parents; 0 or -errno. */
int ds__mkdirs(const char *path);
/* "HOST:PORT" or "[V6]:PORT" into host (malloc'd; empty when none was
 * given) and a port 0..65535.  -EINVAL when it is neither. */
int ds__split_hostport(const char *hp, char **host, int *port);
/* One "CMD: message" line on stderr, written with a single write(2). */
void ds__msg(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Where ds__msg writes: 2; the fuzz targets (tests/fuzz) set -1: nowhere. */
extern int ds__msg_fd;

/* Little-endian integers in the files and frames we write (checkpoints,
 * the write-ahead log, the replica protocol), at any alignment. */
static inline void ds__put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline void ds__put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint32_t ds__get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ds__get64(const unsigned char *p)
{
	return (uint64_t)ds__get32(p) | (uint64_t)ds__get32(p + 4) << 32;
}

/* ---- bad records ----------------------------------------------------------- */

/* One block of an arena's memory (arena.c). */
struct ds__chunk {
	ds__chunk *next;
	size_t size; /* bytes in data */
	_Alignas(16) char data[];
};

#define DS__SAMPLE_MAX 40
/* The bad records of one site in one batch: how many, and the first one. */
typedef struct ds__bad {
	int64_t n;
	const char *why;  /* static text */
	size_t sample_len; /* bytes in sample; DS__SAMPLE_MAX + 1 means "longer" */
	char sample[DS__SAMPLE_MAX + 1];
} ds__bad;
void ds__bad_add(ds__bad *b, const char *why, const char *p, size_t n);
void ds__bad_merge(ds__bad *dst, const ds__bad *src);
/* Appends sample C-escaped (and "..." when truncated) to buf. */
void ds__fmt_sample(ds_buf *b, const ds__bad *bad);
void ds__buf_close(ds_buf *b);

#define DS__WHY_LONG_LINE "line longer than --max-line-bytes"

/* ---- lines.c: splitting bytes into lines under a length limit ------------- */

/* Owned by the one thread that reads through it. */
typedef struct ds__linerd {
	char *buf;
	size_t cap, start, scan, end; /* bytes [start, end) unconsumed; no '\n' in [start, scan) */
	size_t max;                   /* longest line kept, bytes (without '\n', '\r') */
	bool skipping;                /* inside an over-long line: drop up to '\n' */
	size_t sample_len;
	char sample[DS__SAMPLE_MAX + 1]; /* start of the last over-long line */
} ds__linerd;

enum { DS__LINE_NONE = 0, DS__LINE_OK = 1, DS__LINE_LONG = 2 };
void ds__linerd_init(ds__linerd *r, size_t max);
void ds__linerd_close(ds__linerd *r);
/* DS__LINE_OK: *line is valid until the next call; DS__LINE_LONG: a line
 * was dropped, its start is in r->sample; DS__LINE_NONE: needs input. */
int ds__linerd_next(ds__linerd *r, ds_str *line);
/* One read(2) into the buffer: > 0 bytes read, 0 end of file, -errno. */
ssize_t ds__linerd_fill(ds__linerd *r, int fd);
/* After end of input: the unterminated last line, if any. */
int ds__linerd_finish(ds__linerd *r, ds_str *line);

/* ---- rate.c: backpressure's estimator and the receivers' token bucket ---- */

typedef struct ds__pid {
	double latest_rate, latest_error;
	int64_t latest_time; /* INT64_MIN: none yet */
	bool first;
	int64_t batch_ms;
} ds__pid;
void ds__pid_init(ds__pid *p, int64_t batch_ms);
/* After the batch at time_ms with `elements` of the source's records, the
 * batch's processing time and its scheduling delay: the new rate
 * (records/s), or 0 when it has none (an empty batch). */
double ds__pid_compute(ds__pid *p, int64_t time_ms, int64_t elements, double processing_ms, int64_t sched_delay_ms);

/* Records/s with a burst of burst_ms worth; rate 0: no limit. */
typedef struct ds__bucket {
	double rate, burst, tokens;
	int64_t at_us; /* ds__mono_us of the last refill */
} ds__bucket;
void ds__bucket_set(ds__bucket *b, double rate, int64_t burst_ms, int64_t now_us);
double ds__bucket_avail(ds__bucket *b, int64_t now_us); /* refills, then the tokens there */
void ds__bucket_take(ds__bucket *b, double n);           /* may go below 0: a debt */
int64_t ds__bucket_wait_us(const ds__bucket *b, double n); /* until n are there (after avail) */

/* The process's resident set now, bytes (0 when /proc cannot say). */
size_t ds__rss_bytes(void);

/* ---- block.c: blocks, their builder and queue ------------------------------ */

typedef struct ds__block {
	struct ds__block *next; /* link in a ds__blockq */
	int64_t time_ms;        /* cut time (receivers); 0 for files */
	ds_block b;             /* b.data is owned */
	ds__bad bad;            /* lines dropped while filling it (the source's site) */
} ds__block;

typedef struct ds__blockb {
	ds_buf buf;
	int64_t nrecs;
	ds__bad bad;
} ds__blockb;

void ds__blockb_init(ds__blockb *bb);
void ds__blockb_close(ds__blockb *bb);
void ds__blockb_line(ds__blockb *bb, ds_str line);
void ds__blockb_long(ds__blockb *bb, const ds__linerd *r);
/* Every whole line r holds (or its over-long sample) into bb. */
void ds__blockb_drain(ds__blockb *bb, ds__linerd *r);
/* At most max of them (max < 0: all); returns how many were taken (an
 * over-long line counts as one).  The rest stay in r. */
int64_t ds__blockb_drain_max(ds__blockb *bb, ds__linerd *r, int64_t max);
/* At the end of the input: r's last, unterminated line into bb. */
void ds__blockb_finish(ds__blockb *bb, ds__linerd *r);
bool ds__blockb_empty(const ds__blockb *bb);
/* Moves what was built into a new block; the builder is empty after. */
ds__block *ds__blockb_take(ds__blockb *bb, int64_t time_ms);
void ds__block_free(ds__block *b);

/* A FIFO of blocks; whoever embeds it provides the locking. */
typedef struct ds__blockq {
	ds__block *head;
	ds__block **tailp;
} ds__blockq;
void ds__blockq_init(ds__blockq *q);
void ds__blockq_push(ds__blockq *q, ds__block *b);
ds__block *ds__blockq_pop(ds__blockq *q);
/* Moves q's blocks cut at or before t (its head, in order) to out. */
void ds__blockq_take_until(ds__blockq *q, int64_t t, ds__blockq *out);
void ds__blockq_free(ds__blockq *q); /* frees every block */

/* Reads a whole file into one block (over-long lines counted in its bad). */
int ds__read_file_block(const char *path, size_t max_line, ds__block **out);

/* ---- table.c: a set of strings (owned copies), checkpointable ------------- */

typedef struct ds__strset {
	ds_table t; /* entries are ds_str with malloc'd bytes */
} ds__strset;
void ds__strset_init(ds__strset *s);
void ds__strset_close(ds__strset *s);
bool ds__strset_has(const ds__strset *s, ds_str k);
void ds__strset_add(ds__strset *s, ds_str k); /* no-op when present */

/* ---- sources ----------------------------------------------------------------- */

/* queue.c: queueStream.  Owned by the scheduler thread. */
typedef struct ds__queue {
	ds__block **batches; /* one block per batch; owned */
	int64_t nbatches;
	int64_t pos; /* next batch handed out: the source position */
} ds__queue;
int ds__queue_load(ds__queue *q, const char *path, size_t max_line);
const ds__block *ds__queue_next(ds__queue *q); /* NULL past the end */
void ds__queue_close(ds__queue *q);

/* textdir.c: textFileStream.  Owned by the scheduler thread. */
typedef struct ds__textdir {
	char *dir;
	struct timespec start; /* files whose ctime is later are new */
	ds__strset seen;       /* names already read: the source position */
} ds__textdir;
int ds__textdir_init(ds__textdir *d, const char *dir);
/* Reads the new files (by name order), one block each, onto out. */
int ds__textdir_scan(ds__textdir *d, const char *cmd, const ds_source_desc *src, size_t max_line,
                     ds__blockq *out);
/* Calls fn with the path of each new file (by name order), then counts it as read. */
int ds__textdir_each(ds__textdir *d, void (*fn)(void *ctx, const char *path), void *ctx);
void ds__textdir_close(ds__textdir *d);

/* binrec.c: the binary sources (fixed-length records, see rt.h).  Owned by
 * the scheduler thread. */
#define DS__BINREC_BLOCK ((size_t)4 << 20) /* bytes: the most one block of a file holds */
typedef struct ds__binrec {
	const char *cmd;
	const ds_source_desc *desc;
	char *why;       /* the bad-record reason of an incomplete last record; owned */
	/* binaryQueueStream */
	int fd;          /* -1: none */
	int64_t nrecs;   /* whole records in the file */
	int64_t tail;    /* bytes after them */
	int64_t nbatches;
	int64_t pos;     /* the next batch handed out: the source position */
	ds__block cur;   /* the batch's block: points into map, or (when map is
	                  * NULL) into an owned buffer of cap bytes that pread fills */
	size_t cap;      /* bytes allocated at cur.b.data when map is NULL */
	const char *map; /* the whole file mapped read-only (nrecs * record_len + tail bytes), or NULL */
	size_t maplen;
	int slot;        /* the mapping's slot in binrec.c's SIGBUS guard, -1: none */
	int64_t size;    /* bytes in the file at start */
} ds__binrec;
/* Prepares a binary source of any kind; for binaryQueueStream opens the
 * file (which must be a regular one): -errno after a message. */
int ds__binrec_open(ds__binrec *r, const char *cmd, const ds_source_desc *d);
/* Reads a whole file as blocks of at most max_block bytes onto out (at least
 * one block); an incomplete last record is a bad record of the last block. */
int ds__binrec_read(ds__binrec *r, const char *path, size_t max_block, ds__blockq *out);
/* binaryRecordsStream: the new files of dir onto out. */
int ds__binrec_scan(ds__binrec *r, ds__textdir *dir, ds__blockq *out);
/* binaryQueueStream: the next batch's records into *out: 1, 0 past the
 * last batch, or -EIO after a message (the file became shorter than it was
 * at start: the program must stop). */
int ds__binrec_next(ds__binrec *r, const ds__block **out);
/* After the batch at t: -EIO after a message when the file shrank while
 * the batch read its mapping (it read zeros: its outputs must not be
 * committed), else 0. */
int ds__binrec_faulted(ds__binrec *r, int64_t t);
void ds__binrec_close(ds__binrec *r);

/* A source after a batch, as the scheduler saw it (copied by ds__http_batch). */
typedef struct ds__src_obs {
	int64_t records;       /* in the batch */
	int64_t records_total; /* since start */
	int64_t errors_total;  /* failures said since start (connections, restarts, Kafka) */
	int64_t queued_bytes;  /* received and not yet in a batch (receivers) */
	double rate_limit;     /* records/s it is held to now (0: none) */
	const char *state;     /* static text: "receiving", "connecting", "retrying",
				  "throttled", "blocked" (its queue is full), "stopped",
				  or "-" (a source that is not a receiver) */
} ds__src_obs;

typedef struct ds__store ds__store; /* store.c, below */

/* socket.c: socketTextStream's receiver thread. */
typedef struct ds__socket {
	/* set before the thread starts, then read-only */
	const char *cmd, *host;
	int port;
	int64_t block_ms, batch_ms; /* cut points are multiples of either */
	size_t max_line;
	const ds__store *store; /* NULL: nothing to store; else each block goes there before q */
	int wake[2]; /* pipe: the scheduler writes to wake the receiver */
	pthread_t thread;
	bool started;
	/* guarded by lock */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled when watermark moves */
	ds__blockq q;        /* cut blocks not yet taken by a batch */
	int64_t watermark;   /* every byte received before this time is in q */
	bool stop;
	int64_t halt_t;      /* with stop: a graceful one, cutting at this time */
	bool joined;         /* scheduler thread only: the thread has ended */
	/* with a store: the writer thread that stores cut blocks, in order,
	 * then queues them; guarded by lock */
	pthread_t writer;
	bool has_writer;
	pthread_cond_t wcond;    /* signalled when pending gets a block, or on wstop */
	ds__blockq pending;      /* cut, not yet stored (nrecs -1: a cut mark, no block) */
	size_t pending_bytes;    /* at most DS__SOCKET_PENDING: then the receiver waits */
	bool wstop;              /* the receiver has ended: store what is pending, then end */
	int64_t formed;          /* the latest batch time taken (INT64_MIN: none) */
	int64_t storing_t;       /* the cut time of the block being stored (INT64_MAX: none) */
	/* bounded memory and backpressure (see socket.c): the bounds are set
	 * before the thread starts; the rest is guarded by lock */
	size_t max_queued, max_memory;
	double rate;             /* records/s it is held to (0: none); the scheduler sets it */
	int64_t queued;          /* bytes of the blocks in q */
	int64_t filling;         /* bytes of the block being filled, as the receiver last said */
	bool blocked;            /* the receiver waits for room: take wakes it */
	const char *state;       /* what an operator sees (ds__src_obs) */
	int64_t records_total, errors_total;
} ds__socket;
#define DS__SOCKET_PENDING ((size_t)64 << 20)
/* store: where each block goes before it counts as received; NULL: none. */
int ds__socket_start(ds__socket *s, const char *cmd, const ds_source_desc *d, int64_t block_ms,
                     int64_t batch_ms, size_t max_line, const ds__store *store, size_t max_queued,
                     size_t max_memory);
/* The rate it is held to from now on (records/s, 0: none). */
void ds__socket_set_rate(ds__socket *s, double rate);
/* Its state, for the operator. */
void ds__socket_obs(ds__socket *s, ds__src_obs *o);
/* Waits until watermark >= t or the realtime deadline passes. */
void ds__socket_wait(ds__socket *s, int64_t t, int64_t deadline_ms);
/* Moves the blocks cut at or before t onto out. */
void ds__socket_take(ds__socket *s, int64_t t, ds__blockq *out);
/* A graceful stop: the thread reads what the socket already holds, cuts
 * the block being filled at time t, and ends; the blocks stay for
 * ds__socket_take.  ds__socket_stop frees them. */
void ds__socket_halt(ds__socket *s, int64_t t);
void ds__socket_stop(ds__socket *s); /* joins the thread, frees everything */

/* receiver.c: receiverStream(f), user C code on a receiver thread. */
struct ds_receiver {
	/* set before the thread starts, then read-only */
	const char *cmd, *fname;
	int (*fn)(ds_receiver *r);
	int64_t block_ms, batch_ms; /* cut points are multiples of either */
	size_t max_line;
	const ds__store *store; /* NULL: nothing to store; else each ds_store's records go there first */
	pthread_t thread;
	bool started;
	/* receiver thread only */
	ds_buf stored;   /* the records of one ds_store call, as store takes them */
	bool failing;    /* f failed and has not stored since */
	int said_rc;     /* the failure last said */
	int64_t backoff; /* ms before the next restart */
	/* guarded by lock */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled on stop (ends a back-off early) */
	ds__blockq q;        /* cut blocks not yet taken by a batch */
	ds__blockb bb;       /* the block being filled */
	int64_t bb_cut;      /* the cut time bb's records belong to; 0: bb is empty */
	int storing;         /* ds_store calls between choosing bb_cut and filling bb */
	bool stop;
	bool joined;         /* scheduler thread only: the thread has ended */
	/* bounded memory and backpressure (see receiver.c): the bounds are set
	 * before the thread starts, bucket is the receiver thread's, the rest
	 * is guarded by lock */
	size_t max_queued, max_memory;
	ds__bucket bucket;
	size_t unchecked;    /* bytes stored since the resident set was checked */
	double rate;         /* records/s it is held to (0: none); the scheduler sets it */
	int64_t queued;      /* bytes of the blocks in q */
	const char *state;   /* what an operator sees (ds__src_obs) */
	int64_t records_total, errors_total;
};
/* store: where each ds_store call's records go before ds_store returns; NULL: none. */
int ds__receiver_start(ds_receiver *r, const char *cmd, const ds_source_desc *d, int64_t block_ms,
                       int64_t batch_ms, size_t max_line, const ds__store *store, size_t max_queued,
                       size_t max_memory);
void ds__receiver_set_rate(ds_receiver *r, double rate);
void ds__receiver_obs(ds_receiver *r, ds__src_obs *o);
/* Moves the records stored before cut time t onto out, as blocks. */
void ds__receiver_take(ds_receiver *r, int64_t t, ds__blockq *out);
/* A graceful stop: asks f to return and joins its thread; what it stored
 * stays for ds__receiver_take.  ds__receiver_stop frees it. */
void ds__receiver_halt(ds_receiver *r);
void ds__receiver_stop(ds_receiver *r); /* joins the thread, frees everything */

/* ---- wal.c: the write-ahead log of receiver sources ------------------------ */

/* When an appended record is fsync'd (--wal-sync): at every append (a
 * receiver's block, or one ds_store call), once per batch by the scheduler
 * (ds__wal_sync), or never (the kernel's page cache only: survives a kill
 * -9 of the process, not a crash of the machine). */
typedef enum ds__wal_policy {
	DS__WAL_SYNC_BLOCK = 0,
	DS__WAL_SYNC_BATCH,
	DS__WAL_SYNC_OFF,
} ds__wal_policy;

/* A log of records (src, time_ms, lines) in segment files under one
 * directory.  Each record is framed (length, CRC-32C or zlib crc32 over
 * header and payload): a reader trusts nothing it has not checked.
 * Thread-safe: receivers append from their threads, the scheduler syncs,
 * replays and truncates; one internal mutex, a leaf. */
typedef struct ds__wal ds__wal;
/* Opens DIR (created if missing, with parents), ready to append after what
 * is there.  cmd names the program in messages.  0 or -errno. */
int ds__wal_open(ds__wal **w, const char *dir, ds__wal_policy sync, const char *cmd);
/* Appends one record: nrecs lines of source src, each ending in '\n'
 * (len bytes at data), that belong to the batch of cut time time_ms.
 * Returns once the record is written (and, with DS__WAL_SYNC_BLOCK,
 * fsync'd); 0 or -errno, and then the record is not in the log. */
int ds__wal_append(ds__wal *w, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs);
/* fsync's what was appended since the last sync (DS__WAL_SYNC_BATCH). */
int ds__wal_sync(ds__wal *w);
/* Calls fn for every record whose time_ms > after, in log order.  A torn
 * last record (a crash in the middle of an append) ends a segment quietly;
 * any other damage (a bad checksum, a bad length before the end) is said
 * on stderr and the rest of that segment is skipped.  Returns the number
 * of records delivered, or -errno; *damaged (when not NULL) is set when a
 * record other than a torn tail was skipped. */
typedef void ds__wal_fn(void *ctx, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs);
int ds__wal_replay(ds__wal *w, int64_t after, ds__wal_fn *fn, void *ctx, bool *damaged);
/* Deletes the segments all of whose records have time_ms <= upto (a
 * checkpoint covers them); starts a new segment so the current one can go
 * at the next call.  0 or -errno. */
int ds__wal_truncate(ds__wal *w, int64_t upto);
void ds__wal_close(ds__wal *w);
/* What a record's payload must be: nrecs lines, each ending in '\n' (what
 * append takes, what replay and a replica's fetch believe). */
bool ds__wal_payload_ok(const char *data, size_t len, int64_t nrecs);
/* Fault injection for tests: the pwritev(2) the appends go through. */
struct iovec;
extern ssize_t (*ds__wal_pwritev)(int fd, const struct iovec *iov, int iovcnt, off_t off);

/* ---- replica.c: block replication (Spark's MEMORY_AND_DISK_2) --------------- */

/* The client side, used by the receivers through ds__store_block.  It
 * connects lazily and reconnects after a failure with back-off; while the
 * replica is away, sends fail fast and say so once (and once more when it
 * is back).  Thread-safe (one mutex, a leaf). */
typedef struct ds__repl ds__repl;
/* hostport "HOST:PORT"; app: the program's name (the replica keeps each
 * program's blocks apart).  0 or -errno (a bad address). */
int ds__repl_open(ds__repl **r, const char *hostport, const char *app, const char *cmd);
/* Sends one record (as ds__wal_append) and waits for the replica's
 * acknowledgement that it is stored.  0, or -errno: not replicated. */
int ds__repl_send(ds__repl *r, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs);
/* Tells the replica that a checkpoint covers every record with time_ms <= upto. */
int ds__repl_truncate(ds__repl *r, int64_t upto);
/* Fetches every record the replica holds with time_ms > after, calling fn
 * as ds__wal_replay does.  Returns the count or -errno. */
int ds__repl_fetch(ds__repl *r, int64_t after, ds__wal_fn *fn, void *ctx);
void ds__repl_close(ds__repl *r);
/* Takes fd, a connection already greeted (HELLO answered), as r's
 * connection: the replies r reads come from it (tests/fuzz). */
void ds__repl_adopt(ds__repl *r, int fd);
/* Serves the one client connected at fd, in this thread, as a connection
 * of ds__replica_serve would be served, until it leaves or breaks the
 * protocol; closes fd (tests/fuzz). */
void ds__replica_serve_fd(int fd, const char *dir, const char *cmd);
/* The server: `dstreamc replica --listen HOST:PORT --dir D`, or a program
 * binary's `--replica-listen HOST:PORT --replica-dir D`.  Serves until
 * SIGINT/SIGTERM; returns the exit status. */
int ds__replica_serve(const char *listen_hostport, const char *dir, const char *cmd);

/* ---- store.c: where a receiver's block goes before it counts as received --- */

/* Set up by the scheduler before the receivers start, then read-only. */
typedef struct ds__store {
	const char *cmd;
	int src;        /* the source's index */
	ds__wal *wal;   /* NULL: no checkpoint directory */
	ds__repl *repl; /* NULL: no --replicate */
} ds__store;
/* Appends the record to the WAL, then sends it to the replica; returns
 * once both are done (or failed: said on stderr, and processing goes on
 * with what worked).  Called from a receiver thread. */
void ds__store_block(const ds__store *s, int64_t time_ms, const char *data, size_t len, int64_t nrecs);

/* ---- the runtime ------------------------------------------------------------- */

/* A program parameter's value at run time (params.c): its text (the
 * --param value or the default), and that text read as its type. */
typedef struct ds__param_value {
	ds_str s; /* NUL-terminated: argv's or the program's */
	int64_t i;
	double d;
	bool b;
} ds__param_value;

typedef struct ds__opts {
	int64_t batches;     /* 0: no limit */
	int64_t duration_ms; /* 0: no limit */
	size_t max_line;
	const char *metrics_json; /* NULL: none */
	bool quiet;
	/* --source-path N=PATH: [nsources] paths replacing the program's, NULL
	 * where none was given; owned by ds_main */
	const char **source_path;
	/* --replay N=PATH: [nsources] flags: source N, a text stream, reads
	 * source_path[N] as a queueStream (manual clock) instead */
	bool *replay;
	/* --replica-listen HOST:PORT, --replica-dir DIR: run as a replica
	 * server (replica.c) instead of the program; NULL when not given */
	const char *replica_listen, *replica_dir;
	/* checkpoints (ckpt.c) and receivers' blocks (wal.c, replica.c) */
	bool discard_checkpoint;   /* --discard-checkpoint */
	bool allow_dropped_state;  /* --allow-dropped-state */
	ds__wal_policy wal_sync;   /* --wal-sync block|batch|off */
	const char *replicate;     /* --replicate HOST:PORT, or NULL */
	int64_t pace_ms;           /* --pace D: on the manual clock, wait D before each batch */
	int workers;               /* --workers N (ds_main sets the default: the cores available) */
	/* bounded memory and backpressure (lang/SPEC.md §20) */
	size_t max_queued;         /* --max-queued: bytes a receiver holds before it stops reading */
	size_t max_memory;         /* --max-memory: the receivers stop reading while the program's
				      resident set is larger (0: no bound but max_queued's) */
	bool no_backpressure;      /* --no-backpressure */
	double max_rate;           /* --max-rate: records/s per receiver (0: no cap) */
	double initial_rate;       /* --initial-rate: records/s before the first estimate (0: none) */
	/* what an operator sees */
	int64_t log_every;         /* --log-every N batches off a terminal (0: never; -1: the
				      default, about once a minute of batch time) */
	const char *http;          /* --http HOST:PORT, or NULL */
	/* --param NAME=VALUE: [nparams] the texts given (NULL: none), and every
	 * parameter's value once checked (ds__params_open); owned by ds_main */
	const char **param_text;
	ds__param_value *params;
} ds__opts;

/* params.c: program parameters.  ds__params_flag takes one --param's value
 * (false after a message); ds__params_open, after the flags, checks every
 * parameter's value and makes *eff a copy of prog whose sources and
 * outputs hold them (0, or 2 after a message: a usage error);
 * ds__params_close frees what it made. */
void ds__usage_params(FILE *f, const ds_program *prog);
bool ds__params_flag(const char *cmd, const ds_program *prog, ds__opts *o, const char *val);
int ds__params_open(const char *cmd, const ds_program *prog, ds__opts *o, ds_program *eff);
void ds__params_close(ds__opts *o, const ds_program *prog, ds_program *eff);

/* One source and the blocks it gives the batch being run. */
typedef struct ds__source {
	const ds_source_desc *desc;
	ds_source_desc own;     /* the program's descriptor with --source-path applied */
	ds__queue queue;       /* DS_SRC_QUEUE */
	ds__block *file;       /* DS_SRC_TEXTFILE: the whole file */
	ds__textdir dir;       /* DS_SRC_TEXTDIR */
	ds__socket *sock;      /* DS_SRC_SOCKET */
	ds_receiver *recv;     /* DS_SRC_RECEIVER */
	ds__binrec bin;        /* DS_SRC_BIN*; BINDIR also uses dir, BINFILE file */
	ds__blockq owned;      /* this batch's blocks, freed after it */
	ds__blockq recovered;  /* receivers: blocks from the log (or the replica)
				  that batches after the checkpoint take again */
	ds_block *view;        /* what ds_input returns */
	int nview, capview;
	void *kafka;           /* DS_SRC_KAFKA: the reader's state (kafka_in.c) */
	/* backpressure (scheduler.c): the estimator, and what the source is held to */
	int64_t batch_records; /* this batch's */
	ds__pid pid;
	double estimate;       /* the estimator's last rate, 0: none yet */
	double rate;           /* records/s the source is held to now (0: none); kafka_in.c
				  reads it for its ranges */
} ds__source;

/* kafka_out.c: the last record of a partition of saveToKafka's topic, from
 * its headers' values (NULL: the header is absent): *t, *i its batch time
 * and index, and NULL; or INT64_MIN twice and, in words, why the record
 * is not one the sink wrote (any bytes are refused with a reason). */
const char *ds__kafka_last_record(const void *batch, size_t bn, const void *index, size_t in, int64_t *t,
                                  int64_t *i);

/* kafka_in.c, for kafka_out.c too (internal.h does not include rdkafka.h):
 * the log callback of every librdkafka client of a program. */
struct rd_kafka_s;
void ds__kafka_quiet(const struct rd_kafka_s *rk, int level, const char *fac, const char *buf);
/* The partitions topic has in md (0: none, or an error), md freed. */
struct rd_kafka_metadata;
int ds__kafka_partitions(const struct rd_kafka_metadata *md, const char *topic);

/* kafkaStream's reader (kafka_in.c), reached through its descriptor's ops. */
struct ds_source_ops {
	int (*open)(ds_rt *rt, int src);  /* at start: 0, or -errno after a message */
	/* the batch at t's records, as blocks onto out; returns their count */
	int64_t (*take)(ds_rt *rt, int src, int64_t t, ds__blockq *out);
	void (*done)(ds_rt *rt, int src); /* the batch's outputs are committed */
	void (*close)(ds_rt *rt, int src);
	/* checkpoints (ckpt.c): the position (the next offset per partition),
	 * written into a checkpoint and set from one; and, once a checkpoint
	 * covers every batch up to `upto`, the ranges log may drop them */
	void (*save)(ds_rt *rt, int src, ds_buf *b);
	void (*restore)(ds_rt *rt, int src, const int64_t *next, int n);
	void (*truncate)(ds_rt *rt, int src, int64_t upto);
};

/* A foreach output's record: its text in buf, its fields in fields[]. */
typedef struct ds__rec {
	size_t off, len;   /* text at buf.p + off, NUL-terminated */
	size_t field0;     /* index of its first field */
} ds__rec;
typedef struct ds__field {
	union { int64_t i; double d; bool b; size_t off; } v; /* off: into strs */
	size_t len;        /* strings */
} ds__field;

typedef struct ds__output {
	const ds_output_desc *desc;
	ds_buf buf;     /* this batch's records, each followed by '\n' ('\0' for foreach) */
	int64_t nrecs;  /* records in buf */
	/* DS_OUT_FOREACH and the sinks: the records' offsets and typed fields */
	size_t cur;     /* offset of the record being formatted */
	ds__rec *recs;
	size_t reccap;
	ds__field *fields;
	size_t nfields, fieldcap;
	ds_buf strs;    /* string fields, each followed by a NUL */
	/* DS_OUT_KAFKA, DS_OUT_POSTGRES, DS_OUT_REDIS: the sink's state
	 * (kafka_out.c, pg_out.c, redis_out.c), made at its open or first commit */
	void *sink;
	void (*sink_close)(void *sink);
} ds__output;

/* What foreach functions see. */
struct ds_rdd {
	const ds__output *o;
	int nfields;
};

typedef struct ds__batch_metrics {
	int64_t time_ms, records_in, records_out, bad_records;
	int64_t sched_delay_ms;
	double processing_ms;
	/* the workers: the busiest one's time in the batch's stages, and per
	 * step (the stages between two barriers: an exchange) its time from
	 * the first worker starting it to the last one ending it, and the
	 * slowest worker's and the mean worker's time in it */
	double slowest_worker_ms;
	int nsteps;
	struct ds__step { double ms, slowest_ms, mean_ms; } *steps; /* owned */
	double checkpoint_ms;   /* writing the checkpoint after it (0: none due) */
	/* counter("name", n): [prog->ncounters] sums of this batch, and the
	 * totals after it (from the start of the job: a checkpoint keeps them);
	 * owned by the runtime, valid while the batch's metrics are handed on */
	const int64_t *counters, *counter_totals;
	int64_t queued_bytes;   /* the receivers' blocks not yet in a batch, after it */
	int64_t rss_bytes;      /* the resident set after it (with --metrics-json or --http) */
	double rate_limit;      /* records/s the receivers are held to after it, summed (0: none) */
	int64_t kafka_errors;   /* Kafka failures said in it (a range not read, records not delivered) */
	int64_t db_errors;      /* saveToPostgres / saveToRedis failures in it (lost connections, refused
				   statements), each retried or fatal */
	bool checkpoint_failed; /* the checkpoint could not be written (yet) */
} ds__batch_metrics;

/* metrics.c: --metrics-json's JSON lines and the run's totals.  Owned by
 * the scheduler thread. */
typedef struct ds__metrics {
	const ds_program *prog;
	const char *path;    /* --metrics-json, or NULL */
	int fd;              /* open for appending, or -1 */
	bool failed;         /* a line could not be written (said once) */
	int workers;         /* --workers */
	bool kafka;          /* per batch and in total: kafka_errors */
	bool db;             /* per batch and in total: db_errors */
	/* the totals */
	int64_t batches, records_in, records_out, bad_records, kafka_errors, db_errors, checkpoint_failed;
	int64_t max_sched_delay_ms;
	double processing_ms;
	const int64_t *counter_totals; /* [prog->ncounters], the runtime's (NULL: none) */
	/* with a checkpoint directory */
	double recovery_ms;  /* choosing the checkpoint, replaying the log, restoring the state */
	int64_t checkpoints; /* written */
} ds__metrics;
/* Opens path for appending (NULL: no file) and writes the start line; 0,
 * or -errno after a message. */
int ds__metrics_open(ds__metrics *m, const ds_program *prog, const char *path, const char *cmd);
/* Counts the batch in the totals and appends its line. */
void ds__metrics_add(ds__metrics *m, const ds__batch_metrics *b, const char *cmd);
/* Appends the totals; 0, or -EIO when any line could not be written (said). */
int ds__metrics_end(ds__metrics *m, const char *cmd);
void ds__metrics_close(ds__metrics *m);

/* ckpt.c: checkpoints.  Owned by the scheduler thread. */
typedef struct ds__ckpt {
	const char *dir;      /* the program's checkpoint directory */
	ds_buf buf;           /* the checkpoint being written */
	/* the checkpoint chosen at start (ds__ckpt_open), until its state is
	 * restored (ds__ckpt_restore) */
	char *data;           /* the whole file; owned */
	size_t len;
	const char *states_at; /* where its states start, in data */
	char *path;           /* owned */
	int64_t resume_time;  /* its batch time, INT64_MIN: starting afresh */
	int64_t resume_seq;   /* its batch number */
	int *src_map;         /* [nsrc_map]: a source index in it -> this program's, or -1 */
	int nsrc_map;
	int64_t covered;      /* the older of the two kept checkpoints' times
			         (INT64_MIN: none): what the log may drop */
	/* the writer in the background, if any */
	pid_t child;          /* 0: none */
	int64_t child_t;      /* the batch time it writes */
	char *child_tmp;      /* its temporary file (owned), removed if it dies */
	/* metrics */
	bool failing;         /* the last write failed: tried again after every batch */
	int64_t written;      /* checkpoints written by this run */
} ds__ckpt;
/* Creates DIR, removes what killed writers left, and chooses the newest
 * checkpoint that is whole (falling back to the one before a damaged one),
 * refusing one of another program; applies its source positions.  0, or
 * -errno after a message (the program must not start). */
int ds__ckpt_open(ds_rt *rt);
/* After the program's init: restores every state of the chosen checkpoint
 * whose name and type match (the upgrade rules of lang/SPEC.md).  0, or
 * -EINVAL after messages. */
int ds__ckpt_restore(ds_rt *rt);
/* Writes the checkpoint of the batch at t (number seq), just run, after
 * waiting for the one being written, if any.  In the background (a forked
 * child, see ckpt.c): 1, done when ds__ckpt_poll says so; else 0 or -errno
 * (a failure is said once; the next batch tries again). */
int ds__ckpt_write(ds_rt *rt, int64_t t, int64_t seq, bool background);
/* Collects the checkpoint being written in the background, waiting for it
 * when block: 1 when one was written now, -1 when it failed (said), 0 when
 * there is none or it is still being written. */
int ds__ckpt_poll(ds_rt *rt, bool block);
void ds__ckpt_close(ds_rt *rt);

/* ---- workers.c: the worker pool (lang/SPEC.md, "Workers") ------------------ */

/* One worker: a thread (worker 0 is the scheduler thread itself) that runs
 * every stage of a batch on its own state and its own share of the input.
 * Between batches everything here belongs to the scheduler thread; during
 * one, each worker's fields belong to that worker, except what the exchange
 * reads: another worker reads xout only after a ds_barrier. */
#define DS__LINE 64 /* bytes in a cache line */
typedef struct ds__worker {
	_Alignas(DS__LINE) int id;
	ds_task task;
	void *state;           /* its program state: its slice of every keyed table */
	ds_arena init_arena;   /* init's allocations, for the run */
	ds_arena batch_arena;  /* reset per batch */
	ds__output *out;       /* [noutputs]: its records of the batch (merged into worker 0's at commit) */
	ds__bad *sites;        /* [nsites]: its bad records of the batch */
	int64_t bad;           /* all sites, this batch */
	int64_t *counters;     /* [prog->ncounters]: its counter("name", n) sums, this batch */
	ds_buf *xout;          /* [nexchanges * nworkers]: what it sends (ds_task.xout) */
	ds_block *xin;         /* [nexchanges * nworkers]: what ds_xchg_input shows it */
	ds_block **views;      /* [nsources]: its share of each source's blocks this batch */
	int *nviews, *capviews;
	double busy_ms;        /* this batch: from its start to its end */
	int64_t *marks;        /* this batch (us): its start, then for each barrier
				  the time it arrived and the time it left, then its end */
	int nmarks, capmarks;
} ds__worker; /* aligned: nothing of the next worker shares its last line */

enum { DS__JOB_INIT = 1, DS__JOB_BATCH, DS__JOB_EXIT };

/* Lock order: lock is a leaf; nothing else is held while taking it. */
typedef struct ds__pool {
	int n;                 /* workers, including the scheduler thread (worker 0) */
	pthread_t *threads;    /* [n]: 1 .. n-1 started */
	int started;
	/* guarded by lock */
	pthread_mutex_t lock;
	pthread_cond_t go;     /* a job (gen moved) */
	pthread_cond_t done;   /* running reached 0 */
	pthread_cond_t met;    /* the barrier opened (bgen moved) */
	uint64_t gen;
	int job;
	int running;           /* workers 1 .. n-1 still in the job */
	int arrived;           /* at the barrier */
	uint64_t bgen;
} ds__pool;

#define DS__MAX_WORKERS 256
/* --workers's default: the cores this process may run on. */
int ds__workers_default(void);
/* Creates n workers (states zeroed, arenas, outputs) and starts threads 1..n-1. */
int ds__workers_open(ds_rt *rt, int n);
void ds__workers_close(ds_rt *rt);
/* Runs job on every worker, the scheduler thread being worker 0; returns
 * when all have finished it. */
void ds__workers_run(ds_rt *rt, int job);
/* The batch's steps, from the workers' marks, into m. */
void ds__workers_steps(ds_rt *rt, ds__batch_metrics *m);
/* Cuts every source's blocks of this batch (ds__source.view) into one
 * contiguous share per worker, at record boundaries, of about equal bytes:
 * worker w's share precedes worker w + 1's in the input's order. */
void ds__workers_split(ds_rt *rt);

/* ---- http.c: --http HOST:PORT, what an operator sees ----------------------- */


/* The server: one thread of its own, serving GET /metrics (Prometheus
 * text), /api/batches (JSON) and / (the status page); it owns copies of
 * what the scheduler hands it, under one leaf mutex. */
typedef struct ds__http ds__http;
/* Binds hostport, says where it serves, starts the thread.  Reads rt's
 * program and options now, never later.  0, or -errno after a message. */
int ds__http_start(ds__http **h, const char *hostport, const ds_rt *rt);
/* After each batch (scheduler thread): its metrics and each source's
 * state ([prog->nsources]), copied. */
void ds__http_batch(ds__http *h, const ds__batch_metrics *m, const ds__src_obs *src);
void ds__http_stop(ds__http *h); /* NULL: nothing */

/* All of it is owned by the scheduler (main) thread. */
struct ds_rt {
	const ds_program *prog;
	const char *cmd; /* for messages */
	ds__opts opts;
	bool manual;      /* queueStream or binaryQueueStream present: manual clock */
	int64_t start_ms; /* realtime at start (0 on the manual clock) */
	ds__source *src;
	ds__output *out;      /* worker 0's: what ds__outputs_commit writes */
	ds__bad *sites;       /* worker 0's, per site, this batch */
	int64_t batch_time;   /* of the batch being run */
	ds_arena init_arena;  /* lives for the run: the runtime's own allocations */
	int nworkers;
	ds__worker *workers;  /* [nworkers] */
	bool inited;          /* init has run: close must too */
	int64_t kafka_errors; /* this batch's (kafka_in.c, kafka_out.c) */
	int64_t db_errors;    /* this batch's (pg_out.c, redis_out.c) */
	ds__pool pool;
	ds__metrics metrics;
	bool status_line; /* stderr is a terminal and not --quiet */
	ds__ckpt ck;      /* with a checkpoint directory */
	ds__wal *wal;     /* the receivers' write-ahead log, or NULL */
	ds__repl *repl;   /* --replicate, or NULL */
	ds__store *stores; /* [nsources]: where each receiver's blocks go */
	ds__http *http;    /* --http, or NULL */
	ds__src_obs *obs;  /* [nsources]: each source after the last batch */
	int64_t *counters, *counter_totals; /* [prog->ncounters]: the last batch's sums, and the totals */
	/* what the operator is told (scheduler.c): the summary every
	 * log_every batches, and whether the job is falling behind */
	struct ds__since {
		int64_t batches, first_t, in, out, bad, max_delay;
		double proc, max_proc;
	} since;
	int64_t loop_ms;   /* realtime when the batches began (after recovery) */
	bool behind;       /* the scheduling delay passed the batch interval (said) */
	int grew;          /* batches in a row it has grown since */
	int64_t last_delay;
};

/* scheduler.c */
int ds__rt_open(ds_rt *rt, const ds_program *prog, const char *cmd, const ds__opts *o);
int ds__rt_run(ds_rt *rt); /* returns the exit status */
void ds__rt_close(ds_rt *rt);

/* output.c */
/* Writes a file so that a reader sees all of it or nothing (temp, fsync, rename). */
int ds__write_atomic(const char *path, const char *data, size_t len);
/* At start: makes each saveAsTextFiles's directory (with its parents) and
 * removes the temporary files killed runs left there (said in one line);
 * 0, or -errno after a message (the program must not start). */
int ds__outputs_open(ds_rt *rt);
/* Moves every worker's records of the batch into worker 0's outputs. */
void ds__outputs_merge(ds_rt *rt);
/* Commits every output's records of the batch at time t, in program order. */
int ds__outputs_commit(ds_rt *rt, int64_t t);

/* main.c: the only global, set by the signal handler. */
extern volatile sig_atomic_t ds__stop_flag;

#endif
