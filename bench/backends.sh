#!/usr/bin/env bash
# bench/backends.sh: dstreamc's backends side by side, in one run.
#
#   bash bench/backends.sh
#
# (a) Compile time, for every examples/*/*.dstream: from the .dstream to a
#     runnable binary with `dstreamc build --backend=c` (cc -O2) and
#     `--backend=llvm` (LLVM O2, object file, cc as the linker), and to the
#     first output with `dstreamc run FILE --help` (the LLVM JIT compiles the
#     program, then the runtime prints its usage: nothing is read or run).
# (b) Throughput of the workloads of bench/wordcount, bench/window and
#     bench/state (smaller inputs than their own run.sh, same programs), as
#     the batches' processing time from --metrics-json, for the C backend,
#     the LLVM backend, the LLVM backend with --no-rt-inline (the runtime's
#     hot helpers called, not inlined) and the JIT (`dstreamc run`).
# Engines alternate within each repetition; medians of REPS are reported,
# with ratios to the C backend.
#
# Environment: REPS=5, WC_BYTES=52428800 (wordcount input, 50 MiB),
# DSTREAMC, BENCH_BUILD_DIR, CC (as bench/lib.sh).
# Writes bench/out/backends.txt (and prints it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
REPS=${REPS:-5}
WC_BYTES=${WC_BYTES:-52428800}
CC=${CC:-cc}
DATA=bench/data
W=bench/out/backends
RESULT=bench/out/backends.txt
mkdir -p "$DATA" "$W"

BENCH_NAME=backends
# shellcheck source=lib.sh
source bench/lib.sh
find_dstreamc
DSTREAMC=$(realpath "$DSTREAMC")
$CC -O2 -o "$W/timer" bench/timer.c
TIMER=$(realpath "$W/timer")

