/* fault.c: DS_FAULT, failures injected at the runtime's fallible calls
 * (lang/SPEC.md §16.7), so that a test can watch every one of them fail.
 *
 *   DS_FAULT=KIND:N[,KIND:N...]  the Nth call of KIND (1-based, counted
 *                                from the start of the process) fails once,
 *                                with the errno a real failure of its kind
 *                                gives; the calls before and after succeed
 *   DS_FAULT=count:PATH          nothing fails; at exit, PATH gets one line
 *                                "KIND N" per kind: the calls the run made
 *
 * KIND is one of
 *   open    open(2), openat(2) of a file written or read back   EMFILE
 *   write   write(2) of an output, checkpoint, log or metrics    ENOSPC
 *   fsync   fsync(2), fdatasync(2), of files and directories     EIO
 *   rename  rename(2), the commit of a file written aside        EIO
 *   mkdir   mkdir(2) of an output's directories                  ENOSPC
 *   read    read(2), pread(2) of an input, a checkpoint or a log EIO
 *   mmap    mmap(2) of an input file                             ENOMEM
 *   trunc   ftruncate(2) of a log cut back after a failure       EIO
 * Every such call of the runtime goes through the ds__f* wrappers of
 * internal.h; with DS_FAULT unset they cost one predicted branch on a
 * flag that is never written after start.  Calls from several threads
 * are numbered in the order they happen (an atomic counter per kind), so
 * a point is only reproducible where the program's I/O is on one thread
 * (a queueStream program's is: the scheduler's).  Allocation failures are
 * not injected here: the runtime still stops on them (ds__oom).
 *
 * Owned by no thread: the plan is read once, before any thread starts
 * (ds__fault_init from ds_main); the counters are atomics.
 */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

int ds__fault_armed;

static const char *const kinds[DS__F__N] = {"open", "write", "fsync", "rename", "mkdir", "read", "mmap", "trunc"};
static const int errnos[DS__F__N] = {EMFILE, ENOSPC, EIO, EIO, ENOSPC, EIO, ENOMEM, EIO};

#define MAX_POINTS 16
static struct {
	int kind;
	long n;
} points[MAX_POINTS];
static int npoints;
static atomic_long calls[DS__F__N];
static char *count_path;

static void write_counts(void)
{
	FILE *f = fopen(count_path, "w");
	if (!f)
		return;
	for (int k = 0; k < DS__F__N; k++)
		fprintf(f, "%s %ld\n", kinds[k], atomic_load(&calls[k]));
	fclose(f);
}

int ds__fault_init(const char *cmd)
{
	const char *spec = getenv("DS_FAULT");
	if (!spec || !*spec)
		return 0;
	if (!strncmp(spec, "count:", 6) && spec[6]) {
		count_path = ds__xstrdup(spec + 6);
		atexit(write_counts);
		ds__fault_armed = 1;
		return 0;
	}
	char *copy = ds__xstrdup(spec), *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':'), *end = NULL;
		int k = -1;
		if (colon) {
			*colon = 0;
			for (int i = 0; i < DS__F__N; i++)
				if (!strcmp(item, kinds[i]))
					k = i;
		}
		long n = colon ? strtol(colon + 1, &end, 10) : 0;
		if (k < 0 || n < 1 || !end || *end || npoints == MAX_POINTS) {
			ds__msg(cmd, "DS_FAULT='%s': expected KIND:N[,KIND:N...] (N >= 1, at most %d) with KIND one of "
				     "open, write, fsync, rename, mkdir, read, mmap, trunc; or count:PATH",
				spec, MAX_POINTS);
			free(copy);
			return -EINVAL;
		}
		points[npoints].kind = k;
		points[npoints].n = n;
		npoints++;
	}
	free(copy);
	ds__fault_armed = 1;
	return 0;
}

int ds__fault(ds__fault_kind k)
{
	long n = atomic_fetch_add(&calls[k], 1) + 1;
	for (int i = 0; i < npoints; i++)
		if (points[i].kind == (int)k && points[i].n == n)
			return errnos[k];
	return 0;
}
