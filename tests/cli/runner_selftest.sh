#!/usr/bin/env bash
# runner_selftest.sh DSTREAMC WORKDIR: tests tests/run_case.sh itself.
#
# Feeds the runner a fake dstreamc whose "build" writes a prog script that
# prints Spark blocks from its input files, so that every case's outcome is
# known: cases that must pass and cases that must fail.  DSTREAMC is not used:
# this test holds even while the real compiler is broken.
set -euo pipefail

HERE=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
RUNNER=$HERE/../run_case.sh
WORK=${2:?usage: runner_selftest.sh DSTREAMC WORKDIR}
rm -rf -- "$WORK"
mkdir -p -- "$WORK/cases"
WORK=$(cd "$WORK" && pwd)

# ---- the fake compiler --------------------------------------------------------
# build CASE -o OUT [FLAGS]: OUT prints one Spark block per batchK.txt in its
# cwd (times K*1000), copies records.txt to out.txt reversed, writes its
# arguments to args.out, prints err.txt on stderr, exits with exit.txt.
# Flags (from DS_BACKEND_FLAGS) are written next to OUT as OUT.flags.
# check NAME: a diagnostic at NAME:2:5, exit 1 (exit 0 if the file says EXIT0;
# also a line on stdout if it says STDOUT).
cat >"$WORK/fake-dstreamc" <<'FAKE'
#!/usr/bin/env bash
set -eu
case "$1" in
build)
	[ "$3" = -o ] || { echo "fake: bad build usage" >&2; exit 2; }
	out=$4
	shift 4
	printf '%s\n' "$@" >"$out.flags"
	cat >"$out" <<'PROG'
#!/usr/bin/env bash
k=1
while [ -f "batch$k.txt" ]; do
	printf -- '-------------------------------------------\nTime: %d ms\n-------------------------------------------\n' $((k * 1000))
	cat "batch$k.txt"
	echo
	k=$((k + 1))
done
[ ! -f records.txt ] || tac records.txt >out.txt
printf '%s\n' "$*" >args.out
[ ! -f err.txt ] || cat err.txt >&2
exit "$(cat exit.txt 2>/dev/null || echo 0)"
PROG
	chmod +x "$out"
	;;
check)
	[ "$#" -eq 2 ] && [ -f "$2" ] || { echo "fake: check wants one file in the cwd" >&2; exit 2; }
	line=$(sed -n 2p "$2")
	printf '%s:2:5: error: fake error\n%s\n    ^\n' "$2" "$line" >&2
	! grep -q STDOUT "$2" || echo "something on stdout"
	if grep -q EXIT0 "$2"; then exit 0; fi
	exit 1
	;;
*) exit 2 ;;
esac
FAKE
chmod +x "$WORK/fake-dstreamc"

passed=0
failures=0
# expect pass|fail NAME: writes the case from stdin, runs it, checks the outcome.
expect() {
	local want=$1 name=$2 status=0
	cat >"$WORK/cases/$name.dstream"
	bash "$RUNNER" "$WORK/fake-dstreamc" "$WORK/cases/$name.dstream" \
		"$WORK/run/$name" >"$WORK/$name.log" 2>&1 || status=$?
	if { [ "$want" = pass ] && [ "$status" -eq 0 ]; } ||
		{ [ "$want" = fail ] && [ "$status" -eq 1 ]; }; then
		passed=$((passed + 1))
	else
		echo "runner_selftest: case $name: expected the runner to $want, it exited $status:"
		sed 's/^/    /' "$WORK/$name.log"
		failures=$((failures + 1))
	fi
}

# ---- stdout: records are a multiset within each batch ---------------------------
expect pass permuted <<'EOF'
app "T"; batch 1s;
/* @input batch1.txt
(a,1)
(b,2)
(c,3)
...
*/
/* @input batch2.txt
(x,9)
(y,8)
*/
/* @expect
-------------------------------------------
Time: 1000 ms
-------------------------------------------
(c,3)
(a,1)
(b,2)
...

-------------------------------------------
Time: 2000 ms
-------------------------------------------
(y,8)
(x,9)

*/
EOF

expect fail record-differs <<'EOF'
/* @input batch1.txt
(a,1)
(b,2)
*/
/* @expect
-------------------------------------------
Time: 1000 ms
-------------------------------------------
(b,2)
(a,2)

*/
EOF

