/* inline.c: rt.h's static inline helpers, also as external functions.
 *
 * Requires: rt.h, whose hot helpers (ds_next_line, ds_split_begin and
 * ds_split_next, ds_hash_bytes and the other hashes, ds_str_eq,
 * ds_arena_alloc, ds_buf_put, ...) are `static inline` so that cc inlines
 * them into the C backend's fused loops.
 * Guarantees: each of them has an external definition here, with the same
 * name and the very same body (the header is included, not copied).
 *
 * The LLVM backend (compiler/emit_llvm.c) calls them by name.  This file is
 * built twice: into libdstream_rt, where those calls land when dstreamc is
 * told not to inline the runtime (--no-rt-inline), and by clang-14 into
 * LLVM bitcode (DS_RT_BC), which dstreamc links into every module before
 * optimising it, with internal linkage, so that they inline into the fused
 * loops exactly as they do under cc.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The system headers are in (their include guards keep them out below):
 * from here on `static inline` means an external definition. */
#define static
#define inline
#include <dstream/rt.h>
#undef inline
#undef static
