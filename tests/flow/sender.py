"""sender.py PORT SECONDS RATE[,T@RATE...] COUNTFILE: a line server for tests/flow.

Listens on 127.0.0.1:PORT (then creates COUNTFILE.ready), accepts one connection, and writes numbered
100-byte lines ("%-99d\\n", numbered from 0) at RATE lines/s (from second T
on, the next RATE), for SECONDS seconds; then shuts its side down and
writes to COUNTFILE how many lines the kernel accepted (sendall returned
for them): what the program was promised.  Blocking sends: when the reader
stops reading, TCP flow control holds the sender, which then falls behind
its schedule (and tries to catch up, so it keeps pushing).  Exits when the
reader closes the connection, or 120 s after the start at most.
"""
import socket
import sys
import time

port, secs, plan, countfile = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
steps = []
for part in plan.split(','):
    t, _, r = part.rpartition('@')
    steps.append((float(t or 0), float(r)))
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', port))
srv.listen(1)
open(countfile + '.ready', 'w').close()
srv.settimeout(60)
conn, _ = srv.accept()
start = last = time.monotonic()
sent, due = 0, 0.0
while True:
    now = time.monotonic()
    if now - start >= secs:
        break
    rate = [r for (t, r) in steps if t <= now - start][-1]
    due = min(due + rate * (now - last), rate)  # at most a second behind
    last = now
    n = min(int(due), 5000)
    if n <= 0:
        time.sleep(0.002)
        continue
    conn.sendall(''.join('%-99d\n' % (sent + i) for i in range(n)).encode())
    sent += n
    due -= n
conn.shutdown(socket.SHUT_WR)
with open(countfile, 'w') as f:
    f.write('%d\n' % sent)
conn.settimeout(120 - (time.monotonic() - start) if time.monotonic() - start < 110 else 10)
try:
    conn.recv(1)
except OSError:
    pass
conn.close()
