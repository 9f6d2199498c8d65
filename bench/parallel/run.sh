#!/usr/bin/env bash
# bench/parallel/run.sh: 2 workers against 1 (benchmarks, not tests).
#
#   bash bench/parallel/run.sh          # ~5 min on the shared 2-core VM
#   QUICK=1 bash bench/parallel/run.sh  # 3 rounds
#
# Regenerates bench/parallel/REPORT.md; raw runs in bench/out/parallel/
# (git-ignored), inputs in bench/data/ (git-ignored; bench/suite.sh's
# generators).  For each workload, the program built once (C backend), then
# REPS rounds, each running in turn:
#   old  the same program built by the dstreamc of OLD_REV (the last commit
#        before workers: one thread, no exchange), when OLD_DSTREAMC is given
#        or OLD_REV can be built;
#   w1   this dstreamc's binary with --workers 1;
#   w2   with --workers 2.
# records/s = records in / sum of the batches' processing_ms (--metrics-json);
# medians over the rounds, and the ratios w2/w1 and w1/old of those medians.
# For w2 also: the slowest worker's share of the batch time (sum over batches
# of slowest_worker_ms / of the batch's mean worker time), the skew figure.
#   W1   wordcount, 48 MiB of Zipf text in 10 batches
#   W2   reduceByKeyAndWindow with invF, 10k keys, 60 batches of 100k
#   W3b  YSB on binary records, 30 batches of 1M events
#   W4   updateStateByKey running totals, 1M keys, then 10 batches of 100k
#   W4s  updateStateByKey over 200k keys, 10 batches of 200k records
# Correctness in passing: w1's and w2's printed batches agree (records sorted
# within each batch, print widened to show every record).
#
# Environment: QUICK (0), REPS (5; QUICK 3), DSTREAMC (default build/dstreamc),
# OLD_DSTREAMC, OLD_REV (754bd30), CC (cc), WORKLOADS (all).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then REPS=${REPS:-3}; else REPS=${REPS:-5}; fi
CC=${CC:-cc}
OLD_REV=${OLD_REV:-754bd30}
DATA=bench/data
W=bench/out/parallel
mkdir -p "$DATA" "$W"
BENCH_NAME=parallel
# shellcheck source=../lib.sh
source bench/lib.sh
# shellcheck source=../../tests/lib.sh
source tests/lib.sh # spark_normalize
START=$(date +%s)
if [[ -z ${DSTREAMC:-} && -x build/dstreamc ]]; then DSTREAMC=$ROOT/build/dstreamc; fi
find_dstreamc

# The dstreamc of OLD_REV, in a worktree of its own (built once).
if [[ -z ${OLD_DSTREAMC:-} ]]; then
	old=$W/old-$OLD_REV
	if [[ ! -x $old/build/dstreamc ]] && git rev-parse -q --verify "$OLD_REV^{commit}" >/dev/null; then
		log "building the dstreamc of $OLD_REV (the single-threaded runtime) in $old"
		rm -rf "$old"
		git worktree add -f --detach "$old" "$OLD_REV" >/dev/null 2>&1 || true
		cmake -S "$old" -B "$old/build" -DCMAKE_BUILD_TYPE=Release >"$W/old-cmake.log" 2>&1 &&
			cmake --build "$old/build" -j2 --target dstreamc >"$W/old-build.log" 2>&1 || log "cannot build $OLD_REV: no 'old' column"
	fi
	[[ -x $old/build/dstreamc ]] && OLD_DSTREAMC=$ROOT/$old/build/dstreamc
fi

