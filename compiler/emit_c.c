/* emit_c.c: loop IR -> readable C (the C backend).
 *
 * Requires: an IrProgram from lower_program.
 * Guarantees: one C11 translation unit that includes <dstream/rt.h>, libc
 * and the program's extern headers (so cc checks every extern call against
 * its prototype; build with -I the .dstream's directory), compiles cleanly
 * under -Wall -Wextra, and defines main().  Every stage is one function; every operator's code is a
 * block opened by a comment naming its source line and operator.
 *
 * The emitter makes no decisions of its own beyond type-directed helpers
 * (a tuple's equality, hash and printing, a table's probe): what runs is
 * what lowering wrote.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "desc.h"
#include "ir.h"
#include "schema.h"

typedef struct Emit {
	FILE *f;
	const IrProgram *ir;
	Vec types; /* Type*, components before composites, deduplicated */
	Vec type_keys;
	Vec type_needs; /* per type: NEED_* bits, as (intptr_t) */
	int indent;
	bool uses_d2i;  /* a Double.toInt was lowered: emit its helper */
	bool *var_used; /* by IrVar id: read somewhere (else its declaration says (void)) */
	Vec finds, findhs, upserts; /* IrTable* whose find_ / findh_ / upsert_ functions are called */
	bool bare;      /* the next comparison is a whole condition: no outer ( ) */
} Emit;

/* ---- types ---------------------------------------------------------------------- */

static const char *c_type(Type *t)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_INT: return "int64_t";
	case TY_DOUBLE: return "double";
	case TY_BOOL: return "bool";
	case TY_STRING: return "ds_str";
	case TY_LIST: return "ds_list";
	case TY_TUPLE: case TY_OPTION: return arena_printf("ty_%s", ty_mangle(t));
	default: die("no C type for %s", ty_str(t));
	}
}

/* Which helpers a composite type needs: only those are emitted (an unused
 * static function is a warning under clang). */
enum { NEED_EQ = 1, NEED_HASH = 2, NEED_FMT = 4, NEED_TOSTR = 8, NEED_COPY = 16,
       NEED_CMP = 32, /* cmp_: the order of a sort (lang/SPEC.md §9.3) */
       NEED_CMPP = 64 /* cmpp_: the same on pointers, for ds_sort (a sorted list's elements) */ };

static int type_index(Emit *E, Type *t)
{
	const char *key = ty_mangle(t);
	for (int i = 0; i < E->type_keys.n; i++)
		if (!strcmp(E->type_keys.v[i], key))
			return i;
	return -1;
}

static void add_type(Emit *E, Type *t);

/* Marks helper(s) of t and, through them, of its components. */
static void need(Emit *E, int what, Type *t)
{
	if (!t)
		return;
	t = ty_resolve(t);
	if (!ty_is_composite(t))
		return;
	add_type(E, t);
	int i = type_index(E, t);
	intptr_t have = (intptr_t)E->type_needs.v[i];
	if (what & NEED_TOSTR)
		what |= NEED_FMT;
	if (what & NEED_CMPP)
		what |= NEED_CMP;
	if ((have & what) == what)
		return;
	E->type_needs.v[i] = (void *)(have | what);
	int inner = what & ~(NEED_TOSTR | NEED_CMPP);
	if (t->kind == TY_TUPLE)
		for (int j = 0; j < t->n; j++)
			need(E, inner, t->elems[j]);
	else
		need(E, inner, t->elem);
}

static void add_type(Emit *E, Type *t)
{
	if (!t)
		return;
	t = ty_resolve(t);
	if (!ty_is_composite(t))
		return;
	const char *key = ty_mangle(t);
	for (int i = 0; i < E->type_keys.n; i++)
		if (!strcmp(E->type_keys.v[i], key))
			return;
	if (t->kind == TY_TUPLE)
		for (int i = 0; i < t->n; i++)
			add_type(E, t->elems[i]);
	else
		add_type(E, t->elem);
	vec_push(&E->type_keys, (void *)key);
	vec_push(&E->types, t);
	vec_push(&E->type_needs, (void *)(intptr_t)0);
}


static void collect_expr(Emit *E, IrExpr *x)
{
	if (!x)
		return;
	E->uses_d2i |= x->kind == IE_D2I;
	if (x->var)
		E->var_used[x->var->id] = true;
	if (x->kind == IE_EQ)
		need(E, NEED_EQ, x->optype);
	if (x->kind == IE_TO_STR)
		need(E, NEED_TOSTR, x->optype);
	if (x->kind == IE_COPY)
		need(E, NEED_COPY, x->type);
	if (x->kind == IE_HASH)
		need(E, NEED_HASH, x->optype);
	add_type(E, x->type);
	add_type(E, x->optype);
	if (x->var)
		add_type(E, x->var->type);
	for (int i = 0; i < x->n; i++)
		collect_expr(E, x->a[i]);
}

static void collect_stmts(Emit *E, const Vec *v)
{
	for (int i = 0; i < v->n; i++) {
		IrStmt *s = v->v[i];
		if (s->var)
			add_type(E, s->var->type);
		if (s->kind == IS_SET && s->lhs->kind == IE_VAR)
			add_type(E, s->lhs->type); /* assigned is not read: (void) it if nothing reads it */
		else
			collect_expr(E, s->lhs);
		collect_expr(E, s->e);
		collect_expr(E, s->sample);
		if (s->kind == IS_OUTPUT)
			need(E, NEED_FMT, s->e->type);
		if (s->kind == IS_OUTPUT && s->typed) {
			Type *t = ty_resolve(s->e->type);
			for (int k = 0; k < (t->kind == TY_TUPLE ? t->n : 1); k++) {
				Type *ft = t->kind == TY_TUPLE ? t->elems[k] : t;
				if (ty_is_composite(ft))
					need(E, NEED_TOSTR, ft);
			}
		}
		if (s->kind == IS_LOOKUP)
			vec_push(s->hash_of ? &E->findhs : &E->finds, s->table);
		if (s->kind == IS_UPSERT)
			vec_push(&E->upserts, s->table);
		if (s->kind == IS_SORT)
			need(E, NEED_CMPP, ty_resolve(s->lhs->type)->elem);
		collect_stmts(E, &s->body);
		collect_stmts(E, &s->els);
	}
}

/* The function that deep-copies a value of t (which has references) into
 * an arena: the runtime's for a String, the type's own helper otherwise. */
static const char *copy_fn(Type *t)
{
	t = ty_resolve(t);
	return t->kind == TY_STRING ? "ds_str_copy" : arena_printf("copy_%s", ty_mangle(t));
}

/* ---- expressions ------------------------------------------------------------------ */

static void expr(Emit *E, IrExpr *x);
static void hash_of(FILE *f, Type *t, const char *v);

