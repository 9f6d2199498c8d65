/* main.c: dstreamc, the command line and the pipeline.
 *
 *   parse -> check -> plan -> lower -> emit (-> cc)
 *
 * Each pass can stop and show its work (--stop-after=parse|check|plan|lower).
 * The C compiler is run with execvp, never through a shell.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "interp.h"
#include "kafka.h"
#include "ir.h"
#include "../runtime/internal.h" /* ds__replica_serve */

#ifndef DS_VERSION
#define DS_VERSION "0.0.0"
#endif
#ifndef DS_CC
#define DS_CC "cc"
#endif
#ifndef DS_CC_FLAGS
#define DS_CC_FLAGS "" /* e.g. the sanitizers the runtime was built with */
#endif

typedef struct Options Options;
static void *load_c(const Options *o, const Plan *plan);

typedef enum Stop { STOP_NONE, STOP_PARSE, STOP_CHECK, STOP_PLAN, STOP_LOWER } Stop;

struct Options {
	const char *cmd;
	const char *input;
	const char *output;
	const char *opt; /* "-O2" */
	Stop stop;
	bool keep_c;
	const char *backend;
	bool native;       /* -march=native (LLVM) */
	bool no_rt_inline; /* --no-rt-inline (LLVM) */
	const char *name;  /* run --name=NAME: the program's argv[0] (default: FILE without .dstream) */
	Vec csources; /* build, run: the user's C files (FILE.c ...), compiled and linked in */
	BenchOptions bench; /* bench: its own options */
	bool bench_opt;     /* one of them was given (only bench takes them) */
	bool interp;     /* run --interp */
	int prog_argc;   /* run: the program's argv, argv[0] its name */
	char **prog_argv;
};

static const char *usage_text =
	"usage: dstreamc COMMAND FILE.dstream [options]\n"
	"\n"
	"commands:\n"
	"  check FILE          diagnose only: report every error, exit 1 if any\n"
	"  explain FILE        print the stages and the operators each one fused\n"
	"  emit-c FILE         write the generated C (to -o FILE, default stdout)\n"
	"  build FILE [C...] -o BIN   compile into a standalone native binary, with the\n"
	"                      C files that implement the program's extern functions\n"
	"  emit-llvm FILE      write the LLVM IR (to -o FILE, default stdout), commented per stage\n"
	"  run FILE [C...] [program flags]\n"
	"                      compile with the LLVM JIT and run in this process (options before\n"
	"                      FILE, its C files right after it, the program's own flags last)\n"
	"  run --interp FILE [C...] [program flags]\n"
	"                      run in this process on the interpreter (options before FILE,\n"
	"                      its C files right after it, the program's own flags last)\n"
	"  bench FILE [C...]    run FILE on every engine over the same input; print records/s,\n"
	"                      ns per record, peak memory and the speed-ups (see README.md)\n"
	"  replica --listen HOST:PORT --dir DIR\n"
	"                      serve as the block replica of programs' receivers: keep the blocks\n"
	"                      they send under DIR/APP/ until SIGINT or SIGTERM (PORT 0: a free\n"
	"                      port; the line \"replica listening on HOST:PORT\" on stdout says which)\n"
	"  kafka [--brokers N] [--topic NAME:PARTITIONS]...\n"
	"                      run an in-memory Kafka cluster (librdkafka's mock) on 127.0.0.1 until\n"
	"                      SIGINT or SIGTERM; the line \"kafka: bootstrap ADDR\" on stdout says where\n"
	"  kafka produce --bootstrap ADDR --topic T [FILE]\n"
	"                      each line of FILE (default stdin) becomes one message of topic T\n"
	"  kafka consume --bootstrap ADDR --topic T [--from-beginning] [--max N]\n"
	"                      print topic T's messages, one a line (see dstreamc kafka --help)\n"
	"\n"
	"options:\n"
	"  -o PATH             output file\n"
	"  -O0, -O1, -O2, -O3  optimisation level for the C compiler or LLVM (default -O2)\n"
	"  --backend=c|llvm    build: through the generated C and cc (default), or LLVM\n"
	"  -march=native       LLVM: code for this machine's CPU (default: portable x86-64)\n"
	"  --no-rt-inline      LLVM: call the runtime's hot helpers instead of inlining them\n"
	"  --name=NAME         run: the program's name (its argv[0]; default FILE without .dstream)\n"
	"  --keep-c            build: keep the generated C next to BIN (BIN.c)\n"
	"  --stop-after=PASS   stop after parse, check, plan or lower and print its result\n"
	"  bench: --input PATH (every queueStream reads PATH), --records N [--batches B]\n"
	"         (N generated text records in B batches, default 10), --engines LIST\n"
	"         (default interp,c,llvm,jit), --reps R (default 3), --workers N (the\n"
	"         compiled engines' workers, default 1; the interpreter runs on one), --json\n"
	"  --help              this text\n"
	"  --version           the version\n"
	"\n"
	"environment:\n"
	"  DSTREAM_CC          the C compiler for build (default " DS_CC ")\n"
	"  DSTREAM_RUNTIME_INCLUDE, DSTREAM_RUNTIME_LIB   where the runtime is\n"
	"  DSTREAM_RUNTIME_BC  the runtime's helpers as LLVM bitcode (LLVM backend)\n"
	"  DSTREAM_CLANG       the C compiler for run's C files (default clang-14)\n"
	"\n"
	"The built binary takes --batches N, --duration D, --help and more: run it with --help.\n";