# ---- inputs (bench/suite.sh's generators and names) ------------------------------------
for t in wordcount/gen window/gen state/gen; do
	out=$W/${t//\//-}
	[[ -x $out && $out -nt bench/$t.c ]] || $CC -O2 -o "$out" "bench/$t.c" || die "cannot build bench/$t.c"
done
[[ -x $W/binrecgen && $W/binrecgen -nt tools/binrecgen.c ]] || $CC -O2 -o "$W/binrecgen" tools/binrecgen.c
WC=$DATA/suite-words-48M.txt
once "$WC" "$W/wordcount-gen" 50331648 "$WC.tmp"
WC10=$DATA/parallel-words-48M-10b.txt
split10() { awk -v n="$(($(wc -l <"$WC") / 10 + 1))" 'NR > 1 && NR % n == 1 { print "---" } { print }' "$WC" >"$WC10.tmp"; }
once "$WC10" split10
WIN=$DATA/suite-window-10k-100000r-60b.txt
once "$WIN" "$W/window-gen" 10000 100000 60 "$WIN.tmp"
ST=$DATA/suite-state-1000000k-burst-100000r-10b.txt
once "$ST" "$W/state-gen" 1000000 1000000 1 100000 10 "$ST.tmp"
ST2=$DATA/parallel-state-200000k-200000r-10b.txt
once "$ST2" "$W/state-gen" 200000 200000 10 200000 10 "$ST2.tmp"
CAMPB=$DATA/ysb-bin-campaigns.txt
[[ -s $CAMPB ]] || { seq 0 9999 | awk '{ print $1, 1000000 + ($1 * 7) % 1000 * 37 }' >"$CAMPB.tmp" && mv "$CAMPB.tmp" "$CAMPB"; }
YSBB=$DATA/suite-ysbbin-1000000r-30b.bin
once "$YSBB" "$W/binrecgen" -s 7 -r 3=0:10000 -r 4=0:5 -r 5=0:3 -q 6=1500000000000:1 "i64 i64 i64 i32 i32 i64 i32" 30000000 "$YSBB.tmp"

# ---- the workloads: program and the --source-path flags of its input -------------------
NAMES=(W1 W2 W3b W4 W4s)
[[ -z ${WORKLOADS:-} ]] || read -r -a NAMES <<<"${WORKLOADS//,/ }"
declare -A PROG SRC DESC
PROG[W1]=bench/wordcount/wordcount.dstream SRC[W1]="0=$WC10"
DESC[W1]="wordcount, 48 MiB of Zipf text (50k words) in 10 batches; records are lines"
PROG[W2]=bench/window/window-inv.dstream SRC[W2]="0=$WIN"
DESC[W2]="reduceByKeyAndWindow with invF, 10k keys, window 30 s, slide 10 s, 60 batches of 100k"
PROG[W3b]=bench/ysb/ysb-bin.dstream SRC[W3b]="0=$YSBB"
DESC[W3b]="YSB on binary records: filter views, join 10k ads (static) -> 1k campaigns, count per 10 s window; 30 batches of 1M"
PROG[W4]=bench/state/state.dstream SRC[W4]="0=$ST"
DESC[W4]="updateStateByKey running totals, 1M keys (batch 1 brings them all), then 10 batches of 100k"
PROG[W4s]=bench/state/state.dstream SRC[W4s]="0=$ST2"
DESC[W4s]="updateStateByKey running totals over 200k keys: 10 batches of 20k new keys, then 10 of 200k records"

for n in "${NAMES[@]}"; do
	"$DSTREAMC" build "${PROG[$n]}" -o "$W/$n" >"$W/$n.build" 2>&1 || die "$n: build failed: $(cat "$W/$n.build")"
	if [[ -n ${OLD_DSTREAMC:-} ]]; then
		"$OLD_DSTREAMC" build "${PROG[$n]}" -o "$W/$n-old" >"$W/$n-old.build" 2>&1 || die "$n: old build failed"
	fi
	# correctness: 1 and 2 workers print the same batches (print widened)
	sed -E 's/\.print\(\);/.print(100000000);/' "${PROG[$n]}" >"$W/$n-check.dstream"
	"$DSTREAMC" build "$W/$n-check.dstream" -o "$W/$n-check" >/dev/null 2>&1 || die "$n: check build failed"
	for w in 1 2; do
		"$W/$n-check" --quiet --workers $w --batches 10 --source-path "${SRC[$n]}" | spark_normalize >"$W/$n-check-$w.txt"
	done
	cmp -s "$W/$n-check-1.txt" "$W/$n-check-2.txt" || die "$n: 1 and 2 workers disagree (see $W/$n-check-*.txt)"
	log "$n: ok, 1 and 2 workers print the same $(grep -c '^Time:' "$W/$n-check-1.txt") batches"
done

# ---- timing: rounds, variants interleaved (their order rotates) --------------------------
metric() { # FILE: "records processing_ms slowest_sum mean_sum"
	python3 -c '
import json, sys
b = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"event": "batch"')]
rec = sum(x["records_in"] for x in b)
proc = sum(x["processing_ms"] for x in b)
slow = sum(x.get("slowest_worker_ms", 0) for x in b)
mean = sum(sum(s["mean_ms"] for s in x.get("steps", [])) for x in b)
print(rec, proc, slow, mean)' "$1"
}
: >"$W/runs.txt"
VARIANTS=(w1 w2)
[[ -z ${OLD_DSTREAMC:-} ]] || VARIANTS=(old w1 w2)
for ((r = 1; r <= REPS; r++)); do
	for n in "${NAMES[@]}"; do
		k=$(((r - 1) % ${#VARIANTS[@]}))
		for ((i = 0; i < ${#VARIANTS[@]}; i++)); do
			v=${VARIANTS[(i + k) % ${#VARIANTS[@]}]}
			case $v in
			old) cmd=("$W/$n-old") ;;
			w1) cmd=("$W/$n" --workers 1) ;;
			w2) cmd=("$W/$n" --workers 2) ;;
			esac
			rm -f "$W/$n-$v-$r.json" # --metrics-json appends
			"${cmd[@]}" --quiet --source-path "${SRC[$n]}" --metrics-json "$W/$n-$v-$r.json" >/dev/null ||
				die "$n $v failed"
			echo "$n $v $r $(metric "$W/$n-$v-$r.json")" >>"$W/runs.txt"
		done
	done
	log "round $r/$REPS done ($(($(date +%s) - START)) s)"
done

# ---- report ------------------------------------------------------------------------------
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v n="$1" -v v="$2" -v c="$3" '$1 == n && $2 == v { print $c }' "$W/runs.txt"; }
rate() { awk -v n="$1" -v v="$2" '$1 == n && $2 == v { print $4 / ($5 / 1000) }' "$W/runs.txt" | median; }
best() { awk -v n="$1" -v v="$2" '$1 == n && $2 == v { print $4 / ($5 / 1000) }' "$W/runs.txt" | LC_ALL=C sort -g | tail -n 1; }
{
	echo "# 2 workers against 1"
	echo
	echo "Generated by \`bash bench/parallel/run.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores; $REPS rounds, variants interleaved)."
	echo "records/s = records in / the batches' summed \`processing_ms\` (\`--metrics-json\`); medians over the rounds."
	echo "\`old\`: the same program built by the dstreamc of $OLD_REV, the last commit before workers (one thread)."
	echo "Skew: the slowest worker's time summed over the batches, over the mean worker's (1.00: perfectly even)."
	echo
	echo "Best: the ratio of the best rounds (the least disturbed by the machine's other load)."
	echo
	echo "| workload | old rec/s | w1 rec/s | w2 rec/s | w2 / w1 | w2 / w1, best | w1 / old | w1 / old, best | skew (w2) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for n in "${NAMES[@]}"; do
		o=$([[ -n ${OLD_DSTREAMC:-} ]] && rate "$n" old || echo 0)
		a=$(rate "$n" w1)
		b=$(rate "$n" w2)
		ob=$([[ -n ${OLD_DSTREAMC:-} ]] && best "$n" old || echo 0)
		ab=$(best "$n" w1)
		bb=$(best "$n" w2)
		sk=$(awk -v n="$n" '$1 == n && $2 == "w2" && $7 > 0 { print $6 / $7 }' "$W/runs.txt" | median)
		awk -v n="$n" -v o="$o" -v a="$a" -v b="$b" -v ob="$ob" -v ab="$ab" -v bb="$bb" -v sk="$sk" 'BEGIN {
			printf "| %s | %s | %.2fM | %.2fM | **%.2f** | %.2f | %s | %s | %.2f |\n", n, (o > 0 ? sprintf("%.2fM", o / 1e6) : "-"),
				a / 1e6, b / 1e6, b / a, bb / ab, (o > 0 ? sprintf("%.2f", a / o) : "-"),
				(ob > 0 ? sprintf("%.2f", ab / ob) : "-"), sk }'
	done
	echo
	for n in "${NAMES[@]}"; do echo "- **$n**: ${DESC[$n]} (\`${PROG[$n]}\`)."; done
	echo
	echo "Raw runs (workload variant round records processing_ms slowest_sum mean_sum): bench/out/parallel/runs.txt."
	cat <<'NOTES'

## What each workload exchanges

- **W1** sends, per batch and worker, one `(word, partial count)` per distinct word of its share
  (map-side combine). With 800k words over a 50k-word vocabulary per batch, a worker's share of
  400k words still holds about 45k distinct words, so the combine saves little: each worker
  upserts its 400k words into a partial table about as big as the one-worker table (no longer
  cache-resident), then sends 45k records and upserts 45k received ones. That is about 490k
  upserts per worker against 800k for one worker: at most ~1.6x before any memory contention,
  and the two cores share the L3 that both tables live in. A word count over a small vocabulary
  (2,000 words, measured by hand in the same session) reaches 1.5x to 1.9x.
- **W2** (a keyed window with an inverse) combines each batch's records per key before they reach
  the owner's pane: 100k records over 10k keys become at most 10k partials per worker.
- **W3b** probes the static ad table (every worker holds all of it) in the fused loop, and keeps
  its panes where the records are; only the per-window partial counts (1,000 campaigns) cross
  the exchange. It is the closest to shared-nothing.
- **W4/W4s** (updateStateByKey running totals) cannot combine: every record goes to its key's
  owner (24 bytes appended to a buffer, read back after the barrier). Each worker's slice of the
  state table is half the size, which fits the caches better: hence more than 2x.

## What 16 cores should reach (a model)

Per batch of N records with D distinct keys, on W workers, each worker does
`N/W * (c_scan + c_agg)` (its share, combined into a table of about `min(D, N/W)` keys), then
sends about `min(D, N/W)` partials and upserts as many received ones (`c_x` each, about one
upsert and one 24-byte copy), plus two barriers (a few microseconds). So

    t(W) ~ N/W * (c_scan + c_agg) + 2 * min(D, N/W) * c_x

and the exchange term stops shrinking once `N/W` falls below D. For W3b (D = 1k campaigns per
10 s window, N = 10M events) the exchange is negligible at any W up to 16: the scan and the
static probe scale until memory bandwidth does (a plain scan of the mapped file reads 23-25
GB/s, 44-byte events: about 0.5 G events/s, 6x the one-core rate). For W4 (no combine) every
record crosses once: `t(W) ~ N/W * (c_scan + c_x + c_agg)`, linear in W while the exchange
buffers stay in cache. For W1's 50k-word vocabulary, `min(D, N/W)` stays near D up to W = 16
(50k words per worker), so 16 workers do about 50k + 2 * 20-40k probes each against 800k
on one: about 6-8x, bounded by the exchange; larger batches (or smaller vocabularies) move it
towards linear.
NOTES
} >bench/parallel/REPORT.md.tmp
mv bench/parallel/REPORT.md.tmp bench/parallel/REPORT.md
cat bench/parallel/REPORT.md
log "done in $(($(date +%s) - START)) s"