static void c_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		case '?': fputs("\\?", f); break; /* no trigraphs */
		default:
			if (c < 0x20 || c >= 0x7f)
				fprintf(f, "\\%03o", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

static void args(Emit *E, IrExpr *x, int from)
{
	for (int i = from; i < x->n; i++) {
		if (i > from)
			fputs(", ", E->f);
		expr(E, x->a[i]);
	}
}

/* pre e post */
static void wrap(Emit *E, const char *pre, IrExpr *e, const char *post)
{
	fputs(pre, E->f);
	expr(E, e);
	fputs(post, E->f);
}

/* fn(a0, a1, ...) */
static void call(Emit *E, const char *fn, IrExpr *x)
{
	fprintf(E->f, "%s(", fn);
	args(E, x, 0);
	fputc(')', E->f);
}

/* e, parenthesised unless it is a name or a call */
static void operand(Emit *E, IrExpr *e)
{
	bool bare = e->kind == IE_VAR || e->kind == IE_CALL || e->kind == IE_INT;
	wrap(E, bare ? "" : "(", e, bare ? "" : ")");
}

/* A condition: `if (a == b)`, not `if ((a == b))`. */
static void cond(Emit *E, IrExpr *x)
{
	E->bare = x->kind == IE_BIN || x->kind == IE_EQ;
	expr(E, x);
	E->bare = false;
}

static void expr(Emit *E, IrExpr *x)
{
	FILE *f = E->f;
	if (x->kind != IE_BIN && x->kind != IE_EQ)
		E->bare = false;
	switch (x->kind) {
	case IE_INT:
		if (x->ival == INT64_MIN)
			fputs("INT64_MIN", f);
		else if (x->ival < 0)
			fprintf(f, "(%lld)", (long long)x->ival);
		else
			fprintf(f, "%lld", (long long)x->ival);
		return;
	case IE_DOUBLE:
		if (isinf(x->dval))
			fputs(x->dval > 0 ? "HUGE_VAL" : "(-HUGE_VAL)", f);
		else {
			char buf[40];
			snprintf(buf, sizeof buf, "%.17g", x->dval);
			if (!strpbrk(buf, ".eEn"))
				strcat(buf, ".0");
			fprintf(f, x->dval < 0 ? "(%s)" : "%s", buf);
		}
		return;
	case IE_BOOL:
		fputs(x->ival ? "true" : "false", f);
		return;
	case IE_STR:
		fputs("DS_STR_LIT(", f);
		c_string(f, x->str, x->slen);
		fputs(")", f);
		return;
	case IE_VAR:
		fprintf(f, "%s_%d", x->var->name, x->var->id);
		return;
	case IE_SCALAR:
		fprintf(f, "st->%s", x->scalar->name);
		return;
	case IE_ENTRY_KEY:
		fprintf(f, "%s_%d->k", x->var->name, x->var->id);
		return;
	case IE_ENTRY_VAL:
		fprintf(f, "%s_%d->v", x->var->name, x->var->id);
		return;
	case IE_FIELD:
		if (x->a[0]->kind == IE_VAR || x->a[0]->kind == IE_FIELD || x->a[0]->kind == IE_SCALAR ||
		    x->a[0]->kind == IE_ENTRY_KEY || x->a[0]->kind == IE_ENTRY_VAL)
			expr(E, x->a[0]);
		else
			wrap(E, "(", x->a[0], ")");
		fprintf(f, "._%lld", (long long)x->ival + 1);
		return;
	case IE_LOAD:
		if (x->op == FK_BYTES) {
			fprintf(f, "(ds_str){%s_%d + %lld, %lld}", x->var->name, x->var->id, (long long)x->ival,
				(long long)x->slen);
		} else {
			SchemaField fd = {(FieldKind)x->op, x->ival, 0};
			fprintf(f, "ds_load_%s(%s_%d + %lld)", field_name(&fd), x->var->name, x->var->id,
				(long long)x->ival);
		}
		return;
	case IE_TUPLE:
		fprintf(f, "(%s){", c_type(x->type));
		args(E, x, 0);
		fputs("}", f);
		return;
	case IE_SOME:
		fprintf(f, "(%s){true, ", c_type(x->type));
		wrap(E, "", x->a[0], "}");
		return;
	case IE_NONE:
		fprintf(f, "(%s){0}", c_type(x->type));
		return;
	case IE_IS_SOME:
		wrap(E, "(", x->a[0], ").some");
		return;
	case IE_OPT_VAL:
		wrap(E, "(", x->a[0], ").v");
		return;
	case IE_LIST_LEN:
		wrap(E, "(", x->a[0], ").len");
		return;
	case IE_STR_LEN:
		wrap(E, "(", x->a[0], ").n");
		return;
	case IE_LIST_AT:
		fprintf(f, "((%s *)(", c_type(x->type));
		wrap(E, "", x->a[0], ").data)[");
		wrap(E, "", x->a[1], "]");
		return;
	case IE_NEG:
		if (ty_resolve(x->type)->kind == TY_INT)
			call(E, "ds_neg", x);
		else
			wrap(E, "(-", x->a[0], ")");
		return;
	case IE_NOT:
		fputs("!", f);
		operand(E, x->a[0]);
		return;
	case IE_BIN: {
		TypeKind ok = ty_resolve(x->optype)->kind;
		if (ok == TY_INT && (x->op == '+' || x->op == '-' || x->op == '*')) {
			call(E, x->op == '+' ? "ds_add" : x->op == '-' ? "ds_sub" : "ds_mul", x);
		} else if (ok == TY_DOUBLE && x->op == '%') {
			call(E, "fmod", x);
		} else if (ok == TY_STRING) {
			fputs("(", f);
			call(E, "ds_str_cmp", x);
			fprintf(f, " %s 0)", op_name(x->op));
		} else {
			bool bare = E->bare;
			E->bare = false;
			wrap(E, bare ? "" : "(", x->a[0], "");
			fprintf(f, " %s ", op_name(x->op));
			wrap(E, "", x->a[1], bare ? "" : ")");
		}
		return;
	}
	case IE_EQ: {
		Type *t = ty_resolve(x->optype);
		if (t->kind == TY_STRING) {
			call(E, "ds_str_eq", x);
		} else if (ty_is_composite(t)) {
			call(E, arena_printf("eq_%s", ty_mangle(t)), x);
		} else {
			bool bare = E->bare;
			E->bare = false;
			wrap(E, bare ? "" : "(", x->a[0], " == ");
			wrap(E, "", x->a[1], bare ? "" : ")");
		}
		return;
	}
	case IE_COND:
		wrap(E, "(", x->a[0], " ? ");
		wrap(E, "", x->a[1], " : ");
		wrap(E, "", x->a[2], ")");
		return;
	case IE_I2D:
		fputs("(double)", f);
		operand(E, x->a[0]);
		return;
	case IE_D2I:
		call(E, "ds_double_to_int", x);
		return;
	case IE_CALL:
		call(E, x->fn, x);
		return;
	case IE_EXTERN: {
		/* the C signature decides how each value crosses (extern.h) */
		const ExternFn *fn = x->ext;
		if (fn->ret == CK_CSTR)
			fputs("ds_cstr_copy(t->arena, ", f);
		fprintf(f, "%s(", fn->name);
		for (int i = 0; i < x->n; i++) {
			if (i)
				fputs(", ", f);
			switch (fn->params[i].ck) {
			case CK_STR_LEN:
				operand(E, x->a[i]);
				fputs(".p, (size_t)", f);
				operand(E, x->a[i]);
				fputs(".n", f);
				break;
			case CK_CSTR:
				wrap(E, "ds_str_cstr(t->arena, ", x->a[i], ")");
				break;
			case CK_I32:
				wrap(E, "(int)", x->a[i], "");
				break;
			default:
				expr(E, x->a[i]);
				break;
			}
		}
		fputs(fn->ret == CK_CSTR ? "))" : ")", f);
		return;
	}
	case IE_ADDR:
		fprintf(f, "&%s_%d", x->var->name, x->var->id);
		return;
	case IE_ARENA:
		fputs("t->arena", f);
		return;
	case IE_TASK:
		fputs("t", f);
		return;
	case IE_BATCH_TIME:
		fputs("t->batch_time", f);
		return;
	case IE_PARAM: {
		const char *fn;
		switch (ty_resolve(x->type)->kind) {
		case TY_INT: fn = "ds_param_int"; break;
		case TY_DOUBLE: fn = "ds_param_double"; break;
		case TY_BOOL: fn = "ds_param_bool"; break;
		case TY_STRING: fn = "ds_param_str"; break;
		default: unreachable();
		}
		fprintf(f, "%s(t, %lld)", fn, (long long)x->ival);
		return;
	}
	case IE_OUT_FULL:
		fprintf(f, "ds_out_full(t, %lld)", (long long)x->ival);
		return;
	case IE_HASH:
		ASSERT(x->a[0]->kind == IE_VAR);
		fputs("(int64_t)", f);
		hash_of(f, x->optype, arena_printf("%s_%d", x->a[0]->var->name, x->a[0]->var->id));
		return;
	case IE_EXCHANGING:
		fputs("ds_exchanging(t)", f);
		return;
	case IE_OWNS:
		wrap(E, "ds_owns(t, ", x->a[0], ")");
		return;
	case IE_TO_STR: {
		Type *t = ty_resolve(x->optype);
		switch (t->kind) {
		case TY_INT: fputs("ds_int_to_str(t->arena, ", f); break;
		case TY_DOUBLE: fputs("ds_double_to_str(t->arena, ", f); break;
		case TY_BOOL: fputs("ds_bool_to_str(", f); break;
		default: fprintf(f, "tostr_%s(t->arena, ", ty_mangle(t)); break;
		}
		expr(E, x->a[0]);
		fputs(")", f);
		return;
	}
	case IE_FOUND:
		fprintf(f, "(%s_%d != NULL)", x->var->name, x->var->id);
		return;
	case IE_COPY: {
		/* into the table's own arena: the value outlives the batch */
		Type *t = ty_resolve(x->type);
		if (!ty_has_refs(t)) {
			expr(E, x->a[0]);
		} else if (!x->table) {
			fprintf(f, "%s(t->arena, ", copy_fn(t));
			wrap(E, "", x->a[0], ")");
		} else {
			fprintf(f, "%s(&st->%s_arena, ", copy_fn(t), x->table->name);
			wrap(E, "", x->a[0], ")");
		}
		return;
	}
	case IE_TABLE_COUNT:
		fprintf(f, "(int64_t)st->%s.count", x->table->name);
		return;
	case IE_SIZEOF:
		fprintf(f, "sizeof(%s)", c_type(x->optype));
		return;
	}
	die("cannot emit expression kind %d", x->kind);
}

/* ---- type helpers ---------------------------------------------------------------- */

/* Code for eq/hash/fmt of a value `v` of type t, written as an expression
 * or statement fragment by the helpers below. */
static void eq_of(FILE *f, Type *t, const char *a, const char *b)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: fprintf(f, "ds_str_eq(%s, %s)", a, b); break;
	case TY_INT: case TY_BOOL: fprintf(f, "%s == %s", a, b); break;
	case TY_DOUBLE: fprintf(f, "%s == %s", a, b); break;
	default: fprintf(f, "eq_%s(%s, %s)", ty_mangle(t), a, b); break;
	}
}