static _Noreturn void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "dstreamc: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see dstreamc --help)\n");
	exit(2);
}

/* bench's valued options; a bad value is a usage error. */
static void bench_option(BenchOptions *b, const char *opt, const char *val)
{
	char *end;
	long long v = 0;
	if (!strcmp(opt, "--input")) {
		b->input = val;
		return;
	}
	if (!strcmp(opt, "--engines")) {
		b->engines = val;
		return;
	}
	errno = 0;
	v = strtoll(val, &end, 10);
	if (errno || end == val || *end || v <= 0)
		usage_error("bad value '%s' (a positive integer)", val);
	if (!strcmp(opt, "--records"))
		b->records = v;
	else if (!strcmp(opt, "--batches"))
		b->batches = v;
	else if (!strcmp(opt, "--workers") && v > 256)
		usage_error("--workers '%s': at most 256", val);
	else if (!strcmp(opt, "--workers"))
		b->workers = (int)v;
	else if (v > 99)
		usage_error("--reps '%s': at most 99", val);
	else
		b->reps = (int)v;
}

static SourceFile *read_source(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		f = NULL;
		errno = EISDIR;
	}
	if (!f) {
		fprintf(stderr, "dstreamc: cannot open '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	bool err = ferror(f) || !buf;
	fclose(f);
	if (err) {
		fprintf(stderr, "dstreamc: cannot read '%s'\n", path);
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	SourceFile *src = arena_alloc(sizeof *src);
	src->path = path;
	src->text = arena_strndup(buf, len);
	src->len = len;
	free(buf);
	return src;
}

/* Reports operators this version cannot compile yet, at their use. */
static void reject_unsupported(const Plan *p)
{
	for (int i = 0; i < p->nodes.n; i++) {
		const DNode *n = p->nodes.v[i];
		bool datasets_joined = n->op->cls == OPC_JOIN && n->is_static;
		if (datasets_joined)
			error_at(n->call->loc, "%s is not supported yet by this version of dstreamc", n->op->name);
	}
}

/* Where a text result goes: -o FILE, or stdout.  NULL after a message. */
static FILE *text_out(const Options *o)
{
	if (!o->output || !strcmp(o->output, "-") || !strcmp(o->cmd, "build"))
		return stdout;
	FILE *f = fopen(o->output, "w");
	if (!f)
		fprintf(stderr, "dstreamc: cannot write '%s': %s\n", o->output, strerror(errno));
	return f;
}

/* 0, or 2 (a file that cannot be written, SPEC §17.1) after a message. */
static int close_text_out(FILE *f, const Options *o)
{
	if (f == stdout)
		return fflush(f) ? 2 : 0;
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "dstreamc: error writing '%s'\n", o->output);
		return 2;
	}
	return 0;
}

/* parse, check, plan, lower; NULL after diagnostics (or a --stop-after dump).
 * *status: 1 for errors in the program, 2 for a file that cannot be read or
 * written (SPEC §17.1). */
