/* test_table.c: ds_table insert/grow/lookup done the way generated code
 * does it, the runtime's string set, arenas and ds_list_push. */
#include "runner.h"

#include "../../runtime/internal.h"

typedef struct entry {
	int64_t key, val;
} entry;

/* The probe generated code inlines: slot = hash & (cap - 1), linear. */
static entry *lookup(ds_table *t, int64_t key, bool insert)
{
	uint64_t h = ds_hash_i64(key);
	for (;;) {
		size_t mask = t->cap - 1, i = h & mask;
		for (uint64_t hi; (hi = ds_table_hash(t, i)); i = (i + 1) & mask) {
			entry *e = ds_table_entry(t, i);
			if (hi == h && e->key == key)
				return e;
		}
		if (!insert)
			return NULL;
		if (ds_table_full(t)) {
			ds_table_grow(t);
			continue; /* slots moved: probe again */
		}
		ds_table_set_hash(t, i, h);
		entry *e = ds_table_entry(t, i);
		e->key = key;
		e->val = 0;
		t->count++;
		return e;
	}
}

static void test_table_100k(void)
{
	ds_table t;
	ds_table_init(&t, DS_TABLE_HDR + sizeof(entry));
	CHECK(lookup(&t, 1, false) == NULL); /* probing an empty table is safe */
	CHECK(ds_table_full(&t));
	const int64_t n = 100000;
	for (int64_t k = 0; k < n; k++)
		lookup(&t, k * 7919, true)->val = k;
	CHECK(t.count == (size_t)n);
	CHECK((t.cap & (t.cap - 1)) == 0 && t.count * 4 <= t.cap * 3);
	for (int64_t k = 0; k < n; k++) {
		entry *e = lookup(&t, k * 7919, false);
		CHECK(e && e->val == k);
	}
	CHECK(lookup(&t, -1, false) == NULL);
	for (int64_t k = 0; k < n; k += 2)
		lookup(&t, k * 7919, true)->val += 1; /* updates: no new entries */
	CHECK(t.count == (size_t)n);
	size_t cap = t.cap;
	ds_table_clear(&t);
	CHECK(t.count == 0 && t.cap == cap && lookup(&t, 0, false) == NULL);
	lookup(&t, 5, true)->val = 6;
	CHECK(lookup(&t, 5, false)->val == 6);
	ds_table_close(&t);
	ds_table_clear(&t); /* closed tables are empty tables */
	CHECK(lookup(&t, 5, false) == NULL);
	ds_table_close(&t);
}

static void test_table_first_grow(void)
{
	ds_table t;
	ds_table_init(&t, 24);
	ds_table_grow(&t);
	CHECK(t.cap == 16 && t.count == 0);
	ds_table_grow(&t);
	CHECK(t.cap == 32);
	ds_table_close(&t);
}

/* A per-batch table gives back the memory of a burst once a batch uses at
 * most 1/8 of it, and the next insert allocates twice what that one used. */
static void test_table_shrink(void)
{
	ds_table t;
	ds_table_init(&t, DS_TABLE_HDR + sizeof(entry));
	for (int64_t k = 0; k < 100000; k++)
		lookup(&t, k, true)->val = k;
	size_t cap = t.cap;
	ds_table_clear(&t);
	CHECK(t.cap == cap); /* the batch filled it: kept */
	for (int64_t k = 0; k < 10; k++)
		lookup(&t, k, true)->val = k;
	ds_table_clear(&t);
	CHECK(t.cap == 1 && t.count == 0 && t.hint == 32 && lookup(&t, 3, false) == NULL);
	lookup(&t, 3, true)->val = 4;
	CHECK(t.cap == 32 && lookup(&t, 3, false)->val == 4);
	ds_table_close(&t);
	/* reserve: room for n without growing, before or after the first insert */
	ds_table_init(&t, DS_TABLE_HDR + sizeof(entry));
	ds_table_reserve(&t, 1000);
	lookup(&t, 1, true);
	CHECK(t.cap == 2048);
	ds_table_reserve(&t, 3000);
	CHECK(t.cap == 4096 && lookup(&t, 1, false) != NULL);
	ds_table_close(&t);
}

