/* test_builtins.c: split, chars, toInt, toDouble, trim, substr and the
 * other string builtins of rt.h, against Java/Scala semantics. */
#include "runner.h"

#include "dstream/rt.h"

#include <math.h>

static ds_arena arena;

static ds_str S(const char *s) { return (ds_str){s, (int64_t)strlen(s)}; }

/* Joins a List[String] as [a|b|c] for comparison. */
static char *show(ds_list l)
{
	static char out[512];
	size_t n = 0;
	out[n++] = '[';
	for (int64_t i = 0; i < l.len; i++) {
		ds_str s = ((ds_str *)l.data)[i];
		if (i)
			out[n++] = '|';
		memcpy(out + n, s.p, (size_t)s.n);
		n += (size_t)s.n;
	}
	out[n++] = ']';
	out[n] = 0;
	return out;
}

static void test_split(void)
{
	ds_arena_init(&arena);
	static const struct {
		const char *s, *sep, *want;
	} cases[] = {
		{"a b c", " ", "[a|b|c]"},
		{"a,b,,", ",", "[a|b]"},
		{",", ",", "[]"},
		{",,,", ",", "[]"},
		{",a", ",", "[|a]"},
		{"a,,b", ",", "[a||b]"},
		{"abc", ",", "[abc]"},
		{"", ",", "[]"}, /* shown as [] but it is one empty element: checked below */
		{"abc", "", "[a|b|c]"},
		{"a::b::", "::", "[a|b]"},
		{"::a", "::", "[|a]"},
		{"a:::b", "::", "[a|:b]"},
		{"  a  ", " ", "[||a]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STREQ(show(ds_split(&arena, S(cases[i].s), S(cases[i].sep))), cases[i].want);
	ds_list e = ds_split(&arena, S(""), S(","));
	CHECK(e.len == 1 && ((ds_str *)e.data)[0].n == 0);
	e = ds_split(&arena, S(""), S(""));
	CHECK(e.len == 1 && ((ds_str *)e.data)[0].n == 0);
	CHECK(ds_split(&arena, S(","), S(",")).len == 0);
	CHECK_STREQ(show(ds_chars(&arena, S("xyz"))), "[x|y|z]");
	CHECK(ds_chars(&arena, S("")).len == 0);
	ds_arena_close(&arena);
}

static void test_list_push_after_split(void)
{
	/* Lists from the runtime keep the capacity ds_list_push assumes. */
	ds_arena_init(&arena);
	ds_list l = ds_split(&arena, S("a b c"), S(" "));
	*(ds_str *)ds_list_push(&arena, &l, sizeof(ds_str)) = S("d");
	*(ds_str *)ds_list_push(&arena, &l, sizeof(ds_str)) = S("e");
	CHECK_STREQ(show(l), "[a|b|c|d|e]");
	ds_list c = ds_list_concat(&arena, l, l, sizeof(ds_str));
	*(ds_str *)ds_list_push(&arena, &c, sizeof(ds_str)) = S("z");
	CHECK_STREQ(show(c), "[a|b|c|d|e|a|b|c|d|e|z]");
	ds_arena_close(&arena);
}

static void test_to_int(void)
{
	static const struct {
		const char *s;
		bool ok;
		int64_t v;
	} cases[] = {
		{"0", true, 0},
		{"42", true, 42},
		{"-7", true, -7},
		{"+7", true, 7},
		{"007", true, 7},
		{"9223372036854775807", true, INT64_MAX},
		{"-9223372036854775808", true, INT64_MIN},
		{"9223372036854775808", false, 0},
		{"-9223372036854775809", false, 0},
		{"99999999999999999999", false, 0},
		{"", false, 0},
		{"-", false, 0},
		{"+", false, 0},
		{" 1", false, 0},
		{"1 ", false, 0},
		{"1.0", false, 0},
		{"0x10", false, 0},
		{"1e3", false, 0},
		{"--1", false, 0},
		{"12a", false, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t v = 12345;
		bool ok = ds_to_int(S(cases[i].s), &v);
		if (ok != cases[i].ok || (ok && v != cases[i].v)) {
			fprintf(stderr, "toInt(\"%s\"): got %d %lld\n", cases[i].s, ok, (long long)v);
			exit(1);
		}
	}
}

static void test_to_double(void)
{
	static const struct {
		const char *s;
		bool ok;
		double v;
	} cases[] = {
		{"1", true, 1.0},
		{"1.5", true, 1.5},
		{"-2.5e3", true, -2500.0},
		{"+.5", true, 0.5},
		{"5.", true, 5.0},
		{"  7.25\t\n", true, 7.25},
		{"1e-3", true, 0.001},
		{"1E+2", true, 100.0},
		{"2.5d", true, 2.5},
		{"2.5F", true, 2.5},
		{"Infinity", true, INFINITY},
		{"-Infinity", true, -INFINITY},
		{"0x1.8p1", true, 3.0},
		{"0X10P0", true, 16.0},
		{"", false, 0},
		{"   ", false, 0},
		{".", false, 0},
		{"e5", false, 0},
		{"1e", false, 0},
		{"1e+", false, 0},
		{"inf", false, 0},
		{"nan", false, 0},
		{"infinity", false, 0},
		{"0x10", false, 0},
		{"1.0.0", false, 0},
		{"1,5", false, 0},
		{"1 2", false, 0},
		{"Infinityd", false, 0},
		{"1dd", false, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double v = -99;
		bool ok = ds_to_double(S(cases[i].s), &v);
		if (ok != cases[i].ok || (ok && v != cases[i].v)) {
			fprintf(stderr, "toDouble(\"%s\"): got %d %g\n", cases[i].s, ok, v);
			exit(1);
		}
	}
	double v;
	CHECK(ds_to_double(S("NaN"), &v) && isnan(v));
	CHECK(ds_to_double(S("-NaN"), &v) && isnan(v));
	CHECK(ds_to_double(S("-0.0"), &v) && v == 0 && signbit(v));
}

static void test_trim_substr(void)
{
	ds_str t = ds_trim(S(" \t\x01 ab c \r\n"));
	CHECK(t.n == 4 && memcmp(t.p, "ab c", 4) == 0);
	CHECK(ds_trim(S("   ")).n == 0);
	CHECK(ds_trim(S("")).n == 0);
	ds_str r;
	CHECK(ds_substr(S("hello"), 1, 3, &r) && r.n == 3 && memcmp(r.p, "ell", 3) == 0);
	CHECK(ds_substr(S("hello"), 3, 100, &r) && r.n == 2 && memcmp(r.p, "lo", 2) == 0);
	CHECK(ds_substr(S("hello"), 5, 1, &r) && r.n == 0);
	CHECK(ds_substr(S("hello"), 0, 0, &r) && r.n == 0);
	CHECK(!ds_substr(S("hello"), 6, 1, &r));
	CHECK(!ds_substr(S("hello"), -1, 1, &r));
	CHECK(!ds_substr(S("hello"), 0, -1, &r));
}

static void test_strings(void)
{
	ds_arena_init(&arena);
	CHECK(ds_str_eq(ds_lower(&arena, S("AbC-1")), S("abc-1")));
	CHECK(ds_str_eq(ds_upper(&arena, S("AbC-1")), S("ABC-1")));
	CHECK(ds_str_eq(ds_concat(&arena, S("ab"), S("cd")), S("abcd")));
	CHECK(ds_str_eq(ds_concat(&arena, S(""), S("cd")), S("cd")));
	CHECK(ds_contains(S("hello"), S("ll")) && ds_contains(S("hello"), S("")) && !ds_contains(S("he"), S("hel")));
	CHECK(ds_starts_with(S("hello"), S("he")) && !ds_starts_with(S("hello"), S("lo")));
	CHECK(ds_ends_with(S("hello"), S("lo")) && !ds_ends_with(S("lo"), S("hello")));
	CHECK(ds_str_eq(ds_int_to_str(&arena, -123), S("-123")));
	CHECK(ds_str_eq(ds_double_to_str(&arena, 1e7), S("1.0E7")));
	CHECK(ds_str_eq(ds_bool_to_str(true), S("true")));
	CHECK(ds_str_cmp(S("a"), S("b")) < 0 && ds_str_cmp(S("ab"), S("a")) > 0 && ds_str_cmp(S("x"), S("x")) == 0);
	ds_buf b = {0};
	ds_buf_put(&b, "xyz", 3);
	CHECK(ds_str_eq(ds_buf_to_str(&arena, &b), S("xyz")));
	free(b.p);
	int64_t r;
	CHECK(!ds_div(1, 0, &r) && !ds_mod(1, 0, &r));
	CHECK(ds_div(INT64_MIN, -1, &r) && r == INT64_MIN);
	CHECK(ds_mod(INT64_MIN, -1, &r) && r == 0);
	CHECK(ds_add(INT64_MAX, 1) == INT64_MIN);
	ds_arena_close(&arena);
}

/* ds_split_prefix(s, sep, k) is the first min(k, n) pieces of ds_split: for
 * every string of up to 7 bytes over {a, ',', ':'}, every separator and k. */
static void test_split_prefix(void)
{
	ds_arena_init(&arena);
	static const char alpha[] = "a,:";
	static const char *const seps[] = {",", ",,", ":,", ""};
	char buf[8];
	int checked = 0;
	for (int len = 0; len <= 7; len++) {
		int total = 1;
		for (int i = 0; i < len; i++)
			total *= 3;
		for (int code = 0; code < total; code++) {
			for (int i = 0, c = code; i < len; i++, c /= 3)
				buf[i] = alpha[c % 3];
			ds_str s = {buf, len};
			for (size_t j = 0; j < sizeof seps / sizeof seps[0]; j++) {
				ds_list whole = ds_split(&arena, s, S(seps[j]));
				for (int64_t k = 1; k <= 9; k++) {
					ds_list pre = ds_split_prefix(&arena, s, S(seps[j]), k);
					int64_t want = whole.len < k ? whole.len : k;
					CHECK(pre.len == want);
					for (int64_t i = 0; i < want && i < pre.len; i++)
						CHECK(ds_str_eq(((ds_str *)pre.data)[i], ((ds_str *)whole.data)[i]));
					checked++;
				}
			}
			ds_arena_reset(&arena);
		}
	}
	CHECK(checked == 3280 * 4 * 9);
	ds_arena_close(&arena);
}

/* ds_str_eq against memcmp: every length up to 40, equal, and one byte
 * different at every position (each of its load widths: bytes, 4, 8, memcmp). */
static void test_str_eq(void)
{
	char a[41], b[41];
	for (int n = 0; n <= 40; n++) {
		for (int i = 0; i < n; i++)
			a[i] = b[i] = (char)('a' + i % 26);
		CHECK(ds_str_eq((ds_str){a, n}, (ds_str){b, n}));
		for (int i = 0; i < n; i++) {
			b[i] ^= 0x20;
			CHECK(!ds_str_eq((ds_str){a, n}, (ds_str){b, n}));
			b[i] ^= 0x20;
		}
		if (n)
			CHECK(!ds_str_eq((ds_str){a, n}, (ds_str){b, n - 1}));
	}
}

static const ds_test tests[] = {
	{"str_eq", test_str_eq, 0},
	{"split", test_split, 0},
	{"split_prefix", test_split_prefix, 0},
	{"list_push_after_split", test_list_push_after_split, 0},
	{"to_int", test_to_int, 0},
	{"to_double", test_to_double, 0},
	{"trim_substr", test_trim_substr, 0},
	{"strings", test_strings, 0},
};

int main(int argc, char **argv) { return DS_RUN_TESTS(tests, argc, argv); }
