/* kafka_out.c: saveToKafka, the Kafka sink (lang/SPEC.md §12.1).
 *
 * One idempotent producer per output, made at its first commit and kept
 * for the run (the seeds' producer pool, done once).  A batch's records are
 * put in a canonical order (sorted by key, then value, bytewise), so that a
 * batch that runs again after a crash numbers them the same way whatever
 * the worker count or the order its tables were restored in.  Record i
 * goes to the partition of its key (librdkafka's murmur2 partitioner, as
 * the Java client's default), or, without a key, to partition i mod P, and
 * carries two headers: dstream.batch (the batch time in ms) and
 * dstream.index (i), both decimal.  The commit returns once every record is
 * acknowledged: a batch counts as done, and is checkpointed, only then.
 *
 * Exactly once without transactions: a run that recovered from a checkpoint
 * first reads the last record of every partition of the topic, (T_p, i_p)
 * from its headers.  A batch T then leaves out, in partition p, its records
 * with T < T_p, or T == T_p and i <= i_p: the idempotent producer keeps
 * each partition in the order it sent, so those are there already.  This
 * holds on any broker, the mock cluster included, as long as this program
 * is the topic's only writer.
 *
 * Owned by the scheduler thread (commits run there); librdkafka runs
 * threads of its own, which only call the delivery callback, and that only
 * from rd_kafka_poll/flush on this thread.
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A dstream.batch or dstream.index header's value as the sink writes it
 * (snprintf's PRId64 of a time or index >= 0): 1 to 19 decimal digits,
 * no sign, no leading zero, at most INT64_MAX. */
static bool ds__header_num(const unsigned char *v, size_t n, int64_t *out)
{
	if (n == 0 || n > 19 || (v[0] == '0' && n > 1))
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0'); /* 19 digits: no wrap in uint64 */
	}
	if (x > (uint64_t)INT64_MAX)
		return false;
	*out = (int64_t)x;
	return true;
}

const char *ds__kafka_last_record(const void *batch, size_t bn, const void *index, size_t in, int64_t *t,
                                  int64_t *i)
{
	*t = *i = INT64_MIN; /* none: every record of a batch is new */
	if (!batch && !index)
		return "has no dstream.batch and dstream.index headers (another writer's?)";
	int64_t bt, ix;
	if (!batch || !index)
		return batch ? "has no dstream.index header" : "has no dstream.batch header";
	if (!ds__header_num(batch, bn, &bt))
		return "has a dstream.batch header that is not a batch time";
	if (!ds__header_num(index, in, &ix))
		return "has a dstream.index header that is not an index";
	*t = bt;
	*i = ix;
	return NULL;
}

#ifdef DS_HAVE_RDKAFKA
#include <librdkafka/rdkafka.h>

#define DS__KAFKA_TIMEOUT_MS 30000 /* a record not acknowledged by then fails the batch */

static void ds__kafka_close(void *sink);

typedef struct ds__kafka {
	rd_kafka_t *rk;
	bool txn;                 /* transactional.id in props: each batch is a transaction */
	rd_kafka_topic_t *rkt;
	int32_t nparts;
	int64_t *last_t, *last_i; /* per partition: the last record's batch and index (recovery) */
	int64_t failed;           /* delivery reports with an error, this batch */
	char err[256];            /* the first one's reason */
} ds__kafka;

static void ds__kafka_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	ds__kafka *k = opaque;
	if (m->err) {
		if (!k->failed)
			snprintf(k->err, sizeof k->err, "%s", rd_kafka_err2str(m->err));
		k->failed++;
	}
}

