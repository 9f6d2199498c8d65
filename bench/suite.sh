#!/usr/bin/env bash
# bench/suite.sh: the benchmark suite in one command (benchmarks, not tests).
#
#   bash bench/suite.sh
#
# Regenerates bench/REPORT.md and bench/report.svg from scratch: for each
# workload, its seeded input, a correctness check on a small input (the
# dstream program's printed results against the hand-written baseline's),
# then REPS interleaved rounds of `dstreamc bench --input DATA --json
# --reps 1` (every engine: interp, c, llvm, jit) and the baseline.
#   W1  wordcount on text                      bench/wordcount
#   W2  keyed sliding-window sum, with invF    bench/window/window-inv.dstream
#   W2n the same without invF                  bench/window/window-noinv.dstream
#   W3  Yahoo Streaming Benchmark, text        bench/ysb
#   W3b the same on binary records             bench/ysb/ysb-bin.dstream
#   W4  updateStateByKey, 1M keys              bench/state
# records/s everywhere = records in / processing time of the batches
# (the engines' --metrics-json totals; the baselines time the same part).
#
# Environment: REPS (3), DSTREAMC, BENCH_BUILD_DIR, CC (see bench/lib.sh),
# ENGINES (interp,c,llvm,jit), WORKLOADS (all; "W3,W3b" for a partial report).  Scratch and raw results: bench/out/suite/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
REPS=${REPS:-3}
CC=${CC:-cc}
ENGINES=${ENGINES:-interp,c,llvm,jit}
DATA=bench/data
W=bench/out/suite
mkdir -p "$DATA" "$W"
BENCH_NAME=suite
# shellcheck source=lib.sh
source bench/lib.sh
START=$(date +%s)

