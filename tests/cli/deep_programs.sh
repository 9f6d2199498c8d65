#!/usr/bin/env bash
# deep_programs.sh DSTREAMC WORKDIR: programs generated too deep or too big
# for a person to write, never a crash (lang/SPEC.md §14.1).
#
# - A 100,000-term sum, a chain of 100,000 .maps, 20,000 nested parentheses
#   and a chain of 2,000 stream vals, each defined from the one before: exit
#   1 and exactly one diagnostic, "expression nested deeper than 1000
#   levels", at the first place too deep (pinned with its caret; the
#   generated programs put one term a line so that the quoted line is short).
# - At the limit (1000 levels, in one expression and through vals): check
#   passes, and the interpreter and a C build run it.
# - 100,000 vals and 50,000 streams with an output each: check completes
#   within a generous timeout (quadratic lookups took minutes there).
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin deep_programs "$@"

printf 'a\nb\n' >in.txt

# expect_error FILE EXPECTED: check FILE: exit 1, exactly EXPECTED on stderr.
expect_error() {
	timeout -k 5 60 "$DSTREAMC" check "$1" >out.txt 2>err.txt
	local st=$?
	[ "$st" -eq 1 ] || fail "$1: dstreamc check exited with $st, expected 1"
	printf '%s\n' "$2" >want.txt
	diff -u --label expected --label actual want.txt err.txt || fail "$1: diagnostics differ"
}

# 1 + 1 + ... + 1, 100,000 terms, one a line
{
	printf 'batch 1s;\nval x = 1\n'
	for ((i = 1; i < 100000; i++)); do printf '+ 1\n'; done
	printf ';\nqueueStream("in.txt").map(l => l + toString(x)).print();\n'
} >sum.dstream
expect_error sum.dstream 'sum.dstream:2:9: error: expression nested deeper than 1000 levels
val x = 1
        ^'

# queueStream(...).map(x => x)...: 100,000 calls
{
	printf 'batch 1s;\nval s = queueStream("in.txt")\n'
	for ((i = 0; i < 100000; i++)); do printf '.map(x => x)\n'; done
	printf ';\ns.print();\n'
} >maps.dstream
expect_error maps.dstream 'maps.dstream:2:9: error: expression nested deeper than 1000 levels
val s = queueStream("in.txt")
        ^'

# ((((...1...)))), 20,000 deep: the parser's own stack runs out first
{
	printf 'batch 1s;\nval x =\n'
	for ((i = 0; i < 20000; i++)); do printf '(\n'; done
	printf '1\n'
	for ((i = 0; i < 20000; i++)); do printf ')\n'; done
	printf ';\nqueueStream("in.txt").map(l => l + toString(x)).print();\n'
} >parens.dstream
timeout -k 5 60 "$DSTREAMC" check parens.dstream >out.txt 2>err.txt
st=$?
[ "$st" -eq 1 ] || fail "parens.dstream: dstreamc check exited with $st, expected 1"
[ "$(wc -l <err.txt)" -eq 3 ] && grep -Eq '^parens\.dstream:[0-9]+:1: error: expression nested deeper than 1000 levels$' err.txt ||
	{ cat err.txt; fail "parens.dstream: not one depth diagnostic"; }

# val s1 = s0.map(...); val s2 = s1.map(...); ...: 2,000 of them.  The
# planner follows vals: s_i is i + 2 levels deep, s999 is the first past.
{
	printf 'batch 1s;\nval s0 = queueStream("in.txt");\n'
	for ((i = 1; i < 2000; i++)); do printf 'val s%d = s%d.map(x => x);\n' $i $((i - 1)); done
	printf 's1999.print();\n'
} >chain.dstream
expect_error chain.dstream "chain.dstream:1001:12: error: expression nested deeper than 1000 levels, counting the definition of 's998'
val s999 = s998.map(x => x);
           ^"

# At the limit: print(1) map(2) lambda(3), then 997 terms; s_i is i + 2
# levels deep, and print(1) of s997 (999 levels) makes 1000.
{
	printf 'batch 1s;\nqueueStream("in.txt").map(l => 1\n'
	for ((i = 1; i < 997; i++)); do printf '+ 1\n'; done
	printf ').print();\n'
	printf 'val s0 = queueStream("in.txt");\n'
	for ((i = 1; i <= 997; i++)); do printf 'val s%d = s%d.map(x => x);\n' $i $((i - 1)); done
	printf 's997.print();\n'
} >limit.dstream
timeout -k 5 60 "$DSTREAMC" check limit.dstream >out.txt 2>err.txt || { cat err.txt; fail "limit.dstream: check failed"; }
expected_limit=$(printf -- '-------------------------------------------\nTime: 1000 ms\n-------------------------------------------\n997\n997\n\n-------------------------------------------\nTime: 1000 ms\n-------------------------------------------\na\nb\n')
timeout -k 5 60 "$DSTREAMC" run --interp limit.dstream --quiet >out.txt 2>err.txt ||
	{ cat err.txt; fail "limit.dstream: run --interp failed"; }
[ "$(spark_normalize <out.txt)" = "$(printf '%s\n' "$expected_limit" | spark_normalize)" ] ||
	{ cat out.txt; fail "limit.dstream: run --interp printed something else"; }
if timeout -k 5 120 "$DSTREAMC" build limit.dstream -o limit >out.txt 2>err.txt; then
	timeout -k 5 30 ./limit --quiet >out.txt 2>err.txt || fail "limit: the built program failed"
	[ "$(spark_normalize <out.txt)" = "$(printf '%s\n' "$expected_limit" | spark_normalize)" ] ||
		{ cat out.txt; fail "limit: the built program printed something else"; }
else
	cat err.txt
	fail "limit.dstream: build failed"
fi

# 100,000 vals: checked in well under a second; before, in minutes.
{
	printf 'batch 1s;\nval s = queueStream("in.txt");\n'
	for ((i = 0; i < 100000; i++)); do printf 'val v%d = %d;\n' $i $i; done
	printf 's.map(l => l + toString(v99999)).print();\n'
} >vals.dstream
timeout -k 5 20 "$DSTREAMC" check vals.dstream >out.txt 2>err.txt
st=$?
[ "$st" -eq 0 ] || { head -5 err.txt; fail "vals.dstream: check exited with $st (124: timed out)"; }

# 50,000 streams, each with an output: checked and planned in linear time.
{
	printf 'batch 1s;\nval s = queueStream("in.txt");\n'
	for ((i = 0; i < 50000; i++)); do printf 'val s%d = s.map(x => x + "%d");\ns%d.print();\n' $i $i $i; done
} >wide.dstream
timeout -k 5 20 "$DSTREAMC" check wide.dstream >out.txt 2>err.txt
st=$?
[ "$st" -eq 0 ] || { head -5 err.txt; fail "wide.dstream: check exited with $st (124: timed out)"; }

test_end
