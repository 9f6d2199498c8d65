/* main.c: ds_main, the program driver: flags, signals, the run, the
 * metrics summary (or, with --replica-listen, the replica server of
 * replica.c instead).  Runs on the main thread, which is the scheduler. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

/* The one global: set by the SIGINT/SIGTERM handler, read between batches. */
volatile sig_atomic_t ds__stop_flag;

static void ds__on_signal(int sig)
{
	(void)sig;
	ds__stop_flag = 1;
}

/* The sources by index, for --source-path. */
static void ds__usage_sources(FILE *f, const ds_program *prog)
{
	if (prog->nsources > 0)
		fprintf(f, "\nsources:\n");
	for (int i = 0; i < prog->nsources; i++) {
		const ds_source_desc *d = &prog->sources[i];
		if (d->kind == DS_SRC_SOCKET)
			fprintf(f, "  %d  %s(\"%s\", %d)", i, ds__source_kind_name(d), d->host ? d->host : "", d->port);
		else if (d->kind == DS_SRC_RECEIVER)
			fprintf(f, "  %d  %s(%s)", i, ds__source_kind_name(d), d->fn ? d->fn : "?");
		else if (d->kind == DS_SRC_KAFKA)
			fprintf(f, "  %d  %s(\"%s\", \"%s\")", i, ds__source_kind_name(d), d->brokers ? d->brokers : "",
			        d->topic ? d->topic : "");
		else
			fprintf(f, "  %d  %s(\"%s\")", i, ds__source_kind_name(d), d->path ? d->path : "");
		fprintf(f, "%s%s\n", d->loc ? " at " : "", d->loc ? d->loc : "");
	}
}

/* "N=PATH" for --source-path and --replay: false on a bad index, a source
 * without a path (--source-path) or one that is not a text stream (--replay). */
static bool ds__parse_source_path(const char *cmd, const char *val, const ds_program *prog, ds__opts *o,
				  bool replay)
{
	const char *eq = strchr(val, '=');
	int64_t n;
	if (!eq || eq == val || !eq[1] || !ds_to_int((ds_str){val, eq - val}, &n) || n < 0 || n >= prog->nsources)
		return false;
	if (replay) {
		ds_source_kind k = prog->sources[n].kind;
		if (k != DS_SRC_SOCKET && k != DS_SRC_RECEIVER && k != DS_SRC_TEXTDIR && k != DS_SRC_QUEUE) {
			ds__msg(cmd, "--replay: source %" PRId64 " is a %s, not a text stream", n,
			        ds__source_kind_name(&prog->sources[n]));
			return false;
		}
		o->source_path[n] = eq + 1;
		o->replay[n] = true;
		return true;
	}
	if (prog->sources[n].kind == DS_SRC_SOCKET || prog->sources[n].kind == DS_SRC_RECEIVER) {
		ds__msg(cmd, "--source-path: source %" PRId64 " is a %s, which reads no path", n,
		        ds__source_kind_name(&prog->sources[n]));
		return false;
	}
	o->source_path[n] = eq + 1;
	return true;
}

