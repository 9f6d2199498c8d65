#!/usr/bin/env bash
# dstreamc_cli.sh DSTREAMC WORKDIR: the dstreamc command line.
#
#   --help                 exit 0, usage on stdout (names check, explain,
#                          emit-c, build), nothing on stderr
#   --version              exactly "dstreamc 0.1.0", exit 0
#   no arguments           exit 2, usage on stderr, nothing on stdout
#   unknown command/option exit 2, a message naming it on stderr
#   bad --stop-after, -o without a path, a second file: exit 2
#   a missing file         exit 2 (a file that cannot be read), exactly
#                          "dstreamc: cannot open 'nope.dstream': No such file or directory"
#                          (a directory: the same with "Is a directory")
#   -o in a missing dir    exit 2 (explain, emit-c): "dstreamc: cannot write ..."
#   check, good program    exit 0, no output at all
#   build without -o       exit 2, a message on stderr, no file written
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin dstreamc_cli "$@"

# run NAME ARGS...: runs dstreamc in a fresh directory NAME with ARGS; sets
# RC, and NAME/out, NAME/err.
run() {
	local name=$1
	shift
	mkdir -p "$WORK/$name"
	(cd "$WORK/$name" && timeout 60 "$DSTREAMC" "$@" >out 2>err)
	RC=$?
	OUT=$WORK/$name/out
	ERR=$WORK/$name/err
}
expect_rc() { [ "$RC" -eq "$2" ] || fail "$1: exit status $RC, expected $2; stderr: $(head -c 500 "$ERR")"; }
expect_empty() { [ ! -s "$2" ] || fail "$1: expected nothing on $(basename "$2"), got: $(head -c 500 "$2")"; }
expect_exact() { # WHAT FILE TEXT
	printf '%s\n' "$3" >"$2.expected"
	if ! cmp -s "$2.expected" "$2"; then
		fail "$1 differs:"
		diff -u --label expected --label actual "$2.expected" "$2"
	fi
}
expect_grep() { # WHAT FILE FIXED-STRING
	grep -qF -- "$3" "$2" || fail "$1: '$3' not found in: $(head -c 500 "$2")"
}

cat >good.dstream <<'EOF'
app "Good";
batch 1s;
val lines = queueStream("in.txt");
lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b).print();
EOF

# ---- --help, -h -------------------------------------------------------------------
for h in --help -h; do
	run "help$h" "$h"
	expect_rc "dstreamc $h" 0
	expect_empty "dstreamc $h" "$ERR"
	expect_grep "dstreamc $h" "$OUT" "usage: dstreamc"
	for c in check explain emit-c build; do
		grep -qE "^  $c( |$)" "$OUT" || fail "dstreamc $h: the command '$c' is not listed (a line '  $c ...')"
	done
	for o in --stop-after -o --version; do
		expect_grep "dstreamc $h" "$OUT" "$o"
	done
done
# --help wins wherever it is.
run help-late check nope.dstream --help
expect_rc "dstreamc check nope.dstream --help" 0
expect_grep "dstreamc check nope.dstream --help" "$OUT" "usage: dstreamc"

# ---- --version --------------------------------------------------------------------
run version --version
expect_rc "dstreamc --version" 0
expect_exact "dstreamc --version" "$OUT" "dstreamc 0.1.0"
expect_empty "dstreamc --version" "$ERR"

# ---- no arguments -------------------------------------------------------------------
run noargs
expect_rc "dstreamc (no arguments)" 2
expect_empty "dstreamc (no arguments), stdout" "$OUT"
expect_grep "dstreamc (no arguments)" "$ERR" "usage: dstreamc"

# ---- unknown command, unknown option, other usage errors -------------------------------
run badcmd frobnicate "$WORK/good.dstream"
expect_rc "dstreamc frobnicate" 2
expect_empty "dstreamc frobnicate, stdout" "$OUT"
expect_grep "dstreamc frobnicate" "$ERR" "unknown command 'frobnicate'"

run badopt check "$WORK/good.dstream" --frobnicate
expect_rc "dstreamc check --frobnicate" 2
expect_empty "dstreamc check --frobnicate, stdout" "$OUT"
expect_grep "dstreamc check --frobnicate" "$ERR" "unknown option '--frobnicate'"

run badopt2 -x check "$WORK/good.dstream"
expect_rc "dstreamc -x check" 2
expect_grep "dstreamc -x check" "$ERR" "'-x'"

run badpass check "$WORK/good.dstream" --stop-after=codegen
expect_rc "dstreamc --stop-after=codegen" 2
expect_grep "dstreamc --stop-after=codegen" "$ERR" "codegen"

run o-nopath build "$WORK/good.dstream" -o
expect_rc "dstreamc build good.dstream -o (no path)" 2
[ -s "$ERR" ] || fail "dstreamc build good.dstream -o: no message on stderr"

