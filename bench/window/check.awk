# check.awk: the expected output of the window benchmark's programs, computed
# directly from a queueStream file, for the correctness check of run.sh.
#
#   awk -v W=30 -v S=10 -v INV=1 -f check.awk FILE
#
# W and S are the window and the slide in batches (batch k has time k s).
# Prints "TIME_MS KEY SUM" for every slide time T = k * S (within the file):
# the sum of the values of KEY over the batches (T - W, T].  With the inverse
# (INV=1) every key seen in a batch up to T is listed, with 0 if it is not
# in the window (Spark keeps them); without, only the keys in the window.
{
	if ($0 == "---") { close_batch(); next }
	n[b + 1]++
	k[b + 1, n[b + 1]] = $1
	v[b + 1, n[b + 1]] = $2
}
END { if (n[b + 1]) close_batch() }
function close_batch(   i, j, key, sum, inwin) {
	b++
	for (i = 1; i <= n[b]; i++)
		seen[k[b, i]] = 1
	if (b % S)
		return
	split("", sum)
	split("", inwin)
	for (j = b - W + 1; j <= b; j++) {
		if (j < 1)
			continue
		for (i = 1; i <= n[j]; i++) {
			sum[k[j, i]] += v[j, i]
			inwin[k[j, i]] = 1
		}
	}
	for (key in seen)
		if (INV || (key in inwin))
			print b * 1000, key, sum[key] + 0
}