static void test_strset(void)
{
	ds__strset s;
	ds__strset_init(&s);
	CHECK(!ds__strset_has(&s, DS_STR_LIT("a")));
	char name[32];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(name, sizeof name, "file-%d.txt", i);
		ds__strset_add(&s, (ds_str){name, n});
		ds__strset_add(&s, (ds_str){name, n});
	}
	CHECK(s.t.count == 5000);
	CHECK(ds__strset_has(&s, DS_STR_LIT("file-4999.txt")));
	CHECK(!ds__strset_has(&s, DS_STR_LIT("file-5000.txt")));
	ds__strset_close(&s);
}

static void test_arena(void)
{
	ds_arena a;
	ds_arena_init(&a);
	CHECK(a.bytes == 0);
	char *prev = NULL;
	for (int i = 0; i < 100000; i++) {
		char *p = ds_arena_alloc(&a, (size_t)(i % 50) + 1);
		CHECK(((uintptr_t)p & 7) == 0);
		p[0] = 'x';
		CHECK(p != prev);
		prev = p;
	}
	char *big = ds_arena_alloc(&a, 10 << 20); /* its own chunk */
	memset(big, 1, 10 << 20);
	char *after = ds_arena_alloc(&a, 8);
	after[0] = 1;
	CHECK(a.bytes >= (10u << 20));
	size_t used = a.bytes;
	int nchunks = 0;
	for (ds__chunk *c = a.chunks; c; c = c->next)
		nchunks++;
	CHECK(nchunks < 20); /* chunks grow with the arena: O(log size) of them */
	ds_arena_reset(&a);
	/* one chunk as big as all the batch used: the next batch of the same
	 * size fits in it, and its pages stay mapped */
	CHECK(a.chunks && !a.chunks->next && a.bytes == used);
	size_t kept = a.bytes;
	for (int i = 0; i < 100000; i++)
		ds_arena_alloc(&a, (size_t)(i % 50) + 1);
	char *big2 = ds_arena_alloc(&a, 10 << 20);
	big2[0] = 1;
	CHECK(a.bytes == kept); /* the same batch again: nothing allocated */
	ds_arena_reset(&a);
	CHECK(a.chunks && !a.chunks->next && a.bytes == kept);
	ds_arena_close(&a);
	/* big requests take what they ask for: 1,000 lists of 20 kB hold
	 * 20 MB, not an arena that doubles with each of them */
	ds_arena_init(&a);
	for (int i = 0; i < 1000; i++)
		memset(ds_arena_alloc(&a, 20000), 1, 20000);
	CHECK(a.bytes < (25u << 20));
	ds_str s = ds_str_copy(&a, DS_STR_LIT("hello"));
	CHECK(ds_str_eq(s, DS_STR_LIT("hello")));
	ds_arena_close(&a);
	CHECK(a.bytes == 0 && a.chunks == NULL);
}

static void test_list_push(void)
{
	ds_arena a;
	ds_arena_init(&a);
	ds_list l = {NULL, 0};
	for (int64_t i = 0; i < 1000; i++)
		*(int64_t *)ds_list_push(&a, &l, sizeof(int64_t)) = i * i;
	CHECK(l.len == 1000);
	for (int64_t i = 0; i < 1000; i++)
		CHECK(((int64_t *)l.data)[i] == i * i);
	ds_arena_close(&a);
}

static const ds_test tests[] = {
	{"table_100k", test_table_100k, 30},
	{"table_first_grow", test_table_first_grow, 0},
	{"table_shrink", test_table_shrink, 0},
	{"strset", test_strset, 0},
	{"arena", test_arena, 0},
	{"list_push", test_list_push, 0},
};

int main(int argc, char **argv) { return DS_RUN_TESTS(tests, argc, argv); }
