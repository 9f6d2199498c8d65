# lib.sh: helpers shared by the test drivers (tests/run_case.sh,
# tests/diff/run.sh).  Sourced, not run; defines functions only.

# spark_normalize: stdin to stdout; in every Spark print block (a line of 43
# '-', "Time: ... ms", a line of 43 '-', records, optional "...", an empty
# line) the record lines are sorted bytewise; all other lines stay in place.
spark_normalize() {
	LC_ALL=C awk '
	{ line[NR] = $0 }
	END {
		dash = "-------------------------------------------"
		g = 0; i = 1
		while (i <= NR) {
			if (line[i] == dash && i + 2 <= NR && line[i+1] ~ /^Time: .* ms$/ && line[i+2] == dash) {
				g++
				for (k = 0; k < 3; k++) printf "%d\t0\t%d\t%s\n", g, i + k, line[i + k]
				i += 3
				while (i <= NR && line[i] != "") {
					if (line[i] == "...") printf "%d\t2\t%d\t%s\n", g, i, line[i]
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
