/* interp.c: the interpreter (see interp.h), operator at a time.
 *
 * This is how an RDD iterator chain or a classic stream engine runs a job,
 * and it is the unfused baseline the compiled code is measured against:
 * records are boxed Values (tagged: Int, Double, Boolean, String, tuple,
 * option, list); every operator takes its input batch, a vector of Values,
 * and materialises its output batch for the operators after it; lambdas
 * are evaluated by walking their checked AST with an environment indexed
 * by symbol.  It shares nothing with lowering (lower.c, ir.h): it reads the
 * plan (plan.h) and the checked tree only, and hands the runtime the same
 * ds_program descriptor (desc.c) with its own init, run_batch and close.
 *
 * Requires: a Plan with no errors.  Guarantees the compiled program's
 * observable behaviour:
 *  - stages run in plan order, each over its producer's result, and every
 *    operator has the semantics lower.c gives it (the drop of a bad record
 *    leaves the operator that was processing it; updateStateByKey,
 *    mapWithState and the incremental windows update, compact and filter
 *    their state the same way);
 *  - bad-record sites are registered in the order lowering registers them,
 *    so the runtime reports them in the same order, with the same location,
 *    operator name, reason and sample;
 *  - keyed state lives in ds_tables probed and grown exactly as the
 *    generated probes do, with the same hash of every key type, so tables
 *    are walked in the same order and print(n) shows the same records.
 * Record order differs only where the fused loop interleaves two paths of
 * one record (a diamond such as s.map(f).union(s.map(g))): a batch there
 * holds the same records, path by path instead of record by record.
 *
 * Memory: a batch's Values, strings and lists live in the task's arena;
 * operator output vectors are malloc'd once per node and reused; state that
 * outlives a batch (tables, window panes) is deep-copied into arenas that
 * belong to it, and re-copied into a fresh arena after each update so that
 * nothing grows without bound.  One interpreted program per process.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desc.h"
#include "extern.h"
#include "interp.h"
#include "schema.h"

/* ---- values ----------------------------------------------------------------- */

typedef struct Value Value;
typedef struct Ent Ent;

enum { V_INT, V_DOUBLE, V_BOOL, V_STR, V_TUPLE, V_NONE, V_SOME, V_LIST, V_STATE };

struct Value {
	uint32_t tag;
	uint32_t n;  /* V_TUPLE: arity */
	int64_t len; /* V_STR: bytes; V_LIST: elements */
	union {
		int64_t i;    /* V_INT, V_BOOL (0/1) */
		double d;     /* V_DOUBLE */
		const char *s;/* V_STR */
		Value *v;     /* V_TUPLE: n; V_SOME: 1; V_LIST: len, room for the next power of two */
		Ent *ent;     /* V_STATE: mapWithState's entry of the key being processed */
	};
};

/* A table entry: a key, its value, and for mapWithState the time of the
 * last update (the value is then the Option of the state). */
struct Ent {
	Value k, v;
	int64_t time;
};

static inline Value vint(int64_t i) { return (Value){.tag = V_INT, .i = i}; }
static inline Value vdbl(double d) { return (Value){.tag = V_DOUBLE, .d = d}; }
static inline Value vbool(bool b) { return (Value){.tag = V_BOOL, .i = b}; }
static inline Value vstr(const char *p, int64_t n) { return (Value){.tag = V_STR, .len = n, .s = p}; }
static inline Value vstrs(ds_str s) { return vstr(s.p, s.n); }
static inline ds_str dstr(Value x) { return (ds_str){x.s, x.len}; }
static inline Value vnone(void) { return (Value){.tag = V_NONE}; }
static inline Value vlist0(void) { return (Value){.tag = V_LIST}; }

static Value vsome(ds_arena *a, Value x)
{
	Value *p = ds_arena_alloc(a, sizeof *p);
	*p = x;
	return (Value){.tag = V_SOME, .v = p};
}

static Value vpair(ds_arena *a, Value x, Value y)
{
	Value *p = ds_arena_alloc(a, 2 * sizeof *p);
	p[0] = x;
	p[1] = y;
	return (Value){.tag = V_TUPLE, .n = 2, .v = p};
}

static size_t pow2_at_least(int64_t n)
{
	size_t c = 1;
	while (c < (size_t)n)
		c <<= 1;
	return c;
}

/* Appends x to list *l (arena-grown: full when len is 0 or a power of two). */
static void list_push(ds_arena *a, Value *l, Value x)
{
	if ((l->len & (l->len - 1)) == 0) {
		size_t cap = l->len ? (size_t)l->len * 2 : 1;
		Value *nv = ds_arena_alloc(a, cap * sizeof *nv);
		if (l->len)
			memcpy(nv, l->v, (size_t)l->len * sizeof *nv);
		l->v = nv;
	}
	l->v[l->len++] = x;
}

/* A list of n elements to be filled in. */
static Value list_alloc(ds_arena *a, int64_t n)
{
	Value l = {.tag = V_LIST, .len = n};
	l.v = n ? ds_arena_alloc(a, pow2_at_least(n) * sizeof(Value)) : NULL;
	return l;
}

/* A deep copy into arena a: what a Value points to, copied. */
static Value vcopy(ds_arena *a, Value x)
{
	switch (x.tag) {
	case V_STR:
		if (x.len) {
			char *p = ds_arena_alloc(a, (size_t)x.len);
			memcpy(p, x.s, (size_t)x.len);
			x.s = p;
		}
		return x;
	case V_TUPLE: {
		Value *p = ds_arena_alloc(a, x.n * sizeof *p);
		for (uint32_t i = 0; i < x.n; i++)
			p[i] = vcopy(a, x.v[i]);
		x.v = p;
		return x;
	}
	case V_SOME:
		return vsome(a, vcopy(a, x.v[0]));
	case V_LIST: {
		Value l = list_alloc(a, x.len);
		for (int64_t i = 0; i < x.len; i++)
			l.v[i] = vcopy(a, x.v[i]);
		return l;
	}
	default:
		return x;
	}
}

/* The hash of every key type, as the generated code computes it. */
static uint64_t vhash(Value x)
{
	switch (x.tag) {
	case V_STR: return ds_hash_str(dstr(x));
	case V_INT: case V_BOOL: return ds_hash_i64(x.i);
	case V_DOUBLE: return ds_hash_f64(x.d);
	case V_TUPLE: {
		uint64_t h = 0;
		for (uint32_t i = 0; i < x.n; i++)
			h = ds_hash_combine(h, vhash(x.v[i]));
		return h;
	}
	case V_SOME: return ds_hash_combine(1, vhash(x.v[0]));
	case V_NONE: return ds_hash_i64(0);
	case V_LIST: {
		uint64_t h = ds_hash_i64(x.len);
		for (int64_t i = 0; i < x.len; i++)
			h = ds_hash_combine(h, vhash(x.v[i]));
		return h;
	}
	default: unreachable();
	}
}

/* Structural equality of two values of one type (Doubles as C compares them). */
static bool veq(Value a, Value b)
{
	if (a.tag != b.tag)
		return false;
	switch (a.tag) {
	case V_STR: return ds_str_eq(dstr(a), dstr(b));
	case V_INT: case V_BOOL: return a.i == b.i;
	case V_DOUBLE: return a.d == b.d;
	case V_NONE: return true;
	case V_SOME: return veq(a.v[0], b.v[0]);
	case V_TUPLE:
		for (uint32_t i = 0; i < a.n; i++)
			if (!veq(a.v[i], b.v[i]))
				return false;
		return true;
	case V_LIST:
		if (a.len != b.len)
			return false;
		for (int64_t i = 0; i < a.len; i++)
			if (!veq(a.v[i], b.v[i]))
				return false;
		return true;
	default: unreachable();
	}
}

/* As LANGUAGE.md prints records. */
static void vfmt(ds_buf *b, Value x)
{
	switch (x.tag) {
	case V_STR: ds_fmt_str(b, dstr(x)); return;
	case V_INT: ds_fmt_int(b, x.i); return;
	case V_BOOL: ds_fmt_bool(b, x.i != 0); return;
	case V_DOUBLE: ds_fmt_double(b, x.d); return;
	case V_NONE: ds_buf_put(b, "None", 4); return;
	case V_SOME:
		ds_buf_put(b, "Some(", 5);
		vfmt(b, x.v[0]);
		ds_buf_putc(b, ')');
		return;
	case V_TUPLE:
		ds_buf_putc(b, '(');
		for (uint32_t i = 0; i < x.n; i++) {
			if (i)
				ds_buf_putc(b, ',');
			vfmt(b, x.v[i]);
		}
		ds_buf_putc(b, ')');
		return;
	case V_LIST:
		ds_buf_putc(b, '[');
		for (int64_t i = 0; i < x.len; i++) {
			if (i)
				ds_buf_putc(b, ',');
			vfmt(b, x.v[i]);
		}
		ds_buf_putc(b, ']');
		return;
	default: unreachable();
	}
}

/* Scala's Double.toInt: truncates, saturates, NaN is 0. */
static int64_t double_to_int(double d)
{
	if (d != d)
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

/* ---- tables ------------------------------------------------------------------- */

/* A ds_table of Ents, probed as the generated upsert_/find_ probe.  Keys of
 * a persistent table are copied into its arena; spare is the arena a
 * refresh copies the live state into. */
typedef struct Table {
	ds_table t;
	ds_arena arena, spare;
} Table;

static Table *tab_new(void)
{
	Table *T = calloc(1, sizeof *T);
	if (!T)
		die("out of memory");
	ds_table_init(&T->t, DS_TABLE_HDR + sizeof(Ent));
	ds_arena_init(&T->arena);
	ds_arena_init(&T->spare);
	return T;
}

static void tab_free(Table *T)
{
	if (!T)
		return;
	ds_table_close(&T->t);
	ds_arena_close(&T->arena);
	ds_arena_close(&T->spare);
	free(T);
}

static inline Ent *tab_at(const Table *T, size_t i) { return ds_table_entry(&T->t, i); }

/* Finds k, or inserts a copy of it (in arena a) with a zeroed entry. */
static Ent *tab_upsert(Table *T, ds_arena *a, Value k, bool *fresh)
{
	ds_table *t = &T->t;
	if (ds_table_full(t))
		ds_table_grow(t);
	uint64_t h = vhash(k);
	size_t mask = t->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		Ent *e = tab_at(T, i);
		if (ds_table_hash(t, i) == 0) {
			ds_table_set_hash(t, i, h);
			t->count++;
			memset(e, 0, sizeof *e);
			e->k = vcopy(a, k);
			*fresh = true;
			return e;
		}
		if (ds_table_hash(t, i) == h && veq(e->k, k)) {
			*fresh = false;
			return e;
		}
	}
}

