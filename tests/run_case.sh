#!/usr/bin/env bash
# run_case.sh DSTREAMC CASE WORKDIR: runs one test case.
#
# A case is a .dstream program that carries its inputs and expectations in
# block comments at its end.  Each section opens with a line `/* @KIND [ARG]`
# and closes with a line that is exactly `*/`; the lines between are taken
# verbatim:
#   /* @input NAME           written to WORKDIR/NAME before the run
#   /* @input-hex NAME       binary input: the bytes written in hex, two digits
#                            a byte; spaces and line ends are ignored and `#`
#                            starts a comment to the end of the line, so each
#                            record can be one annotated line
#   /* @expect               expected stdout, compared as Spark print blocks
#                            (records within a block as a multiset)
#   /* @expect-stderr        exact stderr (without it stderr must be empty)
#   /* @expect-file NAME     WORKDIR/NAME after the run, as a multiset of lines
#   /* @expect-error         a compile-error case: exact stderr of
#                            `dstreamc check NAME.dstream`, which must exit 1
# and two one-line forms:
#   /* @args FLAG... */      extra arguments of the built binary
#   /* @expect-exit N */     the built binary's exit status (default 0)
#   /* @ordered */           stdout and every @expect-file compared exactly, in
#                            order (a sorted stream: sortBy, top, ...)
#   /* @sources F.c... */    C files implementing the case's extern functions,
#                            passed to `dstreamc build` after the case; each
#                            comes from an @input section or from beside the
#                            case (an @input wins).  In an @input, C code must
#                            not contain `*/`: use // comments.
#
# Otherwise the case is copied into WORKDIR (with any *.h beside it), built
# there with `dstreamc build NAME.dstream -o WORKDIR/prog $DS_BACKEND_FLAGS`,
# and run as `./prog ARGS` in WORKDIR under timeout 30 (DS_CASE_TIMEOUT
# overrides); with DS_WORKERS="1 2 3", once per worker count, as
# `./prog --workers N ARGS`, each run compared.  DS_ENGINE picks the engine: c (the default) or llvm build
# with `--backend=$DS_ENGINE` and run ./prog; jit runs `dstreamc run
# NAME.dstream [C...] ARGS` and interp `dstreamc run --interp NAME.dstream
# [C...] ARGS`, in WORKDIR, with nothing built; everything else is the same
# (but the program's name: a line `prog: ...` of @expect-stderr, from the
# runtime naming the binary, reads `NAME: ...` for jit and interp).
# A header never replaces an @input of the same name; compile-error cases get
# the headers beside them too.  Silent
# on success; on a mismatch prints a unified diff and the case name, and
# exits 1.
set -uo pipefail
# spark_normalize, shared with tests/diff/run.sh.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

if [ $# -ne 3 ]; then
	echo "usage: run_case.sh DSTREAMC CASE WORKDIR" >&2
	exit 2
fi

die() {
	echo "run_case.sh: $*" >&2
	exit 2
}

DSTREAMC=$(realpath -e -- "$1") || die "no such compiler: $1"
CASE=$(realpath -e -- "$2") || die "no such case: $2"
case "$3" in
'' | / | /. | . | ..) die "refusing to use '$3' as the work directory" ;;
esac
{ rm -rf -- "$3" && mkdir -p -- "$3"; } || die "cannot create $3"
WORK=$(realpath -e -- "$3")
META=$WORK/.case # the parsed sections; the program runs in $WORK
mkdir -p "$META"
CASENAME=$(basename -- "$CASE")
TIMEOUT=${DS_CASE_TIMEOUT:-30}
read -r -a BACKEND_FLAGS <<<"${DS_BACKEND_FLAGS:-}"
ENGINE=${DS_ENGINE:-c}
case "$ENGINE" in
c | llvm) [ -z "${DS_ENGINE:-}" ] || BACKEND_FLAGS+=("--backend=$ENGINE") ;;
jit) RUN=("$DSTREAMC" run) ;;
interp) RUN=("$DSTREAMC" run --interp) ;;
*) die "DS_ENGINE must be c, llvm, jit or interp, not '$ENGINE'" ;;
esac

failed=0
fail() { # fail MESSAGE: records a mismatch, goes on comparing
	echo "FAIL $CASENAME: $*"
	failed=1
}
finish() {
	if [ "$failed" -ne 0 ]; then
		echo "FAIL $CASENAME (work directory: $WORK)"
		exit 1
	fi
	exit 0
}

