/* ir.h: the loop IR, between lowering and the backends.
 *
 * A small typed imperative IR: functions of statements (lets, ifs, loops
 * over a block's lines, a list or a hash table, checks that drop a bad
 * record, upserts, outputs) over expressions that are pure except for
 * calls into the runtime ABI.  Every operator is lowered once, in
 * lower.c; a backend only translates this IR (emit_c.c to C; later
 * emit_llvm.c to LLVM IR), so the backends cannot drift apart.
 *
 * Types are the language's types (types.h); "Entry" pointers into tables
 * are typed by their table.  The IR owns no memory: all in the arena.
 */
#ifndef DS_IR_H
#define DS_IR_H

#include "plan.h"

typedef struct IrVar {
	int id;
	const char *name; /* from the source when there is one ("w", "pair") */
	Type *type;       /* NULL for an entry pointer (see table) or a record's bytes */
	struct IrTable *table; /* entry pointers: the table they point into */
	bool bytes;       /* IS_FOR_RECORDS' variable: the bytes of one binary record
			     (const char *), read only through IE_LOAD */
	/* lowering only, to trace a key back to a value interned at load: */
	struct IrExpr *init; /* the value of its IS_LET, if it has one */
	bool assigned;    /* an IS_SET changes it after its IS_LET */
	bool interned;    /* a static Dataset's join value and its dense id: (value, id) */
} IrVar;

/* A hash table in the program state: key -> value entries. */
typedef struct IrTable {
	const char *name; /* state member, e.g. "agg3_reduceByKey" */
	Type *key, *val;
	const char *comment;
	bool persistent;  /* lives across batches: keys and values are copied
			     into its own arena (NAME_arena), not the batch's */
	const char *ckpt; /* state a checkpoint keeps: "ID/ROLE" (ID the owner's
			     state_id), else NULL (scratch, or a static Dataset's) */
	const DNode *owner; /* with ckpt: the operator it belongs to */
	bool dense;       /* a ds_dense, not a ds_table: its keys come with the dense id
			     they were interned under at load, and IS_UPSERT finds an
			     entry by that id (its lhs), not by a hash probe */
} IrTable;

/* A window's ring of panes in the program state (ds_window). */
typedef struct IrWindow {
	const char *name;
	Type *elem;        /* the records it holds */
	int npanes;        /* window / batch interval */
	int64_t window_ms, slide_ms;
	const char *comment;
	const char *ckpt;   /* "ID/ROLE": every window is state a checkpoint keeps */
	const DNode *owner;
} IrWindow;

/* A scalar in the program state (accumulators). */
typedef struct IrScalar {
	const char *name;
	Type *type;
	const char *comment;
} IrScalar;

typedef enum IrExprKind {
	IE_INT,        /* ival */
	IE_DOUBLE,     /* dval */
	IE_BOOL,       /* ival */
	IE_STR,        /* str, slen: a literal */
	IE_VAR,        /* var */
	IE_SCALAR,     /* scalar: a state member (an lvalue) */
	IE_ENTRY_KEY,  /* var (entry pointer) -> its key (an lvalue) */
	IE_ENTRY_VAL,  /* var (entry pointer) -> its value (an lvalue) */
	IE_FIELD,      /* a[0]._(ival+1): tuple member, 0-based ival (an lvalue if a[0] is) */
	IE_TUPLE,      /* a[0..n): builds a value of type */
	IE_SOME,       /* a[0] */
	IE_NONE,       /* of type */
	IE_IS_SOME,    /* a[0] is Some */
	IE_OPT_VAL,    /* the value of a[0] (unchecked) */
	IE_LIST_LEN,   /* a[0].len */
	IE_LIST_AT,    /* a[0][a[1]], unchecked; type is the element type */
	IE_STR_LEN,    /* a[0].n */
	IE_NEG,        /* -a[0]: wrapping for Int */
	IE_NOT,        /* !a[0] */
	IE_BIN,        /* a[0] op a[1], operands of type optype: + - * on Int wrap;
			  / % on Double; comparisons on Int, Double, String; && || on Boolean */
	IE_EQ,         /* structural a[0] == a[1] of type optype */
	IE_COND,       /* a[0] ? a[1] : a[2] */
	IE_I2D,        /* (double)a[0] */
	IE_D2I,        /* Scala's Double.toInt: truncation, saturating, NaN -> 0 */
	IE_CALL,       /* fn(a...): a runtime function of rt.h returning type (NULL: void) */
	IE_ADDR,       /* &var (for out-parameters of runtime calls) */
	IE_ARENA,      /* the batch arena (ds_arena *) */
	IE_BATCH_TIME, /* the batch time in ms */
	IE_TASK,       /* the ds_task * the code runs in (for runtime calls that need it) */
	IE_PARAM,      /* the value of program parameter ival (ds_param_int/_double/_bool/_str
			  by type): param("name", ...) in a function */
	IE_TO_STR,     /* a[0] formatted as a String (as print shows it) */
	IE_SIZEOF,     /* sizeof a value of optype, as an Int */
	IE_FOUND,      /* var (an entry pointer from IS_LOOKUP) is not NULL */
	IE_COPY,       /* a deep copy of a[0] into the arena of (persistent) table; with
			  no table, into the batch arena (a record sent from a stage over state) */
	IE_TABLE_COUNT,/* the used slots of table, as an Int */
	IE_EXTERN,     /* ext->name(a...): a user C function of an extern header, with
			  its C signature in ext (extern.h); a[i] has the dstream type of
			  ext->params[i] (converted by the backend: a String is passed as
			  .p, (size_t).n for CK_STR_LEN, as a NUL-terminated arena copy for
			  CK_CSTR; a CK_CSTR result is copied into the batch arena at once).
			  Lowering binds every IE_EXTERN to a let, so it runs exactly once,
			  in order */
	IE_OUT_FULL,   /* ds_out_full(t, ival) != 0: output ival wants no more records this batch (Boolean) */
	IE_HASH,       /* the hash of a[0] (a variable) of type optype, as a table keys it, as an Int */
	IE_EXCHANGING, /* ds_exchanging(t): keyed operators' records go through the exchange (Boolean) */
	IE_OWNS,       /* ds_owns(t, a[0]): this worker owns the key of hash a[0] (Boolean) */
	IE_LOAD,       /* field of kind op (FieldKind, schema.h) at byte ival of the record
			  var (IS_FOR_RECORDS): little-endian, unaligned; integers widened to Int,
			  floats to Double, bN (slen = N) a String pointing into the block */
} IrExprKind;

