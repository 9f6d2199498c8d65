#!/usr/bin/env bash
# bench/window/run.sh: keyed sliding-window sums, reduceByKeyAndWindow with
# and without the inverse function (what a slide costs, and how that cost
# grows with the window).
#
#   bash bench/window/run.sh          (or: bash bench/run.sh window)
#
# 1. throughput: 10,000 keys, 100,000 records per batch, BATCHES1 batches,
#    window 30 batches, slide 10 batches; records/s of each form and the ratio.
# 2. cost per slide: 10,000 keys, 10,000 records per batch, slide 10 batches,
#    windows of 10, 100 and 1000 batches; each run stops 100 batches after
#    the window is full; median processing_ms of the slide batches once the
#    window is full, per form.
#
# Environment:
#   REPS=3              timed runs per program and setting (medians are reported)
#   BATCHES1=200        batches of part 1 (100,000 records each)
#   WINDOWS="10 100 1000"         windows of part 2 (batches), with the inverse
#   NOINV_WINDOWS="10 100 1000"   the same without the inverse (1000 takes ~8 s a run)
#   DSTREAMC=path       use this dstreamc instead of building one
#   BENCH_BUILD_DIR=dir where to build dstreamc (default /tmp/bench-build, Release)
#   CC=cc               the C compiler for the generator and the timer
#
# Writes bench/out/window.txt (and prints it).  Needs bash, awk, cmake and a
# C compiler.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

REPS=${REPS:-3}
BATCHES1=${BATCHES1:-200}
WINDOWS=${WINDOWS:-10 100 1000}
NOINV_WINDOWS=${NOINV_WINDOWS:-10 100 1000}
CC=${CC:-cc}
HERE=bench/window
DATA=bench/data
OUT=bench/out
W=$OUT/window # build products and scratch files
RESULT=$OUT/window.txt
mkdir -p "$DATA" "$W"

KEYS=10000
SLIDE=10  # batches
WIN1=30   # batches, part 1
RECS1=100000
RECS2=10000
AFTER=100 # part 2: batches run after the window is full

BENCH_NAME=window
# shellcheck source=../lib.sh
source bench/lib.sh

# ---- tools ------------------------------------------------------------------
find_dstreamc
$CC -O2 -o "$W/gen" "$HERE/gen.c"
$CC -O2 -o "$W/timer" bench/timer.c

# ---- data -------------------------------------------------------------------
gen_data() { # KEYS RECORDS BATCHES FILE (generated once; the name says the shape)
	if [[ ! -s $4 ]]; then
		log "generating $4 ($1 keys, $2 records per batch, $3 batches)"
		"$W/gen" "$1" "$2" "$3" "$4.tmp" && mv "$4.tmp" "$4"
	fi
}
MAXW=0
for w in $WINDOWS $NOINV_WINDOWS; do ((w > MAXW)) && MAXW=$w; done
NB2=$((MAXW + AFTER))
IN1=$DATA/window-${KEYS}k-${RECS1}r-${BATCHES1}b.txt
IN2=$DATA/window-${KEYS}k-${RECS2}r-${NB2}b.txt
INC=$DATA/window-check-400k-10r-230b.txt # small, keys often absent from a window: for the correctness check
gen_data "$KEYS" "$RECS1" "$BATCHES1" "$IN1"
gen_data "$KEYS" "$RECS2" "$NB2" "$IN2"
gen_data 400 10 230 "$INC"

# ---- the dstream programs -----------------------------------------------------
# window-inv.dstream / window-noinv.dstream read bench/data/window.txt with a
# window of 30s and a slide of 10s; variants read another input, use another
# window, or print every pair.
variant() { # inv|noinv WINDOW-BATCHES INPUT PRINT-ARGS -> builds $W/<name>, echoes the name
	local name=$1-w$2-$(basename "$3" .txt)${4:+-all}
	if [[ ! -x $W/$name || $HERE/window-$1.dstream -nt $W/$name || $DSTREAMC -nt $W/$name ]]; then
		sed -e "s|bench/data/window.txt|$3|" -e "s|30s, 10s)|$2s, ${SLIDE}s)|" \
			-e "s|sums\.print()|sums.print($4)|" "$HERE/window-$1.dstream" >"$W/$name.dstream"
		grep -q "queueStream(\"$3\")" "$W/$name.dstream" && grep -q " $2s, ${SLIDE}s)" "$W/$name.dstream" ||
			die "could not make $W/$name.dstream"
		"$DSTREAMC" build "$W/$name.dstream" -o "$W/$name" || die "dstreamc build $W/$name.dstream failed"
	fi
	echo "$name"
}

