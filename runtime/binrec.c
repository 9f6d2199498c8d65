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
 * whole file at start, the file must not change while the program runs
 * (a mapped file that shrinks would fault).
 *
 * Owned by the scheduler thread, like every source without a receiver.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

int ds__binrec_open(ds__binrec *r, const char *cmd, const ds_source_desc *d)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
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
	r->fd = open(d->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (r->fd < 0 || fstat(r->fd, &st) != 0) {
		int rc = -errno;
		ds__binrec_close(r);
		return rc;
	}
	r->nrecs = (int64_t)st.st_size / d->record_len;
	r->tail = (int64_t)st.st_size % d->record_len;
	r->nbatches = (r->nrecs + d->per_batch - 1) / d->per_batch;
	if (r->nbatches == 0 && r->tail)
		r->nbatches = 1; /* an empty batch, to report the tail */
	if (r->nrecs > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
		if (m != MAP_FAILED) {
			(void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL); /* read ahead */
			r->map = m;
			r->maplen = (size_t)st.st_size;
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
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
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
		ds__msg(c->r->cmd, "binaryRecordsStream: cannot read '%s': %s", path, strerror(-rc));
}

int ds__binrec_scan(ds__binrec *r, ds__textdir *dir, ds__blockq *out)
{
	struct ds__bin_ctx c = {r, out};
	return ds__textdir_each(dir, ds__read_bin, &c);
}

const ds__block *ds__binrec_next(ds__binrec *r)
{
	if (r->pos >= r->nbatches)
		return NULL;
	int64_t per = r->desc->per_batch, reclen = r->desc->record_len;
	int64_t first = r->pos * per;
	int64_t n = r->nrecs - first < per ? r->nrecs - first : per;
	size_t bytes = (size_t)(n * reclen);
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
			ds__msg(r->cmd, "binaryQueueStream: cannot read '%s': %s", r->desc->path,
			        k < 0 ? strerror((int)-k) : "the file became shorter");
			n = k < 0 ? 0 : k / reclen;
		}
	}
	r->cur.b.nrecs = n;
	r->cur.b.len = (size_t)(n * reclen);
	r->pos++;
	if (r->pos == r->nbatches && r->tail)
		ds__bad_tail(r, &r->cur.bad, r->desc->path, r->tail);
	return &r->cur;
}

void ds__binrec_close(ds__binrec *r)
{
	if (!r->desc)
		return; /* never opened (every ds__source has one) */
	if (r->fd >= 0)
		close(r->fd);
	if (r->map)
		munmap((void *)r->map, r->maplen);
	else
		free((void *)r->cur.b.data);
	free(r->why);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}
