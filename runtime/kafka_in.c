/* kafka_in.c: kafkaStream, Spark's direct approach (lang/SPEC.md §8.2).
 *
 * No receiver: at each batch time the batch's offset range per partition is
 * fixed, from where the last batch ended up to the partition's high
 * watermark (capped by maxRatePerPartition, records/s, when it is set), and
 * exactly those records are read, in bulk, into one framed block per
 * partition (ds_next_framed): one copy per record, from librdkafka's buffer
 * into the block.  After the batch's outputs, the ends are committed to the
 * consumer group, so that Kafka's own tools see the progress; the group is
 * not what the program goes by (it starts from the group's committed
 * offsets, else from auto.offset.reset: latest unless told earliest).
 *
 * With a checkpoint (exactly once, Spark's way): the checkpoint holds each
 * partition's next offset after its batch, and each batch's range ends are
 * appended to a log in the checkpoint directory (kafka-SRC.ranges, one line
 * "T end0 end1 ...", fsync'd) before the batch reads them.  A recovered run
 * restarts from the checkpoint's offsets, and a batch that runs again reads
 * the ends the log gave it the first time: the same records, whatever has
 * arrived since.  The log drops what a checkpoint covers.
 *
 * Owned by the scheduler thread; librdkafka runs threads of its own, which
 * our code never meets but through its calls.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef DS_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>

#define DS__KAFKA_READ_MS 10000 /* the most a batch waits for its range to arrive */

typedef struct ds__kin {
	rd_kafka_t *rk;
	int32_t nparts;
	int64_t *next;        /* per partition: the first offset the next batch reads */
	int64_t *end;         /* this batch's ends, while it runs */
	int64_t max_rate;     /* maxRatePerPartition (records/s), 0: no cap */
	bool warned;          /* a failure was said (once, until it works again) */
	/* with a checkpoint: the ranges log */
	char *log_path;       /* NULL: no checkpoint */
	bool log_read;        /* read at the first batch (after the checkpoint is chosen) */
	int64_t *log_t;       /* [nlog]: logged batch times, and their ends [nlog * nparts] */
	int64_t *log_end;
	int nlog, caplog;
} ds__kin;

static void ds__log_add(ds__kin *k, int64_t t, const int64_t *ends)
{
	for (int i = 0; i < k->nlog; i++)
		if (k->log_t[i] == t) { /* a later line wins (a range read short) */
			memcpy(&k->log_end[(size_t)i * (size_t)k->nparts], ends, (size_t)k->nparts * sizeof *ends);
			return;
		}
	if (k->nlog == k->caplog) {
		k->caplog = k->caplog ? 2 * k->caplog : 16;
		k->log_t = ds__xrealloc(k->log_t, (size_t)k->caplog * sizeof *k->log_t);
		k->log_end = ds__xrealloc(k->log_end, (size_t)k->caplog * (size_t)k->nparts * sizeof *k->log_end);
	}
	k->log_t[k->nlog] = t;
	memcpy(&k->log_end[(size_t)k->nlog * (size_t)k->nparts], ends, (size_t)k->nparts * sizeof *ends);
	k->nlog++;
}

/* Reads the log: every whole line of nparts + 1 numbers (a torn last line,
 * from a crash in the middle of an append, is left out). */
static void ds__log_load(ds__kin *k)
{
	FILE *f = fopen(k->log_path, "r");
	if (!f)
		return;
	char line[8192];
	int64_t *ends = ds__xcalloc((size_t)k->nparts, sizeof *ends);
	while (fgets(line, sizeof line, f)) {
		if (!strchr(line, '\n'))
			break;
		char *p = line, *e;
		long long t = strtoll(p, &e, 10);
		bool ok = e != p;
		for (int32_t i = 0; ok && i < k->nparts; i++) {
			p = e;
			ends[i] = strtoll(p, &e, 10);
			ok = e != p;
		}
		if (ok && (*e == '\n'))
			ds__log_add(k, t, ends);
	}
	free(ends);
	fclose(f);
}

/* One line of the log: "T end0 end1 ...". */
static void ds__log_line(ds_buf *b, int64_t t, const int64_t *ends, int32_t nparts)
{
	char num[32];
	int n = snprintf(num, sizeof num, "%" PRId64, t);
	ds_buf_put(b, num, (size_t)n);
	for (int32_t i = 0; i < nparts; i++) {
		n = snprintf(num, sizeof num, " %" PRId64, ends[i]);
		ds_buf_put(b, num, (size_t)n);
	}
	ds_buf_putc(b, '\n');
}

