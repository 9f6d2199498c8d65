/* emit_llvm.c: loop IR -> LLVM IR (the LLVM backend), through LLVM 14's C API.
 *
 * Requires: an IrProgram from lower_program; LLVM 14 (DS_HAVE_LLVM).
 * Guarantees: one LLVM module that means what emit_c.c's C means, statement
 * for statement: every stage is one function (same names as in the C),
 * every operator's code starts a basic block named by its source line and
 * operator ("wc.dstream:8:20 flatMap"), and the type-directed helpers
 * (eq_/hash_/fmt_/tostr_/copy_ of a composite type; upsert_/find_/findh_ of a
 * table) are internal functions of the same names.  Struct types mirror
 * rt.h and are checked against the C compiler's sizeof/offsetof at every
 * run.  The module is verified before it is printed, compiled to an object
 * file or handed to the JIT; a failure is our bug (die).
 *
 * The runtime's static inline helpers (ds_next_line, ds_split_next,
 * ds_hash_str, ds_str_eq, ...) are called by name.  Their bodies come from
 * runtime/inline.c compiled to bitcode (paths_rt_bc(), paths.c), linked into the module
 * with internal linkage before optimisation, so that they inline into the
 * fused loops; with BackendOptions.no_rt_inline the calls go to
 * libdstream_rt's external copies instead (for measuring what inlining
 * brings).  Linked, they are alwaysinline, as cc treats them.  Calls follow the x86-64 System V ABI as clang lowers them: a
 * ds_str or ds_list argument is two scalars, a returned one is {i8*, i64},
 * a bool is `zeroext i1`, a char `signext i8`.
 *
 * The emitter makes no decisions of its own: what runs is what lowering
 * wrote, as in emit_c.c, whose structure this file follows.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "desc.h"
#include "extern.h"
#include "ir.h"
#include "schema.h"


/* Code generation inside one function: its builders and where allocas go. */
typedef struct FnCtx {
	LLVMValueRef fn;
	LLVMBuilderRef bld; /* the code */
	LLVMBuilderRef AB; /* allocas, at the end of the entry block */
	LLVMBasicBlockRef entry, start;
	LLVMValueRef t, st; /* ds_task *, struct program_state * (stage functions) */
} FnCtx;

typedef struct LEmit {
	LLVMContextRef C;
	LLVMModuleRef M;
	LLVMTargetDataRef TD;
	const IrProgram *ir;
	FnCtx *f;
	/* scalar types */
	LLVMTypeRef vd, i1, i8, i32, i64, dbl, i8p;
	/* rt.h's structs */
	LLVMTypeRef str, list, chunk, arena, rt, task, block, buf, table, dense, split_it, pane, window;
	LLVMTypeRef site, srcd, outd, commit_fn, open_fn, stated, paramd, param_use, prog, abi_str; /* abi_str: {i8*, i64}, how a ds_str returns */
	LLVMTypeRef receiver, rdd, receiver_fn, foreach_fn; /* receiverStream, foreachRDD: fn types */
	LLVMTypeRef state;
	Vec type_keys, type_lts; /* ty_mangle -> LLVMTypeRef of composites */
	LLVMValueRef *vars;       /* by IrVar id: its alloca */
	LLVMBasicBlockRef *labels; /* by label */
	LLVMBasicBlockRef loop_done; /* the innermost IS_FOR_TABLE's exit, for IS_BREAK */
	int *tab_field, *arena_field, *scalar_field, *win_field; /* program_state members */
	ds_state_desc *states;    /* what a checkpoint keeps, laid out (state_layout) */
	int nstates;
} LEmit;

/* ---- types ---------------------------------------------------------------------- */

static LLVMTypeRef named_struct(LEmit *E, const char *name, LLVMTypeRef *elems, unsigned n)
{
	LLVMTypeRef t = LLVMStructCreateNamed(E->C, name);
	LLVMStructSetBody(t, elems, n, false);
	return t;
}

/* The LLVM type of a value of language type t: Int i64, Double double,
 * Boolean i1, String %struct.ds_str, List %struct.ds_list, a tuple or an
 * Option a struct named ty_MANGLE as in the C (an Option is {i1 some, T v}). */
static LLVMTypeRef lt(LEmit *E, Type *t)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_INT: return E->i64;
	case TY_DOUBLE: return E->dbl;
	case TY_BOOL: return E->i1;
	case TY_STRING: return E->str;
	case TY_LIST: return E->list;
	case TY_TUPLE: case TY_OPTION: break;
	default: die("no LLVM type for %s", ty_str(t));
	}
	const char *key = ty_mangle(t);
	for (int i = 0; i < E->type_keys.n; i++)
		if (!strcmp(E->type_keys.v[i], key))
			return E->type_lts.v[i];
	LLVMTypeRef el[64];
	unsigned n = 0;
	if (t->kind == TY_TUPLE) {
		ASSERT(t->n <= 64);
		for (int i = 0; i < t->n; i++)
			el[n++] = lt(E, t->elems[i]);
	} else {
		el[n++] = E->i1;
		el[n++] = lt(E, t->elem);
	}
	LLVMTypeRef st = named_struct(E, arena_printf("ty_%s", key), el, n);
	vec_push(&E->type_keys, (void *)key);
	vec_push(&E->type_lts, st);
	return st;
}

/* A table's slot: {i64 h, K k, V v} (the key's hash, 0: empty; then the
 * entry), named ent_TABLE as in the C. */
static LLVMTypeRef ent_type(LEmit *E, IrTable *tab)
{
	const char *name = arena_printf("ent_%s", tab->name);
	LLVMTypeRef t = LLVMGetTypeByName2(E->C, name);
	if (t)
		return t;
	LLVMTypeRef el[3] = {E->i64, lt(E, tab->key), lt(E, tab->val)};
	return named_struct(E, name, el, 3);
}

static LLVMTypeRef var_type(LEmit *E, IrVar *v)
{
	if (v->bytes) /* a binary record: its bytes */
		return E->i8p;
	return v->type ? lt(E, v->type) : LLVMPointerType(ent_type(E, v->table), 0);
}

static uint64_t size_of(LEmit *E, LLVMTypeRef t) { return LLVMABISizeOfType(E->TD, t); }

/* Struct layouts must be rt.h's exactly: checked against the C compiler that
 * built dstreamc (and the runtime), with the target's data layout. */
#define CHECK_SIZE(lty, cty) ASSERT(size_of(E, lty) == sizeof(cty))
#define CHECK_OFF(lty, cty, i, field) ASSERT(LLVMOffsetOfElement(E->TD, lty, i) == offsetof(cty, field))

static void rt_types(LEmit *E)
{
	LLVMContextRef C = E->C;
	E->vd = LLVMVoidTypeInContext(C);
	E->i1 = LLVMInt1TypeInContext(C);
	E->i8 = LLVMInt8TypeInContext(C);
	E->i32 = LLVMInt32TypeInContext(C);
	E->i64 = LLVMInt64TypeInContext(C);
	E->dbl = LLVMDoubleTypeInContext(C);
	E->i8p = LLVMPointerType(E->i8, 0);
	LLVMTypeRef i8p = E->i8p, i64 = E->i64, i32 = E->i32;

	/* the names clang gives them, so that linking the helpers' bitcode maps
	 * its types onto these (no casts at the calls) */
	E->str = named_struct(E, "struct.ds_str", (LLVMTypeRef[]){i8p, i64}, 2);
	E->list = named_struct(E, "struct.ds_list", (LLVMTypeRef[]){i8p, i64}, 2);
	E->chunk = LLVMStructCreateNamed(C, "struct.ds__chunk");
	E->arena = named_struct(E, "struct.ds_arena", (LLVMTypeRef[]){i8p, i8p, LLVMPointerType(E->chunk, 0), i64}, 4);
	E->rt = LLVMStructCreateNamed(C, "struct.ds_rt");
	E->buf = named_struct(E, "struct.ds_buf", (LLVMTypeRef[]){i8p, i64, i64}, 3);
	/* a bool member is an i8 in memory, as clang lays it out */
	E->task = named_struct(E, "struct.ds_task",
			       (LLVMTypeRef[]){LLVMPointerType(E->arena, 0), i64, i64, LLVMPointerType(E->rt, 0), i64, i32,
					       i32, E->i8, LLVMPointerType(E->buf, 0)},
			       9);
	E->block = named_struct(E, "struct.ds_block", (LLVMTypeRef[]){i8p, i64, i64}, 3);
	E->table = named_struct(E, "struct.ds_table", (LLVMTypeRef[]){i8p, i64, i64, i64, i64}, 5);
	E->dense = named_struct(E, "struct.ds_dense", (LLVMTypeRef[]){E->table, LLVMPointerType(i32, 0), i64}, 3);
	E->split_it = named_struct(E, "struct.ds_split_it", (LLVMTypeRef[]){i8p, i8p, E->str, i32, i64, E->str, E->i8}, 7);
	E->pane = named_struct(E, "struct.ds_pane", (LLVMTypeRef[]){E->arena, E->list, i64, i64}, 4);
	E->window = named_struct(E, "struct.ds_window", (LLVMTypeRef[]){LLVMPointerType(E->pane, 0), i32, i32}, 3);
	E->site = named_struct(E, "struct.ds_site", (LLVMTypeRef[]){i8p, i8p}, 2);
	E->receiver = LLVMStructCreateNamed(C, "struct.ds_receiver");
	E->rdd = LLVMStructCreateNamed(C, "struct.ds_rdd");
	E->receiver_fn = LLVMFunctionType(i32, (LLVMTypeRef[]){LLVMPointerType(E->receiver, 0)}, 1, false);
	E->foreach_fn = LLVMFunctionType(E->vd, (LLVMTypeRef[]){i64, LLVMPointerType(E->rdd, 0)}, 2, false);
	E->srcd = named_struct(E, "struct.ds_source_desc",
			       (LLVMTypeRef[]){i32, i8p, i32, i8p, i8p, i32, LLVMPointerType(E->receiver_fn, 0), i8p, i64,
					       i8p, i64, i8p, i8p, i8p, i8p, i32},
			       16);
	/* saveToKafka's commit: int (ds_rt *, int, int64_t) */
	E->commit_fn = LLVMFunctionType(i32, (LLVMTypeRef[]){i8p, i32, i64}, 3, false);
	/* saveToPostgres's and saveToRedis's open: int (ds_rt *, int) */
	E->open_fn = LLVMFunctionType(i32, (LLVMTypeRef[]){i8p, i32}, 2, false);
	E->outd = named_struct(E, "struct.ds_output_desc",
			       (LLVMTypeRef[]){i32, i64, i8p, i8p, i8p, i64, LLVMPointerType(E->foreach_fn, 0), i8p, i8p,
					       i8p, i8p, i8p, LLVMPointerType(E->commit_fn, 0), i8p, i8p, i8p,
					       LLVMPointerType(E->open_fn, 0)}, 17);
	LLVMTypeRef taskp = LLVMPointerType(E->task, 0);
	LLVMTypeRef stage_fn = LLVMPointerType(LLVMFunctionType(E->vd, (LLVMTypeRef[]){taskp, i8p}, 2, false), 0);
	LLVMTypeRef close_fn = LLVMPointerType(LLVMFunctionType(E->vd, (LLVMTypeRef[]){i8p}, 1, false), 0);
	E->stated = named_struct(E, "struct.ds_state_desc",
				 (LLVMTypeRef[]){i32, i8p, i8p, i8p, i8p, i8p, i64, i64, i64, E->i8}, 10);
	E->paramd = named_struct(E, "struct.ds_param_desc", (LLVMTypeRef[]){i8p, E->i8, i8p, i8p}, 4);
	E->param_use = named_struct(E, "struct.ds_param_use", (LLVMTypeRef[]){i32, i32, i32, i32}, 4);
	E->prog = named_struct(E, "struct.ds_program",
			       (LLVMTypeRef[]){i32, i8p, i8p, i64, i64, i8p, i64, i64, i32,
					       LLVMPointerType(E->srcd, 0), i32, LLVMPointerType(E->outd, 0), i32,
					       LLVMPointerType(E->site, 0), i64, stage_fn, stage_fn, close_fn, i32,
					       LLVMPointerType(E->stated, 0), i32, i8p, i64, i8p, i32,
					       LLVMPointerType(i8p, 0), i32, LLVMPointerType(E->paramd, 0), i32,
					       LLVMPointerType(E->param_use, 0)},
			       30);
	E->abi_str = LLVMStructTypeInContext(C, (LLVMTypeRef[]){i8p, i64}, 2, false);

	CHECK_SIZE(E->str, ds_str);
	CHECK_SIZE(E->list, ds_list);
	CHECK_SIZE(E->arena, ds_arena);
	CHECK_OFF(E->arena, ds_arena, 3, bytes);
	CHECK_SIZE(E->task, ds_task);
	CHECK_OFF(E->task, ds_task, 0, arena);
	CHECK_OFF(E->task, ds_task, 1, batch_time);
	CHECK_OFF(E->task, ds_task, 4, records_out);
	CHECK_OFF(E->task, ds_task, 5, worker);
	CHECK_OFF(E->task, ds_task, 6, nworkers);
	CHECK_OFF(E->task, ds_task, 7, exchange);
	CHECK_OFF(E->task, ds_task, 8, xout);
	CHECK_SIZE(E->block, ds_block);
	CHECK_OFF(E->block, ds_block, 1, len);
	CHECK_SIZE(E->buf, ds_buf);
	CHECK_SIZE(E->table, ds_table);
	CHECK_OFF(E->table, ds_table, 0, slots);
	CHECK_OFF(E->table, ds_table, 2, cap);
	CHECK_OFF(E->table, ds_table, 3, count);
	CHECK_SIZE(E->dense, ds_dense);
	CHECK_OFF(E->dense, ds_dense, 1, at);
	CHECK_OFF(E->dense, ds_dense, 2, nids);
	CHECK_SIZE(E->split_it, ds_split_it);
	CHECK_OFF(E->split_it, ds_split_it, 3, mode);
	CHECK_OFF(E->split_it, ds_split_it, 6, has_held);
	CHECK_SIZE(E->pane, ds_pane);
	CHECK_OFF(E->pane, ds_pane, 1, recs);
	CHECK_OFF(E->pane, ds_pane, 3, time);
	CHECK_SIZE(E->window, ds_window);
	CHECK_OFF(E->window, ds_window, 1, n);
	CHECK_OFF(E->window, ds_window, 2, cur);
	CHECK_SIZE(E->site, ds_site);
	CHECK_SIZE(E->srcd, ds_source_desc);
	CHECK_OFF(E->srcd, ds_source_desc, 2, port);
	CHECK_OFF(E->srcd, ds_source_desc, 5, site);
	CHECK_OFF(E->srcd, ds_source_desc, 6, receiver);
	CHECK_OFF(E->srcd, ds_source_desc, 8, record_len);
	CHECK_OFF(E->srcd, ds_source_desc, 10, per_batch);
	CHECK_OFF(E->srcd, ds_source_desc, 11, brokers);
	CHECK_OFF(E->srcd, ds_source_desc, 14, ops);
	CHECK_OFF(E->srcd, ds_source_desc, 15, kafka_records);
	CHECK_SIZE(E->outd, ds_output_desc);
	CHECK_OFF(E->outd, ds_output_desc, 1, n);
	CHECK_OFF(E->outd, ds_output_desc, 5, slide_ms);
	CHECK_OFF(E->outd, ds_output_desc, 6, foreach);
	CHECK_OFF(E->outd, ds_output_desc, 8, fields);
	CHECK_OFF(E->outd, ds_output_desc, 9, brokers);
	CHECK_OFF(E->outd, ds_output_desc, 11, props);
	CHECK_OFF(E->outd, ds_output_desc, 12, commit);
	CHECK_OFF(E->outd, ds_output_desc, 13, conninfo);
	CHECK_OFF(E->outd, ds_output_desc, 15, mode);
	CHECK_OFF(E->outd, ds_output_desc, 16, open);
	CHECK_SIZE(E->prog, ds_program);
	CHECK_OFF(E->prog, ds_program, 7, plan_hash);
	CHECK_OFF(E->prog, ds_program, 8, nsources);
	CHECK_OFF(E->prog, ds_program, 12, nsites);
	CHECK_OFF(E->prog, ds_program, 14, state_size);
	CHECK_OFF(E->prog, ds_program, 17, close);
	CHECK_OFF(E->prog, ds_program, 19, states);
	CHECK_OFF(E->prog, ds_program, 20, nexchanges);
	CHECK_OFF(E->prog, ds_program, 21, version);
	CHECK_OFF(E->prog, ds_program, 23, explain);
	CHECK_OFF(E->prog, ds_program, 25, counters);
	CHECK_OFF(E->prog, ds_program, 26, nparams);
	CHECK_OFF(E->prog, ds_program, 27, params);
	CHECK_OFF(E->prog, ds_program, 29, param_uses);
	CHECK_SIZE(E->paramd, ds_param_desc);
	CHECK_OFF(E->paramd, ds_param_desc, 1, type);
	CHECK_OFF(E->paramd, ds_param_desc, 3, loc);
	CHECK_SIZE(E->param_use, ds_param_use);
	CHECK_OFF(E->param_use, ds_param_use, 3, field);
	CHECK_SIZE(E->stated, ds_state_desc);
	CHECK_OFF(E->stated, ds_state_desc, 6, offset);
	CHECK_OFF(E->stated, ds_state_desc, 8, esize);
	CHECK_OFF(E->stated, ds_state_desc, 9, dist);
}

