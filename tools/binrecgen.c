/* binrecgen: writes a file of binary records for binaryRecordsStream,
 * binaryQueueStream and binaryRecords (lang/SPEC.md §8.1), seeded, so tests
 * and benchmarks regenerate the same bytes anywhere.
 *
 *   binrecgen [-s SEED] [-r N=LO:HI]... [-q N=START:STEP]... [-t] [--tail K]
 *             SCHEMA COUNT OUT
 *
 * SCHEMA is the program's schema string ("i64 i32 _4 f64"); COUNT records
 * are written to OUT ("-": stdout).  Field N (1-based, padding not counted)
 * takes uniform values in [LO, HI) with -r (integers or decimals), or
 * START, START + STEP, ... with -q (a sequence, e.g. event times); by
 * default an integer field covers its type's whole range, a float [0, 1)
 * and a bN field N random lowercase letters.  -t writes the records as
 * text too, on stdout, one line each with the fields tab-separated
 * (integers in decimal, floats as %.17g of the value stored, bytes as
 * they are): what a test computes its expected output from.  --tail K
 * appends K bytes, an incomplete last record.
 *
 * The generator is splitmix64 (Steele et al.), seeded with SEED: the same
 * arguments give the same file on every machine.  Exit status 0, or 2
 * with a message on a bad command line or a write error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 256
#define MAX_RECORD (1 << 20) /* the compiler's limit (compiler/schema.h) */

enum kind { I8, I16, I32, I64, U8, U16, U32, F32, F64, BYTES, PAD };

struct field {
	enum kind kind;
	int64_t size;
	enum { DEFAULT, RANGE, SEQ } how;
	double dlo, dhi;     /* floats: RANGE */
	int64_t lo, hi;      /* integers: RANGE [lo, hi); SEQ lo + i * hi */
	double dstart, dstep; /* floats: SEQ */
};

static struct field fields[MAX_FIELDS]; /* value fields and padding, in order */
static int nfields;
static uint64_t rng_state;

static void die(const char *fmt, const char *arg)
{
	fputs("binrecgen: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t next64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0), by Lemire's multiply. */
static uint64_t below(uint64_t n) { return (uint64_t)(((__uint128_t)next64() * n) >> 64); }

static void parse_schema(const char *s)
{
	static const struct {
		const char *name;
		enum kind kind;
		int size;
	} names[] = {
		{"i8", I8, 1}, {"i16", I16, 2}, {"i32", I32, 4}, {"i64", I64, 8}, {"u8", U8, 1},
		{"u16", U16, 2}, {"u32", U32, 4}, {"f32", F32, 4}, {"f64", F64, 8},
	};
	char *copy = strdup(s), *save = NULL;
	int64_t len = 0;
	int values = 0;
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (nfields == MAX_FIELDS)
			die("too many fields in '%s'", s);
		struct field *f = &fields[nfields];
		memset(f, 0, sizeof *f);
		f->size = 0;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcmp(tok, names[i].name)) {
				f->kind = names[i].kind;
				f->size = names[i].size;
			}
		if (!f->size && (tok[0] == '_' || tok[0] == 'b')) {
			char *end;
			long n = strtol(tok + 1, &end, 10);
			if (tok[1] < '1' || tok[1] > '9' || *end || n > MAX_RECORD)
				die("bad field '%s' in the schema", tok);
			f->kind = tok[0] == '_' ? PAD : BYTES;
			f->size = n;
		}
		if (!f->size)
			die("unknown field type '%s' in the schema", tok);
		len += f->size;
		values += f->kind != PAD;
		nfields++;
	}
	free(copy);
	if (!values)
		die("the schema '%s' has no field", s);
	if (len > MAX_RECORD)
		die("the records of '%s' are too long", s);
}

/* Field N of "N=...": the value fields count from 1, padding does not. */
static struct field *value_field(const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);
	if (end == arg || *end != '=')
		die("expected N=...: '%s'", arg);
	for (int i = 0, k = 0; i < nfields; i++)
		if (fields[i].kind != PAD && ++k == n)
			return &fields[i];
	die("no field number %s in the schema", arg);
	return NULL;
}

static bool is_float(const struct field *f) { return f->kind == F32 || f->kind == F64; }

/* -r N=LO:HI or -q N=START:STEP */
static void parse_spec(const char *arg, bool seq)
{
	struct field *f = value_field(arg);
	char a[64], b[64];
	const char *rest = strchr(arg, '=') + 1, *colon = strchr(rest, ':');
	if (!colon || f->kind == BYTES || (size_t)(colon - rest) >= sizeof a || strlen(colon + 1) >= sizeof b)
		die(seq ? "expected -q N=START:STEP on a number field: '%s'"
			: "expected -r N=LO:HI on a number field: '%s'", arg);
	memcpy(a, rest, (size_t)(colon - rest));
	a[colon - rest] = 0;
	strcpy(b, colon + 1);
	char *e1, *e2;
	errno = 0;
	if (is_float(f)) {
		double x = strtod(a, &e1), y = strtod(b, &e2);
		if (!*a || !*b || *e1 || *e2 || errno || (!seq && !(x < y)))
			die("bad range or sequence '%s'", arg);
		f->dlo = f->dstart = x;
		f->dhi = f->dstep = y;
	} else {
		long long x = strtoll(a, &e1, 10), y = strtoll(b, &e2, 10);
		if (!*a || !*b || *e1 || *e2 || errno || (!seq && !(x < y)))
			die("bad range or sequence '%s'", arg);
		f->lo = x;
		f->hi = y;
	}
	f->how = seq ? SEQ : RANGE;
}

