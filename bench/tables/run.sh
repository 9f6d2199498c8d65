#!/usr/bin/env bash
# bench/tables/run.sh: records/s of every workload built by two compilers,
# interleaved in one run (issue 14: the hash tables and dense keys, before
# and after).
#
#   DSTREAMC_BEFORE=/path/to/old/dstreamc bash bench/tables/run.sh   # ~3 min
#
# Each workload of bench/suite.sh (its inputs: run it once first) is built by
# DSTREAMC_BEFORE and by DSTREAMC (default build/dstreamc), C backend, and
# run REPS (5) rounds, the two binaries alternating, --workers 1.  records/s
# = records in / the batches' processing_ms (--metrics-json), as the suite
# counts, and the CPU time of the whole process (perf stat, task-clock:
# loading the input included); the medians of the rounds, and their ratios.
# The shared machine's timings spread by 2x from round to round when other
# jobs run: read the ratios of one run, the CPU ones first, and
# bench/tables/callgrind.sh's instruction counts beside them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
: "${DSTREAMC_BEFORE:?set DSTREAMC_BEFORE to the dstreamc to compare with}"
DSTREAMC=${DSTREAMC:-build/dstreamc}
REPS=${REPS:-5}
D=bench/data
W=bench/out/tables
mkdir -p "$W"
declare -A PROG=([W1]=bench/wordcount/wordcount.dstream [W2]=bench/window/window-inv.dstream
	[W2n]=bench/window/window-noinv.dstream [W3]=bench/ysb/ysb.dstream [W3b]=bench/ysb/ysb-bin.dstream
	[W4]=bench/state/state.dstream)
declare -A IN=([W1]=$D/suite-words-48M.txt [W2]=$D/suite-window-10k-100000r-60b.txt
	[W2n]=$D/suite-window-10k-100000r-60b.txt [W3]=$D/suite-ysb-100000r-30b.txt
	[W3b]=$D/suite-ysbbin-1000000r-30b.bin [W4]=$D/suite-state-1000000k-burst-100000r-10b.txt)
NAMES=(W1 W2 W2n W3 W3b W4)
for n in "${NAMES[@]}"; do
	[ -s "${IN[$n]}" ] || { echo "run.sh: ${IN[$n]} missing: run bash bench/suite.sh first" >&2; exit 1; }
	"$DSTREAMC_BEFORE" build "${PROG[$n]}" -o "$W/$n-before" >/dev/null
	"$DSTREAMC" build "${PROG[$n]}" -o "$W/$n-after" >/dev/null
done
# records/s of one run: records_in / processing_ms, summed over the batches
rps() { awk -F'"records_in": |"processing_ms": ' '/"event": "batch"/ { split($2, a, ","); r += a[1]; p += $3 + 0 }
	END { printf "%.0f\n", (p > 0 ? r / p * 1000 : 0) }' "$1"; }
: >"$W/runs.txt"
for ((r = 1; r <= REPS; r++)); do
	for n in "${NAMES[@]}"; do
		for v in before after; do
			rm -f "$W/m.json"
			# CPU time of the whole process (perf stat's task-clock): what
			# other jobs on the machine disturb least
			perf stat -x, -e task-clock -o "$W/cpu.txt" "$W/$n-$v" --quiet --workers 1 \
				--source-path "0=${IN[$n]}" --metrics-json "$W/m.json" >/dev/null
			echo "$n $v $(rps "$W/m.json") $(awk -F, '/task-clock/ { printf "%.0f", $1 }' "$W/cpu.txt")" >>"$W/runs.txt"
		done
	done
	echo "round $r/$REPS done" >&2
done
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| workload | before rec/s | after rec/s | after/before | before CPU ms | after CPU ms | CPU before/after |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in "${NAMES[@]}"; do
	col() { awk -v n="$n" -v v="$1" -v c="$2" '$1 == n && $2 == v { print $c }' "$W/runs.txt" | median; }
	awk -v n="$n" -v b="$(col before 3)" -v a="$(col after 3)" -v cb="$(col before 4)" -v ca="$(col after 4)" \
		'BEGIN { printf "| %s | %.2f M | %.2f M | **%.2f** | %.0f | %.0f | **%.2f** |\n", n, b / 1e6, a / 1e6, a / b, cb, ca, cb / ca }'
done