/* "k=v,k=v" into conf; false after a message. */
static bool ds__kafka_props(rd_kafka_conf_t *conf, const char *props, const char *cmd, const char *loc)
{
	if (!props || !*props)
		return true;
	char *copy = ds__xstrdup(props), *save = NULL;
	bool ok = true;
	for (char *kv = strtok_r(copy, ",", &save); kv && ok; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '='), err[256];
		if (!eq) {
			ds__msg(cmd, "%s: saveToKafka: property '%s' is not KEY=VALUE", loc, kv);
			ok = false;
			break;
		}
		*eq = 0;
		if (rd_kafka_conf_set(conf, kv, eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) {
			ds__msg(cmd, "%s: saveToKafka: %s", loc, err);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

/* A header's value, NULL when the record has none. */
static const void *ds__header(rd_kafka_headers_t *h, const char *name, size_t *n)
{
	const void *v;
	if (!h || rd_kafka_header_get_last(h, name, &v, n) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return NULL;
	return v ? v : "";
}

/* The last record of each partition: where a recovered run's batches stop
 * being new.  0, or -errno after a message. */
static int ds__kafka_scan(ds__kafka *k, const ds_output_desc *d, const char *cmd)
{
	char err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "bootstrap.servers", d->brokers, err, sizeof err);
	rd_kafka_conf_set(conf, "group.id", "dstream-saveToKafka-recovery", err, sizeof err);
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
	rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
	rd_kafka_conf_set_log_cb(conf, ds__kafka_quiet);
	rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (!c) {
		ds__msg(cmd, "%s: saveToKafka: cannot read '%s' back: %s", d->loc, d->topic, err);
		return -EIO;
	}
	int rc = 0;
	for (int32_t p = 0; p < k->nparts && rc == 0; p++) {
		int64_t lo, hi;
		k->last_t[p] = k->last_i[p] = INT64_MIN;
		rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(c, d->topic, p, &lo, &hi, 10000);
		if (e) {
			ds__msg(cmd, "%s: saveToKafka: cannot read the end of '%s' [%d]: %s", d->loc, d->topic, p,
			        rd_kafka_err2str(e));
			rc = -EIO;
			break;
		}
		if (hi <= lo)
			continue;
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(l, d->topic, p)->offset = hi - 1;
		rd_kafka_assign(c, l);
		rd_kafka_topic_partition_list_destroy(l);
		int64_t deadline = ds__mono_us() + 10000000;
		for (;;) {
			rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
			if (m && !m->err && m->offset == hi - 1) {
				rd_kafka_headers_t *h = NULL;
				if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
					h = NULL;
				size_t bn = 0, in = 0;
				const void *bv = ds__header(h, "dstream.batch", &bn), *iv = ds__header(h, "dstream.index", &in);
				const char *why = ds__kafka_last_record(bv, bn, iv, in, &k->last_t[p], &k->last_i[p]);
				if (why)
					ds__msg(cmd, "%s: saveToKafka: warning: the last record of '%s' [%d] %s: the batches "
					        "after the checkpoint are all written to it again", d->loc, d->topic, p, why);
				rd_kafka_message_destroy(m);
				break;
			}
			if (m)
				rd_kafka_message_destroy(m);
			if (ds__mono_us() > deadline) {
				ds__msg(cmd, "%s: saveToKafka: cannot read the last record of '%s' [%d]", d->loc, d->topic, p);
				rc = -EIO;
				break;
			}
		}
	}
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	return rc;
}

static int ds__kafka_open(ds__kafka *k, const ds_output_desc *d, const char *cmd, bool recovered)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", d->brokers, err, sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "1000", err, sizeof err) != RD_KAFKA_CONF_OK) {
		ds__msg(cmd, "%s: saveToKafka: %s", d->loc, err);
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	snprintf(err, sizeof err, "%d", DS__KAFKA_TIMEOUT_MS);
	rd_kafka_conf_set(conf, "message.timeout.ms", err, err, sizeof err);
	if (!ds__kafka_props(conf, d->props, cmd, d->loc)) {
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, ds__kafka_dr);
	rd_kafka_conf_set_log_cb(conf, ds__kafka_quiet);
	rd_kafka_conf_set_opaque(conf, k);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!k->rk) {
		ds__msg(cmd, "%s: saveToKafka: %s", d->loc, err);
		return -EINVAL;
	}
	/* the topic must exist (the mock cluster would create any topic named) */
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(k->rk, 1, NULL, &md, 10000);
	if (e) {
		ds__msg(cmd, "%s: saveToKafka: cannot reach the brokers %s: %s", d->loc, d->brokers, rd_kafka_err2str(e));
		return -EIO;
	}
	k->nparts = ds__kafka_partitions(md, d->topic);
	if (k->nparts <= 0) {
		ds__msg(cmd, "%s: saveToKafka: no topic '%s' on %s", d->loc, d->topic, d->brokers);
		return -ENOENT;
	}
	k->rkt = rd_kafka_topic_new(k->rk, d->topic, NULL);
	char tid[256];
	size_t tn = sizeof tid;
	k->txn = d->props && strstr(d->props, "transactional.id=") &&
	         rd_kafka_conf_get(rd_kafka_conf(k->rk), "transactional.id", tid, &tn) == RD_KAFKA_CONF_OK && tid[0];
	if (k->txn) {
		rd_kafka_error_t *te = rd_kafka_init_transactions(k->rk, 30000);
		if (te) {
			ds__msg(cmd, "%s: saveToKafka: cannot start transactions: %s", d->loc, rd_kafka_error_string(te));
			rd_kafka_error_destroy(te);
			return -EIO;
		}
	}
	k->last_t = ds__xcalloc((size_t)k->nparts, sizeof *k->last_t);
	k->last_i = ds__xcalloc((size_t)k->nparts, sizeof *k->last_i);
	for (int32_t p = 0; p < k->nparts; p++)
		k->last_t[p] = k->last_i[p] = INT64_MIN;
	return recovered ? ds__kafka_scan(k, d, cmd) : 0;
}

/* The canonical order of a batch's records: by key, then value. */
typedef struct ds__kv {
	const char *k, *v;
	size_t kn, vn;
} ds__kv;

static int ds__kv_cmp(const void *a, const void *b)
{
	const ds__kv *x = a, *y = b;
	int c = ds_str_cmp((ds_str){x->k, (int64_t)x->kn}, (ds_str){y->k, (int64_t)y->kn});
	return c ? c : ds_str_cmp((ds_str){x->v, (int64_t)x->vn}, (ds_str){y->v, (int64_t)y->vn});
}

int ds_kafka_commit(ds_rt *rt, int out, int64_t t)
{
	ds__output *o = &rt->out[out];
	const ds_output_desc *d = o->desc;
	if (!o->sink) {
		o->sink = ds__xcalloc(1, sizeof(ds__kafka));
		o->sink_close = ds__kafka_close;
		int rc = ds__kafka_open(o->sink, d, rt->cmd, rt->ck.resume_time != INT64_MIN);
		if (rc < 0)
			return rc;
	}
	ds__kafka *k = o->sink;
	bool keyed = d->fields && d->fields[0] && d->fields[1];
	ds__kv *v = ds__xmalloc((size_t)(o->nrecs ? o->nrecs : 1) * sizeof *v);
	for (int64_t i = 0; i < o->nrecs; i++) {
		const ds__field *f = &o->fields[o->recs[i].field0];
		ds__kv *r = &v[i];
		if (keyed) {
			r->k = o->strs.p + f[0].v.off, r->kn = f[0].len;
			r->v = o->strs.p + f[1].v.off, r->vn = f[1].len;
		} else {
			r->k = NULL, r->kn = 0;
			r->v = o->strs.p + f[0].v.off, r->vn = f[0].len;
		}
	}
	qsort(v, (size_t)o->nrecs, sizeof *v, ds__kv_cmp);
	k->failed = 0;
	int64_t sent = 0;
	if (k->txn) { /* the batch in one transaction (real brokers; see lang/SPEC.md §12.1) */
		rd_kafka_error_t *te = rd_kafka_begin_transaction(k->rk);
		if (te) {
			ds__msg(rt->cmd, "%s: saveToKafka: batch %" PRId64 " ms: cannot begin a transaction: %s", d->loc, t,
			        rd_kafka_error_string(te));
			rd_kafka_error_destroy(te);
			free(v);
			return -EIO;
		}
	}
	char bt[24], ix[24];
	snprintf(bt, sizeof bt, "%" PRId64, t);
	for (int64_t i = 0; i < o->nrecs; i++) {
		ds__kv *r = &v[i];
		int32_t p = keyed ? rd_kafka_msg_partitioner_murmur2(k->rkt, r->k, r->kn, k->nparts, NULL, NULL)
		                  : (int32_t)(i % k->nparts);
		if (t < k->last_t[p] || (t == k->last_t[p] && i <= k->last_i[p]))
			continue; /* there already: written before the crash */
		snprintf(ix, sizeof ix, "%" PRId64, i);
		rd_kafka_headers_t *h = rd_kafka_headers_new(2);
		rd_kafka_header_add(h, "dstream.batch", -1, bt, -1);
		rd_kafka_header_add(h, "dstream.index", -1, ix, -1);
		for (;;) {
			rd_kafka_resp_err_t e = rd_kafka_producev(
				k->rk, RD_KAFKA_V_RKT(k->rkt), RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_VALUE((void *)r->v, r->vn), RD_KAFKA_V_KEY(r->k, r->k ? r->kn : 0),
				RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
			if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				rd_kafka_poll(k->rk, 10); /* the queue drains as deliveries come back */
				continue;
			}
			if (e) {
				rd_kafka_headers_destroy(h);
				k->failed++;
				if (k->failed == 1)
					snprintf(k->err, sizeof k->err, "%s", rd_kafka_err2str(e));
			}
			break;
		}
		sent++;
	}
	free(v);
	/* the batch is done once every record is acknowledged */
	int64_t deadline = ds__mono_us() + (int64_t)(DS__KAFKA_TIMEOUT_MS + 5000) * 1000;
	while (rd_kafka_outq_len(k->rk) > 0 && ds__mono_us() < deadline)
		rd_kafka_flush(k->rk, 100);
	if (rd_kafka_outq_len(k->rk) > 0) {
		rt->kafka_errors += rd_kafka_outq_len(k->rk);
		ds__msg(rt->cmd, "%s: saveToKafka: batch %" PRId64 " ms: %d record(s) still not acknowledged", d->loc, t,
		        rd_kafka_outq_len(k->rk));
		return -EIO;
	}
	rt->kafka_errors += k->failed;
	if (k->txn && !k->failed) {
		rd_kafka_error_t *te = rd_kafka_commit_transaction(k->rk, DS__KAFKA_TIMEOUT_MS);
		if (te) {
			rt->kafka_errors++;
			ds__msg(rt->cmd, "%s: saveToKafka: batch %" PRId64 " ms: cannot commit its transaction: %s", d->loc, t,
			        rd_kafka_error_string(te));
			rd_kafka_error_destroy(te);
			return -EIO;
		}
	}
	if (k->failed) {
		if (k->txn) {
			rd_kafka_error_t *te = rd_kafka_abort_transaction(k->rk, DS__KAFKA_TIMEOUT_MS);
			if (te)
				rd_kafka_error_destroy(te);
		}
		ds__msg(rt->cmd, "%s: saveToKafka: batch %" PRId64 " ms: %" PRId64 " of %" PRId64
		        " record(s) not delivered to '%s': %s",
		        d->loc, t, k->failed, sent, d->topic, k->err);
		return -EIO;
	}
	return 0;
}

static void ds__kafka_close(void *sink)
{
	ds__kafka *k = sink;
	if (!k)
		return;
	if (k->rkt)
		rd_kafka_topic_destroy(k->rkt);
	if (k->rk) {
		rd_kafka_flush(k->rk, 1000);
		rd_kafka_destroy(k->rk);
	}
	free(k->last_t);
	free(k->last_i);
	free(k);
}

#else /* !DS_HAVE_RDKAFKA */

int ds_kafka_commit(ds_rt *rt, int out, int64_t t)
{
	(void)t;
	ds__msg(rt->cmd, "%s: saveToKafka: this runtime was built without librdkafka", rt->out[out].desc->loc);
	return -ENOSYS;
}

#endif
