/* check.c: names, type inference and program-level rules (see check.h).
 *
 * Types flow top-down into lambdas: an operator knows its input's element
 * type, so a lambda's parameters are typed before its body is checked, and
 * no annotation is ever needed.  Unification only fills in the holes left by
 * None, [] and state types inferred from their use.  Every error is
 * reported; a node whose type is TY_ERROR silences follow-on errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "schema.h"

const OpInfo op_table[OP__COUNT] = {
#define X(id, name, cls, nin, amin, amax) [OP_##id] = {OP_##id, name, cls, nin, amin, amax},
	DS_STREAM_OPS(X)
#undef X
};

const BuiltinInfo builtin_table[BI__COUNT] = {
#define X(id, name, amin, amax, chk) [BI_##id] = {BI_##id, name, amin, amax, chk},
	DS_BUILTINS(X)
#undef X
};

const OpInfo *op_lookup(const char *name)
{
	for (int i = 0; i < OP__COUNT; i++)
		if (!strcmp(op_table[i].name, name))
			return &op_table[i];
	return NULL;
}

const BuiltinInfo *builtin_lookup(const char *name)
{
	for (int i = 0; i < BI__COUNT; i++)
		if (!strcmp(builtin_table[i].name, name))
			return &builtin_table[i];
	return NULL;
}

#define CALL_OP 'O'
#define CALL_BUILTIN 'B'
#define CALL_EXTERN 'E'
#define CALL_NAMED 'N' /* stream.named("id"): aux is the stateful call it names */
bool call_is_op(const Node *c) { return c->op == CALL_OP; }
const OpInfo *call_op(const Node *c) { ASSERT(c->op == CALL_OP); return c->aux; }
const BuiltinInfo *call_builtin(const Node *c) { ASSERT(c->op == CALL_BUILTIN); return c->aux; }
bool call_is_extern(const Node *c) { return c->op == CALL_EXTERN; }
bool call_is_named(const Node *c) { return c->kind == N_CALL && c->op == CALL_NAMED; }
const ExternFn *call_extern(const Node *c) { ASSERT(c->op == CALL_EXTERN); return c->aux; }

char *fmt_duration(int64_t ms)
{
	if (ms && ms % 3600000 == 0)
		return arena_printf("%lldh", (long long)(ms / 3600000));
	if (ms && ms % 60000 == 0)
		return arena_printf("%lldmin", (long long)(ms / 60000));
	if (ms && ms % 1000 == 0)
		return arena_printf("%llds", (long long)(ms / 1000));
	return arena_printf("%lldms", (long long)ms);
}

/* ---- scopes -------------------------------------------------------------- */

/* A scope's symbols in declaration order, and past a few of them a hash
 * table by name as well (the globals of a generated program can number tens
 * of thousands: a linear lookup per name made checking quadratic).  The
 * table holds the latest symbol of each name, as the linear search finds. */
typedef struct Scope {
	struct Scope *parent;
	Vec syms;
	Symbol **tab; /* open addressing, tcap slots (a power of two), or NULL */
	int tcap;
} Scope;

typedef struct Checker {
	CheckedProgram *out;
	Scope globals;
	int next_sym;
	bool have_batch;
	Loc batch_loc;
	Vec named; /* Node*: the calls .named("id") named, in program order */
	int in_lambda; /* how many lambdas the expression being checked is in */
	Vec batch_params; /* Symbol*: the parameters of the transform functions being
			     checked, each a stream seen one batch at a time */
} Checker;

enum { SCOPE_HASH_MIN = 16 }; /* symbols before a scope gets its table */

static unsigned name_hash(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of name in s->tab: its symbol's, or the empty one it would take. */
static Symbol **scope_slot(Scope *s, const char *name)
{
	unsigned mask = (unsigned)s->tcap - 1;
	for (unsigned i = name_hash(name) & mask;; i = (i + 1) & mask)
		if (!s->tab[i] || !strcmp(s->tab[i]->name, name))
			return &s->tab[i];
}

/* Adds sym to s->tab, first growing it to at most half full. */
static void scope_index(Scope *s, Symbol *sym)
{
	if (s->syms.n * 2 > s->tcap) {
		Symbol **old = s->tab;
		int ocap = s->tcap;
		s->tcap = s->tcap ? s->tcap * 2 : 4 * SCOPE_HASH_MIN;
		s->tab = arena_alloc((size_t)s->tcap * sizeof *s->tab);
		if (old) {
			for (int i = 0; i < ocap; i++)
				if (old[i])
					*scope_slot(s, old[i]->name) = old[i];
		} else { /* the first table: everything so far, in order */
			for (int i = 0; i < s->syms.n - 1; i++)
				*scope_slot(s, ((Symbol *)s->syms.v[i])->name) = s->syms.v[i];
		}
	}
	*scope_slot(s, sym->name) = sym;
}

static Symbol *lookup(Scope *s, const char *name)
{
	for (; s; s = s->parent) {
		if (s->tab) {
			Symbol *sym = *scope_slot(s, name);
			if (sym)
				return sym;
			continue;
		}
		for (int i = s->syms.n - 1; i >= 0; i--) {
			Symbol *sym = s->syms.v[i];
			if (!strcmp(sym->name, name))
				return sym;
		}
	}
	return NULL;
}

static Symbol *declare(Checker *ck, Scope *s, SymKind kind, const char *name, Loc loc, Type *t)
{
	Symbol *sym = arena_alloc(sizeof *sym);
	sym->kind = kind;
	sym->name = name;
	sym->loc = loc;
	sym->type = t;
	sym->id = ++ck->next_sym;
	vec_push(&s->syms, sym);
	if (s->tab || s->syms.n >= SCOPE_HASH_MIN)
		scope_index(s, sym);
	return sym;
}

static Type *check_expr(Checker *ck, Node *e, Scope *sc);

/* ---- placeholders: `_ + _` -> (a, b) => a + b ----------------------------- */

static void collect_placeholders(Node *n, Vec *out)
{
	if (!n)
		return;
	if (n->kind == N_PLACEHOLDER) {
		vec_push(out, n);
		return;
	}
	if (n->kind == N_LAMBDA)
		return; /* its own scope */
	collect_placeholders(n->lhs, out);
	collect_placeholders(n->rhs, out);
	collect_placeholders(n->cond, out);
	for (int i = 0; i < n->items.n; i++)
		collect_placeholders(n->items.v[i], out);
}

/* Scala's rule: an argument that properly contains placeholders binds them
 * as a lambda's parameters, in order; a bare `_` argument binds at the
 * enclosing argument.  Inner arguments are rewritten first. */
static Node *expand_placeholders(Node *n)
{
	if (!n)
		return n;
	n->lhs = expand_placeholders(n->lhs);
	n->rhs = expand_placeholders(n->rhs);
	n->cond = expand_placeholders(n->cond);
	for (int i = 0; i < n->items.n; i++)
		n->items.v[i] = expand_placeholders(n->items.v[i]);
	if (n->kind != N_CALL)
		return n;
	for (int i = n->is_method ? 1 : 0; i < n->items.n; i++) {
		Node *arg = n->items.v[i];
		if (arg->kind == N_PLACEHOLDER)
			continue;
		Vec ph = {0};
		collect_placeholders(arg, &ph);
		if (!ph.n)
			continue;
		Vec params = {0};
		for (int j = 0; j < ph.n; j++) {
			Node *p = ph.v[j];
			Param *prm = arena_alloc(sizeof *prm);
			prm->name = arena_printf("_%d", j + 1);
			prm->loc = p->loc;
			vec_push(&params, prm);
			p->kind = N_NAME;
			p->name = prm->name;
		}
		n->items.v[i] = ast_lambda(arg->loc, params, arg);
	}
	return n;
}

/* ---- "did you mean" ----------------------------------------------------------- */

/* The edit distance of a and b (optimal string alignment: inserting,
 * deleting or replacing a character, or swapping two adjacent ones, is one
 * edit), or max + 1 when it is more than max. */
static int edit_distance(const char *a, const char *b, int max)
{
	int n = (int)strlen(a), m = (int)strlen(b);
	if (n > 64 || m > 64 || abs(n - m) > max)
		return max + 1;
	int d[65][65];
	for (int i = 0; i <= n; i++)
		d[i][0] = i;
	for (int j = 0; j <= m; j++)
		d[0][j] = j;
	for (int i = 1; i <= n; i++)
		for (int j = 1; j <= m; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	return d[n][m];
}

/* The closest known name to a misspelled one: within one edit for names of
 * up to 4 characters, two edits for longer ones (lang/SPEC.md §14.1). */
typedef struct Suggest {
	const char *word;
	const char *best;
	int dist;
} Suggest;

static void suggest_add(Suggest *sg, const char *cand)
{
	int len = (int)strlen(sg->word);
	int max = len <= 2 ? 0 : len <= 4 ? 1 : 2;
	if (!max || !strcmp(cand, sg->word))
		return;
	int d = edit_distance(sg->word, cand, max);
	if (d <= max && (!sg->best || d < sg->dist)) {
		sg->best = cand;
		sg->dist = d;
	}
}

/* " (did you mean 'X'?)" or "". */
static const char *did_you_mean(const Suggest *sg)
{
	return sg->best ? arena_printf(" (did you mean '%s'?)", sg->best) : "";
}

/* Operators, sources, builtins and extern functions. */
static const char *suggest_callable(Checker *ck, const char *name)
{
	Suggest sg = {.word = name};
	for (int i = 0; i < OP__COUNT; i++)
		suggest_add(&sg, op_table[i].name);
	for (int i = 0; i < BI__COUNT; i++)
		suggest_add(&sg, builtin_table[i].name);
	for (int i = 0; i < ck->out->extern_fns.n; i++)
		suggest_add(&sg, ((ExternFn *)ck->out->extern_fns.v[i])->name);
	return did_you_mean(&sg);
}

/* The names in scope (vals, parameters, block vals), and None. */
static const char *suggest_name(Scope *sc, const char *name)
{
	Suggest sg = {.word = name};
	for (; sc; sc = sc->parent)
		for (int i = 0; i < sc->syms.n; i++)
			suggest_add(&sg, ((Symbol *)sc->syms.v[i])->name);
	suggest_add(&sg, "None");
	return did_you_mean(&sg);
}

/* ---- expressions ----------------------------------------------------------- */


static Type *set_type(Node *e, Type *t)
{
	e->type = t;
	return t;
}

static bool is_err(Type *t) { return ty_resolve(t)->kind == TY_ERROR; }

/* The common type of two branches: Int and Double meet at Double. */
static Type *join_types(Type *a, Type *b, bool *ok)
{
	Type *ra = ty_resolve(a), *rb = ty_resolve(b);
	*ok = true;
	if (ra->kind == TY_ERROR)
		return b;
	if (rb->kind == TY_ERROR)
		return a;
	if (ty_is_numeric(ra) && ty_is_numeric(rb) && ra->kind != rb->kind)
		return ty_double();
	if (ty_unify(a, b))
		return a;
	*ok = false;
	return ty_error();
}

/* Can a value of type from be used where to is expected (with Int -> Double)? */
static bool assignable(Type *from, Type *to)
{
	Type *f = ty_resolve(from), *t = ty_resolve(to);
	if (f->kind == TY_INT && t->kind == TY_DOUBLE)
		return true;
	return ty_unify(from, to);
}

/* Checks a lambda argument with known parameter types; returns the type of
 * its body.  want_n is the number of parameters the operator passes. */
/* Scala's type annotation of a lambda parameter (`(a: Int, s: Option[Int])`)
 * as a Type: Int and Long are Int, Double and Float Double; Seq, List,
 * Iterable and Array are List; Option, State and tuples as written.  NULL
 * after an error. */
static Type *annotation_type(Node *a)
{
	static const struct {
		const char *name;
		TypeKind kind;
	} names[] = {{"Int", TY_INT}, {"Long", TY_INT}, {"Short", TY_INT}, {"Byte", TY_INT}, {"Double", TY_DOUBLE},
		     {"Float", TY_DOUBLE}, {"String", TY_STRING}, {"Boolean", TY_BOOL}};
	static const struct {
		const char *name;
		TypeKind kind;
	} generic[] = {{"Seq", TY_LIST}, {"List", TY_LIST}, {"Iterable", TY_LIST}, {"Array", TY_LIST},
		       {"Option", TY_OPTION}, {"State", TY_STATE}};
	if (a->kind == N_TUPLE) {
		Type **el = arena_alloc(sizeof(Type *) * (size_t)a->items.n);
		for (int i = 0; i < a->items.n; i++)
			if (!(el[i] = annotation_type(a->items.v[i])))
				return NULL;
		return a->items.n == 1 ? el[0] : ty_tuple(a->items.n, el);
	}
	if (a->kind == N_NAME) {
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcmp(a->name, names[i].name)) {
				TypeKind k = names[i].kind;
				return k == TY_INT ? ty_int() : k == TY_DOUBLE ? ty_double() : k == TY_STRING ? ty_string()
											  : ty_bool();
			}
		error_at(a->loc, "unknown type '%s' (Int, Long, Double, String, Boolean, Seq[T], Option[T], "
				 "State[T], or a tuple (A, B))", a->name);
		return NULL;
	}
	for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
		if (!strcmp(a->name, generic[i].name)) {
			if (a->items.n != 1) {
				error_at(a->loc, "%s takes one type: %s[T]", a->name, a->name);
				return NULL;
			}
			Type *el = annotation_type(a->items.v[0]);
			if (!el)
				return NULL;
			TypeKind k = generic[i].kind;
			return k == TY_LIST ? ty_list(el) : k == TY_OPTION ? ty_option(el) : ty_state(el);
		}
	error_at(a->loc, "unknown type '%s[...]' (Seq[T], List[T], Option[T], State[T])", a->name);
	return NULL;
}

/* Whether parameter p, annotated, may be given what the operator gives it. */
static bool annotation_fits(Param *p, Type *given)
{
	Type *t = annotation_type(p->annot);
	if (!t)
		return false;
	if (!ty_unify(t, given)) {
		error_at(p->annot->loc, "parameter '%s' is declared %s, but it is given %s here", p->name, ty_str(t),
			 ty_str(given));
		return false;
	}
	return true;
}

static Type *check_lambda(Checker *ck, Node *lam, int want_n, Type **ptypes, Scope *sc,
			  const char *who)
{
	if (lam->kind != N_LAMBDA) {
		Type *t = check_expr(ck, lam, sc);
		if (!is_err(t))
			error_at(lam->loc, "%s expects a function, e.g. %s", who,
				 want_n == 1 ? "x => ..." : want_n == 2 ? "(a, b) => ..." : "(k, v, s) => ...");
		return set_type(lam, ty_error());
	}
	if (lam->params.n != want_n) {
		error_at(lam->loc, "%s expects a function of %d parameter%s, got %d", who, want_n,
			 want_n == 1 ? "" : "s", lam->params.n);
		return set_type(lam, ty_error());
	}
	Scope inner = {.parent = sc};
	for (int i = 0; i < want_n; i++) {
		Param *p = lam->params.v[i];
		if (p->annot && !annotation_fits(p, ptypes[i]))
			return set_type(lam, ty_error());
		p->sym = declare(ck, &inner, SYM_PARAM, p->name, p->loc, ptypes[i]);
	}
	ck->in_lambda++;
	Type *t = check_expr(ck, lam->lhs, &inner);
	ck->in_lambda--;
	lam->type = t;
	return t;
}

static Type *elem_of(Type *t, TypeKind k)
{
	t = ty_resolve(t);
	return t->kind == k ? t->elem : NULL;
}

/* A (K, V) element type, or NULL. */
static bool pair_parts(Type *t, Type **k, Type **v)
{
	t = ty_resolve(t);
	if (t->kind != TY_TUPLE || t->n != 2)
		return false;
	*k = t->elems[0];
	*v = t->elems[1];
	return true;
}

/* ---- program parameters: param("name"[, default]) -------------------------- */

static Loc op_loc(const Node *e);

static bool same_literal(const Node *a, const Node *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case N_INT: case N_BOOL: return a->ival == b->ival;
	case N_DOUBLE: return memcmp(&a->dval, &b->dval, sizeof a->dval) == 0;
	case N_STRING: return a->slen == b->slen && memcmp(a->str, b->str, a->slen) == 0;
	default: return false;
	}
}