run twofiles check "$WORK/good.dstream" "$WORK/good.dstream"
expect_rc "dstreamc check A B" 2
[ -s "$ERR" ] || fail "dstreamc check A B: no message on stderr"

run nofile check
expect_rc "dstreamc check (no file)" 2
[ -s "$ERR" ] || fail "dstreamc check (no file): no message on stderr"

# ---- a missing file: every command ------------------------------------------------------
for c in check explain emit-c; do
	run "missing-$c" "$c" nope.dstream
	expect_rc "dstreamc $c nope.dstream" 2
	expect_exact "dstreamc $c nope.dstream, stderr" "$ERR" "dstreamc: cannot open 'nope.dstream': No such file or directory"
	expect_empty "dstreamc $c nope.dstream, stdout" "$OUT"
done
run missing-build build nope.dstream -o prog
expect_rc "dstreamc build nope.dstream -o prog" 2
expect_exact "dstreamc build nope.dstream -o prog, stderr" "$ERR" "dstreamc: cannot open 'nope.dstream': No such file or directory"
[ ! -e "$WORK/missing-build/prog" ] || fail "dstreamc build nope.dstream -o prog: wrote prog"
# a directory cannot be read either (lang/SPEC.md §17.1: exit 2)
mkdir -p "$WORK/adir.dstream"
run dir-check check "$WORK/adir.dstream"
expect_rc "dstreamc check DIR" 2
expect_exact "dstreamc check DIR, stderr" "$ERR" "dstreamc: cannot open '$WORK/adir.dstream': Is a directory"

# ---- check on a good program: silent success -----------------------------------------------
run check-good check "$WORK/good.dstream"
expect_rc "dstreamc check good.dstream" 0
expect_empty "dstreamc check good.dstream, stdout" "$OUT"
expect_empty "dstreamc check good.dstream, stderr" "$ERR"
# relative path, options before the command
cp good.dstream check-rel.dstream
run check-rel -O1 check ../check-rel.dstream
expect_rc "dstreamc -O1 check ../check-rel.dstream" 0
expect_empty "dstreamc -O1 check ../check-rel.dstream, stdout" "$OUT"
expect_empty "dstreamc -O1 check ../check-rel.dstream, stderr" "$ERR"

# ---- build without -o ------------------------------------------------------------------------
run build-noo build "$WORK/good.dstream"
expect_rc "dstreamc build good.dstream (no -o)" 2
expect_grep "dstreamc build good.dstream (no -o)" "$ERR" "-o"
expect_empty "dstreamc build good.dstream (no -o), stdout" "$OUT"
left=$(cd "$WORK/build-noo" && ls -A | grep -vxE 'out|err')
[ -z "$left" ] || fail "dstreamc build without -o left files behind: $left"

# ---- and a build that works, for contrast -------------------------------------------------------
run build-ok build "$WORK/good.dstream" -o prog
expect_rc "dstreamc build good.dstream -o prog" 0
expect_empty "dstreamc build good.dstream -o prog, stdout" "$OUT"
expect_empty "dstreamc build good.dstream -o prog, stderr" "$ERR"
[ -x "$WORK/build-ok/prog" ] || fail "dstreamc build good.dstream -o prog: no executable prog"

# ---- text results honour -o as emit-c does ------------------------------------------------------
run explain-stdout explain "$WORK/good.dstream"
run explain-o explain "$WORK/good.dstream" -o ex.txt
expect_rc "dstreamc explain good.dstream -o ex.txt" 0
expect_empty "dstreamc explain -o ex.txt, stdout" "$OUT"
cmp -s "$WORK/explain-stdout/out" "$WORK/explain-o/ex.txt" ||
	fail "dstreamc explain -o ex.txt does not write what explain prints"
run lower-o emit-c "$WORK/good.dstream" --stop-after=lower -o ir.txt
expect_rc "dstreamc emit-c --stop-after=lower -o ir.txt" 0
grep -q '^func program_run_batch' "$WORK/lower-o/ir.txt" ||
	fail "--stop-after=lower -o ir.txt: no IR dump in ir.txt"
run explain-bad-o explain "$WORK/good.dstream" -o nodir/ex.txt
expect_rc "dstreamc explain -o nodir/ex.txt" 2
expect_exact "dstreamc explain -o nodir/ex.txt, stderr" "$ERR" \
	"dstreamc: cannot write 'nodir/ex.txt': No such file or directory"
run emit-c-bad-o emit-c "$WORK/good.dstream" -o nodir/p.c
expect_rc "dstreamc emit-c -o nodir/p.c" 2
expect_exact "dstreamc emit-c -o nodir/p.c, stderr" "$ERR" \
	"dstreamc: cannot write 'nodir/p.c': No such file or directory"

test_end
