#!/usr/bin/env bash
# binrec_dir.sh DSTREAMC WORKDIR: binaryRecordsStream("incoming", "i64 i32 _4 f64").
#
# Files made by binrecgen (seeded; its -t text is the oracle) are moved into
# incoming/ while the program runs (--batches 7, 1 s batches):
#   a.bin    2000 records                                   counted
#   big.bin  300000 records (4.8 MB: more than one 4 MiB
#            block of the runtime)                          counted
#   .c.tmp -> c.bin   written hidden, renamed later         counted once
#   t.bin    500 records and 3 bytes more                   counted; the
#            3 bytes are one bad record, reported once
# never counted: before.bin (there at the start), .hidden.bin, _marker.
# The program sums the i64 field per i32 key (keys in [0, 10)) and counts
# records; the totals over all batches must be the oracle's exactly, each
# file's records in one batch, and stderr exactly the one warning.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

BINRECGEN=$(dirname -- "$DSTREAMC")/binrecgen
[ -x "$BINRECGEN" ] || fatal "no binrecgen beside dstreamc"
cd "$WORK" || exit 2
mkdir -p incoming staging

SCHEMA="i64 i32 _4 f64"
gen() { # gen SEED COUNT OUT [--tail K]: the file, and its records as text in OUT.txt
	"$BINRECGEN" -s "$1" -r 1=0:1000 -r 2=0:10 -t "${@:4}" "$SCHEMA" "$2" "$3" >"$3.txt" ||
		fatal "binrecgen failed for $3"
}
gen 1 100 incoming/before.bin
gen 2 2000 staging/a.bin
gen 3 300000 staging/big.bin
gen 4 700 staging/c.bin
gen 5 500 staging/t.bin --tail 3
gen 6 50 staging/hidden.bin
[ "$(stat -c %s staging/big.bin)" -gt $((4 << 20)) ] || fatal "big.bin is not bigger than a block"
[ "$(stat -c %s staging/t.bin)" -eq $((500 * 24 + 3)) ] || fatal "t.bin has the wrong size"

# the oracle: per key, the sum of the first field and the count
awk -F '\t' '{ s[$2] += $1; n[$2]++ } END { for (k in s) print k, s[k], n[k] }' \
	staging/a.bin.txt staging/big.bin.txt staging/c.bin.txt staging/t.bin.txt | LC_ALL=C sort >expected_totals.txt

cat >bin.dstream <<'EOF2'
app "BinaryDir";
batch 1s;
val recs = binaryRecordsStream("incoming", "i64 i32 _4 f64");
recs.map(r => (r._2, (r._1, 1))).reduceByKey((a, b) => (a._1 + b._1, a._2 + b._2)).print(1000);
EOF2
"$DSTREAMC" build bin.dstream -o prog >build.log 2>&1 || fatal "dstreamc build failed: $(cat build.log)"

./prog --batches 7 >out.txt 2>err.txt &
PROG=$!
BG_PIDS+=("$PROG")

nblocks() { grep -c '^Time: ' out.txt; }
next_batch() {
	local n
	n=$(nblocks)
	wait_for 5 eval '[ "$(nblocks)" -gt '"$n"' ]' || fatal "no new batch within 5 s (after $n); stderr: $(cat err.txt)"
}
wait_for 10 grep -q '^Time: ' out.txt || fatal "no batch printed within 10 s; stderr: $(cat err.txt)"

sleep 0.1
cp staging/hidden.bin incoming/.hidden.bin
cp staging/a.bin incoming/_marker
mv staging/a.bin incoming/a.bin
mv staging/big.bin incoming/big.bin
cp staging/c.bin incoming/.c.tmp
next_batch
sleep 0.1
mv incoming/.c.tmp incoming/c.bin
mv staging/t.bin incoming/t.bin
next_batch

deadline=$(($(now_ms) + 15000))
while kill -0 "$PROG" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
kill -0 "$PROG" 2>/dev/null && fail "--batches 7 did not end within 15 s"
kill -KILL "$PROG" 2>/dev/null
wait "$PROG"
rc=$?
bg_forget "$PROG"
[ "$rc" -eq 0 ] || fail "exit status $rc (expected 0)"

parse_blocks out.txt >blocks.tsv || fatal "stdout is not a sequence of print blocks (see above)"
[ "$(block_count blocks.tsv)" -eq 7 ] || fail "$(block_count blocks.tsv) print blocks for --batches 7"
check_times blocks.tsv 1000 || fail "batch times (above)"

# records "(k,(sum,n))": totals over all batches
awk -F '\t' '$1 == "R" {
	r = $3
	if (r !~ /^\(-?[0-9]+,\(-?[0-9]+,[0-9]+\)\)$/) { print "MALFORMED " r; next }
	gsub(/[()]/, "", r); split(r, f, ",")
	s[f[1]] += f[2]; n[f[1]] += f[3]
}
END { for (k in s) print k, s[k], n[k] }' blocks.tsv | LC_ALL=C sort >actual_totals.txt
expect_same "per-key sums and counts over all batches" expected_totals.txt actual_totals.txt

# the tail: exactly one warning, with the file and its 3 bytes
grep -Eqx 'bin\.dstream:3:12: warning: binaryRecordsStream: dropped 1 bad record\(s\) in batch [0-9]+ ms: incomplete record at the end of a file \(records are 24 bytes\): "incoming/t\.bin: 3 bytes"' err.txt ||
	fail "no warning about t.bin's 3 bytes"
[ "$(wc -l <err.txt)" -eq 1 ] || { fail "stderr is not exactly one warning:"; head -n 20 err.txt; }

# a.bin and big.bin were moved in together: one batch holds all their records
n_first=$(awk -F '\t' '$1 == "R"' blocks.tsv | awk -F '\t' '{ print $2 }' | sort -u | wc -l)
[ "$n_first" -eq 2 ] || fail "records in $n_first batches (expected 2: the batch of a and big, the batch of c and t)"

finish
