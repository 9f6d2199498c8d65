#!/usr/bin/env bash
# metrics.sh DSTREAMC WORKDIR: --http's /metrics, /api/batches and the HTTP
# around them, on a queueStream program paced at 300 ms a batch.
#
# Checks: the program says "http: serving on http://127.0.0.1:PORT/" once;
# two scrapes of /metrics a few batches apart parse with prometheus_client's
# parser into exactly the expected families, typed, with HELP, every sample
# labelled app="<the app's name>" (a name with a quote in it); the totals
# (batches, records in and out, bad records) are exactly what the input
# implies, both absolutely and between the scrapes, every counter and
# histogram sample is monotonic, the histograms' counts equal the batches
# run; /api/batches is JSON with every batch run so far and the records each
# one holds (check_metrics.py has the details).  Then the HTTP: / and
# /index.html are status.html byte for byte; the content types; a query
# string is ignored; /nope is 404; POST is 405 with Allow: GET; HTTP/1.0
# works; a request head over 8 KB is refused (431); a client that connects
# and sends nothing neither holds up another one nor stays connected for
# more than the 5 s timeout.
source "$(dirname -- "${BASH_SOURCE[0]}")/common.bash" "$@"

if ! /usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null; then
	fail "/usr/bin/python3 cannot import prometheus_client (apt-get install python3-prometheus-client; scripts/dev.sh does)"
	test_end
fi

t0=$(now_ms)
start_prog || { fail "no 'http: serving on' line; stderr: $(head -c 2000 prog.err)"; test_end; }
t1=$(now_ms)
n=$(grep -c 'http: serving on' prog.err)
[ "$n" -eq 1 ] || fail "'http: serving on' said $n times"

# the scrapes: after 2 batches, and again 3 batches or more later
wait_for 10 at_least 2 || fail "fewer than 2 batches in 10 s"
[ "$(get /metrics scrape1.txt -D scrape1.head)" = 200 ] || fail "GET /metrics: not 200"
sleep 1.5
[ "$(get /metrics scrape2.txt -D scrape2.head)" = 200 ] || fail "GET /metrics (again): not 200"
[ "$(get /api/batches api.json)" = 200 ] || fail "GET /api/batches: not 200"
grep -qix 'content-type: text/plain; version=0.0.4; charset=utf-8.' scrape1.head ||
	fail "/metrics: Content-Type: $(grep -i '^content-type' scrape1.head)"

version=$(./prog --version | sed -n 's/^prog: dstream \([^ ]*\) .*/\1/p')
hash=$(./prog --version | sed -n 's/.*source hash fnv1a64:\([0-9a-f]*\)$/\1/p')
[ ${#hash} -eq 16 ] || fail "test self-check: no source hash in ./prog --version"
/usr/bin/python3 "$HERE/check_metrics.py" scrape1.txt scrape2.txt api.json "$APP" "$WORKERS" "$version" "$hash" \
	"$((t0 / 1000))" "$(((t1 + 999) / 1000))" >check.txt 2>&1 || { fail "check_metrics.py:"; cat check.txt; }
grep '^checked:' check.txt

# the page, byte for byte, at both its paths
page=$HERE/../../runtime/status.html
for p in / /index.html; do
	code=$(get "$p" page.html -D page.head)
	[ "$code" = 200 ] || fail "GET $p: $code"
	cmp -s page.html "$page" || fail "GET $p: not runtime/status.html"
	grep -qix 'content-type: text/html; charset=utf-8.' page.head || fail "GET $p: $(grep -i '^content-type' page.head)"
done
code=$(get /api/batches x.json -D api.head)
grep -qix 'content-type: application/json.' api.head || fail "/api/batches: $(grep -i '^content-type' api.head)"
grep -qix 'connection: close.' api.head || fail "/api/batches: no Connection: close"

# the rest
code=$(get '/metrics?name[]=dstream_batches_total' q.txt)
[ "$code" = 200 ] && grep -q '^dstream_batches_total' q.txt || fail "/metrics?query: $code"
code=$(get /nope nope.txt)
[ "$code" = 404 ] || fail "GET /nope: $code, expected 404"
[ "$(cat nope.txt)" = "not found" ] || fail "GET /nope: body '$(head -c 200 nope.txt)'"
code=$(get /metrics post.txt -X POST -d 'x=1' -D post.head)
[ "$code" = 405 ] || fail "POST /metrics: $code, expected 405"
grep -qix 'allow: GET.' post.head || fail "POST /metrics: no Allow: GET"
code=$(get /metrics head.txt -I)
[ "$code" = 405 ] || fail "HEAD /metrics: $code, expected 405"
code=$(get /metrics http10.txt -0)
[ "$code" = 200 ] && grep -q '^dstream_batches_total' http10.txt || fail "HTTP/1.0 GET /metrics: $code"
code=$(get /metrics big.txt -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)")
[ "$code" = 431 ] || fail "a 9 KB request head: $code, expected 431"

# a client that says nothing: served around, then dropped after 5 s
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect"
s=$(now_ms)
code=$(get /metrics other.txt)
e=$(now_ms)
[ "$code" = 200 ] && [ $((e - s)) -lt 2000 ] || fail "with a silent client connected: GET /metrics $code after $((e - s)) ms"
timeout 10 cat <&3 >silent.txt
e=$(now_ms)
exec 3<&-
[ $((e - s)) -ge 4000 ] && [ $((e - s)) -le 7000 ] || fail "the silent client was dropped after $((e - s)) ms, expected 5 s"
[ ! -s silent.txt ] || fail "the silent client was sent: $(head -c 200 silent.txt)"

kill -0 "$PROG_PID" 2>/dev/null || fail "the program ended early; stderr: $(tail -c 2000 prog.err)"
kill_prog
test_end
