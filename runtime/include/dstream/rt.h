/* dstream/rt.h: the runtime ABI, the one header generated code includes.
 *
 * Generated code (compiler/emit_c.c, later emit_llvm.c) defines a
 * ds_program describing the sources, outputs and stage code of one .dstream
 * program, and a main() that calls ds_main().  The runtime owns the clock,
 * the receivers, the blocks of each batch, the outputs and the metrics; the
 * generated stage code owns the per-program state (aggregation tables,
 * later windows and state stores) in a struct it allocates through
 * ds_program.state_size.
 *
 * Conventions: public ABI is ds_*, runtime internals ds__*.  Strings are
 * byte ranges (not NUL-terminated).  Everything a batch allocates for its
 * records comes from the task's arena and is dropped when the batch is done.
 * Hot helpers are static inline here so that cc -O2 inlines them into the
 * fused loops.
 *
 * Must compile cleanly as C11 with -Wall -Wextra -Werror.
 */
#ifndef DSTREAM_RT_H
#define DSTREAM_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 7: 6 was two layouts on two branches (inline table hashes; the sinks' outputs) */
#define DS_ABI_VERSION 7

/* A generated helper that must be inlined into the fused loops it is called
 * from (a table's probe), however many call sites it has. */
#if defined(__GNUC__) || defined(__clang__)
#define DS_HOT __attribute__((always_inline))
#else
#define DS_HOT
#endif

/* ---- values ------------------------------------------------------------- */

/* A String: bytes [p, p+n).  Points into a block, the batch arena, a static
 * literal, or a state arena; never owned by the value itself. */
typedef struct ds_str {
	const char *p;
	int64_t n;
} ds_str;

/* A List[T]: len elements of the type the generated code knows, at data.
 * Capacity is implicit: lists grown with ds_list_push have room for the next
 * power of two >= len. */
typedef struct ds_list {
	void *data;
	int64_t len;
} ds_list;

#define DS_STR_LIT(s) ((ds_str){(s), (int64_t)(sizeof(s) - 1)})

/* ---- arenas ------------------------------------------------------------- */

typedef struct ds__chunk ds__chunk;
typedef struct ds_arena {
	char *cur, *end;   /* bump region of the newest chunk */
	ds__chunk *chunks; /* owned; freed by ds_arena_close */
	size_t bytes;      /* total bytes held in chunks (for metrics) */
} ds_arena;

void ds_arena_init(ds_arena *a);
void ds_arena_reset(ds_arena *a); /* drop everything, keep one chunk for reuse */
void ds_arena_close(ds_arena *a);
void *ds__arena_slow(ds_arena *a, size_t n);

/* n bytes, 8-byte aligned, uninitialised. */
static inline void *ds_arena_alloc(ds_arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if ((size_t)(a->end - a->cur) >= n) {
		void *p = a->cur;
		a->cur += n;
		return p;
	}
	return ds__arena_slow(a, n);
}

/* Appends one element slot of esize bytes to *l and returns it. */
void *ds_list_push(ds_arena *a, ds_list *l, size_t esize);

ds_str ds_str_copy(ds_arena *a, ds_str s);

/* ---- the task: what stage code runs in ---------------------------------- */

typedef struct ds_rt ds_rt; /* runtime internals */

typedef struct ds_task {
	ds_arena *arena;    /* per-batch arena: records, lists, strings */
	int64_t batch_time; /* ms since the epoch (real clock) or k * interval (manual) */
	int64_t batch_seq;  /* 1, 2, ... */
	ds_rt *rt;
	uint64_t records_out; /* records handed to outputs in this batch */
	/* Parallel execution (lang/SPEC.md, "Workers"): every worker runs
	 * every stage on its own state, over its own share of the input. */
	int worker;           /* 0 .. nworkers - 1 */
	int nworkers;
	bool exchange;        /* a keyed operator's records go to the worker that
			         owns their key (ds_xchg_put); false: they are
			         applied here (one worker, or init) */
	struct ds_buf *xout;  /* [nexchanges * nworkers]: what this worker sends,
			         exchange x to worker d at x * nworkers + d */
} ds_task;

/* counter("name", n): adds n to counter k (ds_program.counters[k]) for this
 * batch, and returns n.  Each worker adds to its own; the batch's sums are
 * reported (--metrics-json, --http) and their totals kept in checkpoints. */
int64_t ds_counter_add(ds_task *t, int counter, int64_t n);

/* A record could not be processed (failed conversion, index out of range,
 * division by zero...): it is dropped, counted in the batch's bad_records,
 * and reported once per batch and site on stderr.  site indexes
 * ds_program.sites; why is a short static text, sample the offending value. */
void ds_bad_record(ds_task *t, int site, const char *why, ds_str sample);

/* ---- blocks: the records of a batch ------------------------------------- */

/* A block holds complete records as lines: each record is followed by one
 * '\n' and contains none.  Receivers cut blocks every block interval;
 * file sources make one block per file (or per chunk of a large file).
 * The blocks of a binary source (DS_SRC_BIN*) hold nrecs fixed-length
 * records back to back instead, len = nrecs * record_len, with no
 * separator and no alignment: fields are read with ds_load_*. */
typedef struct ds_block {
	const char *data;
	size_t len;
	int64_t nrecs;
} ds_block;

/* The blocks of source src (index into ds_program.sources) for the batch
 * being run; *n receives the count. */
const ds_block *ds_input(ds_task *t, int src, int *n);
/* The records of those blocks (a static Dataset's, before it loads). */
int64_t ds_input_records(ds_task *t, int src);

