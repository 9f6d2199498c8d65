/* types.h: the types of the .dstream language, with unification for the
 * few places inference needs it (None, [], lambda results).
 *
 * Types are arena-allocated and shared; TY_VAR nodes are bound in place by
 * ty_unify.  Always look through ty_resolve() before switching on kind.
 */
#ifndef DS_TYPES_H
#define DS_TYPES_H

#include "ast.h"

typedef enum TypeKind {
	TY_INT,      /* i64 */
	TY_DOUBLE,   /* f64 */
	TY_BOOL,
	TY_STRING,
	TY_TUPLE,    /* elems[n], n >= 2 */
	TY_LIST,     /* elem */
	TY_OPTION,   /* elem */
	TY_STREAM,   /* DStream[elem] */
	TY_DATASET,  /* Dataset[elem]: static, read once */
	TY_STATE,    /* State[elem], only as mapWithState's third parameter */
	TY_DURATION, /* a duration literal, in ms */
	TY_UNIT,     /* the value of an output statement */
	TY_VAR,      /* not yet known: ref is the binding once known */
	TY_ERROR,    /* an error was reported; suppress follow-on errors */
} TypeKind;

struct Type {
	TypeKind kind;
	int n;        /* TY_TUPLE: element count */
	Type **elems; /* TY_TUPLE */
	Type *elem;   /* TY_LIST, TY_OPTION, TY_STREAM, TY_DATASET, TY_STATE */
	Type *ref;    /* TY_VAR: the binding, or NULL */
};

Type *ty_int(void);
Type *ty_double(void);
Type *ty_bool(void);
Type *ty_string(void);
Type *ty_duration(void);
Type *ty_unit(void);
Type *ty_error(void);
Type *ty_var(void);
Type *ty_tuple(int n, Type **elems);
Type *ty_pair(Type *a, Type *b);
Type *ty_list(Type *elem);
Type *ty_option(Type *elem);
Type *ty_stream(Type *elem);
Type *ty_dataset(Type *elem);
Type *ty_state(Type *elem);

Type *ty_resolve(Type *t);
/* Binds variables so that a and b are equal; false if they cannot be. */
bool ty_unify(Type *a, Type *b);
bool ty_equal(Type *a, Type *b);
bool ty_is_numeric(Type *t);
/* A tuple, an option or a list: a C struct of its own in generated code. */
bool ty_is_composite(Type *t);
/* Holds strings or lists, which point into an arena: a copy must be deep. */
bool ty_has_refs(Type *t);
bool ty_is_error(Type *t); /* or contains an error */
/* Replaces unbound variables by Int (e.g. a lone None), so that every
 * value has a concrete representation. */
Type *ty_default(Type *t);
/* "DStream[(String, Int)]" */
char *ty_str(Type *t);
/* A prefix-free mangling for generated names: I D B S, L<e>, O<e>, T<n><e...> */
char *ty_mangle(Type *t);

#endif