/* ---- small builders ---------------------------------------------------------------- */

#define B (E->f->bld)

static LLVMValueRef ci64(LEmit *E, int64_t v) { return LLVMConstInt(E->i64, (unsigned long long)v, true); }
static LLVMValueRef ci32(LEmit *E, int v) { return LLVMConstInt(E->i32, (unsigned long long)(int64_t)v, true); }
static LLVMValueRef ci1(LEmit *E, bool v) { return LLVMConstInt(E->i1, v, false); }

static LLVMBasicBlockRef bb(LEmit *E, const char *name)
{
	return LLVMAppendBasicBlockInContext(E->C, E->f->fn, name);
}

static bool terminated(LEmit *E) { return LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(B)) != NULL; }

/* Falls through to `to` unless the block already ended (a goto). */
static void br(LEmit *E, LLVMBasicBlockRef to)
{
	if (!terminated(E))
		LLVMBuildBr(B, to);
}

static void at(LEmit *E, LLVMBasicBlockRef b) { LLVMPositionBuilderAtEnd(B, b); }

static LLVMValueRef alloca_(LEmit *E, LLVMTypeRef t, const char *name)
{
	return LLVMBuildAlloca(E->f->AB, t, name);
}

static LLVMValueRef load(LEmit *E, LLVMTypeRef t, LLVMValueRef p, const char *name)
{
	return LLVMBuildLoad2(B, t, p, name);
}

/* &p->field i of struct type st */
static LLVMValueRef gep(LEmit *E, LLVMTypeRef st, LLVMValueRef p, unsigned i, const char *name)
{
	return LLVMBuildStructGEP2(B, st, p, i, name);
}

static LLVMValueRef field(LEmit *E, LLVMTypeRef st, LLVMValueRef p, unsigned i, const char *name)
{
	return load(E, LLVMStructGetTypeAtIndex(st, i), gep(E, st, p, i, ""), name);
}

/* &base[i] of element type t */
static LLVMValueRef index_(LEmit *E, LLVMTypeRef t, LLVMValueRef base, LLVMValueRef i, const char *name)
{
	return LLVMBuildGEP2(B, t, base, &i, 1, name);
}

static LLVMValueRef ext(LEmit *E, LLVMValueRef agg, unsigned i, const char *name)
{
	return LLVMBuildExtractValue(B, agg, i, name);
}

/* Starts a function: entry (allocas) then start (code). */
static void fn_begin(LEmit *E, FnCtx *f, LLVMValueRef fn)
{
	f->fn = fn;
	f->bld = LLVMCreateBuilderInContext(E->C);
	f->AB = LLVMCreateBuilderInContext(E->C);
	f->entry = LLVMAppendBasicBlockInContext(E->C, fn, "entry");
	f->start = LLVMAppendBasicBlockInContext(E->C, fn, "start");
	LLVMPositionBuilderAtEnd(f->AB, f->entry);
	LLVMPositionBuilderAtEnd(f->bld, f->start);
	E->f = f;
}

static void fn_end(LEmit *E, FnCtx *f, FnCtx *prev)
{
	LLVMBuildBr(f->AB, f->start);
	LLVMDisposeBuilder(f->bld);
	LLVMDisposeBuilder(f->AB);
	E->f = prev;
}

/* ---- calls into the runtime -------------------------------------------------------- */

/* A runtime function, declared from the types of the arguments it is called
 * with (clang's lowering: i1 params and returns zeroext, i8 signext). */
static LLVMValueRef rt_fn(LEmit *E, const char *name, LLVMTypeRef ret, LLVMValueRef *args, int n)
{
	LLVMValueRef fn = LLVMGetNamedFunction(E->M, name);
	LLVMTypeRef ps[16];
	ASSERT(n <= 16);
	for (int i = 0; i < n; i++)
		ps[i] = LLVMTypeOf(args[i]);
	LLVMTypeRef fty = LLVMFunctionType(ret, ps, (unsigned)n, false);
	if (fn) {
		if (LLVMGlobalGetValueType(fn) != fty)
			die("runtime function %s called with two different signatures", name);
		return fn;
	}
	fn = LLVMAddFunction(E->M, name, fty);
	unsigned zext = LLVMGetEnumAttributeKindForName("zeroext", 7);
	unsigned sext = LLVMGetEnumAttributeKindForName("signext", 7);
	if (ret == E->i1)
		LLVMAddAttributeAtIndex(fn, LLVMAttributeReturnIndex, LLVMCreateEnumAttribute(E->C, zext, 0));
	for (int i = 0; i < n; i++) {
		if (ps[i] == E->i1)
			LLVMAddAttributeAtIndex(fn, (unsigned)i + 1, LLVMCreateEnumAttribute(E->C, zext, 0));
		if (ps[i] == E->i8)
			LLVMAddAttributeAtIndex(fn, (unsigned)i + 1, LLVMCreateEnumAttribute(E->C, sext, 0));
	}
	return fn;
}

static LLVMValueRef call_fn(LEmit *E, LLVMValueRef fn, LLVMValueRef *args, int n, const char *name)
{
	LLVMTypeRef fty = LLVMGlobalGetValueType(fn);
	return LLVMBuildCall2(B, fty, fn, args, (unsigned)n, LLVMGetReturnType(fty) == E->vd ? "" : name);
}

static LLVMValueRef rt_call(LEmit *E, const char *fn, LLVMTypeRef ret, LLVMValueRef *args, int n, const char *name)
{
	return call_fn(E, rt_fn(E, fn, ret, args, n), args, n, name);
}
#define RT(fn, ret, name, ...) \
	rt_call(E, fn, ret, (LLVMValueRef[]){__VA_ARGS__}, \
		(int)(sizeof((LLVMValueRef[]){__VA_ARGS__}) / sizeof(LLVMValueRef)), name)

/* {i8*, i64} as returned <-> %struct.ds_str / %struct.ds_list */
static LLVMValueRef from_abi(LEmit *E, LLVMValueRef v, LLVMTypeRef to, const char *name)
{
	LLVMValueRef r = LLVMGetUndef(to);
	r = LLVMBuildInsertValue(B, r, ext(E, v, 0, ""), 0, "");
	return LLVMBuildInsertValue(B, r, ext(E, v, 1, ""), 1, name);
}

/* A runtime call returning a ds_str. */
#define RT_STR(fn, name, ...) from_abi(E, RT(fn, E->abi_str, "", __VA_ARGS__), E->str, name)

static LLVMValueRef str_p(LEmit *E, LLVMValueRef s) { return ext(E, s, 0, "p"); }
static LLVMValueRef str_n(LEmit *E, LLVMValueRef s) { return ext(E, s, 1, "n"); }

/* A constant C string (NUL-terminated), as i8*. */
static LLVMValueRef cstr(LEmit *E, const char *s, size_t n, const char *name)
{
	LLVMValueRef init = LLVMConstStringInContext(E->C, s, (unsigned)n, false);
	LLVMValueRef g = LLVMAddGlobal(E->M, LLVMTypeOf(init), name);
	LLVMSetInitializer(g, init);
	LLVMSetGlobalConstant(g, true);
	LLVMSetLinkage(g, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
	return LLVMConstBitCast(g, E->i8p);
}

static LLVMValueRef cstr0(LEmit *E, const char *s, const char *name)
{
	return s ? cstr(E, s, strlen(s), name) : LLVMConstNull(E->i8p);
}

/* ---- the program state ------------------------------------------------------------- */

static int index_of(const Vec *v, const void *p)
{
	for (int i = 0; i < v->n; i++)
		if (v->v[i] == p)
			return i;
	die("not in the program");
}

/* A table's state member: a ds_table, or a dense table's ds_dense. */
static LLVMValueRef st_member(LEmit *E, IrTable *t)
{
	return gep(E, E->state, E->f->st, (unsigned)E->tab_field[index_of(&E->ir->tables, t)], t->name);
}

/* A table's ds_table (a dense table's entries: its first member). */
static LLVMValueRef st_table(LEmit *E, IrTable *t)
{
	LLVMValueRef m = st_member(E, t);
	return t->dense ? gep(E, E->dense, m, 0, "t") : m;
}

static LLVMValueRef st_table_arena(LEmit *E, IrTable *t)
{
	int f = E->arena_field[index_of(&E->ir->tables, t)];
	ASSERT(f >= 0);
	return gep(E, E->state, E->f->st, (unsigned)f, arena_printf("%s_arena", t->name));
}

static LLVMValueRef st_scalar(LEmit *E, IrScalar *s)
{
	return gep(E, E->state, E->f->st, (unsigned)E->scalar_field[index_of(&E->ir->scalars, s)], s->name);
}

static LLVMValueRef st_window(LEmit *E, IrWindow *w)
{
	return gep(E, E->state, E->f->st, (unsigned)E->win_field[index_of(&E->ir->windows, w)], w->name);
}

static void build_state(LEmit *E)
{
	const IrProgram *ir = E->ir;
	LLVMTypeRef el[512];
	unsigned n = 0;
	E->tab_field = arena_alloc(sizeof(int) * (size_t)(ir->tables.n + 1));
	E->arena_field = arena_alloc(sizeof(int) * (size_t)(ir->tables.n + 1));
	E->scalar_field = arena_alloc(sizeof(int) * (size_t)(ir->scalars.n + 1));
	E->win_field = arena_alloc(sizeof(int) * (size_t)(ir->windows.n + 1));
	ASSERT(2 * ir->tables.n + ir->scalars.n + ir->windows.n + 1 < 512);
	for (int i = 0; i < ir->tables.n; i++) {
		IrTable *t = ir->tables.v[i];
		E->tab_field[i] = (int)n;
		el[n++] = t->dense ? E->dense : E->table;
		E->arena_field[i] = -1;
		if (t->persistent) {
			E->arena_field[i] = (int)n;
			el[n++] = E->arena;
		}
	}
	for (int i = 0; i < ir->scalars.n; i++) {
		E->scalar_field[i] = (int)n;
		el[n++] = lt(E, ((IrScalar *)ir->scalars.v[i])->type);
	}
	for (int i = 0; i < ir->windows.n; i++) {
		E->win_field[i] = (int)n;
		el[n++] = E->window;
	}
	el[n++] = E->i8; /* unused: keeps the struct non-empty, as in the C */
	E->state = named_struct(E, "struct.program_state", el, n);
}

/* desc_states, with where this engine put each part: its program_state
 * member, and the size of an entry or record. */
static void state_layout(LEmit *E)
{
	const IrProgram *ir = E->ir;
	E->states = desc_states(ir, &E->nstates);
	int k = 0;
	for (int i = 0; i < ir->tables.n; i++) {
		IrTable *t = ir->tables.v[i];
		if (!t->ckpt)
			continue;
		ds_state_desc *d = &E->states[k++];
		d->offset = LLVMOffsetOfElement(E->TD, E->state, (unsigned)E->tab_field[i]);
		d->arena_offset = LLVMOffsetOfElement(E->TD, E->state, (unsigned)E->arena_field[i]);
		d->esize = LLVMABISizeOfType(E->TD, ent_type(E, t));
	}
	for (int i = 0; i < ir->windows.n; i++) {
		IrWindow *w = ir->windows.v[i];
		ds_state_desc *d = &E->states[k++];
		d->offset = LLVMOffsetOfElement(E->TD, E->state, (unsigned)E->win_field[i]);
		d->esize = LLVMABISizeOfType(E->TD, lt(E, w->elem));
	}
	ASSERT(k == E->nstates);
}

/* The arena of a table's copies: its own when persistent, else the batch's. */
static LLVMValueRef batch_arena(LEmit *E)
{
	return field(E, E->task, E->f->t, 0, "arena");
}

/* ---- type helpers: eq_, hash_, fmt_, tostr_, copy_ ---------------------------------- */

static LLVMValueRef eq_val(LEmit *E, Type *t, LLVMValueRef a, LLVMValueRef b);
static LLVMValueRef hash_val(LEmit *E, Type *t, LLVMValueRef v);
static void fmt_val(LEmit *E, Type *t, LLVMValueRef buf, LLVMValueRef v);
static LLVMValueRef copy_val(LEmit *E, Type *t, LLVMValueRef arena, LLVMValueRef v);

/* An internal helper function NAME, or NULL when it must be written now
 * (then *f is its context, current; finish with fn_end(E, f, prev)). */
static LLVMValueRef helper(LEmit *E, const char *name, LLVMTypeRef ret, LLVMTypeRef *ps, int n, FnCtx *f,
			   FnCtx **prev, LLVMValueRef *fn_out)
{
	LLVMValueRef fn = LLVMGetNamedFunction(E->M, name);
	*fn_out = fn;
	if (fn)
		return fn;
	fn = LLVMAddFunction(E->M, name, LLVMFunctionType(ret, ps, (unsigned)n, false));
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	*fn_out = fn;
	*prev = E->f;
	fn_begin(E, f, fn);
	return NULL;
}

/* for (i = 0; i < n; i++) body: the caller writes the body at the returned
 * position, then calls loop_end. */
typedef struct Loop {
	LLVMValueRef i; /* alloca */
	LLVMBasicBlockRef head, body, done;
} Loop;

static LLVMValueRef loop_begin(LEmit *E, Loop *L, LLVMValueRef n, const char *name)
{
	L->i = alloca_(E, E->i64, name);
	LLVMBuildStore(B, ci64(E, 0), L->i);
	L->head = bb(E, arena_printf("%s.head", name));
	L->body = bb(E, arena_printf("%s.body", name));
	L->done = bb(E, arena_printf("%s.done", name));
	br(E, L->head);
	at(E, L->head);
	LLVMValueRef i = load(E, E->i64, L->i, name);
	LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntSLT, i, n, ""), L->body, L->done);
	at(E, L->body);
	return i;
}

static void loop_end(LEmit *E, Loop *L)
{
	LLVMValueRef i = load(E, E->i64, L->i, "");
	LLVMBuildStore(B, LLVMBuildAdd(B, i, ci64(E, 1), ""), L->i);
	br(E, L->head);
	at(E, L->done);
}

/* Element i of list v (of element type et). */
static LLVMValueRef list_elem_ptr(LEmit *E, LLVMTypeRef et, LLVMValueRef list, LLVMValueRef i)
{
	LLVMValueRef data = LLVMBuildBitCast(B, ext(E, list, 0, "data"), LLVMPointerType(et, 0), "");
	return index_(E, et, data, i, "elem");
}

static LLVMValueRef eq_fn(LEmit *E, Type *t)
{
	LLVMTypeRef vt = lt(E, t);
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("eq_%s", ty_mangle(t)), E->i1, (LLVMTypeRef[]){vt, vt}, 2, &f, &prev, &fn))
		return fn;
	LLVMValueRef a = LLVMGetParam(fn, 0), b = LLVMGetParam(fn, 1);
	LLVMSetValueName2(a, "a", 1);
	LLVMSetValueName2(b, "b", 1);
	if (t->kind == TY_TUPLE) {
		LLVMValueRef r = ci1(E, true);
		for (int i = 0; i < t->n; i++)
			r = LLVMBuildAnd(B, r, eq_val(E, t->elems[i], ext(E, a, (unsigned)i, ""), ext(E, b, (unsigned)i, "")), "eq");
		LLVMBuildRet(B, r);
	} else if (t->kind == TY_OPTION) {
		/* a.some == b.some && (!a.some || a.v == b.v): a None's v is zero */
		LLVMValueRef as = ext(E, a, 0, "a.some"), bs = ext(E, b, 0, "b.some");
		LLVMValueRef inner = eq_val(E, t->elem, ext(E, a, 1, "a.v"), ext(E, b, 1, "b.v"));
		LLVMValueRef r = LLVMBuildAnd(B, LLVMBuildICmp(B, LLVMIntEQ, as, bs, ""),
					      LLVMBuildOr(B, LLVMBuildNot(B, as, ""), inner, ""), "eq");
		LLVMBuildRet(B, r);
	} else {
		LLVMTypeRef et = lt(E, t->elem);
		LLVMBasicBlockRef differ = bb(E, "differ"), same_len = bb(E, "same_len");
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntEQ, ext(E, a, 1, "a.len"), ext(E, b, 1, "b.len"), ""), same_len,
				differ);
		at(E, same_len);
		Loop L;
		LLVMValueRef i = loop_begin(E, &L, ext(E, a, 1, "a.len"), "i");
		LLVMValueRef x = load(E, et, list_elem_ptr(E, et, a, i), "x");
		LLVMValueRef y = load(E, et, list_elem_ptr(E, et, b, i), "y");
		LLVMBasicBlockRef next = bb(E, "next");
		LLVMBuildCondBr(B, eq_val(E, t->elem, x, y), next, differ);
		at(E, next);
		loop_end(E, &L);
		LLVMBuildRet(B, ci1(E, true));
		at(E, differ);
		LLVMBuildRet(B, ci1(E, false));
	}
	fn_end(E, &f, prev);
	return fn;
}

