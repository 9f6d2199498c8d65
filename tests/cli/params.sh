#!/usr/bin/env bash
# params.sh DSTREAMC WORKDIR: program parameters, param("name"[, default]),
# given at start with --param NAME=VALUE (lang/SPEC.md §7.6), on a built
# binary, on `dstreamc run` (the JIT) and on `dstreamc run --interp`.
#
#   socketTextStream(param("host", "127.0.0.1"), param("port", 9)) with
#   --param port=P reads from a real local server on P (tests/sources/
#   lineserv.c; port 9 would be refused), and the functions see the values
#   of a required String and of a Boolean given with --param
#   before any source opens, each of these is a usage error (exit 2, nothing
#   on stdout, exactly one line on stderr naming the parameter and where it
#   is declared): a required parameter missing, an unknown --param name, a
#   value that is not an Int, one that is not a Boolean
#   --help lists the parameters: name, type, default or "required", where
#   `dstreamc explain` shows each operator's as `uses param("port", 9)`
set -uo pipefail

TESTS=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
source "$TESTS/lib.sh"
test_begin params "$@"

${CC:-cc} -std=c11 -O1 -o lineserv "$TESTS/sources/lineserv.c" || { echo "FAIL params: cannot compile lineserv.c"; exit 1; }
LS_PID=
cleanup() { [ -z "$LS_PID" ] || kill -KILL "$LS_PID" 2>/dev/null; }
trap cleanup EXIT

cat >params.dstream <<'EOF'
// where to connect, and what to do with the lines, from program parameters
batch 500ms;
val lines = socketTextStream(param("host", "127.0.0.1"), param("port", 9));
lines.filter(l => param("all", true) || l != "skip")
     .map(l => param("tag") + l)
     .print(100);
EOF
printf 'alpha\nskip\nbeta\n' >lines.txt
timeout 60 "$DSTREAMC" build params.dstream -o params || { echo "FAIL params: build failed"; exit 1; }

cat >want <<'EOF'
program params: batch 500ms, 1 source, 1 output, 1 stage

stage 1: loop over source socketTextStream  (params.dstream:3:13)  -> DStream[String]  uses param("host", "127.0.0.1"), param("port", 9)
  fused: filter + map
  filter  (params.dstream:4:7)  -> DStream[String]  uses param("all", true)
    map  (params.dstream:5:7)  -> DStream[String]  uses param("tag")
      => print  (params.dstream:6:7)  [output]
EOF
timeout 60 "$DSTREAMC" explain params.dstream >got 2>explain.err || fail "dstreamc explain failed: $(head -c 300 explain.err)"
cmp -s want got || { fail "dstreamc explain: the parameters each operator uses"; diff -u want got; }

# each engine: how to run the program, and the name it gives itself
ENGINES=(built jit interp)
run_engine() { # ENGINE ARGS...
	local e=$1
	shift
	case "$e" in
	built) timeout 60 ./params "$@" ;;
	jit) timeout 60 "$DSTREAMC" run params.dstream "$@" ;;
	interp) timeout 60 "$DSTREAMC" run --interp params.dstream "$@" ;;
	esac
}

for e in "${ENGINES[@]}"; do
	# ---- reading from the port given ----------------------------------------
	: >ls.out
	./lineserv lines.txt >ls.out 2>ls.err &
	LS_PID=$!
	wait_for 10 grep -q '^port [0-9]' ls.out || { fail "$e: lineserv did not start: $(cat ls.err)"; continue; }
	port=$(awk '$1 == "port" { print $2; exit }' ls.out)
	run_engine "$e" --quiet --batches 6 --param port="$port" --param tag=got: --param all=false >run.out 2>run.err
	rc=$?
	kill -KILL "$LS_PID" 2>/dev/null
	wait "$LS_PID" 2>/dev/null
	LS_PID=
	[ "$rc" -eq 0 ] || fail "$e: --param port=$port: exit $rc: $(head -c 300 run.err)"
	[ -z "$(news run.err)" ] || fail "$e: --param port=$port: stderr: $(head -c 300 run.err)"
	grep -vE '^(-{43}|Time: [0-9]+ ms|)$' run.out | LC_ALL=C sort >got
	printf '%s\n' got:alpha got:beta >want
	cmp -s want got || { fail "$e: the records read from port $port (tag and all from --param)"; diff -u want got; }
	[ "$(grep -c '^Time: ' run.out)" -eq 6 ] || fail "$e: not 6 batches: $(head -c 300 run.out)"

	# ---- usage errors at start ------------------------------------------------
	name=params # the binary's name; run's: FILE without .dstream, the same
	check_error() { # WHAT EXPECTED-LINE ARGS...
		local what=$1 want=$2
		shift 2
		run_engine "$e" --batches 1 "$@" >bad.out 2>bad.err
		local rc=$?
		[ "$rc" -eq 2 ] || fail "$e: $what: exit $rc (expected 2)"
		[ ! -s bad.out ] || fail "$e: $what: wrote on stdout: $(head -c 300 bad.out)"
		printf '%s\n' "$want" >bad.want
		cmp -s bad.want bad.err || { fail "$e: $what: stderr"; diff -u bad.want bad.err; }
	}
	check_error "a missing required parameter" \
		"$name: parameter 'tag' (declared at params.dstream:5:16) is required: give it with --param tag=VALUE" \
		--param port=1
	check_error "an unknown parameter" \
		"$name: --param prot=1: the program has no parameter 'prot' (its parameters: host, port, all, tag; see --help)" \
		--param tag=x --param prot=1
	check_error "a port that is not an Int" \
		"$name: --param port=80x: parameter 'port' (declared at params.dstream:3:58) is an Int, and '80x' is not one" \
		--param tag=x --param port=80x
	check_error "a Boolean that is not one" \
		"$name: --param all=yes: parameter 'all' (declared at params.dstream:4:19) is a Boolean (true or false), and 'yes' is not one" \
		--param tag=x --param all=yes

	# ---- --help ---------------------------------------------------------------
	run_engine "$e" --help >help.out 2>help.err
	rc=$?
	[ "$rc" -eq 0 ] || fail "$e: --help: exit $rc"
	sed -n '/^parameters/,$p' help.out >got
	printf '%s\n' 'parameters (--param NAME=VALUE):' \
		'  host  String   default "127.0.0.1"  at params.dstream:3:30' \
		'  port  Int      default 9  at params.dstream:3:58' \
		'  all   Boolean  default true  at params.dstream:4:19' \
		'  tag   String   required  at params.dstream:5:16' >want
	cmp -s want got || { fail "$e: --help's parameters"; diff -u want got; }
	grep -q -- '--param NAME=VALUE' help.out || fail "$e: --help does not describe --param"
done

test_end
