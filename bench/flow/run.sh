#!/usr/bin/env bash
# bench/flow/run.sh: what backpressure and the metrics cost, and how the rate
# converges after a step in input rate (issue 12; benchmarks, not tests).
#
#   bash bench/flow/run.sh          # ~6 min on the shared 2-core VM
#   QUICK=1 bash bench/flow/run.sh  # ~3 min: fewer rounds, shorter runs
#
# Regenerates bench/flow/REPORT.md and bench/flow/flow.svg; raw runs in
# bench/out/flow/ (git-ignored), inputs in bench/data/ (git-ignored; the
# generators and names of bench/suite.sh and bench/parallel/run.sh).
#
# 1a. Cost on the manual clock: W1 (wordcount, 48 MiB of Zipf text in 10
#     batches) and W3b (YSB on binary records, 30 batches of 1M), the same
#     binary in three variants, interleaved in rounds (the order rotates):
#       off      --no-backpressure
#       on       the default (backpressure on)
#       on+http  the default and --http 127.0.0.1:0, with curl fetching
#                /metrics and /api/batches every 100 ms while it runs
#       off+curl --no-backpressure and the same curl loop against a port
#                nothing listens on: what the client alone costs on this
#                2-core machine (the server's share is on+http less this)
#     all with --metrics-json (records/s = records in / the batches' summed
#     processing_ms, as bench/parallel), --workers 1 and 2.  W1's runs are
#     short (~0.2 s), so each round runs it W1_INNER times per variant.
#     A queue has no receiver: this measures the per-batch bookkeeping.
# 1b. Cost on the receiver path: W1's program on socketTextStream
#     (wordcount-socket.dstream), fed W1's text in a loop as fast as it reads
#     (feed.c), 1 s batches, SOCK_SECS per run, --workers 1, variants off,
#     on with --max-rate 1000000000 (the bucket consulted, never binding)
#     and on (the default).  records/s = the records of batches 2..N over
#     the wall time from the end of batch 1 to the end of batch N (end =
#     time + scheduling delay + processing); also the process's CPU time
#     per record.
# 2.  Convergence: spin.dstream (an extern C function that busy-waits 200 us
#     per record: ~5000 records/s on one worker) fed 100-byte lines at
#     STEP_LO records/s for PRE s, then STEP_HI for POST s (a 10x step),
#     once with backpressure (the default) and once with --no-backpressure
#     --max-queued 16M; both stopped (SIGTERM; SIGKILL if the graceful stop
#     takes over GRACE s) at the same time, PRE + POST + 1.5 s after start;
#     REPORT_ONLY=1 rewrites REPORT.md and flow.svg from bench/out/flow/.
#     flow.svg plots each batch's delay, processing time, records in and
#     rate limit.
#
# Environment: QUICK (0), REPS (5; QUICK 3), W1_INNER (4), WORKERS ("1 2";
# QUICK "1"), SOCK_REPS (3; QUICK 2), SOCK_SECS (10; QUICK 6), PRE (10; QUICK
# 5), POST (30; QUICK 15), GRACE (15), DSTREAMC (default build/dstreamc, else
# bench/lib.sh's Release build), CC (cc).  Needs curl and python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
	REPS=${REPS:-3} WORKERS=${WORKERS:-1} SOCK_REPS=${SOCK_REPS:-2} SOCK_SECS=${SOCK_SECS:-6} PRE=${PRE:-5} POST=${POST:-15}
else
	REPS=${REPS:-5} WORKERS=${WORKERS:-1 2} SOCK_REPS=${SOCK_REPS:-3} SOCK_SECS=${SOCK_SECS:-10} PRE=${PRE:-10} POST=${POST:-30}
fi
W1_INNER=${W1_INNER:-4} GRACE=${GRACE:-15} STEP_LO=2500 STEP_HI=25000
CC=${CC:-cc}
DATA=bench/data
W=bench/out/flow
mkdir -p "$DATA" "$W"
BENCH_NAME=flow
# shellcheck source=../lib.sh
source bench/lib.sh
command -v curl >/dev/null || die "curl is needed (part 1a scrapes --http)"
command -v python3 >/dev/null || die "python3 is needed (the JSON lines)"
START=$(date +%s)
if [[ -z ${DSTREAMC:-} && -x build/dstreamc ]]; then DSTREAMC=$ROOT/build/dstreamc; fi
find_dstreamc

# Our children (feeders, programs in the background), ended on exit.
cleanup() { local j; for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done; }
trap cleanup EXIT

