/* dsgen: a seeded generator of random, well-typed dstream programs, for the
 * differential tests of tests/diff/.
 *
 *   dsgen --seed S [--pipelines N] [--dir DIR]
 *       writes DIR/prog.dstream (default DIR: .) and the inputs it reads:
 *       queueStream files q1.txt.. and textFile files s1.txt..
 *   dsgen --stats --seed S --count N [--pipelines N]
 *       generates seeds S..S+N-1 without writing anything and prints, per
 *       operator and builtin, how many times the range used it.
 *
 * A program is N independent pipelines (default 10) over one to three
 * queueStreams, each ending in print or saveAsTextFiles, so one compilation
 * covers many programs.
 *
 * Requires: libc only.  Guarantees:
 *  - the same seed and options give the same bytes everywhere (own PRNG; no
 *    floating point in any decision);
 *  - every program passes `dstreamc check` (tests/diff/check.sh holds it to
 *    that for a fixed range of seeds);
 *  - what a program prints is fixed by lang/SPEC.md even where SPEC leaves
 *    an order open: reduce functions are associative and commutative and
 *    exact (Int arithmetic; Doubles only through max and min), the lists of
 *    groupByKey, cogroup and updateStateByKey are only ever reduced by
 *    order-blind functions (len, sum, filter), mapWithState emits and keeps
 *    order-blind values, print's count exceeds any batch, and builtins that
 *    can reject a record (toInt, /, xs[i], ...) appear only while records are
 *    still in their arrival order (a narrow chain from one queueStream), so
 *    that the sample a bad-record warning quotes is the first in the file.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *progname = "dsgen";

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* ---- memory: one arena per program, dropped when it is written ---------- */

typedef struct Chunk {
	struct Chunk *next;
	size_t used, cap;
	char mem[];
} Chunk;
static Chunk *arena;

static void *alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!arena || arena->cap - arena->used < n) {
		size_t cap = n > 1 << 16 ? n : 1 << 16;
		Chunk *c = malloc(sizeof *c + cap);
		if (!c)
			die("out of memory");
		c->next = arena;
		c->used = 0;
		c->cap = cap;
		arena = c;
	}
	void *p = arena->mem + arena->used;
	arena->used += n;
	return p;
}

static void arena_free(void)
{
	while (arena) {
		Chunk *n = arena->next;
		free(arena);
		arena = n;
	}
}

