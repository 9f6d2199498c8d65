/* spin.h: the extern function of bench/flow/spin.dstream. */
#include <stddef.h>
#include <stdint.h>
/* Busy-waits SPIN_US (200) microseconds of the monotonic clock, then returns
 * n: a record costs a known time, so one worker sustains 5000 records/s. */
int64_t spin(const char *s, size_t n);
