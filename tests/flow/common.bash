# common.bash: shared by the tests in tests/flow/ (sourced, not a test:
# CTest only runs *.sh).  Every test is `bash SCRIPT DSTREAMC WORKDIR`.
#
# After test_begin (tests/lib.sh): PY (a python3), free_port, the slow
# program (build_slow), start_sender, batches (the --metrics-json lines of
# the batches as TSV), and the background processes killed on exit (bg).
HERE=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd) # before test_begin's cd
source "$HERE/../lib.sh"
test_begin "$(basename -- "$0" .sh)" "$@"
set -uo pipefail

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { fail "no python3"; test_end; }

BG_PIDS=()
kill_bg() {
	local p
	for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	BG_PIDS=()
}
trap kill_bg EXIT
trap 'kill_bg; exit 1' INT TERM HUP

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# build_slow PORT [NS]: ./slow, a socketTextStream program on PORT whose one
# stage spins NS ns of CPU per record (work() in slow.c; default 200000): at
# 200 us one worker sustains about 5000 records/s (each line is 100 bytes:
# 500 KB/s).  It prints each batch's count.
build_slow() {
	write_spin_udf "${2:-200000}"
	cat >slow.dstream <<D
extern "slow.h";
app "Slow";
batch 1s;
val lines = socketTextStream("127.0.0.1", $1);
lines.map(l => work(l)).count().print();
D
	"$DSTREAMC" build slow.dstream slow.c -o slow >build.log 2>&1 || { fail "dstreamc build: $(cat build.log)"; test_end; }
}

# start_sender PORT SECONDS PLAN: tests/flow/sender.py in the background;
# it writes how many lines it sent to sent.txt when it is done.
start_sender() {
	rm -f sent.txt sent.txt.ready
	"$PY" "$HERE/sender.py" "$1" "$2" "$3" sent.txt 2>sender.err &
	BG_PIDS+=($!)
	wait_for 10 test -e sent.txt.ready || { fail "the sender did not listen on $1: $(cat sender.err)"; test_end; }
}

# batches FILE: the batch lines of a --metrics-json file as TSV: time_ms
# records_in scheduling_delay_ms processing_ms rate_limit queued_bytes.
batches() {
	"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    x = json.loads(l)
    if x["event"] == "batch":
        print(x["time_ms"], x["records_in"], x["scheduling_delay_ms"], round(x["processing_ms"]),
              round(x["rate_limit"]), x["queued_bytes"], sep="\t")' "$1"
}

# total KEY FILE: KEY in the totals of a --metrics-json file's last run.
total() {
	"$PY" -c '
import json, sys
t = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{\"event\": \"end\"")]
print(t[-1]["totals"][sys.argv[1]] if t else "none")' "$1" "$2"
}

# run_slow SECONDS PLAN FLAGS...: a sender on a free port (start_sender
# SECONDS PLAN) and ./slow with FLAGS and --metrics-json m.json (stdout in
# out.txt, stderr in err.txt); waits for the sender to end, then until every
# line it sent is in a batch (60 s at most), then stops the program with
# SIGTERM.  Sets t0 (the start), t1 (the sender's end) and sent; checks the
# exit status, and that the printed counts and records_in are what was sent.
run_slow() {
	local secs=$1 plan=$2 port
	shift 2
	port=$(free_port)
	build_slow "$port"
	start_sender "$port" "$secs" "$plan"
	t0=$(now_ms)
	./slow --metrics-json m.json "$@" >out.txt 2>err.txt &
	local pid=$!
	BG_PIDS+=($pid)
	wait_for $((secs + 15)) test -s sent.txt || fail "the sender did not finish in $((secs + 15)) s: $(cat sender.err)"
	t1=$(now_ms)
	sent=$(cat sent.txt 2>/dev/null || echo 0)
	in_batches() { [ "$(batches m.json | awk '{ s += $2 } END { print s + 0 }')" -ge "$sent" ]; }
	wait_for 60 in_batches || fail "not every line sent ($sent) was in a batch 60 s after the sender ended"
	kill -TERM $pid
	wait $pid || fail "the program exited $? after SIGTERM: $(cat err.txt)"
	local counted
	counted=$(awk '/^[0-9]+$/ { s += $1 } END { print s + 0 }' out.txt)
	[ "$counted" -eq "$sent" ] || fail "the batches counted $counted lines, the sender sent $sent"
	[ "$(total records_in m.json)" = "$sent" ] || fail "records_in $(total records_in m.json), sent $sent"
}