static void hash_of(FILE *f, Type *t, const char *v)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: fprintf(f, "ds_hash_str(%s)", v); break;
	case TY_INT: fprintf(f, "ds_hash_i64(%s)", v); break;
	case TY_BOOL: fprintf(f, "ds_hash_i64((int64_t)%s)", v); break;
	case TY_DOUBLE: fprintf(f, "ds_hash_f64(%s)", v); break;
	default: fprintf(f, "hash_%s(%s)", ty_mangle(t), v); break;
	}
}

static void cmp_of(FILE *f, Type *t, const char *a, const char *b)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: fprintf(f, "ds_str_cmp(%s, %s)", a, b); break;
	case TY_INT: fprintf(f, "ds_cmp_i64(%s, %s)", a, b); break;
	case TY_BOOL: fprintf(f, "ds_cmp_bool(%s, %s)", a, b); break;
	case TY_DOUBLE: fprintf(f, "ds_cmp_f64(%s, %s)", a, b); break;
	default: fprintf(f, "cmp_%s(%s, %s)", ty_mangle(t), a, b); break;
	}
}

/* The comparator ds_sort takes for a list of t. */
static const char *cmpp_fn(Type *t)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: return "ds_cmpp_str";
	case TY_INT: return "ds_cmpp_i64";
	case TY_BOOL: return "ds_cmpp_bool";
	case TY_DOUBLE: return "ds_cmpp_f64";
	default: return arena_printf("cmpp_%s", ty_mangle(t));
	}
}

static void fmt_of(FILE *f, Type *t, const char *buf, const char *v)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: fprintf(f, "ds_fmt_str(%s, %s);", buf, v); break;
	case TY_INT: fprintf(f, "ds_fmt_int(%s, %s);", buf, v); break;
	case TY_BOOL: fprintf(f, "ds_fmt_bool(%s, %s);", buf, v); break;
	case TY_DOUBLE: fprintf(f, "ds_fmt_double(%s, %s);", buf, v); break;
	default: fprintf(f, "fmt_%s(%s, %s);", ty_mangle(t), buf, v); break;
	}
}

/* A deep copy of v into arena a (strings and lists copied; the rest as is). */
static void copy_of(FILE *f, Type *t, const char *arena, const char *v)
{
	t = ty_resolve(t);
	if (!ty_has_refs(t))
		fputs(v, f);
	else
		fprintf(f, "%s(%s, %s)", copy_fn(t), arena, v);
}

/* The C type of a composite, then the helpers it needs: eq_, hash_,
 * fmt_ (as print shows it), tostr_ and copy_ (deep, into an arena). */
static void emit_type_helpers(Emit *E, Type *t, int needs)
{
	FILE *f = E->f;
	const char *m = ty_mangle(t);
	const char *ct = c_type(t);
	char a[64], b[64];
	const char *et = t->kind == TY_TUPLE ? NULL : c_type(t->elem);

	fprintf(f, "/* %s */\n", ty_str(t));
	if (t->kind == TY_TUPLE) {
		fprintf(f, "typedef struct %s {\n", ct);
		for (int i = 0; i < t->n; i++)
			fprintf(f, "\t%s _%d;\n", c_type(t->elems[i]), i + 1);
		fprintf(f, "} %s;\n", ct);
	} else if (t->kind == TY_OPTION) {
		fprintf(f, "typedef struct %s {\n\tbool some;\n\t%s v;\n} %s;\n", ct, et, ct);
	}

	if (needs & NEED_EQ) {
		fprintf(f, "static inline bool eq_%s(%s a, %s b)\n{\n", m, ct, ct);
		if (t->kind == TY_TUPLE) {
			fputs("\treturn ", f);
			for (int i = 0; i < t->n; i++) {
				snprintf(a, sizeof a, "a._%d", i + 1);
				snprintf(b, sizeof b, "b._%d", i + 1);
				fputs(i ? " && (" : "(", f);
				eq_of(f, t->elems[i], a, b);
				fputs(")", f);
			}
			fputs(";\n", f);
		} else if (t->kind == TY_OPTION) {
			fputs("\treturn a.some == b.some && (!a.some || (", f);
			eq_of(f, t->elem, "a.v", "b.v");
			fputs("));\n", f);
		} else {
			fputs("\tif (a.len != b.len)\n\t\treturn false;\n", f);
			fputs("\tfor (int64_t i = 0; i < a.len; i++)\n\t\tif (!(", f);
			snprintf(a, sizeof a, "((%s *)a.data)[i]", et);
			snprintf(b, sizeof b, "((%s *)b.data)[i]", et);
			eq_of(f, t->elem, a, b);
			fputs("))\n\t\t\treturn false;\n\treturn true;\n", f);
		}
		fputs("}\n", f);
	}

	if (needs & NEED_HASH) {
		fprintf(f, "static inline uint64_t hash_%s(%s v)\n{\n", m, ct);
		if (t->kind == TY_TUPLE) {
			fputs("\tuint64_t h = 0;\n", f);
			for (int i = 0; i < t->n; i++) {
				snprintf(a, sizeof a, "v._%d", i + 1);
				fputs("\th = ds_hash_combine(h, ", f);
				hash_of(f, t->elems[i], a);
				fputs(");\n", f);
			}
			fputs("\treturn h;\n", f);
		} else if (t->kind == TY_OPTION) {
			fputs("\treturn v.some ? ds_hash_combine(1, ", f);
			hash_of(f, t->elem, "v.v");
			fputs(") : ds_hash_i64(0);\n", f);
		} else {
			fputs("\tuint64_t h = ds_hash_i64(v.len);\n", f);
			snprintf(a, sizeof a, "((%s *)v.data)[i]", et);
			fputs("\tfor (int64_t i = 0; i < v.len; i++)\n\t\th = ds_hash_combine(h, ", f);
			hash_of(f, t->elem, a);
			fputs(");\n\treturn h;\n", f);
		}
		fputs("}\n", f);
	}

	if (needs & NEED_FMT) {
		fprintf(f, "static inline void fmt_%s(ds_buf *b, %s v)\n{\n", m, ct);
		if (t->kind == TY_TUPLE) {
			fputs("\tds_buf_putc(b, '(');\n", f);
			for (int i = 0; i < t->n; i++) {
				if (i)
					fputs("\tds_buf_putc(b, ',');\n", f);
				snprintf(a, sizeof a, "v._%d", i + 1);
				fputs("\t", f);
				fmt_of(f, t->elems[i], "b", a);
				fputs("\n", f);
			}
			fputs("\tds_buf_putc(b, ')');\n", f);
		} else if (t->kind == TY_OPTION) {
			fputs("\tif (!v.some) {\n\t\tds_buf_put(b, \"None\", 4);\n\t\treturn;\n\t}\n", f);
			fputs("\tds_buf_put(b, \"Some(\", 5);\n\t", f);
			fmt_of(f, t->elem, "b", "v.v");
			fputs("\n\tds_buf_putc(b, ')');\n", f);
		} else {
			fputs("\tds_buf_putc(b, '[');\n", f);
			fputs("\tfor (int64_t i = 0; i < v.len; i++) {\n\t\tif (i)\n\t\t\tds_buf_putc(b, ',');\n\t\t", f);
			snprintf(a, sizeof a, "((%s *)v.data)[i]", et);
			fmt_of(f, t->elem, "b", a);
			fputs("\n\t}\n\tds_buf_putc(b, ']');\n", f);
		}
		fputs("}\n", f);
	}

	if (needs & NEED_TOSTR) {
		fprintf(f, "static inline ds_str tostr_%s(ds_arena *a, %s v)\n{\n", m, ct);
		fprintf(f, "\tds_buf b = {0};\n\tfmt_%s(&b, v);\n\tds_str s = ds_buf_to_str(a, &b);\n", m);
		fputs("\tfree(b.p);\n\treturn s;\n}\n", f);
	}

	if (needs & NEED_CMP) {
		/* tuples field by field, None before Some, lists element by
		 * element, then the shorter first (Scala's orderings) */
		fprintf(f, "static inline int cmp_%s(%s a, %s b)\n{\n", m, ct, ct);
		if (t->kind == TY_TUPLE) {
			fputs("\tint c;\n", f);
			for (int i = 0; i < t->n; i++) {
				snprintf(a, sizeof a, "a._%d", i + 1);
				snprintf(b, sizeof b, "b._%d", i + 1);
				fputs(i < t->n - 1 ? "\tif ((c = " : "\treturn ", f);
				cmp_of(f, t->elems[i], a, b);
				fputs(i < t->n - 1 ? ") != 0)\n\t\treturn c;\n" : ";\n", f);
			}
		} else if (t->kind == TY_OPTION) {
			fputs("\tif (a.some != b.some || !a.some)\n\t\treturn (int)a.some - (int)b.some;\n\treturn ", f);
			cmp_of(f, t->elem, "a.v", "b.v");
			fputs(";\n", f);
		} else {
			fputs("\tfor (int64_t i = 0; i < a.len && i < b.len; i++) {\n\t\tint c = ", f);
			snprintf(a, sizeof a, "((%s *)a.data)[i]", et);
			snprintf(b, sizeof b, "((%s *)b.data)[i]", et);
			cmp_of(f, t->elem, a, b);
			fputs(";\n\t\tif (c)\n\t\t\treturn c;\n\t}\n\treturn ds_cmp_i64(a.len, b.len);\n", f);
		}
		fputs("}\n", f);
	}

	if (needs & NEED_CMPP)
		fprintf(f, "static int cmpp_%s(const void *a, const void *b)\n{\n\treturn cmp_%s(*(const %s *)a, "
			   "*(const %s *)b);\n}\n",
			m, m, ct, ct);

	if ((needs & NEED_COPY) && ty_has_refs(t)) {
		fprintf(f, "static inline %s copy_%s(ds_arena *a, %s v)\n{\n", ct, m, ct);
		if (t->kind == TY_TUPLE) {
			for (int i = 0; i < t->n; i++) {
				if (!ty_has_refs(t->elems[i]))
					continue;
				snprintf(a, sizeof a, "v._%d", i + 1);
				fprintf(f, "\tv._%d = ", i + 1);
				copy_of(f, t->elems[i], "a", a);
				fputs(";\n", f);
			}
		} else if (t->kind == TY_OPTION) {
			fputs("\tif (v.some)\n\t\tv.v = ", f);
			copy_of(f, t->elem, "a", "v.v");
			fputs(";\n", f);
		} else {
			/* room for the next power of two, as ds_list_push expects */
			fprintf(f, "\t%s *src = v.data;\n", et);
			fputs("\tsize_t cap = 1;\n\twhile (cap < (size_t)v.len)\n\t\tcap <<= 1;\n", f);
			fprintf(f, "\tv.data = ds_arena_alloc(a, sizeof(%s) * cap);\n", et);
			fprintf(f, "\tfor (int64_t i = 0; i < v.len; i++)\n\t\t((%s *)v.data)[i] = ", et);
			copy_of(f, t->elem, "a", "src[i]");
			fputs(";\n", f);
		}
		fputs("\treturn v;\n}\n", f);
	}
	fputs("\n", f);
}


