#!/usr/bin/env bash
# dev.sh: one entry point for setting up, building, testing and demoing.
#
#   bash scripts/dev.sh setup   install the Debian packages that are missing
#   bash scripts/dev.sh build   setup, configure build/ (once), build
#   bash scripts/dev.sh test    build, then run every test with ctest
#   bash scripts/dev.sh demo    build, then run the wordcount demo (a socket, then Kafka)
#   bash scripts/dev.sh bench   build, then run bench/run.sh
#   bash scripts/dev.sh fuzz TARGET MINUTES
#                               build tests/fuzz/fuzz_TARGET with clang-14, libFuzzer,
#                               ASan and UBSan (in build-fuzz/), run it MINUTES minutes
#
# Environment: BUILD_DIR (default build), JOBS (default 2), FUZZ_BUILD_DIR
# (default build-fuzz), FUZZ_FLAGS (more libFuzzer flags, e.g. -jobs=2).
set -euo pipefail

ROOT=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}

# What a fresh Debian 12 machine lacks (it has gcc, clang, llvm-14-dev, cmake).
PACKAGES=(flex bison libclang-14-dev llvm-14-dev clang-14 librdkafka-dev pkg-config make zlib1g-dev kcat
	chromium python3-prometheus-client curl # these three: tests/http (--http)
	libpq-dev libhiredis-dev postgresql redis-server) # saveToPostgres, saveToRedis, and their servers for tests/sinks

log() { echo "dev.sh: $*" >&2; }

installed() { # installed PKG: true when dpkg has PKG fully installed
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

setup() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		installed "$p" || missing+=("$p")
	done
	command -v cmake >/dev/null || missing+=(cmake)
	command -v cc >/dev/null || missing+=(gcc)
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		log "missing packages: ${missing[*]}; as root, run:"
		echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	setup
	if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
		cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
	fi
	cmake --build "$BUILD_DIR" -j"$JOBS"
}

run_tests() {
	build
	ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j"$JOBS"
}

# The demo: linefeed serves the sample text on a local port, the compiled
# wordcount program reads it for 4 one-second batches; then the Kafka word
# count on the embedded cluster.
FEEDER_PID=
stop_feeder() {
	if [ -n "$FEEDER_PID" ]; then
		kill "$FEEDER_PID" 2>/dev/null || true
		wait "$FEEDER_PID" 2>/dev/null || true
		FEEDER_PID=
	fi
}

# start_feeder PORT OUT: starts linefeed, sets FEEDER_PID and FEEDER_PORT;
# fails when it could not listen.
FEEDER_PORT=
start_feeder() {
	local out=$2
	: >"$out"
	"$BUILD_DIR/linefeed" --port "$1" --rate 200 --loop \
		examples/wordcount/data/sample.txt >"$out" 2>"$out.err" &
	FEEDER_PID=$!
	for _ in $(seq 50); do
		FEEDER_PORT=$(awk '/^port / { print $2; exit }' "$out")
		[ -z "$FEEDER_PORT" ] || return 0
		kill -0 "$FEEDER_PID" 2>/dev/null || break
		sleep 0.1
	done
	stop_feeder
	return 1
}

demo() {
	build
	local dstreamc=$BUILD_DIR/dstreamc demo=$BUILD_DIR/demo
	local src=examples/wordcount/wordcount.dstream
	mkdir -p "$demo"
	trap stop_feeder EXIT
	trap 'exit 130' INT TERM

	# The example reads localhost:9999; when 9999 is taken, serve on a free
	# port and compile a copy of the program that reads that one.
	if ! start_feeder 9999 "$demo/linefeed.out"; then
		if ! start_feeder 0 "$demo/linefeed.out"; then
			cat "$demo/linefeed.out.err" >&2
			log "linefeed could not listen"
			exit 1
		fi
		log "port 9999 is busy: serving on $FEEDER_PORT instead"
		sed -E "s/(socketTextStream\([^,]*,[[:space:]]*)9999/\1$FEEDER_PORT/" \
			"$src" >"$demo/wordcount.dstream"
		src=$demo/wordcount.dstream
	fi

	echo "== serving examples/wordcount/data/sample.txt on 127.0.0.1:$FEEDER_PORT (200 lines/s, looped)"
	echo "== $dstreamc build $src -o $demo/wordcount"
	"$dstreamc" build "$src" -o "$demo/wordcount"
	echo "== $demo/wordcount --batches 4"
	timeout 60 "$demo/wordcount" --batches 4
	stop_feeder

	"$dstreamc" emit-c "$src" -o "$demo/wordcount.c"
	echo "== $dstreamc explain $src"
	"$dstreamc" explain "$src"
	echo
	echo "generated C: $demo/wordcount.c"

	# The same word count between two topics of the embedded Kafka cluster
	# (`dstreamc kafka`: nothing to install or start by hand).
	echo
	echo "== bash examples/kafkawordcount/run.sh: Kafka in, word count, Kafka out, exactly once"
	timeout 120 bash examples/kafkawordcount/run.sh "$dstreamc"
}

bench() {
	build
	if [ -f bench/run.sh ]; then
		# The dstreamc just built, instead of a second build of bench's own.
		DSTREAMC=${DSTREAMC:-$ROOT/$BUILD_DIR/dstreamc} bash bench/run.sh
	else
		log "no benchmarks yet (bench/run.sh does not exist)"
	fi
}

# fuzz TARGET MINUTES: one target under libFuzzer, starting from its seed
# corpus (tests/fuzz/corpus/TARGET, read only); what it finds new goes to
# FUZZ_BUILD_DIR/fuzz-corpus/TARGET, a crash to FUZZ_BUILD_DIR/fuzz-crashes/TARGET/
# (tests/fuzz/README.md: how to keep one as a regression).
fuzz() {
	local targets
	targets=$(sed -n 's/^set(DS_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)
	local target=${1:-} minutes=${2:-}
	if [ -z "$target" ] || ! [[ " $targets " == *" $target "* ]] || ! [[ "$minutes" =~ ^[0-9]+$ ]]; then
		echo "usage: bash scripts/dev.sh fuzz TARGET MINUTES (TARGET: $targets)" >&2
		exit 2
	fi
	setup
	local dir=${FUZZ_BUILD_DIR:-build-fuzz}
	if [ ! -f "$dir/CMakeCache.txt" ]; then
		CC=clang-14 cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDS_FUZZ=ON
	fi
	cmake --build "$dir" -j"$JOBS" --target "fuzz_$target"
	mkdir -p "$dir/fuzz-corpus/$target" "$dir/fuzz-crashes/$target"
	log "fuzz_$target for $minutes min (new inputs: $dir/fuzz-corpus/$target, crashes: $dir/fuzz-crashes/$target/)"
	# shellcheck disable=SC2086 # FUZZ_FLAGS: words
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$dir/tests/fuzz/fuzz_$target" -max_total_time=$((minutes * 60)) -timeout=20 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/fuzz-crashes/$target/" ${FUZZ_FLAGS:-} \
		"$dir/fuzz-corpus/$target" "tests/fuzz/corpus/$target"
}

case "${1:-}" in
setup) setup ;;
fuzz)
	shift
	fuzz "$@"
	;;
build) build ;;
test) run_tests ;;
demo) demo ;;
bench) bench ;;
*)
	echo "usage: bash scripts/dev.sh setup|build|demo|test|bench|fuzz TARGET MINUTES" >&2
	exit 2
	;;
esac
