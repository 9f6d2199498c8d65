/* strings.c: the builtins of rt.h with Java/Scala semantics.
 * Pure functions over the caller's arena; no shared state. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Lists the runtime returns have the capacity ds_list_push assumes: the
 * next power of two >= len. */
static ds_list ds__list_alloc(ds_arena *a, int64_t len, size_t esize)
{
	ds_list l = {NULL, len};
	if (len > 0) {
		size_t cap = 1;
		while (cap < (size_t)len)
			cap <<= 1;
		l.data = ds_arena_alloc(a, cap * esize);
	}
	return l;
}

int ds_str_cmp(ds_str a, ds_str b)
{
	size_t n = (size_t)(a.n < b.n ? a.n : b.n);
	int c = n ? memcmp(a.p, b.p, n) : 0;
	if (c)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

ds_list ds_chars(ds_arena *a, ds_str s)
{
	ds_list l = ds__list_alloc(a, s.n, sizeof(ds_str));
	ds_str *v = l.data;
	for (int64_t i = 0; i < s.n; i++)
		v[i] = (ds_str){s.p + i, 1};
	return l;
}

static const char *ds__find(const char *p, const char *end, ds_str sep)
{
	if ((int64_t)(end - p) < sep.n)
		return NULL;
	if (sep.n == 1)
		return memchr(p, sep.p[0], (size_t)(end - p));
	return memmem(p, (size_t)(end - p), sep.p, (size_t)sep.n);
}

ds_list ds_split(ds_arena *a, ds_str s, ds_str sep)
{
	if (sep.n == 0) {
		if (s.n == 0)
			goto whole;
		return ds_chars(a, s);
	}
	const char *end = s.p + s.n;
	int64_t pieces = 1;
	for (const char *p = s.p, *m; (m = ds__find(p, end, sep)); p = m + sep.n)
		pieces++;
	if (pieces == 1)
		goto whole;
	ds_list l = ds__list_alloc(a, pieces, sizeof(ds_str));
	ds_str *v = l.data;
	int64_t i = 0;
	const char *p = s.p, *m;
	while ((m = ds__find(p, end, sep))) {
		v[i++] = (ds_str){p, m - p};
		p = m + sep.n;
	}
	v[i++] = (ds_str){p, end - p};
	while (i > 0 && v[i - 1].n == 0) /* Java drops trailing empty strings */
		i--;
	l.len = i;
	return l;
whole:;
	ds_list w = ds__list_alloc(a, 1, sizeof(ds_str));
	*(ds_str *)w.data = s;
	return w;
}

/* Whether [p, end) holds a non-empty piece of a split by sep. */
static bool ds__has_piece(const char *p, const char *end, ds_str sep)
{
	while (p < end) {
		const char *m = ds__find(p, end, sep);
		if (!m)
			return true;
		if (m > p)
			return true;
		p = m + sep.n;
	}
	return false;
}

ds_list ds_split_prefix(ds_arena *a, ds_str s, ds_str sep, int64_t k)
{
	if (k < 1) { /* the compiler asks for at least the piece it indexes */
		fprintf(stderr, "dstream: internal error: ds_split_prefix of %lld pieces\n", (long long)k);
		abort();
	}
	if (sep.n == 0) /* bytes: only the first k are made */
		return s.n == 0 ? ds_split(a, s, sep) : ds_chars(a, (ds_str){s.p, s.n < k ? s.n : k});
	ds_list l = ds__list_alloc(a, k, sizeof(ds_str));
	ds_str *v = l.data;
	const char *p = s.p, *end = s.p + s.n;
	int64_t i = 0;
	const char *m;
	while (i < k && (m = ds__find(p, end, sep))) { /* one pass (memchr for one byte) */
		v[i++] = (ds_str){p, m - p};
		p = m + sep.n;
	}
	if (i == 0) { /* no separator: [s] */
		v[0] = s;
		l.len = 1;
		return l;
	}
	if (i < k) {
		v[i++] = (ds_str){p, end - p}; /* the last piece */
	} else if (v[i - 1].n != 0 || ds__has_piece(p, end, sep)) {
		l.len = i; /* empty pieces before a non-empty one are kept */
		return l;
	}
	while (i > 0 && v[i - 1].n == 0) /* Java drops trailing empty strings */
		i--;
	l.len = i;
	return l;
}

bool ds_to_int(ds_str s, int64_t *out)
{
	const char *p = s.p, *end = s.p + s.n;
	bool neg = false;
	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (p == end)
		return false;
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	for (; p < end; p++) {
		unsigned d = (unsigned char)*p - '0';
		if (d > 9)
			return false;
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool ds__isdigit(char c) { return c >= '0' && c <= '9'; }
static bool ds__isxdigit(char c)
{
	return ds__isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Java's Double.parseDouble grammar (FloatingDecimal.readJavaFormatString),
 * checked before strtod so that C-only forms ("inf", "0x10", "1e") fail. */
bool ds_to_double(ds_str s, double *out)
{
	s = ds_trim(s);
	const char *p = s.p, *end = s.p + s.n;
	if (p == end)
		return false;
	const char *num = p;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	size_t rest = (size_t)(end - p);
	if (rest == 3 && memcmp(p, "NaN", 3) == 0) {
		*out = NAN;
		return true;
	}
	if (rest == 8 && memcmp(p, "Infinity", 8) == 0) {
		*out = neg ? -INFINITY : INFINITY;
		return true;
	}
	int digits = 0;
	if (rest >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		while (p < end && ds__isxdigit(*p))
			p++, digits++;
		if (p < end && *p == '.')
			for (p++; p < end && ds__isxdigit(*p); p++)
				digits++;
		if (!digits || p == end || (*p != 'p' && *p != 'P'))
			return false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !ds__isdigit(*p))
			return false;
		while (p < end && ds__isdigit(*p))
			p++;
	} else {
		while (p < end && ds__isdigit(*p))
			p++, digits++;
		if (p < end && *p == '.')
			for (p++; p < end && ds__isdigit(*p); p++)
				digits++;
		if (!digits)
			return false;
		if (p < end && (*p == 'e' || *p == 'E')) {
			p++;
			if (p < end && (*p == '+' || *p == '-'))
				p++;
			if (p == end || !ds__isdigit(*p))
				return false;
			while (p < end && ds__isdigit(*p))
				p++;
		}
	}
	const char *numend = p;
	if (p < end && (*p == 'f' || *p == 'F' || *p == 'd' || *p == 'D'))
		p++;
	if (p != end)
		return false;
	size_t n = (size_t)(numend - num);
	char small[128], *c = n < sizeof small ? small : ds__xmalloc(n + 1);
	memcpy(c, num, n);
	c[n] = 0;
	*out = strtod(c, NULL);
	if (c != small)
		free(c);
	return true;
}

ds_str ds_int_to_str(ds_arena *a, int64_t v)
{
	char tmp[32];
	ds_buf b = {tmp, 0, sizeof tmp};
	ds_fmt_int(&b, v);
	return ds_str_copy(a, (ds_str){tmp, (int64_t)b.len});
}

ds_str ds_double_to_str(ds_arena *a, double v)
{
	char tmp[64]; /* the longest form is 25 bytes: no growth */
	ds_buf b = {tmp, 0, sizeof tmp};
	ds_fmt_double(&b, v);
	return ds_str_copy(a, (ds_str){tmp, (int64_t)b.len});
}

ds_str ds_bool_to_str(bool v) { return v ? DS_STR_LIT("true") : DS_STR_LIT("false"); }

ds_str ds_buf_to_str(ds_arena *a, const ds_buf *b)
{
	return ds_str_copy(a, (ds_str){b->p, (int64_t)b->len});
}

ds_str ds_concat(ds_arena *a, ds_str x, ds_str y)
{
	if (y.n == 0)
		return x;
	if (x.n == 0)
		return y;
	char *p = ds_arena_alloc(a, (size_t)(x.n + y.n));
	memcpy(p, x.p, (size_t)x.n);
	memcpy(p + x.n, y.p, (size_t)y.n);
	return (ds_str){p, x.n + y.n};
}

int ds_cmpp_i64(const void *a, const void *b) { return ds_cmp_i64(*(const int64_t *)a, *(const int64_t *)b); }
int ds_cmpp_f64(const void *a, const void *b) { return ds_cmp_f64(*(const double *)a, *(const double *)b); }
int ds_cmpp_bool(const void *a, const void *b) { return ds_cmp_bool(*(const bool *)a, *(const bool *)b); }
int ds_cmpp_str(const void *a, const void *b) { return ds_str_cmp(*(const ds_str *)a, *(const ds_str *)b); }

void ds_sort(ds_list *l, size_t esize, int (*cmp)(const void *, const void *))
{
	if (l->len > 1)
		qsort(l->data, (size_t)l->len, esize, cmp);
}

/* ds_sort_ends: a heap of k elements at one end of the list, ordered so
 * that its root is the element a better one would replace (the largest of
 * the k smallest, or with sign -1 the smallest of the k largest). */
typedef struct Ends {
	char *base;  /* the heap's first element */
	size_t esize;
	int64_t k;
	int sign;
	int (*cmp)(const void *, const void *);
	char *tmp;   /* esize bytes */
} Ends;

static char *ends_at(const Ends *h, int64_t i) { return h->base + (size_t)i * h->esize; }

static void ends_swap(const Ends *h, char *a, char *b)
{
	memcpy(h->tmp, a, h->esize);
	memcpy(a, b, h->esize);
	memcpy(b, h->tmp, h->esize);
}

static void ends_sift_down(const Ends *h, int64_t i)
{
	for (;;) {
		int64_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->k && h->sign * h->cmp(ends_at(h, l), ends_at(h, m)) > 0)
			m = l;
		if (r < h->k && h->sign * h->cmp(ends_at(h, r), ends_at(h, m)) > 0)
			m = r;
		if (m == i)
			return;
		ends_swap(h, ends_at(h, i), ends_at(h, m));
		i = m;
	}
}

void ds_sort_ends(ds_list *l, size_t esize, int64_t k, bool largest, int (*cmp)(const void *, const void *))
{
	int64_t n = l->len;
	if (k <= 0)
		return;
	if (k >= n / 4) { /* a heap gains little over sorting it all */
		ds_sort(l, esize, cmp);
		return;
	}
	char *data = l->data;
	Ends h = {largest ? data + (size_t)(n - k) * esize : data, esize, k, largest ? -1 : 1, cmp, NULL};
	h.tmp = ds__xmalloc(esize);
	for (int64_t i = k / 2 - 1; i >= 0; i--)
		ends_sift_down(&h, i);
	/* every element outside the heap that beats its root replaces it */
	int64_t from = largest ? 0 : k, to = largest ? n - k : n;
	for (int64_t i = from; i < to; i++) {
		char *x = data + (size_t)i * esize;
		if (h.sign * cmp(x, h.base) < 0) {
			ends_swap(&h, x, h.base);
			ends_sift_down(&h, 0);
		}
	}
	free(h.tmp);
	qsort(h.base, (size_t)k, esize, cmp);
}

ds_list ds_list_concat(ds_arena *a, ds_list x, ds_list y, size_t esize)
{
	ds_list l = ds__list_alloc(a, x.len + y.len, esize);
	if (x.len)
		memcpy(l.data, x.data, (size_t)x.len * esize);
	if (y.len)
		memcpy((char *)l.data + (size_t)x.len * esize, y.data, (size_t)y.len * esize);
	return l;
}

ds_str ds_lower(ds_arena *a, ds_str s)
{
	if (s.n == 0)
		return s;
	char *p = ds_arena_alloc(a, (size_t)s.n);
	for (int64_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		p[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	return (ds_str){p, s.n};
}

ds_str ds_upper(ds_arena *a, ds_str s)
{
	if (s.n == 0)
		return s;
	char *p = ds_arena_alloc(a, (size_t)s.n);
	for (int64_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		p[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
	}
	return (ds_str){p, s.n};
}

ds_str ds_trim(ds_str s)
{
	while (s.n > 0 && (unsigned char)s.p[0] <= ' ')
		s.p++, s.n--;
	while (s.n > 0 && (unsigned char)s.p[s.n - 1] <= ' ')
		s.n--;
	return s;
}

bool ds_contains(ds_str s, ds_str t)
{
	if (t.n == 0)
		return true;
	return ds__find(s.p, s.p + s.n, t) != NULL;
}

bool ds_starts_with(ds_str s, ds_str t)
{
	return t.n <= s.n && (t.n == 0 || memcmp(s.p, t.p, (size_t)t.n) == 0);
}

bool ds_ends_with(ds_str s, ds_str t)
{
	return t.n <= s.n && (t.n == 0 || memcmp(s.p + s.n - t.n, t.p, (size_t)t.n) == 0);
}

bool ds_substr(ds_str s, int64_t from, int64_t len, ds_str *out)
{
	if (from < 0 || len < 0 || from > s.n)
		return false;
	if (len > s.n - from)
		len = s.n - from;
	*out = (ds_str){s.p + from, len};
	return true;
}

const char *ds_str_cstr(ds_arena *a, ds_str s)
{
	char *p = ds_arena_alloc(a, (size_t)s.n + 1);
	if (s.n)
		memcpy(p, s.p, (size_t)s.n);
	p[s.n] = 0;
	return p;
}

ds_str ds_cstr_copy(ds_arena *a, const char *p)
{
	if (!p)
		return (ds_str){"", 0};
	return ds_str_copy(a, (ds_str){p, (int64_t)strlen(p)});
}
