/* fuzz_wal.c: the write-ahead log's reader (runtime/wal.c): opening a log
 * directory (which reads every segment for its largest time) and replaying
 * it, over segments built from the input.
 *
 * Input: a list of operations, each one byte then its arguments:
 *   0 RECORD  src, time, L, L bytes: a record, framed as ds__wal_append
 *             frames it (both checksums right), its count of lines the
 *             payload's count of '\n';
 *   1 RAW     L, L bytes, appended as they are;
 *   2 SEGMENT the next bytes go to a new segment file;
 *   3 FLIP    at, x: the byte at `at` of the segment so far, xor x;
 * (the byte modulo 4), and a first byte `after` (replay what is later).
 * Checked: every record replay gives checks out (its payload is its count
 * of lines, each ending in '\n'; later than after), and without RAW and
 * FLIP they are exactly the RECORDs written that check out, in order, up
 * to the first bad one of each segment.  Truncating up to after then
 * changes nothing that a second replay gives. */
#include "fuzz.h"

#include <string.h>
#include <unistd.h>

#include "../../runtime/internal.h"

static char dir[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ds__msg_fd = -1; /* damage is said; we check it through what is delivered */
	snprintf(dir, sizeof dir, "%s/wal", fuzz_tmpdir());
	return 0;
}

typedef struct Rec {
	int src;
	int64_t time;
	const char *p;
	size_t n;
} Rec;

typedef struct Got {
	Rec v[4096];
	int n;
	bool bad;
} Got;

static void on_record(void *ctx, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	Got *g = ctx;
	int64_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += data[i] == '\n';
	FUZZ_CHECK(nrecs == lines && (len == 0 || data[len - 1] == '\n'));
	if (g->n < (int)(sizeof g->v / sizeof g->v[0]))
		g->v[g->n] = (Rec){src, time_ms, NULL, len};
	g->n++;
}

static void flush_segment(int seq, const unsigned char *p, size_t n)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/seg-%016d.wal", dir, seq);
	fuzz_write_file(path, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1 || size > 1 << 20)
		return 0;
	FUZZ_CHECK(ds__mkdirs(dir) == 0);
	int64_t after = (int64_t)data[0] - 128;
	size_t i = 1;
	unsigned char *seg = malloc(size * 10 + 64); /* 4 bytes of input: at most 40 out */
	size_t len = 0;
	int seq = 1;
	bool exact = true; /* no RAW, no FLIP: the expected records are known */
	static Rec want[4096];
	int nwant = 0;
	bool seg_bad = false; /* a bad record in this segment: the rest is skipped */
	while (i < size) {
		int op = data[i++] % 4;
		if (op == 0 && i + 3 <= size) {
			int src = data[i];
			int64_t t = (int64_t)data[i + 1] - 128;
			size_t l = data[i + 2];
			i += 3;
			if (l > size - i)
				l = size - i;
			const uint8_t *pl = data + i;
			i += l;
			int64_t lines = 0;
			for (size_t k = 0; k < l; k++)
				lines += pl[k] == '\n';
			unsigned char *h = seg + len;
			memset(h, 0, 40);
			ds__put32(h, 0x31575344u);
			ds__put32(h + 4, (uint32_t)l);
			ds__put32(h + 8, (uint32_t)src);
			ds__put64(h + 16, (uint64_t)t);
			ds__put64(h + 24, (uint64_t)lines);
			ds__put32(h + 32, ds__crc32(0, h, 32));
			ds__put32(h + 36, ds__crc32(ds__crc32(0, h, 36), pl, l));
			memcpy(h + 40, pl, l);
			len += 40 + l;
			bool ok = l == 0 || pl[l - 1] == '\n';
			seg_bad |= !ok;
			if (!seg_bad && t > after && nwant < 4096)
				want[nwant++] = (Rec){src, t, NULL, l};
		} else if (op == 1 && i + 1 <= size) {
			size_t l = data[i++];
			if (l > size - i)
				l = size - i;
			memcpy(seg + len, data + i, l);
			len += l;
			i += l;
			exact = false;
		} else if (op == 2) {
			flush_segment(seq++, seg, len);
			len = 0;
			seg_bad = false;
		} else if (op == 3 && i + 2 <= size) {
			if (len)
				seg[(((size_t)data[i] << 8) | data[i + 1]) % len] ^= data[i + 1] | 1;
			i += 2;
			exact = false;
		} else {
			break;
		}
	}
	flush_segment(seq, seg, len);
	free(seg);

	ds__wal *w;
	FUZZ_CHECK(ds__wal_open(&w, dir, DS__WAL_SYNC_OFF, "fuzz") == 0);
	static Got got, again;
	got.n = again.n = 0;
	bool damaged;
	int n = ds__wal_replay(w, after, on_record, &got, &damaged);
	FUZZ_CHECK(n == got.n);
	for (int k = 0; k < got.n && k < 4096; k++)
		FUZZ_CHECK(got.v[k].time > after);
	if (exact) {
		FUZZ_CHECK(got.n == nwant);
		for (int k = 0; k < nwant && k < 4096; k++)
			FUZZ_CHECK(got.v[k].src == want[k].src && got.v[k].time == want[k].time &&
			           got.v[k].n == want[k].n);
	}
	FUZZ_CHECK(ds__wal_truncate(w, after) == 0);
	n = ds__wal_replay(w, after, on_record, &again, NULL);
	FUZZ_CHECK(n == got.n);
	/* and it still takes records */
	FUZZ_CHECK(ds__wal_append(w, 0, 1000, "x\n", 2, 1) == 0);
	ds__wal_close(w);
	fuzz_clear_dir(dir);
	return 0;
}
