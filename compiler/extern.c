/* extern.c: reading `extern "file.h";` headers with libclang (see extern.h).
 *
 * The header is parsed as C11 with clang 14's own resource directory (baked
 * in at build time: the headers of stddef.h, stdbool.h, ... that match the
 * library), -I the .dstream's directory and -I the runtime's include
 * directory, so `#include <dstream/rt.h>` works in a header that declares
 * foreachRDD or receiverStream functions.  Only declarations in the header
 * itself count: what it includes is not the user's interface.
 *
 * Every CXString is disposed; the index and the translation unit are
 * disposed before returning, in reverse order of creation.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"


const char *extern_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ".";
	if (slash == path)
		return "/";
	return arena_strndup(path, (size_t)(slash - path));
}

int extern_report_undefined(const Vec *fns, bool (*defined)(const char *name, void *ctx), void *ctx)
{
	int n = 0;
	for (int i = 0; i < fns->n; i++) {
		const ExternFn *fn = fns->v[i];
		if (!fn->used || defined(fn->name, ctx))
			continue;
		error_in(fn->header, fn->line, fn->col, "extern function '%s' is declared here, but no C file defines it",
			 fn->name);
		note_at(fn->use_loc, "'%s' is used here: give dstreamc the C file that defines it, after the "
				     ".dstream file", fn->name);
		n++;
	}
	return n;
}

/* The object's bytes [off, off + n), or NULL when the file is shorter. */
static const void *at(const unsigned char *buf, size_t len, uint64_t off, uint64_t n)
{
	return off <= len && n <= len - off ? buf + off : NULL;
}

bool extern_obj_defines(const char *obj, const char *name)
{
	FILE *f = fopen(obj, "rb");
	if (!f)
		return false;
	size_t cap = 1 << 16, len = 0, got;
	unsigned char *buf = malloc(cap);
	while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0)
		if ((len += got) == cap) {
			unsigned char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	fclose(f);
	bool found = false;
	const Elf64_Ehdr *eh = buf ? at(buf, len, 0, sizeof *eh) : NULL;
	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr))
		goto done;
	const Elf64_Shdr *sh = at(buf, len, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof *sh);
	for (int i = 0; sh && i < eh->e_shnum && !found; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Sym *sym = at(buf, len, sh[i].sh_offset, sh[i].sh_size);
		const char *str = at(buf, len, sh[sh[i].sh_link].sh_offset, sh[sh[i].sh_link].sh_size);
		uint64_t nsyms = sh[i].sh_size / sizeof *sym, strn = sh[sh[i].sh_link].sh_size;
		for (uint64_t k = 0; sym && str && k < nsyms && !found; k++) {
			int bind = ELF64_ST_BIND(sym[k].st_info);
			found = sym[k].st_shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK) &&
				sym[k].st_name < strn && !strncmp(str + sym[k].st_name, name, strn - sym[k].st_name) &&
				strlen(name) < strn - sym[k].st_name;
		}
	}
done:
	free(buf);
	return found;
}

#ifndef DS_HAVE_CLANG

bool extern_load(const char *dstream_path, const char *include, Loc loc, Vec *out)
{
	(void)dstream_path;
	(void)include;
	(void)out;
	error_at(loc, "extern headers need libclang, and this dstreamc was built without it "
		      "(install libclang-14-dev and rebuild)");
	return false;
}

#else

#include <clang-c/Index.h>

#ifndef DS_CLANG_RESOURCE_DIR
#error "DS_CLANG_RESOURCE_DIR: clang's resource directory (CMakeLists.txt finds it)"
#endif

/* A CXString's text, copied into the compiler's arena; the CXString is disposed. */
static const char *take(CXString s)
{
	const char *c = clang_getCString(s);
	const char *r = arena_strdup(c ? c : "");
	clang_disposeString(s);
	return r;
}

static void where(CXSourceLocation l, const char **file, int *line, int *col)
{
	CXFile f;
	unsigned ln, cl;
	clang_getSpellingLocation(l, &f, &ln, &cl, NULL);
	*file = f ? take(clang_getFileName(f)) : NULL;
	*line = (int)ln;
	*col = (int)cl;
}

