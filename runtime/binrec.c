/* binrec.c: the binary sources, fixed-length records with a schema.
 *
 *   binaryRecordsStream(dir, schema)    each batch, the files new in dir
 *                                       (found as textFileStream finds them)
 *   binaryQueueStream(path, schema, n)  batch k holds records (k-1)n .. kn-1
 *                                       of the file; manual clock
 *   binaryRecords(path, schema)         a static Dataset, read at start
 *
 * A block of a binary source holds whole records back to back (rt.h); the
 * generated loop loads each field from them.  The compiler checked the
 * schema: here only its record length matters.  A file whose size is not
 * a multiple of the record length gives its whole records, and its tail is
 * one bad record of the source's site, reported with the batch that reads
 * it: the reason says the record length, the sample names the file and
 * the bytes left over.  Files are read in blocks of at most
 * DS__BINREC_BLOCK bytes (a static Dataset in one), so a large file never
 * needs one large allocation per batch.  A binaryQueueStream's file is
 * mapped instead (read-only, at open): a batch's block points into the
 * mapping, so a batch costs no copy (a pread of each batch into a buffer
 * was a third of W3b's time, bench/analysis.md); where mmap fails, each
 * batch is read with pread as before.  Like queueStream, which reads its
 * whole file at start, the file must not change while the program runs;
 * one that becomes shorter than it was at start (a log rotated under us)
 * stops the program with a message, exit 1:
 *
 *   - before each batch, an fstat: a file shorter than at start stops the
 *     program before the batch (ds__binrec_next);
 *   - a file that shrinks while a batch reads it cannot be caught so: the
 *     workers' generated loops read the mapping directly, and a page past
 *     the new end raises SIGBUS in whichever thread touches it.  Checking
 *     before each access would cost the copy the mapping saves, and a
 *     siglongjmp out of generated code would leave the workers' barrier
 *     and state half done.  So a SIGBUS handler maps zero pages over the
 *     mapping from the faulting page on (the read is retried and sees
 *     zeros), and marks the source; after the batch the scheduler sees
 *     the mark (ds__binrec_faulted) and stops before committing the
 *     batch's outputs, which were computed from those zeros.  A SIGBUS at
 *     an address that is not one of these mappings gets the default
 *     action, as before.  (SIGBUS is left unblocked in every thread we
 *     start: ds__thread_start.)
 *
 * Owned by the scheduler thread, like every source without a receiver.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The incomplete last record of path: tail bytes, one bad record. */
static void ds__bad_tail(ds__binrec *r, ds__bad *bad, const char *path, int64_t tail)
{
	char sample[DS__SAMPLE_MAX + 2];
	int k = snprintf(sample, sizeof sample, "%s: %" PRId64 " byte%s", path, tail, tail == 1 ? "" : "s");
	size_t n = k < 0 ? 0 : (size_t)k < sizeof sample ? (size_t)k : sizeof sample - 1;
	ds__bad_add(bad, r->why, sample, n);
}

/* The mappings the SIGBUS handler may repair: set by the scheduler thread
 * while no batch runs (at open and close), read by the handler in any
 * thread.  A binaryQueueStream beyond DS__MAPS_MAX reads with pread. */
#define DS__MAPS_MAX 16
static struct ds__map {
	char *volatile p;            /* NULL: a free slot */
	size_t len;                  /* bytes mapped */
	volatile sig_atomic_t fault; /* some of its pages are zeros now */
} ds__maps[DS__MAPS_MAX];
static size_t ds__page;          /* the page size, for the handler */

