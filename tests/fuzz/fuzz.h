/* fuzz.h: what the fuzz targets share (tests/fuzz/README.md).
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize); it is linked either with libFuzzer (the clang-14
 * build of `scripts/dev.sh fuzz`) or with replay.c, which feeds it every
 * file of a corpus once (the `fuzz` label of ctest).  A target never
 * writes to stderr for input it rejects: a reason is produced and checked,
 * then dropped, so that only a sanitizer's or an assertion's report shows. */
#ifndef DS_FUZZ_H
#define DS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A bug of the target itself (not of the code under test): said, then abort. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A private directory for the process's files (mkdtemp under $TMPDIR),
 * removed at exit; made once. */
const char *fuzz_tmpdir(void);
/* Writes n bytes to path (created or truncated); aborts on failure. */
void fuzz_write_file(const char *path, const void *p, size_t n);
/* Removes every file in dir (not subdirectories' contents: one level). */
void fuzz_clear_dir(const char *dir);
/* Removes dir and everything under it. */
void fuzz_remove_tree(const char *dir);

#endif
