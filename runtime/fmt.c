/* fmt.c: how records print (LANGUAGE.md "How records print") and how bad
 * records are described.  Pure functions; no shared state. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void ds_fmt_int(ds_buf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof tmp;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	ds_buf_put(b, p, (size_t)(tmp + sizeof tmp - p));
}

void ds_fmt_bool(ds_buf *b, bool v)
{
	if (v)
		ds_buf_put(b, "true", 4);
	else
		ds_buf_put(b, "false", 5);
}

/* Java's Double.toString: the shortest digits that read back to v;
 * plain decimal for 1e-3 <= |v| < 1e7, else d.dddE<exp>. */
void ds_fmt_double(ds_buf *b, double v)
{
	if (isnan(v)) {
		ds_buf_put(b, "NaN", 3);
		return;
	}
	if (isinf(v)) {
		if (v > 0)
			ds_buf_put(b, "Infinity", 8);
		else
			ds_buf_put(b, "-Infinity", 9);
		return;
	}
	if (v == 0) {
		if (signbit(v))
			ds_buf_put(b, "-0.0", 4);
		else
			ds_buf_put(b, "0.0", 3);
		return;
	}
	/* Java picks, among the shortest decimals that round to v, the closest
	 * one, but never looks at fewer than two digits (Double.MIN_VALUE is
	 * 4.9E-324, not 5.0E-324); %.*e rounds correctly, so the first
	 * precision from two digits up that reads back is the answer. */
	char tmp[48];
	for (int prec = 1; prec <= 16; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* tmp is [-]d[.ddd]e(+|-)xx */
	char dig[24];
	int nd = 0;
	const char *p = tmp;
	if (*p == '-')
		p++;
	for (; *p != 'e'; p++)
		if (*p != '.')
			dig[nd++] = *p;
	int exp = atoi(p + 1);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;

	if (v < 0)
		ds_buf_putc(b, '-');
	double a = fabs(v);
	if (a >= 1e-3 && a < 1e7) {
		if (exp >= 0) {
			for (int i = 0; i <= exp; i++)
				ds_buf_putc(b, i < nd ? dig[i] : '0');
			ds_buf_putc(b, '.');
			if (nd > exp + 1)
				ds_buf_put(b, dig + exp + 1, (size_t)(nd - exp - 1));
			else
				ds_buf_putc(b, '0');
		} else {
			ds_buf_put(b, "0.", 2);
			for (int i = 0; i < -exp - 1; i++)
				ds_buf_putc(b, '0');
			ds_buf_put(b, dig, (size_t)nd);
		}
		return;
	}
	ds_buf_putc(b, dig[0]);
	ds_buf_putc(b, '.');
	if (nd > 1)
		ds_buf_put(b, dig + 1, (size_t)(nd - 1));
	else
		ds_buf_putc(b, '0');
	ds_buf_putc(b, 'E');
	ds_fmt_int(b, exp);
}

/* ---- bad records ---------------------------------------------------------- */

void ds__bad_add(ds__bad *b, const char *why, const char *p, size_t n)
{
	if (b->n++ == 0) {
		b->why = why;
		b->sample_len = n > DS__SAMPLE_MAX ? DS__SAMPLE_MAX + 1 : n;
		if (b->sample_len)
			memcpy(b->sample, p, b->sample_len);
	}
}

void ds__bad_merge(ds__bad *dst, const ds__bad *src)
{
	if (src->n == 0)
		return;
	if (dst->n == 0) {
		*dst = *src;
		return;
	}
	dst->n += src->n;
}

void ds__fmt_sample(ds_buf *b, const ds__bad *bad)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = bad->sample_len > DS__SAMPLE_MAX ? DS__SAMPLE_MAX : bad->sample_len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)bad->sample[i];
		switch (c) {
		case '\n': ds_buf_put(b, "\\n", 2); break;
		case '\t': ds_buf_put(b, "\\t", 2); break;
		case '"': ds_buf_put(b, "\\\"", 2); break;
		case '\\': ds_buf_put(b, "\\\\", 2); break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				ds_buf_putc(b, (char)c);
			} else {
				char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
				ds_buf_put(b, e, 4);
			}
		}
	}
	if (bad->sample_len > DS__SAMPLE_MAX)
		ds_buf_put(b, "...", 3);
}