static void ds__on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char *a = si->si_addr;
	for (int i = 0; i < DS__MAPS_MAX; i++) {
		struct ds__map *m = &ds__maps[i];
		char *p = m->p;
		if (!p || a < p || a >= p + m->len)
			continue;
		char *pg = p + (size_t)(a - p) / ds__page * ds__page;
		/* mmap is a plain system call here, safe in a handler in fact
		 * if not by POSIX's list */
		if (mmap(pg, (size_t)(p + m->len - pg), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			break;
		m->fault = 1;
		return; /* the read is retried and sees zeros */
	}
	/* not ours: the default action, when the access is retried */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
}

/* Registers r's mapping with the handler (installing it the first time);
 * false when every slot is taken. */
static bool ds__map_add(ds__binrec *r)
{
	static bool installed;
	if (!installed) {
		ds__page = (size_t)sysconf(_SC_PAGESIZE);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = ds__on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, NULL) != 0)
			return false;
		installed = true;
	}
	for (int i = 0; i < DS__MAPS_MAX; i++)
		if (!ds__maps[i].p) {
			ds__maps[i].len = r->maplen;
			ds__maps[i].fault = 0;
			ds__maps[i].p = (char *)r->map;
			r->slot = i;
			return true;
		}
	return false;
}

int ds__binrec_open(ds__binrec *r, const char *cmd, const ds_source_desc *d)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->slot = -1;
	r->cmd = cmd;
	r->desc = d;
	if (d->record_len <= 0)
		return -EINVAL;
	char why[128];
	snprintf(why, sizeof why, "incomplete record at the end of a file (records are %" PRId64 " bytes)",
	         d->record_len);
	r->why = ds__xstrdup(why);
	if (d->kind != DS_SRC_BINQUEUE)
		return 0;
	if (d->per_batch <= 0)
		return -EINVAL;
	struct stat st;
	int fd = ds__fopen(d->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0); /* a FIFO: no wait */
	if (fd < 0 || fstat(fd, &st) != 0) {
		int rc = -errno;
		ds__src_msg(cmd, d, "cannot open '%s': %s", d->path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		ds__binrec_close(r);
		return rc;
	}
	r->fd = fd;
	if (!S_ISREG(st.st_mode)) { /* batches are ranges of its records, counted at start */
		ds__src_msg(cmd, d, "'%s' is %s, not a file: batches are ranges of a file's records", d->path,
		            ds__file_type(st.st_mode));
		ds__binrec_close(r);
		return -EINVAL;
	}
	r->size = (int64_t)st.st_size;
	r->nrecs = (int64_t)st.st_size / d->record_len;
	r->tail = (int64_t)st.st_size % d->record_len;
	r->nbatches = (r->nrecs + d->per_batch - 1) / d->per_batch;
	if (r->nbatches == 0 && r->tail)
		r->nbatches = 1; /* an empty batch, to report the tail */
	if (r->nrecs > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
		void *m = ds__fmmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
		if (m != MAP_FAILED) {
			(void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL); /* read ahead */
			r->map = m;
			r->maplen = (size_t)st.st_size;
			if (!ds__map_add(r)) { /* unguarded, it could fault: pread instead */
				munmap(m, r->maplen);
				r->map = NULL;
				r->maplen = 0;
			}
		}
	}
	return 0;
}

int ds__binrec_read(ds__binrec *r, const char *path, size_t max_block, ds__blockq *out)
{
	size_t reclen = (size_t)r->desc->record_len;
	size_t chunk = max_block / reclen * reclen;
	if (chunk == 0)
		chunk = reclen;
	struct stat st;
	int fd = ds__open_input(path, &st);
	if (fd < 0)
		return fd;
	int nblocks = 0;
	for (;;) {
		/* the block's bytes: one chunk, or (for a static Dataset) the whole
		 * file, grown as it is read */
		size_t cap = chunk < DS__BINREC_BLOCK ? chunk : DS__BINREC_BLOCK, len = 0;
		char *buf = ds__xmalloc(cap);
		ssize_t k;
		for (;;) {
			if ((k = ds__read_full(fd, buf + len, cap - len, -1)) < 0) {
				free(buf);
				close(fd);
				return (int)k;
			}
			len += (size_t)k;
			if (len < cap || cap == chunk)
				break;
			cap = cap > chunk / 2 ? chunk : 2 * cap;
			buf = ds__xrealloc(buf, cap);
		}
		bool last = len < chunk;
		if (last && len == 0 && nblocks > 0) {
			free(buf);
			break;
		}
		ds__block *b = ds__xcalloc(1, sizeof *b);
		b->b.data = buf;
		b->b.nrecs = (int64_t)(len / reclen);
		b->b.len = (size_t)b->b.nrecs * reclen;
		if (len % reclen)
			ds__bad_tail(r, &b->bad, path, (int64_t)(len % reclen));
		ds__blockq_push(out, b);
		nblocks++;
		if (last)
			break;
	}
	close(fd);
	return 0;
}