/* Iterates the lines of a block: while (ds_next_line(&p, end, &line)) ... */
static inline bool ds_next_line(const char **pp, const char *end, ds_str *line)
{
	const char *p = *pp;
	if (p >= end)
		return false;
	const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		nl = end; /* blocks always end in '\n'; be safe anyway */
	line->p = p;
	line->n = nl - p;
	*pp = nl < end ? nl + 1 : end;
	return true;
}

/* The blocks of a kafkaStream (DS_SRC_KAFKA) hold framed records, since a
 * message may hold any byte: each is its length (4 bytes, little-endian)
 * then its bytes.  while (ds_next_framed(&p, end, &rec)) ... */
static inline bool ds_next_framed(const char **pp, const char *end, ds_str *rec)
{
	const char *p = *pp;
	if (end - p < 4)
		return false;
	uint32_t n;
	memcpy(&n, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	n = __builtin_bswap32(n);
#endif
	rec->p = p + 4;
	rec->n = (int64_t)n;
	*pp = p + 4 + n;
	return true;
}

/* A kafkaRecordStream's framed record: topic length (2 bytes), topic,
 * partition (4), offset (8), key length (4), key, then the value to the end;
 * little-endian.  Generated code reads the fields of its
 * (topic, partition, offset, key, value) with these. */
static inline uint32_t ds__kload(const char *p, int n)
{
	uint32_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | (unsigned char)p[i];
	return v;
}
static inline ds_str ds_kafka_topic(ds_str m) { return (ds_str){m.p + 2, (int64_t)ds__kload(m.p, 2)}; }
static inline int64_t ds_kafka_partition(ds_str m) { return (int64_t)ds__kload(m.p + 2 + ds__kload(m.p, 2), 4); }
static inline int64_t ds_kafka_offset(ds_str m)
{
	const char *p = m.p + 6 + ds__kload(m.p, 2);
	return (int64_t)((uint64_t)ds__kload(p, 4) | (uint64_t)ds__kload(p + 4, 4) << 32);
}
static inline ds_str ds_kafka_key(ds_str m)
{
	const char *p = m.p + 14 + ds__kload(m.p, 2);
	return (ds_str){p + 4, (int64_t)ds__kload(p, 4)};
}
static inline ds_str ds_kafka_value(ds_str m)
{
	const char *p = m.p + 14 + ds__kload(m.p, 2);
	p += 4 + ds__kload(p, 4);
	return (ds_str){p, m.n - (int64_t)(p - m.p)};
}

/* The fields of a binary record (see ds_source_desc.schema): little-endian,
 * at any alignment; integers widen to Int, floats to Double. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define DS__LE16(x) __builtin_bswap16(x)
#define DS__LE32(x) __builtin_bswap32(x)
#define DS__LE64(x) __builtin_bswap64(x)
#else
#define DS__LE16(x) (x)
#define DS__LE32(x) (x)
#define DS__LE64(x) (x)
#endif
static inline uint16_t ds__load16(const char *p) { uint16_t v; memcpy(&v, p, 2); return DS__LE16(v); }
static inline uint32_t ds__load32(const char *p) { uint32_t v; memcpy(&v, p, 4); return DS__LE32(v); }
static inline uint64_t ds__load64(const char *p) { uint64_t v; memcpy(&v, p, 8); return DS__LE64(v); }
static inline int64_t ds_load_i8(const char *p) { return (int8_t)(uint8_t)p[0]; }
static inline int64_t ds_load_i16(const char *p) { return (int16_t)ds__load16(p); }
static inline int64_t ds_load_i32(const char *p) { return (int32_t)ds__load32(p); }
static inline int64_t ds_load_i64(const char *p) { return (int64_t)ds__load64(p); }
static inline int64_t ds_load_u8(const char *p) { return (uint8_t)p[0]; }
static inline int64_t ds_load_u16(const char *p) { return ds__load16(p); }
static inline int64_t ds_load_u32(const char *p) { return ds__load32(p); }
static inline double ds_load_f32(const char *p)
{
	uint32_t u = ds__load32(p);
	float v;
	memcpy(&v, &u, 4);
	return v;
}
static inline double ds_load_f64(const char *p)
{
	uint64_t u = ds__load64(p);
	double v;
	memcpy(&v, &u, 8);
	return v;
}

/* ---- outputs ------------------------------------------------------------ */

/* A growable byte buffer (malloc-backed, reused across batches). */
typedef struct ds_buf {
	char *p;
	size_t len, cap;
} ds_buf;
void ds__buf_grow(ds_buf *b, size_t need);
static inline void ds_buf_put(ds_buf *b, const void *s, size_t n)
{
	if (n == 0)
		return; /* b->p may still be NULL */
	if (b->cap - b->len < n)
		ds__buf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}
static inline void ds_buf_putc(ds_buf *b, char c)
{
	if (b->cap == b->len)
		ds__buf_grow(b, 1);
	b->p[b->len++] = c;
}

/* Record formatting, as LANGUAGE.md prints records. */
void ds_fmt_int(ds_buf *b, int64_t v);
void ds_fmt_double(ds_buf *b, double v);
void ds_fmt_bool(ds_buf *b, bool v);
static inline void ds_fmt_str(ds_buf *b, ds_str s) { ds_buf_put(b, s.p, (size_t)s.n); }

/* Emitting one record to output out (index into ds_program.outputs):
 *     ds_buf *b = ds_out_begin(t, out);
 *     if (b) { format the record into b; ds_out_end(t, out); }
 * ds_out_begin returns NULL when the output needs no more records this
 * batch (print keeps n + 1 to know whether to print "...").  Outputs are
 * committed at the end of the batch, in program order. */
ds_buf *ds_out_begin(ds_task *t, int out);
void ds_out_end(ds_task *t, int out);
/* Non-zero when output `out` wants no more records this batch (a print that
 * already holds n + 1): a loop whose records go only to such outputs may
 * stop, and count what it did not hand over with ds_out_skip, so that the
 * batch's records_out is the same as if it had. */
int ds_out_full(ds_task *t, int out);
void ds_out_skip(ds_task *t, int64_t n);

/* The typed fields of a foreachRDD / foreachRecord output's record, handed
 * over between ds_out_begin and ds_out_end after its text, in field order
 * (a tuple's elements, or the record itself).  Strings are copied. */
void ds_out_field_int(ds_task *t, int out, int64_t v);
void ds_out_field_double(ds_task *t, int out, double v);
void ds_out_field_bool(ds_task *t, int out, bool v);
void ds_out_field_str(ds_task *t, int out, ds_str v);

/* ---- user C code: foreachRDD, foreachRecord, receiverStream -------------- */

/* One batch's records of a foreachRDD output (for a windowed stream: one
 * slide's), as user C code sees them (lang/SPEC.md §15):
 *     void f(int64_t batch_time_ms, const ds_rdd *rdd)
 *     {
 *         for (int64_t i = 0; i < ds_rdd_count(rdd); i++) {
 *             size_t n;
 *             const char *w = ds_rdd_string(rdd, i, 0, &n);
 *             printf("%s=%lld\n", w, (long long)ds_rdd_int(rdd, i, 1));
 *         }
 *     }
 * A record has ds_rdd_fields(rdd) fields: a tuple's elements, or the record
 * itself.  A field of type Int, Double, Boolean or String is read with the
 * accessor of its kind; a field that is a tuple, list or option is a
 * DS_FIELD_STRING holding its printed text.  Every pointer (the rdd, texts,
 * strings) is valid during the call only and owned by the runtime; strings
 * are NUL-terminated and *len (when len is not NULL) receives their length
 * without the NUL.  An index out of range or a field read with the wrong
 * accessor is a bug in the caller: the runtime says so and aborts. */
typedef struct ds_rdd ds_rdd;
typedef enum ds_field_kind {
	DS_FIELD_INT = 'I',
	DS_FIELD_DOUBLE = 'D',
	DS_FIELD_BOOL = 'B',
	DS_FIELD_STRING = 'S',
} ds_field_kind;

int64_t ds_rdd_count(const ds_rdd *rdd);  /* records in the batch */
int ds_rdd_fields(const ds_rdd *rdd);     /* fields per record */
ds_field_kind ds_rdd_kind(const ds_rdd *rdd, int field);
/* Record i as print shows it, e.g. "(hello,2)". */
const char *ds_rdd_text(const ds_rdd *rdd, int64_t i, size_t *len);
int64_t ds_rdd_int(const ds_rdd *rdd, int64_t i, int field);
double ds_rdd_double(const ds_rdd *rdd, int64_t i, int field);
bool ds_rdd_bool(const ds_rdd *rdd, int64_t i, int field);
const char *ds_rdd_string(const ds_rdd *rdd, int64_t i, int field, size_t *len);

/* A custom receiver (receiverStream(f), Spark's Receiver):
 *     int f(ds_receiver *r)
 * runs on a receiver thread of its own.  It stores records with ds_store
 * (from that thread only), which cuts them into blocks on the block
 * interval as the socket receiver does, and it must return soon after
 * ds_receiver_stopping(r) becomes true (poll it at least every 100 ms).
 * Returning 0 ends the stream; returning anything else is a failure: the
 * runtime says so on stderr (once per change of state) and calls f again
 * after a back-off of 100 ms doubling up to 5 s, reset once f stores again. */
typedef struct ds_receiver ds_receiver;
/* Stores n bytes at line as records: one record per '\n'-terminated piece,
 * and the rest after the last '\n' (if any) as one more.  Bytes are copied.
 * With a write-ahead log, returns once they are in it. */
void ds_store(ds_receiver *r, const char *line, size_t n);
bool ds_receiver_stopping(ds_receiver *r);

/* A NUL-terminated copy of s in arena a (for `const char *` parameters). */
const char *ds_str_cstr(ds_arena *a, ds_str s);
/* A copy of the NUL-terminated p (NULL: the empty string) in arena a. */
ds_str ds_cstr_copy(ds_arena *a, const char *p);

/* ---- hashing and tables ------------------------------------------------- */

static inline uint64_t ds_mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

/* Folds the 128-bit product of a and b: one multiply that mixes every
 * input bit into the result (wyhash's "mum"). */
static inline uint64_t ds__mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Short keys (words, ids) are the common case: up to 16 bytes take two
 * overlapping loads and one multiply; longer keys one multiply per 16. */
static inline uint64_t ds_hash_bytes(const void *data, size_t n)
{
	const unsigned char *p = (const unsigned char *)data;
	const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
	uint64_t a, b, seed = k0 ^ (uint64_t)n;
	if (n <= 16) {
		if (n >= 8) {
			memcpy(&a, p, 8);
			memcpy(&b, p + n - 8, 8);
		} else if (n >= 4) {
			uint32_t x, y;
			memcpy(&x, p, 4);
			memcpy(&y, p + n - 4, 4);
			a = x;
			b = y;
		} else if (n > 0) {
			a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
			b = 0;
		} else {
			a = b = 0;
		}
	} else {
		size_t i = n;
		while (i > 16) {
			memcpy(&a, p, 8);
			memcpy(&b, p + 8, 8);
			seed = ds__mum(a ^ k1, b ^ seed);
			p += 16;
			i -= 16;
		}
		memcpy(&a, p + i - 16, 8);
		memcpy(&b, p + i - 8, 8);
	}
	return ds__mum(k1 ^ (uint64_t)n, ds__mum(a ^ k1, b ^ seed));
}

/* Stored hashes are never 0 (0 marks an empty slot). */
#define DS_HASH_USED (1ULL << 63)
static inline uint64_t ds_hash_str(ds_str s) { return ds_hash_bytes(s.p, (size_t)s.n) | DS_HASH_USED; }
/* One 64x64->128 multiply, folded (ds__mum): every bit of v reaches the low
 * bits a table's mask keeps, at about a third of ds_mix64's latency, which
 * a probe of an Int key waits for (W3b, bench/analysis.md). */
static inline uint64_t ds_hash_i64(int64_t v)
{
	return ds__mum((uint64_t)v ^ 0x9e3779b97f4a7c15ULL, 0xd6e8feb86659fd93ULL) | DS_HASH_USED;
}
static inline uint64_t ds_hash_f64(double v)
{
	if (v == 0)
		v = 0; /* -0.0 == 0.0 */
	uint64_t u;
	memcpy(&u, &v, 8);
	return ds_hash_i64((int64_t)u);
}
static inline uint64_t ds_hash_combine(uint64_t h, uint64_t x)
{
	return ds_mix64(h * 31 + x) | DS_HASH_USED;
}

/* Keys are short (words, ids), and a table compares them only after their
 * hashes matched, so they are almost always equal: up to 16 bytes take two
 * overlapping loads per side and no call (as ds_hash_bytes reads them). */
static inline bool ds_str_eq(ds_str a, ds_str b)
{
	if (a.n != b.n)
		return false;
	size_t n = (size_t)a.n;
	const char *x = a.p, *y = b.p;
	if (n >= 8 && n <= 16) {
		uint64_t x0, x1, y0, y1;
		memcpy(&x0, x, 8);
		memcpy(&y0, y, 8);
		memcpy(&x1, x + n - 8, 8);
		memcpy(&y1, y + n - 8, 8);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n >= 4 && n < 8) {
		uint32_t x0, x1, y0, y1;
		memcpy(&x0, x, 4);
		memcpy(&y0, y, 4);
		memcpy(&x1, x + n - 4, 4);
		memcpy(&y1, y + n - 4, 4);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n < 4) {
		for (size_t i = 0; i < n; i++)
			if (x[i] != y[i])
				return false;
		return true;
	}
	return memcmp(x, y, n) == 0;
}
int ds_str_cmp(ds_str a, ds_str b); /* <0, 0, >0, bytewise */

/* An open-addressing table of fixed-size slots with linear probing.
 * Generated code does the probe itself (it knows the key type and
 * inlines its equality) and calls ds_table_grow before inserting when
 * count reaches 3/4 of cap.  A slot is the key's hash (a uint64_t, 0: the
 * slot is empty), then the entry (the key, then the value): a probe reads
 * one cache line, not a hash in one array and the entry in another
 * (bench/analysis.md, issue 14).  Generated code declares a slot as
 * struct { uint64_t h; K k; V v; } and indexes slots by that type; the
 * runtime reads the hash with ds_table_hash and the entry at
 * ds_table_entry.  Strings are compared only after their hashes matched,
 * and ds_str_eq compares their lengths first. */
typedef struct ds_table {
	char *slots;  /* cap * esize bytes; owned */
	size_t esize; /* bytes per slot: the hash, then the entry; a multiple of 8 */
	size_t cap;   /* slots, a power of two */
	size_t count; /* used slots */
	size_t hint;  /* slots the next allocation takes (0: the minimum, 16):
			 set by ds_table_reserve, and by a clear that gives
			 back the memory of a burst */
} ds_table;

/* Bytes before a slot's entry: its hash. */
#define DS_TABLE_HDR 8

void ds_table_init(ds_table *t, size_t esize); /* esize: a slot's bytes */
/* Empties; keeps the capacity, unless at most 1/8 of it was used (a
 * per-batch table after a burst): then the memory goes back and the next
 * insert allocates room for twice what was used. */
void ds_table_clear(ds_table *t);
void ds_table_close(ds_table *t);
void ds_table_grow(ds_table *t);  /* doubles cap, rehashing by stored hashes */
/* Room for n entries without growing (a Dataset's size known at load). */
void ds_table_reserve(ds_table *t, size_t n);
static inline uint64_t ds_table_hash(const ds_table *t, size_t i) { return *(const uint64_t *)(t->slots + i * t->esize); }
static inline void ds_table_set_hash(ds_table *t, size_t i, uint64_t h) { *(uint64_t *)(t->slots + i * t->esize) = h; }
static inline void *ds_table_entry(const ds_table *t, size_t i) { return t->slots + i * t->esize + DS_TABLE_HDR; }
static inline bool ds_table_full(const ds_table *t) { return (t->count + 1) * 4 > t->cap * 3; }

/* A table whose keys were interned at load (issue 14: a static Dataset's
 * join values, each with a dense id 0, 1, ...): an entry is found by its
 * key's id, through at[], not by a hash probe.  The entries sit in t's
 * slots in the order their ids were first seen (the generated upsert_
 * appends), so that walking t and merging each entry into a ds_table
 * inserts the keys in the order the records brought them, as the hash
 * aggregate the dense table stands in for would have. */
typedef struct ds_dense {
	ds_table t;   /* the entries, slot i the i-th id first seen since the last clear */
	uint32_t *at; /* by id: 1 + its entry's slot in t, 0: none; owned */
	size_t nids;  /* ids at[] has room for */
} ds_dense;

void ds_dense_init(ds_dense *d, size_t esize); /* esize: a slot's bytes, as ds_table_init */
void ds_dense_clear(ds_dense *d);
void ds_dense_close(ds_dense *d);
/* Room in at[] for id (>= 0), and in t for one more entry; the entries
 * keep their slots. */
void ds_dense_fit(ds_dense *d, int64_t id);

/* ---- workers: the exchange between stages ------------------------------- */

/* The worker that owns a key of hash h: bits far from the low ones a
 * table's slot index takes, so that each worker's slice of a table spreads
 * over all its slots.  A hash of 0 (a keyless aggregate) goes to worker 0. */
static inline int ds_owner(uint64_t h, int nworkers)
{
	return (int)((((h >> 24) & 0xffffffffu) * (uint64_t)(uint32_t)nworkers) >> 32);
}
static inline bool ds_exchanging(const ds_task *t) { return t->exchange; }
static inline bool ds_owns(const ds_task *t, int64_t h) { return ds_owner((uint64_t)h, t->nworkers) == t->worker; }

/* A slot of esize bytes for one record of exchange x (a keyed operator's
 * input), bound for the owner of hash h.  Records stay in the sender's
 * buffer, and what they point to (strings in blocks or the sender's batch
 * arena) stays where it is, until the batch ends. */
static inline void *ds_xchg_put(ds_task *t, int x, int64_t h, size_t esize)
{
	ds_buf *b = &t->xout[x * t->nworkers + ds_owner((uint64_t)h, t->nworkers)];
	if (b->cap - b->len < esize)
		ds__buf_grow(b, esize);
	void *p = b->p + b->len;
	b->len += esize;
	return p;
}
/* The records every worker sent this one through exchange x, one ds_block
 * per sender in worker order (len bytes of records; nrecs unused), so that
 * a key's records arrive in the order of the input: worker w's share of
 * the input comes before worker w + 1's. */
const ds_block *ds_xchg_input(ds_task *t, int x, int *n);
/* Waits until every worker has reached this point of the batch. */
void ds_barrier(ds_task *t);

/* ---- windows ------------------------------------------------------------ */

/* The records one batch contributed to a window, copied into the pane's own
 * arena: they live until the pane is reused, w / batch batches later. */
typedef struct ds_pane {
	ds_arena arena;   /* owns the bytes the records point to */
	ds_list recs;     /* elements of the type generated code knows; data is
			     malloc'd and owned, with room for cap elements */
	size_t cap;       /* kept when the pane is reused */
	int64_t time;     /* the batch time it holds; INT64_MIN: never filled */
} ds_pane;

/* A ring of panes, one per batch of the window (window / batch interval).
 * Owned by the program state; used by the batch thread only. */
typedef struct ds_window {
	ds_pane *panes; /* n; owned */
	int n;
	int cur;        /* the pane of the batch being run */
} ds_window;

void ds_window_init(ds_window *w, int npanes);
void ds_window_close(ds_window *w);
/* Makes the oldest pane the current batch's: emptied and stamped with time. */
void ds_window_begin_batch(ds_window *w, int64_t time);
/* Appends one element slot of esize bytes to the pane's records (a
 * realloc'd array: no copies left behind in the arena as it grows). */
void *ds_pane_push(ds_pane *p, size_t esize);
/* The i-th pane in time order (0 = oldest). */
static inline ds_pane *ds_window_pane(ds_window *w, int i) { return &w->panes[(w->cur + 1 + i) % w->n]; }

/* ---- builtins ----------------------------------------------------------- */

/* Wrapping Int arithmetic (Scala's Long semantics, no C overflow UB). */
static inline int64_t ds_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static inline int64_t ds_sub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static inline int64_t ds_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static inline int64_t ds_neg(int64_t a) { return (int64_t)(0 - (uint64_t)a); }
/* Division and remainder: false when b == 0 (the record is bad). */
static inline bool ds_div(int64_t a, int64_t b, int64_t *r)
{
	if (b == 0)
		return false;
	*r = (b == -1) ? ds_neg(a) : a / b;
	return true;
}
static inline bool ds_mod(int64_t a, int64_t b, int64_t *r)
{
	if (b == 0)
		return false;
	*r = (b == -1) ? 0 : a % b;
	return true;
}

/* Java's String.split with a literal separator: trailing empty strings
 * removed; no match gives [s]; an empty separator splits into bytes. */
ds_list ds_split(ds_arena *a, ds_str s, ds_str sep);
ds_list ds_chars(ds_arena *a, ds_str s);
/* The first min(k, n) pieces of ds_split(a, s, sep), where n is the length
 * of the whole split, in one pass that stops after piece k (unless piece k is
 * empty: then whether it is a trailing one needs the rest).  For a split
 * whose list is only indexed below k (compiler/opt.c); k > 0. */
ds_list ds_split_prefix(ds_arena *a, ds_str s, ds_str sep, int64_t k);

/* split(s, sep) one piece at a time, with ds_split's exact semantics but no
 * list: what a fused flatMap(l => split(l, sep)) iterates.
 *     ds_split_it it; ds_split_begin(&it, s, sep);
 *     ds_str w; while (ds_split_next(&it, &w)) ...
 * Empty pieces are held back until a non-empty one follows, which is how
 * Java's trailing empty strings disappear without looking ahead. */
typedef struct ds_split_it {
	const char *p, *end; /* what is left to split */
	ds_str sep;
	int mode;            /* 0 whole string once, 1 pieces, 2 bytes, 3 done */
	int64_t pending;     /* empty pieces not yet yielded */
	ds_str held;         /* the non-empty piece that follows them */
	bool has_held;
} ds_split_it;

static inline const char *ds__split_find(const char *p, const char *end, ds_str sep)
{
	if ((int64_t)(end - p) < sep.n)
		return NULL;
	if (sep.n == 1)
		return (const char *)memchr(p, sep.p[0], (size_t)(end - p));
	for (; end - p >= sep.n; p++)
		if (*p == sep.p[0] && memcmp(p, sep.p, (size_t)sep.n) == 0)
			return p;
	return NULL;
}

static inline void ds_split_begin(ds_split_it *it, ds_str s, ds_str sep)
{
	it->p = s.p;
	it->end = s.p + s.n;
	it->sep = sep;
	it->pending = 0;
	it->has_held = false;
	if (sep.n == 0)
		it->mode = s.n ? 2 : 0;
	else
		it->mode = ds__split_find(s.p, it->end, sep) ? 1 : 0;
}

static inline bool ds_split_next(ds_split_it *it, ds_str *out)
{
	if (it->pending) {
		it->pending--;
		*out = (ds_str){it->p, 0};
		return true;
	}
	if (it->has_held) {
		it->has_held = false;
		*out = it->held;
		return true;
	}
	switch (it->mode) {
	case 0:
		*out = (ds_str){it->p, it->end - it->p};
		it->mode = 3;
		return true;
	case 2:
		if (it->p == it->end)
			return false;
		*out = (ds_str){it->p++, 1};
		return true;
	case 1:
		for (;;) {
			const char *m = ds__split_find(it->p, it->end, it->sep);
			ds_str piece = {it->p, (m ? m : it->end) - it->p};
			if (m)
				it->p = m + it->sep.n;
			else
				it->mode = 3;
			if (piece.n == 0) {
				if (!m)
					return false; /* trailing empties are dropped */
				it->pending++;
				continue;
			}
			if (it->pending) {
				it->held = piece;
				it->has_held = true;
				it->pending--;
				*out = (ds_str){piece.p, 0};
				return true;
			}
			*out = piece;
			return true;
		}
	default:
		return false;
	}
}
bool ds_to_int(ds_str s, int64_t *out);   /* Scala's toLong: optional sign, digits */
bool ds_to_double(ds_str s, double *out); /* Scala's toDouble */
ds_str ds_int_to_str(ds_arena *a, int64_t v);
ds_str ds_double_to_str(ds_arena *a, double v);
ds_str ds_bool_to_str(bool v);
ds_str ds_buf_to_str(ds_arena *a, const ds_buf *b); /* copies b into the arena */
ds_str ds_concat(ds_arena *a, ds_str x, ds_str y);
ds_list ds_list_concat(ds_arena *a, ds_list x, ds_list y, size_t esize);

/* The order of sortBy, sortByKey, top and takeOrdered (lang/SPEC.md §9.3):
 * <0, 0 or >0.  Doubles as Java's Double.compare (-0.0 before 0.0, NaN
 * after everything), Booleans false first, Strings bytewise.  Generated
 * code writes a composite's cmp_ from these. */
static inline int ds_cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }
static inline int ds_cmp_bool(bool a, bool b) { return (int)a - (int)b; }
static inline int ds_cmp_f64(double a, double b)
{
	if (a < b)
		return -1;
	if (a > b)
		return 1;
	bool na = a != a, nb = b != b;
	if (na || nb)
		return (int)na - (int)nb;
	uint64_t x, y; /* equal: only a zero's sign tells them apart */
	memcpy(&x, &a, 8);
	memcpy(&y, &b, 8);
	return (int)(y >> 63) - (int)(x >> 63);
}
/* The same for qsort, on pointers to the values; ds_sort sorts a list. */
int ds_cmpp_i64(const void *a, const void *b);
int ds_cmpp_f64(const void *a, const void *b);
int ds_cmpp_bool(const void *a, const void *b);
int ds_cmpp_str(const void *a, const void *b);
void ds_sort(ds_list *l, size_t esize, int (*cmp)(const void *, const void *));
/* top(k) and takeOrdered(k): the k smallest elements of l, in order, at its
 * start (with largest, the k largest, in order, at its end); the others
 * anywhere.  O(n log k). */