static LLVMValueRef eq_val(LEmit *E, Type *t, LLVMValueRef a, LLVMValueRef b)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: return RT("ds_str_eq", E->i1, "eq", str_p(E, a), str_n(E, a), str_p(E, b), str_n(E, b));
	case TY_INT: case TY_BOOL: return LLVMBuildICmp(B, LLVMIntEQ, a, b, "eq");
	case TY_DOUBLE: return LLVMBuildFCmp(B, LLVMRealOEQ, a, b, "eq");
	default: return call_fn(E, eq_fn(E, t), (LLVMValueRef[]){a, b}, 2, "eq");
	}
}

static LLVMValueRef cmp_val(LEmit *E, Type *t, LLVMValueRef a, LLVMValueRef b);

/* cmp_T(a, b): the order of a sort (lang/SPEC.md §9.3), as the C backend's
 * cmp_: tuples field by field, None before Some, lists element by element
 * and then the shorter first. */
static LLVMValueRef cmp_fn(LEmit *E, Type *t)
{
	LLVMTypeRef vt = lt(E, t);
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("cmp_%s", ty_mangle(t)), E->i32, (LLVMTypeRef[]){vt, vt}, 2, &f, &prev, &fn))
		return fn;
	LLVMValueRef a = LLVMGetParam(fn, 0), b = LLVMGetParam(fn, 1);
	LLVMSetValueName2(a, "a", 1);
	LLVMSetValueName2(b, "b", 1);
	if (t->kind == TY_TUPLE) {
		for (int i = 0; i < t->n - 1; i++) {
			LLVMValueRef c = cmp_val(E, t->elems[i], ext(E, a, (unsigned)i, ""), ext(E, b, (unsigned)i, ""));
			LLVMBasicBlockRef differ = bb(E, "differ"), next = bb(E, "next");
			LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntNE, c, ci32(E, 0), ""), differ, next);
			at(E, differ);
			LLVMBuildRet(B, c);
			at(E, next);
		}
		unsigned last = (unsigned)t->n - 1;
		LLVMBuildRet(B, cmp_val(E, t->elems[last], ext(E, a, last, ""), ext(E, b, last, "")));
	} else if (t->kind == TY_OPTION) {
		LLVMValueRef as = ext(E, a, 0, "a.some"), bs = ext(E, b, 0, "b.some");
		LLVMBasicBlockRef by_some = bb(E, "by_some"), both = bb(E, "both");
		LLVMBuildCondBr(B, LLVMBuildOr(B, LLVMBuildICmp(B, LLVMIntNE, as, bs, ""), LLVMBuildNot(B, as, ""), ""),
				by_some, both);
		at(E, by_some);
		LLVMBuildRet(B, LLVMBuildSub(B, LLVMBuildZExt(B, as, E->i32, ""), LLVMBuildZExt(B, bs, E->i32, ""), "c"));
		at(E, both);
		LLVMBuildRet(B, cmp_val(E, t->elem, ext(E, a, 1, "a.v"), ext(E, b, 1, "b.v")));
	} else {
		LLVMTypeRef et = lt(E, t->elem);
		LLVMValueRef al = ext(E, a, 1, "a.len"), bl = ext(E, b, 1, "b.len");
		LLVMValueRef n = LLVMBuildSelect(B, LLVMBuildICmp(B, LLVMIntSLT, al, bl, ""), al, bl, "n");
		Loop L;
		LLVMValueRef i = loop_begin(E, &L, n, "i");
		LLVMValueRef c = cmp_val(E, t->elem, load(E, et, list_elem_ptr(E, et, a, i), "x"),
					 load(E, et, list_elem_ptr(E, et, b, i), "y"));
		LLVMBasicBlockRef differ = bb(E, "differ"), next = bb(E, "next");
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntNE, c, ci32(E, 0), ""), differ, next);
		at(E, differ);
		LLVMBuildRet(B, c);
		at(E, next);
		loop_end(E, &L);
		LLVMBuildRet(B, RT("ds_cmp_i64", E->i32, "c", al, bl));
	}
	fn_end(E, &f, prev);
	return fn;
}

static LLVMValueRef cmp_val(LEmit *E, Type *t, LLVMValueRef a, LLVMValueRef b)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: return RT("ds_str_cmp", E->i32, "c", str_p(E, a), str_n(E, a), str_p(E, b), str_n(E, b));
	case TY_INT: return RT("ds_cmp_i64", E->i32, "c", a, b);
	case TY_BOOL: return RT("ds_cmp_bool", E->i32, "c", a, b);
	case TY_DOUBLE: return RT("ds_cmp_f64", E->i32, "c", a, b);
	default: return call_fn(E, cmp_fn(E, t), (LLVMValueRef[]){a, b}, 2, "c");
	}
}

/* The comparator ds_sort takes for a list of t: i32 (i8*, i8*) on pointers
 * to two elements, the runtime's for a value of one word. */
static LLVMValueRef cmpp_fn(LEmit *E, Type *t)
{
	t = ty_resolve(t);
	LLVMTypeRef fty = LLVMFunctionType(E->i32, (LLVMTypeRef[]){E->i8p, E->i8p}, 2, false);
	const char *rt = t->kind == TY_STRING ? "ds_cmpp_str" : t->kind == TY_INT ? "ds_cmpp_i64"
			 : t->kind == TY_BOOL ? "ds_cmpp_bool" : t->kind == TY_DOUBLE ? "ds_cmpp_f64" : NULL;
	if (rt) {
		LLVMValueRef fn = LLVMGetNamedFunction(E->M, rt);
		return fn ? fn : LLVMAddFunction(E->M, rt, fty);
	}
	LLVMTypeRef vt = lt(E, t);
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("cmpp_%s", ty_mangle(t)), E->i32, (LLVMTypeRef[]){E->i8p, E->i8p}, 2, &f, &prev,
		   &fn))
		return fn;
	LLVMTypeRef pt = LLVMPointerType(vt, 0);
	LLVMValueRef a = load(E, vt, LLVMBuildBitCast(B, LLVMGetParam(fn, 0), pt, ""), "a");
	LLVMValueRef b = load(E, vt, LLVMBuildBitCast(B, LLVMGetParam(fn, 1), pt, ""), "b");
	LLVMBuildRet(B, call_fn(E, cmp_fn(E, t), (LLVMValueRef[]){a, b}, 2, "c"));
	fn_end(E, &f, prev);
	return fn;
}

static LLVMValueRef combine(LEmit *E, LLVMValueRef h, LLVMValueRef x)
{
	return RT("ds_hash_combine", E->i64, "h", h, x);
}

static LLVMValueRef hash_fn(LEmit *E, Type *t)
{
	LLVMTypeRef vt = lt(E, t);
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("hash_%s", ty_mangle(t)), E->i64, &vt, 1, &f, &prev, &fn))
		return fn;
	LLVMValueRef v = LLVMGetParam(fn, 0);
	LLVMSetValueName2(v, "v", 1);
	if (t->kind == TY_TUPLE) {
		LLVMValueRef h = ci64(E, 0);
		for (int i = 0; i < t->n; i++)
			h = combine(E, h, hash_val(E, t->elems[i], ext(E, v, (unsigned)i, "")));
		LLVMBuildRet(B, h);
	} else if (t->kind == TY_OPTION) {
		LLVMValueRef some = combine(E, ci64(E, 1), hash_val(E, t->elem, ext(E, v, 1, "v.v")));
		LLVMValueRef none = RT("ds_hash_i64", E->i64, "h", ci64(E, 0));
		LLVMBuildRet(B, LLVMBuildSelect(B, ext(E, v, 0, "v.some"), some, none, "h"));
	} else {
		LLVMTypeRef et = lt(E, t->elem);
		LLVMValueRef h = alloca_(E, E->i64, "h");
		LLVMBuildStore(B, RT("ds_hash_i64", E->i64, "", ext(E, v, 1, "v.len")), h);
		Loop L;
		LLVMValueRef i = loop_begin(E, &L, ext(E, v, 1, "v.len"), "i");
		LLVMValueRef x = load(E, et, list_elem_ptr(E, et, v, i), "x");
		LLVMBuildStore(B, combine(E, load(E, E->i64, h, ""), hash_val(E, t->elem, x)), h);
		loop_end(E, &L);
		LLVMBuildRet(B, load(E, E->i64, h, "h"));
	}
	fn_end(E, &f, prev);
	return fn;
}

static LLVMValueRef hash_val(LEmit *E, Type *t, LLVMValueRef v)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: return RT("ds_hash_str", E->i64, "h", str_p(E, v), str_n(E, v));
	case TY_INT: return RT("ds_hash_i64", E->i64, "h", v);
	case TY_BOOL: return RT("ds_hash_i64", E->i64, "h", LLVMBuildZExt(B, v, E->i64, ""));
	case TY_DOUBLE: return RT("ds_hash_f64", E->i64, "h", v);
	default: return call_fn(E, hash_fn(E, t), &v, 1, "h");
	}
}

static void putc_(LEmit *E, LLVMValueRef buf, char c)
{
	RT("ds_buf_putc", E->vd, "", buf, LLVMConstInt(E->i8, (unsigned char)c, false));
}

static void put(LEmit *E, LLVMValueRef buf, const char *s)
{
	RT("ds_buf_put", E->vd, "", buf, cstr(E, s, strlen(s), "lit"), ci64(E, (int64_t)strlen(s)));
}

static LLVMValueRef fmt_fn(LEmit *E, Type *t)
{
	LLVMTypeRef ps[2] = {LLVMPointerType(E->buf, 0), lt(E, t)};
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("fmt_%s", ty_mangle(t)), E->vd, ps, 2, &f, &prev, &fn))
		return fn;
	LLVMValueRef b = LLVMGetParam(fn, 0), v = LLVMGetParam(fn, 1);
	LLVMSetValueName2(b, "b", 1);
	LLVMSetValueName2(v, "v", 1);
	if (t->kind == TY_TUPLE) {
		putc_(E, b, '(');
		for (int i = 0; i < t->n; i++) {
			if (i)
				putc_(E, b, ',');
			fmt_val(E, t->elems[i], b, ext(E, v, (unsigned)i, ""));
		}
		putc_(E, b, ')');
	} else if (t->kind == TY_OPTION) {
		LLVMBasicBlockRef none = bb(E, "none"), some = bb(E, "some");
		LLVMBuildCondBr(B, ext(E, v, 0, "v.some"), some, none);
		at(E, none);
		put(E, b, "None");
		LLVMBuildRetVoid(B);
		at(E, some);
		put(E, b, "Some(");
		fmt_val(E, t->elem, b, ext(E, v, 1, "v.v"));
		putc_(E, b, ')');
	} else {
		LLVMTypeRef et = lt(E, t->elem);
		putc_(E, b, '[');
		Loop L;
		LLVMValueRef i = loop_begin(E, &L, ext(E, v, 1, "v.len"), "i");
		LLVMBasicBlockRef comma = bb(E, "comma"), elem = bb(E, "elem");
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntNE, i, ci64(E, 0), ""), comma, elem);
		at(E, comma);
		putc_(E, b, ',');
		LLVMBuildBr(B, elem);
		at(E, elem);
		fmt_val(E, t->elem, b, load(E, et, list_elem_ptr(E, et, v, i), "x"));
		loop_end(E, &L);
		putc_(E, b, ']');
	}
	LLVMBuildRetVoid(B);
	fn_end(E, &f, prev);
	return fn;
}

static void fmt_val(LEmit *E, Type *t, LLVMValueRef buf, LLVMValueRef v)
{
	t = ty_resolve(t);
	switch (t->kind) {
	case TY_STRING: RT("ds_fmt_str", E->vd, "", buf, str_p(E, v), str_n(E, v)); return;
	case TY_INT: RT("ds_fmt_int", E->vd, "", buf, v); return;
	case TY_BOOL: RT("ds_fmt_bool", E->vd, "", buf, v); return;
	case TY_DOUBLE: RT("ds_fmt_double", E->vd, "", buf, v); return;
	default: call_fn(E, fmt_fn(E, t), (LLVMValueRef[]){buf, v}, 2, ""); return;
	}
}

/* tostr_T: the value as print shows it, as a String in arena a. */
static LLVMValueRef tostr_fn(LEmit *E, Type *t)
{
	LLVMTypeRef ps[2] = {LLVMPointerType(E->arena, 0), lt(E, t)};
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("tostr_%s", ty_mangle(t)), E->str, ps, 2, &f, &prev, &fn))
		return fn;
	LLVMValueRef a = LLVMGetParam(fn, 0), v = LLVMGetParam(fn, 1);
	LLVMSetValueName2(a, "a", 1);
	LLVMSetValueName2(v, "v", 1);
	LLVMValueRef b = alloca_(E, E->buf, "b");
	LLVMBuildStore(B, LLVMConstNull(E->buf), b);
	fmt_val(E, t, b, v);
	LLVMValueRef s = RT_STR("ds_buf_to_str", "s", a, b);
	RT("free", E->vd, "", field(E, E->buf, b, 0, "b.p"));
	LLVMBuildRet(B, s);
	fn_end(E, &f, prev);
	return fn;
}

/* copy_T: a deep copy of v into arena a (strings and lists copied). */
static LLVMValueRef copy_fn(LEmit *E, Type *t)
{
	LLVMTypeRef vt = lt(E, t);
	LLVMTypeRef ps[2] = {LLVMPointerType(E->arena, 0), vt};
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("copy_%s", ty_mangle(t)), vt, ps, 2, &f, &prev, &fn))
		return fn;
	LLVMValueRef a = LLVMGetParam(fn, 0), v = LLVMGetParam(fn, 1);
	LLVMSetValueName2(a, "a", 1);
	LLVMSetValueName2(v, "v", 1);
	if (t->kind == TY_TUPLE) {
		for (int i = 0; i < t->n; i++)
			if (ty_has_refs(t->elems[i]))
				v = LLVMBuildInsertValue(B, v, copy_val(E, t->elems[i], a, ext(E, v, (unsigned)i, "")),
							 (unsigned)i, "v");
		LLVMBuildRet(B, v);
	} else if (t->kind == TY_OPTION) {
		LLVMBasicBlockRef some = bb(E, "some"), none = bb(E, "none");
		LLVMBuildCondBr(B, ext(E, v, 0, "v.some"), some, none);
		at(E, some);
		LLVMBuildRet(B, LLVMBuildInsertValue(B, v, copy_val(E, t->elem, a, ext(E, v, 1, "v.v")), 1, "v"));
		at(E, none);
		LLVMBuildRet(B, v);
	} else {
		/* room for the next power of two, as ds_list_push expects */
		LLVMTypeRef et = lt(E, t->elem);
		LLVMValueRef len = ext(E, v, 1, "v.len");
		LLVMValueRef cap = alloca_(E, E->i64, "cap");
		LLVMBuildStore(B, ci64(E, 1), cap);
		LLVMBasicBlockRef grow_head = bb(E, "cap.head"), grow = bb(E, "cap.grow"), alloc = bb(E, "alloc");
		LLVMBuildBr(B, grow_head);
		at(E, grow_head);
		LLVMValueRef c = load(E, E->i64, cap, "cap");
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntULT, c, len, ""), grow, alloc);
		at(E, grow);
		LLVMBuildStore(B, LLVMBuildShl(B, c, ci64(E, 1), ""), cap);
		LLVMBuildBr(B, grow_head);
		at(E, alloc);
		LLVMValueRef bytes = LLVMBuildMul(B, ci64(E, (int64_t)size_of(E, et)), c, "bytes");
		LLVMValueRef data = RT("ds_arena_alloc", E->i8p, "data", a, bytes);
		LLVMValueRef nv = LLVMBuildInsertValue(B, v, data, 0, "copy");
		Loop L;
		LLVMValueRef i = loop_begin(E, &L, len, "i");
		LLVMValueRef x = load(E, et, list_elem_ptr(E, et, v, i), "x");
		LLVMBuildStore(B, copy_val(E, t->elem, a, x), list_elem_ptr(E, et, nv, i));
		loop_end(E, &L);
		LLVMBuildRet(B, nv);
	}
	fn_end(E, &f, prev);
	return fn;
}

static LLVMValueRef copy_val(LEmit *E, Type *t, LLVMValueRef arena, LLVMValueRef v)
{
	t = ty_resolve(t);
	if (!ty_has_refs(t))
		return v;
	if (t->kind == TY_STRING)
		return RT_STR("ds_str_copy", "copy", arena, str_p(E, v), str_n(E, v));
	return call_fn(E, copy_fn(E, t), (LLVMValueRef[]){arena, v}, 2, "copy");
}