static IrProgram *front_to_ir(const Options *o, int *status)
{
	*status = 2;
	SourceFile *src = read_source(o->input);
	if (!src)
		return NULL;
	*status = 1;
	diag_set_source(src);
	Program *ast = parse_program(src);
	if (!ast)
		return NULL;
	if (o->stop == STOP_PARSE) {
		FILE *f = text_out(o);
		if (!f) {
			*status = 2;
			return NULL;
		}
		ast_dump(ast, f);
		*status = close_text_out(f, o);
		return NULL;
	}
	CheckedProgram *cp = check_program(ast);
	if (diag_error_count())
		return NULL;
	if (o->stop == STOP_CHECK) {
		printf("ok: %s: batch %s, %d output%s\n", o->input, fmt_duration(cp->batch_ms), cp->outputs.n,
		       cp->outputs.n == 1 ? "" : "s");
		*status = 0;
		return NULL;
	}
	Plan *plan = plan_program(cp);
	reject_unsupported(plan);
	if (diag_error_count())
		return NULL;
	if (!strcmp(o->cmd, "check") && o->stop == STOP_NONE) {
		*status = 0; /* check: every diagnostic up to planning, no output */
		return NULL;
	}
	if (o->stop == STOP_PLAN || !strcmp(o->cmd, "explain")) {
		FILE *f = text_out(o);
		if (!f) {
			*status = 2;
			return NULL;
		}
		if (o->stop != STOP_PLAN)
			lower_program(plan); /* explain shows what lowering chose too (dense keys) */
		plan_explain(plan, f);
		*status = close_text_out(f, o);
		return NULL;
	}
	if (o->interp) { /* the interpreter runs the plan: no lowering */
		void *dl = NULL;
		if ((o->csources.n || interp_calls_c(plan)) && !(dl = load_c(o, plan))) {
			*status = 1;
			return NULL;
		}
		*status = interp_run(plan, o->prog_argc, o->prog_argv, dl);
		return NULL;
	}
	if (!strcmp(o->cmd, "bench") && o->stop == STOP_NONE) {
		/* bench reads the plan's sources; each engine compiles for itself */
		BenchOptions b = o->bench;
		b.file = o->input;
		b.csources = (const char *const *)o->csources.v;
		b.ncsources = o->csources.n;
		*status = bench_main(&b, plan);
		return NULL;
	}
	IrProgram *ir = lower_program(plan);
	if (o->stop == STOP_LOWER) {
		FILE *f = text_out(o);
		if (!f) {
			*status = 2;
			return NULL;
		}
		ir_dump(ir, f);
		*status = close_text_out(f, o);
		return NULL;
	}
	*status = 0;
	diag_flush(); /* lowering's warnings, before anything runs */
	return ir;
}

static bool file_exists(const char *p)
{
	struct stat st;
	return p && *p && stat(p, &st) == 0;
}

/* The runtime's include dir and static library (paths.c): the environment,
 * then the build tree dstreamc was built in, then an installed layout
 * beside it. */
static bool find_runtime(const char **inc, const char **lib)
{
	*inc = paths_rt_include();
	*lib = paths_rt_lib();
	if (file_exists(*inc) && file_exists(*lib))
		return true;
	fprintf(stderr, "dstreamc: cannot find the dstream runtime (rt.h and libdstream_rt.a); "
			"set DSTREAM_RUNTIME_INCLUDE and DSTREAM_RUNTIME_LIB\n");
	return false;
}

/* The C compiler: $DSTREAM_CC, else the one dstreamc was built with. */
static const char *cc_command(void)
{
	const char *cc = getenv("DSTREAM_CC");
	return cc && *cc ? cc : DS_CC;
}

/* Appends DS_CC_FLAGS (the sanitizers the runtime was built with) to argv
 * at n; returns the new count. */
static int push_cc_flags(char **argv, int n)
{
	char *extra = arena_strdup(DS_CC_FLAGS);
	for (char *tok = strtok(extra, " "); tok && n < 48; tok = strtok(NULL, " "))
		argv[n++] = tok;
	return n;
}

/* cc OPT [-fPIC] [DS_CC_FLAGS...] -I SRCDIR -I INC -c SRC -o OUT: the user's
 * C files (and the interpreter's shims), as every engine compiles them.
 * Returns cc's exit status (see run_command). */
static int cc_compile(const Options *o, const char *cc, bool pic, const char *srcdir, const char *inc,
		      const char *src, const char *out)
{
	char *argv[64];
	int k = 0;
	argv[k++] = (char *)cc;
	argv[k++] = (char *)o->opt;
	if (pic)
		argv[k++] = "-fPIC";
	k = push_cc_flags(argv, k);
	argv[k++] = "-I";
	argv[k++] = (char *)srcdir;
	argv[k++] = "-I";
	argv[k++] = (char *)inc;
	argv[k++] = "-c";
	argv[k++] = (char *)src;
	argv[k++] = "-o";
	argv[k++] = (char *)out;
	argv[k] = NULL;
	return run_command(argv);
}

