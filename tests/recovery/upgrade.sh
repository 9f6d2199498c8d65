#!/usr/bin/env bash
# upgrade.sh DSTREAMC WORKDIR: the rules for recovering a changed program.
#
# v1 counts words with updateStateByKey (named through its val) and keeps a
# 2s window; it runs 2 of 4 batches, checkpointing after each.  Then:
#   - v2 adds an output, a stateless operator before the state, a new
#     stateful operator and a new source (before the old one, so that its
#     index changes): it resumes at batch 3 with the counts of batches 1-2,
#     the window's panes and the old source's position, the new source from
#     its start, and says the new operator starts empty;
#   - v3 changes the state's type (Int to Double): refused, exit 1, naming the
#     operator, the old type and the new one; nothing is written;
#   - v4 drops the window: refused, exit 1, unless --allow-dropped-state;
#   - a checkpoint of another program (another app name) is refused, exit 1;
#   - --discard-checkpoint starts afresh, on purpose.
# Exact stderr and exact output files.
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin upgrade "$@"

printf 'a b\n---\nb c\n---\na\n---\nc c\n' >in.txt
printf 'x1\n---\nx2\n' >extra.txt
cat >v1.dstream <<'P'
app "Upgrade";
batch 1s;
checkpoint "ck" every 1s;
val pairs = queueStream("in.txt").flatMap(l => split(l, " ")).map(w => (w, 1));
val totals = pairs.updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0)));
totals.saveAsTextFiles("out/totals");
pairs.reduceByKeyAndWindow((a, b) => a + b, 2s).saveAsTextFiles("out/win");
P
cat >v2.dstream <<'P'
app "Upgrade";
batch 1s;
checkpoint "ck" every 1s;
val extra = queueStream("extra.txt");
extra.saveAsTextFiles("out/extra");
val pairs = queueStream("in.txt").flatMap(l => split(l, " ")).map(w => (w, 1));
val totals = pairs.filter(p => p._1 != "zzz").updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0)));
totals.saveAsTextFiles("out/totals");
totals.map(p => p._1).saveAsTextFiles("out/keys");
pairs.reduceByKeyAndWindow((a, b) => a + b, 2s).saveAsTextFiles("out/win");
val firsts = pairs.mapWithState((k, v, st) => { val f = !exists(st); update(st, 1); (k, f) });
firsts.saveAsTextFiles("out/firsts");
P
sed 's/Some(sum(vs) + getOrElse(st, 0))/Some(toDouble(sum(vs)) + getOrElse(st, 0.0))/' v1.dstream >v3.dstream
grep -v reduceByKeyAndWindow v1.dstream >v4.dstream
sed 's/app "Upgrade"/app "Other"/' v1.dstream >other.dstream
for v in v1 v2 v3 v4 other; do
	"$DSTREAMC" build $v.dstream -o $v >build.log 2>&1 || { fail "build $v: $(cat build.log)"; test_end; }
done
sorted() { sort "$1" | tr '\n' ' '; }

./v1 --quiet --batches 2 >/dev/null 2>v1.err || fail "v1 exited $?"
[ -s v1.err ] && fail "v1 said: $(cat v1.err)"
[ "$(ls ck)" = "$(printf 'checkpoint-0000000000001000\ncheckpoint-0000000000002000')" ] || fail "checkpoints after v1: $(ls ck | tr '\n' ' ')"
cp -r ck ck.v1

# the type changed: refused before anything runs
./v3 --quiet >v3.out 2>v3.err
rc=$?
[ $rc -eq 1 ] || fail "v3 exited $rc, expected 1"
cat >expected.err <<'E'
v3: v3.dstream:5:20: error: updateStateByKey: the type of its state 'totals.updateStateByKey/state' changed: the checkpoint holds String -> Option[Int], this program keeps String -> Option[Double] (restore needs the same type; --discard-checkpoint starts afresh)
E
diff -u expected.err v3.err || fail "v3's message"
[ -e out/totals-3000 ] && fail "v3 ran a batch"

