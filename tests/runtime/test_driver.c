/* test_driver.c: ds_main end to end with hand-written programs (progs.c):
 * the manual clock over queue files, print's exact format, flags, bad
 * records, long lines, saveAsTextFiles, metrics, slides, textFileStream
 * on the real clock, and SIGTERM. */
#include "harness.h"
#include "progs.h"

#include <dirent.h>

static const char *const no_args[] = {NULL};

static void test_one_record_per_batch(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "hello\n---\nfoo foo\r\n---\n---\nbar");
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	CHECK_STREQ(r.err, "");
	CHECK(r.status == 0);
	CHECK_STREQ(r.out, H_HEAD(1000) "(hello,1)\n\n" H_HEAD(2000) "(foo,2)\n\n" H_HEAD(3000) "\n" H_HEAD(4000)
	                   "(bar,1)\n\n");
}

static void test_wordcount_sorted(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "a b a\nc\n---\nb b\n\n---\n");
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	CHECK(r.status == 0);
	CHECK_STREQ(r.err, "");
	/* "b b" then an empty line: split("", " ") is [""], so ("",1) */
	CHECK_STREQ(h_sorted(r.out), H_HEAD(1000) "(a,2)\n(b,1)\n(c,1)\n\n" H_HEAD(2000) "(,1)\n(b,2)\n\n");
}

static void test_print_ellipsis(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "x y z\n---\nx y\n");
	wc_outputs[0].n = 2;
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	CHECK(r.status == 0);
	/* batch 1: three records, two shown, then "..."; batch 2: exactly two */
	char *s = h_sorted(r.out);
	CHECK(h_count(s, "...\n") == 1);
	CHECK(strstr(s, H_HEAD(2000) "(x,1)\n(y,1)\n\n") != NULL);
	CHECK(strncmp(s, H_HEAD(1000), strlen(H_HEAD(1000))) == 0);
	const char *b1 = s + strlen(H_HEAD(1000));
	CHECK(h_count(b1, "\n") > 3);
	CHECK(strstr(b1, ")\n...\n\n" H_HEAD(2000)) != NULL);
	CHECK(h_count(s, "(") == 4);
}

static void test_print_zero(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "x\n---\n");
	wc_outputs[0].n = 0;
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	CHECK_STREQ(r.out, H_HEAD(1000) "...\n\n");
}

static void test_batches_beyond_queue(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "a\n---\nb\n");
	const char *const args[] = {"--batches", "4", NULL};
	ds_run r;
	h_run(&r, &wc_prog, dir, args);
	CHECK(r.status == 0);
	CHECK_STREQ(r.out, H_HEAD(1000) "(a,1)\n\n" H_HEAD(2000) "(b,1)\n\n" H_HEAD(3000) "\n" H_HEAD(4000) "\n");
	const char *const one[] = {"--batches=1", NULL};
	h_run(&r, &wc_prog, dir, one);
	CHECK_STREQ(r.out, H_HEAD(1000) "(a,1)\n\n");
}

static void test_duration_manual(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "a\n---\nb\n---\nc\n---\nd\n");
	const char *const args[] = {"--duration", "2s", "--quiet", NULL};
	ds_run r;
	h_run(&r, &wc_prog, dir, args);
	CHECK(r.status == 0);
	CHECK_STREQ(r.out, H_HEAD(1000) "(a,1)\n\n" H_HEAD(2000) "(b,1)\n\n");
}

static void test_empty_queue(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "");
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	CHECK(r.status == 0);
	CHECK_STREQ(r.out, "");
	CHECK_STREQ(r.err, "");
}

static void test_missing_queue(void)
{
	char *dir = h_tmpdir();
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	CHECK(r.status == 1);
	CHECK_STREQ(r.out, "");
	CHECK_STREQ(r.err, "wc: wc.dstream:3:13: queueStream: cannot open 'in.txt': No such file or directory\n");
}