# ---- helpers ------------------------------------------------------------------------------
# metric FILE: "records processing_ms" of a run's batches
metric() {
	python3 -c '
import json, sys
b = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"event\": \"batch\"")]
print(sum(x["records_in"] for x in b), sum(x["processing_ms"] for x in b))' "$1"
}
# sockmetric FILE: "records wall_ms processing_ms batches records_all" of a
# socket run: batches 2..N (the first is cut short by the connection)
sockmetric() {
	python3 -c '
import json, sys
b = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"event\": \"batch\"")]
end = [x["time_ms"] + x["scheduling_delay_ms"] + x["processing_ms"] for x in b]
r = b[1:]
print(sum(x["records_in"] for x in r), end[-1] - end[0], sum(x["processing_ms"] for x in r), len(r),
      sum(x["records_in"] for x in b))' "$1"
}
# port_of FILE: the port in "PROG: http: serving on http://127.0.0.1:PORT/"
port_of() { sed -n 's|.*http: serving on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$1"; }
# scraped ERR CMD...: runs CMD with --http 127.0.0.1:0 (its stderr to ERR),
# fetching /metrics and /api/batches every 100 ms while it runs; prints how
# many fetches succeeded.
scraped() {
	local err=$1 port="" ok=0 pid
	shift
	"$@" --http 127.0.0.1:0 >/dev/null 2>"$err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [[ -z $port ]]; then
			port=$(port_of "$err")
			[[ -n $port ]] || { sleep 0.005; continue; }
		fi
		curl -sf -m 2 -o /dev/null "http://127.0.0.1:$port/metrics" && ok=$((ok + 1))
		curl -sf -m 2 -o /dev/null "http://127.0.0.1:$port/api/batches" && ok=$((ok + 1))
		sleep 0.1
	done
	wait "$pid" || return 1
	echo "$ok"
}
# curled CMD...: runs CMD with the same curl loop as scraped, against a port
# nothing listens on (the cost of the client alone); prints the fetches that
# succeeded (none).
curled() {
	local ok=0 pid
	"$@" >/dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		curl -sf -m 2 -o /dev/null "http://127.0.0.1:9/metrics" && ok=$((ok + 1))
		curl -sf -m 2 -o /dev/null "http://127.0.0.1:9/api/batches" && ok=$((ok + 1))
		sleep 0.1
	done
	wait "$pid" || return 1
	echo "$ok"
}
# wait_line N FILE REGEX: up to N s for a line of FILE to match
wait_line() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do grep -q "$3" "$2" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

WC=$DATA/suite-words-48M.txt
WC10=$DATA/parallel-words-48M-10b.txt
CAMPB=$DATA/ysb-bin-campaigns.txt
YSBB=$DATA/suite-ysbbin-1000000r-30b.bin
declare -A PROG SRC
PROG[W1]=bench/wordcount/wordcount.dstream SRC[W1]="0=$WC10"
PROG[W3b]=bench/ysb/ysb-bin.dstream SRC[W3b]="0=$YSBB"
NAMES=(W1 W3b)
VARIANTS=(off on http curl)
SVARIANTS=(off onmax on)
STOP_MS=$(((PRE + POST) * 1000 + 1500))

if [[ ${REPORT_ONLY:-0} != 1 ]]; then
# ---- inputs (bench/parallel/run.sh's generators and names) -------------------------------
[[ -x $W/wordcount-gen && $W/wordcount-gen -nt bench/wordcount/gen.c ]] ||
	$CC -O2 -o "$W/wordcount-gen" bench/wordcount/gen.c || die "cannot build bench/wordcount/gen.c"
[[ -x $W/binrecgen && $W/binrecgen -nt tools/binrecgen.c ]] || $CC -O2 -o "$W/binrecgen" tools/binrecgen.c
$CC -O2 -Wall -o "$W/feed" bench/flow/feed.c || die "cannot build bench/flow/feed.c"
once "$WC" "$W/wordcount-gen" 50331648 "$WC.tmp"
split10() { awk -v n="$(($(wc -l <"$WC") / 10 + 1))" 'NR > 1 && NR % n == 1 { print "---" } { print }' "$WC" >"$WC10.tmp"; }
once "$WC10" split10
[[ -s $CAMPB ]] || { seq 0 9999 | awk '{ print $1, 1000000 + ($1 * 7) % 1000 * 37 }' >"$CAMPB.tmp" && mv "$CAMPB.tmp" "$CAMPB"; }
once "$YSBB" "$W/binrecgen" -s 7 -r 3=0:10000 -r 4=0:5 -r 5=0:3 -q 6=1500000000000:1 "i64 i64 i64 i32 i32 i64 i32" 30000000 "$YSBB.tmp"
# part 2's lines: 100 bytes each, numbered (small, made every run)
awk 'BEGIN { x = sprintf("%77s", ""); gsub(/ /, "x", x); for (i = 1; i <= 10000; i++) printf "event %015d %s\n", i, x }' >"$W/lines-100B.txt"

# ---- 1a: the manual clock --------------------------------------------------------------------
for n in "${NAMES[@]}"; do
	"$DSTREAMC" build "${PROG[$n]}" -o "$W/$n" >"$W/$n.build" 2>&1 || die "$n: build failed: $(cat "$W/$n.build")"
	# untimed: brings the input (W3b's is 1.3 GB) into the page cache
	"$W/$n" --quiet --workers 1 --source-path "${SRC[$n]}" >/dev/null || die "$n failed"
done
# the server answers what it says it serves (once, before any timing)
"$W/W1" --quiet --workers 1 --source-path "${SRC[W1]}" --pace 1s --batches 2 --http 127.0.0.1:0 >/dev/null 2>"$W/check-http.err" &
wait_line 10 "$W/check-http.err" 'serving on' || die "--http did not start: $(cat "$W/check-http.err")"
p=$(port_of "$W/check-http.err")
curl -sf "http://127.0.0.1:$p/metrics" >"$W/check-metrics.txt" || die "GET /metrics failed"
curl -sf "http://127.0.0.1:$p/api/batches" >"$W/check-batches.json" || die "GET /api/batches failed"
wait $! || die "W1 with --http failed"
grep -q '^dstream_batches_total' "$W/check-metrics.txt" || die "/metrics has no dstream_batches_total"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))["batches"]' "$W/check-batches.json" || die "/api/batches is not the JSON expected"
log "1a: --http serves /metrics and /api/batches"