# per-batch rows of a --metrics-json file: time_ms records_in records_out processing_ms
batches() {
	awk 'function num(k,   m) { if (match($0, "\"" k "\": [-0-9.]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*: /, "", m); return m } return "" }
		/"time_ms"/ { print num("time_ms"), num("records_in"), num("records_out"), num("processing_ms") }' "$1"
}
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$2"; }
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- correctness, once, before timing ----------------------------------------------
# The small input through both programs, at the windows of part 1 and 2
# (and a window longer than the input), against check.awk.
log "checking both programs against awk on $INC"
pairs() { awk '/^Time: / { t = $2 } /^\(/ { s = substr($0, 2, length($0) - 2); i = index(s, ","); print t, substr(s, 1, i - 1), substr(s, i + 1) }'; }
for form in inv noinv; do
	for w in 10 "$WIN1" 100 300; do
		p=$(variant "$form" "$w" "$INC" 1000000)
		"$W/$p" --quiet | pairs | LC_ALL=C sort >"$W/check.got"
		awk -v W="$w" -v S="$SLIDE" -v INV=$([[ $form == inv ]] && echo 1 || echo 0) -f "$HERE/check.awk" "$INC" |
			LC_ALL=C sort >"$W/check.want"
		[[ -s $W/check.want ]] || die "empty reference output"
		cmp -s "$W/check.got" "$W/check.want" || {
			diff "$W/check.want" "$W/check.got" | head -10 >&2
			die "$form, window $w: the program disagrees with awk (bench/out/window/check.*)"
		}
	done
done
log "ok: both forms, windows 10, $WIN1, 100, 300 batches: every slide's sums match awk"

