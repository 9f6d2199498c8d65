/* gen.c: deterministic keyed records for the updateStateByKey benchmark.
 *
 *   gen KEYS DISTINCT RAMP RECORDS_PER_BATCH BATCHES OUTFILE [SEED]
 *
 * The first RAMP batches introduce the key indices 0..KEYS-1, once each, in
 * a scrambled order (i * 999983 mod KEYS), KEYS / RAMP per batch (RAMP = 1:
 * all of them in batch 1); the next BATCHES batches have RECORDS_PER_BATCH
 * lines each, with a key index drawn uniformly from [0, KEYS).  Each line is
 * "k<key> <value>": the key is the index modulo DISTINCT, written as 7
 * zero-padded digits ("k0001234": 8 bytes), the value uniform in [0, 100).
 * A line "---" closes each batch.
 *
 * DISTINCT = KEYS gives KEYS distinct keys; a smaller DISTINCT gives a
 * file of exactly the same size, batches and values with only DISTINCT
 * keys (the baseline for memory per key).  The PRNG is xoshiro256**
 * seeded through splitmix64: the same arguments give the same file on
 * every machine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../prng.h"

static void line(FILE *f, uint64_t k, uint64_t distinct)
{
	fprintf(f, "k%07lu %u\n", (unsigned long)(k % distinct), prng_below(100));
}

int main(int argc, char **argv)
{
	if (argc < 7 || argc > 8) {
		fprintf(stderr, "usage: gen KEYS DISTINCT RAMP RECORDS_PER_BATCH BATCHES OUTFILE [SEED]\n");
		return 2;
	}
	long keys = atol(argv[1]), distinct = atol(argv[2]), ramp = atol(argv[3]);
	long recs = atol(argv[4]), batches = atol(argv[5]);
	uint64_t seed = argc > 7 ? strtoull(argv[7], NULL, 10) : 42;
	if (keys < 1 || keys > 10000000L || distinct < 1 || distinct > keys || ramp < 1 || ramp > keys ||
	    recs < 0 || batches < 0 || keys % 999983 == 0) {
		fprintf(stderr, "gen: bad arguments (KEYS <= 10^7, 1 <= DISTINCT <= KEYS, 1 <= RAMP <= KEYS)\n");
		return 2;
	}
	prng_seed(seed);
	FILE *f = fopen(argv[6], "w");
	if (!f) {
		perror(argv[6]);
		return 1;
	}
	static char buf[1 << 16];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	for (long b = 0; b < ramp; b++) {
		long from = keys / ramp * b, to = b == ramp - 1 ? keys : keys / ramp * (b + 1);
		/* 999983 is prime and does not divide KEYS: i -> i * 999983 mod KEYS is a permutation */
		for (long i = from; i < to; i++)
			line(f, (uint64_t)i * 999983u % (uint64_t)keys, (uint64_t)distinct);
		fputs("---\n", f);
	}
	for (long b = 0; b < batches; b++) {
		for (long r = 0; r < recs; r++)
			line(f, prng_below((uint32_t)keys), (uint64_t)distinct);
		fputs("---\n", f);
	}
	if (fclose(f) != 0) {
		perror(argv[6]);
		return 1;
	}
	return 0;
}