void ds_sort_ends(ds_list *l, size_t esize, int64_t k, bool largest, int (*cmp)(const void *, const void *));
ds_str ds_lower(ds_arena *a, ds_str s); /* ASCII */
ds_str ds_upper(ds_arena *a, ds_str s); /* ASCII */
ds_str ds_trim(ds_str s);               /* Java trim: bytes <= ' ' at both ends */
bool ds_contains(ds_str s, ds_str t);
bool ds_starts_with(ds_str s, ds_str t);
bool ds_ends_with(ds_str s, ds_str t);
/* substr(s, from, len): false when from or len is negative or from > s.n;
 * the result is clamped to the end of s. */
bool ds_substr(ds_str s, int64_t from, int64_t len, ds_str *out);

/* ---- the program -------------------------------------------------------- */

typedef enum ds_source_kind {
	DS_SRC_SOCKET = 1, /* socketTextStream(host, port): a receiver thread */
	DS_SRC_TEXTDIR,    /* textFileStream(dir): new files each batch */
	DS_SRC_QUEUE,      /* queueStream(path): batches from a file, manual clock */
	DS_SRC_TEXTFILE,   /* textFile(path): static dataset, read once at start */
	DS_SRC_RECEIVER,   /* receiverStream(f): user C code on a receiver thread */
	DS_SRC_BINDIR,     /* binaryRecordsStream(dir, schema): new files each batch, fixed-length records */
	DS_SRC_BINQUEUE,   /* binaryQueueStream(path, schema, n): n records a batch, manual clock */
	DS_SRC_BINFILE,    /* binaryRecords(path, schema): static dataset, read once at start */
	DS_SRC_KAFKA,      /* kafkaStream(brokers, topic[, props]): the direct approach, framed blocks */
} ds_source_kind;

