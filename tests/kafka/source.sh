#!/usr/bin/env bash
# source.sh DSTREAMC WORKDIR: kafkaStream, the direct approach, on the
# embedded cluster; records produced by `dstreamc kafka produce`.
#
#   - the seeds' KafkaStreaming (topic in -> ">>>:" + value -> topic out) on
#     2 workers: every record of the 4 partitions out exactly once;
#   - a word count over the same topic: the counts summed over the batches
#     are the words' counts;
#   - the consumer group: a second run goes on where the first one's
#     committed offsets end (it reads only what was produced since);
#   - maxRatePerPartition: no batch reads more than rate x batch per
#     partition, and every record is read in the end;
#   - kafkaRecordStream: (topic, partition, offset, key, value), the same on
#     C (2 workers), LLVM, the JIT and the interpreter;
#   - an unknown topic: exit 1 naming the source;
#   - brokers away at start: said once, retried with back-off, and SIGTERM
#     stops the program (exit 0).
# (With a checkpoint, exactly once: exactly_once.sh.)
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash"

start_cluster c --brokers 3 --topic in:4 --topic out:1 --topic capped:4 --topic rec:3 || { fail "no cluster: $(cat c.err)"; test_end; }
B=$BOOTSTRAP
produce() { # TOPIC < lines "key<TAB>value"
	timeout 60 "$DSTREAMC" kafka produce --bootstrap "$B" --topic "$1" --key-sep "$(printf '\t')" >produce.out 2>&1 ||
		fail "produce to $1: $(cat produce.out)"
}
consume() {
	timeout 60 "$DSTREAMC" kafka consume --bootstrap "$B" --topic "$1" --from-beginning --timeout 2s 2>consume.err
}
seq 1 2000 | awk '{ printf "k%d\tw%d w%d\n", $1 % 16, $1, $1 % 10 }' | produce in

# ---- KafkaStreaming, and a word count, on 2 workers ----
cat >ks.dstream <<P
app "KafkaStreaming";
batch 1s;
val source = kafkaStream("$B", "in", "auto.offset.reset=earliest");
source.map(v => ">>>:" + v).saveToKafka("$B", "out");
source.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b).print(100000);
P
"$DSTREAMC" build ks.dstream -o ks >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 60 ./ks --quiet --workers 2 --duration 3s >ks.out 2>ks.err || fail "KafkaStreaming exited $?: $(cat ks.err)"
[ -n "$(news ks.err)" ] && fail "KafkaStreaming said: $(cat ks.err)"
consume out | sort >out.txt
seq 1 2000 | awk '{ printf ">>>:w%d w%d\n", $1, $1 % 10 }' | sort >want.txt
diff out.txt want.txt >diff.txt || fail "topic out is not every input once: $(head -5 diff.txt)"
# counts over all batches: w0..w9 200 each, w1..w2000 once more
awk -F'[(,)]' '/^\(/ { n[$2] += $3 } END { for (w in n) print w, n[w] }' ks.out | sort >counts.txt
{ seq 1 2000 | awk '{ print "w" $1 }'; seq 0 9 | awk '{ for (i = 0; i < 200; i++) print "w" $1 }'; } |
	sort | uniq -c | awk '{ print $2, $1 }' | sort >want-counts.txt
diff counts.txt want-counts.txt >diff.txt || fail "the word counts differ: $(head -5 diff.txt)"

# ---- the group: a restart reads only what is new ----
seq 2001 2400 | awk '{ printf "k%d\tw%d w%d\n", $1 % 16, $1, $1 % 10 }' | produce in
timeout 60 ./ks --quiet --workers 3 --duration 3s >ks2.out 2>ks2.err || fail "the second run exited $?: $(cat ks2.err)"
consume out | sort >out2.txt
seq 1 2400 | awk '{ printf ">>>:w%d w%d\n", $1, $1 % 10 }' | sort >want2.txt
diff out2.txt want2.txt >diff.txt || fail "after the second run, topic out is not every input once: $(head -5 diff.txt)"

# ---- maxRatePerPartition ----
seq 1 1200 | awk '{ printf "k%d\tc%d\n", $1 % 16, $1 }' | produce capped
cat >cap.dstream <<P
app "Capped";
batch 1s;
kafkaStream("$B", "capped", "auto.offset.reset=earliest,maxRatePerPartition=100").count().print();
P
"$DSTREAMC" build cap.dstream -o cap >build.log 2>&1 || { fail "build cap: $(cat build.log)"; test_end; }
timeout 60 ./cap --quiet --duration 6s --metrics-json cap.json >cap.out 2>cap.err || fail "cap exited $?: $(cat cap.err)"
max=$(sed -n 's/^{"event": "batch", "time_ms": [0-9]*, "records_in": \([0-9]*\),.*/\1/p' cap.json | sort -n | tail -1)
total=$(sed -n 's/.*"totals": {.*"records_in": \([0-9]*\),.*/\1/p' cap.json)
[ "${max:-0}" -le 400 ] || fail "a batch read $max records, more than 4 partitions x 100/s x 1 s"
[ "${max:-0}" -ge 100 ] || fail "the largest batch read ${max:-none} records"
[ "$total" = 1200 ] || fail "read $total of the 1200 records in 6 s (at most 400 a second)"
grep -q '"totals": {.*"kafka_errors": 0,' cap.json || fail "no kafka_errors in the metrics' totals: $(tail -1 cap.json)"

