/* interp.h: the interpreter, `dstreamc run --interp FILE [program flags]`.
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

/* argv[0] is the program's name (as a built binary's), the rest its flags.
 * Returns the exit status.  Not reentrant: one interpreted program per
 * process at a time. */
int interp_run(const Plan *p, int argc, char **argv);

#endif
