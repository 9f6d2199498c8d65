#!/usr/bin/env bash
# cluster.sh DSTREAMC WORKDIR: `dstreamc kafka`, its producer and its consumer.
#
# A cluster of 3 brokers with the topic in:4; 2000 numbered lines produced
# with 16 keys (so every partition gets some, and a key's lines all go to one
# partition), consumed back from the beginning: exactly the lines produced,
# each once, and each key's lines in the order produced (a partition's order).
# Then --max and the idle timeout, kcat's view of the topic when kcat is
# installed, and SIGTERM: exit 0, promptly.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

start_cluster kafka --brokers 3 --topic in:4 ||
	{ fail "the cluster did not start within 10 s: $(cat kafka.err)"; test_end; }
[ "$(wc -l <kafka.out)" -eq 1 ] || fail "the cluster printed more than its bootstrap line: $(cat kafka.out)"
grep -Eqx 'kafka: bootstrap 127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+){2}' kafka.out ||
	fail "bootstrap line: $(cat kafka.out)"

# "KEY VALUE" lines: key k0..k15, value the line's number.
awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "k%d %d\n", i % 16, i }' >sent.txt
t0=$(now_ms)
timeout 30 "$DSTREAMC" kafka produce --bootstrap "$BOOTSTRAP" --topic in --key-sep ' ' sent.txt \
	>produce.out 2>produce.err
rc=$?
[ "$rc" -eq 0 ] || fail "produce exited $rc: $(cat produce.err)"
[ -s produce.out ] && fail "produce wrote to stdout: $(head -n 3 produce.out)"
[ -s produce.err ] && fail "produce wrote to stderr: $(head -n 3 produce.err)"

timeout 30 "$DSTREAMC" kafka consume --bootstrap "$BOOTSTRAP" --topic in --from-beginning \
	--max 2000 --keys --timeout 10s >got.txt 2>consume.err
rc=$?
[ "$rc" -eq 0 ] || fail "consume exited $rc: $(cat consume.err)"
[ -s consume.err ] && fail "consume wrote to stderr: $(head -n 3 consume.err)"
tr ' ' '\t' <sent.txt | LC_ALL=C sort >want.sorted
LC_ALL=C sort got.txt >got.sorted
if ! cmp -s want.sorted got.sorted; then
	fail "consumed lines differ from those produced (as multisets; < missing, > extra):"
	diff want.sorted got.sorted | head -n 10
fi
# each key's values increase: its partition's order is the order produced
awk -F '\t' '$1 in last && $2 + 0 <= last[$1] { printf "%s: %s after %s\n", $1, $2, last[$1]; bad = 1 }
	{ last[$1] = $2 + 0 } END { exit bad }' got.txt >order.txt ||
	fail "out of order within a partition: $(head -n 3 order.txt)"

# --max stops at once, without waiting for the idle timeout; no --keys: values
t0=$(now_ms)
timeout 30 "$DSTREAMC" kafka consume --bootstrap "$BOOTSTRAP" --topic in --from-beginning \
	--max 10 --timeout 20s >max.txt 2>max.err || fail "consume --max 10 exited $?: $(cat max.err)"
[ "$(wc -l <max.txt)" -eq 10 ] || fail "consume --max 10 printed $(wc -l <max.txt) lines"
grep -qvx '[0-9]*' max.txt && fail "consume without --keys printed keys: $(head -n 3 max.txt)"
[ $(($(now_ms) - t0)) -lt 10000 ] || fail "consume --max 10 took $(($(now_ms) - t0)) ms"

# from the end: nothing new comes, so it stops after the idle timeout
t0=$(now_ms)
timeout 30 "$DSTREAMC" kafka consume --bootstrap "$BOOTSTRAP" --topic in --timeout 1s \
	>end.txt 2>end.err || fail "consume from the end exited $?: $(cat end.err)"
took=$(($(now_ms) - t0))
[ -s end.txt ] && fail "consume from the end printed old messages: $(head -n 3 end.txt)"
[ "$took" -ge 1000 ] && [ "$took" -lt 8000 ] || fail "consume --timeout 1s took $took ms"

# kcat sees the same topic
if command -v kcat >/dev/null; then
	timeout 20 kcat -b "$BOOTSTRAP" -L -t in >kcat.txt 2>kcat.err || fail "kcat -L exited $?: $(cat kcat.err)"
	grep -q '^ *topic "in" with 4 partitions' kcat.txt || fail "kcat -L: $(cat kcat.txt)"
	[ "$(grep -c '^ *broker [0-9]* at 127\.0\.0\.1:' kcat.txt)" -eq 3 ] || fail "kcat -L brokers: $(cat kcat.txt)"
else
	echo "note: kcat is not installed; its part is skipped"
fi

t0=$(now_ms)
stop_cluster TERM
[ "$CLUSTER_RC" = 0 ] || fail "the cluster's exit status after SIGTERM: $CLUSTER_RC ($(cat kafka.err))"
[ $(($(now_ms) - t0)) -lt 5000 ] || fail "the cluster took $(($(now_ms) - t0)) ms to stop"
[ -s kafka.err ] && fail "the cluster wrote to stderr: $(head -n 3 kafka.err)"
test_end
