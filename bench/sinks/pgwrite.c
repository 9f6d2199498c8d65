/* pgwrite.c: the ways to write a batch of rows into PostgreSQL that
 * bench/sinks/run.sh compares (a benchmark tool, not a test).
 *
 *   pgwrite CONNINFO MODE ROWS BATCHES
 *
 * writes BATCHES batches of ROWS rows (word, count, batch_time) into the
 * table bench_rows, emptied first, and prints one line: MODE ROWS BATCHES
 * SECONDS ROWS_PER_S.  The modes:
 *
 *   copy_progress  what saveToPostgres does (runtime/pg_out.c): per batch,
 *                  BEGIN; INSERT INTO the progress table ... ON CONFLICT DO
 *                  NOTHING; COPY FROM STDIN; COMMIT
 *   copy           the same without the progress row: at-least-once
 *   insert_txn     an INSERT per row (a prepared statement), one
 *                  transaction per batch
 *   insert_auto    an INSERT per row in autocommit: the seeds' foreachRDD
 *                  (a connection from a pool, an INSERT per record)
 *   paired         copy_progress and copy batch by batch in turn, so that the
 *                  machine's and the server's load falls on both alike; prints
 *                  a line for each, SECONDS being BATCHES times the median
 *                  batch's time
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

static PGconn *conn;

static void ok(PGresult *r, ExecStatusType want, const char *what)
{
	if (PQresultStatus(r) != want) {
		fprintf(stderr, "pgwrite: %s: %s", what, PQresultErrorMessage(r));
		exit(1);
	}
	PQclear(r);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void exec(const char *sql) { ok(PQexec(conn, sql), PGRES_COMMAND_OK, sql); }

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: pgwrite CONNINFO copy_progress|copy|insert_txn|insert_auto|paired ROWS BATCHES\n");
		return 2;
	}
	const char *mode = argv[2];
	long rows = atol(argv[3]), batches = atol(argv[4]);
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "pgwrite: %s", PQerrorMessage(conn));
		return 1;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	exec("CREATE TABLE IF NOT EXISTS bench_rows (_1 text, _2 bigint, batch_time bigint NOT NULL)");
	exec("CREATE TABLE IF NOT EXISTS bench_progress (app text NOT NULL, output text NOT NULL, "
	     "batch_time bigint NOT NULL, PRIMARY KEY (app, output, batch_time))");
	exec("TRUNCATE bench_rows, bench_progress");
	ok(PQprepare(conn, "ins", "INSERT INTO bench_rows VALUES ($1, $2::bigint, $3::bigint)", 3, NULL), PGRES_COMMAND_OK,
	   "PREPARE");
	size_t cap = (size_t)rows * 40 + 64;
	char *buf = malloc(cap);
	bool paired = !strcmp(mode, "paired");
	double *each = calloc((size_t)batches + 1, sizeof *each);
	double t0 = now_s();
	for (long b = 1; b <= batches; b++) {
		long long bt = b * 1000;
		if (paired)
			mode = b % 2 ? "copy_progress" : "copy";
		double tb = now_s();
		char bts[32];
		snprintf(bts, sizeof bts, "%lld", bt);
		if (strcmp(mode, "insert_auto") != 0)
			exec("BEGIN");
		if (!strcmp(mode, "copy_progress")) {
			const char *p[3] = {"bench", "bench_rows", bts};
			PGresult *r = PQexecParams(conn, "INSERT INTO bench_progress VALUES ($1, $2, $3::bigint) "
			                                 "ON CONFLICT DO NOTHING", 3, NULL, p, NULL, NULL, 0);
			ok(r, PGRES_COMMAND_OK, "progress");
		}
		if (!strncmp(mode, "copy", 4)) {
			size_t n = 0;
			for (long i = 0; i < rows; i++)
				n += (size_t)snprintf(buf + n, cap - n, "word%ld\t%ld\t%lld\n", i, (i * 7919) % 1000 + 1, bt);
			ok(PQexec(conn, "COPY bench_rows (_1, _2, batch_time) FROM STDIN"), PGRES_COPY_IN, "COPY");
			if (PQputCopyData(conn, buf, (int)n) != 1 || PQputCopyEnd(conn, NULL) != 1) {
				fprintf(stderr, "pgwrite: COPY: %s", PQerrorMessage(conn));
				return 1;
			}
			ok(PQgetResult(conn), PGRES_COMMAND_OK, "COPY's end");
		} else {
			for (long i = 0; i < rows; i++) {
				char w[32], c[32];
				snprintf(w, sizeof w, "word%ld", i);
				snprintf(c, sizeof c, "%ld", (i * 7919) % 1000 + 1);
				const char *p[3] = {w, c, bts};
				ok(PQexecPrepared(conn, "ins", 3, p, NULL, NULL, 0), PGRES_COMMAND_OK, "INSERT");
			}
		}
		if (strcmp(mode, "insert_auto") != 0)
			exec("COMMIT");
		each[b] = now_s() - tb;
	}
	double s = now_s() - t0;
	if (paired) {
		for (int k = 1; k >= 0; k--) { /* odd batches: copy_progress; even: copy */
			long n = 0;
			double *v = calloc((size_t)batches, sizeof *v);
			for (long b = 1; b <= batches; b++)
				if (b % 2 == k)
					v[n++] = each[b];
			qsort(v, (size_t)n, sizeof *v, cmp_double);
			double med = v[n / 2] * (double)n;
			printf("%s %ld %ld %.3f %.0f\n", k ? "copy_progress" : "copy", rows, n, med, (double)rows * (double)n / med);
			free(v);
		}
	} else {
		printf("%s %ld %ld %.3f %.0f\n", mode, rows, batches, s, (double)rows * (double)batches / s);
	}
	free(each);
	free(buf);
	PQfinish(conn);
	return 0;
}
