#!/usr/bin/env bash
# corrupt.sh DSTREAMC WORKDIR: damaged checkpoints are detected, never trusted.
#
# A word count checkpoints after every batch (the newest two are kept).
#   - a byte flipped in the newest checkpoint: its checksum fails, the one
#     before it is used with a warning, and the batch after that one runs
#     again, writing the same file;
#   - the newest cut short: the same, "truncated";
#   - both damaged: refused, exit 1 (starting afresh would lose their state);
#   - a temporary file that a killed writer left is removed, and said.
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin corrupt "$@"

printf 'a\n---\na\nb\n---\nb\n---\nc\n---\nc\n' >in.txt
cat >p.dstream <<'P'
batch 1s;
checkpoint "ck" every 1s;
val totals = queueStream("in.txt").map(w => (w, 1)).updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0)));
totals.saveAsTextFiles("out/totals");
P
"$DSTREAMC" build p.dstream -o prog >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
sorted() { sort "$1" | tr '\n' ' '; }
ck3=ck/checkpoint-0000000000003000 ck2=ck/checkpoint-0000000000002000

./prog --quiet --batches 3 2>err1 || fail "first run exited $?"
[ "$(sorted out/totals-3000)" = "(a,2) (b,2) " ] || fail "totals at 3000: $(sorted out/totals-3000)"
cp -r ck ck.good
printf '\x5a' | dd of=$ck3 bs=1 seek=40 conv=notrunc status=none
rm out/totals-3000
./prog --quiet --batches 1 2>err2 || fail "run after the flip exited $?"
cat >expected.err <<E
prog: warning: checkpoint '$ck3' is corrupt (checksum mismatch): using the one before it
prog: checkpoint: recovered from '$ck2' (batch 2000 ms): going on with the batch after it
E
diff -u expected.err err2 || fail "messages after a flipped byte"
[ "$(sorted out/totals-3000)" = "(a,2) (b,2) " ] || fail "batch 3 run again: $(sorted out/totals-3000)"

rm -rf ck && cp -r ck.good ck
truncate -s -7 $ck3
./prog --quiet --batches 1 2>err3 || fail "run after the truncation exited $?"
cat >expected.err <<E
prog: warning: checkpoint '$ck3' is truncated (its length does not match): using the one before it
prog: checkpoint: recovered from '$ck2' (batch 2000 ms): going on with the batch after it
E
diff -u expected.err err3 || fail "messages after a truncation"

rm -rf ck && cp -r ck.good ck
printf '\x5a' | dd of=$ck3 bs=1 seek=40 conv=notrunc status=none
printf 'not a checkpoint' >$ck2
touch ck/.checkpoint-0000000000004000.tmp out/.totals-4000.tmp-99999
./prog --quiet --batches 1 >out4 2>err4
rc=$?
[ $rc -eq 1 ] || fail "with both checkpoints damaged: exit $rc, expected 1"
cat >expected.err <<E
prog: p.dstream:4:8: saveAsTextFiles: removed 1 unfinished file that a killed run left in 'out'
prog: removed 'ck/.checkpoint-0000000000004000.tmp', a temporary file that a crash left behind
prog: warning: checkpoint '$ck3' is corrupt (checksum mismatch): using the one before it
prog: warning: checkpoint '$ck2' is not a dstream checkpoint (bad magic): no older one is left
prog: checkpoint: no usable checkpoint in 'ck' (2 damaged): refusing to start afresh and lose the state they held (--discard-checkpoint starts afresh)
E
diff -u expected.err err4 || fail "messages with both damaged"
[ -e out/totals-4000 ] && fail "a batch ran with both checkpoints damaged"
test_end
