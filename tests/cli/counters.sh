#!/usr/bin/env bash
# counters.sh DSTREAMC WORKDIR: counter("name", n), the seeds' accumulators
# (WordBlacklist's DroppedWordsCounter).
#
# A word count that drops blacklisted words, counting them with
# counter("dropped", count), and counts long words with counter("long").
# Checks: each batch's --metrics-json line has the batch's sums and the end
# line the totals, exactly, the same on C (1 and 3 workers), LLVM, the JIT
# and the interpreter; with a checkpoint, a restart on more input goes on
# from the checkpointed totals (5 and 3, then 6 and 4); a counter in a block
# whose value is thrown away still counts.
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin counters "$@"

cat >c.dstream <<'D'
app "WordBlacklist";
batch 1s;
checkpoint "ck" every 1s;
val black = ["a", "the"];
val words = queueStream("in.txt").flatMap(l => split(l, " "));
words.map(w => (w, 1)).reduceByKey((a, b) => a + b)
     .filter(p => len(filter(black, b => b == p._1)) > 0 ? { counter("dropped", p._2); false } : true)
     .print();
words.filter(w => len(w) > 3).map(w => counter("long")).count().print();
D
printf 'a b the c\nthe the x\n---\nlonger words here a\n---\nfoo\n' >in.txt
counters() { # FILE: each line's counters, one per line
	sed -n 's/.*"counters": \({[^}]*}\).*/\1/p' "$1"
}
printf '%s\n' '{"dropped": 4, "long": 0}' '{"dropped": 1, "long": 3}' '{"dropped": 0, "long": 0}' \
	'{"dropped": 5, "long": 3}' >want.txt
"$DSTREAMC" build c.dstream -o c >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
"$DSTREAMC" build c.dstream -o l --backend=llvm >build.log 2>&1 || fail "build llvm: $(cat build.log)"
for e in c1 c3 llvm jit interp; do
	rm -rf ck
	case $e in
	c1) ./c --workers 1 --metrics-json $e.json >$e.out 2>$e.err ;;
	c3) ./c --workers 3 --metrics-json $e.json >$e.out 2>$e.err ;;
	llvm) ./l --metrics-json $e.json >$e.out 2>$e.err ;;
	jit) "$DSTREAMC" run c.dstream --metrics-json $e.json >$e.out 2>$e.err ;;
	interp) "$DSTREAMC" run --interp c.dstream --metrics-json $e.json >$e.out 2>$e.err ;;
	esac || fail "$e: exit $?: $(cat $e.err)"
	counters $e.json >$e.counters
	diff want.txt $e.counters >$e.diff || fail "$e: counters: $(cat $e.diff)"
done
# a restart from the checkpoint (c3 left ck) on a longer input
rm -rf ck
./c --workers 2 >/dev/null 2>&1 || fail "first run"
printf -- '---\nthe end is near\n' >>in.txt
./c --workers 3 --metrics-json r.json >r.out 2>r.err || fail "restart: exit $?: $(cat r.err)"
grep -q "recovered from 'ck/checkpoint-0000000000003000'" r.err || fail "restart: $(cat r.err)"
[ "$(counters r.json | tr '\n' ' ')" = '{"dropped": 1, "long": 1} {"dropped": 6, "long": 4} ' ] ||
	fail "after the restart: $(counters r.json | tr '\n' ' ')"
"$DSTREAMC" emit-c c.dstream -o c.c || fail "emit-c"
grep -q 'static const char \*const counters\[\] = {"dropped", "long"};' c.c || fail "the generated C's counters table"
grep -q 'ds_counter_add(t, 0, ' c.c || fail "the generated C does not call ds_counter_add(t, 0, ...)"
test_end
