#!/usr/bin/env bash
# run.sh: the seeds' KafkaStreaming end to end, with nothing to install.
#
#   bash examples/kafkastreaming/run.sh [build/dstreamc]
#
# Starts the embedded Kafka cluster (`dstreamc kafka`: 1 broker, topics
# source:2 and target:1, on 127.0.0.1), produces the 100 lines of words.txt
# into `source`, builds kafkastreaming.dstream against the cluster's address,
# runs it for 3 batches, prints what `target` then holds, and stops the
# cluster.  Scratch files go to a temporary directory.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DSTREAMC=$(realpath "${1:-$HERE/../../build/dstreamc}")
W=$(mktemp -d)
cleanup() { [ -z "${CLUSTER:-}" ] || kill "$CLUSTER" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
"$DSTREAMC" kafka --topic source:2 --topic target:1 >"$W/cluster.out" &
CLUSTER=$!
for _ in $(seq 100); do grep -q '^kafka: bootstrap ' "$W/cluster.out" && break; sleep 0.1; done
B=$(awk '$1 == "kafka:" { print $3; exit }' "$W/cluster.out")
[ -n "$B" ] || { echo "run.sh: the cluster did not start" >&2; exit 1; }
echo "cluster: $B"
"$DSTREAMC" kafka produce --bootstrap "$B" --topic source "$HERE/words.txt"
sed "s/KAFKA_BROKERS/$B/g" "$HERE/kafkastreaming.dstream" >"$W/kafkastreaming.dstream"
"$DSTREAMC" build "$W/kafkastreaming.dstream" -o "$W/kafkastreaming"
(cd "$W" && ./kafkastreaming --quiet --batches 3)
"$DSTREAMC" kafka consume --bootstrap "$B" --topic target --from-beginning --timeout 2s >"$W/target.txt"
echo "topic target holds $(wc -l <"$W/target.txt") records:"
head -n 5 "$W/target.txt"
echo "..."
