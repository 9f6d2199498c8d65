#!/usr/bin/env bash
# socket_wordcount.sh DSTREAMC WORKDIR: NetworkWordCount over a real socket.
#
# A one-client line server (lineserv.c) sends two known chunks of lines, each
# 100 ms into a second (early in a 1 s batch), one second apart; the program
# runs --batches 5.  Checks: stdout is exactly 5 complete print blocks with
# consecutive times that are multiples of 1000 and on the epoch clock; the
# word counts summed over all batches are exactly those of the lines sent
# (each line counted once); each chunk landed whole in one batch; stderr is
# empty (the first connect succeeds: nothing to say); exit status 0.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

cd "$WORK" || exit 2
build_lineserv

# Chunk 1: hand-written lines (punctuation, UTF-8, a long word, repeats, CRLF).
cat >chunk1.txt <<'EOF'
the quick brown fox jumps over the lazy dog
the dog barks
a b c d e f g h i j k l m n o p
héllo wörld héllo
x,y (paren) "quoted" tab-less
supercalifragilisticexpialidocious the end
EOF
# A CRLF line: the '\r' is not part of the last word (as Java's readLine).
printf 'crlf line\r\n' >>chunk1.txt
# Chunk 2: 3000 generated lines, "k<i%7> common".
awk 'BEGIN { for (i = 0; i < 3000; i++) print "k" (i % 7), "common" }' >chunk2.txt

# The expected totals, pinned (not only computed): chunk 2's part by hand.
cat >expected_chunk2.txt <<'EOF'
common 3000
k0 429
k1 429
k2 429
k3 429
k4 428
k5 428
k6 428
EOF
expected_totals chunk2.txt >computed_chunk2.txt
expect_same "oracle for chunk 2 (test self-check)" expected_chunk2.txt computed_chunk2.txt
tr -d '\r' <chunk1.txt >chunk1.lf.txt
expected_totals chunk1.lf.txt chunk2.txt >expected_totals.txt
grep -qx 'line 1' expected_totals.txt || fatal "test self-check: no 'line 1' in the expected totals"

start_lineserv ls.out --align 100 chunk1.txt chunk2.txt

cat >wc.dstream <<EOF
// NetworkWordCount over the test's line server
app "SocketWordCount";
batch 1s;
val lines = socketTextStream("127.0.0.1", $LS_PORT);
val words = lines.flatMap(l => split(l, " "));
val pairs = words.map(w => (w, 1));
val counts = pairs.reduceByKey((a, b) => a + b);
counts.print(1000);
EOF
"$DSTREAMC" build wc.dstream -o prog >build.log 2>&1 || fatal "dstreamc build failed: $(cat build.log)"

start=$(now_ms)
timeout -k 5 30 ./prog --batches 5 >out.txt 2>err.txt
rc=$?
end=$(now_ms)
[ "$rc" -eq 0 ] || fail "./prog --batches 5 exited $rc (expected 0); stderr: $(head -c 2000 err.txt)"
[ -z "$(news err.txt)" ] || { fail "stderr is not empty:"; news err.txt | head -n 20; }

parse_blocks out.txt >blocks.tsv || fatal "stdout is not a sequence of print blocks (see above); it was:
$(head -n 40 out.txt)"
n=$(block_count blocks.tsv)
[ "$n" -eq 5 ] || fail "$n print blocks for --batches 5 (expected 5)"
check_times blocks.tsv 1000 || fail "batch times (above)"

# Real clock: the first batch is the first multiple of 1000 after the
# runtime starts, which is a little after this script started the process
# (exec, init): a start-up that crosses a second boundary moves the first
# batch one second on, so allow up to a second of start-up.
first=$(awk -F '\t' '$1 == "B" { print $2; exit }' blocks.tsv)
if [ -n "$first" ]; then
	{ [ "$first" -gt "$start" ] && [ "$first" -le $((start + 2000)) ]; } ||
		fail "first batch time $first is not the first multiple of 1000 after the start ($start, allowing 1 s of start-up)"
	last=$(awk -F '\t' '$1 == "B" { t = $2 } END { print t }' blocks.tsv)
	[ "$last" -le "$end" ] || fail "last batch time $last is after the program ended ($end)"
fi

# The test itself: both chunks were sent, early enough to be counted.
for k in 1 2; do
	st=$(sent_time ls.out "$k")
	if [ -z "$st" ]; then
		fail "lineserv never sent chunk $k (did the program connect?); lineserv said: $(cat ls.out ls.out.err)"
	elif [ -n "${last:-}" ] && [ "$st" -gt $((last - 1500)) ]; then
		fail "test timing: chunk $k sent at $st, too close to the last batch ($last)"
	fi
done

word_totals blocks.tsv >actual_totals.txt
expect_same "word totals over all batches" expected_totals.txt actual_totals.txt

# Each chunk went out in one write 100 ms into a second: all its words are
# in one batch, the batch at the next whole second.
for k in 1 2; do
	st=$(sent_time ls.out "$k")
	[ -n "$st" ] || continue
	want=$(((st / 1000 + 1) * 1000))
	word=$([ "$k" -eq 1 ] && echo supercalifragilisticexpialidocious || echo common)
	got=$(awk -F '\t' -v w="($word," '$1 == "R" && index($3, w) == 1 { print $2 }' blocks.tsv | tr '\n' ' ')
	[ "$got" = "$want " ] || fail "chunk $k (sent at $st): '$word' in batches '$got', expected exactly batch $want"
done

finish