struct ds__bin_ctx {
	ds__binrec *r;
	ds__blockq *out;
};

static void ds__read_bin(void *ctx, const char *path)
{
	struct ds__bin_ctx *c = ctx;
	int rc = ds__binrec_read(c->r, path, DS__BINREC_BLOCK, c->out);
	if (rc < 0)
		ds__src_msg(c->r->cmd, c->r->desc, "cannot read '%s': %s", path, strerror(-rc));
}

int ds__binrec_scan(ds__binrec *r, ds__textdir *dir, ds__blockq *out)
{
	struct ds__bin_ctx c = {r, out};
	return ds__textdir_each(dir, ds__read_bin, &c);
}

int ds__binrec_next(ds__binrec *r, const ds__block **out)
{
	*out = NULL;
	if (r->pos >= r->nbatches)
		return 0;
	int64_t per = r->desc->per_batch, reclen = r->desc->record_len;
	int64_t first = r->pos * per;
	int64_t n = r->nrecs - first < per ? r->nrecs - first : per;
	size_t bytes = (size_t)(n * reclen);
	struct stat st;
	if (fstat(r->fd, &st) == 0 && (int64_t)st.st_size < r->size) {
		ds__src_msg(r->cmd, r->desc, "'%s' became shorter while the program ran (%" PRId64 " bytes, %" PRId64
		            " at start): stopping before the batch that reads records %" PRId64 "..%" PRId64,
		            r->desc->path, (int64_t)st.st_size, r->size, first, first + n - 1);
		return -EIO;
	}
	memset(&r->cur.bad, 0, sizeof r->cur.bad);
	if (r->map) {
		r->cur.b.data = r->map + first * reclen;
	} else {
		if (bytes > r->cap) {
			free((void *)r->cur.b.data);
			r->cur.b.data = ds__xmalloc(bytes);
			r->cap = bytes;
		}
		ssize_t k = ds__read_full(r->fd, (char *)r->cur.b.data, bytes, (off_t)(first * reclen));
		if (k < 0 || (size_t)k < bytes) {
			ds__src_msg(r->cmd, r->desc, "cannot read '%s': %s", r->desc->path,
			            k < 0 ? strerror((int)-k) : "the file became shorter while the program ran");
			return -EIO;
		}
	}
	r->cur.b.nrecs = n;
	r->cur.b.len = (size_t)(n * reclen);
	r->pos++;
	if (r->pos == r->nbatches && r->tail)
		ds__bad_tail(r, &r->cur.bad, r->desc->path, r->tail);
	*out = &r->cur;
	return 1;
}

int ds__binrec_faulted(ds__binrec *r, int64_t t)
{
	if (r->slot < 0 || !ds__maps[r->slot].fault)
		return 0;
	struct stat st;
	int64_t now = fstat(r->fd, &st) == 0 ? (int64_t)st.st_size : -1;
	ds__src_msg(r->cmd, r->desc, "'%s' became shorter while the batch at %" PRId64 " ms read it (%" PRId64
	            " bytes, %" PRId64 " at start): stopping before its outputs", r->desc->path, t, now, r->size);
	return -EIO;
}

void ds__binrec_close(ds__binrec *r)
{
	if (!r->desc)
		return; /* never opened (every ds__source has one) */
	if (r->fd >= 0)
		close(r->fd);
	if (r->slot >= 0)
		ds__maps[r->slot].p = NULL;
	if (r->map)
		munmap((void *)r->map, r->maplen);
	else
		free((void *)r->cur.b.data);
	free(r->why);
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->slot = -1;
}
