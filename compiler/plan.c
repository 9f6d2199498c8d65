/* plan.c: from checked statements to the DStream graph, then to stages.
 *
 * A stage is one loop: over a source's records or over a boundary's
 * result (a hash table, an accumulator).  Narrow operators never get a
 * stage of their own: they are fused, in push order, into every loop that
 * produces their input.  That is the whole of fusion: a chain
 * flatMap -> map -> reduceByKey becomes one loop over the input lines
 * whose body ends in a hash-table upsert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

typedef struct Planner {
	Plan *p;
	/* memo: AST call node -> DNode, so a val used twice is one node; a
	 * hash table (open addressing, cap slots, a power of two, at most half
	 * full), as a program may have tens of thousands of streams */
	Node **memo_keys;
	DNode **memo_vals;
	int memo_n, memo_cap;
} Planner;

/* The memo's slot for e: its own, or the empty one it would take. */
static int memo_slot(const Planner *pl, const Node *e)
{
	unsigned mask = (unsigned)pl->memo_cap - 1;
	unsigned i = (unsigned)(((uintptr_t)e >> 4) * 2654435761u) & mask;
	while (pl->memo_keys[i] && pl->memo_keys[i] != e)
		i = (i + 1) & mask;
	return (int)i;
}

static DNode *memo_get(const Planner *pl, const Node *e)
{
	return pl->memo_cap ? pl->memo_vals[memo_slot(pl, e)] : NULL;
}

static void memo_put(Planner *pl, Node *e, DNode *d)
{
	if (2 * (pl->memo_n + 1) > pl->memo_cap) {
		Planner old = *pl;
		pl->memo_cap = pl->memo_cap ? 2 * pl->memo_cap : 64;
		pl->memo_keys = arena_alloc((size_t)pl->memo_cap * sizeof *pl->memo_keys);
		pl->memo_vals = arena_alloc((size_t)pl->memo_cap * sizeof *pl->memo_vals);
		for (int i = 0; i < old.memo_cap; i++)
			if (old.memo_keys[i]) {
				int j = memo_slot(pl, old.memo_keys[i]);
				pl->memo_keys[j] = old.memo_keys[i];
				pl->memo_vals[j] = old.memo_vals[i];
			}
	}
	int j = memo_slot(pl, e);
	if (!pl->memo_keys[j])
		pl->memo_n++;
	pl->memo_keys[j] = e;
	pl->memo_vals[j] = d;
}

bool node_is_boundary(const DNode *n)
{
	OpClass c = n->op->cls;
	if (c == OPC_JOIN && n->static_side >= 0)
		return false;
	return c == OPC_AGG || c == OPC_WINDOW || c == OPC_STATE || c == OPC_JOIN;
}

bool node_is_fused(const DNode *c, const DNode *from)
{
	if (c->op->cls == OPC_NARROW)
		return true;
	return c->op->cls == OPC_JOIN && c->static_side >= 0 && c->in[c->static_side] != from;
}

/* join and leftOuterJoin of a stream with a static Dataset on the right,
 * join and rightOuterJoin with one on the left: each stream record only
 * probes the Dataset, so the join needs no per-batch table and no stage of
 * its own.  (fullOuterJoin and cogroup visit the Dataset's unmatched keys
 * too: they keep their stage.) */
static int static_join_side(const DNode *d)
{
	OpId op = d->op->id;
	if (d->op->cls != OPC_JOIN || d->nin != 2 || d->in[0]->is_static == d->in[1]->is_static)
		return -1;
	if (d->in[1]->is_static && (op == OP_JOIN || op == OP_LEFT_OUTER_JOIN))
		return 1;
	if (d->in[0]->is_static && (op == OP_JOIN || op == OP_RIGHT_OUTER_JOIN))
		return 0;
	return -1;
}

bool node_feeds(const DNode *n, int i)
{
	const DNode *c = n->consumers.v[i];
	if (c->op->cls != OPC_JOIN)
		return true;
	for (int j = 0; j < i; j++)
		if (n->consumers.v[j] == c)
			return false;
	return true;
}

