#!/usr/bin/env bash
# long_lines.sh DSTREAMC WORKDIR: lines longer than --max-line-bytes over a
# socket are dropped and reported; the others are counted.
#
# The program maps each line to (the line, or "long<len>" for lines over 20
# bytes, 1) and counts by key.  The line server sends one chunk, 100 ms into
# a second, so all of it lands in the batch B at the next whole second.
#
# Run 1, --max-line-bytes 100 --batches 3: lines of 99 and 100 bytes are
# kept; one of 101 bytes (with a tab and quotes in its first 40 bytes) and
# one of 200,000 bytes (longer than the reader's 64 KiB chunk) are dropped.
# Run 2, the default limit (1 MiB), --duration 4s: a line of 1048576 bytes is
# kept, one of 1048577 bytes dropped.
# Checks, each run: batch B prints exactly the kept lines' counts, the other
# batches nothing; stderr is exactly one warning line,
#   wc.dstream:3:13: warning: socketTextStream: dropped <N> bad record(s) in
#   batch <B> ms: line longer than --max-line-bytes: "<first 40 bytes>..."
# (the first dropped line of the batch as the sample, escaped); exit 0.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

cd "$WORK" || exit 2
build_lineserv

cat >wc.dstream.in <<'EOF'
app "LongLines";
batch 1s;
val lines = socketTextStream("127.0.0.1", PORT);
val pairs = lines.map(l => (len(l) > 20 ? "long" + toString(len(l)) : l, 1));
pairs.reduceByKey((a, b) => a + b).print(100);
EOF

rep() { head -c "$2" /dev/zero | tr '\0' "$1"; } # rep CHAR N

# run_case NAME CHUNK EXPECTED_RECORDS EXPECTED_WARNING_TEMPLATE ARGS...: builds
# the program for a fresh server, runs it, checks.  "@B@" in the warning is
# the batch the chunk was sent for.
run_case() {
	local name=$1 chunk=$2 exp_records=$3 exp_warning=$4
	shift 4
	mkdir -p "$name"
	start_lineserv "$name/ls.out" --align 100 "$chunk"
	sed "s/PORT/$LS_PORT/" wc.dstream.in >wc.dstream
	"$DSTREAMC" build wc.dstream -o prog >"$name/build.log" 2>&1 || fatal "$name: dstreamc build failed: $(cat "$name/build.log")"
	timeout -k 5 30 ./prog "$@" >"$name/out.txt" 2>"$name/err.txt"
	local rc=$?
	[ "$rc" -eq 0 ] || fail "$name: ./prog $* exited $rc (expected 0)"
	local sent
	sent=$(sent_time "$name/ls.out" 1)
	[ -n "$sent" ] || fatal "$name: the line server never sent its chunk; stderr: $(head -c 2000 "$name/err.txt")"
	local B=$(((sent / 1000 + 1) * 1000))

	parse_blocks "$name/out.txt" >"$name/blocks.tsv" || fatal "$name: stdout is not a sequence of print blocks (see above)"
	check_times "$name/blocks.tsv" 1000 || fail "$name: batch times (above)"
	awk -F '\t' -v b="$B" '$1 == "B" && $2 == b' "$name/blocks.tsv" | grep -q . ||
		fail "$name: no batch $B (the one the chunk was sent for) in the output"
	awk -F '\t' -v b="$B" '$1 == "R" { print ($2 == b ? "" : "in batch " $2 ": ") $3 }' "$name/blocks.tsv" |
		LC_ALL=C sort >"$name/actual_records.txt"
	LC_ALL=C sort "$exp_records" >"$name/expected_records.txt"
	expect_same "$name: records (all expected in batch $B)" "$name/expected_records.txt" "$name/actual_records.txt"

	printf '%s\n' "${exp_warning//@B@/$B}" >"$name/expected_err.txt"
	expect_same "$name: stderr" "$name/expected_err.txt" "$name/err.txt"

	kill -KILL "$LS_PID" 2>/dev/null
	wait "$LS_PID" 2>/dev/null
	bg_forget "$LS_PID"
	BLOCKS_FILE=$name/blocks.tsv
}

# ---- run 1: --max-line-bytes 100 ----------------------------------------------
{
	echo alpha
	rep k 100 && echo
	printf 'TOO-LONG\t"101" ' && rep t $((101 - 15)) && echo
	echo beta
	printf 'HUGE:' && rep h $((200000 - 5)) && echo
	echo alpha
	rep n 99 && echo
	echo gamma
} >chunk1.txt
[ "$(awk '{ print length($0) }' chunk1.txt | tr '\n' ' ')" = "5 100 101 4 200000 5 99 5 " ] ||
	fatal "test self-check: chunk1.txt line lengths are wrong"
cat >expected1.txt <<'EOF'
(alpha,2)
(beta,1)
(gamma,1)
(long100,1)
(long99,1)
EOF
# The sample: the first 40 bytes, then "..." (15 + 25 and 13 + 27 bytes).
run_case run1 chunk1.txt expected1.txt \
	'wc.dstream:3:13: warning: socketTextStream: dropped 2 bad record(s) in batch @B@ ms: line longer than --max-line-bytes: "TOO-LONG\t\"101\" '"$(rep t 25)"'..."' \
	--max-line-bytes 100 --batches 3
n=$(block_count "$BLOCKS_FILE")
[ "$n" -eq 3 ] || fail "run1: $n print blocks for --batches 3"

# ---- run 2: the default limit, 1 MiB ---------------------------------------------
{
	echo delta
	rep m 1048576 && echo
	printf 'OVER-DEFAULT:' && rep o $((1048577 - 13)) && echo
	echo delta
} >chunk2.txt
[ "$(awk '{ print length($0) }' chunk2.txt | tr '\n' ' ')" = "5 1048576 1048577 5 " ] ||
	fatal "test self-check: chunk2.txt line lengths are wrong"
cat >expected2.txt <<'EOF'
(delta,2)
(long1048576,1)
EOF
run_case run2 chunk2.txt expected2.txt \
	'wc.dstream:3:13: warning: socketTextStream: dropped 1 bad record(s) in batch @B@ ms: line longer than --max-line-bytes: "OVER-DEFAULT:'"$(rep o 27)"'..."' \
	--duration 4s
# --duration 4s: batches up to the first time >= start + 4 s: 5 of them (4 if
# the start fell on a whole second).
n=$(block_count "$BLOCKS_FILE")
[ "$n" -eq 4 ] || [ "$n" -eq 5 ] || fail "run2: $n print blocks for --duration 4s (expected 5, or 4)"

finish
