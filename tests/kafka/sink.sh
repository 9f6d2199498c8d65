#!/usr/bin/env bash
# sink.sh DSTREAMC WORKDIR: saveToKafka, into the embedded cluster.
#
#   - values: the seeds' KafkaStreaming map (">>>:" + value) of 1,500 numbered
#     lines in 15 batches, on 2 workers, into a topic of 3 partitions: a plain
#     consumer reads every output exactly once, each with the headers
#     dstream.batch and dstream.index;
#   - keys and values: a key's records all land in one partition;
#   - exactly once across kill -9: the same program with a checkpoint every
#     3 s, paced, killed with SIGKILL at 4 seeded moments and restarted (on
#     1, 2 or 3 workers, C and the JIT): every output exactly once, and the
#     restarts say they recovered;
#   - with transactional.id, each batch in a transaction (the mock accepts
#     them): every record there;
#   - a topic that does not exist: exit 1, naming it and the output.
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash"

start_cluster c --brokers 3 --topic out:3 --topic kv:2 --topic eo:3 --topic txn:2 || { fail "the cluster did not start: $(cat c.err)"; test_end; }
B=$BOOTSTRAP
seq 1 1500 | awk '{ print } NR % 100 == 0 && NR < 1500 { print "---" }' >in.txt
consume() { # TOPIC [FLAGS...]: every record of TOPIC, one a line
	local t=$1
	shift
	timeout 60 "$DSTREAMC" kafka consume --bootstrap "$B" --topic "$t" --from-beginning --timeout 2s "$@"
}

# ---- values, on 2 workers ----
cat >p.dstream <<P
app "KafkaStreaming";
batch 1s;
val lines = queueStream("in.txt");
lines.map(l => ">>>:" + l).saveToKafka("$B", "out");
lines.map(l => ("k" + toString(toInt(l) % 7), l)).saveToKafka("$B", "kv", "linger.ms=1");
P
"$DSTREAMC" build p.dstream -o p >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 60 ./p --quiet --workers 2 >p.out 2>p.err || fail "the program exited $?: $(cat p.err)"
[ -n "$(news p.err)" ] && fail "the program said: $(cat p.err)"
consume out >out.txt 2>consume.err || fail "consume out: $(cat consume.err)"
seq 1 1500 | sed 's/^/>>>:/' | sort >want.txt
sort out.txt | diff - want.txt >diff.txt || fail "topic out differs from the program's outputs: $(head diff.txt)"
# headers, through a client that is not ours when there is one
if command -v kcat >/dev/null; then
	timeout 30 kcat -b "$B" -t out -C -e -q -f '%h %s\n' >h.txt 2>kcat.err || fail "kcat: $(cat kcat.err)"
	n=$(grep -cE '^dstream\.batch=[0-9]+000,dstream\.index=[0-9]+ >>>:[0-9]+$' h.txt)
	[ "$n" -eq 1500 ] || fail "$n of 1500 records carry dstream.batch and dstream.index: $(head -3 h.txt)"
fi
# a key's records in one partition: each key appears in exactly one of them
consume kv --keys >kv.txt 2>consume.err || fail "consume kv: $(cat consume.err)"
[ "$(wc -l <kv.txt)" -eq 1500 ] || fail "topic kv holds $(wc -l <kv.txt) records, expected 1500"
[ "$(cut -f1 kv.txt | sort -u | wc -l)" -eq 7 ] || fail "topic kv's keys: $(cut -f1 kv.txt | sort -u | tr '\n' ' ')"

# ---- exactly once across kill -9 ----
cat >q.dstream <<P
app "KafkaSinkEO";
batch 1s;
checkpoint "ck" every 3s;
val lines = queueStream("in.txt");
lines.map(l => ">>>:" + l).saveToKafka("$B", "eo");
P
"$DSTREAMC" build q.dstream -o q >build.log 2>&1 || { fail "build q: $(cat build.log)"; test_end; }
RANDOM=7 # seeded kill moments
kills=0
for w in 2 1 3 2; do
	./q --quiet --pace 100ms --workers $w 2>>q.err &
	pid=$!
	sleep "0.$((RANDOM % 7 + 3))"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
done
timeout 60 "$DSTREAMC" run q.dstream --quiet --workers 2 --batches 3 2>>q.err || fail "the JIT leg exited $?: $(tail -3 q.err)"
timeout 60 ./q --quiet --workers 3 2>>q.err || fail "the last run exited $?: $(tail -3 q.err)"
n=$(grep -c "recovered from 'ck/checkpoint-" q.err)
[ "$n" -ge 5 ] || fail "expected at least 5 recoveries, saw $n: $(cat q.err)"
consume eo >eo.txt 2>consume.err || fail "consume eo: $(cat consume.err)"
sort eo.txt | uniq -d | head -3 >dups.txt
[ -s dups.txt ] && fail "records written twice after $kills kills: $(cat dups.txt)"
sort -u eo.txt | diff - want.txt >diff.txt || fail "topic eo differs after $kills kills: $(head diff.txt)"

# ---- transactions (for real brokers; the mock accepts them, it does not prove them) ----
cat >t.dstream <<P
app "KafkaTxn";
batch 1s;
queueStream("in.txt").map(l => "t:" + l).saveToKafka("$B", "txn", "transactional.id=dstream-test-txn");
P
"$DSTREAMC" build t.dstream -o t >build.log 2>&1 || { fail "build t: $(cat build.log)"; test_end; }
timeout 60 ./t --quiet >t.out 2>t.err || fail "the transactional sink exited $?: $(cat t.err)"
consume txn | sort >txn.txt
seq 1 1500 | sed 's/^/t:/' | sort | diff txn.txt - >diff.txt || fail "topic txn differs: $(head -5 diff.txt)"

# ---- a topic that is not there ----
sed 's/"eo")/"nosuch")/; s/KafkaSinkEO/KafkaNoTopic/; /^checkpoint/d' q.dstream >r.dstream
"$DSTREAMC" build r.dstream -o r >build.log 2>&1 || { fail "build r: $(cat build.log)"; test_end; }
timeout 60 ./r --quiet >r.out 2>r.err
rc=$?
[ $rc -eq 1 ] || fail "a missing topic: exit $rc, expected 1"
grep -q "^r: r.dstream:4:28: saveToKafka: no topic 'nosuch' on $B\$" r.err || fail "a missing topic: $(cat r.err)"
test_end