char *node_loc(const DNode *n)
{
	return loc_str(n->call->is_method ? n->call->name_loc : n->call->loc);
}

static DNode *new_node(Planner *pl, const OpInfo *op, Node *call)
{
	DNode *d = arena_alloc(sizeof *d);
	d->id = pl->p->nodes.n + 1;
	d->op = op;
	d->call = call;
	d->type = call->type;
	d->src_index = -1;
	d->out_index = -1;
	d->static_side = -1;
	vec_push(&pl->p->nodes, d);
	return d;
}

static void connect(DNode *from, DNode *to)
{
	to->in[to->nin++] = from;
	vec_push(&from->consumers, to);
}

/* Strip val indirections down to the expression that defines a stream. */
static Node *stream_def(Node *e)
{
	for (;;)
		if (e->kind == N_NAME && e->sym && e->sym->kind == SYM_VAL)
			e = e->sym->def;
		else if (call_is_named(e))
			e = e->items.v[0];
		else
			return e;
}

static DNode *build(Planner *pl, Node *e);

/* A node the planner adds on behalf of call, typed elem. */
static DNode *synth(Planner *pl, OpId op, Node *call, DNode *in, Type *elem, const char *role)
{
	DNode *d = new_node(pl, &op_table[op], call);
	d->type = ty_stream(elem);
	d->role = role;
	connect(in, d);
	return d;
}

static int64_t duration_arg(Node *call, int i)
{
	return i < call->items.n ? const_value(call->items.v[i])->ival : 0;
}

/* Every window operator but window() is a composition, as Spark defines it:
 *   reduceByKeyAndWindow(f, w, s) = reduceByKey(f).window(w, s).reduceByKey(f)
 *   reduceByWindow(f, w, s)       = reduce(f).window(w, s).reduce(f)
 *   groupByKeyAndWindow(w, s)     = window(w, s).groupByKey()
 * so a window holds per-batch partial aggregates, never raw records, and a
 * slide merges them; with an inverse function, per-batch partials feed the
 * incremental window node (Spark's ReducedWindowedDStream), on which
 * countByWindow and countByValueAndWindow are built as in Spark. */