: >"$W/runs-1a.txt"
for ((r = 1; r <= REPS; r++)); do
	for w in $WORKERS; do
		for n in "${NAMES[@]}"; do
			inner=1
			[[ $n == W1 ]] && inner=$W1_INNER
			for ((j = 1; j <= inner; j++)); do
				k=$(((r + j - 2) % ${#VARIANTS[@]}))
				for ((i = 0; i < ${#VARIANTS[@]}; i++)); do
					v=${VARIANTS[(i + k) % ${#VARIANTS[@]}]}
					f=$W/1a-$n-w$w-$v-$r-$j.json
					rm -f "$f" # --metrics-json appends
					cmd=("$W/$n" --quiet --workers "$w" --source-path "${SRC[$n]}" --metrics-json "$f")
					sc=0
					case $v in
					off) "${cmd[@]}" --no-backpressure >/dev/null || die "$n $v failed" ;;
					on) "${cmd[@]}" >/dev/null || die "$n $v failed" ;;
					http) sc=$(scraped "$W/1a-http.err" "${cmd[@]}") || die "$n $v failed: $(cat "$W/1a-http.err")" ;;
					curl) sc=$(curled "${cmd[@]}" --no-backpressure) || die "$n $v failed" ;;
					esac
					echo "$n $w $v $r $j $(metric "$f") $sc" >>"$W/runs-1a.txt"
				done
			done
		done
	done
	log "1a: round $r/$REPS done ($(($(date +%s) - START)) s)"
done

# ---- 1b: the receiver path -------------------------------------------------------------------
"$W/feed" --loop "$WC" >"$W/feed-1b.out" 2>"$W/feed-1b.err" &
FEED1B=$!
wait_line 10 "$W/feed-1b.out" '^port' || die "feed did not start: $(cat "$W/feed-1b.err")"
p=$(awk '$1 == "port" { print $2 }' "$W/feed-1b.out")
sed "s/9999/$p/" bench/flow/wordcount-socket.dstream >"$W/wordcount-socket.dstream"
"$DSTREAMC" build "$W/wordcount-socket.dstream" -o "$W/wcs" >"$W/wcs.build" 2>&1 || die "wordcount-socket: build failed: $(cat "$W/wcs.build")"
: >"$W/runs-1b.txt"
TIMEFORMAT='%3R %3U %3S'
for ((r = 1; r <= SOCK_REPS; r++)); do
	for ((i = 0; i < ${#SVARIANTS[@]}; i++)); do
		v=${SVARIANTS[(i + r - 1) % ${#SVARIANTS[@]}]}
		f=$W/1b-$v-$r.json
		rm -f "$f"
		case $v in
		off) flags=(--no-backpressure) ;;
		onmax) flags=(--max-rate 1000000000) ;;
		on) flags=() ;;
		esac
		{ time "$W/wcs" --quiet --workers 1 --duration "${SOCK_SECS}s" --metrics-json "$f" "${flags[@]}" >/dev/null 2>"$W/1b-$v-$r.err"; } 2>"$W/1b-$v-$r.time" ||
			die "1b $v failed: $(cat "$W/1b-$v-$r.err")"
		echo "$v $r $(sockmetric "$f") $(cat "$W/1b-$v-$r.time")" >>"$W/runs-1b.txt"
	done
	log "1b: round $r/$SOCK_REPS done ($(($(date +%s) - START)) s)"
done
kill "$FEED1B" 2>/dev/null || true

# ---- 2: a step in input rate ---------------------------------------------------------------
"$W/feed" --clients 2 --loop --phase "$STEP_LO:$PRE" --phase "$STEP_HI:$POST" "$W/lines-100B.txt" >"$W/feed-2.out" 2>"$W/feed-2.err" &
FEED2=$!
wait_line 10 "$W/feed-2.out" '^port' || die "feed did not start: $(cat "$W/feed-2.err")"
p=$(awk '$1 == "port" { print $2 }' "$W/feed-2.out")
sed "s/9999/$p/" bench/flow/spin.dstream >"$W/spin.dstream"
cp bench/flow/spin.h "$W/spin.h"
"$DSTREAMC" build "$W/spin.dstream" bench/flow/spin.c -o "$W/spin" >"$W/spin.build" 2>&1 || die "spin: build failed: $(cat "$W/spin.build")"
for v in on off; do
	f=$W/2-$v.json
	rm -f "$f"
	flags=()
	[[ $v == off ]] && flags=(--no-backpressure --max-queued 16M)
	"$W/spin" --quiet --workers 1 --metrics-json "$f" "${flags[@]}" >/dev/null 2>"$W/2-$v.err" &
	pid=$!
		sleep "$(awk -v ms="$STOP_MS" 'BEGIN { print ms / 1000 }')"
	hwm=$(awk '$1 == "VmHWM:" { print $2 * 1024 }' "/proc/$pid/status")
	kill -TERM "$pid"
	t0=$(date +%s%N)
	how=sigterm
	for ((i = 0; i < GRACE * 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		how=sigkill
	fi
	wait "$pid" 2>/dev/null || true
	echo "$v $how $hwm $((($(date +%s%N) - t0) / 1000000))" >"$W/2-$v.stop"
	log "2: $v: stopped by $how ($(($(date +%s) - START)) s)"
done
wait "$FEED2" 2>/dev/null || true
# what the report says of the measuring run
echo "$(date -u +%Y-%m-%d) $(git rev-parse --short HEAD) $(($(date +%s) - START))" >"$W/run-info"
fi # REPORT_ONLY
read -r RUN_DATE RUN_REV RUN_SECS <"$W/run-info"

python3 - "$W" "$PRE" "$POST" "$STOP_MS" >"$W/part2.md" <<'PY'
import json, statistics, sys
w, pre, post, stop_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = {}
for v in ("on", "off"):
    ev = [json.loads(l) for l in open(f"{w}/2-{v}.json")]
    start = next(e for e in ev if e["event"] == "start")
    # the batches before the stop; the graceful stop's last batch apart
    b = [e for e in ev if e["event"] == "batch" and e["time_ms"] - start["start_ms"] <= stop_ms]
    fin = [e for e in ev if e["event"] == "batch" and e["time_ms"] - start["start_ms"] > stop_ms]
    end = next((e for e in ev if e["event"] == "end"), None)
    how, hwm, took = open(f"{w}/2-{v}.stop").read().split()[1:4]
    runs[v] = dict(start=start["start_ms"], batch_ms=start["batch_ms"], b=b, fin=fin, end=end, how=how, hwm=int(hwm), took=int(took))
with open(f"{w}/chart.txt", "w") as c:
    for v, r in runs.items():
        for x in r["b"]:
            c.write("%s %.3f %.3f %.3f %d %.0f\n" % (v, (x["time_ms"] - r["start"]) / 1000, x["scheduling_delay_ms"] / 1000,
                                                      x["processing_ms"] / 1000, x["records_in"], x["rate_limit"]))
def after(r):  # the batches from the first one holding input sent after the step
    return [x for x in r["b"] if x["time_ms"] - r["start"] > pre * 1000]
def rate(x):
    return x["records_in"] / x["processing_ms"] * 1000 if x["processing_ms"] > 0 else 0
on, off = runs["on"], runs["off"]
bms = on["batch_ms"]
# capacity: what a full batch sustains (records / processing), the batches after the step of both runs
full = [rate(x) for r in (on, off) for x in after(r) if x["records_in"] >= 1000]
cap = statistics.median(full)
cap_off = statistics.median([rate(x) for x in after(off) if x["records_in"] >= 1000])
def settle(a):  # batches after the step until the delay stays under 2 intervals
    for i in range(len(a)):
        if all(x["scheduling_delay_ms"] < 2 * bms for x in a[i:]):
            return str(i)
    return "never"
a = after(on)
late = a[len(a) // 2:]
lim = statistics.median([x["rate_limit"] for x in late])
got = statistics.median([x["records_in"] for x in late])
maxd_on = max(x["scheduling_delay_ms"] for x in a)
before = [x for x in on["b"] if 1 < (x["time_ms"] - on["start"]) / 1000 <= pre]
lim_pre = statistics.median([x["rate_limit"] for x in before]) if before else 0
ao = after(off)
d = [x["scheduling_delay_ms"] / 1000 for x in ao]

def rss(r):
    if r["end"]:
        return r["end"]["totals"]["max_rss_bytes"], "totals.max_rss_bytes"
    return r["hwm"], "VmHWM in /proc just before the stop (the graceful stop did not end within the grace: no end event)"
rss_on, src_on = rss(on)
rss_off, src_off = rss(off)
print(f"Capacity measured: **{cap:.0f} records/s** (median of records in / processing time over the full batches after the step, both runs; "
      f"{cap_off:.0f} in the no-backpressure run alone), against 5000 for 200 us a record: the rest of the pipeline costs "
      f"{1e6 / cap - 200:.0f} us a record.")
print()
print("| | backpressure on (default) | `--no-backpressure --max-queued 16M` |")
print("| --- | ---: | ---: |")
print(f"| batches run before the stop ({stop_ms / 1000:.1f} s) | {len(on['b'])} | {len(off['b'])} |")
print(f"| batches after the step | {len(a)} | {len(ao)} |")
print(f"| records in, batches before the stop | {sum(x['records_in'] for x in on['b'])} | {sum(x['records_in'] for x in off['b'])} |")
print(f"| batches after the step until the delay is < 2 intervals for good | **{settle(a)}** | {settle(ao)} |")
print(f"| largest scheduling delay after the step | {maxd_on / 1000:.2f} s | {max(d):.1f} s |")
print(f"| rate limit before the step (median) | {lim_pre:.0f}/s | none |")
print(f"| rate limit, second half after the step (median) | **{lim:.0f}/s** ({lim / cap:.2f} of capacity) | none |")
print(f"| records in per batch, second half after the step (median) | {got:.0f} | {statistics.median([x['records_in'] for x in ao[len(ao) // 2:]]):.0f} |")
print(f"| peak RSS | {rss_on / 1048576:.1f} MiB | {rss_off / 1048576:.1f} MiB |")
def stopped(r):
    t = f"{r['how'].upper()}, exit {r['took'] / 1000:.1f} s after SIGTERM"
    for x in r["fin"]:
        t += f"; last batch {x['records_in']} records in {x['processing_ms'] / 1000:.1f} s"
    return t
print(f"| stopped by | {stopped(on)} | {stopped(off)} |")
print()
print("Without backpressure the scheduling delay after the step, per batch (s): " + ", ".join(f"{x:.1f}" for x in d) + ".")
if len(d) >= 2:
    span = (ao[-1]["time_ms"] - ao[0]["time_ms"]) / 1000
    print(f"It grows by {(d[-1] - d[0]) / (len(d) - 1):.1f} s a batch ({(d[-1] - d[0]) / span if span else 0:.1f} s per second of batch time): "
          f"each batch holds about {statistics.median([x['records_in'] for x in ao]):.0f} records and takes "
          f"{statistics.median([x['processing_ms'] for x in ao]) / 1000:.1f} s.")
print()
if on["fin"]:
    x = on["fin"][-1]
    print(f"**The graceful stop ignores the rate.** On SIGTERM the backpressured run's last batch held {x['records_in']} records "
          f"({x['records_in'] / lim:.1f} s of input at its rate limit) and took {x['processing_ms'] / 1000:.1f} s: the receiver's halt "
          "reads the socket until it would block (runtime/socket.c, `ds__socket_main`'s stop branch: \"whatever the bounds\"), so "
          "everything the sender had pushed into the kernel's buffers while it was held back becomes one batch.")
    print()
print(f"Peak RSS: on, {src_on}; off, {src_off}.")
print(f"Largest queued_bytes reported: on {max(x['queued_bytes'] for x in on['b']) / 1048576:.2f} MiB, "
      f"off {max(x['queued_bytes'] for x in off['b']) / 1048576:.2f} MiB.")
PY
awk -v step="$PRE" -v cap="$(sed -n 's/^Capacity measured: \*\*\([0-9]*\) .*/\1/p' "$W/part2.md")" -f bench/flow/chart.awk "$W/chart.txt" >bench/flow/flow.svg.tmp
mv bench/flow/flow.svg.tmp bench/flow/flow.svg

# ---- report ------------------------------------------------------------------------------------
rate1a() { awk -v n="$1" -v w="$2" -v v="$3" '$1 == n && $2 == w && $3 == v { print $6 / ($7 / 1000) }' "$W/runs-1a.txt" | median; }
# the ratio of variant v to off within each round (pooled W1 inner runs), median and range
paired() {
	awk -v n="$1" -v w="$2" -v v="$3" '$1 == n && $2 == w { k = $4 " " $5; r[k, $3] = $6 / ($7 / 1000); ks[k] = 1 }
		END { for (k in ks) if (r[k, "off"] > 0 && r[k, v] > 0) print r[k, v] / r[k, "off"] }' "$W/runs-1a.txt" >"$W/paired.tmp"
	printf '%s %s %s' "$(median <"$W/paired.tmp")" "$(LC_ALL=C sort -g "$W/paired.tmp" | head -n 1)" "$(LC_ALL=C sort -g "$W/paired.tmp" | tail -n 1)"
}
MISSED=()
{
	echo "# Backpressure and metrics: what they cost, and how the rate converges"
	echo
	echo "Generated by \`bash bench/flow/run.sh\`$([[ $QUICK == 1 ]] && echo " (QUICK=1)") on $RUN_DATE at commit $RUN_REV,"
	echo "on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), a shared VM: the figures are one run's,"
	echo "ratios within that run. The measurements took $RUN_SECS s."
	echo
	echo "## 1a. Per-batch bookkeeping on the manual clock (W1, W3b)"
	echo
	echo "The same binary, four variants, interleaved over $REPS rounds (order rotating; W1's ~0.2 s runs $W1_INNER times a round)."
	echo "\`off\` = \`--no-backpressure\`; \`on\` = the default; \`on+http\` = the default with \`--http 127.0.0.1:0\` and curl"
	echo "fetching /metrics and /api/batches every 100 ms during the run; \`off+curl\` = \`off\` with the same curl loop against a closed
port (the client's own cost). All with \`--metrics-json\`: records/s = records in /"
	echo "the batches' summed \`processing_ms\`. Ratio = on / off of the medians; paired = the median of the per-round ratios"
	echo "(same round, back to back), with their range, which shows the noise. Target (issue 12): at least 0.98."
	echo
	echo "| workload | workers | off rec/s | on rec/s | on+http rec/s | **on / off** | paired (range) | **on+http / off** | paired (range) | off+curl / off | paired | fetches per on+http run |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for w in $WORKERS; do
		for n in "${NAMES[@]}"; do
			a=$(rate1a "$n" "$w" off) b=$(rate1a "$n" "$w" on) c=$(rate1a "$n" "$w" http)
			read -r pb pbl pbh <<<"$(paired "$n" "$w" on)"
			read -r pc pcl pch <<<"$(paired "$n" "$w" http)"
			read -r pu _ _ <<<"$(paired "$n" "$w" curl)"
			u=$(rate1a "$n" "$w" curl)
			sc=$(awk -v n="$n" -v w="$w" '$1 == n && $2 == w && $3 == "http" { print $8 }' "$W/runs-1a.txt" | median)
			awk -v n="$n" -v w="$w" -v a="$a" -v b="$b" -v c="$c" -v pb="$pb" -v pbl="$pbl" -v pbh="$pbh" -v pc="$pc" -v pcl="$pcl" -v pch="$pch" -v sc="$sc" -v u="$u" -v pu="$pu" 'BEGIN {
				printf "| %s | %d | %.2fM | %.2fM | %.2fM | **%.3f** | %.3f (%.3f-%.3f) | **%.3f** | %.3f (%.3f-%.3f) | %.3f | %.3f | %d |\n",
					n, w, a / 1e6, b / 1e6, c / 1e6, b / a, pb, pbl, pbh, c / a, pc, pcl, pch, u / a, pu, sc }'
			for x in "on $b $pb" "on+http $c $pc"; do
				read -r name val p <<<"$x"
				awk -v a="$a" -v b="$val" -v p="$p" 'BEGIN { exit !(b / a < 0.98 || p < 0.98) }' &&
					MISSED+=("$n --workers $w $name: $(awk -v a="$a" -v b="$val" -v p="$p" 'BEGIN { printf "%.3f of off (paired %.3f)", b / a, p }')")
			done
		done
	done
	echo
	echo "W1: \`bench/wordcount/wordcount.dstream\`, 48 MiB of Zipf text in 10 batches (\`$WC10\`). W3b: \`bench/ysb/ysb-bin.dstream\`,"
	echo "30 batches of 1M 44-byte events (\`$YSBB\`). Raw runs (workload workers variant round inner records processing_ms fetches):"
	echo "\`bench/out/flow/runs-1a.txt\`."
	echo
	echo "On the manual clock (queueStream, binaryQueueStream) there is no receiver to throttle and the runtime does not run the rate"
	echo "estimator at all (\`ds__control\` skips it when \`rt->manual\`): \`on\` and \`off\` differ only in a branch per source per"
	echo "batch. What this measures is the per-batch bookkeeping every variant shares (the metrics line, the per-source"
	echo "observations) plus, for on+http, the server thread answering ~20 requests a second and the curl processes, which on"
	echo "this 2-core machine compete for the core the second worker (and the scheduler) use."
	echo
	echo "## 1b. The receiver path (W1 over a socket)"
	echo
	echo "\`wordcount-socket.dstream\` (W1's program on \`socketTextStream\`), 1 s batches, \`--workers 1\`, \`--duration ${SOCK_SECS}s\`,"
	echo "fed \`$WC\` in a loop by \`feed.c\` (whole-file writes: as fast as the receiver reads), $SOCK_REPS rounds, variants"
	echo "interleaved: \`off\` = \`--no-backpressure\`; \`on, --max-rate 1e9\` = the default and a cap far above what it reaches (the"
	echo "bucket is consulted on every read and never binds); \`on\` = the default. **records/s = the records of batches 2..N over"
	echo "the wall time from the end of batch 1 to the end of batch N** (end = batch time + scheduling delay + processing; batch 1"
	echo "is cut short by the connection); processing rec/s = the same records over their summed \`processing_ms\`; CPU = the"
	echo "process's user + system time over all its records (\`time\`)."
	echo
	echo "| variant | records/s (median) | / off | processing rec/s | CPU us a record | / off | rate limit (median of batches) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	sr() { awk -v v="$1" '$1 == v { print $3 / ($4 / 1000) }' "$W/runs-1b.txt" | median; }
	sp() { awk -v v="$1" '$1 == v { print $3 / ($5 / 1000) }' "$W/runs-1b.txt" | median; }
	scpu() { awk -v v="$1" '$1 == v { print ($9 + $10) * 1e6 / $7 }' "$W/runs-1b.txt" | median; }
	r0=$(sr off) c0=$(scpu off)
	for v in "${SVARIANTS[@]}"; do
		lim=$(for f in "$W"/1b-"$v"-*.json; do
			python3 -c 'import json, sys; [print(json.loads(l)["rate_limit"]) for l in open(sys.argv[1]) if l.startswith("{\"event\": \"batch\"")]' "$f"
		done | median)
		label=$(case $v in off) echo "off" ;; onmax) echo "on, --max-rate 1e9" ;; on) echo "on" ;; esac)
		awk -v l="$label" -v r="$(sr "$v")" -v r0="$r0" -v p="$(sp "$v")" -v c="$(scpu "$v")" -v c0="$c0" -v lim="$lim" 'BEGIN {
			printf "| %s | %.0fk | **%.3f** | %.0fk | %.2f | %.3f | %s |\n", l, r / 1e3, r / r0, p / 1e3, c, c / c0, (lim > 0 ? sprintf("%.0fk/s", lim / 1e3) : "none") }'
	done
	echo
	q=$(python3 -c 'import json, sys; print(max(json.loads(l)["queued_bytes"] for l in open(sys.argv[1]) if l.startswith("{\"event\": \"batch\"")))' "$W/1b-off-1.json")
	echo "Raw runs (variant round records wall_ms processing_ms batches records_all real user sys): \`bench/out/flow/runs-1b.txt\`."
	echo
	# what bounds the socket runs: records a batch against --max-queued
	bpl=$(awk -v b="$(stat -c %s "$WC")" -v l="$(wc -l <"$WC")" 'BEGIN { print b / l }')
	rpb=$(awk '{ print $3 / $6 }' "$W/runs-1b.txt" | median)
	busy=$(awk '{ print $5 / $4 }' "$W/runs-1b.txt" | median)
	awk -v q="$q" -v bpl="$bpl" -v rpb="$rpb" -v busy="$busy" 'BEGIN {
		printf "**What bounds these runs is `--max-queued`, in every variant.** A batch takes %.0f records (median), %.1f MiB at %.1f bytes a line:\n", rpb, rpb * bpl / 1048576, bpl
		printf "the default 64 MiB bound (the largest `queued_bytes` of the first `off` run: %d). The receiver stops reading once 64 MiB wait\n", q
		printf "for a batch and a batch takes them only at its time, so at most 64 MiB enter per batch interval, whatever the pipeline does:\n"
		printf "the batches are busy %.0f%% of the wall time (summed processing / wall). So records/s here is the bound'"'"'s (64 MiB/s at 1 s\n", busy * 100
		printf "batches) for off and on alike, and the ratios say that the bucket and the estimator do not lower it; the CPU column is\n"
		printf "where their own cost would show (the receiver thread consults the bucket per read), within this machine'"'"'s noise.\n" }'
	echo "With backpressure on, the estimate (records / processing time) stays above what arrives, so the bucket never binds."
	echo
	echo "## 2. Convergence after a 10x step in input rate"
	echo
	echo "\`spin.dstream\`: \`socketTextStream\` → \`map(l => spin(l))\` → \`reduce\` → \`print\`, where \`spin\` (\`spin.c\`) busy-waits"
	echo "200 us of the monotonic clock per record, so one worker (\`--workers 1\`) sustains about 5000 records/s. \`feed.c\` offers"
	echo "100-byte lines at $STEP_LO records/s for $PRE s from the moment the receiver connects, then $STEP_HI records/s for $POST s"
	echo "(a sender held back by TCP owes what it could not send and sends it as soon as it may; what is owed at the end is"
	echo "dropped). Both runs stopped by SIGTERM $((STOP_MS / 1000)).$((STOP_MS % 1000 / 100)) s after they started (SIGKILL if the graceful stop,"
	echo "which runs one last batch with everything the receiver holds, takes more than $GRACE s). The feeder's account:"
	echo
	echo '```'
	cat "$W/feed-2.err"
	echo '```'
	echo
	echo "(first client: backpressure on; second: off.)"
	echo
	cat "$W/part2.md"
	echo
	echo "![per batch: scheduling delay, processing time, records in, rate limit](flow.svg)"
	echo
	echo "Raw: \`bench/out/flow/2-on.json\`, \`2-off.json\` (the JSON lines), \`chart.txt\` (what \`chart.awk\` drew)."
	echo
	echo "## Against the target"
	echo
	echo "**In instructions, which repeat from run to run** (bench/flow/CALLGRIND.md, \`bash bench/flow/callgrind.sh\`):"
	echo "backpressure on costs nothing measurable on W1 and W3b (on / off = 1.00000), \`--metrics-json\` 0.6% on W1's"
	echo "28 small batches and 0.09% on W3b, and \`--http\` 0.03% more: inside the 2% target. The timings below cannot"
	echo "settle it either way on this machine."
	echo
	echo "How noisy this run was: the \`off\` runs alone, slowest and fastest against their median (the same binary and flags):"
	echo
	for w in $WORKERS; do
		for n in "${NAMES[@]}"; do
			awk -v n="$n" -v w="$w" '$1 == n && $2 == w && $3 == "off" { print $6 / ($7 / 1000) }' "$W/runs-1a.txt" | LC_ALL=C sort -g |
				awk -v n="$n" -v w="$w" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
					printf "- %s, --workers %d: %d runs, %.2f to %.2f of the median\n", n, w, NR, v[1] / m, v[NR] / m }'
		done
	done
	echo
	echo "A 2% difference is far inside that spread: this run can neither confirm nor refute the target for \`on\`, whose only"
	echo "difference from \`off\` on the manual clock is a branch per source per batch. For \`on+http\`, compare with \`off+curl\`:"
	echo "where both are well under 1, the curl processes (a fork and exec every 50 ms, on a 2-core machine already shared) cost"
	echo "the time, not the server thread."
	echo
	if ((${#MISSED[@]})); then
		echo "Under 0.98 of \`off\` (ratio of medians or median paired ratio) in this run:"
		echo
		for m in "${MISSED[@]}"; do echo "- $m"; done
	else
		echo "Every on/off and on+http/off ratio of part 1a is at least 0.98 in this run (ratio of medians and paired)."
	fi
} >bench/flow/REPORT.md.tmp
mv bench/flow/REPORT.md.tmp bench/flow/REPORT.md
log "done in $(($(date +%s) - START)) s"