/* A table's slot type (the key's hash, then the entry: one cache line per
 * probe), and the probes the program calls: upsert_ (find or insert a copy
 * of the key) and find_ (or NULL).  Slots are addressed as an array of the
 * slot type (tab->esize is its size), so a probe costs no multiply by a
 * run-time size. */
static const char *tab_kind(const IrTable *t) { return t->dense ? "dense" : "table"; }

static void emit_table(Emit *E, IrTable *t)
{
	FILE *f = E->f;
	const char *kt = c_type(t->key), *vt = c_type(t->val);
	fprintf(f, "/* %s */\n", comment_text(t->comment));
	fprintf(f, "typedef struct ent_%s {\n\tuint64_t h; /* the key's hash; 0: an empty slot */\n\t%s k;\n\t%s v;\n} ent_%s;\n",
		t->name, kt, vt, t->name);
	if (t->dense && vec_has(&E->upserts, t)) {
		fprintf(f, "/* The entry of k, whose dense id (interned at load) is id: no hash\n"
			   " * probe.  A new one (a copy of k in arena a) takes the next slot, so\n"
			   " * that the entries are in the order their keys were first seen. */\n");
		fprintf(f, "static inline DS_HOT ent_%s *upsert_%s(ds_dense *d, ds_arena *a, int64_t id, %s k, bool *fresh)\n{\n",
			t->name, t->name, kt);
		if (!ty_has_refs(t->key))
			fputs("\t(void)a; /* the key holds no references: nothing to copy */\n", f);
		fputs("\tif ((uint64_t)id >= d->nids || ds_table_full(&d->t))\n\t\tds_dense_fit(d, id);\n", f);
		fputs("\tuint32_t at = d->at[id];\n", f);
		fprintf(f, "\tif (at) {\n\t\t*fresh = false;\n\t\treturn (ent_%s *)d->t.slots + (at - 1);\n\t}\n", t->name);
		fputs("\t/* the slot is zero: the table was cleared, or allocated zeroed */\n", f);
		fprintf(f, "\tent_%s *e = (ent_%s *)d->t.slots + d->t.count++;\n", t->name, t->name);
		fputs("\td->at[id] = (uint32_t)d->t.count;\n\te->h = ", f);
		hash_of(f, t->key, "k");
		fputs(";\n\te->k = ", f);
		copy_of(f, t->key, "a", "k");
		fputs(";\n\t*fresh = true;\n\treturn e;\n}\n", f);
	} else if (vec_has(&E->upserts, t)) {
		fprintf(f, "/* Finds k, or inserts a copy of it (packed in arena a: the keys a\n"
			   " * probe compares stay in cache, not spread over the input).  Always\n"
			   " * inlined: with several workers it is called from two loops (the\n"
			   " * records of this worker's share, and those the others sent), and a\n"
			   " * call in the hot loop costs a third of its time. */\n");
		fprintf(f, "static inline DS_HOT ent_%s *upsert_%s(ds_table *tab, ds_arena *a, %s k, bool *fresh)\n{\n",
			t->name, t->name, kt);
		if (!ty_has_refs(t->key))
			fputs("\t(void)a; /* the key holds no references: nothing to copy */\n", f);
		fprintf(f, "\tif (ds_table_full(tab))\n\t\tds_table_grow(tab);\n\tuint64_t h = ");
		hash_of(f, t->key, "k");
		fprintf(f, ";\n\tsize_t mask = tab->cap - 1;\n");
		fprintf(f, "\tfor (size_t i = h & mask;; i = (i + 1) & mask) {\n");
		fprintf(f, "\t\tent_%s *e = (ent_%s *)tab->slots + i;\n", t->name, t->name);
		fprintf(f, "\t\tif (e->h == 0) {\n\t\t\tmemset(e, 0, sizeof *e);\n\t\t\te->h = h;\n\t\t\ttab->count++;\n");
		fprintf(f, "\t\t\te->k = ");
		copy_of(f, t->key, "a", "k");
		fprintf(f, ";\n\t\t\t*fresh = true;\n\t\t\treturn e;\n\t\t}\n");
		fprintf(f, "\t\tif (e->h == h && (");
		eq_of(f, t->key, "e->k", "k");
		fprintf(f, ")) {\n\t\t\t*fresh = false;\n\t\t\treturn e;\n\t\t}\n\t}\n}\n");
	}
	if (vec_has(&E->findhs, t)) {
		fprintf(f, "/* find_, with the key's hash already known */\n");
		fprintf(f, "static inline DS_HOT ent_%s *findh_%s(const ds_table *tab, %s k, uint64_t h)\n{\n", t->name, t->name,
			kt);
		fprintf(f, "\tif (!tab->count)\n\t\treturn NULL;\n\tsize_t mask = tab->cap - 1;\n");
		fprintf(f, "\tfor (size_t i = h & mask;; i = (i + 1) & mask) {\n");
		fprintf(f, "\t\tent_%s *e = (ent_%s *)tab->slots + i;\n", t->name, t->name);
		fprintf(f, "\t\tif (e->h == 0)\n\t\t\treturn NULL;\n");
		fprintf(f, "\t\tif (e->h == h && (");
		eq_of(f, t->key, "e->k", "k");
		fprintf(f, "))\n\t\t\treturn e;\n\t}\n}\n");
	}
	if (vec_has(&E->finds, t)) {
		fprintf(f, "static inline DS_HOT ent_%s *find_%s(const ds_table *tab, %s k)\n{\n", t->name, t->name, kt);
		fprintf(f, "\tif (!tab->count)\n\t\treturn NULL;\n\tuint64_t h = ");
		hash_of(f, t->key, "k");
		fprintf(f, ";\n\tsize_t mask = tab->cap - 1;\n");
		fprintf(f, "\tfor (size_t i = h & mask;; i = (i + 1) & mask) {\n");
		fprintf(f, "\t\tent_%s *e = (ent_%s *)tab->slots + i;\n", t->name, t->name);
		fprintf(f, "\t\tif (e->h == 0)\n\t\t\treturn NULL;\n");
		fprintf(f, "\t\tif (e->h == h && (");
		eq_of(f, t->key, "e->k", "k");
		fprintf(f, "))\n\t\t\treturn e;\n\t}\n}\n");
	}
	fputc('\n', f);
}

/* ---- statements -------------------------------------------------------------------- */

static void ind(Emit *E)
{
	for (int i = 0; i < E->indent; i++)
		fputc('\t', E->f);
}

static void var_name(Emit *E, IrVar *v) { fprintf(E->f, "%s_%d", v->name, v->id); }

static void stmts(Emit *E, const Vec *v);

/* A record nobody downstream reads (count() ignores it): say so to cc. */
static void mark_unused(Emit *E, IrVar *v)
{
	if (E->var_used[v->id])
		return;
	ind(E);
	fputs("(void)", E->f);
	var_name(E, v);
	fputs(";\n", E->f);
}

static void comment(Emit *E, const char *c)
{
	if (c) {
		ind(E);
		fprintf(E->f, "/* %s */\n", comment_text(c));
	}
}

/* Ends a brace block opened one indent level up. */
static void close_brace(Emit *E)
{
	E->indent--;
	ind(E);
	fputs("}\n", E->f);
}

