#!/usr/bin/env bash
# receiver.sh DSTREAMC WORKDIR: a receiverStream that stores faster than the
# program processes is held by ds_store, not queued without bound.
#
# The receiver (C, below) stores 100-byte records in a loop as fast as
# ds_store returns, until the program stops; it counts the calls that
# returned and writes the count when it ends.  The program spins 200 us a
# record (about 5000/s on one worker), with --max-queued 1M and
# --no-backpressure (the queue bound alone), for 8 s, then SIGTERM.
# Checks: the batches counted exactly the records the receiver was told
# were stored (the graceful stop takes what was queued); the receiver
# stored fewer than 200000 in those 8 s (unbounded, it stores millions);
# peak RSS under 16 MiB; nothing on stderr but that the batches run late.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

cat >rx.h <<'H'
#include <dstream/rt.h>
#include <stddef.h>
#include <stdint.h>
int flood(ds_receiver *r);
int64_t work(const char *s, size_t n);
H
cat >rx.c <<'C'
#include "rx.h"
#include <stdio.h>
#include <time.h>
int flood(ds_receiver *r)
{
	char line[100];
	long n = 0;
	while (!ds_receiver_stopping(r)) {
		int len = snprintf(line, sizeof line, "%-98ld", n);
		ds_store(r, line, (size_t)len);
		n++;
	}
	FILE *f = fopen("stored.txt", "w");
	fprintf(f, "%ld\n", n);
	fclose(f);
	return 0;
}
int64_t work(const char *s, size_t n)
{
	struct timespec a, b;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 200000);
	return (int64_t)n + 0 * (n ? s[0] : 0);
}
C
cat >rx.dstream <<'D'
extern "rx.h";
app "Flood";
batch 1s;
receiverStream(flood).map(l => work(l)).count().print();
D
"$DSTREAMC" build rx.dstream rx.c -o prog >build.log 2>&1 || { fail "dstreamc build: $(cat build.log)"; test_end; }
./prog --workers 1 --no-backpressure --max-queued 1M --metrics-json m.json >out.txt 2>err.txt &
PID=$!
BG_PIDS+=($PID)
sleep 8
kill -TERM $PID
wait $PID || fail "the program exited $? after SIGTERM: $(cat err.txt)"
stored=$(cat stored.txt 2>/dev/null)
counted=$(awk '/^[0-9]+$/ { s += $1 } END { print s + 0 }' out.txt)
[ -n "$stored" ] && [ "$counted" -eq "$stored" ] || fail "the batches counted $counted records, the receiver stored ${stored:-?}"
[ "${stored:-0}" -lt 200000 ] || fail "the receiver stored $stored records in 8 s: ds_store did not wait"
rss=$(total max_rss_bytes m.json)
[ "$rss" -lt $((16 << 20)) ] || fail "peak RSS $rss bytes, over 16 MiB"
others=$(grep -v '^prog: warning: batch [0-9]* ms started [0-9]* ms late, more than the batch interval' err.txt)
[ -z "$others" ] || fail "stderr: $others"
echo "receiver: stored and counted $stored in 8 s, peak RSS $((rss >> 10)) KiB"
test_end
