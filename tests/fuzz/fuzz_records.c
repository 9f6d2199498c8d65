/* fuzz_records.c: the record paths of text: split (and the split prefix
 * the optimiser asks for), toInt, toDouble, and the line cutter that
 * receivers and file sources cut bytes with (runtime/strings.c, lines.c).
 *
 * Input: byte 0 chooses the separator's length (0-3 bytes, taken next),
 * byte 1 the prefix's length and --max-line-bytes; the rest is the record.
 * Each function's result is checked against what it promises:
 *   - split: every piece lies in the record, holds no separator, and the
 *     pieces and separators between them spell the record (up to the
 *     trailing empty pieces Java drops); a split prefix of k is the first
 *     k pieces of the whole split;
 *   - toInt: accepts exactly [+-]digits within Int's range, and agrees
 *     with strtoll; toDouble agrees with itself on its own output;
 *   - the line cutter: the lines it gives are those of the bytes, '\r'
 *     before '\n' dropped, each one no longer than the limit, and every
 *     longer one reported as such, whatever the read boundaries. */
#include "fuzz.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/internal.h"

static void check_split(ds_str s, ds_str sep, int64_t k)
{
	ds_arena a;
	ds_arena_init(&a);
	ds_list l = ds_split(&a, s, sep);
	const ds_str *v = l.data;
	FUZZ_CHECK(l.len >= 0 && (l.len > 0 || s.n > 0));
	const char *at = s.p;
	for (int64_t i = 0; i < l.len; i++) {
		FUZZ_CHECK(v[i].p >= s.p && v[i].n >= 0 && v[i].p + v[i].n <= s.p + s.n);
		if (sep.n > 0) {
			FUZZ_CHECK(!memmem(v[i].p, (size_t)v[i].n, sep.p, (size_t)sep.n));
			FUZZ_CHECK(v[i].p == at); /* right after the separator before it */
			at = v[i].p + v[i].n;
			if (i + 1 < l.len) {
				FUZZ_CHECK(at + sep.n <= s.p + s.n && !memcmp(at, sep.p, (size_t)sep.n));
				at += sep.n;
			}
		} else if (s.n > 0) {
			FUZZ_CHECK(v[i].n == 1 && v[i].p == s.p + i);
		}
	}
	/* what follows the last piece: separators and empty pieces only */
	if (sep.n > 0 && l.len > 0)
		for (const char *p = at, *end = s.p + s.n; p < end; p += sep.n)
			FUZZ_CHECK(end - p >= sep.n && !memcmp(p, sep.p, (size_t)sep.n));
	if (k >= 1) {
		ds_list pl = ds_split_prefix(&a, s, sep, k);
		const ds_str *pv = pl.data;
		int64_t want = l.len < k ? l.len : k;
		/* no piece at all ("" split, or only separators) is [""] or [] */
		FUZZ_CHECK(pl.len == want || (l.len <= 1 && pl.len <= 1));
		for (int64_t i = 0; i < want && i < pl.len; i++)
			FUZZ_CHECK(pv[i].n == v[i].n && pv[i].p == v[i].p);
	}
	ds_arena_close(&a);
}

static void check_to_int(ds_str s)
{
	int64_t v = 0;
	bool ok = ds_to_int(s, &v);
	char c[64];
	bool plain = s.n > 0 && s.n < (int64_t)sizeof c;
	for (int64_t i = 0; plain && i < s.n; i++)
		plain = (s.p[i] >= '0' && s.p[i] <= '9') || (i == 0 && (s.p[i] == '+' || s.p[i] == '-') && s.n > 1);
	if (!plain) {
		FUZZ_CHECK(!ok || s.n >= (int64_t)sizeof c); /* a long one may still be 000...1 */
		return;
	}
	memcpy(c, s.p, (size_t)s.n);
	c[s.n] = 0;
	errno = 0;
	long long w = strtoll(c, NULL, 10);
	FUZZ_CHECK(ok == (errno == 0));
	if (ok)
		FUZZ_CHECK(v == w);
}

