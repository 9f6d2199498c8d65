#!/usr/bin/env bash
# bench/state/run.sh: updateStateByKey with 1M keys (running total per key):
# records/s, processing time per batch, and memory per key.
#
#   bash bench/state/run.sh          (or: bash bench/run.sh state)
#
# Two inputs of 1,000,000 distinct 8-byte keys ("k0123456"), then BATCHES
# batches of 100,000 records with keys drawn uniformly from the 1M (each
# touches ~95,000 keys, ~10 % of the state):
#   burst: batch 1 brings all 1M keys;
#   ramp:  batches 1-10 bring 100,000 new keys each.
# Each has a baseline input of exactly the same size and values but only
# 1,000 distinct keys; memory per key = (peak RSS - baseline's peak RSS)
# / 1M, then minus the 8 key bytes.
#
# Environment:
#   REPS=3              timed runs per program (medians are reported)
#   KEYS=1000000        distinct keys
#   BATCHES=10          batches of 100,000 records after the keys are in
#   DSTREAMC=path       use this dstreamc instead of building one
#   BENCH_BUILD_DIR=dir where to build dstreamc (default /tmp/bench-build, Release)
#   CC=cc               the C compiler for the generator and the timer
#
# Writes bench/out/state.txt (and prints it).  Needs bash, awk, cmake and a
# C compiler.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

REPS=${REPS:-3}
KEYS=${KEYS:-1000000}
BATCHES=${BATCHES:-10}
CC=${CC:-cc}
HERE=bench/state
DATA=bench/data
OUT=bench/out
W=$OUT/state # build products and scratch files
RESULT=$OUT/state.txt
mkdir -p "$DATA" "$W"

RECS=100000
FEW=1000 # distinct keys of the baselines
RAMP=10  # batches over which the ramp input brings its keys
KEYBYTES=8

BENCH_NAME=state
# shellcheck source=../lib.sh
source bench/lib.sh

# ---- tools ------------------------------------------------------------------
find_dstreamc
$CC -O2 -o "$W/gen" "$HERE/gen.c"
$CC -O2 -o "$W/timer" bench/timer.c

# ---- data -------------------------------------------------------------------
gen_data() { # KEYS DISTINCT RAMP RECORDS BATCHES FILE (generated once; the name says the shape)
	if [[ ! -s $6 ]]; then
		log "generating $6"
		"$W/gen" "$1" "$2" "$3" "$4" "$5" "$6.tmp" && mv "$6.tmp" "$6"
	fi
}
input() { echo "$DATA/state-${KEYS}k-$1d-$2ramp-${RECS}r-${BATCHES}b.txt"; } # DISTINCT RAMP
INC=$DATA/state-check.txt # small: for the correctness check
gen_data 300 300 3 40 5 "$INC"
for ramp in 1 $RAMP; do
	gen_data "$KEYS" "$KEYS" "$ramp" "$RECS" "$BATCHES" "$(input "$KEYS" $ramp)"
	gen_data "$KEYS" "$FEW" "$ramp" "$RECS" "$BATCHES" "$(input "$FEW" $ramp)"
done

# ---- the dstream programs -----------------------------------------------------
variant() { # NAME INPUT PRINT-ARGS -> builds $W/NAME
	if [[ ! -x $W/$1 || $HERE/state.dstream -nt $W/$1 || $DSTREAMC -nt $W/$1 ]]; then
		sed -e "s|bench/data/state.txt|$2|" -e "s|totals\.print()|totals.print($3)|" \
			"$HERE/state.dstream" >"$W/$1.dstream"
		grep -q "queueStream(\"$2\")" "$W/$1.dstream" || die "could not point $W/$1.dstream at $2"
		"$DSTREAMC" build "$W/$1.dstream" -o "$W/$1" || die "dstreamc build $W/$1.dstream failed"
	fi
}
batches() { # per-batch rows of a --metrics-json file: time_ms records_in records_out processing_ms
	awk 'function num(k,   m) { if (match($0, "\"" k "\": [-0-9.]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*: /, "", m); return m } return "" }
		/"time_ms"/ { print num("time_ms"), num("records_in"), num("records_out"), num("processing_ms") }' "$1"
}
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$2"; }
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- correctness, once, before timing ----------------------------------------------
# The whole state after every batch of a small input, against awk's running totals.
log "checking the program against awk on $INC"
variant check "$INC" 1000000
"$W/check" --quiet |
	awk '/^Time: / { t = $2 } /^\(/ { s = substr($0, 2, length($0) - 2); i = index(s, ","); print t, substr(s, 1, i - 1), substr(s, i + 1) }' |
	LC_ALL=C sort >"$W/check.got"
awk '$0 == "---" { b++; for (k in tot) print b * 1000, k, tot[k]; next } { tot[$1] += $2 }' "$INC" | LC_ALL=C sort >"$W/check.want"
[[ -s $W/check.want ]] || die "empty reference output"
cmp -s "$W/check.got" "$W/check.want" || {
	diff "$W/check.want" "$W/check.got" | head -10 >&2
	die "the program disagrees with awk (bench/out/state/check.*)"
}
log "ok: the state after each of $(grep -c '^---$' "$INC") batches matches awk ($(wc -l <"$W/check.want" | tr -d ' ') pairs)"

