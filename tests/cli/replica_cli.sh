#!/usr/bin/env bash
# replica_cli.sh DSTREAMC WORKDIR: the replica server's two front doors.
#
#   dstreamc --help        lists "  replica --listen HOST:PORT --dir DIR"
#   dstreamc replica --listen 127.0.0.1:0 --dir D
#                          prints exactly "replica listening on 127.0.0.1:N"
#                          (N > 0) on stdout, accepts connections on N,
#                          creates D, stops on SIGTERM (and on SIGINT) with
#                          exit 0 within 5 s, nothing on stderr
#   bad arguments          exit 2 and exactly the message (no --listen, no
#                          --dir, no value, an unknown option, a stray
#                          argument, a port out of range)
#   a port taken           exit 1, "... cannot listen on 127.0.0.1:N: address
#                          already in use"
#   a built program        --replica-listen/--replica-dir: the same server
#                          (listed in --help; the one without the other: exit 2)
# Every server binds 127.0.0.1 only and is killed at exit.
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin replica_cli "$@"

BG=()
cleanup() {
	local p
	for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
trap cleanup EXIT

# run NAME CMD...: runs CMD in WORK with a time limit; sets RC, OUT, ERR.
run() {
	local name=$1
	shift
	timeout 20 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	RC=$?
	OUT=$WORK/$name.out
	ERR=$WORK/$name.err
}
expect_rc() { [ "$RC" -eq "$2" ] || fail "$1: exit status $RC, expected $2; stderr: $(head -c 500 "$ERR")"; }
expect_empty() { [ ! -s "$2" ] || fail "$1: expected nothing on $(basename "$2"), got: $(head -c 500 "$2")"; }
expect_exact() { # WHAT FILE TEXT
	printf '%s\n' "$3" >"$2.expected"
	if ! cmp -s "$2.expected" "$2"; then
		fail "$1 differs:"
		diff -u --label expected --label actual "$2.expected" "$2"
	fi
}

# start NAME CMD...: starts a server in the background; sets PID and PORT
# once it has printed its line (within 5 s), else PORT is empty.
start() {
	local name=$1
	shift
	"$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	PID=$!
	BG+=("$PID")
	PORT=
	local i
	for i in $(seq 100); do
		if [ -s "$WORK/$name.out" ] && [ -z "$(tail -c 1 "$WORK/$name.out")" ]; then # a whole line
			PORT=$(sed -n 's/^replica listening on 127\.0\.0\.1:\([1-9][0-9]*\)$/\1/p' "$WORK/$name.out")
			return
		fi
		kill -0 "$PID" 2>/dev/null || return
		sleep 0.05
	done
}

# stop SIG: signals PID; RC its exit status (124: not gone within 5 s).
stop() {
	kill -"$1" "$PID"
	local i
	for i in $(seq 100); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$PID" 2>/dev/null; then
		kill -KILL "$PID"
		wait "$PID" 2>/dev/null
		RC=124
	else
		wait "$PID"
		RC=$?
	fi
}

# ---- --help -------------------------------------------------------------------------
run help "$DSTREAMC" --help
expect_rc "dstreamc --help" 0
grep -qE '^  replica --listen HOST:PORT --dir DIR$' "$OUT" ||
	fail "dstreamc --help does not list '  replica --listen HOST:PORT --dir DIR'"

# ---- a server starts, serves, stops ------------------------------------------------
for sig in TERM INT; do
	start "serve-$sig" "$DSTREAMC" replica --listen 127.0.0.1:0 --dir "$WORK/store-$sig/sub"
	if [ -z "$PORT" ]; then
		fail "SIG$sig: no 'replica listening on 127.0.0.1:N' line within 5 s; stdout: $(cat "$WORK/serve-$sig.out"); stderr: $(cat "$WORK/serve-$sig.err")"
		continue
	fi
	expect_exact "SIG$sig: stdout" "$WORK/serve-$sig.out" "replica listening on 127.0.0.1:$PORT"
	if exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
		exec 3<&- 3>&-
	else
		fail "SIG$sig: nothing accepts connections on 127.0.0.1:$PORT"
	fi
	[ -d "$WORK/store-$sig/sub" ] || fail "SIG$sig: the directory was not created"
	stop "$sig"
	[ "$RC" -eq 0 ] || fail "SIG$sig: exit status $RC, expected 0 (124: not stopped within 5 s)"
	expect_empty "SIG$sig: stderr" "$WORK/serve-$sig.err"
	if exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
		exec 3<&- 3>&-
		fail "SIG$sig: 127.0.0.1:$PORT still accepts connections after the server stopped"
	fi 2>/dev/null
done

# ---- bad arguments ------------------------------------------------------------------
bad() { # NAME MESSAGE ARGS...
	local name=$1 msg=$2
	shift 2
	run "$name" "$DSTREAMC" replica "$@"
	expect_rc "replica $*" 2
	expect_empty "replica $*: stdout" "$OUT"
	expect_exact "replica $*: stderr" "$ERR" "$msg"
}
SEE='(see dstreamc --help)'
bad no-args "dstreamc: replica needs --listen HOST:PORT
$SEE"
bad no-dir "dstreamc: replica needs --dir DIR
$SEE" --listen 127.0.0.1:0
bad no-listen "dstreamc: replica needs --listen HOST:PORT
$SEE" --dir "$WORK/d"
bad no-value "dstreamc: replica: --dir needs a value
$SEE" --listen 127.0.0.1:0 --dir
bad empty-value "dstreamc: replica: --listen needs a value
$SEE" --listen= --dir "$WORK/d"
bad unknown "dstreamc: replica: unknown option '--port'
$SEE" --port 5 --listen 127.0.0.1:0 --dir "$WORK/d"
bad stray "dstreamc: replica: unexpected argument 'extra'
$SEE" --listen 127.0.0.1:0 --dir "$WORK/d" extra
bad port-range "dstreamc: replica: invalid listen address '127.0.0.1:65536' (HOST:PORT, PORT 0 to 65535)" \
	--listen 127.0.0.1:65536 --dir "$WORK/d"
bad no-port "dstreamc: replica: invalid listen address '127.0.0.1' (HOST:PORT, PORT 0 to 65535)" \
	--listen 127.0.0.1 --dir "$WORK/d"
[ ! -e "$WORK/d" ] || fail "a refused command line created its directory"

# ---- a port taken -------------------------------------------------------------------
start taken-1 "$DSTREAMC" replica --listen 127.0.0.1:0 --dir "$WORK/t"
if [ -n "$PORT" ]; then
	run taken-2 "$DSTREAMC" replica --listen "127.0.0.1:$PORT" --dir "$WORK/t"
	expect_rc "a second replica on port $PORT" 1
	expect_empty "a second replica: stdout" "$OUT"
	expect_exact "a second replica: stderr" "$ERR" \
		"dstreamc: replica: cannot listen on 127.0.0.1:$PORT: address already in use"
	stop TERM
	[ "$RC" -eq 0 ] || fail "the first replica: exit status $RC after SIGTERM"
else
	fail "taken: the first replica did not start: $(cat "$WORK/taken-1.err")"
fi

# ---- a built program's --replica-listen -----------------------------------------------
cat >prog.dstream <<'EOF'
app "Words";
batch 1s;
val lines = queueStream("in.txt");
lines.count().print();
EOF
run build "$DSTREAMC" build prog.dstream -o prog
expect_rc "dstreamc build" 0
if [ -x prog ]; then
	run prog-help ./prog --help
	expect_rc "prog --help" 0
	grep -q -- '--replica-listen HOST:PORT' "$OUT" || fail "prog --help does not mention --replica-listen HOST:PORT"
	grep -q -- '--replica-dir DIR' "$OUT" || fail "prog --help does not mention --replica-dir DIR"
	run prog-half ./prog --replica-listen 127.0.0.1:0
	expect_rc "prog --replica-listen alone" 2
	expect_exact "prog --replica-listen alone: stderr" "$ERR" \
		"prog: --replica-listen needs --replica-dir too (see --help)"
	run prog-half2 ./prog --replica-dir "$WORK/p"
	expect_rc "prog --replica-dir alone" 2
	expect_exact "prog --replica-dir alone: stderr" "$ERR" \
		"prog: --replica-dir needs --replica-listen too (see --help)"
	start prog-serve ./prog --replica-listen=127.0.0.1:0 --replica-dir "$WORK/p"
	if [ -n "$PORT" ]; then
		expect_exact "prog as a replica: stdout" "$WORK/prog-serve.out" "replica listening on 127.0.0.1:$PORT"
		stop TERM
		[ "$RC" -eq 0 ] || fail "prog as a replica: exit status $RC after SIGTERM"
		expect_empty "prog as a replica: stderr" "$WORK/prog-serve.err"
	else
		fail "prog --replica-listen: no listening line; stderr: $(cat "$WORK/prog-serve.err")"
	fi
	run prog-bad ./prog --replica-listen 127.0.0.1:x --replica-dir "$WORK/p"
	expect_rc "prog --replica-listen 127.0.0.1:x" 2
	expect_exact "prog --replica-listen 127.0.0.1:x: stderr" "$ERR" \
		"prog: replica: invalid listen address '127.0.0.1:x' (HOST:PORT, PORT 0 to 65535)"
fi

test_end