typedef struct IrExpr {
	IrExprKind kind;
	Type *type;   /* result type (NULL for void calls and IE_ARENA/IE_ADDR) */
	Type *optype; /* IE_BIN, IE_EQ, IE_TO_STR, IE_SIZEOF: the operand type */
	int op;       /* IE_BIN: '+', '<', OP_EQ, OP_AND, ... */
	int64_t ival;
	double dval;
	const char *str;
	size_t slen;
	const char *fn; /* IE_CALL */
	IrVar *var;
	IrScalar *scalar;
	struct IrTable *table; /* IE_COPY, IE_TABLE_COUNT */
	const ExternFn *ext;   /* IE_EXTERN */
	struct IrExpr **a;
	int n;
} IrExpr;

typedef enum IrStmtKind {
	IS_LET,         /* var [= e]: declares var */
	IS_SET,         /* lhs = e */
	IS_IF,          /* if (e) body else els */
	IS_FOR_LINES,   /* for each line (var) of every block of source src */
	IS_FOR_RECORDS, /* for each binary record (var, its bytes) of every block of source src;
			   records are reclen bytes, back to back */
	IS_FOR_RANGE,   /* for var in [lhs, e) */
	IS_FOR_SPLIT,   /* for each piece (var) of split(lhs, e), Java's semantics, no list built */
	IS_FOR_TABLE,   /* for each entry (var) of table (a dense one: in the order its
			   ids were first seen) */
	IS_CHECK,       /* if (!e) { bad record (site, why, sample); goto label } */
	IS_LABEL,       /* label: */
	IS_UPSERT,      /* var (entry) = find or insert key e in table; fresh: set when inserted
			   (an inserted entry's value is zero: 0, false, None, empty); in a
			   dense table, the key's dense id is lhs (an Int) */
	IS_LOOKUP,      /* var (entry) = the entry of key e in table, or none (see IE_FOUND) */
	IS_TABLE_SWAP,  /* table <-> swap_with (contents and arenas), then swap_with emptied */
	IS_PUSH,        /* append e to the list lvalue lhs (in table's arena if set, else the batch's) */
	IS_OUTPUT,      /* emit e (of e->type) to output out; with typed, also hand its
			   fields over (foreachRDD/foreachRecord: ds_out_field_*, rt.h) */
	IS_BLOCK,       /* { body }: a scope, opened by comment */
	IS_CALL_STAGE,  /* call stage function fn */
	IS_TABLE_INIT,  /* ds_table_init(table) (ds_dense_init: a dense one) */
	IS_TABLE_CLEAR, /* ds_table_clear(table) (ds_dense_clear) */
	IS_TABLE_CLOSE, /* ds_table_close(table) (ds_dense_close) */
	IS_WINDOW_INIT, /* ds_window_init(window) */
	IS_WINDOW_BEGIN,/* the window's pane for this batch: emptied, stamped */
	IS_WINDOW_CLOSE,/* ds_window_close(window) */
	IS_PANE_PUSH,   /* a copy of e into the current pane of window */
	IS_FOR_WINDOW,  /* for each record (var) of the panes in (T - from_ago, T - to_ago], oldest first */
	IS_BREAK,       /* leave the innermost IS_FOR_TABLE (lowering puts it nowhere else) */
	IS_OUT_SKIP,    /* ds_out_skip(t, e): records an early-stopped loop did not hand to outputs */
	IS_XCHG_PUT,    /* send e (of e->type) through exchange out to the owner of hash lhs (an Int) */
	IS_FOR_XCHG,    /* for each record (var) sent to this worker through exchange out, in order */
	IS_BARRIER,     /* ds_barrier(t): wait for every worker to get here */
	IS_SORT,        /* sort the list lvalue lhs in place, ascending by its elements'
			   order (lang/SPEC.md §9.3: the backend's cmp_ of the element type);
			   with e (an Int), only its e smallest elements, at its start, or
			   with largest its e largest, at its end (ds_sort_ends) */
	IS_TABLE_RESERVE, /* ds_table_reserve(table, records of source src this batch): a
			   static Dataset's table, sized from the Dataset before it loads */
} IrStmtKind;