static void test_flags(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "a\n");
	ds_run r;
	const char *const unknown[] = {"--x", NULL};
	h_run(&r, &wc_prog, dir, unknown);
	CHECK(r.status == 2);
	CHECK_STREQ(r.out, "");
	CHECK_STREQ(r.err, "wc: unknown option '--x' (see --help)\n");
	const char *const bad[] = {"--batches", "zero", NULL};
	h_run(&r, &wc_prog, dir, bad);
	CHECK(r.status == 2);
	CHECK_STREQ(r.err, "wc: invalid value for '--batches': 'zero' (see --help)\n");
	const char *const missing[] = {"--duration", NULL};
	h_run(&r, &wc_prog, dir, missing);
	CHECK(r.status == 2);
	CHECK_STREQ(r.err, "wc: option '--duration' needs a value (see --help)\n");
	const char *const help[] = {"--help", NULL};
	h_run(&r, &wc_prog, dir, help);
	CHECK(r.status == 0);
	CHECK_STREQ(r.err, "");
	static const char *const flags[] = {"--batches", "--duration", "--max-line-bytes", "--metrics-json",
	                                    "--quiet", "--help", "--version"};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		CHECK(strstr(r.out, flags[i]) != NULL);
	const char *const version[] = {"--version", NULL};
	h_run(&r, &wc_prog, dir, version);
	CHECK(r.status == 0 && strstr(r.out, "dstream") != NULL);
}

static void test_bad_records(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "1\nx\n2\ny\n---\n3\n---\n\"quoted\\\"\t and a long tail of text, longer than forty\n");
	ds_run r;
	h_run(&r, &toint_prog, dir, no_args);
	CHECK(r.status == 0);
	CHECK_STREQ(h_sorted(r.out), H_HEAD(1000) "2\n4\n\n" H_HEAD(2000) "6\n\n" H_HEAD(3000) "\n");
	CHECK_STREQ(r.err,
	            "bad.dstream:4:21: warning: toInt: dropped 2 bad record(s) in batch 1000 ms: not an Int: \"x\"\n"
	            "bad.dstream:4:21: warning: toInt: dropped 1 bad record(s) in batch 3000 ms: not an Int: "
	            "\"\\\"quoted\\\\\\\"\\t and a long tail of text, long...\"\n");
}

static void test_long_lines(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "ab abcde\nabcdefghij\n123456\r\nab\n---\nxxxxxxxxxx");
	const char *const args[] = {"--max-line-bytes", "8", NULL};
	ds_run r;
	h_run(&r, &wc_prog, dir, args);
	CHECK(r.status == 0);
	CHECK_STREQ(h_sorted(r.out), H_HEAD(1000) "(123456,1)\n(ab,2)\n(abcde,1)\n\n" H_HEAD(2000) "\n");
	CHECK_STREQ(r.err, "wc.dstream:3:13: warning: queueStream: dropped 1 bad record(s) in batch 1000 ms: "
	                   "line longer than --max-line-bytes: \"abcdefghij\"\n"
	                   "wc.dstream:3:13: warning: queueStream: dropped 1 bad record(s) in batch 2000 ms: "
	                   "line longer than --max-line-bytes: \"xxxxxxxxxx\"\n");
}

static void test_save(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "a b a\n---\n---\nz\n");
	char out[300];
	snprintf(out, sizeof out, "%s/out", dir);
	CHECK(mkdir(out, 0777) == 0);
	wc_prog.noutputs = 2;
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	CHECK(r.status == 0);
	CHECK_STREQ(r.err, "");
	CHECK(h_count(r.out, "Time: ") == 3);
	char path[400];
	snprintf(path, sizeof path, "%s/counts-1000.txt", out);
	char *f = h_slurp(path);
	CHECK(f && (strcmp(f, "(a,2)\n(b,1)\n") == 0 || strcmp(f, "(b,1)\n(a,2)\n") == 0));
	snprintf(path, sizeof path, "%s/counts-2000.txt", out);
	f = h_slurp(path);
	CHECK(f && strcmp(f, "") == 0);
	snprintf(path, sizeof path, "%s/counts-3000.txt", out);
	f = h_slurp(path);
	CHECK(f && strcmp(f, "(z,1)\n") == 0);
	DIR *d = opendir(out);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	CHECK(n == 3); /* no temporary files left */

	wc_outputs[1].suffix = NULL;
	h_run(&r, &wc_prog, dir, no_args);
	snprintf(path, sizeof path, "%s/counts-3000", out);
	f = h_slurp(path);
	CHECK(f && strcmp(f, "(z,1)\n") == 0);
}

