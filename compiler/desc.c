/* desc.c: the ds_program descriptor of a plan (see desc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desc.h"
#include "ir.h"
#include "extern.h"
#include "schema.h"

#ifndef DS_VERSION
#define DS_VERSION "0.0.0"
#endif

static const char *const_str(Node *arg)
{
	Node *c = const_value(arg);
	ASSERT(c && c->kind == N_STRING);
	return c->str;
}

/* The descriptor fields a parameter fills: appended to uses. */
typedef struct Uses {
	const CheckedProgram *cp;
	Vec v; /* ds_param_use* */
} Uses;

static void note_param(Uses *u, Node *arg, int source, int output, ds_param_field field)
{
	Node *p = param_of(arg);
	if (!p)
		return;
	ds_param_use *x = arena_alloc(sizeof *x);
	x->param = param_decl(u->cp, p)->index;
	x->source = source;
	x->output = output;
	x->field = field;
	vec_push(&u->v, x);
}

static int find_site(const ds_site *sites, int nsites, const char *loc, const char *op)
{
	for (int j = 0; j < nsites; j++)
		if (!strcmp(sites[j].loc, loc) && !strcmp(sites[j].op, op))
			return j;
	return -1;
}

static void source_desc(ds_source_desc *d, DNode *s, int i, Uses *u, const ds_site *sites, int nsites)
{
	Node **a = (Node **)s->call->items.v;
	switch (s->op->id) {
	case OP_SOCKET_TEXT_STREAM:
		d->kind = DS_SRC_SOCKET;
		d->host = const_str(a[0]);
		d->port = (int)const_value(a[1])->ival;
		note_param(u, a[0], i, -1, DS_PARAM_HOST);
		note_param(u, a[1], i, -1, DS_PARAM_PORT);
		break;
	case OP_TEXT_FILE_STREAM: d->kind = DS_SRC_TEXTDIR; break;
	case OP_QUEUE_STREAM: d->kind = DS_SRC_QUEUE; break;
	case OP_KAFKA_STREAM: case OP_KAFKA_RECORD_STREAM:
		d->kind = DS_SRC_KAFKA;
		d->kafka_records = s->op->id == OP_KAFKA_RECORD_STREAM;
		d->brokers = const_str(a[0]);
		d->topic = const_str(a[1]);
		d->props = s->call->items.n == 3 ? const_str(a[2]) : NULL;
		note_param(u, a[0], i, -1, DS_PARAM_BROKERS);
		note_param(u, a[1], i, -1, DS_PARAM_TOPIC);
		if (d->props)
			note_param(u, a[2], i, -1, DS_PARAM_PROPS);
		d->ops = &ds_kafka_source; /* the engines in this process (the JIT, the interpreter) */
		break;
	case OP_TEXT_FILE: d->kind = DS_SRC_TEXTFILE; break;
	case OP_RECEIVER_STREAM:
		d->kind = DS_SRC_RECEIVER;
		d->fn = ((const ExternFn *)a[0]->aux)->name; /* .receiver: the engine's */
		break;
	case OP_BINARY_RECORDS_STREAM: d->kind = DS_SRC_BINDIR; break;
	case OP_BINARY_QUEUE_STREAM: d->kind = DS_SRC_BINQUEUE; break;
	case OP_BINARY_RECORDS: d->kind = DS_SRC_BINFILE; break;
	default: unreachable();
	}
	if (op_is_binary_source(s->op->id)) {
		Schema sc = schema_of(s->call);
		d->record_len = sc.reclen;
		d->schema = const_str(a[1]);
		if (s->op->id == OP_BINARY_QUEUE_STREAM) {
			d->per_batch = const_value(a[2])->ival;
			note_param(u, a[2], i, -1, DS_PARAM_PER_BATCH);
		}
	}
	if (s->op->id != OP_SOCKET_TEXT_STREAM && s->op->id != OP_RECEIVER_STREAM && s->op->id != OP_KAFKA_STREAM &&
	    s->op->id != OP_KAFKA_RECORD_STREAM) {
		d->path = const_str(a[0]);
		note_param(u, a[0], i, -1, DS_PARAM_PATH);
	}
	d->loc = node_loc(s);
	d->site = find_site(sites, nsites, d->loc, s->op->name);
}

