#!/usr/bin/env bash
# missing_extern.sh DSTREAMC WORKDIR: a user's mistakes at link time are
# diagnostics, never "internal error ... please report it", and no
# temporary file outlives dstreamc (TMPDIR is pointed into WORKDIR).
#
# - extern functions that no C file defines (build without the C file, or
#   with one that defines only some): exit 1, for each function used, an
#   error at its declaration in the header (file:line:col, caret) and a note
#   at its first use; the same under both backends, `run` (the JIT) and
#   `run --interp`.  A declared function the program does not use is not
#   reported; one libc defines (abs) is not either.
# - two C files defining one function: exit 1, what the linker said and
#   "dstreamc: cannot link 'prog'".
# - build -o /proc/x (both backends): exit 2 (SPEC §17.1), "cannot write '/proc/x': ...".
# - DSTREAM_CC naming no program: exit 1, "cannot run 'no-such-cc'", only.
# - SIGINT or SIGTERM while cc runs: dstreamc dies of it (130, 143) and its
#   temporaries (the generated C, objects) are gone, also after cc would have
#   written its output.
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin missing_extern "$@"
mkdir -p tmp || exit 2
export TMPDIR=$WORK/tmp

cat >u.h <<'EOF'
#include <stdint.h>
int64_t twice(int64_t x);
int64_t thrice(int64_t x);
void sink(int64_t x);
int64_t unused_fn(int64_t x);
int abs(int x);
EOF
cat >u.c <<'EOF'
#include "u.h"
int64_t twice(int64_t x) { return 2 * x; }
EOF
cat >dup.c <<'EOF'
#include "u.h"
int64_t twice(int64_t x) { return x + x; }
int64_t thrice(int64_t x) { return 3 * x; }
void sink(int64_t x) { (void)x; }
EOF
cat >p.dstream <<'EOF'
extern "u.h";
batch 1s;
val n = queueStream("in.txt").map(l => twice(len(l)) + thrice(abs(1)));
n.print();
n.foreachRecord(sink);
EOF
printf 'abc\n' >in.txt

diag_twice='u.h:2:9: error: extern function '\''twice'\'' is declared here, but no C file defines it
int64_t twice(int64_t x);
        ^
p.dstream:3:40: note: '\''twice'\'' is used here: give dstreamc the C file that defines it, after the .dstream file
val n = queueStream("in.txt").map(l => twice(len(l)) + thrice(abs(1)));
                                       ^'
diag_rest='u.h:3:9: error: extern function '\''thrice'\'' is declared here, but no C file defines it
int64_t thrice(int64_t x);
        ^
p.dstream:3:56: note: '\''thrice'\'' is used here: give dstreamc the C file that defines it, after the .dstream file
val n = queueStream("in.txt").map(l => twice(len(l)) + thrice(abs(1)));
                                                       ^
u.h:4:6: error: extern function '\''sink'\'' is declared here, but no C file defines it
void sink(int64_t x);
     ^
p.dstream:5:17: note: '\''sink'\'' is used here: give dstreamc the C file that defines it, after the .dstream file
n.foreachRecord(sink);
                ^'

have_llvm=1
"$DSTREAMC" emit-llvm p.dstream -o /dev/null 2>/dev/null || have_llvm=0

# expect WHAT STATUS EXPECTED-STDERR COMMAND...
expect() {
	local what=$1 status=$2 want=$3
	shift 3
	timeout -k 5 120 "$@" >out.txt 2>err.txt
	local st=$?
	[ "$st" -eq "$status" ] || fail "$what: exited with $st, expected $status"
	printf '%s\n' "$want" >want.txt
	diff -u --label expected --label actual want.txt err.txt || fail "$what: stderr differs"
	[ ! -e prog ] || fail "$what: left prog"
	no_temporaries "$what"
}

expect "build without C files" 1 "$diag_twice
$diag_rest" "$DSTREAMC" build p.dstream -o prog
expect "build with u.c" 1 "$diag_rest" "$DSTREAMC" build p.dstream u.c -o prog
if [ "$have_llvm" -eq 1 ]; then
	expect "build --backend=llvm with u.c" 1 "$diag_rest" "$DSTREAMC" build --backend=llvm p.dstream u.c -o prog
	expect "run with u.c" 1 "$diag_rest" "$DSTREAMC" run p.dstream u.c
	expect "run without C files" 1 "$diag_twice
$diag_rest" "$DSTREAMC" run p.dstream
fi
expect "run --interp with u.c" 1 "$diag_rest" "$DSTREAMC" run --interp p.dstream u.c

# two definitions of twice: the linker's words, then dstreamc's
timeout -k 5 120 "$DSTREAMC" build p.dstream u.c dup.c -o prog >out.txt 2>err.txt
st=$?
[ "$st" -eq 1 ] || fail "two definitions: exited with $st, expected 1"
grep -q 'twice' err.txt && [ "$(tail -1 err.txt)" = "dstreamc: cannot link 'prog': the linker exited with status 1" ] ||
	{ cat err.txt; fail "two definitions: not the linker's message and dstreamc's"; }
no_temporaries "two definitions"
rm -f prog

# the C files complete: it builds and runs (abs from libc)
timeout -k 5 120 "$DSTREAMC" build p.dstream dup.c -o prog >out.txt 2>err.txt || { cat err.txt; fail "complete: build failed"; }
[ "$(./prog --quiet | sed -n 4p)" = 9 ] || fail "complete: the program did not print 9"
rm -f prog
no_temporaries "complete"

for backend in c llvm; do
	[ "$backend" = c ] || [ "$have_llvm" -eq 1 ] || continue
	expect "build --backend=$backend -o /proc/x" 2 "dstreamc: cannot write '/proc/x': No such file or directory" \
		"$DSTREAMC" build --backend=$backend p.dstream dup.c -o /proc/x
done

# no C compiler at all: said, not an internal error
expect "DSTREAM_CC=no-such-cc" 1 "dstreamc: cannot run 'no-such-cc': No such file or directory" \
	env DSTREAM_CC=no-such-cc "$DSTREAMC" build p.dstream -o prog

# A C compiler that takes its time and then writes its -o file: dstreamc is
# stopped meanwhile.  SIGINT is ignored in a background job of a script:
# perl restores it before exec.
cat >slowcc.sh <<'EOF'
#!/bin/sh
out=
while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
sleep 2
[ -z "$out" ] || echo >"$out"
EOF
chmod +x slowcc.sh
for sig in INT TERM; do
	DSTREAM_CC=$WORK/slowcc.sh perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' \
		"$DSTREAMC" build p.dstream dup.c -o prog >out.txt 2>err.txt &
	pid=$!
	for ((i = 0; i < 50; i++)); do # until the generated C is there
		[ -z "$(ls -A "$TMPDIR")" ] || break
		sleep 0.1
	done
	[ -n "$(ls -A "$TMPDIR")" ] || fail "SIG$sig: no temporary file while cc runs"
	kill -"$sig" "$pid"
	wait "$pid"
	st=$?
	want=$((128 + $(kill -l "$sig")))
	[ "$st" -eq "$want" ] || fail "SIG$sig: exited with $st, expected $want"
	sleep 3 # past the time the slow cc would have written its output
	[ ! -e prog ] || fail "SIG$sig: left prog"
	no_temporaries "SIG$sig during cc"
done

grep -rl 'internal error' -- *.txt 2>/dev/null && fail "an internal error was reported"
test_end
