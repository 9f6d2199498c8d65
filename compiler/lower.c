/* lower.c: the physical plan into loop IR.
 *
 * Push-based fusion: a stage is a loop over its producer's records, and
 * each record is pushed through the narrow operators that consume it, in
 * the same loop body, until it reaches a sink (an upsert into a hash
 * table, an accumulator, an output).  Lambdas are inlined: their
 * parameters are bound to the IR values of the record, so no record is
 * ever boxed or buffered between fused operators.
 *
 * A record that fails (toInt of "x", an index out of range, a division by
 * zero) jumps to the drop label of the operator that was processing it:
 * the label sits after that operator's continuation, so the record leaves
 * that branch of the pipeline and nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "ir.h"
#include "schema.h"

typedef struct Lower {
	IrProgram *ir;
	const Plan *plan;
	Vec *out;        /* where statements go */
	int drop;        /* label a bad record jumps to */
	bool drop_used;
	IrExpr **bind;   /* Symbol id -> the value bound to it */
	int nbind;
	/* per DNode id: the table or scalars a boundary keeps */
	IrTable **table, **table2, **table3, **table4;
	IrScalar **scalar, **scalar2;
	IrWindow **window;
	bool timing_out; /* lowering mapWithState's call for a key that times out */
	Vec xchgs;       /* Xchg*: the exchanges, by id */
	const DNode *here; /* lower_consumer applies this node's record here, not sending it */
	bool merging;    /* lowering countByValue's receipt of partial counts (k, n) */
	bool from_state; /* the stage being lowered loops over state that lives across
			    batches (its arena may be compacted before the records it
			    sends are received: they are copied into the batch arena) */
	Vec flush;       /* Xchg*: the combined exchanges the stage being lowered sends to */
	IrTable **intern; /* per join DNode id: its Dataset's values -> dense id, or NULL */
	Stage *stage;    /* the stage being lowered */
	Vec reserve;     /* IrTable*: a static Dataset's tables its stage fills, sized first */
	Vec dense;       /* Dense*: the dense tables the stage being lowered fills */
} Lower;

/* A keyed aggregate fed with keys interned at load (a static Dataset's
 * join values): the stage combines its records into a dense table, found
 * by the key's id, and merges that into the aggregate's table at its end
 * (lower_dense_flush): one hash probe per key and batch, not per record. */
typedef struct Dense {
	DNode *op;       /* the aggregate (reduceByKey, countByValue) */
	IrTable *target; /* its table (or the map-side combine's, sending) */
	IrTable *d;      /* the dense table: same key and value */
} Dense;

/* The exchange of one input of a keyed operator (DESIGN.md, "Parallelism
 * and scale"): with more than one worker, each record is sent to the worker
 * that owns its key (lower_send), which applies it at the start of the
 * operator's stage (lower_receive). */
typedef struct Xchg {
	int id;
	DNode *to, *from; /* the operator, and the input it is of */
	Type *type;       /* the records sent */
	bool keyless;     /* count, reduce, reduceByWindow...: all to worker 0 */
	IrTable *pre;     /* reduceByKey, countByValue: the sender's partial value per
			     key (Spark's map-side combine), sent at the end of its stage */
} Xchg;

/* ---- constructors ----------------------------------------------------------- */

static IrExpr *ex(IrExprKind k, Type *t)
{
	IrExpr *e = arena_alloc(sizeof *e);
	e->kind = k;
	e->type = t;
	return e;
}

static IrExpr *ex1(IrExprKind k, Type *t, IrExpr *a0)
{
	IrExpr *e = ex(k, t);
	e->a = arena_alloc(sizeof(IrExpr *));
	e->a[0] = a0;
	e->n = 1;
	return e;
}

static IrExpr *ex2(IrExprKind k, Type *t, IrExpr *a0, IrExpr *a1)
{
	IrExpr *e = ex(k, t);
	e->a = arena_alloc(2 * sizeof(IrExpr *));
	e->a[0] = a0;
	e->a[1] = a1;
	e->n = 2;
	return e;
}

static IrExpr *ex_int(int64_t v)
{
	IrExpr *e = ex(IE_INT, ty_int());
	e->ival = v;
	return e;
}

static IrExpr *ex_bool(bool v)
{
	IrExpr *e = ex(IE_BOOL, ty_bool());
	e->ival = v;
	return e;
}

static IrExpr *ex_str(const char *s, size_t n)
{
	IrExpr *e = ex(IE_STR, ty_string());
	e->str = s;
	e->slen = n;
	return e;
}

static IrExpr *ex_var(IrVar *v)
{
	IrExpr *e = ex(IE_VAR, v->type);
	e->var = v;
	return e;
}

static IrExpr *ex_scalar(IrScalar *s)
{
	IrExpr *e = ex(IE_SCALAR, s->type);
	e->scalar = s;
	return e;
}

static IrExpr *ex_bin(int op, Type *t, Type *optype, IrExpr *a, IrExpr *b)
{
	IrExpr *e = ex2(IE_BIN, t, a, b);
	e->op = op;
	e->optype = optype;
	return e;
}

static IrExpr *ex_call(const char *fn, Type *t, int n, IrExpr **args)
{
	IrExpr *e = ex(IE_CALL, t);
	e->fn = fn;
	e->n = n;
	e->a = arena_alloc(sizeof(IrExpr *) * (size_t)(n ? n : 1));
	memcpy(e->a, args, sizeof(IrExpr *) * (size_t)n);
	return e;
}
#define CALL(fn, t, ...) \
	ex_call(fn, t, (int)(sizeof((IrExpr *[]){__VA_ARGS__}) / sizeof(IrExpr *)), (IrExpr *[]){__VA_ARGS__})

static IrExpr *ex_field(IrExpr *tuple, int i)
{
	IrExpr *e = ex1(IE_FIELD, ty_resolve(tuple->type)->elems[i], tuple);
	e->ival = i;
	return e;
}

static IrExpr *ex_tuple(Type *t, int n, IrExpr **items)
{
	IrExpr *e = ex(IE_TUPLE, t);
	e->n = n;
	e->a = arena_alloc(sizeof(IrExpr *) * (size_t)n);
	memcpy(e->a, items, sizeof(IrExpr *) * (size_t)n);
	return e;
}

static IrExpr *ex_pair(IrExpr *a, IrExpr *b)
{
	IrExpr *it[2] = {a, b};
	return ex_tuple(ty_pair(a->type, b->type), 2, it);
}

static IrExpr *ex_arena(void) { return ex(IE_ARENA, NULL); }

static IrExpr *ex_addr(IrVar *v)
{
	IrExpr *e = ex(IE_ADDR, NULL);
	e->var = v;
	return e;
}

static IrExpr *ex_key(IrVar *ent)
{
	IrExpr *e = ex(IE_ENTRY_KEY, ent->table->key);
	e->var = ent;
	return e;
}

static IrExpr *ex_val(IrVar *ent)
{
	IrExpr *e = ex(IE_ENTRY_VAL, ent->table->val);
	e->var = ent;
	return e;
}

static IrExpr *ex_copy(IrExpr *x, struct IrTable *into)
{
	IrExpr *e = ex1(IE_COPY, x->type, x);
	e->table = into;
	return e;
}

/* The hash a table keys the value of k by (IE_HASH reads a variable). */
static IrExpr *ex_hash(IrVar *k)
{
	IrExpr *h = ex1(IE_HASH, ty_int(), ex_var(k));
	h->optype = k->type;
	return h;
}

static IrVar *new_var(Lower *L, const char *name, Type *t)
{
	IrVar *v = arena_alloc(sizeof *v);
	v->id = ++L->ir->nvars;
	v->name = name;
	v->type = t;
	return v;
}

static IrStmt *st(IrStmtKind k)
{
	IrStmt *s = arena_alloc(sizeof *s);
	s->kind = k;
	return s;
}

static void emit(Lower *L, IrStmt *s) { vec_push(L->out, s); }

/* if (this worker owns the key k) { what follows }: L->out moves into it.
 * For what every worker computes in full (a static Dataset) but only the
 * key's owner may keep or visit. */
static void only_if_owned(Lower *L, IrVar *k)
{
	IrStmt *mine = st(IS_IF);
	mine->e = ex1(IE_OWNS, ty_bool(), ex_hash(k));
	emit(L, mine);
	L->out = &mine->body;
}

static IrVar *let(Lower *L, const char *name, IrExpr *init)
{
	IrVar *v = new_var(L, name, init->type);
	v->init = init;
	IrStmt *s = st(IS_LET);
	s->var = v;
	s->e = init;
	emit(L, s);
	return v;
}

/* A declared variable with no initialiser: zero (empty list, None, 0). */
static IrVar *let_zero(Lower *L, const char *name, Type *t)
{
	IrVar *v = new_var(L, name, t);
	IrStmt *s = st(IS_LET);
	s->var = v;
	emit(L, s);
	return v;
}

static void set(Lower *L, IrExpr *lhs, IrExpr *e)
{
	if (lhs->kind == IE_VAR)
		lhs->var->assigned = true;
	IrStmt *s = st(IS_SET);
	s->lhs = lhs;
	s->e = e;
	emit(L, s);
}

/* Evaluates e once: a variable or a constant as is, anything else into a let. */
static IrExpr *once(Lower *L, const char *name, IrExpr *e)
{
	switch (e->kind) {
	case IE_VAR: case IE_INT: case IE_DOUBLE: case IE_BOOL: case IE_STR: case IE_BATCH_TIME: case IE_PARAM:
		return e;
	default:
		return ex_var(let(L, name, e));
	}
}

static int new_label(Lower *L) { return ++L->ir->nlabels; }

static void place_label(Lower *L, int label)
{
	IrStmt *s = st(IS_LABEL);
	s->label = label;
	emit(L, s);
}

static int add_site(Lower *L, Loc loc, const char *op)
{
	const char *where = loc_str(loc);
	for (int i = 0; i < L->ir->sites.n; i++) {
		IrSite *s = L->ir->sites.v[i];
		if (!strcmp(s->loc, where) && !strcmp(s->op, op))
			return i;
	}
	IrSite *s = arena_alloc(sizeof *s);
	s->loc = where;
	s->op = op;
	vec_push(&L->ir->sites, s);
	return L->ir->sites.n - 1;
}

/* if (!ok) { the record is bad: count it, drop it } */
static void check(Lower *L, IrExpr *ok, Loc loc, const char *op, const char *why, IrExpr *sample)
{
	IrStmt *s = st(IS_CHECK);
	s->e = ok;
	s->site = add_site(L, loc, op);
	s->why = why;
	s->sample = sample;
	s->label = L->drop;
	L->drop_used = true;
	ASSERT(L->drop > 0);
	emit(L, s);
}

/* ---- expressions -------------------------------------------------------------- */

static IrExpr *lower_expr(Lower *L, Node *e);

static bool is_int(Type *t) { return ty_resolve(t)->kind == TY_INT; }
static bool is_double(Type *t) { return ty_resolve(t)->kind == TY_DOUBLE; }
static bool is_string(Type *t) { return ty_resolve(t)->kind == TY_STRING; }

/* Int -> Double where a Double is expected, through tuples and options. */
static IrExpr *coerce(Lower *L, IrExpr *x, Type *to)
{
	Type *f = ty_resolve(x->type), *t = ty_resolve(to);
	if (f->kind == TY_INT && t->kind == TY_DOUBLE)
		return ex1(IE_I2D, ty_double(), x);
	if (f->kind == TY_TUPLE && t->kind == TY_TUPLE && !ty_equal(f, t)) {
		IrExpr *xv = once(L, "t", x);
		IrExpr **items = arena_alloc(sizeof(IrExpr *) * (size_t)t->n);
		for (int i = 0; i < t->n; i++)
			items[i] = coerce(L, ex_field(xv, i), t->elems[i]);
		return ex_tuple(t, t->n, items);
	}
	if (f->kind == TY_OPTION && t->kind == TY_OPTION && !ty_equal(f, t)) {
		IrExpr *xv = once(L, "o", x);
		IrVar *r = let_zero(L, "o", t);
		IrStmt *s = st(IS_IF);
		s->e = ex1(IE_IS_SOME, ty_bool(), xv);
		Vec *saved = L->out;
		L->out = &s->body;
		set(L, ex_var(r), ex1(IE_SOME, t, coerce(L, ex1(IE_OPT_VAL, f->elem, xv), t->elem)));
		L->out = saved;
		emit(L, s);
		return ex_var(r);
	}
	return x;
}

/* Lowers e into a separate statement list; *stmts is empty when e is pure. */
static IrExpr *lower_aside(Lower *L, Node *e, Vec *stmts)
{
	Vec *saved = L->out;
	L->out = stmts;
	IrExpr *x = lower_expr(L, e);
	L->out = saved;
	return x;
}

static void bind(Lower *L, Symbol *s, IrExpr *v)
{
	if (s->id >= L->nbind) {
		int n = s->id * 2 + 16;
		IrExpr **b = arena_alloc(sizeof(IrExpr *) * (size_t)n);
		if (L->nbind)
			memcpy(b, L->bind, sizeof(IrExpr *) * (size_t)L->nbind);
		L->bind = b;
		L->nbind = n;
	}
	L->bind[s->id] = v;
}

/* Inlines a lambda applied to args; returns the value of its body. */
static IrExpr *apply(Lower *L, Node *lam, int n, IrExpr **args)
{
	ASSERT(lam->kind == N_LAMBDA && lam->params.n == n);
	for (int i = 0; i < n; i++) {
		Param *p = lam->params.v[i];
		if (ty_resolve(p->sym->type)->kind == TY_STATE) /* the key's state entry itself */
			bind(L, p->sym, args[i]);
		else
			bind(L, p->sym, once(L, p->name[0] == '_' ? "x" : p->name, coerce(L, args[i], p->sym->type)));
	}
	return lower_expr(L, lam->lhs);
}

static IrExpr *apply1(Lower *L, Node *lam, IrExpr *a) { return apply(L, lam, 1, &a); }
static IrExpr *apply2(Lower *L, Node *lam, IrExpr *a, IrExpr *b)
{
	IrExpr *args[2] = {a, b};
	return apply(L, lam, 2, args);
}

static IrExpr *to_str(IrExpr *x)
{
	if (is_string(x->type))
		return x;
	IrExpr *e = ex1(IE_TO_STR, ty_string(), x);
	e->optype = x->type;
	return e;
}

/* c ? a : b where a and b may need statements (and may drop the record):
 * only the branch taken is evaluated. */
static IrExpr *lower_choice(Lower *L, IrExpr *c, Node *a, Node *b, Type *t, IrExpr *a_val)
{
	Vec sa = {0}, sb = {0};
	IrExpr *xa = a_val ? a_val : lower_aside(L, a, &sa);
	IrExpr *xb = lower_aside(L, b, &sb);
	if (!sa.n && !sb.n) {
		IrExpr *e = ex(IE_COND, t);
		e->n = 3;
		e->a = arena_alloc(3 * sizeof(IrExpr *));
		e->a[0] = c;
		e->a[1] = coerce(L, xa, t);
		e->a[2] = coerce(L, xb, t);
		return e;
	}
	IrVar *r = let_zero(L, "r", t);
	IrStmt *s = st(IS_IF);
	s->e = c;
	Vec *saved = L->out;
	s->body = sa;
	L->out = &s->body;
	set(L, ex_var(r), coerce(L, xa, t));
	s->els = sb;
	L->out = &s->els;
	set(L, ex_var(r), coerce(L, xb, t));
	L->out = saved;
	emit(L, s);
	return ex_var(r);
}

static IrExpr *lower_logic(Lower *L, Node *e)
{
	IrExpr *l = lower_expr(L, e->lhs);
	Vec sr = {0};
	IrExpr *r = lower_aside(L, e->rhs, &sr);
	if (!sr.n)
		return ex_bin(e->op, ty_bool(), ty_bool(), l, r);
	/* the right side has statements: evaluate it only when needed */
	IrVar *v = let(L, "b", l);
	IrStmt *s = st(IS_IF);
	s->e = e->op == OP_AND ? ex_var(v) : ex1(IE_NOT, ty_bool(), ex_var(v));
	s->body = sr;
	Vec *saved = L->out;
	L->out = &s->body;
	set(L, ex_var(v), r);
	L->out = saved;
	emit(L, s);
	return ex_var(v);
}

