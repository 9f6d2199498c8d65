# wal_common.bash: the receiver crash test that wal_socket.sh and
# replica_socket.sh share (sourced, not a test: CTest runs only *.sh).
#
# The caller sources tests/sources/common.bash first, then defines:
#   wal_setup          runs in WORK before the first run (servers to start)
#   after_kill RUN     runs after run RUN (1..3) was killed
#   during_last        runs while the last run runs (or nothing)
#   wal_test_checks    more checks at the end
# and sets PROG_FLAGS (more flags for every run).  Then it calls wal_test.
RHERE=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

wal_test() {
	cd "$WORK" || exit 2
	wal_setup
	"$CC" -std=c11 -O1 -Wall -Wextra -o numfeed "$RHERE/numfeed.c" || fatal "cannot compile numfeed.c"

	./numfeed --rate 2000 --total 14000 >feed.out 2>feed.err &
	BG_PIDS+=("$!")
	wait_for 10 grep -q '^port [0-9]' feed.out || fatal "numfeed did not start: $(cat feed.err)"
	PORT=$(awk '$1 == "port" { print $2; exit }' feed.out)

	cat >p.dstream <<-P
	app "WalSocket";
	batch 500ms;
	block 100ms;
	checkpoint "ck" every 1s;
	val lines = socketTextStream("127.0.0.1", $PORT);
	lines.saveAsTextFiles("out/lines");
	lines.map(l => ("lines", 1)).updateStateByKey((vs, st) => Some(sum(vs) + getOrElse(st, 0))).saveAsTextFiles("out/count");
	P
	"$DSTREAMC" build p.dstream -o prog >build.log 2>&1 || fatal "build: $(cat build.log)"

	RANDOM=${DS_CRASH_SEED:-5}
	for run in 1 2 3; do
		./prog --quiet $PROG_FLAGS >"run$run.out" 2>"run$run.err" &
		pid=$!
		BG_PIDS+=("$pid")
		sleep_ms $((1200 + RANDOM % 800))
		kill -KILL "$pid" 2>/dev/null || fail "run $run ended before its kill: $(cat "run$run.err")"
		wait "$pid" 2>/dev/null
		after_kill "$run"
	done
	./prog --quiet $PROG_FLAGS >run4.out 2>run4.err &
	pid=$!
	BG_PIDS+=("$pid")
	during_last
	wait_for 30 grep -q '^done' feed.out || fail "numfeed did not finish: $(cat feed.out)"
	sleep_ms 1200 # the last lines reach the receiver
	kill -TERM "$pid"
	wait "$pid" || fail "the last run exited $? after SIGTERM: $(cat run4.err)"

	# a kill just after a checkpoint may leave nothing after it in the log, but
	# not three times in a row
	# (grep the files itself: in `cat | grep -q` under pipefail, cat dies of
	# SIGPIPE when grep matches early, and the check fails at random)
	grep -q "recovered [0-9]* blocks* received before the crash" run2.err run3.err run4.err ||
		fail "no run recovered blocks from the log: $(cat run2.err run3.err run4.err)"
	cat out/lines-* >all.txt
	sort -n all.txt | uniq -d >dups.txt
	[ -s dups.txt ] && fail "$(wc -l <dups.txt) lines processed twice, e.g. $(head -n 3 dups.txt | tr '\n' ' ')"
	# per client: processed lines are a prefix of what it was sent
	awk -v total=14000 -v maxloss=400 '
		FNR == NR { if ($1 == "client") { first[$2] = $4; n = $2 > n ? $2 : n }; next }
		{ seen[$1] = 1 }
		END {
			bad = 0
			for (k = 1; k <= n; k++) {
				lo = first[k]; hi = (k < n) ? first[k + 1] - 1 : total
				c = lo
				while (c <= hi && (c in seen)) c++
				for (x = c; x <= hi; x++) if (x in seen) { printf "client %d: line %d processed after a gap at %d\n", k, x, c; bad = 1; break }
				loss = hi - c + 1
				if (k < n && loss > maxloss) { printf "client %d: %d lines lost at the kill (more than %d)\n", k, loss, maxloss; bad = 1 }
				if (k == n && loss > 0) { printf "the last client lost %d lines after SIGTERM\n", loss; bad = 1 }
			}
			exit bad
		}' feed.out all.txt >check.txt || fail "$(cat check.txt)"
	[ "$(grep -c '^client' feed.out)" -ge 4 ] || fail "numfeed served $(grep -c '^client' feed.out) clients, expected 4"
	last=$(ls out | grep '^count-' | sort -t- -k2 -n | tail -n 1)
	[ "$(cat "out/$last")" = "(lines,$(wc -l <all.txt))" ] || fail "final count $(cat "out/$last"), processed $(wc -l <all.txt)"
	wal_test_checks
	finish
}
