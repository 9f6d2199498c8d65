/* zipf.h: the wordcount benchmarks' text: lines of 5-20 words drawn with a
 * Zipf law (exponent 1.0: rank r has weight 1/r) from a seeded vocabulary
 * of ZIPF_VOCAB lowercase words of 3-10 letters.  Shared by
 * bench/wordcount/gen.c and `dstreamc bench --records` (compiler/bench.c),
 * on prng.h's generator.  The bytes each of them writes for a seed are
 * pinned: any change to the order of the draws changes the inputs. */
#ifndef BENCH_ZIPF_H
#define BENCH_ZIPF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prng.h"

enum {
	ZIPF_VOCAB = 50000,
	ZIPF_WORD_MAX = 10,
	ZIPF_LINE_MAX = 20 * (ZIPF_WORD_MAX + 1) + 1, /* words, spaces, '\n' */
};

static char zipf_word[ZIPF_VOCAB][ZIPF_WORD_MAX + 1];
static unsigned char zipf_len[ZIPF_VOCAB];
static double zipf_cdf[ZIPF_VOCAB]; /* of ranks 0..r, unnormalised */

/* FNV-1a, for zipf_init's set of the words so far. */
static inline uint64_t zipf_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* Draws the vocabulary from the seeded generator (prng_seed first).
 * distinct: a word already drawn is drawn again (bench/wordcount/gen.c);
 * otherwise duplicates are kept, which only makes the vocabulary a little
 * smaller (dstreamc bench).  Returns -1 when out of memory. */
static inline int zipf_init(int distinct)
{
	uint32_t *set = NULL; /* word index + 1, 0: empty */
	size_t setcap = 1;
	if (distinct) {
		while (setcap < 4 * ZIPF_VOCAB)
			setcap <<= 1;
		if (!(set = calloc(setcap, sizeof *set)))
			return -1;
	}
	for (uint32_t w = 0; w < ZIPF_VOCAB;) {
		zipf_len[w] = (unsigned char)(3 + prng_below(4) + prng_below(5));
		for (int i = 0; i < zipf_len[w]; i++)
			zipf_word[w][i] = (char)('a' + prng_below(26));
		if (distinct) {
			size_t i = zipf_hash(zipf_word[w], zipf_len[w]) & (setcap - 1);
			for (; set[i]; i = (i + 1) & (setcap - 1)) {
				uint32_t o = set[i] - 1;
				if (zipf_len[o] == zipf_len[w] && memcmp(zipf_word[o], zipf_word[w], zipf_len[w]) == 0)
					break;
			}
			if (set[i])
				continue; /* a duplicate: draw word w again */
			set[i] = w + 1;
		}
		w++;
	}
	free(set);
	double acc = 0;
	for (int r = 0; r < ZIPF_VOCAB; r++) {
		acc += 1.0 / (r + 1);
		zipf_cdf[r] = acc;
	}
	return 0;
}

/* A word's rank, drawn with the Zipf law. */
static inline uint32_t zipf_draw(void)
{
	double u = prng_unit() * zipf_cdf[ZIPF_VOCAB - 1];
	uint32_t lo = 0, hi = ZIPF_VOCAB - 1;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (zipf_cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* One line of 5-20 drawn words separated by single spaces, with its '\n',
 * into line (ZIPF_LINE_MAX bytes); returns its length. */
static inline int zipf_line(char *line)
{
	int n = 5 + (int)prng_below(16), ll = 0;
	for (int i = 0; i < n; i++) {
		uint32_t w = zipf_draw();
		if (i)
			line[ll++] = ' ';
		memcpy(line + ll, zipf_word[w], zipf_len[w]);
		ll += zipf_len[w];
	}
	line[ll++] = '\n';
	return ll;
}

#endif
