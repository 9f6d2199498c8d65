#!/usr/bin/env bash
# run_interp.sh DSTREAMC WORKDIR: the command line of `dstreamc run --interp`.
#
#   run --interp FILE --batches 2      the program's flags come after FILE:
#                                      two batches, exit 0, stdout as the built
#                                      binary prints it for the same flags
#   run --interp FILE --metrics-json M the metrics file is written, with as
#                                      many batches as the binary's
#   run --interp FILE --bogus          the program's usage error: exit 2, the
#                                      message names the program (FILE without
#                                      .dstream), as a binary names itself
#   run --interp FILE --help           the program's usage, exit 0
#   run FILE (no engine)               exit 2, "run needs an engine"
#   build --interp FILE                exit 2: --interp belongs to run
#   run --interp BAD.dstream           the compile errors, exit 1, nothing run
#   run --interp U.dstream u.c --batches 2
#                                      C files right after FILE, flags after
#                                      them: the extern function called, the
#                                      same records as the binary, no
#                                      temporaries left in $TMPDIR
#   run --interp U.dstream bad.c       the C file's errors, "cannot compile
#                                      'bad.c'", exit 1, nothing run, no
#                                      temporaries left
#   run --interp U.dstream             (no C file) "extern function 'twice'
#                                      is declared here, but no C file
#                                      defines it" at the header, exit 1
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin run_interp "$@"

cat >wc.dstream <<'EOF'
app "RunInterp";
batch 1s;
val lines = queueStream("in.txt");
lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b).print();
EOF
printf 'a b a\n---\nc\n---\nd d\n---\n' >in.txt
printf 'batch 1s;\nval x = queueStream("in.txt").map(l => l + 1 +);\nx.print();\n' >bad.dstream

timeout 60 "$DSTREAMC" build wc.dstream -o prog >/dev/null 2>&1 || fail "build failed"
./prog --batches 2 >bin.out 2>bin.err
timeout 60 "$DSTREAMC" run --interp wc.dstream --batches 2 >int.out 2>int.err
status=$?
[ "$status" -eq 0 ] || fail "run --interp --batches 2 exited with $status"
[ -s int.out ] && grep -c '^Time: ' int.out | grep -qx 2 || fail "run --interp --batches 2 did not print 2 batches"
# records within a batch may come in another order: compare them sorted per block
norm() { awk '/^Time: /{ t = $0 } /^\(/{ print t, $0 }' "$1" | LC_ALL=C sort; }
[ "$(norm bin.out)" = "$(norm int.out)" ] || fail "run --interp printed other records than the binary"
[ ! -s int.err ] || fail "run --interp wrote to stderr: $(cat int.err)"

timeout 60 "$DSTREAMC" run --interp wc.dstream --metrics-json m.json >/dev/null 2>&1 || fail "--metrics-json run failed"
grep -q '"totals": {"workers": 1, "batches": 3,' m.json || fail "metrics: expected 3 batches on one worker (the interpreter's): $(tail -1 m.json 2>/dev/null)"

timeout 60 "$DSTREAMC" run --interp wc.dstream --bogus >bogus.out 2>bogus.err
status=$?
[ "$status" -eq 2 ] || fail "an unknown program flag: exit $status, expected 2"
grep -q "^wc: unknown option '--bogus'" bogus.err || fail "an unknown program flag: $(cat bogus.err)"

timeout 60 "$DSTREAMC" run --interp wc.dstream --help >help.out 2>&1
status=$?
[ "$status" -eq 0 ] && grep -q 'RunInterp' help.out || fail "the program's --help: exit $status: $(head -3 help.out)"

# without --interp, run is the LLVM JIT (tests/cli/llvm_cli.sh): the same output
timeout 60 "$DSTREAMC" run --interp wc.dstream >interp.out 2>interp.err
timeout 60 "$DSTREAMC" run wc.dstream >noeng.out 2>noeng.err
status=$?
[ "$status" -eq 0 ] && cmp -s interp.out noeng.out && cmp -s interp.err noeng.err ||
	fail "run without --interp (the JIT): exit $status: $(cat noeng.err)"

timeout 60 "$DSTREAMC" build --interp wc.dstream -o p2 >misuse.out 2>misuse.err
status=$?
[ "$status" -eq 2 ] && grep -q -- '--interp is an option of run' misuse.err || fail "build --interp: exit $status: $(cat misuse.err)"

timeout 60 "$DSTREAMC" run --interp bad.dstream >bad.out 2>bad.err
status=$?
[ "$status" -eq 1 ] || fail "a program with errors: exit $status, expected 1"
grep -q '^bad.dstream:2:.*error: syntax error' bad.err || fail "a program with errors: $(cat bad.err)"
[ ! -s bad.out ] || fail "a program with errors printed: $(cat bad.out)"

mkdir -p tmp
cat >u.h <<'EOF'
#include <stdint.h>
int64_t twice(int64_t x);
EOF
cat >u.c <<'EOF'
#include "u.h"
int64_t twice(int64_t x) { return 2 * x; }
EOF
printf 'int64_t twice(int64_t x) { return x +; }\n' >bad.c
cat >u.dstream <<'EOF'
extern "u.h";
batch 1s;
queueStream("in.txt").map(l => (l, twice(len(l)))).print();
EOF
timeout 60 "$DSTREAMC" build u.dstream u.c -o uprog >/dev/null 2>&1 || fail "build of u.dstream failed"
./uprog --batches 2 >ubin.out 2>&1
TMPDIR=$PWD/tmp timeout 60 "$DSTREAMC" run --interp u.dstream u.c --batches 2 >uint.out 2>uint.err
status=$?
[ "$status" -eq 0 ] || fail "run --interp with a C file exited with $status: $(cat uint.err)"
grep -qx '(a b a,10)' uint.out || fail "run --interp with a C file: twice not called: $(head -5 uint.out)"
[ "$(norm ubin.out)" = "$(norm uint.out)" ] || fail "run --interp with a C file printed other records than the binary"
[ ! -s uint.err ] || fail "run --interp with a C file wrote to stderr: $(cat uint.err)"
[ -z "$(ls -A tmp)" ] || fail "run --interp left temporaries: $(ls -A tmp)"

TMPDIR=$PWD/tmp timeout 60 "$DSTREAMC" run --interp u.dstream bad.c >cbad.out 2>cbad.err
status=$?
[ "$status" -eq 1 ] || fail "a C file with errors: exit $status, expected 1"
grep -q "^bad.c:1:.*error" cbad.err && grep -q "^dstreamc: cannot compile 'bad.c'" cbad.err ||
	fail "a C file with errors: $(cat cbad.err)"
[ ! -s cbad.out ] || fail "a C file with errors: the program ran: $(cat cbad.out)"
[ -z "$(ls -A tmp)" ] || fail "a C file with errors left temporaries: $(ls -A tmp)"

timeout 60 "$DSTREAMC" run --interp u.dstream >noc.out 2>noc.err
status=$?
[ "$status" -eq 1 ] && grep -q "error: extern function 'twice' is declared here, but no C file defines it$" noc.err ||
	fail "no C file: exit $status: $(cat noc.err)"

test_end
