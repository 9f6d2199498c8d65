#!/usr/bin/env bash
# textdir_wordcount.sh DSTREAMC WORKDIR: textFileStream("incoming").
#
# While the program runs (--batches 9), files written in staging/ are moved
# into incoming/, each after the program has printed a batch:
#   a.txt                       moved in: counted (a line appended after it
#                               was read: not counted)
#   b.txt                       mtime 2001-01-01 (touch -d), then moved in: counted
#   .e.tmp -> e.txt             written in incoming/ under a hidden name, then
#                               renamed there (write-then-rename): counted once
#   c.txt                       moved in: counted
# and never counted:
#   before.txt                  present before the start
#   .hidden.tmp                 hidden ('.'), written in place, never renamed
#   _marker                     '_' prefix
#   sub/ (with a file inside)   a directory moved in
# Checks: the word totals over all batches are exactly those of a, b, c and
# e (so each file read once though the run goes on for several batches after
# the last move); each file's words all in one batch; 9 complete print blocks
# with consecutive times, multiples of 1000; empty stderr; exit 0.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

cd "$WORK" || exit 2
mkdir -p incoming staging/sub

printf 'pre existing file before start\nignored words here\n' >incoming/before.txt
# before.txt's mtime and ctime must be "now" (a file just created); it is
# still old for the program, being there at the start.

cat >staging/a.txt <<'EOF'
fileA alpha beta gamma
alpha beta
alpha
EOF
cat >staging/b.txt <<'EOF'
fileB old mtime alpha
old old
EOF
cat >staging/c.txt <<'EOF'
fileC gamma delta
delta delta delta
EOF
awk 'BEGIN { for (i = 0; i < 200; i++) print "fileE", "e" (i % 4) }' >staging/e.txt
echo 'inside a directory' >staging/sub/f.txt

cat >expected_totals.txt <<'EOF'
alpha 4
beta 2
delta 4
e0 50
e1 50
e2 50
e3 50
fileA 1
fileB 1
fileC 1
fileE 200
gamma 2
mtime 1
old 3
EOF
expected_totals staging/a.txt staging/b.txt staging/c.txt staging/e.txt >computed.txt
expect_same "oracle (test self-check)" expected_totals.txt computed.txt

cat >wc.dstream <<'EOF'
app "TextDirWordCount";
batch 1s;
val lines = textFileStream("incoming");
val counts = lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.print(1000);
EOF
"$DSTREAMC" build wc.dstream -o prog >build.log 2>&1 || fatal "dstreamc build failed: $(cat build.log)"

./prog --batches 9 >out.txt 2>err.txt &
PROG=$!
BG_PIDS+=("$PROG")

nblocks() { grep -c '^Time: ' out.txt; }
# next_batch: waits for one more print block than there is now.
next_batch() {
	local n
	n=$(nblocks)
	wait_for 5 eval '[ "$(nblocks)" -gt '"$n"' ]' || fatal "no new batch within 5 s (after $n); stderr: $(cat err.txt)"
}

# The program has scanned incoming/ once it prints its first batch.
wait_for 10 grep -q '^Time: ' out.txt || fatal "no batch printed within 10 s; stderr: $(cat err.txt)"

sleep 0.1
echo 'hidden words never renamed' >incoming/.hidden.tmp
echo 'underscore words' >incoming/_marker
mv staging/a.txt incoming/a.txt
mv staging/sub incoming/sub
next_batch

# a.txt has been read: what is appended to it now is not read (read once, whole).
wait_for 5 grep -qxF "(fileA,1)" out.txt || fatal "a.txt was not read within 5 s"
echo "appended alpha beta" >>incoming/a.txt

sleep 0.1
touch -d '2001-01-01' staging/b.txt
mv staging/b.txt incoming/b.txt
cp staging/e.txt incoming/.e.tmp
next_batch

sleep 0.1
mv incoming/.e.tmp incoming/e.txt
mv staging/c.txt incoming/c.txt
last_move=$(now_ms)
next_batch

deadline=$(($(now_ms) + 15000))
while kill -0 "$PROG" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
kill -0 "$PROG" 2>/dev/null && fail "--batches 9 did not end within 15 s"
kill -KILL "$PROG" 2>/dev/null
wait "$PROG"
rc=$?
bg_forget "$PROG"
[ "$rc" -eq 0 ] || fail "exit status $rc (expected 0)"
[ -z "$(news err.txt)" ] || { fail "stderr is not empty:"; news err.txt | head -n 20; }

parse_blocks out.txt >blocks.tsv || fatal "stdout is not a sequence of print blocks (see above)"
n=$(block_count blocks.tsv)
[ "$n" -eq 9 ] || fail "$n print blocks for --batches 9 (expected 9)"
check_times blocks.tsv 1000 || fail "batch times (above)"
after=$(awk -F '\t' -v t="$last_move" '$1 == "B" && $2 > t' blocks.tsv | wc -l)
[ "$after" -ge 3 ] || fail "test timing: only $after batches after the last move (want >= 3 to see no re-reads)"

word_totals blocks.tsv >actual_totals.txt
expect_same "word totals over all batches" expected_totals.txt actual_totals.txt

# Each file whole in one batch: its marker word appears in one batch only.
for m in fileA fileB fileC fileE; do
	k=$(awk -F '\t' -v w="($m," '$1 == "R" && index($3, w) == 1' blocks.tsv | wc -l)
	[ "$k" -eq 1 ] || fail "'$m' appears in $k batches (expected 1)"
done
# The same file's other words are in the marker's batch.
tA=$(awk -F '\t' '$1 == "R" && $3 == "(fileA,1)" { print $2 }' blocks.tsv)
tE=$(awk -F '\t' '$1 == "R" && $3 == "(fileE,200)" { print $2 }' blocks.tsv)
[ -n "$tA" ] && { awk -F '\t' -v t="$tA" '$1 == "R" && $2 == t && $3 == "(beta,2)"' blocks.tsv | grep -q . ||
	fail "a.txt's words are not all in batch $tA"; }
[ -n "$tE" ] && { [ "$(awk -F '\t' -v t="$tE" '$1 == "R" && $2 == t && $3 ~ /^\(e[0-3],50\)$/' blocks.tsv | wc -l)" -eq 4 ] ||
	fail "e.txt's words are not all in batch $tE"; }

finish
