#!/usr/bin/env bash
# bench_cmd.sh DSTREAMC WORKDIR: the structure of `dstreamc bench --json`
# (no timing is asserted: only what is exact).
#
#   a tiny queueStream program, --reps 1: one entry per engine, in the order
#   interp, c, llvm, jit; every engine runs: its records_in is the input's
#   record count, its figures are numbers, speedup_vs_interp a number (null
#   only when interp did not run); an engine that fails is {"engine", "ok":
#   false, "error": "..."} with a message, never left out (and fails this test)
#   --input PATH: the figures are those of PATH, not of the program's file
#   --records N: N generated records, in 10 batches (the print blocks)
#   --engines c: only that entry
#   a socketTextStream program with --records: replayed (--replay) on every
#   engine, with the generated records; a program with extern C functions:
#   its C file goes to every engine
#   usage errors: exit 2; binaryRecordsStream with --records: exit 1, a message
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin bench_cmd "$@"
mkdir -p tmp || exit 2
export TMPDIR=$WORK/tmp

cat >wc.dstream <<'EOS'
app "BenchCmd";
batch 1s;
val lines = queueStream("in.txt");
lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b).print();
EOS
printf 'a b\nb\n---\nc a\n' >in.txt         # 3 records
printf 'x\ny\nz\n---\nx\n---\ny\n' >other.txt # 5 records

NUM='[0-9]+(\.[0-9]+)?'
# check_json WHAT FILE RECORDS ENGINES...: the exact structure
check_json() {
	local what=$1 file=$2 recs=$3
	shift 3
	local want=("$@") n=${#@} i line e interp_ok=0
	mapfile -t L <"$file"
	[[ ${L[0]} == '{"program": "wc.dstream",' ]] || fail "$what: line 1: ${L[0]}"
	[[ ${L[1]} =~ ^\ \"input\":\ (null|\".*\"),$ ]] || fail "$what: line 2: ${L[1]}"
	[[ ${L[2]} == ' "reps": 1, "workers": 1,' ]] || fail "$what: line 3: ${L[2]}"
	[[ ${L[3]} =~ ^\ \"measure\":\ \"[^\"]+\",$ ]] || fail "$what: line 4: ${L[3]}"
	[[ ${L[4]} == ' "engines": [' ]] || fail "$what: line 5: ${L[4]}"
	[[ ${#L[@]} -eq $((n + 6)) ]] || fail "$what: ${#L[@]} lines, expected $((n + 6))"
	[[ ${L[n + 5]} == ' ]}' ]] || fail "$what: last line: ${L[n + 5]}"
	for ((i = 0; i < n; i++)); do
		e=${want[i]}
		line=${L[i + 5]}
		local comma=','
		((i == n - 1)) && comma=''
		local head="^  \\{\"engine\": \"$e\", "
		local okre="${head}\"ok\": true, \"records_in\": $recs, \"processing_ms\": $NUM, \"records_per_s\": $NUM, \"ns_per_record\": $NUM, \"peak_rss_kb\": [0-9]+"
		local re_i="${okre}\\}$comma\$" re_c="${okre}, \"speedup_vs_interp\": ($NUM|null)\\}$comma\$"
		local re_f="${head}\"ok\": false, \"error\": \"[^\"]+\"\\}$comma\$"
		if [[ $e == interp && $line =~ $re_i ]]; then
			interp_ok=1
		elif [[ $e != interp && $line =~ $re_c ]]; then
			local sp=${BASH_REMATCH[4]} # after the groups of the 3 NUMs before it
			if ((interp_ok)) && [[ $sp == null ]]; then
				fail "$what: $e: speedup_vs_interp null though interp ran"
			elif ((!interp_ok)) && [[ $sp != null ]]; then
				fail "$what: $e: speedup_vs_interp $sp though interp did not run"
			fi
		elif [[ $line =~ $re_f ]]; then
			fail "$what: engine $e failed: $line"
		else
			fail "$what: entry $e: $line"
		fi
	done
}

run() { # WHAT EXPECTED-EXIT ARGS...
	local what=$1 want=$2
	shift 2
	timeout 120 "$DSTREAMC" bench "$@" >out.json 2>err.txt
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "$what: exit $rc (expected $want): $(head -c 400 err.txt)"
}

run "--json" 0 wc.dstream --json --reps 1
check_json "--json" out.json 3 interp c llvm jit
run "--input" 0 wc.dstream --json --reps 1 --input other.txt
check_json "--input" out.json 5 interp c llvm jit
grep -qF '"input": "other.txt",' out.json || fail "--input: the input is not named"
run "--records" 0 wc.dstream --json --reps 1 --records 1234 --engines c
check_json "--records" out.json 1234 c
run "--records, table" 0 wc.dstream --reps 1 --records 40 --batches 4 --engines c,interp
grep -qE '^c +[0-9]+ +[0-9.]+ +[0-9.]+ +[-0-9.x]+ +40$' out.json || fail "--records table: no line for c with 40 records: $(cat out.json)"
grep -qE '^interp ' out.json || fail "--records table: no line for interp"
[ ! -s err.txt ] || fail "bench wrote on stderr: $(head -c 300 err.txt)"
left=$(ls -A tmp)
[ -z "$left" ] || fail "bench left temporaries: $left"

run "--input and --records" 2 wc.dstream --input other.txt --records 5
run "--json on build" 2 build wc.dstream -o x --json
run "--reps 0" 2 wc.dstream --reps 0
printf 'batch 1s;\nsocketTextStream("localhost", 9).map(l => len(l)).print();\n' >sock.dstream
run "socket with --records" 0 sock.dstream --records 10 --json --reps 1
[ "$(grep -cE '"ok": true, "records_in": 10,' out.json)" -eq 4 ] || fail "socket with --records: not 4 engines with 10 records: $(cat out.json)"
cat >twice.h <<'EOS'
#include <stdint.h>
int64_t twice(int64_t x);
EOS
printf '#include "twice.h"\nint64_t twice(int64_t x) { return 2 * x; }\n' >twice.c
printf 'extern "twice.h";\nbatch 1s;\nqueueStream("in.txt").map(l => twice(len(l))).print();\n' >ext.dstream
run "extern C" 0 ext.dstream twice.c --records 20 --json --reps 1
[ "$(grep -cE '"ok": true, "records_in": 20,' out.json)" -eq 4 ] || fail "extern C: not 4 engines with 20 records: $(cat out.json)"
printf 'batch 1s;\nbinaryRecordsStream("d", "i64").print();\n' >bin.dstream
run "binaryRecordsStream with --records" 1 bin.dstream --records 10
grep -qF 'bin.dstream:2:1: binaryRecordsStream cannot be replayed from a file; use binaryQueueStream' err.txt ||
	fail "binaryRecordsStream: message: $(head -c 300 err.txt)"
run "missing input" 1 wc.dstream --input nope.txt
grep -qF "cannot read 'nope.txt'" err.txt || fail "missing input: message: $(head -c 300 err.txt)"

test_end
