#!/usr/bin/env bash
# bench/wordcount/run.sh: the compiled wordcount against a hand-written C
# wordcount, on the same 200 MiB of generated text, in the same run.
#
#   bash bench/wordcount/run.sh          (or: bash bench/run.sh wordcount)
#
# Environment:
#   REPS=5              timed repetitions per engine (the median is reported)
#   WC_BYTES=209715200  size of the input (200 MiB)
#   CG_BYTES=20971520   size of the callgrind input (20 MiB); CALLGRIND=0 skips it
#   DSTREAMC=path       use this dstreamc instead of building one
#   BENCH_BUILD_DIR=dir where to build dstreamc (default /tmp/bench-build, Release)
#   CC=cc               the C compiler for the generator, the baseline and the timer
#
# Writes bench/out/wordcount.txt (and prints it).  Needs bash, awk, cmake and
# a C compiler; uses valgrind if it is installed, never requires it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

REPS=${REPS:-5}
WC_BYTES=${WC_BYTES:-209715200}
CG_BYTES=${CG_BYTES:-20971520}
CALLGRIND=${CALLGRIND:-1}
CC=${CC:-cc}
HERE=bench/wordcount
DATA=bench/data
OUT=bench/out
W=$OUT/wordcount # build products and scratch files
RESULT=$OUT/wordcount.txt
mkdir -p "$DATA" "$W"

BENCH_NAME=wordcount
# shellcheck source=../lib.sh
source bench/lib.sh

# ---- tools ------------------------------------------------------------------
find_dstreamc

$CC -O2 -o "$W/gen" "$HERE/gen.c" -lm
$CC -O2 -o "$W/baseline" "$HERE/baseline.c"
$CC -O2 -o "$W/timer" bench/timer.c

# ---- data -------------------------------------------------------------------
fsize() { if [[ -f $1 ]]; then wc -c <"$1" | tr -d ' '; else echo -1; fi; }
gen_data() { # BYTES FILE
	if [[ $(fsize "$2") != "$1" ]]; then
		log "generating $2 ($1 bytes)"
		"$W/gen" "$1" "$2.tmp" && mv "$2.tmp" "$2"
	fi
}
MB=$((WC_BYTES / 1048576))
INPUT=$DATA/words-${MB}M.txt
gen_data "$WC_BYTES" "$INPUT"

# ---- the dstream programs -----------------------------------------------------
# wordcount.dstream reads bench/data/words-200M.txt; variants read another
# input or print every pair (print(1000000): more than the distinct words).
variant() { # OUT.dstream INPUT PRINT-ARGS
	sed -e "s|bench/data/words-200M.txt|$2|" -e "s|counts\.print()|counts.print($3)|" \
		"$HERE/wordcount.dstream" >"$1"
	grep -q "queueStream(\"$2\")" "$1" || die "could not point $1 at $2"
}
variant "$W/wc.dstream" "$INPUT" ""
variant "$W/wc-all.dstream" "$INPUT" 1000000
"$DSTREAMC" build "$W/wc.dstream" -o "$W/wc-dstream"
"$DSTREAMC" build "$W/wc-all.dstream" -o "$W/wc-dstream-all"

# ---- correctness, once, before timing (also warms the page cache) ---------------
log "checking that both engines count the same words"
pairs() { grep -E '^\(' | LC_ALL=C sort; } # the (word,count) lines, sorted
"$W/baseline" "$INPUT" --all --timing 2>"$W/baseline.info" | pairs >"$W/baseline.pairs"
"$W/wc-dstream-all" --quiet | pairs >"$W/dstream.pairs"
cmp -s "$W/baseline.pairs" "$W/dstream.pairs" || {
	diff "$W/baseline.pairs" "$W/dstream.pairs" | head -20 >&2
	die "the two engines disagree (bench/out/wordcount/*.pairs)"
}
read -r _ LINES _ WORDS _ DISTINCT _ <"$W/baseline.info"
NPAIRS=$(wc -l <"$W/baseline.pairs" | tr -d ' ')
[[ $NPAIRS == "$DISTINCT" ]] || die "expected $DISTINCT pairs, got $NPAIRS"
log "ok: $DISTINCT distinct words, $WORDS words, $LINES lines, identical counts"