/* kafkaStream's reader (runtime/kafka_in.c; link with -lrdkafka), named in
 * its source descriptor so that only programs with a Kafka source link it
 * and librdkafka. */
typedef struct ds_source_ops ds_source_ops;
extern const ds_source_ops ds_kafka_source;

typedef struct ds_source_desc {
	ds_source_kind kind;
	const char *host; /* socket */
	int port;         /* socket */
	const char *path; /* dir or file */
	const char *loc;  /* "prog.dstream:5:13", for messages */
	int site;         /* bad-record site for over-long lines (binary: incomplete records) */
	int (*receiver)(ds_receiver *r); /* receiver: the user's function */
	const char *fn;   /* receiver: its name, for messages */
	/* binary sources */
	int64_t record_len;  /* bytes per record: the schema's fields and padding */
	const char *schema;  /* as written, e.g. "i64 i32 _4 f64" (for messages) */
	int64_t per_batch;   /* binaryQueueStream: records per batch */
	/* kafka: the bootstrap brokers, the topic, consumer properties ("k=v,k=v",
	 * maxRatePerPartition=N among them, or NULL), and the reader */
	const char *brokers, *topic, *props;
	const ds_source_ops *ops;
	int kafka_records; /* kafkaRecordStream: each framed record is a whole message
			      (ds_kafka_topic ... ds_kafka_value read it), not its value */
} ds_source_desc;