/* A double as the shortest text that reads back to it, with a '.' or an
 * exponent, as a literal is written. */
static const char *double_text(double v)
{
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".eEn"))
		strcat(buf, ".0");
	return arena_strdup(buf);
}

const char *param_default_text(const ParamDecl *d)
{
	const Node *v = d->def;
	if (d->required)
		return NULL;
	switch (v->kind) {
	case N_INT: return arena_printf("%lld", (long long)v->ival);
	case N_BOOL: return v->ival ? "true" : "false";
	case N_DOUBLE: return double_text(v->dval);
	case N_STRING: return arena_strndup(v->str, v->slen);
	default: unreachable();
	}
}

/* A String as a literal: quoted, with C escapes. */
static const char *quoted(const char *s, size_t n)
{
	char *out = arena_alloc(n * 4 + 3), *o = out;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			o += sprintf(o, "\\%c", c);
		else if (c == '\n')
			o += sprintf(o, "\\n");
		else if (c == '\t')
			o += sprintf(o, "\\t");
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	*o++ = '"';
	*o = 0;
	return out;
}

const char *param_text(const ParamDecl *d)
{
	if (d->required)
		return arena_printf("param(%s)", quoted(d->name, strlen(d->name)));
	const char *v = d->def->kind == N_STRING ? quoted(d->def->str, d->def->slen) : param_default_text(d);
	return arena_printf("param(%s, %s)", quoted(d->name, strlen(d->name)), v);
}

Node *param_of(Node *e)
{
	for (int guard = 0; e && guard < 64; guard++) {
		if (e->kind == N_CALL && e->sym && e->sym->kind == SYM_PROGRAM_PARAM)
			return e;
		if (e->kind != N_NAME || !e->sym || e->sym->kind != SYM_VAL)
			return NULL;
		e = e->sym->def;
	}
	return NULL;
}

const ParamDecl *param_decl(const CheckedProgram *cp, const Node *call)
{
	ASSERT(call->sym && call->sym->kind == SYM_PROGRAM_PARAM && call->ival < cp->params.n);
	return cp->params.v[call->ival];
}

/* What --param NAME=VALUE can name: no '=', no spaces, nothing to quote. */
static bool param_name_ok(const Node *name)
{
	if (!name->slen || strlen(name->str) != name->slen)
		return false;
	for (size_t i = 0; i < name->slen; i++) {
		char c = name->str[i];
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '_' &&
		    c != '.' && c != '-')
			return false;
	}
	return true;
}

/* param("name"[, default]): the value of a program parameter, set at run
 * time with --param name=VALUE.  The name is a String literal, the default
 * a literal whose type is the parameter's; without one the parameter is a
 * required String.  Every use of a name must agree with its first. */
static Type *check_param(Checker *ck, Node *e)
{
	Node *name = e->items.v[0], *def = e->items.n > 1 ? e->items.v[1] : NULL;
	if (name->kind != N_STRING) {
		error_at(name->loc, "param: the name must be a String literal, e.g. param(\"port\", 9999)");
		return ty_error();
	}
	if (!param_name_ok(name)) {
		error_at(name->loc, "param: a parameter's name is letters, digits, '_', '.' and '-' "
				    "(it is given as --param NAME=VALUE)");
		return ty_error();
	}
	if (def && def->kind != N_INT && def->kind != N_DOUBLE && def->kind != N_STRING && def->kind != N_BOOL) {
		error_at(def->loc, "param: the default must be a literal Int, Double, String or Boolean, "
				   "e.g. param(\"port\", 9999)");
		return ty_error();
	}
	ParamDecl *d = arena_alloc(sizeof *d);
	d->name = name->str;
	d->required = !def;
	d->def = def ? def : ast_string(name->loc, "", 0);
	d->type = def ? def->type : ty_string();
	d->loc = op_loc(e);
	Vec *ps = &ck->out->params;
	for (int i = 0; i < ps->n; i++) {
		ParamDecl *p = ps->v[i];
		if (strcmp(p->name, d->name))
			continue;
		if (p->required != d->required || !same_literal(p->def, d->def)) {
			error_at(op_loc(e), "%s disagrees with the first declaration of \"%s\", %s: every use of a "
					    "parameter has the same type and default", param_text(d), d->name, param_text(p));
			note_at(p->loc, "\"%s\" is first declared here", p->name);
			return ty_error();
		}
		e->ival = p->index;
		e->sym = p->sym;
		return p->type;
	}
	d->index = ps->n;
	vec_push(ps, d);
	d->sym = arena_alloc(sizeof *d->sym);
	d->sym->kind = SYM_PROGRAM_PARAM;
	d->sym->name = d->name;
	d->sym->loc = d->loc;
	d->sym->type = d->type;
	d->sym->def = d->def;
	d->sym->id = ++ck->next_sym;
	e->ival = d->index;
	e->sym = d->sym;
	return d->type;
}

/* Where a value must be known when the program is compiled, a program
 * parameter is an error that says why.  True when arg is one (said). */
static bool reject_param(Checker *ck, Node *call, Node *arg, const char *what, const char *why)
{
	Node *p = param_of(arg);
	if (!p)
		return false;
	error_at(arg->loc, "%s: %s cannot be a program parameter (%s): %s", call->name, what,
		 param_text(param_decl(ck->out, p)), why);
	return true;
}

/* A required parameter (its descriptor value is a placeholder: the run's
 * --param gives the value, which the runtime checks). */
static bool is_required_param(Checker *ck, Node *arg)
{
	Node *p = param_of(arg);
	return p && param_decl(ck->out, p)->required;
}

static void used_walk(const CheckedProgram *cp, Node *e, Vec *out, int depth)
{
	if (!e || depth > 64)
		return;
	if (e->kind == N_CALL && e->sym && e->sym->kind == SYM_PROGRAM_PARAM) {
		const ParamDecl *d = param_decl(cp, e);
		for (int i = 0; i < out->n; i++)
			if (out->v[i] == d)
				return;
		vec_push(out, (void *)d);
		return;
	}
	if (e->kind == N_CALL && e->aux && call_is_op(e))
		return; /* another operator: its own */
	if (e->kind == N_NAME && e->sym && e->sym->kind == SYM_VAL) {
		used_walk(cp, e->sym->def, out, depth + 1);
		return;
	}
	used_walk(cp, e->lhs, out, depth + 1);
	used_walk(cp, e->rhs, out, depth + 1);
	used_walk(cp, e->cond, out, depth + 1);
	for (int i = 0; i < e->items.n; i++)
		used_walk(cp, e->items.v[i], out, depth + 1);
}

void params_used(const CheckedProgram *cp, Node *e, Vec *out)
{
	if (e->kind != N_CALL)
		return;
	for (int i = e->is_method ? 1 : 0; i < e->items.n; i++)
		used_walk(cp, e->items.v[i], out, 0);
}

