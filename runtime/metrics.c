/* metrics.c: per-batch metrics, as JSON lines (--metrics-json FILE).
 *
 * The file gets one line when the run starts ("event": "start"), one per
 * batch as soon as it ends ("batch"), and the totals when the run ends
 * ("end"), each appended with a single write(2): a run killed with -9
 * keeps every batch it finished, and `tail -f` shows them as they come.
 * A restart appends its own lines after the crashed run's.  Nothing is
 * kept in memory but the totals, so a run of any length uses the same.
 * Owned by the scheduler thread. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static void ds__json_kv(ds_buf *b, const char *k, int64_t v, bool comma)
{
	char t[96];
	int n = snprintf(t, sizeof t, "\"%s\": %" PRId64 "%s", k, v, comma ? ", " : "");
	ds_buf_put(b, t, (size_t)n);
}

static void ds__json_kd(ds_buf *b, const char *k, double v, bool comma)
{
	char t[96];
	int n = snprintf(t, sizeof t, "\"%s\": %.3f%s", k, v, comma ? ", " : "");
	ds_buf_put(b, t, (size_t)n);
}

/* "counters": {"name": v, ...},  */
static void ds__json_counters(ds_buf *b, const ds_program *p, const int64_t *v)
{
	ds_buf_put(b, "\"counters\": {", 13);
	for (int k = 0; k < p->ncounters; k++) {
		if (k)
			ds_buf_put(b, ", ", 2);
		ds__json_str(b, p->counters[k]);
		char t[32];
		int n = snprintf(t, sizeof t, ": %" PRId64, v[k]);
		ds_buf_put(b, t, (size_t)n);
	}
	ds_buf_put(b, "}, ", 3);
}

/* Appends b's line to the file; a failure is said once, and remembered. */
static void ds__metrics_put(ds__metrics *m, ds_buf *b, const char *cmd)
{
	int rc = m->fd < 0 ? -EBADF : ds__write_all(m->fd, b->p, b->len);
	if (rc < 0 && !m->failed)
		ds__msg(cmd, "cannot append to the metrics file '%s': %s (its later lines may be missing)", m->path,
		        strerror(-rc));
	if (rc < 0)
		m->failed = true;
	b->len = 0;
}

