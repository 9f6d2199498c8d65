/* fuzz_binrec.c: binary record decoding (runtime/binrec.c and rt.h's
 * ds_load_*): a file of fixed-length records, any length, read as
 * binaryQueueStream reads it (mapped, a range of records per batch) and as
 * binaryRecordsStream and binaryRecords read it (in blocks), every field of
 * every record loaded as generated code loads it.
 *
 * Input: byte 0 the record length (1 to 64), byte 1 the records per batch
 * (1 to 16), byte 2 the field layout; the rest is the file.  Checked: the
 * batches hold every whole record once, in order, and nothing past them;
 * an incomplete last record is reported (as a bad record), never decoded. */
#include "fuzz.h"

#include <string.h>

#include "../../runtime/internal.h"

static char path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ds__msg_fd = -1; /* the messages of incomplete records: checked through bad */
	snprintf(path, sizeof path, "%s/records.bin", fuzz_tmpdir());
	return 0;
}

/* Loads every field of a record as a schema of `layout` would place them:
 * each pair of bits picks the next field's width (1, 2, 4 or 8 bytes). */
static double load_fields(const char *rec, int64_t len, unsigned layout)
{
	double sum = 0;
	int64_t at = 0;
	for (int i = 0; at < len; i++) {
		int w = 1 << ((layout >> (2 * (i % 4))) & 3);
		if (at + w > len)
			w = 1;
		switch (w) {
		case 1: sum += (double)ds_load_i8(rec + at) + (double)ds_load_u8(rec + at); break;
		case 2: sum += (double)ds_load_i16(rec + at) + (double)ds_load_u16(rec + at); break;
		case 4: sum += (double)ds_load_i32(rec + at) + (double)ds_load_u32(rec + at) + ds_load_f32(rec + at); break;
		default: sum += (double)ds_load_i64(rec + at) + ds_load_f64(rec + at); break;
		}
		at += w;
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0])
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 3 || size > 1 << 20)
		return 0;
	int64_t reclen = 1 + data[0] % 64, per = 1 + data[1] % 16;
	unsigned layout = data[2];
	const char *file = (const char *)data + 3;
	size_t n = size - 3;
	fuzz_write_file(path, file, n);
	ds_source_desc d = {.kind = DS_SRC_BINQUEUE, .path = path, .loc = "fuzz.dstream:1:1", .site = 0,
	                    .record_len = reclen, .schema = "fuzz", .per_batch = per};
	int64_t whole = (int64_t)n / reclen, tail = (int64_t)n % reclen;

	/* binaryQueueStream: batch after batch */
	ds__binrec r;
	FUZZ_CHECK(ds__binrec_open(&r, "fuzz", &d) == 0);
	int64_t seen = 0, bad = 0;
	const ds__block *b;
	int rc;
	while ((rc = ds__binrec_next(&r, &b)) == 1) {
		FUZZ_CHECK(b->b.nrecs >= 0 && b->b.nrecs <= per && (size_t)(b->b.nrecs * reclen) == b->b.len);
		FUZZ_CHECK(b->b.nrecs == 0 || !memcmp(b->b.data, file + seen * reclen, b->b.len));
		for (int64_t i = 0; i < b->b.nrecs; i++)
			(void)load_fields(b->b.data + i * reclen, reclen, layout);
		seen += b->b.nrecs;
		bad += b->bad.n;
	}
	FUZZ_CHECK(rc == 0 && seen == whole && bad == (tail ? 1 : 0));
	ds__binrec_close(&r);

	/* binaryRecordsStream / binaryRecords: blocks of at most 3 records */
	d.kind = DS_SRC_BINFILE;
	FUZZ_CHECK(ds__binrec_open(&r, "fuzz", &d) == 0);
	ds__blockq q;
	ds__blockq_init(&q);
	FUZZ_CHECK(ds__binrec_read(&r, path, (size_t)(3 * reclen), &q) == 0);
	seen = bad = 0;
	for (ds__block *k; (k = ds__blockq_pop(&q));) {
		FUZZ_CHECK((size_t)(k->b.nrecs * reclen) == k->b.len && k->b.nrecs <= 3);
		FUZZ_CHECK(k->b.nrecs == 0 || !memcmp(k->b.data, file + seen * reclen, k->b.len));
		for (int64_t i = 0; i < k->b.nrecs; i++)
			(void)load_fields(k->b.data + i * reclen, reclen, layout);
		seen += k->b.nrecs;
		bad += k->bad.n;
		ds__block_free(k);
	}
	FUZZ_CHECK(seen == whole && bad == (tail ? 1 : 0));
	ds__binrec_close(&r);
	return 0;
}
