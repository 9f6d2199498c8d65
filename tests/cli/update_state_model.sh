#!/usr/bin/env bash
# updateStateByKey against a model: random batches over 25 keys; a key's
# state is its running count, removed (None) when it reaches 3, and it may
# come back later.  Removals leave holes that the engine compacts; a key
# that dies in a batch must not be reborn in the same batch.  The expected
# states per batch come from awk.
# Usage: bash update_state_model.sh DSTREAMC WORKDIR
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin update_state_model "$@"
cat >model.dstream <<'P'
batch 1s;
val kv = queueStream("in.txt").map(w => (w, 1));
kv.updateStateByKey((vs, st) => { val n = sum(vs) + getOrElse(st, 0); n >= 3 ? None : Some(n) }).print(1000);
P
"$DSTREAMC" build model.dstream -o model || { fail "build"; exit 1; }
for seed in 1 2 3 4; do
	awk -v s="$seed" 'BEGIN { srand(s); for (b = 0; b < 60; b++) { n = int(rand() * 15);
		for (i = 0; i < n; i++) print "k" int(rand() * 25); print "---" } }' >in.txt
	timeout 30 ./model | awk '/^Time:/ { t = $2; next } /^-+$/ || /^$/ { next } { print t, $0 }' | LC_ALL=C sort >got.txt
	awk 'BEGIN { b = 1 }
	/^---$/ {
		for (k in cur) all[k] = 1
		for (k in st) all[k] = 1
		for (k in all) { n = (k in cur ? cur[k] : 0) + (k in st ? st[k] : 0); if (n >= 3) delete st[k]; else st[k] = n }
		for (k in st) print b * 1000, "(" k "," st[k] ")"
		delete cur; delete all; b++; next
	}
	{ cur[$0]++ }' in.txt | LC_ALL=C sort >want.txt
	[ -s want.txt ] || fail "the model produced nothing (seed $seed)"
	if ! cmp -s want.txt got.txt; then
		fail "seed $seed differs from the model (want vs got):"
		diff want.txt got.txt | head -20
	fi
done
test_end
