#!/usr/bin/env bash
# behind.sh DSTREAMC WORKDIR: without backpressure, a job that falls behind
# says so: once when a batch starts more than a batch interval late, and
# again when the delay has grown for 10 batches in a row.
#
# The program (common.bash's slow: about 5000 records/s) with
# --no-backpressure reads lines offered at 7500/s: each batch brings 1.5 s
# of work for a 1 s interval, and the delay grows by half a second a batch (the
# default --max-queued, 64M, holds far more than the test's backlog; a
# small one would bound the delay by stopping the reads).  Checks: the first warning, exactly once, before the second;
# the second in its format, naming a delay over 5 s; no other line on
# stderr; SIGTERM then ends the program with status 0.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

PORT=$(free_port)
build_slow "$PORT"
start_sender "$PORT" 150 7500
./slow --workers 1 --no-backpressure --metrics-json m.json >out.txt 2>err.txt &
PID=$!
BG_PIDS+=($PID)
# (150 s at most: on a loaded machine the work, CPU time, takes longer)
wait_for 150 grep -q 'falling behind' err.txt || fail "no 'falling behind' in 150 s: $(cat err.txt)"
kill -TERM $PID
wait $PID || fail "the program exited $? after SIGTERM: $(cat err.txt)"

late='^slow: warning: batch [0-9]* ms started [0-9]* ms late, more than the batch interval (1000 ms): the batches take longer than the interval (processing [0-9.]* ms)$'
behind='^slow: warning: falling behind: the scheduling delay has grown for 10 batches in a row, to \([0-9]*\) ms (batch [0-9]* ms: [0-9]* records, processing [0-9.]* ms per 1000 ms interval)$'
[ "$(grep -c "$late" err.txt)" = 1 ] || fail "expected one 'started late' warning: $(cat err.txt)"
[ "$(sed -n 1p err.txt | grep -c "$late")" = 1 ] || fail "the first line is not the 'started late' warning"
[ "$(grep -c "$behind" err.txt)" -ge 1 ] || fail "no 'falling behind' warning in its format: $(cat err.txt)"
d=$(sed -n "s/$behind/\\1/p" err.txt | head -n 1)
[ "${d:-0}" -gt 5000 ] || fail "'falling behind' at a delay of ${d:-?} ms, expected over 5000 (1000 + 10 x 500)"
others=$(grep -v -e "$late" -e "$behind" err.txt)
[ -z "$others" ] || fail "other lines on stderr: $others"
test_end
