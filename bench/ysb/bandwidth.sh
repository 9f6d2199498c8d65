#!/usr/bin/env bash
# bench/ysb/bandwidth.sh: W3b against this machine's sequential read
# bandwidth over the same file (issue 14 item 4; a benchmark, not a test).
#
#   bash bench/ysb/bandwidth.sh      # ~1 min; needs bench/suite.sh's W3b input
#
# Three programs read W3b's 1.32 GB file of 44-byte records (30 batches of
# 1M), interleaved over REPS rounds (default 3), medians reported:
#   scan      bench/ysb/scan.c: a plain loop that reads one 4-byte field of
#             every record of a fresh mapping (every cache line and page
#             once), page faults included, then a second pass without them
#   fused     the W3b program (bench/ysb/ysb-bin.dstream), C backend, one
#             worker: records/s from `dstreamc bench` (batches' processing)
#   baseline  bench/ysb/baseline-bin.c, the hand-written C query
# Bytes/s = records/s x 44.  Writes bench/ysb/BANDWIDTH.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BENCH_NAME=bandwidth
W=$ROOT/bench/out/bandwidth
mkdir -p "$W"
# shellcheck source=../lib.sh
source bench/lib.sh
REPS=${REPS:-3}
CC=${CC:-cc}
IN=bench/data/suite-ysbbin-1000000r-30b.bin
CAMPB=bench/data/ysb-bin-campaigns.txt
[[ -s $IN && -s $CAMPB ]] || die "no $IN: run bash bench/suite.sh once (WORKLOADS=W3b) to generate it"
if [[ -z ${DSTREAMC:-} && -x build/dstreamc ]]; then DSTREAMC=$ROOT/build/dstreamc; fi
find_dstreamc
"$CC" -O2 -o "$W/scan" bench/ysb/scan.c
"$CC" -O2 -o "$W/baseline-bin" bench/ysb/baseline-bin.c

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: >"$W/runs.txt"
for ((r = 1; r <= REPS; r++)); do
	"$W/scan" "$IN" 44 28 | awk -v r="$r" '{ print "scan", r, $2 / ($4 / 1000), $2 / ($6 / 1000) }' >>"$W/runs.txt"
	"$DSTREAMC" bench bench/ysb/ysb-bin.dstream --input "$IN" --json --reps 1 --engines c >"$W/fused-$r.json" 2>"$W/fused-$r.err" ||
		die "dstreamc bench failed: $(head -c 300 "$W/fused-$r.err")"
	rps=$(grep -o '"records_per_s": [0-9.e+]*' "$W/fused-$r.json" | head -n 1 | sed 's/.*: //')
	echo "fused $r $(awk -v x="$rps" 'BEGIN { print x * 44 }')" >>"$W/runs.txt"
	"$W/baseline-bin" "$CAMPB" 1000000 "$IN" 2>&1 >/dev/null |
		awk -v r="$r" '{ for (i = 1; i < NF; i++) if ($i == "records") n = $(i + 1); else if ($i == "proc_ms") p = $(i + 1)
			print "baseline", r, n * 44 / (p / 1000) }' >>"$W/runs.txt"
done
scan1=$(awk '$1 == "scan" { print $3 }' "$W/runs.txt" | median)
scan2=$(awk '$1 == "scan" { print $4 }' "$W/runs.txt" | median)
fused=$(awk '$1 == "fused" { print $3 }' "$W/runs.txt" | median)
base=$(awk '$1 == "baseline" { print $3 }' "$W/runs.txt" | median)
{
	echo "# W3b against sequential read bandwidth (bench/ysb/bandwidth.sh)"
	echo
	echo "$REPS rounds, medians, $(date -u +%Y-%m-%d), $(nproc) shared cores (load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "at the end). The file, 1.32 GB of 44-byte records, is in the page cache."
	echo
	awk -v s1="$scan1" -v s2="$scan2" -v f="$fused" -v b="$base" 'BEGIN {
		printf "| reader | GB/s | records/s | of the scan (faults included) |\n| --- | --- | --- | --- |\n"
		printf "| scan, fresh mapping (page faults included) | %.2f | %.0f M | 1.00 |\n", s1 / 1e9, s1 / 44 / 1e6
		printf "| scan, second pass (no faults) | %.2f | %.0f M | %.2f |\n", s2 / 1e9, s2 / 44 / 1e6, s2 / s1
		printf "| W3b fused (C, 1 worker) | %.2f | %.0f M | %.2f |\n", f / 1e9, f / 44 / 1e6, f / s1
		printf "| W3b hand-written C | %.2f | %.0f M | %.2f |\n", b / 1e9, b / 44 / 1e6, b / s1
	}'
} >bench/ysb/BANDWIDTH.md
cat bench/ysb/BANDWIDTH.md
