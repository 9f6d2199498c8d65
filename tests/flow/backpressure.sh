#!/usr/bin/env bash
# backpressure.sh DSTREAMC WORKDIR: after a 10x step in the input rate,
# backpressure (on by default) brings the scheduling delay under 2 batch
# intervals within 20 batches, and keeps it there.
#
# The program (common.bash's slow: about 5000 records/s on one worker)
# reads lines a sender offers at 2500/s for 8 s, then at 25000/s for 24 s.
# Checks, from --metrics-json's lines and stderr (--log-every 5):
#   - before the step, the rate limit the estimator sets is above the
#     input (nothing is held back) and below 2x what the program sustains;
#   - from the 20th batch after the step to the end of the overload, 9 in
#     10 batches started less than 2000 ms late (and none 5 s late), its limit was under 10000/s
#     (it would be 25000/s and more if the input set it), and it was not
#     empty;
#   - every line sent is counted once, after the sender stops and the
#     program catches up;
#   - off a terminal, a summary line every 5 batches, in its format.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

run_slow 32 2500,8@25000 --workers 1 --log-every 5

step=$((t0 + 8000))
batches m.json >all.tsv
# before the step: whole batches from the 3rd second on
awk -v s="$step" -v t0="$t0" '$1 > t0 + 3000 && $1 <= s - 1000' all.tsv >before.tsv
awk '$5 <= 2500 || $5 >= 10000 { print "batch " $1 " ms: limit " $5 "/s before the step" }' before.tsv >bad-before.txt
[ -s before.tsv ] || fail "no batch before the step"
[ ! -s bad-before.txt ] || fail "$(cat bad-before.txt)"
# 20 batches after the step, to the end of the overload
awk -v s="$step" -v t1="$t1" '$1 > s && $1 <= t1' all.tsv | tail -n +21 >after.tsv
[ "$(wc -l <after.tsv)" -ge 3 ] || fail "fewer than 3 batches from the 20th after the step on"
# (one batch in ten may be late by more, when the busy machine takes the CPU
# for a moment; none by 5 s: unthrottled, it grows by 4 s a batch)
awk '$3 >= 2000 { late++ } $3 >= 5000 { print "batch " $1 " ms started " $3 " ms late" }
     $5 <= 0 || $5 >= 10000 { print "batch " $1 " ms: limit " $5 "/s" }
     $2 == 0 { print "batch " $1 " ms: empty" }
     END { if (late * 10 > NR) print late " of " NR " batches started 2 intervals late or more" }' after.tsv >bad-after.txt
[ ! -s bad-after.txt ] || fail "after the step: $(cat bad-after.txt)"

# the summary every 5 batches
n=$(grep -c '^slow: batches [0-9]*\.\.[0-9]* ms (5): [0-9]* in ([0-9.]*/s), [0-9]* out, 0 bad, processing [0-9.]* ms mean, [0-9.]* max, delay [0-9]* ms max, queued [0-9]* bytes, limit [0-9]*/s$' err.txt)
nb=$(wc -l <all.tsv)
[ "$n" -eq $((nb / 5)) ] || fail "$n summary lines for $nb batches with --log-every 5: $(grep -v 'batches' err.txt | head -5)"
echo "backpressure: $sent lines; per batch after the step (time, in, delay, processing, limit, queued):"
awk -v s="$step" '$1 > s' all.tsv | head -n 30
test_end
