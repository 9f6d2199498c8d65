#!/usr/bin/env bash
# run.sh: the seeds' KafkaStreaming end to end, with nothing to install.
#
#   bash examples/kafkastreaming/run.sh [build/dstreamc]
#
# On the embedded cluster (examples/kafka.sh): the 100 lines of words.txt
# into topic `source`, kafkastreaming.dstream for 3 batches, then what topic
# `target` holds.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$HERE/../kafka.sh" "${1:-$HERE/../../build/dstreamc}" "$HERE/kafkastreaming.dstream" \
	source:2 target:1 "$HERE/words.txt"
