#!/usr/bin/env bash
# redis.sh DSTREAMC WORKDIR: saveToRedis, into a redis-server of our own (a
# free port of 127.0.0.1, its append-only file synced at every write;
# killed at the end).
#
#   - a running count (updateStateByKey) and per-batch counts (keys with the
#     batch time) as two hashes, on 2 workers: they hold what saveAsTextFiles
#     writes, and the progress keys the last batch;
#   - every engine (C, LLVM, the JIT, the interpreter) writes the same;
#   - exactly once and never half-applied across kill -9: the program with a
#     checkpoint every 3 s, paced, killed with SIGKILL at 4 seeded moments and
#     restarted (C and the JIT in turn), while a poller reads the hash and its
#     progress key atomically (a Lua script): every snapshot is the state after
#     the batch its progress key names, and the end is a clean run's;
#   - the server killed (-9) and restarted in the middle of a run, and down at
#     start: said, retried, every batch there;
#   - a wrong password, a server that wants one, and a key that is not a
#     hash: exit 1 at start, naming the output.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash"

printf 'batch 1s;\nqueueStream("x").map(l => (l, 1)).saveToRedis("127.0.0.1:1", "h");\n' >probe.dstream
if ! "$DSTREAMC" check probe.dstream >check.out 2>&1; then
	grep -q 'built without hiredis' check.out && { echo "SKIP $TEST_NAME: dstreamc was built without hiredis"; exit 77; }
	fail "check: $(cat check.out)"
fi
command -v redis-cli >/dev/null || { echo "SKIP $TEST_NAME: no redis-cli"; exit 77; }
redis_start || { echo "SKIP $TEST_NAME: no redis-server could be started: $(tail -n 3 redis.log)"; exit 77; }

seq 1 1200 | awk '{ print "w" ($1 % 13) " n" ($1 % 5) " x\\y" } NR % 100 == 0 && NR < 1200 { print "---" }' >in.txt
program() { # NAME: hashes NAME_totals and NAME_counts, and files
	cat >"$1.dstream" <<P
app "RedisSink";
batch 1s;
checkpoint "ck" every 3s;
val words = queueStream("in.txt").flatMap(l => split(l, " "));
val totals = words.map(w => (w, 1)).updateStateByKey((vs, s) => Some(sum(vs) + getOrElse(s, 0)));
totals.saveToRedis("$REDIS_ADDR", "$1_totals");
totals.saveAsTextFiles("out/totals");
val counts = words.map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.map(p => (toString(batchTime()) + "/" + p._1, p._2)).saveToRedis("$REDIS_ADDR", "$1_counts");
counts.saveAsTextFiles("out/counts");
P
}
pairs() { sed -e 's/^(\(.*\),\([0-9]*\))$/\1\t\2/' "$@"; }
hash_rows() { redis_cli --raw HGETALL "$1" | paste - - | LC_ALL=C sort; }
check_hashes() { # NAME WHAT
	pairs out/totals-12000 | LC_ALL=C sort >want_t.txt
	hash_rows "$1_totals" >got_t.txt
	diff want_t.txt got_t.txt >diff.txt || fail "$2: $1_totals differs from the last file: $(head -n 8 diff.txt)"
	for f in out/counts-*; do t=${f##*-}; pairs "$f" | sed "s|^|$t/|"; done | LC_ALL=C sort >want_c.txt
	hash_rows "$1_counts" >got_c.txt
	diff want_c.txt got_c.txt >diff.txt || fail "$2: $1_counts differs from the files: $(head -n 8 diff.txt)"
	p=$(redis_cli --raw GET "dstream:progress:RedisSink:$1_totals")
	[ "$p" = 12000 ] || fail "$2: the progress key of $1_totals is '$p', expected 12000"
}

# ---- a clean run, on 2 workers ----
program a
"$DSTREAMC" build a.dstream -o a >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 60 ./a --quiet --workers 2 --metrics-json a.json >a.out 2>a.err || fail "the program exited $?: $(cat a.err)"
[ -s a.err ] && fail "the program said: $(cat a.err)"
check_hashes a "a clean run"
[ "$(wc -l <want_c.txt)" -eq 228 ] || fail "the files hold $(wc -l <want_c.txt) counts, expected 228"
grep -q '"db_errors": 0' a.json || fail "--metrics-json has no db_errors: $(tail -n 1 a.json)"
cp -r out ref # the state after each batch, for the snapshots below
rm -rf ck
timeout 60 ./a --quiet >a2.out 2>a2.err || fail "the second run exited $?: $(cat a2.err)"
grep -q "saveToRedis: batch 1000 ms is written already (dstream:progress:RedisSink:a_totals): skipped" a2.err ||
	fail "the second run did not say it skipped: $(cat a2.err)"

# ---- the other engines ----
for engine in llvm jit interp; do
	rm -rf ck out
	program "$engine"
	case $engine in
	llvm)
		"$DSTREAMC" build --backend=llvm llvm.dstream -o llvm >build.log 2>&1 || { fail "llvm build: $(cat build.log)"; continue; }
		timeout 60 ./llvm --quiet >e.out 2>e.err ;;
	jit) timeout 60 "$DSTREAMC" run jit.dstream --quiet >e.out 2>e.err ;;
	interp) timeout 60 "$DSTREAMC" run --interp interp.dstream --quiet >e.out 2>e.err ;;
	esac
	rc=$?
	[ $rc -eq 0 ] || fail "$engine: exit $rc: $(cat e.err)"
	check_hashes "$engine" "$engine"