/* tab_find with the key's hash already known (same key type, same hash). */
static Ent *tab_findh(const Table *T, Value k, uint64_t h)
{
	const ds_table *t = &T->t;
	if (!t->count)
		return NULL;
	size_t mask = t->cap - 1, i = h & mask;
	for (uint64_t hi; (hi = ds_table_hash(t, i)); i = (i + 1) & mask) {
		Ent *e = tab_at(T, i);
		if (hi == h && veq(e->k, k))
			return e;
	}
	return NULL;
}

static Ent *tab_find(const Table *T, Value k)
{
	return T->t.count ? tab_findh(T, k, vhash(k)) : NULL;
}

#define TAB_FOR(T, i) for (size_t i = 0; i < (T)->t.cap; i++) if (ds_table_hash(&(T)->t, i))

static void tab_clear(Table *T)
{
	ds_table_clear(&T->t);
	ds_arena_reset(&T->arena);
}

/* The generated code's table swap: a takes b's entries and arena; b is
 * left empty, but its arena (a's old one) is kept: the records this batch
 * outputs still point into it.  Whoever fills b next resets it first. */
static void tab_swap(Table *a, Table *b)
{
	ds_table tt = a->t;
	a->t = b->t;
	b->t = tt;
	ds_arena ta = a->arena;
	a->arena = b->arena;
	b->arena = ta;
	ds_table_clear(&b->t);
}

/* Moves every key and value into a fresh arena (in place: the table's
 * layout, hence its order, is unchanged).  The old arena is dropped at the
 * next refresh, when nothing this batch output points into it any more. */
static void tab_refresh(Table *T)
{
	ds_arena_reset(&T->spare);
	TAB_FOR(T, i) {
		Ent *e = tab_at(T, i);
		e->k = vcopy(&T->spare, e->k);
		e->v = vcopy(&T->spare, e->v);
	}
	ds_arena ta = T->arena;
	T->arena = T->spare;
	T->spare = ta;
}

/* ---- the interpreter's state ----------------------------------------------------- */

/* A vector of records: one operator's output batch (malloc'd, reused). */
typedef struct Batch {
	Value *v;
	size_t n, cap;
} Batch;

static void batch_push(Batch *b, Value x)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->v = realloc(b->v, b->cap * sizeof *b->v);
		if (!b->v)
			die("out of memory");
	}
	b->v[b->n++] = x;
}

/* What one DNode keeps; which fields depends on the operator. */
typedef struct NodeRt {
	Batch out;        /* narrow operators and producers: the batch they made */
	Node *fn;         /* the operator's lambda argument, or NULL */
	Type *elem;       /* element type of the stream the node produces */
	Table *tab[4];    /* see node_init */
	ds_window win;
	bool has_win;
	int64_t count;    /* count(): this batch */
	bool has;         /* reduce(): a record was seen this batch */
	Value acc;        /* reduce(): the reduction so far */
	Batch mws_out;    /* mapWithState: the records this batch's calls returned */
	bool mws_unwrap;  /* mapWithState: an Option result emits its value or nothing */
	Type *state_t;    /* mapWithState, updateStateByKey: S */
	Type *val_t;      /* incremental windows: V */
	Schema sc;        /* binary sources: the record layout (sc.n == 0: a text source) */
	Batch sorted;     /* sortBy, sortByKey, top, takeOrdered: this batch's records,
			     each as (key, record) when the operator has a key function */
} NodeRt;

/* The interpreter's side of an extern call: every shim has this one
 * signature (interp_emit_shims), whatever the C function's. */
typedef union ds_ival {
	int64_t i; /* CK_I64, CK_I32 (the shim converts) */
	double d;
	bool b;
	struct {
		const char *p; /* CK_CSTR: NUL-terminated */
		size_t n;
	} s;
} ds_ival;

typedef struct Shim {
	const ExternFn *fn;
	void (*call)(const ds_ival *args, ds_ival *ret);
} Shim;

typedef struct ISite {
	Loc loc;
	const char *op;
} ISite;

typedef struct Interp {
	const Plan *p;
	ds_task *t;        /* the task being run (valid in init and run_batch) */
	NodeRt *nr;        /* by DNode id */
	Value *env;        /* by Symbol id: lambda parameters and block vals */
	int nenv;
	bool timing_out;   /* evaluating mapWithState's call for a key that times out */
	Vec sites;         /* ISite*, in the order lowering registers them */
	ds_site *rt_sites;
	ds_buf scratch;    /* toString and samples */
	void *dl;          /* the user's C and the shims (interp_emit_shims), or NULL */
	Vec shims;         /* Shim*: the extern functions called, resolved in dl */
} Interp;

static Interp *the_interp; /* the runtime's init/run_batch/close reach it here */

/* ---- bad-record sites ---------------------------------------------------------------- */

/* As lower.c's add_site: deduplicated by location and operator, in order of
 * first use. */
static void site_add(Interp *I, Loc loc, const char *op)
{
	for (int i = 0; i < I->sites.n; i++) {
		ISite *s = I->sites.v[i];
		if (s->loc.line == loc.line && s->loc.col == loc.col && !strcmp(s->op, op))
			return;
	}
	ISite *s = arena_alloc(sizeof *s);
	s->loc = loc;
	s->op = op;
	vec_push(&I->sites, s);
}

static int site_find(Interp *I, Loc loc, const char *op)
{
	for (int i = 0; i < I->sites.n; i++) {
		ISite *s = I->sites.v[i];
		if (s->loc.line == loc.line && s->loc.col == loc.col && !strcmp(s->op, op))
			return i;
	}
	die("bad-record site %s %s was not registered", loc_str(loc), op);
}

static bool is_double_t(Type *t) { return ty_resolve(t)->kind == TY_DOUBLE; }
static bool is_string_t(Type *t) { return ty_resolve(t)->kind == TY_STRING; }

/* The sites an expression can report from, in the order lowering checks them. */
static void sites_expr(Interp *I, Node *e, bool tout)
{
	switch (e->kind) {
	case N_NAME:
		if (e->sym && e->sym->kind == SYM_VAL)
			sites_expr(I, e->sym->def, tout);
		return;
	case N_TUPLE: case N_LIST:
		for (int i = 0; i < e->items.n; i++)
			sites_expr(I, e->items.v[i], tout);
		return;
	case N_INDEX:
		sites_expr(I, e->lhs, tout);
		sites_expr(I, e->rhs, tout);
		site_add(I, e->loc, "index");
		return;
	case N_FIELD: case N_UNARY:
		sites_expr(I, e->lhs, tout);
		return;
	case N_BINARY:
		sites_expr(I, e->lhs, tout);
		sites_expr(I, e->rhs, tout);
		if ((e->op == '/' || e->op == '%') && !is_double_t(e->lhs->type) && !is_double_t(e->rhs->type))
			site_add(I, e->lhs->loc, e->op == '/' ? "/" : "%");
		return;
	case N_COND:
		sites_expr(I, e->cond, tout);
		sites_expr(I, e->lhs, tout);
		sites_expr(I, e->rhs, tout);
		return;
	case N_BLOCK:
		for (int i = 0; i < e->items.n; i++) {
			Node *it = e->items.v[i];
			sites_expr(I, it->kind == N_LET ? it->lhs : it, tout);
		}
		return;
	case N_LAMBDA:
		sites_expr(I, e->lhs, tout);
		return;
	case N_CALL: {
		Node **a = (Node **)e->items.v;
		if (call_is_extern(e)) { /* C reports nothing: only its arguments can */
			for (int i = 0; i < e->items.n; i++)
				sites_expr(I, a[i], tout);
			return;
		}
		const BuiltinInfo *bi = call_builtin(e);
		if (bi->id == BI_LIST_MAP || bi->id == BI_LIST_FILTER || bi->id == BI_GET_OR_ELSE) {
			sites_expr(I, a[0], tout);
			sites_expr(I, a[1], tout);
			return;
		}
		for (int i = 0; i < e->items.n; i++)
			sites_expr(I, a[i], tout);
		switch (bi->id) {
		case BI_TO_INT: case BI_TO_DOUBLE:
			if (is_string_t(a[0]->type))
				site_add(I, e->loc, bi->name);
			break;
		case BI_SUBSTR: site_add(I, e->loc, "substr"); break;
		case BI_MIN: case BI_MAX: site_add(I, e->loc, bi->name); break;
		case BI_GET: site_add(I, e->loc, "get"); break;
		case BI_UPDATE:
			if (tout)
				site_add(I, e->loc, "update");
			break;
		default: break;
		}
		return;
	}
	default:
		return;
	}
}

static Node *lambda_of(const DNode *n) { return n->call->items.v[1]; }

static void sites_push(Interp *I, DNode *n);

static void sites_consumer(Interp *I, DNode *c, DNode *from)
{
	switch (c->op->id) {
	case OP_MAP: case OP_FILTER: case OP_MAP_VALUES: case OP_FLAT_MAP: case OP_FLAT_MAP_VALUES:
		sites_expr(I, lambda_of(c), false);
		sites_push(I, c);
		return;
	case OP_UNION: case OP_REPARTITION:
		sites_push(I, c);
		return;
	case OP_JOIN: case OP_LEFT_OUTER_JOIN: case OP_RIGHT_OUTER_JOIN: case OP_FULL_OUTER_JOIN:
	case OP_COGROUP:
		if (node_is_fused(c, from)) /* a probe of a static Dataset: its consumers are here */
			sites_push(I, c);
		return;
	case OP_REDUCE: case OP_REDUCE_BY_KEY:
		sites_expr(I, lambda_of(c), false);
		return;
	case OP_SORT_BY: case OP_TOP: case OP_TAKE_ORDERED:
		if (node_sort_key(c))
			sites_expr(I, node_sort_key(c), false);
		return;
	case OP_MAP_WITH_STATE:
		if (!(c->nin == 2 && from == c->in[1]))
			sites_expr(I, lambda_of(c), false);
		return;
	default:
		return;
	}
}

static void sites_push(Interp *I, DNode *n)
{
	for (int i = 0; i < n->consumers.n; i++)
		if (node_feeds(n, i))
			sites_consumer(I, n->consumers.v[i], n);
}

static bool is_inc(const DNode *n) { return n->op->cls == OPC_WINDOW && n->op->id != OP_WINDOW; }

/* Every site of the program, in lowering's order: the sources', then each
 * stage's, its producer's lambdas before its consumers'. */
