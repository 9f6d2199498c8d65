/* kafka.c: `dstreamc kafka`, Kafka without installing Kafka.
 *
 *   dstreamc kafka [--brokers N] [--topic NAME:PARTITIONS]...
 *   dstreamc kafka produce --bootstrap ADDR --topic T [--key-sep C] [--timeout D] [FILE]
 *   dstreamc kafka consume --bootstrap ADDR --topic T [--from-beginning] [--max N]
 *                          [--timeout D] [--keys]
 *
 * The first runs librdkafka's mock cluster (rdkafka_mock.h): brokers that
 * speak the Kafka protocol on 127.0.0.1, keep their logs in memory (the last
 * ~5 MB of each partition) and serve any client, kcat included.  The other
 * two are the clients the demo and the tests need: lines in, lines out.
 *
 * Threads: ours is the only one of dstreamc's; librdkafka runs its own (the
 * mock brokers', each client's).  SIGINT and SIGTERM are blocked before any
 * of them starts, so that they all inherit the mask and the signals reach the
 * cluster's sigwait, never a librdkafka thread.  The clients' callbacks
 * (delivery reports, errors) run on our thread, inside rd_kafka_poll,
 * rd_kafka_flush and rd_kafka_consumer_poll, so KafkaClient needs no lock.
 * Log lines run on librdkafka's threads: kafka_log touches no shared state.
 */
#include "kafka.h"

#include <stdio.h>

#ifndef DS_HAVE_RDKAFKA

int kafka_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	fprintf(stderr, "dstreamc: kafka: built without librdkafka (install librdkafka-dev and "
			"pkg-config, then configure and build again)\n");
	return 1;
}

#else

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static const char *kafka_usage_text =
	"usage: dstreamc kafka [--brokers N] [--topic NAME:PARTITIONS]...\n"
	"       dstreamc kafka produce --bootstrap ADDR --topic T [--key-sep C] [--timeout D] [FILE]\n"
	"       dstreamc kafka consume --bootstrap ADDR --topic T [--from-beginning] [--max N]\n"
	"                              [--timeout D] [--keys]\n"
	"\n"
	"kafka      run librdkafka's mock cluster on 127.0.0.1: N brokers (default 1, at most 32),\n"
	"           each --topic created with its partitions; print one line \"kafka: bootstrap\n"
	"           ADDR\" once it is ready, and serve until SIGINT or SIGTERM.  In memory only:\n"
	"           each partition keeps its last ~5 MB.  For outage tests, SIGUSR1 takes every\n"
	"           broker down (the mock's own API) and SIGUSR2 brings them back.\n"
	"produce    each line of FILE (default stdin) is one message, its value the line\n"
	"           without the newline; --key-sep C: the part before the first C is the key\n"
	"           (a line without C has none).  One idempotent producer; exit 0 once every\n"
	"           message is acknowledged, 1 if any is not.  --timeout D (default 10s): to\n"
	"           reach a broker, and for each message's delivery.\n"
	"consume    print each message's value on a line (--keys: key TAB value), in order\n"
	"           within each partition; every partition of T is assigned, from its end or\n"
	"           --from-beginning (no group offsets are read or committed).  Stop after\n"
	"           --max N messages, or once none came for D (--timeout, default 5s; also\n"
	"           the time to reach a broker).\n"
	"\n"
	"D is a duration: 500ms, 10s, 2min.  kcat works against the cluster: kcat -b ADDR -L.\n"
	"Exit status: 0 done, 1 a Kafka failure, 2 a bad command line or an unreadable FILE.\n";

#define KAFKA_MAX_BROKERS 32
#define KAFKA_MAX_PARTITIONS 1000 /* the mock allocates each one's log up front */

/* ---- command lines ------------------------------------------------------ */

static _Noreturn void kafka_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "dstreamc: kafka: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n(see dstreamc kafka --help)\n");
	va_end(ap);
	exit(2);
}

