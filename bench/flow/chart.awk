# chart.awk: bench/flow/flow.svg, part 2 of bench/flow/run.sh: per batch of
# the two runs (backpressure on, off), four panels stacked on one time axis
# (seconds since the program started): scheduling delay, processing time,
# records in, and the rate limit the receiver is held to.  A dashed line at
# the step in input rate, a grey one at two batch intervals (delay) and at
# the measured capacity (records in, rate limit).  No Python, no gnuplot.
#
#   awk -v step=10 -v cap=4900 -f bench/flow/chart.awk chart.txt >flow.svg
#
# chart.txt lines: "RUN X DELAY_S PROCESSING_S RECORDS RATE_LIMIT", RUN "on"
# or "off"; a batch of run off with no rate limit has RATE_LIMIT 0 (not
# drawn: it has none).

function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); return s }
function px(x) { return left + x / xmax * pw }
function py(p, v) { return top + (p - 1) * (ph + gap) + ph - v / ymax[p] * ph }
# a round upper bound for an axis: 1, 2 or 5 times a power of ten
function nice(v,   e) {
	if (v <= 0) return 1
	e = 10 ^ int(log(v) / log(10))
	if (v <= e) return e
	if (v <= 2 * e) return 2 * e
	if (v <= 5 * e) return 5 * e
	return 10 * e
}
function fmt(v) { return v >= 1000 ? sprintf("%.0fk", v / 1000) : v == int(v) ? sprintf("%d", v) : sprintf("%.1f", v) }
{
	n[$1]++
	x[$1, n[$1]] = $2
	for (p = 1; p <= 4; p++) {
		v[$1, n[$1], p] = $(p + 2)
		if ($(p + 2) > ymax[p]) ymax[p] = $(p + 2)
	}
	if ($2 > xmax) xmax = $2
}
END {
	left = 80; top = 40; pw = 640; ph = 130; gap = 40
	xmax = nice(xmax)
	if (xmax < 10) xmax = 10
	if (cap > ymax[3]) ymax[3] = cap
	if (cap > ymax[4]) ymax[4] = cap
	if (2 > ymax[1]) ymax[1] = 2
	for (p = 1; p <= 4; p++) ymax[p] = nice(ymax[p] * 1.05)
	split("scheduling delay (s)|processing time (s)|records in per batch|rate limit (records/s)", title, "|")
	color["on"] = "#4878a8"; color["off"] = "#e06030"
	width = left + pw + 40
	height = top + 4 * (ph + gap) + 20
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\">\n", width, height
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	printf "<text x=\"%d\" y=\"18\" font-size=\"14\">bench/flow part 2: a 10x step in input rate at %d s (capacity ~%s records/s), per batch</text>\n", left, step, fmt(cap)
	printf "<rect x=\"%d\" y=\"24\" width=\"12\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"30\" font-size=\"11\">backpressure on (default)</text>\n", left, color["on"], left + 16
	printf "<rect x=\"%d\" y=\"24\" width=\"12\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"30\" font-size=\"11\">--no-backpressure --max-queued 16M</text>\n", left + 200, color["off"], left + 216
	for (p = 1; p <= 4; p++) {
		y0 = top + (p - 1) * (ph + gap)
		printf "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n", left, y0 - 4 + 0, esc(title[p])
		printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n", left, y0, pw, ph
		lead = ymax[p] / 10 ^ int(log(ymax[p]) / log(10) + 1e-9)
		nt = lead > 1.5 && lead < 2.5 ? 4 : 5 # ticks at round values
		for (i = 0; i <= nt; i++) {
			yv = ymax[p] * i / nt
			printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", left, left + pw, py(p, yv), py(p, yv)
			printf "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>\n", left - 4, py(p, yv) + 3, fmt(yv)
		}
		for (i = 0; i <= 10; i++) {
			xv = xmax * i / 10
			printf "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n", px(xv), y0 + ph + 12, fmt(xv)
		}
		printf "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#c00\" stroke-dasharray=\"6,4\"/>\n", px(step), px(step), y0, y0 + ph
		ref = p == 1 ? 2 : p >= 3 ? cap : -1
		if (ref > 0)
			printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"2,3\"/><text x=\"%d\" y=\"%.1f\" font-size=\"9\" fill=\"#666\">%s</text>\n", left, left + pw, py(p, ref), py(p, ref), left + pw + 2, py(p, ref) + 3, p == 1 ? "2 intervals" : "capacity"
		for (r = 1; r <= 2; r++) {
			run = r == 1 ? "off" : "on"
			pts = ""
			for (i = 1; i <= n[run]; i++) {
				if (p == 4 && v[run, i, p] == 0) continue
				pts = pts sprintf(" %.1f,%.1f", px(x[run, i]), py(p, v[run, i, p]))
				printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n", px(x[run, i]), py(p, v[run, i, p]), color[run]
			}
			if (pts != "")
				printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n", pts, color[run]
		}
	}
	printf "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">batch time, s since the program started (the feeder's schedule starts when the receiver connects)</text>\n", left + pw / 2, height - 6
	print "</svg>"
}
