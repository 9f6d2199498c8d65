# common.bash: shared by the tests in tests/kafka/ (sourced, not a test: CTest
# only runs *.sh).  Every test is `bash SCRIPT DSTREAMC WORKDIR`.
#
# After test_begin (tests/lib.sh): exits 77 (skipped) when dstreamc was built
# without librdkafka, and kills on exit every cluster start_cluster started.
# Gives: start_cluster, stop_cluster (and tests/lib.sh's now_ms, wait_for).
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin "$(basename -- "$0" .sh)" "$@"
set -uo pipefail

if ! "$DSTREAMC" kafka --help >/dev/null 2>help.err; then
	if grep -q 'built without librdkafka' help.err; then
		echo "SKIP $TEST_NAME: dstreamc was built without librdkafka"
		exit 77
	fi
	fail "dstreamc kafka --help: $(cat help.err)"
	test_end
fi

CLUSTER_PIDS=()
kill_clusters() {
	local p
	for p in "${CLUSTER_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	CLUSTER_PIDS=()
}
trap kill_clusters EXIT
trap 'kill_clusters; exit 1' INT TERM HUP

# start_cluster NAME ARGS...: `dstreamc kafka ARGS` in the background, its
# stdout in NAME.out and stderr in NAME.err; waits (10 s at most) for its
# bootstrap line.  Sets CLUSTER_PID and BOOTSTRAP; false if it did not start.
start_cluster() {
	local name=$1
	shift
	"$DSTREAMC" kafka "$@" >"$name.out" 2>"$name.err" &
	CLUSTER_PID=$!
	CLUSTER_PIDS+=("$CLUSTER_PID")
	BOOTSTRAP=
	wait_for 10 grep -q '^kafka: bootstrap ' "$name.out" || return 1
	BOOTSTRAP=$(awk '$1 == "kafka:" && $2 == "bootstrap" { print $3; exit }' "$name.out")
}

# exited PID: PID (our child) has exited: gone or a zombie not yet waited for
# (kill -0 succeeds on those).
exited() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# stop_cluster SIGNAL: sends SIGNAL to CLUSTER_PID and waits for it, 10 s at
# most; CLUSTER_RC is its exit status ("timeout" if it did not exit: then it
# is killed).
stop_cluster() {
	kill "-$1" "$CLUSTER_PID" 2>/dev/null
	if wait_for 10 exited "$CLUSTER_PID"; then
		{ wait "$CLUSTER_PID"; } 2>/dev/null
		CLUSTER_RC=$?
	else
		CLUSTER_RC=timeout
		kill -KILL "$CLUSTER_PID" 2>/dev/null
		{ wait "$CLUSTER_PID"; } 2>/dev/null
	fi
	local keep=() p
	for p in "${CLUSTER_PIDS[@]}"; do
		[ "$p" = "$CLUSTER_PID" ] || keep+=("$p")
	done
	CLUSTER_PIDS=("${keep[@]}")
}