/* The name of the typedef or struct a pointer points to ("ds_rdd"), without qualifiers. */
static bool points_to(CXType t, const char *name, bool *is_const)
{
	CXType p = clang_getPointeeType(t);
	*is_const = clang_isConstQualifiedType(p);
	const char *sp = take(clang_getTypeSpelling(p));
	if (!strncmp(sp, "const ", 6))
		sp += 6;
	if (!strncmp(sp, "struct ", 7))
		sp += 7;
	return !strcmp(sp, name);
}

/* One C type; *why says what is wrong with an unsupported one. */
static CKind classify(CXType t, const char **why)
{
	CXType c = clang_getCanonicalType(t);
	bool cst;
	*why = NULL;
	switch (c.kind) {
	case CXType_Void: return CK_VOID;
	case CXType_Long: case CXType_LongLong: return CK_I64;
	case CXType_Int: return CK_I32;
	case CXType_Double: return CK_DOUBLE;
	case CXType_Bool: return CK_BOOL;
	case CXType_Pointer: {
		CXType pc = clang_getCanonicalType(clang_getPointeeType(c));
		if (pc.kind == CXType_Char_S) {
			if (clang_isConstQualifiedType(pc))
				return CK_CSTR;
			*why = "a String parameter must be 'const char *' (with or without a size_t length after it)";
			return CK_NONE;
		}
		if (points_to(t, "ds_rdd", &cst)) {
			if (cst)
				return CK_RDD;
			*why = "foreachRDD's batch is a 'const ds_rdd *'";
			return CK_NONE;
		}
		if (points_to(t, "ds_receiver", &cst))
			return CK_RECEIVER;
		break;
	}
	default:
		break;
	}
	*why = "it has no dstream counterpart (Int: int64_t, long, int, int32_t; Double: double; "
	       "Boolean: bool; String: const char * [, size_t])";
	return CK_NONE;
}

static Type *dstream_type(CKind k)
{
	switch (k) {
	case CK_I64: case CK_I32: return ty_int();
	case CK_DOUBLE: return ty_double();
	case CK_BOOL: return ty_bool();
	case CK_STR_LEN: case CK_CSTR: return ty_string();
	default: return NULL;
	}
}

static void mark_bad(ExternFn *fn, const char *msg, CXCursor at)
{
	if (fn->bad)
		return;
	const char *file;
	fn->bad = msg;
	where(clang_getCursorLocation(at), &file, &fn->bad_line, &fn->bad_col);
}

/* A function declaration of the header: its signature, classified. */
static ExternFn *describe(CXCursor cur)
{
	ExternFn *fn = arena_alloc(sizeof *fn);
	const char *file;
	fn->name = take(clang_getCursorSpelling(cur));
	where(clang_getCursorLocation(cur), &file, &fn->line, &fn->col);
	CXType ft = clang_getCursorType(cur);
	const char *why;
	CXType rt = clang_getCursorResultType(cur);
	fn->ret = classify(rt, &why);
	fn->ret_ctype = take(clang_getTypeSpelling(rt));
	if (fn->ret == CK_NONE || fn->ret == CK_RDD || fn->ret == CK_RECEIVER) {
		fn->ret = CK_NONE;
		mark_bad(fn, arena_printf("its result type '%s' has no dstream counterpart", fn->ret_ctype), cur);
	}
	fn->ret_type = dstream_type(fn->ret);
	if (ft.kind == CXType_FunctionNoProto) {
		mark_bad(fn, "it has no prototype (declare it with its parameters, or (void))", cur);
		return fn;
	}
	if (clang_isFunctionTypeVariadic(ft))
		mark_bad(fn, "it is variadic (takes '...')", cur);
	int n = clang_Cursor_getNumArguments(cur);
	fn->params = arena_alloc(sizeof *fn->params * (size_t)(n > 0 ? n : 1));
	for (int i = 0; i < n; i++) {
		CXCursor a = clang_Cursor_getArgument(cur, (unsigned)i);
		CXType at = clang_getCursorType(a);
		ExternParam *p = &fn->params[fn->nparams];
		p->name = take(clang_getCursorSpelling(a));
		p->ctype = take(clang_getTypeSpelling(at));
		p->ck = classify(at, &why);
		if (p->ck == CK_CSTR && i + 1 < n) {
			CXType next = clang_getCanonicalType(clang_getCursorType(clang_Cursor_getArgument(cur, (unsigned)i + 1)));
			if (next.kind == CXType_ULong) { /* size_t: the length of the string before it */
				p->ck = CK_STR_LEN;
				i++;
			}
		}
		if (p->ck == CK_NONE || p->ck == CK_VOID)
			mark_bad(fn, arena_printf("parameter %d '%s' has type '%s': %s", fn->nparams + 1, p->name,
						  p->ctype, why ? why : "it has no dstream counterpart"), a);
		p->type = dstream_type(p->ck);
		fn->nparams++;
	}
	return fn;
}

