/* check.h: names, types and program-level rules.
 *
 * Requires: a Program from parse_program.
 * Guarantees, when diag_error_count() stays 0: every Node reachable from a
 * statement has a resolved, concrete type (no TY_VAR, no TY_ERROR); every
 * N_NAME has its Symbol; every N_CALL has aux pointing at its OpInfo
 * (stream operator), BuiltinInfo (function) or ExternFn (a C function of
 * an extern header: call_is_extern), told apart by call_is_op; the
 * function argument of foreachRDD, foreachRecord and receiverStream is an
 * N_NAME whose aux is its ExternFn, with a signature checked for that use;
 * placeholders are rewritten into lambdas; durations are validated against
 * the batch interval; source and output arguments are constants.
 */
#ifndef DS_CHECK_H
#define DS_CHECK_H

#include "extern.h"
#include "ops.h"
#include "types.h"

typedef enum SymKind {
	SYM_VAL,    /* top-level val: a stream, a dataset or a constant value */
	SYM_PARAM,  /* lambda parameter */
	SYM_LET,    /* val inside a block */
} SymKind;

struct Symbol {
	SymKind kind;
	const char *name;
	Loc loc;
	Type *type;
	Node *def; /* SYM_VAL, SYM_LET: the defining expression */
	int id;    /* unique per compilation, for generated names */
	int depth; /* SYM_VAL of a DStream or Dataset: the depth of def, counting
		      the vals it uses (the planner follows them: DS_MAX_DEPTH) */
};

/* What the checker learned about the program as a whole. */
typedef struct CheckedProgram {
	Program *ast;
	const char *app_name;   /* app "Name", or the file's base name */
	int64_t batch_ms;
	int64_t block_ms;       /* default 200ms */
	const char *checkpoint_dir; /* NULL: none */
	int64_t checkpoint_ms;      /* as written; 0: the default (Plan.checkpoint_ms) */
	Vec externs;            /* header paths (const char *), as written */
	Vec extern_fns;         /* ExternFn*: the functions they declare */
	Vec outputs;            /* Node* of output calls, in program order */
	Vec counters;           /* const char*: counter("name") names, in order of first use */
} CheckedProgram;

CheckedProgram *check_program(Program *p);

/* For a checked N_CALL. */
bool call_is_op(const Node *call);
const OpInfo *call_op(const Node *call);
const BuiltinInfo *call_builtin(const Node *call);
bool call_is_extern(const Node *call);
/* stream.named("id"): its value is items[0]'s */
bool call_is_named(const Node *call);
const ExternFn *call_extern(const Node *call);

/* The index of counter("name") in cp->counters (the checker put it there). */
int counter_index(const CheckedProgram *cp, const char *name);

/* A compile-time constant (a literal, or a val bound to one), or NULL. */
Node *const_value(Node *e);

/* "1500ms", "2s", "5min", "1h" */
char *fmt_duration(int64_t ms);

#endif
