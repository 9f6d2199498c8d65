#!/usr/bin/env bash
# crash_harness.sh DSTREAMC WORKDIR: kill -9 at 20 seeded random moments.
#
# A program with every kind of state a checkpoint keeps (updateStateByKey,
# mapWithState with a timeout and its snapshots, windows with and without an
# inverse function and a filter, countByValueAndWindow, groupByKeyAndWindow)
# reads a replayable input (a queueStream of 400 batches, --pace 5ms) and
# saves every output with saveAsTextFiles.  It is run once to the end (the
# reference), then again in a fresh directory where it is killed with
# SIGKILL after a seeded random delay and restarted, 20 times, then run to
# the end.  Restarts rotate between the C binary, the LLVM binary and the
# JIT (the checkpoint format is the same), when dstreamc has the LLVM backend.
# Checks: the output files equal the reference's byte for byte; no temporary
# file is left in out/ or ck/; at most two checkpoints are kept; the last run
# starts with the batch after its checkpoint (it does not redo batches a
# checkpoint covers); every run exits 0 or was killed.
# DS_CRASH_SEED changes the seed (default 9).
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin crash_harness "$@"

seed=${DS_CRASH_SEED:-9}
awk -v seed="$seed" 'BEGIN {
	srand(seed)
	for (b = 0; b < 400; b++) {
		n = int(rand() * 9)
		for (i = 0; i < n; i++) print substr("abcdefgh", 1 + int(rand() * 8), 1) int(rand() * 3)
		print "---"
	}
}' >in.txt

cat >p.dstream <<'P'
app "CrashHarness";
batch 1s;
checkpoint "ck" every 3s;
val kv = queueStream("in.txt").map(w => (substr(w, 0, 1), toInt(substr(w, 1, 1)) + 1));
val totals = kv.updateStateByKey((vs, st) => {
  val n = sum(vs) + getOrElse(st, 0);
  n > 40 ? None : Some(n)
});
totals.saveAsTextFiles("out/totals");
val seen = kv.mapWithState((k, v, st) => {
  val n = getOrElse(v, 0) + getOrElse(getOption(st), 0);
  isTimingOut(st) ? None : Some({ update(st, n); (k, n) })
}, 3s);
seen.saveAsTextFiles("out/seen");
seen.stateSnapshots().saveAsTextFiles("out/snapshots");
kv.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 4s, 2s, p => p._2 > 0).saveAsTextFiles("out/inv");
kv.reduceByKeyAndWindow((a, b) => a + b, 3s).named("win").saveAsTextFiles("out/win");
kv.map(p => p._1).countByValueAndWindow(5s, 1s).saveAsTextFiles("out/cbv");
kv.groupByKeyAndWindow(2s, 2s).mapValues(vs => len(vs)).saveAsTextFiles("out/group");
kv.window(3s, 1s).count().saveAsTextFiles("out/count");
P
"$DSTREAMC" build p.dstream -o prog_c >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
engines=(../prog_c)
if "$DSTREAMC" build p.dstream -o prog_llvm --backend=llvm >build_llvm.log 2>&1; then
	engines+=(../prog_llvm)
fi
# the JIT: the same program compiled in-process at each start (it names
# itself after the file, as the binaries do after themselves)
if "$DSTREAMC" run p.dstream --batches 1 --discard-checkpoint --quiet --source-path 0=/dev/null >jit.out 2>jit.err; then
	engines+=("$DSTREAMC run -O0 ../p.dstream") # -O0: it compiles in about 0.3 s
fi
rm -rf ck out

mkdir ref && (cd ref && ln -s ../in.txt . && ../prog_c --quiet >stdout 2>stderr) || fail "the reference run failed: $(cat ref/stderr)"
[ -s ref/stderr ] && fail "the reference run said: $(cat ref/stderr)"
[ "$(ls ref/out | wc -l)" -gt 1000 ] || fail "the reference wrote only $(ls ref/out | wc -l) files"

mkdir crash && cd crash && ln -s ../in.txt . || exit 2
RANDOM=$seed
kills=0 runs=0
while [ $kills -lt 20 ]; do
	prog=${engines[$((runs % ${#engines[@]}))]}
	runs=$((runs + 1))
	$prog --quiet --pace 5ms >"run$runs.out" 2>"run$runs.err" &
	pid=$!
	d=$((20 + RANDOM % 110))
	case $prog in *" run "*) d=$((d + 500)) ;; esac # the JIT compiles first
	sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		kills=$((kills + 1))
	else
		wait "$pid"
		fail "run $runs ended by itself (exit $?) before kill $((kills + 1)): the input is too short for 20 kills"
		break
	fi
done
newest=$(ls ck | grep '^checkpoint-' | sort | tail -n 1)
[ -n "$newest" ] || fail "no checkpoint after $kills kills"
resume=$((10#${newest#checkpoint-} + 1000))
../prog_c --quiet --metrics-json last.json >last.out 2>last.err || fail "the last run exited $?: $(cat last.err)"
first=$(sed -n 's/^{"event": "batch", "time_ms": \([0-9]*\),.*/\1/p' last.json | head -n 1)
[ "$first" = "$resume" ] || fail "the last run started at batch $first ms, expected $resume (after $newest)"
grep -q "recovered from 'ck/$newest'" last.err || fail "the last run did not say it recovered from $newest: $(cat last.err)"
cd ..

diff_multisets ref/out crash/out >diff.txt || fail "outputs differ from the reference after $kills kills: $(head -n 20 diff.txt)"
leftover=$(ls -A crash/out crash/ck | grep '^\.' || true)
[ -z "$leftover" ] || fail "temporary files left behind: $leftover"
nck=$(ls crash/ck | grep -c '^checkpoint-')
[ "$nck" -le 2 ] || fail "$nck checkpoints kept, expected at most 2"
test_end
