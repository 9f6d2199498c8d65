/* baseline.c: the hand-written C Yahoo Streaming Benchmark query that W3
 * (bench/ysb/ysb.dstream) is measured against.
 *
 *   baseline CAMPAIGNS_FILE EVENTS_FILE [--check]
 *
 * The best straightforward C for the query: the ad-to-campaign table is
 * loaded into a hash table ad_id -> campaign number (before the timed
 * part, as the dstream program's textFile is read by init); each event line
 * is cut at its spaces only as far as the fields needed, kept when
 * event_type is "view" (event_time parsed, as the projection does), its
 * ad_id looked up, and its campaign's counter in a flat array incremented;
 * every 10 batches (a 10 s window of 1 s batches) the non-zero counters are
 * printed as (campaign_id,count) and reset (see baseline.h). */
#include "../baseline.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: baseline CAMPAIGNS_FILE EVENTS_FILE [--check]\n");
		return 2;
	}
	char *args[] = {argv[0], argv[2], argc > 3 ? argv[3] : NULL};
	const char *path = baseline_args(argc > 3 ? 3 : 2, args, "baseline CAMPAIGNS_FILE EVENTS_FILE [--check]");
	size_t csize, size;
	char *cbuf = load_file(argv[1], &csize);
	table ads = {0};
	const char **camp = NULL; /* campaign number -> id (into cbuf), length in clen */
	uint32_t *clen = NULL;
	table cids = {0}; /* campaign id -> number */
	size_t ncamp = 0, capcamp = 0;
	const char *p = cbuf, *end = cbuf + csize, *ln, *le;
	while (next_line(&p, end, &ln, &le)) {
		const char *sp = memchr(ln, ' ', (size_t)(le - ln));
		if (!sp)
			continue;
		entry *c = table_upsert(&cids, sp + 1, (size_t)(le - sp - 1));
		if (!c->v) {
			if (ncamp == capcamp) {
				capcamp = capcamp ? 2 * capcamp : 1024;
				camp = realloc(camp, capcamp * sizeof *camp);
				clen = realloc(clen, capcamp * sizeof *clen);
			}
			camp[ncamp] = sp + 1;
			clen[ncamp] = (uint32_t)(le - sp - 1);
			c->v = (int64_t)++ncamp;
		}
		table_upsert(&ads, ln, (size_t)(sp - ln))->v = c->v - 1;
	}
	int64_t *count = calloc(ncamp + 1, sizeof *count);
	table out = {0}; /* the window's (campaign, count), for print_table */

	char *buf = load_file(path, &size);
	double t0 = now_ms();
	int64_t records = 0, batch = 0;
	p = buf;
	end = buf + size;
	int more = 1;
	while (more) {
		int any = 0;
		while ((more = next_line(&p, end, &ln, &le)) && !is_sep(ln, le)) {
			any = 1;
			records++;
			const char *f[7];
			size_t nf = 0;
			const char *q = ln;
			/* the fields up to event_time (index 5) */
			while (nf < 6) {
				f[nf++] = q;
				const char *sp = memchr(q, ' ', (size_t)(le - q));
				if (!sp)
					break;
				q = sp + 1;
			}
			if (nf < 6)
				continue; /* a short line: dropped, as the index would */
			f[6] = memchr(f[5], ' ', (size_t)(le - f[5]));
			if (!f[6])
				f[6] = le;
			if (f[5] - f[4] != 5 || memcmp(f[4], "view", 4) != 0)
				continue;
			int64_t t;
			if (!parse_int(f[5], f[6], &t))
				continue;
			entry *a = table_find(&ads, f[2], (size_t)(f[3] - f[2] - 1));
			if (a)
				count[a->v]++;
		}
		if (!more && !any)
			break;
		batch++;
		if (batch % 10 == 0) {
			table_clear(&out);
			for (size_t c = 0; c < ncamp; c++)
				if (count[c]) {
					table_upsert(&out, camp[c], clen[c])->v = count[c];
					count[c] = 0;
				}
			print_table(&out, batch * 1000);
		}
	}
	double t1 = now_ms();
	fflush(stdout);
	fprintf(stderr, "records %lld proc_ms %.3f\n", (long long)records, t1 - t0);
	return 0;
}