static void sites_collect(Interp *I)
{
	const Plan *p = I->p;
	for (int i = 0; i < p->sources.n; i++) {
		DNode *s = p->sources.v[i];
		site_add(I, s->call->loc, s->op->name);
	}
	for (int i = 0; i < p->stages.n; i++) {
		DNode *n = ((Stage *)p->stages.v[i])->producer;
		if (n->op->id == OP_MAP_WITH_STATE && n->timeout_ms)
			sites_expr(I, lambda_of(n), true);
		else if (n->op->id == OP_UPDATE_STATE_BY_KEY)
			sites_expr(I, lambda_of(n), false);
		else if (is_inc(n)) {
			if (n->fn)
				sites_expr(I, n->fn, false);
			if (n->inv_fn)
				sites_expr(I, n->inv_fn, false);
			if (n->filter_fn)
				sites_expr(I, n->filter_fn, false);
		}
		sites_push(I, n);
	}
	I->rt_sites = arena_alloc(sizeof(ds_site) * (size_t)(I->sites.n + 1));
	for (int i = 0; i < I->sites.n; i++) {
		ISite *s = I->sites.v[i];
		I->rt_sites[i].loc = loc_str(s->loc);
		I->rt_sites[i].op = s->op;
	}
}

/* ---- expressions ------------------------------------------------------------------ */

static inline ds_arena *A(Interp *I) { return I->t->arena; }

static Value to_str(Interp *I, Value x)
{
	if (x.tag == V_STR)
		return x;
	I->scratch.len = 0;
	vfmt(&I->scratch, x);
	return vstrs(ds_buf_to_str(A(I), &I->scratch));
}

/* The record is bad: report it at (loc, op) and drop it (returns false). */
static bool bad(Interp *I, Loc loc, const char *op, const char *why, Value sample)
{
	ds_bad_record(I->t, site_find(I, loc, op), why, dstr(to_str(I, sample)));
	return false;
}

/* Does a value of type t have a Double where an Int may stand (tuples and
 * options are coerced through; lists are not)? */
static bool has_double_walk(Type *t)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_DOUBLE: return true;
	case TY_OPTION: return has_double_walk(t->elem);
	case TY_TUPLE:
		for (int i = 0; i < t->n; i++)
			if (has_double_walk(t->elems[i]))
				return true;
		return false;
	default: return false;
	}
}

/* has_double_walk, memoised by Type (checked types no longer change): it
 * is asked for every lambda argument and result. */
static struct {
	Type *t;
	bool yes;
} has_double_memo[256];

static bool has_double(Type *t)
{
	size_t h = ((uintptr_t)t >> 4) & 255;
	if (has_double_memo[h].t != t) {
		has_double_memo[h].t = t;
		has_double_memo[h].yes = has_double_walk(t);
	}
	return has_double_memo[h].yes;
}

/* Int -> Double where a Double is expected, through tuples and options. */
static Value coerce(Interp *I, Value x, Type *t)
{
	if (!has_double(t))
		return x;
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_DOUBLE:
		return x.tag == V_INT ? vdbl((double)x.i) : x;
	case TY_OPTION:
		return x.tag == V_SOME ? vsome(A(I), coerce(I, x.v[0], t->elem)) : x;
	case TY_TUPLE: {
		Value *p = ds_arena_alloc(A(I), x.n * sizeof *p);
		for (uint32_t i = 0; i < x.n; i++)
			p[i] = coerce(I, x.v[i], t->elems[i]);
		x.v = p;
		return x;
	}
	default:
		return x;
	}
}

static inline void bind(Interp *I, Symbol *s, Value v)
{
	if (s->id >= I->nenv) {
		int n = s->id * 2 + 16;
		I->env = realloc(I->env, sizeof(Value) * (size_t)n);
		if (!I->env)
			die("out of memory");
		memset(I->env + I->nenv, 0, sizeof(Value) * (size_t)(n - I->nenv));
		I->nenv = n;
	}
	I->env[s->id] = v;
}

static bool eval(Interp *I, Node *e, Value *out);

/* Applies a lambda: parameters bound (coerced to their types; a State as
 * it is), body evaluated.  False: the record is bad (already reported). */
static bool apply(Interp *I, Node *lam, int n, const Value *args, Value *out)
{
	ASSERT(lam->kind == N_LAMBDA && lam->params.n == n);
	for (int i = 0; i < n; i++) {
		Symbol *s = ((Param *)lam->params.v[i])->sym;
		bind(I, s, args[i].tag == V_STATE ? args[i] : coerce(I, args[i], s->type));
	}
	return eval(I, lam->lhs, out);
}

static bool apply1(Interp *I, Node *lam, Value a, Value *out) { return apply(I, lam, 1, &a, out); }
static bool apply2(Interp *I, Node *lam, Value a, Value b, Value *out)
{
	Value args[2] = {a, b};
	return apply(I, lam, 2, args, out);
}

static int cmp_values(Value l, Value r)
{
	switch (l.tag) {
	case V_INT: case V_BOOL: return (l.i > r.i) - (l.i < r.i);
	case V_STR: return ds_str_cmp(dstr(l), dstr(r));
	default: unreachable();
	}
}

/* The order of a sort (lang/SPEC.md §9.3), as the generated cmp_ helpers. */
static int vorder(Value a, Value b)
{
	switch (a.tag) {
	case V_INT: case V_BOOL: return ds_cmp_i64(a.i, b.i);
	case V_DOUBLE: return ds_cmp_f64(a.d, b.d);
	case V_STR: return ds_str_cmp(dstr(a), dstr(b));
	case V_NONE: case V_SOME:
		if (a.tag != b.tag)
			return a.tag == V_NONE ? -1 : 1;
		return a.tag == V_NONE ? 0 : vorder(a.v[0], b.v[0]);
	case V_TUPLE:
		for (uint32_t i = 0; i < a.n; i++) {
			int c = vorder(a.v[i], b.v[i]);
			if (c)
				return c;
		}
		return 0;
	case V_LIST:
		for (int64_t i = 0; i < a.len && i < b.len; i++) {
			int c = vorder(a.v[i], b.v[i]);
			if (c)
				return c;
		}
		return ds_cmp_i64(a.len, b.len);
	default: unreachable();
	}
}

static int vorder_p(const void *a, const void *b) { return vorder(*(const Value *)a, *(const Value *)b); }

static bool compare(int op, double c)
{
	switch (op) {
	case '<': return c < 0;
	case '>': return c > 0;
	case OP_LE: return c <= 0;
	case OP_GE: return c >= 0;
	default: unreachable();
	}
}

static bool eval_binary(Interp *I, Node *e, Value *out)
{
	Value l, r;
	if (e->op == OP_AND || e->op == OP_OR) {
		if (!eval(I, e->lhs, &l))
			return false;
		if ((e->op == OP_AND) != (l.i != 0)) {
			*out = l;
			return true;
		}
		return eval(I, e->rhs, out);
	}
	if (!eval(I, e->lhs, &l) || !eval(I, e->rhs, &r))
		return false;
	Type *lt = ty_resolve(e->lhs->type), *rt = ty_resolve(e->rhs->type);
	bool num = ty_is_numeric(lt) && ty_is_numeric(rt);
	bool dbl = num && (lt->kind == TY_DOUBLE || rt->kind == TY_DOUBLE);
	if (dbl) {
		double a = l.tag == V_INT ? (double)l.i : l.d, b = r.tag == V_INT ? (double)r.i : r.d;
		switch (e->op) {
		case '+': *out = vdbl(a + b); return true;
		case '-': *out = vdbl(a - b); return true;
		case '*': *out = vdbl(a * b); return true;
		case '/': *out = vdbl(a / b); return true;
		case '%': *out = vdbl(fmod(a, b)); return true;
		case OP_EQ: *out = vbool(a == b); return true;
		case OP_NE: *out = vbool(!(a == b)); return true;
		case '<': *out = vbool(a < b); return true;
		case '>': *out = vbool(a > b); return true;
		case OP_LE: *out = vbool(a <= b); return true;
		case OP_GE: *out = vbool(a >= b); return true;
		default: unreachable();
		}
	}
	switch (e->op) {
	case '+':
		if (num) {
			*out = vint(ds_add(l.i, r.i));
		} else if (lt->kind == TY_LIST) {
			Value c = list_alloc(A(I), l.len + r.len);
			if (l.len)
				memcpy(c.v, l.v, (size_t)l.len * sizeof(Value));
			if (r.len)
				memcpy(c.v + l.len, r.v, (size_t)r.len * sizeof(Value));
			*out = c;
		} else {
			*out = vstrs(ds_concat(A(I), dstr(to_str(I, l)), dstr(to_str(I, r))));
		}
		return true;
	case '-': *out = vint(ds_sub(l.i, r.i)); return true;
	case '*': *out = vint(ds_mul(l.i, r.i)); return true;
	case '/': case '%': {
		int64_t q;
		if (!(e->op == '/' ? ds_div(l.i, r.i, &q) : ds_mod(l.i, r.i, &q)))
			return bad(I, e->lhs->loc, e->op == '/' ? "/" : "%", "division by zero", l);
		*out = vint(q);
		return true;
	}
	case OP_EQ: *out = vbool(veq(l, r)); return true;
	case OP_NE: *out = vbool(!veq(l, r)); return true;
	case '<': case '>': case OP_LE: case OP_GE:
		*out = vbool(compare(e->op, cmp_values(l, r)));
		return true;
	default: unreachable();
	}
}

/* mapWithState's State: the key's entry, whose value is Option[S] and whose
 * time is that of the last update. */
static bool eval_state_call(Interp *I, Node *e, BuiltinId id, Value *a, Value *out)
{
	Ent *ent = a[0].ent;
	switch (id) {
	case BI_EXISTS: *out = vbool(ent->v.tag == V_SOME); return true;
	case BI_GET_OPTION: *out = ent->v; return true;
	case BI_GET:
		if (ent->v.tag != V_SOME)
			return bad(I, e->loc, "get", "State.get on a key without state", ent->k);
		*out = ent->v.v[0];
		return true;
	case BI_IS_TIMING_OUT: *out = vbool(I->timing_out); return true;
	case BI_UPDATE: {
		if (I->timing_out) /* as Spark: "Cannot update the state that is timing out" */
			return bad(I, e->loc, "update", "cannot update a state that is timing out", ent->k);
		Type *S = ty_resolve(((Node *)e->items.v[0])->type)->elem;
		ent->v = vsome(A(I), coerce(I, a[1], S));
		ent->time = I->t->batch_time;
		*out = vbool(true);
		return true;
	}
	case BI_REMOVE:
		ent->v = vnone();
		*out = vbool(true);
		return true;
	default: unreachable();
	}
}

