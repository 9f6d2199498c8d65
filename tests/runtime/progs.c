/* progs.c: the hand-written "generated" code of progs.h. */
#include "progs.h"

/* ---- wc.dstream ------------------------------------------------------------ */

typedef struct wc_entry {
	ds_str key; /* points into the batch's blocks */
	int64_t val;
} wc_entry;

typedef struct wc_state {
	ds_table counts; /* stage 1: reduceByKey */
} wc_state;

static const ds_site wc_sites[] = {
	{"wc.dstream:3:13", "queueStream"},
};

ds_source_desc wc_sources[1] = {
	{.kind = DS_SRC_QUEUE, .host = NULL, .port = 0, .path = "in.txt", .loc = "wc.dstream:3:13", .site = 0},
};

ds_output_desc wc_outputs[2] = {
	{.kind = DS_OUT_PRINT, .n = 10, .prefix = NULL, .suffix = NULL, .loc = "wc.dstream:5:8", .slide_ms = 1000},
	{.kind = DS_OUT_SAVE, .n = 0, .prefix = "out/counts", .suffix = "txt", .loc = "wc.dstream:6:8", .slide_ms = 1000},
};

static void wc_init(ds_task *t, void *state)
{
	(void)t;
	wc_state *s = state;
	ds_table_init(&s->counts, DS_TABLE_HDR + sizeof(wc_entry));
}

/* stage 0: flatMap(split) -> map((w, 1)) -> reduceByKey(+) */
static void wc_stage0(ds_task *t, wc_state *s)
{
	int nb;
	const ds_block *b = ds_input(t, 0, &nb);
	for (int bi = 0; bi < nb; bi++) {
		const char *p = b[bi].data, *end = p + b[bi].len;
		ds_str line;
		while (ds_next_line(&p, end, &line)) {
			ds_list ws = ds_split(t->arena, line, DS_STR_LIT(" "));
			for (int64_t i = 0; i < ws.len; i++) {
				ds_str k = ((ds_str *)ws.data)[i];
				int64_t v = 1;
				uint64_t h = ds_hash_str(k);
			probe:;
				size_t mask = s->counts.cap - 1, j = h & mask;
				for (uint64_t hj; (hj = ds_table_hash(&s->counts, j)); j = (j + 1) & mask) {
					wc_entry *e = ds_table_entry(&s->counts, j);
					if (hj == h && ds_str_eq(e->key, k)) {
						e->val = ds_add(e->val, v);
						goto next;
					}
				}
				if (ds_table_full(&s->counts)) {
					ds_table_grow(&s->counts);
					goto probe;
				}
				ds_table_set_hash(&s->counts, j, h);
				*(wc_entry *)ds_table_entry(&s->counts, j) = (wc_entry){k, v};
				s->counts.count++;
			next:;
			}
		}
	}
}

/* stage 1: the outputs of counts */
static void wc_stage1(ds_task *t, wc_state *s)
{
	for (int out = 0; out < wc_prog.noutputs; out++) {
		for (size_t j = 0; j < s->counts.cap; j++) {
			if (!ds_table_hash(&s->counts, j))
				continue;
			wc_entry *e = ds_table_entry(&s->counts, j);
			ds_buf *ob = ds_out_begin(t, out);
			if (!ob)
				continue;
			ds_buf_putc(ob, '(');
			ds_fmt_str(ob, e->key);
			ds_buf_putc(ob, ',');
			ds_fmt_int(ob, e->val);
			ds_buf_putc(ob, ')');
			ds_out_end(t, out);
		}
	}
}

static void wc_run(ds_task *t, void *state)
{
	wc_state *s = state;
	ds_table_clear(&s->counts);
	wc_stage0(t, s);
	wc_stage1(t, s);
}

static void wc_close(void *state)
{
	wc_state *s = state;
	ds_table_close(&s->counts);
}

ds_program wc_prog = {
	.abi_version = DS_ABI_VERSION,
	.name = "WordCount",
	.source = "wc.dstream",
	.batch_ms = 1000,
	.block_ms = 200,
	.nsources = 1,
	.sources = wc_sources,
	.noutputs = 1,
	.outputs = wc_outputs,
	.nsites = 1,
	.sites = wc_sites,
	.state_size = sizeof(wc_state),
	.init = wc_init,
	.run_batch = wc_run,
	.close = wc_close,
};

/* ---- bad.dstream ------------------------------------------------------------ */

static const ds_site toint_sites[] = {
	{"bad.dstream:3:12", "queueStream"},
	{"bad.dstream:4:21", "toInt"},
};
static const ds_source_desc toint_sources[] = {
	{.kind = DS_SRC_QUEUE, .host = NULL, .port = 0, .path = "in.txt", .loc = "bad.dstream:3:12", .site = 0},
};
static const ds_output_desc toint_outputs[] = {
	{.kind = DS_OUT_PRINT, .n = 10, .prefix = NULL, .suffix = NULL, .loc = "bad.dstream:4:34", .slide_ms = 1000},
};

static void toint_run(ds_task *t, void *state)
{
	(void)state;
	int nb;
	const ds_block *b = ds_input(t, 0, &nb);
	for (int bi = 0; bi < nb; bi++) {
		const char *p = b[bi].data, *end = p + b[bi].len;
		ds_str line;
		while (ds_next_line(&p, end, &line)) {
			int64_t v;
			if (!ds_to_int(line, &v)) {
				ds_bad_record(t, 1, "not an Int", line);
				continue;
			}
			v = ds_mul(v, 2);
			ds_buf *ob = ds_out_begin(t, 0);
			if (ob) {
				ds_fmt_int(ob, v);
				ds_out_end(t, 0);
			}
		}
	}
}

ds_program toint_prog = {
	.abi_version = DS_ABI_VERSION,
	.name = "bad",
	.source = "bad.dstream",
	.batch_ms = 1000,
	.block_ms = 200,
	.nsources = 1,
	.sources = toint_sources,
	.noutputs = 1,
	.outputs = toint_outputs,
	.nsites = 2,
	.sites = toint_sites,
	.state_size = 0,
	.run_batch = toint_run,
};
