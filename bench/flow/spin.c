/* spin.c: a record that costs a known time (bench/flow/run.sh, part 2).
 * Timed by the clock, not by a count of iterations, so the capacity does
 * not depend on the CPU: one worker sustains 1 s / 200 us = 5000 records/s
 * (less the per-record work of the rest of the pipeline, measured). */
#include "spin.h"

#include <time.h>

#define SPIN_US 200

int64_t spin(const char *s, size_t n)
{
	(void)s;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < SPIN_US * 1000L);
	return (int64_t)n;
}
