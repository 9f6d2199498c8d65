#!/usr/bin/env bash
# exactly_once.sh DSTREAMC WORKDIR: Kafka in and out, exactly once, across
# kill -9 (the crash harness, pointed at Kafka).
#
# 3,000 numbered messages (keys spread over 4 partitions) are produced by
# `dstreamc kafka produce`: half before the program starts, half while it
# runs and is killed (so that a batch's range depends on when it ran, and
# only the ranges log makes a re-run batch read what it read before).  The
# program reads them with kafkaStream (maxRatePerPartition=100: 400 a 1 s
# batch), writes ">>>:" + value to a topic with saveToKafka and to files
# with saveAsTextFiles (per batch, and per 2 s tumbling window), and counts
# them with updateStateByKey, with a checkpoint every 2 s.  It is killed
# with SIGKILL at 4 seeded moments and
# restarted each time (on 1, 2 or 3 workers), then run to the end.  Then:
#   - the target topic, read by a plain consumer, holds every output once;
#   - the files hold every output once (a batch that ran again rewrote its
#     own file with the same records: its offset range was the logged one),
#     and so do the windows' files;
#   - the running total of the last batch is 3000;
#   - the restarts said they recovered.
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash"

start_cluster c --brokers 3 --topic in:4 --topic out:2 || { fail "no cluster: $(cat c.err)"; test_end; }
B=$BOOTSTRAP
seq 1 3000 | awk '{ printf "k%d\tm%d\n", $1 % 16, $1 }' >in.txt
produce() { # FIRST LAST: lines FIRST..LAST of in.txt
	sed -n "$1,$2p" in.txt | timeout 60 "$DSTREAMC" kafka produce --bootstrap "$B" --topic in \
		--key-sep "$(printf '\t')" >>produce.out 2>&1 || fail "produce $1-$2: $(cat produce.out)"
}
produce 1 1500
cat >eo.dstream <<P
app "KafkaExactlyOnce";
batch 1s;
checkpoint "ck" every 2s;
val source = kafkaStream("$B", "in", "auto.offset.reset=earliest,maxRatePerPartition=100");
val out = source.map(v => ">>>:" + v);
out.saveToKafka("$B", "out");
out.saveAsTextFiles("files/out");
out.window(2s, 2s).saveAsTextFiles("files/win");
source.map(v => ("all", 1)).updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0))).saveAsTextFiles("files/total");
P
"$DSTREAMC" build eo.dstream -o eo >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
RANDOM=11
leg=0
for w in 2 1 3 2; do
	./eo --quiet --workers $w 2>>eo.err &
	pid=$!
	leg=$((leg + 1))
	if [ $leg -eq 2 ]; then
		sleep 0.5
		produce 1501 3000 # while it runs
		sleep "0.$((RANDOM % 9))"
	else
		sleep "1.$((RANDOM % 9))"
	fi
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
done
timeout 60 ./eo --quiet --workers 2 --duration 12s 2>>eo.err || fail "the last run exited $?: $(tail -3 eo.err)"
n=$(grep -c "recovered from 'ck/checkpoint-" eo.err)
[ "$n" -ge 4 ] || fail "expected 4 recoveries, saw $n: $(cat eo.err)"
news eo.err | grep -v "recovered from 'ck/checkpoint-" | grep -q . && fail "the runs said: $(grep -v recovered eo.err | head -3)"

seq 1 3000 | sed 's/^/>>>:m/' | sort >want.txt
timeout 60 "$DSTREAMC" kafka consume --bootstrap "$B" --topic out --from-beginning --timeout 2s 2>consume.err | sort >topic.txt
diff topic.txt want.txt >diff.txt || fail "topic out is not every output once: $(head -5 diff.txt)"
cat files/out-* | sort >files.txt
diff files.txt want.txt >diff.txt || fail "the files are not every output once: $(head -5 diff.txt)"
cat files/win-* | sort >win.txt
diff win.txt want.txt >diff.txt || fail "the 2 s tumbling windows are not every output once: $(head -5 diff.txt)"
last=$(ls files | grep '^total-' | sort | tail -n 1)
[ "$(cat "files/$last")" = "(all,3000)" ] || fail "the last running total ($last): $(cat "files/$last")"
test_end
