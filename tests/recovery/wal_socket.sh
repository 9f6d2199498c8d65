#!/usr/bin/env bash
# wal_socket.sh DSTREAMC WORKDIR: a socket receiver's write-ahead log under kill -9.
#
# numfeed sends the numbered lines 1..14000 at 2000 lines/s, one client at
# a time, numbering on across clients.  The program (batch 500ms, block
# 100ms, a checkpoint every 1s) saves every line it receives and keeps a
# running count of them in updateStateByKey.  It is killed with SIGKILL
# three times at seeded moments and restarted in the same directory; the
# last run is stopped with SIGTERM once every line was sent.  Checks:
#   - no line is processed twice (across all output files);
#   - of the lines sent to each run, those processed are a prefix: a line
#     that the receiver had stored (so every one before it) is never lost;
#   - a kill loses at most 400 lines (100 ms of block, 100 ms of slack, at
#     2000 lines/s), and the run stopped with SIGTERM loses none;
#   - the final running count is the number of lines processed (the state
#     did not count a re-run batch twice);
#   - the runs after the first say they recovered blocks from the log.
# DS_CRASH_SEED changes the seed (default 5).
source "$(dirname -- "${BASH_SOURCE[0]}")/../sources/common.bash" "$@"
source "$(dirname -- "${BASH_SOURCE[0]}")/wal_common.bash"
PROG_FLAGS=
wal_setup() { :; }
after_kill() { :; }
during_last() { :; }
wal_test_checks() { :; }
wal_test
