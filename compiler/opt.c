/* opt.c: rewrites of the loop IR that lowering cannot see one operator at a
 * time, run by lower_program before any backend.
 *
 * split_prefix: a record built as split(line, sep) and then only indexed by
 * constants (e[2], e[5]: the usual way text records are parsed) need not be
 * split past its last used field.  When every use of the list is
 *     (list-at L k)                 with k a constant, or
 *     (bin < c (list-len L))        with c a constant (the bounds checks),
 * the call ds_split(arena, s, sep) becomes ds_split_prefix(arena, s, sep, K)
 * with K = 1 + the largest k or c: the same pieces below K, and a length that
 * compares the same way with every c < K (see rt.h).  Any other use (the list
 * printed, stored, iterated, its length used otherwise) leaves it alone.
 *
 * Requires: an IrProgram from lower_program (no pass has run).
 * Guarantees: the same observable behaviour; only IE_CALLs change.
 */
#include <string.h>

#include "ir.h"

typedef struct Cand {
	IrVar *var;
	IrExpr *call;   /* the ds_split call */
	int64_t max_k;  /* largest index or bound seen */
	bool bad;       /* used some other way */
} Cand;

typedef struct Opt {
	Vec cands; /* Cand* */
} Opt;

static Cand *cand_of(Opt *O, const IrVar *v)
{
	for (int i = 0; i < O->cands.n; i++) {
		Cand *c = O->cands.v[i];
		if (c->var == v)
			return c;
	}
	return NULL;
}

static void see(Cand *c, int64_t k)
{
	if (k < 0)
		c->bad = true;
	else if (k > c->max_k)
		c->max_k = k;
}

static bool is_var(const IrExpr *x, Opt *O, Cand **c)
{
	if (!x || x->kind != IE_VAR)
		return false;
	*c = cand_of(O, x->var);
	return *c != NULL;
}

static void walk_expr(Opt *O, IrExpr *x)
{
	if (!x)
		return;
	Cand *c;
	switch (x->kind) {
	case IE_VAR:
		if ((c = cand_of(O, x->var)))
			c->bad = true; /* a use not matched below */
		return;
	case IE_LIST_AT:
		if (is_var(x->a[0], O, &c)) {
			if (x->a[1]->kind == IE_INT)
				see(c, x->a[1]->ival);
			else
				c->bad = true;
			walk_expr(O, x->a[1]);
			return;
		}
		break;
	case IE_BIN:
		if (x->op == '<' && x->a[0]->kind == IE_INT && x->a[1]->kind == IE_LIST_LEN &&
		    is_var(x->a[1]->a[0], O, &c)) {
			see(c, x->a[0]->ival);
			return;
		}
		break;
	default:
		break;
	}
	for (int i = 0; i < x->n; i++)
		walk_expr(O, x->a[i]);
}

static void walk_stmts(Opt *O, Vec *v);

static void walk_stmt(Opt *O, IrStmt *s)
{
	if (s->kind == IS_LET && s->e && s->e->kind == IE_CALL && !strcmp(s->e->fn, "ds_split")) {
		for (int i = 0; i < s->e->n; i++)
			walk_expr(O, s->e->a[i]);
		Cand *c = arena_alloc(sizeof *c);
		c->var = s->var;
		c->call = s->e;
		c->max_k = -1;
		vec_push(&O->cands, c);
	} else {
		walk_expr(O, s->lhs);
		walk_expr(O, s->e);
		walk_expr(O, s->sample);
		if (s->var && s->kind != IS_LET) {
			Cand *c = cand_of(O, s->var);
			if (c) /* assigned or iterated by a statement */
				c->bad = true;
		}
	}
	walk_stmts(O, &s->body);
	walk_stmts(O, &s->els);
}

static void walk_stmts(Opt *O, Vec *v)
{
	for (int i = 0; i < v->n; i++)
		walk_stmt(O, v->v[i]);
}

static void split_prefix(IrFunc *f)
{
	Opt O = {0};
	walk_stmts(&O, &f->body);
	for (int i = 0; i < O.cands.n; i++) {
		Cand *c = O.cands.v[i];
		if (c->bad || c->max_k < 0)
			continue;
		IrExpr *call = c->call;
		ASSERT(call->n == 3);
		IrExpr **a = arena_alloc(sizeof(IrExpr *) * 4);
		memcpy(a, call->a, sizeof(IrExpr *) * 3);
		IrExpr *k = arena_alloc(sizeof *k);
		k->kind = IE_INT;
		k->type = ty_int();
		k->ival = c->max_k + 1;
		a[3] = k;
		call->a = a;
		call->n = 4;
		call->fn = "ds_split_prefix";
	}
}

void ir_optimize(IrProgram *ir)
{
	for (int i = 0; i < ir->stages.n; i++)
		split_prefix(ir->stages.v[i]);
	for (int i = 0; i < ir->init_stages.n; i++)
		split_prefix(ir->init_stages.v[i]);
}
