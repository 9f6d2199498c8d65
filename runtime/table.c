/* table.c: open-addressing tables (linear probing, slot = hash & (cap-1))
 * and a string set built on them.  A table belongs to whoever embeds it;
 * no locking.
 *
 * A slot is the key's hash (0: empty) followed by the entry, so that a
 * probe touches one cache line (rt.h says how generated code reads it).
 * A fresh table allocates nothing: it points at one shared, always-empty
 * slot (cap 1) whose hash is all that is ever read, so generated code may
 * probe it before the first insert; ds_table_full() is then true and
 * ds_table_grow() allocates max(16, hint) slots. */
#include "internal.h"

#include <assert.h>
#include <stdlib.h>

#define DS__TABLE_MIN 16

static const uint64_t ds__empty_slot[1] = {0};

static bool ds__table_allocated(const ds_table *t) { return t->slots != (const char *)ds__empty_slot; }

/* The capacity that holds n entries at most half full. */
static size_t ds__table_cap_for(size_t n)
{
	size_t cap = DS__TABLE_MIN;
	while (cap < 2 * n)
		cap *= 2;
	return cap;
}

void ds_table_init(ds_table *t, size_t esize)
{
	assert(esize >= DS_TABLE_HDR && esize % 8 == 0);
	t->slots = (char *)ds__empty_slot; /* read-only: full() forces grow() first */
	t->esize = esize;
	t->cap = 1;
	t->count = 0;
	t->hint = 0;
}

void ds_table_clear(ds_table *t)
{
	if (ds__table_allocated(t)) {
		if (t->count * 8 < t->cap && t->cap > DS__TABLE_MIN) {
			/* a burst is over: clearing the rest would cost more
			 * than allocating again what the next batch needs */
			size_t hint = ds__table_cap_for(t->count);
			free(t->slots);
			ds_table_init(t, t->esize);
			t->hint = hint;
			return;
		}
		memset(t->slots, 0, t->cap * t->esize);
	}
	t->count = 0;
}

void ds_table_close(ds_table *t)
{
	if (ds__table_allocated(t))
		free(t->slots);
	ds_table_init(t, t->esize);
}

void ds_table_grow(ds_table *t)
{
	size_t ncap = ds__table_allocated(t) ? t->cap * 2 : t->hint > DS__TABLE_MIN ? t->hint : DS__TABLE_MIN;
	size_t es = t->esize;
	char *ns = ds__xcalloc(ncap, es);
	if (ds__table_allocated(t)) {
		for (size_t i = 0; i < t->cap; i++) {
			uint64_t h = ds_table_hash(t, i);
			if (!h)
				continue;
			size_t j = h & (ncap - 1);
			while (*(const uint64_t *)(ns + j * es))
				j = (j + 1) & (ncap - 1);
			memcpy(ns + j * es, t->slots + i * es, es);
		}
		free(t->slots);
	}
	t->slots = ns;
	t->cap = ncap;
	t->hint = 0;
}

void ds_table_reserve(ds_table *t, size_t n)
{
	if (!ds__table_allocated(t)) {
		/* as full as growing would leave it: the probes of a table
		 * loaded once and read by every record touch no more lines */
		size_t cap = DS__TABLE_MIN;
		while (n * 4 > cap * 3)
			cap *= 2;
		if (cap > t->hint)
			t->hint = cap;
		return;
	}
	while (n * 4 > t->cap * 3)
		ds_table_grow(t);
}

/* ---- dense tables ---------------------------------------------------------------- */

void ds_dense_init(ds_dense *d, size_t esize)
{
	ds_table_init(&d->t, esize);
	d->at = NULL;
	d->nids = 0;
}

void ds_dense_clear(ds_dense *d)
{
	if (d->t.count)
		memset(d->at, 0, d->nids * sizeof *d->at);
	ds_table_clear(&d->t);
}

void ds_dense_close(ds_dense *d)
{
	free(d->at);
	ds_table_close(&d->t);
	ds_dense_init(d, d->t.esize);
}

void ds_dense_fit(ds_dense *d, int64_t id)
{
	assert(id >= 0); /* ids count from 0 (lowering's intern_value) */
	if ((uint64_t)id >= d->nids) {
		size_t n = d->nids ? d->nids : 64;
		while (n <= (uint64_t)id)
			n *= 2;
		uint32_t *at = ds__xcalloc(n, sizeof *at);
		if (d->nids)
			memcpy(at, d->at, d->nids * sizeof *at);
		free(d->at);
		d->at = at;
		d->nids = n;
	}
	ds_table *t = &d->t;
	if (ds_table_full(t)) {
		/* the entries stay where they are: at[] holds their slots */
		size_t ncap = ds__table_allocated(t) ? t->cap * 2 : t->hint > DS__TABLE_MIN ? t->hint : DS__TABLE_MIN;
		char *ns = ds__xcalloc(ncap, t->esize);
		if (ds__table_allocated(t)) {
			memcpy(ns, t->slots, t->count * t->esize);
			free(t->slots);
		}
		t->slots = ns;
		t->cap = ncap;
		t->hint = 0;
	}
}

/* ---- string set ---------------------------------------------------------------- */

typedef struct ds__strslot {
	uint64_t h;
	ds_str k; /* malloc'd bytes, NUL-terminated */
} ds__strslot;

void ds__strset_init(ds__strset *s) { ds_table_init(&s->t, sizeof(ds__strslot)); }

void ds__strset_close(ds__strset *s)
{
	for (size_t i = 0; i < s->t.cap; i++)
		if (ds_table_hash(&s->t, i))
			free((void *)((ds_str *)ds_table_entry(&s->t, i))->p);
	ds_table_close(&s->t);
}

/* The slot holding k, or the empty slot where it would go. */
static size_t ds__strset_slot(const ds__strset *s, ds_str k, uint64_t h)
{
	size_t mask = s->t.cap - 1, i = h & mask;
	for (uint64_t hi; (hi = ds_table_hash(&s->t, i)); i = (i + 1) & mask)
		if (hi == h && ds_str_eq(*(ds_str *)ds_table_entry(&s->t, i), k))
			break;
	return i;
}

bool ds__strset_has(const ds__strset *s, ds_str k)
{
	return ds_table_hash(&s->t, ds__strset_slot(s, k, ds_hash_str(k))) != 0;
}

void ds__strset_add(ds__strset *s, ds_str k)
{
	uint64_t h = ds_hash_str(k);
	if (ds_table_hash(&s->t, ds__strset_slot(s, k, h)))
		return;
	if (ds_table_full(&s->t))
		ds_table_grow(&s->t);
	size_t i = ds__strset_slot(s, k, h);
	char *p = ds__xmalloc((size_t)k.n + 1);
	memcpy(p, k.p, (size_t)k.n);
	p[k.n] = 0;
	ds_table_set_hash(&s->t, i, h);
	*(ds_str *)ds_table_entry(&s->t, i) = (ds_str){p, k.n};
	s->t.count++;
}