/* Does the shared object (ctx, a dlopen handle) or a library it needs
 * (libc, ...) define name? */
static bool defined_in_so(const char *name, void *ctx)
{
	return dlsym(ctx, name) != NULL;
}


/* run --interp of a program that calls C: the user's C files (each on its
 * own, with build's flags, so that an error in one is reported as theirs)
 * and the interpreter's shims, linked into one shared object in a private
 * temporary directory and dlopen'd; the directory is gone on return.  Its
 * ds_* references resolve against this process (ENABLE_EXPORTS); its own
 * functions bind to themselves (-Bsymbolic), not to dstreamc's namesakes.
 * Returns the handle, or NULL after reporting. */
static void *load_c(const Options *o, const Plan *plan)
{
	const char *inc, *lib;
	if (!find_runtime(&inc, &lib))
		return NULL;
	char *dir = tmp_path("dstreamc-XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "dstreamc: cannot create a temporary directory: %s\n", strerror(errno));
		return NULL;
	}
	const char *cc = cc_command();
	const char *srcdir = extern_dir_of(o->input);
	const char *shims = arena_printf("%s/shims.c", dir);
	FILE *f = fopen(shims, "w");
	if (!f) {
		fprintf(stderr, "dstreamc: cannot write '%s': %s\n", shims, strerror(errno));
		remove_tmpdir(dir);
		return NULL;
	}
	interp_emit_shims(plan, f);
	if (fclose(f) != 0) {
		fprintf(stderr, "dstreamc: cannot write '%s': %s\n", shims, strerror(errno));
		remove_tmpdir(dir);
		return NULL;
	}
	Vec objs = {0};
	fflush(stdout);
	for (int i = 0; i <= o->csources.n; i++) { /* the user's files, then the shims */
		bool user = i < o->csources.n;
		const char *src = user ? o->csources.v[i] : shims;
		char *opath = arena_printf("%s/%d.o", dir, i);
		int st = cc_compile(o, cc, true, srcdir, inc, src, opath);
		if (st != 0) {
			if (user)
				fprintf(stderr, "dstreamc: cannot compile '%s': the C compiler exited with status %d\n", src,
					st);
			else if (st == 127) /* "cannot run 'cc'" said */
				;
			else
				fprintf(stderr, "dstreamc: internal error: the C compiler failed on the interpreter's shims "
						"(status %d): please report it\n", st);
			remove_tmpdir(dir);
			return NULL;
		}
		vec_push(&objs, opath);
	}
	/* cc -shared [DS_CC_FLAGS...] -Wl,-Bsymbolic -o DIR/c.so OBJS... */
	char *so = arena_printf("%s/c.so", dir);
	char *argv[64 + 64];
	int n = 0;
	argv[n++] = (char *)cc;
	argv[n++] = "-shared";
	n = push_cc_flags(argv, n);
	argv[n++] = "-Wl,-Bsymbolic";
	argv[n++] = "-o";
	argv[n++] = so;
	for (int i = 0; i < objs.n && i < 64; i++)
		argv[n++] = objs.v[i];
	argv[n] = NULL;
	int rc = run_command(argv);
	if (rc != 0) {
		fprintf(stderr, "dstreamc: cannot link the C files: the C compiler exited with status %d\n", rc);
		remove_tmpdir(dir);
		return NULL;
	}
	/* every function the program uses, defined (else said at its header),
	 * before the binding of all of them at once names only the first */
	void *lazy = dlopen(so, RTLD_LAZY | RTLD_LOCAL);
	if (lazy) {
		int missing = extern_report_undefined(&plan->cp->extern_fns, defined_in_so, lazy);
		dlclose(lazy);
		if (missing) {
			remove_tmpdir(dir);
			return NULL;
		}
	}
	void *dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!dl) { /* "DIR/c.so: undefined symbol: f": the directory is ours, not news */
		const char *why = dlerror();
		size_t n = strlen(so);
		if (!strncmp(why, so, n) && !strncmp(why + n, ": ", 2))
			why += n + 2;
		fprintf(stderr, "dstreamc: cannot load the C files: %s\n", why);
	}
	remove_tmpdir(dir);
	return dl;
}

static BackendOptions backend_options(const Options *o)
{
	BackendOptions bo = {.opt_level = o->opt[2] - '0', .native = o->native, .no_rt_inline = o->no_rt_inline};
	return bo;
}