static bool eval_builtin(Interp *I, Node *e, Value *out)
{
	const BuiltinInfo *bi = call_builtin(e);
	Node **an = (Node **)e->items.v;
	Value a[4];
	Type *t = e->type;
	switch (bi->id) {
	case BI_GET_OR_ELSE: {
		Value o;
		if (!eval(I, an[0], &o))
			return false;
		if (o.tag == V_SOME) {
			*out = coerce(I, o.v[0], t);
			return true;
		}
		if (!eval(I, an[1], out))
			return false;
		*out = coerce(I, *out, t);
		return true;
	}
	case BI_LIST_MAP: case BI_LIST_FILTER: {
		Value xs;
		if (!eval(I, an[0], &xs))
			return false;
		Type *el = ty_resolve(t)->elem;
		Value r = list_alloc(A(I), xs.len);
		r.len = 0;
		for (int64_t i = 0; i < xs.len; i++) {
			Value y;
			if (!apply1(I, an[1], xs.v[i], &y))
				return false;
			if (bi->id == BI_LIST_MAP)
				r.v[r.len++] = coerce(I, y, el);
			else if (y.i)
				r.v[r.len++] = xs.v[i];
		}
		*out = r;
		return true;
	}
	default:
		break;
	}
	for (int i = 0; i < e->items.n; i++)
		if (!eval(I, an[i], &a[i]))
			return false;
	switch (bi->id) {
	case BI_SPLIT: case BI_CHARS: {
		ds_list l = bi->id == BI_SPLIT ? ds_split(A(I), dstr(a[0]), dstr(a[1])) : ds_chars(A(I), dstr(a[0]));
		Value r = list_alloc(A(I), l.len);
		for (int64_t i = 0; i < l.len; i++)
			r.v[i] = vstrs(((ds_str *)l.data)[i]);
		*out = r;
		return true;
	}
	case BI_TO_INT: case BI_TO_DOUBLE: {
		bool to_int = bi->id == BI_TO_INT;
		if (a[0].tag == V_INT) {
			*out = to_int ? a[0] : vdbl((double)a[0].i);
			return true;
		}
		if (a[0].tag == V_DOUBLE) {
			*out = to_int ? vint(double_to_int(a[0].d)) : a[0];
			return true;
		}
		if (to_int) {
			int64_t v;
			if (!ds_to_int(dstr(a[0]), &v))
				return bad(I, e->loc, bi->name, "not an integer", a[0]);
			*out = vint(v);
		} else {
			double v;
			if (!ds_to_double(dstr(a[0]), &v))
				return bad(I, e->loc, bi->name, "not a number", a[0]);
			*out = vdbl(v);
		}
		return true;
	}
	case BI_TO_STRING: *out = to_str(I, a[0]); return true;
	case BI_LEN: *out = vint(a[0].len); return true;
	case BI_LOWER: *out = vstrs(ds_lower(A(I), dstr(a[0]))); return true;
	case BI_UPPER: *out = vstrs(ds_upper(A(I), dstr(a[0]))); return true;
	case BI_TRIM: *out = vstrs(ds_trim(dstr(a[0]))); return true;
	case BI_CONTAINS: *out = vbool(ds_contains(dstr(a[0]), dstr(a[1]))); return true;
	case BI_STARTS_WITH: *out = vbool(ds_starts_with(dstr(a[0]), dstr(a[1]))); return true;
	case BI_ENDS_WITH: *out = vbool(ds_ends_with(dstr(a[0]), dstr(a[1]))); return true;
	case BI_SUBSTR: {
		ds_str s;
		if (!ds_substr(dstr(a[0]), a[1].i, a[2].i, &s))
			return bad(I, e->loc, "substr", "index out of range", a[0]);
		*out = vstrs(s);
		return true;
	}
	case BI_SUM:
		if (is_double_t(t)) {
			double s = 0;
			for (int64_t i = 0; i < a[0].len; i++)
				s += a[0].v[i].tag == V_INT ? (double)a[0].v[i].i : a[0].v[i].d;
			*out = vdbl(s);
		} else {
			int64_t s = 0;
			for (int64_t i = 0; i < a[0].len; i++)
				s = ds_add(s, a[0].v[i].i);
			*out = vint(s);
		}
		return true;
	case BI_MIN: case BI_MAX: {
		if (a[0].len <= 0)
			return bad(I, e->loc, bi->name, "empty list", vstr("[]", 2));
		Value acc = a[0].v[0];
		bool is_min = bi->id == BI_MIN;
		for (int64_t i = 1; i < a[0].len; i++) {
			Value x = a[0].v[i];
			bool better = x.tag == V_DOUBLE ? (is_min ? x.d < acc.d : x.d > acc.d)
							: (is_min ? cmp_values(x, acc) < 0 : cmp_values(x, acc) > 0);
			if (better)
				acc = x;
		}
		*out = acc;
		return true;
	}
	case BI_ABS:
		if (a[0].tag == V_INT)
			*out = a[0].i < 0 ? vint(ds_neg(a[0].i)) : a[0];
		else
			*out = a[0].d < 0 ? vdbl(-a[0].d) : a[0];
		return true;
	case BI_SOME: *out = vsome(A(I), coerce(I, a[0], ty_resolve(t)->elem)); return true;
	case BI_IS_EMPTY: *out = vbool(a[0].tag != V_SOME); return true;
	case BI_IS_DEFINED: *out = vbool(a[0].tag == V_SOME); return true;
	case BI_BATCH_TIME: *out = vint(I->t->batch_time); return true;
	case BI_COUNTER:
		*out = vint(ds_counter_add(I->t, counter_index(I->p->cp, const_value(e->items.v[0])->str),
					   e->items.n == 2 ? a[1].i : 1));
		return true;
	case BI_PARAM: /* the run's value, as the compiled engines read it */
		switch (ty_resolve(t)->kind) {
		case TY_INT: *out = vint(ds_param_int(I->t, (int)e->ival)); return true;
		case TY_DOUBLE: *out = vdbl(ds_param_double(I->t, (int)e->ival)); return true;
		case TY_BOOL: *out = vbool(ds_param_bool(I->t, (int)e->ival)); return true;
		case TY_STRING: *out = vstrs(ds_param_str(I->t, (int)e->ival)); return true;
		default: unreachable();
		}
	case BI_EXISTS: case BI_GET_OPTION: case BI_UPDATE: case BI_REMOVE: case BI_IS_TIMING_OUT:
		return eval_state_call(I, e, bi->id, a, out);
	case BI_GET:
		if (a[0].tag == V_STATE)
			return eval_state_call(I, e, bi->id, a, out);
		if (a[0].tag != V_SOME)
			return bad(I, e->loc, "get", "None.get", vstr("None", 4));
		*out = a[0].v[0];
		return true;
	default:
		die("builtin %s is not interpreted", bi->name);
	}
}

/* f(args) of an extern C function, through its shim: each argument crosses
 * as the C signature says (extern.h), as the compiled call passes it. */
static bool eval_extern(Interp *I, Node *e, Value *out)
{
	const ExternFn *fn = call_extern(e);
	Shim *sh = NULL;
	for (int i = 0; i < I->shims.n && !sh; i++)
		if (((Shim *)I->shims.v[i])->fn == fn)
			sh = I->shims.v[i];
	ASSERT(sh && sh->call);
	ds_ival *a = ds_arena_alloc(A(I), sizeof *a * (size_t)(fn->nparams ? fn->nparams : 1));
	for (int i = 0; i < fn->nparams; i++) {
		Value v;
		if (!eval(I, e->items.v[i], &v))
			return false;
		v = coerce(I, v, fn->params[i].type);
		switch (fn->params[i].ck) {
		case CK_I64: case CK_I32: a[i].i = v.i; break;
		case CK_DOUBLE: a[i].d = v.d; break;
		case CK_BOOL: a[i].b = v.i != 0; break;
		case CK_STR_LEN: a[i].s.p = v.s; a[i].s.n = (size_t)v.len; break;
		case CK_CSTR: a[i].s.p = ds_str_cstr(A(I), dstr(v)); a[i].s.n = (size_t)v.len; break;
		default: unreachable();
		}
	}
	ds_ival r = {0};
	sh->call(a, &r);
	switch (fn->ret) {
	case CK_VOID: *out = vint(0); break;
	case CK_I64: case CK_I32: *out = vint(r.i); break;
	case CK_DOUBLE: *out = vdbl(r.d); break;
	case CK_BOOL: *out = vbool(r.b); break;
	case CK_CSTR: *out = vstrs(ds_cstr_copy(A(I), r.s.p)); break;
	default: unreachable();
	}
	return true;
}

/* Evaluates e into *out; false when the record is bad (already reported). */
static bool eval(Interp *I, Node *e, Value *out)
{
	switch (e->kind) {
	case N_INT: case N_DURATION: *out = vint(e->ival); return true;
	case N_DOUBLE: *out = vdbl(e->dval); return true;
	case N_BOOL: *out = vbool(e->ival != 0); return true;
	case N_STRING: *out = vstr(e->str, (int64_t)e->slen); return true;
	case N_NAME:
		if (!e->sym) {
			ASSERT(!strcmp(e->name, "None"));
			*out = vnone();
			return true;
		}
		if (e->sym->kind == SYM_VAL) /* a constant */
			return eval(I, e->sym->def, out);
		ASSERT(e->sym->id < I->nenv);
		*out = I->env[e->sym->id];
		return true;
	case N_TUPLE: {
		Type *t = ty_resolve(e->type);
		Value *p = ds_arena_alloc(A(I), (size_t)e->items.n * sizeof *p);
		for (int i = 0; i < e->items.n; i++) {
			if (!eval(I, e->items.v[i], &p[i]))
				return false;
			p[i] = coerce(I, p[i], t->elems[i]);
		}
		*out = (Value){.tag = V_TUPLE, .n = (uint32_t)e->items.n, .v = p};
		return true;
	}
	case N_LIST: {
		Type *el = ty_resolve(e->type)->elem;
		Value l = list_alloc(A(I), e->items.n);
		for (int i = 0; i < e->items.n; i++) {
			if (!eval(I, e->items.v[i], &l.v[i]))
				return false;
			l.v[i] = coerce(I, l.v[i], el);
		}
		*out = l;
		return true;
	}
	case N_INDEX: {
		Value xs, i;
		if (!eval(I, e->lhs, &xs) || !eval(I, e->rhs, &i))
			return false;
		if (i.i < 0 || i.i >= xs.len)
			return bad(I, e->loc, "index", "index out of range", i);
		*out = xs.v[i.i];
		return true;
	}
	case N_FIELD: {
		Value t;
		if (!eval(I, e->lhs, &t))
			return false;
		*out = t.v[e->ival - 1];
		return true;
	}
	case N_CALL:
		ASSERT(!call_is_op(e));
		return call_is_extern(e) ? eval_extern(I, e, out) : eval_builtin(I, e, out);
	case N_UNARY: {
		Value x;
		if (!eval(I, e->lhs, &x))
			return false;
		if (e->op == '!')
			*out = vbool(!x.i);
		else
			*out = x.tag == V_INT ? vint(ds_neg(x.i)) : vdbl(-x.d);
		return true;
	}
	case N_BINARY:
		return eval_binary(I, e, out);
	case N_COND: {
		Value c;
		if (!eval(I, e->cond, &c) || !eval(I, c.i ? e->lhs : e->rhs, out))
			return false;
		*out = coerce(I, *out, e->type);
		return true;
	}
	case N_BLOCK: {
		bool have = false;
		for (int i = 0; i < e->items.n; i++) {
			Node *it = e->items.v[i];
			Value v;
			if (!eval(I, it->kind == N_LET ? it->lhs : it, &v))
				return false;
			if (it->kind == N_LET) {
				bind(I, it->sym, v);
				have = false;
			} else {
				*out = v;
				have = true;
			}
		}
		ASSERT(have);
		return true;
	}
	case N_LET: case N_LAMBDA: case N_PLACEHOLDER:
		break;
	}
	die("cannot evaluate node kind %d", e->kind);
}