# ---- the record form: (topic, partition, offset, key, value), on every engine ----
seq 1 300 | awk '{ printf "k%d\tv%d\n", $1 % 5, $1 }' | produce rec
for e in c llvm jit interp; do
	cat >rec-$e.dstream <<P
app "Records";
batch 1s;
kafkaRecordStream("$B", "rec", "group.id=rec-$e,auto.offset.reset=earliest")
  .map(r => r._1 + " " + toString(r._2) + " " + toString(r._3) + " " + r._4 + " " + r._5).saveAsTextFiles("rec-$e/r");
P
	case $e in
	c | llvm)
		"$DSTREAMC" build rec-$e.dstream -o rec-$e.bin --backend=$e >build.log 2>&1 || fail "build rec ($e): $(cat build.log)"
		timeout 60 ./rec-$e.bin --quiet --workers 2 --duration 2s 2>rec.err || fail "rec ($e) exited $?: $(cat rec.err)" ;;
	jit) timeout 60 "$DSTREAMC" run rec-$e.dstream --quiet --duration 2s 2>rec.err || fail "rec (jit) exited $?: $(cat rec.err)" ;;
	interp) timeout 60 "$DSTREAMC" run --interp rec-$e.dstream --quiet --duration 2s 2>rec.err || fail "rec (interp) exited $?: $(cat rec.err)" ;;
	esac
	cat rec-$e/r-* 2>/dev/null | sort >rec-$e.txt
done
# every message once; the topic's name; offsets 0.. in each partition; a key in one partition
[ "$(awk '{ print $5 }' rec-c.txt | sort | uniq | wc -l)" -eq 300 ] || fail "the record form read $(wc -l <rec-c.txt) records"
[ "$(awk '$1 != "rec"' rec-c.txt | wc -l)" -eq 0 ] || fail "a record's topic is not 'rec': $(awk '$1 != "rec"' rec-c.txt | head -1)"
awk '{ n[$2]++; if ($3 + 1 > m[$2]) m[$2] = $3 + 1 } END { for (p in n) if (n[p] != m[p]) print p, n[p], m[p] }' rec-c.txt >gaps.txt
[ -s gaps.txt ] && fail "offsets not 0..n-1 in a partition (partition count max+1): $(cat gaps.txt)"
[ "$(awk '{ print $4, $2 }' rec-c.txt | sort -u | awk '{ print $1 }' | uniq -d | wc -l)" -eq 0 ] ||
	fail "a key in two partitions"
for e in llvm jit interp; do
	cmp -s rec-c.txt rec-$e.txt || fail "the record form on $e differs from C: $(diff rec-c.txt rec-$e.txt | head -3)"
done

# ---- errors ----
sed 's/"in"/"nosuch"/; s/KafkaStreaming/NoTopic/' ks.dstream >nt.dstream
"$DSTREAMC" build nt.dstream -o nt >build.log 2>&1 || { fail "build nt: $(cat build.log)"; test_end; }
timeout 60 ./nt --quiet --duration 2s >nt.out 2>nt.err
rc=$?
[ $rc -eq 1 ] || fail "an unknown topic: exit $rc, expected 1"
grep -q "^nt: nt.dstream:3:14: kafkaStream: no topic 'nosuch' on $B\$" nt.err || fail "an unknown topic: $(cat nt.err)"

# ---- brokers away at start: said, retried, and a stop is a stop ----
sed "s/$B/127.0.0.1:1/g; s/KafkaStreaming/NoBrokers/" ks.dstream >nb.dstream
"$DSTREAMC" build nb.dstream -o nb >build.log 2>&1 || { fail "build nb: $(cat build.log)"; test_end; }
./nb --quiet >nb.out 2>nb.err &
pid=$!
wait_for 20 grep -q "^nb: nb.dstream:3:14: kafkaStream: cannot reach the brokers 127.0.0.1:1: .*; retrying (every 5 s at most) until they answer\$" nb.err ||
	fail "brokers away at start: $(cat nb.err)"
kill -TERM $pid
if wait_for 10 exited $pid; then
	wait $pid
	rc=$?
	[ $rc -eq 0 ] || fail "stopped while waiting for the brokers: exit $rc, expected 0: $(cat nb.err)"
else
	kill -KILL $pid
	fail "SIGTERM did not stop a program waiting for its brokers"
fi
[ "$(grep -c 'cannot reach' nb.err)" -eq 1 ] || fail "the retries were said more than once: $(cat nb.err)"
test_end
