#!/usr/bin/env bash
# three_errors.sh DSTREAMC WORKDIR: a program with three mistakes on three
# lines (an unknown function, a type error, reduceByKey on a stream that is
# not pairs).
#
# `dstreamc check`: exit 1, nothing on stdout, and on stderr exactly three
# diagnostics in source order, each `file:line:col: error: message`, then the
# source line, then a caret under the column (pinned exactly, and checked
# against the file: the quoted line is the file's line, the caret is at col).
# `dstreamc build -o prog`: exit 1, the same diagnostics, no prog and no
# generated C left behind.  `dstreamc emit-c`, `explain`: exit 1 too.
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin three_errors "$@"

cat >three.dstream <<'EOF'
// three mistakes on three lines
app "ThreeErrors";
batch 1s;
val lines = queueStream("in.txt");
val words = lines.flatMap(l => splitt(l, " "));
val lens = lines.map(l => len(l) * "2");
val bad = lines.reduceByKey((a, b) => a + b);
lens.print();
EOF

cat >expected.txt <<'EOF'
three.dstream:5:32: error: unknown operator or function 'splitt' (did you mean 'split'?)
val words = lines.flatMap(l => splitt(l, " "));
                               ^
three.dstream:6:27: error: operator '*' cannot be applied to Int and String
val lens = lines.map(l => len(l) * "2");
                          ^
three.dstream:7:17: error: reduceByKey needs a DStream of pairs (K, V), got DStream[String]
val bad = lines.reduceByKey((a, b) => a + b);
                ^
EOF

# check_diags FILE: the structure, whatever the messages say.
check_diags() {
	awk -v src=three.dstream '
	BEGIN { while ((getline l < src) > 0) line[++n] = l }
	function bad(m) { printf "%s line %d: %s\n", FILENAME, FNR, m; err = 1 }
	FNR % 3 == 1 {
		if (match($0, /^three\.dstream:[0-9]+:[0-9]+: error: ./)) {
			split($0, f, ":"); ln = f[2] + 0; col = f[3] + 0; nd++
			if (ln <= prev) bad("diagnostics not in source order")
			prev = ln
			lines_seen[ln] = 1
		} else { bad("not \"three.dstream:LINE:COL: error: MESSAGE\""); ln = 0 }
		next
	}
	FNR % 3 == 2 { if (ln && $0 != line[ln]) bad("not the source line " ln); next }
	FNR % 3 == 0 {
		want = sprintf("%" col "s", "^")
		if (ln && $0 != want) bad("the caret is not under column " col)
	}
	END {
		if (FNR % 3 != 0) bad("a diagnostic is incomplete")
		if (nd != 3) bad(nd " diagnostics, expected 3")
		exit err
	}' "$1"
}

check_diags expected.txt || fail "the golden text itself is malformed (test bug)"

timeout 60 "$DSTREAMC" check three.dstream >check.out 2>check.err
rc=$?
[ "$rc" -eq 1 ] || fail "dstreamc check exited $rc (expected 1)"
[ ! -s check.out ] || fail "dstreamc check wrote on stdout: $(head -c 300 check.out)"
check_diags check.err || fail "dstreamc check: the diagnostics are malformed (above)"
if ! cmp -s expected.txt check.err; then
	fail "dstreamc check three.dstream: stderr differs:"
	diff -u --label expected --label actual expected.txt check.err
fi

mkdir -p b && cp three.dstream b/
(cd b && TMPDIR=$PWD/tmp && mkdir -p "$TMPDIR" && export TMPDIR && timeout 60 "$DSTREAMC" build three.dstream -o prog >../build.out 2>../build.err)
rc=$?
[ "$rc" -eq 1 ] || fail "dstreamc build exited $rc (expected 1)"
[ ! -e b/prog ] || fail "dstreamc build wrote a binary despite the errors"
left=$(cd b && ls -A | grep -vxE 'three\.dstream|tmp'; ls -A tmp)
[ -z "$left" ] || fail "dstreamc build left files behind: $left"
[ ! -s build.out ] || fail "dstreamc build wrote on stdout: $(head -c 300 build.out)"
if ! cmp -s expected.txt build.err; then
	fail "dstreamc build three.dstream: stderr differs from check's:"
	diff -u --label expected --label actual expected.txt build.err
fi

for c in emit-c explain; do
	timeout 60 "$DSTREAMC" "$c" three.dstream >"$c.out" 2>"$c.err"
	rc=$?
	[ "$rc" -eq 1 ] || fail "dstreamc $c exited $rc (expected 1)"
	[ ! -s "$c.out" ] || fail "dstreamc $c wrote on stdout despite the errors: $(head -c 300 "$c.out")"
	cmp -s expected.txt "$c.err" || fail "dstreamc $c: stderr is not the three diagnostics"
done

test_end