/* for (each block b of source src's input this batch) {, left open */
static void blocks_loop_open(Emit *E, int src)
{
	ind(E);
	fprintf(E->f, "int nblocks;\n");
	ind(E);
	fprintf(E->f, "const ds_block *blocks = ds_input(t, %d, &nblocks);\n", src);
	ind(E);
	fprintf(E->f, "for (int b = 0; b < nblocks; b++) {\n");
	E->indent++;
}

static void stmt(Emit *E, IrStmt *s)
{
	FILE *f = E->f;
	switch (s->kind) {
	case IS_LET:
		ind(E);
		fprintf(f, "%s ", c_type(s->var->type));
		var_name(E, s->var);
		if (s->e) {
			fputs(" = ", f);
			expr(E, s->e);
		} else {
			fputs(ty_is_composite(s->var->type) || ty_resolve(s->var->type)->kind == TY_STRING ? " = {0}" : " = 0",
			      f);
		}
		fputs(";\n", f);
		mark_unused(E, s->var);
		return;
	case IS_SET:
		ind(E);
		expr(E, s->lhs);
		fputs(" = ", f);
		expr(E, s->e);
		fputs(";\n", f);
		return;
	case IS_IF:
		comment(E, s->comment);
		ind(E);
		fputs("if (", f);
		cond(E, s->e);
		fputs(") {\n", f);
		E->indent++;
		stmts(E, &s->body);
		E->indent--;
		if (s->els.n) {
			ind(E);
			fputs("} else {\n", f);
			E->indent++;
			stmts(E, &s->els);
			E->indent--;
		}
		ind(E);
		fputs("}\n", f);
		return;
	case IS_FOR_LINES:
		comment(E, s->comment);
		blocks_loop_open(E, s->src);
		ind(E);
		fprintf(f, "const char *p = blocks[b].data, *end = p + blocks[b].len;\n");
		ind(E);
		fprintf(f, "ds_str ");
		var_name(E, s->var);
		fputs(";\n", f);
		ind(E);
		fprintf(f, "while (%s(&p, end, &", s->framed ? "ds_next_framed" : "ds_next_line");
		var_name(E, s->var);
		fputs(")) {\n", f);
		E->indent++;
		mark_unused(E, s->var);
		stmts(E, &s->body);
		close_brace(E);
		close_brace(E);
		return;
	case IS_FOR_RECORDS:
		comment(E, s->comment);
		blocks_loop_open(E, s->src);
		ind(E);
		fputs("const char *", f);
		var_name(E, s->var);
		fputs(" = blocks[b].data;\n", f);
		ind(E);
		fprintf(f, "for (int64_t r = 0; r < blocks[b].nrecs; r++, ");
		var_name(E, s->var);
		fprintf(f, " += %lld) {\n", (long long)s->reclen);
		E->indent++;
		stmts(E, &s->body);
		close_brace(E);
		close_brace(E);
		return;
	case IS_FOR_RANGE:
		comment(E, s->comment);
		ind(E);
		fputs("for (int64_t ", f);
		var_name(E, s->var);
		fputs(" = ", f);
		expr(E, s->lhs);
		fputs("; ", f);
		var_name(E, s->var);
		fputs(" < ", f);
		expr(E, s->e);
		fputs("; ", f);
		var_name(E, s->var);
		fputs("++) {\n", f);
		E->indent++;
		stmts(E, &s->body);
		close_brace(E);
		return;
	case IS_FOR_SPLIT:
		ind(E);
		fprintf(f, "ds_split_it it_%d;\n", s->var->id);
		ind(E);
		fprintf(f, "ds_split_begin(&it_%d, ", s->var->id);
		expr(E, s->lhs);
		fputs(", ", f);
		expr(E, s->e);
		fputs(");\n", f);
		ind(E);
		fputs("ds_str ", f);
		var_name(E, s->var);
		fputs(";\n", f);
		ind(E);
		fprintf(f, "while (ds_split_next(&it_%d, &", s->var->id);
		var_name(E, s->var);
		fputs(")) {\n", f);
		E->indent++;
		mark_unused(E, s->var);
		stmts(E, &s->body);
		close_brace(E);
		return;
	case IS_FOR_TABLE:
		comment(E, s->comment);
		ind(E);
		fprintf(f, "for (size_t slot_%d = 0; slot_%d < st->%s%s.cap; slot_%d++) {\n", s->var->id, s->var->id,
			s->table->name, s->table->dense ? ".t" : "", s->var->id);
		E->indent++;
		ind(E);
		fprintf(f, "ent_%s *", s->table->name);
		var_name(E, s->var);
		/* by the slot's type, as the probes index: no multiply by a run-time size */
		fprintf(f, " = (ent_%s *)st->%s%s.slots + slot_%d;\n", s->table->name, s->table->name,
			s->table->dense ? ".t" : "", s->var->id);
		ind(E);
		fputs("if (!", f);
		var_name(E, s->var);
		fputs("->h)\n", f);
		ind(E);
		fputs("\tcontinue;\n", f);
		stmts(E, &s->body);
		close_brace(E);
		return;
	case IS_CHECK:
		ind(E);
		fputs("if (!(", f);
		expr(E, s->e);
		fputs(")) {\n", f);
		ind(E);
		fprintf(f, "\tds_bad_record(t, %d, ", s->site);
		c_string(f, s->why, strlen(s->why));
		fputs(", ", f);
		expr(E, s->sample);
		fputs(");\n", f);
		ind(E);
		fprintf(f, "\tgoto drop_%d;\n", s->label);
		ind(E);
		fputs("}\n", f);
		return;
	case IS_LABEL:
		ind(E);
		fprintf(f, "drop_%d:;\n", s->label);
		return;
	case IS_UPSERT:
		comment(E, s->comment);
		ind(E);
		fputs("bool ", f);
		var_name(E, s->fresh);
		fputs(";\n", f);
		ind(E);
		fprintf(f, "ent_%s *", s->table->name);
		var_name(E, s->var);
		if (s->table->persistent)
			fprintf(f, " = upsert_%s(&st->%s, &st->%s_arena, ", s->table->name, s->table->name, s->table->name);
		else
			fprintf(f, " = upsert_%s(&st->%s, t->arena, ", s->table->name, s->table->name);
		if (s->table->dense) { /* the key's dense id, then the key */
			expr(E, s->lhs);
			fputs(", ", f);
		}
		expr(E, s->e);
		fputs(", &", f);
		var_name(E, s->fresh);
		fputs(");\n", f);
		return;
	case IS_LOOKUP:
		ind(E);
		fprintf(f, "ent_%s *", s->table->name);
		var_name(E, s->var);
		if (s->hash_of) { /* the key's hash is already stored in the table being walked */
			fprintf(f, " = findh_%s(&st->%s, ", s->table->name, s->table->name);
			expr(E, s->e);
			fputs(", ", f);
			var_name(E, s->hash_of);
			fputs("->h);\n", f);
		} else {
			fprintf(f, " = find_%s(&st->%s, ", s->table->name, s->table->name);
			wrap(E, "", s->e, ");\n");
		}
		return;
	case IS_TABLE_SWAP: {
		const char *a = s->table->name, *b = s->swap_with->name;
		comment(E, s->comment);
		ind(E);
		fprintf(f, "ds_table swap_t = st->%s;\n", a);
		ind(E);
		fprintf(f, "st->%s = st->%s;\n", a, b);
		ind(E);
		fprintf(f, "st->%s = swap_t;\n", b);
		ind(E);
		fprintf(f, "ds_arena swap_a = st->%s_arena;\n", a);
		ind(E);
		fprintf(f, "st->%s_arena = st->%s_arena;\n", a, b);
		ind(E);
		fprintf(f, "st->%s_arena = swap_a;\n", b);
		ind(E);
		fprintf(f, "ds_table_clear(&st->%s);\n", b);
		ind(E);
		fprintf(f, "ds_arena_reset(&st->%s_arena);\n", b);
		return;
	}
	case IS_PUSH: {
		const char *et = c_type(ty_resolve(s->lhs->type)->elem);
		ind(E);
		if (s->table && s->table->persistent)
			fprintf(f, "*(%s *)ds_list_push(&st->%s_arena, &", et, s->table->name);
		else
			fprintf(f, "*(%s *)ds_list_push(t->arena, &", et);
		expr(E, s->lhs);
		fprintf(f, ", sizeof(%s)) = ", et);
		expr(E, s->e);
		fputs(";\n", f);
		return;
	}
	case IS_BREAK:
		ind(E);
		fputs("break;\n", f);
		return;
	case IS_OUT_SKIP:
		comment(E, s->comment);
		ind(E);
		fputs("ds_out_skip(t, ", f);
		expr(E, s->e);
		fputs(");\n", f);
		return;
	case IS_OUTPUT: {
		ind(E);
		fprintf(f, "ds_buf *out = ds_out_begin(t, %d);\n", s->out);
		ind(E);
		fputs("if (out) {\n", f);
		ind(E);
		fputs("\t", f);
		Type *t = ty_resolve(s->e->type);
		switch (t->kind) {
		case TY_STRING: fputs("ds_fmt_str(out, ", f); break;
		case TY_INT: fputs("ds_fmt_int(out, ", f); break;
		case TY_BOOL: fputs("ds_fmt_bool(out, ", f); break;
		case TY_DOUBLE: fputs("ds_fmt_double(out, ", f); break;
		default: fprintf(f, "fmt_%s(out, ", ty_mangle(t)); break;
		}
		expr(E, s->e);
		fputs(");\n", f);
		if (s->typed) { /* foreachRDD / foreachRecord and the sinks: the fields, typed */
			int nf = t->kind == TY_TUPLE ? t->n : 1;
			for (int k = 0; k < nf; k++) {
				Type *ft = ty_resolve(t->kind == TY_TUPLE ? t->elems[k] : t);
				ind(E);
				switch (ft->kind) {
				case TY_INT: fprintf(f, "\tds_out_field_int(t, %d, ", s->out); break;
				case TY_DOUBLE: fprintf(f, "\tds_out_field_double(t, %d, ", s->out); break;
				case TY_BOOL: fprintf(f, "\tds_out_field_bool(t, %d, ", s->out); break;
				case TY_STRING: fprintf(f, "\tds_out_field_str(t, %d, ", s->out); break;
				default: fprintf(f, "\tds_out_field_str(t, %d, tostr_%s(t->arena, ", s->out, ty_mangle(ft)); break;
				}
				if (t->kind == TY_TUPLE)
					operand(E, s->e);
				else
					expr(E, s->e);
				if (t->kind == TY_TUPLE)
					fprintf(f, "._%d", k + 1);
				fputs(ty_is_composite(ft) ? "));\n" : ");\n", f);
			}
		}
		ind(E);
		fprintf(f, "\tds_out_end(t, %d);\n", s->out);
		ind(E);
		fputs("}\n", f);
		return;
	}
	case IS_BLOCK:
		comment(E, s->comment);
		ind(E);
		fputs("{\n", f);
		E->indent++;
		stmts(E, &s->body);
		close_brace(E);
		return;
	case IS_CALL_STAGE:
		comment(E, s->comment);
		ind(E);
		fprintf(f, "%s(t, st);\n", s->fn);
		return;
	case IS_XCHG_PUT: {
		const char *ct = c_type(s->e->type);
		ind(E);
		fprintf(f, "*(%s *)ds_xchg_put(t, %d, ", ct, s->out);
		expr(E, s->lhs);
		fprintf(f, ", sizeof(%s)) = ", ct);
		expr(E, s->e);
		fputs(";\n", f);
		return;
	}
	case IS_FOR_XCHG: {
		const char *ct = c_type(s->var->type);
		int id = s->var->id;
		comment(E, s->comment);
		ind(E);
		fprintf(f, "int nsent_%d;\n", id);
		ind(E);
		fprintf(f, "const ds_block *sent_%d = ds_xchg_input(t, %d, &nsent_%d);\n", id, s->out, id);
		ind(E);
		fprintf(f, "for (int w = 0; w < nsent_%d; w++) {\n", id);
		E->indent++;
		ind(E);
		fprintf(f, "const %s *r = (const %s *)sent_%d[w].data, *rend = r + sent_%d[w].len / sizeof *r;\n", ct, ct,
			id, id);
		ind(E);
		fputs("for (; r < rend; r++) {\n", f);
		E->indent++;
		ind(E);
		fprintf(f, "%s ", ct);
		var_name(E, s->var);
		fputs(" = *r;\n", f);
		mark_unused(E, s->var);
		stmts(E, &s->body);
		close_brace(E);
		close_brace(E);
		return;
	}
	case IS_SORT: {
		Type *et = ty_resolve(s->lhs->type)->elem;
		comment(E, s->comment);
		ind(E);
		fputs(s->e ? "ds_sort_ends(&" : "ds_sort(&", f);
		expr(E, s->lhs);
		fprintf(f, ", sizeof(%s), ", c_type(et));
		if (s->e) {
			expr(E, s->e);
			fprintf(f, ", %s, ", s->largest ? "true" : "false");
		}
		fprintf(f, "%s);\n", cmpp_fn(et));
		return;
	}
	case IS_BARRIER:
		comment(E, s->comment);
		ind(E);
		fputs("ds_barrier(t);\n", f);
		return;
	case IS_TABLE_RESERVE:
		comment(E, s->comment);
		ind(E);
		fprintf(f, "ds_table_reserve(&st->%s, (size_t)ds_input_records(t, %d));\n", s->table->name, s->src);
		return;
	case IS_WINDOW_INIT:
		ind(E);
		fprintf(f, "ds_window_init(&st->%s, %d);\n", s->window->name, s->window->npanes);
		return;
	case IS_WINDOW_BEGIN:
		ind(E);
		fprintf(f, "ds_window_begin_batch(&st->%s, t->batch_time);\n", s->window->name);
		return;
	case IS_WINDOW_CLOSE:
		ind(E);
		fprintf(f, "ds_window_close(&st->%s);\n", s->window->name);
		return;
	case IS_PANE_PUSH: {
		const char *et = c_type(s->window->elem);
		ind(E);
		fprintf(f, "ds_pane *pane = &st->%s.panes[st->%s.cur];\n", s->window->name, s->window->name);
		ind(E);
		fprintf(f, "*(%s *)ds_pane_push(pane, sizeof(%s)) = ", et, et);
		if (ty_has_refs(s->window->elem)) {
			/* the record outlives the batch: copy what it points to */
			fprintf(f, "%s(&pane->arena, ", copy_fn(s->window->elem));
			wrap(E, "", s->e, ");\n");
		} else {
			wrap(E, "", s->e, ";\n");
		}
		return;
	}
	case IS_FOR_WINDOW: {
		const char *wn = s->window->name;
		comment(E, s->comment);
		ind(E);
		fprintf(f, "for (int pi = 0; pi < st->%s.n; pi++) {\n", wn);
		E->indent++;
		ind(E);
		fprintf(f, "ds_pane *pane = ds_window_pane(&st->%s, pi);\n", wn);
		ind(E);
		fprintf(f, "if (pane->time <= t->batch_time - %lld || pane->time > t->batch_time - %lld)\n",
			(long long)s->from_ago, (long long)s->to_ago);
		ind(E);
		fprintf(f, "\tcontinue; /* not in (T - %lld ms, T - %lld ms] */\n", (long long)s->from_ago,
			(long long)s->to_ago);
		ind(E);
		fputs("for (int64_t ri = 0; ri < pane->recs.len; ri++) {\n", f);
		E->indent++;
		ind(E);
		fprintf(f, "%s ", c_type(s->var->type));
		var_name(E, s->var);
		fprintf(f, " = ((%s *)pane->recs.data)[ri];\n", c_type(s->var->type));
		mark_unused(E, s->var);
		stmts(E, &s->body);
		close_brace(E);
		close_brace(E);
		return;
	}
	case IS_TABLE_INIT:
		ind(E);
		fprintf(f, "ds_%s_init(&st->%s, sizeof(ent_%s));\n", tab_kind(s->table), s->table->name, s->table->name);
		if (s->table->persistent) {
			ind(E);
			fprintf(f, "ds_arena_init(&st->%s_arena);\n", s->table->name);
		}
		return;
	case IS_TABLE_CLEAR:
		ind(E);
		fprintf(f, "ds_%s_clear(&st->%s);\n", tab_kind(s->table), s->table->name);
		return;
	case IS_TABLE_CLOSE:
		ind(E);
		fprintf(f, "ds_%s_close(&st->%s);\n", tab_kind(s->table), s->table->name);
		if (s->table->persistent) {
			ind(E);
			fprintf(f, "ds_arena_close(&st->%s_arena);\n", s->table->name);
		}
		return;
	}
	die("cannot emit statement kind %d", s->kind);
}