static IrExpr *lower_binary(Lower *L, Node *e)
{
	if (e->op == OP_AND || e->op == OP_OR)
		return lower_logic(L, e);
	IrExpr *l = lower_expr(L, e->lhs);
	IrExpr *r = lower_expr(L, e->rhs);
	Type *lt = ty_resolve(l->type), *rt = ty_resolve(r->type);
	bool num = ty_is_numeric(lt) && ty_is_numeric(rt);
	Type *nt = (is_double(lt) || is_double(rt)) ? ty_double() : ty_int();
	switch (e->op) {
	case '+':
		if (num)
			return ex_bin('+', nt, nt, coerce(L, l, nt), coerce(L, r, nt));
		if (lt->kind == TY_LIST) {
			IrExpr *sz = ex(IE_SIZEOF, ty_int());
			sz->optype = ty_resolve(e->type)->elem;
			return CALL("ds_list_concat", e->type, ex_arena(), l, r, sz);
		}
		return CALL("ds_concat", ty_string(), ex_arena(), to_str(l), to_str(r));
	case '-': case '*':
		return ex_bin(e->op, nt, nt, coerce(L, l, nt), coerce(L, r, nt));
	case '/': case '%':
		if (nt->kind == TY_DOUBLE)
			return ex_bin(e->op, nt, nt, coerce(L, l, nt), coerce(L, r, nt));
		else {
			IrExpr *lv = once(L, "n", l);
			IrVar *q = let_zero(L, e->op == '/' ? "quot" : "rem", ty_int());
			check(L, CALL(e->op == '/' ? "ds_div" : "ds_mod", ty_bool(), lv, r, ex_addr(q)), e->lhs->loc,
			      e->op == '/' ? "/" : "%", "division by zero", to_str(lv));
			return ex_var(q);
		}
	case '<': case '>': case OP_LE: case OP_GE:
		if (num)
			return ex_bin(e->op, ty_bool(), nt, coerce(L, l, nt), coerce(L, r, nt));
		return ex_bin(e->op, ty_bool(), lt, l, r);
	case OP_EQ: case OP_NE: {
		IrExpr *eq;
		if (num) {
			eq = ex2(IE_EQ, ty_bool(), coerce(L, l, nt), coerce(L, r, nt));
			eq->optype = nt;
		} else {
			eq = ex2(IE_EQ, ty_bool(), l, r);
			eq->optype = lt;
		}
		return e->op == OP_EQ ? eq : ex1(IE_NOT, ty_bool(), eq);
	}
	default:
		unreachable();
	}
}

/* for (i = from; i < len(list); i++) { elem = list[i]; body(elem) } */
typedef void (*elem_fn)(Lower *L, IrExpr *elem, void *ctx);
static void for_each_elem(Lower *L, IrExpr *list, int64_t from, const char *name, elem_fn fn, void *ctx)
{
	IrExpr *lv = once(L, "xs", list);
	IrStmt *loop = st(IS_FOR_RANGE);
	loop->var = new_var(L, "i", ty_int());
	loop->e = ex1(IE_LIST_LEN, ty_int(), lv);
	loop->lhs = ex_int(from);
	Vec *saved = L->out;
	L->out = &loop->body;
	IrExpr *el = ex2(IE_LIST_AT, ty_resolve(lv->type)->elem, lv, ex_var(loop->var));
	fn(L, ex_var(let(L, name, el)), ctx);
	L->out = saved;
	emit(L, loop);
}

typedef struct ListCtx {
	Node *lam;
	IrVar *acc;
	Type *elem;
	int op;
} ListCtx;

static void map_elem(Lower *L, IrExpr *el, void *p)
{
	ListCtx *c = p;
	IrStmt *s = st(IS_PUSH);
	s->lhs = ex_var(c->acc);
	s->e = coerce(L, apply1(L, c->lam, el), c->elem);
	emit(L, s);
}

static void filter_elem(Lower *L, IrExpr *el, void *p)
{
	ListCtx *c = p;
	IrStmt *s = st(IS_IF);
	s->e = apply1(L, c->lam, el);
	IrStmt *push = st(IS_PUSH);
	push->lhs = ex_var(c->acc);
	push->e = el;
	vec_push(&s->body, push);
	emit(L, s);
}

static void sum_elem(Lower *L, IrExpr *el, void *p)
{
	ListCtx *c = p;
	set(L, ex_var(c->acc), ex_bin('+', c->elem, c->elem, ex_var(c->acc), el));
}

static void minmax_elem(Lower *L, IrExpr *el, void *p)
{
	ListCtx *c = p;
	IrStmt *s = st(IS_IF);
	s->e = ex_bin(c->op, ty_bool(), c->elem, el, ex_var(c->acc));
	Vec *saved = L->out;
	L->out = &s->body;
	set(L, ex_var(c->acc), el);
	L->out = saved;
	emit(L, s);
}

/* mapWithState's State: a[0] is the key's entry, whose value is
 * (Option[S], time of the last update in ms). */
static IrExpr *lower_state_call(Lower *L, Node *e, BuiltinId id, IrExpr **a)
{
	IrVar *ent = a[0]->var;
	ASSERT(a[0]->kind == IE_VAR && ent->table);
	IrExpr *st = ex_field(ex_val(ent), 0);
	Type *S = ty_resolve(st->type)->elem;
	switch (id) {
	case BI_EXISTS:
		return ex1(IE_IS_SOME, ty_bool(), st);
	case BI_GET_OPTION:
		return st;
	case BI_GET:
		check(L, ex1(IE_IS_SOME, ty_bool(), st), e->loc, "get", "State.get on a key without state",
		      to_str(ex_key(ent)));
		return ex1(IE_OPT_VAL, S, st);
	case BI_IS_TIMING_OUT:
		return ex_bool(L->timing_out);
	case BI_UPDATE:
		if (L->timing_out) /* as Spark: "Cannot update the state that is timing out" */
			check(L, ex_bool(false), e->loc, "update", "cannot update a state that is timing out",
			      to_str(ex_key(ent)));
		set(L, st, ex1(IE_SOME, st->type, ex_copy(once(L, "s", coerce(L, a[1], S)), ent->table)));
		set(L, ex_field(ex_val(ent), 1), ex(IE_BATCH_TIME, ty_int()));
		return ex_bool(true);
	case BI_REMOVE:
		set(L, st, ex(IE_NONE, st->type));
		return ex_bool(true);
	default:
		unreachable();
	}
}

static IrExpr *lower_builtin(Lower *L, Node *e)
{
	const BuiltinInfo *bi = call_builtin(e);
	Node **an = (Node **)e->items.v;
	IrExpr *a[4] = {0};
	if (bi->id != BI_LIST_MAP && bi->id != BI_LIST_FILTER && bi->id != BI_GET_OR_ELSE)
		for (int i = 0; i < e->items.n; i++)
			a[i] = lower_expr(L, an[i]);
	Type *t = e->type;
	switch (bi->id) {
	case BI_SPLIT:
		return CALL("ds_split", t, ex_arena(), a[0], a[1]);
	case BI_CHARS:
		return CALL("ds_chars", t, ex_arena(), a[0]);
	case BI_TO_INT:
	case BI_TO_DOUBLE: {
		bool to_int = bi->id == BI_TO_INT;
		Type *from = ty_resolve(a[0]->type);
		if (from->kind == TY_INT)
			return to_int ? a[0] : ex1(IE_I2D, ty_double(), a[0]);
		if (from->kind == TY_DOUBLE)
			return to_int ? ex1(IE_D2I, ty_int(), a[0]) : a[0];
		IrExpr *s = once(L, "s", a[0]);
		IrVar *v = let_zero(L, to_int ? "n" : "d", t);
		check(L, CALL(to_int ? "ds_to_int" : "ds_to_double", ty_bool(), s, ex_addr(v)), e->loc, bi->name,
		      to_int ? "not an integer" : "not a number", s);
		return ex_var(v);
	}
	case BI_TO_STRING:
		return to_str(a[0]);
	case BI_LEN:
		return ex1(is_string(a[0]->type) ? IE_STR_LEN : IE_LIST_LEN, ty_int(), a[0]);
	case BI_LOWER:
		return CALL("ds_lower", t, ex_arena(), a[0]);
	case BI_UPPER:
		return CALL("ds_upper", t, ex_arena(), a[0]);
	case BI_TRIM:
		return CALL("ds_trim", t, a[0]);
	case BI_CONTAINS:
		return CALL("ds_contains", t, a[0], a[1]);
	case BI_STARTS_WITH:
		return CALL("ds_starts_with", t, a[0], a[1]);
	case BI_ENDS_WITH:
		return CALL("ds_ends_with", t, a[0], a[1]);
	case BI_SUBSTR: {
		IrExpr *s = once(L, "s", a[0]);
		IrVar *v = let_zero(L, "sub", t);
		check(L, CALL("ds_substr", ty_bool(), s, a[1], a[2], ex_addr(v)), e->loc, "substr",
		      "index out of range", s);
		return ex_var(v);
	}
	case BI_SUM: {
		ListCtx c = {.elem = t};
		c.acc = let(L, "sum", is_int(t) ? ex_int(0) : ex1(IE_I2D, ty_double(), ex_int(0)));
		for_each_elem(L, a[0], 0, "x", sum_elem, &c);
		return ex_var(c.acc);
	}
	case BI_MIN: case BI_MAX: {
		IrExpr *xs = once(L, "xs", a[0]);
		check(L, ex_bin('>', ty_bool(), ty_int(), ex1(IE_LIST_LEN, ty_int(), xs), ex_int(0)), e->loc,
		      bi->name, "empty list", ex_str("[]", 2));
		ListCtx c = {.elem = t, .op = bi->id == BI_MIN ? '<' : '>'};
		c.acc = let(L, bi->name, ex2(IE_LIST_AT, t, xs, ex_int(0)));
		for_each_elem(L, xs, 1, "x", minmax_elem, &c);
		return ex_var(c.acc);
	}
	case BI_ABS: {
		IrExpr *x = once(L, "x", a[0]);
		Type *xt = ty_resolve(x->type);
		IrExpr *zero = is_int(xt) ? ex_int(0) : ex1(IE_I2D, ty_double(), ex_int(0));
		IrExpr *c = ex(IE_COND, xt);
		c->n = 3;
		c->a = arena_alloc(3 * sizeof(IrExpr *));
		c->a[0] = ex_bin('<', ty_bool(), xt, x, zero);
		c->a[1] = ex1(IE_NEG, xt, x);
		c->a[2] = x;
		return c;
	}
	case BI_SOME:
		return ex1(IE_SOME, t, coerce(L, a[0], ty_resolve(t)->elem));
	case BI_GET_OR_ELSE: {
		IrExpr *o = once(L, "o", lower_expr(L, an[0]));
		IrExpr *val = ex1(IE_OPT_VAL, ty_resolve(o->type)->elem, o);
		return lower_choice(L, ex1(IE_IS_SOME, ty_bool(), o), NULL, an[1], t, val);
	}
	case BI_IS_EMPTY:
		return ex1(IE_NOT, ty_bool(), ex1(IE_IS_SOME, ty_bool(), a[0]));
	case BI_IS_DEFINED:
		return ex1(IE_IS_SOME, ty_bool(), a[0]);
	case BI_BATCH_TIME:
		return ex(IE_BATCH_TIME, ty_int());
	case BI_COUNTER: { /* evaluated where it stands, once, whether its value is used or not */
		int k = counter_index(L->plan->cp, const_value(an[0])->str);
		return once(L, "counted", CALL("ds_counter_add", ty_int(), ex(IE_TASK, NULL), ex_int(k),
					       e->items.n == 2 ? a[1] : ex_int(1)));
	}
	case BI_PARAM: { /* the run's value, from the runtime */
		IrExpr *x = ex(IE_PARAM, t);
		x->ival = e->ival;
		return x;
	}
	case BI_LIST_MAP: case BI_LIST_FILTER: {
		IrExpr *xs = lower_expr(L, an[0]);
		ListCtx c = {.lam = an[1], .elem = ty_resolve(t)->elem};
		c.acc = let_zero(L, bi->id == BI_LIST_MAP ? "mapped" : "kept", t);
		for_each_elem(L, xs, 0, "x", bi->id == BI_LIST_MAP ? map_elem : filter_elem, &c);
		return ex_var(c.acc);
	}
	case BI_EXISTS: case BI_GET_OPTION: case BI_UPDATE: case BI_REMOVE: case BI_IS_TIMING_OUT:
		return lower_state_call(L, e, bi->id, a);
	case BI_GET:
		if (a[0]->kind == IE_VAR && a[0]->var->table)
			return lower_state_call(L, e, bi->id, a);
		if (ty_resolve(a[0]->type)->kind == TY_OPTION) {
			IrExpr *o = once(L, "o", a[0]);
			check(L, ex1(IE_IS_SOME, ty_bool(), o), e->loc, "get", "None.get", ex_str("None", 4));
			return ex1(IE_OPT_VAL, t, o);
		}
		break;
	default:
		break;
	}
	die("builtin %s is not lowered (the planner should have rejected it)", bi->name);
}

/* f(args) of an extern C function: called once, where it stands. */
static IrExpr *lower_extern(Lower *L, Node *e)
{
	const ExternFn *fn = call_extern(e);
	IrExpr *x = ex(IE_EXTERN, fn->ret_type);
	x->ext = fn;
	x->fn = fn->name;
	x->n = fn->nparams;
	x->a = arena_alloc(sizeof(IrExpr *) * (size_t)(x->n ? x->n : 1));
	for (int i = 0; i < x->n; i++)
		x->a[i] = coerce(L, lower_expr(L, e->items.v[i]), fn->params[i].type);
	return once(L, fn->name, x);
}

static IrExpr *lower_expr(Lower *L, Node *e)
{
	switch (e->kind) {
	case N_INT: case N_DURATION:
		return ex_int(e->ival);
	case N_DOUBLE: {
		IrExpr *x = ex(IE_DOUBLE, ty_double());
		x->dval = e->dval;
		return x;
	}
	case N_BOOL:
		return ex_bool(e->ival != 0);
	case N_STRING:
		return ex_str(e->str, e->slen);
	case N_NAME:
		if (!e->sym) {
			ASSERT(!strcmp(e->name, "None"));
			return ex(IE_NONE, e->type);
		}
		if (e->sym->kind == SYM_VAL) /* a constant: inline its definition */
			return lower_expr(L, e->sym->def);
		ASSERT(e->sym->id < L->nbind && L->bind[e->sym->id]);
		return L->bind[e->sym->id];
	case N_TUPLE: {
		Type *t = ty_resolve(e->type);
		IrExpr **items = arena_alloc(sizeof(IrExpr *) * (size_t)e->items.n);
		for (int i = 0; i < e->items.n; i++)
			items[i] = coerce(L, lower_expr(L, e->items.v[i]), t->elems[i]);
		return ex_tuple(e->type, e->items.n, items);
	}
	case N_LIST: {
		Type *el = ty_resolve(e->type)->elem;
		IrVar *l = let_zero(L, "list", e->type);
		for (int i = 0; i < e->items.n; i++) {
			IrStmt *s = st(IS_PUSH);
			s->lhs = ex_var(l);
			s->e = coerce(L, lower_expr(L, e->items.v[i]), el);
			emit(L, s);
		}
		return ex_var(l);
	}
	case N_INDEX: {
		IrExpr *xs = once(L, "xs", lower_expr(L, e->lhs));
		IrExpr *i = once(L, "i", lower_expr(L, e->rhs));
		IrExpr *ok = ex_bin(OP_AND, ty_bool(), ty_bool(), ex_bin(OP_GE, ty_bool(), ty_int(), i, ex_int(0)),
				    ex_bin('<', ty_bool(), ty_int(), i, ex1(IE_LIST_LEN, ty_int(), xs)));
		check(L, ok, e->loc, "index", "index out of range", to_str(i));
		return ex2(IE_LIST_AT, e->type, xs, i);
	}
	case N_FIELD:
		return ex_field(lower_expr(L, e->lhs), (int)e->ival - 1);
	case N_CALL:
		ASSERT(!call_is_op(e));
		if (call_is_extern(e))
			return lower_extern(L, e);
		return lower_builtin(L, e);
	case N_UNARY: {
		IrExpr *x = lower_expr(L, e->lhs);
		return ex1(e->op == '!' ? IE_NOT : IE_NEG, x->type, x);
	}
	case N_BINARY:
		return lower_binary(L, e);
	case N_COND:
		return lower_choice(L, lower_expr(L, e->cond), e->lhs, e->rhs, e->type, NULL);
	case N_BLOCK: {
		IrExpr *last = NULL;
		for (int i = 0; i < e->items.n; i++) {
			Node *it = e->items.v[i];
			if (it->kind == N_LET) {
				bind(L, it->sym, once(L, it->name, lower_expr(L, it->lhs)));
				last = NULL;
			} else {
				last = lower_expr(L, it);
			}
		}
		ASSERT(last);
		return last;
	}
	case N_LET: case N_LAMBDA: case N_PLACEHOLDER:
		break;
	}
	die("cannot lower node kind %d", e->kind);
}

