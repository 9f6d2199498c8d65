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
 * the batch interval; source and output arguments are constants (or
 * program parameters, whose defaults const_value gives); a param(...)
 * call has ival, the parameter's index, and sym, its SYM_PROGRAM_PARAM.
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
	SYM_PROGRAM_PARAM, /* the program parameter of a param("name"[, default]) call (its
			      N_CALL's sym): def is the default's literal, a required
			      one's an empty String */
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
	Vec params;             /* ParamDecl*: the program parameters, in order of first use */
} CheckedProgram;

/* A program parameter, param("name"[, default]) (lang/SPEC.md §7.1): a
 * value given at run time with --param name=VALUE.  The N_CALL of each use
 * has ival = the parameter's index in CheckedProgram.params. */
typedef struct ParamDecl {
	const char *name;
	Type *type;    /* Int, Double, Boolean or String: the default's */
	bool required; /* param("name"): no default, a String the run must give */
	Node *def;     /* the default's literal; a required one's: an empty String */
	Loc loc;       /* its first use */
	int index;     /* in CheckedProgram.params */
	Symbol *sym;   /* SYM_PROGRAM_PARAM: every use's N_CALL.sym */
} ParamDecl;

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
/* A compile-time constant (a literal, or a val bound to one), or NULL.  A
 * program parameter counts as its default's literal: what the descriptor
 * carries until --param replaces it at start; where the value must be
 * known when compiling, the checker rejects parameters (param_of). */
Node *const_value(Node *e);
/* The param("name"[, default]) call that e is, or a val bound to one is;
 * NULL for anything else. */
Node *param_of(Node *e);
/* The parameter of such a call (checked). */
const ParamDecl *param_decl(const CheckedProgram *cp, const Node *call);
/* `param("port", 9999)`, `param("dir")`: how explain and messages show it. */
const char *param_text(const ParamDecl *d);
/* The default as --param would spell it ("9999", "0.5", "true", "localhost"); NULL
 * for a required parameter. */
const char *param_default_text(const ParamDecl *d);
/* Every parameter e uses (its arguments and lambdas, through vals, but not
 * through other operators), each once, appended to out (ParamDecl*). */
void params_used(const CheckedProgram *cp, Node *e, Vec *out);

/* "1500ms", "2s", "5min", "1h" */
char *fmt_duration(int64_t ms);

#endif
