#!/usr/bin/env bash
# rescale.sh DSTREAMC WORKDIR: a checkpoint restores into any number of workers.
#
# A program with every kind of state a worker owns a slice of: an
# updateStateByKey table, a mapWithState table, an incremental window
# (reduceByKeyAndWindow with an inverse: panes of (key, partial) and the
# window's value per key), countByValueAndWindow, a window of records no key
# owns, and a reduceByWindow kept on worker 0.  The reference runs its 12
# batches in one go on one worker.  The rescaled run stops and restarts
# from its checkpoint three times: 3 batches on 1 worker, 3 on 3 workers,
# 3 on 2, and the rest on 3 again.  Every file it writes must hold the same
# lines as the reference's (as multisets), and every restart must say it
# recovered.  Then the same with the C binary replaced by the JIT for one
# leg (a checkpoint is the same whatever the engine and the worker count).
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin rescale "$@"

# 12 batches of words; many keys, so that every worker owns some
for b in $(seq 1 12); do
	for i in $(seq 1 40); do
		echo "k$(((i * 7 + b * 3) % 23)) k$(((i * b) % 31)) w$((i % 5))"
	done
	[ "$b" -lt 12 ] && echo ---
done >in.txt

cat >p.dstream <<'P'
app "Rescale";
batch 1s;
checkpoint "ck" every 2s;
val words = queueStream("in.txt").flatMap(l => split(l, " "));
val pairs = words.map(w => (w, 1));
pairs.updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0))).saveAsTextFiles("out/totals");
pairs.mapWithState((k, v, st) => { val n = getOrElse(getOption(st), 0) + getOrElse(v, 0); update(st, n); (k, n) }).saveAsTextFiles("out/seen");
pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 3s, 1s).saveAsTextFiles("out/win");
words.countByValueAndWindow(2s, 1s).saveAsTextFiles("out/cbv");
words.window(2s, 2s).filter(w => len(w) > 2).saveAsTextFiles("out/raw");
words.map(w => len(w)).reduceByWindow((a, b) => a + b, 3s, 1s).saveAsTextFiles("out/len");
P
"$DSTREAMC" build p.dstream -o prog >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }

mkdir ref && cp in.txt ref/ && (cd ref && ../prog --quiet --workers 1 >/dev/null 2>err) || fail "reference run: $(cat ref/err)"

mkdir re && cp in.txt re/
leg() { # leg WORKERS [BATCHES]: without BATCHES, to the end of the input
	local rc n=()
	[ -z "${2:-}" ] || n=(--batches "$2")
	(cd re && ../prog --quiet --workers "$1" "${n[@]}" >/dev/null 2>>err)
	rc=$?
	[ $rc -eq 0 ] || fail "a leg on $1 workers exited $rc: $(cat re/err)"
}
leg 1 3
leg 3 3
leg 2 3
leg 3
n=$(grep -c "recovered from 'ck/checkpoint-" re/err)
[ "$n" -eq 3 ] || fail "expected 3 recoveries, saw $n: $(cat re/err)"
diff_multisets ref/out re/out >diff.txt || fail "the rescaled run's files differ: $(head -n 30 diff.txt)"
[ "$(ls ref/out | wc -l)" -ge 60 ] || fail "the reference wrote only $(ls ref/out | wc -l) files"

# the JIT takes over a C checkpoint on another worker count, and back
rm -rf re2 && mkdir re2 && cp in.txt re2/
(cd re2 && ../prog --quiet --workers 3 --batches 4 >/dev/null 2>err) || fail "re2 leg 1: $(cat re2/err)"
(cd re2 && "$DSTREAMC" run ../p.dstream --quiet --workers 2 --batches 4 >/dev/null 2>>err) || fail "re2 leg 2 (jit): $(cat re2/err)"
(cd re2 && ../prog --quiet --workers 1 >/dev/null 2>>err) || fail "re2 leg 3: $(cat re2/err)"
diff_multisets ref/out re2/out >diff2.txt || fail "the C/JIT rescaled run's files differ: $(head -n 30 diff2.txt)"
test_end