/* for (each entry var of tab): the loop, with its body still empty. */
static IrStmt *for_entries(Lower *L, IrTable *tab, const char *name)
{
	IrStmt *loop = st(IS_FOR_TABLE);
	loop->table = tab;
	loop->var = new_var(L, name, NULL);
	loop->var->table = tab;
	return loop;
}

/* if (T % slide == 0): what a windowed stream does at its slide only. */
static IrStmt *at_slide(int64_t slide)
{
	IrStmt *when = st(IS_IF);
	when->e = ex2(IE_EQ, ty_bool(), ex_bin('%', ty_int(), ty_int(), ex(IE_BATCH_TIME, ty_int()), ex_int(slide)),
		      ex_int(0));
	when->e->optype = ty_int();
	return when;
}

/* ---- pipelines -------------------------------------------------------------- */

/* A window operator with an inverse function (or counting), lowered as
 * Spark's ReducedWindowedDStream. */
static bool is_inc(const DNode *n) { return n->op->cls == OPC_WINDOW && n->op->id != OP_WINDOW; }

static void push_to_consumers(Lower *L, DNode *n, IrExpr *rec);
static void lower_join_input(Lower *L, DNode *c, DNode *from, IrExpr *rec);
static void lower_join_probe(Lower *L, DNode *c, IrExpr *rec);
static void lower_running_total_record(Lower *L, DNode *n, IrExpr *rec);
static bool running_total(Lower *L, DNode *n, int64_t *zero);
static void lower_map_with_state_record(Lower *L, DNode *n, IrExpr *rec);
static void lower_initial_state(Lower *L, DNode *n, IrExpr *rec);

static const char *op_comment(DNode *n)
{
	return arena_printf("%s  %s", node_loc(n), n->op->name);
}

static Node *lambda_arg(DNode *n, int i) { return n->call->items.v[1 + i]; }

/* The split(...) call a lambda's body consists of, or NULL. */
static Node *split_body(Node *lam)
{
	Node *b = lam->lhs;
	while (b->kind == N_BLOCK && b->items.n == 1)
		b = b->items.v[0];
	if (b->kind == N_CALL && !call_is_op(b) && call_builtin(b)->id == BI_SPLIT)
		return b;
	return NULL;
}

/* Opens a scope whose bad records leave it (and nothing else). */
typedef struct DropScope {
	Vec *out;
	int drop;
	bool used;
} DropScope;

static DropScope drop_scope_open(Lower *L, Vec *body)
{
	DropScope d = {L->out, L->drop, L->drop_used};
	L->out = body;
	L->drop = new_label(L);
	L->drop_used = false;
	return d;
}

static void drop_scope_close(Lower *L, DropScope d)
{
	if (L->drop_used)
		place_label(L, L->drop);
	L->out = d.out;
	L->drop = d.drop;
	L->drop_used = d.used;
}

/* Whether c's state lives on worker 0 only (the value of the whole stream). */
static bool node_is_global(const DNode *c)
{
	if (c->is_static) /* every worker computes a static Dataset in full */
		return false;
	return c->op->id == OP_COUNT || c->op->id == OP_REDUCE || node_sorts(c) || (is_inc(c) && c->keyless);
}

static Xchg *xchg_of(Lower *L, DNode *c, DNode *from, Type *t)
{
	for (int i = 0; i < L->xchgs.n; i++) {
		Xchg *x = L->xchgs.v[i];
		if (x->to == c && x->from == from)
			return x;
	}
	Xchg *x = arena_alloc(sizeof *x);
	x->id = L->xchgs.n;
	x->to = c;
	x->from = from;
	x->type = t;
	x->keyless = node_exchange(c, from) == 'G';
	vec_push(&L->xchgs, x);
	L->ir->nexchanges = L->xchgs.n;
	return x;
}

static void lower_consumer(Lower *L, DNode *c, DNode *from, IrExpr *rec);

/* A record to send: what it points to must live until the batch ends. */
static IrExpr *sendable(Lower *L, IrExpr *rec)
{
	return L->from_state && ty_has_refs(rec->type) ? ex_copy(rec, NULL) : rec;
}

static IrTable *new_table(Lower *L, const char *name, Type *key, Type *val, bool persistent, const char *comment);
static IrStmt *for_entries(Lower *L, IrTable *tab, const char *name);
static IrStmt *st_entry(Lower *L, IrStmtKind k, IrTable *tab, IrExpr *key, const char *name);
static IrExpr *inc_combine(Lower *L, DNode *n, bool inverse, IrExpr *a, IrExpr *b, Type *V);

/* reduceByKey, countByValue and the keyed incremental windows
 * (reduceByKeyAndWindow with an inverse, countByValueAndWindow) combine on
 * the sending side: each worker
 * reduces what it has into a table of its own, and sends one (key, partial)
 * per key at the end of its stage (lower_flush), which the owner reduces
 * again (reduceByKey's function is associative and commutative, as Spark
 * requires; countByValue adds). */
static void lower_send_combined(Lower *L, DNode *c, DNode *from, IrExpr *rec)
{
	IrTable *tab = L->table[c->id]; /* an incremental window's: its state, (K, V) */
	Xchg *x = xchg_of(L, c, from, ty_pair(tab->key, tab->val));
	if (!x->pre)
		x->pre = new_table(L, arena_printf("%s_pre%d", tab->name, x->id), tab->key, tab->val, false,
				   arena_printf("%s: this worker's partial %s per key, sent to the key's owner at the "
						"end of the stage", op_comment(c),
						c->op->id == OP_COUNT_BY_VALUE ? "count" : "value"));
	bool listed = false;
	for (int i = 0; i < L->flush.n; i++)
		listed |= L->flush.v[i] == x;
	if (!listed)
		vec_push(&L->flush, x);
	IrStmt *s = st(IS_IF);
	s->comment = arena_printf("%s: combined on this worker, then sent to the key's owner", op_comment(c));
	s->e = ex(IE_EXCHANGING, ty_bool());
	Vec *o = L->out;
	const DNode *here = L->here;
	L->here = c;
	L->out = &s->body;
	if (is_inc(c)) {
		/* the window's reduce function (or +, counting) on this worker's
		 * records of the batch; the owner keeps the partials in its pane */
		IrExpr *kv = once(L, "kv", sendable(L, rec));
		IrStmt *up = st_entry(L, IS_UPSERT, x->pre, ex_field(kv, 0), "part");
		emit(L, up);
		IrStmt *f = st(IS_IF);
		f->e = ex_var(up->fresh);
		emit(L, f);
		L->out = &f->body;
		set(L, ex_val(up->var), ex_field(kv, 1));
		L->out = &f->els;
		set(L, ex_val(up->var), inc_combine(L, c, false, ex_val(up->var), ex_field(kv, 1), x->pre->val));
	} else {
		L->table[c->id] = x->pre;
		lower_consumer(L, c, from, sendable(L, rec));
		L->table[c->id] = tab;
	}
	L->out = &s->els;
	lower_consumer(L, c, from, rec);
	L->here = here;
	L->out = o;
	emit(L, s);
}

/* Sends rec through exchange x to the worker that owns hash h. */
static void xchg_put(Lower *L, Xchg *x, IrExpr *h, IrExpr *rec)
{
	IrStmt *put = st(IS_XCHG_PUT);
	put->out = x->id;
	put->lhs = h;
	put->e = rec;
	emit(L, put);
}

/* At the end of a stage: its partials, each to its key's owner. */
static void lower_flush(Lower *L, Vec *body)
{
	for (int i = 0; i < L->flush.n; i++) {
		Xchg *x = L->flush.v[i];
		IrStmt *s = st(IS_IF);
		s->comment = arena_printf("%s: this worker's partials, to their keys' owners", op_comment(x->to));
		s->e = ex(IE_EXCHANGING, ty_bool());
		IrStmt *loop = for_entries(L, x->pre, "part");
		vec_push(&s->body, loop);
		Vec *o = L->out;
		L->out = &loop->body;
		IrVar *r = let(L, "send", ex_pair(ex_key(loop->var), ex_val(loop->var)));
		xchg_put(L, x, ex_hash(let(L, "key", ex_key(loop->var))), ex_var(r));
		L->out = o;
		/* sent: another stage may send to the same operator through the
		 * same table (the inputs of a union in different stages) */
		IrStmt *clear = st(IS_TABLE_CLEAR);
		clear->table = x->pre;
		vec_push(&s->body, clear);
		vec_push(body, s);
	}
	L->flush.n = 0;
}

/* A keyed operator's record, where it is produced: with one worker it is
 * applied here; with more it goes to the worker that owns its key, whose
 * stage of c applies it (lower_receive). */
static void lower_send(Lower *L, DNode *c, DNode *from, IrExpr *rec)
{
	char kind = node_exchange(c, from);
	if (node_combines(c, from)) {
		lower_send_combined(L, c, from, rec);
		return;
	}
	Xchg *x = xchg_of(L, c, from, rec->type);
	IrStmt *s = st(IS_IF);
	s->comment = arena_printf("%s: on the worker that owns %s", op_comment(c),
				  kind == 'G' ? "the stream's aggregate (worker 0)" : "the key");
	s->e = ex(IE_EXCHANGING, ty_bool());
	Vec *o = L->out;
	L->out = &s->body;
	IrVar *r = let(L, "send", sendable(L, rec));
	IrExpr *h = kind == 'G' ? ex_int(0) : ex_hash(let(L, "key", kind == 'R' ? ex_var(r) : ex_field(ex_var(r), 0)));
	xchg_put(L, x, h, ex_var(r));
	L->out = &s->els;
	const DNode *here = L->here;
	L->here = c;
	lower_consumer(L, c, from, rec);
	L->here = here;
	L->out = o;
	emit(L, s);
}

/* At the start of c's stage: the records the workers sent this one. */
static void lower_receive(Lower *L, DNode *c, Vec *body)
{
	for (int i = 0; i < L->xchgs.n; i++) {
		Xchg *x = L->xchgs.v[i];
		if (x->to != c)
			continue;
		IrStmt *loop = st(IS_FOR_XCHG);
		loop->out = x->id;
		loop->var = new_var(L, "recv", x->type);
		loop->comment = arena_printf("%s: the records of %s the workers sent this one (the keys it owns)",
					     op_comment(c), node_loc(x->from));
		Vec *o = L->out;
		L->out = &loop->body;
		const DNode *here = L->here;
		L->here = c;
		L->merging = x->pre && c->op->id == OP_COUNT_BY_VALUE;
		lower_consumer(L, c, x->from, ex_var(loop->var));
		L->merging = false;
		L->here = here;
		L->out = o;
		vec_push(body, loop);
	}
}

/* x traced back through the lets of unchanged variables and the fields of
 * tuples built in the loop, to where its value was made. */
static IrExpr *trace(IrExpr *x)
{
	for (;;) {
		if (x->kind == IE_VAR && x->var->init && !x->var->assigned) {
			x = x->var->init;
		} else if (x->kind == IE_FIELD) {
			IrExpr *t = trace(x->a[0]);
			if (t->kind != IE_TUPLE)
				return t == x->a[0] ? x : ex_field(t, (int)x->ival);
			x = t->a[x->ival];
		} else {
			return x;
		}
	}
}

/* The dense id of key when it is a static Dataset's join value interned at
 * load (lower_join_probe's (value, id)), else NULL. */
static IrExpr *dense_id(IrExpr *key)
{
	IrExpr *x = trace(key);
	if (x->kind == IE_FIELD && x->ival == 0 && x->a[0]->kind == IE_VAR && x->a[0]->var->interned)
		return ex_field(x->a[0], 1);
	return NULL;
}

/* The dense table the stage being lowered combines c's records into, on
 * their way to table target (Dense). */
static IrTable *dense_table(Lower *L, DNode *c, IrTable *target)
{
	for (int i = 0; i < L->dense.n; i++) {
		Dense *d = L->dense.v[i];
		if (d->op == c && d->target == target)
			return d->d;
	}
	Dense *d = arena_alloc(sizeof *d);
	d->op = c;
	d->target = target;
	const char *name = arena_printf("%s_dense", target->name);
	for (int i = 0, k = 1; i < L->ir->tables.n; i++)
		if (!strcmp(((IrTable *)L->ir->tables.v[i])->name, name)) {
			name = arena_printf("%s_dense%d", target->name, ++k);
			i = -1;
		}
	d->d = new_table(L, name, target->key, target->val, false,
			 arena_printf("%s: this stage's %s per key, found by the key's dense id (interned at load), "
				      "not by a hash probe; merged into %s at the end of the stage",
				      op_comment(c), c->op->id == OP_COUNT_BY_VALUE ? "count" : "reduced value",
				      target->name));
	d->d->dense = true;
	vec_push(&L->dense, d);
	return d->d;
}

/* A keyed aggregate's value val (of an entry just upserted, fresh or not)
 * combined with x: reduceByKey's function, or + for countByValue. */
static IrExpr *agg_combine(Lower *L, DNode *c, IrExpr *val, IrExpr *x)
{
	if (c->op->id == OP_COUNT_BY_VALUE)
		return ex_bin('+', ty_int(), ty_int(), val, x);
	return coerce(L, apply2(L, lambda_arg(c, 0), val, x), val->type);
}

/* At the end of a stage: each dense table's entries merged into the
 * aggregate's table, in the order their keys were first seen (so the
 * table is laid out as if the records had gone straight into it). */
static void lower_dense_flush(Lower *L, Vec *body)
{
	Vec *o = L->out;
	for (int i = 0; i < L->dense.n; i++) {
		Dense *d = L->dense.v[i];
		IrStmt *loop = for_entries(L, d->d, "dense");
		loop->comment = arena_printf("%s: this stage's values by dense id, into %s (a probe per key, not per "
					     "record)", op_comment(d->op), d->target->name);
		IrStmt *blk = st(IS_BLOCK);
		DropScope ds = drop_scope_open(L, &blk->body);
		IrStmt *up = st_entry(L, IS_UPSERT, d->target, ex_key(loop->var), "ent");
		emit(L, up);
		IrStmt *s = st(IS_IF);
		s->e = ex_var(up->fresh);
		Vec *b = L->out;
		L->out = &s->body;
		set(L, ex_val(up->var), ex_val(loop->var));
		L->out = &s->els;
		set(L, ex_val(up->var), agg_combine(L, d->op, ex_val(up->var), ex_val(loop->var)));
		L->out = b;
		emit(L, s);
		drop_scope_close(L, ds);
		vec_push(&loop->body, blk);
		vec_push(body, loop);
	}
	L->dense.n = 0;
	L->out = o;
}

