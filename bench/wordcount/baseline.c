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
#include "../baseline.h"

/* The word table (baseline.h: keys copied into a compact pool on insert, so
 * that comparing a key touches the pool, not a cold line somewhere in the
 * 200 MB buffer). */
static table words;

static inline void add(const char *p, size_t n, int64_t k) { table_upsert(&words, p, n)->v += k; }

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

static void put_pair(const entry *e)
{
	putchar('(');
	fwrite(e->p, 1, e->n, stdout);
	printf(",%lld)\n", (long long)e->v);
}

/* The batch: split and count every line, then print the first `limit`
 * pairs.  Returns the number of lines.  Not inlined, so that a profile
 * (callgrind --toggle-collect=process) can single it out. */
static __attribute__((noinline)) int64_t process(const char *buf, size_t size, size_t limit)
{
	int64_t lines = 0;
	const char *p = buf, *end = buf + size, *ln, *le;
	while (next_line(&p, end, &ln, &le)) {
		count_line(ln, le);
		lines++;
	}

	size_t shown = 0;
	fputs("-------------------------------------------\nTime: 1000 ms\n"
	      "-------------------------------------------\n", stdout);
	for (size_t i = 0; i < words.cap; i++) {
		if (!words.e[i].h)
			continue;
		if (shown == limit) {
			fputs("...\n", stdout);
			break;
		}
		put_pair(&words.e[i]);
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
	size_t size;
	char *buf = load_file(path, &size);

	double t1 = now_ms();
	int64_t lines = process(buf, size, all ? SIZE_MAX : 10);
	double t2 = now_ms();
	if (timing) {
		int64_t nwords = 0;
		for (size_t i = 0; i < words.cap; i++)
			nwords += words.e[i].h ? words.e[i].v : 0;
		fprintf(stderr, "lines %lld words %lld distinct %zu load_ms %.3f proc_ms %.3f\n",
		        (long long)lines, (long long)nwords, words.used, t1 - t0, t2 - t1);
	}
	return 0;
}