/* ---- operators --------------------------------------------------------------------- */

static void push(Interp *I, DNode *n, const Batch *b);

static Type *elem_of(Type *stream) { return ty_resolve(ty_resolve(stream)->elem); }

/* A record reaching a join side (both sides, for s.join(s)): appended to
 * its key's values; a static side's table keeps copies. */
static void join_input(Interp *I, DNode *c, DNode *from, const Batch *b)
{
	NodeRt *r = &I->nr[c->id];
	for (int side = 0; side < 2; side++) {
		if (c->in[side] != from)
			continue;
		Table *T = r->tab[side];
		bool keep = c->in[side]->is_static;
		ds_arena *a = keep ? &T->arena : A(I);
		for (size_t i = 0; i < b->n; i++) {
			Value kv = b->v[i];
			bool fresh;
			Ent *e = tab_upsert(T, a, kv.v[0], &fresh);
			if (fresh)
				e->v = vlist0();
			list_push(a, &e->v, keep ? vcopy(a, kv.v[1]) : kv.v[1]);
		}
	}
}

/* A join of a stream with a static Dataset that the planner fused into the
 * stream's side (plan.c: static_join_side): each record probes the
 * Dataset's table, one record per match; with leftOuterJoin (or
 * rightOuterJoin, the Dataset on the left) a miss gives None. */
static void join_probe(Interp *I, DNode *c, const Batch *b)
{
	NodeRt *r = &I->nr[c->id];
	int fixed = c->static_side, drive = 1 - fixed;
	bool optional = c->op->id == OP_LEFT_OUTER_JOIN || c->op->id == OP_RIGHT_OUTER_JOIN;
	Table *T = r->tab[fixed];
	ds_arena *a = A(I);
	r->out.n = 0;
	for (size_t i = 0; i < b->n; i++) {
		Value kv = b->v[i];
		Ent *m = tab_find(T, kv.v[0]);
		if (m) {
			for (int64_t j = 0; j < m->v.len; j++) {
				Value y = optional ? vsome(a, m->v.v[j]) : m->v.v[j];
				Value vw = drive ? vpair(a, y, kv.v[1]) : vpair(a, kv.v[1], y);
				batch_push(&r->out, vpair(a, kv.v[0], vw));
			}
		} else if (optional) {
			Value vw = drive ? vpair(a, vnone(), kv.v[1]) : vpair(a, kv.v[1], vnone());
			batch_push(&r->out, vpair(a, kv.v[0], vw));
		}
	}
}

/* The initial state Dataset's (key, state) pairs, before the first batch;
 * mapWithState's count as updated at time 0. */
static void initial_state(Interp *I, DNode *n, const Batch *b)
{
	NodeRt *r = &I->nr[n->id];
	Table *S = r->tab[n->op->id == OP_MAP_WITH_STATE ? 0 : 1];
	for (size_t i = 0; i < b->n; i++) {
		Value kv = b->v[i];
		bool fresh;
		Ent *e = tab_upsert(S, &S->arena, kv.v[0], &fresh);
		e->v = vsome(&S->arena, vcopy(&S->arena, coerce(I, kv.v[1], r->state_t)));
		e->time = 0;
	}
}

/* A mapWithState call's result: an Option emits its value or nothing. */
static void mws_emit(Interp *I, NodeRt *r, Value x, Batch *into)
{
	if (r->mws_unwrap) {
		if (x.tag != V_SOME)
			return;
		x = x.v[0];
	}
	batch_push(into, coerce(I, x, r->elem));
}

/* mapWithState, per record in arrival order: the key's entry (found or
 * made) is the State the function sees; its result is kept for the
 * operator's stage. */
static void mws_records(Interp *I, DNode *n, const Batch *b)
{
	NodeRt *r = &I->nr[n->id];
	Table *S = r->tab[0];
	Node *f = r->fn;
	for (size_t i = 0; i < b->n; i++) {
		Value kv = b->v[i];
		bool fresh;
		Ent *e = tab_upsert(S, A(I), kv.v[0], &fresh);
		if (fresh)
			e->v = vnone();
		Value args[3] = {kv.v[0], vsome(A(I), kv.v[1]), {.tag = V_STATE, .ent = e}};
		I->timing_out = false;
		Value x;
		if (!apply(I, f, 3, args, &x))
			continue;
		if (n->timeout_ms && e->v.tag == V_SOME) /* as Spark: a record refreshes a live state */
			e->time = I->t->batch_time;
		mws_emit(I, r, x, &r->mws_out);
	}
}

/* A foreachRDD / foreachRecord record's fields, typed, after its text: a
 * tuple's elements or the record itself; composites as their text. */
static void out_fields(Interp *I, int out, Type *t, Value x)
{
	int nf = t->kind == TY_TUPLE ? t->n : 1;
	for (int k = 0; k < nf; k++) {
		Type *ft = ty_resolve(t->kind == TY_TUPLE ? t->elems[k] : t);
		Value v = t->kind == TY_TUPLE ? x.v[k] : x;
		switch (ft->kind) {
		case TY_INT: ds_out_field_int(I->t, out, v.i); break;
		case TY_DOUBLE: ds_out_field_double(I->t, out, v.tag == V_INT ? (double)v.i : v.d); break;
		case TY_BOOL: ds_out_field_bool(I->t, out, v.i != 0); break;
		default: ds_out_field_str(I->t, out, dstr(to_str(I, v))); break;
		}
	}
}

/* One consumer c of the batch b that from produced. */
static void consume(Interp *I, DNode *c, DNode *from, const Batch *b)
{
	NodeRt *r = &I->nr[c->id];
	Batch *out = &r->out;
	Node *f = r->fn;
	Value x;
	switch (c->op->id) {
	case OP_MAP:
		out->n = 0;
		for (size_t i = 0; i < b->n; i++)
			if (apply1(I, f, b->v[i], &x))
				batch_push(out, coerce(I, x, r->elem));
		push(I, c, out);
		return;
	case OP_FILTER:
		out->n = 0;
		for (size_t i = 0; i < b->n; i++)
			if (apply1(I, f, b->v[i], &x) && x.i)
				batch_push(out, b->v[i]);
		push(I, c, out);
		return;
	case OP_MAP_VALUES: {
		Type *vt = r->elem->elems[1];
		out->n = 0;
		for (size_t i = 0; i < b->n; i++) {
			Value kv = b->v[i];
			if (apply1(I, f, kv.v[1], &x))
				batch_push(out, vpair(A(I), kv.v[0], coerce(I, x, vt)));
		}
		push(I, c, out);
		return;
	}
	case OP_FLAT_MAP: case OP_FLAT_MAP_VALUES: {
		bool values = c->op->id == OP_FLAT_MAP_VALUES;
		out->n = 0;
		for (size_t i = 0; i < b->n; i++) {
			Value rec = b->v[i];
			if (!apply1(I, f, values ? rec.v[1] : rec, &x))
				continue;
			Value *els = x.tag == V_LIST ? x.v : x.tag == V_SOME ? x.v : NULL;
			int64_t nel = x.tag == V_LIST ? x.len : x.tag == V_SOME ? 1 : 0;
			for (int64_t j = 0; j < nel; j++)
				batch_push(out, values ? vpair(A(I), rec.v[0], els[j]) : coerce(I, els[j], r->elem));
		}
		push(I, c, out);
		return;
	}
	case OP_UNION: case OP_REPARTITION:
		/* the same records: repartition only changes how workers split them */
		push(I, c, b);
		return;

	case OP_COUNT:
		r->count += (int64_t)b->n;
		return;
	case OP_REDUCE:
		for (size_t i = 0; i < b->n; i++) {
			if (!r->has) {
				r->acc = b->v[i];
				r->has = true;
			} else if (apply2(I, f, r->acc, b->v[i], &x)) {
				r->acc = coerce(I, x, r->elem);
			}
		}
		return;
	case OP_SORT_BY: case OP_SORT_BY_KEY: case OP_TOP: case OP_TAKE_ORDERED: {
		Node *key = node_sort_key(c);
		for (size_t i = 0; i < b->n; i++)
			if (!key)
				batch_push(&r->sorted, b->v[i]);
			else if (apply1(I, key, b->v[i], &x))
				batch_push(&r->sorted, vpair(A(I), coerce(I, x, key->type), b->v[i]));
		return;
	}
	case OP_UPDATE_STATE_BY_KEY: case OP_MAP_WITH_STATE:
		if (c->nin == 2 && from == c->in[1]) {
			initial_state(I, c, b);
			return;
		}
		if (c->op->id == OP_MAP_WITH_STATE) {
			mws_records(I, c, b);
			return;
		}
		/* fall through - updateStateByKey groups the batch's values */
	case OP_GROUP_BY_KEY: {
		Table *T = r->tab[0];
		for (size_t i = 0; i < b->n; i++) {
			bool fresh;
			Ent *e = tab_upsert(T, A(I), b->v[i].v[0], &fresh);
			if (fresh)
				e->v = vlist0();
			list_push(A(I), &e->v, b->v[i].v[1]);
		}
		return;
	}
	case OP_COUNT_BY_VALUE: {
		Table *T = r->tab[0];
		for (size_t i = 0; i < b->n; i++) {
			bool fresh;
			Ent *e = tab_upsert(T, A(I), b->v[i], &fresh);
			e->v = vint(fresh ? 1 : e->v.i + 1);
		}
		return;
	}
	case OP_REDUCE_BY_KEY: {
		Table *T = r->tab[0];
		Type *vt = r->elem->elems[1];
		for (size_t i = 0; i < b->n; i++) {
			Value kv = b->v[i];
			bool fresh;
			Ent *e = tab_upsert(T, A(I), kv.v[0], &fresh);
			if (fresh)
				e->v = kv.v[1];
			else if (apply2(I, f, e->v, kv.v[1], &x))
				e->v = coerce(I, x, vt);
		}
		return;
	}
	case OP_JOIN: case OP_LEFT_OUTER_JOIN: case OP_RIGHT_OUTER_JOIN: case OP_FULL_OUTER_JOIN:
	case OP_COGROUP:
		if (node_is_fused(c, from)) {
			join_probe(I, c, b);
			push(I, c, out);
		} else {
			join_input(I, c, from, b);
		}
		return;
	case OP_STATE_SNAPSHOTS:
		return; /* its stage reads the state after the batch */
	case OP_WINDOW: case OP_REDUCE_BY_KEY_AND_WINDOW: case OP_REDUCE_BY_WINDOW: case OP_COUNT_BY_WINDOW:
	case OP_COUNT_BY_VALUE_AND_WINDOW: {
		ds_pane *pane = &r->win.panes[r->win.cur];
		for (size_t i = 0; i < b->n; i++)
			*(Value *)ds_pane_push(pane, sizeof(Value)) = vcopy(&pane->arena, b->v[i]);
		return;
	}
	case OP_PRINT: case OP_SAVE_AS_TEXT_FILES:
		for (size_t i = 0; i < b->n; i++) {
			ds_buf *buf = ds_out_begin(I->t, c->out_index);
			if (buf) {
				vfmt(buf, b->v[i]);
				ds_out_end(I->t, c->out_index);
			}
		}
		return;
	case OP_FOREACH_RDD: case OP_FOREACH_RECORD: case OP_SAVE_TO_KAFKA: case OP_SAVE_TO_POSTGRES:
	case OP_SAVE_TO_REDIS:
		for (size_t i = 0; i < b->n; i++) {
			ds_buf *buf = ds_out_begin(I->t, c->out_index);
			if (buf) {
				vfmt(buf, b->v[i]);
				out_fields(I, c->out_index, elem_of(c->in[0]->type), b->v[i]);
				ds_out_end(I->t, c->out_index);
			}
		}
		return;
	default:
		die("operator %s is not interpreted", c->op->name);
	}
}

