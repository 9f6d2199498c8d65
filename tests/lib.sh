# lib.sh: helpers shared by the test drivers (tests/run_case.sh,
# tests/diff/run.sh).  Sourced, not run; defines functions only.

# spark_normalize: stdin to stdout; in every Spark print block (a line of 43
# '-', "Time: ... ms", a line of 43 '-', records, optional "...", an empty
# line) the record lines are sorted bytewise; all other lines stay in place.
# A record may be an empty string, printed as an empty line: the empty line
# that ends a block is the one followed by the next block or the end.
spark_normalize() {
	LC_ALL=C awk '
	function header(j) {
		return line[j] == dash && j + 2 <= NR && line[j+1] ~ /^Time: .* ms$/ && line[j+2] == dash
	}
	function last(j) { return line[j] == "" && (j == NR || header(j + 1)) }
	{ line[NR] = $0 }
	END {
		dash = "-------------------------------------------"
		g = 0; i = 1
		while (i <= NR) {
			if (header(i)) {
				g++
				for (k = 0; k < 3; k++) printf "%d\t0\t%d\t%s\n", g, i + k, line[i + k]
				i += 3
				while (i <= NR && !last(i)) {
					if (line[i] == "..." && i < NR && last(i + 1)) printf "%d\t2\t%d\t%s\n", g, i, line[i]
					else                  printf "%d\t1\t0\t%s\n", g, line[i]
					i++
				}
				if (i <= NR) { printf "%d\t2\t%d\t%s\n", g, i, line[i]; i++ }
			} else {
				g++
				printf "%d\t0\t%d\t%s\n", g, i, line[i]
				i++
			}
		}
	}' | LC_ALL=C sort -t "$(printf '\t')" -k1,1n -k2,2n -k3,3n -k4 | cut -f4-
}
