#!/usr/bin/env bash
# bench/tables/callgrind.sh: instructions per workload (issue 14's hash
# tables and dense keys), counted by callgrind in the batches alone.
#
#   bash bench/tables/callgrind.sh [LABEL]   # ~4 min; appends to bench/out/tables/callgrind.txt
#
# Instruction counts repeat from run to run, where this shared machine's
# timings do not (bench/flow/REPORT.md): they are what a before/after of a
# change to the generated loops is read from.  Inputs are cut from
# bench/suite.sh's (run it once first): W1 the first 5 MB of its Zipf text
# (one batch), W2 and W2n the first 20 of its 60 batches, W3 the first 10 of
# its 30 batches, W3b 3 batches of 1M events, W4 all of it (1M keys, then 10
# batches).  Each program is the C engine's (`dstreamc build`), --workers 1;
# only run_batch_fn (the generated program_run_batch: every stage of every
# batch) is counted.
# DSTREAMC picks the compiler (default build/dstreamc), so that the same
# script measures a checkout before a change and after it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
DSTREAMC=${DSTREAMC:-build/dstreamc}
LABEL=${1:-$(git rev-parse --short HEAD)}
D=bench/data
W=bench/out/tables
mkdir -p "$W"
command -v valgrind >/dev/null || { echo "callgrind.sh: needs valgrind" >&2; exit 1; }
for f in suite-words-48M.txt suite-window-10k-100000r-60b.txt suite-ysb-100000r-30b.txt suite-ysbbin-1000000r-30b.bin \
	suite-state-1000000k-burst-100000r-10b.txt ysb-campaigns.txt ysb-bin-campaigns.txt; do
	[ -s "$D/$f" ] || { echo "callgrind.sh: $D/$f missing: run bash bench/suite.sh first" >&2; exit 1; }
done
# the first N batches of a text input cut at ---
batches() { awk -v n="$2" '$0 == "---" { if (++b == n) exit } { print }' "$1"; }
[ -s "$W/w1.txt" ] || head -c 5000000 $D/suite-words-48M.txt >"$W/w1.txt"
[ -s "$W/w2.txt" ] || batches $D/suite-window-10k-100000r-60b.txt 20 >"$W/w2.txt"
[ -s "$W/w3.txt" ] || batches $D/suite-ysb-100000r-30b.txt 10 >"$W/w3.txt"
[ -s "$W/w3b.bin" ] || head -c 132000000 $D/suite-ysbbin-1000000r-30b.bin >"$W/w3b.bin"
declare -A PROG=([W1]=bench/wordcount/wordcount.dstream [W2]=bench/window/window-inv.dstream
	[W2n]=bench/window/window-noinv.dstream [W3]=bench/ysb/ysb.dstream [W3b]=bench/ysb/ysb-bin.dstream
	[W4]=bench/state/state.dstream)
declare -A SRC=([W1]="0=$W/w1.txt" [W2]="0=$W/w2.txt" [W2n]="0=$W/w2.txt" [W3]="0=$W/w3.txt 1=$D/ysb-campaigns.txt"
	[W3b]="0=$W/w3b.bin 1=$D/ysb-bin-campaigns.txt" [W4]="0=$D/suite-state-1000000k-burst-100000r-10b.txt")
line="$LABEL"
for n in W1 W2 W2n W3 W3b W4; do
	"$DSTREAMC" build "${PROG[$n]}" -o "$W/$n" >/dev/null
	args=()
	for s in ${SRC[$n]}; do args+=(--source-path "$s"); done
	valgrind --tool=callgrind --toggle-collect=run_batch_fn --callgrind-out-file="$W/$n.out" \
		"$W/$n" --quiet --workers 1 "${args[@]}" >/dev/null 2>"$W/$n.err"
	ir=$(sed -n 's/.*Collected : //p' "$W/$n.err")
	echo "$n $ir" >&2
	line="$line $n=$ir"
done
echo "$line" >>"$W/callgrind.txt"