# ---- tools -------------------------------------------------------------------------
find_dstreamc
for t in wordcount/gen wordcount/baseline window/gen window/baseline state/gen state/baseline ysb/gen ysb/baseline \
	ysb/baseline-bin; do
	out=$W/${t//\//-}
	if [[ ! -x $out || bench/$t.c -nt $out || bench/baseline.h -nt $out ]]; then
		$CC -O2 -o "$out" "bench/$t.c" || die "cannot build bench/$t.c"
	fi
done
if [[ ! -x $W/binrecgen || tools/binrecgen.c -nt $W/binrecgen ]]; then
	$CC -O2 -o "$W/binrecgen" tools/binrecgen.c || die "cannot build tools/binrecgen.c"
fi

# ---- inputs (generated once; the name says the shape) ---------------------------------
WC=$DATA/suite-words-48M.txt
WC_SMALL=$DATA/suite-words-64k.txt
once "$WC" "$W/wordcount-gen" 50331648 "$WC.tmp"
once "$WC_SMALL" "$W/wordcount-gen" 65536 "$WC_SMALL.tmp"
WIN=$DATA/suite-window-10k-100000r-60b.txt
WIN_SMALL=$DATA/suite-window-400-10r-230b.txt
once "$WIN" "$W/window-gen" 10000 100000 60 "$WIN.tmp"
once "$WIN_SMALL" "$W/window-gen" 400 10 230 "$WIN_SMALL.tmp"
ST=$DATA/suite-state-1000000k-burst-100000r-10b.txt
ST_SMALL=$DATA/suite-state-300k-3ramp-40r-5b.txt
once "$ST" "$W/state-gen" 1000000 1000000 1 100000 10 "$ST.tmp"
once "$ST_SMALL" "$W/state-gen" 300 300 3 40 5 "$ST_SMALL.tmp"
CAMP=$DATA/ysb-campaigns.txt # the path ysb.dstream names
YSB=$DATA/suite-ysb-100000r-30b.txt
YSB_SMALL=$DATA/suite-ysb-500r-30b.txt
ysb_gen() { "$W/ysb-gen" "$CAMP.tmp" "$2" "$1" 30 && mv "$CAMP.tmp" "$CAMP"; } # PER FILE.tmp (same campaigns)
once "$YSB" ysb_gen 100000 "$YSB.tmp"
once "$YSB_SMALL" ysb_gen 500 "$YSB_SMALL.tmp"
[[ -s $CAMP ]] || ysb_gen 1 "$W/ysb-none.tmp"
# W3b: 44-byte events "i64 i64 i64 i32 i32 i64 i32" (user_id, page_id, ad_id
# in [0,10000), ad_type in [0,5), event_type in [0,3) with 0 = view,
# event_time a sequence in ms, ip); 30 batches of 1M (1.32 GB, read from
# the page cache); the check input 30 batches of 1000 (the check program's
# binaryQueueStream cuts batches of 1000).  Campaigns: ad a belongs to
# campaign 1000000 + 37 * (7a mod 1000): 1,000 campaigns of 10 ads, ids not
# dense, neighbouring ads in different campaigns.
CAMPB=$DATA/ysb-bin-campaigns.txt # the path ysb-bin.dstream names
[[ -s $CAMPB ]] || { seq 0 9999 | awk '{ print $1, 1000000 + ($1 * 7) % 1000 * 37 }' >"$CAMPB.tmp" && mv "$CAMPB.tmp" "$CAMPB"; }
YSBB_SCHEMA="i64 i64 i64 i32 i32 i64 i32"
ysbb_gen() { "$W/binrecgen" -s 7 -r 3=0:10000 -r 4=0:5 -r 5=0:3 -q 6=1500000000000:1 "$YSBB_SCHEMA" "$1" "$2"; } # COUNT FILE.tmp
YSBB=$DATA/suite-ysbbin-1000000r-30b.bin
YSBB_SMALL=$DATA/suite-ysbbin-1000r-30b.bin
once "$YSBB" ysbb_gen 30000000 "$YSBB.tmp"
once "$YSBB_SMALL" ysbb_gen 30000 "$YSBB_SMALL.tmp"

# ---- the workloads: name, program, input, small input, baseline command (INPUT at the end)
NAMES=(W1 W2 W2n W3 W3b W4)
[[ -z ${WORKLOADS:-} ]] || read -r -a NAMES <<<"${WORKLOADS//,/ }" # e.g. WORKLOADS=W3,W3b: a partial report
# CHECK_SED: more sed for the check program (W3b: batches of 1000 records);
# CHECK_BASE: the baseline command of the check, when it differs
declare -A PROG INPUT SMALL BASE DESC CHECK_SED CHECK_BASE
PROG[W1]=bench/wordcount/wordcount.dstream INPUT[W1]=$WC SMALL[W1]=$WC_SMALL
BASE[W1]="$W/wordcount-baseline"
DESC[W1]="wordcount, 48 MiB of Zipf text (one batch; records are lines)"
PROG[W2]=bench/window/window-inv.dstream INPUT[W2]=$WIN SMALL[W2]=$WIN_SMALL
BASE[W2]="$W/window-baseline 30 10"
DESC[W2]="reduceByKeyAndWindow with invF, 10k keys, window 30 s, slide 10 s, 60 batches of 100k"
PROG[W2n]=bench/window/window-noinv.dstream INPUT[W2n]=$WIN SMALL[W2n]=$WIN_SMALL
BASE[W2n]="$W/window-baseline 30 10"
DESC[W2n]="the same without invF"
PROG[W3]=bench/ysb/ysb.dstream INPUT[W3]=$YSB SMALL[W3]=$YSB_SMALL
BASE[W3]="$W/ysb-baseline $CAMP"
DESC[W3]="Yahoo Streaming Benchmark on text: filter views, join 10k ads -> 1k campaigns, count per 10 s window; 30 batches of 100k events"
PROG[W3b]=bench/ysb/ysb-bin.dstream INPUT[W3b]=$YSBB SMALL[W3b]=$YSBB_SMALL
BASE[W3b]="$W/ysb-baseline-bin $CAMPB 1000000" CHECK_BASE[W3b]="$W/ysb-baseline-bin $CAMPB 1000"
CHECK_SED[W3b]='s/"i64 i64 i64 i32 i32 i64 i32", 1000000\)/"i64 i64 i64 i32 i32 i64 i32", 1000)/'
DESC[W3b]="the same query on binary records (binaryQueueStream, 44-byte events \"i64 i64 i64 i32 i32 i64 i32\" from tools/binrecgen), the ad table a textFile; 30 batches of 1M events"
PROG[W4]=bench/state/state.dstream INPUT[W4]=$ST SMALL[W4]=$ST_SMALL
BASE[W4]="$W/state-baseline"
DESC[W4]="updateStateByKey running totals, 1M keys (batch 1 brings them all), then 10 batches of 100k"

# The baselines' argument orders: wordcount's is "FILE [--all] [--timing]".
run_base() { # NAME INPUT MODE(check|time) -> stdout; "records R proc_ms P" on stderr
	local n=$1 in=$2 mode=$3
	if [[ $n == W1 ]]; then
		if [[ $mode == check ]]; then
			"$W/wordcount-baseline" "$in" --all 2>/dev/null | spark_check
		else
			"$W/wordcount-baseline" "$in" --timing 2>&1 >/dev/null |
				awk '{ for (i = 1; i < NF; i++) if ($i == "lines") r = $(i + 1); else if ($i == "proc_ms") p = $(i + 1)
					print "records", r, "proc_ms", p }' >&2
		fi
		return
	fi
	# shellcheck disable=SC2086
	if [[ $mode == check ]]; then ${CHECK_BASE[$n]:-${BASE[$n]}} "$in" --check 2>/dev/null; else ${BASE[$n]} "$in" >/dev/null; fi
}
# Spark print() blocks -> "T nonzero-keys sum" per time (baseline.h's --check line)
spark_check() {
	awk '/^Time: / { t = $2; order[++k] = t; n[t] = 0; s[t] = 0 }
		/^\(/ { x = substr($0, 2, length($0) - 2); v = substr(x, match(x, /,-?[0-9]+$/) + 1) + 0; if (v) n[t]++; s[t] += v }
		END { for (i = 1; i <= k; i++) print order[i], n[order[i]], s[order[i]] }'
}

# ---- correctness first ------------------------------------------------------------------
for n in "${NAMES[@]}"; do
	p=$W/check-$n.dstream
	sed -E -e 's/\.print\(\);/.print(100000000);/' ${CHECK_SED[$n]:+-e "${CHECK_SED[$n]}"} "${PROG[$n]}" >"$p"
	grep -q 'print(100000000)' "$p" || die "$n: cannot widen print() in ${PROG[$n]}"
	[[ -z ${CHECK_SED[$n]:-} ]] || ! cmp -s "$p" <(sed -E 's/\.print\(\);/.print(100000000);/' "${PROG[$n]}") ||
		die "$n: the check's sed '${CHECK_SED[$n]}' changed nothing in ${PROG[$n]}"
	"$DSTREAMC" build "$p" -o "$W/check-$n" || die "$n: dstreamc build failed"
	"$W/check-$n" --quiet --source-path "0=${SMALL[$n]}" | spark_check >"$W/check-$n.got"
	run_base "$n" "${SMALL[$n]}" check >"$W/check-$n.want"
	[[ -s $W/check-$n.want ]] || die "$n: the baseline printed nothing"
	cmp -s "$W/check-$n.got" "$W/check-$n.want" || {
		diff "$W/check-$n.want" "$W/check-$n.got" | head >&2
		die "$n: the program and the baseline disagree on ${SMALL[$n]} (see $W/check-$n.*)"
	}
	# the interpreter too, when it runs the program (one that cannot is listed as failed below):
	# an engine that computes something else must not be timed
	if [[ ,$ENGINES, == *,interp,* ]] &&
		"$DSTREAMC" run --interp "$p" --quiet --source-path "0=${SMALL[$n]}" >"$W/check-$n.interp" 2>/dev/null; then
		spark_check <"$W/check-$n.interp" >"$W/check-$n.got-interp"
		cmp -s "$W/check-$n.got-interp" "$W/check-$n.want" || {
			diff "$W/check-$n.want" "$W/check-$n.got-interp" | head >&2
			die "$n: the interpreter and the baseline disagree on ${SMALL[$n]} (see $W/check-$n.*)"
		}
	fi
	log "$n: ok, the program and the baseline agree on ${SMALL[$n]} ($(wc -l <"$W/check-$n.want") outputs)"
done

# ---- timing: REPS rounds, workloads and engines interleaved -------------------------------------
: >"$W/runs.txt"
for ((r = 1; r <= REPS; r++)); do
	for n in "${NAMES[@]}"; do
		"$DSTREAMC" bench "${PROG[$n]}" --input "${INPUT[$n]}" --json --reps 1 --engines "$ENGINES" \
			>"$W/$n-$r.json" 2>"$W/$n-$r.err" || die "$n: dstreamc bench failed: $(head -c 300 "$W/$n-$r.err")"
		# one line per engine: "n r engine ok records rps rss" or "n r engine failed"
		awk -v n="$n" -v r="$r" 'function num(k,   m) { if (match($0, "\"" k "\": [-0-9.e+]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*: /, "", m); return m } return "" }
			/"engine":/ { e = $0; sub(/.*"engine": "/, "", e); sub(/".*/, "", e)
				if ($0 ~ /"ok": true/) print n, r, e, "ok", num("records_in"), num("records_per_s"), num("peak_rss_kb")
				else { m = $0; sub(/.*"error": "/, "", m); sub(/"}.*/, "", m); print n, r, e, "failed", m } }' \
			"$W/$n-$r.json" >>"$W/runs.txt"
		run_base "$n" "${INPUT[$n]}" time 2>"$W/$n-$r.base" || die "$n: the baseline failed"
		awk -v n="$n" -v r="$r" '{ print n, r, "baseline", "ok", $2, ($4 > 0 ? $2 / ($4 / 1e3) : 0), 0 }' "$W/$n-$r.base" >>"$W/runs.txt"
	done
	log "round $r/$REPS done ($(($(date +%s) - START)) s)"