# a state whose operator is gone: refused unless asked
./v4 --quiet >v4.out 2>v4.err
rc=$?
[ $rc -eq 1 ] || fail "v4 exited $rc, expected 1"
cat >expected.err <<'E'
v4: checkpoint 'ck/checkpoint-0000000000002000': the state 'pairs.reduceByKeyAndWindow/window.panes' of reduceByKeyAndWindow (v1.dstream:7:7 when checkpointed) belongs to no operator of this program: refusing to drop it (--allow-dropped-state drops it; .named("id") keeps an operator's identity when its code moves)
E
diff -u expected.err v4.err || fail "v4's message"

# another program's checkpoint
./other --quiet >other.out 2>other.err
rc=$?
[ $rc -eq 1 ] || fail "other exited $rc, expected 1"
cat >expected.err <<'E'
other: checkpoint 'ck/checkpoint-0000000000002000': refused: it belongs to program 'Upgrade' (v1.dstream), not to 'Other' (other.dstream) (use another checkpoint directory, or --discard-checkpoint to start afresh)
E
diff -u expected.err other.err || fail "other's message"

# the compatible upgrade resumes at batch 3
./v2 --quiet >v2.out 2>v2.err || fail "v2 exited $?: $(cat v2.err)"
cat >expected.err <<'E'
v2: v2.dstream:11:20: note: mapWithState: its state 'firsts.mapWithState/state' is new in this program: it starts empty
v2: checkpoint: recovered from 'ck/checkpoint-0000000000002000' (batch 2000 ms): going on with the batch after it
E
diff -u expected.err v2.err || fail "v2's messages"
[ -e out/keys-2000 ] && fail "v2 redid batch 2, which the checkpoint covers"
[ "$(sorted out/totals-3000)" = "(a,2) (b,2) (c,1) " ] || fail "totals at 3000: $(sorted out/totals-3000)"
[ "$(sorted out/totals-4000)" = "(a,2) (b,2) (c,3) " ] || fail "totals at 4000: $(sorted out/totals-4000)"
[ "$(sorted out/win-3000)" = "(a,1) (b,1) (c,1) " ] || fail "window at 3000 (batches 2-3): $(sorted out/win-3000)"
[ "$(sorted out/firsts-3000)" = "(a,true) " ] || fail "firsts at 3000: $(sorted out/firsts-3000)"
[ "$(sorted out/extra-3000)" = "x1 " ] || fail "the new source's first batch at 3000: $(sorted out/extra-3000)"
[ "$(sorted out/firsts-4000)" = "(c,false) (c,true) " ] || fail "firsts at 4000: $(sorted out/firsts-4000)"

# the dropped window, allowed
rm -rf ck && cp -r ck.v1 ck
./v4 --quiet --allow-dropped-state >/dev/null 2>v4b.err || fail "v4 --allow-dropped-state exited $?"
cat >expected.err <<'E'
v4: warning: checkpoint: dropping the state 'pairs.reduceByKeyAndWindow/window.panes' of reduceByKeyAndWindow (v1.dstream:7:7 when checkpointed): this program has no such operator (--allow-dropped-state)
v4: checkpoint: recovered from 'ck/checkpoint-0000000000002000' (batch 2000 ms): going on with the batch after it
E
diff -u expected.err v4b.err || fail "v4 --allow-dropped-state's messages"

# starting afresh on purpose
./v3 --quiet --discard-checkpoint --batches 1 >/dev/null 2>v3b.err || fail "v3 --discard-checkpoint exited $?"
cat >expected.err <<'E'
v3: checkpoint: discarded 2 checkpoints in 'ck', as --discard-checkpoint asks: starting afresh
E
diff -u expected.err v3b.err || fail "--discard-checkpoint's message"
[ "$(sorted out/totals-1000)" = "(a,1.0) (b,1.0) " ] || fail "v3 afresh, totals at 1000: $(sorted out/totals-1000)"
test_end