static void push(Interp *I, DNode *n, const Batch *b)
{
	for (int i = 0; i < n->consumers.n; i++)
		if (node_feeds(n, i))
			consume(I, n->consumers.v[i], n, b);
}

/* ---- stages ------------------------------------------------------------------------ */

static bool at_slide(Interp *I, int64_t slide) { return I->t->batch_time % slide == 0; }

/* The join's result: every key of the driving side probed in the other;
 * join and leftOuterJoin drive from the left, rightOuterJoin from the
 * right, fullOuterJoin and cogroup then visit the keys only the right
 * side has.  Records are (k, (v, w)) with Options and Lists as Spark's. */
/* A sort's stage: the batch by (key, record), in order or reversed, all of
 * it or the first n (lowering's lower_sorted). */
static void stage_sorted(Interp *I, DNode *n, Batch *out)
{
	NodeRt *r = &I->nr[n->id];
	Node **args = (Node **)n->call->items.v + 1;
	int nargs = n->call->items.n - 1;
	qsort(r->sorted.v, r->sorted.n, sizeof(Value), vorder_p);
	bool asc = n->op->id != OP_TOP;
	Node *flag = n->op->id == OP_SORT_BY && nargs >= 2 ? args[1] : n->op->id == OP_SORT_BY_KEY && nargs >= 1 ? args[0]
														      : NULL;
	Value v;
	if (flag && eval(I, flag, &v))
		asc = v.i != 0;
	int64_t len = (int64_t)r->sorted.n, k = len;
	if ((n->op->id == OP_TOP || n->op->id == OP_TAKE_ORDERED) && eval(I, args[0], &v))
		k = v.i < 0 ? 0 : v.i > len ? len : v.i;
	bool keyed = node_sort_key(n) != NULL;
	for (int64_t i = 0; i < k; i++) {
		Value x = r->sorted.v[asc ? i : len - 1 - i];
		batch_push(out, keyed ? x.v[1] : x);
	}
}

static void stage_join(Interp *I, DNode *n, Batch *out)
{
	NodeRt *r = &I->nr[n->id];
	OpId op = n->op->id;
	ds_arena *a = A(I);
	int passes = op == OP_FULL_OUTER_JOIN || op == OP_COGROUP ? 2 : 1;
	for (int pass = 0; pass < passes; pass++) {
		int drive = (op == OP_RIGHT_OUTER_JOIN || pass == 1) ? 1 : 0, other = 1 - drive;
		Table *D = r->tab[drive], *O = r->tab[other];
		bool other_opt = op == OP_FULL_OUTER_JOIN || (op == OP_LEFT_OUTER_JOIN && !drive) ||
				 (op == OP_RIGHT_OUTER_JOIN && drive);
		bool mine_opt = op == OP_FULL_OUTER_JOIN;
		TAB_FOR(D, i) {
			Ent *e = tab_at(D, i);
			Ent *m = tab_find(O, e->k);
			if (pass == 1 && m)
				continue; /* done in pass 0 */
			if (op == OP_COGROUP) {
				Value theirs = m ? m->v : vlist0();
				Value vw = drive ? vpair(a, theirs, e->v) : vpair(a, e->v, theirs);
				batch_push(out, vpair(a, e->k, vw));
				continue;
			}
			for (int64_t j = 0; j < e->v.len; j++) {
				Value xv = mine_opt ? vsome(a, e->v.v[j]) : e->v.v[j];
				if (m) {
					for (int64_t k = 0; k < m->v.len; k++) {
						Value yv = other_opt ? vsome(a, m->v.v[k]) : m->v.v[k];
						Value vw = drive ? vpair(a, yv, xv) : vpair(a, xv, yv);
						batch_push(out, vpair(a, e->k, vw));
					}
				} else if (other_opt) {
					Value vw = drive ? vpair(a, vnone(), xv) : vpair(a, xv, vnone());
					batch_push(out, vpair(a, e->k, vw));
				}
			}
		}
	}
}

/* mapWithState's stage: keys idle past the timeout get one more call
 * (value None, isTimingOut true) and are dropped, removed keys are
 * dropped, the rest is compacted into the next table; then the records
 * this batch's calls returned. */
static void stage_map_with_state(Interp *I, DNode *n, Batch *out)
{
	NodeRt *r = &I->nr[n->id];
	Table *S = r->tab[0], *N = r->tab[1];
	int64_t T = I->t->batch_time;
	ds_arena_reset(&N->arena);
	TAB_FOR(S, i) {
		Ent *e = tab_at(S, i);
		if (e->v.tag != V_SOME)
			continue;
		if (n->timeout_ms && e->time < T - n->timeout_ms) { /* Spark's rule */
			Value args[3] = {e->k, vnone(), {.tag = V_STATE, .ent = e}};
			Value x;
			I->timing_out = true;
			bool ok = apply(I, r->fn, 3, args, &x);
			I->timing_out = false;
			if (ok)
				mws_emit(I, r, x, out);
			continue;
		}
		bool fresh;
		Ent *k = tab_upsert(N, &N->arena, e->k, &fresh);
		k->v = vcopy(&N->arena, e->v);
		k->time = e->time;
	}
	tab_swap(S, N);
	for (size_t i = 0; i < r->mws_out.n; i++)
		batch_push(out, r->mws_out.v[i]);
}

/* updateStateByKey: f(values, None) for keys without state, decided
 * against the state as the batch found it; f(values, Some(s)) in place for
 * keys with state (a None leaves a hole; a bad record keeps the state);
 * then the new keys join; the output is the whole state; the table is
 * compacted when holes pass a quarter of it. */
static void stage_update_state(Interp *I, DNode *n, Batch *out)
{
	NodeRt *r = &I->nr[n->id];
	Table *G = r->tab[0], *S = r->tab[1], *N = r->tab[2];
	Node *f = r->fn;
	ds_arena *a = A(I);
	Value x;
	Batch pending = {0};
	ds_arena_reset(&N->arena); /* the state before the last compaction */
	TAB_FOR(G, i) {
		Ent *g = tab_at(G, i);
		Ent *old = tab_find(S, g->k);
		if (old && old->v.tag == V_SOME)
			continue;
		if (apply2(I, f, g->v, vnone(), &x) && x.tag == V_SOME)
			batch_push(&pending, vpair(a, g->k, x.v[0]));
	}
	TAB_FOR(S, i) {
		Ent *e = tab_at(S, i);
		if (e->v.tag != V_SOME)
			continue;
		Ent *g = tab_findh(G, e->k, ds_table_hash(&S->t, i));
		if (apply2(I, f, g ? g->v : vlist0(), e->v, &x))
			e->v = x;
	}
	for (size_t i = 0; i < pending.n; i++) {
		bool fresh;
		Ent *e = tab_upsert(S, a, pending.v[i].v[0], &fresh);
		e->v = vsome(a, pending.v[i].v[1]);
	}
	free(pending.v);
	int64_t live = 0;
	TAB_FOR(S, i) {
		Ent *e = tab_at(S, i);
		if (e->v.tag != V_SOME)
			continue;
		live++;
		batch_push(out, vpair(a, e->k, e->v.v[0]));
	}
	int64_t count = (int64_t)S->t.count;
	if ((count - live) * 4 > count) { /* more than a quarter are holes: compact (N's arena was reset above) */
		TAB_FOR(S, i) {
			Ent *e = tab_at(S, i);
			if (e->v.tag != V_SOME)
				continue;
			bool fresh;
			Ent *k = tab_upsert(N, &N->arena, e->k, &fresh);
			k->v = vcopy(&N->arena, e->v);
		}
		tab_swap(S, N);
		ds_table_close(&N->t);
		ds_table_init(&N->t, DS_TABLE_HDR + sizeof(Ent));
	} else {
		tab_refresh(S); /* this batch's states out of the batch arena */
	}
}

/* stateSnapshots(): every (key, state) of the mapWithState after the batch. */
static void stage_snapshots(Interp *I, DNode *n, Batch *out)
{
	Table *S = I->nr[n->in[0]->id].tab[0];
	TAB_FOR(S, i) {
		Ent *e = tab_at(S, i);
		if (e->v.tag == V_SOME)
			batch_push(out, vpair(A(I), e->k, e->v.v[0]));
	}
}

/* f(a, b) of an incremental window, or + / - when it counts. */
static bool inc_combine(Interp *I, DNode *n, NodeRt *r, bool inverse, Value a, Value b, Value *out)
{
	Node *fn = inverse ? n->inv_fn : n->fn;
	if (!fn) {
		*out = vint(inverse ? ds_sub(a.i, b.i) : ds_add(a.i, b.i));
		return true;
	}
	if (!apply2(I, fn, a, b, out))
		return false;
	*out = coerce(I, *out, r->val_t);
	return true;
}

/* Spark's ReducedWindowedDStream, at each slide T: the per-key value of the
 * batches leaving, (T - s - w, T - w], and entering, (T - s, T]; the
 * previous window's keys lose what leaves and gain what enters; new keys
 * join; the filter (or, counting by value, a count of 0) decides which keys
 * stay; the window's value per key is the output. */