static Type *check_builtin(Checker *ck, Node *e, const BuiltinInfo *bi, Scope *sc)
{
	int n = e->items.n;
	Node **a = (Node **)e->items.v;
	Type *at[4] = {0};
	/* map/filter on lists take a lambda whose parameter is the element type */
	bool lambda_arg = bi->id == BI_LIST_MAP || bi->id == BI_LIST_FILTER;
	for (int i = 0; i < n && i < 4; i++)
		if (!(lambda_arg && i == 1))
			at[i] = check_expr(ck, a[i], sc);
	for (int i = 0; i < n && i < 4; i++)
		if (at[i] && is_err(at[i]))
			return ty_error();
	Type *r[4];
	for (int i = 0; i < 4; i++)
		r[i] = at[i] ? ty_resolve(at[i]) : NULL;
#define WANT(i, cond, what) \
	do { \
		if (!(cond)) { \
			error_at(a[i]->loc, "%s expects %s, got %s", bi->name, what, ty_str(at[i])); \
			return ty_error(); \
		} \
	} while (0)
#define IS(i, k) (r[i]->kind == (k))
	switch (bi->id) {
	case BI_SPLIT:
		WANT(0, IS(0, TY_STRING), "a String");
		WANT(1, IS(1, TY_STRING), "a String separator");
		return ty_list(ty_string());
	case BI_TO_INT:
		WANT(0, IS(0, TY_STRING) || IS(0, TY_DOUBLE) || IS(0, TY_INT), "a String or a number");
		return ty_int();
	case BI_TO_DOUBLE:
		WANT(0, IS(0, TY_STRING) || IS(0, TY_INT) || IS(0, TY_DOUBLE), "a String or a number");
		return ty_double();
	case BI_TO_STRING:
		WANT(0, r[0]->kind <= TY_OPTION, "a value");
		return ty_string();
	case BI_LEN:
		WANT(0, IS(0, TY_STRING) || IS(0, TY_LIST), "a String or a List");
		return ty_int();
	case BI_LOWER: case BI_UPPER: case BI_TRIM:
		WANT(0, IS(0, TY_STRING), "a String");
		return ty_string();
	case BI_CONTAINS: case BI_STARTS_WITH: case BI_ENDS_WITH:
		WANT(0, IS(0, TY_STRING), "a String");
		WANT(1, IS(1, TY_STRING), "a String");
		return ty_bool();
	case BI_SUBSTR:
		WANT(0, IS(0, TY_STRING), "a String");
		WANT(1, IS(1, TY_INT), "an Int start");
		WANT(2, IS(2, TY_INT), "an Int length");
		return ty_string();
	case BI_CHARS:
		WANT(0, IS(0, TY_STRING), "a String");
		return ty_list(ty_string());
	case BI_SUM: {
		Type *el = elem_of(at[0], TY_LIST);
		WANT(0, el && ty_is_numeric(el), "a List of numbers");
		return ty_resolve(el);
	}
	case BI_MIN: case BI_MAX: {
		Type *el = elem_of(at[0], TY_LIST);
		WANT(0, el && (ty_is_numeric(el) || ty_resolve(el)->kind == TY_STRING),
		     "a List of numbers or Strings");
		return ty_resolve(el);
	}
	case BI_ABS:
		WANT(0, ty_is_numeric(at[0]), "a number");
		return r[0];
	case BI_SOME:
		return ty_option(at[0]);
	case BI_GET_OR_ELSE: {
		Type *el = elem_of(at[0], TY_OPTION);
		WANT(0, el, "an Option");
		bool ok;
		Type *t = join_types(el, at[1], &ok);
		if (!ok) {
			error_at(a[1]->loc, "getOrElse: default of type %s does not match %s", ty_str(at[1]),
				 ty_str(at[0]));
			return ty_error();
		}
		return t;
	}
	case BI_IS_EMPTY: case BI_IS_DEFINED:
		WANT(0, IS(0, TY_OPTION), "an Option");
		return ty_bool();
	case BI_BATCH_TIME:
		return ty_int();
	case BI_COUNTER: { /* counter("name"[, n]): adds n (1) to a named counter, and is n */
		Node *c = const_value(a[0]);
		if (!c || c->kind != N_STRING || !c->slen || memchr(c->str, '\0', c->slen)) {
			error_at(a[0]->loc, "counter: the name must be a non-empty String literal");
			return ty_error();
		}
		if (n == 2)
			WANT(1, IS(1, TY_INT), "an Int");
		bool seen = false;
		for (int i = 0; i < ck->out->counters.n && !seen; i++)
			seen = !strcmp(ck->out->counters.v[i], c->str);
		if (!seen)
			vec_push(&ck->out->counters, (void *)c->str);
		return ty_int();
	}
	case BI_PARAM:
		return check_param(ck, e);
	case BI_LIST_MAP: case BI_LIST_FILTER: {
		Type *el = elem_of(at[0], TY_LIST);
		WANT(0, el, "a List");
		Type *bt = check_lambda(ck, a[1], 1, &el, sc, bi->name);
		if (is_err(bt))
			return ty_error();
		if (bi->id == BI_LIST_MAP)
			return ty_list(bt);
		if (ty_resolve(bt)->kind != TY_BOOL) {
			error_at(a[1]->lhs->loc, "filter expects a Boolean predicate, got %s", ty_str(bt));
			return ty_error();
		}
		return at[0];
	}
	case BI_GET:
		if (IS(0, TY_OPTION))
			return r[0]->elem;
		WANT(0, IS(0, TY_STATE), "an Option or a State");
		return r[0]->elem;
	case BI_EXISTS: case BI_IS_TIMING_OUT:
		WANT(0, IS(0, TY_STATE), "the State parameter of mapWithState");
		return ty_bool();
	case BI_GET_OPTION:
		WANT(0, IS(0, TY_STATE), "the State parameter of mapWithState");
		return ty_option(r[0]->elem);
	case BI_UPDATE:
		WANT(0, IS(0, TY_STATE), "the State parameter of mapWithState");
		if (!assignable(at[1], r[0]->elem)) {
			error_at(a[1]->loc, "update: value of type %s does not match the state type %s",
				 ty_str(at[1]), ty_str(r[0]->elem));
			return ty_error();
		}
		return ty_unit();
	case BI_REMOVE:
		WANT(0, IS(0, TY_STATE), "the State parameter of mapWithState");
		return ty_unit();
	case BI__COUNT:
		break;
	}
#undef WANT
#undef IS
	unreachable();
}

/* A compile-time constant (literal, or a val bound to one). */
Node *const_value(Node *e)
{
	for (int guard = 0; e && guard < 64; guard++) {
		if (e->kind == N_INT || e->kind == N_STRING || e->kind == N_DOUBLE || e->kind == N_BOOL ||
		    e->kind == N_DURATION)
			return e;
		if (e->kind == N_NAME && e->sym && e->sym->kind == SYM_VAL)
			e = e->sym->def;
		else if (e->kind == N_CALL && e->sym && e->sym->kind == SYM_PROGRAM_PARAM)
			e = e->sym->def; /* its default: lang/SPEC.md §7.1 */
		else
			return NULL;
	}
	return NULL;
}

static bool want_const(Node *call, Node *arg, TypeKind k, const char *what);

/* Spark's numPartitions argument (reduceByKey(f, n), groupByKey(n), ...):
 * a constant Int of at least 1, checked like any expression first.  It
 * never changes results. */
static void want_partitions(Checker *ck, Node *call, Node *arg, Scope *sc)
{
	check_expr(ck, arg, sc);
	if (reject_param(ck, call, arg, "the partition count", "it is fixed when the program is compiled"))
		return;
	if (want_const(call, arg, TY_INT, "the partition count must be a constant Int") &&
	    const_value(arg)->ival < 1)
		error_at(arg->loc, "%s: the partition count must be at least 1", call->name);
}

static bool want_const(Node *call, Node *arg, TypeKind k, const char *what)
{
	if (is_err(arg->type))
		return false;
	Node *c = const_value(arg);
	if (!c || ty_resolve(arg->type)->kind != k) {
		error_at(arg->loc, "%s: %s", call->name, what);
		return false;
	}
	return true;
}

static int64_t const_int(Node *arg) { return const_value(arg)->ival; }

/* A duration argument of a window operator: a constant multiple of the
 * batch interval.  Returns 0 after reporting an error. */
static int64_t want_duration(Checker *ck, Node *call, Node *arg, const char *role)
{
	if (is_err(check_expr(ck, arg, &ck->globals)))
		return 0;
	if (reject_param(ck, call, arg, arena_printf("the %s duration", role),
			 strcmp(role, "timeout") ? "it shapes the generated code (the panes a window keeps)"
						 : "it shapes the generated code (when a key's state times out)"))
		return 0;
	Node *c = const_value(arg);
	if (!c || c->kind != N_DURATION) {
		error_at(arg->loc, "%s: the %s duration must be a duration such as 10s", call->name, role);
		return 0;
	}
	if (c->ival <= 0) {
		error_at(arg->loc, "%s duration must be positive", role);
		return 0;
	}
	if (ck->have_batch && ck->out->batch_ms > 0 && c->ival % ck->out->batch_ms) {
		error_at(arg->loc, "%s duration %s is not a multiple of the batch interval %s", role,
			 fmt_duration(c->ival), fmt_duration(ck->out->batch_ms));
		return 0;
	}
	return c->ival;
}

/* Where byte i of a string literal's value is in the source: the literal
 * starts at its opening quote (lit), and escapes take more source bytes
 * than value bytes (lexer.l decodes them; strings never span lines). */
static Loc string_byte_loc(Checker *ck, Node *lit, size_t i)
{
	const SourceFile *src = ck->out->ast->src;
	const char *p = src->text + lit->loc.off + 1, *end = src->text + src->len;
	size_t k = 0;
	while (k < i && p < end && *p != '"') {
		if (*p != '\\') {
			p++;
			k++;
			continue;
		}
		char c = p + 1 < end ? p[1] : 0;
		if (c == 'x') {
			p += 4;
			k++;
		} else if (c == 'u') { /* one code point: 1 to 3 bytes of UTF-8 */
			unsigned cp = (unsigned)strtoul(arena_strndup(p + 2, 4), NULL, 16);
			p += 6;
			k += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
		} else {
			p += 2;
			k++;
		}
	}
	Loc l = lit->loc;
	l.off = (uint32_t)(p - src->text);
	l.col += (int32_t)(l.off - lit->loc.off);
	return l;
}

/* The schema argument of a binary source: a constant String that parses
 * (schema.h).  Returns the type of a record, or NULL after an error at the
 * offending field, inside the string. */
static Type *check_schema(Checker *ck, Node *call, Node *arg)
{
	if (reject_param(ck, call, arg, "the schema", "it shapes the generated code (the record's layout)"))
		return NULL;
	Node *len = const_value(arg);
	if (len && len->kind == N_INT) { /* Spark's binaryRecordsStream(directory, recordLength) */
		error_at(arg->loc, "%s: the schema must be a constant String such as \"i64 i32 f64\" "
				   "(%lld raw bytes a record: \"b%lld\")", call->name, (long long)len->ival,
			 (long long)len->ival);
		return NULL;
	}
	if (!want_const(call, arg, TY_STRING, "the schema must be a constant String such as \"i64 i32 f64\""))
		return NULL;
	Node *lit = const_value(arg);
	Schema sc;
	size_t at, n;
	const char *err = schema_parse(lit->str, lit->slen, &sc, &at, &n);
	if (!err)
		return schema_type(&sc);
	/* a bad field: at the field, inside the literal (which may be a val's) */
	(void)n;
	if (at != SIZE_MAX)
		error_at(string_byte_loc(ck, lit, at), "%s: %s", call->name, err);
	else
		error_at(arg->loc, "%s: %s", call->name, err);
	return NULL;
}

/* Where an operator is named: the method's name in `xs.map(...)`. */
static Loc op_loc(const Node *e) { return e->is_method ? e->name_loc : e->loc; }

int counter_index(const CheckedProgram *cp, const char *name)
{
	for (int i = 0; i < cp->counters.n; i++)
		if (!strcmp(cp->counters.v[i], name))
			return i;
	unreachable(); /* the checker registered every name it accepted */
}

/* ---- extern C functions (extern.h) ------------------------------------------ */

static ExternFn *lookup_extern(Checker *ck, const char *name)
{
	for (int i = 0; i < ck->out->extern_fns.n; i++) {
		ExternFn *fn = ck->out->extern_fns.v[i];
		if (!strcmp(fn->name, name))
			return fn;
	}
	return NULL;
}

/* A function whose C signature does not map: said at the header, with a
 * note at the use. */
static bool extern_usable(ExternFn *fn, Loc use)
{
	if (!fn->used) {
		fn->used = true;
		fn->use_loc = use;
	}
	if (!fn->bad)
		return true;
	error_in(fn->header, fn->bad_line, fn->bad_col, "extern function '%s' cannot be used from dstream: %s",
		 fn->name, fn->bad);
	note_at(use, "'%s' is used here", fn->name);
	return false;
}

