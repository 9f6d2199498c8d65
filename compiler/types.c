/* types.c: construction, unification and printing of types. */
#include <stdio.h>
#include <string.h>

#include "types.h"

static Type *mk(TypeKind k)
{
	Type *t = arena_alloc(sizeof *t);
	t->kind = k;
	return t;
}

#define SINGLETON(fn, K) \
	Type *fn(void) \
	{ \
		static Type t = {.kind = K}; \
		return &t; \
	}
SINGLETON(ty_int, TY_INT)
SINGLETON(ty_double, TY_DOUBLE)
SINGLETON(ty_bool, TY_BOOL)
SINGLETON(ty_string, TY_STRING)
SINGLETON(ty_duration, TY_DURATION)
SINGLETON(ty_unit, TY_UNIT)
SINGLETON(ty_error, TY_ERROR)

Type *ty_var(void) { return mk(TY_VAR); }

Type *ty_tuple(int n, Type **elems)
{
	Type *t = mk(TY_TUPLE);
	t->n = n;
	t->elems = arena_alloc(sizeof(Type *) * (size_t)n);
	memcpy(t->elems, elems, sizeof(Type *) * (size_t)n);
	return t;
}

Type *ty_pair(Type *a, Type *b)
{
	Type *e[2] = {a, b};
	return ty_tuple(2, e);
}

static Type *with_elem(TypeKind k, Type *e)
{
	Type *t = mk(k);
	t->elem = e;
	return t;
}
Type *ty_list(Type *e) { return with_elem(TY_LIST, e); }
Type *ty_option(Type *e) { return with_elem(TY_OPTION, e); }
Type *ty_stream(Type *e) { return with_elem(TY_STREAM, e); }
Type *ty_dataset(Type *e) { return with_elem(TY_DATASET, e); }
Type *ty_state(Type *e) { return with_elem(TY_STATE, e); }

Type *ty_resolve(Type *t)
{
	while (t && t->kind == TY_VAR && t->ref)
		t = t->ref;
	return t;
}

static bool occurs(Type *v, Type *t)
{
	t = ty_resolve(t);
	if (t == v)
		return true;
	switch (t->kind) {
	case TY_TUPLE:
		for (int i = 0; i < t->n; i++)
			if (occurs(v, t->elems[i]))
				return true;
		return false;
	case TY_LIST: case TY_OPTION: case TY_STREAM: case TY_DATASET: case TY_STATE:
		return occurs(v, t->elem);
	default:
		return false;
	}
}

bool ty_unify(Type *a, Type *b)
{
	a = ty_resolve(a);
	b = ty_resolve(b);
	if (a == b)
		return true;
	if (a->kind == TY_ERROR || b->kind == TY_ERROR)
		return true;
	if (a->kind == TY_VAR) {
		if (occurs(a, b))
			return false;
		a->ref = b;
		return true;
	}
	if (b->kind == TY_VAR)
		return ty_unify(b, a);
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TY_TUPLE:
		if (a->n != b->n)
			return false;
		for (int i = 0; i < a->n; i++)
			if (!ty_unify(a->elems[i], b->elems[i]))
				return false;
		return true;
	case TY_LIST: case TY_OPTION: case TY_STREAM: case TY_DATASET: case TY_STATE:
		return ty_unify(a->elem, b->elem);
	default:
		return true;
	}
}

bool ty_equal(Type *a, Type *b)
{
	a = ty_resolve(a);
	b = ty_resolve(b);
	if (a == b)
		return true;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TY_TUPLE:
		if (a->n != b->n)
			return false;
		for (int i = 0; i < a->n; i++)
			if (!ty_equal(a->elems[i], b->elems[i]))
				return false;
		return true;
	case TY_LIST: case TY_OPTION: case TY_STREAM: case TY_DATASET: case TY_STATE:
		return ty_equal(a->elem, b->elem);
	case TY_VAR:
		return false;
	default:
		return true;
	}
}

bool ty_is_numeric(Type *t)
{
	t = ty_resolve(t);
	return t->kind == TY_INT || t->kind == TY_DOUBLE;
}

bool ty_is_error(Type *t)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_ERROR:
		return true;
	case TY_TUPLE:
		for (int i = 0; i < t->n; i++)
			if (ty_is_error(t->elems[i]))
				return true;
		return false;
	case TY_LIST: case TY_OPTION: case TY_STREAM: case TY_DATASET: case TY_STATE:
		return ty_is_error(t->elem);
	default:
		return false;
	}
}