/* ---- table probes: upsert_, find_, findh_ ------------------------------------------- */

/* &slots[i] of table tab (an ent_T *): the slot size is the type's. */
static LLVMValueRef entry_at(LEmit *E, IrTable *t, LLVMValueRef tab, LLVMValueRef i)
{
	LLVMTypeRef et = ent_type(E, t);
	LLVMValueRef slots = LLVMBuildBitCast(B, field(E, E->table, tab, 0, "slots"), LLVMPointerType(et, 0), "");
	return index_(E, et, slots, i, "e");
}

/* &e->h: the hash that starts slot e (of table t) */
static LLVMValueRef hash_slot(LEmit *E, IrTable *t, LLVMValueRef e)
{
	return gep(E, ent_type(E, t), e, 0, "hashp");
}

/* Finds k, or inserts a copy of it (in arena a). */
/* A table's probe must inline into every fused loop that calls it (as the
 * C backend's DS_HOT helpers do), however many there are. */
static void always_inline(LLVMValueRef fn)
{
	unsigned k = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
	LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
				LLVMCreateEnumAttribute(LLVMGetModuleContext(LLVMGetGlobalParent(fn)), k, 0));
}

static LLVMValueRef upsert_fn(LEmit *E, IrTable *t)
{
	LLVMTypeRef et = ent_type(E, t);
	LLVMTypeRef ps[4] = {LLVMPointerType(E->table, 0), LLVMPointerType(E->arena, 0), lt(E, t->key),
			     LLVMPointerType(E->i1, 0)};
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("upsert_%s", t->name), LLVMPointerType(et, 0), ps, 4, &f, &prev, &fn))
		return fn;
	always_inline(fn); /* DS_HOT in the C: called from two loops with several workers */
	LLVMValueRef tab = LLVMGetParam(fn, 0), a = LLVMGetParam(fn, 1), k = LLVMGetParam(fn, 2),
		     fresh = LLVMGetParam(fn, 3);
	LLVMSetValueName2(tab, "tab", 3);
	LLVMSetValueName2(a, "a", 1);
	LLVMSetValueName2(k, "k", 1);
	LLVMSetValueName2(fresh, "fresh", 5);
	/* ds_table_full: (count + 1) * 4 > cap * 3 */
	LLVMValueRef count = field(E, E->table, tab, 3, "count");
	LLVMValueRef cap = field(E, E->table, tab, 2, "cap");
	LLVMValueRef full = LLVMBuildICmp(B, LLVMIntUGT, LLVMBuildMul(B, LLVMBuildAdd(B, count, ci64(E, 1), ""), ci64(E, 4), ""),
					  LLVMBuildMul(B, cap, ci64(E, 3), ""), "full");
	LLVMBasicBlockRef grow = bb(E, "grow"), probe = bb(E, "probe");
	LLVMBuildCondBr(B, full, grow, probe);
	at(E, grow);
	RT("ds_table_grow", E->vd, "", tab);
	LLVMBuildBr(B, probe);
	at(E, probe);
	LLVMValueRef h = hash_val(E, t->key, k);
	LLVMValueRef mask = LLVMBuildSub(B, field(E, E->table, tab, 2, "cap"), ci64(E, 1), "mask");
	LLVMValueRef ip = alloca_(E, E->i64, "i");
	LLVMBuildStore(B, LLVMBuildAnd(B, h, mask, ""), ip);
	LLVMBasicBlockRef loop = bb(E, "slot"), insert = bb(E, "insert"), used = bb(E, "used"), found = bb(E, "found"),
			  next = bb(E, "next");
	LLVMBuildBr(B, loop);
	at(E, loop);
	LLVMValueRef i = load(E, E->i64, ip, "i");
	LLVMValueRef e = entry_at(E, t, tab, i);
	LLVMValueRef hp = hash_slot(E, t, e);
	LLVMValueRef hi = load(E, E->i64, hp, "hi");
	LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntEQ, hi, ci64(E, 0), ""), insert, used);
	at(E, insert);
	LLVMBuildStore(B, LLVMConstNull(et), e);
	LLVMBuildStore(B, h, hp);
	LLVMValueRef cp = gep(E, E->table, tab, 3, "countp");
	LLVMBuildStore(B, LLVMBuildAdd(B, load(E, E->i64, cp, ""), ci64(E, 1), ""), cp);
	LLVMBuildStore(B, copy_val(E, t->key, a, k), gep(E, et, e, 1, "e.k"));
	LLVMBuildStore(B, ci1(E, true), fresh);
	LLVMBuildRet(B, e);
	at(E, used);
	LLVMBasicBlockRef cmp = bb(E, "cmp");
	LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntEQ, hi, h, ""), cmp, next);
	at(E, cmp);
	LLVMBuildCondBr(B, eq_val(E, t->key, field(E, et, e, 1, "e.k"), k), found, next);
	at(E, found);
	LLVMBuildStore(B, ci1(E, false), fresh);
	LLVMBuildRet(B, e);
	at(E, next);
	LLVMBuildStore(B, LLVMBuildAnd(B, LLVMBuildAdd(B, i, ci64(E, 1), ""), mask, ""), ip);
	LLVMBuildBr(B, loop);
	fn_end(E, &f, prev);
	return fn;
}

/* A dense table's upsert_: the entry of k, whose dense id is id (no hash
 * probe); a new one takes the next slot (the C backend's upsert_ of a
 * ds_dense, emit_c.c). */
static LLVMValueRef dense_upsert_fn(LEmit *E, IrTable *t)
{
	LLVMTypeRef et = ent_type(E, t);
	LLVMTypeRef ps[5] = {LLVMPointerType(E->dense, 0), LLVMPointerType(E->arena, 0), E->i64, lt(E, t->key),
			     LLVMPointerType(E->i1, 0)};
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("upsert_%s", t->name), LLVMPointerType(et, 0), ps, 5, &f, &prev, &fn))
		return fn;
	always_inline(fn);
	LLVMValueRef d = LLVMGetParam(fn, 0), a = LLVMGetParam(fn, 1), id = LLVMGetParam(fn, 2), k = LLVMGetParam(fn, 3),
		     fresh = LLVMGetParam(fn, 4);
	LLVMSetValueName2(d, "d", 1);
	LLVMSetValueName2(a, "a", 1);
	LLVMSetValueName2(id, "id", 2);
	LLVMSetValueName2(k, "k", 1);
	LLVMSetValueName2(fresh, "fresh", 5);
	LLVMValueRef tab = gep(E, E->dense, d, 0, "t");
	/* id >= nids || ds_table_full(t): (count + 1) * 4 > cap * 3 */
	LLVMValueRef count = field(E, E->table, tab, 3, "count");
	LLVMValueRef cap = field(E, E->table, tab, 2, "cap");
	LLVMValueRef full = LLVMBuildICmp(B, LLVMIntUGT, LLVMBuildMul(B, LLVMBuildAdd(B, count, ci64(E, 1), ""), ci64(E, 4), ""),
					  LLVMBuildMul(B, cap, ci64(E, 3), ""), "full");
	LLVMValueRef out = LLVMBuildICmp(B, LLVMIntUGE, id, field(E, E->dense, d, 2, "nids"), "out");
	LLVMBasicBlockRef fit = bb(E, "fit"), look = bb(E, "look"), found = bb(E, "found"), insert = bb(E, "insert");
	LLVMBuildCondBr(B, LLVMBuildOr(B, full, out, ""), fit, look);
	at(E, fit);
	RT("ds_dense_fit", E->vd, "", d, id);
	LLVMBuildBr(B, look);
	at(E, look);
	LLVMValueRef atp = index_(E, E->i32, field(E, E->dense, d, 1, "at"), id, "atp");
	LLVMValueRef slot = load(E, E->i32, atp, "slot");
	LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntNE, slot, LLVMConstInt(E->i32, 0, false), ""), found, insert);
	at(E, found);
	LLVMBuildStore(B, ci1(E, false), fresh);
	LLVMBuildRet(B, entry_at(E, t, tab, LLVMBuildSub(B, LLVMBuildZExt(B, slot, E->i64, ""), ci64(E, 1), "")));
	at(E, insert);
	/* the slot is zero: the table was cleared, or allocated zeroed */
	LLVMValueRef cp = gep(E, E->table, tab, 3, "countp");
	LLVMValueRef n = load(E, E->i64, cp, "n");
	LLVMValueRef e = entry_at(E, t, tab, n);
	LLVMValueRef n1 = LLVMBuildAdd(B, n, ci64(E, 1), "");
	LLVMBuildStore(B, n1, cp);
	LLVMBuildStore(B, LLVMBuildTrunc(B, n1, E->i32, ""), atp);
	LLVMBuildStore(B, hash_val(E, t->key, k), hash_slot(E, t, e));
	LLVMBuildStore(B, copy_val(E, t->key, a, k), gep(E, et, e, 1, "e.k"));
	LLVMBuildStore(B, ci1(E, true), fresh);
	LLVMBuildRet(B, e);
	fn_end(E, &f, prev);
	return fn;
}

/* find_ (with_hash false) or findh_: the entry of k, or NULL. */
static LLVMValueRef find_fn(LEmit *E, IrTable *t, bool with_hash)
{
	LLVMTypeRef et = ent_type(E, t);
	LLVMTypeRef ps[3] = {LLVMPointerType(E->table, 0), lt(E, t->key), E->i64};
	FnCtx f, *prev;
	LLVMValueRef fn;
	if (helper(E, arena_printf("%s_%s", with_hash ? "findh" : "find", t->name), LLVMPointerType(et, 0), ps,
		   with_hash ? 3 : 2, &f, &prev, &fn))
		return fn;
	always_inline(fn);
	LLVMValueRef tab = LLVMGetParam(fn, 0), k = LLVMGetParam(fn, 1);
	LLVMSetValueName2(tab, "tab", 3);
	LLVMSetValueName2(k, "k", 1);
	LLVMBasicBlockRef none = bb(E, "none"), probe = bb(E, "probe");
	LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntEQ, field(E, E->table, tab, 3, "count"), ci64(E, 0), ""), none, probe);
	at(E, none);
	LLVMBuildRet(B, LLVMConstNull(LLVMPointerType(et, 0)));
	at(E, probe);
	LLVMValueRef h;
	if (with_hash) {
		h = LLVMGetParam(fn, 2);
		LLVMSetValueName2(h, "h", 1);
	} else {
		h = hash_val(E, t->key, k);
	}
	LLVMValueRef mask = LLVMBuildSub(B, field(E, E->table, tab, 2, "cap"), ci64(E, 1), "mask");
	LLVMValueRef ip = alloca_(E, E->i64, "i");
	LLVMBuildStore(B, LLVMBuildAnd(B, h, mask, ""), ip);
	LLVMBasicBlockRef loop = bb(E, "slot"), used = bb(E, "used"), cmp = bb(E, "cmp"), found = bb(E, "found"),
			  next = bb(E, "next");
	LLVMBuildBr(B, loop);
	at(E, loop);
	LLVMValueRef i = load(E, E->i64, ip, "i");
	LLVMValueRef e = entry_at(E, t, tab, i);
	LLVMValueRef hi = load(E, E->i64, hash_slot(E, t, e), "hi");
	LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntEQ, hi, ci64(E, 0), ""), none, used);
	at(E, used);
	LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntEQ, hi, h, ""), cmp, next);
	at(E, cmp);
	LLVMBuildCondBr(B, eq_val(E, t->key, field(E, et, e, 1, "e.k"), k), found, next);
	at(E, found);
	LLVMBuildRet(B, e);
	at(E, next);
	LLVMBuildStore(B, LLVMBuildAnd(B, LLVMBuildAdd(B, i, ci64(E, 1), ""), mask, ""), ip);
	LLVMBuildBr(B, loop);
	fn_end(E, &f, prev);
	return fn;
}

/* ---- expressions ------------------------------------------------------------------ */

static LLVMValueRef expr(LEmit *E, IrExpr *x);

/* A user C function of an extern header, called as its C signature says
 * (extern.h): a String as (p, n) or a NUL-terminated arena copy, an int
 * truncated, a returned C string copied into the batch arena. */
static LLVMValueRef extern_call(LEmit *E, IrExpr *x)
{
	const ExternFn *fn = x->ext;
	LLVMValueRef args[32];
	int n = 0;
	ASSERT(x->n == fn->nparams && 2 * x->n <= 32);
	for (int i = 0; i < x->n; i++) {
		LLVMValueRef v = expr(E, x->a[i]);
		switch (fn->params[i].ck) {
		case CK_STR_LEN:
			args[n++] = str_p(E, v);
			args[n++] = str_n(E, v);
			break;
		case CK_CSTR: args[n++] = RT("ds_str_cstr", E->i8p, "cstr", batch_arena(E), str_p(E, v), str_n(E, v)); break;
		case CK_I32: args[n++] = LLVMBuildTrunc(B, v, E->i32, "int"); break;
		case CK_I64: case CK_DOUBLE: case CK_BOOL: args[n++] = v; break;
		default: die("extern %s: parameter kind %d cannot be passed", fn->name, fn->params[i].ck);
		}
	}
	switch (fn->ret) {
	case CK_VOID: rt_call(E, fn->name, E->vd, args, n, ""); return NULL;
	case CK_I64: return rt_call(E, fn->name, E->i64, args, n, fn->name);
	case CK_I32: return LLVMBuildSExt(B, rt_call(E, fn->name, E->i32, args, n, fn->name), E->i64, fn->name);
	case CK_DOUBLE: return rt_call(E, fn->name, E->dbl, args, n, fn->name);
	case CK_BOOL: return rt_call(E, fn->name, E->i1, args, n, fn->name);
	case CK_CSTR: {
		LLVMValueRef p = rt_call(E, fn->name, E->i8p, args, n, fn->name);
		return RT_STR("ds_cstr_copy", fn->name, batch_arena(E), p);
	}
	default: die("extern %s: result kind %d", fn->name, fn->ret);
	}
}

static const char *var_name(IrVar *v) { return arena_printf("%s_%d", v->name, v->id); }

static LLVMValueRef var_ptr(LEmit *E, IrVar *v)
{
	ASSERT(v->id >= 0 && v->id <= E->ir->nvars);
	if (!E->vars[v->id])
		E->vars[v->id] = alloca_(E, var_type(E, v), var_name(v));
	return E->vars[v->id];
}

static bool is_lvalue(IrExpr *x)
{
	switch (x->kind) {
	case IE_VAR: case IE_SCALAR: case IE_ENTRY_KEY: case IE_ENTRY_VAL: return true;
	case IE_FIELD: return is_lvalue(x->a[0]);
	default: return false;
	}
}

/* The address of an lvalue expression. */
static LLVMValueRef lval(LEmit *E, IrExpr *x)
{
	switch (x->kind) {
	case IE_VAR: return var_ptr(E, x->var);
	case IE_SCALAR: return st_scalar(E, x->scalar);
	case IE_ENTRY_KEY: case IE_ENTRY_VAL: {
		IrVar *v = x->var;
		LLVMTypeRef et = ent_type(E, v->table);
		LLVMValueRef e = load(E, LLVMPointerType(et, 0), var_ptr(E, v), var_name(v));
		return gep(E, et, e, x->kind == IE_ENTRY_KEY ? 1 : 2, x->kind == IE_ENTRY_KEY ? "k" : "v");
	}
	case IE_FIELD:
		return gep(E, lt(E, x->a[0]->type), lval(E, x->a[0]), (unsigned)x->ival, arena_printf("_%lld", (long long)x->ival + 1));
	default: die("expression kind %d is not an lvalue", x->kind);
	}
}

/* a && b, a || b, c ? a : b: only the operand C would evaluate is. */
static LLVMValueRef cond_expr(LEmit *E, LLVMValueRef c, IrExpr *yes, LLVMValueRef yes_v, IrExpr *no, LLVMValueRef no_v,
			      LLVMTypeRef ty, const char *name)
{
	LLVMBasicBlockRef by = bb(E, arena_printf("%s.then", name)), bn = bb(E, arena_printf("%s.else", name)),
			  done = bb(E, arena_printf("%s.end", name));
	LLVMBuildCondBr(B, c, by, bn);
	at(E, by);
	LLVMValueRef vy = yes ? expr(E, yes) : yes_v;
	LLVMBasicBlockRef ey = LLVMGetInsertBlock(B);
	LLVMBuildBr(B, done);
	at(E, bn);
	LLVMValueRef vn = no ? expr(E, no) : no_v;
	LLVMBasicBlockRef en = LLVMGetInsertBlock(B);
	LLVMBuildBr(B, done);
	at(E, done);
	LLVMValueRef phi = LLVMBuildPhi(B, ty, name);
	LLVMAddIncoming(phi, (LLVMValueRef[]){vy, vn}, (LLVMBasicBlockRef[]){ey, en}, 2);
	return phi;
}

