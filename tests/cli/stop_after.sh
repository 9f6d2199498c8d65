#!/usr/bin/env bash
# stop_after.sh DSTREAMC WORKDIR: --stop-after=parse|check|plan|lower.
#
# Each pass, on a fixed wordcount, exits 0 with nothing on stderr and prints
# its characteristic result on stdout (key lines pinned):
#   parse  the AST as s-expressions with line:col ("(val 4:1 words", the
#          lambda, the split call, ...), and nothing of the later passes;
#   check  exactly "ok: wc.dstream: batch 1s, 1 output";
#   plan   the stages (the same text as `dstreamc explain`): stage 1 fuses
#          flatMap + map and ends at reduceByKey;
#   lower  the loop IR: functions stage1_.../stage2_..., one for-lines loop
#          over source 0 with the split loop, the upsert and the output inside.
# --stop-after works with every command (build writes no binary); a program
# with an error still fails (exit 1) when stopped after a later pass than the
# one that finds it, and parse does not see type errors.
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin stop_after "$@"

cat >wc.dstream <<'EOF'
app "StopAfter";
batch 1s;
val lines = queueStream("in.txt");
val words = lines.flatMap(l => split(l, " "));
val pairs = words.map(w => (w, 1));
val counts = pairs.reduceByKey((a, b) => a + b);
counts.print();
EOF

# run PASS [COMMAND]: sets OUT to the stdout file; checks exit 0 and no stderr.
run() {
	local pass=$1 cmd=${2:-check}
	OUT=$pass.$cmd.out
	timeout 60 "$DSTREAMC" "$cmd" wc.dstream --stop-after="$pass" >"$OUT" 2>"$pass.$cmd.err"
	local rc=$?
	[ "$rc" -eq 0 ] || fail "$cmd --stop-after=$pass exited $rc (expected 0): $(head -c 500 "$pass.$cmd.err")"
	[ ! -s "$pass.$cmd.err" ] || fail "$cmd --stop-after=$pass wrote on stderr: $(head -c 500 "$pass.$cmd.err")"
	[ -s "$OUT" ] || fail "$cmd --stop-after=$pass printed nothing"
}
# has PASS FILE LINE...: each LINE is a whole line of FILE.
has() {
	local pass=$1 f=$2
	shift 2
	local l
	for l in "$@"; do
		grep -qxF -- "$l" "$f" || fail "--stop-after=$pass: no line '$l' in:
$(head -n 60 "$f")"
	done
}
lacks() { # PASS FILE REGEX
	! grep -qE -- "$3" "$2" || fail "--stop-after=$1: unexpected '$3' in the output"
}

# ---- parse ---------------------------------------------------------------------------
run parse
has parse "$OUT" \
	'(app 1:1 "StopAfter")' \
	'(batch 2:1 1000ms)' \
	'(val 3:1 lines' \
	'  (call 3:13 queueStream' \
	'    (string 3:25 "in.txt")))' \
	'(val 4:1 words' \
	'    (lambda 4:27 (l)' \
	'      (call 4:32 split' \
	'        (string 4:41 " ")))))' \
	'(val 6:1 counts' \
	'    (lambda 6:32 (a b)' \
	'(expr 7:1'
lacks parse "$OUT" 'stage|ok:|DStream'

# ---- check ---------------------------------------------------------------------------
run check
printf 'ok: wc.dstream: batch 1s, 1 output\n' >check.expected
cmp -s check.expected "$OUT" || { fail "--stop-after=check:"; diff -u --label expected --label actual check.expected "$OUT"; }

# ---- plan ----------------------------------------------------------------------------
run plan
has plan "$OUT" \
	'program StopAfter: batch 1s, 1 source, 1 output, 2 stages' \
	'stage 1: loop over source queueStream  (wc.dstream:3:13)  -> DStream[String]' \
	'  fused: flatMap + map' \
	'  flatMap  (wc.dstream:4:19)  -> DStream[String]' \
	'    map  (wc.dstream:5:19)  -> DStream[(String, Int)]' \
	'      => reduceByKey  (wc.dstream:6:20)  [hash aggregate]  {workers: by key, combined on each worker first}' \
	'stage 2: loop over the result of reduceByKey  (wc.dstream:6:20)  -> DStream[(String, Int)]' \
	'  fused: (nothing)' \
	'  => print  (wc.dstream:7:8)  [output]'
