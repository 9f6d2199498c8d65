#!/usr/bin/env bash
# examples_output.sh DSTREAMC WORKDIR: every example prints what its README
# says it prints.
#
# Each examples/NAME/README.md has an "Expected output" section: a fenced
# block with the program's stdout, and, in an HTML comment before it, how
# the test runs it: `<!-- test: ARGS -->` (flags for the built program; a
# receiver's program is run with --replay on a file of its directory, so its
# batches do not depend on timing) or `<!-- test: skip REASON -->`.  The
# program is built from the example's directory (with its .c files), run in
# a copy of it with --workers 1 and those flags, and its stdout compared
# with the block, records sorted within each print block (the order of a
# batch's records is not promised: lang/SPEC.md §13), or exactly, in order,
# when a line `<!-- ordered -->` follows the test line (a sorted stream:
# lang/SPEC.md §9.3).  Every example must have the section.
ROOT=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd) # before test_begin's cd
source "$ROOT/tests/lib.sh"
test_begin examples_output "$@"

ran=0
for readme in "$ROOT"/examples/*/README.md; do
	dir=$(dirname "$readme")
	name=$(basename "$dir")
	args=$(sed -n 's/^<!-- test:\(.*\) -->$/\1/p' "$readme" | head -n 1)
	if ! grep -q '^## Expected output' "$readme" || ! grep -q '^<!-- test:.* -->$' "$readme"; then
		fail "$name: README.md has no '## Expected output' section with a '<!-- test: ... -->' line"
		continue
	fi
	case $args in " skip"*) echo "skip $name:${args# skip}"; continue ;; esac
	prog=$(ls "$dir"/*.dstream | head -n 1)
	csrc=()
	for c in "$dir"/*.c; do [ ! -f "$c" ] || csrc+=("$(basename "$c")"); done
	(cd "$dir" && "$DSTREAMC" build "$(basename "$prog")" "${csrc[@]}" -o "$WORK/$name.bin") >"$name.build" 2>&1 ||
		{ fail "$name: build: $(cat "$name.build")"; continue; }
	rm -rf "$WORK/run-$name" && cp -r "$dir" "$WORK/run-$name"
	# shellcheck disable=SC2086
	(cd "$WORK/run-$name" && exec timeout 60 "$WORK/$name.bin" --workers 1 --quiet $args) >"$name.out" 2>"$name.err" ||
		fail "$name: exit $?: $(head -c 300 "$name.err")"
	norm=spark_normalize
	! grep -q '^<!-- ordered -->$' "$readme" || norm=cat
	awk '/^## Expected output/ { on = 1; next } on && /^```/ { if (in_) exit; in_ = 1; next } in_ { print }' "$readme" |
		$norm >"$name.want"
	$norm <"$name.out" >"$name.got"
	diff "$name.want" "$name.got" >"$name.diff" || fail "$name: stdout differs from README.md's expected output: $(head -n 20 "$name.diff")"
	ran=$((ran + 1))
done
[ "$ran" -ge 9 ] || fail "only $ran examples ran"
test_end
