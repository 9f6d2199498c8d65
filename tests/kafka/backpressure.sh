#!/usr/bin/env bash
# backpressure.sh DSTREAMC WORKDIR: kafkaStream's offset ranges are held to
# the rate backpressure estimates (lang/SPEC.md §21.2).
#
# 20000 records wait in a topic of 4 partitions.  A program that spins
# 200 us of CPU a record (about 5000 records/s on one worker) reads them
# with --initial-rate 1000.  Checks, from --metrics-json's lines: the first
# batch reads at most 1000 records (the initial rate for one 1 s batch);
# no later batch reads more than 12500 (it would read all that is left, up
# to 19000, unthrottled) and each is held to a rate under 10000/s; no batch
# after the third starts 2 intervals late; every record is read, once
# (their numbers sum to the expected total).
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
start_cluster c --brokers 1 --topic t:4 || { fail "no cluster: $(cat c.err)"; test_end; }
seq 1 20000 | awk '{ printf "k%d\t%d\n", $1 % 8, $1 }' |
	timeout 60 "$DSTREAMC" kafka produce --bootstrap "$BOOTSTRAP" --topic t --key-sep "$(printf '\t')" >produce.out 2>&1 ||
	fail "produce: $(cat produce.out)"
write_spin_udf 200000
cat >bp.dstream <<P
extern "slow.h";
app "KafkaBackpressure";
batch 1s;
kafkaStream("$BOOTSTRAP", "t", "auto.offset.reset=earliest").map(v => work(v)).reduce((a, b) => a + b).print();
P
"$DSTREAMC" build bp.dstream slow.c -o prog >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
./prog --workers 1 --initial-rate 1000 --metrics-json m.json >out.txt 2>err.txt &
PID=$!
CLUSTER_PIDS+=($PID)
all_read() { [ "$("$PY" -c '
import json, sys
print(sum(json.loads(l)["records_in"] for l in open(sys.argv[1]) if l.startswith("{\"event\": \"batch\"")))' m.json 2>/dev/null)" = 20000 ]; }
wait_for 40 all_read || fail "not every record read in 40 s"
kill -TERM $PID
wait $PID || fail "exit $?: $(cat err.txt)"
"$PY" - m.json >check.txt <<'P'
import json, sys
b = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"event": "batch"')]
b = [x for x in b if x["records_in"] or x["rate_limit"]]
bad = []
if b[0]["records_in"] > 1000:
    bad.append("the first batch read %d records (initial rate 1000/s)" % b[0]["records_in"])
for i, x in enumerate(b):
    if i and x["records_in"] > 12500:
        bad.append("batch %d read %d records" % (x["time_ms"], x["records_in"]))
    if i and x["records_in"] and not 0 < x["rate_limit"] < 10000:
        bad.append("batch %d: rate limit %.0f" % (x["time_ms"], x["rate_limit"]))
    if i > 3 and x["scheduling_delay_ms"] >= 2000:
        bad.append("batch %d started %d ms late" % (x["time_ms"], x["scheduling_delay_ms"]))
print("\n".join(bad) if bad else "ok: " + " ".join(str(x["records_in"]) for x in b))
P
grep -q '^ok: ' check.txt || fail "$(cat check.txt)"
sum=$(awk '/^-+$/ { next } /^Time: / { next } /^[0-9]+$/ { s += $1 } END { print s + 0 }' out.txt)
[ "$sum" = 200010000 ] || fail "the records' numbers sum to $sum, expected 200010000 (each once)"
cat check.txt
test_end