/* The dstream spelling of a parameter's type, for messages. */
static const char *param_str(const ExternParam *p)
{
	switch (p->ck) {
	case CK_RDD: return "const ds_rdd *";
	case CK_RECEIVER: return "ds_receiver *";
	default: return p->type ? ty_str(p->type) : p->ctype;
	}
}

/* f(args...) or a.f(args...) of an extern C function. */
static Type *check_extern_call(Checker *ck, Node *e, ExternFn *fn, Scope *sc)
{
	e->op = CALL_EXTERN;
	e->aux = fn;
	for (int i = 0; i < e->items.n; i++)
		check_expr(ck, e->items.v[i], sc);
	if (!extern_usable(fn, op_loc(e)))
		return ty_error();
	for (int i = 0; i < fn->nparams; i++)
		if (!fn->params[i].type) {
			error_at(op_loc(e), "extern function '%s' takes a '%s': it can only be given to %s", fn->name,
				 param_str(&fn->params[i]), fn->params[i].ck == CK_RDD ? "foreachRDD" : "receiverStream");
			return ty_error();
		}
	if (!fn->ret_type) {
		error_at(op_loc(e), "extern function '%s' returns void: it has no value to use here "
				    "(void functions are for foreachRDD and foreachRecord)", fn->name);
		return ty_error();
	}
	if (e->items.n != fn->nparams) {
		error_at(op_loc(e), "extern function '%s' takes %d argument%s, got %d", fn->name, fn->nparams,
			 fn->nparams == 1 ? "" : "s", e->items.n);
		return ty_error();
	}
	bool bad = false;
	for (int i = 0; i < fn->nparams; i++) {
		Node *a = e->items.v[i];
		if (is_err(a->type)) {
			bad = true;
		} else if (!assignable(a->type, fn->params[i].type)) {
			error_at(a->loc, "argument %d of '%s' must be %s (C '%s'), got %s", i + 1, fn->name,
				 ty_str(fn->params[i].type), fn->params[i].ctype, ty_str(a->type));
			bad = true;
		}
	}
	return bad ? ty_error() : fn->ret_type;
}

/* The C signature an output or a receiver needs, as text for messages. */
static const char *want_sig(const OpInfo *op, Type *rec)
{
	if (op->id == OP_FOREACH_RDD)
		return "void f(int64_t batch_time_ms, const ds_rdd *rdd)";
	if (op->id == OP_RECEIVER_STREAM)
		return "int f(ds_receiver *r)";
	Type *t = ty_resolve(rec);
	int n = t->kind == TY_TUPLE ? t->n : 1;
	char *sig = "void f(";
	for (int i = 0; i < n; i++) {
		Type *ft = ty_resolve(t->kind == TY_TUPLE ? t->elems[i] : t);
		const char *c;
		switch (ft->kind) {
		case TY_INT: c = arena_printf("int64_t x%d", i + 1); break;
		case TY_DOUBLE: c = arena_printf("double x%d", i + 1); break;
		case TY_BOOL: c = arena_printf("bool x%d", i + 1); break;
		case TY_STRING: c = arena_printf("const char *s%d, size_t n%d", i + 1, i + 1); break;
		default: return NULL; /* no C parameter for it */
		}
		sig = arena_printf("%s%s%s", sig, i ? ", " : "", c);
	}
	return arena_printf("%s)", sig);
}

/* Does fn's signature fit op (on records of type rec)? */
static bool sig_fits(const ExternFn *fn, const OpInfo *op, Type *rec)
{
	if (op->id == OP_RECEIVER_STREAM)
		return fn->ret == CK_I32 && fn->nparams == 1 &&
		       fn->params[0].ck == CK_RECEIVER;
	if (fn->ret != CK_VOID)
		return false;
	if (op->id == OP_FOREACH_RDD)
		return fn->nparams == 2 && fn->params[0].ck == CK_I64 && fn->params[1].ck == CK_RDD;
	Type *t = ty_resolve(rec);
	int n = t->kind == TY_TUPLE ? t->n : 1;
	if (fn->nparams != n)
		return false;
	for (int i = 0; i < n; i++)
		if (!fn->params[i].type ||
		    !ty_equal(fn->params[i].type, t->kind == TY_TUPLE ? t->elems[i] : t))
			return false;
	return true;
}

/* The function argument of foreachRDD, foreachRecord or receiverStream:
 * the name of an extern function with the signature op needs. */
static ExternFn *check_extern_arg(Checker *ck, Node *call, const OpInfo *op, Node *arg, Type *rec)
{
	ExternFn *fn = arg->kind == N_NAME && !lookup(&ck->globals, arg->name) ? lookup_extern(ck, arg->name) : NULL;
	arg->type = ty_unit();
	if (!fn) {
		if (arg->kind == N_NAME && !lookup(&ck->globals, arg->name) && !ck->out->extern_fns.n)
			error_at(arg->loc, "%s expects the name of an extern C function, and '%s' is not "
					   "declared (no extern header declares functions)", op->name, arg->name);
		else if (arg->kind == N_NAME && !lookup(&ck->globals, arg->name))
			error_at(arg->loc, "%s expects the name of an extern C function, and '%s' is not "
					   "declared in an extern header", op->name, arg->name);
		else
			error_at(arg->loc, "%s expects the name of an extern C function, e.g. %s(f) with f "
					   "declared in an extern header", op->name, op->name);
		return NULL;
	}
	arg->aux = fn;
	if (!extern_usable(fn, arg->loc))
		return NULL;
	if (!sig_fits(fn, op, rec)) {
		const char *want = want_sig(op, rec);
		if (!want) {
			error_at(op_loc(call), "foreachRecord needs records of Int, Double, Boolean and String fields, "
					       "got %s (use foreachRDD)", ty_str(rec));
			return NULL;
		}
		const char *paren = strchr(want, '(');
		want = arena_printf("%.*s%s%s", (int)(strchr(want, ' ') + 1 - want), want, fn->name, paren);
		error_in(fn->header, fn->line, fn->col, "extern function '%s' cannot be used by %s%s%s: it must be "
			 "declared as %s", fn->name, op->name, rec ? " on records of type " : "",
			 rec ? ty_str(rec) : "", want);
		note_at(arg->loc, "'%s' is used here", fn->name);
		return NULL;
	}
	return fn;
}

static bool is_lambda(Node *n) { return n->kind == N_LAMBDA; }

/* Kafka properties, "k=v,k=v": each piece has its '='. */
static void check_props(Node *arg, const char *op)
{
	const Node *c = const_value(arg);
	for (size_t i = 0, start = 0; i <= c->slen; i++)
		if (i == c->slen || c->str[i] == ',') {
			if (i > start && !memchr(c->str + start, '=', i - start)) {
				error_at(arg->loc, "%s: property '%.*s' is not KEY=VALUE", op, (int)(i - start), c->str + start);
				return;
			}
			start = i + 1;
		}
}

