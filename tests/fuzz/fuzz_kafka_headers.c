/* fuzz_kafka_headers.c: the Kafka sink's reading of its own headers
 * (runtime/kafka_out.c, ds__kafka_last_record): after a crash, the last
 * record of each partition of the target topic says, in its headers
 * dstream.batch and dstream.index, where the batches written before the
 * crash stop.  Those are bytes in a topic that anyone can write to.
 *
 * Input: byte 0 says which headers the record has (bit 0: dstream.batch,
 * bit 1: dstream.index), byte 1 how many of the bytes after it are the
 * batch's value; the rest is the index's.  Checked: a record is believed
 * only when both values are exactly what the sink writes (their decimal
 * text, printed again, is the same bytes); anything else is refused with a
 * reason and counts as no record of ours. */
#include "fuzz.h"

#include <inttypes.h>
#include <string.h>

#include "../../runtime/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	bool has_b = data[0] & 1, has_i = data[0] & 2;
	size_t bn = data[1];
	data += 2, size -= 2;
	if (bn > size)
		bn = size;
	/* copies of exactly their size: a read past a value is one (ASan) */
	unsigned char *b = malloc(bn ? bn : 1), *ix = malloc(size - bn ? size - bn : 1);
	memcpy(b, data, bn);
	memcpy(ix, data + bn, size - bn);
	int64_t t = 0, i = 0;
	const char *why = ds__kafka_last_record(has_b ? b : NULL, bn, has_i ? ix : NULL, size - bn, &t, &i);
	if (why) {
		FUZZ_CHECK(*why && t == INT64_MIN && i == INT64_MIN);
	} else {
		char tb[32], ib[32];
		int tn = snprintf(tb, sizeof tb, "%" PRId64, t), in = snprintf(ib, sizeof ib, "%" PRId64, i);
		FUZZ_CHECK(has_b && has_i && t >= 0 && i >= 0);
		FUZZ_CHECK((size_t)tn == bn && !memcmp(tb, b, bn));
		FUZZ_CHECK((size_t)in == size - bn && !memcmp(ib, ix, size - bn));
	}
	free(b);
	free(ix);
	return 0;
}