/* printf into the arena. */
static const char *sf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = alloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* A growable text buffer (malloc'd: it outlives nothing but the program). */
typedef struct Buf {
	char *p;
	size_t n, cap;
} Buf;

static void bprintf(Buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->n + (size_t)n + 1 > b->cap) {
		b->cap = (b->n + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

/* ---- randomness: splitmix64, integers only -------------------------------- */

static uint64_t rng;

static uint64_t next64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int rnd(int n) { return (int)(next64() % (uint64_t)n); }
static bool chance(int percent) { return rnd(100) < percent; }
#define PICK(arr) ((arr)[rnd((int)(sizeof(arr) / sizeof((arr)[0])))])

/* ---- statistics: what a seed range exercised ------------------------------ */

typedef struct Stat {
	const char *name;
	long n;
} Stat;
static Stat stats[256];
static int nstats;

/* Counts one use of NAME (a string literal: compared by content). */
static void used(const char *name)
{
	for (int i = 0; i < nstats; i++)
		if (!strcmp(stats[i].name, name)) {
			stats[i].n++;
			return;
		}
	if (nstats == (int)(sizeof stats / sizeof stats[0]))
		die("too many statistics");
	stats[nstats++] = (Stat){name, 1};
}

/* ---- types ---------------------------------------------------------------- */

typedef enum Kind { K_INT, K_DBL, K_BOOL, K_STR, K_PAIR, K_LIST, K_OPT } Kind;

typedef struct Ty {
	Kind k;
	const struct Ty *a, *b; /* K_PAIR: a, b; K_LIST, K_OPT: a */
} Ty;

static const Ty T_INT = {K_INT, 0, 0}, T_DBL = {K_DBL, 0, 0}, T_BOOL = {K_BOOL, 0, 0},
		T_STR = {K_STR, 0, 0};

static const Ty *mk(Kind k, const Ty *a, const Ty *b)
{
	Ty *t = alloc(sizeof *t);
	*t = (Ty){k, a, b};
	return t;
}
static const Ty *ty_pair(const Ty *a, const Ty *b) { return mk(K_PAIR, a, b); }
static const Ty *ty_list(const Ty *a) { return mk(K_LIST, a, NULL); }
static const Ty *ty_opt(const Ty *a) { return mk(K_OPT, a, NULL); }

static bool ty_eq(const Ty *x, const Ty *y)
{
	if (x->k != y->k)
		return false;
	if (x->a && !ty_eq(x->a, y->a))
		return false;
	return !x->b || ty_eq(x->b, y->b);
}

/* No Double anywhere inside: usable as a key (no -0.0 / NaN questions) and
 * reducible by ==. */
static bool no_double(const Ty *t)
{
	if (t->k == K_DBL)
		return false;
	return (!t->a || no_double(t->a)) && (!t->b || no_double(t->b));
}

static const Ty *rand_type(int depth)
{
	int r = rnd(depth > 0 ? 100 : 70);
	if (r < 28)
		return &T_INT;
	if (r < 50)
		return &T_STR;
	if (r < 60)
		return &T_DBL;
	if (r < 70)
		return &T_BOOL;
	if (r < 85)
		return ty_pair(rand_type(depth - 1), rand_type(depth - 1));
	if (r < 93)
		return ty_list(rand_type(depth - 1));
	return ty_opt(rand_type(depth - 1));
}

static const Ty *rand_key_type(void)
{
	int r = rnd(100);
	if (r < 50)
		return &T_STR;
	if (r < 80)
		return &T_INT;
	if (r < 88)
		return &T_BOOL;
	return ty_pair(&T_STR, &T_INT);
}

/* ---- expressions ---------------------------------------------------------- */

typedef struct Var {
	const char *name;
	const Ty *t;
} Var;

/* What an expression may use: variables in scope, and whether builtins that
 * reject records (bad records) are allowed here. */
typedef struct Env {
	Var v[24];
	int n;
	bool checked;
} Env;

static int fresh; /* lambda parameter and block val names: unique per program */

static void push(Env *e, const char *name, const Ty *t)
{
	if (e->n == (int)(sizeof e->v / sizeof e->v[0]))
		die("scope too deep");
	e->v[e->n++] = (Var){name, t};
}

/* Appends to out every field path from expr (of type vt) that has type t. */
static void paths(const char *expr, const Ty *vt, const Ty *t, const char **out, int *n, int max)
{
	if (*n < max && ty_eq(vt, t))
		out[(*n)++] = expr;
	if (vt->k == K_PAIR) {
		paths(sf("%s._1", expr), vt->a, t, out, n, max);
		paths(sf("%s._2", expr), vt->b, t, out, n, max);
	}
}

static const char *gen(Env *e, const Ty *t, int d);

static const char *const WORDS[] = {"a", "b", "c", "ab", "ba", "1", "2", "10", "-3", "0", "x", "a,b", "1,2", "q\"\\", "+7"};
static const char *const SEPS[] = {" ", ",", "a", "", "1"};
/* As written in dstream source: with escapes. */
static const char *const STRLITS[] = {"a", "b", "ab", "x", "1", "", " ", "-", "B", "\\\"", "\\\\", "\\t"};
static const char *const DBLLITS[] = {"0.5", "1.0", "2.5", "-1.5", "3.0", "0.25", "0.1", "100.0", "0.0", "1e15"};
/* Ints at the edges: overflow wraps, toString and abs of the smallest. */
static const char *const BIGINTS[] = {"9223372036854775807", "-9223372036854775808", "4611686018427387904"};
static const int NZ[] = {2, 3, -2, 7, 1, -1};

static const char *lit(const Ty *t)
{
	switch (t->k) {
	case K_INT: return chance(3) ? PICK(BIGINTS) : sf("%d", rnd(13) - 3);
	case K_DBL: return PICK(DBLLITS);
	case K_BOOL: return chance(50) ? "true" : "false";
	case K_STR: return sf("\"%s\"", PICK(STRLITS));
	case K_PAIR: return sf("(%s, %s)", lit(t->a), lit(t->b));
	case K_LIST: return sf("[%s]", lit(t->a));
	case K_OPT: return sf("Some(%s)", lit(t->a));
	}
	return "?";
}

/* A one-argument builtin in call or method form (the receiver parenthesised:
 * `1.abs` would not lex as a method call on 1). */
static const char *call1(const char *f, const char *x)
{
	switch (rnd(3)) {
	case 0: return sf("%s(%s)", f, x);
	case 1: return sf("(%s).%s()", x, f);
	default: return sf("(%s).%s", x, f);
	}
}

static const char *gen_lambda1(Env *e, const Ty *pt, const Ty *rt, int d)
{
	const char *y = sf("y%d", ++fresh);
	Env in = *e;
	push(&in, y, pt);
	return sf("%s => %s", y, gen(&in, rt, d));
}

static const char *gen_int(Env *e, int d)
{
	const Ty *T = &T_INT;
	for (;;) {
		switch (rnd(24)) {
		case 0: return lit(T);
		case 1: used("+"); return sf("(%s + %s)", gen(e, T, d - 1), gen(e, T, d - 1));
		case 2: used("-"); return sf("(%s - %s)", gen(e, T, d - 1), gen(e, T, d - 1));
		case 3: used("*"); return sf("(%s * %d)", gen(e, T, d - 1), rnd(7) - 2);
		case 4: used("/"); return sf("(%s / %d)", gen(e, T, d - 1), PICK(NZ));
		case 5: used("%"); return sf("(%s %% %d)", gen(e, T, d - 1), PICK(NZ));
		case 6: used("len"); return call1("len", gen(e, &T_STR, d - 1));
		case 7: used("len"); return call1("len", gen(e, ty_list(rand_type(0)), d - 1));
		case 8: used("abs"); return call1("abs", gen(e, T, d - 1));
		case 9: used("unary -"); return sf("(-%s)", gen(e, T, d - 1));
		case 10: used("sum"); return call1("sum", gen(e, ty_list(T), d - 1));
		case 11:
			used("?:");
			return sf("(%s ? %s : %s)", gen(e, &T_BOOL, d - 1), gen(e, T, d - 1), gen(e, T, d - 1));
		case 12: used("getOrElse"); return sf("getOrElse(%s, %s)", gen(e, ty_opt(T), d - 1), gen(e, T, d - 1));
		case 13: used("batchTime"); return "(batchTime() / 1000)";
		case 14: used("toInt(Double)"); return call1("toInt", gen(e, &T_DBL, d - 1));
		case 15: used("len(split)"); return sf("len(split(%s, \"%s\"))", gen(e, &T_STR, d - 1), PICK(SEPS));
		case 16: used("max(nonempty)"); return sf("max([%s, %s])", gen(e, T, d - 1), gen(e, T, d - 1));
		case 17: used("len(filter)");
			return sf("len(filter(%s, %s))", gen(e, ty_list(T), d - 1), gen_lambda1(e, T, &T_BOOL, d - 1));
		/* Below: builtins that may reject the record. */
		case 18:
			if (!e->checked) continue;
			used("toInt");
			return call1("toInt", gen(e, &T_STR, d - 1));
		case 19:
			if (!e->checked) continue;
			used("/ checked");
			return sf("(%s %s %s)", gen(e, T, d - 1), chance(50) ? "/" : "%", gen(e, T, d - 1));
		case 20:
			if (!e->checked) continue;
			used("index");
			return sf("%s[%s]", gen(e, ty_list(T), d - 1), chance(70) ? sf("%d", rnd(3)) : gen(e, T, d - 1));
		case 21:
			if (!e->checked) continue;
			used("min/max");
			return call1(chance(50) ? "min" : "max", gen(e, ty_list(T), d - 1));
		case 22:
			if (!e->checked) continue;
			used("toInt");
			return sf("toInt(split(%s, \" \")[0])", gen(e, &T_STR, d - 1));
		default: return lit(T);
		}
	}
}

static const char *gen_dbl(Env *e, int d)
{
	const Ty *T = &T_DBL;
	for (;;) {
		switch (rnd(14)) {
		case 0: return lit(T);
		case 1: used("+"); return sf("(%s + %s)", gen(e, T, d - 1), gen(e, chance(30) ? &T_INT : T, d - 1));
		case 2: used("-"); return sf("(%s - %s)", gen(e, chance(30) ? &T_INT : T, d - 1), gen(e, T, d - 1));
		case 3: used("*"); return sf("(%s * %s)", gen(e, T, d - 1), gen(e, chance(50) ? &T_INT : T, d - 1));
		case 4: used("/"); return sf("(%s / %s)", gen(e, T, d - 1), PICK(DBLLITS));
		case 5: used("toDouble(Int)"); return call1("toDouble", gen(e, &T_INT, d - 1));
		case 6: used("abs"); return call1("abs", gen(e, T, d - 1));
		case 7:
			used("?:");
			return sf("(%s ? %s : %s)", gen(e, &T_BOOL, d - 1), gen(e, T, d - 1), gen(e, T, d - 1));
		case 8: used("getOrElse"); return sf("getOrElse(%s, %s)", gen(e, ty_opt(T), d - 1), gen(e, T, d - 1));
		case 9: used("sum"); return call1("sum", gen(e, ty_list(T), d - 1));
		case 10: used("unary -"); return sf("(-%s)", gen(e, T, d - 1));
		case 11:
			if (!e->checked) continue;
			used("toDouble");
			return call1("toDouble", gen(e, &T_STR, d - 1));
		case 12:
			if (!e->checked) continue;
			used("min/max");
			return call1(chance(50) ? "min" : "max", gen(e, ty_list(T), d - 1));
		default: return lit(T);
		}
	}
}

static const char *gen_bool(Env *e, int d)
{
	static const char *const CMP[] = {"<", "<=", ">", ">=", "==", "!="};
	switch (rnd(13)) {
	case 0: return lit(&T_BOOL);
	case 1: used("compare"); return sf("(%s %s %s)", gen(e, &T_INT, d - 1), PICK(CMP), gen(e, &T_INT, d - 1));
	case 2: used("compare"); return sf("(%s %s %s)", gen(e, &T_DBL, d - 1), PICK(CMP), gen(e, chance(50) ? &T_INT : &T_DBL, d - 1));
	case 3: used("compare"); return sf("(%s %s %s)", gen(e, &T_STR, d - 1), PICK(CMP), gen(e, &T_STR, d - 1));
	case 4: {
		used("== structural");
		const Ty *u = rand_type(1);
		return sf("(%s %s %s)", gen(e, u, d - 1), chance(50) ? "==" : "!=", gen(e, u, d - 1));
	}
	case 5: used("!"); return sf("!%s", gen(e, &T_BOOL, d - 1));
	case 6: used("&&"); return sf("(%s && %s)", gen(e, &T_BOOL, d - 1), gen(e, &T_BOOL, d - 1));
	case 7: used("||"); return sf("(%s || %s)", gen(e, &T_BOOL, d - 1), gen(e, &T_BOOL, d - 1));
	case 8: {
		static const char *const F[] = {"contains", "startsWith", "endsWith"};
		const char *f = PICK(F);
		used(f);
		const char *a = gen(e, &T_STR, d - 1), *b = gen(e, &T_STR, d - 1);
		return chance(50) ? sf("%s(%s, %s)", f, a, b) : sf("(%s).%s(%s)", a, f, b);
	}
	case 9: {
		const char *f = chance(50) ? "isEmpty" : "isDefined";
		used(f);
		return call1(f, gen(e, ty_opt(rand_type(0)), d - 1));
	}
	case 10: used("?:"); return sf("(%s ? %s : %s)", gen(e, &T_BOOL, d - 1), gen(e, &T_BOOL, d - 1), gen(e, &T_BOOL, d - 1));
	default: return sf("(%s > %d)", gen(e, &T_INT, d - 1), rnd(4));
	}
}

static const char *gen_str(Env *e, int d)
{
	const Ty *T = &T_STR;
	for (;;) {
		switch (rnd(14)) {
		case 0: return lit(T);
		case 1: used("+ String"); return sf("(%s + %s)", gen(e, T, d - 1), gen(e, T, d - 1));
		case 2: {
			static const char *const F[] = {"upper", "lower", "trim"};
			const char *f = PICK(F);
			used(f);
			return call1(f, gen(e, T, d - 1));
		}
		case 3: used("substr"); return sf("substr(%s, 0, %d)", gen(e, T, d - 1), rnd(4));
		case 4: used("toString"); return call1("toString", gen(e, rand_type(1), d - 1));
		case 5: used("getOrElse"); return sf("getOrElse(%s, %s)", gen(e, ty_opt(T), d - 1), gen(e, T, d - 1));
		case 6:
			used("?:");
			return sf("(%s ? %s : %s)", gen(e, &T_BOOL, d - 1), gen(e, T, d - 1), gen(e, T, d - 1));
		case 7: used("toString"); return sf("toString(%s)", gen(e, &T_INT, d - 1));
		case 8:
			if (!e->checked) continue;
			used("index");
			return sf("split(%s, \"%s\")[%d]", gen(e, T, d - 1), PICK(SEPS), rnd(3));
		case 9:
			if (!e->checked) continue;
			used("substr checked");
			return sf("substr(%s, %s, %d)", gen(e, T, d - 1), chance(50) ? sf("%d", 1 + rnd(2)) : gen(e, &T_INT, d - 1), rnd(3));
		default: return lit(T);
		}
	}
}

static const char *gen_list(Env *e, const Ty *t, int d)
{
	const Ty *el = t->a;
	switch (rnd(9)) {
	case 0: case 1: {
		int n = 1 + rnd(3);
		const char *s = gen(e, el, d - 1);
		for (int i = 1; i < n; i++)
			s = sf("%s, %s", s, gen(e, el, d - 1));
		used("list literal");
		return sf("[%s]", s);
	}
	case 2:
		if (el->k == K_STR) {
			used("split");
			return chance(50) ? sf("split(%s, \"%s\")", gen(e, &T_STR, d - 1), PICK(SEPS))
					  : sf("(%s).split(\"%s\")", gen(e, &T_STR, d - 1), PICK(SEPS));
		}
		break;
	case 3:
		if (el->k == K_STR) {
			used("chars");
			return call1("chars", gen(e, &T_STR, d - 1));
		}
		break;
	case 4: case 5: {
		const Ty *u = rand_type(0);
		used("List.map");
		const char *xs = gen(e, ty_list(u), d - 1), *f = gen_lambda1(e, u, el, d - 1);
		return chance(50) ? sf("map(%s, %s)", xs, f) : sf("(%s).map(%s)", xs, f);
	}
	case 6: {
		used("List.filter");
		const char *xs = gen(e, t, d - 1), *f = gen_lambda1(e, el, &T_BOOL, d - 1);
		return chance(50) ? sf("filter(%s, %s)", xs, f) : sf("(%s).filter(%s)", xs, f);
	}
	case 7: used("+ List"); return sf("(%s + %s)", gen(e, t, d - 1), gen(e, t, d - 1));
	case 8: used("[]"); return sf("(%s ? %s : [])", gen(e, &T_BOOL, d - 1), gen(e, t, d - 1));
	}
	return sf("[%s]", gen(e, el, d - 1));
}

/* An expression of type t; d bounds the nesting. */
static const char *gen(Env *e, const Ty *t, int d)
{
	const char *cand[32];
	int n = 0;
	for (int i = 0; i < e->n; i++)
		paths(e->v[i].name, e->v[i].t, t, cand, &n, 32);
	if (n && (d <= 0 || chance(35)))
		return cand[rnd(n)];
	if (d <= 0) {
		if (t->k == K_PAIR)
			return sf("(%s, %s)", gen(e, t->a, 0), gen(e, t->b, 0));
		if (t->k == K_LIST)
			return sf("[%s]", gen(e, t->a, 0));
		if (t->k == K_OPT)
			return sf("Some(%s)", gen(e, t->a, 0));
		return lit(t);
	}
	switch (t->k) {
	case K_INT: return gen_int(e, d);
	case K_DBL: return gen_dbl(e, d);
	case K_BOOL: return gen_bool(e, d);
	case K_STR: return gen_str(e, d);
	case K_PAIR: return sf("(%s, %s)", gen(e, t->a, d - 1), gen(e, t->b, d - 1));
	case K_LIST: return gen_list(e, t, d);
	case K_OPT:
		if (chance(60)) {
			used("Some");
			return sf("Some(%s)", gen(e, t->a, d - 1));
		}
		used("None");
		return sf("(%s ? Some(%s) : None)", gen(e, &T_BOOL, d - 1), gen(e, t->a, d - 1));
	}
	return "?";
}

/* A lambda body: sometimes a block with a local val. */
static const char *gen_body(Env *e, const Ty *t, int d)
{
	if (!chance(20))
		return gen(e, t, d);
	const char *z = sf("z%d", ++fresh);
	const Ty *u = rand_type(1);
	const char *v = gen(e, u, d - 1);
	Env in = *e;
	push(&in, z, u);
	used("block");
	return sf("{ val %s = %s; %s }", z, v, gen(&in, t, d));
}

static const char *lambda1(Env *e, const char **pname, const Ty *pt, const Ty *rt)
{
	const char *x = sf("x%d", ++fresh);
	Env in = *e;
	push(&in, x, pt);
	if (pname)
		*pname = x;
	return sf("%s => %s", x, gen_body(&in, rt, 3));
}

/* A key of type K computed from a value of type vt: simple, so that keys
 * collide (joins meet, reductions combine) on the small input vocabulary. */
static const char *gen_key(Env *e, const Ty *K, const char *x, const Ty *vt)
{
	if (chance(60)) {
		const char *cand[32];
		int n = 0;
		paths(x, vt, K, cand, &n, 32);
		if (n)
			return cand[rnd(n)];
		const char *s[32];
		int ns = 0;
		paths(x, vt, &T_STR, s, &ns, 32);
		const char *i[32];
		int ni = 0;
		paths(x, vt, &T_INT, i, &ni, 32);
		if (K->k == K_STR && ns)
			return chance(50) ? sf("substr(%s, 0, 1)", s[rnd(ns)]) : sf("trim(%s)", s[rnd(ns)]);
		if (K->k == K_STR && ni)
			return sf("toString(%s %% 3)", i[rnd(ni)]);
		if (K->k == K_INT && ns)
			return sf("len(%s)", s[rnd(ns)]);
		if (K->k == K_INT && ni)
			return sf("(%s %% 3)", i[rnd(ni)]);
		if (K->k == K_BOOL && ni)
			return sf("(%s > 0)", i[rnd(ni)]);
		if (K->k == K_BOOL && ns)
			return sf("(len(%s) > 1)", s[rnd(ns)]);
	}
	return gen(e, K, 2);
}

/* ---- streams and pipelines ------------------------------------------------ */

typedef struct Stream {
	const char *expr; /* dstream text of the stream */
	const Ty *t;
	int slide;        /* in batches: outputs happen at multiples of it */
	bool ordered;     /* records still in their arrival order from one queue */
	bool single;      /* at most one record per batch */
	bool dataset;     /* a static Dataset */
} Stream;

typedef struct Gen {
	Buf out;            /* the statements of the pipelines */
	int nqueues;        /* queue files q1..qN available */
	bool qused[4];      /* which were read */
	int nstatic;        /* static files s1..sN written */
	int batch_ms;
	int nval;
	int pipe;
} Gen;

static const char *dur(Gen *g, int batches)
{
	long ms = (long)batches * g->batch_ms;
	if (ms % 1000 == 0 && chance(80))
		return sf("%lds", ms / 1000);
	return sf("%ldms", ms);
}

/* Names s, as `val pP_N = s;`, so that later steps stay short. */
static Stream *name(Gen *g, Stream *s)
{
	const char *v = sf("p%d_%d", g->pipe, ++g->nval);
	bprintf(&g->out, "val %s = %s;\n", v, s->expr);
	s->expr = v;
	return s;
}

static Stream source(Gen *g)
{
	int q = 1 + rnd(g->nqueues);
	g->qused[q] = true;
	used("queueStream");
	return (Stream){sf("q%d", q), &T_STR, 1, true, false, false};
}

static Stream static_source(Gen *g)
{
	int s = ++g->nstatic;
	used("textFile");
	return (Stream){sf("textFile(\"s%d.txt\")", s), &T_STR, 1, true, false, true};
}

static Env env_of(const Stream *s)
{
	Env e = {.n = 0, .checked = s->ordered};
	return e;
}

/* map to a random type, or to a pair (K, V) for the keyed operators. */
static void op_map(Stream *s, const Ty *to)
{
	Env e = env_of(s);
	const char *x = sf("x%d", ++fresh);
	Env in = e;
	push(&in, x, s->t);
	const char *body;
	if (to->k == K_PAIR && chance(70))
		body = sf("(%s, %s)", gen_key(&in, to->a, x, s->t), gen_body(&in, to->b, 3));
	else
		body = gen_body(&in, to, 3);
	used("map");
	s->expr = sf("%s.map(%s => %s)", s->expr, x, body);
	s->t = to;
}

/* The keyed form of s: a map to (K, V) unless it is one already. */
static void make_pairs(Stream *s)
{
	if (s->t->k == K_PAIR && no_double(s->t->a))
		return;
	op_map(s, ty_pair(rand_key_type(), rand_type(1)));
}

static void op_narrow(Gen *g, Stream *s)
{
	(void)g;
	Env e = env_of(s);
	int r = rnd(100);
	if (r < 30) {
		op_map(s, chance(40) ? ty_pair(rand_key_type(), rand_type(1)) : rand_type(1));
	} else if (r < 50) {
		used("filter");
		s->expr = sf("%s.filter(%s)", s->expr, lambda1(&e, NULL, s->t, &T_BOOL));
	} else if (r < 68) {
		const Ty *u = rand_type(1);
		if (chance(75)) {
			used("flatMap");
			s->expr = sf("%s.flatMap(%s)", s->expr, lambda1(&e, NULL, s->t, ty_list(u)));
		} else {
			used("flatMap(Option)");
			s->expr = sf("%s.flatMap(%s)", s->expr, lambda1(&e, NULL, s->t, ty_opt(u)));
		}
		s->t = u;
	} else if (r < 90 && s->t->k == K_PAIR) {
		const Ty *u = rand_type(1);
		if (chance(60)) {
			used("mapValues");
			s->expr = sf("%s.mapValues(%s)", s->expr, lambda1(&e, NULL, s->t->b, u));
		} else {
			used("flatMapValues");
			s->expr = sf("%s.flatMapValues(%s)", s->expr, lambda1(&e, NULL, s->t->b, ty_list(u)));
		}
		s->t = ty_pair(s->t->a, u);
	} else if (r < 90) {
		op_map(s, rand_type(1));
	} else if (r < 95 && !s->dataset) {
		used("repartition");
		s->expr = sf("%s.repartition(%d)", s->expr, 1 + rnd(4));
	} else {
		used("filter");
		s->expr = sf("%s.filter(%s)", s->expr, lambda1(&e, NULL, s->t, &T_BOOL));
	}
}

/* An associative, commutative and exact reduce function on t, or NULL. */
static const char *reducer(const Ty *t)
{
	switch (t->k) {
	case K_INT:
		switch (rnd(5)) {
		case 0: return "_ + _";
		case 1: return "(a, b) => a + b";
		case 2: return "(a, b) => a > b ? a : b";
		case 3: return "(a, b) => min([a, b])";
		default: return "(a, b) => a * b";
		}
	case K_DBL:
	case K_STR:
		return chance(50) ? "(a, b) => a > b ? a : b" : "(a, b) => a < b ? a : b";
	case K_BOOL: return chance(50) ? "(a, b) => a && b" : "_ || _";
	case K_PAIR:
		if (t->a->k == K_INT && t->b->k == K_INT)
			return "(a, b) => (a._1 + b._1, a._2 + b._2)";
		return NULL;
	default: return NULL;
	}
}

/* The inverse of the + reducers, on Int and (Int, Int). */
static bool invertible(const Ty *t)
{
	return t->k == K_INT || (t->k == K_PAIR && t->a->k == K_INT && t->b->k == K_INT);
}
static const char *adder(const Ty *t) { return t->k == K_INT ? (chance(50) ? "_ + _" : "(a, b) => a + b") : "(a, b) => (a._1 + b._1, a._2 + b._2)"; }
static const char *inverse(const Ty *t) { return t->k == K_INT ? (chance(50) ? "_ - _" : "(a, b) => a - b") : "(a, b) => (a._1 - b._1, a._2 - b._2)"; }

/* An order-blind Int from a list of vt (possibly empty). */
static const char *list_agg(Env *e, const char *xs, const Ty *vt)
{
	switch (rnd(4)) {
	case 0: return sf("len(%s)", xs);
	case 1: return sf("len(%s.filter(%s))", xs, gen_lambda1(e, vt, &T_BOOL, 2));
	case 2:
		if (vt->k == K_INT)
			return sf("sum(%s)", xs);
		/* fall through */
	default: return sf("sum(%s.map(%s))", xs, gen_lambda1(e, vt, &T_INT, 2));
	}
}

/* After a list-valued operator, make the value order-blind. */
static void agg_values(Stream *s, const Ty *vt)
{
	Env e = {.checked = false};
	const char *v = sf("v%d", ++fresh);
	used("mapValues");
	s->expr = sf("%s.mapValues(%s => %s)", s->expr, v, list_agg(&e, v, vt));
	s->t = ty_pair(s->t->a, &T_INT);
}

/* Window and slide, in batches: multiples of the input's slide, the window a
 * multiple of the slide (Spark requires both). */
static void window_args(Stream *s, int *w, int *sl)
{
	*sl = s->slide * (1 + rnd(2));
	*w = *sl * (1 + rnd(3));
}

/* The other side of a join: a keyed stream from a queue, or a static
 * Dataset, with key type K. */
static Stream join_side(Gen *g, const Ty *K)
{
	Stream o = chance(35) ? static_source(g) : source(g);
	if (chance(30))
		op_narrow(g, &o);
	Env e = env_of(&o);
	const char *x = sf("x%d", ++fresh);
	push(&e, x, o.t);
	const Ty *W = rand_type(1);
	used("map");
	o.expr = sf("%s.map(%s => (%s, %s))", o.expr, x, gen_key(&e, K, x, o.t), gen_body(&e, W, 2));
	o.t = ty_pair(K, W);
	return o;
}

static void op_join(Gen *g, Stream *s)
{
	static const char *const J[] = {"join", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "cogroup"};
	make_pairs(s);
	const Ty *K = s->t->a, *V = s->t->b;
	Stream o = join_side(g, K);
	if (o.dataset)
		o = *name(g, &o);
	const Ty *W = o.t->b;
	int j = rnd(5);
	used(J[j]);
	if (o.dataset)
		used("join with Dataset");
	s->expr = sf("%s.%s(%s)", s->expr, J[j], o.expr);
	switch (j) {
	case 0: s->t = ty_pair(K, ty_pair(V, W)); break;
	case 1: s->t = ty_pair(K, ty_pair(V, ty_opt(W))); break;
	case 2: s->t = ty_pair(K, ty_pair(ty_opt(V), W)); break;
	case 3: s->t = ty_pair(K, ty_pair(ty_opt(V), ty_opt(W))); break;
	default: {
		Env e = {.checked = false};
		const char *c = sf("c%d", ++fresh);
		used("mapValues");
		s->expr = sf("%s.mapValues(%s => (%s, %s))", s->expr, c,
			     list_agg(&e, sf("%s._1", c), V), list_agg(&e, sf("%s._2", c), W));
		s->t = ty_pair(K, ty_pair(&T_INT, &T_INT));
	}
	}
}

static void op_union(Gen *g, Stream *s)
{
	Stream o = source(g);
	if (chance(40))
		op_narrow(g, &o);
	if (!ty_eq(o.t, s->t))
		op_map(&o, s->t);
	used("union");
	s->expr = sf("%s.union(%s)", s->expr, o.expr);
}

static void op_window(Gen *g, Stream *s)
{
	int w, sl;
	window_args(s, &w, &sl);
	const char *W = dur(g, w), *S = dur(g, sl);
	const char *f;
	switch (rnd(8)) {
	case 0:
		used("window");
		s->expr = (sl == 1 && s->slide == 1 && chance(40)) ? sf("%s.window(%s)", s->expr, W)
								     : sf("%s.window(%s, %s)", s->expr, W, S);
		break;
	case 1:
		used("countByWindow");
		s->expr = sf("%s.countByWindow(%s, %s)", s->expr, W, S);
		s->t = &T_INT;
		s->single = true;
		break;
	case 2:
		if (!(f = reducer(s->t))) {
			op_map(s, &T_INT);
			f = reducer(s->t);
		}
		used("reduceByWindow");
		s->expr = sf("%s.reduceByWindow(%s, %s, %s)", s->expr, f, W, S);
		s->single = true;
		break;
	case 3:
		if (!invertible(s->t))
			op_map(s, &T_INT);
		used("reduceByWindow(inv)");
		s->expr = sf("%s.reduceByWindow(%s, %s, %s, %s)", s->expr, adder(s->t), inverse(s->t), W, S);
		s->single = true;
		break;
	case 4:
		make_pairs(s);
		if (!(f = reducer(s->t->b))) {
			Env e = {.checked = s->ordered};
			used("mapValues");
			s->expr = sf("%s.mapValues(%s)", s->expr, lambda1(&e, NULL, s->t->b, &T_INT));
			s->t = ty_pair(s->t->a, &T_INT);
			f = reducer(s->t->b);
		}
		used("reduceByKeyAndWindow");
		s->expr = (sl == 1 && s->slide == 1 && chance(40))
				  ? sf("%s.reduceByKeyAndWindow(%s, %s)", s->expr, f, W)
				  : sf("%s.reduceByKeyAndWindow(%s, %s, %s)", s->expr, f, W, S);
		break;
	case 5: {
		make_pairs(s);
		if (!invertible(s->t->b)) {
			Env e = {.checked = s->ordered};
			used("mapValues");
			s->expr = sf("%s.mapValues(%s)", s->expr, lambda1(&e, NULL, s->t->b, &T_INT));
			s->t = ty_pair(s->t->a, &T_INT);
		}
		const char *a = adder(s->t->b), *i = inverse(s->t->b);
		if (chance(50)) {
			used("reduceByKeyAndWindow(inv, filter)");
			Env e = {.checked = false};
			s->expr = sf("%s.reduceByKeyAndWindow(%s, %s, %s, %s, %s)", s->expr, a, i, W, S,
				     lambda1(&e, NULL, s->t, &T_BOOL));
		} else {
			used("reduceByKeyAndWindow(inv)");
			s->expr = sf("%s.reduceByKeyAndWindow(%s, %s, %s, %s)", s->expr, a, i, W, S);
		}
		break;
	}
	case 6:
		if (!no_double(s->t))
			op_map(s, rand_key_type());
		used("countByValueAndWindow");
		s->expr = sf("%s.countByValueAndWindow(%s, %s)", s->expr, W, S);
		s->t = ty_pair(s->t, &T_INT);
		break;
	default: {
		make_pairs(s);
		const Ty *V = s->t->b;
		used("groupByKeyAndWindow");
		s->expr = (sl == 1 && s->slide == 1 && chance(40)) ? sf("%s.groupByKeyAndWindow(%s)", s->expr, W)
								     : sf("%s.groupByKeyAndWindow(%s, %s)", s->expr, W, S);
		s->t = ty_pair(s->t->a, ty_list(V));
		agg_values(s, V);
		break;
	}
	}
	s->slide = sl;
	s->ordered = false;
}

/* An initial state: a static Dataset of (K, S) pairs, named. */
static const char *initial_state(Gen *g, const Ty *K, const Ty *S)
{
	Stream d = static_source(g);
	Env e = {.checked = false};
	const char *x = sf("x%d", ++fresh);
	push(&e, x, &T_STR);
	used("map");
	d.expr = sf("%s.map(%s => (%s, %s))", d.expr, x, gen_key(&e, K, x, &T_STR), gen(&e, S, 2));
	d.t = ty_pair(K, S);
	return name(g, &d)->expr;
}

static void op_update_state(Gen *g, Stream *s)
{
	make_pairs(s);
	const Ty *V = s->t->b;
	const Ty *S = chance(60) ? &T_INT : rand_type(1);
	Env e = {.checked = false};
	const char *vs = sf("vs%d", ++fresh), *st = sf("st%d", fresh), *c = sf("n%d", fresh),
		   *t = sf("t%d", fresh);
	Env in = e;
	push(&in, c, &T_INT);
	push(&in, st, ty_opt(S));
	const char *lets = sf("val %s = len(%s);", c, vs);
	if (chance(60)) {
		lets = sf("%s val %s = %s;", lets, t, list_agg(&e, vs, V));
		push(&in, t, &T_INT);
	}
	const char *next;
	if (S->k == K_INT && chance(60))
		next = sf("Some(getOrElse(%s, 0) + %s)", st, gen(&in, &T_INT, 2));
	else
		next = sf("Some(%s)", gen(&in, S, 2));
	const char *body;
	switch (rnd(3)) {
	case 0: body = next; break;
	case 1: body = sf("%s == 0 ? None : %s", c, next); break;
	default: body = sf("%s ? None : %s", gen(&in, &T_BOOL, 2), next); break;
	}
	used("updateStateByKey");
	if (chance(25)) {
		used("updateStateByKey(initial)");
		const char *init = initial_state(g, s->t->a, S);
		s->expr = sf("%s.updateStateByKey((%s, %s) => { %s %s }, %s)", s->expr, vs, st, lets, body, init);
	} else {
		s->expr = sf("%s.updateStateByKey((%s, %s) => { %s %s })", s->expr, vs, st, lets, body);
	}
	s->t = ty_pair(s->t->a, S);
}

static void op_map_with_state(Gen *g, Stream *s)
{
	make_pairs(s);
	const Ty *K = s->t->a, *V = s->t->b;
	int id = ++fresh;
	const char *k = sf("k%d", id), *v = sf("v%d", id), *st = sf("st%d", id), *n = sf("n%d", id);
	Env e = {.checked = false};
	push(&e, k, K);
	push(&e, v, ty_opt(V));
	/* The state is an Int: a count, or a sum of a function of the value;
	 * the record emitted is order-blind: the count so far (a multiset
	 * 1..n per key and batch) or something of the record alone. */
	bool count = chance(50);
	const char *upd, *rec;
	const Ty *rt;
	if (count) {
		upd = sf("val %s = getOrElse(getOption(%s), 0) + 1; update(%s, %s);", n, st, st, n);
		Env in = {.checked = false}; /* not the value: paired with the count, it would show the order */
		push(&in, k, K);
		push(&in, n, &T_INT);
		if (chance(50)) {
			rec = sf("(%s, %s)", k, n);
			rt = ty_pair(K, &T_INT);
		} else {
			rt = rand_type(1);
			while (rt->k == K_OPT)
				rt = rand_type(1);
			rec = gen(&in, rt, 2);
		}
	} else {
		upd = sf("val %s = %s; update(%s, getOrElse(getOption(%s), 0) + %s);", n, gen(&e, &T_INT, 2), st, st, n);
		Env in = e;
		push(&in, n, &T_INT);
		rt = rand_type(1);
		while (rt->k == K_OPT) /* an Option result would be emitted flattened */
			rt = rand_type(1);
		rec = gen(&in, rt, 2);
	}
	bool timeout = chance(40);
	const char *body;
	if (timeout) {
		const char *onto = chance(50) ? "None" : sf("Some(%s)", lit(rt));
		body = sf("isTimingOut(%s) ? %s : Some({ %s %s })", st, onto, upd, rec);
	} else if (chance(30)) {
		body = sf("{ %s %s > 1 ? Some(%s) : None }", upd, n, rec);
	} else {
		body = sf("{ %s %s }", upd, rec);
	}
	const char *args = sf("(%s, %s, %s) => %s", k, v, st, body);
	used("mapWithState");
	if (timeout) {
		used("mapWithState(timeout)");
		args = sf("%s, %s", args, dur(g, 1 + rnd(3)));
	}
	if (chance(20)) {
		used("mapWithState(initial)");
		args = sf("%s, %s", args, initial_state(g, K, &T_INT));
	}
	s->expr = sf("%s.mapWithState(%s)", s->expr, args);
	s->t = rt;
	if (chance(35)) {
		used("stateSnapshots");
		s->expr = sf("%s.stateSnapshots()", s->expr);
		s->t = ty_pair(K, &T_INT);
	}
	s->ordered = false;
	s->single = false;
}

/* One step that is not narrow. */
static void op_wide(Gen *g, Stream *s)
{
	int r = rnd(100);
	const char *f;
	if (r < 8) {
		used("count");
		s->expr = sf("%s.count()", s->expr);
		s->t = &T_INT;
		s->single = true;
	} else if (r < 16) {
		if (!(f = reducer(s->t))) {
			op_map(s, chance(50) ? &T_INT : &T_STR);
			f = reducer(s->t);
		}
		used("reduce");
		s->expr = sf("%s.reduce(%s)", s->expr, f);
		s->single = true;
	} else if (r < 24) {
		if (!no_double(s->t))
			op_map(s, rand_key_type());
		used("countByValue");
		s->expr = sf("%s.countByValue()", s->expr);
		s->t = ty_pair(s->t, &T_INT);
		s->single = false;
	} else if (r < 36) {
		make_pairs(s);
		if (!(f = reducer(s->t->b))) {
			Env e = {.checked = s->ordered};
			used("mapValues");
			s->expr = sf("%s.mapValues(%s)", s->expr, lambda1(&e, NULL, s->t->b, &T_INT));
			s->t = ty_pair(s->t->a, &T_INT);
			f = reducer(s->t->b);
		}
		used("reduceByKey");
		s->expr = sf("%s.reduceByKey(%s)", s->expr, f);
	} else if (r < 44) {
		make_pairs(s);
		const Ty *V = s->t->b;
		used("groupByKey");
		s->expr = sf("%s.groupByKey()", s->expr);
		s->t = ty_pair(s->t->a, ty_list(V));
		agg_values(s, V);
	} else if (r < 58 && s->slide == 1) {
		op_join(g, s);
		s->single = false;
	} else if (r < 64 && s->slide == 1 && !s->single) {
		op_union(g, s);
	} else if (r < 80) {
		op_window(g, s);
		return;
	} else if (r < 90) {
		op_update_state(g, s);
		s->single = false;
	} else {
		op_map_with_state(g, s);
	}
	s->ordered = false;
}

static void output(Gen *g, Stream *s)
{
	if (chance(20)) {
		used("saveAsTextFiles");
		if (chance(50))
			bprintf(&g->out, "%s.saveAsTextFiles(\"out%d\", \"txt\");\n", s->expr, g->pipe);
		else
			bprintf(&g->out, "%s.saveAsTextFiles(\"out%d\");\n", s->expr, g->pipe);
	} else if (s->single && chance(50)) {
		used("print");
		bprintf(&g->out, "%s.print();\n", s->expr);
	} else {
		/* More than any batch can hold: which records a short print shows
		 * is not specified. */
		used("print");
		bprintf(&g->out, "%s.print(1000000);\n", s->expr);
	}
}

static void pipeline(Gen *g)
{
	Stream s = source(g);
	int steps = 1 + rnd(5);
	bool wide = false;
	for (int i = 0; i < steps; i++) {
		if (chance(i == steps - 1 && !wide ? 80 : 45)) {
			op_wide(g, &s);
			wide = true;
		} else {
			op_narrow(g, &s);
			s.single = false;
		}
		if (chance(30) || strlen(s.expr) > 300) {
			name(g, &s);
			/* A second consumer of an intermediate stream, now and then. */
			if (chance(15))
				output(g, &s);
		}
	}
	output(g, &s);
}

/* ---- inputs ------------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(text, 1, n, f) != n || fclose(f))
		die("cannot write %s", path);
}

static void gen_line(Buf *b)
{
	int r = rnd(100);
	if (r < 4) {
		bprintf(b, "\n"); /* an empty record */
		return;
	}
	int n = 1 + rnd(3);
	for (int i = 0; i < n; i++)
		bprintf(b, "%s%s", i ? " " : (r < 8 ? " " : ""), PICK(WORDS));
	bprintf(b, "\n");
}

static void gen_queue(Buf *b)
{
	int nb = 2 + rnd(5);
	for (int i = 0; i < nb; i++) {
		int nl = rnd(100) < 15 ? 0 : 1 + rnd(4);
		for (int j = 0; j < nl; j++)
			gen_line(b);
		if (i < nb - 1 || chance(70))
			bprintf(b, "---\n");
	}
}

/* ---- the program ---------------------------------------------------------- */

static void gen_program(uint64_t seed, int npipes, const char *dir)
{
	rng = seed * 0x2545f4914f6cdd1dull + 1;
	fresh = 0;
	Gen g = {0};
	static const int BATCH[] = {1000, 1000, 1000, 500, 2000};
	g.batch_ms = PICK(BATCH);
	g.nqueues = 1 + rnd(3);
	for (g.pipe = 1; g.pipe <= npipes; g.pipe++) {
		g.nval = 0;
		bprintf(&g.out, "// pipeline %d\n", g.pipe);
		pipeline(&g);
	}

	Buf prog = {0};
	bprintf(&prog, "// dsgen --seed %llu --pipelines %d\n", (unsigned long long)seed, npipes);
	bprintf(&prog, "batch %s;\n", g.batch_ms % 1000 ? sf("%dms", g.batch_ms) : sf("%ds", g.batch_ms / 1000));
	for (int q = 1; q <= g.nqueues; q++)
		if (g.qused[q])
			bprintf(&prog, "val q%d = queueStream(\"q%d.txt\");\n", q, q);
	bprintf(&prog, "%.*s", (int)g.out.n, g.out.p ? g.out.p : "");

	if (dir) {
		write_file(dir, "prog.dstream", prog.p, prog.n);
		for (int q = 1; q <= g.nqueues; q++) {
			if (!g.qused[q])
				continue;
			Buf b = {0};
			gen_queue(&b);
			write_file(dir, sf("q%d.txt", q), b.p ? b.p : "", b.n);
			free(b.p);
		}
		for (int s = 1; s <= g.nstatic; s++) {
			Buf b = {0};
			int n = 2 + rnd(4);
			for (int i = 0; i < n; i++)
				bprintf(&b, "%s\n", PICK(WORDS));
			write_file(dir, sf("s%d.txt", s), b.p, b.n);
			free(b.p);
		}
	}
	free(prog.p);
	free(g.out.p);
	arena_free();
}

static int cmp_stat(const void *a, const void *b)
{
	const Stat *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static long num(const char *opt, const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0)
		die("%s needs a non-negative number, got '%s'", opt, s);
	return v;
}

int main(int argc, char **argv)
{
	long seed = -1, count = 1, npipes = 10;
	const char *dir = ".";
	bool want_stats = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--stats")) {
			want_stats = true;
		} else if (i + 1 < argc && !strcmp(a, "--seed")) {
			seed = num(a, argv[++i]);
		} else if (i + 1 < argc && !strcmp(a, "--count")) {
			count = num(a, argv[++i]);
		} else if (i + 1 < argc && !strcmp(a, "--pipelines")) {
			npipes = num(a, argv[++i]);
		} else if (i + 1 < argc && !strcmp(a, "--dir")) {
			dir = argv[++i];
		} else {
			fprintf(stderr, "usage: dsgen --seed S [--pipelines N] [--dir DIR]\n"
					"       dsgen --stats --seed S --count N [--pipelines N]\n");
			return 2;
		}
	}
	if (seed < 0)
		die("--seed is required");
	if (npipes < 1)
		die("--pipelines must be at least 1");
	if (!want_stats) {
		struct stat sb;
		if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
			die("no such directory: %s", dir);
		gen_program((uint64_t)seed, (int)npipes, dir);
		return 0;
	}
	for (long i = 0; i < count; i++)
		gen_program((uint64_t)(seed + i), (int)npipes, NULL);
	qsort(stats, (size_t)nstats, sizeof stats[0], cmp_stat);
	printf("seeds %ld..%ld, %ld pipelines each\n", seed, seed + count - 1, npipes);
	for (int i = 0; i < nstats; i++)
		printf("%8ld  %s\n", stats[i].n, stats[i].name);
	return 0;
}
