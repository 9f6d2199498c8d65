#!/usr/bin/env bash
# udf_build.sh DSTREAMC WORKDIR: `dstreamc build prog.dstream F.c... -o BIN`
# with user C files, from another directory than the program's.
#
#   sub/p.dstream + sub/udfs.h, built from WORKDIR with sub/udfs.c: the
#       header is found beside the .dstream (-I its directory), the program
#       runs and prints what the C function computed; no temporaries left
#   a C file with a syntax error: exit 1, cc's own diagnostic names the file
#       and line, then "dstreamc: cannot compile 'sub/bad.c': ..." (the
#       user's error: NOT "internal error ... please report it"); no
#       binary, no temporaries
#   C files given to check: exit 2 (they are only for build)
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin udf_build "$@"
mkdir -p sub tmp || exit 2
export TMPDIR=$WORK/tmp

cat >sub/p.dstream <<'DS'
extern "udfs.h";
batch 1s;
queueStream("sub/in.txt").map(l => half(toInt(l))).print();
DS
printf '3\n8\n' >sub/in.txt
printf '#include <stdint.h>\ndouble half(int64_t x);\n' >sub/udfs.h
printf '#include "udfs.h"\ndouble half(int64_t x) { return x / 2.0; }\n' >sub/udfs.c
printf '#include "udfs.h"\ndouble half(int64_t x) { return x / 2.0 }\n' >sub/bad.c

timeout 60 "$DSTREAMC" build sub/p.dstream sub/udfs.c -o prog >ok.out 2>ok.err
status=$?
[ "$status" -eq 0 ] || fail "build with sub/udfs.c exited $status: $(cat ok.err)"
[ -s ok.err ] && fail "build wrote to stderr: $(cat ok.err)"
printf -- '-------------------------------------------\nTime: 1000 ms\n-------------------------------------------\n1.5\n4.0\n\n' >want.out
timeout 30 ./prog >run.out 2>run.err || fail "prog exited $?"
diff -u want.out run.out || fail "prog printed something else"
[ -z "$(ls -A tmp)" ] || fail "temporaries left: $(ls -A tmp)"

rm -f prog
timeout 60 "$DSTREAMC" build sub/p.dstream sub/bad.c -o prog >bad.out 2>bad.err
status=$?
[ "$status" -eq 1 ] || fail "build with sub/bad.c exited $status, expected 1"
grep -q '^sub/bad.c:2:' bad.err || fail "cc's diagnostic does not name sub/bad.c:2: $(cat bad.err)"
[ "$(tail -n 1 bad.err)" = "dstreamc: cannot compile 'sub/bad.c': the C compiler exited with status 1" ] ||
	fail "last line of stderr: $(tail -n 1 bad.err)"
grep -q 'internal error' bad.err && fail "a user's C error is called an internal error"
[ -e prog ] && fail "a binary was written"
[ -z "$(ls -A tmp)" ] || fail "temporaries left: $(ls -A tmp)"

timeout 60 "$DSTREAMC" check sub/p.dstream sub/udfs.c >chk.out 2>chk.err
status=$?
[ "$status" -eq 2 ] || fail "check with a C file exited $status, expected 2"

test_end
