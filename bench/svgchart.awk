# svgchart.awk: bench/report.svg from bench/out/suite/results.txt (written
# by bench/suite.sh): per workload, a bar for fused/baseline and one for
# fused/interp (records/s ratios), on a log scale from 0.1x to 100x, with
# the targets drawn as dashed lines (0.8x the baseline; 5x and 20x the
# interpreter).  A ratio that could not be measured (an engine failed) is
# drawn as an empty outline labelled "n/a".
#
#   awk -f bench/svgchart.awk results.txt >report.svg
#
# results.txt lines: "WORKLOAD ENGINE ok RECORDS RECORDS_PER_S RSS_KB" or
# "WORKLOAD ENGINE failed MESSAGE...".

function y(v) { return top + ph - (log(v) / log(10) + 1) / 3 * ph } # 0.1 .. 100
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); return s }
function bar(x, k1, k2, color, label,   r, h) {
	if (st[k1] == "ok" && st[k2] == "ok" && rps[k2] > 0) {
		r = rps[k1] / rps[k2]
		if (r < 0.1) r = 0.1
		if (r > 100) r = 100
		printf "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>\n", x, y(r), bw, y(0.1) - y(r), color
		printf "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%.2fx</text>\n", x + bw / 2, y(r) - 4, rps[k1] / rps[k2]
	} else {
		printf "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"none\" stroke=\"%s\" stroke-dasharray=\"3,3\"/>\n", x, y(1), bw, y(0.1) - y(1), color
		printf "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">n/a</text>\n", x + bw / 2, y(1) - 4
	}
}
{
	k = $1 " " $2
	st[k] = $3
	if ($3 == "ok")
		rps[k] = $5
	if (!($1 in seen)) {
		seen[$1] = 1
		names[++nn] = $1
	}
}
END {
	left = 60; top = 40; ph = 300; bw = 28; gap = 30
	gw = 2 * bw + gap
	width = left + nn * gw + 180
	height = top + ph + 60
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\">\n", width, height
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	printf "<text x=\"%d\" y=\"20\" font-size=\"14\">dstream fused (C backend): records/s ratios, log scale</text>\n", left
	split("0.1 0.2 0.5 1 2 5 10 20 50 100", ticks, " ")
	for (i = 1; i <= 10; i++) {
		printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, left + nn * gw, y(ticks[i]), y(ticks[i])
		printf "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%sx</text>\n", left - 4, y(ticks[i]) + 4, ticks[i]
	}
	split("0.8 5 20", tg, " ")
	split("target vs baseline|target W1 vs interp|target W3 vs interp", tl, "|")
	for (i = 1; i <= 3; i++) {
		printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"6,4\"/>\n", left, left + nn * gw, y(tg[i]), y(tg[i])
		printf "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#c00\">%sx %s</text>\n", left + nn * gw + 4, y(tg[i]) + 3, tg[i], tl[i]
	}
	for (i = 1; i <= nn; i++) {
		n = names[i]
		x = left + (i - 1) * gw + gap / 2
		bar(x, n " c", n " baseline", "#4878a8", "fused/baseline")
		bar(x + bw, n " c", n " interp", "#e0a030", "fused/interp")
		printf "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n", x + bw, top + ph + 18, esc(n)
	}
	printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#4878a8\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">fused / hand-written C</text>\n", left, top + ph + 32, left + 16, top + ph + 43
	printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#e0a030\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">fused / interpreter</text>\n", left + 200, top + ph + 32, left + 216, top + ph + 43
	print "</svg>"
}
