#!/usr/bin/env bash
# bench/latency/run.sh: arrival-to-output latency at small batch intervals
# (issue 14 item 6; a benchmark, not a test).
#
#   bash bench/latency/run.sh          # ~1 min on the shared 2-core VM
#   QUICK=1 bash bench/latency/run.sh  # shorter runs
#
# stampfeed.c sends RATE lines a second (default 100,000) over loopback TCP
# for SECS seconds, each line the moment it was written (CLOCK_MONOTONIC
# ns).  latency.dstream reads them with socketTextStream, maps each to an
# Int and hands it to foreachRecord, which runs at the end of the batch
# (lat.c): the latency of a record is that moment minus its stamp, so it
# counts the wait for the block and the batch, the batch's processing and
# the output, everything but what a real output's I/O would add.  The first
# second (the connection, the first batches) is left out.  One run per batch
# interval (INTERVALS, default "10ms 100ms 1s"), --workers 1, in turn.
#
# Writes bench/latency/REPORT.md: per interval, the records measured and the
# p50, p99, p99.9 and largest latency in ms, and the scheduling delays the
# program itself warned about.  Raw results in bench/out/latency/.
#
# Environment: QUICK (0), RATE (100000), SECS (10; QUICK 5), INTERVALS,
# DSTREAMC (default build/dstreamc, else bench/lib.sh's Release build), CC.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BENCH_NAME=latency
W=$ROOT/bench/out/latency
mkdir -p "$W"
# shellcheck source=../lib.sh
source bench/lib.sh
QUICK=${QUICK:-0}
RATE=${RATE:-100000}
SECS=${SECS:-$([[ $QUICK == 1 ]] && echo 5 || echo 10)}
INTERVALS=${INTERVALS:-10ms 100ms 1s}
CC=${CC:-cc}
if [[ -z ${DSTREAMC:-} && -x build/dstreamc ]]; then DSTREAMC=$ROOT/build/dstreamc; fi
find_dstreamc

"$CC" -O2 -Wall -Wextra -o "$W/stampfeed" bench/latency/stampfeed.c

ms_of() { # 10ms -> 10, 1s -> 1000
	case $1 in *ms) echo "${1%ms}" ;; *s) echo $((${1%s} * 1000)) ;; *) die "interval $1?" ;; esac
}

rows=()
for iv in $INTERVALS; do
	ms=$(ms_of "$iv")
	d=$W/$iv
	rm -rf "$d" && mkdir -p "$d"
	"$W/stampfeed" --rate "$RATE" --secs "$SECS" >"$d/feed.out" 2>"$d/feed.err" &
	feed=$!
	for _ in $(seq 50); do [[ -s $d/feed.out ]] && break; sleep 0.1; done
	port=$(awk '$1 == "port" { print $2 }' "$d/feed.out")
	[[ -n $port ]] || die "stampfeed did not start"
	sed -e "s/9999/$port/" -e "s/^batch 10ms;/batch $iv;/" bench/latency/latency.dstream >"$d/latency.dstream"
	cp bench/latency/lat.c bench/latency/lat.h "$d/"
	(cd "$d" && "$DSTREAMC" build latency.dstream lat.c -o prog) || die "build failed ($iv)"
	batches=$(((SECS * 1000 + ms - 1) / ms + 1))
	log "batch $iv: $RATE records/s for $SECS s, $batches batches"
	(cd "$d" && LAT_OUT=lat.txt timeout $((SECS + 30)) ./prog --workers 1 --batches "$batches" >prog.out 2>prog.err) ||
		log "the program exited with $? ($iv), see $d/prog.err"
	wait "$feed" || true
	read -r n p50 p99 p999 max <"$d/lat.txt"
	late=$(grep -c 'started [0-9]* ms late' "$d/prog.err" || true)
	rows+=("$(awk -v iv="$iv" -v n="$n" -v a="$p50" -v b="$p99" -v c="$p999" -v m="$max" -v late="$late" \
		'BEGIN { printf "| %s | %d | %.1f | %.1f | %.1f | %.1f | %d |", iv, n, a / 1000, b / 1000, c / 1000, m / 1000, late }')")
done

{
	echo "# Arrival-to-output latency (bench/latency/run.sh)"
	echo
	echo "$RATE records/s over loopback TCP for $SECS s per interval, one run each, --workers 1,"
	echo "on $(nproc) cores shared with whatever else ran ($(date -u +%Y-%m-%d), load average"
	echo "$(cut -d' ' -f1-3 /proc/loadavg) at the end). Latency: from the moment the sender wrote a"
	echo "record to the moment the program's foreachRecord output saw it, the first second left out."
	echo "\"late\": batches the program warned started later than an interval."
	echo
	echo "| batch interval | records | p50 ms | p99 ms | p99.9 ms | max ms | late |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	printf '%s\n' "${rows[@]}"
} >bench/latency/REPORT.md
cat bench/latency/REPORT.md
