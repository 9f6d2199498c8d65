/* lat.c: arrival-to-output latency of bench/latency/latency.dstream.
 *
 * lat_record runs where the program's foreachRecord output runs: at the end
 * of the batch, on the batch thread (lang/SPEC.md §15.3).  Each record's
 * latency is now - its stamp, in microseconds; they are kept (a 10 s run at
 * 100k records/s is 8 MB) and, at exit, the ones stamped after the first
 * LAT_SKIP_MS (default 1000: the connection and the first batches) are
 * sorted and written to $LAT_OUT as "n p50 p99 p999 max" (microseconds). */
#include "lat.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t *lat_us, first_ns;
static size_t n, cap;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void report(void)
{
	const char *path = getenv("LAT_OUT");
	FILE *f = path ? fopen(path, "w") : stderr;
	if (!f)
		return;
	qsort(lat_us, n, sizeof *lat_us, cmp);
	if (n == 0)
		fprintf(f, "0 0 0 0 0\n");
	else
		fprintf(f, "%zu %lld %lld %lld %lld\n", n, (long long)lat_us[n / 2], (long long)lat_us[n * 99 / 100],
			(long long)lat_us[n * 999 / 1000], (long long)lat_us[n - 1]);
	if (f != stderr)
		fclose(f);
	free(lat_us);
}

void lat_record(int64_t sent_ns)
{
	int64_t now = now_ns();
	if (!first_ns) {
		const char *s = getenv("LAT_SKIP_MS");
		first_ns = sent_ns + (s ? atoll(s) : 1000) * 1000000;
		atexit(report);
	}
	if (sent_ns < first_ns)
		return;
	if (n == cap) {
		cap = cap ? cap * 2 : 1 << 16;
		lat_us = realloc(lat_us, cap * sizeof *lat_us);
		if (!lat_us)
			abort();
	}
	lat_us[n++] = (now - sent_ns) / 1000;
}