/* A user-facing failure: "dstreamc: kafka: CMD: ..." on stderr. */
static void kafka_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "dstreamc: kafka: %s%s", cmd, *cmd ? ": " : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* When argv[*i] is NAME or NAME=VALUE: its value (for NAME, the next
 * argument, consumed); NULL when it is another argument. */
static const char *kafka_opt(int argc, char **argv, int *i, const char *name)
{
	const char *a = argv[*i], *v;
	size_t n = strlen(name);
	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return NULL;
	if (a[n] == '=')
		v = a + n + 1;
	else if (*i + 1 < argc)
		v = argv[++*i];
	else
		kafka_usage_error("%s needs a value", name);
	if (!*v)
		kafka_usage_error("%s needs a value", name);
	return v;
}

/* A positive decimal integer no greater than max; a usage error otherwise. */
static long long kafka_count(const char *opt, const char *s, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > max)
		kafka_usage_error("%s '%s': a whole number from 1 to %lld", opt, s, max);
	return v;
}

/* "500ms", "10s", "2min" (or "2m"), "1h", as milliseconds, at most INT_MAX
 * (librdkafka's timeouts are ints): the grammar of the built binary's
 * --duration. */
static int kafka_duration(const char *opt, const char *s)
{
	const char *p = s;
	long long v = 0, mul;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (*p - '0')) > INT_MAX)
			goto bad;
	if (p == s)
		goto bad;
	if (!strcmp(p, "ms"))
		mul = 1;
	else if (!strcmp(p, "s"))
		mul = 1000;
	else if (!strcmp(p, "min") || !strcmp(p, "m"))
		mul = 60000;
	else if (!strcmp(p, "h"))
		mul = 3600000;
	else
		goto bad;
	if (v > 0 && v <= INT_MAX / mul)
		return (int)(v * mul);
bad:
	kafka_usage_error("%s '%s': a duration such as 500ms, 10s or 2min", opt, s);
}

/* Kafka's own rule for topic names. */
static bool kafka_topic_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 249 || (n == 1 && s[0] == '.') || (n == 2 && !strncmp(s, "..", 2)))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static void kafka_check_topic(const char *t)
{
	if (!kafka_topic_name_ok(t, strlen(t)))
		kafka_usage_error("--topic '%s': a topic name is 1 to 249 of a-z A-Z 0-9 . _ -", t);
}

static int64_t kafka_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- clients ------------------------------------------------------------ */

/* What the callbacks of one client report; only our thread touches it (see
 * the top of the file). */
typedef struct KafkaClient {
	const char *cmd;        /* "produce" or "consume", for messages */
	char last_error[512];   /* the newest error event's reason ("" none) */
	long long delivered;    /* produce: messages acknowledged */
	long long failed;       /* produce: messages refused or not acknowledged */
	char first_failure[256];/* produce: why the first of them failed */
} KafkaClient;

/* librdkafka's log lines (its threads): only the critical ones; every error a
 * client needs to report reaches kafka_client_error as well. */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= LOG_CRIT)
		fprintf(stderr, "dstreamc: kafka: librdkafka: %s: %s\n", fac, buf);
}

static void kafka_client_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk, (void)err;
	KafkaClient *c = opaque;
	snprintf(c->last_error, sizeof c->last_error, "%s", reason);
}

static void kafka_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	KafkaClient *c = opaque;
	if (!m->err)
		c->delivered++;
	else if (!c->failed++)
		snprintf(c->first_failure, sizeof c->first_failure, "%s", rd_kafka_err2str(m->err));
}

/* Sets NAME=VALUE; false after saying why (our own settings: a failure is a
 * librdkafka that does not know them). */
static bool kafka_set(rd_kafka_conf_t *conf, const char *cmd, const char *name, const char *value)
{
	char err[512];
	if (rd_kafka_conf_set(conf, name, value, err, sizeof err) == RD_KAFKA_CONF_OK)
		return true;
	kafka_error(cmd, "%s=%s: %s", name, value, err);
	return false;
}

