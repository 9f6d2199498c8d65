#!/usr/bin/env bash
# page.sh DSTREAMC WORKDIR: --http's status page in a real browser (Debian's
# chromium, headless), on a queueStream program paced at 300 ms a batch.
#
# Checks, on the DOM chromium dumps after running the page's scripts (which
# poll /api/batches) for a few seconds of virtual time: #errors exists and
# is empty (the page puts uncaught errors and console.error calls there);
# each of the four charts' <svg> has data-points between the batches run
# before chromium started and after it ended; the header shows the app's
# name and "live"; the sources table has the queueStream row; the recent
# batches table has one row per batch run, up to 50; the stages (explain's
# text) contain "fused:".  Then a screenshot (WORKDIR/status.png, printed),
# which must be a PNG of 1280x1600.  Skipped (77) when chromium is not
# installed.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

CHROMIUM=$(command -v chromium || true)
if [ -z "$CHROMIUM" ]; then
	echo "SKIP $TEST_NAME: chromium is not installed (apt-get install chromium; scripts/dev.sh does)"
	exit 77
fi
# its profile and caches under WORK, not in HOME
chrome() {
	timeout -k 5 40 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --user-data-dir="$WORK/profile" --virtual-time-budget=4000 "$@" 2>>chromium.err
}

start_prog || { fail "no 'http: serving on' line; stderr: $(head -c 2000 prog.err)"; test_end; }
wait_for 10 at_least 3 || fail "fewer than 3 batches in 10 s"
before=$(batches_run)
chrome --dump-dom "$URL/" >dom.html || fail "chromium --dump-dom exited $?; see $WORK/chromium.err"
after=$(batches_run)
echo "batches: $before before chromium, $after after"

/usr/bin/python3 - dom.html "$before" "$after" "$APP" >dom-check.txt <<'PY' || { fail "the dumped DOM:"; cat dom-check.txt; }
import sys
from html.parser import HTMLParser

path, before, after, app = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


class Page(HTMLParser):
    """Each element with an id: its attributes and its text; and the rows of each table's tbody."""
    def __init__(self):
        super().__init__()
        self.ids, self.open, self.rows, self.table = {}, [], {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'table':
            self.table = a.get('id')
        if tag == 'tr' and self.table and any(t == 'tbody' for t, _ in self.open):
            self.rows.setdefault(self.table, []).append('')
        if tag in ('br', 'meta', 'link', 'img', 'input', 'circle', 'line', 'polyline', 'polygon'):
            if a.get('id'):
                self.ids[a['id']] = [a, '']
            return
        self.open.append((tag, a.get('id')))
        if a.get('id'):
            self.ids[a['id']] = [a, '']

    def handle_endtag(self, tag):
        while self.open:
            t, _ = self.open.pop()
            if t == tag:
                break
        if tag == 'table':
            self.table = None

    def handle_data(self, data):
        for _, i in self.open:
            if i:
                self.ids[i][1] += data
        if self.table in self.rows and any(t == 'tbody' for t, _ in self.open):
            self.rows[self.table][-1] += data + '|'


p = Page()
p.feed(open(path, encoding='utf-8').read())
bad = []
if 'errors' not in p.ids:
    bad.append('no #errors element')
elif p.ids['errors'][1].strip():
    bad.append('#errors: ' + p.ids['errors'][1].strip())
for chart in ('chart-rate', 'chart-sched', 'chart-proc', 'chart-total'):
    a = p.ids.get(chart, [{}])[0]
    n = a.get('data-points')
    if n is None or not before <= int(n) <= after:
        bad.append(f'#{chart}: data-points={n}, expected {before} to {after}')
if p.ids.get('app', [{}, ''])[1] != app:
    bad.append(f'#app: {p.ids.get("app", [{}, ""])[1]!r}, expected {app!r}')
if p.ids.get('conn', [{}, ''])[1] != 'live':
    bad.append(f'#conn: {p.ids.get("conn", [{}, ""])[1]!r}, expected live')
if 'fused:' not in p.ids.get('explain', [{}, ''])[1]:
    bad.append('#explain has no "fused:": ' + repr(p.ids.get('explain', [{}, ''])[1][:300]))
src = p.rows.get('sources', [])
if len(src) != 1 or 'queueStream' not in src[0] or 'in.txt' not in src[0]:
    bad.append(f'the sources table: {src}')
rows = p.rows.get('batches', [])
if not min(before, 50) <= len(rows) <= min(after, 50):
    bad.append(f'the batches table: {len(rows)} rows, expected {min(before, 50)} to {min(after, 50)}')
for b in bad:
    print('FAIL:', b)
print(f'checked: {len(p.ids)} elements with an id, {len(rows)} batch rows; {len(bad)} failed')
sys.exit(1 if bad else 0)
PY
grep '^checked:' dom-check.txt

chrome --window-size=1280,1600 --screenshot="$WORK/status.png" "$URL/" >/dev/null || fail "chromium --screenshot exited $?"
if [ -s status.png ] && [ "$(head -c 8 status.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	size=$(/usr/bin/python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24); print(*struct.unpack(">II", d[16:24]), sep="x")' status.png)
	[ "$size" = 1280x1600 ] || fail "the screenshot is $size, expected 1280x1600"
	echo "screenshot: $WORK/status.png"
else
	fail "no screenshot (or not a PNG) at $WORK/status.png"
fi

kill -0 "$PROG_PID" 2>/dev/null || fail "the program ended early; stderr: $(tail -c 2000 prog.err)"
kill_prog
test_end
