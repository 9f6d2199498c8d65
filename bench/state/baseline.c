/* baseline.c: the hand-written C running total per key that W4
 * (bench/state/state.dstream, updateStateByKey over 1M keys) is measured
 * against.
 *
 *   baseline FILE [--check]
 *
 * Lines "k<key> <value>", batches closed by "---" (batch k at k * 1000 ms).
 * The best straightforward C for the query: one table key -> total, updated
 * in place by each record; after each batch the state is printed (see
 * baseline.h).  Unlike updateStateByKey, which calls its function on every
 * key of the state every batch (Spark's semantics), this touches only the
 * batch's keys: that is what a C programmer writes for a running total. */
#include "../baseline.h"

int main(int argc, char **argv)
{
	const char *path = baseline_args(argc, argv, "baseline FILE [--check]");
	size_t size;
	char *buf = load_file(path, &size);
	double t0 = now_ms();
	table st = {0};
	int64_t records = 0, batch = 0;
	const char *p = buf, *end = buf + size, *ln, *le;
	int more = 1;
	while (more) {
		int any = 0;
		while ((more = next_line(&p, end, &ln, &le)) && !is_sep(ln, le)) {
			const char *sp = memchr(ln, ' ', (size_t)(le - ln));
			int64_t v;
			any = 1;
			if (!sp || !parse_int(sp + 1, le, &v))
				continue;
			table_upsert(&st, ln, (size_t)(sp - ln))->v += v;
			records++;
		}
		if (!more && !any)
			break;
		batch++;
		print_table(&st, batch * 1000);
	}
	double t1 = now_ms();
	fflush(stdout);
	fprintf(stderr, "records %lld proc_ms %.3f\n", (long long)records, t1 - t0);
	return 0;
}
