#!/usr/bin/env bash
# save_dirs.sh DSTREAMC WORKDIR: saveAsTextFiles("out/counts/wc", "txt")
# makes its missing directories at start, as Hadoop's output committer
# does; a directory it cannot make stops the program at start.
#
# 1. out/ does not exist: the program runs its 2 batches, exit 0, stderr
#    empty; out/counts/ then holds exactly wc-1000.txt and wc-2000.txt with
#    the batches' counts.
# 2. a file named blk where the directory blk/ should be
#    (saveAsTextFiles("blk/x/wc", "txt")): exit 1 before any batch (stdout
#    empty: the program prints too), stderr exactly
#      prog: wc.dstream:5:46: saveAsTextFiles: cannot create directory 'blk/x': Not a directory
# 3. the directory is removed while the program runs (--pace): the next
#    batch makes it again; both files are there, exit 0.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"
cd "$WORK" || exit 2

printf 'a b a\n---\nb\n' >in.txt
mkprog() { # mkprog PREFIX
	cat >wc.dstream <<EOF
app "SaveDirs";
batch 1s;
val lines = queueStream("in.txt");
val counts = lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.map(p => p._1 + "=" + toString(p._2)).saveAsTextFiles("$1", "txt");
counts.print();
EOF
	"$DSTREAMC" build wc.dstream -o prog >build.log 2>&1 || fatal "dstreamc build failed: $(cat build.log)"
}

# 1. missing parents
mkprog out/counts/wc
./prog >run1.out 2>run1.err
rc=$?
[ "$rc" -eq 0 ] || fail "1: exit $rc (expected 0); stderr: $(head -c 500 run1.err)"
[ ! -s run1.err ] || fail "1: stderr not empty: $(head -c 500 run1.err)"
[ "$(cd out/counts 2>/dev/null && ls -A | tr '\n' ' ')" = "wc-1000.txt wc-2000.txt " ] ||
	fail "1: out/counts holds '$(ls -A out/counts 2>&1 | tr '\n' ' ')' (expected wc-1000.txt wc-2000.txt)"
[ "$(LC_ALL=C sort out/counts/wc-1000.txt 2>/dev/null | tr '\n' ' ')" = "a=2 b=1 " ] || fail "1: wc-1000.txt: $(cat out/counts/wc-1000.txt 2>&1)"
[ "$(cat out/counts/wc-2000.txt 2>/dev/null)" = "b=1" ] || fail "1: wc-2000.txt: $(cat out/counts/wc-2000.txt 2>&1)"

# 2. a file in the way
: >blk
mkprog blk/x/wc
./prog >run2.out 2>run2.err
rc=$?
[ "$rc" -eq 1 ] || fail "2: exit $rc (expected 1)"
[ ! -s run2.out ] || fail "2: batches ran: $(head -c 300 run2.out)"
printf "prog: wc.dstream:5:46: saveAsTextFiles: cannot create directory 'blk/x': Not a directory\n" >run2.want
expect_same "2: stderr" run2.want run2.err
[ -f blk ] && [ ! -s blk ] || fail "2: blk was changed"

# 3. the directory goes away during the run
rm -rf out
mkprog out/counts/wc
./prog --pace 700ms >run3.out 2>run3.err &
PROG=$!
BG_PIDS+=("$PROG")
wait_for 10 test -f out/counts/wc-1000.txt || fatal "3: no out/counts/wc-1000.txt within 10 s; stderr: $(cat run3.err)"
rm -rf out
wait "$PROG"
rc=$?
bg_forget "$PROG"
[ "$rc" -eq 0 ] || fail "3: exit $rc (expected 0); stderr: $(head -c 500 run3.err)"
[ ! -s run3.err ] || fail "3: stderr not empty: $(head -c 500 run3.err)"
[ "$(cd out/counts 2>/dev/null && ls -A | tr '\n' ' ')" = "wc-2000.txt " ] ||
	fail "3: out/counts holds '$(ls -A out/counts 2>&1 | tr '\n' ' ')' (expected wc-2000.txt)"

finish