static void put_le(unsigned char *p, uint64_t v, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int64_t full_lo(const struct field *f)
{
	switch (f->kind) {
	case I8: return INT8_MIN;
	case I16: return INT16_MIN;
	case I32: return INT32_MIN;
	case I64: return INT64_MIN;
	default: return 0;
	}
}

/* One record i into rec; its text form onto txt when not NULL. */
static void gen_record(int64_t i, unsigned char *rec, FILE *txt)
{
	int64_t off = 0;
	bool first = true;
	for (int k = 0; k < nfields; k++) {
		struct field *f = &fields[k];
		unsigned char *p = rec + off;
		off += f->size;
		if (f->kind == PAD) {
			memset(p, 0, (size_t)f->size);
			continue;
		}
		if (txt && !first)
			fputc('\t', txt);
		first = false;
		if (f->kind == BYTES) {
			for (int64_t j = 0; j < f->size; j++)
				p[j] = (unsigned char)('a' + below(26));
			if (txt)
				fwrite(p, 1, (size_t)f->size, txt);
		} else if (is_float(f)) {
			double v;
			if (f->how == RANGE)
				v = f->dlo + (f->dhi - f->dlo) * ((double)(next64() >> 11) * 0x1p-53);
			else if (f->how == SEQ)
				v = f->dstart + (double)i * f->dstep;
			else
				v = (double)(next64() >> 11) * 0x1p-53;
			uint64_t u;
			if (f->kind == F32) {
				float x = (float)v;
				uint32_t w;
				memcpy(&w, &x, 4);
				u = w;
				v = x;
			} else {
				memcpy(&u, &v, 8);
			}
			put_le(p, u, f->size);
			if (txt)
				fprintf(txt, "%.17g", v);
		} else {
			int64_t v;
			if (f->how == RANGE)
				v = (int64_t)((uint64_t)f->lo + below((uint64_t)f->hi - (uint64_t)f->lo));
			else if (f->how == SEQ)
				v = (int64_t)((uint64_t)f->lo + (uint64_t)i * (uint64_t)f->hi);
			else if (f->kind == I64)
				v = (int64_t)next64();
			else
				v = full_lo(f) + (int64_t)below(1ULL << (8 * f->size));
			put_le(p, (uint64_t)v, f->size);
			if (txt) {
				/* the value the program reads back: truncated to the field */
				int bits = (int)(8 * f->size);
				uint64_t u = bits == 64 ? (uint64_t)v : (uint64_t)v & ((1ULL << bits) - 1);
				if (f->kind >= U8)
					fprintf(txt, "%" PRIu64, u);
				else if (bits < 64 && (u >> (bits - 1)))
					fprintf(txt, "%" PRId64, (int64_t)(u | ~((1ULL << bits) - 1)));
				else
					fprintf(txt, "%" PRId64, (int64_t)u);
			}
		}
	}
	if (txt)
		fputc('\n', txt);
}

static void usage(void)
{
	fputs("usage: binrecgen [-s SEED] [-r N=LO:HI]... [-q N=START:STEP]... [-t] [--tail K] SCHEMA COUNT OUT\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	bool text = false;
	long long tail = 0;
	const char *pos[3];
	int npos = 0;
	const char *specs[2 * MAX_FIELDS];
	bool spec_seq[2 * MAX_FIELDS];
	int nspecs = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-s") || !strcmp(a, "-r") || !strcmp(a, "-q") || !strcmp(a, "--tail")) && i + 1 == argc)
			usage();
		if (!strcmp(a, "-s")) {
			char *end;
			seed = strtoull(argv[++i], &end, 10);
			if (*end)
				die("bad seed '%s'", argv[i]);
		} else if (!strcmp(a, "-r") || !strcmp(a, "-q")) {
			if (nspecs == 2 * MAX_FIELDS)
				die("too many %s options", a);
			spec_seq[nspecs] = a[1] == 'q';
			specs[nspecs++] = argv[++i];
		} else if (!strcmp(a, "--tail")) {
			char *end;
			tail = strtoll(argv[++i], &end, 10);
			if (*end || tail < 0)
				die("bad --tail '%s'", argv[i]);
		} else if (!strcmp(a, "-t")) {
			text = true;
		} else if (a[0] == '-' && a[1]) {
			usage();
		} else if (npos < 3) {
			pos[npos++] = a;
		} else {
			usage();
		}
	}
	if (npos != 3)
		usage();
	parse_schema(pos[0]);
	for (int i = 0; i < nspecs; i++)
		parse_spec(specs[i], spec_seq[i]);
	char *end;
	long long count = strtoll(pos[1], &end, 10);
	if (*end || count < 0)
		die("bad COUNT '%s'", pos[1]);
	int64_t reclen = 0;
	for (int k = 0; k < nfields; k++)
		reclen += fields[k].size;
	if (tail >= reclen)
		die("--tail must be shorter than a record (%s)", pos[0]);
	bool to_stdout = !strcmp(pos[2], "-");
	if (to_stdout && text)
		die("-t writes text on stdout: give OUT a file name, not '%s'", pos[2]);
	FILE *out = to_stdout ? stdout : fopen(pos[2], "wb");
	if (!out)
		die("cannot create '%s'", pos[2]);
	rng_state = seed;
	unsigned char *rec = malloc((size_t)reclen);
	if (!rec)
		die("out of memory%s", "");
	for (long long i = 0; i < count; i++) {
		gen_record(i, rec, text ? stdout : NULL);
		fwrite(rec, 1, (size_t)reclen, out);
	}
	for (long long i = 0; i < tail; i++)
		fputc(0xee, out);
	free(rec);
	if (ferror(out) || (out != stdout && fclose(out) != 0) || fflush(stdout) != 0)
		die("cannot write '%s'", pos[2]);
	return 0;
}
