#!/usr/bin/env bash
# outage.sh DSTREAMC WORKDIR: every broker down for 4 s in the middle of a
# run (SIGUSR1 / SIGUSR2 to `dstreamc kafka`: the mock cluster's own API).
#
# 2,000 messages are produced up front; the program reads them 400 a batch
# (maxRatePerPartition=100, 4 partitions), with a checkpoint, and writes
# ">>>:" + value to a topic (saveToKafka) and to files.  While the brokers
# are down, a batch cannot fix its ranges (said once, and it reads nothing)
# and the sink waits for its acknowledgements (up to 30 s, the documented
# policy); once they are back, the program catches up.  Then every output is
# in the topic and in the files exactly once, and the program exited 0.
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash"

start_cluster c --brokers 2 --topic in:4 --topic out:2 || { fail "no cluster: $(cat c.err)"; test_end; }
B=$BOOTSTRAP
seq 1 2000 | awk '{ printf "k%d\tm%d\n", $1 % 16, $1 }' |
	timeout 60 "$DSTREAMC" kafka produce --bootstrap "$B" --topic in --key-sep "$(printf '\t')" >produce.out 2>&1 ||
	{ fail "produce: $(cat produce.out)"; test_end; }
cat >o.dstream <<P
app "KafkaOutage";
batch 1s;
checkpoint "ck" every 2s;
val out = kafkaStream("$B", "in", "auto.offset.reset=earliest,maxRatePerPartition=100").map(v => ">>>:" + v);
out.saveToKafka("$B", "out");
out.saveAsTextFiles("files/out");
P
"$DSTREAMC" build o.dstream -o o >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 90 ./o --quiet --workers 2 --duration 16s >o.out 2>o.err &
pid=$!
sleep 1.5
kill -USR1 "$CLUSTER_PID"
sleep 4
kill -USR2 "$CLUSTER_PID"
wait $pid
rc=$?
[ $rc -eq 0 ] || fail "the program exited $rc: $(cat o.err)"
grep -q '^%[0-9]|' o.err && fail "librdkafka's own log lines reached stderr: $(grep '^%' o.err | head -3)"
grep -q "every broker down" c.err || fail "the cluster did not take its brokers down: $(cat c.err)"
grep -q "every broker up" c.err || fail "the cluster did not bring its brokers back: $(cat c.err)"
seq 1 2000 | sed 's/^/>>>:m/' | sort >want.txt
timeout 60 "$DSTREAMC" kafka consume --bootstrap "$B" --topic out --from-beginning --timeout 2s 2>consume.err | sort >topic.txt
diff topic.txt want.txt >diff.txt || fail "topic out is not every output once after the outage: $(head -5 diff.txt)"
cat files/out-* | sort >files.txt
diff files.txt want.txt >diff.txt || fail "the files are not every output once after the outage: $(head -5 diff.txt)"
test_end