static Type *check_stream_op(Checker *ck, Node *e, const OpInfo *op, Scope *sc)
{
	Node **a = (Node **)e->items.v;
	int nargs = e->items.n - (op->cls == OPC_SOURCE ? 0 : 1);
	Node **args = op->cls == OPC_SOURCE ? a : a + 1;
	if (nargs < op->min_args || nargs > op->max_args) {
		if (op->min_args == op->max_args)
			error_at(op_loc(e), "%s expects %d argument%s, got %d", op->name, op->min_args,
				 op->min_args == 1 ? "" : "s", nargs);
		else
			error_at(op_loc(e), "%s expects %d to %d arguments, got %d", op->name, op->min_args,
				 op->max_args, nargs);
		return ty_error();
	}

	if (op->id == OP_RECEIVER_STREAM) {
		check_extern_arg(ck, e, op, args[0], NULL);
		return ty_stream(ty_string());
	}
	if (op->cls == OPC_SOURCE) {
		for (int i = 0; i < nargs; i++)
			check_expr(ck, args[i], sc);
		switch (op->id) {
		case OP_SOCKET_TEXT_STREAM:
			if (want_const(e, args[0], TY_STRING, "the host must be a constant String") &&
			    want_const(e, args[1], TY_INT, "the port must be a constant Int")) {
				int64_t port = const_int(args[1]);
				if (port < 1 || port > 65535)
					error_at(args[1]->loc, "socketTextStream: port %lld is out of range 1..65535",
						 (long long)port);
			}
			return ty_stream(ty_string());
		case OP_TEXT_FILE:
			want_const(e, args[0], TY_STRING, "the path must be a constant String");
			return ty_dataset(ty_string());
		case OP_KAFKA_STREAM: case OP_KAFKA_RECORD_STREAM: {
			static const char *const what[] = {
				"the brokers must be a constant String (\"host:port[,host:port]\")",
				"the topic must be a constant String",
				"the consumer properties must be a constant String (\"k=v,k=v\")"};
			bool ok = true;
			for (int i = 0; i < nargs; i++)
				ok &= want_const(e, args[i], TY_STRING, what[i]);
			for (int i = 0; ok && i < 2; i++)
				if (const_value(args[i])->slen == 0 && !is_required_param(ck, args[i]))
					error_at(args[i]->loc, "%s: %s must not be empty", op->name, i ? "the topic" : "the brokers");
			if (ok && nargs == 3)
				check_props(args[2], op->name);

#ifndef DS_HAVE_RDKAFKA
			error_at(op_loc(e), "%s: this dstreamc was built without librdkafka", op->name);
#endif
			if (op->id == OP_KAFKA_RECORD_STREAM) { /* (topic, partition, offset, key, value) */
				Type *f[5] = {ty_string(), ty_int(), ty_int(), ty_string(), ty_string()};
				return ty_stream(ty_tuple(5, f));
			}
			return ty_stream(ty_string());
		}
		case OP_BINARY_RECORDS_STREAM: case OP_BINARY_QUEUE_STREAM: case OP_BINARY_RECORDS: {
			bool ok = want_const(e, args[0], TY_STRING, "the path must be a constant String");
			Type *rec = check_schema(ck, e, args[1]);
			if (op->id == OP_BINARY_QUEUE_STREAM &&
			    want_const(e, args[2], TY_INT, "the records per batch must be a constant Int") &&
			    const_int(args[2]) <= 0) {
				error_at(args[2]->loc, "binaryQueueStream: the records per batch must be positive, got %lld",
					 (long long)const_int(args[2]));
				ok = false;
			}
			if (!ok || !rec)
				return ty_error();
			return op->id == OP_BINARY_RECORDS ? ty_dataset(rec) : ty_stream(rec);
		}
		default:
			want_const(e, args[0], TY_STRING, "the path must be a constant String");
			return ty_stream(ty_string());
		}
	}

	Type *rt = check_expr(ck, a[0], sc);
	if (is_err(rt))
		return ty_error();
	Type *rr = ty_resolve(rt);
	if (rr->kind != TY_STREAM && rr->kind != TY_DATASET) {
		error_at(op_loc(e), "%s is a DStream operator, but it is applied to a value of type %s", op->name,
			 ty_str(rt));
		return ty_error();
	}
	bool dataset = rr->kind == TY_DATASET;
	if (ck->batch_params.n && !dataset &&
	    (op->cls == OPC_WINDOW || op->cls == OPC_STATE || op->cls == OPC_OUTPUT)) {
		error_at(op_loc(e), "%s %s, but transform's function sees one batch: apply it to the stream, "
				    "before or after transform",
			 op->name, op->cls == OPC_OUTPUT ? "is an output" : "keeps records across batches");
		return ty_error();
	}
	if (dataset && op->cls != OPC_NARROW && op->cls != OPC_JOIN && op->cls != OPC_AGG) {
		error_at(op_loc(e), "%s is not available on a static Dataset (only the per-batch operators "
				 "are: map, filter, joins, reduceByKey, sortBy, ...)", op->name);
		return ty_error();
	}
	Type *T = rr->elem;
	Type *K = NULL, *V = NULL;
	bool pair = pair_parts(T, &K, &V);
#define STREAM(t) (dataset ? ty_dataset(t) : ty_stream(t))
#define NEED_PAIRS() \
	do { \
		if (!pair) { \
			error_at(op_loc(e), "%s needs a DStream of pairs (K, V), got %s", op->name, ty_str(rt)); \
			return ty_error(); \
		} \
	} while (0)

	switch (op->id) {
	case OP_MAP: {
		Type *u = check_lambda(ck, args[0], 1, &T, sc, op->name);
		return is_err(u) ? ty_error() : STREAM(u);
	}
	case OP_FLAT_MAP: case OP_FLAT_MAP_VALUES: {
		Type *pt = T;
		if (op->id == OP_FLAT_MAP_VALUES) {
			NEED_PAIRS();
			pt = V;
		}
		Type *u = check_lambda(ck, args[0], 1, &pt, sc, op->name);
		if (is_err(u))
			return ty_error();
		Type *ru = ty_resolve(u);
		if (ru->kind != TY_LIST && ru->kind != TY_OPTION) {
			error_at(args[0]->lhs->loc, "%s expects a function returning a List or an Option, got %s",
				 op->name, ty_str(u));
			return ty_error();
		}
		return STREAM(op->id == OP_FLAT_MAP ? ru->elem : ty_pair(K, ru->elem));
	}
	case OP_FILTER: {
		Type *u = check_lambda(ck, args[0], 1, &T, sc, op->name);
		if (is_err(u))
			return ty_error();
		if (ty_resolve(u)->kind != TY_BOOL) {
			error_at(args[0]->lhs->loc, "filter expects a Boolean predicate, got %s", ty_str(u));
			return ty_error();
		}
		return rt;
	}
	case OP_MAP_VALUES: {
		NEED_PAIRS();
		Type *u = check_lambda(ck, args[0], 1, &V, sc, op->name);
		return is_err(u) ? ty_error() : STREAM(ty_pair(K, u));
	}
	case OP_UNION: {
		Type *ot = check_expr(ck, args[0], sc);
		if (is_err(ot))
			return ty_error();
		Type *ro = ty_resolve(ot);
		if (ro->kind != TY_STREAM || rr->kind != TY_STREAM || !ty_unify(ro->elem, T)) {
			error_at(args[0]->loc, "union needs another %s, got %s", ty_str(ty_stream(T)), ty_str(ot));
			return ty_error();
		}
		return rt;
	}
	case OP_REPARTITION:
		want_partitions(ck, e, args[0], sc);
		return rt;
	case OP_COUNT:
		return STREAM(ty_int());
	case OP_REDUCE: {
		Type *pt[2] = {T, T};
		Type *u = check_lambda(ck, args[0], 2, pt, sc, op->name);
		if (is_err(u))
			return ty_error();
		if (!assignable(u, T)) {
			error_at(args[0]->lhs->loc, "reduce: the function returns %s but the stream holds %s",
				 ty_str(u), ty_str(T));
			return ty_error();
		}
		return rt;
	}
	case OP_COUNT_BY_VALUE:
		if (nargs == 1)
			want_partitions(ck, e, args[0], sc);
		return STREAM(ty_pair(T, ty_int()));
	case OP_SORT_BY: case OP_SORT_BY_KEY: case OP_TOP: case OP_TAKE_ORDERED: {
		/* sortBy(f[, ascending[, n]]), sortByKey([ascending[, n]]),
		 * top(n[, f]), takeOrdered(n[, f]): the batch in order (records
		 * of any type compare: lang/SPEC.md §9.3); the ascending flag and
		 * the count are values of the batch, not of a record */
		bool by_key = op->id == OP_SORT_BY_KEY, sort = by_key || op->id == OP_SORT_BY;
		if (by_key)
			NEED_PAIRS();
		int fn = op->id == OP_SORT_BY ? 0 : sort ? -1 : 1; /* the key function's argument */
		if (fn >= 0 && fn < nargs) {
			Type *k = check_lambda(ck, args[fn], 1, &T, sc, op->name);
			if (is_err(k))
				return ty_error();
			if (ty_resolve(k)->kind == TY_UNIT) {
				error_at(args[fn]->lhs->loc, "%s: the key function returns Unit, which has no order",
					 op->name);
				return ty_error();
			}
		}
		int flag = op->id == OP_SORT_BY ? 1 : sort ? 0 : -1, count = sort ? -1 : 0;
		if (flag >= 0 && flag < nargs) {
			Type *b = check_expr(ck, args[flag], sc);
			if (!is_err(b) && (ty_resolve(b)->kind != TY_BOOL || (!const_value(args[flag]) && !param_of(args[flag]))))
				error_at(args[flag]->loc, "%s: ascending must be a constant Boolean or a param(...), got %s",
					 op->name, ty_resolve(b)->kind == TY_BOOL ? "an expression" : ty_str(b));
		}
		if (sort && flag + 1 < nargs)
			want_partitions(ck, e, args[flag + 1], sc);
		if (count >= 0) {
			Type *n = check_expr(ck, args[count], sc);
			if (!is_err(n) && (ty_resolve(n)->kind != TY_INT || (!const_value(args[count]) && !param_of(args[count]))))
				error_at(args[count]->loc, "%s: the number of records must be a constant Int or a "
							   "param(...), got %s",
					 op->name, ty_resolve(n)->kind == TY_INT ? "an expression" : ty_str(n));
		}
		return rt;
	}
	case OP_REDUCE_BY_KEY: {
		NEED_PAIRS();
		Type *pt[2] = {V, V};
		Type *u = check_lambda(ck, args[0], 2, pt, sc, op->name);
		if (is_err(u))
			return ty_error();
		if (!assignable(u, V)) {
			error_at(args[0]->lhs->loc, "reduceByKey: the function returns %s but the values are %s",
				 ty_str(u), ty_str(V));
			return ty_error();
		}
		if (nargs == 2)
			want_partitions(ck, e, args[1], sc);
		return rt;
	}
	case OP_GROUP_BY_KEY:
		NEED_PAIRS();
		if (nargs == 1)
			want_partitions(ck, e, args[0], sc);
		return STREAM(ty_pair(K, ty_list(V)));

	case OP_JOIN: case OP_LEFT_OUTER_JOIN: case OP_RIGHT_OUTER_JOIN: case OP_FULL_OUTER_JOIN:
	case OP_COGROUP: {
		NEED_PAIRS();
		Type *ot = check_expr(ck, args[0], sc);
		if (is_err(ot))
			return ty_error();
		Type *ro = ty_resolve(ot), *K2, *W;
		if ((ro->kind != TY_STREAM && ro->kind != TY_DATASET) || !pair_parts(ro->elem, &K2, &W)) {
			error_at(args[0]->loc, "%s needs a DStream or Dataset of pairs, got %s", op->name, ty_str(ot));
			return ty_error();
		}
		if (!ty_unify(K, K2)) {
			error_at(args[0]->loc, "%s: keys differ: %s and %s", op->name, ty_str(K), ty_str(K2));
			return ty_error();
		}
		if (nargs == 2)
			want_partitions(ck, e, args[1], sc);
		Type *vw;
		switch (op->id) {
		case OP_JOIN: vw = ty_pair(V, W); break;
		case OP_LEFT_OUTER_JOIN: vw = ty_pair(V, ty_option(W)); break;
		case OP_RIGHT_OUTER_JOIN: vw = ty_pair(ty_option(V), W); break;
		case OP_FULL_OUTER_JOIN: vw = ty_pair(ty_option(V), ty_option(W)); break;
		default: vw = ty_pair(ty_list(V), ty_list(W)); break;
		}
		Type *res = ty_pair(K, vw);
		return (dataset && ro->kind == TY_DATASET) ? ty_dataset(res) : ty_stream(res);
	}

	case OP_WINDOW:
		want_duration(ck, e, args[0], "window");
		if (nargs == 2)
			want_duration(ck, e, args[1], "slide");
		return rt;
	case OP_COUNT_BY_WINDOW:
		want_duration(ck, e, args[0], "window");
		want_duration(ck, e, args[1], "slide");
		return ty_stream(ty_int());
	case OP_COUNT_BY_VALUE_AND_WINDOW:
		want_duration(ck, e, args[0], "window");
		want_duration(ck, e, args[1], "slide");
		return ty_stream(ty_pair(T, ty_int()));
	case OP_GROUP_BY_KEY_AND_WINDOW:
		NEED_PAIRS();
		want_duration(ck, e, args[0], "window");
		if (nargs == 2)
			want_duration(ck, e, args[1], "slide");
		return ty_stream(ty_pair(K, ty_list(V)));
	case OP_REDUCE_BY_WINDOW: case OP_REDUCE_BY_KEY_AND_WINDOW: {
		bool keyed = op->id == OP_REDUCE_BY_KEY_AND_WINDOW;
		if (keyed)
			NEED_PAIRS();
		Type *vt = keyed ? V : T;
		Type *pt[2] = {vt, vt};
		int i = 0, nf = 0;
		bool bad = false;
		while (i < nargs && i < 2 && is_lambda(args[i])) {
			Type *u = check_lambda(ck, args[i], 2, pt, sc, op->name);
			if (!is_err(u) && !assignable(u, vt)) {
				error_at(args[i]->lhs->loc, "%s: the function returns %s but the values are %s",
					 op->name, ty_str(u), ty_str(vt));
				bad = true;
			}
			bad |= is_err(u);
			i++, nf++;
		}
		if (nf == 0) {
			error_at(args[0]->loc, "%s expects a reduce function first, e.g. (a, b) => a + b", op->name);
			return ty_error();
		}
		if (i >= nargs) {
			error_at(op_loc(e), "%s expects a window duration", op->name);
			return ty_error();
		}
		check_expr(ck, args[i], sc);
		want_duration(ck, e, args[i++], "window");
		if (i < nargs) {
			check_expr(ck, args[i], sc);
			want_duration(ck, e, args[i++], "slide");
		} else if (nf == 2 || !keyed) {
			error_at(op_loc(e), "%s with %s expects a slide duration", op->name,
				 nf == 2 ? "an inverse function" : "a reduce function");
			return ty_error();
		}
		if (i < nargs) {
			if (nf == 2 && keyed && is_lambda(args[i])) {
				Type *u = check_lambda(ck, args[i], 1, &T, sc, op->name);
				if (!is_err(u) && ty_resolve(u)->kind != TY_BOOL) {
					error_at(args[i]->lhs->loc, "%s: the filter must return Boolean, got %s",
						 op->name, ty_str(u));
					bad = true;
				}
			} else {
				want_partitions(ck, e, args[i], sc);
			}
			i++;
		}
		if (i < nargs) {
			error_at(args[i]->loc, "%s: too many arguments", op->name);
			return ty_error();
		}
		return bad ? ty_error() : rt;
	}

	case OP_UPDATE_STATE_BY_KEY: {
		NEED_PAIRS();
		Type *S = ty_var();
		Type *pt[2] = {ty_list(V), ty_option(S)};
		Type *u = check_lambda(ck, args[0], 2, pt, sc, op->name);
		if (is_err(u))
			return ty_error();
		if (!ty_unify(u, ty_option(S))) {
			error_at(args[0]->lhs->loc, "updateStateByKey: the function must return %s, got %s",
				 ty_str(ty_option(S)), ty_str(u));
			return ty_error();
		}
		if (nargs == 2) {
			Type *it = check_expr(ck, args[1], sc);
			if (!is_err(it) && !ty_unify(it, ty_dataset(ty_pair(K, S))))
				error_at(args[1]->loc, "updateStateByKey: the initial state must be a %s, got %s",
					 ty_str(ty_dataset(ty_pair(K, S))), ty_str(it));
		}
		return ty_stream(ty_pair(K, S));
	}
	case OP_MAP_WITH_STATE: {
		NEED_PAIRS();
		Type *S = ty_var();
		Type *pt[3] = {K, ty_option(V), ty_state(S)};
		Type *u = check_lambda(ck, args[0], 3, pt, sc, op->name);
		if (is_err(u))
			return ty_error();
		for (int i = 1; i < nargs; i++) {
			Type *at = check_expr(ck, args[i], sc);
			if (is_err(at) || reject_param(ck, e, args[i], "the timeout",
						       "it shapes the generated code (when a key's state times out)"))
				continue;
			if (ty_resolve(at)->kind == TY_DURATION)
				want_duration(ck, e, args[i], "timeout");
			else if (!ty_unify(at, ty_dataset(ty_pair(K, S))))
				error_at(args[i]->loc, "mapWithState: expected a timeout duration or an initial %s, got %s",
					 ty_str(ty_dataset(ty_pair(K, S))), ty_str(at));
		}
		Type *ru = ty_resolve(u);
		if (ru->kind == TY_UNIT || ru->kind == TY_VAR) {
			error_at(args[0]->lhs->loc, "mapWithState: the function must end with the record to emit "
						    "(or an Option of it), e.g. { update(state, n); (k, n) }");
			return ty_error();
		}
		return ty_stream(ru->kind == TY_OPTION ? ru->elem : u);
	}
	case OP_STATE_SNAPSHOTS: {
		Node *src = a[0];
		while (src->kind == N_NAME && src->sym && src->sym->kind == SYM_VAL)
			src = src->sym->def;
		if (src->kind != N_CALL || !call_is_op(src) || call_op(src)->id != OP_MAP_WITH_STATE) {
			error_at(op_loc(e), "stateSnapshots() applies to the result of mapWithState");
			return ty_error();
		}
		Node *lam = src->items.v[1];
		Param *sp = lam->params.v[2];
		Type *k = ((Param *)lam->params.v[0])->sym->type;
		return ty_stream(ty_pair(k, ty_resolve(sp->sym->type)->elem));
	}

	case OP_PRINT:
		if (nargs == 1) {
			check_expr(ck, args[0], sc);
			if (want_const(e, args[0], TY_INT, "the record count must be a constant Int") &&
			    const_int(args[0]) < 1)
				error_at(args[0]->loc, "print: the record count must be at least 1");
		}
		return ty_unit();
	case OP_SAVE_AS_TEXT_FILES:
		for (int i = 0; i < nargs; i++) {
			check_expr(ck, args[i], sc);
			want_const(e, args[i], TY_STRING, i ? "the suffix must be a constant String"
							    : "the prefix must be a constant String");
		}
		if (!is_err(args[0]->type) && const_value(args[0]) && const_value(args[0])->slen == 0 &&
		    !is_required_param(ck, args[0]))
			error_at(args[0]->loc, "saveAsTextFiles: the prefix must not be empty");
		return ty_unit();
	case OP_FOREACH_RDD: case OP_FOREACH_RECORD:
		check_extern_arg(ck, e, op, args[0], T);
		return ty_unit();
	case OP_SAVE_TO_KAFKA: {
		static const char *const what[] = {"the brokers must be a constant String (\"host:port[,host:port]\")",
						   "the topic must be a constant String",
						   "the producer properties must be a constant String (\"k=v,k=v\")"};
		bool ok = true;
		for (int i = 0; i < nargs; i++) {
			check_expr(ck, args[i], sc);
			ok &= want_const(e, args[i], TY_STRING, what[i]);
		}
		for (int i = 0; ok && i < 2; i++)
			if (const_value(args[i])->slen == 0 && !is_required_param(ck, args[i]))
				error_at(args[i]->loc, "saveToKafka: %s must not be empty", i ? "the topic" : "the brokers");
		if (ok && nargs == 3)
			check_props(args[2], "saveToKafka");
		Type *t = ty_resolve(T);
		bool str = t->kind == TY_STRING;
		bool kv = pair && ty_resolve(K)->kind == TY_STRING && ty_resolve(V)->kind == TY_STRING;
		if (!is_err(T) && !str && !kv)
			error_at(op_loc(e), "saveToKafka writes a DStream[String] (values) or a DStream[(String, String)] "
					    "(keys and values), not %s", ty_str(rt));
#ifndef DS_HAVE_RDKAFKA
		error_at(op_loc(e), "saveToKafka: this dstreamc was built without librdkafka");
#endif
		return ty_unit();
	}
	case OP_SAVE_TO_POSTGRES: case OP_SAVE_TO_REDIS: {
		bool pg = op->id == OP_SAVE_TO_POSTGRES;
		const char *what[] = {pg ? "the connection string must be a constant String (libpq's, e.g. "
					   "\"host=/tmp dbname=app\")"
					 : "the address must be a constant String (\"host:port\")",
				      pg ? "the table must be a constant String" : "the hash must be a constant String",
				      "the mode must be a constant String (\"upsert\" or \"append\")"};
		bool ok = true;
		for (int i = 0; i < nargs; i++) {
			check_expr(ck, args[i], sc);
			ok &= want_const(e, args[i], TY_STRING, what[i]);
		}
		if (ok && !pg && const_value(args[0])->slen == 0 && !is_required_param(ck, args[0]))
			error_at(args[0]->loc, "saveToRedis: the address must not be empty");
		if (ok && const_value(args[1])->slen == 0 && !is_required_param(ck, args[1]))
			error_at(args[1]->loc, "%s: %s must not be empty", op->name, pg ? "the table" : "the hash");
		else if (ok && pg && !param_of(args[1])) {
			/* a name as SQL folds it: no quoting, so that it is the table a
			 * plain query names */
			const char *n = const_value(args[1])->str;
			bool good = true;
			int dots = 0;
			for (const char *c = n; *c && good; c++) {
				bool start = c == n || c[-1] == '.';
				if (*c == '.')
					good = !start && c[1] && ++dots <= 1;
				else
					good = (*c >= 'a' && *c <= 'z') || *c == '_' || (!start && *c >= '0' && *c <= '9');
			}
			if (!good || strlen(n) > 63 * 2 + 1)
				error_at(args[1]->loc, "saveToPostgres: the table must be a name such as word_counts or "
						       "public.word_counts (lower-case letters, digits and _), not \"%s\"", n);
		}
		bool upsert = false;
		if (ok && nargs == 3) {
			const char *m = const_value(args[2])->str;
			if (!pg || param_of(args[2]))
				error_at(args[2]->loc, "%s: the mode must be a constant String", op->name);
			else if (!strcmp(m, "upsert"))
				upsert = true;
			else if (strcmp(m, "append"))
				error_at(args[2]->loc, "saveToPostgres: the mode is \"upsert\" (one row per key, the "
						       "first field) or \"append\" (the default), not \"%s\"", m);
		}
		Type *t = ty_resolve(T);
		if (!is_err(T) && !pg && !pair)
			error_at(op_loc(e), "saveToRedis writes a DStream of pairs (key, value), each a field of "
					    "its hash, not %s", ty_str(rt));
		if (!is_err(T) && upsert && t->kind != TY_TUPLE)
			error_at(op_loc(e), "saveToPostgres: \"upsert\" keeps one row per key, the record's first "
					    "field: it needs records that are tuples, such as (String, Int), not %s",
				 ty_str(rt));
#ifndef DS_HAVE_LIBPQ
		if (pg)
			error_at(op_loc(e), "saveToPostgres: this dstreamc was built without libpq");
#endif
#ifndef DS_HAVE_HIREDIS
		if (!pg)
			error_at(op_loc(e), "saveToRedis: this dstreamc was built without hiredis");
#endif
		return ty_unit();
	}
	default:
		break;
	}
#undef STREAM
#undef NEED_PAIRS
	unreachable();
}

