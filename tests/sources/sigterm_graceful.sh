#!/usr/bin/env bash
# sigterm_graceful.sh DSTREAMC WORKDIR: SIGTERM during a run.
#
# A socket wordcount that both prints and saves (saveAsTextFiles("out/wc",
# "txt")).  The line server sends a small chunk, then one second later a big
# one (2,000,000 lines, about 20 MB, so that its batch takes some 200 ms); the
# test sends SIGTERM 60 ms after the time of the batch holding the big chunk
# (B), while that batch is being processed.  Checks:
#   - exit status 0, within 10 s of the signal, empty stderr;
#   - stdout is complete print blocks (the last one ends with its empty
#     line), consecutive times, multiples of 1000; the last is exactly B:
#     the batch in progress was finished, and no batch was started after the
#     signal; or B + 1 s when the receiver got the rest of the big chunk after
#     B's cut, which a graceful stop runs as its one last batch;
#   - the word totals over all printed batches are exactly the lines sent;
#   - out/ holds exactly one file per printed batch, wc-<T>.txt, nothing else
#     (no temporary file left behind), each with exactly the records that
#     batch printed (the batches without data: empty files).
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

cd "$WORK" || exit 2
build_lineserv
mkdir -p out

printf 'small chunk first\nfirst words\n' >small.txt
awk 'BEGIN { for (i = 0; i < 2000000; i++) print "w" (i % 50), "x" (i % 3) }' >big.txt
{
	echo "first 2"
	echo "chunk 1"
	echo "small 1"
	echo "words 1"
	for i in $(seq 0 49); do echo "w$i 40000"; done
	echo "x0 666667"
	echo "x1 666667"
	echo "x2 666666"
} | LC_ALL=C sort >expected_totals.txt
expected_totals small.txt big.txt >computed.txt
expect_same "oracle (test self-check)" expected_totals.txt computed.txt

start_lineserv ls.out --align 100 small.txt big.txt

cat >wc.dstream <<EOF
app "GracefulStop";
batch 1s;
val lines = socketTextStream("127.0.0.1", $LS_PORT);
val counts = lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.print(100);
counts.saveAsTextFiles("out/wc", "txt");
EOF
"$DSTREAMC" build wc.dstream -o prog >build.log 2>&1 || fatal "dstreamc build failed: $(cat build.log)"

./prog >stdout.txt 2>stderr.txt &
PROG=$!
BG_PIDS+=("$PROG")
alive() { kill -0 "$PROG" 2>/dev/null; }

wait_for 15 has_sent ls.out 2 || fatal "the big chunk was not sent within 15 s; lineserv: $(cat ls.out ls.out.err); stderr: $(cat stderr.txt)"
sent2=$(sent_time ls.out 2)
B=$(((sent2 / 1000 + 1) * 1000))
sleep_until_ms $((B + 60))
alive || fatal "the program died before the signal; stderr: $(cat stderr.txt)"
kill -TERM "$PROG"
signalled=$(now_ms)

deadline=$((signalled + 10000))
while alive && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.02; done
if alive; then
	fail "the program did not exit within 10 s of SIGTERM"
	kill -KILL "$PROG" 2>/dev/null
fi
wait "$PROG"
rc=$?
bg_forget "$PROG"
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM (expected 0)"
[ -z "$(news stderr.txt)" ] || { fail "stderr is not empty:"; news stderr.txt | head -n 20; }

[ -z "$(tail -c 1 stdout.txt)" ] && [ "$(tail -n 1 stdout.txt)" = "" ] ||
	fail "stdout does not end with the empty line that closes a print block"
parse_blocks stdout.txt >blocks.tsv || fatal "stdout is not a sequence of complete print blocks (see above); its end:
$(tail -n 8 stdout.txt)"
check_times blocks.tsv 1000 || fail "batch times (above)"
last=$(awk -F '\t' '$1 == "B" { t = $2 } END { print t }' blocks.tsv)
# B, or (lang/SPEC.md §16.6: "runs one more batch with what they had received
# since") B + 1 s holding the rest of the big chunk, when the receiver had not
# read all of it by B's cut (a loaded machine); never a batch without records
after=$((B + 1000))
if [ "$last" = "$after" ]; then
	awk -F '\t' -v t="$after" '$1 == "R" && $2 == t { n++ } END { exit !n }' blocks.tsv ||
		fail "the last printed batch, $after, holds no records: a batch was started after the signal (at $signalled)"
elif [ "$last" != "$B" ]; then
	fail "the last printed batch is '$last', expected $B (signal at $signalled: finish the batch in progress, start no other), or $after with what was received after B"
fi

word_totals blocks.tsv >actual_totals.txt
expect_same "word totals over all printed batches" expected_totals.txt actual_totals.txt

# saveAsTextFiles: one complete file per printed batch, nothing else.
awk -F '\t' '$1 == "B" { print "wc-" $2 ".txt" }' blocks.tsv | LC_ALL=C sort >expected_files.txt
(cd out && ls -A) | LC_ALL=C sort >actual_files.txt
expect_same "files in out/ (one per printed batch, no temporaries)" expected_files.txt actual_files.txt
while IFS= read -r t; do
	f=out/wc-$t.txt
	[ -f "$f" ] || continue
	awk -F '\t' -v t="$t" '$1 == "R" && $2 == t { print $3 }' blocks.tsv | LC_ALL=C sort >expected_file.txt
	LC_ALL=C sort "$f" >actual_file.txt
	expect_same "$f (as a multiset of lines, vs what batch $t printed)" expected_file.txt actual_file.txt
	if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then
		fail "$f does not end with a newline (incomplete last record?)"
	fi
done < <(awk -F '\t' '$1 == "B" { print $2 }' blocks.tsv)

finish
