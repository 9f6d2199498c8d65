#!/usr/bin/env bash
# save_leftovers.sh DSTREAMC WORKDIR: a start removes the temporary files
# that a run killed in the middle of saveAsTextFiles left, and only those.
#
# The program saves each of 3 queueStream batches (14 MB each) to
# out/wc-<ms>.txt.  Run 1 is killed with SIGKILL by killsave the moment its
# first temporary file appears in out/: it leaves .wc-1000.txt.tmp-<pid>.
# Beside it the test puts, with DEAD the PID of a process that has ended
# and LIVE one of a process still running:
#   .wc-9000.txt.tmp-DEAD      a leftover too                     removed
#   .wc-7000.txt.tmp-LIVE      its writer may be writing it       kept
#   .wc-8000.txt.tmp-DEAD      locked (flock(1)): a writer that
#                              another PID namespace may hold     kept
#   .other-1000.txt.tmp-DEAD   another output's prefix            kept
#   .wc-1000.csv.tmp-DEAD      another suffix                     kept
#   .wc-1000.txt.tmp-DEADx     not the temporary-name format      kept
# Run 2 (not killed) exits 0 with stderr exactly
#   prog: save.dstream:4:7: saveAsTextFiles: removed 2 unfinished files that a killed run left in 'out'
# and out/ then holds exactly wc-1000.txt, wc-2000.txt, wc-3000.txt (each
# equal to its batch's lines) and the five kept files.  Run 3 has nothing
# to remove and says nothing.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"
cd "$WORK" || exit 2

"$CC" -std=c11 -O1 -Wall -Wextra -o killsave "$HERE/killsave.c" || fatal "cannot compile killsave.c"

# 3 batches of 200000 lines of 70 bytes
awk 'BEGIN {
	for (b = 1; b <= 3; b++) {
		f = sprintf("batch%d.txt", b)
		for (i = 0; i < 200000; i++) printf "batch %d line %07d %s\n", b, i, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv" > f
		close(f)
	}
}'
{ cat batch1.txt; echo ---; cat batch2.txt; echo ---; cat batch3.txt; } >in.txt
[ "$(stat -c %s batch1.txt)" -eq 14000000 ] || fatal "batch1.txt is $(stat -c %s batch1.txt) bytes"

cat >save.dstream <<'EOF'
app "SaveLeftovers";
batch 1s;
val lines = queueStream("in.txt");
lines.saveAsTextFiles("out/wc", "txt");
EOF
"$DSTREAMC" build save.dstream -o prog >build.log 2>&1 || fatal "dstreamc build failed: $(cat build.log)"

# run 1: killed mid-save
mkdir out
./killsave out ./prog --workers 1 >run1.out 2>run1.err
rc=$?
[ "$rc" -eq 0 ] || fatal "run 1: killsave exit $rc: $(cat run1.out run1.err)"
read -r _ PID1 NAME1 <run1.out
[ "$NAME1" = ".wc-1000.txt.tmp-$PID1" ] || fatal "run 1: killed at '$NAME1' (expected .wc-1000.txt.tmp-$PID1)"
[ -e "out/$NAME1" ] || fatal "run 1: out/$NAME1 is not there after the kill"
[ ! -e out/wc-1000.txt ] || fatal "run 1: wc-1000.txt was renamed before the kill"

# the files beside it
sh -c 'echo $$' >dead.pid
DEAD=$(cat dead.pid)
kill -0 "$DEAD" 2>/dev/null && fatal "process $DEAD is still alive"
sleep 60 &
LIVE=$!
BG_PIDS+=("$LIVE")
for f in ".wc-9000.txt.tmp-$DEAD" ".wc-7000.txt.tmp-$LIVE" ".wc-8000.txt.tmp-$DEAD" ".other-1000.txt.tmp-$DEAD" \
	".wc-1000.csv.tmp-$DEAD" ".wc-1000.txt.tmp-${DEAD}x"; do
	echo partial >"out/$f"
done
flock "out/.wc-8000.txt.tmp-$DEAD" sleep 60 &
LOCKER=$!
BG_PIDS+=("$LOCKER")
wait_for 5 eval "! flock -n out/.wc-8000.txt.tmp-$DEAD true" || fatal "flock(1) did not take its lock"

# run 2: removes the two leftovers
./prog --workers 1 >run2.out 2>run2.err
rc=$?
[ "$rc" -eq 0 ] || fail "run 2: exit $rc (expected 0)"
printf "prog: save.dstream:4:7: saveAsTextFiles: removed 2 unfinished files that a killed run left in 'out'\n" >run2.want
expect_same "run 2: stderr" run2.want run2.err
printf '%s\n' ".other-1000.txt.tmp-$DEAD" ".wc-1000.csv.tmp-$DEAD" ".wc-1000.txt.tmp-${DEAD}x" ".wc-7000.txt.tmp-$LIVE" \
	".wc-8000.txt.tmp-$DEAD" wc-1000.txt wc-2000.txt wc-3000.txt | LC_ALL=C sort >files.want
(cd out && ls -A) | LC_ALL=C sort >files.got
expect_same "run 2: the files in out/" files.want files.got
for b in 1 2 3; do
	cmp -s "batch$b.txt" "out/wc-${b}000.txt" || fail "run 2: out/wc-${b}000.txt is not batch $b's lines"
done

# run 3: nothing left to remove, nothing said
./prog --workers 1 >run3.out 2>run3.err
rc=$?
[ "$rc" -eq 0 ] || fail "run 3: exit $rc (expected 0)"
[ ! -s run3.err ] || fail "run 3: stderr not empty: $(head -c 500 run3.err)"
(cd out && ls -A) | LC_ALL=C sort >files3.got
expect_same "run 3: the files in out/" files.want files3.got

finish
