#!/usr/bin/env bash
# run.sh: differential tests on random programs (tools/dsgen.c).
#
#   bash tests/diff/run.sh [--seed S] [--count N] [--pipelines P]
#                          [--dstreamc PATH] [--dsgen PATH] [--work DIR] [--keep DIR]
#
# For each seed S..S+N-1 (default 1, 10): dsgen writes a program of P
# pipelines (default 10) with its inputs; the program runs on every engine of
# DS_ENGINES (default "c"), each in a directory of its own; their normalised
# outputs must agree: stdout as Spark print blocks (records within a block
# as a multiset, tests/lib.sh), stderr exactly, the exit status, and the
# files saveAsTextFiles wrote (their names, each a multiset of lines).
#
# Engines: c (dstreamc build, -O2), c-O0 (build -O0), c-clang (build with
# DSTREAM_CC=clang), llvm (build --backend=llvm), jit (dstreamc run), interp
# (dstreamc run --interp); ENGINE-wN runs ENGINE with --workers N.
# DS_ENGINES=auto takes every one of c-w1, c-w2, c-w3, c-O0, llvm-w2, jit-w3
# and interp that this dstreamc has (tried on a one-line program).
#
# On a disagreement (or a program that does not build) it prints the
# program, its inputs and the differing outputs, writes a ready-to-keep
# tests/ops-style case KEEP/diff_seed_S.dstream (KEEP: --keep, default
# WORK/failures) whose expectations are the interpreter's outputs when it
# is one of the engines, else the first engine's, goes on with the next
# seed, and exits 1 at the end.  Exit 0: every seed agreed on every engine.
# Exit 2: a bad command line or a tool missing.
set -uo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib.sh"

die() {
	echo "diff/run.sh: $*" >&2
	exit 2
}

SEED=1
COUNT=10
PIPES=10
DSTREAMC=
DSGEN=
WORK=
KEEP=
while [ $# -gt 0 ]; do
	case "$1" in
	--seed) SEED=$2; shift 2 ;;
	--count) COUNT=$2; shift 2 ;;
	--pipelines) PIPES=$2; shift 2 ;;
	--dstreamc) DSTREAMC=$2; shift 2 ;;
	--dsgen) DSGEN=$2; shift 2 ;;
	--work) WORK=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	*) die "usage: run.sh [--seed S] [--count N] [--pipelines P] [--dstreamc PATH] [--dsgen PATH] [--work DIR] [--keep DIR]" ;;
	esac
done
[[ "$SEED" =~ ^[0-9]+$ && "$COUNT" =~ ^[0-9]+$ && "$PIPES" =~ ^[0-9]+$ ]] ||
	die "--seed, --count and --pipelines take numbers"

# Defaults: the tools of the build directory beside the sources.
ROOT=$(cd -- "$HERE/../.." && pwd)
DSTREAMC=${DSTREAMC:-$ROOT/build/dstreamc}
DSGEN=${DSGEN:-$ROOT/build/dsgen}
DSTREAMC=$(realpath -e -- "$DSTREAMC") || die "no dstreamc at $DSTREAMC (build first, or --dstreamc)"
DSGEN=$(realpath -e -- "$DSGEN") || die "no dsgen at $DSGEN (build first, or --dsgen)"
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/dsdiff.XXXXXX") || die "cannot create a work directory"
fi
case "$WORK" in '' | / | /. | . | ..) die "refusing to use '$WORK' as the work directory" ;; esac
mkdir -p -- "$WORK" || die "cannot create $WORK"
WORK=$(realpath -e -- "$WORK")
KEEP=${KEEP:-$WORK/failures}
TIMEOUT=${DS_CASE_TIMEOUT:-30}

