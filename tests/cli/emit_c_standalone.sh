#!/usr/bin/env bash
# emit_c_standalone.sh DSTREAMC WORKDIR: the generated C stands on its own.
#
# 1. For every program in tests/ops/*.dstream and examples/**/*.dstream that
#    dstreamc accepts (`check` exits 0), `dstreamc emit-c` exits 0, writes
#    the same C to stdout and to -o FILE, and that C compiles with nothing but
#    the runtime's public include dir on the path:
#      cc -std=c11 -c -Wall -Wextra -Werror -I<repo>/runtime/include -I<the .dstream's directory, for extern headers>
#    (at least 20 programs must get this far: the test is not vacuous).
# 2. The shape of a flatMap -> map -> reduceByKey program: the stage function
#    that reads the source has exactly one `while (ds_next_line` loop (and
#    the file only that one); the flatMap, map and reduceByKey comments are
#    inside that loop's body, in that order; there is no intermediate buffer
#    (no ds_list_push) in the stage.
set -uo pipefail

HERE=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/../lib.sh"
test_begin emit_c_standalone "$@"
CC=${CC:-cc}
CLANG=$(command -v clang || true)
INC=$ROOT/runtime/include
[ -f "$INC/dstream/rt.h" ] || { echo "FAIL emit_c_standalone: no $INC/dstream/rt.h"; exit 1; }

# ---- 1. every accepted program --------------------------------------------------
mapfile -t progs < <({
	ls "$ROOT"/tests/ops/*.dstream 2>/dev/null
	[ -d "$ROOT/examples" ] && find "$ROOT/examples" -name '*.dstream' -type f
} | LC_ALL=C sort)
compiled=0
skipped=()
for p in "${progs[@]}"; do
	rel=${p#"$ROOT"/}
	name=$(echo "$rel" | tr '/' '_')
	name=${name%.dstream}
	if ! timeout 60 "$DSTREAMC" check "$p" >"$name.check.out" 2>&1; then
		skipped+=("$rel")
		continue
	fi
	timeout 60 "$DSTREAMC" emit-c "$p" >"$name.c" 2>"$name.emit.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$rel: check accepts it but emit-c exits $rc: $(head -c 500 "$name.emit.err")"
		continue
	fi
	[ -s "$name.emit.err" ] && fail "$rel: emit-c wrote on stderr: $(head -c 500 "$name.emit.err")"
	timeout 60 "$DSTREAMC" emit-c "$p" -o "$name.o.c" >"$name.emit-o.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] || ! cmp -s "$name.c" "$name.o.c"; then
		fail "$rel: emit-c -o FILE (exit $rc) does not write what emit-c writes to stdout"
	fi
	[ -s "$name.emit-o.out" ] && fail "$rel: emit-c -o FILE printed: $(head -c 300 "$name.emit-o.out")"
	# clang warns where gcc does not (an unused static inline, if ((a == b))):
	# the generated C must be clean under both
	for cc in "$CC" $CLANG; do
		if ! timeout 60 "$cc" -std=c11 -c -Wall -Wextra -Werror -I"$INC" -I"$(dirname -- "$p")" -o "$name.o" "$name.c" >"$name.cc.log" 2>&1; then
			fail "$rel: the emitted C does not compile standalone ($cc -std=c11 -c -Wall -Wextra -Werror -I$INC):"
			head -n 30 "$name.cc.log"
			continue 2
		fi
	done
	compiled=$((compiled + 1))
done
[ "$compiled" -ge 20 ] || fail "only $compiled programs compiled (of ${#progs[@]}; skipped as rejected by check: ${skipped[*]:-none})"

# ---- 2. the shape of a fused stage ---------------------------------------------------
cat >fused.dstream <<'EOF'
app "Fused";
batch 1s;
val lines = queueStream("in.txt");
val words = lines.flatMap(l => split(l, " "));
val pairs = words.map(w => (w, 1));
val counts = pairs.reduceByKey((a, b) => a + b);
counts.print();
EOF
if ! "$DSTREAMC" emit-c fused.dstream >fused.c 2>fused.err; then
	fail "emit-c fused.dstream failed: $(cat fused.err)"
else
	n=$(grep -c 'while (ds_next_line' fused.c)
	[ "$n" -eq 1 ] || fail "fused.c: $n 'while (ds_next_line' loops in the file (expected 1: one source, one pass)"
	# The stage function that holds the line loop, from its header to its closing brace.
	awk '
	/^static void [A-Za-z0-9_]+\(/ { cur = $0; buf = "" }
	cur != "" { buf = buf $0 "\n" }
	/^}/ && cur != "" { if (buf ~ /while \(ds_next_line/) printf "%s", buf; cur = "" }
	' fused.c >stage.c
	[ -s stage.c ] || fail "fused.c: no function holds the 'while (ds_next_line' loop"
	nfun=$(grep -c '^static void ' stage.c)
	[ "$nfun" -eq 1 ] || fail "fused.c: $nfun functions hold a 'while (ds_next_line' loop (expected 1)"
	nloop=$(grep -c 'while (ds_next_line' stage.c)
	[ "$nloop" -eq 1 ] || fail "the stage function has $nloop 'while (ds_next_line' loops (expected exactly 1)"
	# The operator comments inside the loop body: after the while line, before
	# the brace depth falls back to the while's level.
	awk '
	function depth_of(s,   i, c, d) { d = 0; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); if (c == "{") d++; else if (c == "}") d-- } return d }
	!inloop && /while \(ds_next_line/ { inloop = 1; base = depth; depth += depth_of($0); next }
	{
		if (inloop && $0 ~ /^[ \t]*\/\* fused\.dstream:[0-9]+:[0-9]+  [A-Za-z]+ \*\/$/) {
			op = $0; sub(/ \*\/$/, "", op); sub(/^.*  /, "", op); print op
		}
		depth += depth_of($0)
		if (inloop && depth <= base) inloop = 0
	}
	' stage.c | tr '\n' ' ' >inloop.txt
	# reduceByKey twice: into this worker's partial table when there are
	# several workers (map-side combine), into the result with one
	[ "$(cat inloop.txt)" = "flatMap map reduceByKey reduceByKey " ] ||
		fail "operator comments inside the line loop: '$(cat inloop.txt)', expected 'flatMap map reduceByKey reduceByKey '"
	grep -n 'ds_list_push' stage.c >push.txt && fail "the fused stage pushes into an intermediate list: $(cat push.txt)"
	# Each operator's comment names its source line: 4, 5 and 6.
	for lo in '4:[0-9]+  flatMap' '5:[0-9]+  map' '6:[0-9]+  reduceByKey'; do
		grep -qE "/\* fused\.dstream:$lo \*/" stage.c || fail "the stage has no comment 'fused.dstream:$lo'"
	done
	if ! "$CC" -std=c11 -c -Wall -Wextra -Werror -I"$INC" -o fused.o fused.c >fused.cc.log 2>&1; then
		fail "fused.c does not compile standalone:"
		head -n 30 fused.cc.log
	fi
fi

test_end
