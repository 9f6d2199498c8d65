/* fuzz_frontend.c: the compiler's front end on any bytes, in-process:
 * parse, check, plan (and explain), lower (and dump the loop IR), emit C,
 * as `dstreamc emit-c` does, without running cc.
 *
 * Bad programs must end in diagnostics, never in a crash, an assertion
 * (die, ASSERT) or a sanitizer report.  A program that names an extern
 * header is not checked here: libclang would read whatever file it names. */
#include "fuzz.h"

#include <string.h>

#include "ast.h"
#include "ir.h"

extern const Backend backend_c;

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* FUZZ_VERBOSE=1: the diagnostics and dumps on stderr, to see an input's fate */
	devnull = getenv("FUZZ_VERBOSE") ? stderr : fopen("/dev/null", "w");
	FUZZ_CHECK(devnull);
	return 0;
}

static bool names_extern(const char *s, size_t n)
{
	return memmem(s, n, "extern", 6) != NULL;
}

/* What compiler/main.c refuses after planning (reject_unsupported): a
 * join of two static Datasets. */
static bool unsupported(const Plan *p)
{
	for (int i = 0; i < p->nodes.n; i++) {
		const DNode *n = p->nodes.v[i];
		if (n->op->cls == OPC_JOIN && n->is_static)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size > 64 * 1024 || names_extern((const char *)data, size))
		return 0;
	diag_reset(devnull);
	SourceFile *src = arena_alloc(sizeof *src);
	src->path = "fuzz.dstream";
	src->text = arena_strndup((const char *)data, size);
	src->len = size;
	diag_set_source(src);
	Program *ast = parse_program(src);
	if (ast) {
		ast_dump(ast, devnull);
		CheckedProgram *cp = check_program(ast);
		if (!diag_error_count()) {
			Plan *plan = plan_program(cp);
			if (!diag_error_count() && !unsupported(plan)) {
				plan_explain(plan, devnull);
				IrProgram *ir = lower_program(plan);
				ir_dump(ir, devnull);
				FUZZ_CHECK(backend_c.emit(ir, "/dev/null") == 0);
			}
		}
	}
	diag_reset(devnull);
	arena_free_all();
	return 0;
}

/* compiler/paths.c is dstreamc's: the runtime's place is never needed here
 * (no extern header is read, nothing is built). */
const char *paths_rt_include(void) { return NULL; }
const char *paths_rt_lib(void) { return NULL; }
const char *paths_rt_bc(void) { return NULL; }