timeout 60 "$DSTREAMC" explain wc.dstream >explain.out 2>&1
cmp -s explain.out "$OUT" || fail "--stop-after=plan does not print what explain prints"

# ---- lower ---------------------------------------------------------------------------
run lower
has lower "$OUT" \
	'site 0 wc.dstream:3:13 queueStream' \
	'func stage1_queueStream  # stage 1: loop over source queueStream (wc.dstream:3:13)' \
	'func stage2_reduceByKey  # stage 2: loop over the result of reduceByKey (wc.dstream:6:20)' \
	'func program_init  # once, before the first batch' \
	'func program_run_batch  # every batch: reset per-batch state, then run the stages in order' \
	'  run stage1_queueStream' \
	'  run stage2_reduceByKey'
grep -qE '^table n2_reduceByKey :String -> Int ' "$OUT" || fail "--stop-after=lower: no 'table ... :String -> Int' line"
# One loop over the source lines, in stage 1, holding the split, the map and the upsert.
[ "$(grep -c 'for-lines ' "$OUT")" -eq 1 ] || fail "--stop-after=lower: not exactly one for-lines loop"
awk '/^func stage1_/ { s = 1; next } /^func / { s = 0 } s' "$OUT" >lower.stage1
grep -qE '^  for-lines line_[0-9]+ in source 0$' lower.stage1 || fail "--stop-after=lower: stage 1 has no 'for-lines ... in source 0'"
for k in 'for-split ' '# wc.dstream:5:19  map' 'upsert ' '# wc.dstream:6:20  reduceByKey'; do
	awk -v k="$k" 'index($0, "for-lines") { d = 1; next } d && index($0, k) && $0 ~ /^      / { f = 1 } END { exit !f }' lower.stage1 ||
		fail "--stop-after=lower: '$k' is not inside stage 1's for-lines loop"
done
grep -qE '^      output 0 <- rec_[0-9]+$' "$OUT" || fail "--stop-after=lower: no 'output 0 <- rec_N' (print)"
lacks lower "$OUT" 'stage 1:.*DStream|^#include'

# ---- with the other commands -------------------------------------------------------------
for c in explain emit-c; do
	run plan "$c"
	cmp -s plan.check.out "$OUT" || fail "$c --stop-after=plan prints something else than check --stop-after=plan"
done
run check build
[ ! -e prog ] && [ ! -e a.out ] || fail "build --stop-after=check wrote a binary"
cmp -s check.expected "$OUT" || fail "build --stop-after=check prints something else than check --stop-after=check"
run lower emit-c
lacks lower "$OUT" '#include'

# ---- the passes stop where they should -------------------------------------------------------
cat >typeerr.dstream <<'EOF'
batch 1s;
val lines = queueStream("in.txt");
lines.map(l => l * 2).print();
EOF
timeout 60 "$DSTREAMC" check typeerr.dstream --stop-after=parse >typeerr.parse.out 2>typeerr.parse.err
rc=$?
[ "$rc" -eq 0 ] || fail "--stop-after=parse of a program with a type error exited $rc (parse alone must succeed)"
[ ! -s typeerr.parse.err ] || fail "--stop-after=parse reported a type error: $(head -c 300 typeerr.parse.err)"
for p in check plan lower; do
	timeout 60 "$DSTREAMC" check typeerr.dstream --stop-after=$p >typeerr.$p.out 2>typeerr.$p.err
	rc=$?
	[ "$rc" -eq 1 ] || fail "--stop-after=$p of a program with a type error exited $rc (expected 1)"
	[ ! -s typeerr.$p.out ] || fail "--stop-after=$p of a program with a type error printed: $(head -c 300 typeerr.$p.out)"
	grep -q '^typeerr.dstream:3:[0-9]*: error: ' typeerr.$p.err || fail "--stop-after=$p: no diagnostic at typeerr.dstream:3"
done

test_end
