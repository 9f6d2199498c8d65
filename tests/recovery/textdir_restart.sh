#!/usr/bin/env bash
# textdir_restart.sh DSTREAMC WORKDIR: textFileStream's position across kill -9.
#
# A textFileStream program (batch 500ms, a checkpoint every 1s) saves the
# lines it reads and keeps a running word count.  f1 arrives, the program is
# killed with SIGKILL; f2 arrives while it is down; it is started again and
# f3 arrives; then SIGTERM.  Checks: every line of f1, f2 and f3 is saved
# exactly once across all output files (a file read before the checkpoint is
# not read again; one read after it is read again in the batches that run
# again, replacing their files; one that came while the program was down is
# new); the final counts are those of the three files.
source "$(dirname -- "${BASH_SOURCE[0]}")/../sources/common.bash" "$@"
cd "$WORK" || exit 2
mkdir in
cat >p.dstream <<'P'
batch 500ms;
checkpoint "ck" every 1s;
val lines = textFileStream("in");
lines.saveAsTextFiles("out/lines");
lines.flatMap(l => split(l, " ")).map(w => (w, 1)).updateStateByKey((vs, s) => Some(sum(vs) + getOrElse(s, 0))).saveAsTextFiles("out/counts");
P
"$DSTREAMC" build p.dstream -o prog >build.log 2>&1 || fatal "build: $(cat build.log)"
arrive() { printf '%s\n' "$2" >"in/.$1" && mv "in/.$1" "in/$1"; }

./prog --quiet >run1.out 2>run1.err &
pid=$!
BG_PIDS+=("$pid")
sleep_ms 800
arrive f1 "a b"
sleep_ms 1800
kill -KILL "$pid"
wait "$pid" 2>/dev/null
arrive f2 "a c"
sleep_ms 300
./prog --quiet >run2.out 2>run2.err &
pid=$!
BG_PIDS+=("$pid")
sleep_ms 1500
arrive f3 "c d"
sleep_ms 1500
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM: $(cat run2.err)"
grep -q "recovered from" run2.err || fail "the restart did not recover: $(cat run2.err)"

cat out/lines-* | sort >lines.txt
printf 'a b\na c\nc d\n' >expected.txt
diff -u expected.txt lines.txt || fail "each line once across the output files"
last=$(ls out | grep '^counts-' | sort -t- -k2 -n | tail -n 1)
[ "$(sort "out/$last" | tr '\n' ' ')" = "(a,2) (b,1) (c,2) (d,1) " ] || fail "final counts: $(sort "out/$last" | tr '\n' ' ')"
finish
