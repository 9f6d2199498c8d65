/* plan.h: the DStream graph and the physical plan (stages).
 *
 * Requires: a CheckedProgram with no errors.
 * Guarantees: every stream expression that reaches an output is one DNode
 * (a val used twice is one node with two consumers); every DNode that is
 * a source or a stage boundary (aggregation, window, state, join) produces
 * exactly one stage; every narrow node is fused into the stage(s) whose
 * loop produces its input (a union's consumers into both inputs' stages);
 * stages are ordered so that a stage runs after every stage feeding it.
 */
#ifndef DS_PLAN_H
#define DS_PLAN_H

#include "check.h"

typedef struct Stage Stage;

typedef struct DNode {
	int id;
	const OpInfo *op;
	Node *call;      /* the operator's call in the source */
	struct DNode *in[2];
	int nin;
	Type *type;      /* element type of the stream this node produces */
	Vec consumers;   /* DNode*, in program order */
	bool is_static;  /* part of a static Dataset (computed once at start) */
	int src_index;   /* sources: index into Plan.sources */
	int out_index;   /* outputs: index into Plan.outputs */
	int depth;       /* stage order: 0 for sources, 1 + inputs' for boundaries */
	int64_t slide_ms;  /* produces records only at batch times that are multiples of this */
	int64_t window_ms; /* OP_WINDOW: the window's length */
	int64_t slide_arg; /* OP_WINDOW made by the planner: its slide (0: read the call) */
	const char *role;  /* a node the planner made for another operator: what it does there */
	bool skip_zero;    /* OP_COUNT made for countByWindow: no record for an empty batch */
	/* window operators with an inverse (Spark's ReducedWindowedDStream) */
	Node *fn, *inv_fn, *filter_fn; /* lambdas, or NULL: counting (+, -, != 0) */
	bool keyless;      /* reduceByWindow / countByWindow: values, not (k, v) pairs */
	int64_t timeout_ms; /* mapWithState: idle time after which a key times out (0: never) */
	const char *state_id; /* a node with state a checkpoint keeps: its operator's
				 stable identity (plan_state_ids), else NULL */
	int static_side;   /* a join of a stream with a static Dataset, fused into the
			      stream's loop as a probe of the Dataset's table: the
			      Dataset's side (0 or 1); -1 for every other node */
	/* set by lowering (lower.c), shown by explain: */
	bool interned;     /* such a join: the Dataset's values got dense ids at load */
	Vec dense_in;      /* Stage*: a keyed aggregate's, the stages whose records
			      reach it with such an id as their key (an array
			      index there, not a hash probe) */
} DNode;

struct Stage {
	int id;          /* 1-based, in run order */
	DNode *producer; /* a source or a boundary node */
	Vec fused;       /* narrow DNodes in this stage's loop, in emission order */
};

typedef struct Plan {
	CheckedProgram *cp;
	Vec nodes;   /* DNode*, all of them */
	Vec sources; /* DNode* */
	Vec outputs; /* DNode*, program order */
	Vec stages;  /* Stage*, run order */
	uint64_t hash; /* of the plan's shape, for checkpoint compatibility */
	int64_t checkpoint_ms; /* with a checkpoint: its interval in batch time (as
				  written, or the default: see plan_program); else 0 */
} Plan;

Plan *plan_program(CheckedProgram *cp);
bool node_is_boundary(const DNode *n); /* not narrow, not a source, not an output */
/* Whether c runs in the loop that produces its input from: a narrow
 * operator, or a static join probed from its stream side. */
bool node_is_fused(const DNode *c, const DNode *from);
/* Whether consumer i of n gets n's records: not a join listed again (a
 * stream joined with itself is both inputs of one join, which takes each
 * record into both sides at once), while a union with itself does get
 * them twice, as in Spark. */
bool node_feeds(const DNode *n, int i);
/* How c takes the records of its input `from` when a batch runs on several
 * workers (lang/SPEC.md §19): 'K' each to the worker that owns the key (the
 * record's first field), 'R' the owner of the record itself, 'G' all to
 * worker 0 (an aggregate of the whole stream), or 0: where the record is
 * (narrow operators, windows of records, outputs, a static join's probe,
 * and everything a static Dataset computes, once in every worker). */
char node_exchange(const DNode *c, const DNode *from);
/* sortBy, sortByKey, top, takeOrdered: the batch in order, on worker 0. */
bool node_sorts(const DNode *n);
/* A sort's key function (sortBy's f, top's and takeOrdered's optional one),
 * or NULL: the record is its own key (sortByKey: the pair, key first). */
Node *node_sort_key(const DNode *n);
/* Whether each worker first reduces what it sends to c (map-side combine). */
bool node_combines(const DNode *c, const DNode *from);
/* "wordcount.dstream:7:21" */
char *node_loc(const DNode *n);
/* `dstreamc explain`: the stages and what each one fused. */
void plan_explain(const Plan *p, void *FILE_out);

#endif
