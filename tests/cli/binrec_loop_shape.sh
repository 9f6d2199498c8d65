#!/usr/bin/env bash
# binrec_loop_shape.sh DSTREAMC WORKDIR: a binary source's loop, as lowered
# and emitted.  For "i64 i32 _4 f64 u16" (26-byte records, a field at an
# unaligned offset), filtered and reduced by key:
#   --stop-after=lower: one `for-records` with `(26 bytes each)` and a
#     `let rec` of the tuple of four loads at offsets 0, 8, 16, 24;
#   emit-c: the stage's record loop steps by 26 bytes, the record's tuple is
#     built from ds_load_i64/i32/f64/u16 at those offsets, and the stage has
#     no line loop and no conversion call (no ds_next_line, ds_to_int,
#     ds_to_double, ds_split): no text parsing, no per-record call.
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin binrec_loop_shape "$@"

cat >b.dstream <<'EOF2'
batch 1s;
val r = binaryQueueStream("in.bin", "i64 i32 _4 f64 u16", 100);
r.filter(x => x._3 > 0.5).map(x => (x._4, x._1 + x._2)).reduceByKey((a, b) => a + b).print();
EOF2

"$DSTREAMC" emit-c b.dstream --stop-after=lower >ir.txt 2>err.txt || fail "--stop-after=lower failed: $(cat err.txt)"
[ "$(grep -c 'for-records bytes_1 in source 0 (26 bytes each)$' ir.txt)" -eq 1 ] || fail "no single for-records of 26 bytes"
grep -qF 'let rec_2 :(Int, Int, Double, Int) = (tuple (load i64 bytes_1 +0) (load i32 bytes_1 +8) (load f64 bytes_1 +16) (load u16 bytes_1 +24) :(Int, Int, Double, Int))' ir.txt ||
	fail "the record is not the tuple of its four loads"

"$DSTREAMC" emit-c b.dstream -o b.c 2>err.txt || fail "emit-c failed: $(cat err.txt)"
stage=$(awk '/^static void stage1_/ { on = 1 } on { print } on && /^}/ { exit }' b.c)
[ -n "$stage" ] || fail "no stage1 function"
grep -qF 'for (int64_t r = 0; r < blocks[b].nrecs; r++, bytes_1 += 26) {' <<<"$stage" || fail "no record loop stepping by 26"
grep -qF '= (ty_T4IIDI){ds_load_i64(bytes_1 + 0), ds_load_i32(bytes_1 + 8), ds_load_f64(bytes_1 + 16), ds_load_u16(bytes_1 + 24)};' <<<"$stage" ||
	fail "the tuple is not built from the four loads"
for call in ds_next_line ds_to_int ds_to_double ds_split; do
	! grep -q "$call" <<<"$stage" || fail "the stage calls $call"
done
test_end