/* A client of the brokers at bootstrap; NULL after saying why. */
static rd_kafka_t *kafka_client_new(KafkaClient *c, rd_kafka_type_t type, const char *bootstrap,
				    const char *const *settings)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, kafka_log);
	rd_kafka_conf_set_error_cb(conf, kafka_client_error);
	rd_kafka_conf_set_opaque(conf, c);
	if (type == RD_KAFKA_PRODUCER)
		rd_kafka_conf_set_dr_msg_cb(conf, kafka_delivered);
	/* A broker that is down is tried again every second at most, not every
	 * 10 s (the default): the thread of a broker waiting to reconnect also
	 * times its messages out, late by as much as that wait. */
	if (!kafka_set(conf, c->cmd, "bootstrap.servers", bootstrap) ||
	    !kafka_set(conf, c->cmd, "reconnect.backoff.max.ms", "1000"))
		goto fail;
	for (; *settings; settings += 2)
		if (!kafka_set(conf, c->cmd, settings[0], settings[1]))
			goto fail;
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
	if (rk)
		return rk; /* it owns conf now */
	kafka_error(c->cmd, "cannot create the client: %s", err);
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

/* The number of partitions of topic, once a broker at bootstrap answered
 * (within timeout_ms, timeout_text as the user wrote it); -1 after saying
 * why not.  It asks for every topic:
 * a request that names the topic may create it (the mock cluster does, as
 * brokers with auto.create.topics.enable do), and a misspelt name would then
 * become an empty topic instead of an error. */
static int kafka_partition_count(rd_kafka_t *rk, KafkaClient *c, const char *bootstrap,
				 const char *topic, int timeout_ms, const char *timeout_text)
{
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
	rd_kafka_poll(rk, 0); /* the connection errors, into c->last_error */
	if (err) {
		kafka_error(c->cmd, "no broker at %s answered within %s: %s", bootstrap, timeout_text,
			    c->last_error[0] ? c->last_error : rd_kafka_err2str(err));
		return -1;
	}
	const rd_kafka_metadata_topic_t *t = NULL;
	for (int i = 0; i < md->topic_cnt && !t; i++)
		if (!strcmp(md->topics[i].topic, topic))
			t = &md->topics[i];
	int n = -1;
	if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
		kafka_error(c->cmd, "no topic '%s' at %s", topic, bootstrap);
	else if (t->err)
		kafka_error(c->cmd, "topic '%s' at %s: %s", topic, bootstrap, rd_kafka_err2str(t->err));
	else if (t->partition_cnt == 0)
		kafka_error(c->cmd, "topic '%s' at %s has no partitions", topic, bootstrap);
	else
		n = t->partition_cnt;
	rd_kafka_metadata_destroy(md);
	return n;
}

/* ---- the cluster -------------------------------------------------------- */

typedef struct KafkaTopic {
	const char *name; /* NUL-terminated copy, owned by kafka_cluster */
	int partitions;
} KafkaTopic;

