/* bench.h: `dstreamc bench`, the same program on every engine over the
 * same input (see bench.c). */
#ifndef DS_BENCH_H
#define DS_BENCH_H

#include "plan.h"

typedef struct BenchOptions {
	const char *file;    /* the .dstream program */
	const char *const *csources; /* the C files of its extern functions, built or loaded by every engine */
	int ncsources;
	const char *input;   /* --input PATH: every stream source reads it; NULL: the program's own */
	long long records;   /* --records N: N generated records instead (0: none) */
	long long batches;   /* --records: in this many batches (default 10) */
	const char *engines; /* --engines LIST: comma-separated, default "interp,c,llvm,jit" */
	int reps;            /* --reps R: runs per engine, interleaved; the median is shown */
	int workers;         /* --workers N: the compiled engines' workers (default 1, per core; the
				interpreter always runs on one) */
	bool json;           /* --json: machine-readable output */
} BenchOptions;

/* Requires the checked plan of o->file (for its sources).  Runs each engine
 * as a child process, prints the table (or JSON) on stdout, and returns the
 * exit status: 0 when at least one engine ran, 1 when none did or the input
 * cannot be set up. */
int bench_main(const BenchOptions *o, const Plan *p);

#endif
