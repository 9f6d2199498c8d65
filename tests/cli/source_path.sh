#!/usr/bin/env bash
# source_path.sh DSTREAMC WORKDIR: the built binary's --source-path N=PATH.
#
#   --help lists the sources by index under "sources:"
#   --source-path N=PATH reads source N (a queueStream, a textFile) from PATH:
#   the printed batches are those of PATH, the other source is untouched
#   a bad index, a missing '=', or a socketTextStream's index: exit 2 and a
#   message; a PATH that does not exist: exit 1 and a message naming it
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin source_path "$@"

cat >j.dstream <<'EOS'
app "SourcePath";
batch 1s;
val camp = textFile("camp.txt").map(l => { val p = split(l, " "); (p[0], p[1]) });
val ev = queueStream("ev.txt").map(w => (w, 1));
ev.join(camp).map(kv => (kv._2._2, kv._2._1)).reduceByKey((a, b) => a + b).print();
EOS
cat >sock.dstream <<'EOS'
batch 1s;
socketTextStream("localhost", 9).print();
EOS
printf 'a c1\nb c2\n' >camp.txt
printf 'a c9\nb c8\n' >camp2.txt
printf 'a\nb\na\n' >ev.txt
printf 'b\n---\na\n' >ev2.txt
timeout 60 "$DSTREAMC" build j.dstream -o j || { echo "FAIL source_path: build failed"; exit 1; }
timeout 60 "$DSTREAMC" build sock.dstream -o sock || { echo "FAIL source_path: build failed"; exit 1; }

./j --help >help.out
sed -n '/^sources:$/,$p' help.out >got
printf '%s\n' 'sources:' '  0  queueStream("ev.txt") at j.dstream:4:10' '  1  textFile("camp.txt") at j.dstream:3:12' >want
cmp -s want got || { fail "--help's source list:"; diff -u want got; }

batch() { # TIME RECORDS...: a print block
	printf -- '-------------------------------------------\nTime: %s ms\n-------------------------------------------\n' "$1"
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@"
	echo
}
check_run() { # WHAT EXPECTED-FILE ARGS...
	local what=$1 exp=$2
	shift 2
	timeout 30 ./j "$@" >run.out 2>run.err
	local rc=$?
	[ "$rc" -eq 0 ] || fail "$what: exit $rc: $(head -c 300 run.err)"
	[ -z "$(news run.err)" ] || fail "$what: stderr: $(head -c 300 run.err)"
	cmp -s "$exp" run.out || { fail "$what: output"; diff -u "$exp" run.out; }
}
{ batch 1000 '(c2,1)'; batch 2000 '(c1,1)'; } >want.ev2
check_run "--source-path 0=ev2.txt" want.ev2 --source-path 0=ev2.txt
{ batch 1000 '(c9,2)' '(c8,1)'; } >want.camp2
check_run "--source-path=1=camp2.txt" want.camp2 --source-path=1=camp2.txt
{ batch 1000 '(c8,1)'; batch 2000 '(c9,1)'; } >want.both
check_run "both sources" want.both --source-path 1=camp2.txt --source-path 0=ev2.txt

for bad in 2=ev2.txt -1=ev2.txt ev2.txt 0= x=ev2.txt; do
	timeout 30 ./j --source-path "$bad" >bad.out 2>bad.err
	rc=$?
	[ "$rc" -eq 2 ] || fail "--source-path $bad: exit $rc (expected 2)"
	grep -qF -- "invalid value for '--source-path': '$bad'" bad.err || fail "--source-path $bad: message: $(head -c 300 bad.err)"
	[ ! -s bad.out ] || fail "--source-path $bad: printed batches"
done
timeout 30 ./sock --source-path 0=x >bad.out 2>bad.err
rc=$?
[ "$rc" -eq 2 ] || fail "a socket's --source-path: exit $rc (expected 2)"
grep -qF 'source 0 is a socketTextStream, which reads no path' bad.err || fail "a socket's --source-path: message: $(head -c 300 bad.err)"
timeout 30 ./j --source-path 0=nope.txt >bad.out 2>bad.err
rc=$?
[ "$rc" -eq 1 ] || fail "a missing file: exit $rc (expected 1)"
grep -qF "queueStream: cannot open 'nope.txt'" bad.err || fail "a missing file: message: $(head -c 300 bad.err)"

test_end