const char *desc_param_field_name(ds_param_field f)
{
	switch (f) {
	case DS_PARAM_HOST: return "DS_PARAM_HOST";
	case DS_PARAM_PORT: return "DS_PARAM_PORT";
	case DS_PARAM_PATH: return "DS_PARAM_PATH";
	case DS_PARAM_PER_BATCH: return "DS_PARAM_PER_BATCH";
	case DS_PARAM_BROKERS: return "DS_PARAM_BROKERS";
	case DS_PARAM_TOPIC: return "DS_PARAM_TOPIC";
	case DS_PARAM_PROPS: return "DS_PARAM_PROPS";
	case DS_PARAM_N: return "DS_PARAM_N";
	case DS_PARAM_PREFIX: return "DS_PARAM_PREFIX";
	case DS_PARAM_SUFFIX: return "DS_PARAM_SUFFIX";
	case DS_PARAM_CONNINFO: return "DS_PARAM_CONNINFO";
	case DS_PARAM_TABLE: return "DS_PARAM_TABLE";
	}
	unreachable();
}

char desc_field_kinds(Type *rec)
{
	rec = ty_resolve(rec);
	switch (rec->kind) {
	case TY_INT: return DS_FIELD_INT;
	case TY_DOUBLE: return DS_FIELD_DOUBLE;
	case TY_BOOL: return DS_FIELD_BOOL;
	default: return DS_FIELD_STRING; /* strings, and the text of composites */
	}
}

const char *desc_foreach_fn(const DNode *o)
{
	if (o->op->id == OP_FOREACH_RECORD)
		return arena_printf("foreach_record_%d", o->out_index);
	return ((const ExternFn *)((Node *)o->call->items.v[1])->aux)->name;
}

static void output_desc(ds_output_desc *d, DNode *o, int i, Uses *u)
{
	Node **a = (Node **)o->call->items.v;
	int nargs = o->call->items.n - 1;
	if (o->op->id == OP_FOREACH_RDD || o->op->id == OP_FOREACH_RECORD) {
		d->kind = DS_OUT_FOREACH;
		d->fn = desc_foreach_fn(o);
		Type *t = ty_resolve(ty_resolve(o->in[0]->type)->elem);
		int n = t->kind == TY_TUPLE ? t->n : 1;
		char *k = arena_alloc((size_t)n + 1);
		for (int i = 0; i < n; i++)
			k[i] = desc_field_kinds(t->kind == TY_TUPLE ? t->elems[i] : t);
		d->fields = k; /* .foreach: the engine's */
	} else if (o->op->id == OP_SAVE_TO_KAFKA) {
		d->kind = DS_OUT_KAFKA;
		d->brokers = const_str(a[1]);
		d->topic = const_str(a[2]);
		d->props = nargs == 3 ? const_str(a[3]) : NULL;
		note_param(u, a[1], -1, i, DS_PARAM_BROKERS);
		note_param(u, a[2], -1, i, DS_PARAM_TOPIC);
		if (d->props)
			note_param(u, a[3], -1, i, DS_PARAM_PROPS);
		d->fields = ty_resolve(ty_resolve(o->in[0]->type)->elem)->kind == TY_TUPLE ? "SS" : "S";
		d->commit = ds_kafka_commit; /* the engines in this process (the JIT, the interpreter) */
	} else if (o->op->id == OP_SAVE_TO_POSTGRES || o->op->id == OP_SAVE_TO_REDIS) {
		bool pg = o->op->id == OP_SAVE_TO_POSTGRES;
		d->kind = pg ? DS_OUT_POSTGRES : DS_OUT_REDIS;
		d->conninfo = const_str(a[1]);
		d->table = const_str(a[2]);
		d->mode = nargs == 3 ? const_str(a[3]) : NULL;
		note_param(u, a[1], -1, i, DS_PARAM_CONNINFO);
		note_param(u, a[2], -1, i, DS_PARAM_TABLE);
		Type *t = ty_resolve(ty_resolve(o->in[0]->type)->elem);
		int n = t->kind == TY_TUPLE ? t->n : 1;
		char *k = arena_alloc((size_t)n + 1);
		for (int f = 0; f < n; f++)
			k[f] = desc_field_kinds(t->kind == TY_TUPLE ? t->elems[f] : t);
		d->fields = k;
		/* the engines in this process (the JIT, the interpreter) */
		d->open = pg ? ds_pg_open : ds_redis_open;
		d->commit = pg ? ds_pg_commit : ds_redis_commit;
	} else if (o->op->id == OP_PRINT) {
		d->kind = DS_OUT_PRINT;
		d->n = nargs ? const_value(a[1])->ival : 10;
		if (nargs)
			note_param(u, a[1], -1, i, DS_PARAM_N);
	} else {
		d->kind = DS_OUT_SAVE;
		d->prefix = const_str(a[1]);
		note_param(u, a[1], -1, i, DS_PARAM_PREFIX);
		if (nargs == 2) {
			d->suffix = const_str(a[2]);
			note_param(u, a[2], -1, i, DS_PARAM_SUFFIX);
		}
	}
	d->loc = node_loc(o);
	d->slide_ms = o->in[0]->slide_ms;
}

