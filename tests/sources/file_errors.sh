#!/usr/bin/env bash
# file_errors.sh DSTREAMC WORKDIR: the file sources given a missing file, a
# directory, a FIFO or a file where a directory belongs: each is an error
# at start that names the source's place in the program (exit 1, nothing
# printed), or is handled; and a binaryQueueStream file cut short by
# truncate(1) between batches stops the program with a message.
#
# Every case runs under `timeout 10` and checks the exit status, stdout and
# the exact stderr.  --source-path points each program's source elsewhere.
#   missing file: queueStream, textFile, binaryQueueStream, binaryRecords,
#     "prog: LOC: SOURCE: cannot open 'nope': No such file or directory";
#     textFileStream, binaryRecordsStream: "... cannot open directory ...".
#   a directory: queueStream, textFile, binaryRecords "... Is a directory";
#     binaryQueueStream "'d' is a directory, not a file: batches are ranges
#     of a file's records" (it used to run empty batches and exit 0).
#   a FIFO: binaryQueueStream refuses it ("is a FIFO, not a file", it used
#     to read nothing and exit 0); queueStream reads it to its end (a writer
#     sends 2 batches: both printed, exit 0), and while it waits for a
#     writer SIGTERM ends it with exit 0 and nothing said.
#   a file for a directory: textFileStream, binaryRecordsStream
#     "... cannot open directory 'f': Not a directory".
#   truncate: binaryQueueStream of 10 batches under --pace 300ms, its file
#     cut to 2.5 batches after batch 2: batches 1000 and 2000 printed, exit
#     1, "prog: p.dstream:3:9: binaryQueueStream: 'big.bin' became shorter
#     while the program ran (400000 bytes, 1600000 at start): stopping
#     before the batch that reads records 20000..29999".
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"
cd "$WORK" || exit 2

BINRECGEN=$(dirname -- "$DSTREAMC")/binrecgen
[ -x "$BINRECGEN" ] || fatal "no binrecgen beside dstreamc"

build() { # build NAME: NAME.dstream (from stdin) into ./NAME
	cat >"$1.dstream"
	"$DSTREAMC" build "$1.dstream" -o "$1" >"$1.build.log" 2>&1 || fatal "dstreamc build $1 failed: $(cat "$1.build.log")"
}
build queue <<'EOF'
batch 1s;

val s = queueStream("q.txt");
s.print();
EOF
build textfile <<'EOF'
batch 1s;
val q = queueStream("q.txt");
val t = textFile("t.txt");
q.map(l => (l, 1)).join(t.map(l => (l, 2))).print();
EOF
build binqueue <<'EOF'
batch 1s;

val s = binaryQueueStream("b.bin", "i64 i64", 10000);
s.map(r => r._1 % 10).count().print();
EOF
build binfile <<'EOF'
batch 1s;
val q = queueStream("q.txt");
val t = binaryRecords("b.bin", "i64 i64");
q.map(l => (l, 1)).join(t.map(r => (toString(r._1), 2))).print();
EOF
build textdir <<'EOF'
batch 1s;

val s = textFileStream("in");
s.print();
EOF
build bindir <<'EOF'
batch 1s;

val s = binaryRecordsStream("in", "i64");
s.map(r => r + 1).print();
EOF
printf 'a\n---\nb\n' >q.txt
mkdir adir
mkfifo afifo
: >afile

# expect NAME ARGS... : runs ./NAME ARGS under timeout; then checks against
# $want_rc, $want_err (exact, one line) and an empty stdout
expect() {
	local name=$1
	shift
	timeout -k 2 10 "./$name" "$@" >case.out 2>case.err
	local rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "$name $*: exit $rc (expected $want_rc)"
	[ ! -s case.out ] || fail "$name $*: printed: $(head -c 200 case.out)"
	printf '%s\n' "$want_err" >case.want
	expect_same "$name $*: stderr" case.want case.err
}

want_rc=1
# a missing file
want_err="queue: queue.dstream:3:9: queueStream: cannot open 'nope': No such file or directory"
expect queue --source-path 0=nope
want_err="textfile: textfile.dstream:3:9: textFile: cannot open 'nope': No such file or directory"
expect textfile --source-path 1=nope
want_err="binqueue: binqueue.dstream:3:9: binaryQueueStream: cannot open 'nope': No such file or directory"
expect binqueue --source-path 0=nope
want_err="binfile: binfile.dstream:3:9: binaryRecords: cannot open 'nope': No such file or directory"
expect binfile --source-path 1=nope
want_err="textdir: textdir.dstream:3:9: textFileStream: cannot open directory 'nope': No such file or directory"
expect textdir --source-path 0=nope
want_err="bindir: bindir.dstream:3:9: binaryRecordsStream: cannot open directory 'nope': No such file or directory"
expect bindir --source-path 0=nope