# ---- engines ----------------------------------------------------------------
# engine_build ENGINE DIR: makes DIR/prog (or nothing, for the in-process
# engines); engine_run ENGINE DIR: runs the program in DIR.
engine_build() {
	local e=${1%-w[0-9]*} d=$2 # ENGINE-wN: ENGINE, run with --workers N
	case "$e" in
	c) (cd "$d" && exec "$DSTREAMC" build prog.dstream -o prog) ;;
	c-O0) (cd "$d" && exec "$DSTREAMC" build prog.dstream -o prog -O0) ;;
	c-clang) (cd "$d" && DSTREAM_CC=clang exec "$DSTREAMC" build prog.dstream -o prog) ;;
	llvm) (cd "$d" && exec "$DSTREAMC" build prog.dstream -o prog --backend=llvm) ;;
	jit | interp) (cd "$d" && exec "$DSTREAMC" check prog.dstream) ;;
	*) die "unknown engine '$e' (c, c-O0, c-clang, llvm, jit, interp, or auto)" ;;
	esac
}
engine_run() {
	local e=${1%-w[0-9]*} d=$2 w=()
	[ "$e" = "$1" ] || w=(--workers "${1##*-w}")
	case "$e" in
	jit) (cd "$d" && exec timeout -k 5 "$TIMEOUT" "$DSTREAMC" run prog.dstream "${w[@]}") ;;
	interp) (cd "$d" && exec timeout -k 5 "$TIMEOUT" "$DSTREAMC" run --interp prog.dstream) ;;
	*) (cd "$d" && exec timeout -k 5 "$TIMEOUT" ./prog "${w[@]}") ;;
	esac
}

# Which engines this dstreamc and machine have: each runs a one-line program.
detect_engines() {
	local d=$WORK/probe e found=()
	rm -rf -- "$d"
	mkdir -p -- "$d"
	printf 'batch 1s;\nqueueStream("in.txt").map(l => len(l)).print();\n' >"$d/prog.dstream"
	printf 'ab\n' >"$d/in.txt"
	for e in c-w1 c-w2 c-w3 c-O0 llvm-w2 jit-w3 interp; do
		rm -f -- "$d/prog"
		if engine_build "$e" "$d" >/dev/null 2>&1 &&
			engine_run "$e" "$d" 2>/dev/null | grep -qx 2; then
			found+=("$e")
		fi
	done
	echo "${found[*]}"
}

