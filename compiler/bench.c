/* bench.c: `dstreamc bench`, the same program on every engine over the same
 * input.
 *
 *   dstreamc bench FILE [--input PATH | --records N [--batches B]]
 *                       [--engines LIST] [--reps R] [--workers N] [--json]
 *
 * Engines (each a child process, started with execvp, never a shell):
 *   interp  dstreamc run --interp FILE [C...] ARGS
 *   c       dstreamc build FILE [C...] -o TMP (the C backend, the default), then TMP ARGS
 *   llvm    dstreamc build FILE [C...] -o TMP --backend=llvm, then TMP ARGS
 *   jit     dstreamc run FILE [C...] ARGS
 * ARGS are `--quiet --metrics-json M [--workers N] [--source-path|--replay N=PATH ...]`
 * (--workers for the compiled engines: 1 unless told, so that the figures
 * compare engines per core): every
 * engine runs on the same input, and the figures come from the program's
 * own per-batch metrics (records in, processing time per batch, summed), so
 * neither compilation nor loading the input is in them.  Peak memory is the
 * ru_maxrss of the engine's child (wait4).  An engine whose build or run
 * fails is reported as failed, with its exit status and first line of
 * stderr, never silently left out.
 *
 * --records N writes N generated records (seeded, so every run and every
 * machine gets the same bytes): for a text source, lines of 5-20 words drawn
 * with a Zipf law from a vocabulary of 50,000 (bench/zipf.h, as
 * bench/wordcount/gen.c), in B batches (`---` between them).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "../bench/zipf.h"

enum { MAX_ENGINES = 4, MAX_REPS = 99 };

typedef struct Engine {
	const char *name;
	bool compiled;        /* a binary built by `dstreamc build` */
	const char *backend;  /* compiled: the --backend flag, NULL for the default (C) */
	bool ok;              /* every run so far succeeded */
	char error[256];      /* !ok: why */
	const char *bin;      /* compiled: the built binary */
	int nruns;
	long long records_in;
	double proc_ms[MAX_REPS];
	long rss_kb[MAX_REPS];
	/* medians */
	double med_proc_ms, rps, ns_per_rec;
	long med_rss_kb;
} Engine;

static const char *self_exe(void)
{
	static char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return "dstreamc";
	exe[n] = 0;
	return exe;
}

/* ---- the generated input ----------------------------------------------------- */

/* N lines of Zipf-distributed words in B batches. */
static int gen_text(const char *path, long long n, long long batches)
{
	prng_seed(20240601);
	if (zipf_init(0) < 0) {
		fprintf(stderr, "dstreamc: bench: out of memory\n");
		return -1;
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "dstreamc: bench: cannot write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	long long per = (n + batches - 1) / batches, inbatch = 0;
	char line[ZIPF_LINE_MAX];
	for (long long r = 0; r < n; r++) {
		if (inbatch == per) {
			fputs("---\n", f);
			inbatch = 0;
		}
		fwrite(line, 1, (size_t)zipf_line(line), f);
		inbatch++;
	}
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "dstreamc: bench: error writing '%s'\n", path);
		return -1;
	}
	return 0;
}

/* ---- children ------------------------------------------------------------------ */

/* Runs argv with stdout and stderr into files; returns the exit status
 * (128 + signal; -1 if it could not start) and its peak RSS in KB. */
static int run_child(char **argv, const char *out, const char *err, long *maxrss_kb)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "dstreamc: bench: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(126);
		close(fo);
		close(fe);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	*maxrss_kb = ru.ru_maxrss;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Fills e->error: WHAT, the status, and the first non-empty line of the
 * child's stderr. */
static void engine_fail(Engine *e, const char *what, int status, const char *errpath)
{
	char line[200] = "";
	FILE *f = fopen(errpath, "r");
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			break;
	}
	if (f)
		fclose(f);
	e->ok = false;
	snprintf(e->error, sizeof e->error, "%s exited %d%s%s", what, status, line[0] ? ": " : "", line);
}

