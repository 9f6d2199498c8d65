#!/usr/bin/env bash
# llvm_cli.sh DSTREAMC WORKDIR: the LLVM backend's command line.
#   - build --backend=llvm at -O0..-O3, -march=native and --no-rt-inline, and
#     `run` (the JIT) at -O0 and -O2: the same output as the C backend;
#   - run: arguments after FILE are the program's, argv[0] is the file's base
#     name; X.c files are compiled and loaded; one that does not compile is
#     clang's message then one dstreamc line, exit 1;
#   - a bad --backend is a usage error; an unreadable DSTREAM_RUNTIME_BC is an error.
set -uo pipefail
DSTREAMC=$(realpath "$1")
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK" || exit 2
cd "$WORK" || exit 2
failures=0
fail() { echo "llvm_cli: $*"; failures=$((failures + 1)); }

cat >sum.dstream <<'P'
app "Sum";
batch 1s;
val nums = queueStream("in.txt").map(l => toInt(l));
nums.reduce((a, b) => a + b).print();
P
printf '1\n2\n3\n---\n10\n---\nx\n4\n' >in.txt

"$DSTREAMC" build sum.dstream -o c.bin || fail "C build failed"
./c.bin >want.out 2>want.err
echo "exit $?" >>want.err
grep -q '^10$' want.out || fail "the C binary's output lacks the second batch's sum"

check() { # LABEL CMD...: same stdout, stderr and status as the C binary
	local label=$1
	shift
	"$@" >got.out 2>got.err
	echo "exit $?" >>got.err
	cmp -s want.out got.out || { fail "$label: stdout differs"; diff want.out got.out | head -5; }
	cmp -s want.err got.err || { fail "$label: stderr differs"; diff want.err got.err | head -5; }
}
for f in -O0 -O1 -O2 -O3 -march=native --no-rt-inline; do
	if "$DSTREAMC" build sum.dstream -o llvm.bin --backend=llvm $f; then
		check "build --backend=llvm $f" ./llvm.bin
	else
		fail "build --backend=llvm $f failed"
	fi
done
check "run -O0" "$DSTREAMC" run -O0 sum.dstream
check "run" "$DSTREAMC" run sum.dstream

# the program's arguments, and its name
"$DSTREAMC" run sum.dstream --batches 1 >got.out 2>got.err
[ "$(grep -c '^Time:' got.out)" = 1 ] || fail "run: --batches 1 did not reach the program"
"$DSTREAMC" run sum.dstream --bogus >/dev/null 2>got.err
status=$?
[ "$status" = 2 ] && [ "$(cat got.err)" = "sum: unknown option '--bogus' (see --help)" ] ||
	fail "run --bogus: status $status, stderr '$(cat got.err)'"

# C files
printf 'long ds_test_twice(long x) { return 2 * x; }\n' >ok.c
"$DSTREAMC" run sum.dstream ok.c >got.out 2>got.err || fail "run with ok.c failed: $(cat got.err)"
cmp -s want.out got.out || fail "run with ok.c: stdout differs"
printf 'int broken( {\n' >bad.c
"$DSTREAMC" run sum.dstream bad.c >got.out 2>got.err
status=$?
[ "$status" = 1 ] || fail "run with bad.c exited with $status, want 1"
grep -q '^bad.c:1:13: error: expected parameter declarator$' got.err || fail "run with bad.c: no clang diagnostic: $(cat got.err)"
[ "$(tail -1 got.err)" = "dstreamc: cannot compile 'bad.c'" ] || fail "run with bad.c: last line '$(tail -1 got.err)'"
[ ! -s got.out ] || fail "run with bad.c wrote to stdout"

# usage and environment errors
"$DSTREAMC" build sum.dstream -o x --backend=bogus 2>got.err
status=$?
[ "$status" = 2 ] && [ "$(head -1 got.err)" = "dstreamc: unknown backend 'bogus' (c or llvm)" ] ||
	fail "--backend=bogus: status $status, stderr '$(cat got.err)'"
DSTREAM_RUNTIME_BC=$WORK/none.bc "$DSTREAMC" build sum.dstream -o x --backend=llvm 2>got.err
status=$?
[ "$status" = 1 ] && [ "$(cat got.err)" = "dstreamc: cannot read '$WORK/none.bc': No such file or directory" ] ||
	fail "missing bitcode: status $status, stderr '$(cat got.err)'"
[ ! -e x ] || fail "a failed build left its output"

echo "llvm_cli: $failures failed"
[ "$failures" -eq 0 ]