# a directory
want_err="queue: queue.dstream:3:9: queueStream: cannot open 'adir': Is a directory"
expect queue --source-path 0=adir
want_err="textfile: textfile.dstream:3:9: textFile: cannot open 'adir': Is a directory"
expect textfile --source-path 1=adir
want_err="binqueue: binqueue.dstream:3:9: binaryQueueStream: 'adir' is a directory, not a file: batches are ranges of a file's records"
expect binqueue --source-path 0=adir
want_err="binfile: binfile.dstream:3:9: binaryRecords: cannot open 'adir': Is a directory"
expect binfile --source-path 1=adir

# a FIFO
want_err="binqueue: binqueue.dstream:3:9: binaryQueueStream: 'afifo' is a FIFO, not a file: batches are ranges of a file's records"
expect binqueue --source-path 0=afifo

# a file for a directory
want_err="textdir: textdir.dstream:3:9: textFileStream: cannot open directory 'afile': Not a directory"
expect textdir --source-path 0=afile
want_err="bindir: bindir.dstream:3:9: binaryRecordsStream: cannot open directory 'afile': Not a directory"
expect bindir --source-path 0=afile

# queueStream reads a FIFO to its end
timeout -k 2 10 ./queue --source-path 0=afifo >fifo.out 2>fifo.err &
PROG=$!
BG_PIDS+=("$PROG")
sleep 0.3
printf 'x\n---\ny\n' >afifo
wait "$PROG"
rc=$?
bg_forget "$PROG"
[ "$rc" -eq 0 ] || fail "queue from a FIFO: exit $rc (expected 0); stderr: $(head -c 300 fifo.err)"
[ ! -s fifo.err ] || fail "queue from a FIFO: stderr: $(head -c 300 fifo.err)"
dash=-------------------------------------------
printf '%s\nTime: 1000 ms\n%s\nx\n\n%s\nTime: 2000 ms\n%s\ny\n\n' $dash $dash $dash $dash >fifo.want
expect_same "queue from a FIFO: stdout" fifo.want fifo.out

# ... and SIGTERM while it waits for a writer ends it quietly
./queue --source-path 0=afifo >wait.out 2>wait.err &
PROG=$!
BG_PIDS+=("$PROG")
sleep 0.5
kill -TERM "$PROG"
deadline=$(($(now_ms) + 5000))
while kill -0 "$PROG" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
kill -0 "$PROG" 2>/dev/null && fail "queue waiting on a FIFO: still running 5 s after SIGTERM"
kill -KILL "$PROG" 2>/dev/null
wait "$PROG"
rc=$?
bg_forget "$PROG"
[ "$rc" -eq 0 ] || fail "queue waiting on a FIFO, SIGTERM: exit $rc (expected 0)"
[ ! -s wait.out ] && [ ! -s wait.err ] || fail "queue waiting on a FIFO, SIGTERM: said $(cat wait.out wait.err | head -c 300)"

# a binaryQueueStream file cut short between batches
"$BINRECGEN" -s 7 "i64 i64" 100000 big.bin || fatal "binrecgen failed"
./binqueue --source-path 0=big.bin --pace 300ms >trunc.out 2>trunc.err &
PROG=$!
BG_PIDS+=("$PROG")
wait_for 10 eval '[ "$(grep -c "^Time: " trunc.out)" -ge 2 ]' || fatal "truncate: no 2 batches within 10 s; stderr: $(cat trunc.err)"
truncate -s 400000 big.bin
deadline=$(($(now_ms) + 10000))
while kill -0 "$PROG" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
kill -KILL "$PROG" 2>/dev/null
wait "$PROG"
rc=$?
bg_forget "$PROG"
[ "$rc" -eq 1 ] || fail "truncate: exit $rc (expected 1)"
[ "$(grep '^Time: ' trunc.out | tr '\n' ' ')" = "Time: 1000 ms Time: 2000 ms " ] ||
	fail "truncate: batches printed: $(grep '^Time: ' trunc.out | tr '\n' ' ')"
printf '%s\n' "binqueue: binqueue.dstream:3:9: binaryQueueStream: 'big.bin' became shorter while the program ran (400000 bytes, 1600000 at start): stopping before the batch that reads records 20000..29999" >trunc.want
expect_same "truncate: stderr" trunc.want trunc.err

finish
