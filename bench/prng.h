/* prng.h: the benchmarks' generators' PRNG: xoshiro256** seeded through
 * splitmix64, so the same arguments give the same input on every machine.
 * Header-only, one generator per program: bench/<name>/gen.c and
 * `dstreamc bench --records` (compiler/bench.c, through zipf.h). */
#ifndef BENCH_PRNG_H
#define BENCH_PRNG_H

#include <stdint.h>

static uint64_t prng_s[4];

static inline uint64_t prng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void prng_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		prng_s[i] = prng_splitmix64(&seed);
}

static inline uint64_t prng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t prng_next(void)
{
	uint64_t r = prng_rotl(prng_s[1] * 5, 7) * 9, t = prng_s[1] << 17;
	prng_s[2] ^= prng_s[0];
	prng_s[3] ^= prng_s[1];
	prng_s[1] ^= prng_s[2];
	prng_s[0] ^= prng_s[3];
	prng_s[2] ^= t;
	prng_s[3] = prng_rotl(prng_s[3], 45);
	return r;
}

/* Uniform in [0, n). */
static inline uint32_t prng_below(uint32_t n) { return (uint32_t)(((prng_next() >> 32) * (uint64_t)n) >> 32); }

/* Uniform in [0, 1), 53 bits. */
static inline double prng_unit(void) { return (double)(prng_next() >> 11) * (1.0 / 9007199254740992.0); }

#endif
