#!/usr/bin/env bash
# bench/interp/run.sh: the interpreter (`dstreamc run --interp`) against the
# compiled binary, on the inputs of bench/wordcount, bench/window and
# bench/state (smaller sizes: the interpreter is the slow engine).
#
#   bash bench/interp/run.sh
#
# Environment:
#   REPS=3               timed runs per engine and workload (median reported)
#   WC_BYTES=20971520    wordcount input (20 MiB, one batch)
#   WIN_KEYS=100000 WIN_RECS=100000 WIN_BATCHES=60   window input
#   ST_KEYS=200000 ST_RECS=100000 ST_BATCHES=20      state input
#   DSTREAMC=path        use this dstreamc instead of building one
#
# For each workload: both engines' printed pairs must be identical (checked
# once, printing every record), then processing time (the totals'
# processing_ms of --metrics-json, i.e. the sum over batches of the time in
# run_batch) per engine and the ratio interp / compiled.  Writes
# bench/out/interp.txt (and prints it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

REPS=${REPS:-3}
WC_BYTES=${WC_BYTES:-20971520}
WIN_KEYS=${WIN_KEYS:-100000} WIN_RECS=${WIN_RECS:-100000} WIN_BATCHES=${WIN_BATCHES:-60}
ST_KEYS=${ST_KEYS:-200000} ST_RECS=${ST_RECS:-100000} ST_BATCHES=${ST_BATCHES:-20}
CC=${CC:-cc}
DATA=bench/data
OUT=bench/out
W=$OUT/interp
RESULT=$OUT/interp.txt
mkdir -p "$DATA" "$W"

BENCH_NAME=interp
# shellcheck source=../lib.sh
source bench/lib.sh
find_dstreamc

$CC -O2 -o "$W/gen-wc" bench/wordcount/gen.c -lm
$CC -O2 -o "$W/gen-win" bench/window/gen.c
$CC -O2 -o "$W/gen-st" bench/state/gen.c

WC_IN=$DATA/interp-words-$WC_BYTES.txt
WIN_IN=$DATA/interp-window-$WIN_KEYS-$WIN_RECS-$WIN_BATCHES.txt
ST_IN=$DATA/interp-state-$ST_KEYS-$ST_RECS-$ST_BATCHES.txt
[[ -f $WC_IN ]] || "$W/gen-wc" "$WC_BYTES" "$WC_IN"
[[ -f $WIN_IN ]] || "$W/gen-win" "$WIN_KEYS" "$WIN_RECS" "$WIN_BATCHES" "$WIN_IN"
[[ -f $ST_IN ]] || "$W/gen-st" "$ST_KEYS" "$ST_KEYS" 1 "$ST_RECS" "$ST_BATCHES" "$ST_IN"

# program NAME SOURCE INPUT: NAME.dstream reading INPUT, and NAME-all.dstream
# printing every record; compiled as NAME and NAME-all.
program() {
	sed -E -e "s|queueStream\(\"[^\"]*\"\)|queueStream(\"$3\")|" "$2" >"$W/$1.dstream"
	sed -E -e 's/\.print\(\)/.print(100000000)/' "$W/$1.dstream" >"$W/$1-all.dstream"
	"$DSTREAMC" build "$W/$1.dstream" -o "$W/$1"
	"$DSTREAMC" build "$W/$1-all.dstream" -o "$W/$1-all"
}
program wc bench/wordcount/wordcount.dstream "$WC_IN"
program win-inv bench/window/window-inv.dstream "$WIN_IN"
program win-noinv bench/window/window-noinv.dstream "$WIN_IN"
program state bench/state/state.dstream "$ST_IN"

field() { sed -n 's/.*"totals".*"'"$1"'": \([0-9.]*\).*/\1/p' "$2"; }
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
blocks() { awk '/^Time: /{ t = $2 } /^\(/{ print t, $0 }' | LC_ALL=C sort; }

: >"$W/runs.txt"
for p in wc win-inv win-noinv state; do
	log "$p: checking that both engines print the same records"
	"$W/$p-all" --quiet | blocks >"$W/$p.compiled.out"
	"$DSTREAMC" run --interp "$W/$p-all.dstream" --quiet | blocks >"$W/$p.interp.out"
	cmp -s "$W/$p.compiled.out" "$W/$p.interp.out" || die "$p: the engines disagree ($W/$p.*.out)"
	for ((r = 1; r <= REPS; r++)); do
		rm -f "$W/m.json"
		"$W/$p" --quiet --metrics-json "$W/m.json" >/dev/null
		echo "$p compiled $(field processing_ms "$W/m.json") $(field batches "$W/m.json")" >>"$W/runs.txt"
		rm -f "$W/m.json"
		"$DSTREAMC" run --interp "$W/$p.dstream" --quiet --metrics-json "$W/m.json" >/dev/null
		echo "$p interp $(field processing_ms "$W/m.json") $(field batches "$W/m.json")" >>"$W/runs.txt"
		log "$p run $r/$REPS: $(tail -2 "$W/runs.txt" | awk '{ printf "%s %.0f ms  ", $2, $3 }')"
	done
done

{
	echo "interp vs compiled: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
		"commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); median of $REPS runs"
	echo "processing time = totals.processing_ms of --metrics-json (time in run_batch, all batches)"
	echo
	printf "  %-10s %8s %14s %14s %8s\n" workload batches "compiled ms" "interp ms" ratio
	for p in wc win-inv win-noinv state; do
		c=$(awk -v p="$p" '$1 == p && $2 == "compiled" { print $3 }' "$W/runs.txt" | median)
		i=$(awk -v p="$p" '$1 == p && $2 == "interp" { print $3 }' "$W/runs.txt" | median)
		b=$(awk -v p="$p" '$1 == p { print $4; exit }' "$W/runs.txt")
		awk -v p="$p" -v b="$b" -v c="$c" -v i="$i" 'BEGIN { printf "  %-10s %8s %14.1f %14.1f %8.2f\n", p, b, c, i, i / c }'
	done
	echo
	echo "inputs: $WC_IN; $WIN_IN (window 30s slide 10s); $ST_IN"
} >"$RESULT"
cat "$RESULT"
