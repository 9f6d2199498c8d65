/* table.c: open-addressing tables (linear probing, slot = hash & (cap-1))
 * and a string set built on them.  A table belongs to whoever embeds it;
 * no locking.
 *
 * A fresh table allocates nothing: it points at one shared, always-empty
 * slot (cap 1), so generated code may probe it before the first insert;
 * ds_table_full() is then true and ds_table_grow() allocates 16 slots. */
#include "internal.h"

#include <stdlib.h>

#define DS__TABLE_MIN 16

static const uint64_t ds__empty_slot[1] = {0};

static bool ds__table_allocated(const ds_table *t) { return t->hashes != ds__empty_slot; }

void ds_table_init(ds_table *t, size_t esize)
{
	t->hashes = (uint64_t *)ds__empty_slot; /* read-only: full() forces grow() first */
	t->entries = NULL;
	t->esize = esize;
	t->cap = 1;
	t->count = 0;
}

void ds_table_clear(ds_table *t)
{
	if (ds__table_allocated(t))
		memset(t->hashes, 0, t->cap * sizeof *t->hashes);
	t->count = 0;
}

void ds_table_close(ds_table *t)
{
	if (ds__table_allocated(t)) {
		free(t->hashes);
		free(t->entries);
	}
	ds_table_init(t, t->esize);
}

void ds_table_grow(ds_table *t)
{
	size_t ncap = ds__table_allocated(t) ? t->cap * 2 : DS__TABLE_MIN;
	uint64_t *nh = ds__xcalloc(ncap, sizeof *nh);
	char *ne = ds__xmalloc(ncap * t->esize);
	if (ds__table_allocated(t)) {
		for (size_t i = 0; i < t->cap; i++) {
			uint64_t h = t->hashes[i];
			if (!h)
				continue;
			size_t j = h & (ncap - 1);
			while (nh[j])
				j = (j + 1) & (ncap - 1);
			nh[j] = h;
			memcpy(ne + j * t->esize, t->entries + i * t->esize, t->esize);
		}
		free(t->hashes);
		free(t->entries);
	}
	t->hashes = nh;
	t->entries = ne;
	t->cap = ncap;
}

/* ---- string set ---------------------------------------------------------------- */

void ds__strset_init(ds__strset *s) { ds_table_init(&s->t, sizeof(ds_str)); }

void ds__strset_close(ds__strset *s)
{
	for (size_t i = 0; i < s->t.cap; i++)
		if (s->t.hashes[i])
			free((void *)((ds_str *)ds_table_entry(&s->t, i))->p);
	ds_table_close(&s->t);
}

/* The slot holding k, or the empty slot where it would go. */
static size_t ds__strset_slot(const ds__strset *s, ds_str k, uint64_t h)
{
	size_t mask = s->t.cap - 1, i = h & mask;
	while (s->t.hashes[i]) {
		if (s->t.hashes[i] == h && ds_str_eq(*(ds_str *)ds_table_entry(&s->t, i), k))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

bool ds__strset_has(const ds__strset *s, ds_str k)
{
	return s->t.hashes[ds__strset_slot(s, k, ds_hash_str(k))] != 0;
}

void ds__strset_add(ds__strset *s, ds_str k)
{
	uint64_t h = ds_hash_str(k);
	if (s->t.hashes[ds__strset_slot(s, k, h)])
		return;
	if (ds_table_full(&s->t))
		ds_table_grow(&s->t);
	size_t i = ds__strset_slot(s, k, h);
	char *p = ds__xmalloc((size_t)k.n + 1);
	memcpy(p, k.p, (size_t)k.n);
	p[k.n] = 0;
	s->t.hashes[i] = h;
	*(ds_str *)ds_table_entry(&s->t, i) = (ds_str){p, k.n};
	s->t.count++;
}