# ---- timing: the engines alternate, REPS runs each --------------------------------
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$2"; }
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: >"$W/runs.txt"
for ((r = 1; r <= REPS; r++)); do
	"$W/timer" "$W/t.txt" "$W/baseline" "$INPUT" --timing >/dev/null 2>"$W/b.info"
	printf 'baseline %d wall_ms %s proc_ms %s load_ms %s maxrss_kb %s\n' "$r" \
		"$(field wall_ms "$W/t.txt")" "$(field proc_ms "$W/b.info")" \
		"$(field load_ms "$W/b.info")" "$(field maxrss_kb "$W/t.txt")" >>"$W/runs.txt"
	rm -f "$W/m.json"
	"$W/timer" "$W/t.txt" "$W/wc-dstream" --quiet --metrics-json "$W/m.json" >/dev/null
	# the batch's processing time, from the totals at the end of the JSON
	proc=$(sed -n 's/.*"totals".*"processing_ms": \([0-9.]*\).*/\1/p' "$W/m.json")
	recs=$(sed -n 's/.*"totals".*"records_in": \([0-9]*\).*/\1/p' "$W/m.json")
	[[ -n $proc && $recs == "$LINES" ]] || die "bad metrics in $W/m.json (records_in $recs, want $LINES)"
	wall=$(field wall_ms "$W/t.txt")
	printf 'dstream %d wall_ms %s proc_ms %s load_ms %s maxrss_kb %s\n' "$r" "$wall" "$proc" \
		"$(awk -v w="$wall" -v p="$proc" 'BEGIN { printf "%.3f", w - p }')" \
		"$(field maxrss_kb "$W/t.txt")" >>"$W/runs.txt"
	log "run $r/$REPS: $(tail -2 "$W/runs.txt" | awk '{ printf "%s %.0f ms  ", $1, $4 }')"
done
med() { awk -v e="$1" '$1 == e { print $'"$2"' }' "$W/runs.txt" | median; } # ENGINE COLUMN
B_WALL=$(med baseline 4) B_PROC=$(med baseline 6) B_RSS=$(med baseline 10)
D_WALL=$(med dstream 4) D_PROC=$(med dstream 6) D_RSS=$(med dstream 10)

# ---- callgrind: instruction counts on a smaller input -----------------------------
CG_TEXT=""
if [[ $CALLGRIND != 0 ]] && command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	CG_MB=$((CG_BYTES / 1048576))
	CG_INPUT=$DATA/words-${CG_MB}M.txt
	gen_data "$CG_BYTES" "$CG_INPUT"
	variant "$W/wc-cg.dstream" "$CG_INPUT" ""
	"$DSTREAMC" build "$W/wc-cg.dstream" -o "$W/wc-dstream-cg"
	# The simulated last-level cache is fixed at 4 MiB (this machine's L2),
	# not taken from the host, whose shared L3 (480 MB here) would hold the
	# whole input and hide every miss.
	CG_LL=4194304,16,64
	log "callgrind on $CG_INPUT (cache simulation on; about 20 s)"
	valgrind --tool=callgrind --cache-sim=yes --LL=$CG_LL --callgrind-out-file="$W/callgrind.baseline" \
		"$W/baseline" "$CG_INPUT" >/dev/null 2>"$W/callgrind.baseline.log"
	valgrind --tool=callgrind --cache-sim=yes --LL=$CG_LL --callgrind-out-file="$W/callgrind.dstream" \
		"$W/wc-dstream-cg" --quiet >/dev/null 2>"$W/callgrind.dstream.log"
	# Ir, and misses of the last-level cache (reads + writes), for the whole
	# program and for the batch alone (baseline: process; dstream: run_batch_fn)
	cg() { # FILE FUNCTION-or-TOTALS -> "Ir LLmisses"
		callgrind_annotate --inclusive=yes --show=Ir,DLmr,DLmw "$1" 2>/dev/null |
			awk -v f="$2" '
				(f == "TOTALS" && /PROGRAM TOTALS/) || (f != "TOTALS" && index($0, ":" f " [")) {
					gsub(/,/, ""); print $1, $3 + $5; exit }'
	}
	read -r BI BL < <(cg "$W/callgrind.baseline" TOTALS)
	read -r DI DL < <(cg "$W/callgrind.dstream" TOTALS)
	read -r BPI BPL < <(cg "$W/callgrind.baseline" process)
	read -r DPI DPL < <(cg "$W/callgrind.dstream" run_batch_fn)
	CG_TEXT=$(awk -v bi="$BI" -v bl="$BL" -v di="$DI" -v dl="$DL" -v bpi="$BPI" -v bpl="$BPL" \
		-v dpi="$DPI" -v dpl="$DPL" -v mb="$CG_MB" 'BEGIN {
		printf "callgrind, %d MiB input (instructions, and misses of a simulated 4 MiB last-level cache; deterministic):\n", mb
		printf "  %-22s %15s %15s %12s %12s\n", "", "Ir baseline", "Ir dstream", "ratio", "LL miss d/b"
		printf "  %-22s %15.0f %15.0f %12.2f %12.2f\n", "whole process", bi, di, di / bi, dl / bl
		printf "  %-22s %15.0f %15.0f %12.2f %12.2f\n", "batch only", bpi, dpi, dpi / bpi, dpl / bpl
	}')
