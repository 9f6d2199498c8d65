/* baseline.c: the hand-written C keyed sliding-window sum that W2 (both
 * forms, bench/window/window-*.dstream) is measured against.
 *
 *   baseline WINDOW SLIDE FILE [--check]     (WINDOW, SLIDE in batches)
 *
 * Lines "k<key> <value>", batches closed by "---" (batch k at k * 1000 ms).
 * The best straightforward C for the query: each batch is summed per key
 * into a small table, the partials are added to the window's table and
 * kept as the batch's pane (key, partial); when a batch leaves the window
 * its pane is subtracted (keys that fall to 0 stay, as with Spark's inverse
 * function).  At every time that is a multiple of SLIDE the window is
 * printed (see baseline.h). */
#include "../baseline.h"

typedef struct part {
	const char *k; /* in the window table's pool */
	uint32_t n;
	int64_t v;
} part;

typedef struct pane {
	part *v;
	size_t len, cap;
} pane;

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: baseline WINDOW SLIDE FILE [--check]\n");
		return 2;
	}
	int w = atoi(argv[1]), slide = atoi(argv[2]);
	const char *path = baseline_args(argc - 2, argv + 2, "baseline WINDOW SLIDE FILE [--check]");
	if (w < 1 || slide < 1) {
		fprintf(stderr, "baseline: WINDOW and SLIDE must be positive\n");
		return 2;
	}
	size_t size;
	char *buf = load_file(path, &size);
	double t0 = now_ms();
	table win = {0}, bt = {0};
	pane *ring = calloc((size_t)w, sizeof *ring);
	int64_t records = 0, batch = 0;
	const char *p = buf, *end = buf + size, *ln, *le;
	int more = 1;
	while (more) {
		/* one batch */
		int any = 0;
		table_clear(&bt);
		while ((more = next_line(&p, end, &ln, &le)) && !is_sep(ln, le)) {
			const char *sp = memchr(ln, ' ', (size_t)(le - ln));
			int64_t v;
			any = 1;
			if (!sp || !parse_int(sp + 1, le, &v))
				continue; /* a bad record: dropped, as toInt/index would */
			table_upsert(&bt, ln, (size_t)(sp - ln))->v += v;
			records++;
		}
		if (!more && !any)
			break;
		batch++;
		pane *pn = &ring[batch % w];
		for (size_t i = 0; i < pn->len; i++) /* the batch leaving the window */
			table_upsert(&win, pn->v[i].k, pn->v[i].n)->v -= pn->v[i].v;
		pn->len = 0;
		if (pn->cap < bt.used) {
			free(pn->v);
			pn->cap = bt.used;
			pn->v = xmalloc(pn->cap * sizeof *pn->v);
		}
		for (size_t i = 0; i < bt.cap; i++) {
			entry *e = &bt.e[i];
			if (!e->h)
				continue;
			entry *we = table_upsert(&win, e->p, e->n);
			we->v += e->v;
			pn->v[pn->len++] = (part){we->p, we->n, e->v};
		}
		if (batch % slide == 0)
			print_table(&win, batch * 1000);
	}
	double t1 = now_ms();
	fflush(stdout);
	fprintf(stderr, "records %lld proc_ms %.3f\n", (long long)records, t1 - t0);
	return 0;
}
