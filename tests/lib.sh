# lib.sh: helpers shared by the test drivers (tests/run_case.sh,
# tests/diff/run.sh) and the tests/cli scripts.  Sourced, not run; defines
# functions only.

# test_begin NAME DSTREAMC WORKDIR: the opening of a script run as
# `bash NAME.sh DSTREAMC WORKDIR` (tests/cli).  Sets DSTREAMC (absolute),
# TEST_NAME, WORK (absolute, a fresh empty directory, the current one) and
# FAILED=0.  Usage errors and an unusable WORKDIR exit 2; WORKDIR is refused
# when it is '', /, . or .. (it is removed first).
test_begin() {
	TEST_NAME=$1
	if [ -z "${3-}" ]; then
		echo "usage: $TEST_NAME.sh DSTREAMC WORKDIR" >&2
		exit 1
	fi
	DSTREAMC=$(realpath -e -- "$2") || { echo "no such compiler: $2" >&2; exit 2; }
	WORK=$3
	case "$WORK" in '' | / | . | ..) echo "refusing to use '$WORK'" >&2; exit 2 ;; esac
	rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
	WORK=$(cd "$WORK" && pwd)
	cd "$WORK" || exit 2
	FAILED=0
}

# fail MESSAGE: one failed check; the script goes on, test_end reports it.
fail() {
	echo "FAIL $TEST_NAME: $*"
	FAILED=1
}

# test_end: exit 0 if no check failed, else "FAIL NAME (work directory: WORK)"
# and exit 1.
test_end() {
	if [ "$FAILED" -ne 0 ]; then
		echo "FAIL $TEST_NAME (work directory: $WORK)"
		exit 1
	fi
	exit 0
}

# spark_normalize: stdin to stdout; in every Spark print block (a line of 43
# '-', "Time: ... ms", a line of 43 '-', records, optional "...", an empty
# line) the record lines are sorted bytewise; all other lines stay in place.
# A record may be an empty string, printed as an empty line: the empty line
# that ends a block is the one followed by the next block or the end.
spark_normalize() {
	LC_ALL=C awk '
	function header(j) {
		return line[j] == dash && j + 2 <= NR && line[j+1] ~ /^Time: .* ms$/ && line[j+2] == dash
	}
	function last(j) { return line[j] == "" && (j == NR || header(j + 1)) }
	{ line[NR] = $0 }
	END {
		dash = "-------------------------------------------"
		g = 0; i = 1
		while (i <= NR) {
			if (header(i)) {
				g++
				for (k = 0; k < 3; k++) printf "%d\t0\t%d\t%s\n", g, i + k, line[i + k]
				i += 3
				while (i <= NR && !last(i)) {
					if (line[i] == "..." && i < NR && last(i + 1)) printf "%d\t2\t%d\t%s\n", g, i, line[i]
					else                  printf "%d\t1\t0\t%s\n", g, line[i]
					i++
				}
				if (i <= NR) { printf "%d\t2\t%d\t%s\n", g, i, line[i]; i++ }
			} else {
				g++
				printf "%d\t0\t%d\t%s\n", g, i, line[i]
				i++
			}
		}
	}' | LC_ALL=C sort -t "$(printf '\t')" -k1,1n -k2,2n -k3,3n -k4 | cut -f4-
}

# diff_multisets DIR1 DIR2: like diff -r, but each file's lines compared as
# a multiset (sorted bytewise): what saveAsTextFiles promises for any number
# of workers.  Prints the differences; exits 1 if there are any.
diff_multisets() {
	local a=$1 b=$2 f rc=0
	diff <(cd "$a" && ls -A) <(cd "$b" && ls -A) || rc=1
	for f in $(cd "$a" && ls -A); do
		[ -f "$b/$f" ] || continue
		if ! diff <(LC_ALL=C sort "$a/$f") <(LC_ALL=C sort "$b/$f") >/dev/null; then
			echo "$f differs:"
			diff <(LC_ALL=C sort "$a/$f") <(LC_ALL=C sort "$b/$f")
			rc=1
		fi
	done
	return $rc
}

# now_ms: the realtime clock in ms.
now_ms() { date +%s%3N; }

# wait_for SECONDS COMMAND...: polls COMMAND every 50 ms; false on timeout.
wait_for() {
	local limit=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$limit" ] || return 1
		sleep 0.05
	done
}

# news FILE: FILE's lines but the scheduler's notes on load (a batch started
# late, the job falling behind, caught up: lang/SPEC.md §21.3), which a busy
# test machine can cause in any run on the real clock; for tests that
# expect a program to say nothing else.
news() {
	grep -v -e ': warning: batch [0-9]* ms started [0-9]* ms late, ' -e ': warning: falling behind: ' \
		-e ': caught up: batch [0-9]* ms started ' "$1"
}

# no_temporaries WHAT: the test's TMPDIR (its own, exported) is empty, else a
# failure naming what left files there; empties it for the next check.
no_temporaries() {
	local left
	left=$(ls -A "$TMPDIR")
	[ -z "$left" ] || fail "$1: left in TMPDIR: $left"
	rm -rf -- "${TMPDIR:?}"/* "$TMPDIR"/.[!.]* 2>/dev/null
}

# write_spin_udf NS: slow.h and slow.c in the current directory, an extern
# function for programs with a known capacity: work(s, n) spins NS ns of the
# thread's CPU time, then returns the number the record starts with (atoll).
# At 200000 ns one worker sustains about 5000 records/s.
write_spin_udf() {
	cat >slow.h <<'H'
#include <stddef.h>
#include <stdint.h>
int64_t work(const char *s, size_t n);
H
	cat >slow.c <<C
#include "slow.h"
#include <stdlib.h>
#include <time.h>
/* $1 ns of CPU, then the record's leading number */
int64_t work(const char *s, size_t n)
{
	struct timespec a, b;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < $1);
	char buf[32];
	size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;
	for (size_t i = 0; i < k; i++)
		buf[i] = s[i];
	buf[k] = 0;
	return atoll(buf);
}
C
}
