#!/usr/bin/env bash
# memory_limit.sh DSTREAMC WORKDIR: a run out of memory stops with a clear
# message, not a crash (issue 15 item 4).
#
# A checkpointed count of distinct words: batches 1 and 3 are small, batch 2
# holds 3,000,000 distinct words (about 600 MB of tables and arena).  Under
# `ulimit -v` of 200 MiB the program must stop in batch 2 with exit 1 and
# one line on stderr, "prog: out of memory (its address space is limited to
# 195 MiB: ulimit -v): stopping (...)" (no abort, no core), with no partial
# output visible; a restart without the limit goes on from the checkpoint of
# batch 1 and leaves the outputs of a run that never ran out.
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin memory_limit "$@"

awk 'BEGIN { print "a"; print "b"; print "---"; for (i = 0; i < 3000000; i++) print "w" i; print "---"; print "c" }' >in.txt
cat >p.dstream <<'P'
batch 1s;
checkpoint "ck" every 1s;
queueStream("in.txt").map(w => (w, 1)).reduceByKey(_ + _).count().saveAsTextFiles("out/n");
P
"$DSTREAMC" build p.dstream -o prog >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
mkdir ref && (cd ref && ../prog --quiet --workers 1 --source-path 0=../in.txt) || fail "reference run"

mkdir run
(cd run && ulimit -v 200000 && exec ../prog --quiet --workers 1 --source-path 0=../in.txt) >run.out 2>run.err
s=$?
[ "$s" = 1 ] || fail "exit status $s, expected 1: $(head -c 300 run.err)"
[ "$(cat run.err)" = "prog: out of memory (its address space is limited to 195 MiB: ulimit -v): stopping (with a checkpoint, a restart goes on from the last one)" ] ||
	fail "stderr: $(head -c 300 run.err)"
[ "$(ls run/out)" = "n-1000" ] || fail "visible outputs after the stop: $(ls run/out | tr '\n' ' ')"
cmp -s ref/out/n-1000 run/out/n-1000 || fail "n-1000 differs"
(cd run && ../prog --quiet --workers 1 --source-path 0=../in.txt) >restart.out 2>restart.err || fail "restart: exit $?: $(cat restart.err)"
grep -q "recovered from 'ck/checkpoint-0000000000001000'" restart.err || fail "the restart did not recover batch 1's checkpoint: $(cat restart.err)"
diff -r ref/out run/out >diff.txt || fail "outputs differ from the unlimited run: $(head diff.txt)"
test_end
