/* fuzz_ckpt.c: the checkpoint reader (runtime/ckpt.c): choosing a
 * checkpoint at start (ds__ckpt_open: its frame, metadata and source
 * positions) and restoring the state from it (ds__ckpt_restore), for a
 * real program: ckpt_prog.dstream, whose generated C is compiled in.
 *
 * Input: when it starts with 'D' (as "DSCKPT\r\n" does), it is the whole
 * file; otherwise the bytes after the first are the payload, framed here
 * with the right magic, format, length and checksum, so that the fuzzer
 * reaches what a checksum alone cannot catch: a file we wrote ourselves,
 * read by a newer or older reader, or damaged by our own bug.  Any input
 * must be restored, or refused with a reason; never a crash, an abort or
 * a read past the file. */
#include "fuzz.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/internal.h"

#define main ckpt_prog_main
#include "ckpt_prog.c"
#undef main

static char ckdir[4200], ckfile[4300], input[4200];
static ds_source_desc fuzz_sources[sizeof sources / sizeof sources[0]];
static ds_program prog;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ds__msg_fd = -1; /* refusals are checked by their return code */
	snprintf(ckdir, sizeof ckdir, "%s/ck", fuzz_tmpdir());
	snprintf(ckfile, sizeof ckfile, "%s/checkpoint-0000000000002000", ckdir);
	snprintf(input, sizeof input, "%s/in.txt", fuzz_tmpdir());
	fuzz_write_file(input, "a\nb\n---\na\n", 10);
	memcpy(fuzz_sources, sources, sizeof fuzz_sources);
	fuzz_sources[0].path = input;
	prog = program;
	prog.sources = fuzz_sources;
	prog.checkpoint_dir = ckdir;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!prog.name)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1 || size > 1 << 20)
		return 0;
	FUZZ_CHECK(ds__mkdirs(ckdir) == 0);
	if (data[0] == 'D') {
		fuzz_write_file(ckfile, data, size);
	} else {
		size_t plen = size - 1;
		unsigned char *f = malloc(24 + plen);
		memcpy(f, "DSCKPT\r\n", 8);
		ds__put32(f + 8, 1);
		ds__put32(f + 12, ds__crc32(0, data + 1, plen));
		ds__put64(f + 16, (uint64_t)plen);
		memcpy(f + 24, data + 1, plen);
		fuzz_write_file(ckfile, f, 24 + plen);
		free(f);
	}
	ds__opts o = {0};
	o.max_line = 1 << 20;
	o.workers = 2; /* entries go to the worker that owns their key */
	o.max_queued = 1 << 20;
	o.log_every = -1;
	o.allow_dropped_state = size & 1; /* both answers to a state this program lacks */
	ds_rt rt;
	if (ds__rt_open(&rt, &prog, "fuzz", &o) == 0) {
		ds__workers_run(&rt, DS__JOB_INIT);
		int rc = ds__ckpt_restore(&rt);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	}
	ds__rt_close(&rt);
	fuzz_clear_dir(ckdir);
	return 0;
}