static LLVMValueRef bin(LEmit *E, IrExpr *x)
{
	Type *ot = ty_resolve(x->optype);
	int op = x->op;
	if (op == OP_AND || op == OP_OR) {
		LLVMValueRef a = expr(E, x->a[0]);
		return op == OP_AND ? cond_expr(E, a, x->a[1], NULL, NULL, ci1(E, false), E->i1, "and")
				    : cond_expr(E, a, NULL, ci1(E, true), x->a[1], NULL, E->i1, "or");
	}
	LLVMValueRef a = expr(E, x->a[0]), b = expr(E, x->a[1]);
	switch (ot->kind) {
	case TY_INT: case TY_BOOL: {
		bool s = ot->kind == TY_INT;
		switch (op) {
		case '+': return LLVMBuildAdd(B, a, b, "add"); /* wraps: no nsw */
		case '-': return LLVMBuildSub(B, a, b, "sub");
		case '*': return LLVMBuildMul(B, a, b, "mul");
		/* lowering's own / and % (batch times by a slide, never by 0): C's */
		case '/': if (s) return LLVMBuildSDiv(B, a, b, "div"); break;
		case '%': if (s) return LLVMBuildSRem(B, a, b, "rem"); break;
		case '<': return LLVMBuildICmp(B, s ? LLVMIntSLT : LLVMIntULT, a, b, "lt");
		case '>': return LLVMBuildICmp(B, s ? LLVMIntSGT : LLVMIntUGT, a, b, "gt");
		case OP_LE: return LLVMBuildICmp(B, s ? LLVMIntSLE : LLVMIntULE, a, b, "le");
		case OP_GE: return LLVMBuildICmp(B, s ? LLVMIntSGE : LLVMIntUGE, a, b, "ge");
		case OP_EQ: return LLVMBuildICmp(B, LLVMIntEQ, a, b, "eq");
		case OP_NE: return LLVMBuildICmp(B, LLVMIntNE, a, b, "ne");
		}
		break;
	}
	case TY_DOUBLE:
		switch (op) {
		case '+': return LLVMBuildFAdd(B, a, b, "add");
		case '-': return LLVMBuildFSub(B, a, b, "sub");
		case '*': return LLVMBuildFMul(B, a, b, "mul");
		case '/': return LLVMBuildFDiv(B, a, b, "div");
		case '%': return LLVMBuildFRem(B, a, b, "rem"); /* C's fmod */
		case '<': return LLVMBuildFCmp(B, LLVMRealOLT, a, b, "lt");
		case '>': return LLVMBuildFCmp(B, LLVMRealOGT, a, b, "gt");
		case OP_LE: return LLVMBuildFCmp(B, LLVMRealOLE, a, b, "le");
		case OP_GE: return LLVMBuildFCmp(B, LLVMRealOGE, a, b, "ge");
		case OP_EQ: return LLVMBuildFCmp(B, LLVMRealOEQ, a, b, "eq");
		case OP_NE: return LLVMBuildFCmp(B, LLVMRealUNE, a, b, "ne");
		}
		break;
	case TY_STRING: {
		LLVMValueRef c = RT("ds_str_cmp", E->i32, "cmp", str_p(E, a), str_n(E, a), str_p(E, b), str_n(E, b));
		LLVMIntPredicate p = op == '<' ? LLVMIntSLT : op == '>' ? LLVMIntSGT : op == OP_LE ? LLVMIntSLE
				   : op == OP_GE ? LLVMIntSGE : op == OP_EQ ? LLVMIntEQ : LLVMIntNE;
		ASSERT(op == '<' || op == '>' || op == OP_LE || op == OP_GE || op == OP_EQ || op == OP_NE);
		return LLVMBuildICmp(B, p, c, ci32(E, 0), op_name(op));
	}
	default:
		break;
	}
	die("cannot emit %s on %s", op_name(op), ty_str(ot));
}

/* A runtime call of the IR: ds_str and ds_list arguments as two scalars,
 * returned as {i8*, i64}. */
static LLVMValueRef ir_call(LEmit *E, IrExpr *x)
{
	LLVMValueRef args[16];
	int n = 0;
	for (int i = 0; i < x->n; i++) {
		LLVMValueRef v = expr(E, x->a[i]);
		Type *t = x->a[i]->type ? ty_resolve(x->a[i]->type) : NULL;
		if (t && (t->kind == TY_STRING || t->kind == TY_LIST)) {
			ASSERT(n + 2 <= 6); /* all in registers: beyond, clang would pass it on the stack */
			args[n++] = ext(E, v, 0, "");
			args[n++] = ext(E, v, 1, "");
		} else {
			ASSERT(!t || !ty_is_composite(t));
			args[n++] = v;
		}
	}
	Type *rt = x->type ? ty_resolve(x->type) : NULL;
	if (!rt)
		return rt_call(E, x->fn, E->vd, args, n, "");
	if (rt->kind == TY_STRING || rt->kind == TY_LIST)
		return from_abi(E, rt_call(E, x->fn, E->abi_str, args, n, ""), lt(E, rt), x->fn + 3);
	return rt_call(E, x->fn, lt(E, rt), args, n, x->fn + 3);
}

static LLVMValueRef expr(LEmit *E, IrExpr *x)
{
	switch (x->kind) {
	case IE_INT: return ci64(E, x->ival);
	case IE_DOUBLE: return LLVMConstReal(E->dbl, x->dval);
	case IE_BOOL: return ci1(E, x->ival != 0);
	case IE_STR:
		return LLVMConstNamedStruct(E->str, (LLVMValueRef[]){cstr(E, x->str, x->slen, "str"), ci64(E, (int64_t)x->slen)}, 2);
	case IE_VAR: return load(E, var_type(E, x->var), var_ptr(E, x->var), var_name(x->var));
	case IE_SCALAR: return load(E, lt(E, x->type), lval(E, x), x->scalar->name);
	case IE_ENTRY_KEY: case IE_ENTRY_VAL: return load(E, lt(E, x->type), lval(E, x), x->kind == IE_ENTRY_KEY ? "k" : "v");
	case IE_FIELD:
		if (is_lvalue(x))
			return load(E, lt(E, x->type), lval(E, x), arena_printf("_%lld", (long long)x->ival + 1));
		return ext(E, expr(E, x->a[0]), (unsigned)x->ival, arena_printf("_%lld", (long long)x->ival + 1));
	case IE_TUPLE: {
		LLVMValueRef v = LLVMGetUndef(lt(E, x->type));
		for (int i = 0; i < x->n; i++)
			v = LLVMBuildInsertValue(B, v, expr(E, x->a[i]), (unsigned)i, "tuple");
		return v;
	}
	case IE_SOME: {
		LLVMValueRef v = LLVMBuildInsertValue(B, LLVMGetUndef(lt(E, x->type)), ci1(E, true), 0, "");
		return LLVMBuildInsertValue(B, v, expr(E, x->a[0]), 1, "some");
	}
	case IE_NONE: return LLVMConstNull(lt(E, x->type));
	case IE_IS_SOME: return ext(E, expr(E, x->a[0]), 0, "some");
	case IE_OPT_VAL: return ext(E, expr(E, x->a[0]), 1, "v");
	case IE_LIST_LEN: return ext(E, expr(E, x->a[0]), 1, "len");
	case IE_STR_LEN: return ext(E, expr(E, x->a[0]), 1, "n");
	case IE_LIST_AT: {
		LLVMTypeRef et = lt(E, x->type);
		LLVMValueRef l = expr(E, x->a[0]);
		return load(E, et, list_elem_ptr(E, et, l, expr(E, x->a[1])), "at");
	}
	case IE_NEG:
		if (ty_resolve(x->type)->kind == TY_INT)
			return LLVMBuildSub(B, ci64(E, 0), expr(E, x->a[0]), "neg");
		return LLVMBuildFNeg(B, expr(E, x->a[0]), "neg");
	case IE_NOT: return LLVMBuildNot(B, expr(E, x->a[0]), "not");
	case IE_BIN: return bin(E, x);
	case IE_EQ: {
		LLVMValueRef a = expr(E, x->a[0]), b = expr(E, x->a[1]);
		return eq_val(E, x->optype, a, b);
	}
	case IE_COND:
		return cond_expr(E, expr(E, x->a[0]), x->a[1], NULL, x->a[2], NULL, lt(E, x->type), "cond");
	case IE_I2D: return LLVMBuildSIToFP(B, expr(E, x->a[0]), E->dbl, "i2d");
	case IE_D2I: {
		/* Scala's Double.toInt: truncates, saturates, NaN is 0: exactly fptosi.sat */
		LLVMValueRef d = expr(E, x->a[0]);
		return rt_call(E, "llvm.fptosi.sat.i64.f64", E->i64, &d, 1, "d2i");
	}
	case IE_CALL: return ir_call(E, x);
	case IE_ADDR: return var_ptr(E, x->var);
	case IE_ARENA: return batch_arena(E);
	case IE_BATCH_TIME: return field(E, E->task, E->f->t, 1, "batch_time");
	case IE_TASK: return E->f->t;
	case IE_PARAM: {
		LLVMValueRef k = ci32(E, (int)x->ival);
		switch (ty_resolve(x->type)->kind) {
		case TY_INT: return RT("ds_param_int", E->i64, "param", E->f->t, k);
		case TY_DOUBLE: return RT("ds_param_double", E->dbl, "param", E->f->t, k);
		case TY_BOOL: return RT("ds_param_bool", E->i1, "param", E->f->t, k);
		case TY_STRING: return RT_STR("ds_param_str", "param", E->f->t, k);
		default: unreachable();
		}
	}
	case IE_OUT_FULL:
		return LLVMBuildICmp(B, LLVMIntNE, RT("ds_out_full", E->i32, "full", E->f->t, ci32(E, (int)x->ival)),
				     ci32(E, 0), "out_full");
	case IE_HASH: /* as the tables hash their keys: the owner of a key is the owner of its entry */
		ASSERT(x->a[0]->kind == IE_VAR);
		return hash_val(E, x->optype, expr(E, x->a[0]));
	case IE_EXCHANGING: return RT("ds_exchanging", E->i1, "exchanging", E->f->t);
	case IE_OWNS: return RT("ds_owns", E->i1, "owns", E->f->t, expr(E, x->a[0]));
	case IE_TO_STR: {
		Type *t = ty_resolve(x->optype);
		LLVMValueRef v = expr(E, x->a[0]);
		switch (t->kind) {
		case TY_INT: return RT_STR("ds_int_to_str", "s", batch_arena(E), v);
		case TY_DOUBLE: return RT_STR("ds_double_to_str", "s", batch_arena(E), v);
		case TY_BOOL: return RT_STR("ds_bool_to_str", "s", v);
		case TY_STRING: return v;
		default: return call_fn(E, tostr_fn(E, t), (LLVMValueRef[]){batch_arena(E), v}, 2, "s");
		}
	}
	case IE_FOUND: {
		LLVMValueRef e = load(E, var_type(E, x->var), var_ptr(E, x->var), var_name(x->var));
		return LLVMBuildIsNotNull(B, e, "found");
	}
	case IE_COPY: {
		/* into the table's own arena: the value outlives the batch */
		LLVMValueRef v = expr(E, x->a[0]);
		if (!ty_has_refs(x->type))
			return v;
		return copy_val(E, x->type, x->table ? st_table_arena(E, x->table) : batch_arena(E), v);
	}
	case IE_TABLE_COUNT: return field(E, E->table, st_table(E, x->table), 3, "count");
	case IE_EXTERN: return extern_call(E, x);
	case IE_LOAD: {
		LLVMValueRef rec = load(E, E->i8p, var_ptr(E, x->var), var_name(x->var));
		LLVMValueRef p = LLVMBuildGEP2(B, E->i8, rec, (LLVMValueRef[]){ci64(E, x->ival)}, 1, "field");
		if (x->op == FK_BYTES) { /* bN: the bytes, in the block */
			LLVMValueRef v = LLVMConstNamedStruct(E->str, (LLVMValueRef[]){LLVMConstNull(E->i8p), ci64(E, (int64_t)x->slen)}, 2);
			return LLVMBuildInsertValue(B, v, p, 0, "bytes");
		}
		SchemaField fd = {(FieldKind)x->op, x->ival, 0};
		return rt_call(E, arena_printf("ds_load_%s", field_name(&fd)), lt(E, x->type), &p, 1, field_name(&fd));
	}
	case IE_SIZEOF: return ci64(E, (int64_t)size_of(E, lt(E, x->optype)));
	}
	die("cannot emit expression kind %d", x->kind);
}

/* ---- statements -------------------------------------------------------------------- */

static void stmts(LEmit *E, const Vec *v);

/* An operator's code starts a block named by its comment
 * ("wc.dstream:8:20  flatMap"): that is how the .ll says which operator it is. */
static void open_block(LEmit *E, const char *comment)
{
	if (!comment)
		return;
	LLVMBasicBlockRef b = bb(E, comment);
	br(E, b);
	at(E, b);
}

/* After a goto: later statements land in an unreachable block. */
static void after_jump(LEmit *E)
{
	if (terminated(E))
		at(E, bb(E, "dead"));
}

