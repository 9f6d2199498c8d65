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

void diag_set_source(const SourceFile *src)
{
	source = src;
}

int diag_error_count(void)
{
	return nerrors;
}

/* Print line `line` of text (1-based) and a caret under byte column col. */
static void show_line(const char *text, size_t len, int line, int col)
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
	fwrite(p, 1, (size_t)(eol - p), stderr);
	fputc('\n', stderr);
	for (int i = 0; i < col - 1; i++)
		fputc(p + i < eol && p[i] == '\t' ? '\t' : ' ', stderr);
	fputs("^\n", stderr);
}

static void vreport(const char *path, const char *text, size_t len, int line,
		    int col, const char *kind, const char *fmt, va_list ap)
{
	if (line > 0)
		fprintf(stderr, "%s:%d:%d: %s: ", path, line, col, kind);
	else
		fprintf(stderr, "%s: %s: ", path, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (line > 0 && text)
		show_line(text, len, line, col < 1 ? 1 : col);
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
	fprintf(stderr, "dstreamc: internal error at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