int ds__metrics_open(ds__metrics *m, const ds_program *prog, const char *path, const char *cmd)
{
	m->prog = prog;
	m->path = path;
	m->fd = -1;
	if (!path)
		return 0;
	m->fd = ds__fopen(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (m->fd < 0) {
		int e = errno;
		ds__msg(cmd, "--metrics-json: cannot open '%s': %s", path, strerror(e));
		return -e;
	}
	ds_buf b = {0};
	ds_buf_put(&b, "{\"event\": \"start\", \"program\": ", 30);
	ds__json_str(&b, prog->name);
	ds_buf_put(&b, ", \"version\": ", 13);
	ds__json_str(&b, prog->version);
	char t[160];
	int n = snprintf(t, sizeof t, ", \"source_hash\": \"%016" PRIx64 "\", \"batch_ms\": %" PRId64
	                 ", \"workers\": %d, \"start_ms\": %" PRId64 ", \"pid\": %d}\n",
	                 prog->source_hash, prog->batch_ms, m->workers, ds__now_ms(), (int)getpid());
	ds_buf_put(&b, t, (size_t)n);
	ds__metrics_put(m, &b, cmd);
	ds__buf_close(&b);
	return m->failed ? -EIO : 0;
}

void ds__metrics_add(ds__metrics *m, const ds__batch_metrics *x, const char *cmd)
{
	m->batches++;
	m->records_in += x->records_in;
	m->records_out += x->records_out;
	m->bad_records += x->bad_records;
	m->processing_ms += x->processing_ms;
	m->kafka_errors += x->kafka_errors;
	m->db_errors += x->db_errors;
	m->checkpoint_failed += x->checkpoint_failed;
	if (x->sched_delay_ms > m->max_sched_delay_ms)
		m->max_sched_delay_ms = x->sched_delay_ms;
	if (m->fd < 0)
		return;
	ds_buf b = {0};
	char t[160];
	int n;
	ds_buf_put(&b, "{\"event\": \"batch\", ", 19);
	ds__json_kv(&b, "time_ms", x->time_ms, true);
	ds__json_kv(&b, "records_in", x->records_in, true);
	ds__json_kv(&b, "records_out", x->records_out, true);
	ds__json_kv(&b, "bad_records", x->bad_records, true);
	ds__json_kv(&b, "scheduling_delay_ms", x->sched_delay_ms, true);
	ds__json_kv(&b, "queued_bytes", x->queued_bytes, true);
	ds__json_kv(&b, "rss_bytes", x->rss_bytes, true);
	ds__json_kd(&b, "rate_limit", x->rate_limit, true);
	n = snprintf(t, sizeof t, "\"slowest_worker_ms\": %.3f, \"steps\": [", x->slowest_worker_ms);
	ds_buf_put(&b, t, (size_t)n);
	for (int s = 0; s < x->nsteps; s++) {
		n = snprintf(t, sizeof t, "%s{\"ms\": %.3f, \"slowest_ms\": %.3f, \"mean_ms\": %.3f}", s ? ", " : "",
		             x->steps[s].ms, x->steps[s].slowest_ms, x->steps[s].mean_ms);
		ds_buf_put(&b, t, (size_t)n);
	}
	ds_buf_put(&b, "], ", 3);
	if (m->kafka)
		ds__json_kv(&b, "kafka_errors", x->kafka_errors, true);
	if (m->db)
		ds__json_kv(&b, "db_errors", x->db_errors, true);
	if (m->prog->ncounters > 0 && x->counters)
		ds__json_counters(&b, m->prog, x->counters);
	if (m->prog->checkpoint_dir) {
		n = snprintf(t, sizeof t, "\"checkpoint_ms\": %.3f, \"checkpoint_failed\": %s, ", x->checkpoint_ms,
		             x->checkpoint_failed ? "true" : "false");
		ds_buf_put(&b, t, (size_t)n);
	}
	n = snprintf(t, sizeof t, "\"processing_ms\": %.3f}\n", x->processing_ms);
	ds_buf_put(&b, t, (size_t)n);
	ds__metrics_put(m, &b, cmd);
	ds__buf_close(&b);
}

int ds__metrics_end(ds__metrics *m, const char *cmd)
{
	if (m->fd < 0)
		return 0;
	const ds_program *prog = m->prog;
	struct rusage ru;
	int64_t max_rss = getrusage(RUSAGE_SELF, &ru) == 0 ? (int64_t)ru.ru_maxrss * 1024 : 0;
	ds_buf b = {0};
	char t[128];
	int n;
	ds_buf_put(&b, "{\"event\": \"end\", \"program\": ", 28);
	ds__json_str(&b, prog->name);
	n = snprintf(t, sizeof t, ", \"batch_ms\": %" PRId64 ", \"totals\": {", prog->batch_ms);
	ds_buf_put(&b, t, (size_t)n);
	ds__json_kv(&b, "workers", (int64_t)m->workers, true);
	ds__json_kv(&b, "batches", m->batches, true);
	ds__json_kv(&b, "records_in", m->records_in, true);
	ds__json_kv(&b, "records_out", m->records_out, true);
	ds__json_kv(&b, "bad_records", m->bad_records, true);
	ds__json_kv(&b, "max_scheduling_delay_ms", m->max_sched_delay_ms, true);
	ds__json_kv(&b, "max_rss_bytes", max_rss, true);
	if (m->kafka)
		ds__json_kv(&b, "kafka_errors", m->kafka_errors, true);
	if (m->db)
		ds__json_kv(&b, "db_errors", m->db_errors, true);
	if (prog->checkpoint_dir) {
		ds__json_kv(&b, "batches_checkpoint_failed", m->checkpoint_failed, true);
		ds__json_kv(&b, "checkpoints", m->checkpoints, true);
		ds__json_kd(&b, "recovery_ms", m->recovery_ms, true);
	}
	if (prog->ncounters > 0 && m->counter_totals)
		ds__json_counters(&b, prog, m->counter_totals);
	ds__json_kd(&b, "processing_ms", m->processing_ms, false);
	ds_buf_put(&b, "}}\n", 3);
	ds__metrics_put(m, &b, cmd);
	ds__buf_close(&b);
	return m->failed ? -EIO : 0;
}

void ds__metrics_close(ds__metrics *m)
{
	if (m->fd >= 0)
		close(m->fd);
	memset(m, 0, sizeof *m);
	m->fd = -1;
}