static void stmt(LEmit *E, IrStmt *s)
{
	after_jump(E);
	switch (s->kind) {
	case IS_LET: {
		LLVMValueRef p = var_ptr(E, s->var);
		LLVMBuildStore(B, s->e ? expr(E, s->e) : LLVMConstNull(var_type(E, s->var)), p);
		return;
	}
	case IS_SET: {
		LLVMValueRef v = expr(E, s->e);
		LLVMBuildStore(B, v, lval(E, s->lhs));
		return;
	}
	case IS_IF: {
		open_block(E, s->comment);
		LLVMValueRef c = expr(E, s->e);
		LLVMBasicBlockRef then = bb(E, "then"), els = s->els.n ? bb(E, "else") : NULL, done = bb(E, "endif");
		LLVMBuildCondBr(B, c, then, els ? els : done);
		at(E, then);
		stmts(E, &s->body);
		br(E, done);
		if (els) {
			at(E, els);
			stmts(E, &s->els);
			br(E, done);
		}
		at(E, done);
		return;
	}
	case IS_FOR_LINES: {
		open_block(E, s->comment);
		LLVMValueRef nb = alloca_(E, E->i32, "nblocks");
		LLVMValueRef blocks = RT("ds_input", LLVMPointerType(E->block, 0), "blocks", E->f->t, ci32(E, s->src), nb);
		Loop L;
		LLVMValueRef bi = loop_begin(E, &L, LLVMBuildSExt(B, load(E, E->i32, nb, "nblocks"), E->i64, ""), "b");
		LLVMValueRef blk = index_(E, E->block, blocks, bi, "block");
		LLVMValueRef data = field(E, E->block, blk, 0, "data");
		LLVMValueRef end = LLVMBuildGEP2(B, E->i8, data, (LLVMValueRef[]){field(E, E->block, blk, 1, "len")}, 1, "end");
		LLVMValueRef pp = alloca_(E, E->i8p, "p");
		LLVMBuildStore(B, data, pp);
		LLVMBasicBlockRef next = bb(E, "lines.next"), body = bb(E, "lines.body"),
				  block_done = bb(E, "lines.block_done");
		LLVMBuildBr(B, next);
		at(E, next);
		LLVMValueRef more = RT(s->framed ? "ds_next_framed" : "ds_next_line", E->i1, "more", pp, end, var_ptr(E, s->var));
		LLVMBuildCondBr(B, more, body, block_done);
		at(E, body);
		stmts(E, &s->body);
		br(E, next);
		at(E, block_done);
		loop_end(E, &L);
		return;
	}
	case IS_FOR_RECORDS: {
		open_block(E, s->comment);
		LLVMValueRef nb = alloca_(E, E->i32, "nblocks");
		LLVMValueRef blocks = RT("ds_input", LLVMPointerType(E->block, 0), "blocks", E->f->t, ci32(E, s->src), nb);
		Loop L, R;
		LLVMValueRef bi = loop_begin(E, &L, LLVMBuildSExt(B, load(E, E->i32, nb, "nblocks"), E->i64, ""), "b");
		LLVMValueRef blk = index_(E, E->block, blocks, bi, "block");
		LLVMValueRef data = field(E, E->block, blk, 0, "data");
		LLVMValueRef ri = loop_begin(E, &R, field(E, E->block, blk, 2, "nrecs"), "r");
		LLVMValueRef rec = LLVMBuildGEP2(B, E->i8, data, (LLVMValueRef[]){LLVMBuildMul(B, ri, ci64(E, s->reclen), "")}, 1,
						 "rec");
		LLVMBuildStore(B, rec, var_ptr(E, s->var));
		stmts(E, &s->body);
		after_jump(E);
		loop_end(E, &R);
		loop_end(E, &L);
		return;
	}
	case IS_FOR_RANGE: {
		LLVMValueRef v = var_ptr(E, s->var);
		LLVMBuildStore(B, expr(E, s->lhs), v);
		LLVMBasicBlockRef head = bb(E, "range.head"), body = bb(E, "range.body"), done = bb(E, "range.done");
		LLVMBuildBr(B, head);
		at(E, head);
		LLVMValueRef i = load(E, E->i64, v, var_name(s->var));
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntSLT, i, expr(E, s->e), ""), body, done);
		at(E, body);
		stmts(E, &s->body);
		after_jump(E);
		LLVMBuildStore(B, LLVMBuildAdd(B, load(E, E->i64, v, ""), ci64(E, 1), ""), v);
		LLVMBuildBr(B, head);
		at(E, done);
		return;
	}
	case IS_FOR_SPLIT: {
		LLVMValueRef it = alloca_(E, E->split_it, arena_printf("it_%d", s->var->id));
		LLVMValueRef str = expr(E, s->lhs), sep = expr(E, s->e);
		RT("ds_split_begin", E->vd, "", it, str_p(E, str), str_n(E, str), str_p(E, sep), str_n(E, sep));
		LLVMBasicBlockRef next = bb(E, "split.next"), body = bb(E, "split.body"), done = bb(E, "split.done");
		LLVMBuildBr(B, next);
		at(E, next);
		LLVMValueRef more = RT("ds_split_next", E->i1, "more", it, var_ptr(E, s->var));
		LLVMBuildCondBr(B, more, body, done);
		at(E, body);
		stmts(E, &s->body);
		br(E, next);
		at(E, done);
		return;
	}
	case IS_FOR_TABLE: {
		open_block(E, s->comment);
		LLVMValueRef tab = st_table(E, s->table);
		LLVMValueRef slot = alloca_(E, E->i64, arena_printf("slot_%d", s->var->id));
		LLVMBuildStore(B, ci64(E, 0), slot);
		LLVMBasicBlockRef head = bb(E, "entries.head"), used = bb(E, "entries.used"), body = bb(E, "entries.body"),
				  next = bb(E, "entries.next"), done = bb(E, "entries.done");
		LLVMBuildBr(B, head);
		at(E, head);
		LLVMValueRef i = load(E, E->i64, slot, "slot");
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntULT, i, field(E, E->table, tab, 2, "cap"), ""), used, done);
		at(E, used);
		LLVMValueRef e = entry_at(E, s->table, tab, i);
		LLVMValueRef h = load(E, E->i64, hash_slot(E, s->table, e), "h");
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntNE, h, ci64(E, 0), ""), body, next);
		at(E, body);
		LLVMBuildStore(B, e, var_ptr(E, s->var));
		LLVMBasicBlockRef outer_done = E->loop_done;
		E->loop_done = done; /* IS_BREAK's target */
		stmts(E, &s->body);
		E->loop_done = outer_done;
		br(E, next);
		at(E, next);
		LLVMBuildStore(B, LLVMBuildAdd(B, load(E, E->i64, slot, ""), ci64(E, 1), ""), slot);
		LLVMBuildBr(B, head);
		at(E, done);
		return;
	}
	case IS_CHECK: {
		LLVMValueRef ok = expr(E, s->e);
		LLVMBasicBlockRef bad = bb(E, "bad"), good = bb(E, "checked");
		LLVMBuildCondBr(B, ok, good, bad);
		at(E, bad);
		LLVMValueRef sample = expr(E, s->sample);
		RT("ds_bad_record", E->vd, "", E->f->t, ci32(E, s->site), cstr0(E, s->why, "why"), str_p(E, sample),
		   str_n(E, sample));
		ASSERT(s->label >= 0 && s->label <= E->ir->nlabels);
		if (!E->labels[s->label])
			E->labels[s->label] = bb(E, arena_printf("drop_%d", s->label));
		LLVMBuildBr(B, E->labels[s->label]);
		at(E, good);
		return;
	}
	case IS_LABEL:
		if (!E->labels[s->label])
			E->labels[s->label] = bb(E, arena_printf("drop_%d", s->label));
		br(E, E->labels[s->label]);
		/* keep the blocks in source order: move the label after the current one */
		LLVMMoveBasicBlockAfter(E->labels[s->label], LLVMGetInsertBlock(B));
		at(E, E->labels[s->label]);
		return;
	case IS_UPSERT: {
		LLVMValueRef fresh = var_ptr(E, s->fresh);
		LLVMValueRef key = expr(E, s->e);
		LLVMValueRef arena = s->table->persistent ? st_table_arena(E, s->table) : batch_arena(E);
		LLVMValueRef e;
		if (s->table->dense)
			e = call_fn(E, dense_upsert_fn(E, s->table),
				    (LLVMValueRef[]){st_member(E, s->table), arena, expr(E, s->lhs), key, fresh}, 5,
				    var_name(s->var));
		else
			e = call_fn(E, upsert_fn(E, s->table), (LLVMValueRef[]){st_table(E, s->table), arena, key, fresh},
				    4, var_name(s->var));
		LLVMBuildStore(B, e, var_ptr(E, s->var));
		return;
	}
	case IS_LOOKUP: {
		LLVMValueRef key = expr(E, s->e), e;
		if (s->hash_of) { /* the key's hash is already stored in the table being walked */
			IrTable *walked = s->hash_of->table;
			LLVMValueRef we = load(E, LLVMPointerType(ent_type(E, walked), 0), var_ptr(E, s->hash_of),
					       var_name(s->hash_of));
			LLVMValueRef h = load(E, E->i64, hash_slot(E, walked, we), "h");
			e = call_fn(E, find_fn(E, s->table, true), (LLVMValueRef[]){st_table(E, s->table), key, h}, 3,
				    var_name(s->var));
		} else {
			e = call_fn(E, find_fn(E, s->table, false), (LLVMValueRef[]){st_table(E, s->table), key}, 2,
				    var_name(s->var));
		}
		LLVMBuildStore(B, e, var_ptr(E, s->var));
		return;
	}
	case IS_TABLE_SWAP: {
		open_block(E, s->comment);
		LLVMValueRef a = st_table(E, s->table), b = st_table(E, s->swap_with);
		LLVMValueRef ta = load(E, E->table, a, ""), tb = load(E, E->table, b, "");
		LLVMBuildStore(B, tb, a);
		LLVMBuildStore(B, ta, b);
		LLVMValueRef aa = st_table_arena(E, s->table), ab = st_table_arena(E, s->swap_with);
		LLVMValueRef xa = load(E, E->arena, aa, ""), xb = load(E, E->arena, ab, "");
		LLVMBuildStore(B, xb, aa);
		LLVMBuildStore(B, xa, ab);
		RT("ds_table_clear", E->vd, "", b);
		RT("ds_arena_reset", E->vd, "", ab);
		return;
	}
	case IS_PUSH: {
		LLVMTypeRef et = lt(E, ty_resolve(s->lhs->type)->elem);
		LLVMValueRef arena = s->table && s->table->persistent ? st_table_arena(E, s->table) : batch_arena(E);
		LLVMValueRef slot = RT("ds_list_push", E->i8p, "slot", arena, lval(E, s->lhs), ci64(E, (int64_t)size_of(E, et)));
		LLVMValueRef v = expr(E, s->e);
		LLVMBuildStore(B, v, LLVMBuildBitCast(B, slot, LLVMPointerType(et, 0), ""));
		return;
	}
	case IS_SORT: {
		Type *et = ty_resolve(s->lhs->type)->elem;
		LLVMValueRef cmp = cmpp_fn(E, et);
		LLVMValueRef size = ci64(E, (int64_t)size_of(E, lt(E, et)));
		if (s->e)
			RT("ds_sort_ends", E->vd, "", lval(E, s->lhs), size, expr(E, s->e), ci1(E, s->largest), cmp);
		else
			RT("ds_sort", E->vd, "", lval(E, s->lhs), size, cmp);
		return;
	}
	case IS_BREAK:
		ASSERT(E->loop_done);
		LLVMBuildBr(B, E->loop_done);
		at(E, bb(E, "after.break")); /* unreachable: whatever follows in the body */
		return;
	case IS_OUT_SKIP:
		RT("ds_out_skip", E->vd, "", E->f->t, expr(E, s->e));
		return;
	case IS_OUTPUT: {
		LLVMValueRef out = RT("ds_out_begin", LLVMPointerType(E->buf, 0), "out", E->f->t, ci32(E, s->out));
		LLVMBasicBlockRef yes = bb(E, "output"), done = bb(E, "output.done");
		LLVMBuildCondBr(B, LLVMBuildIsNotNull(B, out, ""), yes, done);
		at(E, yes);
		LLVMValueRef v = expr(E, s->e);
		fmt_val(E, s->e->type, out, v);
		if (s->typed) { /* foreachRDD / foreachRecord: the fields, typed */
			Type *t = ty_resolve(s->e->type);
			int nf = t->kind == TY_TUPLE ? t->n : 1;
			for (int k = 0; k < nf; k++) {
				Type *ft = ty_resolve(t->kind == TY_TUPLE ? t->elems[k] : t);
				LLVMValueRef fv = t->kind == TY_TUPLE ? ext(E, v, (unsigned)k, "") : v;
				LLVMValueRef o = ci32(E, s->out);
				switch (ft->kind) {
				case TY_INT: RT("ds_out_field_int", E->vd, "", E->f->t, o, fv); break;
				case TY_DOUBLE: RT("ds_out_field_double", E->vd, "", E->f->t, o, fv); break;
				case TY_BOOL: RT("ds_out_field_bool", E->vd, "", E->f->t, o, fv); break;
				default:
					if (ft->kind != TY_STRING)
						fv = call_fn(E, tostr_fn(E, ft), (LLVMValueRef[]){batch_arena(E), fv}, 2, "s");
					RT("ds_out_field_str", E->vd, "", E->f->t, o, str_p(E, fv), str_n(E, fv));
					break;
				}
			}
		}
		RT("ds_out_end", E->vd, "", E->f->t, ci32(E, s->out));
		LLVMBuildBr(B, done);
		at(E, done);
		return;
	}
	case IS_BLOCK:
		open_block(E, s->comment);
		stmts(E, &s->body);
		return;
	case IS_CALL_STAGE: {
		LLVMValueRef fn = LLVMGetNamedFunction(E->M, s->fn);
		ASSERT(fn);
		call_fn(E, fn, (LLVMValueRef[]){E->f->t, E->f->st}, 2, "");
		return;
	}
	case IS_XCHG_PUT: {
		LLVMTypeRef et = lt(E, s->e->type);
		LLVMValueRef h = expr(E, s->lhs);
		LLVMValueRef slot =
			RT("ds_xchg_put", E->i8p, "slot", E->f->t, ci32(E, s->out), h, ci64(E, (int64_t)size_of(E, et)));
		LLVMValueRef v = expr(E, s->e);
		LLVMBuildStore(B, v, LLVMBuildBitCast(B, slot, LLVMPointerType(et, 0), ""));
		return;
	}
	case IS_FOR_XCHG: {
		/* one block per sender, in worker order, of whole records */
		open_block(E, s->comment);
		LLVMTypeRef et = lt(E, s->var->type);
		LLVMValueRef nsent = alloca_(E, E->i32, arena_printf("nsent_%d", s->var->id));
		LLVMValueRef sent = RT("ds_xchg_input", LLVMPointerType(E->block, 0), "sent", E->f->t, ci32(E, s->out), nsent);
		Loop W, R;
		LLVMValueRef wi = loop_begin(E, &W, LLVMBuildSExt(B, load(E, E->i32, nsent, "nsent"), E->i64, ""), "w");
		LLVMValueRef blk = index_(E, E->block, sent, wi, "block");
		LLVMValueRef recs = LLVMBuildBitCast(B, field(E, E->block, blk, 0, "data"), LLVMPointerType(et, 0), "recs");
		LLVMValueRef n = LLVMBuildUDiv(B, field(E, E->block, blk, 1, "len"), ci64(E, (int64_t)size_of(E, et)), "nrecs");
		LLVMValueRef ri = loop_begin(E, &R, n, "r");
		LLVMBuildStore(B, load(E, et, index_(E, et, recs, ri, "rec"), ""), var_ptr(E, s->var));
		stmts(E, &s->body);
		after_jump(E);
		loop_end(E, &R);
		loop_end(E, &W);
		return;
	}
	case IS_BARRIER:
		RT("ds_barrier", E->vd, "", E->f->t);
		return;
	case IS_TABLE_RESERVE:
		RT("ds_table_reserve", E->vd, "", st_table(E, s->table),
		   RT("ds_input_records", E->i64, "nrecs", E->f->t, ci32(E, s->src)));
		return;
	case IS_WINDOW_INIT:
		RT("ds_window_init", E->vd, "", st_window(E, s->window), ci32(E, s->window->npanes));
		return;
	case IS_WINDOW_BEGIN:
		RT("ds_window_begin_batch", E->vd, "", st_window(E, s->window), field(E, E->task, E->f->t, 1, "batch_time"));
		return;
	case IS_WINDOW_CLOSE:
		RT("ds_window_close", E->vd, "", st_window(E, s->window));
		return;
	case IS_PANE_PUSH: {
		LLVMTypeRef et = lt(E, s->window->elem);
		LLVMValueRef w = st_window(E, s->window);
		LLVMValueRef cur = LLVMBuildSExt(B, field(E, E->window, w, 2, "cur"), E->i64, "");
		LLVMValueRef pane = index_(E, E->pane, field(E, E->window, w, 0, "panes"), cur, "pane");
		LLVMValueRef slot = RT("ds_pane_push", E->i8p, "slot", pane, ci64(E, (int64_t)size_of(E, et)));
		/* the record outlives the batch: copy what it points to */
		LLVMValueRef v = copy_val(E, s->window->elem, gep(E, E->pane, pane, 0, "pane.arena"), expr(E, s->e));
		LLVMBuildStore(B, v, LLVMBuildBitCast(B, slot, LLVMPointerType(et, 0), ""));
		return;
	}
	case IS_FOR_WINDOW: {
		open_block(E, s->comment);
		LLVMTypeRef et = lt(E, s->var->type);
		LLVMValueRef w = st_window(E, s->window);
		Loop P;
		LLVMValueRef n = LLVMBuildSExt(B, field(E, E->window, w, 1, "n"), E->i64, "npanes");
		LLVMValueRef pi = loop_begin(E, &P, n, "pi");
		/* ds_window_pane: the pi-th pane in time order */
		LLVMValueRef cur = LLVMBuildSExt(B, field(E, E->window, w, 2, "cur"), E->i64, "");
		LLVMValueRef k = LLVMBuildSRem(B, LLVMBuildAdd(B, LLVMBuildAdd(B, cur, ci64(E, 1), ""), pi, ""),
					       LLVMBuildSExt(B, field(E, E->window, w, 1, "n"), E->i64, ""), "");
		LLVMValueRef pane = index_(E, E->pane, field(E, E->window, w, 0, "panes"), k, "pane");
		LLVMValueRef ptime = field(E, E->pane, pane, 3, "pane.time");
		LLVMValueRef T = field(E, E->task, E->f->t, 1, "batch_time");
		/* in (T - from_ago, T - to_ago] */
		LLVMValueRef lo = LLVMBuildSub(B, T, ci64(E, s->from_ago), "from");
		LLVMValueRef hi = LLVMBuildSub(B, T, ci64(E, s->to_ago), "to");
		LLVMValueRef in = LLVMBuildAnd(B, LLVMBuildICmp(B, LLVMIntSGT, ptime, lo, ""), LLVMBuildICmp(B, LLVMIntSLE, ptime, hi, ""),
					       "in_window");
		LLVMBasicBlockRef recs = bb(E, "pane.recs"), skip = bb(E, "pane.next");
		LLVMBuildCondBr(B, in, recs, skip);
		at(E, recs);
		LLVMValueRef list = field(E, E->pane, pane, 1, "recs");
		Loop R;
		LLVMValueRef ri = loop_begin(E, &R, ext(E, list, 1, "len"), "ri");
		LLVMBuildStore(B, load(E, et, list_elem_ptr(E, et, list, ri), ""), var_ptr(E, s->var));
		stmts(E, &s->body);
		after_jump(E);
		loop_end(E, &R);
		LLVMBuildBr(B, skip);
		at(E, skip);
		loop_end(E, &P);
		return;
	}
	case IS_TABLE_INIT: {
		LLVMValueRef tab = st_member(E, s->table);
		RT(s->table->dense ? "ds_dense_init" : "ds_table_init", E->vd, "", tab,
		   ci64(E, (int64_t)size_of(E, ent_type(E, s->table))));
		if (s->table->persistent)
			RT("ds_arena_init", E->vd, "", st_table_arena(E, s->table));
		return;
	}
	case IS_TABLE_CLEAR:
		RT(s->table->dense ? "ds_dense_clear" : "ds_table_clear", E->vd, "", st_member(E, s->table));
		return;
	case IS_TABLE_CLOSE:
		RT(s->table->dense ? "ds_dense_close" : "ds_table_close", E->vd, "", st_member(E, s->table));
		if (s->table->persistent)
			RT("ds_arena_close", E->vd, "", st_table_arena(E, s->table));
		return;
	}
	die("cannot emit statement kind %d", s->kind);
}