# ---- timing -------------------------------------------------------------------------
NAMES=(burst burst-base ramp ramp-base)
variant burst "$(input "$KEYS" 1)" ""
variant burst-base "$(input "$FEW" 1)" ""
variant ramp "$(input "$KEYS" $RAMP)" ""
variant ramp-base "$(input "$FEW" $RAMP)" ""
: >"$W/runs.txt"
for ((r = 1; r <= REPS; r++)); do
	for n in "${NAMES[@]}"; do
		rm -f "$W/m.json"
		"$W/timer" "$W/t.txt" "$W/$n" --quiet --metrics-json "$W/m.json" >/dev/null
		batches "$W/m.json" >"$W/b-$n-$r.txt"
		nin=$([[ $n == ramp* ]] && echo $RAMP || echo 1)
		# the batches that bring the keys, and the later ones (the steady state)
		awk -v n="$n" -v r="$r" -v nin="$nin" -v wall="$(field wall_ms "$W/t.txt")" -v rss="$(field maxrss_kb "$W/t.txt")" '
			{ recs += $2; proc += $4; if (NR <= nin) { rin += $2; pin += $4 } else { nl++; l[nl] = $4; rl += $2; pl += $4 } }
			function med(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
			END { printf "%s %d records %d proc_ms %.3f in_records %d in_ms %.3f later_records %d later_ms %.3f later_batch_ms %.3f wall_ms %s maxrss_kb %s\n",
				n, r, recs, proc, rin, pin, rl, pl, med(l, nl), wall, rss }' "$W/b-$n-$r.txt" >>"$W/runs.txt"
	done
	log "run $r/$REPS: $(tail -4 "$W/runs.txt" | awk '{ printf "%s %.0f ms %.0f MB  ", $1, $6, $NF / 1024 }')"
done
med() { awk -v f="$1" -v k="$2" '$1 == f { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' "$W/runs.txt" | median; }
[[ $(med burst records) == $((KEYS + BATCHES * RECS)) ]] || die "records_in $(med burst records), expected $((KEYS + BATCHES * RECS))"

# ---- report -----------------------------------------------------------------------
{
	echo "state: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m)," \
		"commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0))), $KEYS distinct ${KEYBYTES}-byte keys;"
	echo "then $BATCHES batches of $RECS records, keys uniform over the $KEYS; medians of $REPS runs"
	echo "burst: batch 1 brings every key; ramp: batches 1-$RAMP bring $((KEYS / RAMP)) new keys each;"
	echo "*-base: the same input with $FEW distinct keys (same bytes, same values)"
	echo "correctness: the whole state after each batch of a small input checked against awk before timing"
	echo
	printf '  %-11s %10s %11s %12s %12s %14s %9s %8s\n' input "batches s" records/s "keys-in ms" "later ms" "later recs/s" "wall s" "RSS MB"
	for n in "${NAMES[@]}"; do
		awk -v n="$n" -v recs="$(med "$n" records)" -v proc="$(med "$n" proc_ms)" -v pin="$(med "$n" in_ms)" \
			-v lb="$(med "$n" later_batch_ms)" -v rl="$(med "$n" later_records)" -v pl="$(med "$n" later_ms)" \
			-v wall="$(med "$n" wall_ms)" -v rss="$(med "$n" maxrss_kb)" 'BEGIN {
			printf "  %-11s %10.3f %11.3g %12.1f %12.2f %14.3g %9.2f %8.1f\n", n, proc / 1e3, recs / (proc / 1e3), pin, lb, rl / (pl / 1e3), wall / 1e3, rss / 1024 }'
	done
	echo "  batches s: sum of processing_ms; keys-in ms: processing of the batch(es) bringing the keys (sum);"
	echo "  later ms: median processing_ms of a later batch ($RECS records); later recs/s: records / processing of those"
	echo
	echo "memory per key (peak RSS - baseline's peak RSS) / $KEYS keys:"
	for kind in burst ramp; do
		awk -v k="$kind" -v a="$(med "$kind" maxrss_kb)" -v b="$(med "$kind-base" maxrss_kb)" -v n="$KEYS" -v kb="$KEYBYTES" 'BEGIN {
			per = (a - b) * 1024 / n
			printf "  %-6s %7.1f bytes per key, %7.1f beyond the %d key bytes\n", k, per, per - kb, kb }'
	done
	awk -v n="$KEYS" 'BEGIN { c = 16; while (n + 1 > c * 3 / 4) c *= 2
		printf "  (one state table at %d keys: %d slots x (8-byte hash + 32-byte entry) = %.1f bytes per key; the engine keeps two)\n", n, c, c * 40 / n }'
	echo
	echo "all runs (ms, KB):"
	sed 's/^/  /' "$W/runs.txt"
} >"$RESULT"
cat "$RESULT"