ds_program *desc_build(const Plan *p, const ds_site *sites, int nsites)
{
	const CheckedProgram *cp = p->cp;
	ds_program *prog = arena_alloc(sizeof *prog);
	prog->abi_version = DS_ABI_VERSION;
	prog->name = cp->app_name;
	prog->source = cp->ast->src->path;
	prog->batch_ms = cp->batch_ms;
	prog->block_ms = cp->block_ms;
	prog->checkpoint_dir = cp->checkpoint_dir;
	prog->checkpoint_ms = p->checkpoint_ms;
	prog->plan_hash = p->hash;

	Uses u = {.cp = cp};
	ds_source_desc *src = arena_alloc(sizeof *src * (size_t)(p->sources.n + 1));
	for (int i = 0; i < p->sources.n; i++)
		source_desc(&src[i], p->sources.v[i], i, &u, sites, nsites);
	ds_output_desc *out = arena_alloc(sizeof *out * (size_t)(p->outputs.n + 1));
	for (int i = 0; i < p->outputs.n; i++)
		output_desc(&out[i], p->outputs.v[i], i, &u);
	prog->nsources = p->sources.n;
	prog->sources = src;
	prog->noutputs = p->outputs.n;
	prog->outputs = out;
	prog->nsites = nsites;
	prog->sites = sites;
	prog->version = DS_VERSION;
	prog->ncounters = cp->counters.n;
	prog->counters = (const char *const *)cp->counters.v;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 of the source's bytes */
	for (size_t i = 0; i < cp->ast->src->len; i++)
		h = (h ^ (unsigned char)cp->ast->src->text[i]) * 0x100000001b3ULL;
	prog->source_hash = h;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ASSERT(f);
	plan_explain(p, f);
	ASSERT(fclose(f) == 0);
	prog->explain = arena_strndup(text, len);
	free(text);

	ds_param_desc *par = arena_alloc(sizeof *par * (size_t)(cp->params.n + 1));
	for (int i = 0; i < cp->params.n; i++) {
		const ParamDecl *x = cp->params.v[i];
		par[i].name = x->name;
		par[i].type = desc_field_kinds(x->type);
		par[i].def = param_default_text(x);
		par[i].loc = loc_str(x->loc);
	}
	ds_param_use *uses = arena_alloc(sizeof *uses * (size_t)(u.v.n + 1));
	for (int i = 0; i < u.v.n; i++)
		uses[i] = *(ds_param_use *)u.v.v[i];
	prog->nparams = cp->params.n;
	prog->params = par;
	prog->nparam_uses = u.v.n;
	prog->param_uses = uses;
	return prog;
}

