#!/usr/bin/env bash
# metrics_kill.sh DSTREAMC WORKDIR: --metrics-json's lines outlive a kill -9.
#
# A checkpointed queueStream program (30 batches, --pace 200ms) is killed
# with SIGKILL once it has finished 8 batches, then restarted on the same
# metrics file.  Checks: after the kill the file is a start line and one
# whole batch line per batch finished (each parses as JSON; times 1000,
# 2000, ... in order), with no totals; the restart appends its own start
# line, its batches from the one after its checkpoint, and the totals,
# whose records_in is that of its own batches; between them, the two runs'
# batch lines cover every batch time 1000 .. 30000.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

awk 'BEGIN { for (k = 1; k <= 30; k++) { for (i = 0; i < k; i++) print "r" i; print "---" } }' >in.txt
cat >k.dstream <<'D'
app "KillMetrics";
batch 1s;
checkpoint "ck" every 2s;
queueStream("in.txt").map(r => (r, 1)).updateStateByKey((vs, s) => Some(sum(vs) + getOrElse(s, 0))).count().print();
D
"$DSTREAMC" build k.dstream -o prog >build.log 2>&1 || { fail "dstreamc build: $(cat build.log)"; test_end; }
./prog --workers 2 --pace 200ms --metrics-json m.json >run1.out 2>run1.err &
PID=$!
BG_PIDS+=($PID)
eight() { [ "$(grep -c '^{"event": "batch"' m.json 2>/dev/null)" -ge 8 ]; }
wait_for 20 eight || fail "8 batches did not finish in 20 s"
kill -KILL $PID
wait $PID 2>/dev/null
cp m.json killed.json
"$PY" - killed.json >check1.txt <<'P'
import json, sys
lines = open(sys.argv[1]).read().split('\n')
assert lines[-1] == '', 'the file does not end with a whole line'
ev = [json.loads(l) for l in lines[:-1]]
assert ev[0]['event'] == 'start' and ev[0]['program'] == 'KillMetrics', ev[0]
b = [e for e in ev[1:] if e['event'] == 'batch']
assert len(b) == len(ev) - 1, 'a line that is not a batch after the start'
assert [e['time_ms'] for e in b] == [1000 * (i + 1) for i in range(len(b))], [e['time_ms'] for e in b]
assert [e['records_in'] for e in b] == [i + 1 for i in range(len(b))]
print(len(b))
P
[ $? -eq 0 ] || fail "after the kill: $(cat check1.txt)"
timeout -k 5 60 ./prog --workers 2 --metrics-json m.json >run2.out 2>run2.err || fail "the restart exited $?: $(cat run2.err)"
"$PY" - m.json "$(cat check1.txt)" >check2.txt <<'P'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
k = int(sys.argv[2])
assert [e['event'] for e in ev[:k + 2]] == ['start'] + ['batch'] * k + ['start'], 'the restart did not append'
run2 = ev[k + 2:]
assert run2[-1]['event'] == 'end' and all(e['event'] == 'batch' for e in run2[:-1])
t2 = [e['time_ms'] for e in run2[:-1]]
assert t2 == list(range(t2[0], 30001, 1000)), t2
assert t2[0] <= 1000 * k + 1000, 'the restart skipped a batch: %d' % t2[0]
assert run2[-1]['totals']['records_in'] == sum(e['records_in'] for e in run2[:-1])
assert run2[-1]['totals']['batches'] == len(t2)
print(k, t2[0])
P
[ $? -eq 0 ] || fail "after the restart: $(cat check2.txt)"
test_end