static void test_save_missing_dir(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "a\n---\nb\n");
	wc_prog.noutputs = 2;
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	/* LANGUAGE.md: missing parent directories are created */
	CHECK(r.status == 0);
	CHECK_STREQ(r.err, "");
	char path[4096];
	snprintf(path, sizeof path, "%s/out/counts-1000.txt", dir);
	char *f = h_slurp(path);
	CHECK(f && strcmp(f, "(a,1)\n") == 0);
	snprintf(path, sizeof path, "%s/out/counts-2000.txt", dir);
	f = h_slurp(path);
	CHECK(f && strcmp(f, "(b,1)\n") == 0);
}

/* The lines of s, counted; *nth set to the start of line n (0-based), if any. */
static int h_lines(const char *s, int n, const char **nth)
{
	int k = 0;
	for (const char *p = s; *p; k++) {
		if (k == n)
			*nth = p;
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);
	}
	return k;
}

static bool h_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static void test_metrics_json(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "a b\nc\n---\nd\n");
	const char *const args[] = {"--metrics-json", "m.json", NULL};
	ds_run r;
	h_run(&r, &wc_prog, dir, args);
	CHECK(r.status == 0);
	char path[300];
	snprintf(path, sizeof path, "%s/m.json", dir);
	char *j = h_slurp(path);
	CHECK(j);
	/* JSON lines: the start, one per batch, the totals */
	const char *l0 = NULL, *l1 = NULL, *l2 = NULL, *l3 = NULL;
	CHECK(h_lines(j, 0, &l0) == 4);
	h_lines(j, 1, &l1);
	h_lines(j, 2, &l2);
	h_lines(j, 3, &l3);
	CHECK(l0 && l1 && l2 && l3);
	CHECK(h_prefix(l0, "{\"event\": \"start\", \"program\": \"WordCount\", "));
	CHECK(h_prefix(l1, "{\"event\": \"batch\", \"time_ms\": 1000, \"records_in\": 2, \"records_out\": 3, "
	              "\"bad_records\": 0, \"scheduling_delay_ms\": 0, \"queued_bytes\": 0, \"rss_bytes\": "));
	CHECK(strstr(l1, ", \"rate_limit\": 0.000, \"slowest_worker_ms\": "));
	/* one worker (harness.h): one step, the whole batch */
	CHECK(strstr(l1, ", \"steps\": [{\"ms\": ") != NULL);
	CHECK(strstr(l1, "}], \"processing_ms\": ") != NULL);
	CHECK(h_prefix(l2, "{\"event\": \"batch\", \"time_ms\": 2000, \"records_in\": 1, \"records_out\": 1,"));
	CHECK(h_prefix(l3, "{\"event\": \"end\", \"program\": \"WordCount\", \"batch_ms\": 1000, \"totals\": {\"workers\": 1, "
	              "\"batches\": 2, \"records_in\": 3, \"records_out\": 4, \"bad_records\": 0,"));
	/* a second run appends its own lines */
	h_run(&r, &wc_prog, dir, args);
	CHECK(r.status == 0);
	free(j);
	j = h_slurp(path);
	CHECK(j && h_lines(j, 4, &l0) == 8 && h_prefix(l0, "{\"event\": \"start\","));
	free(j);
}

static void test_slide(void)
{
	char *dir = h_tmpdir();
	h_write(dir, "in.txt", "a\n---\nb\n---\nc\n---\nd\n");
	wc_outputs[0].slide_ms = 2000;
	ds_run r;
	h_run(&r, &wc_prog, dir, no_args);
	CHECK(r.status == 0);
	CHECK_STREQ(r.out, H_HEAD(2000) "(b,1)\n\n" H_HEAD(4000) "(d,1)\n\n");
}

