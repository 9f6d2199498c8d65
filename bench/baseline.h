/* baseline.h: what the hand-written C baselines of bench/suite.sh share
 * (header-only, one program per baseline).
 *
 * The same straightforward C as bench/wordcount/baseline.c: read the whole
 * input into one buffer (not timed: the dstream programs' queueStream loads
 * its file before the first batch, outside the batches' processing time),
 * walk it batch by batch (a line "---" closes a batch, as in queueStream),
 * and keep string keys in an open-addressing table (linear probing,
 * power-of-two capacity grown at 3/4 load, the hash inline in the entry,
 * keys copied into a pool on insert, a word-at-a-time multiply hash).
 *
 * Every baseline takes `FILE [--check]` and prints, per output time, the
 * first 10 (key,value) pairs in Spark's print() format, as the dstream
 * program's print() does; --check prints instead one line per output time,
 * "T nonzero-keys sum-of-values", which bench/suite.sh compares with the
 * same line computed from the dstream program's full print on a small
 * input.  On stderr: "records R proc_ms P" (the records read and the time
 * of the batches, as the programs' --metrics-json totals). */
#ifndef BENCH_BASELINE_H
#define BENCH_BASELINE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		perror("malloc");
		exit(1);
	}
	return p;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *load_file(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		exit(1);
	}
	size_t n = (size_t)st.st_size, got = 0;
	char *buf = xmalloc(n + 1);
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0) {
			perror(path);
			exit(1);
		}
		got += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*size = n;
	return buf;
}

/* The next line of [*p, end): sets *ln, *le (without '\n' or "\r\n");
 * false at the end. */
static inline int next_line(const char **p, const char *end, const char **ln, const char **le)
{
	if (*p >= end)
		return 0;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *e = nl ? nl : end;
	*ln = *p;
	*le = (e > *p && e[-1] == '\r') ? e - 1 : e;
	*p = nl ? nl + 1 : end;
	return 1;
}

static inline int is_sep(const char *ln, const char *le) { return le - ln == 3 && ln[0] == '-' && ln[1] == '-' && ln[2] == '-'; }

/* ---- the table: string -> int64 ---------------------------------------------- */

typedef struct entry {
	const char *p; /* into the pool */
	uint32_t n;
	uint64_t h; /* 0: empty */
	int64_t v;
} entry;

typedef struct table {
	entry *e;
	size_t cap, used;
	char *pool;
	size_t pool_left;
} table;

static inline uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9fb21c651e98df25ULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * 0x9fb21c651e98df25ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h | 1;
}

static void table_grow(table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024;
	entry *ne = calloc(ncap, sizeof *ne);
	if (!ne) {
		perror("calloc");
		exit(1);
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->e[i].h)
			continue;
		size_t j = t->e[i].h & (ncap - 1);
		while (ne[j].h)
			j = (j + 1) & (ncap - 1);
		ne[j] = t->e[i];
	}
	free(t->e);
	t->e = ne;
	t->cap = ncap;
}

static const char *table_intern(table *t, const char *p, size_t n)
{
	if (t->pool_left < n) {
		t->pool_left = n > (1 << 20) ? n : (1 << 20);
		t->pool = xmalloc(t->pool_left); /* freed with the process */
	}
	char *r = t->pool;
	memcpy(r, p, n);
	t->pool += n;
	t->pool_left -= n;
	return r;
}

/* The entry of key (p, n), inserted with v = 0 when new. */
static inline entry *table_upsert(table *t, const char *p, size_t n)
{
	if (!t->cap)
		table_grow(t);
	uint64_t h = hash_bytes(p, n);
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		entry *e = &t->e[i];
		if (!e->h) {
			if ((t->used + 1) * 4 > t->cap * 3) {
				table_grow(t);
				i = (h & (t->cap - 1)) - 1;
				continue;
			}
			e->p = table_intern(t, p, n);
			e->n = (uint32_t)n;
			e->h = h;
			e->v = 0;
			t->used++;
			return e;
		}
		if (e->h == h && e->n == n && memcmp(e->p, p, n) == 0)
			return e;
	}
}

/* The entry of key (p, n), or NULL. */
static inline entry *table_find(const table *t, const char *p, size_t n)
{
	if (!t->cap)
		return NULL;
	uint64_t h = hash_bytes(p, n);
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		entry *e = &t->e[i];
		if (!e->h)
			return NULL;
		if (e->h == h && e->n == n && memcmp(e->p, p, n) == 0)
			return e;
	}
}

/* Empties t, keeping its capacity and its key pool (keys are re-interned). */
static inline void table_clear(table *t)
{
	if (t->cap)
		memset(t->e, 0, t->cap * sizeof *t->e);
	t->used = 0;
}

/* ---- output -------------------------------------------------------------------- */

static int check_mode;

/* Spark's print() of the table at time ms (first 10 pairs, "..." when more),
 * or the --check line. */
static inline void print_table(const table *t, int64_t ms)
{
	if (check_mode) {
		int64_t nz = 0, sum = 0;
		for (size_t i = 0; i < t->cap; i++)
			if (t->e[i].h) {
				nz += t->e[i].v != 0;
				sum += t->e[i].v;
			}
		printf("%lld %lld %lld\n", (long long)ms, (long long)nz, (long long)sum);
		return;
	}
	printf("-------------------------------------------\nTime: %lld ms\n"
	       "-------------------------------------------\n", (long long)ms);
	size_t shown = 0;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->e[i].h)
			continue;
		if (shown == 10) {
			fputs("...\n", stdout);
			break;
		}
		printf("(%.*s,%lld)\n", (int)t->e[i].n, t->e[i].p, (long long)t->e[i].v);
		shown++;
	}
	putchar('\n');
}

/* Parses "FILE [--check]". */
static inline const char *baseline_args(int argc, char **argv, const char *usage)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check"))
			check_mode = 1;
		else if (!path)
			path = argv[i];
		else
			path = NULL, i = argc;
	}
	if (!path) {
		fprintf(stderr, "usage: %s\n", usage);
		exit(2);
	}
	return path;
}

/* Decimal integer of [p, e) (an optional '-'); 0 if it is not one. */
static inline int parse_int(const char *p, const char *e, int64_t *out)
{
	int neg = p < e && *p == '-';
	p += neg;
	if (p == e)
		return 0;
	int64_t v = 0;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
	}
	*out = neg ? -v : v;
	return 1;
}

#endif
