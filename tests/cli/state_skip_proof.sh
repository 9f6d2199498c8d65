#!/usr/bin/env bash
# state_skip_proof.sh DSTREAMC WORKDIR: which updateStateByKey functions
# lowering proves to keep a state unchanged when a key has no values
# (f(Nil, Some(x)) == Some(x): lower.c, keeps_state_on_empty), so that a
# batch updates only its own keys.  The proof must hold for the running
# totals people write and must fail for anything that could change a state
# without values (counting batches, dropping idle keys, Doubles: -0.0 + 0 is
# 0.0).  The generated C names the path taken in the update loop's comment;
# the outputs of both paths are pinned by tests/ops/update_state*.dstream and
# tests/cli/update_state_model.sh.
set -uo pipefail

source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin state_skip_proof "$@"

# check EXPECTED F: EXPECTED is "adds" (a running total: each value is added
# to its key's state as it arrives), "skips" or "walks"
check() {
	local want=$1 f=$2
	cat >p.dstream <<EOF
batch 1s;
val kv = queueStream("in.txt").map(l => (l, 1));
kv.updateStateByKey($f).print();
EOF
	cat >d.dstream <<EOF
batch 1s;
val kv = queueStream("in.txt").map(l => (l, 1.0));
kv.updateStateByKey($f).print();
EOF
	local prog=p.dstream
	case "$f" in *"0.0"*) prog=d.dstream ;; esac
	if ! "$DSTREAMC" emit-c "$prog" -o out.c 2>err.txt; then
		fail "dstreamc emit-c failed for $f: $(head -c 300 err.txt)"
		return
	fi
	local got=walks
	grep -q '(f(Nil, s) is s: keys without values keep theirs)' out.c && got=skips
	grep -q 'a running total (f is Some(sum(vs) + getOrElse(st, c))): the value goes straight' out.c && got=adds
	[ "$got" = "$want" ] || fail "$f: the update $got every key (expected: $want)"
}

check adds '(vs, st) => Some(sum(vs) + getOrElse(st, 0))'
check adds '(vs, st) => Some(getOrElse(st, 0) + sum(vs))'
check adds '(vs, st) => { Some(sum(vs) + getOrElse(st, 100)) }'
check skips '(vs, st) => Some(sum(vs) + getOrElse(st, 0) + 0)'
check skips '(vs, st) => Some(len(vs) + getOrElse(st, 0))'
check skips '(vs, st) => len(vs) == 0 ? st : Some(sum(vs) + getOrElse(st, 0))'
check skips '(vs, st) => { val t = getOrElse(st, 0); val n = sum(vs); Some(t + n) }'
check skips '(vs, st) => len(vs) == 0 ? st : None'
check walks '(vs, st) => Some(getOrElse(st, 0) + 1)'
check walks '(vs, st) => len(vs) == 0 ? None : Some(sum(vs))'
check walks '(vs, st) => Some(sum(vs))'
check walks '(vs, st) => { val n = sum(vs) + getOrElse(st, 0); n >= 3 ? None : Some(n) }'
check walks '(vs, st) => Some(sum(vs) + getOrElse(st, 0.0))'
check walks '(vs, st) => Some(batchTime())'

test_end