# ---- parse the sections -----------------------------------------------------
# Writes each section's lines to $META/sec.N and one line per section to
# $META/index: "N<TAB>KIND<TAB>ARG".
awk -v meta="$META" '
function opensec(kind, arg) {
	n++
	file = meta "/sec." n
	printf "" > file
	printf "%d\t%s\t%s\n", n, kind, arg > (meta "/index")
	known = kind ~ /^(input|input-hex|expect|expect-stderr|expect-file|expect-error)$/
	if (!known) { print "unknown section @" kind " at line " NR > "/dev/stderr"; bad = 1 }
	if ((kind == "input" || kind == "input-hex" || kind == "expect-file") && arg == "") {
		print "@" kind " needs a file name at line " NR > "/dev/stderr"; bad = 1
	}
}
insec {
	if ($0 == "*/") { insec = 0; close(file); next }
	print > file
	next
}
/^\/\* @[a-z-]+( .*)? \*\/$/ {      # one line: /* @KIND ARG */
	line = $0
	sub(/^\/\* @/, "", line); sub(/ \*\/$/, "", line)
	kind = line; sub(/ .*/, "", kind)
	arg = (index(line, " ") ? substr(line, index(line, " ") + 1) : "")
	if (kind == "args" || kind == "expect-exit" || kind == "sources" || kind == "ordered") {
		n++
		printf "" > (meta "/sec." n)
		close(meta "/sec." n)
		printf "%d\t%s\t%s\n", n, kind, arg > (meta "/index")
	} else {
		opensec(kind, arg)  # an empty section
		close(file)
	}
	next
}
/^\/\* @[a-z-]+( |$)/ {             # opens a section: /* @KIND [ARG]
	line = $0
	sub(/^\/\* @/, "", line)
	kind = line; sub(/ .*/, "", kind)
	arg = (index(line, " ") ? substr(line, index(line, " ") + 1) : "")
	if (kind == "args" || kind == "expect-exit" || kind == "sources") {
		print "@" kind " must be on one line, closed by \" */\", at line " NR > "/dev/stderr"
		bad = 1
	}
	opensec(kind, arg)
	insec = 1
	next
}
END {
	if (insec) { print "section @" kind " is not closed by a line \"*/\"" > "/dev/stderr"; bad = 1 }
	printf "" >> (meta "/index")
	exit bad
}' "$CASE" || die "$CASENAME: malformed test sections"

# ---- helpers ----------------------------------------------------------------
# safe_name NAME: NAME must stay inside the work directory.
safe_name() {
	case "$1" in
	/* | ../* | */../* | .. | */.. | .case | .case/*) die "$CASENAME: bad file name '$1'" ;;
	esac
}

sorted() { if [ "$ORDERED" -eq 1 ]; then cat -- "$@"; else LC_ALL=C sort -- "$@"; fi; }
normalized() { if [ "$ORDERED" -eq 1 ]; then cat; else spark_normalize; fi; }

# ---- collect the sections ---------------------------------------------------
ARGS=()
SOURCES=()
EXPECT_EXIT=0
ORDERED=0
HAVE_STDOUT=0
HAVE_STDERR=0
ERROR_SEC=
declare -a FILE_SECS=()
while IFS=$'\t' read -r n kind arg; do
	sec=$META/sec.$n
	case "$kind" in
	input)
		safe_name "$arg"
		mkdir -p -- "$(dirname -- "$WORK/$arg")"
		cp -- "$sec" "$WORK/$arg"
		;;
	input-hex)
		safe_name "$arg"
		mkdir -p -- "$(dirname -- "$WORK/$arg")"
		perl -e '
			my $hex = "";
			while (<STDIN>) { s/#.*//; s/\s+//g; $hex .= $_ }
			$hex =~ /\A(?:[0-9A-Fa-f]{2})*\z/ or die "not an even number of hex digits\n";
			binmode STDOUT;
			print pack("H*", $hex);
		' <"$sec" >"$WORK/$arg" || die "$CASENAME: bad @input-hex $arg"
		;;
	args) read -r -a ARGS <<<"$arg" ;;
	sources) read -r -a SOURCES <<<"$arg" ;;
	ordered) ORDERED=1 ;;
	expect-exit)
		[[ "$arg" =~ ^[0-9]+$ ]] || die "$CASENAME: @expect-exit needs a number, got '$arg'"
		EXPECT_EXIT=$arg
		;;
	expect)
		HAVE_STDOUT=1
		cp -- "$sec" "$META/expected.stdout"
		;;
	expect-stderr)
		HAVE_STDERR=1
		cp -- "$sec" "$META/expected.stderr"
		;;
	expect-file)
		safe_name "$arg"
		FILE_SECS+=("$n")
		;;
	expect-error) ERROR_SEC=$sec ;;
	esac
done <"$META/index"

