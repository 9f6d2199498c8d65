#!/usr/bin/env bash
# llvm_ir_shape.sh DSTREAMC WORKDIR: the shape of the LLVM backend's IR for
# examples/wordcount, whose first stage fuses socketTextStream, flatMap(split),
# map and reduceByKey into one loop nest, and whose second starts with the
# records of reduceByKey the workers sent (the exchange).
#   - O2: stage1 is one function holding the whole nest: a loop over blocks,
#     the lines loop in it, the split loop in that (the key's hash inlined
#     innermost), and the only calls left in it are to the runtime's slow
#     paths (ds_input, ds_table_grow, ds_table_clear, ds_str_copy, ds__buf_grow of the
#     exchange) and libc (memchr, bcmp, memset): the tables' upserts (into
#     this worker's partial table, map-side combine, and into the result)
#     are alwaysinline, as are the runtime's hot helpers; with --no-rt-inline
#     those are calls again.  After the nest, stage1 loops over its partials
#     to send them.  stage2 waits for the workers, then loops over the
#     senders' blocks and their records, the upsert inlined there too.
#   - O0: the operators' blocks, named by source location and operator, in
#     pipeline order; the stage list is in the module's metadata.
set -uo pipefail
DSTREAMC=$1
WORK=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$WORK" && mkdir -p "$WORK" || exit 2
cd "$ROOT" || exit 2
failures=0
fail() { echo "llvm_ir_shape: $*"; failures=$((failures + 1)); }

WC=examples/wordcount/wordcount.dstream
"$DSTREAMC" emit-llvm "$WC" -o "$WORK/o2.ll" || fail "emit-llvm failed"
"$DSTREAMC" emit-llvm -O0 "$WC" -o "$WORK/o0.ll" || fail "emit-llvm -O0 failed"
"$DSTREAMC" emit-llvm --no-rt-inline "$WC" -o "$WORK/noinline.ll" || fail "emit-llvm --no-rt-inline failed"

# calls NAME FILE: the sorted, distinct callees of function NAME
calls() {
	awk -v f="@$1(" 'index($0, "define") == 1 && index($0, f) { on = 1 } on { print } on && /^}/ { exit }' "$2" |
		grep -oE 'call [^@]*@[A-Za-z0-9_.]+' | sed 's/.*@//' | sort -u | tr '\n' ' '
}

got=$(calls stage1_socketTextStream "$WORK/o2.ll")
want="bcmp ds__buf_grow ds_input ds_str_copy ds_table_clear ds_table_grow llvm.memset.p0i8.i64 memchr "
[ "$got" = "$want" ] || fail "O2 stage1 calls: got '$got', want '$want'"
got=$(calls stage2_reduceByKey "$WORK/o2.ll")
want="bcmp ds__buf_grow ds_barrier ds_fmt_int ds_out_begin ds_out_end ds_str_copy ds_table_grow ds_xchg_input llvm.memcpy.p0i8.p0i8.i64 llvm.memset.p0i8.i64 "
[ "$got" = "$want" ] || fail "O2 stage2 calls: got '$got', want '$want'"
grep -q '^define.*@upsert_' "$WORK/o2.ll" && fail "O2: an upsert_ is left out of line (alwaysinline)"

got=$(calls stage1_socketTextStream "$WORK/noinline.ll")
for f in ds_next_line ds_split_begin ds_split_next ds_hash_str ds_exchanging ds_xchg_put; do
	case " $got" in *" $f "*) ;; *) fail "--no-rt-inline: stage1 does not call $f (calls: $got)" ;; esac
done
case " $got" in *" ds_str_eq "*) ;; *) fail "--no-rt-inline: stage1's upserts do not call ds_str_eq (calls: $got)" ;; esac

# the loop nest, by opt-14's loop info over the O2 module (stage1, then stage2)
opt-14 -passes='print<loops>' -disable-output "$WORK/o2.ll" 2>"$WORK/loops.txt" || fail "opt-14 failed"
# (the number LLVM appends to an inlined block's name, .iNN, dropped: it moves with any change)
got=$(grep -oE 'Loop at depth [0-9]+ containing: [^,<]*' "$WORK/loops.txt" | sed -E 's/Loop at depth //; s/ containing: / /; s/(\.i)[0-9]+$/\1/')
want='1 %entries.used
2 %.preheader.i
1 %b.body
2 %"examples/wordcount/wordcount.dstream:8:20  flatMap"
3 %split.next
4 %.preheader
4 %.preheader.i.i
4 %used.i
4 %.preheader.i.i
4 %used.i
1 %entries.used
1 %w.body
2 %r.body
3 %.preheader.i.i
3 %used.i'
[ "$got" = "$want" ] || fail "O2 loop nest differs:
--- want
$want
--- got
$got"

# O0: the operators' blocks in pipeline order, in their stages (without the
# number LLVM appends to the second block of a name in a function)
got=$(grep -oE '^"[^"]*":' "$WORK/o0.ll" | sed -E 's/^"//; s/":$//; s/examples\/wordcount\///g; s/([a-z])[0-9]+$/\1/')
want='stage 1: loop over source socketTextStream (wordcount.dstream:7:14)
wordcount.dstream:7:14  socketTextStream
wordcount.dstream:8:20  flatMap
wordcount.dstream:9:20  map
wordcount.dstream:10:20  reduceByKey: combined on this worker, then sent to the key'\''s owner
wordcount.dstream:10:20  reduceByKey
wordcount.dstream:10:20  reduceByKey
wordcount.dstream:10:20  reduceByKey: this worker'\''s partials, to their keys'\'' owners
stage 2: loop over the result of reduceByKey (wordcount.dstream:10:20)
wordcount.dstream:10:20  reduceByKey: the records of wordcount.dstream:9:20 the workers sent this one (the keys it owns)
wordcount.dstream:10:20  reduceByKey
wordcount.dstream:10:20  reduceByKey
wordcount.dstream:11:8  print
once, before the first batch
every batch: reset per-batch state, then run the stages in order
once, after the last batch'
[ "$got" = "$want" ] || fail "O0 operator blocks differ:
--- want
$want
--- got
$got"
grep -q '^!dstream.stages = ' "$WORK/o0.ll" || fail "no !dstream.stages metadata"
grep -q 'stage1_socketTextStream: stage 1: loop over source socketTextStream' "$WORK/o0.ll" ||
	fail "the stage list does not name stage1"

echo "llvm_ir_shape: $failures failed"
[ "$failures" -eq 0 ]
