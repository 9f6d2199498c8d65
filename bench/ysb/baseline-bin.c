/* baseline-bin.c: the hand-written C Yahoo Streaming Benchmark query on
 * binary ad events, which W3b (bench/ysb/ysb-bin.dstream) is measured
 * against.
 *
 *   baseline-bin CAMPAIGNS_FILE PER_BATCH EVENTS_FILE [--check]
 *
 * EVENTS_FILE holds 44-byte records "i64 i64 i64 i32 i32 i64 i32" (user_id,
 * page_id, ad_id, ad_type, event_type, event_time, ip; little-endian, no
 * padding: lang/SPEC.md §8.1), written by tools/binrecgen; batch k is
 * records (k-1)*PER_BATCH .. k*PER_BATCH-1, as binaryQueueStream cuts them.
 * CAMPAIGNS_FILE has one line "AD_ID CAMPAIGN_ID" (integers) per ad.
 *
 * The best straightforward C for the query: the ad-to-campaign table is
 * loaded (not timed, as the program's textFile is read by init) into an
 * open-addressing table ad_id -> campaign number (linear probing, the key
 * inline, a multiply-shift hash: ad ids are not assumed dense); the events
 * file is mapped read-only before the timed part, as the runtime maps a
 * binaryQueueStream's file; then, timed, batch by batch, each record whose
 * event_type is 0 (a view) has
 * its ad looked up and its campaign's counter in a flat array incremented;
 * every 10 batches (a 10 s window of 1 s batches) the non-zero counters are
 * printed in Spark's print() format (or as the --check line of
 * bench/baseline.h) and reset.  On stderr: "records R proc_ms P". */
#include "../baseline.h"

#include <sys/mman.h>

enum { RECLEN = 44, OFF_AD = 16, OFF_TYPE = 28, WINDOW = 10 };

typedef struct {
	int64_t ad;  /* key */
	int32_t camp; /* campaign number; -1 marks an empty slot */
} adslot;

static adslot *ads;
static uint64_t admask;

static inline uint64_t hash_ad(int64_t k) { return ((uint64_t)k * 0x9e3779b97f4a7c15ULL) >> 20; }

static inline int32_t ad_find(int64_t k)
{
	for (uint64_t i = hash_ad(k) & admask;; i = (i + 1) & admask) {
		if (ads[i].ad == k && ads[i].camp >= 0)
			return ads[i].camp;
		if (ads[i].camp < 0)
			return -1;
	}
}

static inline int64_t load_i64(const char *p)
{
	int64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline int32_t load_i32(const char *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: baseline-bin CAMPAIGNS_FILE PER_BATCH EVENTS_FILE [--check]\n");
		return 2;
	}
	check_mode = argc > 4 && !strcmp(argv[4], "--check");
	int64_t per = atoll(argv[2]);
	if (per <= 0) {
		fprintf(stderr, "baseline-bin: PER_BATCH must be positive\n");
		return 2;
	}

	/* the static table: ad -> campaign number, campaign number -> id */
	size_t csize;
	char *cbuf = load_file(argv[1], &csize);
	size_t nlines = 0;
	for (size_t i = 0; i < csize; i++)
		nlines += cbuf[i] == '\n';
	size_t cap = 16;
	while (cap < 2 * (nlines + 1))
		cap *= 2;
	ads = xmalloc(cap * sizeof *ads);
	for (size_t i = 0; i < cap; i++)
		ads[i].camp = -1;
	admask = cap - 1;
	int64_t *campid = xmalloc((nlines + 1) * sizeof *campid);
	int32_t ncamp = 0;
	const char *p = cbuf, *end = cbuf + csize, *ln, *le;
	while (next_line(&p, end, &ln, &le)) {
		const char *sp = memchr(ln, ' ', (size_t)(le - ln));
		int64_t ad, camp;
		if (!sp || !parse_int(ln, sp, &ad) || !parse_int(sp + 1, le, &camp))
			continue;
		int32_t c = -1; /* campaigns are few and loaded once: a linear search */
		for (int32_t j = 0; j < ncamp; j++)
			if (campid[j] == camp)
				c = j;
		if (c < 0) {
			c = ncamp++;
			campid[c] = camp;
		}
		uint64_t i = hash_ad(ad) & admask;
		while (ads[i].camp >= 0 && ads[i].ad != ad)
			i = (i + 1) & admask;
		ads[i].ad = ad; /* a second line for the same ad: the last wins (the generator writes one) */
		ads[i].camp = c;
	}
	int64_t *count = calloc((size_t)ncamp + 1, sizeof *count);

	const char *path = argv[3];
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		return 1;
	}
	int64_t nrecs = (int64_t)st.st_size / RECLEN;
	const char *map = nrecs ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	if (map == MAP_FAILED) {
		perror(path);
		return 1;
	}
	if (map)
		madvise((void *)map, (size_t)st.st_size, MADV_SEQUENTIAL);

	double t0 = now_ms();
	int64_t records = 0;
	for (int64_t batch = 1, first = 0; first < nrecs; batch++, first += per) {
		int64_t n = nrecs - first < per ? nrecs - first : per;
		records += n;
		const char *r = map + first * RECLEN, *rend = r + n * RECLEN;
		for (; r < rend; r += RECLEN)
			if (load_i32(r + OFF_TYPE) == 0) {
				int32_t c = ad_find(load_i64(r + OFF_AD));
				if (c >= 0)
					count[c]++;
			}
		if (batch % WINDOW)
			continue;
		/* the window's output, in print()'s format, then a fresh window */
		int64_t ms = batch * 1000;
		if (check_mode) {
			int64_t nz = 0, sum = 0;
			for (int32_t c = 0; c < ncamp; c++) {
				nz += count[c] != 0;
				sum += count[c];
			}
			printf("%lld %lld %lld\n", (long long)ms, (long long)nz, (long long)sum);
		} else {
			printf("-------------------------------------------\nTime: %lld ms\n"
			       "-------------------------------------------\n", (long long)ms);
			int shown = 0;
			for (int32_t c = 0; c < ncamp; c++) {
				if (!count[c])
					continue;
				if (shown == 10) {
					fputs("...\n", stdout);
					break;
				}
				printf("(%lld,%lld)\n", (long long)campid[c], (long long)count[c]);
				shown++;
			}
			putchar('\n');
		}
		memset(count, 0, (size_t)ncamp * sizeof *count);
	}
	double t1 = now_ms();
	fflush(stdout);
	fprintf(stderr, "records %lld proc_ms %.3f\n", (long long)records, t1 - t0);
	close(fd);
	return 0;
}
