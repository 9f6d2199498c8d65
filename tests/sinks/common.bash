# common.bash: shared by the tests in tests/sinks/ (sourced, not a test: CTest
# only runs *.sh).  Every test is `bash SCRIPT DSTREAMC WORKDIR`.
#
# The servers are the tests' own: PostgreSQL from initdb and pg_ctl on a
# temporary directory (a unix socket there, and 127.0.0.1 on a free port),
# Redis from redis-server on a free port of 127.0.0.1.  Both are stopped when
# the test exits, however it exits.  As root (CI), PostgreSQL runs as the
# postgres user, which initdb requires.  A machine without the servers (or a
# dstreamc without the client library) skips: exit 77.
#
# Gives: pg_start, pg_stop, pg_restart, psql_q, redis_start, redis_stop,
# redis_cli, free_port, kill_program (and tests/lib.sh's now_ms, wait_for).
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin "$(basename -- "$0" .sh)" "$@"
set -uo pipefail

SINKS_TMP=$(mktemp -d /tmp/dstream-sinks.XXXXXX) || { echo "mktemp failed" >&2; exit 2; }
chmod 755 "$SINKS_TMP"
PG_DATA= REDIS_PID=
cleanup_servers() {
	if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1
	fi
	if [ -n "$REDIS_PID" ]; then
		kill -KILL "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
	fi
	rm -rf -- "$SINKS_TMP"
}
trap cleanup_servers EXIT
trap 'cleanup_servers; exit 1' INT TERM HUP

# free_port: a TCP port of 127.0.0.1 that nothing listens on (just now).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_pg() { # CMD...: as the postgres user when we are root (initdb refuses root)
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start [INITDB FLAGS...]: a fresh cluster in $SINKS_TMP/pg, listening on
# its socket directory and 127.0.0.1:$PG_PORT.  Sets PG_CONN (the socket, as
# the superuser postgres, trusted), PG_PORT, PG_DATA.  False if it did not
# start (its log in pg.log).
pg_start() {
	[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || return 1
	local dir=$SINKS_TMP/pg
	mkdir -p "$dir" && { [ "$(id -u)" -ne 0 ] || chown postgres "$dir"; }
	PG_DATA=$dir/data
	PG_PORT=$(free_port)
	as_pg timeout 60 "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
		-E UTF8 --locale=C "$@" >pg.log 2>&1 || return 1
	PG_CONN="host=$dir port=$PG_PORT user=postgres dbname=postgres"
	pg_up
}
pg_up() {
	as_pg timeout 60 "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$SINKS_TMP/pg/server.log" -w -t 30 \
		-o "-k $SINKS_TMP/pg -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off" start >>pg.log 2>&1
}
# pg_stop [MODE]: stops the server (immediate: as a crash would)
pg_stop() {
	as_pg timeout 60 "$PG_BIN/pg_ctl" -D "$PG_DATA" -m "${1:-fast}" -w -t 30 stop >>pg.log 2>&1
}
# psql_q SQL: the query's rows, unaligned, tab-separated, no header
psql_q() {
	PGOPTIONS='-c client_min_messages=warning' timeout 30 psql -X -q -A -t -F "$(printf '\t')" "$PG_CONN" -v ON_ERROR_STOP=1 -c "$1"
}

# redis_start: redis-server on 127.0.0.1:$REDIS_PORT (a free port the first
# time, the same one after), its append-only file synced at every write, so
# that a kill -9 of the server loses nothing it acknowledged.  Sets
# REDIS_ADDR, REDIS_PID.  False if it did not answer within 10 s.
redis_start() {
	command -v redis-server >/dev/null || return 1
	REDIS_PORT=${REDIS_PORT:-$(free_port)}
	mkdir -p "$SINKS_TMP/redis"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always --dir "$SINKS_TMP/redis" \
		"$@" >>redis.log 2>&1 &
	REDIS_PID=$!
	REDIS_ADDR=127.0.0.1:$REDIS_PORT
	wait_for 10 redis_cli PING >/dev/null 2>&1
}
redis_stop() {
	kill -KILL "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
}
redis_cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ${REDIS_PASS:+-a "$REDIS_PASS" --no-auth-warning} "$@"; }

# exited PID: PID (our child) has exited: gone or a zombie not yet waited for.
exited() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