static void stage_inc_window(Interp *I, DNode *n, Batch *out)
{
	NodeRt *r = &I->nr[n->id];
	Table *S = r->tab[0], *O = r->tab[1], *N = r->tab[2], *K2 = r->tab[3];
	int64_t s = n->slide_ms, w = n->window_ms, T = I->t->batch_time;
	ds_arena *a = A(I);
	Value x;
	if (!at_slide(I, s))
		return;
	for (int k = 0; k < 2; k++) {
		Table *tab = k ? N : O;
		int64_t from = k ? s : s + w, to = k ? 0 : w;
		for (int pi = 0; pi < r->win.n; pi++) {
			ds_pane *pane = ds_window_pane(&r->win, pi);
			if (pane->time <= T - from || pane->time > T - to)
				continue;
			Value *recs = pane->recs.data;
			for (int64_t ri = 0; ri < pane->recs.len; ri++) {
				Value rec = recs[ri];
				Value key = n->keyless ? vint(0) : rec.v[0], val = n->keyless ? rec : rec.v[1];
				bool fresh;
				Ent *e = tab_upsert(tab, a, key, &fresh);
				if (fresh)
					e->v = val;
				else if (inc_combine(I, n, r, false, e->v, val, &x))
					e->v = x;
			}
		}
	}
	TAB_FOR(S, i) {
		Ent *e = tab_at(S, i);
		Ent *o = tab_find(O, e->k);
		if (o) {
			if (!inc_combine(I, n, r, true, e->v, o->v, &x))
				continue;
			e->v = x;
		}
		Ent *in = tab_find(N, e->k);
		if (in && inc_combine(I, n, r, false, e->v, in->v, &x))
			e->v = x;
	}
	TAB_FOR(N, i) {
		Ent *e = tab_at(N, i);
		if (tab_find(S, e->k))
			continue;
		bool fresh;
		Ent *ins = tab_upsert(S, a, e->k, &fresh);
		ins->v = e->v;
	}
	if (K2) {
		ds_arena_reset(&K2->arena);
		TAB_FOR(S, i) {
			Ent *e = tab_at(S, i);
			bool keep;
			if (n->filter_fn) {
				if (!apply1(I, n->filter_fn, vpair(a, e->k, e->v), &x))
					continue;
				keep = x.i != 0;
			} else {
				keep = e->v.i != 0;
			}
			if (keep) {
				bool fresh;
				Ent *k = tab_upsert(K2, &K2->arena, e->k, &fresh);
				k->v = vcopy(&K2->arena, e->v);
			}
		}
		tab_swap(S, K2);
	} else {
		tab_refresh(S);
	}
	TAB_FOR(S, i) {
		Ent *e = tab_at(S, i);
		batch_push(out, n->keyless ? e->v : vpair(a, e->k, e->v));
	}
}

/* A window at its slide: the records of the batches in (T - w, T], oldest first. */
static void stage_window(Interp *I, DNode *n, Batch *out)
{
	NodeRt *r = &I->nr[n->id];
	int64_t T = I->t->batch_time;
	if (!at_slide(I, n->slide_ms))
		return;
	for (int pi = 0; pi < r->win.n; pi++) {
		ds_pane *pane = ds_window_pane(&r->win, pi);
		if (pane->time <= T - n->window_ms || pane->time > T)
			continue;
		Value *recs = pane->recs.data;
		for (int64_t ri = 0; ri < pane->recs.len; ri++)
			batch_push(out, recs[ri]);
	}
}

/* One field of a binary record, as its schema says (schema.h). */
static Value load_field(const SchemaField *fd, const char *rec)
{
	const char *p = rec + fd->off;
	switch (fd->kind) {
	case FK_I8: return vint(ds_load_i8(p));
	case FK_I16: return vint(ds_load_i16(p));
	case FK_I32: return vint(ds_load_i32(p));
	case FK_I64: return vint(ds_load_i64(p));
	case FK_U8: return vint(ds_load_u8(p));
	case FK_U16: return vint(ds_load_u16(p));
	case FK_U32: return vint(ds_load_u32(p));
	case FK_F32: return vdbl(ds_load_f32(p));
	case FK_F64: return vdbl(ds_load_f64(p));
	case FK_BYTES: return vstr(p, fd->size);
	}
	unreachable();
}

/* A binary source's blocks: nrecs records of sc.reclen bytes each; a record
 * of one field is that field, of several a tuple of them. */
static void binary_records(Interp *I, NodeRt *r, const ds_block *blocks, int nb, Batch *out)
{
	const Schema *sc = &r->sc;
	for (int i = 0; i < nb; i++) {
		const char *rec = blocks[i].data;
		for (int64_t k = 0; k < blocks[i].nrecs; k++, rec += sc->reclen) {
			if (sc->n == 1) {
				batch_push(out, load_field(&sc->fields[0], rec));
				continue;
			}
			Value *f = ds_arena_alloc(A(I), (size_t)sc->n * sizeof *f);
			for (int j = 0; j < sc->n; j++)
				f[j] = load_field(&sc->fields[j], rec);
			batch_push(out, (Value){.tag = V_TUPLE, .n = (uint32_t)sc->n, .v = f});
		}
	}
}

static void run_stage(Interp *I, Stage *s)
{
	DNode *n = s->producer;
	NodeRt *r = &I->nr[n->id];
	Batch *out = &r->out;
	out->n = 0;
	switch (n->op->cls) {
	case OPC_SOURCE: {
		int nb;
		const ds_block *blocks = ds_input(I->t, n->src_index, &nb);
		if (r->sc.n) {
			binary_records(I, r, blocks, nb, out);
			break;
		}
		for (int i = 0; i < nb; i++) {
			const char *p = blocks[i].data, *end = p + blocks[i].len;
			ds_str line;
			if (n->op->id == OP_KAFKA_STREAM) /* framed messages */
				while (ds_next_framed(&p, end, &line))
					batch_push(out, vstrs(line));
			else if (n->op->id == OP_KAFKA_RECORD_STREAM) /* (topic, partition, offset, key, value) */
				while (ds_next_framed(&p, end, &line)) {
					Value f[5] = {vstrs(ds_kafka_topic(line)), vint(ds_kafka_partition(line)),
						      vint(ds_kafka_offset(line)), vstrs(ds_kafka_key(line)),
						      vstrs(ds_kafka_value(line))};
					Value *v = ds_arena_alloc(I->t->arena, sizeof f);
					memcpy(v, f, sizeof f);
					batch_push(out, (Value){.tag = V_TUPLE, .n = 5, .v = v});
				}
			else
				while (ds_next_line(&p, end, &line))
					batch_push(out, vstrs(line));
		}
		break;
	}
	case OPC_AGG:
		if (n->op->id == OP_COUNT) {
			if (!n->skip_zero || r->count > 0)
				batch_push(out, vint(r->count));
		} else if (n->op->id == OP_REDUCE) {
			if (r->has)
				batch_push(out, r->acc);
		} else if (node_sorts(n)) {
			stage_sorted(I, n, out);
		} else {
			Table *T = r->tab[0];
			TAB_FOR(T, i) {
				Ent *e = tab_at(T, i);
				batch_push(out, vpair(A(I), e->k, e->v));
			}
		}
		break;
	case OPC_JOIN:
		stage_join(I, n, out);
		break;
	case OPC_STATE: {
		/* Spark computes a stateful stream at its input's slide only */
		int64_t slide = n->in[0]->slide_ms;
		if (slide > I->p->cp->batch_ms && !at_slide(I, slide))
			return;
		if (n->op->id == OP_MAP_WITH_STATE)
			stage_map_with_state(I, n, out);
		else if (n->op->id == OP_STATE_SNAPSHOTS)
			stage_snapshots(I, n, out);
		else
			stage_update_state(I, n, out);
		break;
	}
	case OPC_WINDOW:
		if (is_inc(n))
			stage_inc_window(I, n, out);
		else
			stage_window(I, n, out);
		break;
	default:
		die("stage producer %s is not interpreted", n->op->name);
	}
	push(I, n, out);
}

/* ---- the program ----------------------------------------------------------------------- */

/* What each node keeps, as lowering lays out its state:
 *   countByValue, reduceByKey, groupByKey: tab[0] this batch's values per key
 *   joins: tab[0] left, tab[1] right values per key (a static side: for good)
 *   mapWithState: tab[0] state per key, tab[1] the compacted next one
 *   updateStateByKey: tab[0] this batch's values, tab[1] state, tab[2] next
 *   incremental windows: tab[0] the window's value per key, tab[1] leaving,
 *     tab[2] entering, tab[3] the filtered state; win: (w + s) / batch panes
 *   window: win, w / batch panes */
static void node_init(Interp *I, DNode *n)
{
	NodeRt *r = &I->nr[n->id];
	int64_t batch = I->p->cp->batch_ms;
	r->elem = elem_of(n->type);
	if (n->op->cls != OPC_SOURCE && n->op->cls != OPC_OUTPUT && n->call->items.n > 1 &&
	    ((Node *)n->call->items.v[1])->kind == N_LAMBDA)
		r->fn = n->call->items.v[1];
	if (op_is_binary_source(n->op->id))
		r->sc = schema_of(n->call);
	switch (n->op->id) {
	case OP_COUNT_BY_VALUE: case OP_REDUCE_BY_KEY: case OP_GROUP_BY_KEY:
		r->tab[0] = tab_new();
		break;
	case OP_JOIN: case OP_LEFT_OUTER_JOIN: case OP_RIGHT_OUTER_JOIN: case OP_FULL_OUTER_JOIN:
	case OP_COGROUP:
		r->tab[0] = tab_new();
		r->tab[1] = tab_new();
		break;
	case OP_MAP_WITH_STATE: {
		Node *lam = r->fn;
		r->state_t = ty_resolve(((Param *)lam->params.v[2])->sym->type)->elem;
		Type *body = lam->lhs->type;
		r->mws_unwrap = ty_resolve(body)->kind == TY_OPTION && !ty_equal(body, r->elem);
		r->tab[0] = tab_new();
		r->tab[1] = tab_new();
		break;
	}
	case OP_UPDATE_STATE_BY_KEY:
		r->state_t = ty_resolve(r->elem->elems[1]);
		r->tab[0] = tab_new();
		r->tab[1] = tab_new();
		r->tab[2] = tab_new();
		break;
	case OP_REDUCE_BY_KEY_AND_WINDOW: case OP_REDUCE_BY_WINDOW: case OP_COUNT_BY_WINDOW:
	case OP_COUNT_BY_VALUE_AND_WINDOW: {
		Type *in = elem_of(n->in[0]->type);
		r->val_t = n->keyless ? in : in->elems[1];
		for (int k = 0; k < 3; k++)
			r->tab[k] = tab_new();
		if (n->filter_fn || n->op->id == OP_COUNT_BY_VALUE_AND_WINDOW)
			r->tab[3] = tab_new();
		ds_window_init(&r->win, (int)((n->window_ms + n->slide_ms) / batch));
		r->has_win = true;
		break;
	}
	case OP_WINDOW:
		ds_window_init(&r->win, (int)(n->window_ms / batch));
		r->has_win = true;
		break;
	default:
		break;
	}
}