static void check_to_double(ds_str s)
{
	double d;
	if (!ds_to_double(s, &d))
		return;
	ds_arena a;
	ds_arena_init(&a);
	ds_str back = ds_double_to_str(&a, d);
	double e;
	FUZZ_CHECK(ds_to_double(back, &e)); /* what we print, we read */
	FUZZ_CHECK((isnan(d) && isnan(e)) || d == e);
	ds_arena_close(&a);
}

/* The lines of s as the cutter must give them, and how it gives them:
 * written to a pipe in pieces whose sizes come from sizes[]. */
static void check_lines(const char *s, size_t n, size_t max, const uint8_t *sizes, size_t nsizes)
{
	int fds[2];
	FUZZ_CHECK(pipe(fds) == 0);
	ds__linerd r;
	ds__linerd_init(&r, max);
	size_t written = 0, k = 0, line_at = 0; /* line_at: where the next expected line starts */
	bool eof = false;
	for (;;) {
		ds_str line;
		int got = eof ? ds__linerd_finish(&r, &line) : ds__linerd_next(&r, &line);
		if (got == DS__LINE_NONE) {
			if (eof)
				break;
			if (written == n) {
				close(fds[1]);
				fds[1] = -1;
				ssize_t f = ds__linerd_fill(&r, fds[0]);
				FUZZ_CHECK(f >= 0);
				if (f == 0)
					eof = true;
				continue;
			}
			size_t piece = nsizes ? 1 + sizes[k++ % nsizes] * 16u : n; /* 1 to 4081 bytes */
			if (piece > n - written)
				piece = n - written;
			FUZZ_CHECK(write(fds[1], s + written, piece) == (ssize_t)piece);
			written += piece;
			ssize_t f = ds__linerd_fill(&r, fds[0]);
			FUZZ_CHECK(f > 0);
			continue;
		}
		/* the next line of s: up to '\n' or the end */
		FUZZ_CHECK(line_at < n);
		const char *nl = memchr(s + line_at, '\n', n - line_at);
		size_t end = nl ? (size_t)(nl - s) : n, len = end - line_at;
		if (len && s[end - 1] == '\r')
			len--;
		if (got == DS__LINE_OK) {
			FUZZ_CHECK(len <= max && (size_t)line.n == len && !memcmp(line.p, s + line_at, len));
		} else {
			FUZZ_CHECK(got == DS__LINE_LONG && len > max);
			FUZZ_CHECK(r.sample_len > 0 && r.sample_len <= DS__SAMPLE_MAX + 1);
			FUZZ_CHECK(!memcmp(r.sample, s + line_at, r.sample_len < len ? r.sample_len : len));
		}
		line_at = nl ? end + 1 : n;
		if (eof)
			FUZZ_CHECK(!nl); /* finish gives only the unterminated last line */
	}
	FUZZ_CHECK(line_at == n); /* every line given */
	ds__linerd_close(&r);
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 256 * 1024)
		return 0;
	size_t seplen = data[0] & 3, k = data[1];
	data += 2, size -= 2;
	if (seplen > size)
		seplen = size;
	ds_str sep = {(const char *)data, (int64_t)seplen};
	ds_str s = {(const char *)data + seplen, (int64_t)(size - seplen)};
	check_split(s, sep, (int64_t)k % 8);
	check_to_int(s);
	check_to_double(s);
	/* every line of the record, split at '\n' as a source would */
	const char *p = s.p, *end = s.p + s.n;
	ds_str line;
	while (ds_next_line(&p, end, &line)) {
		check_to_int(line);
		check_to_double(line);
		check_split(line, sep, (int64_t)k % 8);
	}
	check_lines(s.p, (size_t)s.n, k, data, seplen);
	return 0;
}