ENGINES=${DS_ENGINES:-c}
[ "$ENGINES" != auto ] || ENGINES=$(detect_engines)
read -r -a ENG <<<"$ENGINES"
[ ${#ENG[@]} -gt 0 ] || die "no engine to run"
REF=${ENG[0]}
for e in "${ENG[@]}"; do [ "$e" != interp ] || REF=interp; done
echo "diff/run.sh: seeds $SEED..$((SEED + COUNT - 1)), $PIPES pipelines each, engines: ${ENG[*]} (expectations from $REF)"

# ---- one seed ---------------------------------------------------------------
# outputs DIR: the normalised outputs of the run in DIR, in DIR/.norm/.
outputs() {
	local d=$1 f
	mkdir -p -- "$d/.norm"
	spark_normalize <"$d/.stdout" >"$d/.norm/stdout"
	cp -- "$d/.stderr" "$d/.norm/stderr"
	cp -- "$d/.status" "$d/.norm/status"
	: >"$d/.norm/files"
	for f in $(cd "$d" && LC_ALL=C ls -- out* 2>/dev/null); do
		{ echo "== $f"; LC_ALL=C sort -- "$d/$f"; } >>"$d/.norm/files"
	done
}

# keep_case SEED GEN REFDIR: the regression case, from the reference run.
keep_case() {
	local s=$1 g=$2 r=$3 name=diff_seed_$1 f out
	mkdir -p -- "$KEEP"
	out=$KEEP/$name.dstream
	{
		cat -- "$g/prog.dstream"
		for f in $(cd "$g" && LC_ALL=C ls -- *.txt); do
			echo "/* @input $f"
			cat -- "$g/$f"
			echo "*/"
		done
		echo "/* @expect"
		cat -- "$r/.stdout"
		echo "*/"
		if [ -s "$r/.stderr" ]; then
			echo "/* @expect-stderr"
			sed "s/^prog\.dstream:/$name.dstream:/" "$r/.stderr"
			echo "*/"
		fi
		if [ "$(cat -- "$r/.status")" != 0 ]; then
			echo "/* @expect-exit $(cat -- "$r/.status") */"
		fi
		for f in $(cd "$r" && LC_ALL=C ls -- out* 2>/dev/null); do
			echo "/* @expect-file $f"
			cat -- "$r/$f"
			echo "*/"
		done
	} >"$out"
	echo "kept as $out (expectations from $REF; the engines that differ are wrong unless it is)"
}

failed=()
run_seed() {
	local s=$1 g=$WORK/seed-$1 e d bad=0 disagree=0
	rm -rf -- "$g"
	mkdir -p -- "$g/gen"
	"$DSGEN" --seed "$s" --pipelines "$PIPES" --dir "$g/gen" || die "dsgen --seed $s failed"
	for e in "${ENG[@]}"; do
		d=$g/$e
		mkdir -p -- "$d"
		cp -- "$g/gen"/* "$d/"
		if ! engine_build "$e" "$d" >"$d/.build" 2>&1; then
			echo "FAIL seed $s: the program does not build on $e:"
			cat -- "$d/.build"
			bad=1
			continue
		fi
		engine_run "$e" "$d" >"$d/.stdout" 2>"$d/.stderr" </dev/null
		echo $? >"$d/.status"
		outputs "$d"
		# dsgen's programs always run to their end: a crash, a timeout or
		# an error exit is a bug even when every engine agrees on it.
		if [ "$(cat -- "$d/.status")" != 0 ]; then
			echo "FAIL seed $s: the program exited with status $(cat -- "$d/.status") on $e; its stderr:"
			head -20 -- "$d/.stderr"
			bad=1
		fi
	done
	if [ -f "$g/$REF/.norm/status" ]; then
		local r=$g/$REF
		for e in "${ENG[@]}"; do
			[ "$e" != "$REF" ] || continue
			d=$g/$e
			[ -f "$d/.norm/status" ] || continue
			for what in status stdout stderr files; do
				if ! cmp -s -- "$r/.norm/$what" "$d/.norm/$what"; then
					[ "$disagree" -eq 1 ] || echo "FAIL seed $s: the engines disagree"
					disagree=1
					bad=1
					echo "--- $what: $REF vs $e"
					diff -u --label "$REF" --label "$e" "$r/.norm/$what" "$d/.norm/$what" | head -60
				fi
			done
		done
	fi
	if [ "$bad" -ne 0 ]; then
		echo "--- the program (seed $s, in $g/gen):"
		cat -- "$g/gen/prog.dstream"
		for f in $(cd "$g/gen" && LC_ALL=C ls -- *.txt); do
			echo "--- input $f:"
			cat -- "$g/gen/$f"
		done
		[ ! -f "$g/$REF/.stdout" ] || keep_case "$s" "$g/gen" "$g/$REF"
		failed+=("$s")
		return
	fi
	# DS_DIFF_KEEP_ALL=1 keeps every seed as a case (to turn a range
	# into regression tests, or to test keep_case itself).
	[ -z "${DS_DIFF_KEEP_ALL:-}" ] || keep_case "$s" "$g/gen" "$g/$REF" >/dev/null
	[ -n "${DS_DIFF_KEEP_WORK:-}" ] || rm -rf -- "$g"
}

for ((s = SEED; s < SEED + COUNT; s++)); do
	run_seed "$s"
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "diff/run.sh: ${#failed[@]} of $COUNT seeds disagree: ${failed[*]} (work directory: $WORK)"
	exit 1
fi
echo "diff/run.sh: all $COUNT seeds agree on ${ENG[*]}"
exit 0