done

# ---- exactly once, never half-applied, across kill -9 ----
rm -rf ck out snaps
mkdir snaps
program k
"$DSTREAMC" build k.dstream -o k >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
poll() { # atomic snapshots of k_totals and its progress key, until stopped
	local i=0
	while :; do
		redis_cli --raw EVAL "return {redis.call('GET', KEYS[1]) or '0', unpack(redis.call('HGETALL', KEYS[2]))}" 2 \
			dstream:progress:RedisSink:k_totals k_totals >"snaps/$i" 2>/dev/null
		i=$((i + 1))
		sleep 0.05
	done
}
poll &
poller=$!
RANDOM=16
for i in 1 2 3 4; do
	if [ $((i % 2)) -eq 1 ]; then
		./k --quiet --pace 300ms >>k.out 2>>k.err &
	else
		"$DSTREAMC" run k.dstream --quiet --pace 300ms >>k.out 2>>k.err &
	fi
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	sleep 0.4
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
timeout 60 ./k --quiet >>k.out 2>>k.err || fail "the last run exited $?: $(tail -n 5 k.err)"
kill "$poller" 2>/dev/null
wait "$poller" 2>/dev/null
check_hashes k "kill -9 four times"
seen=0
for s in snaps/*; do
	[ -s "$s" ] || continue
	t=$(head -n 1 "$s")
	[ "$t" = 0 ] && continue
	tail -n +2 "$s" | paste - - | LC_ALL=C sort >snap.txt
	pairs "ref/totals-$t" | LC_ALL=C sort >want.txt
	diff want.txt snap.txt >/dev/null || { fail "a snapshot at batch $t is not that batch's state: $(diff want.txt snap.txt | head -n 5)"; break; }
	seen=$((seen + 1))
done
[ "$seen" -ge 5 ] || fail "only $seen snapshots of the hash were taken"
echo "kill -9: $seen consistent snapshots, $(grep -c 'skipped, as every batch' k.err) restarts skipped batches written before the crash"

# ---- the server killed and restarted in the middle of a run ----
rm -rf ck out
program r
"$DSTREAMC" build r.dstream -o r >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
./r --quiet --pace 300ms --metrics-json r.json >r.out 2>r.err &
pid=$!
sleep 1.2
redis_stop
sleep 1.5
redis_start || fail "redis-server did not start again: $(tail -n 3 redis.log)"
wait_for 60 exited "$pid" || { kill -KILL "$pid"; fail "the program did not finish after the server came back"; }
wait "$pid"
rc=$?
[ $rc -eq 0 ] || fail "a server restart: exit $rc: $(cat r.err)"
grep -q 'saveToRedis: connected to the server again' r.err || fail "a server restart: not said: $(cat r.err)"
check_hashes r "a server restart"
errs=$(sed -n 's/.*"totals".*"db_errors": \([0-9]*\).*/\1/p' r.json)
[ "${errs:-0}" -gt 0 ] || fail "a server restart: db_errors in the totals is '${errs}'"

