/* fuzz_replica.c: the block replication protocol's readers
 * (runtime/replica.c): the replica serving a client that sends anything,
 * and a program's client reading anything a replica answers.
 *
 * Input: byte 0 picks the side (even: the replica reads the bytes as a
 * client's; odd: the client reads them as the replica's answers to FETCH,
 * BLOCK and TRUNCATE) and `after`; then a list of frames, each
 *   op, L (u16 little-endian), L bytes
 * written as [u32 1 + L][u32 crc32][u8 op & 15][the bytes], the checksum
 * right unless op & 0x40, or the L bytes alone (no frame) when op & 0x80.
 * The bytes go through a socketpair, its writing end shut after them.
 * Checked: the side reading refuses what is bad with a reason (answered
 * with ERR, or said and the connection closed), never crashes, never
 * waits past the end of the bytes, and a client gives back only blocks
 * that check out (their count of lines, after the checkpoint). */
#include "fuzz.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "../../runtime/internal.h"

static char dir[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ds__msg_fd = -1;
	snprintf(dir, sizeof dir, "%s/replica", fuzz_tmpdir());
	return 0;
}

static void on_block(void *ctx, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	int64_t after = *(int64_t *)ctx;
	(void)src;
	FUZZ_CHECK(time_ms > after && ds__wal_payload_ok(data, len, nrecs));
}

/* The frames of data into a buffer (malloc'd, *n bytes). */
static unsigned char *frames(const uint8_t *data, size_t size, size_t *n)
{
	unsigned char *out = malloc(size * 3 + 16), *o = out; /* 3 bytes of input: at most 9 out */
	size_t i = 0;
	while (i + 3 <= size) {
		int op = data[i];
		size_t l = data[i + 1] | (size_t)data[i + 2] << 8;
		i += 3;
		if (l > size - i)
			l = size - i;
		if (!(op & 0x80)) {
			unsigned char type = (unsigned char)(op & 15);
			uLong crc = crc32(crc32(0, &type, 1), data + i, (uInt)l);
			ds__put32(o, (uint32_t)(1 + l));
			ds__put32(o + 4, (uint32_t)crc ^ (op & 0x40 ? 1u : 0u));
			o[8] = type;
			o += 9;
		}
		memcpy(o, data + i, l);
		o += l;
		i += l;
	}
	*n = (size_t)(o - out);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1 || size > 64 * 1024)
		return 0;
	bool client = data[0] & 1;
	int64_t after = (int64_t)(data[0] >> 1) - 64;
	size_t n;
	unsigned char *bytes = frames(data + 1, size - 1, &n);
	int sv[2];
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	int big = 4 << 20; /* the whole input, and every answer, without a reader */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	for (size_t off = 0; off < n;) {
		ssize_t k = write(sv[0], bytes + off, n - off);
		FUZZ_CHECK(k > 0);
		off += (size_t)k;
	}
	free(bytes);
	FUZZ_CHECK(shutdown(sv[0], SHUT_WR) == 0);
	if (!client) {
		FUZZ_CHECK(ds__mkdirs(dir) == 0);
		ds__replica_serve_fd(sv[1], dir, "fuzz"); /* closes sv[1] */
		close(sv[0]);
		fuzz_remove_tree(dir);
		return 0;
	}
	ds__repl *r;
	FUZZ_CHECK(ds__repl_open(&r, "127.0.0.1:1", "fuzz", "fuzz") == 0);
	ds__repl_adopt(r, sv[1]);
	int got = ds__repl_fetch(r, after, on_block, &after);
	FUZZ_CHECK(got >= 0 || got == -EPROTO || got == -ECONNRESET || got == -EIO || got == -ETIMEDOUT);
	/* what is left answers a BLOCK and a TRUNCATE (or the connection is gone) */
	ds__repl_send(r, 0, after + 1, "x\n", 2, 1);
	ds__repl_truncate(r, after);
	ds__repl_close(r); /* closes sv[1], unless a failure did */
	close(sv[0]);
	return 0;
}
