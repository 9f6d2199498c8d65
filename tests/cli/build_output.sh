#!/usr/bin/env bash
# build_output.sh DSTREAMC WORKDIR: where `dstreamc build` writes, and what
# it leaves behind (TMPDIR is pointed into WORKDIR to see its temporaries).
#
#   build -o prog            exit 0, silent, an executable prog, no temporary
#                            C file left in TMPDIR
#   build -o prog --keep-c   also prog.c, the same C as `emit-c` prints
#   build -o missing/prog    (a directory that does not exist) and
#   build -o adir            (an existing directory): exit 2, a message that
#                            names the output path, NOT "internal error ...
#                            please report it" (the user's path is at fault,
#                            not the generated code), no temporary C left
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin build_output "$@"
mkdir -p tmp adir || exit 2
export TMPDIR=$WORK/tmp

cat >wc.dstream <<'EOF'
app "BuildOutput";
batch 1s;
val lines = queueStream("in.txt");
lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b).print();
EOF

timeout 60 "$DSTREAMC" build wc.dstream -o prog >ok.out 2>ok.err
rc=$?
[ "$rc" -eq 0 ] || fail "build -o prog exited $rc: $(head -c 500 ok.err)"
[ ! -s ok.out ] && [ ! -s ok.err ] || fail "build -o prog was not silent: $(head -c 500 ok.out ok.err)"
[ -x prog ] || fail "build -o prog: no executable prog"
[ ! -e prog.c ] || fail "build -o prog (without --keep-c) left prog.c"
no_temporaries "build -o prog"

timeout 60 "$DSTREAMC" build wc.dstream -o kept --keep-c >keep.out 2>keep.err
rc=$?
[ "$rc" -eq 0 ] || fail "build --keep-c exited $rc: $(head -c 500 keep.err)"
[ -x kept ] || fail "build -o kept --keep-c: no executable kept"
timeout 60 "$DSTREAMC" emit-c wc.dstream >emitted.c 2>/dev/null
if [ ! -f kept.c ]; then
	fail "build -o kept --keep-c: no kept.c"
elif ! cmp -s emitted.c kept.c; then
	fail "kept.c is not what emit-c prints:"
	diff -u --label emit-c --label kept.c emitted.c kept.c | head -n 20
fi
no_temporaries "build --keep-c"

# A bad output path: the user's mistake, said as such.
for out in missing/prog adir; do
	timeout 60 "$DSTREAMC" build wc.dstream -o "$out" >bad.out 2>bad.err
	rc=$?
	[ "$rc" -eq 2 ] || fail "build -o $out exited $rc (expected 2: a file that cannot be written)"
	grep -qF "$out" bad.err || fail "build -o $out: the message does not name '$out': $(head -c 500 bad.err)"
	if grep -q 'internal error' bad.err; then
		fail "build -o $out reports an internal error (a bad output path is not one); stderr was:"
		sed 's/^/    /' bad.err
	fi
	no_temporaries "build -o $out"
done
[ ! -e missing ] || fail "build -o missing/prog created missing/"

test_end
