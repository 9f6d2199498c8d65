# common.bash: shared by the tests in tests/http/ (sourced, not a test: CTest
# only runs *.sh).  Every test is `bash SCRIPT DSTREAMC WORKDIR`.
#
# Sets HERE (this directory).  After test_begin (tests/lib.sh): builds the test program, a queueStream of
# NBATCHES batches where batch k holds the numbers 1..k and, when k is even,
# one bad line ("x": toInt drops it).  Gives start_prog (the program in the
# background with --pace 300ms --http 127.0.0.1:0, killed on exit), get
# (curl), batches_run, at_least, and tests/lib.sh's now_ms and wait_for.
HERE=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd) # before test_begin's cd
source "$HERE/../lib.sh"
test_begin "$(basename -- "$0" .sh)" "$@"
set -uo pipefail

command -v curl >/dev/null || { fail "curl is not installed (scripts/dev.sh installs it)"; test_end; }

APP='Http "status" test' # a quote: label values and JSON strings are escaped
NBATCHES=150             # 45 s at --pace 300ms: longer than any test runs
WORKERS=2
awk -v n=$NBATCHES 'BEGIN {
	for (k = 1; k <= n; k++) {
		for (i = 1; i <= k; i++) print i
		if (k % 2 == 0) print "x"
		print "---"
	}
}' >in.txt
cat >status.dstream <<'DSTREAM'
app "Http \"status\" test";
batch 1s;
val lines = queueStream("in.txt");
lines.map(s => toInt(s) * 2).print(3);
DSTREAM
"$DSTREAMC" build status.dstream -o prog >build.log 2>&1 || { fail "dstreamc build: $(cat build.log)"; test_end; }

PROG_PID=
kill_prog() {
	[ -n "$PROG_PID" ] || return 0
	kill -KILL "$PROG_PID" 2>/dev/null
	wait "$PROG_PID" 2>/dev/null
	PROG_PID=
}
trap kill_prog EXIT
trap 'kill_prog; exit 1' INT TERM HUP

# start_prog: ./prog in the background; waits (10 s at most) for its line
# "prog: http: serving on http://127.0.0.1:PORT/".  Sets PROG_PID, PORT and
# URL; false if it did not say it.
start_prog() {
	./prog --pace 300ms --quiet --workers $WORKERS --http 127.0.0.1:0 >prog.out 2>prog.err &
	PROG_PID=$!
	wait_for 10 grep -q '^prog: http: serving on http://127\.0\.0\.1:[0-9]*/$' prog.err || return 1
	PORT=$(sed -n 's|^prog: http: serving on http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' prog.err)
	URL=http://127.0.0.1:$PORT
}

# get PATH FILE [CURL ARGS]: PATH from the program into FILE (5 s at most);
# prints the status code.
get() {
	local path=$1 file=$2
	shift 2
	curl -s -m 5 -o "$file" -w '%{http_code}' "$@" "$URL$path"
}

# batches_run: how many batches /api/batches lists (fewer than its 1000 here).
batches_run() {
	[ "$(get /api/batches count.json)" = 200 ] &&
		/usr/bin/python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["batches"]))' count.json
}

# at_least N: batches_run is N or more.
at_least() { local n; n=$(batches_run) && [ "$n" -ge "$1" ]; }