static void ds__usage(FILE *f, const char *cmd, const ds_program *prog)
{
	fprintf(f,
	        "usage: %s [options]\n"
	        "Runs the dstream program %s%s%s (batch interval %" PRId64 " ms).\n"
	        "\n"
	        "options:\n"
	        "  --batches N           stop after N batches\n"
	        "  --duration D          stop once the batch time reaches start + D (e.g. 10s, 500ms, 2min)\n"
	        "  --max-line-bytes N    drop input lines longer than N bytes as bad records (default 1048576)\n"
	        "  --metrics-json FILE   append a JSON line to FILE at start, after every batch and at exit\n"
	        "                        (the totals)\n"
	        "  --param NAME=VALUE    set the program parameter NAME (listed below) to VALUE\n"
	        "  --source-path N=PATH  read source N (listed below) from PATH instead of the path in the program\n"
	        "  --replay N=PATH       source N, a text stream (socket, directory, receiver or queue), reads\n"
	        "                        PATH as a queueStream instead: batches cut at \"---\" lines, on the\n"
	        "                        manual clock (for benchmarks and tests)\n"
	        "  --discard-checkpoint  start afresh: delete the checkpoints in the program's checkpoint\n"
	        "                        directory instead of recovering from them\n"
	        "  --allow-dropped-state recover from a checkpoint that holds state of operators this\n"
	        "                        program no longer has, dropping that state\n"
	        "  --wal-sync MODE       when the write-ahead log of receivers is fsync'd: block (each\n"
	        "                        block, before it counts as received; the default), batch, off\n"
	        "  --replicate HOST:PORT send each received block to a replica (dstreamc replica) before\n"
	        "                        it counts as stored\n"
	        "  --pace D              on the manual clock (queueStream), wait D before each batch\n"
	        "  --workers N           run each batch on N worker threads (default: the cores available,\n"
	        "                        here %d); the output is the same for any N, as a multiset per batch\n"
	        "  --replica-listen HOST:PORT\n"
	        "                        run as a block replica instead of the program: keep the blocks\n"
	        "                        that programs' receivers send to HOST:PORT under --replica-dir,\n"
	        "                        until SIGINT or SIGTERM (PORT 0: a free port; the line \"replica\n"
	        "                        listening on HOST:PORT\" on stdout says which)\n"
	        "  --replica-dir DIR     where the replica keeps them (DIR/APP/, a log per program)\n"
	        "  --max-queued BYTES    what each receiver holds, received and not yet in a batch, before\n"
	        "                        it stops reading (a socket's sender is slowed by TCP; ds_store\n"
	        "                        waits); K, M, G suffixes (default 64M)\n"
	        "  --max-memory BYTES    the receivers also stop reading while the program's resident\n"
	        "                        memory is above BYTES (default: no bound but --max-queued's)\n"
	        "  --no-backpressure     do not adapt the receivers' and Kafka's rates to what the\n"
	        "                        batches sustain (backpressure is on by default)\n"
	        "  --max-rate N          at most N records/s per receiver (and per Kafka partition)\n"
	        "  --initial-rate N      with backpressure, the rate before the first estimate\n"
	        "  --log-every N         off a terminal, a summary line on stderr every N batches (0: none;\n"
	        "                        default: about once a minute)\n"
	        "  --http HOST:PORT      serve /metrics (Prometheus), /api/batches (JSON) and a status page\n"
	        "                        at http://HOST:PORT/ (PORT 0: a free port, said on stderr)\n"
	        "  --quiet               no status line on stderr\n"
	        "  --help                show this help and exit\n"
	        "  --version             show the dstream version and the program's source hash, and exit\n"
	        "\n"
	        "SIGINT or SIGTERM finishes the batch in progress, flushes its outputs and exits 0.\n",
	        cmd, prog->name ? prog->name : "", prog->source ? " from " : "", prog->source ? prog->source : "",
	        prog->batch_ms, ds__workers_default());
	ds__usage_sources(f, prog);
	ds__usage_params(f, prog);
}

static bool ds__parse_int(const char *s, int64_t *out)
{
	return ds_to_int((ds_str){s, (int64_t)strlen(s)}, out) && *out > 0;
}

/* "65536", "512K", "64M", "1G" (binary multiples); more than 0 */
static bool ds__parse_bytes(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || *s < '0' || *s > '9' || errno)
		return false;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v == 0 || v > (SIZE_MAX >> 1 >> shift))
		return false;
	*out = (size_t)v << shift;
	return true;
}

