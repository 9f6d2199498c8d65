# common.bash: shared by the tests in tests/sources/ (sourced, not a test:
# CTest only runs *.sh).  Every test is `bash SCRIPT DSTREAMC WORKDIR`.
#
# Sets: HERE (this directory), DSTREAMC, LINEFEED, WORK (absolute, fresh).
# Gives: bg/cleanup (background processes killed on exit), fail/finish,
# wait_for, now_ms, sleep_until_ms, build_lineserv, start_lineserv,
# parse_blocks, word_totals, check_blocks.

set -uo pipefail

# now_ms, wait_for (its fail and finish are this file's own, below)
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"

HERE=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
TEST_NAME=$(basename -- "$0" .sh)

if [ $# -ne 2 ]; then
	echo "usage: $0 DSTREAMC WORKDIR" >&2
	exit 2
fi
DSTREAMC=$(realpath -e -- "$1") || { echo "$TEST_NAME: no such compiler: $1" >&2; exit 2; }
LINEFEED=$(dirname -- "$DSTREAMC")/linefeed
case "$2" in
'' | / | /. | . | ..) echo "$TEST_NAME: refusing to use '$2' as the work directory" >&2; exit 2 ;;
esac
rm -rf -- "$2" && mkdir -p -- "$2" || { echo "$TEST_NAME: cannot create $2" >&2; exit 2; }
WORK=$(realpath -e -- "$2")
CC=${CC:-cc}

# ---- background processes ---------------------------------------------------
BG_PIDS=()
cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

# bg_forget PID: a process the test has already reaped.
bg_forget() {
	local keep=() p
	for p in "${BG_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
}

# ---- verdicts ------------------------------------------------------------------
FAILED=0
fail() {
	echo "FAIL $TEST_NAME: $*"
	FAILED=1
}
# fatal MESSAGE: a failure after which the rest cannot be checked.
fatal() {
	fail "$*"
	echo "FAIL $TEST_NAME (work directory: $WORK)"
	exit 1
}
finish() {
	if [ "$FAILED" -ne 0 ]; then
		echo "FAIL $TEST_NAME (work directory: $WORK)"
		exit 1
	fi
	exit 0
}

# expect_same WHAT EXPECTED_FILE ACTUAL_FILE: diff -u on a mismatch.
expect_same() {
	if ! cmp -s -- "$2" "$3"; then
		fail "$1 differs (expected vs actual):"
		diff -u --label "expected $1" --label "actual $1" -- "$2" "$3" | head -n 80
	fi
}

# ---- time -----------------------------------------------------------------------

# sleep_ms MS
sleep_ms() {
	local d=$1
	[ "$d" -gt 0 ] || return 0
	sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
}

# sleep_until_ms EPOCH_MS
sleep_until_ms() { sleep_ms $(($1 - $(now_ms))); }


# ---- the line server --------------------------------------------------------------
build_lineserv() {
	"$CC" -std=c11 -O1 -Wall -Wextra -o "$WORK/lineserv" "$HERE/lineserv.c" ||
		fatal "cannot compile $HERE/lineserv.c"
}

# start_lineserv OUTFILE ARGS...: starts lineserv in the background with its
# stdout in OUTFILE, waits for its "port N" line; sets LS_PID and LS_PORT.
start_lineserv() {
	local out=$1
	shift
	: >"$out"
	"$WORK/lineserv" "$@" >"$out" 2>"$out.err" &
	LS_PID=$!
	BG_PIDS+=("$LS_PID")
	wait_for 10 grep -q '^port [0-9]' "$out" || fatal "lineserv did not start: $(cat "$out.err")"
	LS_PORT=$(awk '$1 == "port" { print $2; exit }' "$out")
}

# sent_time OUTFILE K: the epoch ms lineserv sent its K-th file at ("" if not yet).
sent_time() { awk -v k="$2" '$1 == "sent" && $2 == k { print $3; exit }' "$1"; }
has_sent() { [ -n "$(sent_time "$1" "$2")" ]; }

# ---- Spark print blocks -------------------------------------------------------------
# parse_blocks STDOUT_FILE: checks that the file is a sequence of complete
# print blocks (43 '-', "Time: <ms> ms", 43 '-', records, an empty line) and
# writes "B<TAB>T" per block and "R<TAB>T<TAB>record" per record on stdout.
# On a malformed file: a message on stderr, exit 1.  "..." counts as a
# malformation here: the tests print with a limit above their record count.
parse_blocks() {
	awk '
	BEGIN { dash = "-------------------------------------------"; st = 0; OFS = "\t" }
	function bad(m) { printf "line %d: %s: \"%s\"\n", NR, m, $0 > "/dev/stderr"; err = 1; exit 1 }
	st == 0 { if ($0 != dash) bad("expected the first dash line of a block"); st = 1; next }
	st == 1 {
		if ($0 !~ /^Time: (0|[1-9][0-9]*) ms$/) bad("expected \"Time: <ms> ms\"")
		t = $2; print "B", t; st = 2; next
	}
	st == 2 { if ($0 != dash) bad("expected the second dash line of a block"); st = 3; next }
	st == 3 {
		if ($0 == "") { st = 0; next }
		if ($0 == "...") bad("unexpected \"...\" (more records than the print limit)")
		if ($0 == dash) bad("a dash line inside the records (block without its empty line)")
		print "R", t, $0; next
	}
	END { if (!err && st != 0) { printf "the output ends inside a block (state %d)\n", st > "/dev/stderr"; exit 1 } }
	' "$1"
}

# check_times BLOCKS_FILE INTERVAL_MS: block times are multiples of the
# interval and consecutive (each one interval after the one before).
check_times() {
	awk -F '\t' -v iv="$2" '
	$1 == "B" {
		if ($2 % iv != 0) { printf "batch time %s is not a multiple of %d\n", $2, iv; bad = 1 }
		if (n++ && $2 != prev + iv) { printf "batch time %s follows %s (expected %d)\n", $2, prev, prev + iv; bad = 1 }
		prev = $2
	}
	END { exit bad }' "$1"
}

# word_totals BLOCKS_FILE: sums "(word,count)" records over all blocks;
# prints "word count" lines sorted by word (C locale).  A record that is
# not "(x,<int>)" is printed as "MALFORMED <record>".
word_totals() {
	awk -F '\t' '
	$1 == "R" {
		r = $3
		if (r !~ /^\(.*,-?[0-9]+\)$/) { print "MALFORMED " r; next }
		c = r; sub(/^.*,/, "", c); sub(/\)$/, "", c)
		w = substr(r, 2, length(r) - 2 - length(c) - 1)
		tot[w] += c
	}
	END { for (w in tot) print w, tot[w] }' "$1" | LC_ALL=C sort
}

# expected_totals FILE...: the word counts of the files' lines split on
# single spaces (the inputs of these tests have no empty words); a last line
# without its newline is a line.
expected_totals() {
	awk '{ for (i = 1; i <= NF; i++) n[$i]++ } END { for (w in n) print w, n[w] }' "$@" |
		LC_ALL=C sort
}

# block_count BLOCKS_FILE
block_count() { awk -F '\t' '$1 == "B"' "$1" | wc -l; }