/* The number after "KEY": inside the "totals" object of a metrics file. */
static bool metrics_total(const char *text, const char *key, double *v)
{
	const char *t = strstr(text, "\"totals\":");
	if (!t)
		return false;
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *k = strstr(t, pat);
	if (!k)
		return false;
	char *end;
	*v = strtod(k + strlen(pat), &end);
	return end != k + strlen(pat);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* One run of an engine (building it first if it is compiled). */
static void engine_run(Engine *e, const BenchOptions *o, const char *dir, char **args, int nargs)
{
	const char *self = self_exe();
	char *argv[16 + 40 + 2 * 64]; /* fixed words, C files, --source-path/--replay pairs */
	int n = 0;
	const char *err = arena_printf("%s/%s.err", dir, e->name);
	const char *out = arena_printf("%s/%s.out", dir, e->name);
	long rss = 0;
	if (e->compiled && !e->bin) {
		const char *bin = arena_printf("%s/%s.bin", dir, e->name);
		argv[n++] = (char *)self;
		argv[n++] = "build";
		argv[n++] = (char *)o->file;
		for (int i = 0; i < o->ncsources && n < 40; i++)
			argv[n++] = (char *)o->csources[i];
		argv[n++] = "-o";
		argv[n++] = (char *)bin;
		if (e->backend)
			argv[n++] = (char *)e->backend;
		argv[n] = NULL;
		int rc = run_child(argv, out, err, &rss);
		if (rc != 0) {
			engine_fail(e, "dstreamc build", rc, err);
			return;
		}
		e->bin = bin;
		n = 0;
	}
	const char *what;
	if (e->compiled) {
		argv[n++] = (char *)e->bin;
		what = "the built program";
	} else {
		argv[n++] = (char *)self;
		argv[n++] = "run";
		if (!strcmp(e->name, "interp"))
			argv[n++] = "--interp";
		argv[n++] = (char *)o->file;
		for (int i = 0; i < o->ncsources && n < 40; i++)
			argv[n++] = (char *)o->csources[i];
		what = "dstreamc run";
	}
	const char *mpath = arena_printf("%s/%s.json", dir, e->name);
	unlink(mpath);
	argv[n++] = "--quiet";
	argv[n++] = "--metrics-json";
	argv[n++] = (char *)mpath;
	if (strcmp(e->name, "interp") != 0) { /* the interpreter runs on one worker whatever it is told */
		argv[n++] = "--workers";
		argv[n++] = arena_printf("%d", o->workers > 0 ? o->workers : 1);
	}
	for (int i = 0; i < nargs; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int rc = run_child(argv, out, err, &rss);
	if (rc != 0) {
		engine_fail(e, what, rc, err);
		return;
	}
	char *m = slurp(mpath);
	double recs, proc;
	if (!m || !metrics_total(m, "records_in", &recs) || !metrics_total(m, "processing_ms", &proc)) {
		e->ok = false;
		snprintf(e->error, sizeof e->error, "%s wrote no metrics to %s", what, mpath);
		free(m);
		return;
	}
	free(m);
	if (e->nruns && (long long)recs != e->records_in) {
		e->ok = false;
		snprintf(e->error, sizeof e->error, "records in changed between runs: %lld, then %lld",
			 e->records_in, (long long)recs);
		return;
	}
	e->records_in = (long long)recs;
	e->proc_ms[e->nruns] = proc;
	e->rss_kb[e->nruns] = rss;
	e->nruns++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

static void engine_summarise(Engine *e)
{
	if (!e->ok || !e->nruns)
		return;
	double p[MAX_REPS];
	long r[MAX_REPS];
	memcpy(p, e->proc_ms, sizeof p);
	memcpy(r, e->rss_kb, sizeof r);
	qsort(p, (size_t)e->nruns, sizeof *p, cmp_double);
	qsort(r, (size_t)e->nruns, sizeof *r, cmp_long);
	int k = e->nruns;
	e->med_proc_ms = k % 2 ? p[k / 2] : (p[k / 2 - 1] + p[k / 2]) / 2;
	e->med_rss_kb = k % 2 ? r[k / 2] : (r[k / 2 - 1] + r[k / 2]) / 2;
	double s = e->med_proc_ms / 1e3;
	e->rps = s > 0 ? e->records_in / s : 0;
	e->ns_per_rec = e->records_in ? e->med_proc_ms * 1e6 / e->records_in : 0;
}

/* ---- output --------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

static void print_json(const BenchOptions *o, const char *input, Engine *es, int ne, const Engine *interp)
{
	printf("{\"program\": ");
	json_str(stdout, o->file);
	printf(",\n \"input\": ");
	if (input)
		json_str(stdout, input);
	else
		printf("null");
	printf(",\n \"reps\": %d, \"workers\": %d,\n \"measure\": \"records in / sum of the batches' processing_ms, from --metrics-json; median of reps\",\n \"engines\": [",
	       o->reps, o->workers > 0 ? o->workers : 1);
	for (int i = 0; i < ne; i++) {
		Engine *e = &es[i];
		printf("%s\n  {\"engine\": \"%s\", \"ok\": %s", i ? "," : "", e->name, e->ok ? "true" : "false");
		if (!e->ok) {
			printf(", \"error\": ");
			json_str(stdout, e->error);
			printf("}");
			continue;
		}
		printf(", \"records_in\": %lld, \"processing_ms\": %.3f, \"records_per_s\": %.1f, \"ns_per_record\": %.2f, \"peak_rss_kb\": %ld",
		       e->records_in, e->med_proc_ms, e->rps, e->ns_per_rec, e->med_rss_kb);
		if (e != interp) {
			if (interp && interp->ok && interp->rps > 0)
				printf(", \"speedup_vs_interp\": %.3f", e->rps / interp->rps);
			else
				printf(", \"speedup_vs_interp\": null");
		}
		printf("}");
	}
	printf("\n ]}\n");
}

static void print_table(const BenchOptions *o, const char *input, Engine *es, int ne, const Engine *interp)
{
	printf("dstreamc bench %s: input %s, median of %d run%s per engine (engines interleaved), %d worker%s\n",
	       o->file, input ? input : "as the program names it", o->reps, o->reps == 1 ? "" : "s",
	       o->workers > 1 ? o->workers : 1, o->workers > 1 ? "s (the interpreter: 1)" : "");
	printf("records/s = records in / sum of the batches' processing time, from each program's --metrics-json:\n"
	       "compilation and loading the input are not in it; peak RSS is the engine process's ru_maxrss\n\n");
	printf("%-8s %14s %12s %12s %12s  %s\n", "engine", "records/s", "ns/record", "peak RSS MB", "vs interp",
	       "records in");
	for (int i = 0; i < ne; i++) {
		Engine *e = &es[i];
		if (!e->ok) {
			printf("%-8s FAILED: %s\n", e->name, e->error);
			continue;
		}
		char sp[32] = "-";
		if (e != interp && interp && interp->ok && interp->rps > 0)
			snprintf(sp, sizeof sp, "%.2fx", e->rps / interp->rps);
		printf("%-8s %14.0f %12.1f %12.1f %12s  %lld\n", e->name, e->rps, e->ns_per_rec, e->med_rss_kb / 1024.0,
		       sp, e->records_in);
	}
}

/* ---- the command ---------------------------------------------------------------- */

static bool engine_wanted(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}


int bench_main(const BenchOptions *o, const Plan *p)
{
	static const char *const all[] = {"interp", "c", "llvm", "jit"};
	Engine es[MAX_ENGINES];
	int ne = 0;
	const Engine *interp = NULL;
	for (int i = 0; i < MAX_ENGINES; i++) {
		if (!engine_wanted(o->engines, all[i]))
			continue;
		Engine *e = &es[ne++];
		memset(e, 0, sizeof *e);
		e->name = all[i];
		e->ok = true;
		e->compiled = !strcmp(all[i], "c") || !strcmp(all[i], "llvm");
		e->backend = !strcmp(all[i], "llvm") ? "--backend=llvm" : NULL;
		if (!strcmp(all[i], "interp"))
			interp = e;
	}

	/* The stream sources that the input replaces: every text stream
	 * (queueStream, and socketTextStream, textFileStream and receiverStream
	 * through the programs' --replay, which reads the file as a queue on the
	 * manual clock), and binaryQueueStreams from --input only. */
	int replace[64], nreplace = 0;
	bool replay[64] = {0};
	for (int i = 0; i < p->sources.n; i++) {
		const DNode *s = p->sources.v[i];
		OpId id = s->op->id;
		if (id == OP_TEXT_FILE || id == OP_BINARY_RECORDS)
			continue;
		if (id == OP_BINARY_QUEUE_STREAM && o->records) {
			fprintf(stderr, "dstreamc: bench: %s: --records generates text, binaryQueueStream reads binary "
					"records: give --input a file written by binrecgen\n", node_loc(s));
			return 1;
		}
		if (id == OP_BINARY_RECORDS_STREAM) {
			if (o->input || o->records) {
				fprintf(stderr,
					"dstreamc: bench: %s: binaryRecordsStream cannot be replayed from a file; use "
					"binaryQueueStream\n", node_loc(s));
				return 1;
			}
			continue;
		}
		if (nreplace < 64) {
			replay[nreplace] = id != OP_QUEUE_STREAM && id != OP_BINARY_QUEUE_STREAM;
			replace[nreplace++] = i;
		}
	}
	if ((o->input || o->records) && !nreplace) {
		fprintf(stderr, "dstreamc: bench: %s has no queueStream for --input or --records to replace\n", o->file);
		return 1;
	}

	char *dir = tmp_path("dstreamc-bench-XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "dstreamc: bench: cannot create a temporary directory: %s\n", strerror(errno));
		return 1;
	}
	const char *input = o->input, *input_tmp = NULL;
	if (o->records) {
		input = input_tmp = arena_printf("%s/input.txt", dir);
		if (gen_text(input_tmp, o->records, o->batches) < 0) {
			remove_tmpdir(dir);
			return 1;
		}
	}
	if (input && access(input, R_OK) != 0) {
		fprintf(stderr, "dstreamc: bench: cannot read '%s': %s\n", input, strerror(errno));
		remove_tmpdir(dir);
		return 1;
	}
	char *args[2 * 64];
	int nargs = 0;
	for (int i = 0; input && i < nreplace; i++) {
		args[nargs++] = replay[i] ? "--replay" : "--source-path";
		args[nargs++] = arena_printf("%d=%s", replace[i], input);
	}

	for (int r = 0; r < o->reps; r++)
		for (int i = 0; i < ne; i++)
			if (es[i].ok)
				engine_run(&es[i], o, dir, args, nargs);
	int ran = 0;
	for (int i = 0; i < ne; i++) {
		engine_summarise(&es[i]);
		ran += es[i].ok;
	}
	const char *shown = o->records ? arena_printf("%lld generated text records in %lld batches", o->records, o->batches)
		: input;
	if (o->json)
		print_json(o, shown, es, ne, interp);
	else
		print_table(o, shown, es, ne, interp);
	remove_tmpdir(dir);
	return ran ? 0 : 1;
}