/* One consumer c of a record rec (produced by from): a fused operator, or a sink. */
static void lower_consumer(Lower *L, DNode *c, DNode *from, IrExpr *rec)
{
	if (L->here != c && node_exchange(c, from)) {
		lower_send(L, c, from, rec);
		return;
	}
	IrStmt *blk = st(IS_BLOCK);
	blk->comment = op_comment(c);
	DropScope d = drop_scope_open(L, &blk->body);

	switch (c->op->id) {
	case OP_MAP: {
		IrExpr *r = coerce(L, apply1(L, lambda_arg(c, 0), rec), ty_resolve(c->type)->elem);
		push_to_consumers(L, c, ex_var(let(L, "rec", r)));
		break;
	}
	case OP_FILTER: {
		IrStmt *s = st(IS_IF);
		s->e = apply1(L, lambda_arg(c, 0), rec);
		Vec *o = L->out;
		L->out = &s->body;
		push_to_consumers(L, c, rec);
		L->out = o;
		emit(L, s);
		break;
	}
	case OP_MAP_VALUES: {
		IrExpr *rv = once(L, "kv", rec);
		Type *ct = ty_resolve(ty_resolve(c->type)->elem);
		IrExpr *v = coerce(L, apply1(L, lambda_arg(c, 0), ex_field(rv, 1)), ct->elems[1]);
		IrExpr *it[2] = {ex_field(rv, 0), v};
		push_to_consumers(L, c, ex_var(let(L, "rec", ex_tuple(ct, 2, it))));
		break;
	}
	case OP_FLAT_MAP: case OP_FLAT_MAP_VALUES: {
		bool values = c->op->id == OP_FLAT_MAP_VALUES;
		IrExpr *rv = values ? once(L, "kv", rec) : rec;
		Node *lam = lambda_arg(c, 0);
		IrExpr *arg = values ? ex_field(rv, 1) : rv;
		Type *out_t = ty_resolve(c->type)->elem;
		Vec *o = L->out;
		IrStmt *holder;
		IrExpr *el;
		Node *split = split_body(lam);
		IrExpr *xs = NULL;
		Type *xt = NULL;
		if (split) {
			/* flatMap(l => split(l, sep)): iterate the pieces in place;
			 * the list is never built */
			Param *p = lam->params.v[0];
			bind(L, p->sym, once(L, p->name[0] == '_' ? "x" : p->name, arg));
			holder = st(IS_FOR_SPLIT);
			holder->lhs = lower_expr(L, split->items.v[0]);
			holder->e = lower_expr(L, split->items.v[1]);
			holder->var = new_var(L, "piece", ty_string());
			el = ex_var(holder->var);
		} else {
			xs = once(L, "xs", apply1(L, lam, arg));
			xt = ty_resolve(xs->type);
		}
		if (split) {
			/* the holder is set up */
		} else if (xt->kind == TY_LIST) {
			holder = st(IS_FOR_RANGE);
			holder->var = new_var(L, "i", ty_int());
			holder->lhs = ex_int(0);
			holder->e = ex1(IE_LIST_LEN, ty_int(), xs);
			el = ex2(IE_LIST_AT, xt->elem, xs, ex_var(holder->var));
		} else {
			holder = st(IS_IF);
			holder->e = ex1(IE_IS_SOME, ty_bool(), xs);
			el = ex1(IE_OPT_VAL, xt->elem, xs);
		}
		L->out = &holder->body;
		IrExpr *r;
		if (values) {
			IrExpr *it[2] = {ex_field(rv, 0), el};
			r = ex_tuple(out_t, 2, it);
		} else {
			r = coerce(L, el, out_t);
		}
		push_to_consumers(L, c, ex_var(let(L, values ? "rec" : "x", r)));
		L->out = o;
		emit(L, holder);
		break;
	}
	case OP_UNION: case OP_REPARTITION:
		/* repartition changes how a batch is split among workers, not
		 * its records: in a fused loop it is a pass-through */
		push_to_consumers(L, c, rec);
		break;

	case OP_COUNT: {
		IrScalar *cnt = L->scalar[c->id];
		set(L, ex_scalar(cnt), ex_bin('+', ty_int(), ty_int(), ex_scalar(cnt), ex_int(1)));
		break;
	}
	case OP_REDUCE: {
		IrScalar *has = L->scalar[c->id], *acc = L->scalar2[c->id];
		IrExpr *rv = once(L, "x", rec);
		IrStmt *s = st(IS_IF);
		s->e = ex1(IE_NOT, ty_bool(), ex_scalar(has));
		Vec *o = L->out;
		L->out = &s->body;
		set(L, ex_scalar(acc), rv);
		set(L, ex_scalar(has), ex_bool(true));
		L->out = &s->els;
		IrExpr *r = coerce(L, apply2(L, lambda_arg(c, 0), ex_scalar(acc), rv), acc->type);
		set(L, ex_scalar(acc), r);
		L->out = o;
		emit(L, s);
		break;
	}
	case OP_SORT_BY: case OP_SORT_BY_KEY: case OP_TOP: case OP_TAKE_ORDERED: {
		IrScalar *batch = L->scalar[c->id];
		Node *f = node_sort_key(c);
		IrStmt *push = st(IS_PUSH);
		push->lhs = ex_scalar(batch);
		if (f) {
			IrExpr *rv = once(L, "x", rec);
			IrExpr *k = coerce(L, apply1(L, f, rv), ty_resolve(f->type));
			push->e = ex_pair(k, rv);
		} else {
			push->e = rec;
		}
		emit(L, push);
		break;
	}
	case OP_UPDATE_STATE_BY_KEY: case OP_MAP_WITH_STATE:
		if (c->nin == 2 && from == c->in[1]) { /* the initial state, at start */
			lower_initial_state(L, c, rec);
			break;
		}
		if (c->op->id == OP_MAP_WITH_STATE) {
			lower_map_with_state_record(L, c, rec);
			break;
		}
		if (running_total(L, c, &(int64_t){0})) {
			lower_running_total_record(L, c, rec);
			break;
		}
		/* fall through - updateStateByKey groups the batch's values */
	case OP_COUNT_BY_VALUE: case OP_REDUCE_BY_KEY: case OP_GROUP_BY_KEY: {
		IrTable *tab = L->table[c->id];
		bool counted = c->op->id == OP_COUNT_BY_VALUE && !L->merging; /* a record, not (k, n) */
		IrExpr *rv = counted ? rec : once(L, "kv", rec);
		IrExpr *key = counted ? rv : ex_field(rv, 0);
		/* a key interned at load: its dense id finds the entry (Dense) */
		IrExpr *id = c->op->id == OP_REDUCE_BY_KEY || c->op->id == OP_COUNT_BY_VALUE ? dense_id(key) : NULL;
		IrStmt *up = st(IS_UPSERT);
		if (id) {
			tab = dense_table(L, c, tab);
			if (!vec_has(&c->dense_in, L->stage))
				vec_push(&c->dense_in, L->stage);
			up->comment = "the key's dense id (interned at load) is an array index: no hash probe";
		}
		up->table = tab;
		up->e = key;
		up->lhs = id;
		up->var = new_var(L, "ent", NULL);
		up->var->table = tab;
		up->fresh = new_var(L, "fresh", ty_bool());
		emit(L, up);
		IrExpr *val = ex(IE_ENTRY_VAL, tab->val);
		val->var = up->var;
		IrStmt *s = st(IS_IF);
		s->e = ex_var(up->fresh);
		Vec *o = L->out;
		if (c->op->id == OP_COUNT_BY_VALUE) {
			IrExpr *n = counted ? ex_int(1) : ex_field(rv, 1);
			L->out = &s->body;
			set(L, val, n);
			L->out = &s->els;
			set(L, val, agg_combine(L, c, val, n));
		} else if (c->op->id == OP_REDUCE_BY_KEY) {
			L->out = &s->body;
			set(L, val, ex_field(rv, 1));
			L->out = &s->els;
			set(L, val, agg_combine(L, c, val, ex_field(rv, 1)));
		} else {
			/* a fresh entry's list is zeroed, i.e. empty: append always */
			IrStmt *push = st(IS_PUSH);
			push->lhs = val;
			push->e = ex_field(rv, 1);
			emit(L, push);
			s = NULL;
		}
		L->out = o;
		if (s)
			emit(L, s);
		break;
	}
	case OP_JOIN: case OP_LEFT_OUTER_JOIN: case OP_RIGHT_OUTER_JOIN: case OP_FULL_OUTER_JOIN:
	case OP_COGROUP:
		if (node_is_fused(c, from))
			lower_join_probe(L, c, rec);
		else
			lower_join_input(L, c, from, rec);
		break;
	case OP_STATE_SNAPSHOTS:
		break; /* its stage reads the state after the batch */
	case OP_REDUCE_BY_KEY_AND_WINDOW: case OP_REDUCE_BY_WINDOW: case OP_COUNT_BY_WINDOW:
	case OP_COUNT_BY_VALUE_AND_WINDOW:
	case OP_WINDOW: {
		IrStmt *s = st(IS_PANE_PUSH);
		s->window = L->window[c->id];
		s->e = rec;
		emit(L, s);
		break;
	}
	case OP_PRINT: case OP_SAVE_AS_TEXT_FILES: case OP_FOREACH_RDD: case OP_FOREACH_RECORD:
	case OP_SAVE_TO_KAFKA: case OP_SAVE_TO_POSTGRES: case OP_SAVE_TO_REDIS: {
		IrStmt *s = st(IS_OUTPUT);
		s->out = c->out_index;
		s->e = rec;
		/* the sinks that take typed fields, not the record's text */
		s->typed = c->op->id != OP_PRINT && c->op->id != OP_SAVE_AS_TEXT_FILES;
		emit(L, s);
		break;
	}
	default:
		die("operator %s reached lowering unsupported", c->op->name);
	}

	drop_scope_close(L, d);
	emit(L, blk);
}

static void push_to_consumers(Lower *L, DNode *n, IrExpr *rec)
{
	for (int i = 0; i < n->consumers.n; i++)
		if (node_feeds(n, i))
			lower_consumer(L, n->consumers.v[i], n, rec);
}

/* ---- stages and the program ---------------------------------------------------- */