/* Whether call has state that a checkpoint keeps (windows, updateStateByKey,
 * mapWithState). */
static bool op_has_state(const OpInfo *op)
{
	return op->cls == OPC_WINDOW || (op->cls == OPC_STATE && op->id != OP_STATE_SNAPSHOTS);
}

/* stream.named("id"): the identity under which the state of the stateful
 * operator that produces stream is checkpointed (Flink's uid).  The value
 * is the stream itself. */
static Type *check_named(Checker *ck, Node *e, Scope *sc)
{
	Type *rt = check_expr(ck, e->items.v[0], sc);
	if (e->items.n != 2) {
		error_at(op_loc(e), "named expects 1 argument, got %d", e->items.n - 1);
		return ty_error();
	}
	Node *arg = e->items.v[1];
	check_expr(ck, arg, sc);
	if (is_err(rt))
		return ty_error();
	if (reject_param(ck, e, arg, "a state's name", "it identifies the state in checkpoints"))
		return ty_error();
	if (!want_const(e, arg, TY_STRING, "the name must be a constant String"))
		return ty_error();
	Node *target = e->items.v[0];
	while (target->kind == N_NAME && target->sym && target->sym->kind == SYM_VAL)
		target = target->sym->def;
	if (target->kind != N_CALL || !call_is_op(target) || !op_has_state(call_op(target))) {
		error_at(op_loc(e), "named: only the result of a stateful operator (a window, "
				    "updateStateByKey or mapWithState) has a state to name");
		return ty_error();
	}
	const char *id = const_value(arg)->str;
	if (!*id || strchr(id, '/') || strchr(id, '\n')) {
		error_at(arg->loc, "named: a state's name must be non-empty, without '/' or newlines");
		return ty_error();
	}
	if (target->named && strcmp(target->named, id)) {
		error_at(op_loc(e), "named: this %s is already named \"%s\"", call_op(target)->name, target->named);
		return ty_error();
	}
	for (int i = 0; i < ck->named.n; i++) {
		Node *o = ck->named.v[i];
		if (o != target && !strcmp(o->named, id)) {
			error_at(arg->loc, "named: the name \"%s\" is already taken by the %s at %s", id,
				 call_op(o)->name, loc_str(op_loc(o)));
			return ty_error();
		}
	}
	if (!target->named)
		vec_push(&ck->named, target);
	target->named = id;
	e->op = CALL_NAMED;
	e->aux = target;
	return rt;
}

/* s.transform(rdd => body), s.transformWith(other, (a, b) => body): Spark's
 * function over each batch, written with the per-batch operators.  A batch
 * seen as a Dataset and the stream it comes from are the same records, so
 * the parameters name the streams themselves (vals of them) and the call
 * becomes its body: the body's operators are planned and fused as if they
 * had been written on the stream, and every engine runs them as it does
 * those.  What the body may not do is what a batch cannot: keep records
 * across batches (windows, state), write outputs, or reach another stream. */
static int stream_levels(const Node *n);

static Type *check_transform(Checker *ck, Node *e, Scope *sc)
{
	bool with = !strcmp(e->name, "transformWith");
	int want = with ? 2 : 1;
	if (e->items.n - 1 != want) {
		error_at(op_loc(e), "%s expects %d argument%s, got %d: %s", e->name, want, want == 1 ? "" : "s",
			 e->items.n - 1, with ? "a.transformWith(b, (x, y) => ...)" : "s.transform(rdd => ...)");
		return ty_error();
	}
	Node *streams[2] = {e->items.v[0], with ? e->items.v[1] : NULL};
	Node *lam = e->items.v[want];
	Type *elems[2];
	for (int i = 0; i < want; i++) {
		Type *t = check_expr(ck, streams[i], sc);
		if (is_err(t))
			return ty_error();
		if (ty_resolve(t)->kind != TY_STREAM) {
			bool ds = ty_resolve(t)->kind == TY_DATASET;
			if (i)
				error_at(streams[i]->loc, "transformWith combines two DStreams, got %s%s", ty_str(t),
					 ds ? ": name a static Dataset inside transform's function, e.g. "
					      "s.transform(rdd => rdd.join(dataset))" : "");
			else
				error_at(op_loc(e), "%s works on a DStream, got %s%s", e->name, ty_str(t),
					 ds ? ": apply the operators to the static Dataset itself" : "");
			return ty_error();
		}
		elems[i] = ty_resolve(t)->elem;
	}
	if (lam->kind != N_LAMBDA || lam->params.n != want) {
		error_at(lam->loc, "%s expects a function of %s, e.g. %s", e->name,
			 with ? "two batches" : "the batch", with ? "(a, b) => a.join(b)" : "rdd => rdd.sortByKey(false)");
		if (lam->kind != N_LAMBDA)
			check_expr(ck, lam, sc);
		return ty_error();
	}
	Scope inner = {.parent = sc};
	int mark = ck->batch_params.n;
	for (int i = 0; i < want; i++) {
		Param *p = lam->params.v[i];
		p->sym = declare(ck, &inner, SYM_VAL, p->name, p->loc, ty_stream(elems[i]));
		p->sym->def = streams[i];
		p->sym->depth = ast_depth(streams[i], stream_levels);
		vec_push(&ck->batch_params, p->sym);
	}
	int lambdas = ck->in_lambda;
	ck->in_lambda = 0; /* the function runs on the driver, per batch, as in Spark */
	Type *t = check_expr(ck, lam->lhs, &inner);
	ck->in_lambda = lambdas;
	ck->batch_params.n = mark;
	if (is_err(t))
		return ty_error();
	if (ty_resolve(t)->kind != TY_STREAM) {
		error_at(lam->lhs->loc, "%s's function must return the batch transformed (a Dataset made from "
					"%s), got %s",
			 e->name, with ? "its arguments" : "its argument",
			 ty_resolve(t)->kind == TY_DATASET ? "a static Dataset" : ty_str(t));
		return ty_error();
	}
	*e = *lam->lhs; /* the call is its body, checked */
	return t;
}

