/* lat.h: the extern functions of bench/latency/latency.dstream. */
#include <stdint.h>
/* A record's output: its stamp (CLOCK_MONOTONIC ns, set by stampfeed when it
 * wrote the line) against now; the latencies go to $LAT_OUT at exit. */
void lat_record(int64_t sent_ns);
