#!/usr/bin/env bash
# errors.sh DSTREAMC WORKDIR: what `dstreamc kafka` says when it cannot work.
#
# No broker at the address: produce and consume exit 1 within their
# --timeout, naming the address.  Bad command lines: exit 2 with the usage
# error.  An unknown topic: exit 1, and the topic is not created by asking.
# The cluster killed while messages are on their way: produce counts them.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

# expect_error WHAT STATUS FIRST_LINE CMD...: CMD exits STATUS (under a 30 s
# bound), prints nothing on stdout, and its first line on stderr matches
# FIRST_LINE, a glob pattern (librdkafka's reasons end in counts that vary).
expect_error() {
	local what=$1 status=$2 line=$3 rc
	shift 3
	timeout 30 "$@" </dev/null >err.out 2>err.err
	rc=$?
	[ "$rc" = "$status" ] || fail "$what: exit status $rc, expected $status ($(head -n 2 err.err))"
	[ -s err.out ] && fail "$what: wrote to stdout: $(head -n 2 err.out)"
	[[ "$(head -n 1 err.err)" == $line ]] || fail "$what: stderr is '$(head -n 1 err.err)', expected '$line'"
}

# ---- bad command lines: exit 2 --------------------------------------------
usage="(see dstreamc kafka --help)"
expect_error "--topic without partitions" 2 \
	"dstreamc: kafka: --topic 'in': NAME:PARTITIONS, the name 1 to 249 of a-z A-Z 0-9 . _ -" \
	"$DSTREAMC" kafka --topic in
[ "$(tail -n 1 err.err)" = "$usage" ] || fail "usage error without its pointer to --help: $(cat err.err)"
expect_error "--topic in:0" 2 "dstreamc: kafka: --topic: PARTITIONS '0': a whole number from 1 to 1000" \
	"$DSTREAMC" kafka --topic in:0
expect_error "--topic in:x" 2 "dstreamc: kafka: --topic: PARTITIONS 'x': a whole number from 1 to 1000" \
	"$DSTREAMC" kafka --topic in:x
expect_error "--topic 'a b:2'" 2 \
	"dstreamc: kafka: --topic 'a b:2': NAME:PARTITIONS, the name 1 to 249 of a-z A-Z 0-9 . _ -" \
	"$DSTREAMC" kafka --topic 'a b:2'
expect_error "a topic twice" 2 "dstreamc: kafka: --topic 'in:2': topic given twice" \
	"$DSTREAMC" kafka --topic in:1 --topic in:2
expect_error "--brokers 0" 2 "dstreamc: kafka: --brokers '0': a whole number from 1 to 32" \
	"$DSTREAMC" kafka --brokers 0
expect_error "--brokers without a value" 2 "dstreamc: kafka: --brokers needs a value" \
	"$DSTREAMC" kafka --brokers
expect_error "an unknown option" 2 "dstreamc: kafka: unknown option '--partitions'" \
	"$DSTREAMC" kafka --partitions 3
expect_error "produce without --bootstrap" 2 "dstreamc: kafka: produce needs --bootstrap ADDR and --topic T" \
	"$DSTREAMC" kafka produce --topic in
expect_error "consume --timeout 5" 2 "dstreamc: kafka: --timeout '5': a duration such as 500ms, 10s or 2min" \
	"$DSTREAMC" kafka consume --bootstrap 127.0.0.1:1 --topic in --timeout 5
expect_error "produce --key-sep ab" 2 "dstreamc: kafka: --key-sep 'ab': one character" \
	"$DSTREAMC" kafka produce --bootstrap 127.0.0.1:1 --topic in --key-sep ab

# ---- no broker there: exit 1 within the timeout -------------------------
# Port 1 (tcpmux) on loopback: nothing listens there on any machine we run on.
if (exec 3<>/dev/tcp/127.0.0.1/1) 2>/dev/null; then
	echo "note: something listens on 127.0.0.1:1; the no-broker part is skipped"
else
	for cmd in produce consume; do
		t0=$(now_ms)
		expect_error "$cmd with no broker" 1 \
			"dstreamc: kafka: $cmd: no broker at 127.0.0.1:1 answered within 2s: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after *ms in state CONNECT*)" \
			"$DSTREAMC" kafka "$cmd" --bootstrap 127.0.0.1:1 --topic in --timeout 2s
		took=$(($(now_ms) - t0))
		[ "$took" -lt 6000 ] || fail "$cmd with no broker took $took ms (--timeout 2s)"
	done
fi

# ---- an unknown topic, an unreadable file --------------------------------
start_cluster kafka --topic in:2 || { fail "the cluster did not start: $(cat kafka.err)"; test_end; }
expect_error "consume of an unknown topic" 1 "dstreamc: kafka: consume: no topic 'nosuch' at $BOOTSTRAP" \
	"$DSTREAMC" kafka consume --bootstrap "$BOOTSTRAP" --topic nosuch --timeout 5s
echo x >x.txt
expect_error "produce to an unknown topic" 1 "dstreamc: kafka: produce: no topic 'nosuch2' at $BOOTSTRAP" \
	"$DSTREAMC" kafka produce --bootstrap "$BOOTSTRAP" --topic nosuch2 x.txt
# asking did not create it
expect_error "consume of the topic produce refused" 1 "dstreamc: kafka: consume: no topic 'nosuch2' at $BOOTSTRAP" \
	"$DSTREAMC" kafka consume --bootstrap "$BOOTSTRAP" --topic nosuch2 --timeout 5s
expect_error "produce of a missing file" 2 "dstreamc: kafka: produce: cannot open 'missing.txt': No such file or directory" \
	"$DSTREAMC" kafka produce --bootstrap "$BOOTSTRAP" --topic in missing.txt

# ---- the cluster dies while messages are on their way -------------------
# The first line is delivered; the cluster is killed before the other two
# are written: they time out after 2 s and are counted (or, should their
# reports be late, they are purged 5 s after that, and counted).
mkfifo lines
timeout 30 "$DSTREAMC" kafka produce --bootstrap "$BOOTSTRAP" --topic in --timeout 2s lines \
	>lost.out 2>lost.err &
producer=$!
exec 4>lines
echo first >&4
timeout 10 "$DSTREAMC" kafka consume --bootstrap "$BOOTSTRAP" --topic in --from-beginning --max 1 \
	--timeout 5s >first.txt 2>first.err
[ "$(cat first.txt)" = first ] || fail "the first line was not delivered: $(cat first.txt first.err)"
# (bash's "Killed" notice of the cluster goes to /dev/null)
{
	stop_cluster KILL
	printf 'second\nthird\n' >&4
	exec 4>&-
	t0=$(now_ms)
	wait "$producer"
	rc=$?
} 2>/dev/null
took=$(($(now_ms) - t0))
[ "$took" -lt 10000 ] || fail "produce took $took ms to give up on 2 messages (--timeout 2s)"
[ "$rc" -eq 1 ] || fail "produce with the cluster gone: exit status $rc, expected 1 ($(cat lost.err))"
grep -q "^dstreamc: kafka: produce: 2 of 3 messages not delivered to topic 'in' at $BOOTSTRAP: Local: \(Message timed out\|Purged in queue\)" lost.err ||
	fail "produce with the cluster gone: $(cat lost.err)"
test_end