done

# ---- results: medians ---------------------------------------------------------------------------
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { if (!NR) print ""; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
RES=$W/results.txt
: >"$RES"
for n in "${NAMES[@]}"; do
	for e in interp c llvm jit baseline; do
		rows=$(awk -v n="$n" -v e="$e" '$1 == n && $3 == e' "$W/runs.txt")
		[[ -n $rows ]] || continue
		if grep -q ' failed' <<<"$rows"; then
			echo "$n $e failed $(grep ' failed' <<<"$rows" | head -1 | cut -d' ' -f5-)" >>"$RES"
		else
			echo "$n $e ok $(awk '{ print $5 }' <<<"$rows" | median) $(awk '{ print $6 }' <<<"$rows" | median) $(awk '{ print $7 }' <<<"$rows" | median)" >>"$RES"
		fi
	done
done

# ---- REPORT.md and report.svg ---------------------------------------------------------------------
{
	echo "# Benchmark report"
	echo
	echo "Generated by \`bash bench/suite.sh\` ($(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
		"$(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $(uname -m));" \
		"do not edit: rerun it. Raw runs: bench/out/suite/runs.txt."
	echo
	echo "records/s = records in / the batches' processing time, summed (each engine's"
	echo "\`--metrics-json\`, through \`dstreamc bench\`; the baselines time the same part: not"
	echo "loading the input, not compiling); medians of $REPS rounds, workloads, engines and"
	echo "baselines interleaved, on a shared machine (read the ratios, not the absolute figures)."
	echo "fused = the C backend (\`dstreamc build\`); llvm = the LLVM backend when dstreamc has it."
	echo "Every workload is checked first: the program's printed results on a small input equal"
	echo "the baseline's."
	echo
	awk -v names="${NAMES[*]}" 'BEGIN { nn = split(names, N, " ") }
		{ k = $1 " " $2; st[k] = $3; if ($3 == "ok") { rec[k] = $4; rps[k] = $5; rss[k] = $6 } else { m = $0; sub(/^[^ ]+ [^ ]+ failed /, "", m); err[k] = m } }
		function f(k) { return st[k] == "ok" ? sprintf("%.2f M", rps[k] / 1e6) : (st[k] == "failed" ? "failed" : "-") }
		function ratio(a, b) { return (st[a] == "ok" && st[b] == "ok" && rps[b] > 0) ? sprintf("**%.2f**", rps[a] / rps[b]) : "n/a" }
		END {
			print "| workload | records | fused (C) rec/s | LLVM rec/s | interp rec/s | hand-written C rec/s | fused/interp | fused/baseline |"
			print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
			for (i = 1; i <= nn; i++) {
				n = N[i]
				printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", n, rec[n " c"], f(n " c"), f(n " llvm"), f(n " interp"), f(n " baseline"),
					ratio(n " c", n " interp"), ratio(n " c", n " baseline")
			}
			print ""
			for (k in err) if (!seen[k "|" err[k]]++ && !(e2[substr(k, index(k, " ") + 1)]++)) printf "- %s failed: `%s`\n", substr(k, index(k, " ") + 1), err[k]
		}' "$RES"
	echo
	echo "Workloads:"
	for n in "${NAMES[@]}"; do
		echo "- **$n** (\`${PROG[$n]}\`): ${DESC[$n]}."
	done
	echo
	echo "![ratios](report.svg)"
	echo
	cat bench/analysis.md
} >bench/REPORT.md
awk -f bench/svgchart.awk "$RES" >bench/report.svg
log "wrote bench/REPORT.md and bench/report.svg in $(($(date +%s) - START)) s"
sed -n '/^| workload/,/^$/p' bench/REPORT.md