static Type *check_call(Checker *ck, Node *e, Scope *sc)
{
	/* Resolution: a method on a stream or dataset is a stream operator; a
	 * source is a stream operator; everything else is a builtin. */
	const OpInfo *op = op_lookup(e->name);
	const BuiltinInfo *bi = builtin_lookup(e->name);
	if (e->is_method && !op && !bi && !strcmp(e->name, "named"))
		return check_named(ck, e, sc);
	if (op && op->cls == OPC_SOURCE && !e->is_method) {
		e->op = CALL_OP;
		e->aux = (void *)op;
		Type *t = check_stream_op(ck, e, op, sc);
		if (ck->batch_params.n && ty_resolve(t)->kind == TY_STREAM) {
			error_at(op_loc(e), "%s: a source cannot be opened inside transform's function, which "
					    "runs once per batch: open it outside and combine the two with "
					    "transformWith, join or union", op->name);
			return ty_error();
		}
		return t;
	}
	if (e->is_method && !op && !bi && !strcmp(e->name, "distinct") && e->items.n == 1) {
		/* s.distinct(): each record of the batch once, as Spark's distinct():
		 * s.map(x => (x, 0)).reduceByKey((a, b) => a).map(p => p._1), written
		 * here, so that every engine and the workers' exchange do it as they
		 * do those (names a program cannot write: no capture) */
		Loc l = e->name_loc;
		Vec px = {0}, pab = {0}, pp = {0}, one = {0}, two = {0};
		Param *x = arena_alloc(sizeof *x), *a = arena_alloc(sizeof *a), *b = arena_alloc(sizeof *b),
		      *p = arena_alloc(sizeof *p);
		*x = (Param){.name = "distinct$x", .loc = l};
		*a = (Param){.name = "distinct$a", .loc = l};
		*b = (Param){.name = "distinct$b", .loc = l};
		*p = (Param){.name = "distinct$p", .loc = l};
		vec_push(&px, x);
		vec_push(&pab, a);
		vec_push(&pab, b);
		vec_push(&pp, p);
		Vec pair = {0};
		vec_push(&pair, ast_name(l, "distinct$x"));
		vec_push(&pair, ast_int(l, 0));
		vec_push(&one, ast_lambda(l, px, ast_tuple(l, pair)));
		Node *keyed = ast_method(l, e->items.v[0], l, "map", one);
		vec_push(&two, ast_lambda(l, pab, ast_name(l, "distinct$a")));
		Node *once_each = ast_method(l, keyed, l, "reduceByKey", two);
		e->name = "map";
		e->items.n = 0;
		vec_push(&e->items, once_each);
		vec_push(&e->items, ast_lambda(l, pp, ast_field(l, ast_name(l, "distinct$p"), 1)));
		return check_call(ck, e, sc);
	}
	if (op && op->id == OP_UNION && !e->is_method && e->items.n >= 2) {
		/* union(a, b, c, ...): StreamingContext.union of many streams (many
		 * receivers), as a.union(b).union(c)...: this node becomes the last
		 * union, the ones before it new nodes at the same place */
		Node **a = (Node **)e->items.v;
		int n = e->items.n;
		Node *acc = a[0], *last = a[n - 1];
		for (int i = 1; i < n - 1; i++) {
			Vec one = {0};
			vec_push(&one, a[i]);
			acc = ast_method(e->loc, acc, e->loc, "union", one);
		}
		e->items.n = 0;
		vec_push(&e->items, acc);
		vec_push(&e->items, last);
		e->is_method = true;
		e->name_loc = e->loc;
	}
	if (op && op->id == OP_UNION && !e->is_method) {
		error_at(e->loc, "union needs two streams or more, got %d: union(a, b, ...) or a.union(b)", e->items.n);
		for (int i = 0; i < e->items.n; i++)
			check_expr(ck, e->items.v[i], sc);
		return ty_error();
	}
	if (e->is_method && !op && !bi && (!strcmp(e->name, "transform") || !strcmp(e->name, "transformWith")))
		return check_transform(ck, e, sc);
	if (!e->is_method && !op && !bi && !lookup(sc, e->name))
		for (int i = 0; i < 3; i++) {
			/* Spark's Milliseconds(500), Seconds(30), Minutes(2): durations */
			static const char *const unit[3] = {"Milliseconds", "Seconds", "Minutes"};
			static const int64_t ms[3] = {1, 1000, 60000};
			if (strcmp(e->name, unit[i]))
				continue;
			Node *n = e->items.n == 1 ? e->items.v[0] : NULL;
			if (!n || n->kind != N_INT || n->ival < 0 || n->ival > INT64_MAX / ms[i]) {
				error_at(op_loc(e), "%s(n) takes one Int literal, e.g. %s(%d) (or write the duration: %s)",
					 unit[i], unit[i], i ? 30 : 500, i == 0 ? "500ms" : i == 1 ? "30s" : "2min");
				return ty_error();
			}
			*e = *ast_duration(e->loc, n->ival * ms[i]);
			return ty_duration();
		}
	if (e->is_method && op) {
		Type *rt = check_expr(ck, e->items.v[0], sc);
		if (is_err(rt))
			return ty_error();
		TypeKind k = ty_resolve(rt)->kind;
		if (k == TY_STREAM || k == TY_DATASET || !bi) {
			e->op = CALL_OP;
			e->aux = (void *)op;
			return check_stream_op(ck, e, op, sc);
		}
	}
	ExternFn *xf = !bi ? lookup_extern(ck, e->name) : NULL;
	if (xf)
		return check_extern_call(ck, e, xf, sc);
	if (!bi) {
		if (e->is_method && !op && is_err(check_expr(ck, e->items.v[0], sc)))
			return ty_error(); /* reported at the receiver */
		Symbol *var = !e->is_method ? lookup(sc, e->name) : NULL;
		TypeKind vk = var && var->type ? ty_resolve(var->type)->kind : TY_ERROR;
		if (op)
			error_at(op_loc(e), "%s is a DStream operator: write stream.%s(...)", op->name, op->name);
		else if (vk == TY_LIST && e->items.n == 1)
			error_at(op_loc(e), "'%s' is a %s, not a function: index it with %s[i] (Scala's %s(i))", e->name,
				 ty_str(var->type), e->name, e->name);
		else
			error_at(op_loc(e), "unknown operator or function '%s'%s", e->name, suggest_callable(ck, e->name));
		for (int i = 0; i < e->items.n; i++) /* a lambda: unknown what it would be given */
			if (!((Node *)e->items.v[i])->type && ((Node *)e->items.v[i])->kind != N_LAMBDA)
				check_expr(ck, e->items.v[i], sc);
		return ty_error();
	}
	e->op = CALL_BUILTIN;
	e->aux = (void *)bi;
	if (e->items.n < bi->min_args || e->items.n > bi->max_args) {
		if (bi->min_args == bi->max_args)
			error_at(op_loc(e), "%s expects %d argument%s, got %d", bi->name, bi->min_args,
				 bi->min_args == 1 ? "" : "s", e->items.n);
		else
			error_at(op_loc(e), "%s expects %d to %d arguments, got %d", bi->name, bi->min_args,
				 bi->max_args, e->items.n);
		return ty_error();
	}
	if (e->is_method) {
		Type *rt = e->items.v[0] ? ((Node *)e->items.v[0])->type : NULL;
		if (rt && (ty_resolve(rt)->kind == TY_STREAM || ty_resolve(rt)->kind == TY_DATASET)) {
			error_at(op_loc(e), "'%s' is a function on values, not a DStream operator", bi->name);
			return ty_error();
		}
	}
	return check_builtin(ck, e, bi, sc);
}

static Type *check_binary(Checker *ck, Node *e, Scope *sc)
{
	Type *l = check_expr(ck, e->lhs, sc);
	Type *r = check_expr(ck, e->rhs, sc);
	if (is_err(l) || is_err(r))
		return ty_error();
	Type *rl = ty_resolve(l), *rr = ty_resolve(r);
	bool num = ty_is_numeric(rl) && ty_is_numeric(rr);
	Type *numt = (rl->kind == TY_DOUBLE || rr->kind == TY_DOUBLE) ? ty_double() : ty_int();
	switch (e->op) {
	case '+':
		if (num)
			return numt;
		if (rl->kind == TY_STRING || rr->kind == TY_STRING) {
			if (rl->kind <= TY_OPTION && rr->kind <= TY_OPTION)
				return ty_string();
		}
		if (rl->kind == TY_LIST && rr->kind == TY_LIST && ty_unify(rl->elem, rr->elem))
			return rl;
		break;
	case '-': case '*': case '/': case '%':
		if (num)
			return numt;
		break;
	case '<': case '>': case OP_LE: case OP_GE:
		if (num || (rl->kind == TY_STRING && rr->kind == TY_STRING))
			return ty_bool();
		break;
	case OP_EQ: case OP_NE:
		if (num || (rl->kind <= TY_OPTION && ty_unify(l, r)))
			return ty_bool();
		break;
	case OP_AND: case OP_OR:
		if (rl->kind == TY_BOOL && rr->kind == TY_BOOL)
			return ty_bool();
		break;
	default:
		unreachable();
	}
	error_at(e->lhs->loc, "operator '%s' cannot be applied to %s and %s", op_name(e->op), ty_str(l),
		 ty_str(r));
	return ty_error();
}

