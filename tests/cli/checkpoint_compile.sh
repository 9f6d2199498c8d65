#!/usr/bin/env bash
# What dstreamc does with a checkpoint statement: no warning from check or
# build; the interval in the binary is the one written or Spark's default
# (at least 10 s of batch time, a multiple of the slowest slide); the
# interpreter, which does not checkpoint, says so at start and runs without.
# Usage: bash checkpoint_compile.sh DSTREAMC WORKDIR
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin checkpoint_compile "$@"
printf 'a\n---\nb\n' >in.txt
cat >ck.dstream <<'P'
batch 1s;
checkpoint "ck" every 3s;
queueStream("in.txt").print();
P
"$DSTREAMC" check ck.dstream >check.out 2>check.err || fail "check exited $?"
[ -s check.err ] && fail "check said: $(cat check.err)"
"$DSTREAMC" build ck.dstream -o prog >build.out 2>build.err || fail "build exited $?"
[ -s build.err ] && fail "build said: $(cat build.err)"

# the interval, as the generated C sets it
interval() { "$DSTREAMC" emit-c "$1" | sed -n 's/^\t\.checkpoint_ms = \([0-9]*\),$/\1/p'; }
[ "$(interval ck.dstream)" = 3000 ] || fail "written interval: '$(interval ck.dstream)', expected 3000"
sed 's/ every 3s//' ck.dstream >dflt.dstream
[ "$(interval dflt.dstream)" = 10000 ] || fail "default interval: '$(interval dflt.dstream)', expected 10000"
cat >slide.dstream <<'P'
batch 1s;
checkpoint "ck";
queueStream("in.txt").countByWindow(8s, 4s).print();
P
[ "$(interval slide.dstream)" = 12000 ] || fail "default with a 4s slide: '$(interval slide.dstream)', expected 12000"

cat >expected.err <<'P'
dstreamc: warning: the interpreter does not checkpoint: the program runs without checkpoints or recovery from 'ck' (build it, or run it without --interp)
P
"$DSTREAMC" run --interp ck.dstream --quiet >interp.out 2>interp.err || fail "run --interp exited $?"
diff -u expected.err interp.err || FAILED=1
[ -e ck ] && fail "the interpreter created the checkpoint directory"
./prog --quiet >prog.out 2>prog.err || fail "the binary exited $?"
diff -u prog.out interp.out || FAILED=1
[ -d ck ] || fail "the binary did not create its checkpoint directory"
test_end
