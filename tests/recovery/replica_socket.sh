#!/usr/bin/env bash
# replica_socket.sh DSTREAMC WORKDIR: block replication under kill -9.
#
# The receiver crash test of wal_socket.sh (numbered lines, three kill -9s,
# a SIGTERM; no line twice, none the receiver had stored lost), with every
# block also sent to a replica (dstreamc replica, on a free loopback port)
# and the program's own write-ahead log DELETED after each kill: each
# restart must say the log is missing and fetch the blocks after its
# checkpoint from the replica.  During the last run the replica is killed
# and started again on the same port: the program must say it goes on
# unreplicated, then that it replicates again, and lose nothing (its own
# log still has every block).
source "$(dirname -- "${BASH_SOURCE[0]}")/../sources/common.bash" "$@"
source "$(dirname -- "${BASH_SOURCE[0]}")/wal_common.bash"

start_replica() { # [PORT]
	"$DSTREAMC" replica --listen "127.0.0.1:${1:-0}" --dir rep >>rep.out 2>>rep.err &
	REP_PID=$!
	BG_PIDS+=("$REP_PID")
	wait_for 10 grep -q "replica listening on 127.0.0.1:${1:-}" rep.out || fatal "the replica did not start: $(cat rep.err)"
}
wal_setup() {
	start_replica
	RPORT=$(sed -n 's/^replica listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' rep.out | head -n 1)
	PROG_FLAGS="--replicate 127.0.0.1:$RPORT"
}
after_kill() {
	[ -d ck/wal ] || fail "no log to delete after run $1"
	rm -rf ck/wal
}
during_last() {
	sleep_ms 1500
	kill -KILL "$REP_PID"
	wait "$REP_PID" 2>/dev/null
	sleep_ms 1000
	: >rep.out
	start_replica "$RPORT"
}
wal_test_checks() {
	for run in 2 3 4; do
		grep -q "write-ahead log 'ck/wal' is missing: fetching the blocks after batch [0-9]* ms from the replica" "run$run.err" ||
			fail "run $run did not fetch from the replica: $(cat "run$run.err")"
	done
	grep -q "replica 127.0.0.1:$RPORT: unreachable (.*): going on unreplicated" run4.err ||
		fail "the last run did not say the replica went away: $(cat run4.err)"
	grep -q "replica 127.0.0.1:$RPORT: replicating again" run4.err ||
		fail "the last run did not say it replicates again: $(cat run4.err)"
}
wal_test