field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$2"; }
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# ---- (a) compile time -------------------------------------------------------------
# timed NAME ENGINE DIR CMD...: appends "NAME ENGINE MS" to compile.txt, the
# wall ms of CMD run in DIR (its output discarded)
timed() {
	local name=$1 eng=$2 dir=$3
	shift 3
	(cd "$dir" && "$TIMER" "$ROOT/$W/t.txt" "$@" >/dev/null 2>"$ROOT/$W/err.txt") ||
		die "failed: $* (in $dir): $(cat "$W/err.txt")"
	printf '%s %s %s\n' "$name" "$eng" "$(field wall_ms "$W/t.txt")" >>"$W/compile.txt"
}
: >"$W/compile.txt"
for prog in examples/*/*.dstream; do
	name=$(basename "$prog" .dstream)
	dir=$(dirname "$prog")
	csrc=() # the example's C files (extern functions, receivers), compiled with it
	for c in "$dir"/*.c; do
		[[ ! -f $c ]] || csrc+=("$(basename "$c")")
	done
	for ((r = 1; r <= REPS; r++)); do
		timed "$name" c "$dir" "$DSTREAMC" build "$name.dstream" "${csrc[@]}" -o "$ROOT/$W/$name.c.bin" --backend=c
		timed "$name" llvm "$dir" "$DSTREAMC" build "$name.dstream" "${csrc[@]}" -o "$ROOT/$W/$name.llvm.bin" --backend=llvm
		timed "$name" jit "$dir" "$DSTREAMC" run "$name.dstream" "${csrc[@]}" --help
	done
	log "compiled $name"
done
cmed() { awk -v n="$1" -v e="$2" '$1 == n && $2 == e { print $3 }' "$W/compile.txt" | median; }

# ---- (b) throughput -----------------------------------------------------------------
$CC -O2 -o "$W/gen-wc" bench/wordcount/gen.c -lm
$CC -O2 -o "$W/gen-window" bench/window/gen.c
$CC -O2 -o "$W/gen-state" bench/state/gen.c
WC_IN=$DATA/backends-words-$((WC_BYTES / 1048576))M.txt
WIN_IN=$DATA/backends-window-10000k-100000r-60b.txt
ST_IN=$DATA/backends-state-100000k-100000r-10b.txt
[[ -s $WC_IN ]] || { log "generating $WC_IN"; "$W/gen-wc" "$WC_BYTES" "$WC_IN"; }
[[ -s $WIN_IN ]] || { log "generating $WIN_IN"; "$W/gen-window" 10000 100000 60 "$WIN_IN"; }
[[ -s $ST_IN ]] || { log "generating $ST_IN"; "$W/gen-state" 100000 100000 3 100000 10 "$ST_IN"; }

# workload NAME SOURCE.dstream PATH-IN-SOURCE INPUT
WORKLOADS=()
workload() {
	sed -e "s|$3|$ROOT/$4|" "$2" >"$W/$1.dstream"
	grep -q "queueStream(\"$ROOT/$4\")" "$W/$1.dstream" || die "could not point $W/$1.dstream at $4"
	"$DSTREAMC" build "$W/$1.dstream" -o "$W/$1.c" --backend=c
	"$DSTREAMC" build "$W/$1.dstream" -o "$W/$1.llvm" --backend=llvm
	"$DSTREAMC" build "$W/$1.dstream" -o "$W/$1.llvm-noinline" --backend=llvm --no-rt-inline
	WORKLOADS+=("$1")
}
workload wordcount bench/wordcount/wordcount.dstream bench/data/words-200M.txt "$WC_IN"
workload window bench/window/window-inv.dstream bench/data/window.txt "$WIN_IN"
workload state bench/state/state.dstream bench/data/state.txt "$ST_IN"

ENGINES=(c llvm llvm-noinline jit)
: >"$W/runs.txt"
for ((r = 1; r <= REPS; r++)); do
	for wl in "${WORKLOADS[@]}"; do
		for eng in "${ENGINES[@]}"; do
			rm -f "$W/m.json"
			if [[ $eng == jit ]]; then
				cmd=("$DSTREAMC" run "$W/$wl.dstream")
			else
				cmd=("$W/$wl.$eng")
			fi
			"$TIMER" "$W/t.txt" "${cmd[@]}" --quiet --metrics-json "$W/m.json" >"$W/$wl.$eng.out"
			proc=$(sed -n 's/.*"totals".*"processing_ms": \([0-9.]*\).*/\1/p' "$W/m.json")
			[[ -n $proc ]] || die "no totals in $W/m.json ($wl, $eng)"
			printf '%s %s %s %s\n' "$wl" "$eng" "$proc" "$(field wall_ms "$W/t.txt")" >>"$W/runs.txt"
		done
		for eng in "${ENGINES[@]}"; do
			cmp -s "$W/$wl.c.out" "$W/$wl.$eng.out" || die "$wl: $eng printed something else than c"
		done
	done
	log "repetition $r/$REPS done"
done
tmed() { awk -v n="$1" -v e="$2" -v c="$3" '$1 == n && $2 == e { print $c }' "$W/runs.txt" | median; }

# ---- report -------------------------------------------------------------------------
{
	echo "backends: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d), medians of $REPS"
	echo
	echo "(a) compile time, ms: .dstream to binary (build), to first output (run --help)"
	printf '%-24s %10s %10s %10s %11s %10s\n' example "c -O2" "llvm O2" "jit" "llvm/c" "jit/c"
	for prog in examples/*/*.dstream; do
		n=$(basename "$prog" .dstream)
		c=$(cmed "$n" c) l=$(cmed "$n" llvm) j=$(cmed "$n" jit)
		printf '%-24s %10.0f %10.0f %10.0f %11s %10s\n' "$n" "$c" "$l" "$j" "$(ratio "$l" "$c")" "$(ratio "$j" "$c")"
	done
	echo
	echo "(b) throughput: processing ms of all batches (wall ms of the process); ratio = engine / c"
	printf '%-10s %-14s %12s %12s %8s\n' workload engine proc_ms wall_ms ratio
	for wl in "${WORKLOADS[@]}"; do
		c=$(tmed "$wl" c 3)
		for eng in "${ENGINES[@]}"; do
			p=$(tmed "$wl" "$eng" 3)
			printf '%-10s %-14s %12.1f %12.0f %8s\n' "$wl" "$eng" "$p" "$(tmed "$wl" "$eng" 4)" "$(ratio "$p" "$c")"
		done
	done
	echo
	echo "inputs: $WC_IN ($WC_BYTES bytes, one batch), $WIN_IN (60 batches), $ST_IN (10 batches)"
} >"$RESULT"
cat "$RESULT"
