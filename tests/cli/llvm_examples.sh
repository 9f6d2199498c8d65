#!/usr/bin/env bash
# llvm_examples.sh DSTREAMC WORKDIR: every examples/*/*.dstream through the
# LLVM backend.  Its IR (at -O0 and -O2) passes opt-14's verifier; it builds
# with --backend=llvm and with --backend=c; and where the program's input is
# deterministic (queue and file sources: not a socket, a receiver, Kafka or a watched directory,
# whose batches depend on timing) both binaries, and `dstreamc run` (the JIT),
# give the same stdout, stderr, exit status and files, run in a copy of the
# example's directory.
set -uo pipefail
DSTREAMC=$(realpath "$1")
WORK=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$WORK" && mkdir -p "$WORK" || exit 2
WORK=$(realpath "$WORK")
failures=0
ran=0
fail() { echo "llvm_examples: $*"; failures=$((failures + 1)); }

for prog in "$ROOT"/examples/*/*.dstream; do
	name=$(basename "$prog" .dstream)
	for o in -O0 -O2; do
		if ! "$DSTREAMC" emit-llvm $o "$prog" -o "$WORK/$name$o.ll"; then
			fail "$name: emit-llvm $o failed"
		elif ! opt-14 -passes=verify -disable-output "$WORK/$name$o.ll"; then
			fail "$name: the $o IR does not verify"
		fi
	done
	csrc=() # the example's own C files (extern functions, receivers)
	for c in "$(dirname "$prog")"/*.c; do
		[ ! -f "$c" ] || csrc+=("$(basename "$c")")
	done
	for be in c llvm; do
		mkdir -p "$WORK/$be"
		(cd "$(dirname "$prog")" && "$DSTREAMC" build "$name.dstream" "${csrc[@]}" -o "$WORK/$be/$name" --backend=$be) ||
			fail "$name: build --backend=$be failed"
	done
	if grep -qE 'socketTextStream|textFileStream|receiverStream|binaryRecordsStream|kafkaStream|saveToKafka|saveToPostgres|saveToRedis' "$prog"; then
		continue # timing-dependent batches: built and verified only
	fi
	ran=$((ran + 1))
	for eng in c llvm jit; do
		dir=$WORK/run-$name-$eng
		cp -r "$(dirname "$prog")" "$dir"
		if [ $eng = jit ]; then
			cmd=("$DSTREAMC" run "$name.dstream" "${csrc[@]}")
		else
			cmd=("$WORK/$eng/$name") # the same name on every engine: messages carry it
		fi
		(cd "$dir" && exec timeout 60 "${cmd[@]}" --batches 20 >"$WORK/$name.$eng.out" 2>"$WORK/$name.$eng.err")
		echo "exit $?" >>"$WORK/$name.$eng.err"
		rm -f "$dir/$name.dstream" "$dir"/*.c "$dir"/*.h
	done
	[ -s "$WORK/$name.c.out" ] || fail "$name: the C backend's binary printed nothing"
	for eng in llvm jit; do
		diff -u "$WORK/$name.c.out" "$WORK/$name.$eng.out" || fail "$name: stdout of $eng differs from C's"
		diff -u "$WORK/$name.c.err" "$WORK/$name.$eng.err" || fail "$name: stderr or status of $eng differs from C's"
		# (a checkpoint records when it was written: the engines' are not byte-equal)
		diff -r -x 'checkpoint-*' "$WORK/run-$name-c" "$WORK/run-$name-$eng" || fail "$name: files written by $eng differ from C's"
	done
done
[ "$ran" -ge 5 ] || fail "only $ran examples were run"
echo "llvm_examples: $ran examples run on 3 engines, $failures failed"
[ "$failures" -eq 0 ]