typedef struct Visit {
	Vec *out;
	const char *header, *include;
	Loc loc;
} Visit;

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, CXClientData data)
{
	(void)parent;
	Visit *v = data;
	if (clang_getCursorKind(c) != CXCursor_FunctionDecl ||
	    !clang_Location_isFromMainFile(clang_getCursorLocation(c)))
		return CXChildVisit_Continue;
	ExternFn *fn = describe(c);
	fn->header = v->header;
	fn->include = v->include;
	fn->ext_loc = v->loc;
	for (int i = 0; i < v->out->n; i++) /* a redeclaration: the first one stands */
		if (!strcmp(((ExternFn *)v->out->v[i])->name, fn->name))
			return CXChildVisit_Continue;
	vec_push(v->out, fn);
	return CXChildVisit_Continue;
}

bool extern_load(const char *dstream_path, const char *include, Loc loc, Vec *out)
{
	const char *dir = extern_dir_of(dstream_path);
	const char *header = include[0] == '/' || !strcmp(dir, ".") ? include
				: arena_printf("%s/%s", dir, include);
	if (access(header, R_OK) != 0) {
		error_at(loc, "cannot read extern header '%s': %s", header, strerror(errno));
		return false;
	}
	const char *rt_inc = paths_rt_include();
	if (!rt_inc)
		rt_inc = "";
	const char *args[] = {"-x", "c", "-std=c11", "-resource-dir", DS_CLANG_RESOURCE_DIR, "-I", dir,
			      "-I", rt_inc};
	int nargs = (int)(sizeof args / sizeof *args) - (*rt_inc ? 0 : 2);

	bool ok = true;
	CXIndex idx = clang_createIndex(0, 0);
	CXTranslationUnit tu = NULL;
	enum CXErrorCode rc = clang_parseTranslationUnit2(idx, header, args, nargs, NULL, 0,
							  CXTranslationUnit_SkipFunctionBodies, &tu);
	if (rc != CXError_Success || !tu) {
		error_at(loc, "cannot parse extern header '%s' (libclang error %d)", header, (int)rc);
		ok = false;
		goto out;
	}
	unsigned nd = clang_getNumDiagnostics(tu);
	for (unsigned i = 0; i < nd; i++) {
		CXDiagnostic d = clang_getDiagnostic(tu, i);
		if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error) {
			const char *file;
			int line, col;
			where(clang_getDiagnosticLocation(d), &file, &line, &col);
			const char *msg = take(clang_getDiagnosticSpelling(d));
			error_in(file ? file : header, line, col, "%s", msg);
			ok = false;
		}
		clang_disposeDiagnostic(d);
	}
	if (!ok) /* what clang recovered is still declared: no follow-on errors at the uses */
		note_at(loc, "in the extern header '%s' declared here", include);
	Visit v = {out, header, include, loc};
	clang_visitChildren(clang_getTranslationUnitCursor(tu), visit, &v);
out:
	if (tu)
		clang_disposeTranslationUnit(tu);
	clang_disposeIndex(idx);
	return ok;
}

#endif