/* dstreamc kafka [--brokers N] [--topic NAME:PARTITIONS]... */
static int kafka_cluster(int argc, char **argv)
{
	int brokers = 1, ntopics = 0, rc = 1;
	KafkaTopic *topics = calloc((size_t)argc, sizeof *topics);
	if (!topics) {
		kafka_error("", "out of memory");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		const char *v;
		if ((v = kafka_opt(argc, argv, &i, "--brokers"))) {
			brokers = (int)kafka_count("--brokers", v, KAFKA_MAX_BROKERS);
		} else if ((v = kafka_opt(argc, argv, &i, "--topic"))) {
			const char *colon = strrchr(v, ':');
			if (!colon || !kafka_topic_name_ok(v, (size_t)(colon - v)))
				kafka_usage_error("--topic '%s': NAME:PARTITIONS, the name 1 to 249 of "
						  "a-z A-Z 0-9 . _ -", v);
			int parts = (int)kafka_count("--topic: PARTITIONS", colon + 1, KAFKA_MAX_PARTITIONS);
			for (int t = 0; t < ntopics; t++)
				if (strlen(topics[t].name) == (size_t)(colon - v) &&
				    !strncmp(topics[t].name, v, (size_t)(colon - v)))
					kafka_usage_error("--topic '%s': topic given twice", v);
			char *name = strndup(v, (size_t)(colon - v));
			if (!name) {
				kafka_error("", "out of memory");
				goto out;
			}
			topics[ntopics++] = (KafkaTopic){name, parts};
		} else {
			kafka_usage_error("unknown %s '%s'", argv[i][0] == '-' ? "option" : "command",
					  argv[i]);
		}
	}

	/* Blocked before librdkafka starts a thread: see the top of the file. */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGUSR1); /* every broker down: an outage, through the mock's own API */
	sigaddset(&stop, SIGUSR2); /* every broker up again */
	pthread_sigmask(SIG_BLOCK, &stop, &old);

	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, kafka_log);
	/* The mock cluster hangs off a client handle; this one never connects. */
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		kafka_error("", "cannot create librdkafka's handle: %s", err);
		goto unblock;
	}
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		kafka_error("", "cannot start the mock cluster of %d broker%s on 127.0.0.1", brokers,
			    brokers == 1 ? "" : "s");
		goto destroy_rk;
	}
	for (int t = 0; t < ntopics; t++) {
		rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(
			mc, topics[t].name, topics[t].partitions, brokers < 3 ? brokers : 3);
		if (e) {
			kafka_error("", "cannot create topic '%s': %s", topics[t].name, rd_kafka_err2str(e));
			goto destroy_mc;
		}
	}
	printf("kafka: bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	int sig;
	for (;;) {
		if (sigwait(&stop, &sig) != 0)
			continue;
		if (sig != SIGUSR1 && sig != SIGUSR2)
			break;
		for (int b = 1; b <= brokers; b++) /* the mock numbers its brokers from 1 */
			if (sig == SIGUSR1)
				rd_kafka_mock_broker_set_down(mc, b);
			else
				rd_kafka_mock_broker_set_up(mc, b);
		fprintf(stderr, "dstreamc: kafka: every broker %s\n", sig == SIGUSR1 ? "down (SIGUSR1)" : "up (SIGUSR2)");
	}
	rc = 0;
destroy_mc:
	rd_kafka_mock_cluster_destroy(mc);
destroy_rk:
	rd_kafka_destroy(rk);
unblock:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	for (int t = 0; t < ntopics; t++)
		free((char *)topics[t].name);
	free(topics);
	return rc;
}

/* ---- produce ------------------------------------------------------------ */

/* Offers one message until the producer's queue has room (a full queue
 * drains: every message is delivered or fails within message.timeout.ms). */
static rd_kafka_resp_err_t kafka_produce_one(rd_kafka_t *rk, const char *topic, const char *key,
					     size_t klen, const char *val, size_t vlen)
{
	for (;;) {
		rd_kafka_resp_err_t err = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen),
			RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return err;
		rd_kafka_poll(rk, 100);
	}
}