static DNode *build_window_op(Planner *pl, Node *e, DNode *in)
{
	const OpInfo *op = call_op(e);
	Node **a = (Node **)e->items.v;
	int nargs = e->items.n - 1;
	bool inverse = nargs >= 2 && a[2]->kind == N_LAMBDA;
	Type *t = ty_resolve(in->type)->elem;
	int64_t batch = pl->p->cp->batch_ms;
	DNode *pre, *win;
	switch (op->id) {
	case OP_REDUCE_BY_KEY_AND_WINDOW:
		if (inverse) {
			pre = synth(pl, OP_REDUCE_BY_KEY, e, in, t, "per-batch partial aggregates");
			win = synth(pl, OP_REDUCE_BY_KEY_AND_WINDOW, e, pre, t, "adds entering, removes leaving batches");
			win->fn = a[1];
			win->inv_fn = a[2];
			win->window_ms = duration_arg(e, 3);
			win->slide_arg = duration_arg(e, 4);
			win->filter_fn = nargs >= 5 && a[5]->kind == N_LAMBDA ? a[5] : NULL;
			return win;
		}
		pre = synth(pl, OP_REDUCE_BY_KEY, e, in, t, "per-batch partial aggregates");
		win = synth(pl, OP_WINDOW, e, pre, t, "the window of partial aggregates");
		win->window_ms = duration_arg(e, 2);
		win->slide_arg = nargs >= 3 ? duration_arg(e, 3) : batch;
		return synth(pl, OP_REDUCE_BY_KEY, e, win, t, "merges the window's partial aggregates");
	case OP_REDUCE_BY_WINDOW:
		if (inverse) {
			pre = synth(pl, OP_REDUCE, e, in, t, "per-batch partial reduction");
			win = synth(pl, OP_REDUCE_BY_WINDOW, e, pre, t, "adds entering, removes leaving batches");
			win->fn = a[1];
			win->inv_fn = a[2];
			win->keyless = true;
			win->window_ms = duration_arg(e, 3);
			win->slide_arg = duration_arg(e, 4);
			return win;
		}
		pre = synth(pl, OP_REDUCE, e, in, t, "per-batch partial reduction");
		win = synth(pl, OP_WINDOW, e, pre, t, "the window of partial reductions");
		win->window_ms = duration_arg(e, 2);
		win->slide_arg = duration_arg(e, 3);
		return synth(pl, OP_REDUCE, e, win, t, "merges the window's partial reductions");
	case OP_COUNT_BY_WINDOW:
		/* Spark: map(_ => 1L).reduceByWindow(_ + _, _ - _, w, s): nothing
		 * until a record was seen, then 0 for an empty window */
		pre = synth(pl, OP_COUNT, e, in, ty_int(), "per-batch count (none for an empty batch)");
		pre->skip_zero = true;
		win = synth(pl, OP_COUNT_BY_WINDOW, e, pre, ty_int(), "adds entering, removes leaving batches");
		win->keyless = true;
		win->window_ms = duration_arg(e, 1);
		win->slide_arg = duration_arg(e, 2);
		return win;
	case OP_COUNT_BY_VALUE_AND_WINDOW:
		/* Spark: map((_, 1L)).reduceByKeyAndWindow(_ + _, _ - _, w, s, _._2 != 0) */
		pre = synth(pl, OP_COUNT_BY_VALUE, e, in, ty_resolve(e->type)->elem, "per-batch counts");
		win = synth(pl, OP_COUNT_BY_VALUE_AND_WINDOW, e, pre, ty_resolve(e->type)->elem,
			    "adds entering, removes leaving batches; drops zero counts");
		win->window_ms = duration_arg(e, 1);
		win->slide_arg = duration_arg(e, 2);
		return win;
	case OP_GROUP_BY_KEY_AND_WINDOW:
		win = synth(pl, OP_WINDOW, e, in, t, "the window of records");
		win->window_ms = duration_arg(e, 1);
		win->slide_arg = nargs >= 2 ? duration_arg(e, 2) : batch;
		return synth(pl, OP_GROUP_BY_KEY, e, win, ty_resolve(e->type)->elem, "groups the window by key");
	default:
		unreachable();
	}
}

static DNode *build(Planner *pl, Node *e)
{
	e = stream_def(e);
	ASSERT(e->kind == N_CALL && call_is_op(e));
	DNode *memo = memo_get(pl, e);
	if (memo)
		return memo;
	const OpInfo *op = call_op(e);
	if (op->cls == OPC_WINDOW && op->id != OP_WINDOW) {
		DNode *d = build_window_op(pl, e, build(pl, e->items.v[0]));
		memo_put(pl, e, d);
		return d;
	}
	DNode *d = new_node(pl, op, e);
	if (op->cls == OPC_SOURCE) {
		d->src_index = pl->p->sources.n;
		d->is_static = op->id == OP_TEXT_FILE || op->id == OP_BINARY_RECORDS;
		vec_push(&pl->p->sources, d);
	} else {
		DNode *in0 = build(pl, e->items.v[0]);
		connect(in0, d);
		d->is_static = in0->is_static;
		if (op->inputs == 2) {
			DNode *in1 = build(pl, e->items.v[1]);
			connect(in1, d);
			d->is_static = d->is_static && in1->is_static;
			d->static_side = static_join_side(d);
		}
	}
	if (op->id == OP_MAP_WITH_STATE || op->id == OP_UPDATE_STATE_BY_KEY)
		for (int i = 2; i < e->items.n; i++) {
			Node *c = const_value(e->items.v[i]);
			if (c && c->kind == N_DURATION) {
				d->timeout_ms = c->ival;
			} else { /* the initial state: a static Dataset, as a second input */
				DNode *init = build(pl, e->items.v[i]);
				connect(init, d);
			}
		}
	memo_put(pl, e, d);
	return d;
}

/* The interval at which n produces records: the batch interval, except
 * downstream of a window, which produces only at multiples of its slide
 * (Spark's slideDuration).  Reports Spark's rules on combining slides. */
