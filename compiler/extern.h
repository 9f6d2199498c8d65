/* extern.h: C functions declared in `extern "file.h";` headers.
 *
 * Requires: a header path as written in the .dstream file (relative to the
 * .dstream file's directory unless absolute).
 * Guarantees: every function declared in the header itself (not in the
 * files it includes) is described by one ExternFn: its C signature
 * classified parameter by parameter, and either the dstream types it has
 * (supported) or the first parameter that has none (unsupported, with its
 * location in the header, so that a use can say why).  Every error
 * diagnostic libclang gives for the header is reported at the header's
 * own file:line:col, with the caret, and a note at the extern statement.
 */
#ifndef DS_EXTERN_H
#define DS_EXTERN_H

#include "types.h"

/* How one C parameter (or the result) crosses the boundary. */
typedef enum CKind {
	CK_NONE,      /* no dstream counterpart (see ExternFn.bad_*) */
	CK_VOID,      /* result only */
	CK_I64,       /* int64_t, long, long long: Int as it is */
	CK_I32,       /* int, int32_t: Int converted as C converts (wraps) */
	CK_DOUBLE,    /* double: Double */
	CK_BOOL,      /* bool: Boolean */
	CK_STR_LEN,   /* const char *p, size_t n (two C parameters): String */
	CK_CSTR,      /* const char *, NUL-terminated: String (a copy with a NUL
			 when passed; copied into the batch arena when returned) */
	CK_RDD,       /* const ds_rdd *: foreachRDD's batch */
	CK_RECEIVER,  /* ds_receiver *: receiverStream's handle */
} CKind;

typedef struct ExternParam {
	CKind ck;
	const char *name;  /* as in the header, or "" */
	const char *ctype; /* "const char *", "int64_t", ... (the first one of a pair) */
	Type *type;        /* the dstream type, NULL for CK_RDD/CK_RECEIVER/CK_NONE */
} ExternParam;

typedef struct ExternFn {
	const char *name;
	const char *header;  /* the path as it is opened (relative to the cwd) */
	const char *include; /* the path as written in the extern statement */
	int line, col;       /* of the declaration in the header */
	Loc ext_loc;         /* the extern statement */
	ExternParam *params; /* dstream-level parameters: a (ptr, len) pair is one */
	int nparams;
	CKind ret;
	Type *ret_type;      /* NULL for void */
	const char *ret_ctype;
	/* unsupported: why, and where in the header */
	const char *bad;     /* NULL when every parameter and the result map */
	int bad_line, bad_col;
	bool used;           /* the program calls it or passes it (checker) */
	Loc use_loc;         /* the first such place */
} ExternFn;

/* Reports each function of fns the program uses that defined(name, ctx)
 * says nothing defines: at its declaration in the header, with a note at
 * its first use.  Returns how many. */
int extern_report_undefined(const Vec *fns, bool (*defined)(const char *name, void *ctx), void *ctx);
/* Whether the ELF object file obj defines the global or weak symbol name. */
bool extern_obj_defines(const char *obj, const char *name);

/* Reads header `include` (written at loc in the .dstream file at
 * dstream_path) with libclang; -I: the .dstream's directory and the
 * runtime's include directory (for <dstream/rt.h>: $DSTREAM_RUNTIME_INCLUDE,
 * else the one dstreamc was built with).  Appends its functions to *out.
 * Returns false after reporting errors. */
bool extern_load(const char *dstream_path, const char *include, Loc loc, Vec *out);

/* The directory part of path ("." when there is none), for -I. */
const char *extern_dir_of(const char *path);

#endif