/* "10s", "500ms", "2min", "1h" */
static bool ds__parse_duration(const char *s, int64_t *out)
{
	const char *p = s;
	int64_t v = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	int64_t mul;
	if (strcmp(p, "ms") == 0)
		mul = 1;
	else if (strcmp(p, "s") == 0)
		mul = 1000;
	else if (strcmp(p, "min") == 0 || strcmp(p, "m") == 0)
		mul = 60000;
	else if (strcmp(p, "h") == 0)
		mul = 3600000;
	else
		return false;
	if (v == 0 || v > INT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

/* Parses argv into o: 0 to run, 1 done (help/version), 2 usage error. */
static int ds__parse_flags(int argc, char **argv, const char *cmd, const ds_program *prog, ds__opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			ds__usage(stdout, cmd, prog);
			return 1;
		}
		if (strcmp(a, "--version") == 0) {
			printf("%s: dstream %s (runtime %s, ABI %d)\n", cmd, prog->version ? prog->version : "?",
			       DS_VERSION, DS_ABI_VERSION);
			printf("program %s from %s, source hash fnv1a64:%016" PRIx64 "\n", prog->name ? prog->name : "?",
			       prog->source ? prog->source : "?", prog->source_hash);
			return 1;
		}
		if (strcmp(a, "--no-backpressure") == 0) {
			o->no_backpressure = true;
			continue;
		}
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			o->quiet = true;
			continue;
		}
		if (strcmp(a, "--discard-checkpoint") == 0) {
			o->discard_checkpoint = true;
			continue;
		}
		if (strcmp(a, "--allow-dropped-state") == 0) {
			o->allow_dropped_state = true;
			continue;
		}
		static const char *const valued[] = {"--batches", "--duration", "--max-line-bytes",
		                                     "--metrics-json", "--source-path", "--replay",
		                                     "--replica-listen", "--replica-dir",
		                                     "--wal-sync", "--replicate", "--pace", "--workers",
		                                     "--max-queued", "--max-memory", "--max-rate", "--initial-rate",
		                                     "--log-every", "--http", "--param"};
		int which = -1;
		const char *val = NULL;
		for (int k = 0; k < (int)(sizeof valued / sizeof *valued); k++) {
			size_t n = strlen(valued[k]);
			if (strncmp(a, valued[k], n) == 0 && (a[n] == 0 || a[n] == '=')) {
				which = k;
				val = a[n] == '=' ? a + n + 1 : NULL;
				break;
			}
		}
		if (which < 0) {
			if (a[0] == '-')
				ds__msg(cmd, "unknown option '%s' (see --help)", a);
			else
				ds__msg(cmd, "unexpected argument '%s' (see --help)", a);
			return 2;
		}
		if (!val) {
			if (i + 1 >= argc) {
				ds__msg(cmd, "option '%s' needs a value (see --help)", a);
				return 2;
			}
			val = argv[++i];
		}
		int64_t v;
		bool ok = true;
		switch (which) {
		case 0:
			ok = ds__parse_int(val, &o->batches);
			break;
		case 1:
			ok = ds__parse_duration(val, &o->duration_ms);
			break;
		case 2:
			ok = ds__parse_int(val, &v) && (uint64_t)v < SIZE_MAX / 2;
			if (ok)
				o->max_line = (size_t)v;
			break;
		case 4: case 5:
			ok = ds__parse_source_path(cmd, val, prog, o, which == 5);
			break;
		case 6:
			o->replica_listen = val;
			ok = val[0] != 0;
			break;
		case 7:
			o->replica_dir = val;
			ok = val[0] != 0;
			break;
		case 8:
			ok = true;
			if (strcmp(val, "block") == 0)
				o->wal_sync = DS__WAL_SYNC_BLOCK;
			else if (strcmp(val, "batch") == 0)
				o->wal_sync = DS__WAL_SYNC_BATCH;
			else if (strcmp(val, "off") == 0)
				o->wal_sync = DS__WAL_SYNC_OFF;
			else
				ok = false;
			break;
		case 9:
			o->replicate = val;
			ok = strchr(val, ':') != NULL;
			break;
		case 10:
			ok = ds__parse_duration(val, &o->pace_ms);
			break;
		case 11:
			ok = ds__parse_int(val, &v) && v <= DS__MAX_WORKERS;
			if (ok)
				o->workers = (int)v;
			break;
		case 12: case 13:
			ok = ds__parse_bytes(val, which == 12 ? &o->max_queued : &o->max_memory);
			break;
		case 14: case 15:
			ok = ds__parse_int(val, &v) && v < ((int64_t)1 << 50);
			if (ok)
				*(which == 14 ? &o->max_rate : &o->initial_rate) = (double)v;
			break;
		case 16:
			ok = ds_to_int((ds_str){val, (int64_t)strlen(val)}, &o->log_every) && o->log_every >= 0;
			break;
		case 17:
			o->http = val;
			ok = strchr(val, ':') != NULL;
			break;
		case 18:
			if (!ds__params_flag(cmd, prog, o, val))
				return 2; /* said */
			break;
		default:
			o->metrics_json = val;
			ok = val[0] != 0;
		}
		if (!ok) {
			ds__msg(cmd, "invalid value for '%s': '%s' (see --help)", valued[which], val);
			return 2;
		}
	}
	if (!o->replica_listen != !o->replica_dir) {
		ds__msg(cmd, "%s needs %s too (see --help)", o->replica_listen ? "--replica-listen" : "--replica-dir",
		        o->replica_listen ? "--replica-dir" : "--replica-listen");
		return 2;
	}
	return 0;
}