static int64_t compute_slide(Plan *p, DNode *n)
{
	if (n->slide_ms)
		return n->slide_ms;
	int64_t batch = p->cp->batch_ms;
	int64_t s = batch;
	bool seen = false;
	for (int i = 0; i < n->nin; i++) {
		int64_t si = compute_slide(p, n->in[i]);
		if (n->in[i]->is_static && n->nin > 1)
			continue; /* a static Dataset joins any stream */
		if (seen && si != s)
			error_at(n->call->is_method ? n->call->name_loc : n->call->loc,
				 "%s: the two streams produce at different intervals (%s and %s)", n->op->name,
				 fmt_duration(s), fmt_duration(si));
		s = si;
		seen = true;
	}
	if (n->op->id == OP_WINDOW || (n->op->cls == OPC_WINDOW && n->slide_arg)) {
		Node **a = (Node **)n->call->items.v;
		int64_t slide = n->slide_arg;
		if (!n->window_ms) { /* written as window(w[, s]) */
			n->window_ms = const_value(a[1])->ival;
			slide = n->call->items.n > 2 ? const_value(a[2])->ival : batch;
		}
		if (n->window_ms % s || slide % s)
			error_at(a[1]->loc, "%s: the window %s and slide %s must be multiples of the "
					    "input's slide %s", n->op->name, fmt_duration(n->window_ms), fmt_duration(slide),
				 fmt_duration(s));
		s = slide;
	}
	n->slide_ms = s;
	return s;
}

static bool is_producer(const DNode *n) { return n->op->cls == OPC_SOURCE || node_is_boundary(n); }

/* The depth of the loops producing n's records. */
static int compute_depth(DNode *n)
{
	if (n->depth >= 0)
		return n->depth;
	int d = 0;
	for (int i = 0; i < n->nin; i++) {
		int di = compute_depth(n->in[i]);
		if (di > d)
			d = di;
	}
	if (node_is_boundary(n))
		d++;
	n->depth = d;
	return d;
}

