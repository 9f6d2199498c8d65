/* gen.c: deterministic keyed records for the window benchmark.
 *
 *   gen KEYS RECORDS_PER_BATCH BATCHES OUTFILE [SEED]
 *
 * Writes BATCHES batches for queueStream: RECORDS_PER_BATCH lines
 * "k<key> <value>" (key uniform in [0, KEYS), written in decimal without
 * padding, e.g. "k1234 17"; value uniform in [0, 100)), then a line "---"
 * that closes the batch.  The PRNG is xoshiro256** seeded through
 * splitmix64: the same arguments give the same file on every machine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../prng.h"

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: gen KEYS RECORDS_PER_BATCH BATCHES OUTFILE [SEED]\n");
		return 2;
	}
	long keys = atol(argv[1]), recs = atol(argv[2]), batches = atol(argv[3]);
	uint64_t seed = argc > 5 ? strtoull(argv[5], NULL, 10) : 42;
	if (keys < 1 || keys > 1000000000L || recs < 0 || batches < 1) {
		fprintf(stderr, "gen: bad arguments\n");
		return 2;
	}
	prng_seed(seed);
	FILE *f = fopen(argv[4], "w");
	if (!f) {
		perror(argv[4]);
		return 1;
	}
	static char buf[1 << 16];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	for (long b = 0; b < batches; b++) {
		for (long r = 0; r < recs; r++) {
			uint32_t k = prng_below((uint32_t)keys), v = prng_below(100);
			fprintf(f, "k%u %u\n", k, v);
		}
		fputs("---\n", f);
	}
	if (fclose(f) != 0) {
		perror(argv[4]);
		return 1;
	}
	return 0;
}
