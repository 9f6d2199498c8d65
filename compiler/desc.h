/* desc.h: the runtime's program descriptor (ds_program in rt.h), built from
 * a plan.
 *
 * Every engine hands the runtime the same description of a program: its
 * sources, outputs, bad-record sites, batch and block intervals.  The C
 * backend prints it as C initialisers, the LLVM backend as constants, and
 * the JIT and the interpreter pass it to ds_main() as it is, so the four
 * cannot disagree on what a program reads and writes.
 */
#ifndef DS_DESC_H
#define DS_DESC_H

#include <dstream/rt.h>

#include "plan.h"

/* Requires a checked plan and its bad-record sites (n of them; NULL if 0).
 * Guarantees a ds_program, in the compiler's arena, with every field filled
 * but state_size, init, run_batch and close, which belong to the engine.
 * A source's .site is the index of the site whose loc and op are the
 * source's own (over-long lines), or -1. */
ds_program *desc_build(const Plan *p, const ds_site *sites, int nsites);
/* Also left to the engine: a receiver source's .receiver (the function
 * named .fn, an extern) and a foreach output's .foreach (the function named
 * .fn: the user's extern for foreachRDD; for foreachRecord one the engine
 * generates, named desc_foreach_fn(), that calls the extern per record). */
const char *desc_foreach_fn(const DNode *out);
/* Writes that function in C, as `LINKAGEvoid NAME(int64_t, const ds_rdd *)`:
 * for each record, its fields read back through the ds_rdd accessors and
 * passed to the extern as its C signature says (the C backend's helper, and
 * the interpreter's shim: both call the user's function the same way). */
void desc_foreach_record_c(void *FILE_out, const DNode *out, const char *linkage, const char *name);
/* The parts of ir's state that a checkpoint keeps (IrTable/IrWindow.ckpt),
 * tables first, in the IR's order; *n receives the count.  Every field is
 * filled but offset, arena_offset and esize, which belong to the engine's
 * layout of the state (see emit_c.c and emit_llvm.c). */
struct IrProgram;
ds_state_desc *desc_states(const struct IrProgram *ir, int *n);
/* "DS_PARAM_PORT", ...: the enumerator's name, for the generated C. */
const char *desc_param_field_name(ds_param_field f);
/* The ds_field_kind of a field of type t (composites: their text). */
char desc_field_kinds(Type *t);

#endif