static void stmts(Emit *E, const Vec *v)
{
	for (int i = 0; i < v->n; i++)
		stmt(E, v->v[i]);
}

static void emit_func(Emit *E, IrFunc *fn, const char *sig_fmt)
{
	fprintf(E->f, "/* %s */\n", comment_text(fn->comment));
	fprintf(E->f, sig_fmt, fn->name);
	fputs("\n{\n", E->f);
	fputs(strstr(sig_fmt, "ds_task") ? "\t(void)t;\n\t(void)st;\n" : "\t(void)st;\n", E->f);
	E->indent = 1;
	stmts(E, &fn->body);
	E->indent = 0;
	fputs("}\n\n", E->f);
}

/* ---- the program descriptor ---------------------------------------------------------- */

static void c_cstr(FILE *f, const char *s) { c_string(f, s, strlen(s)); }

/* foreachRecord(f): the runtime calls this with the batch's records; it
 * calls f once per record with the record's fields (a type-directed
 * helper, as a tuple's printing is). */
static void emit_foreach_record(Emit *E, const DNode *o)
{
	desc_foreach_record_c(E->f, o, "static ", desc_foreach_fn(o));
}

static void emit_descriptors(Emit *E)
{
	FILE *f = E->f;
	const IrProgram *ir = E->ir;
	const ds_program *d = desc_build(ir->plan, ir_sites(ir), ir->sites.n);

	for (int i = 0; i < ir->plan->outputs.n; i++) {
		const DNode *o = ir->plan->outputs.v[i];
		if (o->op->id == OP_FOREACH_RECORD)
			emit_foreach_record(E, o);
	}

	fprintf(f, "static const ds_source_desc sources[] = {\n");
	for (int i = 0; i < d->nsources; i++) {
		const ds_source_desc *s = &d->sources[i];
		fputs("\t{", f);
		switch (s->kind) {
		case DS_SRC_SOCKET:
			fputs(".kind = DS_SRC_SOCKET, .host = ", f);
			c_cstr(f, s->host);
			fprintf(f, ", .port = %d", s->port);
			break;
		case DS_SRC_TEXTDIR: fputs(".kind = DS_SRC_TEXTDIR, .path = ", f); break;
		case DS_SRC_QUEUE: fputs(".kind = DS_SRC_QUEUE, .path = ", f); break;
		case DS_SRC_TEXTFILE: fputs(".kind = DS_SRC_TEXTFILE, .path = ", f); break;
		case DS_SRC_RECEIVER:
			fprintf(f, ".kind = DS_SRC_RECEIVER, .receiver = %s, .fn = ", s->fn);
			c_cstr(f, s->fn);
			break;
		case DS_SRC_BINDIR: fputs(".kind = DS_SRC_BINDIR, .path = ", f); break;
		case DS_SRC_BINQUEUE: fputs(".kind = DS_SRC_BINQUEUE, .path = ", f); break;
		case DS_SRC_BINFILE: fputs(".kind = DS_SRC_BINFILE, .path = ", f); break;
		case DS_SRC_KAFKA:
			fprintf(f, ".kind = DS_SRC_KAFKA, .ops = &ds_kafka_source,%s .brokers = ",
				s->kafka_records ? " .kafka_records = 1," : "");
			c_cstr(f, s->brokers);
			fputs(", .topic = ", f);
			c_cstr(f, s->topic);
			if (s->props) {
				fputs(", .props = ", f);
				c_cstr(f, s->props);
			}
			break;
		default: unreachable();
		}
		if (s->path)
			c_cstr(f, s->path);
		fputs(", .loc = ", f);
		c_cstr(f, s->loc);
		fprintf(f, ", .site = %d", s->site);
		if (s->record_len) {
			fprintf(f, ",\n\t .record_len = %lld, .schema = ", (long long)s->record_len);
			c_cstr(f, s->schema);
			if (s->per_batch)
				fprintf(f, ", .per_batch = %lld", (long long)s->per_batch);
		}
		fputs("},\n", f);
	}
	if (!d->nsources)
		fputs("\t{0},\n", f);
	fputs("};\n\n", f);

	fprintf(f, "static const ds_output_desc outputs[] = {\n");
	for (int i = 0; i < d->noutputs; i++) {
		const ds_output_desc *o = &d->outputs[i];
		if (o->kind == DS_OUT_PRINT) {
			fprintf(f, "\t{.kind = DS_OUT_PRINT, .n = %lld", (long long)o->n);
		} else if (o->kind == DS_OUT_FOREACH) {
			fprintf(f, "\t{.kind = DS_OUT_FOREACH, .foreach = %s, .fn = ", o->fn);
			c_cstr(f, o->fn);
			fputs(", .fields = ", f);
			c_cstr(f, o->fields);
		} else if (o->kind == DS_OUT_KAFKA) {
			fputs("\t{.kind = DS_OUT_KAFKA, .commit = ds_kafka_commit, .brokers = ", f);
			c_cstr(f, o->brokers);
			fputs(", .topic = ", f);
			c_cstr(f, o->topic);
			if (o->props) {
				fputs(", .props = ", f);
				c_cstr(f, o->props);
			}
			fputs(", .fields = ", f);
			c_cstr(f, o->fields);
		} else if (o->kind == DS_OUT_POSTGRES || o->kind == DS_OUT_REDIS) {
			bool pg = o->kind == DS_OUT_POSTGRES;
			fprintf(f, "\t{.kind = %s, .open = %s, .commit = %s,\n\t .conninfo = ",
				pg ? "DS_OUT_POSTGRES" : "DS_OUT_REDIS", pg ? "ds_pg_open" : "ds_redis_open",
				pg ? "ds_pg_commit" : "ds_redis_commit");
			c_cstr(f, o->conninfo);
			fputs(", .table = ", f);
			c_cstr(f, o->table);
			if (o->mode) {
				fputs(", .mode = ", f);
				c_cstr(f, o->mode);
			}
			fputs(", .fields = ", f);
			c_cstr(f, o->fields);
		} else {
			fputs("\t{.kind = DS_OUT_SAVE, .prefix = ", f);
			c_cstr(f, o->prefix);
			if (o->suffix) {
				fputs(", .suffix = ", f);
				c_cstr(f, o->suffix);
			}
		}
		fputs(", .loc = ", f);
		c_cstr(f, o->loc);
		fprintf(f, ", .slide_ms = %lld},\n", (long long)o->slide_ms);
	}
	if (!d->noutputs)
		fputs("\t{0},\n", f);
	fputs("};\n\n", f);

	fprintf(f, "/* where bad records can be dropped, for ds_bad_record */\n");
	fprintf(f, "static const ds_site sites[] = {\n");
	for (int i = 0; i < d->nsites; i++) {
		fputs("\t{", f);
		c_cstr(f, d->sites[i].loc);
		fputs(", ", f);
		c_cstr(f, d->sites[i].op);
		fprintf(f, "}, /* %d */\n", i);
	}
	if (!d->nsites)
		fputs("\t{0},\n", f);
	fputs("};\n\n", f);

	if (d->nparams) {
		fputs("/* the program's parameters, param(\"name\"[, default]): --param NAME=VALUE sets\n"
		      " * one at start; .def is the default as --param spells it (NULL: required) */\n", f);
		fputs("static const ds_param_desc params[] = {\n", f);
		for (int i = 0; i < d->nparams; i++) {
			const ds_param_desc *x = &d->params[i];
			fputs("\t{.name = ", f);
			c_cstr(f, x->name);
			fprintf(f, ", .type = '%c', .def = ", x->type);
			if (x->def)
				c_cstr(f, x->def);
			else
				fputs("NULL", f);
			fputs(", .loc = ", f);
			c_cstr(f, x->loc);
			fprintf(f, "}, /* %d */\n", i);
		}
		fputs("};\n\n", f);
	}
	if (d->nparam_uses) {
		fputs("/* the source and output fields that hold a parameter's value: the\n"
		      " * descriptors above carry the default, the runtime's copies the value */\n", f);
		fputs("static const ds_param_use param_uses[] = {\n", f);
		for (int i = 0; i < d->nparam_uses; i++) {
			const ds_param_use *x = &d->param_uses[i];
			const DNode *n = x->source >= 0 ? ir->plan->sources.v[x->source] : ir->plan->outputs.v[x->output];
			const char *fld = desc_param_field_name(x->field) + strlen("DS_PARAM_");
			fprintf(f, "\t{.param = %d, .source = %d, .output = %d, .field = %s}, /* .", x->param, x->source,
				x->output, desc_param_field_name(x->field));
			for (; *fld; fld++) /* the descriptor's field: DS_PARAM_PER_BATCH is .per_batch */
				fputc(tolower((unsigned char)*fld), f);
			fprintf(f, " of the %s at %s: \"%s\" */\n", n->op->name, node_loc(n), d->params[x->param].name);
		}
		fputs("};\n\n", f);
	}

	fprintf(f, "static void init_fn(ds_task *t, void *state) { program_init(t, state); }\n");
	fprintf(f, "static void run_batch_fn(ds_task *t, void *state) { program_run_batch(t, state); }\n");
	fprintf(f, "static void close_fn(void *state) { program_close(state); }\n\n");
	int nstates;
	const ds_state_desc *sd = desc_states(ir, &nstates);
	if (nstates) {
		fputs("/* what a checkpoint keeps of the state, each part under its operator's\n"
		      " * stable identity (lang/SPEC.md, \"Checkpoints and recovery\") */\n", f);
		fputs("static const ds_state_desc states[] = {\n", f);
	}
	for (int i = 0, k = 0; i < ir->tables.n + ir->windows.n; i++) {
		bool tab = i < ir->tables.n;
		const IrTable *t = tab ? ir->tables.v[i] : NULL;
		const IrWindow *w = tab ? NULL : ir->windows.v[i - ir->tables.n];
		if (tab && !t->ckpt)
			continue;
		const ds_state_desc *x = &sd[k++];
		fprintf(f, "\t{.kind = %s, .name = ", tab ? "DS_STATE_TABLE" : "DS_STATE_WINDOW");
		c_cstr(f, x->name);
		fputs(", .loc = ", f);
		c_cstr(f, x->loc);
		fputs(", .op = ", f);
		c_cstr(f, x->op);
		fputs(",\n\t .type = ", f);
		c_cstr(f, x->type);
		fputs(", .layout = ", f);
		c_cstr(f, x->layout);
		fprintf(f, ", .dist = '%c'", x->dist);
		if (tab)
			fprintf(f, ",\n\t .offset = offsetof(struct program_state, %s),\n"
				   "\t .arena_offset = offsetof(struct program_state, %s_arena),\n"
				   "\t .esize = sizeof(ent_%s)},\n", t->name, t->name, t->name);
		else
			fprintf(f, ",\n\t .offset = offsetof(struct program_state, %s), .esize = sizeof(%s)},\n",
				w->name, c_type(w->elem));
	}
	if (nstates)
		fputs("};\n\n", f);

	if (d->ncounters) {
		fputs("/* counter(\"name\", n): ds_counter_add(t, k, n) adds to counters[k] */\n", f);
		fputs("static const char *const counters[] = {", f);
		for (int i = 0; i < d->ncounters; i++) {
			fputs(i ? ", " : "", f);
			c_cstr(f, d->counters[i]);
		}
		fputs("};\n\n", f);
	}
	fprintf(f, "static const ds_program program = {\n");
	fprintf(f, "\t.abi_version = DS_ABI_VERSION,\n\t.name = ");
	c_cstr(f, d->name);
	fputs(",\n\t.source = ", f);
	c_cstr(f, d->source);
	fprintf(f, ",\n\t.batch_ms = %lld,\n\t.block_ms = %lld,\n", (long long)d->batch_ms, (long long)d->block_ms);
	if (d->checkpoint_dir) {
		fputs("\t.checkpoint_dir = ", f);
		c_cstr(f, d->checkpoint_dir);
		fprintf(f, ",\n\t.checkpoint_ms = %lld,\n", (long long)d->checkpoint_ms);
	}
	fprintf(f, "\t.plan_hash = 0x%016llxULL,\n", (unsigned long long)d->plan_hash);
	fprintf(f, "\t.nsources = %d,\n\t.sources = sources,\n", d->nsources);
	fprintf(f, "\t.noutputs = %d,\n\t.outputs = outputs,\n", d->noutputs);
	fprintf(f, "\t.nsites = %d,\n\t.sites = sites,\n", d->nsites);
	fprintf(f, "\t.state_size = sizeof(struct program_state),\n");
	fprintf(f, "\t.init = init_fn,\n\t.run_batch = run_batch_fn,\n\t.close = close_fn,\n");
	if (nstates)
		fprintf(f, "\t.nstates = %d,\n\t.states = states,\n", nstates);
	if (ir->nexchanges)
		fprintf(f, "\t.nexchanges = %d, /* keyed operators' inputs, sent to the worker that owns the key */\n",
			ir->nexchanges);
	fputs("\t.version = ", f);
	c_cstr(f, d->version);
	fprintf(f, ",\n\t.source_hash = 0x%016llxULL, /* FNV-1a 64 of the source's bytes */\n",
		(unsigned long long)d->source_hash);
	fputs("\t.explain =", f); /* a line of `dstreamc explain` per line */
	for (const char *l = d->explain; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l + 1) : strlen(l);
		fputs("\n\t\t", f);
		c_string(f, l, n);
		l += n;
	}
	if (!*d->explain)
		fputs(" \"\"", f);
	fputs(",\n", f);
	if (d->ncounters)
		fprintf(f, "\t.ncounters = %d,\n\t.counters = counters,\n", d->ncounters);
	if (d->nparams)
		fprintf(f, "\t.nparams = %d,\n\t.params = params,\n", d->nparams);
	if (d->nparam_uses)
		fprintf(f, "\t.nparam_uses = %d,\n\t.param_uses = param_uses,\n", d->nparam_uses);
	fputs("};\n\n", f);
	fprintf(f, "int main(int argc, char **argv)\n{\n\treturn ds_main(argc, argv, &program);\n}\n");
}

