/* window.c: the pane ring behind window(w, s) and the operators built on
 * it.  A ds_window belongs to the generated program state and is touched
 * by the batch thread only: no locking. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

void ds_window_init(ds_window *w, int npanes)
{
	if (npanes < 1) { /* the compiler guarantees a window of at least one batch */
		fprintf(stderr, "dstream: internal error: a window of %d panes\n", npanes);
		abort();
	}
	w->panes = ds__xcalloc((size_t)npanes, sizeof *w->panes);
	w->n = npanes;
	w->cur = npanes - 1; /* the first batch takes pane 0 */
	for (int i = 0; i < npanes; i++) {
		ds_arena_init(&w->panes[i].arena);
		w->panes[i].time = INT64_MIN;
	}
}

void ds_window_close(ds_window *w)
{
	for (int i = 0; i < w->n; i++) {
		ds_arena_close(&w->panes[i].arena);
		free(w->panes[i].recs.data);
	}
	free(w->panes);
	w->panes = NULL;
	w->n = 0;
}

void ds_window_begin_batch(ds_window *w, int64_t time)
{
	w->cur = (w->cur + 1) % w->n;
	ds_pane *p = &w->panes[w->cur];
	ds_arena_reset(&p->arena);
	p->recs.len = 0; /* keeps its array and capacity for the next batch */
	p->time = time;
}

void *ds_pane_push(ds_pane *p, size_t esize)
{
	if ((size_t)p->recs.len == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;
		p->recs.data = ds__xrealloc(p->recs.data, ncap * esize);
		p->cap = ncap;
	}
	return (char *)p->recs.data + (size_t)p->recs.len++ * esize;
}
