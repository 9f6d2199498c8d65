#!/usr/bin/env bash
# check.sh DSTREAMC DSGEN WORKDIR SEED COUNT: the generator's promise that
# every program it writes is well-typed: for seeds SEED..SEED+COUNT-1, dsgen
# writes a program and `dstreamc check` must accept it (exit 0, silent).
# (tests/diff/run.sh builds and runs its own range on every engine.)
# Then the driver's other promise: the regression case it keeps for a seed
# is a tests/ops case that passes run_case.sh (two seeds, the c engine).
set -uo pipefail

if [ $# -ne 5 ]; then
	echo "usage: check.sh DSTREAMC DSGEN WORKDIR SEED COUNT" >&2
	exit 2
fi
DSTREAMC=$(realpath -e -- "$1") || exit 2
DSGEN=$(realpath -e -- "$2") || exit 2
case "$3" in '' | / | /. | . | ..) echo "check.sh: refusing to use '$3'" >&2; exit 2 ;; esac
rm -rf -- "$3" && mkdir -p -- "$3" || exit 2
WORK=$(realpath -e -- "$3")
bad=0
for ((s = $4; s < $4 + $5; s++)); do
	d=$WORK/$s
	mkdir -p -- "$d"
	"$DSGEN" --seed "$s" --dir "$d" || { echo "FAIL: dsgen --seed $s failed"; bad=1; continue; }
	if ! (cd "$d" && exec "$DSTREAMC" check prog.dstream) >"$d/out" 2>&1 || [ -s "$d/out" ]; then
		echo "FAIL: dsgen --seed $s wrote a program that dstreamc check does not accept:"
		cat -- "$d/out"
		bad=1
		continue
	fi
	rm -rf -- "$d"
done

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
if ! DS_ENGINES=c DS_DIFF_KEEP_ALL=1 bash "$HERE/run.sh" --dstreamc "$DSTREAMC" --dsgen "$DSGEN" \
	--work "$WORK/keep" --seed "$4" --count 2 >"$WORK/keep.log" 2>&1; then
	cat -- "$WORK/keep.log"
	echo "FAIL: run.sh on seeds $4, $(($4 + 1))"
	bad=1
fi
for c in "$WORK"/keep/failures/diff_seed_*.dstream; do
	[ -f "$c" ] || { echo "FAIL: run.sh kept no case"; bad=1; break; }
	bash "$HERE/../run_case.sh" "$DSTREAMC" "$c" "$WORK/case-$(basename -- "$c" .dstream)" || bad=1
done
exit $bad