# ---- a compile-error case ---------------------------------------------------
copy_headers() { # the C headers beside the case, unless an @input wrote one
	for h in "$(dirname -- "$CASE")"/*.h; do
		[ ! -f "$h" ] || [ -e "$WORK/$(basename -- "$h")" ] || cp -- "$h" "$WORK/"
	done
}

if [ -n "$ERROR_SEC" ]; then
	cp -- "$CASE" "$WORK/$CASENAME"
	copy_headers
	(cd "$WORK" && exec "$DSTREAMC" check "$CASENAME") \
		>"$META/actual.stdout" 2>"$META/actual.stderr" </dev/null
	status=$?
	if [ "$status" -ne 1 ]; then
		fail "dstreamc check exited with $status, expected 1"
	fi
	if ! diff -u --label expected-stderr --label actual-stderr \
		"$ERROR_SEC" "$META/actual.stderr"; then
		fail "compiler diagnostics differ"
	fi
	if [ -s "$META/actual.stdout" ]; then
		echo "--- stdout of dstreamc check (expected empty):"
		cat -- "$META/actual.stdout"
		fail "dstreamc check wrote to stdout"
	fi
	finish
fi

# ---- build ------------------------------------------------------------------
# From a copy with the original basename, as for compile errors, so that the
# source locations the program reports at run time read `name.dstream:L:C`.
# C headers beside the case come along for its `extern` declarations.
cp -- "$CASE" "$WORK/$CASENAME"
copy_headers
for c in "${SOURCES[@]}"; do
	safe_name "$c"
	[ -e "$WORK/$c" ] || cp -- "$(dirname -- "$CASE")/$c" "$WORK/$c" || die "$CASENAME: no C source '$c'"
done
case "$ENGINE" in
c | llvm)
	(cd "$WORK" && exec "$DSTREAMC" build "$CASENAME" "${SOURCES[@]}" -o "$WORK/prog" "${BACKEND_FLAGS[@]}") \
		>"$META/build.stdout" 2>"$META/build.stderr" </dev/null
	status=$?
	if [ "$status" -ne 0 ] || [ -s "$META/build.stderr" ]; then
		cat -- "$META/build.stdout" "$META/build.stderr"
		fail "dstreamc build ${BACKEND_FLAGS[*]} exited with $status (and must print nothing on stderr)"
		finish
	fi
	RUN=(./prog)
	;;
*) RUN+=("$CASENAME" "${SOURCES[@]}") ;;
esac

# ---- run --------------------------------------------------------------------
# run_and_compare [FLAG...]: runs the program with FLAGs before the case's
# @args, and compares what it did with the expectations.
run_and_compare() {
	local label=${1:+ ($*)}
	for n in "${FILE_SECS[@]}"; do # a file the last run wrote must not count for this one
		rm -f -- "$WORK/$(awk -F '\t' -v n="$n" '$1 == n { print $3 }' "$META/index")"
	done
	(cd "$WORK" && exec timeout -k 5 "$TIMEOUT" "${RUN[@]}" "$@" "${ARGS[@]}") \
		>"$META/actual.stdout" 2>"$META/actual.stderr" </dev/null
	status=$?
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		fail "the program timed out after ${TIMEOUT}s$label"
	elif [ "$status" -ne "$EXPECT_EXIT" ]; then
		fail "the program exited with $status, expected $EXPECT_EXIT$label"
	fi

	if [ "$HAVE_STDOUT" -eq 1 ]; then
		normalized <"$META/expected.stdout" >"$META/expected.stdout.norm"
		normalized <"$META/actual.stdout" >"$META/actual.stdout.norm"
		if ! diff -u --label expected-stdout --label "actual-stdout$label" \
			"$META/expected.stdout.norm" "$META/actual.stdout.norm"; then
			fail "stdout differs$([ "$ORDERED" -eq 1 ] || echo ' (records sorted within each batch)')$label"
		fi
	fi

	[ "$HAVE_STDERR" -eq 1 ] || : >"$META/expected.stderr"
	case "$ENGINE" in
	jit | interp) # the runtime names the program by argv[0]: ./prog built, NAME run
		sed -i "s/^prog: /${CASENAME%.dstream}: /" "$META/expected.stderr" ;;
	esac
	if ! diff -u --label expected-stderr --label "actual-stderr$label" \
		"$META/expected.stderr" "$META/actual.stderr"; then
		fail "stderr differs$label"
	fi

	for n in "${FILE_SECS[@]}"; do
		name=$(awk -F '\t' -v n="$n" '$1 == n { print $3 }' "$META/index")
		if [ ! -f "$WORK/$name" ]; then
			fail "the program did not write $name$label"
			continue
		fi
		sorted "$META/sec.$n" >"$META/expected.file.$n"
		sorted "$WORK/$name" >"$META/actual.file.$n"
		if ! diff -u --label "expected $name" --label "actual $name$label" \
			"$META/expected.file.$n" "$META/actual.file.$n"; then
			fail "$name differs$([ "$ORDERED" -eq 1 ] || echo ' (lines sorted)')$label"
		fi
	done
}

# DS_WORKERS="1 2 3": one run per worker count (--workers N), each compared
if [ -n "${DS_WORKERS:-}" ]; then
	for w in $DS_WORKERS; do
		run_and_compare --workers "$w"
	done
else
	run_and_compare
fi

finish
