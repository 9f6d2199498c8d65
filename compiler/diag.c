/* diag.c: diagnostics for bad input, and die() for our own bugs.
 *
 * Every diagnostic reads "path:line:col: error: message", then the source
 * line and a caret under the column (chibicc tokenize.c verror_at).  Tabs
 * before the column are kept so that the caret lines up in a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

static const SourceFile *source; /* set once per compilation */
static int nerrors;              /* errors only, not warnings or notes */

/* Diagnostics wait here until the end of the phase (diag_error_count) or
 * of dstreamc (atexit, die), and then come out sorted by their place in
 * the program (line, column), each error or warning with the notes reported
 * after it.  One in another file (an extern header) takes the place of its
 * first note in the program (where the function is used, or the extern
 * statement); ones with no place in the program come last, by file, line
 * and column. */
typedef struct Pending {
	const char *path;
	int line, col;
	bool in_prog;       /* kline, kcol are a place in the program */
	int kline, kcol;
	int seq;    /* report order: ties keep it */
	char *text; /* malloc'd, the notes appended */
	size_t len;
} Pending;
static Pending *pending;
static int npending, cap_pending;
static bool flush_installed;
static FILE *diag_out; /* NULL: stderr (diag_reset) */

static int by_place(const void *a, const void *b)
{
	const Pending *x = a, *y = b;
	if (x->in_prog != y->in_prog)
		return x->in_prog ? -1 : 1;
	if (x->in_prog && x->kline != y->kline)
		return x->kline < y->kline ? -1 : 1;
	if (x->in_prog && x->kcol != y->kcol)
		return x->kcol < y->kcol ? -1 : 1;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void diag_flush(void)
{
	if (npending)
		qsort(pending, (size_t)npending, sizeof *pending, by_place);
	FILE *out = diag_out ? diag_out : stderr;
	for (int i = 0; i < npending; i++) {
		fwrite(pending[i].text, 1, pending[i].len, out);
		free(pending[i].text);
	}
	npending = 0;
	fflush(out);
}

void diag_reset(FILE *out)
{
	for (int i = 0; i < npending; i++)
		free(pending[i].text);
	npending = 0;
	nerrors = 0;
	source = NULL;
	diag_out = out;
}

/* Appends text (a note) to the last diagnostic, or starts a new one. */
static void add_pending(const char *path, int line, int col, bool note, char *text, size_t len)
{
	if (!flush_installed) {
		atexit(diag_flush);
		flush_installed = true;
	}
	bool in_prog = source && line > 0 && !strcmp(path, source->path);
	if (note && npending) {
		Pending *p = &pending[npending - 1];
		if (!p->in_prog && in_prog) {
			p->in_prog = true;
			p->kline = line;
			p->kcol = col;
		}
		char *t = realloc(p->text, p->len + len);
		if (!t) {
			fputs("dstreamc: out of memory\n", stderr);
			exit(2);
		}
		memcpy(t + p->len, text, len);
		p->text = t;
		p->len += len;
		free(text);
		return;
	}
	if (npending == cap_pending) {
		cap_pending = cap_pending ? 2 * cap_pending : 16;
		Pending *np = realloc(pending, (size_t)cap_pending * sizeof *np);
		if (!np) {
			fputs("dstreamc: out of memory\n", stderr);
			exit(2);
		}
		pending = np;
	}
	pending[npending] = (Pending){path, line, col, in_prog, line, col, npending, text, len};
	npending++;
}

void diag_set_source(const SourceFile *src)
{
	source = src;
}

int diag_error_count(void)
{
	diag_flush(); /* the end of a phase */
	return nerrors;
}

/* Print line `line` of text (1-based) and a caret under byte column col. */
static void show_line(FILE *out, const char *text, size_t len, int line, int col)
{
	const char *p = text, *end = text + len;
	for (int l = 1; l < line; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return; /* no such line */
		p = nl + 1;
	}
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	if (eol > p && eol[-1] == '\r')
		eol--;
	fwrite(p, 1, (size_t)(eol - p), out);
	fputc('\n', out);
	for (int i = 0; i < col - 1; i++)
		fputc(p + i < eol && p[i] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

static void vreport(const char *path, const char *text, size_t len, int line,
		    int col, const char *kind, const char *fmt, va_list ap)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	if (!out) {
		fputs("dstreamc: out of memory\n", stderr);
		exit(2);
	}
	if (line > 0)
		fprintf(out, "%s:%d:%d: %s: ", path, line, col, kind);
	else
		fprintf(out, "%s: %s: ", path, kind);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	if (line > 0 && text)
		show_line(out, text, len, line, col < 1 ? 1 : col);
	fclose(out);
	add_pending(path, line, col, !strcmp(kind, "note"), buf, n);
}

static void vreport_at(Loc loc, const char *kind, const char *fmt, va_list ap)
{
	const char *path = source ? source->path : "<input>";
	vreport(path, source ? source->text : NULL, source ? source->len : 0,
		loc.line, loc.col, kind, fmt, ap);
}

void error_at(Loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport_at(loc, "error", fmt, ap);
	va_end(ap);
	nerrors++;
}

void warning_at(Loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport_at(loc, "warning", fmt, ap);
	va_end(ap);
}

void note_at(Loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport_at(loc, "note", fmt, ap);
	va_end(ap);
}

/* Read a whole file into malloc'd memory, or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap) {
			char *nbuf = realloc(buf, cap *= 2);
			if (!nbuf)
				free(buf);
			buf = nbuf;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

void error_in(const char *path, int line, int col, const char *fmt, ...)
{
	size_t len = 0;
	char *text = line > 0 ? slurp(path, &len) : NULL;
	va_list ap;
	va_start(ap, fmt);
	vreport(path, text, len, line, col, "error", fmt, ap);
	va_end(ap);
	free(text);
	nerrors++;
}

char *loc_str(Loc loc)
{
	return arena_printf("%s:%d:%d", source ? source->path : "<input>",
			    (int)loc.line, (int)loc.col);
}

_Noreturn void die_(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	diag_flush();
	fprintf(stderr, "dstreamc: internal error at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