Type *ty_default(Type *t)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_VAR:
		t->ref = ty_int();
		return t->ref;
	case TY_TUPLE:
		for (int i = 0; i < t->n; i++)
			ty_default(t->elems[i]);
		return t;
	case TY_LIST: case TY_OPTION: case TY_STREAM: case TY_DATASET: case TY_STATE:
		ty_default(t->elem);
		return t;
	default:
		return t;
	}
}

static void str_into(Type *t, char *buf, size_t cap, size_t *len)
{
#define PUT(s) \
	do { \
		const char *s_ = (s); \
		size_t n_ = strlen(s_); \
		if (*len + n_ < cap) { \
			memcpy(buf + *len, s_, n_); \
			*len += n_; \
			buf[*len] = 0; \
		} \
	} while (0)
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_INT: PUT("Int"); break;
	case TY_DOUBLE: PUT("Double"); break;
	case TY_BOOL: PUT("Boolean"); break;
	case TY_STRING: PUT("String"); break;
	case TY_DURATION: PUT("Duration"); break;
	case TY_UNIT: PUT("Unit"); break;
	case TY_VAR: PUT("?"); break;
	case TY_ERROR: PUT("<error>"); break;
	case TY_TUPLE:
		PUT("(");
		for (int i = 0; i < t->n; i++) {
			if (i)
				PUT(", ");
			str_into(t->elems[i], buf, cap, len);
		}
		PUT(")");
		break;
	case TY_LIST: PUT("List["); str_into(t->elem, buf, cap, len); PUT("]"); break;
	case TY_OPTION: PUT("Option["); str_into(t->elem, buf, cap, len); PUT("]"); break;
	case TY_STREAM: PUT("DStream["); str_into(t->elem, buf, cap, len); PUT("]"); break;
	case TY_DATASET: PUT("Dataset["); str_into(t->elem, buf, cap, len); PUT("]"); break;
	case TY_STATE: PUT("State["); str_into(t->elem, buf, cap, len); PUT("]"); break;
	}
#undef PUT
}

char *ty_str(Type *t)
{
	char buf[512];
	size_t len = 0;
	buf[0] = 0;
	str_into(t, buf, sizeof buf, &len);
	return arena_strdup(buf);
}

static void mangle_into(Type *t, char *buf, size_t cap, size_t *len)
{
	t = ty_resolve(t);
	char tmp[16];
	const char *s = NULL;
	switch (t->kind) {
	case TY_INT: s = "I"; break;
	case TY_DOUBLE: s = "D"; break;
	case TY_BOOL: s = "B"; break;
	case TY_STRING: s = "S"; break;
	case TY_TUPLE:
		snprintf(tmp, sizeof tmp, "T%d", t->n);
		s = tmp;
		break;
	case TY_LIST: s = "L"; break;
	case TY_OPTION: s = "O"; break;
	default: die("no runtime representation for type %s", ty_str(t));
	}
	size_t n = strlen(s);
	if (*len + n >= cap)
		die("type too deep to mangle");
	memcpy(buf + *len, s, n + 1);
	*len += n;
	if (t->kind == TY_TUPLE)
		for (int i = 0; i < t->n; i++)
			mangle_into(t->elems[i], buf, cap, len);
	else if (t->kind == TY_LIST || t->kind == TY_OPTION)
		mangle_into(t->elem, buf, cap, len);
}

char *ty_mangle(Type *t)
{
	char buf[256];
	size_t len = 0;
	buf[0] = 0;
	mangle_into(t, buf, sizeof buf, &len);
	return arena_strdup(buf);
}

bool ty_is_composite(Type *t)
{
	TypeKind k = ty_resolve(t)->kind;
	return k == TY_TUPLE || k == TY_OPTION || k == TY_LIST;
}

bool ty_has_refs(Type *t)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: case TY_LIST:
		return true;
	case TY_TUPLE:
		for (int i = 0; i < t->n; i++)
			if (ty_has_refs(t->elems[i]))
				return true;
		return false;
	case TY_OPTION:
		return ty_has_refs(t->elem);
	default:
		return false;
	}
}
