/* baseline.c: the hand-written C wordcount that dstream's compiled
 * wordcount is measured against.
 *
 *   baseline FILE [--all] [--timing]
 *
 * What a competent C programmer writes in a straightforward way, single
 * threaded: read the whole file into one buffer, cut it into lines
 * (dropping a '\r' before '\n', as the runtime does), split every line on
 * ' ' with Java's String.split semantics (consecutive separators give empty
 * words, counted as the word ""; trailing empty words are dropped; a line
 * with no separator, even an empty one, is one word), and count the words
 * in an open-addressing hash table (linear probing, power-of-two capacity,
 * grown at 3/4 load; a word is copied into a key pool when first seen;
 * a word-at-a-time multiply-xorshift hash).
 *
 * Output is Spark's print() of one batch at time 1000 ms: the first 10
 * (word,count) pairs in table order and "..." when there are more, so the
 * output work matches `counts.print()`.  --all prints every pair instead
 * (for the correctness check).  --timing writes
 * "lines L words W distinct D load_ms X proc_ms Y" to stderr: load is
 * reading the file, proc is splitting, counting and printing (what the
 * dstream binary reports as the batch's processing_ms). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	const char *p; /* into the key pool */
	uint32_t n;
	uint64_t h; /* 0: empty slot */
	int64_t count;
} entry;

static entry *tab;
static size_t cap, used;

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t hash(const char *p, size_t n)
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
	return mix(h) | 1; /* never 0 */
}

/* Keys are copied on insert into a compact pool: comparing a key then
 * touches this pool, not a cold line somewhere in the 200 MB buffer. */
static char *pool;
static size_t pool_left;

static const char *intern(const char *p, size_t n)
{
	if (pool_left < n) {
		pool_left = n > (1 << 20) ? n : (1 << 20);
		if (!(pool = malloc(pool_left))) {
			perror("malloc");
			exit(1);
		}
	}
	char *r = pool;
	if (n)
		memcpy(r, p, n);
	pool += n;
	pool_left -= n;
	return r;
}

static void grow(void)
{
	size_t ncap = cap ? cap * 2 : 1024;
	entry *nt = calloc(ncap, sizeof *nt);
	if (!nt) {
		perror("calloc");
		exit(1);
	}
	for (size_t i = 0; i < cap; i++) {
		if (!tab[i].h)
			continue;
		size_t j = tab[i].h & (ncap - 1);
		while (nt[j].h)
			j = (j + 1) & (ncap - 1);
		nt[j] = tab[i];
	}
	free(tab);
	tab = nt;
	cap = ncap;
}

static inline void add(const char *p, size_t n, int64_t k)
{
	uint64_t h = hash(p, n);
	size_t mask = cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		entry *e = &tab[i];
		if (!e->h) {
			if ((used + 1) * 4 > cap * 3) { /* grow, then probe again */
				grow();
				mask = cap - 1;
				i = (h & mask) - 1;
				continue;
			}
			e->p = intern(p, n);
			e->n = (uint32_t)n;
			e->h = h;
			e->count = k;
			used++;
			return;
		}
		if (e->h == h && e->n == n && memcmp(e->p, p, n) == 0) {
			e->count += k;
			return;
		}
	}
}

/* One line, Java split(" ") semantics. */
static inline void count_line(const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp) { /* no separator: the whole line is one word, even "" */
		add(p, (size_t)(end - p), 1);
		return;
	}
	int64_t empties = 0; /* empty words not yet known to be non-trailing */
	for (;;) {
		size_t n = (size_t)(sp - p);
		if (n == 0) {
			empties++;
		} else {
			if (empties) {
				add(p, 0, empties);
				empties = 0;
			}
			add(p, n, 1);
		}
		if (sp == end)
			break;
		p = sp + 1;
		sp = p;
		while (sp < end && *sp != ' ')
			sp++;
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void put_pair(const entry *e)
{
	putchar('(');
	fwrite(e->p, 1, e->n, stdout);
	printf(",%lld)\n", (long long)e->count);
}

/* The batch: split and count every line, then print the first `limit`
 * pairs.  Returns the number of lines.  Not inlined, so that a profile
 * (callgrind --toggle-collect=process) can single it out. */
static __attribute__((noinline)) int64_t process(const char *buf, size_t size, size_t limit)
{
	int64_t lines = 0;
	grow();
	const char *p = buf, *end = buf + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le > p && le[-1] == '\r')
			le--;
		count_line(p, le);
		lines++;
		p = nl ? nl + 1 : end;
	}

	size_t shown = 0;
	fputs("-------------------------------------------\nTime: 1000 ms\n"
	      "-------------------------------------------\n", stdout);
	for (size_t i = 0; i < cap; i++) {
		if (!tab[i].h)
			continue;
		if (shown == limit) {
			fputs("...\n", stdout);
			break;
		}
		put_pair(&tab[i]);
		shown++;
	}
	putchar('\n');
	fflush(stdout);
	return lines;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int all = 0, timing = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--timing") == 0)
			timing = 1;
		else
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: baseline FILE [--all] [--timing]\n");
		return 2;
	}

	double t0 = now_ms();
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		return 1;
	}
	size_t size = (size_t)st.st_size, got = 0;
	char *buf = malloc(size + 1);
	if (!buf) {
		perror("malloc");
		return 1;
	}
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n <= 0) {
			perror(path);
			return 1;
		}
		got += (size_t)n;
	}
	close(fd);

	double t1 = now_ms();
	int64_t lines = process(buf, size, all ? SIZE_MAX : 10);
	double t2 = now_ms();
	if (timing) {
		int64_t words = 0;
		for (size_t i = 0; i < cap; i++)
			words += tab[i].h ? tab[i].count : 0;
		fprintf(stderr, "lines %lld words %lld distinct %zu load_ms %.3f proc_ms %.3f\n",
		        (long long)lines, (long long)words, used, t1 - t0, t2 - t1);
	}
	return 0;
}