# ---- 1. throughput -----------------------------------------------------------------
P1_INV=$(variant inv "$WIN1" "$IN1" "")
P1_NOINV=$(variant noinv "$WIN1" "$IN1" "")
: >"$W/runs1.txt"
for ((r = 1; r <= REPS; r++)); do
	for form in inv noinv; do
		p=P1_${form^^}
		rm -f "$W/m.json"
		"$W/timer" "$W/t.txt" "$W/${!p}" --quiet --metrics-json "$W/m.json" >/dev/null
		batches "$W/m.json" >"$W/b1-$form-$r.txt"
		awk -v f="$form" -v r="$r" -v s="$SLIDE" -v wall="$(field wall_ms "$W/t.txt")" -v rss="$(field maxrss_kb "$W/t.txt")" '
			{ recs += $2; proc += $4; if ($1 % (s * 1000) == 0) { ns++; sl[ns] = $4 } else { no++; ot[no] = $4 } }
			function med(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
			END { printf "%s %d records %d proc_ms %.3f wall_ms %s maxrss_kb %s slide_ms %.3f other_ms %.3f\n", f, r, recs, proc, wall, rss, med(sl, ns), med(ot, no) }' \
			"$W/b1-$form-$r.txt" >>"$W/runs1.txt"
	done
	log "part 1, run $r/$REPS: $(tail -2 "$W/runs1.txt" | awk '{ printf "%s %.0f ms  ", $1, $6 }')"
done
RECS_TOTAL=$(awk 'NR == 1 { print $4 }' "$W/runs1.txt")
[[ $RECS_TOTAL == $((RECS1 * BATCHES1)) ]] || die "records_in $RECS_TOTAL, expected $((RECS1 * BATCHES1))"
med1() { awk -v f="$1" -v k="$2" '$1 == f { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' "$W/runs1.txt" | median; }

# ---- 2. cost per slide as the window grows ----------------------------------------------
: >"$W/runs2.txt"
run2() { # FORM WINDOW
	local p
	p=$(variant "$1" "$2" "$IN2" "")
	for ((r = 1; r <= REPS; r++)); do
		rm -f "$W/m.json"
		"$W/timer" "$W/t.txt" "$W/$p" --quiet --batches $(($2 + AFTER)) --metrics-json "$W/m.json" >/dev/null
		batches "$W/m.json" >"$W/b2-$1-$2-$r.txt"
		# slides with the window full and batches leaving: T > window
		awk -v f="$1" -v w="$2" -v r="$r" -v s="$SLIDE" -v wall="$(field wall_ms "$W/t.txt")" -v rss="$(field maxrss_kb "$W/t.txt")" '
			$1 % (s * 1000) == 0 && $1 > w * 1000 { printf "%s %s %d slide %s\n", f, w, r, $4 }
			$1 % (s * 1000) != 0 && $1 > w * 1000 { printf "%s %s %d other %s\n", f, w, r, $4 }
			END { printf "%s %s %d wall %s\n%s %s %d rss %s\n", f, w, r, wall, f, w, r, rss }' \
			"$W/b2-$1-$2-$r.txt" >>"$W/runs2.txt"
	done
	log "part 2, $1, window $2: median slide $(med2 "$1" "$2" slide) ms"
}
med2() { awk -v f="$1" -v w="$2" -v k="$3" '$1 == f && $2 == w && $4 == k { print $5 }' "$W/runs2.txt" | median; }
for w in $WINDOWS; do run2 inv "$w"; done
for w in $NOINV_WINDOWS; do run2 noinv "$w"; done

# ---- report -----------------------------------------------------------------------
{
	echo "window: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m)," \
		"commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "correctness: both forms checked against awk (windows 10, $WIN1, 100, 300 batches, slide $SLIDE) before timing"
	echo
	echo "1. keyed sliding sum: $KEYS keys, $RECS1 records per batch, $BATCHES1 batches of 1s, window ${WIN1}s, slide ${SLIDE}s"
	echo "   input $IN1; medians of $REPS runs, forms alternating"
	awk -v recs="$RECS_TOTAL" -v ip="$(med1 inv proc_ms)" -v np="$(med1 noinv proc_ms)" \
		-v iw="$(med1 inv wall_ms)" -v nw="$(med1 noinv wall_ms)" -v ir="$(med1 inv maxrss_kb)" -v nr="$(med1 noinv maxrss_kb)" \
		-v is="$(med1 inv slide_ms)" -v ns="$(med1 noinv slide_ms)" -v io="$(med1 inv other_ms)" -v no="$(med1 noinv other_ms)" 'BEGIN {
		hdr = "  %-20s %10s %12s %9s %10s %10s %9s %8s\n"
		row = "  %-20s %10.3f %12.3g %9.3f %10.2f %10.2f %9.3f %8.0f\n"
		printf hdr, "form", "batches s", "records/s", "ratio", "slide ms", "other ms", "wall s", "RSS MB"
		printf row, "with invF", ip / 1e3, recs / (ip / 1e3), 1, is, io, iw / 1e3, ir / 1024
		printf row, "without invF", np / 1e3, recs / (np / 1e3), np / ip, ns, no, nw / 1e3, nr / 1024
		printf "  batches s: sum of processing_ms; records/s from it; ratio = seconds / seconds with invF (higher: slower)\n"
		printf "  slide ms / other ms: median processing_ms of the batches at a slide / of the others\n"
	}'
	echo
	echo "2. cost per slide: $KEYS keys, $RECS2 records per batch, slide ${SLIDE}s; each run stops $AFTER batches after the window is full"
	echo "   input $IN2; slide ms = median processing_ms of the slide batches with T > window (pooled over $REPS runs)"
	printf '  %-14s %8s %10s %12s %10s %9s %8s\n' form window "slide ms" "vs smallest" "other ms" "wall s" "RSS MB"
	for form in inv noinv; do
		ws=$WINDOWS
		[[ $form == noinv ]] && ws=$NOINV_WINDOWS
		first=""
		for w in $ws; do
			s=$(med2 "$form" "$w" slide)
			[[ -n $first ]] || first=$s
			awk -v f="$([[ $form == inv ]] && echo 'with invF' || echo 'without invF')" -v w="$w" -v s="$s" -v s0="$first" \
				-v o="$(med2 "$form" "$w" other)" -v wall="$(med2 "$form" "$w" wall)" -v rss="$(med2 "$form" "$w" rss)" \
				'BEGIN { printf "  %-14s %7ds %10.2f %12.2f %10.3f %9.2f %8.0f\n", f, w, s, s / s0, o, wall / 1e3, rss / 1024 }'
		done
	done
	echo "  other ms: median processing_ms of the batches between slides (T > window): ingestion only"
	echo
	echo "all runs, part 1 (ms, KB):"
	sed 's/^/  /' "$W/runs1.txt"
} >"$RESULT"
cat "$RESULT"
