/* arena.c: bump arenas, arena lists and strings, growable buffers.
 * An arena belongs to whoever embeds it (the scheduler thread for the
 * batch and init arenas); no locking. */
#include "internal.h"

#include <stdlib.h>

#define DS__CHUNK_MIN ((size_t)64 * 1024)

void ds_arena_init(ds_arena *a)
{
	a->cur = a->end = NULL;
	a->chunks = NULL;
	a->bytes = 0;
}

void *ds__arena_slow(ds_arena *a, size_t n)
{
	/* A big request gets a chunk of exactly its size; the bump chunks grow
	 * with the arena (each as big as all before it), so a batch of any size
	 * takes O(log size) of them. */
	bool side = n > DS__CHUNK_MIN / 4 && a->chunks;
	size_t size = a->bytes > DS__CHUNK_MIN ? a->bytes : DS__CHUNK_MIN;
	if (side || n > size)
		size = n;
	ds__chunk *c = ds__xmalloc(sizeof *c + size);
	c->size = size;
	a->bytes += size;
	if (side) {
		/* A big request gets its own chunk behind the current one, so
		 * the current bump region is not thrown away. */
		c->next = a->chunks->next;
		a->chunks->next = c;
		return c->data;
	}
	c->next = a->chunks;
	a->chunks = c;
	a->cur = c->data + n;
	a->end = c->data + size;
	return c->data;
}

void ds_arena_reset(ds_arena *a)
{
	/* The next batch is likely as big as this one: keep one chunk that
	 * holds everything this one used, so its pages stay mapped and are not
	 * faulted in (and zeroed by the kernel) again every batch. */
	ds__chunk *c = a->chunks;
	if (c && !c->next) {
		a->cur = c->data;
		a->end = c->data + c->size;
		return;
	}
	size_t total = 0;
	while (c) {
		ds__chunk *next = c->next;
		total += c->size;
		free(c);
		c = next;
	}
	ds_arena_init(a);
	if (total) {
		ds__chunk *k = ds__xmalloc(sizeof *k + total);
		k->size = total;
		k->next = NULL;
		a->chunks = k;
		a->cur = k->data;
		a->end = k->data + total;
		a->bytes = total;
	}
}

void ds_arena_close(ds_arena *a)
{
	ds__chunk *c = a->chunks;
	while (c) {
		ds__chunk *next = c->next;
		free(c);
		c = next;
	}
	ds_arena_init(a);
}

void *ds_list_push(ds_arena *a, ds_list *l, size_t esize)
{
	int64_t len = l->len;
	if ((len & (len - 1)) == 0) { /* 0 or a power of two: full */
		size_t cap = len ? 2 * (size_t)len : 1;
		void *d = ds_arena_alloc(a, cap * esize);
		if (len)
			memcpy(d, l->data, (size_t)len * esize);
		l->data = d;
	}
	l->len = len + 1;
	return (char *)l->data + (size_t)len * esize;
}

ds_str ds_str_copy(ds_arena *a, ds_str s)
{
	if (s.n == 0)
		return (ds_str){"", 0};
	char *p = ds_arena_alloc(a, (size_t)s.n);
	memcpy(p, s.p, (size_t)s.n);
	return (ds_str){p, s.n};
}

void ds__buf_grow(ds_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < need)
		cap *= 2;
	b->p = ds__xrealloc(b->p, cap);
	b->cap = cap;
}

void ds__buf_close(ds_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
