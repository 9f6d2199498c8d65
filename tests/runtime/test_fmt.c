/* test_fmt.c: how records print: doubles as Java's Double.toString, Ints,
 * Booleans, and the escaping of bad-record samples. */
#include "runner.h"

#include "../../runtime/internal.h"

#include <math.h>

static char *fmt_d(double v)
{
	static char out[64];
	ds_buf b = {0};
	ds_fmt_double(&b, v);
	snprintf(out, sizeof out, "%.*s", (int)b.len, b.p);
	ds__buf_close(&b);
	return out;
}

static void test_doubles(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{0.1, "0.1"},
		{1.0, "1.0"},
		{-0.5, "-0.5"},
		{123.456, "123.456"},
		{0.1 + 0.2, "0.30000000000000004"},
		{1e7, "1.0E7"},
		{9999999.0, "9999999.0"},
		{1e-3, "0.001"},
		{1e-4, "1.0E-4"},
		{123456789.0, "1.23456789E8"},
		{1e10, "1.0E10"},
		{1.234e-5, "1.234E-5"},
		{100.0, "100.0"},
		{1234567.0, "1234567.0"},
		{0.0, "0.0"},
		{-0.0, "-0.0"},
		{2.5, "2.5"},
		{1.0 / 3, "0.3333333333333333"},
		{-1e-10, "-1.0E-10"},
		{1.7976931348623157e308, "1.7976931348623157E308"},
		{4.9e-324, "4.9E-324"},
		{NAN, "NaN"},
		{INFINITY, "Infinity"},
		{-INFINITY, "-Infinity"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STREQ(fmt_d(cases[i].v), cases[i].want);
}

static void test_double_round_trip(void)
{
	/* Every printed double reads back (through ds_to_double) exactly. */
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double v;
		memcpy(&v, &x, 8);
		if (isnan(v))
			continue;
		const char *s = fmt_d(v);
		double back;
		CHECK(ds_to_double((ds_str){s, (int64_t)strlen(s)}, &back));
		CHECK(memcmp(&back, &v, 8) == 0);
	}
}

static void test_ints_bools(void)
{
	ds_buf b = {0};
	ds_fmt_int(&b, 0);
	ds_buf_putc(&b, ' ');
	ds_fmt_int(&b, -42);
	ds_buf_putc(&b, ' ');
	ds_fmt_int(&b, INT64_MIN);
	ds_buf_putc(&b, ' ');
	ds_fmt_int(&b, INT64_MAX);
	ds_buf_putc(&b, ' ');
	ds_fmt_bool(&b, true);
	ds_fmt_bool(&b, false);
	ds_fmt_str(&b, DS_STR_LIT("!"));
	ds_buf_putc(&b, 0);
	CHECK_STREQ(b.p, "0 -42 -9223372036854775808 9223372036854775807 truefalse!");
	ds__buf_close(&b);
}

static void test_sample_escaping(void)
{
	ds__bad bad = {0};
	const char s[] = "a\"b\\c\nd\te\x01\xff";
	ds__bad_add(&bad, "why", s, sizeof s - 1);
	ds__bad_add(&bad, "other", "x", 1);
	CHECK(bad.n == 2);
	CHECK_STREQ(bad.why, "why");
	ds_buf b = {0};
	ds__fmt_sample(&b, &bad);
	ds_buf_putc(&b, 0);
	CHECK_STREQ(b.p, "a\\\"b\\\\c\\nd\\te\\x01\\xff");
	b.len = 0;
	ds__bad lng = {0};
	const char *l = "0123456789012345678901234567890123456789X";
	ds__bad_add(&lng, "why", l, strlen(l));
	ds__fmt_sample(&b, &lng);
	ds_buf_putc(&b, 0);
	CHECK_STREQ(b.p, "0123456789012345678901234567890123456789...");
	b.len = 0;
	ds__bad exact = {0};
	ds__bad_add(&exact, "why", l, 40);
	ds__fmt_sample(&b, &exact);
	ds_buf_putc(&b, 0);
	CHECK_STREQ(b.p, "0123456789012345678901234567890123456789");
	ds__buf_close(&b);
}

static const ds_test tests[] = {
	{"doubles", test_doubles, 0},
	{"double_round_trip", test_double_round_trip, 0},
	{"ints_bools", test_ints_bools, 0},
	{"sample_escaping", test_sample_escaping, 0},
};

int main(int argc, char **argv) { return DS_RUN_TESTS(tests, argc, argv); }
