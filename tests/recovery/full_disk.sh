#!/usr/bin/env bash
# full_disk.sh DSTREAMC WORKDIR: the checkpoint directory fills up.
#
# ck/ is a 64 KiB tmpfs, filled by a file before the program starts, so
# every checkpoint write fails with ENOSPC.  The program (a word count with a
# window, --pace 40ms, 30 batches) must say so once, go on processing, leave
# no half-written file, and mark the batches in its metrics; once the test
# deletes the filler, the next batch writes the checkpoint, and says so.
# Its output files are those of a run on a roomy disk.  Needs root (mount);
# exits 77 (skipped) where tmpfs cannot be mounted.
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin full_disk "$@"

awk 'BEGIN { for (b = 0; b < 30; b++) { for (i = 0; i <= b % 5; i++) print "w" (b + i) % 7; print "---" } }' >in.txt
cat >p.dstream <<'P'
batch 1s;
checkpoint "ck" every 1s;
val kv = queueStream("in.txt").map(w => (w, 1));
kv.updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0))).saveAsTextFiles("out/totals");
kv.reduceByKeyAndWindow((a, b) => a + b, 3s).saveAsTextFiles("out/win");
P
"$DSTREAMC" build p.dstream -o prog >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
mkdir ref && (cd ref && ../prog --quiet --source-path 0=../in.txt) || fail "reference run"

mkdir ck
if ! mount -t tmpfs -o size=64k tmpfs ck 2>mount.err; then
	echo "SKIP full_disk: cannot mount a tmpfs here: $(cat mount.err)"
	exit 77
fi
trap 'umount "$WORK/ck" 2>/dev/null' EXIT
dd if=/dev/zero of=ck/filler bs=4k 2>/dev/null # until ENOSPC
./prog --quiet --pace 40ms --metrics-json m.json >run.out 2>run.err &
pid=$!
for _ in $(seq 100); do
	grep -q "cannot write" run.err && break
	sleep 0.05
done
sleep 0.3 # a few batches go by with the disk full
rm ck/filler
wait $pid || fail "exit status $?: $(cat run.err)"

[ "$(grep -c "checkpoint: cannot write '.*': No space left on device; processing goes on, and the checkpoint is tried again after every batch" run.err)" = 1 ] ||
	fail "expected one ENOSPC message: $(cat run.err)"
[ "$(grep -c "checkpoint: written again" run.err)" = 1 ] || fail "expected one 'written again': $(cat run.err)"
[ "$(wc -l <run.err)" = 2 ] || fail "unexpected messages: $(cat run.err)"
diff_multisets ref/out out >diff.txt || fail "outputs differ from the roomy run: $(head diff.txt)"
leftover=$(ls -A ck | grep -v '^checkpoint-' || true)
[ -z "$leftover" ] || fail "left in ck: $leftover"
nfail=$(grep -o '"checkpoint_failed": true' m.json | wc -l)
[ "$nfail" -ge 3 ] || fail "only $nfail batches marked checkpoint_failed in the metrics"
grep '^{"event": "batch",' m.json | tail -n 1 | grep -q '"checkpoint_failed": false, "processing_ms": [0-9.]*}$' ||
	fail "the last batch is not marked checkpointed"
grep -q "\"batches_checkpoint_failed\": $nfail" m.json || fail "totals: $(grep batches_checkpoint_failed m.json)"
test_end
