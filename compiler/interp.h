/* interp.h: the interpreter, `dstreamc run --interp FILE [C files] [program flags]`.
 *
 * Requires: a Plan with no errors (plan_program, reject_unsupported).
 * Guarantees: the program runs in this process on the same runtime as a
 * built binary (sources, clock, outputs, bad records, metrics, flags), with
 * the same outputs, stderr and exit status; nothing of lowering is used, so
 * the interpreter is an independent opinion on what a program means.
 */
#ifndef DS_INTERP_H
#define DS_INTERP_H

#include "plan.h"

/* Does the program call C (extern functions, receiverStream, foreachRDD,
 * foreachRecord)?  Then it runs with a shared object (dl below) built from
 * the user's C files and the shims interp_emit_shims writes. */
bool interp_calls_c(const Plan *p);
/* A C file of shims: `void dsi_shim_F(const ds_ival *args, ds_ival *ret)`
 * per extern function F the program calls (one signature, whatever F's, so
 * that the interpreter needs no FFI), and `dsi_foreach_record_N` per
 * foreachRecord output.  It includes the program's extern headers, so cc
 * checks each call against its prototype; -I as for build. */
void interp_emit_shims(const Plan *p, FILE *f);

/* argv[0] is the program's name (as a built binary's), the rest its flags;
 * dl: the dlopen'd user C and shims, or NULL when the program calls no C.
 * Returns the exit status.  Not reentrant: one interpreted program per
 * process at a time. */
int interp_run(const Plan *p, int argc, char **argv, void *dl);

#endif