static int emit_c_program(const IrProgram *ir, const char *out_path)
{
	FILE *f = out_path && strcmp(out_path, "-") ? fopen(out_path, "w") : stdout;
	if (!f) {
		fprintf(stderr, "dstreamc: cannot write '%s': %s\n", out_path, strerror(errno));
		return 1;
	}
	Emit E = {.f = f, .ir = ir};
	E.var_used = arena_alloc(sizeof(bool) * (size_t)(ir->nvars + 1));
	for (int i = 0; i < ir->tables.n; i++) {
		IrTable *t = ir->tables.v[i];
		need(&E, NEED_EQ | NEED_HASH | NEED_COPY, t->key);
		add_type(&E, t->val); /* copies of values: where lowering wrote IE_COPY */
	}
	for (int i = 0; i < ir->scalars.n; i++)
		add_type(&E, ((IrScalar *)ir->scalars.v[i])->type);
	for (int i = 0; i < ir->windows.n; i++)
		need(&E, NEED_COPY, ((IrWindow *)ir->windows.v[i])->elem);
	for (int i = 0; i < ir->stages.n; i++)
		collect_stmts(&E, &((IrFunc *)ir->stages.v[i])->body);
	for (int i = 0; i < ir->init_stages.n; i++)
		collect_stmts(&E, &((IrFunc *)ir->init_stages.v[i])->body);
	collect_stmts(&E, &ir->run_batch->body);

	const CheckedProgram *cp = ir->plan->cp;
	fprintf(f, "/* Generated by dstreamc " DS_VERSION " from %s (program \"%s\").\n", comment_text(cp->ast->src->path),
		comment_text(cp->app_name));
	fprintf(f, " * Each stage is one fused loop; comments name the source line and operator.\n");
	fprintf(f, " * Build: cc -std=c11 -O2 -I<runtime include> this.c <libdstream_rt.a> -lpthread -lz -lm\n */\n");
	fprintf(f, "#include <math.h>\n#include <stdbool.h>\n#include <stdint.h>\n#include <stdlib.h>\n"
		   "#include <string.h>\n\n#include <dstream/rt.h>\n\n");
	if (cp->externs.n) {
		fprintf(f, "/* extern headers: cc checks every call against its prototype */\n");
		for (int i = 0; i < cp->externs.n; i++) {
			fputs("#include ", f);
			c_cstr(f, cp->externs.v[i]);
			fputc('\n', f);
		}
		fputc('\n', f);
	}
	if (E.uses_d2i) {
		fprintf(f, "/* Scala's Double.toInt: truncates, saturates, NaN is 0. */\n");
		fprintf(f, "static inline int64_t ds_double_to_int(double d)\n{\n\tif (d != d)\n\t\treturn 0;\n"
			   "\tif (d >= 9223372036854775807.0)\n\t\treturn INT64_MAX;\n"
			   "\tif (d <= -9223372036854775808.0)\n\t\treturn INT64_MIN;\n\treturn (int64_t)d;\n}\n\n");
	}

	if (E.types.n)
		fprintf(f, "/* ---- record types ---- */\n\n");
	for (int i = 0; i < E.types.n; i++)
		emit_type_helpers(&E, E.types.v[i], (int)(intptr_t)E.type_needs.v[i]);
	if (ir->tables.n)
		fprintf(f, "/* ---- hash tables ---- */\n\n");
	for (int i = 0; i < ir->tables.n; i++)
		emit_table(&E, ir->tables.v[i]);

	fprintf(f, "/* ---- program state: what the stages keep, owned by the runtime ---- */\n\n");
	fprintf(f, "struct program_state {\n");
	for (int i = 0; i < ir->tables.n; i++) {
		IrTable *t = ir->tables.v[i];
		fprintf(f, "\tds_%s %s; /* %s */\n", tab_kind(t), t->name, comment_text(t->comment));
		if (t->persistent)
			fprintf(f, "\tds_arena %s_arena; /* owns %s's keys and values */\n", t->name, t->name);
	}
	for (int i = 0; i < ir->scalars.n; i++) {
		IrScalar *s = ir->scalars.v[i];
		fprintf(f, "\t%s %s; /* %s */\n", c_type(s->type), s->name, comment_text(s->comment));
	}
	for (int i = 0; i < ir->windows.n; i++) {
		IrWindow *w = ir->windows.v[i];
		fprintf(f, "\tds_window %s; /* %s */\n", w->name, comment_text(w->comment));
	}
	fprintf(f, "\tchar unused; /* keeps the struct non-empty */\n};\n\n");

	fprintf(f, "/* ---- stages ---- */\n\n");
	for (int i = 0; i < ir->init_stages.n; i++)
		emit_func(&E, ir->init_stages.v[i], "static void %s(ds_task *t, struct program_state *st)");
	for (int i = 0; i < ir->stages.n; i++)
		emit_func(&E, ir->stages.v[i], "static void %s(ds_task *t, struct program_state *st)");
	emit_func(&E, ir->init, "static void %s(ds_task *t, struct program_state *st)");
	fprintf(f, "/* ---- the program ---- */\n\n");
	emit_func(&E, ir->run_batch, "static void %s(ds_task *t, struct program_state *st)");
	emit_func(&E, ir->close, "static void %s(struct program_state *st)");
	emit_descriptors(&E);

	int bad = ferror(f);
	if (f != stdout)
		bad |= fclose(f);
	else
		fflush(f);
	if (bad) {
		fprintf(stderr, "dstreamc: error writing '%s'\n", out_path ? out_path : "<stdout>");
		return 1;
	}
	return 0;
}

const Backend backend_c = {.name = "c", .emit = emit_c_program};
