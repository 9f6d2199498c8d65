#!/usr/bin/env bash
# max_rate.sh DSTREAMC WORKDIR: --max-rate N holds each receiver to N
# records/s, with backpressure off (the cap alone).
#
# A receiverStream that stores as fast as ds_store returns, and a socket fed
# at 20000 lines/s, each read by a program that only counts, with
# --max-rate 2000 for 6 s.  Checks, per batch after the first (whose
# interval starts mid-way): at most 2000 records plus one block interval's
# burst (400), and at least 1000 (the cap holds, it does not starve);
# rate_limit 2000 in each batch's line.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

cat >rx.h <<'H'
#include <dstream/rt.h>
int flood(ds_receiver *r);
H
cat >rx.c <<'C'
#include "rx.h"
int flood(ds_receiver *r)
{
	while (!ds_receiver_stopping(r))
		ds_store(r, "a record", 8);
	return 0;
}
C
cat >rx.dstream <<'D'
extern "rx.h";
app "Capped";
batch 1s;
receiverStream(flood).count().print();
D
"$DSTREAMC" build rx.dstream rx.c -o rx >build.log 2>&1 || { fail "build rx: $(cat build.log)"; test_end; }
PORT=$(free_port)
cat >sock.dstream <<D
app "Capped";
batch 1s;
socketTextStream("127.0.0.1", $PORT).count().print();
D
"$DSTREAMC" build sock.dstream -o sock >build.log 2>&1 || { fail "build sock: $(cat build.log)"; test_end; }
start_sender "$PORT" 20 20000

for p in rx sock; do
	timeout -k 5 30 ./$p --workers 1 --no-backpressure --max-rate 2000 --duration 6s --metrics-json $p.json >$p.out 2>$p.err ||
		fail "$p: exit $?: $(cat $p.err)"
	batches $p.json | tail -n +2 | awk -v p=$p '
		$2 > 2400 || $2 < 1000 { print p ": batch " $1 " ms: " $2 " records" }
		$5 != 2000 { print p ": batch " $1 " ms: rate limit " $5 }
		END { if (NR < 4) print p ": only " NR " batches after the first" }' >>bad.txt
done
[ ! -s bad.txt ] || fail "$(cat bad.txt)"
test_end
