#!/usr/bin/env bash
# run.sh: the seeds' KafkaWordCount end to end, with nothing to install.
#
#   bash examples/kafkawordcount/run.sh [build/dstreamc]
#
# Starts the embedded Kafka cluster (`dstreamc kafka`: 1 broker, topics
# lines:2 and counts:2, on 127.0.0.1), produces the lines of ../wordcount/data/sample.txt
# into `lines`, builds kafkawordcount.dstream against the cluster's address,
# runs it for 3 batches, prints what `counts` then holds, and stops the
# cluster.  Scratch files go to a temporary directory.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DSTREAMC=$(realpath "${1:-$HERE/../../build/dstreamc}")
W=$(mktemp -d)
cleanup() { [ -z "${CLUSTER:-}" ] || kill "$CLUSTER" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
"$DSTREAMC" kafka --topic lines:2 --topic counts:2 >"$W/cluster.out" &
CLUSTER=$!
for _ in $(seq 100); do grep -q '^kafka: bootstrap ' "$W/cluster.out" && break; sleep 0.1; done
B=$(awk '$1 == "kafka:" { print $3; exit }' "$W/cluster.out")
[ -n "$B" ] || { echo "run.sh: the cluster did not start" >&2; exit 1; }
echo "cluster: $B"
"$DSTREAMC" kafka produce --bootstrap "$B" --topic lines "$HERE/../wordcount/data/sample.txt"
sed "s/KAFKA_BROKERS/$B/g" "$HERE/kafkawordcount.dstream" >"$W/kafkawordcount.dstream"
"$DSTREAMC" build "$W/kafkawordcount.dstream" -o "$W/kafkawordcount"
(cd "$W" && ./kafkawordcount --quiet --batches 3)
"$DSTREAMC" kafka consume --bootstrap "$B" --topic counts --from-beginning --keys --timeout 2s >"$W/target.txt"
echo "topic counts holds $(wc -l <"$W/target.txt") records:"
head -n 5 "$W/target.txt"
echo "..."