/* Tables that hold one batch's values: emptied before every batch. */
static bool per_batch_table(const DNode *n, int k)
{
	switch (n->op->id) {
	case OP_COUNT_BY_VALUE: case OP_REDUCE_BY_KEY: case OP_GROUP_BY_KEY:
		return k == 0;
	case OP_JOIN: case OP_LEFT_OUTER_JOIN: case OP_RIGHT_OUTER_JOIN: case OP_FULL_OUTER_JOIN:
	case OP_COGROUP:
		return k < 2 && !n->in[k]->is_static;
	case OP_UPDATE_STATE_BY_KEY:
		return k == 0;
	case OP_REDUCE_BY_KEY_AND_WINDOW: case OP_REDUCE_BY_WINDOW: case OP_COUNT_BY_WINDOW:
	case OP_COUNT_BY_VALUE_AND_WINDOW:
		return k == 1 || k == 2;
	default:
		return false;
	}
}

static void interp_init(ds_task *t, void *state)
{
	(void)state;
	Interp *I = the_interp;
	I->t = t;
	for (int i = 0; i < I->p->stages.n; i++) {
		Stage *s = I->p->stages.v[i];
		if (s->producer->is_static)
			run_stage(I, s);
	}
}

static void interp_run_batch(ds_task *t, void *state)
{
	(void)state;
	Interp *I = the_interp;
	I->t = t;
	for (int i = 0; i < I->p->nodes.n; i++) {
		DNode *n = I->p->nodes.v[i];
		NodeRt *r = &I->nr[n->id];
		for (int k = 0; k < 4; k++)
			if (r->tab[k] && per_batch_table(n, k))
				tab_clear(r->tab[k]);
		if (r->has_win)
			ds_window_begin_batch(&r->win, t->batch_time);
		r->count = 0;
		r->has = false;
		r->mws_out.n = 0;
		r->sorted.n = 0;
	}
	for (int i = 0; i < I->p->stages.n; i++) {
		Stage *s = I->p->stages.v[i];
		if (!s->producer->is_static)
			run_stage(I, s);
	}
}

static void interp_close(void *state)
{
	(void)state;
	Interp *I = the_interp;
	for (int i = 0; i < I->p->nodes.n; i++) {
		DNode *n = I->p->nodes.v[i];
		NodeRt *r = &I->nr[n->id];
		for (int k = 0; k < 4; k++)
			tab_free(r->tab[k]);
		if (r->has_win)
			ds_window_close(&r->win);
		free(r->out.v);
		free(r->mws_out.v);
		free(r->sorted.v);
	}
	free(I->nr);
	free(I->env);
	free(I->scratch.p);
	I->nr = NULL;
	I->env = NULL;
}

/* ---- the user's C --------------------------------------------------------------------- */

/* The extern functions e calls, once each, in order of first call. */
static void externs_called(Node *e, Vec *out)
{
	if (!e)
		return;
	if (e->kind == N_NAME) {
		if (e->sym && e->sym->kind == SYM_VAL)
			externs_called(e->sym->def, out);
		return;
	}
	if (e->kind == N_CALL && call_is_extern(e)) {
		const ExternFn *fn = call_extern(e);
		bool seen = false;
		for (int i = 0; i < out->n && !seen; i++)
			seen = out->v[i] == fn;
		if (!seen)
			vec_push(out, (void *)fn);
	}
	externs_called(e->lhs, out);
	externs_called(e->rhs, out);
	externs_called(e->cond, out);
	for (int i = 0; i < e->items.n; i++)
		externs_called(e->items.v[i], out);
}

static Vec plan_externs(const Plan *p)
{
	Vec fns = {0};
	for (int i = 0; i < p->nodes.n; i++) {
		DNode *n = p->nodes.v[i];
		if (n->op->cls == OPC_SOURCE || n->op->cls == OPC_OUTPUT)
			continue; /* their functions are not called from expressions */
		for (int k = 0; k < n->call->items.n; k++) {
			Node *a = n->call->items.v[k];
			int kind = ty_resolve(a->type)->kind;
			if (kind != TY_STREAM && kind != TY_DATASET) /* inputs: their own nodes */
				externs_called(a, &fns);
		}
	}
	return fns;
}

bool interp_calls_c(const Plan *p)
{
	if (plan_externs(p).n)
		return true;
	for (int i = 0; i < p->sources.n; i++)
		if (((DNode *)p->sources.v[i])->op->id == OP_RECEIVER_STREAM)
			return true;
	for (int i = 0; i < p->outputs.n; i++) {
		int op = ((DNode *)p->outputs.v[i])->op->id;
		if (op == OP_FOREACH_RDD || op == OP_FOREACH_RECORD)
			return true;
	}
	return false;
}

void interp_emit_shims(const Plan *p, FILE *f)
{
	const CheckedProgram *cp = p->cp;
	fputs("/* Generated by dstreamc for `run --interp`: the interpreter calls each extern\n"
	      " * function through a shim of one signature (interp.c: ds_ival). */\n"
	      "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n#include <dstream/rt.h>\n\n", f);
	for (int i = 0; i < cp->externs.n; i++) {
		const char *h = cp->externs.v[i];
		fputs("#include \"", f);
		for (const char *c = h; *c; c++) {
			if (*c == '"' || *c == '\\')
				fputc('\\', f);
			fputc(*c, f);
		}
		fputs("\"\n", f);
	}
	fputs("\ntypedef union ds_ival {\n\tint64_t i;\n\tdouble d;\n\tbool b;\n"
	      "\tstruct {\n\t\tconst char *p;\n\t\tsize_t n;\n\t} s;\n} ds_ival;\n\n", f);
	Vec fns = plan_externs(p);
	for (int i = 0; i < fns.n; i++) {
		const ExternFn *fn = fns.v[i];
		fprintf(f, "void dsi_shim_%s(const ds_ival *a, ds_ival *r)\n{\n\t", fn->name);
		switch (fn->ret) {
		case CK_VOID: fputs("(void)r;\n\t", f); break;
		case CK_I64: case CK_I32: fputs("r->i = ", f); break;
		case CK_DOUBLE: fputs("r->d = ", f); break;
		case CK_BOOL: fputs("r->b = ", f); break;
		case CK_CSTR: fputs("r->s.p = ", f); break;
		default: unreachable();
		}
		fprintf(f, "%s(", fn->name);
		for (int k = 0; k < fn->nparams; k++) {
			if (k)
				fputs(", ", f);
			switch (fn->params[k].ck) {
			case CK_I64: fprintf(f, "a[%d].i", k); break;
			case CK_I32: fprintf(f, "(int)a[%d].i", k); break;
			case CK_DOUBLE: fprintf(f, "a[%d].d", k); break;
			case CK_BOOL: fprintf(f, "a[%d].b", k); break;
			case CK_STR_LEN: fprintf(f, "a[%d].s.p, a[%d].s.n", k, k); break;
			case CK_CSTR: fprintf(f, "a[%d].s.p", k); break;
			default: unreachable();
			}
		}
		fputs(");\n}\n\n", f);
	}
	/* foreachRecord(f): called by the runtime with the batch, it calls f
	 * per record, as emit_c.c's foreach_record_N does */
	for (int i = 0; i < p->outputs.n; i++) {
		const DNode *o = p->outputs.v[i];
		if (o->op->id != OP_FOREACH_RECORD)
			continue;
		desc_foreach_record_c(f, o, "", arena_printf("dsi_%s", desc_foreach_fn(o)));
	}
}

/* A symbol of the user's C (or of the shims); NULL after reporting. */
static void *c_symbol(void *dl, const char *name)
{
	void *sym = dl ? dlsym(dl, name) : NULL;
	if (!sym)
		fprintf(stderr, "dstreamc: %s: no such function in the C files\n", name);
	return sym;
}

/* Fills in what the descriptor leaves to the engine: receivers, foreach
 * functions, and the extern functions' shims.  False after reporting. */
static bool link_c(Interp *I, ds_program *prog)
{
	const Plan *p = I->p;
	Vec fns = plan_externs(p);
	for (int i = 0; i < fns.n; i++) {
		Shim *sh = arena_alloc(sizeof *sh);
		sh->fn = fns.v[i];
		*(void **)&sh->call = c_symbol(I->dl, arena_printf("dsi_shim_%s", sh->fn->name));
		if (!sh->call)
			return false;
		vec_push(&I->shims, sh);
	}
	for (int i = 0; i < prog->nsources; i++) {
		ds_source_desc *s = (ds_source_desc *)&prog->sources[i];
		if (s->kind == DS_SRC_RECEIVER && !(*(void **)&s->receiver = c_symbol(I->dl, s->fn)))
			return false;
	}
	for (int i = 0; i < p->outputs.n; i++) {
		const DNode *o = p->outputs.v[i];
		ds_output_desc *d = (ds_output_desc *)&prog->outputs[o->out_index];
		if (o->op->id == OP_FOREACH_RDD && !(*(void **)&d->foreach = c_symbol(I->dl, d->fn)))
			return false;
		if (o->op->id == OP_FOREACH_RECORD &&
		    !(*(void **)&d->foreach = c_symbol(I->dl, arena_printf("dsi_%s", d->fn))))
			return false;
	}
	return true;
}

int interp_run(const Plan *p, int argc, char **argv, void *dl)
{
	ASSERT(!the_interp);
	Interp in = {.p = p, .dl = dl};
	Interp *I = &in;
	sites_collect(I);
	ds_program *prog = desc_build(p, I->rt_sites, I->sites.n);
	if (!link_c(I, prog))
		return 1;
	I->nr = calloc((size_t)p->nodes.n + 1, sizeof *I->nr);
	if (!I->nr)
		die("out of memory");
	for (int i = 0; i < p->nodes.n; i++)
		node_init(I, p->nodes.v[i]);
	prog->state_size = sizeof(int); /* the interpreter's state is its own */
	if (prog->checkpoint_dir) {
		/* Its state is boxed values that no checkpoint reads or writes. */
		fprintf(stderr, "dstreamc: warning: the interpreter does not checkpoint: the program runs "
				"without checkpoints or recovery from '%s' (build it, or run it without --interp)\n",
			prog->checkpoint_dir);
		prog->checkpoint_dir = NULL;
		prog->checkpoint_ms = 0;
	}
	prog->init = interp_init;
	prog->run_batch = interp_run_batch;
	prog->close = interp_close;
	the_interp = I;
	fflush(stdout);
	/* the oracle runs on one thread: its boxed state is not split by key
	 * (a later --workers would win, so this one goes last) */
	char **av = calloc((size_t)argc + 2, sizeof *av);
	if (!av)
		die("out of memory");
	memcpy(av, argv, sizeof *av * (size_t)argc);
	av[argc] = "--workers=1";
	int rc = ds_main(argc + 1, av, prog);
	free(av);
	if (I->nr) /* the runtime ran nothing (a bad flag, --help): close is ours */
		interp_close(NULL);
	the_interp = NULL;
	return rc;
}