/* Records which narrow nodes a producer's loop reaches. */
static void collect_stage(Stage *s, DNode *n)
{
	for (int i = 0; i < n->consumers.n; i++) {
		DNode *c = n->consumers.v[i];
		if (node_is_fused(c, n)) {
			vec_push(&s->fused, c);
			collect_stage(s, c);
		}
	}
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static bool keeps_state(const DNode *n)
{
	return n->op->cls == OPC_WINDOW || (n->op->cls == OPC_STATE && n->op->id != OP_STATE_SNAPSHOTS);
}

/* The default identity of stateful call e: "VAL.op" when e is what a val is
 * bound to, else "UP.op" with UP the nearest named stream upstream (a val,
 * a .named state, or the source's operator).  Stateless operators between
 * UP and e, and anything downstream, do not change it. */
static const char *derived_state_id(const Plan *p, Node *e)
{
	const char *op = call_op(e)->name;
	for (int i = 0; i < p->cp->ast->stmts.n; i++) {
		Stmt *s = p->cp->ast->stmts.v[i];
		if (s->kind != ST_VAL)
			continue;
		Node *d = s->expr;
		while (call_is_named(d))
			d = d->items.v[0];
		if (d == e)
			return arena_printf("%s.%s", s->name, op);
	}
	for (Node *u = e->items.v[0];;) {
		if (u->kind == N_NAME && u->sym && u->sym->kind == SYM_VAL)
			return arena_printf("%s.%s", u->sym->name, op);
		if (call_is_named(u))
			u = u->items.v[0];
		else if (u->kind == N_CALL && call_is_op(u) && u->named)
			return arena_printf("%s.%s", u->named, op);
		else if (u->kind == N_CALL && call_is_op(u) && call_op(u)->cls == OPC_SOURCE)
			return arena_printf("%s.%s", call_op(u)->name, op);
		else if (u->kind == N_CALL && call_is_op(u))
			u = u->items.v[0];
		else
			unreachable();
	}
}

static int by_loc(const void *a, const void *b)
{
	const Node *x = *(Node *const *)a, *y = *(Node *const *)b;
	return x->loc.off < y->loc.off ? -1 : x->loc.off > y->loc.off;
}

/* Gives every node with state the stable identity of its operator (Flink's
 * operator uid), under which checkpoints store that state: .named("id")'s,
 * or derived_state_id's, qualified when two calls share it. */
static void plan_state_ids(Plan *p)
{
	Vec calls = {0};
	for (int i = 0; i < p->nodes.n; i++) {
		DNode *n = p->nodes.v[i];
		if (!keeps_state(n))
			continue;
		bool seen = false;
		for (int j = 0; j < calls.n && !seen; j++)
			seen = calls.v[j] == n->call;
		if (!seen)
			vec_push(&calls, n->call);
	}
	if (calls.n > 1)
		qsort(calls.v, (size_t)calls.n, sizeof(void *), by_loc);
	const char **ids = arena_alloc(sizeof(char *) * (size_t)(calls.n + 1));
	for (int i = 0; i < calls.n; i++) {
		Node *e = calls.v[i];
		ids[i] = e->named ? e->named : derived_state_id(p, e);
	}
	/* Two calls that derive the same identity (two windows of one stream)
	 * are told apart by what makes their states differ, when that is
	 * something: the window and slide, or the timeout. */
	for (int i = 0; i < calls.n; i++) {
		Node *e = calls.v[i];
		bool shared = false;
		for (int j = 0; j < calls.n && !shared; j++)
			shared = j != i && !e->named && !((Node *)calls.v[j])->named && !strcmp(ids[i], derived_state_id(p, calls.v[j]));
		if (!shared)
			continue;
		for (int k = 0; k < p->nodes.n; k++) {
			DNode *n = p->nodes.v[k];
			if (n->call != e || !keeps_state(n))
				continue;
			if (n->window_ms)
				ids[i] = arena_printf("%s(%s,%s)", derived_state_id(p, e), fmt_duration(n->window_ms),
						      fmt_duration(n->slide_ms));
			else if (n->timeout_ms)
				ids[i] = arena_printf("%s(%s)", derived_state_id(p, e), fmt_duration(n->timeout_ms));
		}
	}
	/* What is still shared gets "#2", "#3"... in source order, the first
	 * keeping it as it is.  Such an identity depends on the calls' order: a
	 * third added before them would take one's state.  With a checkpoint,
	 * that is said. */
	const char **base = arena_alloc(sizeof(char *) * (size_t)(calls.n + 1));
	for (int i = 0; i < calls.n; i++)
		base[i] = ids[i];
	for (int i = 0; i < calls.n; i++) {
		Node *e = calls.v[i];
		int dup = 1;
		Node *first = NULL;
		for (int j = 0; j < i; j++)
			if (!strcmp(base[j], base[i])) {
				first = first ? first : calls.v[j];
				dup++;
			}
		if (dup == 1)
			continue;
		ids[i] = arena_printf("%s#%d", base[i], dup);
		if (p->cp->checkpoint_dir) {
			Loc at = e->is_method ? e->name_loc : e->loc;
			warning_at(at, "%s: its state's identity '%s' depends on its order after the %s at %s: "
				       "name it with .named(\"id\") to keep its state when calls are added before it",
				   call_op(e)->name, ids[i], call_op(first)->name,
				   loc_str(first->is_method ? first->name_loc : first->loc));
		}
	}
	for (int i = 0; i < p->nodes.n; i++) {
		DNode *n = p->nodes.v[i];
		for (int j = 0; j < calls.n && keeps_state(n); j++)
			if (calls.v[j] == n->call)
				n->state_id = ids[j];
	}
}

Plan *plan_program(CheckedProgram *cp)
{
	Planner pl = {0};
	Plan *p = arena_alloc(sizeof *p);
	pl.p = p;
	p->cp = cp;
	for (int i = 0; i < cp->outputs.n; i++) {
		Node *call = cp->outputs.v[i];
		DNode *o = build(&pl, call);
		o->out_index = p->outputs.n;
		vec_push(&p->outputs, o);
	}
	for (int i = 0; i < p->nodes.n; i++) {
		((DNode *)p->nodes.v[i])->depth = -1;
		compute_slide(p, p->nodes.v[i]);
	}
	int maxd = 0;
	for (int i = 0; i < p->nodes.n; i++) {
		int d = compute_depth(p->nodes.v[i]);
		if (d > maxd)
			maxd = d;
	}
	/* Stages in run order: by depth, then by node creation (program order). */
	for (int d = 0; d <= maxd; d++)
		for (int i = 0; i < p->nodes.n; i++) {
			DNode *n = p->nodes.v[i];
			if (!is_producer(n) || n->depth != d)
				continue;
			Stage *s = arena_alloc(sizeof *s);
			s->id = p->stages.n + 1;
			s->producer = n;
			collect_stage(s, n);
			vec_push(&p->stages, s);
		}
	/* The plan's shape, for checkpoints: operators, types and wiring. */
	uint64_t h = 0xcbf29ce484222325ULL;
	h = fnv(h, arena_printf("batch=%lld", (long long)cp->batch_ms));
	for (int i = 0; i < p->nodes.n; i++) {
		DNode *n = p->nodes.v[i];
		h = fnv(h, arena_printf("%d:%s:%s:%d:%d", n->id, n->op->name, ty_str(n->type),
					n->nin > 0 ? n->in[0]->id : 0, n->nin > 1 ? n->in[1]->id : 0));
	}
	p->hash = h;
	plan_state_ids(p);
	/* Spark's advice for the checkpoint interval: at least 10 s of batch
	 * time, and a multiple of the slowest slide, so that a checkpoint falls
	 * where a window has just produced. */
	if (cp->checkpoint_dir) {
		int64_t slide = cp->batch_ms;
		for (int i = 0; i < p->nodes.n; i++) {
			DNode *n = p->nodes.v[i];
			if (n->slide_ms > slide)
				slide = n->slide_ms;
		}
		p->checkpoint_ms = cp->checkpoint_ms ? cp->checkpoint_ms : slide * ((10000 + slide - 1) / slide);
	}
	return p;
}

/* How c takes records from `from` with more than one worker: 'K' sent to the
 * owner of the record's first field (a key), 'R' of the record itself, 'G' all
 * to worker 0 (an aggregate of the whole stream), or 0: applied where the
 * record is (narrow operators, windows of records, outputs, a static join's
 * probe, and anything a static Dataset computes once in every worker). */
char node_exchange(const DNode *c, const DNode *from)
{
	if (from->is_static)
		return 0;
	switch (c->op->id) {
	case OP_COUNT_BY_VALUE:
		return 'R';
	case OP_REDUCE_BY_KEY: case OP_GROUP_BY_KEY: case OP_UPDATE_STATE_BY_KEY: case OP_MAP_WITH_STATE:
		return 'K';
	case OP_JOIN: case OP_LEFT_OUTER_JOIN: case OP_RIGHT_OUTER_JOIN: case OP_FULL_OUTER_JOIN:
	case OP_COGROUP:
		return node_is_fused(c, from) ? 0 : 'K';
	case OP_REDUCE_BY_KEY_AND_WINDOW: case OP_REDUCE_BY_WINDOW: case OP_COUNT_BY_WINDOW:
	case OP_COUNT_BY_VALUE_AND_WINDOW:
		return c->keyless ? 'G' : 'K';
	case OP_COUNT: case OP_REDUCE: case OP_SORT_BY: case OP_SORT_BY_KEY: case OP_TOP: case OP_TAKE_ORDERED:
		return 'G';
	default:
		return 0;
	}
}

bool node_sorts(const DNode *n)
{
	OpId id = n->op->id;
	return id == OP_SORT_BY || id == OP_SORT_BY_KEY || id == OP_TOP || id == OP_TAKE_ORDERED;
}

Node *node_sort_key(const DNode *n)
{
	int nargs = n->call->items.n - 1;
	switch (n->op->id) {
	case OP_SORT_BY: return n->call->items.v[1];
	case OP_TOP: case OP_TAKE_ORDERED: return nargs == 2 ? n->call->items.v[2] : NULL;
	default: return NULL;
	}
}

bool node_combines(const DNode *c, const DNode *from)
{
	char k = node_exchange(c, from);
	return (k == 'K' || k == 'R') &&
	       (c->op->id == OP_REDUCE_BY_KEY || c->op->id == OP_COUNT_BY_VALUE ||
		(c->op->cls == OPC_WINDOW && c->op->id != OP_WINDOW));
}

static const char *sink_kind(const DNode *n)
{
	switch (n->op->cls) {
	case OPC_AGG:
		return n->op->id == OP_COUNT ? "counter" : n->op->id == OP_REDUCE ? "accumulator"
		       : node_sorts(n) ? "sort" : "hash aggregate";
	case OPC_WINDOW: return "window panes";
	case OPC_STATE: return "state table";
	case OPC_JOIN: return "join build/probe";
	case OPC_OUTPUT: return "output";
	default: return "?";
	}
}

/* "  uses param("port", 9999), ...": the program parameters n's arguments
 * and functions read (nothing when none). */
static const char *explain_params(const Plan *p, const DNode *n)
{
	Vec v = {0};
	params_used(p->cp, n->call, &v);
	const char *s = "";
	for (int i = 0; i < v.n; i++)
		s = arena_printf("%s%s%s", s, i ? ", " : "  uses ", param_text(v.v[i]));
	return s;
}

static bool dense_in(const DNode *c, const Stage *s)
{
	for (int i = 0; i < c->dense_in.n; i++)
		if (c->dense_in.v[i] == s)
			return true;
	return false;
}

/* n's consumers in stage s's loop, and theirs */
static void explain_tree(FILE *f, const Plan *p, const Stage *s, const DNode *n, int indent)
{
	for (int i = 0; i < n->consumers.n; i++) {
		const DNode *c = n->consumers.v[i];
		fprintf(f, "%*s", indent, "");
		if (node_is_fused(c, n)) {
			fprintf(f, "%s  (%s)  -> %s%s%s%s\n", c->op->name, node_loc(c), ty_str(c->type),
				c->op->cls == OPC_JOIN ? "  [probes the static dataset]" : "",
				c->interned ? "  [its values interned at load: each a dense id]" : "", explain_params(p, c));
			explain_tree(f, p, s, c, indent + 2);
		} else {
			char x = node_exchange(c, n);
			fprintf(f, "=> %s  (%s)  [%s]%s%s%s%s%s\n", c->op->name, node_loc(c), sink_kind(c),
				c->role ? ": " : "", c->role ? c->role : "",
				dense_in(c, s) ? "  [keyed by a dense id here: an array index, one hash probe per key and batch]" : "",
				!x ? "" : x == 'G' ? "  {workers: all to worker 0}"
				: node_combines(c, n) ? "  {workers: by key, combined on each worker first}"
				: "  {workers: by key}", explain_params(p, c));
		}
	}
}

void plan_explain(const Plan *p, void *out)
{
	FILE *f = out;
	fprintf(f, "program %s: batch %s, %d source%s, %d output%s, %d stage%s\n", p->cp->app_name,
		fmt_duration(p->cp->batch_ms), p->sources.n, p->sources.n == 1 ? "" : "s", p->outputs.n,
		p->outputs.n == 1 ? "" : "s", p->stages.n, p->stages.n == 1 ? "" : "s");
	for (int i = 0; i < p->stages.n; i++) {
		const Stage *s = p->stages.v[i];
		const DNode *n = s->producer;
		fprintf(f, "\nstage %d: loop over %s %s  (%s)  -> %s%s\n", s->id,
			n->op->cls == OPC_SOURCE ? "source" : "the result of", n->op->name, node_loc(n),
			ty_str(n->type), n->op->cls == OPC_SOURCE ? explain_params(p, n) : "");
		if (n->is_static)
			fprintf(f, "  (static dataset: runs once at start)\n");
		fprintf(f, "  fused: ");
		if (!s->fused.n)
			fprintf(f, "(nothing)");
		for (int j = 0; j < s->fused.n; j++)
			fprintf(f, "%s%s", j ? " + " : "", ((DNode *)s->fused.v[j])->op->name);
		fprintf(f, "\n");
		explain_tree(f, p, s, n, 2);
	}
}
