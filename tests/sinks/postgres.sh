#!/usr/bin/env bash
# postgres.sh DSTREAMC WORKDIR: saveToPostgres, into a server of our own
# (initdb + pg_ctl on a temporary directory; stopped at the end).
#
#   - the seeds' word count, per batch (append) and running (updateStateByKey,
#     "upsert"), on 2 workers: the table holds what saveAsTextFiles writes,
#     the missing tables are made from the record types, and the progress
#     table has a row per batch and output;
#   - every engine (C, LLVM, the JIT, the interpreter) writes the same rows;
#   - exactly once across kill -9: the program with a checkpoint every 3 s,
#     paced, killed with SIGKILL at 4 seeded moments and restarted (C and the
#     JIT in turn): every batch's rows exactly once;
#   - the server restarted in the middle of a run (pg_ctl stop -m immediate,
#     then start): the program says so, goes on, and writes every batch
#     exactly once, with the failures counted in db_errors;
#   - the server down at start: a message, retries, then every batch;
#   - every kind of field (Int, Double, Boolean, String with a tab and a
#     backslash, nested values as text), C and the interpreter;
#   - the real clock: old progress rows deleted; a socket receiver killed
#     five times: no batch's rows twice;
#   - a table of the wrong shape and a wrong password: exit 1 at start, one
#     line naming the output's place.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash"

printf 'batch 1s;\nqueueStream("x").saveToPostgres("", "t");\n' >probe.dstream
if ! "$DSTREAMC" check probe.dstream >check.out 2>&1; then
	grep -q 'built without libpq' check.out && { echo "SKIP $TEST_NAME: dstreamc was built without libpq"; exit 77; }
	fail "check: $(cat check.out)"
fi
pg_start || { echo "SKIP $TEST_NAME: no PostgreSQL server could be started: $(tail -n 3 pg.log)"; exit 77; }
command -v psql >/dev/null || { echo "SKIP $TEST_NAME: no psql"; exit 77; }