void desc_foreach_record_c(void *out, const DNode *o, const char *linkage, const char *name)
{
	FILE *f = out;
	const ExternFn *fn = ((Node *)o->call->items.v[1])->aux;
	Type *t = ty_resolve(ty_resolve(o->in[0]->type)->elem);
	int nf = t->kind == TY_TUPLE ? t->n : 1;
	fprintf(f, "/* %s  foreachRecord(%s): %s once per record */\n", comment_text(node_loc(o)), fn->name, fn->name);
	fprintf(f, "%svoid %s(int64_t batch_time_ms, const ds_rdd *rdd)\n{\n", linkage, name);
	fputs("\t(void)batch_time_ms;\n", f);
	fputs("\tfor (int64_t i = 0; i < ds_rdd_count(rdd); i++) {\n", f);
	for (int k = 0; k < nf; k++)
		if (fn->params[k].ck == CK_STR_LEN || fn->params[k].ck == CK_CSTR)
			fprintf(f, "\t\tsize_t n%d;\n\t\tconst char *s%d = ds_rdd_string(rdd, i, %d, &n%d);\n", k, k, k, k);
	fprintf(f, "\t\t%s(", fn->name);
	for (int k = 0; k < nf; k++) {
		if (k)
			fputs(", ", f);
		switch (fn->params[k].ck) {
		case CK_STR_LEN: fprintf(f, "s%d, n%d", k, k); break;
		case CK_CSTR: fprintf(f, "s%d", k); break;
		case CK_I64: fprintf(f, "ds_rdd_int(rdd, i, %d)", k); break;
		case CK_I32: fprintf(f, "(int)ds_rdd_int(rdd, i, %d)", k); break;
		case CK_DOUBLE: fprintf(f, "ds_rdd_double(rdd, i, %d)", k); break;
		case CK_BOOL: fprintf(f, "ds_rdd_bool(rdd, i, %d)", k); break;
		default: unreachable(); /* the checker accepts only these */
		}
	}
	fputs(");\n\t}\n}\n\n", f);
}

/* What must not change for a state to be restored: its types, and for a
 * window (and a window's running values) its length and slide. */
static const char *state_type(const DNode *n, const char *what)
{
	if (n->op->cls != OPC_WINDOW)
		return what;
	return arena_printf("%s in a %s window sliding by %s", what, fmt_duration(n->window_ms),
			    fmt_duration(n->slide_ms));
}

ds_state_desc *desc_states(const IrProgram *ir, int *n)
{
	ds_state_desc *v = arena_alloc(sizeof *v * (size_t)(ir->tables.n + ir->windows.n + 1));
	int k = 0;
	for (int i = 0; i < ir->tables.n; i++) {
		const IrTable *t = ir->tables.v[i];
		if (!t->ckpt)
			continue;
		ds_state_desc *d = &v[k++];
		d->kind = DS_STATE_TABLE;
		d->name = t->ckpt;
		d->loc = node_loc(t->owner);
		d->op = call_op(t->owner->call)->name;
		d->type = state_type(t->owner, arena_printf("%s -> %s", ty_str(t->key), ty_str(t->val)));
		d->layout = arena_printf("T2%s%s", ty_mangle(t->key), ty_mangle(t->val));
		d->dist = t->owner->keyless ? 'G' : 'K';
	}
	for (int i = 0; i < ir->windows.n; i++) {
		const IrWindow *w = ir->windows.v[i];
		ASSERT(w->ckpt);
		ds_state_desc *d = &v[k++];
		d->kind = DS_STATE_WINDOW;
		d->name = w->ckpt;
		d->loc = node_loc(w->owner);
		d->op = call_op(w->owner->call)->name;
		d->type = state_type(w->owner, ty_str(w->elem));
		d->layout = ty_mangle(w->elem);
		/* a window of records is anyone's; an incremental window's panes
		 * hold (key, value) partials, on the key's worker */
		d->dist = w->owner->op->id == OP_WINDOW ? 'A' : w->owner->keyless ? 'G' : 'P';
	}
	*n = k;
	return v;
}