/* The user's C files, each compiled on its own, so that an error in them
 * is reported as theirs: cc -O2 [DS_CC_FLAGS...] -I SRCDIR -I INC -c F.c -o TMP.o.
 * The objects are appended to objs; 0, or 1 after a message. */
static int compile_user_c(const Options *o, const char *cc, const char *inc, Vec *objs)
{
	const char *srcdir = extern_dir_of(o->input);
	int rc = 0;
	for (int i = 0; i < o->csources.n && rc == 0; i++) {
		const char *src = o->csources.v[i];
		char *opath = tmp_path("dstreamc-XXXXXX.o");
		int fd = mkstemps(opath, 2);
		if (fd < 0) {
			fprintf(stderr, "dstreamc: cannot create a temporary file: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		close(fd);
		vec_push(objs, opath);
		int st = cc_compile(o, cc, false, srcdir, inc, src, opath);
		if (st != 0) {
			fprintf(stderr, "dstreamc: cannot compile '%s': the C compiler exited with status %d\n", src, st);
			rc = 1;
		}
	}
	return rc;
}

/* The LLVM backend's build: an object file, linked with the runtime by cc
 * as the linker driver. */
/* saveToKafka's sink (runtime/kafka_out.c) and kafkaStream's reader
 * (kafka_in.c) need librdkafka: linked into
 * the programs that have one, and only those. */
static bool uses_kafka(const IrProgram *ir)
{
	for (int i = 0; i < ir->plan->outputs.n; i++)
		if (((const DNode *)ir->plan->outputs.v[i])->op->id == OP_SAVE_TO_KAFKA)
			return true;
	for (int i = 0; i < ir->plan->sources.n; i++)
		if (((const DNode *)ir->plan->sources.v[i])->op->id == OP_KAFKA_STREAM ||
		    ((const DNode *)ir->plan->sources.v[i])->op->id == OP_KAFKA_RECORD_STREAM)
			return true;
	return false;
}

/* saveToPostgres's sink (runtime/pg_out.c) needs libpq, saveToRedis's
 * (redis_out.c) hiredis: linked into the programs that have one. */
static bool uses_output(const IrProgram *ir, OpId op)
{
	for (int i = 0; i < ir->plan->outputs.n; i++)
		if (((const DNode *)ir->plan->outputs.v[i])->op->id == op)
			return true;
	return false;
}

/* Does the program's link find name: in the user's objects (ctx, a Vec of
 * paths), or in this process's libraries (libc, libm, libz, pthreads: those
 * the program is linked with too)? */
static bool defined_for_link(const char *name, void *ctx)
{
	const Vec *objs = ctx;
	for (int i = 0; i < objs->n; i++)
		if (extern_obj_defines(objs->v[i], name))
			return true;
	return dlsym(RTLD_DEFAULT, name) != NULL;
}

/* cc as the linker driver: cc [DS_CC_FLAGS...] -o BIN OBJ OBJS... LIB -l...,
 * its messages kept aside.  A failure is the user's: an extern function
 * that no C file defines (said at its declaration in the header), or else
 * what the linker said (two C files defining one function, ...).  0, or 1
 * after the messages. */
static int link_program(const Options *o, const IrProgram *ir, const char *obj, Vec *objs, const char *lib)
{
	const char *cc = cc_command();
	char *argv[64 + 64];
	int n = 0;
	argv[n++] = (char *)cc;
	n = push_cc_flags(argv, n);
	argv[n++] = "-o";
	argv[n++] = (char *)o->output;
	argv[n++] = (char *)obj;
	for (int i = 0; i < objs->n && n < 64 + 56; i++)
		argv[n++] = objs->v[i];
	argv[n++] = (char *)lib;
	if (uses_kafka(ir))
		argv[n++] = "-lrdkafka";
	if (uses_output(ir, OP_SAVE_TO_POSTGRES))
		argv[n++] = "-lpq";
	if (uses_output(ir, OP_SAVE_TO_REDIS))
		argv[n++] = "-lhiredis";
	argv[n++] = "-lpthread";
	argv[n++] = "-lz"; /* the runtime: zlib crc32 for checkpoints, the write-ahead log and the replica */
	argv[n++] = "-lm";
	argv[n] = NULL;
	char *errpath = tmp_path("dstreamc-XXXXXX.txt");
	int fd = mkstemps(errpath, 4);
	if (fd < 0) {
		fprintf(stderr, "dstreamc: cannot create a temporary file: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	int rc = run_command_to(argv, errpath);
	if (rc != 0 && !extern_report_undefined(&ir->plan->cp->extern_fns, defined_for_link, objs)) {
		FILE *f = fopen(errpath, "r");
		char buf[4096];
		size_t got;
		while (f && (got = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, got, stderr);
		if (f)
			fclose(f);
		fprintf(stderr, "dstreamc: cannot link '%s': the linker exited with status %d\n", o->output, rc);
	}
	tmp_remove(errpath);
	return rc != 0;
}

static int build_llvm(const Options *o, IrProgram *ir, const char *inc, const char *lib)
{
#ifdef DS_HAVE_LLVM
	char *opath = tmp_path("dstreamc-XXXXXX.o");
	int fd = mkstemps(opath, 2);
	if (fd < 0) {
		fprintf(stderr, "dstreamc: cannot create a temporary file: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	BackendOptions bo = backend_options(o);
	if (backend_llvm.emit_object(ir, &bo, opath)) {
		tmp_remove(opath);
		return 1;
	}
	const char *cc = cc_command();
	Vec objs = {0};
	int rc = compile_user_c(o, cc, inc, &objs);
	if (rc == 0)
		rc = link_program(o, ir, opath, &objs, lib);
	tmp_remove(opath);
	for (int i = 0; i < objs.n; i++)
		tmp_remove(objs.v[i]);
	return rc;
#else
	(void)ir;
	(void)inc;
	(void)lib;
	fprintf(stderr, "dstreamc: --backend=%s: this dstreamc was built without LLVM\n", o->backend);
	return 1;
#endif
}

/* run (without --interp): the program compiled by the LLVM JIT and run in
 * this process, with prog_argv as its argv (argv[0] its name). */
static int cmd_run(const Options *o, IrProgram *ir)
{
#ifdef DS_HAVE_LLVM
	BackendOptions bo = backend_options(o);
	return backend_llvm.run(ir, &bo, (char **)o->csources.v, o->csources.n, o->prog_argc, o->prog_argv);
#else
	(void)o;
	(void)ir;
	unreachable(); /* refused with the options */
#endif
}

/* Can path be written as build's output?  Said as the user's mistake
 * before cc would fail on it: a directory, a directory that cannot be
 * written, or a place where no file can be created (/proc/x).  An
 * existing file is replaced, as cc does, through its directory. */
static bool output_writable(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "dstreamc: cannot write '%s': %s\n", path, strerror(EISDIR));
			return false;
		}
		char *dir = arena_strdup(path);
		char *slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = 0;
		if (access(slash ? dir : ".", W_OK) != 0) {
			fprintf(stderr, "dstreamc: cannot write '%s': %s\n", path, strerror(errno));
			return false;
		}
		return true;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "dstreamc: cannot write '%s': %s\n", path, strerror(errno));
		return false;
	}
	close(fd);
	unlink(path);
	return true;
}

static int cmd_build(const Options *o, IrProgram *ir)
{
	if (!o->output)
		usage_error("build needs -o BIN%s", "");
	if (!output_writable(o->output))
		return 2; /* a file that cannot be written (SPEC §17.1) */
	const char *inc, *lib;
	if (!find_runtime(&inc, &lib))
		return 2; /* a failure outside the program (SPEC §17.1) */
	if (!strcmp(o->backend, "llvm"))
		return build_llvm(o, ir, inc, lib);
	char *cpath;
	if (o->keep_c) {
		cpath = arena_printf("%s.c", o->output);
	} else {
		cpath = tmp_path("dstreamc-XXXXXX.c");
		int fd = mkstemps(cpath, 2);
		if (fd < 0) {
			fprintf(stderr, "dstreamc: cannot create a temporary file: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
	}
	char *opath = tmp_path("dstreamc-XXXXXX.o");
	int fd = mkstemps(opath, 2);
	if (fd < 0) {
		fprintf(stderr, "dstreamc: cannot create a temporary file: %s\n", strerror(errno));
		if (!o->keep_c)
			tmp_remove(cpath);
		return 1;
	}
	close(fd);
	int rc = 0, st = 0;
	if (backend_c.emit(ir, cpath)) {
		rc = 1;
		goto out;
	}
	/* cc -std=c11 -O2 [DS_CC_FLAGS...] -I SRCDIR -I INC -c FILE.c -o FILE.o: the
	 * generated C, on its own, so that a failure there is ours */
	const char *cc = cc_command();
	char *argv[64];
	int n = 0;
	argv[n++] = (char *)cc;
	argv[n++] = "-std=c11";
	argv[n++] = (char *)o->opt;
	n = push_cc_flags(argv, n);
	argv[n++] = "-I";
	argv[n++] = (char *)extern_dir_of(o->input);
	argv[n++] = "-I";
	argv[n++] = (char *)inc;
	argv[n++] = "-c";
	argv[n++] = cpath;
	argv[n++] = "-o";
	argv[n++] = opath;
	argv[n] = NULL;
	st = run_command(argv);
	if (st == 127) { /* "cannot run 'cc'" said: not our bug */
		rc = 1;
		st = 0;
		goto out;
	}
	if (st != 0) {
		if (!o->keep_c)
			tmp_keep(cpath);
		fprintf(stderr,
			"dstreamc: internal error: the C compiler failed on the generated code (status %d);\n"
			"the generated C is kept at %s: please report it\n",
			st, cpath);
		rc = 1;
		goto out;
	}
	Vec objs = {0};
	rc = compile_user_c(o, cc, inc, &objs);
	if (rc == 0)
		rc = link_program(o, ir, opath, &objs, lib);
	for (int i = 0; i < objs.n; i++)
		tmp_remove(objs.v[i]);
out:
	tmp_remove(opath);
	if (!o->keep_c && !(rc && st != 0))
		tmp_remove(cpath);
	return rc;
}

static bool is_c_file(const char *a) { return strlen(a) > 2 && !strcmp(a + strlen(a) - 2, ".c"); }

/* replica --listen HOST:PORT --dir DIR (also --listen=..., --dir=...):
 * the runtime's replica server (runtime/replica.c), no program. */
static int cmd_replica(int argc, char **argv)
{
	const char *listen = NULL, *dir = NULL;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], **slot = NULL, *val = NULL;
		size_t n = 0;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strncmp(a, "--listen", 8) && (a[8] == 0 || a[8] == '='))
			slot = &listen, n = 8;
		else if (!strncmp(a, "--dir", 5) && (a[5] == 0 || a[5] == '='))
			slot = &dir, n = 5;
		else if (a[0] == '-' && a[1])
			usage_error("replica: unknown option '%s'", a);
		else
			usage_error("replica: unexpected argument '%s'", a);
		if (a[n] == '=')
			val = a + n + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			usage_error("replica: %s needs a value", a);
		if (!*val)
			usage_error("replica: %s needs a value", arena_strndup(a, n));
		*slot = val;
	}
	if (!listen)
		usage_error("replica needs --listen HOST:PORT%s", "");
	if (!dir)
		usage_error("replica needs --dir DIR%s", "");
	fflush(stdout);
	return ds__replica_serve(listen, dir, "dstreamc");
}

int main(int argc, char **argv)
{
	Options o = {.opt = "-O2", .backend = "c",
		     .bench = {.engines = "interp,c,llvm,jit", .reps = 3, .batches = 10}};
	if (argc > 1 && !strcmp(argv[1], "replica")) /* its own options */
		return cmd_replica(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "kafka")) /* its own subcommands and options */
		return kafka_main(argc, argv);
	tmp_cleanup_install(); /* no temporary file outlives dstreamc */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			printf("dstreamc %s\n", DS_VERSION);
			return 0;
		}
		if (!strcmp(a, "-o")) {
			if (++i >= argc)
				usage_error("-o needs a path%s", "");
			o.output = argv[i];
		} else if (!strncmp(a, "-o", 2) && a[2]) {
			o.output = a + 2;
		} else if (!strcmp(a, "-O0") || !strcmp(a, "-O1") || !strcmp(a, "-O2") || !strcmp(a, "-O3")) {
			o.opt = a;
		} else if (!strcmp(a, "--input") || !strcmp(a, "--records") || !strcmp(a, "--batches") ||
			   !strcmp(a, "--engines") || !strcmp(a, "--reps") || !strcmp(a, "--workers")) {
			if (++i >= argc)
				usage_error("%s needs a value", a);
			bench_option(&o.bench, a, argv[i]);
			o.bench_opt = true;
		} else if (!strcmp(a, "--json")) {
			o.bench.json = true;
			o.bench_opt = true;
		} else if (!strcmp(a, "--keep-c")) {
			o.keep_c = true;
		} else if (!strncmp(a, "--backend=", 10)) {
			o.backend = a + 10;
			if (strcmp(o.backend, "c") && strcmp(o.backend, "llvm"))
				usage_error("unknown backend '%s' (c or llvm)", o.backend);
		} else if (!strcmp(a, "-march=native")) {
			o.native = true;
		} else if (!strcmp(a, "--no-rt-inline")) {
			o.no_rt_inline = true;
		} else if (!strncmp(a, "--name=", 7) && a[7]) {
			o.name = a + 7;
		} else if (!strncmp(a, "--stop-after=", 13)) {
			const char *p = a + 13;
			o.stop = !strcmp(p, "parse") ? STOP_PARSE : !strcmp(p, "check") ? STOP_CHECK
				: !strcmp(p, "plan") ? STOP_PLAN : !strcmp(p, "lower") ? STOP_LOWER : STOP_NONE;
			if (o.stop == STOP_NONE)
				usage_error("unknown pass '%s' (parse, check, plan or lower)", p);
		} else if (!strcmp(a, "--interp")) {
			o.interp = true;
		} else if (a[0] == '-' && a[1]) {
			usage_error("unknown option '%s'", a);
		} else if (!o.cmd) {
			o.cmd = a;
		} else if (!o.input) {
			o.input = a;
			if (!strcmp(o.cmd, "run")) { /* its C files, then the program's flags */
				while (i + 1 < argc && is_c_file(argv[i + 1]))
					vec_push(&o.csources, argv[++i]);
				o.prog_argc = argc - i; /* prog_argv[0]: FILE's slot or the last C file's */
				o.prog_argv = argv + i;
				break;
			}
		} else if (is_c_file(a)) {
			vec_push(&o.csources, (void *)a);
		} else {
			usage_error("unexpected argument '%s'", a);
		}
	}
	if (!o.cmd) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (strcmp(o.cmd, "check") && strcmp(o.cmd, "explain") && strcmp(o.cmd, "emit-c") && strcmp(o.cmd, "build") &&
	    strcmp(o.cmd, "bench") && strcmp(o.cmd, "run") && strcmp(o.cmd, "emit-llvm"))
		usage_error("unknown command '%s'", o.cmd);
	if (!o.input)
		usage_error("%s needs a .dstream file", o.cmd);
	if (o.csources.n && strcmp(o.cmd, "build") && strcmp(o.cmd, "run") && strcmp(o.cmd, "bench"))
		usage_error("C files are only for build, run and bench: unexpected '%s'", (const char *)o.csources.v[0]);
	if (o.bench_opt && strcmp(o.cmd, "bench"))
		usage_error("--input, --records, --batches, --engines, --reps and --json are options of bench, not of %s", o.cmd);
	if (o.bench.input && o.bench.records)
		usage_error("bench takes --input or --records, not both%s", "");
