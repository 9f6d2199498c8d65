#!/usr/bin/env bash
# kafka.sh: runs an example that reads one topic and writes another, end to
# end on the embedded Kafka cluster, with nothing to install.  The examples'
# run.sh call it.
#
#   bash examples/kafka.sh DSTREAMC PROGRAM IN:PARTITIONS OUT:PARTITIONS INPUT [CONSUME FLAGS...]
#
# Starts `dstreamc kafka` (1 broker, the two topics, on 127.0.0.1), produces
# each line of INPUT into IN, builds PROGRAM with the cluster's address in
# place of KAFKA_BROKERS (program parameters are not there yet), runs it for
# 3 one-second batches, prints how many records OUT then holds and the first
# few, and stops the cluster.  Scratch files go to a temporary directory.
set -euo pipefail
DSTREAMC=$(realpath "$1")
PROG=$(realpath "$2")
TOPICS=(--topic "$3" --topic "$4")
IN=${3%%:*} OUT=${4%%:*} INPUT=$(realpath "$5")
shift 5
NAME=$(basename "$PROG" .dstream)
W=$(mktemp -d)
cleanup() { [ -z "${CLUSTER:-}" ] || kill "$CLUSTER" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
"$DSTREAMC" kafka "${TOPICS[@]}" >"$W/cluster.out" &
CLUSTER=$!
for _ in $(seq 100); do grep -q '^kafka: bootstrap ' "$W/cluster.out" && break; sleep 0.1; done
B=$(awk '$1 == "kafka:" { print $3; exit }' "$W/cluster.out")
[ -n "$B" ] || { echo "kafka.sh: the cluster did not start" >&2; exit 1; }
echo "cluster: $B"
"$DSTREAMC" kafka produce --bootstrap "$B" --topic "$IN" "$INPUT"
sed "s/KAFKA_BROKERS/$B/g" "$PROG" >"$W/$NAME.dstream"
"$DSTREAMC" build "$W/$NAME.dstream" -o "$W/$NAME"
(cd "$W" && "./$NAME" --quiet --batches 3)
"$DSTREAMC" kafka consume --bootstrap "$B" --topic "$OUT" --from-beginning --timeout 2s "$@" >"$W/out.txt"
echo "topic $OUT holds $(wc -l <"$W/out.txt") records:"
head -n 5 "$W/out.txt"
echo "..."