expect fail record-moved-across-batches <<'EOF'
/* @input batch1.txt
(a,1)
*/
/* @input batch2.txt
(b,2)
*/
/* @expect
-------------------------------------------
Time: 1000 ms
-------------------------------------------
(b,2)

-------------------------------------------
Time: 2000 ms
-------------------------------------------
(a,1)

*/
EOF

expect fail time-differs <<'EOF'
/* @input batch1.txt
(a,1)
*/
/* @expect
-------------------------------------------
Time: 2000 ms
-------------------------------------------
(a,1)

*/
EOF

expect fail record-missing <<'EOF'
/* @input batch1.txt
(a,1)
(b,1)
*/
/* @expect
-------------------------------------------
Time: 1000 ms
-------------------------------------------
(a,1)

*/
EOF

expect fail duplicate-counts <<'EOF'
/* @input batch1.txt
(a,1)
(a,1)
(b,1)
*/
/* @expect
-------------------------------------------
Time: 1000 ms
-------------------------------------------
(a,1)
(b,1)
(b,1)

*/
EOF

expect fail empty-vs-one-batch <<'EOF'
/* @input batch1.txt
(a,1)
*/
/* @expect
*/
EOF

# ---- stderr and exit status -----------------------------------------------------
expect fail unexpected-stderr <<'EOF'
/* @input err.txt
warning: something
*/
EOF

expect pass expected-stderr <<'EOF'
/* @input err.txt
line 1
	line 2 keeps its tab
*/
/* @expect-stderr
line 1
	line 2 keeps its tab
*/
EOF

expect fail wrong-exit <<'EOF'
/* @input exit.txt
3
*/
EOF

expect pass expected-exit <<'EOF'
/* @input exit.txt
3
*/
/* @expect-exit 3 */
EOF

# ---- files and arguments --------------------------------------------------------
expect pass expect-file <<'EOF'
/* @input records.txt
one
two
three
*/
/* @args --batches 3 --x */
/* @expect-file out.txt
two
one
three
*/
/* @expect-file args.out
--batches 3 --x
*/
EOF

expect fail expect-file-differs <<'EOF'
/* @input records.txt
one
two
*/
/* @expect-file out.txt
one
three
*/
EOF

expect fail expect-file-missing <<'EOF'
/* @expect-file never-written.txt
x
*/
EOF

# ---- compile errors ---------------------------------------------------------------
expect pass expect-error <<'EOF'
app "T";
val x = 1 +;
/* @expect-error
expect-error.dstream:2:5: error: fake error
val x = 1 +;
    ^
*/
EOF

expect fail expect-error-differs <<'EOF'
app "T";
val x = 1 +;
/* @expect-error
expect-error-differs.dstream:2:6: error: fake error
val x = 1 +;
     ^
*/
EOF

expect fail expect-error-exit0 <<'EOF'
val x = 1 +; // EXIT0
val y = 2;
/* @expect-error
expect-error-exit0.dstream:2:5: error: fake error
val y = 2;
    ^
*/
EOF

expect fail expect-error-stdout <<'EOF'
val x = 1 +; // STDOUT
val y = 2;
/* @expect-error
expect-error-stdout.dstream:2:5: error: fake error
val y = 2;
    ^
*/
EOF

# ---- malformed cases and backend flags ---------------------------------------------
status=0
printf '/* @expect\nnever closed\n' >"$WORK/cases/unclosed.dstream"
bash "$RUNNER" "$WORK/fake-dstreamc" "$WORK/cases/unclosed.dstream" "$WORK/run/unclosed" \
	>/dev/null 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
	echo "runner_selftest: an unclosed section was accepted"
	failures=$((failures + 1))
else
	passed=$((passed + 1))
fi

printf 'app "T";\n' >"$WORK/cases/flags.dstream"
DS_BACKEND_FLAGS="--backend=llvm --jit" bash "$RUNNER" "$WORK/fake-dstreamc" \
	"$WORK/cases/flags.dstream" "$WORK/run/flags" >/dev/null 2>&1 || true
if [ "$(cat "$WORK/run/flags/prog.flags" 2>/dev/null)" = $'--backend=llvm\n--jit' ]; then
	passed=$((passed + 1))
else
	echo "runner_selftest: DS_BACKEND_FLAGS were not passed to dstreamc build"
	failures=$((failures + 1))
fi

echo "runner_selftest: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
