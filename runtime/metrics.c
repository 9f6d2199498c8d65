/* metrics.c: per-batch metrics and the JSON summary written at exit.
 * Owned by the scheduler thread. */
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>

void ds__metrics_add(ds__metrics *m, const ds__batch_metrics *b)
{
	if (m->len == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->v = ds__xrealloc(m->v, m->cap * sizeof *m->v);
	}
	m->v[m->len++] = *b;
}

void ds__metrics_close(ds__metrics *m)
{
	for (size_t i = 0; i < m->len; i++)
		free(m->v[i].steps);
	free(m->v);
	memset(m, 0, sizeof *m);
}

static void ds__json_str(ds_buf *b, const char *s)
{
	ds_buf_putc(b, '"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			ds_buf_putc(b, '\\');
			ds_buf_putc(b, (char)c);
		} else if (c < 0x20) {
			char e[8];
			snprintf(e, sizeof e, "\\u%04x", c);
			ds_buf_put(b, e, 6);
		} else {
			ds_buf_putc(b, (char)c);
		}
	}
	ds_buf_putc(b, '"');
}

static void ds__json_kv(ds_buf *b, const char *k, int64_t v, bool comma)
{
	char t[96];
	int n = snprintf(t, sizeof t, "\"%s\": %" PRId64 "%s", k, v, comma ? ", " : "");
	ds_buf_put(b, t, (size_t)n);
}

int ds__metrics_write_json(const ds__metrics *m, const ds_program *prog, const char *path)
{
	ds_buf b = {0};
	char t[128];
	int n;
	ds_buf_put(&b, "{\"program\": ", 12);
	ds__json_str(&b, prog->name);
	n = snprintf(t, sizeof t, ",\n \"batch_ms\": %" PRId64 ",\n \"batches\": [", prog->batch_ms);
	ds_buf_put(&b, t, (size_t)n);
	int64_t in = 0, out = 0, bad = 0, maxdelay = 0, ckfail = 0, kerr = 0;
	double proc = 0;
	for (size_t i = 0; i < m->len; i++) {
		const ds__batch_metrics *x = &m->v[i];
		ds_buf_put(&b, i ? ",\n  {" : "\n  {", i ? 5 : 4);
		ds__json_kv(&b, "time_ms", x->time_ms, true);
		ds__json_kv(&b, "records_in", x->records_in, true);
		ds__json_kv(&b, "records_out", x->records_out, true);
		ds__json_kv(&b, "bad_records", x->bad_records, true);
		ds__json_kv(&b, "scheduling_delay_ms", x->sched_delay_ms, true);
		n = snprintf(t, sizeof t, "\"slowest_worker_ms\": %.3f, \"steps\": [", x->slowest_worker_ms);
		ds_buf_put(&b, t, (size_t)n);
		for (int s = 0; s < x->nsteps; s++) {
			n = snprintf(t, sizeof t, "%s{\"ms\": %.3f, \"slowest_ms\": %.3f, \"mean_ms\": %.3f}", s ? ", " : "",
			             x->steps[s].ms, x->steps[s].slowest_ms, x->steps[s].mean_ms);
			ds_buf_put(&b, t, (size_t)n);
		}
		ds_buf_put(&b, "], ", 3);
		if (m->kafka) {
			ds__json_kv(&b, "kafka_errors", x->kafka_errors, true);
			kerr += x->kafka_errors;
		}
		if (prog->checkpoint_dir) {
			n = snprintf(t, sizeof t, "\"checkpoint_ms\": %.3f, \"checkpoint_failed\": %s, ", x->checkpoint_ms,
			             x->checkpoint_failed ? "true" : "false");
			ds_buf_put(&b, t, (size_t)n);
			ckfail += x->checkpoint_failed;
		}
		n = snprintf(t, sizeof t, "\"processing_ms\": %.3f}", x->processing_ms);
		ds_buf_put(&b, t, (size_t)n);
		in += x->records_in;
		out += x->records_out;
		bad += x->bad_records;
		proc += x->processing_ms;
		if (x->sched_delay_ms > maxdelay)
			maxdelay = x->sched_delay_ms;
	}
	ds_buf_put(&b, "],\n \"totals\": {", 15);
	ds__json_kv(&b, "workers", (int64_t)m->workers, true);
	ds__json_kv(&b, "batches", (int64_t)m->len, true);
	ds__json_kv(&b, "records_in", in, true);
	ds__json_kv(&b, "records_out", out, true);
	ds__json_kv(&b, "bad_records", bad, true);
	ds__json_kv(&b, "max_scheduling_delay_ms", maxdelay, true);
	if (m->kafka)
		ds__json_kv(&b, "kafka_errors", kerr, true);
	if (prog->checkpoint_dir) {
		ds__json_kv(&b, "batches_checkpoint_failed", ckfail, true);
		ds__json_kv(&b, "checkpoints", m->checkpoints, true);
		n = snprintf(t, sizeof t, "\"recovery_ms\": %.3f, ", m->recovery_ms);
		ds_buf_put(&b, t, (size_t)n);
	}
	n = snprintf(t, sizeof t, "\"processing_ms\": %.3f}}\n", proc);
	ds_buf_put(&b, t, (size_t)n);
	int rc = ds__write_atomic(path, b.p, b.len);
	ds__buf_close(&b);
	return rc;
}
