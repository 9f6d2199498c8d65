#!/usr/bin/env bash
# sigterm_drain.sh DSTREAMC WORKDIR: SIGTERM keeps what the receiver had.
#
# A socket program with 2 s batches and a checkpoint: the line server sends
# 500 lines 100 ms into a batch, and the test sends SIGTERM 400 ms later, long
# before that batch is due.  Spark's graceful stop: the receiver stops, the
# lines it had are processed in one more batch (at the next batch time),
# a final checkpoint covers it, and the program exits 0.  A restart in the
# same directory goes on after that batch and processes none of the lines
# again (they are in the log, but the checkpoint covers them).
source "$(dirname -- "${BASH_SOURCE[0]}")/../sources/common.bash" "$@"
cd "$WORK" || exit 2
build_lineserv
awk 'BEGIN { for (i = 1; i <= 500; i++) print "line" i }' >chunk.txt
start_lineserv ls.out --align 100 chunk.txt

cat >p.dstream <<P
app "SigtermDrain";
batch 2s;
checkpoint "ck" every 2s;
val lines = socketTextStream("127.0.0.1", $LS_PORT);
lines.saveAsTextFiles("out/lines");
lines.count().saveAsTextFiles("out/count");
P
"$DSTREAMC" build p.dstream -o prog >build.log 2>&1 || fatal "build: $(cat build.log)"
./prog --quiet >run1.out 2>run1.err &
pid=$!
BG_PIDS+=("$pid")
wait_for 10 has_sent ls.out 1 || fatal "lineserv did not send: $(cat ls.out.err)"
sent=$(sent_time ls.out 1)
sleep_until_ms $((sent + 400))
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM: $(cat run1.err)"
[ -n "$(news run1.err)" ] && fail "stderr: $(cat run1.err)"

# the batch after the one the lines arrived in is the final one
final=$(( (sent / 2000 + 1) * 2000 ))
[ -f "out/lines-$final" ] || fail "no out/lines-$final: $(ls out | tr '\n' ' ')"
cmp -s chunk.txt "out/lines-$final" || fail "out/lines-$final is not the 500 lines sent"
[ "$(cat "out/count-$final")" = 500 ] || fail "count at $final: $(cat "out/count-$final")"
cat out/lines-* | sort | uniq -d >dups.txt
[ -s dups.txt ] && fail "lines saved twice: $(head -n 3 dups.txt)"
[ -f "ck/checkpoint-$(printf %016d "$final")" ] || fail "no final checkpoint at $final: $(ls ck | tr '\n' ' ')"

# a restart (the server is gone: it keeps trying) processes none of them again
./prog --quiet --batches 1 --metrics-json m.json >run2.out 2>run2.err || fail "restart exited $?"
grep -q '"records_in": 500' m.json && fail "the restart processed the lines again"
grep -q "recovered from 'ck/checkpoint-$(printf %016d "$final")'" run2.err || fail "restart: $(cat run2.err)"
grep -q "recovered [0-9]* block" run2.err && fail "the restart replayed blocks the final checkpoint covers: $(cat run2.err)"
finish