static void stmts(LEmit *E, const Vec *v)
{
	for (int i = 0; i < v->n; i++)
		stmt(E, v->v[i]);
}

/* Stage functions and program_init/run_batch: (ds_task *t, state *st);
 * program_init, program_run_batch and program_close take the state as void *
 * (i8*), as ds_program's pointers do. */
static LLVMValueRef declare_func(LEmit *E, IrFunc *fn, bool entry_point, bool has_task)
{
	LLVMTypeRef sp = entry_point ? E->i8p : LLVMPointerType(E->state, 0);
	LLVMTypeRef ps[2] = {LLVMPointerType(E->task, 0), sp};
	LLVMValueRef f = LLVMAddFunction(E->M, fn->name, LLVMFunctionType(E->vd, has_task ? ps : ps + 1, has_task ? 2 : 1, false));
	if (!entry_point) {
		LLVMSetLinkage(f, LLVMInternalLinkage);
		/* one function per stage in the optimised IR too, as in the C: it
		 * costs one call per batch and keeps each fused loop readable */
		unsigned k = LLVMGetEnumAttributeKindForName("noinline", 8);
		LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(E->C, k, 0));
	}
	return f;
}

static void emit_func(LEmit *E, IrFunc *fn, bool has_task)
{
	LLVMValueRef f = LLVMGetNamedFunction(E->M, fn->name);
	ASSERT(f);
	FnCtx ctx = {0};
	fn_begin(E, &ctx, f);
	if (has_task) {
		ctx.t = LLVMGetParam(f, 0);
		LLVMSetValueName2(ctx.t, "t", 1);
	}
	LLVMValueRef st = LLVMGetParam(f, has_task ? 1 : 0);
	LLVMSetValueName2(st, "st", 2);
	ctx.st = LLVMTypeOf(st) == E->i8p ? LLVMBuildBitCast(B, st, LLVMPointerType(E->state, 0), "state") : st;
	/* the stage's comment, as the name of its first block */
	LLVMSetValueName2(LLVMBasicBlockAsValue(ctx.start), fn->comment, strlen(fn->comment));
	stmts(E, &fn->body);
	after_jump(E);
	LLVMBuildRetVoid(B);
	fn_end(E, &ctx, NULL);
}

/* ---- the program descriptor ---------------------------------------------------------- */

/* A function of the program by name (the user's C, or foreach_record_N), of type fty. */
/* kafkaStream's reader, ds_kafka_source (runtime/kafka_in.c), as an i8*; else null. */
static LLVMValueRef kafka_ops(LEmit *E, const ds_source_desc *s)
{
	if (s->kind != DS_SRC_KAFKA)
		return LLVMConstNull(E->i8p);
	LLVMValueRef g = LLVMGetNamedGlobal(E->M, "ds_kafka_source");
	if (!g)
		g = LLVMAddGlobal(E->M, E->i8, "ds_kafka_source"); /* opaque here: only its address is used */
	return LLVMConstBitCast(g, E->i8p);
}

static LLVMValueRef user_fn(LEmit *E, const char *name, LLVMTypeRef fty)
{
	LLVMValueRef f = LLVMGetNamedFunction(E->M, name);
	if (!f)
		f = LLVMAddFunction(E->M, name, fty);
	if (LLVMGlobalGetValueType(f) != fty)
		die("%s is used with two different signatures", name);
	return f;
}

/* foreachRecord(f): the runtime calls foreach_record_N with the batch's
 * records; it calls f once per record with the record's fields (a
 * type-directed helper, as in emit_c.c). */
static void emit_foreach_record(LEmit *E, const DNode *o)
{
	const ExternFn *fn = ((Node *)o->call->items.v[1])->aux;
	Type *t = ty_resolve(ty_resolve(o->in[0]->type)->elem);
	int nf = t->kind == TY_TUPLE ? t->n : 1;
	LLVMValueRef f = user_fn(E, desc_foreach_fn(o), E->foreach_fn);
	FnCtx ctx = {0};
	fn_begin(E, &ctx, f);
	LLVMValueRef rdd = LLVMGetParam(f, 1);
	LLVMSetValueName2(LLVMGetParam(f, 0), "batch_time_ms", 13);
	LLVMSetValueName2(rdd, "rdd", 3);
	LLVMSetValueName2(LLVMBasicBlockAsValue(ctx.start), arena_printf("%s  foreachRecord(%s)", node_loc(o), fn->name),
			  strlen(arena_printf("%s  foreachRecord(%s)", node_loc(o), fn->name)));
	Loop L;
	LLVMValueRef i = loop_begin(E, &L, RT("ds_rdd_count", E->i64, "count", rdd), "i");
	LLVMValueRef args[64];
	int n = 0;
	ASSERT(nf <= 32);
	for (int k = 0; k < nf; k++) {
		switch (fn->params[k].ck) {
		case CK_STR_LEN: case CK_CSTR: {
			LLVMValueRef len = alloca_(E, E->i64, arena_printf("n%d", k));
			args[n++] = RT("ds_rdd_string", E->i8p, arena_printf("s%d", k), rdd, i, ci32(E, k), len);
			if (fn->params[k].ck == CK_STR_LEN)
				args[n++] = load(E, E->i64, len, arena_printf("n%d", k));
			break;
		}
		case CK_I64: args[n++] = RT("ds_rdd_int", E->i64, "v", rdd, i, ci32(E, k)); break;
		case CK_I32: args[n++] = LLVMBuildTrunc(B, RT("ds_rdd_int", E->i64, "", rdd, i, ci32(E, k)), E->i32, "v"); break;
		case CK_DOUBLE: args[n++] = RT("ds_rdd_double", E->dbl, "v", rdd, i, ci32(E, k)); break;
		case CK_BOOL: args[n++] = RT("ds_rdd_bool", E->i1, "v", rdd, i, ci32(E, k)); break;
		default: unreachable(); /* the checker accepts only these */
		}
	}
	rt_call(E, fn->name, E->vd, args, n, "");
	loop_end(E, &L);
	LLVMBuildRetVoid(B);
	fn_end(E, &ctx, NULL);
}

static LLVMValueRef const_array(LEmit *E, LLVMTypeRef et, LLVMValueRef *v, int n, const char *name)
{
	LLVMValueRef init = LLVMConstArray(et, v, (unsigned)n);
	LLVMValueRef g = LLVMAddGlobal(E->M, LLVMTypeOf(init), name);
	LLVMSetInitializer(g, init);
	LLVMSetGlobalConstant(g, true);
	LLVMSetLinkage(g, LLVMPrivateLinkage);
	return LLVMConstBitCast(g, LLVMPointerType(et, 0));
}

/* `program`, the ds_program of rt.h, as constants (desc_build's, with the
 * engine's four fields), and main() calling ds_main. */
static void emit_descriptor(LEmit *E)
{
	const IrProgram *ir = E->ir;
	const ds_program *d = desc_build(ir->plan, ir_sites(ir), ir->sites.n);
	LLVMValueRef v[256];
	ASSERT(d->nsources < 256 && d->noutputs < 256);
	for (int i = 0; i < d->nsources; i++) {
		const ds_source_desc *s = &d->sources[i];
		/* receiverStream: the user's function, linked with the program */
		LLVMValueRef recv = LLVMConstNull(LLVMPointerType(E->receiver_fn, 0));
		if (s->kind == DS_SRC_RECEIVER)
			recv = user_fn(E, s->fn, E->receiver_fn);
		v[i] = LLVMConstNamedStruct(E->srcd,
					    (LLVMValueRef[]){ci32(E, s->kind), cstr0(E, s->host, "host"), ci32(E, s->port),
							     cstr0(E, s->path, "path"), cstr0(E, s->loc, "loc"), ci32(E, s->site), recv,
							     cstr0(E, s->fn, "fn"), ci64(E, s->record_len), cstr0(E, s->schema, "schema"),
							     ci64(E, s->per_batch), cstr0(E, s->brokers, "brokers"),
							     cstr0(E, s->topic, "topic"), cstr0(E, s->props, "props"), kafka_ops(E, s),
							     ci32(E, s->kafka_records)},
					    16);
	}
	LLVMValueRef sources = const_array(E, E->srcd, v, d->nsources, "sources");
	for (int i = 0; i < d->noutputs; i++) {
		const ds_output_desc *o = &d->outputs[i];
		/* foreachRDD: the user's function; foreachRecord: foreach_record_N */
		LLVMValueRef each = LLVMConstNull(LLVMPointerType(E->foreach_fn, 0));
		if (o->kind == DS_OUT_FOREACH)
			each = user_fn(E, o->fn, E->foreach_fn);
		/* saveToKafka: the runtime's sink (kafka_out.c) */
		LLVMValueRef commit = LLVMConstNull(LLVMPointerType(E->commit_fn, 0));
		if (o->kind == DS_OUT_KAFKA)
			commit = user_fn(E, "ds_kafka_commit", E->commit_fn);
		/* saveToPostgres, saveToRedis: the runtime's sinks (pg_out.c, redis_out.c) */
		LLVMValueRef open = LLVMConstNull(LLVMPointerType(E->open_fn, 0));
		if (o->kind == DS_OUT_POSTGRES || o->kind == DS_OUT_REDIS) {
			bool pg = o->kind == DS_OUT_POSTGRES;
			commit = user_fn(E, pg ? "ds_pg_commit" : "ds_redis_commit", E->commit_fn);
			open = user_fn(E, pg ? "ds_pg_open" : "ds_redis_open", E->open_fn);
		}
		v[i] = LLVMConstNamedStruct(E->outd,
					    (LLVMValueRef[]){ci32(E, o->kind), ci64(E, o->n), cstr0(E, o->prefix, "prefix"),
							     cstr0(E, o->suffix, "suffix"), cstr0(E, o->loc, "loc"),
							     ci64(E, o->slide_ms), each, cstr0(E, o->fn, "fn"),
							     cstr0(E, o->fields, "fields"), cstr0(E, o->brokers, "brokers"),
							     cstr0(E, o->topic, "topic"), cstr0(E, o->props, "props"), commit,
							     cstr0(E, o->conninfo, "conninfo"), cstr0(E, o->table, "table"),
							     cstr0(E, o->mode, "mode"), open},
					    17);
	}
	LLVMValueRef outputs = const_array(E, E->outd, v, d->noutputs, "outputs");
	LLVMValueRef *sv = arena_alloc(sizeof(LLVMValueRef) * (size_t)(d->nsites + 1));
	for (int i = 0; i < d->nsites; i++)
		sv[i] = LLVMConstNamedStruct(E->site,
					     (LLVMValueRef[]){cstr0(E, d->sites[i].loc, "loc"), cstr0(E, d->sites[i].op, "op")}, 2);
	LLVMValueRef sites = const_array(E, E->site, sv, d->nsites, "sites");
	LLVMValueRef *stv = arena_alloc(sizeof(LLVMValueRef) * (size_t)(E->nstates + 1));
	for (int i = 0; i < E->nstates; i++) {
		const ds_state_desc *x = &E->states[i];
		stv[i] = LLVMConstNamedStruct(E->stated,
					      (LLVMValueRef[]){ci32(E, x->kind), cstr0(E, x->name, "name"), cstr0(E, x->loc, "loc"),
							       cstr0(E, x->op, "op"), cstr0(E, x->type, "type"),
							       cstr0(E, x->layout, "layout"), ci64(E, (int64_t)x->offset),
							       ci64(E, (int64_t)x->arena_offset), ci64(E, (int64_t)x->esize),
							       LLVMConstInt(E->i8, (unsigned char)x->dist, false)},
					      10);
	}
	LLVMValueRef states = E->nstates ? const_array(E, E->stated, stv, E->nstates, "states")
					 : LLVMConstNull(LLVMPointerType(E->stated, 0));
	LLVMValueRef *cnames = arena_alloc(sizeof *cnames * (size_t)(d->ncounters + 1));
	LLVMValueRef counters = LLVMConstNull(LLVMPointerType(E->i8p, 0));
	for (int i = 0; i < d->ncounters; i++)
		cnames[i] = cstr0(E, d->counters[i], "counter");
	if (d->ncounters)
		counters = const_array(E, E->i8p, cnames, d->ncounters, "counters");
	/* the parameters, and the descriptor fields that hold their values */
	LLVMValueRef *pv = arena_alloc(sizeof(LLVMValueRef) * (size_t)(d->nparams + d->nparam_uses + 1));
	for (int i = 0; i < d->nparams; i++) {
		const ds_param_desc *x = &d->params[i];
		pv[i] = LLVMConstNamedStruct(E->paramd,
					     (LLVMValueRef[]){cstr0(E, x->name, "param_name"),
							      LLVMConstInt(E->i8, (unsigned char)x->type, false),
							      cstr0(E, x->def, "param_def"), cstr0(E, x->loc, "param_loc")},
					     4);
	}
	LLVMValueRef params = d->nparams ? const_array(E, E->paramd, pv, d->nparams, "params")
					 : LLVMConstNull(LLVMPointerType(E->paramd, 0));
	for (int i = 0; i < d->nparam_uses; i++) {
		const ds_param_use *x = &d->param_uses[i];
		pv[i] = LLVMConstNamedStruct(E->param_use,
					     (LLVMValueRef[]){ci32(E, x->param), ci32(E, x->source), ci32(E, x->output),
							      ci32(E, (int)x->field)},
					     4);
	}
	LLVMValueRef uses = d->nparam_uses ? const_array(E, E->param_use, pv, d->nparam_uses, "param_uses")
					   : LLVMConstNull(LLVMPointerType(E->param_use, 0));
	LLVMValueRef fields[30] = {
		ci32(E, DS_ABI_VERSION),
		cstr0(E, d->name, "name"),
		cstr0(E, d->source, "source"),
		ci64(E, d->batch_ms),
		ci64(E, d->block_ms),
		cstr0(E, d->checkpoint_dir, "checkpoint_dir"),
		ci64(E, d->checkpoint_ms),
		LLVMConstInt(E->i64, d->plan_hash, false),
		ci32(E, d->nsources),
		sources,
		ci32(E, d->noutputs),
		outputs,
		ci32(E, d->nsites),
		sites,
		ci64(E, (int64_t)size_of(E, E->state)),
		LLVMGetNamedFunction(E->M, ir->init->name),
		LLVMGetNamedFunction(E->M, ir->run_batch->name),
		LLVMGetNamedFunction(E->M, ir->close->name),
		ci32(E, E->nstates),
		states,
		ci32(E, ir->nexchanges),
		cstr0(E, d->version, "version"),
		LLVMConstInt(E->i64, d->source_hash, false),
		cstr0(E, d->explain, "explain"),
		ci32(E, d->ncounters),
		counters,
		ci32(E, d->nparams),
		params,
		ci32(E, d->nparam_uses),
		uses,
	};
	LLVMValueRef init = LLVMConstNamedStruct(E->prog, fields, 30);
	LLVMValueRef prog = LLVMAddGlobal(E->M, E->prog, "program");
	LLVMSetInitializer(prog, init);
	LLVMSetGlobalConstant(prog, true);
	LLVMSetLinkage(prog, LLVMInternalLinkage);

	LLVMTypeRef i8pp = LLVMPointerType(E->i8p, 0);
	LLVMValueRef main_fn = LLVMAddFunction(E->M, "main", LLVMFunctionType(E->i32, (LLVMTypeRef[]){E->i32, i8pp}, 2, false));
	FnCtx ctx = {0};
	fn_begin(E, &ctx, main_fn);
	LLVMValueRef argc = LLVMGetParam(main_fn, 0), argv = LLVMGetParam(main_fn, 1);
	LLVMSetValueName2(argc, "argc", 4);
	LLVMSetValueName2(argv, "argv", 4);
	LLVMBuildRet(B, RT("ds_main", E->i32, "status", argc, argv, prog));
	fn_end(E, &ctx, NULL);
}

/* ---- the module ------------------------------------------------------------------ */

static void die_on_error(LLVMErrorRef err, const char *what)
{
	if (!err)
		return;
	char *msg = LLVMGetErrorMessage(err);
	fprintf(stderr, "dstreamc: internal error: %s: %s\n", what, msg);
	LLVMDisposeErrorMessage(msg);
	exit(1);
}

static void verify(LLVMModuleRef M)
{
	char *msg = NULL;
	if (LLVMVerifyModule(M, LLVMReturnStatusAction, &msg)) {
		fputs("dstreamc: internal error: the LLVM module does not verify:\n", stderr);
		fputs(msg, stderr);
		LLVMDisposeMessage(msg);
		die("LLVMVerifyModule failed");
	}
	LLVMDisposeMessage(msg);
}

/* Links bitcode file path into M; its functions become internal (copies for
 * inlining, no symbol of them in the object).  False after a message. */