typedef enum ds_output_kind {
	DS_OUT_PRINT = 1, /* print(n) */
	DS_OUT_SAVE,      /* saveAsTextFiles(prefix[, suffix]) */
	DS_OUT_FOREACH,   /* foreachRDD(f), foreachRecord(f): calls foreach once per (due) batch */
	DS_OUT_KAFKA,     /* saveToKafka(brokers, topic[, props]): commit (ds_kafka_commit) */
	DS_OUT_POSTGRES,  /* saveToPostgres(conninfo, table[, "upsert"]): open, commit (ds_pg_*) */
	DS_OUT_REDIS,     /* saveToRedis(addr, hash): open, commit (ds_redis_*) */
} ds_output_kind;

typedef struct ds_output_desc {
	ds_output_kind kind;
	int64_t n;          /* print: records shown */
	const char *prefix; /* save */
	const char *suffix; /* save: NULL or "" for none */
	const char *loc;
	int64_t slide_ms;   /* outputs happen at batch times that are multiples of this */
	/* foreach: the function called at commit with the batch's records (the
	 * user's for foreachRDD, a generated one for foreachRecord), its name,
	 * and the kinds of a record's fields, one ds_field_kind letter each */
	void (*foreach)(int64_t batch_time_ms, const ds_rdd *rdd);
	const char *fn;
	const char *fields;
	/* kafka: the bootstrap brokers, the topic, librdkafka producer
	 * properties ("k=v,k=v", or NULL), and the commit: ds_kafka_commit
	 * (named here, so that only programs with a Kafka output link it and
	 * librdkafka) */
	const char *brokers, *topic, *props;
	int (*commit)(ds_rt *rt, int out, int64_t batch_time_ms);
	/* postgres: the libpq connection string, the table, and the mode
	 * ("upsert", or NULL: append); redis: the address ("host:port",
	 * "redis://[:password@]host:port[/db]" or "unix:PATH") in conninfo and
	 * the hash in table.  open is called once at start, before any batch:
	 * it connects (retrying while the server is away) and checks the
	 * destination; 0 or -errno after a message.  Both named here, so that
	 * only programs with such an output link the client library. */
	const char *conninfo, *table, *mode;
	int (*open)(ds_rt *rt, int out);
} ds_output_desc;

