#!/usr/bin/env bash
# install.sh DSTREAMC WORKDIR: `cmake --install` gives a prefix that works on
# its own, wherever it is moved.
#
# Installs the build directory of DSTREAMC (the directory it is in) into
# WORK/stage, then moves the prefix to WORK/moved/prefix, so that nothing can
# be found where it was installed; with DSTREAM_RUNTIME_* unset:
#   - the prefix holds bin/dstreamc, LIBDIR/libdstream_rt.a,
#     include/dstream/rt.h, LIBDIR/pkgconfig/dstream.pc, man1/dstreamc.1,
#     man7/dstream-program.7, and LIBDIR/dstream/dstream_rt_inline.bc when
#     the build made it;
#   - no path of the build or source directory appears in the installed
#     dstreamc (strings, debug info left out: it is for debuggers);
#   - the installed dstreamc's --version is the build tree's;
#   - examples/queuerdd built with the installed dstreamc on the C and the
#     LLVM backend, and run with its `dstreamc run` (the JIT), prints exactly
#     what the build tree's dstreamc's binary prints (records within a print
#     block as a multiset); the LLVM backend inlines the installed bitcode
#     (no `declare` of ds_next_line in emit-llvm) when there is one;
#   - the generated C (`dstreamc emit-c`) compiled with plain cc and
#     `pkg-config --cflags --libs dstream` (PKG_CONFIG_PATH: the moved
#     prefix) prints the same (skipped without pkg-config);
#   - DSTREAM_RUNTIME_LIB still overrides: a missing one fails the build,
#     exit 2, "cannot find the dstream runtime";
#   - both man pages render without warnings: `man --warnings -l`, else
#     groff -ww, else mandoc -Tlint (skipped when none is installed).
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin install "$@"
unset DSTREAM_RUNTIME_INCLUDE DSTREAM_RUNTIME_LIB DSTREAM_RUNTIME_BC

BUILD=$(dirname -- "$DSTREAMC")
CACHE=$BUILD/CMakeCache.txt
if [ ! -f "$CACHE" ]; then
	echo "skipped: $BUILD (the directory of $DSTREAMC) is not a CMake build directory"
	exit 77
fi
cache() { sed -n "s/^$1:[A-Z]*=//p" "$CACHE"; }
SRC=$(cache CMAKE_HOME_DIRECTORY)
LIBDIR=$(cache CMAKE_INSTALL_LIBDIR)
INCDIR=$(cache CMAKE_INSTALL_INCLUDEDIR)
MANDIR=$(cache CMAKE_INSTALL_MANDIR)
: "${LIBDIR:=lib}" "${INCDIR:=include}" "${MANDIR:=share/man}"
[ -d "$SRC/examples/queuerdd" ] || { fail "no source directory in $CACHE ('$SRC')"; test_end; }

# ---- install, then move the prefix ---------------------------------------------------------
cmake --install "$BUILD" --prefix "$WORK/stage" >install.log 2>&1 || { fail "cmake --install: $(tail -5 install.log)"; test_end; }
mkdir -p moved && mv stage moved/prefix || { fail "cannot move the prefix"; test_end; }
P=$WORK/moved/prefix
D=$P/bin/dstreamc
for f in bin/dstreamc "$LIBDIR/libdstream_rt.a" "$INCDIR/dstream/rt.h" "$LIBDIR/pkgconfig/dstream.pc" \
	"$MANDIR/man1/dstreamc.1" "$MANDIR/man7/dstream-program.7"; do
	[ -f "$P/$f" ] || fail "not installed: $f"
done
[ -x "$D" ] || { fail "bin/dstreamc is not executable"; test_end; }
HAVE_BC=0
if [ -f "$BUILD/runtime/dstream_rt_inline.bc" ]; then
	HAVE_BC=1
	[ -f "$P/$LIBDIR/dstream/dstream_rt_inline.bc" ] || fail "not installed: $LIBDIR/dstream/dstream_rt_inline.bc"
fi

# ---- no path of this build in the installed dstreamc ---------------------------------------
bin=$D
if command -v objcopy >/dev/null; then
	objcopy --strip-debug "$D" nodebug && bin=nodebug
fi
for dir in "$BUILD" "$SRC"; do
	hits=$(strings -a "$bin" | grep -F -- "$dir" | head -5)
	[ -z "$hits" ] || fail "the installed dstreamc names $dir: $hits"
done

want_v=$("$DSTREAMC" --version)
got_v=$("$D" --version 2>&1)
[ "$got_v" = "$want_v" ] || fail "installed --version: '$got_v', build tree's: '$want_v'"

