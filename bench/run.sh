#!/usr/bin/env bash
# bench/run.sh: the benchmark suite's entry point (benchmarks, not tests).
#
#   bash bench/run.sh              every workload
#   bash bench/run.sh wordcount    only the named ones (wordcount, window, state)
#
# Each workload is bench/<name>/run.sh; it builds what it needs, generates
# its input under bench/data/ once, and writes bench/out/<name>.txt.
# See bench/README.md for what each one measures and the environment knobs.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL=(wordcount window state) # add new workloads here
if (($#)); then
	WANT=("$@")
else
	WANT=("${ALL[@]}")
fi
for w in "${WANT[@]}"; do
	[[ -f $BENCH/$w/run.sh ]] || { echo "bench: no workload '$w' (have: ${ALL[*]})" >&2; exit 2; }
done
status=0
for w in "${WANT[@]}"; do
	echo "== $w"
	start=$(date +%s)
	bash "$BENCH/$w/run.sh" || { echo "bench: $w failed" >&2; status=1; }
	echo "== $w: $(($(date +%s) - start)) s"
done
exit $status