/* Appends (t, ends) and syncs it: the batch may read its range only then. */
static int ds__log_append(ds__kin *k, int64_t t, const int64_t *ends)
{
	ds_buf b = {0};
	ds__log_line(&b, t, ends, k->nparts);
	int fd = ds__fopen(k->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int rc = fd < 0 ? -errno : ds__write_all(fd, b.p, b.len);
	if (rc == 0 && ds__ffsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	ds__buf_close(&b);
	if (rc == 0)
		ds__log_add(k, t, ends);
	return rc;
}

static const ds_source_desc *ds__kdesc(ds_rt *rt, int src) { return &rt->src[src].own; }

int ds__kafka_partitions(const struct rd_kafka_metadata *md, const char *topic)
{
	int n = 0;
	for (int i = 0; i < md->topic_cnt; i++)
		if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
			n = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return n;
}

/* librdkafka's own log lines (a broker's every disconnection, in its
 * format) are not the program's: what a user must know, this file says. */
void ds__kafka_quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

static int ds__kin_open(ds_rt *rt, int src)
{
	const ds_source_desc *d = ds__kdesc(rt, src);
	ds__kin *k = ds__xcalloc(1, sizeof *k);
	rt->src[src].kafka = k;
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char group[300];
	snprintf(group, sizeof group, "dstream-%s", rt->prog->name ? rt->prog->name : "program");
	bool earliest = false;
	rd_kafka_conf_set(conf, "bootstrap.servers", d->brokers, err, sizeof err);
	rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
	rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, sizeof err);
	rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "1000", err, sizeof err);
	rd_kafka_conf_set_log_cb(conf, ds__kafka_quiet);
	if (d->props && *d->props) {
		char *copy = ds__xstrdup(d->props), *save = NULL;
		for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			if (!eq)
				continue; /* the compiler refused it */
			*eq = 0;
			if (!strcmp(kv, "maxRatePerPartition")) {
				char *e;
				long long v = strtoll(eq + 1, &e, 10);
				if (*e || v < 1) {
					ds__msg(rt->cmd, "%s: kafkaStream: maxRatePerPartition must be a positive count of "
					        "records/s, not '%s'", d->loc, eq + 1);
					free(copy);
					rd_kafka_conf_destroy(conf);
					return -EINVAL;
				}
				k->max_rate = v;
				continue;
			}
			if (!strcmp(kv, "auto.offset.reset"))
				earliest = !strcmp(eq + 1, "earliest") || !strcmp(eq + 1, "smallest") ||
				           !strcmp(eq + 1, "beginning");
			if (rd_kafka_conf_set(conf, kv, eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) {
				ds__msg(rt->cmd, "%s: kafkaStream: %s", d->loc, err);
				free(copy);
				rd_kafka_conf_destroy(conf);
				return -EINVAL;
			}
		}
		free(copy);
	}
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (!k->rk) {
		ds__msg(rt->cmd, "%s: kafkaStream: %s", d->loc, err);
		return -EINVAL;
	}
	/* brokers away at start: said once, then retried with back-off until
	 * they answer or the program is stopped */
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e;
	int64_t backoff = DS__BACKOFF_MIN;
	bool said = false;
	while ((e = rd_kafka_metadata(k->rk, 1, NULL, &md, 5000)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (!said)
			ds__msg(rt->cmd, "%s: kafkaStream: cannot reach the brokers %s: %s; retrying (every %d s at most) "
			        "until they answer", d->loc, d->brokers, rd_kafka_err2str(e), DS__BACKOFF_MAX / 1000);
		said = true;
		for (int64_t end = ds__mono_us() + backoff * 1000; ds__mono_us() < end && !ds__stop_flag;) {
			struct timespec ts = {0, 50 * 1000000};
			nanosleep(&ts, NULL);
		}
		if (ds__stop_flag)
			return -EINTR;
		backoff = ds__backoff_next(backoff);
	}
	if (said)
		ds__msg(rt->cmd, "%s: kafkaStream: the brokers %s answer", d->loc, d->brokers);
	k->nparts = ds__kafka_partitions(md, d->topic);
	if (k->nparts <= 0) {
		ds__msg(rt->cmd, "%s: kafkaStream: no topic '%s' on %s", d->loc, d->topic, d->brokers);
		return -ENOENT;
	}
	k->next = ds__xcalloc((size_t)k->nparts, sizeof *k->next);
	k->end = ds__xcalloc((size_t)k->nparts, sizeof *k->end);
	if (rt->prog->checkpoint_dir) {
		size_t n = strlen(rt->prog->checkpoint_dir) + 64;
		k->log_path = ds__xmalloc(n);
		snprintf(k->log_path, n, "%s/kafka-%d.ranges", rt->prog->checkpoint_dir, src);
	}
	/* where to start: the group's committed offsets, else the log's start or end */
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(k->nparts);
	for (int32_t p = 0; p < k->nparts; p++)
		rd_kafka_topic_partition_list_add(l, d->topic, p);
	e = rd_kafka_committed(k->rk, l, 10000);
	for (int32_t p = 0; p < k->nparts; p++) {
		int64_t lo = 0, hi = 0, c = e ? RD_KAFKA_OFFSET_INVALID : l->elems[p].offset;
		rd_kafka_resp_err_t we = rd_kafka_query_watermark_offsets(k->rk, d->topic, p, &lo, &hi, 10000);
		if (we) {
			ds__msg(rt->cmd, "%s: kafkaStream: cannot read the offsets of '%s' [%d]: %s", d->loc, d->topic, p,
			        rd_kafka_err2str(we));
			rd_kafka_topic_partition_list_destroy(l);
			return -EIO;
		}
		k->next[p] = c >= 0 ? (c < lo ? lo : c) : earliest ? lo : hi;
	}
	rd_kafka_topic_partition_list_destroy(l);
	return 0;
}

/* A framed record (ds_next_framed) onto b. */
static void ds__frame(ds_buf *b, const void *p, size_t n)
{
	unsigned char len[4];
	ds__put32(len, (uint32_t)n);
	ds_buf_put(b, len, 4);
	ds_buf_put(b, p, n);
}

/* kafkaRecordStream: the whole message, as ds_kafka_topic ... ds_kafka_value
 * (rt.h) read it. */
static void ds__frame_record(ds_buf *b, const char *topic, const rd_kafka_message_t *m)
{
	size_t tn = strlen(topic), kn = m->key ? m->key_len : 0, n = 2 + tn + 4 + 8 + 4 + kn + m->len;
	unsigned char h[8];
	ds__put32(h, (uint32_t)n);
	ds_buf_put(b, h, 4);
	h[0] = (unsigned char)tn;
	h[1] = (unsigned char)(tn >> 8);
	ds_buf_put(b, h, 2);
	ds_buf_put(b, topic, tn);
	ds__put32(h, (uint32_t)m->partition);
	ds_buf_put(b, h, 4);
	ds__put64(h, (uint64_t)m->offset);
	ds_buf_put(b, h, 8);
	ds__put32(h, (uint32_t)kn);
	ds_buf_put(b, h, 4);
	ds_buf_put(b, m->key, kn);
	ds_buf_put(b, m->payload, m->len);
}

static int64_t ds__kin_take(ds_rt *rt, int src, int64_t t, ds__blockq *out)
{
	const ds_source_desc *d = ds__kdesc(rt, src);
	ds__kin *k = rt->src[src].kafka;
	if (k->log_path && !k->log_read) {
		/* now that the checkpoint is chosen: a recovered run's batches read
		 * the ranges they read before; a fresh one starts a new log */
		k->log_read = true;
		if (rt->ck.resume_time != INT64_MIN)
			ds__log_load(k);
		else
			unlink(k->log_path);
	}
	const int64_t *logged = NULL;
	for (int i = 0; i < k->nlog; i++)
		if (k->log_t[i] == t)
			logged = &k->log_end[(size_t)i * (size_t)k->nparts];
	/* the batch's ranges, fixed now */
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(k->nparts);
	int64_t want = 0;
	for (int32_t p = 0; p < k->nparts && logged; p++) { /* a batch that runs again */
		k->end[p] = logged[p] > k->next[p] ? logged[p] : k->next[p];
		want += k->end[p] - k->next[p];
		if (k->end[p] > k->next[p])
			rd_kafka_topic_partition_list_add(l, d->topic, p)->offset = k->next[p];
	}
	/* a new batch: up to each partition's end now, held to the rate: backpressure's
	 * (shared among the partitions by their lag, as Spark does) and
	 * maxRatePerPartition */
	int64_t lag = 0;
	for (int32_t p = 0; p < k->nparts && !logged; p++) {
		int64_t lo = 0, hi = 0;
		rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(k->rk, d->topic, p, &lo, &hi, 5000);
		if (e) {
			rt->kafka_errors++;
			if (!k->warned)
				ds__msg(rt->cmd, "%s: kafkaStream: batch %" PRId64 " ms: cannot read the end of '%s' [%d]: %s "
				        "(the batch reads nothing from it; retried every batch)",
				        d->loc, t, d->topic, p, rd_kafka_err2str(e));
			k->warned = true;
			hi = k->next[p];
		}
		if (k->next[p] < lo)
			k->next[p] = lo; /* gone from the log (retention) */
		k->end[p] = hi > k->next[p] ? hi : k->next[p];
		lag += k->end[p] - k->next[p];
	}
	double rate = rt->src[src].rate, secs = (double)rt->prog->batch_ms / 1000.0;
	for (int32_t p = 0; p < k->nparts && !logged; p++) {
		double cap = -1; /* records this batch may take from p; < 0: no cap */
		if (rate > 0 && lag > 0)
			cap = rate * secs * (double)(k->end[p] - k->next[p]) / (double)lag;
		if (k->max_rate && (cap < 0 || cap > (double)k->max_rate * secs))
			cap = (double)k->max_rate * secs;
		if (cap >= 0) {
			int64_t c = cap < 1 ? 1 : (int64_t)cap;
			if (k->end[p] > k->next[p] + c)
				k->end[p] = k->next[p] + c;
		}
		want += k->end[p] - k->next[p];
		if (k->end[p] > k->next[p])
			rd_kafka_topic_partition_list_add(l, d->topic, p)->offset = k->next[p];
	}
	if (k->log_path && !logged) {
		int rc = ds__log_append(k, t, k->end);
		if (rc < 0) { /* the batch cannot say what it read: it reads nothing */
			rt->kafka_errors++;
			ds__msg(rt->cmd, "%s: kafkaStream: batch %" PRId64 " ms: cannot log its offset ranges in '%s': %s; "
			        "the batch reads nothing (retried next batch)", d->loc, t, k->log_path, strerror(-rc));
			want = 0;
		}
	}
	if (!want) {
		rd_kafka_topic_partition_list_destroy(l);
		return 0;
	}
	rd_kafka_assign(k->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	ds_buf *bufs = ds__xcalloc((size_t)k->nparts, sizeof *bufs);
	int64_t *nrecs = ds__xcalloc((size_t)k->nparts, sizeof *nrecs);
	int64_t *pos = ds__xcalloc((size_t)k->nparts, sizeof *pos);
	for (int32_t p = 0; p < k->nparts; p++)
		pos[p] = k->next[p];
	/* in bulk, from the consumer's queue; records past a range's end (fetched
	 * ahead) are dropped here and read again by the next batch */
	rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(k->rk);
	rd_kafka_message_t *ms[1024];
	int64_t got = 0, deadline = ds__mono_us() + (int64_t)DS__KAFKA_READ_MS * 1000;
	while (got < want && ds__mono_us() < deadline) {
		ssize_t n = rd_kafka_consume_batch_queue(q, 100, ms, sizeof ms / sizeof *ms);
		for (ssize_t i = 0; i < n; i++) {
			rd_kafka_message_t *m = ms[i];
			int32_t p = m->partition;
			if (!m->err && p >= 0 && p < k->nparts && m->offset == pos[p] && m->offset < k->end[p]) {
				if (d->kafka_records)
					ds__frame_record(&bufs[p], d->topic, m);
				else
					ds__frame(&bufs[p], m->payload ? m->payload : "", m->len);
				nrecs[p]++;
				pos[p]++;
				got++;
			}
			rd_kafka_message_destroy(m);
		}
	}
	rd_kafka_queue_destroy(q);
	rd_kafka_assign(k->rk, NULL);
	if (got < want) {
		rt->kafka_errors++;
		ds__msg(rt->cmd, "%s: kafkaStream: batch %" PRId64 " ms: read %" PRId64 " of the %" PRId64
		        " records of its range in %d s; the rest go to the next batch",
		        d->loc, t, got, want, DS__KAFKA_READ_MS / 1000);
	} else {
		k->warned = false;
	}
	if (got < want && k->log_path)
		ds__log_append(k, t, pos); /* what it did read: a re-run reads the same */
	for (int32_t p = 0; p < k->nparts; p++) {
		k->next[p] = pos[p];
		k->end[p] = pos[p];
		if (!nrecs[p]) {
			ds__buf_close(&bufs[p]);
			continue;
		}
		ds__block *b = ds__xcalloc(1, sizeof *b);
		b->b.data = bufs[p].p;
		b->b.len = bufs[p].len;
		b->b.nrecs = nrecs[p];
		b->time_ms = t;
		ds__blockq_push(out, b);
	}
	free(bufs);
	free(nrecs);
	free(pos);
	return got;
}

/* The batch's outputs are committed: so are its ends, to the group. */
static void ds__kin_done(ds_rt *rt, int src)
{
	const ds_source_desc *d = ds__kdesc(rt, src);
	ds__kin *k = rt->src[src].kafka;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(k->nparts);
	for (int32_t p = 0; p < k->nparts; p++)
		rd_kafka_topic_partition_list_add(l, d->topic, p)->offset = k->next[p];
	rd_kafka_commit(k->rk, l, 1); /* asynchronous: the progress lag monitors see */
	rd_kafka_topic_partition_list_destroy(l);
}

static void ds__kin_close(ds_rt *rt, int src)
{
	ds__kin *k = rt->src[src].kafka;
	if (!k)
		return;
	if (k->rk) {
		rd_kafka_consumer_close(k->rk);
		rd_kafka_destroy(k->rk);
	}
	free(k->next);
	free(k->end);
	free(k->log_path);
	free(k->log_t);
	free(k->log_end);
	free(k);
	rt->src[src].kafka = NULL;
}

static void ds__kin_save(ds_rt *rt, int src, ds_buf *b)
{
	ds__kin *k = rt->src[src].kafka;
	unsigned char x[8];
	ds__put32(x, (uint32_t)k->nparts);
	ds_buf_put(b, x, 4);
	for (int32_t p = 0; p < k->nparts; p++) {
		ds__put64(x, (uint64_t)k->next[p]);
		ds_buf_put(b, x, 8);
	}
}

static void ds__kin_restore(ds_rt *rt, int src, const int64_t *next, int n)
{
	ds__kin *k = rt->src[src].kafka;
	if (n != k->nparts)
		ds__msg(rt->cmd, "%s: kafkaStream: warning: the checkpoint knew %d partition(s) of '%s', there are %d now: "
		        "the new ones start as a fresh start would", rt->src[src].own.loc, n, rt->src[src].own.topic,
		        k->nparts);
	for (int p = 0; p < n && p < k->nparts; p++)
		k->next[p] = next[p];
}

/* Keeps the log's batches after upto (temporary file, fsync, rename). */
static void ds__kin_truncate(ds_rt *rt, int src, int64_t upto)
{
	ds__kin *k = rt->src[src].kafka;
	if (!k->log_path)
		return;
	int keep = 0;
	for (int i = 0; i < k->nlog; i++)
		if (k->log_t[i] > upto) {
			k->log_t[keep] = k->log_t[i];
			memmove(&k->log_end[(size_t)keep * (size_t)k->nparts], &k->log_end[(size_t)i * (size_t)k->nparts],
			        (size_t)k->nparts * sizeof *k->log_end);
			keep++;
		}
	if (keep == k->nlog)
		return;
	k->nlog = keep;
	ds_buf b = {0};
	for (int i = 0; i < k->nlog; i++)
		ds__log_line(&b, k->log_t[i], &k->log_end[(size_t)i * (size_t)k->nparts], k->nparts);
	int rc = ds__write_atomic(k->log_path, b.p ? b.p : "", b.len);
	if (rc < 0)
		ds__msg(rt->cmd, "kafkaStream: cannot rewrite '%s': %s", k->log_path, strerror(-rc));
	ds__buf_close(&b);
}

const ds_source_ops ds_kafka_source = {ds__kin_open,  ds__kin_take,    ds__kin_done,    ds__kin_close,
                                       ds__kin_save, ds__kin_restore, ds__kin_truncate};

#else /* !DS_HAVE_RDKAFKA */

static int ds__kin_open(ds_rt *rt, int src)
{
	ds__msg(rt->cmd, "%s: kafkaStream: this runtime was built without librdkafka", rt->src[src].own.loc);
	return -ENOSYS;
}

const ds_source_ops ds_kafka_source = {ds__kin_open, NULL, NULL, NULL, NULL, NULL, NULL};

#endif
