/* ast.h: the syntax tree built by lang/parser.y, and the compiler's shared
 * basics (arena, source locations, diagnostics).
 *
 * Every node carries the location of its first token.  Nodes live in the
 * compilation arena and are never freed one by one.  The checker
 * (check.c) fills in Node.type and Node.sym; nothing else mutates the tree.
 */
#ifndef DS_AST_H
#define DS_AST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- arena (util.c) ---------------------------------------------------- */
void *arena_alloc(size_t n); /* zeroed, 16-byte aligned, lives until arena_free_all */
char *arena_strndup(const char *s, size_t n);
char *arena_strdup(const char *s);
char *arena_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void arena_free_all(void);
/* Runs argv (argv[0] found on PATH) with execvp, never a shell, and waits:
 * its exit status, 128 + the signal that ended it, or -1 (and a message)
 * when it could not be started. */
int run_command(char **argv);
/* The same, with the command's stderr written to errpath (when not NULL). */
int run_command_to(char **argv, const char *errpath);
/* Removes a private temporary directory (from mkdtemp) and the files in it. */
void remove_tmpdir(const char *dir);
/* NAME under $TMPDIR, else /tmp (for mkdtemp and mkstemps patterns).  The
 * path is removed when dstreamc exits or is killed by a signal (with
 * tmp_cleanup_install), unless tmp_remove or remove_tmpdir removed it
 * first or tmp_keep kept it. */
char *tmp_path(const char *name);
void tmp_remove(const char *path);
void tmp_keep(const char *path);
/* Removes the temporary paths at exit and on SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT and SIGABRT (then dies of the signal). */
void tmp_cleanup_install(void);

/* s made safe inside a comment of generated code (C or LLVM IR): no
 * comment terminator, no line end (util.c). */
char *comment_text(const char *s);

/* ---- where the runtime is (paths.c) ------------------------------------- */
/* rt.h's include directory, libdstream_rt.a, the helpers' LLVM bitcode:
 * from the environment, the build tree, or beside the executable; NULL when
 * none is there. */
const char *paths_rt_include(void);
const char *paths_rt_lib(void);
const char *paths_rt_bc(void);

/* A growable array of pointers in the arena. */
typedef struct Vec {
	void **v;
	int n, cap;
} Vec;
void vec_push(Vec *vec, void *p);
bool vec_has(const Vec *vec, const void *p); /* whether p is one of vec's */

/* ---- locations and diagnostics (diag.c) -------------------------------- */
typedef struct Loc {
	int32_t line; /* 1-based; 0 = no location */
	int32_t col;  /* 1-based, in bytes */
	uint32_t off; /* byte offset into the source text */
} Loc;

/* The file being compiled.  One per compilation; diag.c keeps it to print
 * the offending line under each diagnostic. */
typedef struct SourceFile {
	const char *path; /* as given on the command line */
	const char *text; /* NUL-terminated contents */
	size_t len;
} SourceFile;

void diag_set_source(const SourceFile *src);
/* "path:line:col: error: msg", then the source line, then a caret under col.
 * Errors are counted; the compiler stops at the end of the phase. */
