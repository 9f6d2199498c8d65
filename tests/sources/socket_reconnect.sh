#!/usr/bin/env bash
# socket_reconnect.sh DSTREAMC WORKDIR: the server goes away mid-run and
# comes back on the same port.
#
# Server A (lineserv.c, one client) sends chunk A; once the program has
# printed the batch holding it, A is killed, and 1.5 s later server B starts
# on the same port and sends chunk B to the program once it is back.  Then
# server B goes away too, and 1 s later (the program retrying) SIGTERM.
# Checks: the program is alive throughout and stops within 3 s of SIGTERM
# with status 0; stderr says, exactly and once per change (runtime/socket.c's
# messages), that the server closed the connection, that a retry was
# refused, that it connected again, then closed and refused again; the word
# totals over all batches are exactly chunk A + chunk B (no line lost, none
# counted twice; chunk A's last line has no newline: it is counted when
# server A goes away); stdout is complete print blocks with consecutive
# times that are multiples of 1000.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

cd "$WORK" || exit 2
build_lineserv

# Chunk A ends with a line without its newline: the server's close ends it.
awk 'BEGIN { for (i = 0; i < 499; i++) print "before", "a" (i % 5) }' >chunkA.txt
printf 'before a4' >>chunkA.txt
awk 'BEGIN { for (i = 0; i < 700; i++) print "after", "b" (i % 3), "a" (i % 2) }' >chunkB.txt
cat >expected_totals.txt <<'EOF'
a0 450
a1 450
a2 100
a3 100
a4 100
after 700
b0 234
b1 233
b2 233
before 500
EOF
expected_totals chunkA.txt chunkB.txt >computed.txt
expect_same "oracle (test self-check)" expected_totals.txt computed.txt

start_lineserv lsA.out --align 100 chunkA.txt
PORT=$LS_PORT
PID_A=$LS_PID

cat >wc.dstream <<EOF
app "SocketReconnect";
batch 1s;
val lines = socketTextStream("127.0.0.1", $PORT);
val counts = lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.print(100);
EOF
"$DSTREAMC" build wc.dstream -o prog >build.log 2>&1 || fatal "dstreamc build failed: $(cat build.log)"

# No --batches: the run ends with SIGTERM (the EXIT trap kills it otherwise).
./prog >out.txt 2>err.txt &
PROG=$!
BG_PIDS+=("$PROG")

alive() { kill -0 "$PROG" 2>/dev/null; }
# printed_after T: the program has printed a block with time > T.
printed_after() { awk -v t="$1" '/^Time: [0-9]+ ms$/ && $2 + 0 > t + 0 { f = 1 } END { exit !f }' out.txt; }

wait_for 10 has_sent lsA.out 1 || fatal "server A never sent its chunk (no connection?); stderr: $(cat err.txt)"
sentA=$(sent_time lsA.out 1)
# The batch after the one holding chunk A is out: A has been counted.
wait_for 10 printed_after $(((sentA / 1000 + 1) * 1000)) || fatal "no batch printed after chunk A; stderr: $(cat err.txt)"
alive || fatal "the program died before the server went away; stderr: $(cat err.txt)"

kill -TERM "$PID_A"
wait "$PID_A" 2>/dev/null
bg_forget "$PID_A"
gone=$(now_ms)

# Down long enough for at least one refused retry (back-off: 0.1 s, 0.2 s, ...).
sleep_until_ms $((gone + 1500))
alive || fatal "the program died while the server was away; stderr: $(cat err.txt)"
start_lineserv lsB.out --port "$PORT" --align 100 chunkB.txt
[ "$LS_PORT" = "$PORT" ] || fatal "server B is on port $LS_PORT, not $PORT"

wait_for 20 has_sent lsB.out 1 || fatal "the program did not reconnect to server B within 20 s; stderr: $(cat err.txt)"
sentB=$(sent_time lsB.out 1)
wait_for 10 printed_after $(((sentB / 1000 + 1) * 1000)) || fatal "no batch printed after chunk B; stderr: $(cat err.txt)"
alive || fatal "the program died after reconnecting; stderr: $(cat err.txt)"

# Server B goes away too; SIGTERM while the receiver is retrying.
kill -TERM "$LS_PID"
wait "$LS_PID" 2>/dev/null
bg_forget "$LS_PID"
sleep 1
alive || fatal "the program died when server B went away; stderr: $(cat err.txt)"

kill -TERM "$PROG"
signalled=$(now_ms)
deadline=$((signalled + 10000))
while alive && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
stopped=$(now_ms)
[ $((stopped - signalled)) -le 3000 ] ||
	fail "the program took $((stopped - signalled)) ms to stop after SIGTERM while retrying (expected < 3 s: a batch or so)"
if alive; then
	fail "the program did not exit within 10 s of SIGTERM"
	kill -KILL "$PROG" 2>/dev/null
fi
wait "$PROG"
rc=$?
bg_forget "$PROG"
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM (expected 0)"

cat >expected_err.txt <<EOF
prog: socketTextStream 127.0.0.1:$PORT: connection closed by server; reconnecting
prog: socketTextStream 127.0.0.1:$PORT: connection refused; retrying in 0.1s
prog: socketTextStream 127.0.0.1:$PORT: connected
prog: socketTextStream 127.0.0.1:$PORT: connection closed by server; reconnecting
prog: socketTextStream 127.0.0.1:$PORT: connection refused; retrying in 0.1s
EOF
expect_same "stderr" expected_err.txt err.txt

parse_blocks out.txt >blocks.tsv || fatal "stdout is not a sequence of print blocks (see above)"
check_times blocks.tsv 1000 || fail "batch times (above)"
word_totals blocks.tsv >actual_totals.txt
expect_same "word totals over all batches" expected_totals.txt actual_totals.txt

finish