/* saveToKafka's commit (runtime/kafka_out.c; link with -lrdkafka): sends the
 * batch's records (typed fields "S": values, "SS": keys and values) and
 * returns once all are acknowledged; 0 or -errno after a message. */
int ds_kafka_commit(ds_rt *rt, int out, int64_t batch_time_ms);
/* saveToPostgres (runtime/pg_out.c; link with -lpq) and saveToRedis
 * (runtime/redis_out.c; link with -lhiredis): a batch's records in one
 * transaction with its progress mark, so that a batch that runs again
 * after a crash is skipped (lang/SPEC.md §12.3, §12.4). */
int ds_pg_open(ds_rt *rt, int out);
int ds_pg_commit(ds_rt *rt, int out, int64_t batch_time_ms);
int ds_redis_open(ds_rt *rt, int out);
int ds_redis_commit(ds_rt *rt, int out, int64_t batch_time_ms);

/* Where bad records are reported from: an operator at a source location. */
typedef struct ds_site {
	const char *loc; /* "prog.dstream:7:24" */
	const char *op;  /* "map", "toInt", ... */
} ds_site;

/* A program parameter, param("name"[, default]) (lang/SPEC.md §7.1): its
 * value is given at start with --param NAME=VALUE, or is its default. */
typedef struct ds_param_desc {
	const char *name;
	char type;       /* a ds_field_kind: 'I' Int, 'D' Double, 'B' Boolean, 'S' String */
	const char *def; /* the default as --param spells it: "9999", "0.5", "true",
			    "localhost"; NULL: required (a String) */
	const char *loc; /* its first use, "prog.dstream:4:30" */
} ds_param_desc;