static const char *c_ident(const char *s)
{
	char *r = arena_strdup(s);
	for (char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	return r;
}

static IrTable *new_table(Lower *L, const char *name, Type *key, Type *val, bool persistent, const char *comment)
{
	IrTable *tab = arena_alloc(sizeof *tab);
	tab->name = name;
	tab->key = key;
	tab->val = val;
	tab->persistent = persistent;
	tab->comment = comment;
	vec_push(&L->ir->tables, tab);
	return tab;
}

/* The name a checkpoint stores n's state of this role under: the
 * operator's stable identity, and the role ("state", "panes", "kept"),
 * prefixed by n's operator when the planner made n for another one
 * (reduceByKeyAndWindow without an inverse keeps a "window.panes"). */
static const char *ckpt_name(const DNode *n, const char *role)
{
	ASSERT(n->state_id);
	if (n->op != call_op(n->call))
		return arena_printf("%s/%s.%s", n->state_id, n->op->name, role);
	return arena_printf("%s/%s", n->state_id, role);
}

static void keep_table(IrTable *t, const DNode *n, const char *role)
{
	t->ckpt = ckpt_name(n, role);
	t->owner = n;
}

static void keep_window(IrWindow *w, const DNode *n)
{
	w->ckpt = ckpt_name(n, "panes");
	w->owner = n;
}

/* Whether n's records reach a per-batch keyed aggregate through fused
 * operators only (the aggregate's stage then holds a dense table). */
static bool feeds_aggregate(const DNode *n)
{
	for (int i = 0; i < n->consumers.n; i++) {
		const DNode *c = n->consumers.v[i];
		if (!node_feeds(n, i))
			continue;
		if (c->op->id == OP_REDUCE_BY_KEY || c->op->id == OP_COUNT_BY_VALUE)
			return true;
		if (node_is_fused(c, n) && feeds_aggregate(c))
			return true;
	}
	return false;
}

/* A join with a static Dataset whose values (of type v) are worth dense ids:
 * an inner join (every record it yields holds one of them) that feeds a
 * keyed aggregate, with Int or String values (YSB's ad -> campaign). */
static bool join_interns(const DNode *n, Type *v)
{
	TypeKind k = ty_resolve(v)->kind;
	return n->op->id == OP_JOIN && n->static_side >= 0 && (k == TY_INT || k == TY_STRING) && feeds_aggregate(n);
}

static void add_state(Lower *L, DNode *n)
{
	const char *base = arena_printf("n%d_%s", n->id, c_ident(n->op->name));
	Type *t = ty_resolve(n->type)->elem;
	switch (n->op->id) {
	case OP_COUNT: {
		IrScalar *s = arena_alloc(sizeof *s);
		s->name = base;
		s->type = ty_int();
		s->comment = arena_printf("%s: records counted this batch", op_comment(n));
		vec_push(&L->ir->scalars, s);
		L->scalar[n->id] = s;
		break;
	}
	case OP_REDUCE: {
		IrScalar *has = arena_alloc(sizeof *has), *acc = arena_alloc(sizeof *acc);
		has->name = arena_printf("%s_has", base);
		has->type = ty_bool();
		has->comment = arena_printf("%s: a record was seen this batch", op_comment(n));
		acc->name = arena_printf("%s_acc", base);
		acc->type = t;
		acc->comment = arena_printf("%s: the reduction so far", op_comment(n));
		vec_push(&L->ir->scalars, has);
		vec_push(&L->ir->scalars, acc);
		L->scalar[n->id] = has;
		L->scalar2[n->id] = acc;
		break;
	}
	case OP_SORT_BY: case OP_SORT_BY_KEY: case OP_TOP: case OP_TAKE_ORDERED: {
		Node *f = node_sort_key(n);
		IrScalar *s = arena_alloc(sizeof *s);
		s->name = arena_printf("%s_batch", base);
		s->type = ty_list(f ? ty_pair(ty_resolve(f->type), t) : t);
		s->comment = arena_printf("%s: this batch's records%s, to sort", op_comment(n),
					  f ? ", each after its key" : "");
		vec_push(&L->ir->scalars, s);
		L->scalar[n->id] = s;
		break;
	}
	case OP_COUNT_BY_VALUE: case OP_REDUCE_BY_KEY: case OP_GROUP_BY_KEY: {
		IrTable *tab = arena_alloc(sizeof *tab);
		tab->name = base;
		Type *tt = ty_resolve(t);
		tab->key = tt->elems[0];
		tab->val = tt->elems[1];
		tab->comment = arena_printf("%s: %s per key, this batch", op_comment(n),
					    n->op->id == OP_GROUP_BY_KEY ? "values" : n->op->id == OP_COUNT_BY_VALUE ? "count" : "reduced value");
		vec_push(&L->ir->tables, tab);
		L->table[n->id] = tab;
		break;
	}
	case OP_JOIN: case OP_LEFT_OUTER_JOIN: case OP_RIGHT_OUTER_JOIN: case OP_FULL_OUTER_JOIN:
	case OP_COGROUP:
		/* each side's values per key: this batch's, or for a static
		 * Dataset all of it, gathered once at start */
		for (int side = 0; side < 2; side++) {
			Type *pt = ty_resolve(ty_resolve(n->in[side]->type)->elem);
			bool fixed = n->in[side]->is_static;
			if (n->static_side >= 0 && !fixed)
				continue; /* the stream side probes, it keeps nothing */
			/* A Dataset that every stream record probes keeps a key's first
			 * value inline, (first, the others): the common key with one
			 * value costs the probe no load through a list (lower_join_probe) */
			Type *elem = pt->elems[1];
			if (n->static_side == side && join_interns(n, elem)) {
				/* each value with its dense id: (value, id) */
				L->intern[n->id] = new_table(
					L, arena_printf("%s_ids", base), elem, ty_int(), true,
					arena_printf("%s: the Dataset's distinct values, each with its dense id "
						     "(0, 1, ... in load order), interned once at start",
						     op_comment(n)));
				n->interned = true;
				elem = ty_pair(elem, ty_int());
			}
			Type *vals = ty_list(elem);
			if (n->static_side == side)
				vals = ty_pair(elem, vals);
			IrTable *tab = new_table(L, arena_printf("%s_%s", base, side ? "right" : "left"), pt->elems[0],
						 vals, fixed,
						 arena_printf("%s: the %s side's values per key, %s", op_comment(n),
							      side ? "right" : "left", fixed ? "loaded once at start" : "this batch"));
			if (side)
				L->table2[n->id] = tab;
			else
				L->table[n->id] = tab;
		}
		break;
	case OP_MAP_WITH_STATE: {
		/* per key: (Option[S], time of the last update); the next table,
		 * compacted each batch; and this batch's output records */
		Type *tt = ty_resolve(ty_resolve(n->in[0]->type)->elem);
		Node *lam = lambda_arg(n, 0);
		Type *S = ty_resolve(((Param *)lam->params.v[2])->sym->type)->elem;
		Type *v = ty_pair(ty_option(S), ty_int());
		L->table[n->id] = new_table(L, arena_printf("%s_state", base), tt->elems[0], v, true,
					    arena_printf("%s: the state per key and when it was last updated", op_comment(n)));
		L->table2[n->id] = new_table(L, arena_printf("%s_next", base), tt->elems[0], v, true,
					     arena_printf("%s: the state without removed and timed-out keys", op_comment(n)));
		keep_table(L->table[n->id], n, "state");
		IrScalar *out = arena_alloc(sizeof *out);
		out->name = arena_printf("%s_out", base);
		out->type = ty_list(t);
		out->comment = arena_printf("%s: the records this batch's calls returned", op_comment(n));
		vec_push(&L->ir->scalars, out);
		L->scalar[n->id] = out;
		break;
	}
	case OP_STATE_SNAPSHOTS:
		break; /* reads mapWithState's table */
	case OP_UPDATE_STATE_BY_KEY: {
		/* this batch's values per key, and the state: the current table
		 * and the next one, built from it each batch, then swapped */
		Type *tt = ty_resolve(ty_resolve(n->in[0]->type)->elem);
		Type *S = ty_resolve(t)->elems[1];
		bool total = running_total(L, n, &(int64_t){0}); /* the state only: no grouping, no holes */
		if (!total)
			L->table[n->id] = new_table(L, arena_printf("%s_new", base), tt->elems[0], ty_list(tt->elems[1]),
						    false, arena_printf("%s: this batch's values per key", op_comment(n)));
		L->table2[n->id] = new_table(L, arena_printf("%s_state", base), tt->elems[0], ty_option(S), true,
					     arena_printf("%s: the state per key (None: removed this batch)", op_comment(n)));
		keep_table(L->table2[n->id], n, "state");
		if (!total)
			L->table3[n->id] = new_table(L, arena_printf("%s_next", base), tt->elems[0], ty_option(S), true,
						     arena_printf("%s: the next state, built from the state each batch",
								  op_comment(n)));
		break;
	}
	case OP_REDUCE_BY_KEY_AND_WINDOW: case OP_REDUCE_BY_WINDOW: case OP_COUNT_BY_WINDOW:
	case OP_COUNT_BY_VALUE_AND_WINDOW: {
		/* panes of per-batch partials for (T - s - w, T]; the window's
		 * value per key (the state); this slide's leaving and entering
		 * values per key; and a second state table for the filter */
		Type *in = ty_resolve(ty_resolve(n->in[0]->type)->elem);
		Type *K = n->keyless ? ty_int() : in->elems[0], *V = n->keyless ? in : in->elems[1];
		IrWindow *w = arena_alloc(sizeof *w);
		w->name = arena_printf("%s_panes", base);
		w->elem = in;
		w->window_ms = n->window_ms;
		w->slide_ms = n->slide_ms;
		w->npanes = (int)((n->window_ms + n->slide_ms) / L->plan->cp->batch_ms);
		w->comment = arena_printf("%s: per-batch partials of the window and the slide before it", op_comment(n));
		vec_push(&L->ir->windows, w);
		L->window[n->id] = w;
		L->table[n->id] = new_table(L, arena_printf("%s_state", base), K, V, true,
					    arena_printf("%s: the window's value per key", op_comment(n)));
		keep_window(w, n);
		keep_table(L->table[n->id], n, "state");
		L->table2[n->id] = new_table(L, arena_printf("%s_leaving", base), K, V, false,
					     arena_printf("%s: values leaving the window at this slide", op_comment(n)));
		L->table3[n->id] = new_table(L, arena_printf("%s_entering", base), K, V, false,
					     arena_printf("%s: values entering the window at this slide", op_comment(n)));
		if (n->filter_fn || n->op->id == OP_COUNT_BY_VALUE_AND_WINDOW) {
			L->table4[n->id] = new_table(L, arena_printf("%s_kept", base), K, V, true,
						     arena_printf("%s: the state after the filter", op_comment(n)));
			keep_table(L->table4[n->id], n, "kept");
		}
		break;
	}
	case OP_WINDOW: {
		IrWindow *w = arena_alloc(sizeof *w);
		w->name = base;
		w->elem = t;
		w->window_ms = n->window_ms;
		w->slide_ms = n->slide_ms;
		w->npanes = (int)(n->window_ms / L->plan->cp->batch_ms);
		w->comment = arena_printf("%s: the records of the last %d batch%s", op_comment(n), w->npanes,
					  w->npanes == 1 ? "" : "es");
		vec_push(&L->ir->windows, w);
		L->window[n->id] = w;
		keep_window(w, n);
		break;
	}
	default:
		die("no state layout for %s", n->op->name);
	}
}

static IrStmt *st_entry(Lower *L, IrStmtKind k, IrTable *tab, IrExpr *key, const char *name)
{
	IrStmt *s = st(k);
	s->table = tab;
	s->e = key;
	s->var = new_var(L, name, NULL);
	s->var->table = tab;
	if (k == IS_UPSERT)
		s->fresh = new_var(L, "fresh", ty_bool());
	return s;
}


/* A static Dataset's join value v, interned in ids: (v, its dense id), a
 * value seen first taking the next id (the table's count before it).  The
 * value is the copy in ids' arena, which lives as long as the join's. */
static IrExpr *intern_value(Lower *L, IrTable *ids, IrExpr *v)
{
	IrStmt *up = st_entry(L, IS_UPSERT, ids, v, "interned");
	emit(L, up);
	IrStmt *fresh = st(IS_IF);
	fresh->e = ex_var(up->fresh);
	IrExpr *n = ex(IE_TABLE_COUNT, ty_int());
	n->table = ids;
	Vec *o = L->out;
	L->out = &fresh->body;
	set(L, ex_val(up->var), ex_bin('-', ty_int(), ty_int(), n, ex_int(1)));
	L->out = o;
	emit(L, fresh);
	return ex_var(let(L, "val", ex_pair(ex_key(up->var), ex_val(up->var))));
}

/* A record entering side 0 or 1 of a join (both, for s.join(s)): appended
 * to its key's values in that side's table; for the Dataset a stream probes,
 * a new key's value is the entry's inline first one instead. */
static void lower_join_input(Lower *L, DNode *c, DNode *from, IrExpr *rec)
{
	IrExpr *kv = once(L, "kv", rec);
	for (int side = 0; side < 2; side++) {
		if (c->in[side] != from)
			continue;
		IrTable *tab = side ? L->table2[c->id] : L->table[c->id];
		IrTable *ids = c->static_side == side ? L->intern[c->id] : NULL;
		/* the Dataset's load: its table sized first (not ids: it holds
		 * the distinct values, often far fewer than the records) */
		if (c->static_side == side && !vec_has(&L->reserve, tab))
			vec_push(&L->reserve, tab);
		IrExpr *val = ids ? intern_value(L, ids, ex_field(kv, 1))
			      : tab->persistent ? ex_copy(ex_field(kv, 1), tab) : ex_field(kv, 1);
		IrStmt *up = st_entry(L, IS_UPSERT, tab, ex_field(kv, 0), side ? "right" : "left");
		emit(L, up);
		bool first = c->static_side == side;
		IrStmt *fresh = NULL;
		Vec *o = L->out;
		if (first) {
			fresh = st(IS_IF);
			fresh->e = ex_var(up->fresh);
			L->out = &fresh->body;
			set(L, ex_field(ex_val(up->var), 0), val);
			L->out = &fresh->els;
		}
		IrStmt *push = st(IS_PUSH);
		push->lhs = first ? ex_field(ex_val(up->var), 1) : ex_val(up->var);
		push->e = val;
		push->table = tab; /* a persistent list grows in the table's arena */
		emit(L, push);
		if (first) {
			L->out = o;
			emit(L, fresh);
		}
	}
}

/* for (each value x of list) body(x) */
static IrStmt *for_list(Lower *L, IrExpr *list, const char *name, IrVar **x)
{
	IrStmt *loop = st(IS_FOR_RANGE);
	loop->var = new_var(L, "i", ty_int());
	loop->lhs = ex_int(0);
	loop->e = ex1(IE_LIST_LEN, ty_int(), list);
	*x = new_var(L, name, ty_resolve(list->type)->elem);
	IrStmt *l = st(IS_LET);
	l->var = *x;
	l->e = ex2(IE_LIST_AT, (*x)->type, list, ex_var(loop->var));
	vec_push(&loop->body, l);
	return loop;
}

/* A join with a static Dataset, fused into the stream's loop (plan.c:
 * static_join_side): the record probes the Dataset's table, built once at
 * start, and each match goes on down the loop; with leftOuterJoin (or
 * rightOuterJoin, the Dataset on the left) a miss goes on with None. */
static void lower_join_probe(Lower *L, DNode *c, IrExpr *rec)
{
	OpId op = c->op->id;
	int fixed = c->static_side, drive = 1 - fixed;
	Type *out = ty_resolve(ty_resolve(c->type)->elem);
	Type *vw = ty_resolve(out->elems[1]);
	Type *ot = ty_resolve(vw->elems[fixed]);
	IrTable *tab = fixed ? L->table2[c->id] : L->table[c->id];
	bool optional = op == OP_LEFT_OUTER_JOIN || op == OP_RIGHT_OUTER_JOIN;
	IrExpr *kv = once(L, "kv", rec);
	IrStmt *probe = st_entry(L, IS_LOOKUP, tab, ex_field(kv, 0), fixed ? "right" : "left");
	emit(L, probe);
	IrExpr *found = ex(IE_FOUND, ty_bool());
	found->var = probe->var;
	IrStmt *matched = st(IS_IF);
	matched->e = found;
	Vec *o = L->out;
	L->out = &matched->body;
	/* for i in [0, 1 + len(others)): w = i < 1 ? first : others[i - 1];
	 * the bound is read once, not at every turn past the body's stores */
	IrVar *nvals = let(L, "nvals", ex_bin('+', ty_int(), ty_int(), ex_int(1),
					      ex1(IE_LIST_LEN, ty_int(), ex_field(ex_val(probe->var), 1))));
	IrStmt *inner = st(IS_FOR_RANGE);
	inner->var = new_var(L, "i", ty_int());
	inner->lhs = ex_int(0);
	inner->e = ex_var(nvals);
	IrVar *y = new_var(L, "w", ty_resolve(tab->val)->elems[0]);
	y->interned = L->intern[c->id] != NULL; /* y is (value, its dense id) */
	IrExpr *pick = ex(IE_COND, y->type);
	pick->n = 3;
	pick->a = arena_alloc(3 * sizeof(IrExpr *));
	pick->a[0] = ex_bin('<', ty_bool(), ty_int(), ex_var(inner->var), ex_int(1));
	pick->a[1] = ex_field(ex_val(probe->var), 0);
	pick->a[2] = ex2(IE_LIST_AT, y->type, ex_field(ex_val(probe->var), 1),
			 ex_bin('-', ty_int(), ty_int(), ex_var(inner->var), ex_int(1)));
	IrStmt *w = st(IS_LET);
	w->var = y;
	w->e = pick;
	vec_push(&inner->body, w);
	emit(L, inner);
	L->out = &inner->body;
	IrExpr *yv = y->interned ? ex_field(ex_var(y), 0) : ex_var(y);
	if (optional)
		yv = ex1(IE_SOME, ot, yv);
	IrExpr *pair = drive ? ex_pair(yv, ex_field(kv, 1)) : ex_pair(ex_field(kv, 1), yv);
	pair->type = vw;
	IrExpr *r = ex_pair(ex_field(kv, 0), pair);
	r->type = out;
	push_to_consumers(L, c, ex_var(let(L, "rec", r)));
	if (optional) { /* no match: the Dataset's side is None */
		L->out = &matched->els;
		IrExpr *none = ex(IE_NONE, ot);
		IrExpr *p2 = drive ? ex_pair(none, ex_field(kv, 1)) : ex_pair(ex_field(kv, 1), none);
		p2->type = vw;
		IrExpr *r2 = ex_pair(ex_field(kv, 0), p2);
		r2->type = out;
		push_to_consumers(L, c, ex_var(let(L, "rec", r2)));
	}
	L->out = o;
	emit(L, matched);
}

/* The join's stage: every key of the driving side, probed in the other.
 * join and leftOuterJoin drive from the left, rightOuterJoin from the
 * right; fullOuterJoin and cogroup also visit the right side's keys the
 * left lacks.  Records are (k, (v, w)) with Options and Lists as Spark's. */
static void lower_join(Lower *L, DNode *n, Vec *body)
{
	OpId op = n->op->id;
	Type *out = ty_resolve(ty_resolve(n->type)->elem);
	Type *vw = ty_resolve(out->elems[1]);
	IrTable *tabs[2] = {L->table[n->id], L->table2[n->id]};
	int passes = op == OP_FULL_OUTER_JOIN || op == OP_COGROUP ? 2 : 1;
	for (int pass = 0; pass < passes; pass++) {
		int drive = (op == OP_RIGHT_OUTER_JOIN || pass == 1) ? 1 : 0, other = 1 - drive;
		IrStmt *loop = for_entries(L, tabs[drive], drive ? "right" : "left");
		loop->comment = arena_printf("%s: %s", op_comment(n),
					     pass ? "keys only the right side has" : drive ? "every key of the right side"
											: "every key of the left side");
		L->out = &loop->body;
		if (tabs[drive]->persistent) {
			/* a static Dataset: every worker has all of it, and visits its share of the keys */
			only_if_owned(L, let(L, "key", ex_key(loop->var)));
		}
		IrStmt *probe = st_entry(L, IS_LOOKUP, tabs[other], ex_key(loop->var), drive ? "left" : "right");
		emit(L, probe);
		IrExpr *found = ex(IE_FOUND, ty_bool());
		found->var = probe->var;
		Vec *outer = L->out;
		IrStmt *guard = NULL;
		if (pass == 1) { /* the left side's keys were done in pass 0 */
			guard = st(IS_IF);
			guard->e = ex1(IE_NOT, ty_bool(), found);
			L->out = &guard->body;
		}
		IrExpr *mine = ex_val(loop->var), *theirs = ex_val(probe->var);
		if (op == OP_COGROUP) {
			IrVar *other_vals = let_zero(L, "vals", tabs[other]->val);
			IrStmt *has = st(IS_IF);
			has->e = found;
			IrStmt *sv = st(IS_SET);
			sv->lhs = ex_var(other_vals);
			sv->e = theirs;
			vec_push(&has->body, sv);
			emit(L, has);
			IrExpr *pair = drive ? ex_pair(ex_var(other_vals), mine) : ex_pair(mine, ex_var(other_vals));
			pair->type = vw;
			IrExpr *rec = ex_pair(ex_key(loop->var), pair);
			rec->type = out;
			push_to_consumers(L, n, ex_var(let(L, "rec", rec)));
		} else {
			bool other_optional = op == OP_FULL_OUTER_JOIN || (op == OP_LEFT_OUTER_JOIN && !drive) ||
					      (op == OP_RIGHT_OUTER_JOIN && drive);
			bool mine_optional = op == OP_FULL_OUTER_JOIN;
			Type *mt = ty_resolve(vw->elems[drive]), *ot = ty_resolve(vw->elems[other]);
			IrVar *x;
			IrStmt *outer_loop = for_list(L, mine, "v", &x);
			emit(L, outer_loop);
			Vec *o2 = L->out;
			L->out = &outer_loop->body;
			IrExpr *xv = mine_optional ? ex1(IE_SOME, mt, ex_var(x)) : ex_var(x);
			/* matched: one record per pair of values */
			IrStmt *matched = st(IS_IF);
			matched->e = found;
			L->out = &matched->body;
			IrVar *y;
			IrStmt *inner = for_list(L, theirs, "w", &y);
			emit(L, inner);
			L->out = &inner->body;
			IrExpr *yv = other_optional ? ex1(IE_SOME, ot, ex_var(y)) : ex_var(y);
			IrExpr *pair = drive ? ex_pair(yv, xv) : ex_pair(xv, yv);
			pair->type = vw;
			IrExpr *rec = ex_pair(ex_key(loop->var), pair);
			rec->type = out;
			push_to_consumers(L, n, ex_var(let(L, "rec", rec)));
			if (other_optional) { /* unmatched: the other side is None */
				L->out = &matched->els;
				IrExpr *none = ex(IE_NONE, ot);
				IrExpr *p2 = drive ? ex_pair(none, xv) : ex_pair(xv, none);
				p2->type = vw;
				IrExpr *r2 = ex_pair(ex_key(loop->var), p2);
				r2->type = out;
				push_to_consumers(L, n, ex_var(let(L, "rec", r2)));
			}
			L->out = o2;
			vec_push(&outer_loop->body, matched);
		}
		if (guard) {
			L->out = outer;
			emit(L, guard);
		}
		vec_push(body, loop);
	}
}

/* The body of a loop over a table, in its own drop scope. */
static IrStmt *table_loop(Lower *L, IrTable *tab, const char *name, const char *comment, DropScope *d)
{
	IrStmt *loop = for_entries(L, tab, name);
	loop->comment = comment;
	*d = drop_scope_open(L, &loop->body);
	return loop;
}

/* A (key, state) pair of the initial state Dataset, before the first batch.
 * updateStateByKey's state table holds Option[S], mapWithState's
 * (Option[S], last update time): time 0, so a timeout counts from the
 * start. */
static void lower_initial_state(Lower *L, DNode *n, IrExpr *rec)
{
	IrTable *S = n->op->id == OP_MAP_WITH_STATE ? L->table[n->id] : L->table2[n->id];
	IrExpr *kv = once(L, "kv", rec);
	/* every worker computes the Dataset and keeps the keys it owns */
	IrVar *k = let(L, "key", ex_field(kv, 0));
	Vec *o = L->out;
	only_if_owned(L, k);
	IrStmt *up = st_entry(L, IS_UPSERT, S, ex_var(k), "init");
	emit(L, up);
	Type *opt = n->op->id == OP_MAP_WITH_STATE ? ty_resolve(S->val)->elems[0] : S->val;
	IrExpr *some = ex1(IE_SOME, opt, ex_copy(coerce(L, ex_field(kv, 1), ty_resolve(opt)->elem), S));
	if (n->op->id == OP_MAP_WITH_STATE) {
		set(L, ex_field(ex_val(up->var), 0), some);
		set(L, ex_field(ex_val(up->var), 1), ex_int(0));
	} else {
		set(L, ex_val(up->var), some);
	}
	L->out = o;
}

/* The record the function returned: an Option emits its value or nothing. */
static void map_with_state_emit(Lower *L, DNode *n, IrExpr *r, bool buffer)
{
	Type *out = ty_resolve(ty_resolve(n->type)->elem);
	IrExpr *rv = once(L, "out", r);
	Vec *o = L->out;
	IrStmt *some = NULL;
	if (ty_resolve(rv->type)->kind == TY_OPTION && !ty_equal(rv->type, out)) {
		some = st(IS_IF);
		some->e = ex1(IE_IS_SOME, ty_bool(), rv);
		L->out = &some->body;
		rv = ex1(IE_OPT_VAL, out, rv);
	}
	if (buffer) {
		IrStmt *push = st(IS_PUSH);
		push->lhs = ex_scalar(L->scalar[n->id]);
		push->e = coerce(L, rv, out);
		emit(L, push);
	} else {
		push_to_consumers(L, n, ex_var(let(L, "rec", coerce(L, rv, out))));
	}
	L->out = o;
	if (some)
		emit(L, some);
}

/* mapWithState, per record, in arrival order: the key's state entry (found
 * or made) is the function's State; the record it returns is kept for the
 * stage after the batch. */
static void lower_map_with_state_record(Lower *L, DNode *n, IrExpr *rec)
{
	IrTable *S = L->table[n->id];
	IrExpr *kv = once(L, "kv", rec);
	IrStmt *up = st_entry(L, IS_UPSERT, S, ex_field(kv, 0), "state");
	emit(L, up);
	Type *vt = ty_resolve(((Param *)lambda_arg(n, 0)->params.v[1])->sym->type);
	IrExpr *args[3] = {ex_field(kv, 0), ex1(IE_SOME, vt, ex_field(kv, 1)), ex_var(up->var)};
	L->timing_out = false;
	IrExpr *r = apply(L, lambda_arg(n, 0), 3, args);
	if (n->timeout_ms) { /* as Spark: a record refreshes an existing state's time */
		IrStmt *live = st(IS_IF);
		live->e = ex1(IE_IS_SOME, ty_bool(), ex_field(ex_val(up->var), 0));
		IrStmt *touch = st(IS_SET);
		touch->lhs = ex_field(ex_val(up->var), 1);
		touch->e = ex(IE_BATCH_TIME, ty_int());
		vec_push(&live->body, touch);
		emit(L, live);
	}
	map_with_state_emit(L, n, r, true);
}

/* mapWithState's stage: the keys idle for longer than the timeout are
 * called once more (value None, isTimingOut true) and dropped; removed
 * keys are dropped; the table is compacted into the next one and swapped;
 * then the batch's records go on. */
static void lower_map_with_state(Lower *L, DNode *n, Vec *body)
{
	IrTable *S = L->table[n->id], *N = L->table2[n->id];
	DropScope d;
	IrStmt *loop = table_loop(L, S, "cur", arena_printf("%s: keep live keys, time out idle ones", op_comment(n)), &d);
	IrStmt *live = st(IS_IF);
	live->e = ex1(IE_IS_SOME, ty_bool(), ex_field(ex_val(loop->var), 0));
	Vec *o = L->out;
	L->out = &live->body;
	IrStmt *keep = st(IS_IF);
	if (n->timeout_ms) {
		/* Spark's rule: timed out when last updated before T - timeout */
		IrStmt *idle = st(IS_IF);
		idle->e = ex_bin('<', ty_bool(), ty_int(), ex_field(ex_val(loop->var), 1),
				 ex_bin('-', ty_int(), ty_int(), ex(IE_BATCH_TIME, ty_int()), ex_int(n->timeout_ms)));
		Vec *o2 = L->out;
		L->out = &idle->body;
		Type *vt = ty_resolve(((Param *)lambda_arg(n, 0)->params.v[1])->sym->type);
		IrExpr *args[3] = {ex_key(loop->var), ex(IE_NONE, vt), ex_var(loop->var)};
		L->timing_out = true;
		IrExpr *r = apply(L, lambda_arg(n, 0), 3, args);
		L->timing_out = false;
		map_with_state_emit(L, n, r, false);
		L->out = &idle->els;
		emit(L, keep);
		L->out = o2;
		emit(L, idle);
	} else {
		emit(L, keep);
	}
	keep->kind = IS_BLOCK;
	L->out = &keep->body;
	IrStmt *up = st_entry(L, IS_UPSERT, N, ex_key(loop->var), "next");
	emit(L, up);
	set(L, ex_val(up->var), ex_copy(ex_val(loop->var), N));
	L->out = o;
	emit(L, live);
	drop_scope_close(L, d);
	vec_push(body, loop);
	IrStmt *swap = st(IS_TABLE_SWAP);
	swap->table = S;
	swap->swap_with = N;
	swap->comment = "the compacted state becomes the state";
	vec_push(body, swap);

	IrVar *x;
	IrStmt *outs = for_list(L, ex_scalar(L->scalar[n->id]), "rec", &x);
	outs->comment = arena_printf("%s: the records of this batch's calls", op_comment(n));
	L->out = &outs->body;
	push_to_consumers(L, n, ex_var(x));
	vec_push(body, outs);
}

/* stateSnapshots(): every (key, state) of mapWithState after the batch. */
static void lower_state_snapshots(Lower *L, DNode *n, Vec *body)
{
	IrTable *S = L->table[n->in[0]->id];
	IrStmt *loop = for_entries(L, S, "ent");
	loop->comment = arena_printf("%s: every key's state", op_comment(n));
	IrStmt *live = st(IS_IF);
	IrExpr *sv = ex_field(ex_val(loop->var), 0);
	live->e = ex1(IE_IS_SOME, ty_bool(), sv);
	vec_push(&loop->body, live);
	L->out = &live->body;
	IrExpr *kv = ex_pair(ex_key(loop->var), ex1(IE_OPT_VAL, ty_resolve(sv->type)->elem, sv));
	push_to_consumers(L, n, ex_var(let(L, "rec", kv)));
	vec_push(body, loop);
}

/* f(a, b) of an incremental window, or + / - when it counts. */
static IrExpr *inc_combine(Lower *L, DNode *n, bool inverse, IrExpr *a, IrExpr *b, Type *V)
{
	Node *fn = inverse ? n->inv_fn : n->fn;
	if (!fn)
		return ex_bin(inverse ? '-' : '+', ty_int(), ty_int(), a, b);
	return coerce(L, apply2(L, fn, a, b), V);
}

/* reduceByKeyAndWindow(f, invF, w, s[, filter]) and the operators Spark
 * builds on it (reduceByWindow with invF, countByWindow,
 * countByValueAndWindow), as Spark's ReducedWindowedDStream: at each slide
 * T, the window's value per key is updated from the previous one with invF
 * of the batches leaving, (T - s - w, T - w], and f of the batches
 * entering, (T - s, T]: the cost is the keys of those batches, not the
 * window.  A key whose value returns to the zero stays unless the filter
 * drops it. */
static void lower_inc_window(Lower *L, DNode *n, Vec *body)
{
	IrWindow *w = L->window[n->id];
	IrTable *S = L->table[n->id], *O = L->table2[n->id], *N = L->table3[n->id], *K2 = L->table4[n->id];
	Type *V = S->val;
	int64_t s = n->slide_ms, wl = n->window_ms;
	IrStmt *when = at_slide(s);
	vec_push(body, when);
	Vec *top = &when->body;
	DropScope d;

	/* 1. the leaving and the entering batches, reduced per key */
	for (int k = 0; k < 2; k++) {
		IrTable *tab = k ? N : O;
		IrStmt *loop = st(IS_FOR_WINDOW);
		loop->window = w;
		loop->from_ago = k ? s : s + wl;
		loop->to_ago = k ? 0 : wl;
		loop->var = new_var(L, "part", w->elem);
		loop->comment = arena_printf("%s: the batches %s the window", op_comment(n), k ? "entering" : "leaving");
		d = drop_scope_open(L, &loop->body);
		IrExpr *rec = ex_var(loop->var);
		IrExpr *key = n->keyless ? ex_int(0) : ex_field(rec, 0);
		IrExpr *val = n->keyless ? rec : ex_field(rec, 1);
		IrStmt *up = st_entry(L, IS_UPSERT, tab, key, "acc");
		emit(L, up);
		IrStmt *first = st(IS_IF);
		first->e = ex_var(up->fresh);
		Vec *o = L->out;
		L->out = &first->body;
		set(L, ex_val(up->var), val);
		L->out = &first->els;
		set(L, ex_val(up->var), inc_combine(L, n, false, ex_val(up->var), val, V));
		L->out = o;
		emit(L, first);
		drop_scope_close(L, d);
		vec_push(top, loop);
	}

	/* 2. the previous window's keys: remove what leaves, add what enters */
	IrStmt *loop = table_loop(L, S, "key", arena_printf("%s: the previous window's keys", op_comment(n)), &d);
	for (int k = 0; k < 2; k++) {
		IrStmt *probe = st_entry(L, IS_LOOKUP, k ? N : O, ex_key(loop->var), k ? "in" : "out");
		emit(L, probe);
		IrStmt *hit = st(IS_IF);
		hit->e = ex(IE_FOUND, ty_bool());
		hit->e->var = probe->var;
		Vec *o = L->out;
		L->out = &hit->body;
		IrExpr *r = inc_combine(L, n, k == 0, ex_val(loop->var), ex_val(probe->var), V);
		set(L, ex_val(loop->var), ex_copy(once(L, "v", r), S));
		L->out = o;
		emit(L, hit);
	}
	drop_scope_close(L, d);
	vec_push(top, loop);

	/* 3. keys new to the window */
	loop = table_loop(L, N, "new", arena_printf("%s: keys new to the window", op_comment(n)), &d);
	IrStmt *old = st_entry(L, IS_LOOKUP, S, ex_key(loop->var), "old");
	emit(L, old);
	IrStmt *isnew = st(IS_IF);
	isnew->e = ex1(IE_NOT, ty_bool(), ex(IE_FOUND, ty_bool()));
	isnew->e->a[0]->var = old->var;
	Vec *o = L->out;
	L->out = &isnew->body;
	IrStmt *ins = st_entry(L, IS_UPSERT, S, ex_key(loop->var), "ins");
	emit(L, ins);
	set(L, ex_val(ins->var), ex_copy(ex_val(loop->var), S));
	L->out = o;
	emit(L, isnew);
	drop_scope_close(L, d);
	vec_push(top, loop);

	/* 4. the filter decides which keys the state keeps */
	if (K2) {
		loop = table_loop(L, S, "key", arena_printf("%s: the filter", op_comment(n)), &d);
		IrExpr *keep;
		if (n->filter_fn)
			keep = apply1(L, n->filter_fn, ex_pair(ex_key(loop->var), ex_val(loop->var)));
		else {
			keep = ex2(IE_EQ, ty_bool(), ex_val(loop->var), ex_int(0));
			keep->optype = ty_int();
			keep = ex1(IE_NOT, ty_bool(), keep);
		}
		IrStmt *kept = st(IS_IF);
		kept->e = keep;
		o = L->out;
		L->out = &kept->body;
		IrStmt *up = st_entry(L, IS_UPSERT, K2, ex_key(loop->var), "kept");
		emit(L, up);
		set(L, ex_val(up->var), ex_copy(ex_val(loop->var), K2));
		L->out = o;
		emit(L, kept);
		drop_scope_close(L, d);
		vec_push(top, loop);
		IrStmt *swap = st(IS_TABLE_SWAP);
		swap->table = S;
		swap->swap_with = K2;
		swap->comment = "the filtered state becomes the state";
		vec_push(top, swap);
	}

	/* 5. the output: the window's value per key */
	loop = for_entries(L, S, "ent");
	loop->comment = arena_printf("%s: the window is the output", op_comment(n));
	L->out = &loop->body;
	IrExpr *rec = n->keyless ? ex_val(loop->var) : ex_pair(ex_key(loop->var), ex_val(loop->var));
	push_to_consumers(L, n, ex_var(let(L, "rec", rec)));
	vec_push(top, loop);
}

/* ---- updateStateByKey's f on a key without values ---------------------- *
 *
 * Spark calls f(values, state) for every key with state, every batch.  For a
 * key with no values this batch, f(Nil, Some(x)) is usually Some(x) again
 * (Some(sum(vs) + getOrElse(st, 0)), if (isEmpty(vs)) st else ...), and then
 * the call changes nothing.  keeps_state_on_empty proves that by evaluating
 * f's body over a few symbolic values; when it holds, a batch updates only the
 * keys it has values for, instead of walking the whole state. */
typedef enum AbsKind { SY_UNKNOWN, SY_INT, SY_BOOL, SY_NIL, SY_STATE, SY_X } AbsKind;
typedef struct SymVal {
	AbsKind k;
	int64_t i;
} SymVal;
typedef struct SymEnv {
	Symbol *vs, *st;
	Vec syms, vals; /* let-bound: Symbol*, SymVal* */
} SymEnv;

static SymVal sym_eval(SymEnv *env, Node *e);

static SymVal sv(AbsKind k, int64_t i) { return (SymVal){k, i}; }

static bool is_int_node(Node *e) { return e->type && ty_resolve(e->type)->kind == TY_INT; }

static SymVal sym_call(SymEnv *env, Node *e)
{
	if (call_is_op(e) || call_is_extern(e)) /* C code: nothing is known of it */
		return sv(SY_UNKNOWN, 0);
	Node **a = (Node **)e->items.v;
	SymVal x = e->items.n > 0 ? sym_eval(env, a[0]) : sv(SY_UNKNOWN, 0);
	switch (call_builtin(e)->id) {
	case BI_SUM: return x.k == SY_NIL && is_int_node(e) ? sv(SY_INT, 0) : sv(SY_UNKNOWN, 0);
	case BI_LEN: return x.k == SY_NIL ? sv(SY_INT, 0) : sv(SY_UNKNOWN, 0);
	case BI_IS_EMPTY: return x.k == SY_NIL ? sv(SY_BOOL, 1) : x.k == SY_STATE ? sv(SY_BOOL, 0) : sv(SY_UNKNOWN, 0);
	case BI_IS_DEFINED: return x.k == SY_STATE ? sv(SY_BOOL, 1) : sv(SY_UNKNOWN, 0);
	case BI_GET_OR_ELSE: case BI_GET: return x.k == SY_STATE ? sv(SY_X, 0) : sv(SY_UNKNOWN, 0);
	case BI_SOME: return x.k == SY_X ? sv(SY_STATE, 0) : sv(SY_UNKNOWN, 0);
	default: return sv(SY_UNKNOWN, 0);
	}
}

static SymVal sym_eval(SymEnv *env, Node *e)
{
	switch (e->kind) {
	case N_INT: return sv(SY_INT, e->ival);
	case N_BOOL: return sv(SY_BOOL, e->ival);
	case N_NAME:
		if (e->sym == env->vs)
			return sv(SY_NIL, 0);
		if (e->sym == env->st)
			return sv(SY_STATE, 0);
		for (int i = env->syms.n - 1; i >= 0; i--)
			if (env->syms.v[i] == e->sym)
				return *(SymVal *)env->vals.v[i];
		return sv(SY_UNKNOWN, 0);
	case N_CALL: return sym_call(env, e);
	case N_UNARY: {
		SymVal x = sym_eval(env, e->lhs);
		return e->op == '!' && x.k == SY_BOOL ? sv(SY_BOOL, !x.i) : sv(SY_UNKNOWN, 0);
	}
	case N_BINARY: {
		SymVal l = sym_eval(env, e->lhs), r = sym_eval(env, e->rhs);
		bool ints = is_int_node(e); /* x + 0 is x for Ints (not for Doubles: -0.0) */
		if (ints && e->op == '+' && l.k == SY_INT && l.i == 0 && r.k == SY_X)
			return r;
		if (ints && (e->op == '+' || e->op == '-') && r.k == SY_INT && r.i == 0 && l.k == SY_X)
			return l;
		if (ints && e->op == '*' && ((l.k == SY_INT && l.i == 1 && r.k == SY_X) ||
					     (r.k == SY_INT && r.i == 1 && l.k == SY_X)))
			return l.k == SY_X ? l : r;
		if (l.k == SY_BOOL && r.k == SY_BOOL && (e->op == OP_AND || e->op == OP_OR))
			return sv(SY_BOOL, e->op == OP_AND ? l.i && r.i : l.i || r.i);
		if (l.k == SY_INT && r.k == SY_INT && (e->op == OP_EQ || e->op == OP_NE))
			return sv(SY_BOOL, (l.i == r.i) == (e->op == OP_EQ));
		return sv(SY_UNKNOWN, 0);
	}
	case N_COND: {
		SymVal c = sym_eval(env, e->cond);
		if (c.k != SY_BOOL)
			return sv(SY_UNKNOWN, 0);
		return sym_eval(env, c.i ? e->lhs : e->rhs);
	}
	case N_BLOCK: {
		SymVal last = sv(SY_UNKNOWN, 0);
		for (int i = 0; i < e->items.n; i++) {
			Node *it = e->items.v[i];
			if (it->kind == N_LET) {
				SymVal *v = arena_alloc(sizeof *v);
				*v = sym_eval(env, it->lhs);
				vec_push(&env->syms, it->sym);
				vec_push(&env->vals, v);
				last = sv(SY_UNKNOWN, 0);
			} else {
				last = sym_eval(env, it);
			}
		}
		return last;
	}
	default: return sv(SY_UNKNOWN, 0);
	}
}

static bool keeps_state_on_empty(Node *f)
{
	if (f->kind != N_LAMBDA || f->params.n != 2)
		return false;
	SymEnv env = {((Param *)f->params.v[0])->sym, ((Param *)f->params.v[1])->sym, {0}, {0}};
	return sym_eval(&env, f->lhs).k == SY_STATE;
}

/* A running total: f is (vs, st) => Some(sum(vs) + getOrElse(st, c)) (either
 * order, Int, c a literal), on an input that produces every batch.  Then the
 * new state is the old one (or c) plus every value of the batch, in any order
 * (Int addition wraps: it is associative and commutative), so each record can
 * be added to its key's state as it arrives: no per-batch grouping, no
 * pass over the batch's keys.  The state of a key without values stays (f(Nil,
 * s) is s) and f never returns None, so there are no holes. */
static Node *strip_blocks(Node *e)
{
	while (e->kind == N_BLOCK && e->items.n == 1)
		e = e->items.v[0];
	return e;
}

static bool is_builtin_call(Node *e, BuiltinId id, int nargs)
{
	e = strip_blocks(e);
	return e->kind == N_CALL && !call_is_op(e) && !call_is_extern(e) && call_builtin(e)->id == id &&
	       e->items.n == nargs;
}

static bool is_name_of(Node *e, Symbol *sym)
{
	e = strip_blocks(e);
	return e->kind == N_NAME && e->sym == sym;
}

static bool running_total(Lower *L, DNode *n, int64_t *zero)
{
	Node *f = lambda_arg(n, 0);
	if (n->op->id != OP_UPDATE_STATE_BY_KEY || f->kind != N_LAMBDA || f->params.n != 2)
		return false;
	if (n->in[0]->slide_ms != L->plan->cp->batch_ms)
		return false;
	Symbol *vs = ((Param *)f->params.v[0])->sym, *st = ((Param *)f->params.v[1])->sym;
	Node *some = strip_blocks(f->lhs);
	if (!is_builtin_call(some, BI_SOME, 1))
		return false;
	Node *e = strip_blocks(some->items.v[0]);
	if (e->kind != N_BINARY || e->op != '+' || !is_int_node(e))
		return false;
	for (int side = 0; side < 2; side++) {
		Node *a = strip_blocks(side ? e->rhs : e->lhs), *b = strip_blocks(side ? e->lhs : e->rhs);
		if (!is_builtin_call(a, BI_SUM, 1) || !is_name_of(a->items.v[0], vs))
			continue;
		if (!is_builtin_call(b, BI_GET_OR_ELSE, 2) || !is_name_of(b->items.v[0], st))
			continue;
		Node *c = strip_blocks(b->items.v[1]);
		if (c->kind != N_INT)
			continue;
		*zero = c->ival;
		return true;
	}
	return false;
}

/* A running total's record (running_total): its value added to its key's
 * state where the state stands, c + the value for a key without one. */
static void lower_running_total_record(Lower *L, DNode *n, IrExpr *rec)
{
	IrTable *S = L->table2[n->id];
	int64_t zero = 0;
	ASSERT(running_total(L, n, &zero));
	IrExpr *kv = once(L, "kv", rec);
	IrStmt *up = st_entry(L, IS_UPSERT, S, ex_field(kv, 0), "state");
	up->comment = "a running total (f is Some(sum(vs) + getOrElse(st, c))): the value goes straight into its "
		      "key's state";
	emit(L, up);
	IrStmt *had = st(IS_IF);
	had->e = ex1(IE_IS_SOME, ty_bool(), ex_val(up->var)); /* a fresh entry's value is None */
	Vec *o = L->out;
	L->out = &had->body;
	set(L, ex_val(up->var), ex1(IE_SOME, S->val, ex_bin('+', ty_int(), ty_int(),
								  ex1(IE_OPT_VAL, ty_int(), ex_val(up->var)),
								  ex_field(kv, 1))));
	L->out = &had->els;
	set(L, ex_val(up->var), ex1(IE_SOME, S->val, ex_bin('+', ty_int(), ty_int(), ex_int(zero), ex_field(kv, 1))));
	L->out = o;
	emit(L, had);
}

/* updateStateByKey(f): every batch, f(values, Some(state)) for each key with
 * state and f(values, None) for each new key.  The state is updated where it
 * stands: a key whose f returns None becomes a hole (its value None), reused
 * if the key comes back, and the table is compacted into a second one only
 * when holes pass a quarter of it; the second table is freed right after.
 * So a batch costs its keys' updates plus one pass over the state (f must
 * see every key), and memory is one table.  A key whose f fails on a bad
 * record keeps its state. */
static void lower_update_state(Lower *L, DNode *n, Vec *body)
{
	IrTable *G = L->table[n->id], *S = L->table2[n->id], *N = L->table3[n->id];
	Node *f = lambda_arg(n, 0);
	Type *Sv = ty_resolve(S->val)->elem;
	DropScope d;

	/* 1. keys without state (new, or back after a None): their first state,
	 * decided against the state as the batch found it, inserted in 3 */
	L->out = body;
	IrStmt *loop, *live;
	int64_t zero;
	if (running_total(L, n, &zero)) { /* the records were added as they came */
		(void)G;
		goto output;
	}
	bool skip_idle = keeps_state_on_empty(f);
	IrVar *pending = let_zero(L, "pending", ty_list(ty_pair(S->key, Sv)));
	loop = table_loop(L, G, "fresh",
				  skip_idle ? arena_printf("%s: the batch's keys: new ones wait for 3, those with state are "
							   "updated in place (f(Nil, s) is s: keys without values keep "
							   "theirs)", op_comment(n))
					    : arena_printf("%s: new keys", op_comment(n)),
				  &d);
	IrStmt *old = st_entry(L, IS_LOOKUP, S, ex_key(loop->var), "old");
	old->hash_of = loop->var; /* same key type, same hash */
	emit(L, old);
	IrStmt *isnew = st(IS_IF);
	IrExpr *found = ex(IE_FOUND, ty_bool());
	found->var = old->var;
	IrExpr *had = ex_bin(OP_AND, ty_bool(), ty_bool(), found, ex1(IE_IS_SOME, ty_bool(), ex_val(old->var)));
	isnew->e = ex1(IE_NOT, ty_bool(), had);
	Vec *scope = L->out;
	L->out = &isnew->body;
	IrExpr *r2 = once(L, "r", apply2(L, f, ex_val(loop->var), ex(IE_NONE, S->val)));
	IrStmt *some = st(IS_IF);
	some->e = ex1(IE_IS_SOME, ty_bool(), r2);
	IrStmt *push = st(IS_PUSH);
	push->lhs = ex_var(pending);
	push->e = ex_pair(ex_key(loop->var), ex1(IE_OPT_VAL, Sv, r2));
	vec_push(&some->body, push);
	emit(L, some);
	if (skip_idle) { /* 2, for the batch's keys only: the others keep their state */
		L->out = &isnew->els;
		IrExpr *r = apply2(L, f, ex_val(loop->var), ex_val(old->var));
		set(L, ex_val(old->var), ex_copy(once(L, "r", r), S));
	}
	L->out = scope;
	emit(L, isnew);
	drop_scope_close(L, d);
	vec_push(body, loop);
	if (skip_idle)
		goto inserted;

	/* 2. keys with state, updated in place */
	loop = table_loop(L, S, "cur", arena_printf("%s: keys with state, updated in place", op_comment(n)), &d);
	live = st(IS_IF);
	live->e = ex1(IE_IS_SOME, ty_bool(), ex_val(loop->var));
	scope = L->out;
	L->out = &live->body;
	IrStmt *g = st_entry(L, IS_LOOKUP, G, ex_key(loop->var), "batch");
	g->hash_of = loop->var; /* same key type, same hash: no need to hash it again */
	emit(L, g);
	IrVar *vals = let_zero(L, "values", G->val);
	IrStmt *has = st(IS_IF);
	has->e = ex(IE_FOUND, ty_bool());
	has->e->var = g->var;
	IrStmt *sv = st(IS_SET);
	sv->lhs = ex_var(vals);
	sv->e = ex_val(g->var);
	vec_push(&has->body, sv);
	emit(L, has);
	IrExpr *r = apply2(L, f, ex_var(vals), ex_val(loop->var));
	set(L, ex_val(loop->var), ex_copy(once(L, "r", r), S));
	L->out = scope;
	emit(L, live);
	drop_scope_close(L, d);
	vec_push(body, loop);

	/* 3. the new keys join the state */
inserted:
	L->out = body;
	IrVar *x;
	IrStmt *ins_loop = for_list(L, ex_var(pending), "p", &x);
	ins_loop->comment = arena_printf("%s: the new keys join the state", op_comment(n));
	L->out = &ins_loop->body;
	IrStmt *ins = st_entry(L, IS_UPSERT, S, ex_field(ex_var(x), 0), "state");
	emit(L, ins);
	set(L, ex_val(ins->var), ex_copy(ex1(IE_SOME, S->val, ex_field(ex_var(x), 1)), S));
	vec_push(body, ins_loop);

	/* the output: the whole state; count the live keys on the way */
output:
	L->out = body;
	IrVar *nlive = let(L, "live", ex_int(0));
	loop = for_entries(L, S, "ent");
	loop->comment = arena_printf("%s: the state is the output", op_comment(n));
	live = st(IS_IF);
	live->e = ex1(IE_IS_SOME, ty_bool(), ex_val(loop->var));
	vec_push(&loop->body, live);
	L->out = &live->body;
	set(L, ex_var(nlive), ex_bin('+', ty_int(), ty_int(), ex_var(nlive), ex_int(1)));
	IrExpr *kv = ex_pair(ex_key(loop->var), ex1(IE_OPT_VAL, ty_resolve(S->val)->elem, ex_val(loop->var)));
	push_to_consumers(L, n, ex_var(let(L, "rec", kv)));
	/* A running total has no holes (live is the table's count), and when
	 * only prints read it, the walk can stop once each print holds the
	 * n + 1 records it shows: the rest are counted, not visited. */
	int nprints = 0;
	for (int i = 0; i < n->consumers.n; i++)
		nprints += ((DNode *)n->consumers.v[i])->op->id == OP_PRINT;
	bool total = running_total(L, n, &zero);
	if (total && nprints == n->consumers.n) {
		IrExpr *full = NULL;
		for (int i = 0; i < n->consumers.n; i++) {
			IrExpr *f1 = ex(IE_OUT_FULL, ty_bool());
			f1->ival = ((DNode *)n->consumers.v[i])->out_index;
			full = full ? ex_bin(OP_AND, ty_bool(), ty_bool(), full, f1) : f1;
		}
		IrStmt *stop = st(IS_IF);
		stop->e = full;
		stop->comment = "every print has the records it shows";
		vec_push(&stop->body, st(IS_BREAK));
		emit(L, stop);
		vec_push(body, loop);
		IrExpr *all = ex(IE_TABLE_COUNT, ty_int());
		all->table = S;
		IrStmt *skip = st(IS_OUT_SKIP);
		skip->e = ex_bin('*', ty_int(), ty_int(), ex_bin('-', ty_int(), ty_int(), all, ex_var(nlive)),
				 ex_int(nprints));
		skip->comment = "the records not visited count as handed to the prints (records_out)";
		vec_push(body, skip);
		L->out = body;
		return;
	}
	vec_push(body, loop);
	if (total) { /* f never returns None: nothing to compact */
		L->out = body;
		return;
	}

	/* compaction, when holes pass a quarter of the table */
	IrExpr *count = ex(IE_TABLE_COUNT, ty_int());
	count->table = S;
	IrStmt *compact = st(IS_IF);
	compact->e = ex_bin('>', ty_bool(), ty_int(),
			    ex_bin('*', ty_int(), ty_int(), ex_bin('-', ty_int(), ty_int(), count, ex_var(nlive)), ex_int(4)),
			    count);
	compact->comment = "more than a quarter of the table are removed keys: compact it";
	loop = for_entries(L, S, "ent");
	live = st(IS_IF);
	live->e = ex1(IE_IS_SOME, ty_bool(), ex_val(loop->var));
	vec_push(&loop->body, live);
	L->out = &live->body;
	IrStmt *keep = st_entry(L, IS_UPSERT, N, ex_key(loop->var), "kept");
	emit(L, keep);
	set(L, ex_val(keep->var), ex_copy(ex_val(loop->var), N));
	vec_push(&compact->body, loop);
	IrStmt *swap = st(IS_TABLE_SWAP);
	swap->table = S;
	swap->swap_with = N;
	vec_push(&compact->body, swap);
	IrStmt *release = st(IS_TABLE_CLOSE);
	release->table = N;
	release->comment = "free the old table until the next compaction";
	vec_push(&compact->body, release);
	vec_push(body, compact);
	L->out = body;
}

/* A binary source: a loop over its blocks' fixed-length records, each
 * field loaded straight from the record's bytes into the record's value
 * (a tuple of the fields, or the one field): no parsing, no call. */
static void lower_binary_source(Lower *L, DNode *n, Vec *body)
{
	Schema sc = schema_of(n->call);
	IrStmt *loop = st(IS_FOR_RECORDS);
	loop->src = n->src_index;
	loop->reclen = sc.reclen;
	loop->var = new_var(L, "bytes", NULL);
	loop->var->bytes = true;
	loop->comment = arena_printf("%s: records of %lld bytes, \"%s\"", op_comment(n), (long long)sc.reclen,
				     const_value(n->call->items.v[1])->str);
	L->out = &loop->body;
	Type *t = schema_type(&sc);
	IrExpr **loads = arena_alloc(sizeof *loads * (size_t)sc.n);
	for (int i = 0; i < sc.n; i++) {
		const SchemaField *fd = &sc.fields[i];
		Type *ft = sc.n == 1 ? t : ty_resolve(t)->elems[i];
		loads[i] = ex(IE_LOAD, ft);
		loads[i]->op = (int)fd->kind;
		loads[i]->ival = fd->off;
		loads[i]->slen = (size_t)fd->size;
		loads[i]->var = loop->var;
	}
	IrExpr *rec = loads[0];
	if (sc.n > 1) {
		rec = ex(IE_TUPLE, t);
		rec->a = loads;
		rec->n = sc.n;
	}
	push_to_consumers(L, n, ex_var(let(L, "rec", rec)));
	L->out = body;
	emit(L, loop);
}

static void lower_stage_body(Lower *L, DNode *n, Vec *body);

static IrFunc *lower_stage(Lower *L, Stage *s)
{
	DNode *n = s->producer;
	IrFunc *f = arena_alloc(sizeof *f);
	f->name = arena_printf("stage%d_%s", s->id, c_ident(n->op->name));
	f->comment = arena_printf("stage %d: loop over %s %s (%s)", s->id,
				  n->op->cls == OPC_SOURCE ? "source" : "the result of", n->op->name, node_loc(n));
	L->drop = 0;
	L->from_state = n->op->cls == OPC_STATE || is_inc(n);
	L->stage = s;
	/* a keyed operator's stage starts with the records sent to this worker */
	bool receives = false;
	for (int i = 0; i < L->xchgs.n; i++)
		receives |= ((Xchg *)L->xchgs.v[i])->to == n;
	if (receives) {
		IrStmt *wait = st(IS_BARRIER);
		wait->comment = "every worker has sent its records";
		vec_push(&f->body, wait);
		lower_receive(L, n, &f->body);
	}
	Vec *fbody = &f->body;
	if (node_is_global(n)) {
		IrStmt *lead = st(IS_IF);
		lead->comment = "the stream's aggregate is worker 0's";
		lead->e = ex1(IE_OWNS, ty_bool(), ex_int(0));
		vec_push(&f->body, lead);
		fbody = &lead->body;
	}
	lower_stage_body(L, n, fbody);
	if (n->op->cls == OPC_SOURCE) {
		/* a Dataset's tables, sized for its records before the loop: an
		 * upper bound after a filter, a hint after a flatMap */
		for (int i = L->reserve.n - 1; i >= 0; i--) {
			IrStmt *r = st(IS_TABLE_RESERVE);
			r->table = L->reserve.v[i];
			r->src = n->src_index;
			if (!i)
				r->comment = "room for the Dataset's records, before they load";
			vec_push(fbody, NULL); /* make room, then insert at the front */
			memmove(&fbody->v[1], &fbody->v[0], sizeof *fbody->v * (size_t)(fbody->n - 1));
			fbody->v[0] = r;
		}
	}
	L->reserve.n = 0;
	lower_dense_flush(L, fbody);
	lower_flush(L, &f->body);
	return f;
}

/* The stage of a sort (worker 0, after every worker sent it its records):
 * the batch's records sorted by (key, record), each record's whole value
 * breaking ties, so the order never depends on how the batch was split
 * among workers; then handed on in that order, or the reverse, the first
 * n of them for top and takeOrdered. */
static void lower_sorted(Lower *L, DNode *n, Vec *body)
{
	IrScalar *batch = L->scalar[n->id];
	Node *f = node_sort_key(n);
	Node **args = (Node **)n->call->items.v + 1;
	int nargs = n->call->items.n - 1;
	IrVar *len = let(L, "n", ex1(IE_LIST_LEN, ty_int(), ex_scalar(batch)));
	/* ascending: a constant, or a value of the batch (a parameter) */
	Node *flag = NULL;
	bool asc = n->op->id != OP_TOP;
	if (n->op->id == OP_SORT_BY && nargs >= 2)
		flag = args[1];
	else if (n->op->id == OP_SORT_BY_KEY && nargs >= 1)
		flag = args[0];
	if (flag && const_value(flag) && const_value(flag)->kind == N_BOOL) {
		asc = const_value(flag)->ival;
		flag = NULL;
	}
	IrExpr *upto = ex_var(len);
	if (n->op->id == OP_TOP || n->op->id == OP_TAKE_ORDERED) {
		IrVar *k = let(L, "k", lower_expr(L, args[0]));
		IrStmt *neg = st(IS_IF), *over = st(IS_IF);
		neg->comment = "a count below 0 takes nothing, one above the batch all of it";
		neg->e = ex_bin('<', ty_bool(), ty_int(), ex_var(k), ex_int(0));
		vec_push(&neg->body, st(IS_SET));
		((IrStmt *)neg->body.v[0])->lhs = ex_var(k);
		((IrStmt *)neg->body.v[0])->e = ex_int(0);
		emit(L, neg);
		over->e = ex_bin('>', ty_bool(), ty_int(), ex_var(k), ex_var(len));
		vec_push(&over->body, st(IS_SET));
		((IrStmt *)over->body.v[0])->lhs = ex_var(k);
		((IrStmt *)over->body.v[0])->e = ex_var(len);
		emit(L, over);
		upto = ex_var(k);
	}
	IrStmt *sort = st(IS_SORT);
	sort->comment = op_comment(n);
	sort->lhs = ex_scalar(batch);
	if (n->op->id == OP_TOP || n->op->id == OP_TAKE_ORDERED) {
		sort->e = upto; /* only the k it hands on */
		sort->largest = n->op->id == OP_TOP;
	}
	emit(L, sort);
	IrVar *up = flag ? let(L, "ascending", lower_expr(L, flag)) : NULL;
	IrStmt *loop = st(IS_FOR_RANGE);
	loop->var = new_var(L, "i", ty_int());
	loop->lhs = ex_int(0);
	loop->e = upto;
	loop->comment = arena_printf("%s: in %s order", op_comment(n), flag ? "the asked" : asc ? "ascending" : "descending");
	L->out = &loop->body;
	IrExpr *from_end = ex_bin('-', ty_int(), ty_int(), ex_bin('-', ty_int(), ty_int(), ex_var(len), ex_int(1)),
				  ex_var(loop->var));
	IrExpr *at;
	if (flag) {
		IrVar *j = let(L, "j", ex_var(loop->var));
		IrStmt *rev = st(IS_IF);
		rev->e = ex1(IE_NOT, ty_bool(), ex_var(up));
		L->out = &rev->body;
		set(L, ex_var(j), from_end);
		L->out = &loop->body;
		emit(L, rev);
		at = ex_var(j);
	} else {
		at = asc ? ex_var(loop->var) : ex_var(let(L, "j", from_end));
	}
	Type *et = ty_resolve(batch->type)->elem;
	IrExpr *el = ex2(IE_LIST_AT, et, ex_scalar(batch), at);
	IrVar *rec = let(L, "rec", f ? ex_field(el, 1) : el);
	push_to_consumers(L, n, ex_var(rec));
	L->out = body;
	emit(L, loop);
}

/* The loop of stage n (after what lower_stage put first), into body. */
static void lower_stage_body(Lower *L, DNode *n, Vec *body)
{
	L->out = body;
	switch (n->op->cls) {
	case OPC_SOURCE: {
		if (op_is_binary_source(n->op->id)) {
			lower_binary_source(L, n, body);
			break;
		}
		IrStmt *loop = st(IS_FOR_LINES);
		loop->src = n->src_index;
		loop->framed = n->op->id == OP_KAFKA_STREAM || n->op->id == OP_KAFKA_RECORD_STREAM;
		loop->var = new_var(L, loop->framed ? "msg" : "line", ty_string());
		loop->comment = op_comment(n);
		L->out = &loop->body;
		IrExpr *rec = ex_var(loop->var);
		if (n->op->id == OP_KAFKA_RECORD_STREAM) { /* (topic, partition, offset, key, value) */
			static const char *const fields[5] = {"ds_kafka_topic", "ds_kafka_partition", "ds_kafka_offset",
							      "ds_kafka_key", "ds_kafka_value"};
			Type *t = ty_resolve(ty_resolve(n->type)->elem);
			IrExpr **items = arena_alloc(sizeof *items * 5);
			for (int i = 0; i < 5; i++) {
				IrExpr *arg = ex_var(loop->var);
				items[i] = ex_call(fields[i], t->elems[i], 1, &arg);
			}
			rec = ex_var(let(L, "rec", ex_tuple(t, 5, items)));
		}
		push_to_consumers(L, n, rec);
		L->out = body;
		emit(L, loop);
		break;
	}
	case OPC_AGG:
		if (n->op->id == OP_COUNT && n->skip_zero) {
			IrStmt *some = st(IS_IF);
			some->e = ex_bin('>', ty_bool(), ty_int(), ex_scalar(L->scalar[n->id]), ex_int(0));
			L->out = &some->body;
			push_to_consumers(L, n, ex_scalar(L->scalar[n->id]));
			L->out = body;
			emit(L, some);
		} else if (n->op->id == OP_COUNT) {
			push_to_consumers(L, n, ex_scalar(L->scalar[n->id]));
		} else if (n->op->id == OP_REDUCE) {
			IrStmt *s2 = st(IS_IF);
			s2->e = ex_scalar(L->scalar[n->id]);
			L->out = &s2->body;
			push_to_consumers(L, n, ex_scalar(L->scalar2[n->id]));
			L->out = body;
			emit(L, s2);
		} else if (node_sorts(n)) {
			lower_sorted(L, n, body);
		} else {
			IrTable *tab = L->table[n->id];
			IrStmt *loop = for_entries(L, tab, "ent");
			loop->comment = op_comment(n);
			L->out = &loop->body;
			IrExpr *k = ex(IE_ENTRY_KEY, tab->key), *v = ex(IE_ENTRY_VAL, tab->val);
			k->var = v->var = loop->var;
			push_to_consumers(L, n, ex_var(let(L, "rec", ex_pair(k, v))));
			L->out = body;
			emit(L, loop);
		}
		break;
	case OPC_JOIN:
		lower_join(L, n, body);
		L->out = body;
		break;
	case OPC_STATE: {
		/* Spark computes a stateful stream at its input's slide only: on a
		 * windowed input, f is not called between slides */
		Vec *into = body;
		int64_t slide = n->in[0]->slide_ms;
		if (slide > L->plan->cp->batch_ms) {
			IrStmt *when = at_slide(slide);
			when->comment = arena_printf("only at the input's slide, %s", fmt_duration(slide));
			vec_push(body, when);
			into = &when->body;
		}
		if (n->op->id == OP_MAP_WITH_STATE)
			lower_map_with_state(L, n, into);
		else if (n->op->id == OP_STATE_SNAPSHOTS)
			lower_state_snapshots(L, n, into);
		else
			lower_update_state(L, n, into);
		L->out = body;
		break;
	}
	case OPC_WINDOW: {
		if (is_inc(n)) {
			lower_inc_window(L, n, body);
			L->out = body;
			break;
		}
		/* a window produces at multiples of its slide: the records of the
		 * batches in (T - window, T], oldest first */
		IrWindow *w = L->window[n->id];
		IrStmt *when = at_slide(w->slide_ms);
		IrStmt *loop = st(IS_FOR_WINDOW);
		loop->window = w;
		loop->from_ago = w->window_ms;
		loop->to_ago = 0;
		loop->var = new_var(L, "rec", w->elem);
		loop->comment = op_comment(n);
		L->out = &loop->body;
		push_to_consumers(L, n, ex_var(loop->var));
		vec_push(&when->body, loop);
		L->out = body;
		emit(L, when);
		break;
	}
	default:
		die("stage producer %s not supported", n->op->name);
	}
}

IrProgram *lower_program(const Plan *p)
{
	Lower L = {0};
	IrProgram *ir = arena_alloc(sizeof *ir);
	L.ir = ir;
	L.plan = p;
	ir->plan = p;
	int nn = p->nodes.n + 1;
	L.table = arena_alloc(sizeof(IrTable *) * (size_t)nn);
	L.scalar = arena_alloc(sizeof(IrScalar *) * (size_t)nn);
	L.scalar2 = arena_alloc(sizeof(IrScalar *) * (size_t)nn);
	L.window = arena_alloc(sizeof(IrWindow *) * (size_t)nn);
	L.table2 = arena_alloc(sizeof(IrTable *) * (size_t)nn);
	L.table3 = arena_alloc(sizeof(IrTable *) * (size_t)nn);
	L.table4 = arena_alloc(sizeof(IrTable *) * (size_t)nn);
	L.intern = arena_alloc(sizeof(IrTable *) * (size_t)nn);
	/* Sources' over-long lines are bad records of the source's site. */
	for (int i = 0; i < p->sources.n; i++) {
		DNode *s = p->sources.v[i];
		add_site(&L, s->call->loc, s->op->name);
	}
	for (int i = 0; i < p->nodes.n; i++) {
		DNode *n = p->nodes.v[i];
		if (n->op->cls == OPC_AGG || n->op->cls == OPC_JOIN || n->op->cls == OPC_WINDOW ||
		    n->op->cls == OPC_STATE)
			add_state(&L, n);
	}
	for (int i = 0; i < p->stages.n; i++) {
		Stage *s = p->stages.v[i];
		IrFunc *f = lower_stage(&L, s);
		/* a static Dataset's stages run once, before the first batch */
		vec_push(s->producer->is_static ? &ir->init_stages : &ir->stages, f);
	}

	ir->init = arena_alloc(sizeof(IrFunc));
	ir->init->name = "program_init";
	ir->init->comment = "once, before the first batch";
	ir->close = arena_alloc(sizeof(IrFunc));
	ir->close->name = "program_close";
	ir->close->comment = "once, after the last batch";
	ir->run_batch = arena_alloc(sizeof(IrFunc));
	ir->run_batch->name = "program_run_batch";
	ir->run_batch->comment = "every batch: reset per-batch state, then run the stages in order";
	for (int i = 0; i < ir->tables.n; i++) {
		IrTable *t = ir->tables.v[i];
		IrStmt *s = st(IS_TABLE_INIT);
		s->table = t;
		vec_push(&ir->init->body, s);
		if (!t->persistent) {
			s = st(IS_TABLE_CLEAR);
			s->table = t;
			vec_push(&ir->run_batch->body, s);
		}
		s = st(IS_TABLE_CLOSE);
		s->table = t;
		vec_push(&ir->close->body, s);
	}
	for (int i = 0; i < ir->windows.n; i++) {
		IrWindow *w = ir->windows.v[i];
		IrStmt *s = st(IS_WINDOW_INIT);
		s->window = w;
		vec_push(&ir->init->body, s);
		s = st(IS_WINDOW_BEGIN);
		s->window = w;
		vec_push(&ir->run_batch->body, s);
		s = st(IS_WINDOW_CLOSE);
		s->window = w;
		vec_push(&ir->close->body, s);
	}
	for (int i = 0; i < ir->init_stages.n; i++) {
		IrFunc *f = ir->init_stages.v[i];
		IrStmt *s = st(IS_CALL_STAGE);
		s->fn = f->name;
		s->comment = f->comment;
		vec_push(&ir->init->body, s);
	}
	L.out = &ir->run_batch->body;
	for (int i = 0; i < ir->scalars.n; i++) {
		IrScalar *sc = ir->scalars.v[i];
		IrVar *z = let_zero(&L, "zero", sc->type);
		set(&L, ex_scalar(sc), ex_var(z));
	}
	for (int i = 0; i < ir->stages.n; i++) {
		IrFunc *f = ir->stages.v[i];
		IrStmt *s = st(IS_CALL_STAGE);
		s->fn = f->name;
		s->comment = f->comment;
		vec_push(&ir->run_batch->body, s);
	}
	ir_optimize(ir);
	return ir;
}