void error_at(Loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warning_at(Loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void note_at(Loc loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Diagnostics at a location in another file (an extern header). */
void error_in(const char *path, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The number of errors so far; the end of a phase: the diagnostics
 * reported so far are written, sorted by file, line and column. */
int diag_error_count(void);
/* Writes the pending diagnostics (at exit too). */
void diag_flush(void);
/* Forgets the source, the error count and the diagnostics not yet written,
 * and sends the next ones to out (stderr when NULL): for running the front
 * end again in the same process (tests/fuzz). */
void diag_reset(FILE *out);
/* "path:line:col" of loc, for messages embedded in generated code. */
char *loc_str(Loc loc);

/* Internal compiler bugs: never for bad user input. */
_Noreturn void die_(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define die(...) die_(__FILE__, __LINE__, __VA_ARGS__)
#define unreachable() die_(__FILE__, __LINE__, "unreachable")
#define ASSERT(c) ((c) ? (void)0 : die_(__FILE__, __LINE__, "assertion failed: %s", #c))

/* ---- the tree ----------------------------------------------------------- */
typedef struct Type Type;     /* types.h */
typedef struct Symbol Symbol; /* check.c */

typedef enum StmtKind {
	ST_APP,        /* app "Name";               str */
	ST_BATCH,      /* batch DUR;                dur_ms */
	ST_BLOCK,      /* block DUR;                dur_ms */
	ST_CHECKPOINT, /* checkpoint "DIR" [every DUR];  str, dur_ms (0 = default) */
	ST_EXTERN,     /* extern "file.h";          str */
	ST_VAL,        /* val NAME = EXPR;          name, expr */
	ST_EXPR,       /* EXPR;                     expr */
} StmtKind;

typedef struct Node Node;

typedef struct Stmt {
	StmtKind kind;
	Loc loc;       /* the statement's first token */
	Loc arg_loc;   /* the string / duration / name operand */
	const char *str;
	const char *name;
	int64_t dur_ms;
	Node *expr;
} Stmt;

typedef enum NodeKind {
	N_INT,         /* ival */
	N_DOUBLE,      /* dval */
	N_STRING,      /* str, slen (escapes decoded; may contain NUL) */
	N_BOOL,        /* ival (0/1) */
	N_DURATION,    /* ival = milliseconds */
	N_NAME,        /* name */
	N_PLACEHOLDER, /* `_` (Scala placeholder); rewritten into N_LAMBDA by the checker */
	N_TUPLE,       /* items (n >= 2) */
	N_LIST,        /* items (n >= 0) */
	N_INDEX,       /* lhs[rhs] */
	N_FIELD,       /* lhs._N: ival = N (1-based) */
	N_CALL,        /* name(items...); is_method: written lhs.name(...) and items[0] is lhs;
			  param(...): ival and sym (check.h) */
	N_UNARY,       /* op lhs:  op is '-' or '!' */
	N_BINARY,      /* lhs op rhs: op is one of the Op values below */
	N_COND,        /* cond ? lhs : rhs */
	N_BLOCK,       /* { items... }: every item but the last is N_LET or an expression */
	N_LET,         /* val name = lhs  (only inside blocks) */
	N_LAMBDA,      /* params => lhs  (params: Vec of Param*) */
} NodeKind;

/* Binary operators.  Single-character ones are their character. */
enum {
	OP_EQ = 256, /* == */
	OP_NE,       /* != */
	OP_LE,       /* <= */
	OP_GE,       /* >= */
	OP_AND,      /* && */
	OP_OR,       /* || */
};

typedef struct Param {
	const char *name;
	Loc loc;
	Node *annot; /* Scala's `(a: Int) => ...`: the declared type, written as
			N_NAME `Int`, N_CALL `Seq[Int]` or N_TUPLE `(Int, String)`; or NULL */
	Symbol *sym; /* set by the checker */
} Param;

struct Node {
	NodeKind kind;
	Loc loc;
	Loc name_loc; /* N_CALL written as a method: where the method's name is */
	int op;
	bool is_method;
	bool parenthesized; /* written inside ( ): stops placeholder expansion */
	int64_t ival;
	double dval;
	const char *str;
	size_t slen;
	const char *name;
	Node *lhs, *rhs, *cond;
	Vec items;  /* of Node* */
	Vec params; /* of Param* */
	Node *annot; /* N_NAME inside ( ): a lambda parameter's type annotation (Param.annot) */
	/* filled by the checker */
	Type *type;
	Symbol *sym;
	void *aux; /* checker/planner annotations (e.g. the builtin or operator) */
	const char *named; /* a stateful operator's call: its state's identity from
			      .named("id") (checker), for checkpoints */
};

typedef struct Program {
	const SourceFile *src;
	Vec stmts; /* of Stmt* */
} Program;

/* Constructors, one per grammar form (ast.c). */
Stmt *ast_stmt(StmtKind kind, Loc loc);
Node *ast_int(Loc loc, int64_t v);
Node *ast_double(Loc loc, double v);
Node *ast_string(Loc loc, const char *s, size_t n);
Node *ast_bool(Loc loc, bool v);
Node *ast_duration(Loc loc, int64_t ms);
Node *ast_name(Loc loc, const char *name);
Node *ast_placeholder(Loc loc);
Node *ast_tuple(Loc loc, Vec items);
Node *ast_list(Loc loc, Vec items);
Node *ast_index(Loc loc, Node *base, Node *idx);
Node *ast_field(Loc loc, Node *base, int64_t n);
Node *ast_call(Loc loc, const char *name, Vec args);
Node *ast_method(Loc loc, Node *recv, Loc name_loc, const char *name, Vec args);
Node *ast_unary(Loc loc, int op, Node *e);
Node *ast_binary(Loc loc, int op, Node *l, Node *r);
Node *ast_cond(Loc loc, Node *c, Node *a, Node *b);
Node *ast_block(Loc loc, Vec items);
Node *ast_let(Loc loc, const char *name, Node *e);
Node *ast_lambda(Loc loc, Vec params, Node *body);

/* How deeply expressions may nest (1 + 1 + ... + 1 with N terms, or a chain
 * of N calls, is N levels): deeper is a diagnostic after parsing, so that
 * the recursive passes (check, plan, lower, the emitters and the
 * interpreter) never run out of stack (lang/SPEC.md §14.1). */
#define DS_MAX_DEPTH 1000
/* The depth of e, where node n counts as levels(n) levels when that is
 * positive; past DS_MAX_DEPTH, -1 after a diagnostic, and -1 without one
 * when levels(n) < 0 for a node of e (ast.c). */
int ast_depth(Node *e, int (*levels)(const Node *n));

/* Parse a whole file.  Returns NULL after reporting syntax errors (all of
 * them: the parser recovers at ';' and reports every error it can). */
Program *parse_program(const SourceFile *src);

/* Text dump for --stop-after=parse. */
void ast_dump(const Program *p, void *FILE_out);
const char *op_name(int op); /* "+", "==", "&&", ... */

#endif