# 1,200 lines in 12 batches of 100
seq 1 1200 | awk '{ print "w" ($1 % 13) " n" ($1 % 5) " x\\y" } NR % 100 == 0 && NR < 1200 { print "---" }' >in.txt
program() { # NAME: the word count into tables NAME_counts and NAME_totals, and into files
	cat >"$1.dstream" <<P
app "PgSink";
batch 1s;
checkpoint "ck" every 3s;
val words = queueStream("in.txt").flatMap(l => split(l, " "));
val counts = words.map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.saveToPostgres("$PG_CONN", "$1_counts");
counts.saveAsTextFiles("out/counts");
val totals = words.map(w => (w, 1)).updateStateByKey((vs, s) => Some(sum(vs) + getOrElse(s, 0)));
totals.saveToPostgres("$PG_CONN", "$1_totals", "upsert");
totals.saveAsTextFiles("out/totals");
P
}
# files_rows: the rows the files say, "batch_time<TAB>word<TAB>count", sorted
files_rows() {
	for f in out/counts-*; do
		t=${f##*-}
		sed -e 's/^(\(.*\),\([0-9]*\))$/'"$t"'\t\1\t\2/' "$f"
	done | LC_ALL=C sort
}
table_rows() { psql_q "SELECT batch_time, _1, _2 FROM $1_counts" | LC_ALL=C sort; }
totals_rows() { psql_q "SELECT _1, _2 FROM $1_totals" | LC_ALL=C sort; }
last_totals() { sed -e 's/^(\(.*\),\([0-9]*\))$/\1\t\2/' out/totals-12000 | LC_ALL=C sort; }
# check_tables NAME WHAT: NAME's tables against the files of the run
check_tables() {
	files_rows >want.txt
	table_rows "$1" >got.txt || { fail "$2: query: $(cat got.txt)"; return; }
	diff want.txt got.txt >diff.txt || fail "$2: $1_counts differs from the files: $(head -n 8 diff.txt)"
	last_totals >want_t.txt
	totals_rows "$1" >got_t.txt
	diff want_t.txt got_t.txt >diff.txt || fail "$2: $1_totals differs from the last file: $(head -n 8 diff.txt)"
	# a row per batch (the manual clock's are never deleted: lang/SPEC.md §12.3)
	n=$(psql_q "SELECT count(*) FROM dstream_progress WHERE app = 'PgSink' AND output = '$1_counts'")
	[ "$n" = 12 ] || fail "$2: dstream_progress has $n rows of $1_counts, expected 12"
}

# ---- a clean run, on 2 workers ----
program a
"$DSTREAMC" build a.dstream -o a >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 60 ./a --quiet --workers 2 --metrics-json a.json >a.out 2>a.err || fail "the program exited $?: $(cat a.err)"
[ -s a.err ] && fail "the program said: $(cat a.err)"
check_tables a "a clean run"
[ "$(files_rows | wc -l)" -eq 228 ] || fail "the files hold $(files_rows | wc -l) rows, expected 228 (19 words in 12 batches)"
types=$(psql_q "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'a_counts'")
[ "$types" = "_1 text, _2 bigint, batch_time bigint" ] || fail "a_counts was made with columns ($types)"
key=$(psql_q "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = 'a_totals'::regclass AND i.indisprimary")
[ "$key" = _1 ] || fail "a_totals's primary key is '$key', expected _1"
grep -q '"db_errors": 0' a.json || fail "--metrics-json has no db_errors: $(tail -n 1 a.json)"
# a run again without the checkpoint writes nothing twice: every batch is there
rm -rf ck
timeout 60 ./a --quiet >a2.out 2>a2.err || fail "the second run exited $?: $(cat a2.err)"
grep -q "saveToPostgres: batch 1000 ms is in dstream_progress already: skipped" a2.err ||
	fail "the second run did not say it skipped: $(cat a2.err)"
check_tables a "a run again"

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
	check_tables "$engine" "$engine"
done

# ---- exactly once across kill -9 ----
rm -rf ck out
program k
"$DSTREAMC" build k.dstream -o k >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
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
check_tables k "kill -9 four times"
n=$(grep -c 'skipped, as every batch an earlier run wrote' k.err)
echo "kill -9: $n restarts found batches written before the crash"

# ---- the server restarted in the middle of a run ----
rm -rf ck out
program r
"$DSTREAMC" build r.dstream -o r >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
./r --quiet --pace 300ms --metrics-json r.json >r.out 2>r.err &
pid=$!
sleep 1.2
pg_stop immediate || fail "pg_ctl stop: $(tail -n 3 pg.log)"
sleep 1.5
pg_up || fail "pg_ctl start: $(tail -n 3 pg.log)"
wait_for 60 exited "$pid" || { kill -KILL "$pid"; fail "the program did not finish after the server came back"; }
wait "$pid"
rc=$?
[ $rc -eq 0 ] || fail "a server restart: exit $rc: $(cat r.err)"
grep -q 'saveToPostgres: connected to the server again' r.err || fail "a server restart: not said: $(cat r.err)"
check_tables r "a server restart"
errs=$(sed -n 's/.*"totals".*"db_errors": \([0-9]*\).*/\1/p' r.json)
[ "${errs:-0}" -gt 0 ] || fail "a server restart: db_errors in the totals is '${errs}'"

# ---- the server down at start ----
rm -rf ck out
program s
"$DSTREAMC" build s.dstream -o s >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
pg_stop fast || fail "pg_ctl stop: $(tail -n 3 pg.log)"
./s --quiet >s.out 2>s.err &
pid=$!
sleep 1.5
pg_up || fail "pg_ctl start: $(tail -n 3 pg.log)"
wait_for 60 exited "$pid" || { kill -KILL "$pid"; fail "the program did not start once the server was up"; }
wait "$pid" || fail "down at start: exit $?: $(cat s.err)"
grep -q '^s: s.dstream:6:8: saveToPostgres: cannot connect to the server (.*): retrying, every 5 s at most$' s.err ||
	fail "down at start: not said: $(cat s.err)"
check_tables s "down at start"

# ---- the real clock: old progress rows are deleted ----
mkdir -p dir
cat >t.dstream <<P
app "PgClock";
batch 500ms;
checkpoint "ckt" every 1s;
textFileStream("dir").map(l => (l, 1)).saveToPostgres("$PG_CONN", "clock");
P
"$DSTREAMC" build t.dstream -o t >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 60 ./t --quiet --duration 5s >t.out 2>t.err || fail "the real clock: exit $?: $(cat t.err)"
set -- $(psql_q "SELECT count(*), max(batch_time) - min(batch_time) FROM dstream_progress WHERE app = 'PgClock'")
# about 10 batches ran; those the older of the two kept checkpoints covers are gone
[ "${1:-0}" -ge 2 ] && [ "${1:-0}" -le 6 ] && [ "${2:-0}" -eq $(( (${1:-0} - 1) * 500 )) ] ||
	fail "the real clock: dstream_progress holds ${1:-?} rows over ${2:-?} ms, expected the last 2 to 6 batches, without gaps"

# ---- every kind of field, on every engine ----
printf 'a\tb\\c\n---\nxyz\n' >ty.txt
cat >ty.dstream <<P
app "Typed";
batch 1s;
queueStream("ty.txt").map(l => (l, len(l), toDouble(len(l)) / 4.0, len(l) > 3, (l, len(l)), [1, len(l)], Some(len(l)))).saveToPostgres("$PG_CONN", "typed");
P
printf '%s\n' 'a	b\c|5|1.25|t|(a	b\c,5)|[1,5]|Some(5)|1000' 'xyz|3|0.75|f|(xyz,3)|[1,3]|Some(3)|2000' >ty.want
for engine in c interp; do
	psql_q "DROP TABLE IF EXISTS typed; DELETE FROM dstream_progress WHERE app = 'Typed'" >/dev/null
	if [ $engine = c ]; then
		"$DSTREAMC" build ty.dstream -o ty >build.log 2>&1 && timeout 30 ./ty --quiet >ty.out 2>ty.err
	else
		timeout 30 "$DSTREAMC" run --interp ty.dstream --quiet >ty.out 2>ty.err
	fi || fail "typed, $engine: exit $?: $(cat ty.err build.log)"
	timeout 30 psql -X -q -A -t "$PG_CONN" -c "SELECT * FROM typed ORDER BY batch_time" >ty.got
	diff ty.want ty.got >diff.txt || fail "typed, $engine: the rows differ: $(cat diff.txt)"
done
types=$(psql_q "SELECT string_agg(data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'typed'")
[ "$types" = "text, bigint, double precision, boolean, text, text, text, bigint" ] || fail "typed: columns ($types)"

# ---- the real clock, a socket receiver, kill -9 five times ----
LINEFEED=$(dirname "$DSTREAMC")/linefeed
if [ -x "$LINEFEED" ]; then
	lport=$(free_port)
	seq 1 5000 | sed 's/^/word/' >feed.txt
	"$LINEFEED" --port "$lport" --rate 2000 --loop feed.txt >lf.log 2>&1 &
	lf=$!
	cat >sk.dstream <<P
app "SockPg";
batch 500ms;
checkpoint "cks" every 1s;
val counts = socketTextStream("127.0.0.1", $lport).map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.saveToPostgres("$PG_CONN", "sock_counts");
P
	"$DSTREAMC" build sk.dstream -o sk >build.log 2>&1 || fail "build: $(cat build.log)"
	for i in 1 2 3 4 5; do
		./sk --quiet 2>>sk.err &
		pid=$!
		sleep "1.$((RANDOM % 9))"
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
	done
	timeout 30 ./sk --quiet --duration 2s 2>>sk.err || fail "socket: the last run exited $?: $(tail -n 3 sk.err)"
	kill -KILL "$lf" 2>/dev/null
	wait "$lf" 2>/dev/null
	# each batch's word at most once: a batch written twice would repeat its words
	d=$(psql_q "SELECT count(*) FROM (SELECT batch_time, _1 FROM sock_counts GROUP BY 1, 2 HAVING count(*) > 1) d")
	[ "$d" = 0 ] || fail "socket: $d (batch, word) rows are in sock_counts more than once"
	n=$(psql_q "SELECT count(DISTINCT batch_time) FROM sock_counts")
	[ "$n" -ge 6 ] || fail "socket: only $n batches wrote rows"
	grep -q 'checkpoint: recovered from' sk.err || fail "socket: no restart recovered: $(head -n 5 sk.err)"
else
	echo "no $LINEFEED: the socket case is left out"
fi

# ---- a table of the wrong shape; a wrong password ----
psql_q "CREATE TABLE shaped (word text, n integer, batch_time bigint)" >/dev/null
cat >w.dstream <<P
batch 1s;
val counts = queueStream("in.txt").map(w => (w, 1)).reduceByKey((a, b) => a + b);
counts.print();
counts.saveToPostgres("$PG_CONN", "shaped");
P
"$DSTREAMC" build w.dstream -o w >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 30 ./w --quiet >w.out 2>w.err
rc=$?
[ $rc -eq 1 ] || fail "a wrong shape: exit $rc, expected 1"
[ ! -s w.out ] || fail "a wrong shape: a batch ran: $(head -n 3 w.out)"
want="w: w.dstream:4:8: saveToPostgres: the table 'shaped' has the wrong shape: its columns are (word text, n integer, batch_time bigint); the stream's records need (text, bigint, batch_time bigint): their fields in order, as columns of those types, and a column batch_time bigint"
[ "$(cat w.err)" = "$want" ] || fail "a wrong shape said: $(cat w.err)"

psql_q "ALTER USER postgres PASSWORD 'right'" >/dev/null
sed -e "s|\"$PG_CONN\"|\"host=127.0.0.1 port=$PG_PORT user=postgres password=wrong dbname=postgres\"|" w.dstream >pw.dstream
"$DSTREAMC" build pw.dstream -o pw >build.log 2>&1 || { fail "build: $(cat build.log)"; test_end; }
timeout 30 ./pw --quiet >pw.out 2>pw.err
rc=$?
[ $rc -eq 1 ] || fail "a wrong password: exit $rc, expected 1: $(cat pw.err)"
grep -q '^pw: pw.dstream:4:8: saveToPostgres: the server refused the connection: .*password authentication failed for user "postgres"$' pw.err ||
	fail "a wrong password said: $(cat pw.err)"

test_end
