#!/usr/bin/env bash
# driverha_example.sh DSTREAMC WORKDIR: examples/driverha as its README runs it.
#
# linefeed serves examples/driverha/data/words.txt (20 lines/s, looped); the
# example (on the port linefeed got) runs, is killed with SIGKILL after 9 s,
# and is started again for 3 batches.  Checks: the restart says it recovered
# from a checkpoint; its first printed count of "spark" is at least the count
# the first run printed at that checkpoint's batch (the counts went on, not
# from zero); its counts never go down.
source "$(dirname -- "${BASH_SOURCE[0]}")/../sources/common.bash" "$@"
EX=$(cd "$HERE/../../examples/driverha" && pwd)
cd "$WORK" || exit 2
[ -x "$LINEFEED" ] || fatal "no linefeed next to dstreamc ($LINEFEED)"
"$LINEFEED" --port 0 --rate 20 --loop "$EX/data/words.txt" >lf.out 2>lf.err &
BG_PIDS+=("$!")
wait_for 10 grep -q '^port [0-9]' lf.out || fatal "linefeed did not start: $(cat lf.err)"
PORT=$(awk '$1 == "port" { print $2; exit }' lf.out)
sed -E "s/(socketTextStream\([^,]*,[[:space:]]*)9999/\1$PORT/" "$EX/driverha.dstream" >driverha.dstream
grep -q "$PORT" driverha.dstream || fatal "could not set the port"
"$DSTREAMC" build driverha.dstream -o driverha >build.log 2>&1 || fatal "build: $(cat build.log)"

./driverha --quiet >run1.out 2>run1.err &
pid=$!
BG_PIDS+=("$pid")
sleep_ms 9000
kill -KILL "$pid"
wait "$pid" 2>/dev/null
ck=$(ls driverha-ck | grep '^checkpoint-' | sort | tail -n 1)
[ -n "$ck" ] || fatal "no checkpoint after 9 s"
./driverha --quiet --batches 3 >run2.out 2>run2.err || fail "the restart exited $?: $(cat run2.err)"
grep -q "recovered from 'driverha-ck/$ck'" run2.err || fail "the restart did not recover from $ck: $(cat run2.err)"

# "spark" per printed batch: TIME COUNT
spark() { awk '/^Time: / { t = $2 } /^\(spark,/ { sub(/^\(spark,/, ""); sub(/\)$/, ""); print t, $0 }' "$1"; }
spark run1.out >s1.txt
spark run2.out >s2.txt
at=$((10#${ck#checkpoint-}))
before=$(awk -v t="$at" '$1 == t { print $2 }' s1.txt)
first=$(head -n 1 s2.txt | cut -d' ' -f2)
[ -n "$before" ] || fail "the first run printed no count of spark at $at: $(cat s1.txt)"
[ -n "$first" ] || fail "the restart printed no count of spark: $(cat run2.out)"
[ -n "$before" ] && [ -n "$first" ] && [ "$first" -ge "$before" ] ||
	fail "the restart's first count of spark ($first) is below the count at the checkpoint ($before)"
sort -n -k1,1 s2.txt | awk 'NR > 1 && $2 < prev { exit 1 } { prev = $2 }' || fail "counts went down: $(cat s2.txt)"
finish