static bool link_bitcode(LLVMModuleRef M, const char *path, bool make_internal)
{
	LLVMMemoryBufferRef buf;
	char *msg = NULL;
	if (LLVMCreateMemoryBufferWithContentsOfFile(path, &buf, &msg)) {
		fprintf(stderr, "dstreamc: cannot read '%s': %s\n", path, msg);
		LLVMDisposeMessage(msg);
		return false;
	}
	LLVMModuleRef src;
	bool bad = LLVMParseBitcodeInContext2(LLVMGetModuleContext(M), buf, &src);
	LLVMDisposeMemoryBuffer(buf);
	if (bad) {
		fprintf(stderr, "dstreamc: '%s' is not LLVM bitcode\n", path);
		return false;
	}
	Vec defined = {0};
	for (LLVMValueRef f = LLVMGetFirstFunction(src); f; f = LLVMGetNextFunction(f)) {
		if (LLVMIsDeclaration(f))
			continue;
		size_t n;
		vec_push(&defined, arena_strdup(LLVMGetValueName2(f, &n)));
		/* optimise them for the module's target, not for the one clang assumed */
		LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "target-cpu", 10);
		LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "target-features", 15);
		LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "tune-cpu", 8);
	}
	LLVMSetTarget(src, LLVMGetTarget(M));
	LLVMSetDataLayout(src, LLVMGetDataLayoutStr(M));
	if (LLVMLinkModules2(M, src)) {
		fprintf(stderr, "dstreamc: cannot link '%s' into the program\n", path);
		return false;
	}
	if (make_internal)
		for (int i = 0; i < defined.n; i++) {
			LLVMValueRef f = LLVMGetNamedFunction(M, defined.v[i]);
			if (f && !LLVMIsDeclaration(f)) {
				LLVMSetLinkage(f, LLVMInternalLinkage);
				/* they are `static inline` in rt.h and cc inlines
				 * every one into the fused loops (none is left in
				 * a perf profile of the C backend's binaries);
				 * LLVM's cost model left ds_hash_str out of line
				 * in updateStateByKey's loops: always inline them */
				unsigned k = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
				LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
							LLVMCreateEnumAttribute(LLVMGetModuleContext(M), k, 0));
			}
		}
	return true;
}

static LLVMTargetMachineRef target_machine(const BackendOptions *o, bool jit)
{
	static bool inited;
	if (!inited) {
		LLVMInitializeNativeTarget();
		LLVMInitializeNativeAsmPrinter();
		LLVMInitializeNativeAsmParser();
		inited = true;
	}
	char *triple = LLVMGetDefaultTargetTriple();
	LLVMTargetRef T;
	char *err = NULL;
	if (LLVMGetTargetFromTriple(triple, &T, &err))
		die("no LLVM target for %s: %s", triple, err);
	char *cpu = NULL, *features = NULL;
	if (o->native || jit) {
		cpu = LLVMGetHostCPUName();
		features = LLVMGetHostCPUFeatures();
	}
	LLVMCodeGenOptLevel lv = o->opt_level <= 0 ? LLVMCodeGenLevelNone : o->opt_level == 1 ? LLVMCodeGenLevelLess
				 : o->opt_level == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
	LLVMTargetMachineRef TM = LLVMCreateTargetMachine(T, triple, cpu ? cpu : "x86-64", features ? features : "", lv,
							  jit ? LLVMRelocDefault : LLVMRelocPIC,
							  jit ? LLVMCodeModelJITDefault : LLVMCodeModelDefault);
	LLVMDisposeMessage(triple);
	LLVMDisposeMessage(cpu);
	LLVMDisposeMessage(features);
	return TM;
}

/* The whole program as one module in context C, for target TM, verified and
 * optimised at o->opt_level.  With descriptor, also `program` and main()
 * (an executable); without, the JIT looks up program_init, program_run_batch
 * and program_close itself.  C bitcode files (the JIT's .c files) are linked
 * in as they are.  NULL after a message. */
static LLVMModuleRef build_module(const IrProgram *ir, LLVMContextRef C, LLVMTargetMachineRef TM, const BackendOptions *o,
				  bool descriptor, const char *const *bitcode, int nbitcode, ds_program *layout)
{
	LEmit EE = {.C = C, .ir = ir}, *E = &EE;
	const CheckedProgram *cp = ir->plan->cp;
	E->M = LLVMModuleCreateWithNameInContext(comment_text(cp->ast->src->path), C); /* printed raw, as "; ModuleID = '...'" */
	char *triple = LLVMGetTargetMachineTriple(TM);
	LLVMSetTarget(E->M, triple);
	LLVMDisposeMessage(triple);
	E->TD = LLVMCreateTargetDataLayout(TM);
	char *dl = LLVMCopyStringRepOfTargetData(E->TD);
	LLVMSetDataLayout(E->M, dl);
	LLVMDisposeMessage(dl);
	LLVMSetSourceFileName(E->M, cp->ast->src->path, strlen(cp->ast->src->path));

	rt_types(E);
	build_state(E);
	state_layout(E);
	E->vars = arena_alloc(sizeof(LLVMValueRef) * (size_t)(ir->nvars + 1));
	E->labels = arena_alloc(sizeof(LLVMBasicBlockRef) * (size_t)(ir->nlabels + 1));

	/* every stage, commented: the stage list as module metadata */
	const char *md = "dstream.stages";
	LLVMValueRef what = LLVMMDStringInContext(C, arena_printf("generated by dstreamc " DS_VERSION " from %s (program \"%s\")",
								    cp->ast->src->path, cp->app_name),
						  (unsigned)strlen(arena_printf("generated by dstreamc " DS_VERSION " from %s (program \"%s\")",
										cp->ast->src->path, cp->app_name)));
	LLVMAddNamedMetadataOperand(E->M, md, LLVMMDNodeInContext(C, &what, 1));
	for (int i = 0; i < ir->init_stages.n; i++)
		declare_func(E, ir->init_stages.v[i], false, true);
	for (int i = 0; i < ir->stages.n; i++)
		declare_func(E, ir->stages.v[i], false, true);
	declare_func(E, ir->init, true, true);
	declare_func(E, ir->run_batch, true, true);
	declare_func(E, ir->close, true, false);
	Vec all = {0};
	for (int i = 0; i < ir->init_stages.n; i++)
		vec_push(&all, ir->init_stages.v[i]);
	for (int i = 0; i < ir->stages.n; i++)
		vec_push(&all, ir->stages.v[i]);
	vec_push(&all, ir->init);
	vec_push(&all, ir->run_batch);
	for (int i = 0; i < all.n; i++) {
		IrFunc *fn = all.v[i];
		const char *c = arena_printf("%s: %s", fn->name, fn->comment);
		LLVMValueRef s = LLVMMDStringInContext(C, c, (unsigned)strlen(c));
		LLVMAddNamedMetadataOperand(E->M, md, LLVMMDNodeInContext(C, &s, 1));
		emit_func(E, fn, true);
	}
	emit_func(E, ir->close, false);
	for (int i = 0; i < ir->plan->outputs.n; i++) {
		const DNode *o = ir->plan->outputs.v[i];
		if (o->op->id == OP_FOREACH_RECORD)
			emit_foreach_record(E, o);
	}
	if (descriptor)
		emit_descriptor(E);
	layout->state_size = (size_t)size_of(E, E->state);
	layout->nstates = E->nstates;
	layout->states = E->states;
	LLVMDisposeTargetData(E->TD);
	verify(E->M);

	for (int i = 0; i < nbitcode; i++)
		if (!link_bitcode(E->M, bitcode[i], false))
			goto fail;
	/* the runtime's hot helpers, to inline: the environment's bitcode, else
	 * the build tree's or the installed one if it is there (paths.c; without
	 * it they are calls into libdstream_rt, which has them too) */
	const char *bc = paths_rt_bc();
	if (!o->no_rt_inline && bc && !link_bitcode(E->M, bc, true))
		goto fail;
	verify(E->M);
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	die_on_error(LLVMRunPasses(E->M, arena_printf("default<O%d>", o->opt_level), TM, po), "LLVM optimisation");
	LLVMDisposePassBuilderOptions(po);
	verify(E->M);
	return E->M;
fail:
	LLVMDisposeModule(E->M);
	return NULL;
}

static const BackendOptions default_options = {.opt_level = 2};

/* emit-llvm: the textual IR. */
static int llvm_emit_text(const IrProgram *ir, const BackendOptions *o, const char *out_path)
{
	LLVMContextRef C = LLVMContextCreate();
	LLVMTargetMachineRef TM = target_machine(o, false);
	ds_program layout;
	LLVMModuleRef M = build_module(ir, C, TM, o, true, NULL, 0, &layout);
	int rc = 1;
	if (!M)
		goto out;
	if (!out_path || !strcmp(out_path, "-")) {
		char *s = LLVMPrintModuleToString(M);
		fputs(s, stdout);
		LLVMDisposeMessage(s);
		rc = fflush(stdout) ? 1 : 0;
	} else {
		char *err = NULL;
		if (LLVMPrintModuleToFile(M, out_path, &err)) {
			fprintf(stderr, "dstreamc: cannot write '%s': %s\n", out_path, err);
			LLVMDisposeMessage(err);
		} else {
			rc = 0;
		}
	}
	LLVMDisposeModule(M);
out:
	LLVMDisposeTargetMachine(TM);
	LLVMContextDispose(C);
	return rc;
}

static int llvm_emit_default(const IrProgram *ir, const char *out_path)
{
	return llvm_emit_text(ir, &default_options, out_path);
}

/* build: an object file for cc to link with the runtime. */
static int llvm_emit_object(const IrProgram *ir, const BackendOptions *o, const char *obj_path)
{
	LLVMContextRef C = LLVMContextCreate();
	LLVMTargetMachineRef TM = target_machine(o, false);
	ds_program layout;
	LLVMModuleRef M = build_module(ir, C, TM, o, true, NULL, 0, &layout);
	int rc = 1;
	if (M) {
		char *err = NULL;
		if (LLVMTargetMachineEmitToFile(TM, M, (char *)obj_path, LLVMObjectFile, &err)) {
			fprintf(stderr, "dstreamc: cannot write '%s': %s\n", obj_path, err);
			LLVMDisposeMessage(err);
		} else {
			rc = 0;
		}
		LLVMDisposeModule(M);
	}
	LLVMDisposeTargetMachine(TM);
	LLVMContextDispose(C);
	return rc;
}

/* ---- the JIT --------------------------------------------------------------------- */

/* Each .c file to bitcode in dir with clang-14 -O2; NULL after a message. */
static char **compile_c_files(char **cfiles, int n, const char *dir, const char *srcdir)
{
	char **bc = arena_alloc(sizeof(char *) * (size_t)(n + 1));
	const char *clang = getenv("DSTREAM_CLANG");
	if (!clang || !*clang)
		clang = "clang-14";
	for (int i = 0; i < n; i++) {
		bc[i] = arena_printf("%s/%d.bc", dir, i);
		const char *rt_inc = paths_rt_include();
		char *argv[] = {(char *)clang, "-c", "-emit-llvm", "-O2", "-I", (char *)srcdir, "-I",
				(char *)(rt_inc ? rt_inc : "."), "-o", bc[i], cfiles[i], NULL};
		if (run_command(argv) != 0) {
			fprintf(stderr, "dstreamc: cannot compile '%s'\n", cfiles[i]);
			return NULL;
		}
	}
	return bc;
}


/* atexit is not in libc.so (glibc keeps it in libc_nonshared.a, linked into
 * executables): the process has no symbol for the JIT to find when a user C
 * file calls it, so the JIT gets this one. */
static int jit_atexit(void (*fn)(void)) { return atexit(fn); }

/* Does the JIT find name: in the module (ctx) with the user's C linked in,
 * or in this process (libc and the libraries dstreamc has)? */
static bool defined_for_jit(const char *name, void *ctx)
{
	LLVMValueRef f = LLVMGetNamedFunction(ctx, name);
	return !f || !LLVMIsDeclaration(f) || !strcmp(name, "atexit") || dlsym(RTLD_DEFAULT, name);
}

LLVMOrcLLJITRef jit_kept; /* see llvm_run (external: never optimised away) */

typedef void (*jit_stage_fn)(ds_task *, void *);
typedef void (*jit_close_fn)(void *);

static int llvm_run(const IrProgram *ir, const BackendOptions *o, char **cfiles, int ncfiles, int argc, char **argv)
{
	char *dir = NULL, **bc = NULL;
	if (ncfiles) {
		dir = tmp_path("dstreamc-XXXXXX");
		if (!mkdtemp(dir)) {
			fprintf(stderr, "dstreamc: cannot create a temporary directory: %s\n", strerror(errno));
			return 1;
		}
		bc = compile_c_files(cfiles, ncfiles, dir, extern_dir_of(ir->plan->cp->ast->src->path));
		if (!bc) {
			remove_tmpdir(dir);
			return 1;
		}
	}
	LLVMTargetMachineRef TM = target_machine(o, true);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	ds_program layout;
	LLVMModuleRef M = build_module(ir, LLVMOrcThreadSafeContextGetContext(tsc), TM, o, false,
				       (const char *const *)bc, ncfiles, &layout);
	LLVMDisposeTargetMachine(TM);
	if (dir)
		remove_tmpdir(dir);
	if (!M || extern_report_undefined(&ir->plan->cp->extern_fns, defined_for_jit, M)) {
		if (M)
			LLVMDisposeModule(M);
		LLVMOrcDisposeThreadSafeContext(tsc);
		return 1;
	}
	LLVMOrcLLJITRef J;
	die_on_error(LLVMOrcCreateLLJIT(&J, LLVMOrcCreateLLJITBuilder()), "creating the JIT");
	LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(J);
	/* ds_* (and libc) from this very process: dstreamc links the whole runtime */
	LLVMOrcDefinitionGeneratorRef gen;
	die_on_error(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(J), NULL, NULL),
		     "the JIT's symbol generator");
	LLVMOrcJITDylibAddGenerator(jd, gen);
	LLVMJITCSymbolMapPair atexit_sym = {
		.Name = LLVMOrcLLJITMangleAndIntern(J, "atexit"),
		.Sym = {.Address = (LLVMOrcExecutorAddress)(uintptr_t)jit_atexit,
			.Flags = {.GenericFlags = LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable}},
	};
	die_on_error(LLVMOrcJITDylibDefine(jd, LLVMOrcAbsoluteSymbols(&atexit_sym, 1)), "defining atexit");
	die_on_error(LLVMOrcLLJITAddLLVMIRModule(J, jd, LLVMOrcCreateNewThreadSafeModule(M, tsc)), "adding the module");
	LLVMOrcDisposeThreadSafeContext(tsc); /* the module holds its own reference */
	LLVMOrcExecutorAddress init_a, run_a, close_a;
	die_on_error(LLVMOrcLLJITLookup(J, &init_a, ir->init->name), "looking up program_init");
	die_on_error(LLVMOrcLLJITLookup(J, &run_a, ir->run_batch->name), "looking up program_run_batch");
	die_on_error(LLVMOrcLLJITLookup(J, &close_a, ir->close->name), "looking up program_close");

	ds_program *d = desc_build(ir->plan, ir_sites(ir), ir->sites.n);
	/* the engine's part of the descriptor: its functions, from the JIT */
	for (int i = 0; i < d->nsources; i++) {
		ds_source_desc *s = (ds_source_desc *)&d->sources[i];
		if (s->kind == DS_SRC_RECEIVER) {
			LLVMOrcExecutorAddress a;
			die_on_error(LLVMOrcLLJITLookup(J, &a, s->fn), "looking up a receiver");
			s->receiver = (int (*)(ds_receiver *))(uintptr_t)a;
		}
	}
	for (int i = 0; i < d->noutputs; i++) {
		ds_output_desc *out = (ds_output_desc *)&d->outputs[i];
		if (out->kind == DS_OUT_FOREACH) {
			LLVMOrcExecutorAddress a;
			die_on_error(LLVMOrcLLJITLookup(J, &a, out->fn), "looking up a foreach function");
			out->foreach = (void (*)(int64_t, const ds_rdd *))(uintptr_t)a;
		}
	}
	d->state_size = layout.state_size;
	d->nstates = layout.nstates;
	d->states = layout.states;
	d->nexchanges = ir->nexchanges;
	d->init = (jit_stage_fn)(uintptr_t)init_a;
	d->run_batch = (jit_stage_fn)(uintptr_t)run_a;
	d->close = (jit_close_fn)(uintptr_t)close_a;
	int status = ds_main(argc, argv, d);
	fflush(NULL);
	/* With the user's C loaded, the JIT and its code stay until the process
	 * exits: that C may have registered atexit handlers, or left threads,
	 * that point into it (a global keeps it reachable for leak checkers). */
	if (ncfiles)
		jit_kept = J;
	else
		die_on_error(LLVMOrcDisposeLLJIT(J), "disposing of the JIT");
	return status;
}

const Backend backend_llvm = {
	.name = "llvm",
	.emit = llvm_emit_default,
	.emit_text = llvm_emit_text,
	.emit_object = llvm_emit_object,
	.run = llvm_run,
};
