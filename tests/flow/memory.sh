#!/usr/bin/env bash
# memory.sh DSTREAMC WORKDIR: --max-memory bounds the resident set when the
# input outruns the program, with backpressure off (the memory bound alone).
#
# linefeed serves 100-byte lines as fast as the socket takes them (over
# 100 MB/s on loopback); the program (common.bash's slow, 2 us a record:
# some 40 MB/s) runs 6 s.  Unbounded but by the default --max-queued (64M),
# its peak RSS is the queue plus the batch taken from it: over 100 MiB.
# With --max-memory 64M the receiver stops reading whenever the resident
# set passes 64 MiB (checked every MiB read and at every cut): the peak
# stays under 64 MiB plus 24 MiB (what a batch allocates while it runs, and
# the allocator's slack).  With --max-queued 8M instead, the queue and the
# batch taken from it hold 16 MiB: the peak stays under 16 + 24 MiB.  All
# runs read lines (the bound slows the input,
# it does not stop it), and the bounded one says nothing on stderr.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

LINEFEED=$(dirname -- "$DSTREAMC")/linefeed
[ -x "$LINEFEED" ] || { fail "no linefeed beside dstreamc"; test_end; }
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "%-99d\n", i }' >lines.txt
"$LINEFEED" --port 0 --rate 0 --loop lines.txt >lf.out 2>lf.err &
BG_PIDS+=($!)
wait_for 10 grep -q '^port [0-9]*$' lf.out || { fail "linefeed did not start: $(cat lf.err)"; test_end; }
PORT=$(awk '{ print $2 }' lf.out)
build_slow "$PORT" 2000

run() { # NAME FLAGS...: a 6 s run; prints its peak RSS
	local name=$1
	shift
	timeout -k 5 30 ./slow --workers 1 --no-backpressure --duration 6s --metrics-json "$name.json" "$@" \
		>"$name.out" 2>"$name.err" || fail "$name: exit $?: $(cat "$name.err")"
	total max_rss_bytes "$name.json"
}
free=$(run free)
bound=$(run bound --max-memory 64M)
queued=$(run queued --max-queued 8M)
echo "peak RSS: $((free >> 20)) MiB unbounded (default --max-queued), $((bound >> 20)) MiB with --max-memory 64M, $((queued >> 20)) MiB with --max-queued 8M"
[ "$queued" -lt $(((16 + 24) << 20)) ] || fail "with --max-queued 8M the peak RSS was $queued bytes"
[ "$(total records_in queued.json)" -gt 100000 ] || fail "the --max-queued 8M run read $(total records_in queued.json) lines"
[ "$free" -gt $((100 << 20)) ] || fail "unbounded, the peak RSS was only $free bytes: the input did not outrun the program"
[ "$bound" -lt $(((64 + 24) << 20)) ] || fail "with --max-memory 64M the peak RSS was $bound bytes"
[ "$(total records_in bound.json)" -gt 100000 ] || fail "the bounded run read $(total records_in bound.json) lines"
[ -z "$(news bound.err)" ] || fail "the bounded run said: $(cat bound.err)"
test_end
