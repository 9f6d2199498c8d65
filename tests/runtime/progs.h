/* progs.h: ds_programs written by hand the way the compiler would emit
 * them, using only dstream/rt.h.  Tests adjust the descriptors (source,
 * outputs, intervals) before calling ds_main in a child process. */
#ifndef DS_TEST_PROGS_H
#define DS_TEST_PROGS_H

#include "dstream/rt.h"

/* wc.dstream:
 *   batch 1s;
 *   val lines = queueStream("in.txt");             // or another source
 *   val counts = lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b);
 *   counts.print();                                // outputs[0]
 *   counts.saveAsTextFiles("out/counts", "txt");   // outputs[1], when noutputs == 2
 */
extern ds_source_desc wc_sources[1];
extern ds_output_desc wc_outputs[2];
extern ds_program wc_prog;

/* bad.dstream:
 *   batch 1s;
 *   val nums = queueStream("in.txt");
 *   nums.map(s => toInt(s) * 2).print();
 */
extern ds_program toint_prog;

#endif