/* dstreamc kafka produce --bootstrap ADDR --topic T [--key-sep C] [--timeout D] [FILE] */
static int kafka_produce(int argc, char **argv)
{
	const char *bootstrap = NULL, *topic = NULL, *path = NULL, *timeout = "10s", *v;
	int timeout_ms = 10000, sep = -1;
	for (int i = 2; i < argc; i++) {
		if ((v = kafka_opt(argc, argv, &i, "--bootstrap")))
			bootstrap = v;
		else if ((v = kafka_opt(argc, argv, &i, "--topic")))
			kafka_check_topic(topic = v);
		else if ((v = kafka_opt(argc, argv, &i, "--timeout")))
			timeout_ms = kafka_duration("--timeout", timeout = v);
		else if ((v = kafka_opt(argc, argv, &i, "--key-sep"))) {
			if (strlen(v) != 1)
				kafka_usage_error("--key-sep '%s': one character", v);
			sep = (unsigned char)v[0];
		} else if (argv[i][0] == '-' && argv[i][1])
			kafka_usage_error("produce: unknown option '%s'", argv[i]);
		else if (path)
			kafka_usage_error("produce: one FILE at most ('%s', then '%s')", path, argv[i]);
		else
			path = argv[i];
	}
	if (!bootstrap || !topic)
		kafka_usage_error("produce needs --bootstrap ADDR and --topic T");

	FILE *in = stdin;
	if (path && strcmp(path, "-") && !(in = fopen(path, "r"))) {
		kafka_error("produce", "cannot open '%s': %s", path, strerror(errno));
		return 2;
	}
	if (!path || !strcmp(path, "-"))
		path = "stdin";

	/* The brokers' acknowledgement of every message, once, in order within a
	 * partition (idempotence); lingering 5 ms batches them; an unknown topic
	 * is an error, not a new topic. */
	char ms[16];
	snprintf(ms, sizeof ms, "%d", timeout_ms);
	const char *settings[] = {"enable.idempotence", "true", "linger.ms", "5",
				  "message.timeout.ms", ms, "allow.auto.create.topics", "false", NULL};
	KafkaClient c = {.cmd = "produce"};
	int rc = 1;
	rd_kafka_t *rk = kafka_client_new(&c, RD_KAFKA_PRODUCER, bootstrap, settings);
	if (!rk)
		goto close_in;
	if (kafka_partition_count(rk, &c, bootstrap, topic, timeout_ms, timeout) < 0)
		goto destroy;

	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long long sent = 0;
	while ((n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n - (n > 0 && line[n - 1] == '\n');
		const char *key = NULL, *val = line;
		size_t klen = 0, vlen = len;
		char *s = sep < 0 ? NULL : memchr(line, sep, len);
		if (s) {
			key = line, klen = (size_t)(s - line);
			val = s + 1, vlen = len - klen - 1;
		}
		rd_kafka_resp_err_t err = kafka_produce_one(rk, topic, key, klen, val, vlen);
		sent++;
		if (err && !c.failed++) /* refused: no delivery report will come */
			snprintf(c.first_failure, sizeof c.first_failure, "%s", rd_kafka_err2str(err));
		rd_kafka_poll(rk, 0);
	}
	bool read_error = ferror(in);
	int read_errno = errno;
	free(line);

	/* Every message is reported within message.timeout.ms of being
	 * produced; the margin covers the last report's way back.  What is
	 * still out after that is purged, and reported as failed. */
	rd_kafka_flush(rk, timeout_ms + 5000);
	if (c.delivered + c.failed < sent) {
		rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(rk, 1000);
	}
	long long unreported = sent - c.delivered - c.failed;
	char fatal[512];
	if (rd_kafka_fatal_error(rk, fatal, sizeof fatal))
		kafka_error("produce", "the producer failed: %s", fatal);
	if (read_error)
		kafka_error("produce", "cannot read '%s': %s", path, strerror(read_errno));
	if (c.failed || unreported) {
		kafka_error("produce", "%lld of %lld messages not delivered to topic '%s' at %s: %s%s%s",
			    c.failed + unreported, sent, topic, bootstrap,
			    c.failed ? c.first_failure : "no delivery report",
			    c.last_error[0] ? "; last error: " : "", c.last_error);
	} else if (!read_error) {
		rc = 0;
	}
destroy:
	rd_kafka_destroy(rk);
close_in:
	if (in != stdin)
		fclose(in);
	return rc;
}

/* ---- consume ------------------------------------------------------------ */

/* dstreamc kafka consume --bootstrap ADDR --topic T [--from-beginning] [--max N]
 *                        [--timeout D] [--keys] */
static int kafka_consume(int argc, char **argv)
{
	const char *bootstrap = NULL, *topic = NULL, *timeout = "5s", *v;
	int timeout_ms = 5000;
	long long max = 0;
	bool from_beginning = false, keys = false;
	for (int i = 2; i < argc; i++) {
		if ((v = kafka_opt(argc, argv, &i, "--bootstrap")))
			bootstrap = v;
		else if ((v = kafka_opt(argc, argv, &i, "--topic")))
			kafka_check_topic(topic = v);
		else if ((v = kafka_opt(argc, argv, &i, "--timeout")))
			timeout_ms = kafka_duration("--timeout", timeout = v);
		else if ((v = kafka_opt(argc, argv, &i, "--max")))
			max = kafka_count("--max", v, LLONG_MAX);
		else if (!strcmp(argv[i], "--from-beginning"))
			from_beginning = true;
		else if (!strcmp(argv[i], "--keys"))
			keys = true;
		else if (argv[i][0] == '-')
			kafka_usage_error("consume: unknown option '%s'", argv[i]);
		else
			kafka_usage_error("consume: unexpected argument '%s'", argv[i]);
	}
	if (!bootstrap || !topic)
		kafka_usage_error("consume needs --bootstrap ADDR and --topic T");

	/* assign() needs a group in librdkafka, but no group is joined, and
	 * offsets are neither read from it nor committed to it. */
	const char *settings[] = {"group.id", "dstreamc-kafka-consume", "enable.auto.commit", "false",
				  "enable.auto.offset.store", "false", "allow.auto.create.topics",
				  "false", NULL};
	KafkaClient c = {.cmd = "consume"};
	int rc = 1;
	rd_kafka_t *rk = kafka_client_new(&c, RD_KAFKA_CONSUMER, bootstrap, settings);
	if (!rk)
		return 1;
	int nparts = kafka_partition_count(rk, &c, bootstrap, topic, timeout_ms, timeout);
	if (nparts < 0)
		goto destroy;
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(nparts);
	for (int p = 0; p < nparts; p++)
		rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
			from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
	/* From here the client's events (errors) come through consumer_poll. */
	rd_kafka_poll_set_consumer(rk);
	rd_kafka_resp_err_t err = rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	if (err) {
		kafka_error("consume", "cannot assign the partitions of '%s': %s", topic,
			    rd_kafka_err2str(err));
		goto close;
	}

	long long got = 0;
	int64_t last = kafka_now_ms(); /* of the newest message, or the start */
	char warned[512] = "";
	while (!max || got < max) {
		int64_t left = last + timeout_ms - kafka_now_ms();
		if (left <= 0)
			break;
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, left < 1000 ? (int)left : 1000);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		} else if (m->err) {
			/* librdkafka recovers from these by itself; say each kind once */
			const char *why = rd_kafka_message_errstr(m);
			if (strcmp(why, warned)) {
				kafka_error("consume", "warning: %s", why);
				snprintf(warned, sizeof warned, "%s", why);
			}
		} else {
			if (keys) {
				if (m->key_len)
					fwrite(m->key, 1, m->key_len, stdout);
				putchar('\t');
			}
			if (m->len)
				fwrite(m->payload, 1, m->len, stdout);
			putchar('\n');
			got++;
			last = kafka_now_ms();
		}
		rd_kafka_message_destroy(m);
		char fatal[512];
		if (rd_kafka_fatal_error(rk, fatal, sizeof fatal)) {
			kafka_error("consume", "the consumer failed: %s", fatal);
			goto close;
		}
	}
	if (c.last_error[0]) /* librdkafka kept trying; what stopped us was --max or --timeout */
		kafka_error("consume", "warning: the last error from librdkafka: %s", c.last_error);
	if (fflush(stdout) || ferror(stdout))
		kafka_error("consume", "cannot write to stdout: %s", strerror(errno));
	else
		rc = 0;
close:
	rd_kafka_consumer_close(rk);
destroy:
	rd_kafka_destroy(rk);
	return rc;
}

int kafka_main(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(kafka_usage_text, stdout);
			return 0;
		}
	if (argc > 2 && !strcmp(argv[2], "produce"))
		return kafka_produce(argc - 1, argv + 1);
	if (argc > 2 && !strcmp(argv[2], "consume"))
		return kafka_consume(argc - 1, argv + 1);
	return kafka_cluster(argc, argv);
}

#endif /* DS_HAVE_RDKAFKA */