# ---- queuerdd with the installed tools only ------------------------------------------------
mkdir q && cp "$SRC"/examples/queuerdd/*.dstream "$SRC"/examples/queuerdd/*.txt q/ && cd q || exit 2
# ENGINE-NAME COMMAND...: runs it here, its stdout normalized to NAME.out
run_prog() {
	local name=$1
	shift
	timeout 60 "$@" >"$name.raw" 2>"$name.err"
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: exit status $rc: $(head -c 500 "$name.err")"
		return 1
	fi
	spark_normalize <"$name.raw" >"$name.out"
}
same() { # NAME: NAME.out is ref.out
	diff -u ref.out "$1.out" >"$1.diff" || fail "$1: output differs from the build tree's: $(head -20 "$1.diff")"
}
"$DSTREAMC" build queuerdd.dstream -o ref-prog >ref-build.log 2>&1 || { fail "build-tree build: $(cat ref-build.log)"; test_end; }
run_prog ref ./ref-prog || test_end
grep -q '^Time: 1000 ms$' ref.out || { fail "the build tree's queuerdd printed no first batch: $(head -5 ref.raw)"; test_end; }

if "$D" build queuerdd.dstream -o c-prog >c-build.log 2>&1; then
	run_prog c ./c-prog && same c
else
	fail "installed build (C): $(head -c 500 c-build.log)"
fi
if "$D" build queuerdd.dstream -o llvm-prog --backend=llvm >llvm-build.log 2>&1; then
	run_prog llvm ./llvm-prog && same llvm
else
	fail "installed build --backend=llvm: $(head -c 500 llvm-build.log)"
fi
run_prog jit "$D" run queuerdd.dstream && same jit
if [ "$HAVE_BC" = 1 ]; then
	"$D" emit-llvm queuerdd.dstream -o q.ll 2>emit-llvm.err || fail "installed emit-llvm: $(cat emit-llvm.err)"
	! grep -q '^declare.*@ds_next_line(' q.ll || fail "installed emit-llvm: ds_next_line not inlined (the installed bitcode unused)"
fi

# ---- the generated C, compiled by hand with pkg-config --------------------------------------
if command -v pkg-config >/dev/null; then
	"$D" emit-c queuerdd.dstream -o q.c 2>emit-c.err || fail "installed emit-c: $(cat emit-c.err)"
	flags=$(PKG_CONFIG_PATH=$P/$LIBDIR/pkgconfig pkg-config --cflags --libs dstream 2>pc.err)
	if [ -z "$flags" ]; then
		fail "pkg-config --cflags --libs dstream: $(cat pc.err)"
	else
		# shellcheck disable=SC2086 # flags are words
		if cc -O2 q.c $flags -o pc-prog >pc-build.log 2>&1; then
			run_prog pkgconfig ./pc-prog && same pkgconfig
		else
			fail "cc q.c \$(pkg-config ...) [$flags]: $(head -c 500 pc-build.log)"
		fi
	fi
else
	echo "install: pkg-config is not installed: the pkg-config check is skipped"
fi

# ---- the environment still wins ---------------------------------------------------------------
DSTREAM_RUNTIME_LIB=$WORK/none.a "$D" build queuerdd.dstream -o env-prog >env.log 2>&1
rc=$?
[ "$rc" = 2 ] && grep -qF "cannot find the dstream runtime" env.log ||
	fail "DSTREAM_RUNTIME_LIB=none.a: exit status $rc (expected 2): $(cat env.log)"
cd "$WORK" || exit 2

# ---- the man pages render cleanly ---------------------------------------------------------------
for page in "$MANDIR/man1/dstreamc.1" "$MANDIR/man7/dstream-program.7"; do
	[ -f "$P/$page" ] || continue
	if command -v man >/dev/null; then
		warn=$(MANWIDTH=80 man --warnings -l "$P/$page" 2>&1 >/dev/null)
		text=$(MANWIDTH=80 man -l "$P/$page" 2>/dev/null)
	elif command -v groff >/dev/null; then
		warn=$(groff -man -Tutf8 -ww -z "$P/$page" 2>&1)
		text=$(groff -man -Tutf8 "$P/$page" 2>/dev/null)
	elif command -v mandoc >/dev/null; then
		warn=$(mandoc -Tlint -Wwarning "$P/$page" 2>&1)
		text=$(mandoc "$P/$page" 2>/dev/null)
	else
		echo "install: neither man, groff nor mandoc is installed: $page is not rendered"
		continue
	fi
	[ -z "$warn" ] || fail "$page renders with warnings: $(head -c 500 <<<"$warn")"
	grep -q 'NAME' <<<"$text" || fail "$page renders to nothing"
done

test_end
