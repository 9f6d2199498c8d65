#!/usr/bin/env bash
# version.sh DSTREAMC WORKDIR: a built program's --version names the dstream
# version that built it and the program's source hash.
#
# Checks, on the C and LLVM backends: exactly two lines, "prog: dstream V
# (runtime V, ABI 5)" with V dstreamc's own version, and "program Versioned
# from PATH, source hash fnv1a64:H" with H the FNV-1a 64 of the file's bytes
# (computed here); exit 0.  A changed source (one comment more) changes H,
# and the generated C carries the same hash.
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin version "$@"

V=$("$DSTREAMC" --version | sed -n 's/^dstreamc //p')
[ -n "$V" ] || fail "dstreamc --version: $("$DSTREAMC" --version)"
cat >v.dstream <<'D'
app "Versioned";
batch 1s;
queueStream("in.txt").print();
D
fnv() { # FILE: its FNV-1a 64, 16 hex digits
	python3 -c '
import sys
h = 0xcbf29ce484222325
for c in open(sys.argv[1], "rb").read():
    h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$1"
}
for backend in c llvm; do
	"$DSTREAMC" build v.dstream -o "prog" --backend=$backend >build.log 2>&1 || { fail "$backend: build: $(cat build.log)"; continue; }
	./prog --version >out.txt 2>err.txt || fail "$backend: --version exited $?"
	printf 'prog: dstream %s (runtime %s, ABI 5)\nprogram Versioned from v.dstream, source hash fnv1a64:%s\n' "$V" "$V" "$(fnv v.dstream)" >want.txt
	diff want.txt out.txt >diff.txt || fail "$backend: --version: $(cat diff.txt)"
	[ ! -s err.txt ] || fail "$backend: stderr: $(cat err.txt)"
done
h1=$(fnv v.dstream)
echo '// one comment more' >>v.dstream
"$DSTREAMC" build v.dstream -o prog >build.log 2>&1 || fail "build: $(cat build.log)"
h2=$(./prog --version | sed -n 's/.*fnv1a64:\([0-9a-f]*\)$/\1/p')
[ "$h2" = "$(fnv v.dstream)" ] && [ "$h2" != "$h1" ] || fail "a changed source: hash $h2 (before $h1)"
"$DSTREAMC" emit-c v.dstream -o v.c || fail "emit-c"
grep -q "^	\.source_hash = 0x${h2}ULL, /\* FNV-1a 64 of the source's bytes \*/$" v.c || fail "the generated C's .source_hash: $(grep source_hash v.c)"
test_end