else
	CG_TEXT="callgrind: skipped (valgrind not installed, or CALLGRIND=0)"
fi

# ---- report -----------------------------------------------------------------------
{
	echo "wordcount: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m)," \
		"commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "input: $INPUT, $WC_BYTES bytes, $LINES lines, $WORDS words, $DISTINCT distinct;" \
		"one batch; median of $REPS runs, engines alternating"
	echo
	awk -v bytes="$WC_BYTES" -v lines="$LINES" -v words="$WORDS" \
		-v bw="$B_WALL" -v bp="$B_PROC" -v br="$B_RSS" -v dw="$D_WALL" -v dp="$D_PROC" -v dr="$D_RSS" 'BEGIN {
		hdr = "  %-10s %9s %9s %11s %11s %9s %9s\n"
		row = "  %-10s %9.3f %9.1f %11.3g %11.3g %9.3f %9.0f\n"
		printf "whole process (wall clock: load the file, split, count, print, exit):\n"
		printf hdr, "engine", "seconds", "MB/s", "lines/s", "words/s", "ratio", "RSS MB"
		printf row, "baseline", bw / 1e3, bytes / 1e6 / (bw / 1e3), lines / (bw / 1e3), words / (bw / 1e3), 1, br / 1024
		printf row, "dstream", dw / 1e3, bytes / 1e6 / (dw / 1e3), lines / (dw / 1e3), words / (dw / 1e3), dw / bw, dr / 1024
		printf "\nbatch only (dstream: processing_ms from --metrics-json; baseline: the same span, timed inside):\n"
		hdr2 = "  %-10s %9s %9s %11s %11s %9s\n"
		row2 = "  %-10s %9.3f %9.1f %11.3g %11.3g %9.3f\n"
		printf hdr2, "engine", "seconds", "MB/s", "lines/s", "words/s", "ratio"
		printf row2, "baseline", bp / 1e3, bytes / 1e6 / (bp / 1e3), lines / (bp / 1e3), words / (bp / 1e3), 1
		printf row2, "dstream", dp / 1e3, bytes / 1e6 / (dp / 1e3), lines / (dp / 1e3), words / (dp / 1e3), dp / bp
		printf "\nload + exit (wall - batch): baseline %.3f s, dstream %.3f s\n", (bw - bp) / 1e3, (dw - dp) / 1e3
		printf "ratio = dstream seconds / baseline seconds (1.00: as fast as hand-written C; higher is slower)\n"
		printf "MB = 10^6 bytes\n"
	}'
	echo
	echo "$CG_TEXT"
	echo
	echo "all runs (ms):"
	sed 's/^/  /' "$W/runs.txt"
} >"$RESULT"
cat "$RESULT"