/* A field of a source or output descriptor that holds a parameter's value:
 * the descriptor carries the default (for a required one, a placeholder),
 * and the runtime puts the value in its own copy at start. */
typedef enum ds_param_field {
	DS_PARAM_HOST = 1,  /* source .host */
	DS_PARAM_PORT,      /* source .port */
	DS_PARAM_PATH,      /* source .path */
	DS_PARAM_PER_BATCH, /* source .per_batch */
	DS_PARAM_BROKERS,   /* source or output .brokers */
	DS_PARAM_TOPIC,     /* source or output .topic */
	DS_PARAM_PROPS,     /* source or output .props */
	DS_PARAM_N,         /* output .n (print) */
	DS_PARAM_PREFIX,    /* output .prefix */
	DS_PARAM_SUFFIX,    /* output .suffix */
	DS_PARAM_CONNINFO,  /* output .conninfo */
	DS_PARAM_TABLE,     /* output .table */
} ds_param_field;

typedef struct ds_param_use {
	int param;  /* index into ds_program.params */
	int source; /* index into ds_program.sources, or -1 */
	int output; /* index into ds_program.outputs, or -1 */
	ds_param_field field;
} ds_param_use;

/* The value of parameter k (index into ds_program.params), for generated
 * code: param("name", ...) in a function.  Strings are the runtime's and
 * live for the whole run. */
