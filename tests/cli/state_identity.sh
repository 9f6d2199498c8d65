#!/usr/bin/env bash
# The identities under which checkpoints store state (lang/SPEC.md §16.3),
# as the generated program's state descriptor names them:
#   - a val's operator is VAL.op; an unbound one UP.op (the nearest named
#     stream upstream, stateless operators in between not counted);
#   - .named("id") is id;
#   - two windows of one stream are told apart by window and slide, two
#     mapWithStates by timeout;
#   - what is still shared gets #2 in source order and, with a checkpoint,
#     a warning that says so (exact text); without a checkpoint, nothing.
# Usage: bash state_identity.sh DSTREAMC WORKDIR
set -u
source "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
test_begin state_identity "$@"
cat >p.dstream <<'P'
batch 1s;
checkpoint "ck";
val kv = queueStream("in.txt").map(l => (l, 1));
val totals = kv.updateStateByKey((vs, s) => Some(sum(vs) + getOrElse(s, 0)));
totals.print();
kv.filter(p => true).reduceByKeyAndWindow((a, b) => a + b, 4s, 2s).print();
kv.reduceByKeyAndWindow((a, b) => a + b, 2s).print();
kv.mapWithState((k, v, st) => k, 3s).print();
kv.mapWithState((k, v, st) => k, 5s).print();
kv.map(p => p._1).countByValueAndWindow(2s, 1s).named("cbv").print();
kv.updateStateByKey((vs, s) => Some(1)).print();
kv.updateStateByKey((vs, s) => Some(2)).print();
P
cat >expected.names <<'P'
totals.updateStateByKey/state
kv.reduceByKeyAndWindow(4s,2s)/window.panes
kv.reduceByKeyAndWindow(2s,1s)/window.panes
kv.mapWithState(3s)/state
kv.mapWithState(5s)/state
cbv/state
cbv/kept
cbv/panes
kv.updateStateByKey/state
kv.updateStateByKey#2/state
P
cat >expected.err <<'P'
p.dstream:12:4: warning: updateStateByKey: its state's identity 'kv.updateStateByKey#2' depends on its order after the updateStateByKey at p.dstream:11:4: name it with .named("id") to keep its state when calls are added before it
kv.updateStateByKey((vs, s) => Some(2)).print();
   ^
P
"$DSTREAMC" emit-c p.dstream -o p.c 2>emit.err || fail "emit-c exited $?"
diff -u expected.err emit.err || FAILED=1
sed -n 's/^\t{.kind = DS_STATE_[A-Z]*, .name = "\([^"]*\)".*/\1/p' p.c | sort >names
sort expected.names | diff -u - names || FAILED=1
grep -v '^checkpoint' p.dstream >nock.dstream
"$DSTREAMC" check nock.dstream >check.out 2>check.err || fail "check without a checkpoint exited $?"
[ -s check.err ] && fail "without a checkpoint: $(cat check.err)"
test_end
