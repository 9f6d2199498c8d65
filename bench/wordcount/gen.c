/* gen.c: deterministic text for the wordcount benchmark.
 *
 *   gen BYTES OUTFILE [SEED]
 *
 * Writes exactly BYTES bytes of lines of 5-20 words separated by single
 * spaces, each line ending in '\n'.  Words come from a generated vocabulary
 * of ZIPF_VOCAB distinct lowercase words (3-10 letters, mean ~6.5) and are
 * drawn with a Zipf distribution (exponent 1.0, rank r has weight 1/r;
 * bench/zipf.h), so a few words are very frequent and most are rare, as in
 * natural text.  The PRNG
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

#include "../zipf.h"

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
	prng_seed(seed);
	if (zipf_init(1) < 0) {
		perror("gen");
		return 1;
	}

	FILE *f = fopen(argv[2], "wb");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	static char buf[1 << 20];
	size_t bl = 0;
	long long left = total;
	char line[ZIPF_LINE_MAX + 40]; /* the last line is shorter than a line + 40 */
	for (;;) {
		int ll = zipf_line(line);
		/* Stop when a line would leave less than a short last line. */
		if (ll + 40 > left) {
			/* the last line: whole words while they fit, then 'z's */
			ll = 0;
			for (;;) {
				uint32_t w = zipf_draw();
				if (ll + zipf_len[w] + 2 + 2 > left)
					break;
				memcpy(line + ll, zipf_word[w], zipf_len[w]);
				ll += zipf_len[w];
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