int64_t ds_param_int(ds_task *t, int k);
double ds_param_double(ds_task *t, int k);
bool ds_param_bool(ds_task *t, int k);
ds_str ds_param_str(ds_task *t, int k);

/* A part of the program state that a checkpoint keeps (lang/SPEC.md,
 * "Checkpoints and recovery").  It is stored as typed entries, not as a
 * memory image, under its name, so that a changed program, or another
 * engine, restores each part whose name and type still match. */
typedef enum ds_state_kind {
	DS_STATE_TABLE = 1, /* a ds_table of (key, value) entries, their strings
			       and lists in a ds_arena of their own */
	DS_STATE_WINDOW,    /* a ds_window: a pane of records per batch */
} ds_state_kind;

typedef struct ds_state_desc {
	ds_state_kind kind;
	const char *name;   /* "ID/ROLE": the operator's stable identity
			       (.named("ID"), or derived from the program) and
			       the part of its state ("state", "panes", ...) */
	const char *loc;    /* the operator, "prog.dstream:7:21" */
	const char *op;     /* its name, "updateStateByKey" */
	const char *type;   /* must be equal for a restore; shown in messages:
			       "String -> Option[Int]", "(String, Int) in a 2s window" */
	const char *layout; /* the bytes of an entry (a table's key then value)
			       or a pane's record, as a type code: I Int, D
			       Double, B Boolean, S String, L<T> List, O<T>
			       Option, T<n><T>... tuple; laid out as C lays out
			       the generated structs */
	size_t offset;       /* of the ds_table / ds_window in the state struct */
	size_t arena_offset; /* DS_STATE_TABLE: of the ds_arena that owns its bytes */
	size_t esize;        /* bytes per table slot (the hash, then the entry)
			        or window record, as the engine laid it out */
	char dist;           /* how it is split among workers: 'K' by the stored
			        hash (tables), 'P' by the hash of a record's first
			        field (a keyed window's pairs), 'G' all on worker 0,
			        'A' anywhere (a window of records no key owns) */
} ds_state_desc;

typedef struct ds_program {
	int abi_version;     /* DS_ABI_VERSION */
	const char *name;    /* app "Name", or the file's base name */
	const char *source;  /* the .dstream path it was compiled from */
	int64_t batch_ms;
	int64_t block_ms;
	const char *checkpoint_dir; /* NULL: none */
	int64_t checkpoint_ms;
	uint64_t plan_hash;  /* identifies the plan, for checkpoint compatibility */
	int nsources;
	const ds_source_desc *sources;
	int noutputs;
	const ds_output_desc *outputs;
	int nsites;
	const ds_site *sites;
	size_t state_size;   /* bytes of the generated state struct (zeroed before init) */
	/* Called once before the first batch: tables, static datasets. */
	void (*init)(ds_task *t, void *state);
	/* Runs every stage of one batch, in order. */
	void (*run_batch)(ds_task *t, void *state);
	/* Frees what init and the batches allocated. */
	void (*close)(void *state);
	/* What a checkpoint keeps of the state (nstates == 0: nothing). */
	int nstates;
	const ds_state_desc *states;
	/* Exchanges between stages: one per keyed operator's input (ds_xchg_put). */
	int nexchanges;
	/* What --version and the status page (--http) show: the dstreamc
	 * version that built it, the FNV-1a 64 hash of the .dstream source's
	 * bytes, and `dstreamc explain`'s text (the stages and what each fused). */
	const char *version;
	uint64_t source_hash;
	const char *explain;
	/* counter("name", n) (the seeds' accumulators): their names; generated
	 * code adds to counter k with ds_counter_add */
	int ncounters;
	const char *const *counters;
	/* The program's parameters (lang/SPEC.md §7.1), and where the source and
	 * output descriptors hold their values (nparams == 0: none). */
	int nparams;
	const ds_param_desc *params;
	int nparam_uses;
	const ds_param_use *param_uses;
} ds_program;

/* Parses the program's flags (--batches N, --duration D, --help, ...),
 * runs batches until the sources end, a limit is reached or SIGINT/SIGTERM
 * arrives (the batch in progress is finished and its outputs flushed), and
 * returns the exit status. */
int ds_main(int argc, char **argv, const ds_program *prog);

#ifdef __cplusplus
}
#endif
#endif
