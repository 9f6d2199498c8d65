#!/usr/bin/env bash
# run.sh: the seeds' KafkaWordCount end to end, with nothing to install.
#
#   bash examples/kafkawordcount/run.sh [build/dstreamc]
#
# On the embedded cluster (examples/kafka.sh): the lines of
# ../wordcount/data/sample.txt into topic `lines`, kafkawordcount.dstream for
# 3 batches, then what topic `counts` holds (key TAB value).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$HERE/../kafka.sh" "${1:-$HERE/../../build/dstreamc}" "$HERE/kafkawordcount.dstream" \
	lines:2 counts:2 "$HERE/../wordcount/data/sample.txt" --keys