static void test_textdir_real_clock(void)
{
	char *dir = h_tmpdir();
	char in[300], path[400], tmp[400];
	snprintf(in, sizeof in, "%s/in", dir);
	CHECK(mkdir(in, 0777) == 0);
	h_write(in, "old.txt", "old old\n"); /* there before the start: never read */
	wc_sources[0] = (ds_source_desc){.kind = DS_SRC_TEXTDIR, .host = NULL, .port = 0, .path = "in", .loc = "wc.dstream:3:13", .site = 0};
	wc_prog.batch_ms = 200;
	wc_outputs[0].slide_ms = 200;
	const char *const args[] = {"--duration", "1400ms", NULL};
	ds_run r;
	h_start(&r, &wc_prog, dir, args);
	usleep(400 * 1000);
	h_write(in, ".f1.tmp", "x y\nx\n");
	snprintf(tmp, sizeof tmp, "%s/.f1.tmp", in);
	snprintf(path, sizeof path, "%s/f1", in);
	CHECK(rename(tmp, path) == 0);
	h_write(in, "_SUCCESS", "skip skip\n");
	h_write(in, ".hidden", "skip\n");
	usleep(400 * 1000);
	h_write(in, "f2", "y\n");
	h_finish(&r);
	CHECK(r.status == 0);
	CHECK_STREQ(r.err, "");
	char *s = h_sorted(r.out);
	CHECK(h_count(s, "(x,2)\n(y,1)\n\n") == 1);
	CHECK(h_count(s, "(y,1)\n") == 2);
	if (h_count(s, "(") != 3)
		fprintf(stderr, "%s", s);
	CHECK(h_count(s, "(") == 3);
	CHECK(h_count(s, "Time: ") >= 6);
}

static void test_sigterm(void)
{
	char *dir = h_tmpdir();
	char in[300];
	snprintf(in, sizeof in, "%s/in", dir);
	CHECK(mkdir(in, 0777) == 0);
	wc_sources[0] = (ds_source_desc){.kind = DS_SRC_TEXTDIR, .host = NULL, .port = 0, .path = "in", .loc = "wc.dstream:3:13", .site = 0};
	wc_prog.batch_ms = 100;
	wc_outputs[0].slide_ms = 0;
	ds_run r;
	h_start(&r, &wc_prog, dir, no_args);
	usleep(450 * 1000);
	kill(r.pid, SIGTERM);
	h_finish(&r);
	CHECK(r.status == 0);
	CHECK_STREQ(r.err, "");
	int n = h_count(r.out, "Time: ");
	CHECK(n >= 2);
	size_t len = strlen(r.out);
	CHECK(len >= 2 && r.out[len - 1] == '\n' && r.out[len - 2] == '\n'); /* whole batches only */
}

static const ds_test tests[] = {
	{"one_record_per_batch", test_one_record_per_batch, 0},
	{"wordcount_sorted", test_wordcount_sorted, 0},
	{"print_ellipsis", test_print_ellipsis, 0},
	{"print_zero", test_print_zero, 0},
	{"batches_beyond_queue", test_batches_beyond_queue, 0},
	{"duration_manual", test_duration_manual, 0},
	{"empty_queue", test_empty_queue, 0},
	{"missing_queue", test_missing_queue, 0},
	{"flags", test_flags, 0},
	{"bad_records", test_bad_records, 0},
	{"long_lines", test_long_lines, 0},
	{"save", test_save, 0},
	{"save_missing_dir", test_save_missing_dir, 0},
	{"metrics_json", test_metrics_json, 0},
	{"slide", test_slide, 0},
	{"textdir_real_clock", test_textdir_real_clock, 0},
	{"sigterm", test_sigterm, 0},
};

int main(int argc, char **argv) { return DS_RUN_TESTS(tests, argc, argv); }
