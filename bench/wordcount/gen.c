/* gen.c: deterministic text for the wordcount benchmark.
 *
 *   gen BYTES OUTFILE [SEED]
 *
 * Writes exactly BYTES bytes of lines of 5-20 words separated by single
 * spaces, each line ending in '\n'.  Words come from a generated vocabulary
 * of VOCAB distinct lowercase words (3-10 letters, mean ~6.5) and are drawn
 * with a Zipf distribution (exponent 1.0, rank r has weight 1/r), so a few
 * words are very frequent and most are rare, as in natural text.  The PRNG
 * is xoshiro256** seeded through splitmix64: the same BYTES and SEED give
 * the same file on every machine.  No line is "---" (words are letters
 * only), so a queueStream reads the whole file as one batch.
 *
 * Only the last line is special: it is padded with one word of 'z's so that
 * the file has exactly BYTES bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCAB 50000
#define ZIPF_S 1.0

#include "../prng.h"
static inline double unit(void) { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }

static char words[VOCAB][11];
static unsigned char wlen[VOCAB];
static double cdf[VOCAB];

/* a small set to keep the vocabulary's words distinct */
static uint32_t *set;
static size_t setcap;

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static int set_add(uint32_t w)
{
	size_t i = hash(words[w], wlen[w]) & (setcap - 1);
	for (; set[i]; i = (i + 1) & (setcap - 1)) {
		uint32_t o = set[i] - 1;
		if (wlen[o] == wlen[w] && memcmp(words[o], words[w], wlen[w]) == 0)
			return 0;
	}
	set[i] = w + 1;
	return 1;
}

static uint32_t zipf(void)
{
	double u = unit() * cdf[VOCAB - 1];
	uint32_t lo = 0, hi = VOCAB - 1;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gen BYTES OUTFILE [SEED]\n");
		return 2;
	}
	long long total = atoll(argv[1]);
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 20240601;
	if (total < 64) {
		fprintf(stderr, "gen: BYTES must be at least 64\n");
		return 2;
	}
	for (int i = 0; i < 4; i++)
		s[i] = splitmix64(&seed);

	setcap = 1;
	while (setcap < 4 * VOCAB)
		setcap <<= 1;
	set = calloc(setcap, sizeof *set);
	for (uint32_t w = 0; w < VOCAB;) {
		wlen[w] = (unsigned char)(3 + below(4) + below(5));
		for (int i = 0; i < wlen[w]; i++)
			words[w][i] = (char)('a' + below(26));
		if (set_add(w))
			w++;
	}
	free(set);
	double acc = 0;
	for (int r = 0; r < VOCAB; r++) {
		acc += 1.0 / __builtin_pow(r + 1, ZIPF_S);
		cdf[r] = acc;
	}

	FILE *f = fopen(argv[2], "wb");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	static char buf[1 << 20];
	size_t bl = 0;
	long long left = total;
	char line[20 * 11 + 2];
	for (;;) {
		int n = 5 + (int)below(16), ll = 0;
		for (int i = 0; i < n; i++) {
			uint32_t w = zipf();
			if (i)
				line[ll++] = ' ';
			memcpy(line + ll, words[w], wlen[w]);
			ll += wlen[w];
		}
		line[ll++] = '\n';
		/* Stop when a line would leave less than a short last line. */
		if (ll + 40 > left) {
			/* the last line: whole words while they fit, then 'z's */
			ll = 0;
			for (;;) {
				uint32_t w = zipf();
				if (ll + wlen[w] + 2 + 2 > left)
					break;
				memcpy(line + ll, words[w], wlen[w]);
				ll += wlen[w];
				line[ll++] = ' ';
			}
			while (ll < left - 1)
				line[ll++] = 'z';
			line[ll++] = '\n';
		}
		if (bl + (size_t)ll > sizeof buf) {
			fwrite(buf, 1, bl, f);
			bl = 0;
		}
		memcpy(buf + bl, line, (size_t)ll);
		bl += (size_t)ll;
		left -= ll;
		if (left == 0)
			break;
	}
	fwrite(buf, 1, bl, f);
	if (fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