static Type *check_expr_inner(Checker *ck, Node *e, Scope *sc)
{
	switch (e->kind) {
	case N_INT: return ty_int();
	case N_DOUBLE: return ty_double();
	case N_STRING: return ty_string();
	case N_BOOL: return ty_bool();
	case N_DURATION: return ty_duration();
	case N_PLACEHOLDER:
		error_at(e->loc, "'_' placeholder outside of a function argument");
		return ty_error();
	case N_NAME: {
		Symbol *s = lookup(sc, e->name);
		if (!s) {
			if (!strcmp(e->name, "None"))
				return ty_option(ty_var());
			const BuiltinInfo *bi = builtin_lookup(e->name);
			if (bi && bi->min_args == 0) { /* batchTime without () */
				Node *call = e;
				call->kind = N_CALL;
				return check_call(ck, call, sc);
			}
			if (!strcmp(e->name, "ssc") || !strcmp(e->name, "sc") || !strcmp(e->name, "spark"))
				error_at(e->loc, "unknown name '%s' (a dstream program has no StreamingContext: it "
						 "starts by itself and runs until its sources end or it is stopped, so "
						 "ssc.start() and ssc.awaitTermination() are not written; "
						 "ssc.checkpoint(dir) is the statement checkpoint \"dir\";)",
					 e->name);
			else
				error_at(e->loc, "unknown name '%s'%s", e->name, suggest_name(sc, e->name));
			return ty_error();
		}
		e->sym = s;
		TypeKind k = ty_resolve(s->type)->kind;
		if (!ck->in_lambda && ck->batch_params.n && s->kind == SYM_VAL && k == TY_STREAM &&
		    !vec_has(&ck->batch_params, s)) {
			error_at(e->loc, "'%s' is a DStream, and transform's function sees one batch of its "
					 "own stream: combine two streams with a.transformWith(b, (x, y) => ...), "
					 "join or union",
				 e->name);
			return ty_error();
		}
		if (ck->in_lambda && s->kind == SYM_VAL && (k == TY_STREAM || k == TY_DATASET)) {
			/* Spark: "RDD transformations and actions can only be invoked by the driver" */
			error_at(e->loc, "'%s' is a %s: a function given to an operator runs on each record and "
					 "cannot use a stream or a dataset (combine them with join or union)",
				 e->name, k == TY_STREAM ? "DStream" : "Dataset");
			return ty_error();
		}
		return s->type;
	}
	case N_TUPLE: {
		Type **el = arena_alloc(sizeof(Type *) * (size_t)e->items.n);
		bool bad = false;
		for (int i = 0; i < e->items.n; i++) {
			el[i] = check_expr(ck, e->items.v[i], sc);
			bad |= is_err(el[i]);
			TypeKind k = ty_resolve(el[i])->kind;
			if (!bad && (k == TY_STREAM || k == TY_DATASET || k == TY_UNIT || k == TY_DURATION)) {
				error_at(((Node *)e->items.v[i])->loc, "a tuple cannot hold a %s", ty_str(el[i]));
				bad = true;
			}
		}
		return bad ? ty_error() : ty_tuple(e->items.n, el);
	}
	case N_LIST: {
		Type *el = ty_var();
		for (int i = 0; i < e->items.n; i++) {
			Node *it = e->items.v[i];
			Type *t = check_expr(ck, it, sc);
			if (is_err(t))
				return ty_error();
			bool ok;
			el = join_types(el, t, &ok);
			if (!ok) {
				error_at(it->loc, "list element of type %s does not match the earlier elements",
					 ty_str(t));
				return ty_error();
			}
		}
		return ty_list(el);
	}
	case N_INDEX: {
		Type *b = check_expr(ck, e->lhs, sc);
		Type *i = check_expr(ck, e->rhs, sc);
		if (is_err(b) || is_err(i))
			return ty_error();
		Type *el = elem_of(b, TY_LIST);
		if (!el) {
			error_at(e->lhs->loc, "indexing needs a List, got %s", ty_str(b));
			return ty_error();
		}
		if (ty_resolve(i)->kind != TY_INT) {
			error_at(e->rhs->loc, "a list index must be an Int, got %s", ty_str(i));
			return ty_error();
		}
		return el;
	}
	case N_FIELD: {
		Type *b = check_expr(ck, e->lhs, sc);
		if (is_err(b))
			return ty_error();
		Type *rb = ty_resolve(b);
		if (rb->kind != TY_TUPLE) {
			error_at(e->loc, "._%lld needs a tuple, got %s", (long long)e->ival, ty_str(b));
			return ty_error();
		}
		if (e->ival < 1 || e->ival > rb->n) {
			error_at(e->loc, "._%lld is out of range for %s", (long long)e->ival, ty_str(b));
			return ty_error();
		}
		return rb->elems[e->ival - 1];
	}
	case N_CALL:
		return check_call(ck, e, sc);
	case N_UNARY: {
		Type *t = check_expr(ck, e->lhs, sc);
		if (is_err(t))
			return t;
		if (e->op == '!' && ty_resolve(t)->kind == TY_BOOL)
			return t;
		if (e->op == '-' && ty_is_numeric(t))
			return ty_resolve(t);
		error_at(e->loc, "operator '%c' cannot be applied to %s", e->op, ty_str(t));
		return ty_error();
	}
	case N_BINARY:
		return check_binary(ck, e, sc);
	case N_COND: {
		Type *c = check_expr(ck, e->cond, sc);
		Type *a = check_expr(ck, e->lhs, sc);
		Type *b = check_expr(ck, e->rhs, sc);
		if (is_err(c) || is_err(a) || is_err(b))
			return ty_error();
		if (ty_resolve(c)->kind != TY_BOOL) {
			error_at(e->cond->loc, "the condition must be Boolean, got %s", ty_str(c));
			return ty_error();
		}
		bool ok;
		Type *t = join_types(a, b, &ok);
		if (!ok)
			error_at(e->lhs->loc, "the branches have different types: %s and %s", ty_str(a), ty_str(b));
		return t;
	}
	case N_BLOCK: {
		Scope inner = {.parent = sc};
		Type *t = ty_unit();
		for (int i = 0; i < e->items.n; i++) {
			Node *it = e->items.v[i];
			t = check_expr(ck, it, &inner);
		}
		return t;
	}
	case N_LET: {
		Type *t = check_expr(ck, e->lhs, sc);
		Symbol *prev = lookup(sc, e->name);
		if (prev && prev->kind == SYM_LET) {
			/* shadowing in the same block is an error, as in Scala */
			Scope *s = sc;
			for (int i = 0; i < s->syms.n; i++)
				if (s->syms.v[i] == prev) {
					error_at(e->loc, "'%s' is already defined", e->name);
					note_at(prev->loc, "previous definition is here");
				}
		}
		e->sym = declare(ck, sc, SYM_LET, e->name, e->loc, t);
		e->sym->def = e->lhs;
		return ty_unit();
	}
	case N_LAMBDA:
		error_at(e->loc, "a function can only be passed to an operator or a function");
		return ty_error();
	}
	unreachable();
}

static Type *check_expr(Checker *ck, Node *e, Scope *sc)
{
	if (e->type && e->kind != N_LAMBDA)
		return e->type; /* already checked (e.g. a receiver) */
	return set_type(e, check_expr_inner(ck, e, sc));
}

/* ---- final pass: concrete types everywhere -------------------------------- */

static void finish_types(Node *e)
{
	if (!e)
		return;
	if (e->type)
		e->type = ty_default(e->type);
	finish_types(e->lhs);
	finish_types(e->rhs);
	finish_types(e->cond);
	for (int i = 0; i < e->items.n; i++)
		finish_types(e->items.v[i]);
	for (int i = 0; i < e->params.n; i++) {
		Param *p = e->params.v[i];
		if (p->sym)
			p->sym->type = ty_default(p->sym->type);
	}
	if (e->sym)
		e->sym->type = ty_default(e->sym->type);
}

/* ---- statements ------------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	s = s ? s + 1 : path;
	const char *dot = strrchr(s, '.');
	return dot ? arena_strndup(s, (size_t)(dot - s)) : s;
}

/* A name of a stream val counts its definition's depth (ast_depth). */
static int stream_levels(const Node *n)
{
	return n->kind == N_NAME && n->sym && n->sym->kind == SYM_VAL ? n->sym->depth : 0;
}

/* The depth of a statement's stream expression, counting the streams it
 * uses: the planner, the emitters and the interpreter follow a stream
 * through its vals.  -1 when too deep (reported once: a val defined from
 * one too deep is too deep too, silently). */
static int stream_depth(Node *e, Type *t)
{
	TypeKind k = ty_resolve(t)->kind;
	if (k != TY_STREAM && k != TY_DATASET && k != TY_UNIT)
		return 0;
	return ast_depth(e, stream_levels);
}

static bool is_output_call(Node *e)
{
	return e->kind == N_CALL && call_is_op(e) && call_op(e)->cls == OPC_OUTPUT;
}

CheckedProgram *check_program(Program *p)
{
	Checker ck = {0};
	CheckedProgram *out = arena_alloc(sizeof *out);
	ck.out = out;
	out->ast = p;
	out->app_name = base_name(p->src->path);
	out->block_ms = 200;
	bool have_app = false, have_block = false, have_ckpt = false;
	Loc block_loc = {0};

	/* The batch interval first: window durations are checked against it
	 * wherever the statement stands. */
	for (int i = 0; i < p->stmts.n; i++) {
		Stmt *s = p->stmts.v[i];
		if (s->kind != ST_BATCH)
			continue;
		if (ck.have_batch) {
			error_at(s->loc, "duplicate 'batch' statement");
			note_at(ck.batch_loc, "first 'batch' statement is here");
			continue;
		}
		ck.have_batch = true;
		ck.batch_loc = s->loc;
		out->batch_ms = s->dur_ms;
		if (s->dur_ms <= 0)
			error_at(s->arg_loc, "the batch interval must be positive");
	}
	if (!ck.have_batch)
		error_at((Loc){1, 1, 0}, "missing 'batch' statement: every program needs a batch interval");
	for (int i = 0; i < p->stmts.n; i++) {
		Stmt *s = p->stmts.v[i];
		if (s->kind != ST_EXTERN)
			continue;
		vec_push(&out->externs, (void *)s->str);
		extern_load(p->src->path, s->str, s->arg_loc, &out->extern_fns);
	}

	for (int i = 0; i < p->stmts.n; i++) {
		Stmt *s = p->stmts.v[i];
		switch (s->kind) {
		case ST_BATCH:
			break;
		case ST_APP:
			if (have_app)
				error_at(s->loc, "duplicate 'app' statement");
			have_app = true;
			if (!s->str || !*s->str)
				error_at(s->arg_loc, "the app name must not be empty");
			else
				out->app_name = s->str;
			break;
		case ST_BLOCK:
			if (have_block)
				error_at(s->loc, "duplicate 'block' statement");
			have_block = true;
			block_loc = s->arg_loc;
			out->block_ms = s->dur_ms;
			if (s->dur_ms <= 0)
				error_at(s->arg_loc, "the block interval must be positive");
			break;
		case ST_CHECKPOINT:
			if (have_ckpt)
				error_at(s->loc, "duplicate 'checkpoint' statement");
			have_ckpt = true;
			out->checkpoint_dir = s->str;
			out->checkpoint_ms = s->dur_ms;
			if (!s->str || !*s->str)
				error_at(s->arg_loc, "the checkpoint directory must not be empty");
			if (s->dur_ms && ck.have_batch && out->batch_ms > 0 && s->dur_ms % out->batch_ms)
				error_at(s->arg_loc, "checkpoint interval %s is not a multiple of the batch interval %s",
					 fmt_duration(s->dur_ms), fmt_duration(out->batch_ms));
			break;
		case ST_EXTERN:
			break; /* read before the vals: functions may be used before it */
		case ST_VAL: {
			Symbol *prev = lookup(&ck.globals, s->name);
			s->expr = expand_placeholders(s->expr);
			Type *t = check_expr(&ck, s->expr, &ck.globals);
			if (prev) {
				error_at(s->arg_loc, "'%s' is already defined", s->name);
				note_at(prev->loc, "previous definition is here");
				break;
			}
			if (ty_resolve(t)->kind == TY_UNIT && !is_err(t))
				error_at(s->expr->loc, "an output has no value to name");
			Symbol *sym = declare(&ck, &ck.globals, SYM_VAL, s->name, s->arg_loc, t);
			sym->def = s->expr;
			sym->depth = stream_depth(s->expr, t);
			break;
		}
		case ST_EXPR: {
			s->expr = expand_placeholders(s->expr);
			Type *t = check_expr(&ck, s->expr, &ck.globals);
			if (is_err(t))
				break;
			stream_depth(s->expr, t);
			if (is_output_call(s->expr))
				vec_push(&out->outputs, s->expr);
			else
				error_at(s->expr->loc, "this statement has no effect: only outputs (print, "
						       "saveAsTextFiles, ...) stand alone");
			break;
		}
		}
	}
	if (have_block && ck.have_batch && out->block_ms > out->batch_ms && out->batch_ms > 0)
		error_at(block_loc, "the block interval %s is longer than the batch interval %s",
			 fmt_duration(out->block_ms), fmt_duration(out->batch_ms));
	if (!out->outputs.n && !diag_error_count())
		error_at((Loc){1, 1, 0}, "the program has no output operation (print, saveAsTextFiles, ...), "
					 "so nothing would run");

	for (int i = 0; i < p->stmts.n; i++) {
		Stmt *s = p->stmts.v[i];
		finish_types(s->expr);
	}
	return out;
}
