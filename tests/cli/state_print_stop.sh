#!/usr/bin/env bash
# state_print_stop.sh DSTREAMC WORKDIR: a running total's state read only by
# print(n) is walked until each print holds its n + 1 records (lower.c), not
# over every key; what a user sees and what the metrics say must not change.
#
#   15 keys, print(3) and print(20): on c, llvm, jit and the interpreter
#   (which walks everything), every batch prints 3 records and "..." in the
#   first block and all 15 in the second, the second blocks agree exactly as
#   multisets, and --metrics-json's records_out is 30 a batch (15 records
#   handed to each of the two prints) on every engine
#   the generated C stops the walk (a `break` after ds_out_full) and counts
#   the rest with ds_out_skip; with a saveAsTextFiles beside the print, it
#   walks every key
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin state_print_stop "$@"

cat >t.dstream <<'EOS'
app "StatePrintStop";
batch 1s;
val kv = queueStream("in.txt").map(l => (l, 1));
val totals = kv.updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0)));
totals.print(3);
totals.print(20);
EOS
{ for k in $(seq 1 15); do echo "k$k"; done; echo ---; echo k1; echo ---; } >in.txt

for e in c llvm jit interp; do
	mkdir -p "$e"
	case $e in
	c | llvm) "$DSTREAMC" build t.dstream -o "$e/prog" --backend=$e >"$e/build.err" 2>&1 || { fail "$e: build failed: $(head -c 300 "$e/build.err")"; continue; }
		RUN=("$e/prog") ;;
	jit) RUN=("$DSTREAMC" run t.dstream) ;;
	interp) RUN=("$DSTREAMC" run --interp t.dstream) ;;
	esac
	timeout 60 "${RUN[@]}" --metrics-json "$e/m.json" >"$e/out.txt" 2>"$e/err.txt" || fail "$e: exit $?: $(head -c 300 "$e/err.txt")"
	# the blocks: 4 per run (2 batches x 2 prints); the first of each batch has 3 records and "..."
	awk -v e=$e '
		/^Time: / { blk++; n = 0; dots = 0; next }
		/^-+$/ { next }
		/^$/ { if (blk) { if (blk % 2 == 1 && (n != 3 || !dots)) print e ": block " blk ": " n " records, dots " dots;
		                  if (blk % 2 == 0 && (n != 15 || dots)) print e ": block " blk ": " n " records, dots " dots } next }
		/^\.\.\.$/ { dots = 1; next }
		{ n++ }
		END { if (blk != 4) print e ": " blk " blocks" }' "$e/out.txt" >"$e/bad.txt"
	[ ! -s "$e/bad.txt" ] || fail "$(cat "$e/bad.txt")"
	# the full blocks, as multisets
	awk '/^Time: / { blk++ } blk % 2 == 0 && /^\(/' "$e/out.txt" | LC_ALL=C sort >"$e/full.txt"
	n=$(grep -c '"records_out": 30,' "$e/m.json")
	[ "$n" -eq 2 ] || fail "$e: records_out is not 30 in both batches: $(grep -o '"records_out": [0-9]*' "$e/m.json" | tr '\n' ' ')"
done
for e in llvm jit interp; do
	cmp -s c/full.txt "$e/full.txt" || fail "$e's full blocks differ from c's: $(diff c/full.txt "$e/full.txt" | head -5)"
done
grep -c '^(k1,2)$' c/full.txt | grep -qx 1 || fail "k1's total after batch 2 is not 2: $(grep '^(k1,' c/full.txt)"

"$DSTREAMC" emit-c t.dstream -o t.c || fail "emit-c failed"
grep -q 'if (ds_out_full(t, 0) && ds_out_full(t, 1))' t.c && grep -q 'ds_out_skip(t, ' t.c ||
	fail "the generated C does not stop the walk at the prints"
sed 's/^totals.print(20);$/totals.saveAsTextFiles("out");/' t.dstream >s.dstream
"$DSTREAMC" emit-c s.dstream -o s.c || fail "emit-c of s.dstream failed"
! grep -q 'ds_out_full\|ds_out_skip' s.c || fail "with saveAsTextFiles the walk must visit every key"

test_end