typedef struct IrStmt {
	IrStmtKind kind;
	const char *comment; /* shown above the statement: "wc.dstream:7:21 flatMap" */
	IrVar *var;
	IrVar *fresh;        /* IS_UPSERT */
	IrTable *table;
	IrTable *swap_with;  /* IS_TABLE_SWAP */
	IrVar *hash_of;      /* IS_LOOKUP: a key of this entry (of a table being walked,
				same key type): reuse its stored hash */
	IrWindow *window;
	IrExpr *lhs, *e, *sample;
	Vec body, els;       /* of IrStmt* */
	int src, out, site;  /* out: an output, or an exchange (IS_XCHG_PUT, IS_FOR_XCHG) */
	const char *why;     /* IS_CHECK */
	int label;           /* IS_CHECK, IS_LABEL */
	int64_t from_ago, to_ago; /* IS_FOR_WINDOW: the panes' time range, in ms before T */
	int64_t reclen;      /* IS_FOR_RECORDS: bytes per record */
	const char *fn;      /* IS_CALL_STAGE */
	bool typed;          /* IS_OUTPUT */
	bool largest;        /* IS_SORT */
	bool framed;         /* IS_FOR_LINES: the blocks hold framed records (ds_next_framed: kafkaStream) */
} IrStmt;

typedef struct IrFunc {
	const char *name;    /* "stage1_socketTextStream" */
	const char *comment; /* what the stage is, from explain */
	Vec body;            /* IrStmt* */
} IrFunc;

typedef struct IrProgram {
	const Plan *plan;
	Vec tables;  /* IrTable* */
	Vec scalars; /* IrScalar* */
	Vec windows; /* IrWindow* */
	Vec stages;  /* IrFunc*, run order */
	Vec init_stages; /* IrFunc*: static Datasets' stages, run by init */
	IrFunc *init, *run_batch, *close;
	Vec sites;   /* IrSite* */
	int nvars, nlabels;
	int nexchanges; /* IS_XCHG_PUT / IS_FOR_XCHG's out: 0 .. nexchanges - 1 */
} IrProgram;

/* A place that can drop bad records (ds_site in rt.h). */
typedef struct IrSite {
	const char *loc; /* "prog.dstream:7:24" */
	const char *op;  /* "toInt" */
} IrSite;

/* Requires a Plan; guarantees an IrProgram in which every stage of the plan
 * is one IrFunc and every operator has been lowered exactly once per loop
 * that carries its input. */
IrProgram *lower_program(const Plan *p);
/* opt.c: rewrites across operators (split prefixes); lower_program runs it. */
void ir_optimize(IrProgram *ir);
/* The sites as the runtime's ds_site array (NULL when there are none). */
const struct ds_site *ir_sites(const IrProgram *ir);
/* Text dump for --stop-after=lower. */
void ir_dump(const IrProgram *ir, void *FILE_out);

/* How a backend that compiles in-process (LLVM) compiles: from dstreamc's flags. */
typedef struct BackendOptions {
	int opt_level;     /* 0..3: -O0 .. -O3 */
	bool native;       /* -march=native: code for this machine's CPU (default: portable x86-64) */
	bool no_rt_inline; /* --no-rt-inline: call the runtime's hot helpers, do not inline them */
} BackendOptions;

/* The backend interface (QBE's struct Target): both emitters implement it. */
typedef struct Backend {
	const char *name;
	/* Writes the program's code to out (a path); returns 0 or reports. */
	int (*emit)(const IrProgram *ir, const char *out_path);
	/* Backends that compile in-process (LLVM; NULL for C, whose text cc compiles): */
	/* emit, with options (the LLVM IR, optimised at o->opt_level) */
	int (*emit_text)(const IrProgram *ir, const BackendOptions *o, const char *out_path);
	/* an object file defining main(), to link with the runtime */
	int (*emit_object)(const IrProgram *ir, const BackendOptions *o, const char *obj_path);
	/* compiles and runs the program in this process, with argv as its own
	 * (C files loaded beside it); returns its exit status */
	int (*run)(const IrProgram *ir, const BackendOptions *o, char **cfiles, int ncfiles, int argc, char **argv);
} Backend;

extern const Backend backend_c;
#ifdef DS_HAVE_LLVM
extern const Backend backend_llvm; /* emit_llvm.c */
#endif

#endif