#ifndef DS_HAVE_LLVM
	if (!strcmp(o.cmd, "run") && !o.interp)
		usage_error("run needs an engine: --interp (the JIT is not in this build)%s", "");
#endif
	if (o.interp && strcmp(o.cmd, "run"))
		usage_error("--interp is an option of run, not of %s", o.cmd);
	if (o.name && strcmp(o.cmd, "run"))
		usage_error("--name is an option of run, not of %s", o.cmd);
	if (!strcmp(o.cmd, "run")) { /* argv[0]: the program's name, FILE without .dstream */
		size_t n = strlen(o.input);
		o.prog_argv[0] = n > 8 && !strcmp(o.input + n - 8, ".dstream") ? arena_strndup(o.input, n - 8)
									: (char *)o.input;
		if (o.name)
			o.prog_argv[0] = (char *)o.name;
	}
	int status;
	IrProgram *ir = front_to_ir(&o, &status);
	if (!ir)
		return status;
	if (!strcmp(o.cmd, "emit-c"))
		return backend_c.emit(ir, o.output) ? 2 : 0; /* fails only to write */
	if (!strcmp(o.cmd, "run"))
		return cmd_run(&o, ir);
	if (!strcmp(o.cmd, "emit-llvm")) {
#ifdef DS_HAVE_LLVM
		BackendOptions bo = backend_options(&o);
		return backend_llvm.emit_text(ir, &bo, o.output) ? 2 : 0; /* fails only to read or write */
#else
		fprintf(stderr, "dstreamc: emit-llvm: this dstreamc was built without LLVM\n");
		return 1;
#endif
	}
	ASSERT(strcmp(o.cmd, "bench")); /* benched after planning, in front_to_ir */
	return cmd_build(&o, ir);
}
