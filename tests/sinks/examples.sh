#!/usr/bin/env bash
# examples.sh DSTREAMC WORKDIR: the examples that need a server
# (examples/pgwordcount, examples/redisrunningcount), which
# tests/cli/examples_output.sh skips: each is built, run with --replay
# 0=data/sample.txt against a server of our own, and what its README's
# "Reading the result" block prints is compared with its "Expected output".
ROOT=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd) # before test_begin's cd
source "$ROOT/tests/sinks/common.bash"

# block README LANG: the first fenced block of that language
block() { awk -v l="$2" '$0 == "```" l { on = 1; next } on && /^```/ { exit } on { print }' "$1"; }
# expected README: the block after "## Expected output"
expected() { awk '/^## Expected output/ { on = 1; next } on && /^```/ { if (in_) exit; in_ = 1; next } in_ { print }' "$1"; }

run_example() { # NAME ARGS...: built and run in a copy of its directory
	local name=$1
	shift
	rm -rf "run-$name" && cp -r "$ROOT/examples/$name" "run-$name"
	(cd "run-$name" && "$DSTREAMC" build "$name.dstream" -o "$WORK/$name.bin") >"$name.build" 2>&1 ||
		{ fail "$name: build: $(cat "$name.build")"; return 1; }
	(cd "run-$name" && exec timeout 60 "$WORK/$name.bin" --quiet --replay 0=data/sample.txt "$@") >"$name.out" 2>"$name.err" ||
		{ fail "$name: exit $?: $(head -c 300 "$name.err")"; return 1; }
}

ran=0 servers=0
if pg_start && command -v psql >/dev/null; then
	servers=$((servers + 1))
	if run_example pgwordcount --param conninfo="$PG_CONN"; then
		block "$ROOT/examples/pgwordcount/README.md" sql >q.sql
		timeout 30 psql -X "$PG_CONN" -f q.sql >pg.got 2>pg.err || fail "pgwordcount: the query: $(cat pg.err)"
		expected "$ROOT/examples/pgwordcount/README.md" >pg.want
		diff pg.want pg.got >pg.diff || fail "pgwordcount: the query's output differs from README.md's: $(head -n 20 pg.diff)"
		ran=$((ran + 1))
	fi
else
	echo "skip pgwordcount: no PostgreSQL server could be started"
fi
if redis_start; then
	servers=$((servers + 1))
	if run_example redisrunningcount --param redis="$REDIS_ADDR"; then
		block "$ROOT/examples/redisrunningcount/README.md" sh | sed "s/redis-cli /redis-cli -p $REDIS_PORT /g" >q.sh
		timeout 30 bash q.sh >redis.got 2>redis.err || fail "redisrunningcount: the commands: $(cat redis.err)"
		expected "$ROOT/examples/redisrunningcount/README.md" >redis.want
		diff redis.want redis.got >redis.diff ||
			fail "redisrunningcount: the commands' output differs from README.md's: $(head -n 20 redis.diff)"
		ran=$((ran + 1))
	fi
else
	echo "skip redisrunningcount: no redis-server could be started"
fi
[ "$servers" -gt 0 ] || { echo "SKIP $TEST_NAME: no server"; exit 77; }
echo "examples: $ran of 2 run"
test_end
