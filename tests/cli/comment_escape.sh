#!/usr/bin/env bash
# comment_escape.sh DSTREAMC WORKDIR: user text in the comments of generated
# code (the app name, the source path in every "path:line:col" comment) is
# escaped, so it can neither end a comment nor break the build.
#
# - app "x */ int injected_var = 42; /*"; in d*/p*.dstream: build (C and
#   LLVM backends) exits 0 (and with the app name in inj.dstream), the program prints its batch, and no symbol
#   injected_var is in the binary.
# - an app name with a line end and #error after it: the C build exits 0.
# - a path with a line end: emit-llvm's "; ModuleID" comment stays one line.
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin comment_escape "$@"

printf 'a\n' >in.txt
mkdir -p 'd*'
printf 'app "x */ int injected_var = 42; /*";\nbatch 1s;\nqueueStream("in.txt").print();\n' >'d*/p*.dstream'
expected=$(printf -- '-------------------------------------------\nTime: 1000 ms\n-------------------------------------------\na\n')

cp 'd*/p*.dstream' inj.dstream
for src in 'd*/p*.dstream' inj.dstream; do
	for backend in c llvm; do
		if ! "$DSTREAMC" build --backend=$backend "$src" -o prog_$backend >out.txt 2>err.txt; then
			head -20 err.txt
			fail "$src, $backend: the build failed"
			continue
		fi
		[ "$(./prog_$backend --quiet 2>&1)" = "$expected" ] || fail "$src, $backend: the program printed something else"
		if nm prog_$backend | grep injected_var >/dev/null; then # not -q: pipefail
			fail "$src, $backend: the app name's text was compiled in (symbol injected_var)"
		fi
	done
done

printf 'app "x */\\n#error injected /*";\nbatch 1s;\nqueueStream("in.txt").print();\n' >nl.dstream
"$DSTREAMC" build nl.dstream -o prog_nl >out.txt 2>err.txt || { head -20 err.txt; fail "nl.dstream: the build failed"; }

mkdir -p $'nl\ndir'
cp 'd*/p*.dstream' $'nl\ndir/p.dstream'
if "$DSTREAMC" emit-llvm $'nl\ndir/p.dstream' -o p.ll 2>err.txt; then
	[ "$(head -1 p.ll)" = "; ModuleID = 'nl\\ndir/p.dstream'" ] && sed -n 2p p.ll | grep -q '^source_filename = ' ||
		{ head -3 p.ll; fail "emit-llvm: the ModuleID comment is not one line"; }
else
	grep -q 'without LLVM' err.txt || { cat err.txt; fail "emit-llvm failed"; }
fi

test_end
