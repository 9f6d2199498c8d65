# bench/lib.sh: what every workload's run.sh shares.  Source it after setting
# BENCH_NAME (for messages), ROOT (the checkout) and W (scratch directory).

log() { printf '[%s] %s\n' "$BENCH_NAME" "$*" >&2; }

# once FILE CMD...: runs CMD (which writes FILE.tmp) unless FILE exists: the
# inputs are generated once and shared by the scripts that use them.
once() {
	local f=$1
	shift
	[[ -s $f ]] && return
	log "generating $f"
	"$@" && mv "$f.tmp" "$f"
}
die() { printf '[%s] error: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

# Sets DSTREAMC: the one the caller gave, or an incremental Release build of
# this checkout in $BENCH_BUILD_DIR (default /tmp/bench-build).
find_dstreamc() {
	if [[ -n ${DSTREAMC:-} ]]; then
		[[ -x $DSTREAMC ]] || die "DSTREAMC=$DSTREAMC is not executable"
		return
	fi
	local build=${BENCH_BUILD_DIR:-/tmp/bench-build}
	if [[ ! -f $build/CMakeCache.txt ]]; then
		log "configuring a Release build of dstreamc in $build"
		cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$W/cmake.log" 2>&1 ||
			die "cmake configure failed, see $W/cmake.log"
	fi
	log "building dstreamc in $build (incremental)"
	cmake --build "$build" -j2 >"$W/build.log" 2>&1 || die "build failed, see $W/build.log"
	DSTREAMC=$build/dstreamc
}
