#!/usr/bin/env bash
# fault_sweep.sh DSTREAMC WORKDIR: every fallible call of a run fails, one at
# a time (DS_FAULT, runtime/fault.c; issue 15 item 2).
#
# The program keeps state (updateStateByKey), a window with an inverse
# function and one without, checkpoints every 2 batches and saves each
# output with saveAsTextFiles; 8 batches of a queueStream.  A clean run is
# the reference, and a run with DS_FAULT=count:FILE says how many calls of
# each kind (open, write, fsync, rename, mkdir, read, mmap, trunc) it makes.
# Then, for every kind and every N up to its count, a fresh directory:
#   1. a run with DS_FAULT=KIND:N (the Nth call fails, with the errno of a
#      real failure: ENOSPC, EIO, EMFILE...) exits 0 or 1, never by a
#      signal and never after the timeout; exit 1 says why in one line
#      "prog: ...: <the error>" on stderr;
#   2. no output file under its final name differs from the reference's:
#      what is visible is whole;
#   3. a restart in the same directory, without faults, exits 0 and leaves
#      out/ identical to the reference's, byte for byte, with no temporary
#      file in out/ or ck/.
# About 110 points, two short runs each: ~15 s on the shared 2-core VM.
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin fault_sweep "$@"

awk 'BEGIN { for (b = 0; b < 8; b++) { for (i = 0; i <= b % 5; i++) print "w" (b + i) % 7; print "---" } }' >in.txt
cat >p.dstream <<'P'
batch 1s;
checkpoint "ck" every 2s;
val kv = queueStream("in.txt").map(w => (w, 1));
kv.updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0))).saveAsTextFiles("out/totals");
kv.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 3s, 1s).saveAsTextFiles("out/inc");
kv.window(2s).countByValue().saveAsTextFiles("out/win");
P
"$DSTREAMC" build p.dstream -o prog >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
run() { timeout -k 2 20 ../prog --quiet --source-path 0=../in.txt; }

mkdir ref && (cd ref && run) || fail "reference run"
mkdir count && (cd count && DS_FAULT=count:../counts.txt run) || fail "counting run"
cmp -s <(cd ref/out && cat -- *) <(cd count/out && cat -- *) || fail "counting changed the outputs"
[ "$(awk '{ n += $2 } END { print n }' counts.txt)" -ge 60 ] || fail "too few calls counted: $(cat counts.txt)"
bad=$(DS_FAULT=write:0 ./prog --quiet 2>&1; echo "exit $?")
[ "$bad" = "prog: DS_FAULT='write:0': expected KIND:N[,KIND:N...] (N >= 1, at most 16) with KIND one of open, write, fsync, rename, mkdir, read, mmap, trunc; or count:PATH
exit 2" ] || fail "a malformed DS_FAULT: $bad"

points=0 failed_runs=0
while read -r kind count; do
	for ((n = 1; n <= count; n++)); do
		points=$((points + 1))
		d=$kind-$n
		mkdir "$d"
		(cd "$d" && DS_FAULT=$kind:$n run >run.out 2>run.err)
		s=$?
		case $s in
		0) ;;
		1)
			failed_runs=$((failed_runs + 1))
			grep -qE '^prog: .*: (No space left on device|Input/output error|Too many open files|Cannot allocate memory)' "$d/run.err" ||
				fail "$kind:$n: exit 1 without the error's message: $(head -c 300 "$d/run.err")"
			;;
		*) fail "$kind:$n: exit status $s (a signal or the timeout): $(head -c 300 "$d/run.err")" ;;
		esac
		if [ -d "$d/out" ]; then
			for f in "$d"/out/*; do
				[ -e "$f" ] || continue
				cmp -s "$f" "ref/out/${f##*/}" || fail "$kind:$n: ${f#"$d"/} is visible and differs from the reference"
			done
		fi
		(cd "$d" && run >restart.out 2>restart.err) || fail "$kind:$n: the restart exited $?: $(head -c 300 "$d/restart.err")"
		diff -r ref/out "$d/out" >/dev/null 2>&1 || fail "$kind:$n: after the restart, out/ differs from the reference"
		left=$(ls -A "$d/out" "$d/ck" 2>/dev/null | grep -i 'tmp' || true)
		[ -z "$left" ] || fail "$kind:$n: temporary files left: $left"
	done
done <counts.txt
echo "fault_sweep: $points fault points ($(tr '\n' ' ' <counts.txt)), $failed_runs stopped with exit 1"
[ "$points" -ge 60 ] || fail "only $points points"
[ "$failed_runs" -ge 10 ] || fail "only $failed_runs faults stopped the program: are faults injected?"
test_end