int ds_main(int argc, char **argv, const ds_program *prog)
{
	const char *cmd = argc > 0 && argv[0] ? argv[0] : "dstream";
	const char *slash = strrchr(cmd, '/');
	if (slash && slash[1])
		cmd = slash + 1;
	if (prog->abi_version != DS_ABI_VERSION) {
		ds__msg(cmd, "program built for runtime ABI %d, this runtime is ABI %d", prog->abi_version,
		        DS_ABI_VERSION);
		return 1;
	}
	if (prog->batch_ms <= 0) {
		ds__msg(cmd, "invalid batch interval %" PRId64 " ms", prog->batch_ms);
		return 1;
	}
	ds__prog_name = cmd;
	if (ds__fault_init(cmd) != 0)
		return 2;
	ds__opts o = {0};
	o.max_line = 1048576;
	o.workers = ds__workers_default();
	o.max_queued = (size_t)64 << 20;
	o.log_every = -1;
	o.source_path = ds__xcalloc((size_t)(prog->nsources > 0 ? prog->nsources : 1), sizeof *o.source_path);
	o.replay = ds__xcalloc((size_t)(prog->nsources > 0 ? prog->nsources : 1), sizeof *o.replay);
	o.param_text = ds__xcalloc((size_t)(prog->nparams > 0 ? prog->nparams : 1), sizeof *o.param_text);
	int rc = ds__parse_flags(argc, argv, cmd, prog, &o);
	if (rc != 0) {
		free(o.source_path);
		free(o.replay);
		free(o.param_text);
	}
	if (rc == 1)
		return fflush(stdout) == 0 ? 0 : 1;
	if (rc == 2)
		return 2;
	if (o.replica_listen) { /* a replica server, not the program */
		free(o.source_path);
		free(o.replay);
		free(o.param_text);
		return ds__replica_serve(o.replica_listen, o.replica_dir, cmd);
	}
	/* the parameters' values, before any source opens: from here on the
	 * program is its copy with them */
	const ds_program *declared = prog;
	ds_program eff;
	if (ds__params_open(cmd, declared, &o, &eff) != 0) {
		ds__params_close(&o, declared, &eff);
		free(o.source_path);
		free(o.replay);
		free(o.param_text);
		return 2;
	}
	prog = &eff;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ds__on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_RESETHAND; /* a second ^C kills at once */
	ds__stop_flag = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* write errors are reported, not fatal signals */

	ds_rt rt;
	int status;
	int orc = ds__rt_open(&rt, prog, cmd, &o);
	if (orc < 0) {
		status = orc == -EINTR && ds__stop_flag ? 0 : 1; /* stopped while waiting (for brokers): as asked */
	} else {
		rt.status_line = !o.quiet && isatty(2);
		status = ds__rt_run(&rt);
		if (ds__metrics_end(&rt.metrics, cmd) < 0)
			status = 1; /* said */
	}
	ds__rt_close(&rt);
	ds__params_close(&o, declared, &eff);
	free(o.source_path);
	free(o.replay);
	free(o.param_text);
	return status;
}