# ---- the server down at start ----
rm -rf ck out
program s
"$DSTREAMC" build s.dstream -o s >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
redis_stop
./s --quiet >s.out 2>s.err &
pid=$!
sleep 1.5
redis_start || fail "redis-server did not start again: $(tail -n 3 redis.log)"
wait_for 60 exited "$pid" || { kill -KILL "$pid"; fail "the program did not start once the server was up"; }
wait "$pid" || fail "down at start: exit $?: $(cat s.err)"
grep -q "^s: s.dstream:6:8: saveToRedis: cannot connect to the server $REDIS_ADDR (.*): retrying, every 5 s at most\$" s.err ||
	fail "down at start: not said: $(cat s.err)"
check_hashes s "down at start"

# ---- a key that is not a hash; passwords ----
redis_cli SET not_a_hash 1 >/dev/null
cat >w.dstream <<P
batch 1s;
val counts = queueStream("in.txt").map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.print();
counts.saveToRedis("$REDIS_ADDR", "not_a_hash");
P
"$DSTREAMC" build w.dstream -o w >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 30 ./w --quiet >w.out 2>w.err
rc=$?
[ $rc -eq 1 ] || fail "not a hash: exit $rc, expected 1"
[ ! -s w.out ] || fail "not a hash: a batch ran: $(head -n 3 w.out)"
want="w: w.dstream:4:8: saveToRedis: the key 'not_a_hash' holds a string, not a hash: this output writes its pairs as the fields of a hash (DEL it, or name another)"
[ "$(cat w.err)" = "$want" ] || fail "not a hash said: $(cat w.err)"

redis_cli CONFIG SET requirepass right >/dev/null
REDIS_PASS=right
sed -e "s|\"$REDIS_ADDR\", \"not_a_hash\"|\"redis://:wrong@$REDIS_ADDR\", \"h\"|" w.dstream >pw.dstream
sed -e "s|\"$REDIS_ADDR\", \"not_a_hash\"|\"$REDIS_ADDR\", \"h\"|" w.dstream >np.dstream
for p in pw np; do
	"$DSTREAMC" build $p.dstream -o $p >build.log 2>&1 || { fail "build: $(cat build.log)"; continue; }
	timeout 30 ./$p --quiet >$p.out 2>$p.err
	rc=$?
	[ $rc -eq 1 ] || fail "$p: exit $rc, expected 1: $(cat $p.err)"
done
grep -q '^pw: pw.dstream:4:8: saveToRedis: the server refused the password: WRONGPASS' pw.err ||
	fail "a wrong password said: $(cat pw.err)"
grep -q '^np: np.dstream:4:8: saveToRedis: the server refused us: NOAUTH' np.err ||
	fail "no password said: $(cat np.err)"
sed -e "s|\"$REDIS_ADDR\", \"not_a_hash\"|\"redis://:right@$REDIS_ADDR/3\", \"h\"|" w.dstream >ok.dstream
"$DSTREAMC" build ok.dstream -o ok >build.log 2>&1 || fail "build: $(cat build.log)"
timeout 30 ./ok --quiet >ok.out 2>ok.err || fail "the right password, database 3: exit $?: $(cat ok.err)"
[ "$(redis_cli -n 3 HLEN h)" -gt 0 ] || fail "the right password, database 3: nothing in h"

test_end
