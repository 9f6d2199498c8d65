/* ir.c: the text form of the loop IR, for --stop-after=lower.
 *
 * One statement a line, nested by indentation; expressions in prefix form
 * with their types where they matter: (call ds_split arena line_1 " ").
 * Documented in compiler/IR.md.
 */
#include <stdio.h>
#include <string.h>

#include <dstream/rt.h>

#include "ir.h"
#include "schema.h"

static void dexpr(FILE *f, const IrExpr *x);

static const char *kind_name[] = {
	[IE_INT] = "int", [IE_DOUBLE] = "double", [IE_BOOL] = "bool", [IE_STR] = "str",
	[IE_VAR] = "var", [IE_SCALAR] = "state", [IE_ENTRY_KEY] = "key", [IE_ENTRY_VAL] = "val",
	[IE_FIELD] = "field", [IE_TUPLE] = "tuple", [IE_SOME] = "some", [IE_NONE] = "none",
	[IE_IS_SOME] = "is-some", [IE_OPT_VAL] = "opt-val", [IE_LIST_LEN] = "list-len",
	[IE_LIST_AT] = "list-at", [IE_STR_LEN] = "str-len", [IE_NEG] = "neg", [IE_NOT] = "not",
	[IE_BIN] = "bin", [IE_EQ] = "eq", [IE_COND] = "cond", [IE_I2D] = "i2d", [IE_D2I] = "d2i",
	[IE_CALL] = "call", [IE_ADDR] = "addr", [IE_ARENA] = "arena", [IE_BATCH_TIME] = "batch-time", [IE_TASK] = "task",
	[IE_PARAM] = "param",
	[IE_TO_STR] = "to-str", [IE_SIZEOF] = "sizeof", [IE_FOUND] = "found",
	[IE_COPY] = "copy", [IE_TABLE_COUNT] = "table-count", [IE_EXTERN] = "extern",
	[IE_LOAD] = "load", [IE_OUT_FULL] = "out-full", [IE_HASH] = "hash", [IE_OWNS] = "owns",
	[IE_EXCHANGING] = "exchanging",
};

static void dvar(FILE *f, const IrVar *v) { fprintf(f, "%s_%d", v->name, v->id); }

static void dexpr(FILE *f, const IrExpr *x)
{
	switch (x->kind) {
	case IE_INT: fprintf(f, "%lld", (long long)x->ival); return;
	case IE_DOUBLE: fprintf(f, "%.17g", x->dval); return;
	case IE_BOOL: fputs(x->ival ? "true" : "false", f); return;
	case IE_STR:
		fputc('"', f);
		for (size_t i = 0; i < x->slen; i++) {
			unsigned char c = (unsigned char)x->str[i];
			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c < 0x20 || c >= 0x7f)
				fprintf(f, "\\x%02x", c);
			else
				fputc(c, f);
		}
		fputc('"', f);
		return;
	case IE_VAR: dvar(f, x->var); return;
	case IE_SCALAR: fprintf(f, "state.%s", x->scalar->name); return;
	case IE_ARENA: fputs("arena", f); return;
	case IE_BATCH_TIME: fputs("batch-time", f); return;
	case IE_TASK: fputs("task", f); return;
	case IE_PARAM: fprintf(f, "(param %lld)", (long long)x->ival); return;
	case IE_OUT_FULL: fprintf(f, "(out-full %lld)", (long long)x->ival); return;
	case IE_EXCHANGING: fputs("exchanging", f); return;
	case IE_ADDR: fputc('&', f); dvar(f, x->var); return;
	case IE_LOAD: {
		SchemaField fd = {(FieldKind)x->op, x->ival, (int64_t)x->slen};
		fprintf(f, "(load %s ", field_name(&fd));
		dvar(f, x->var);
		fprintf(f, " +%lld)", (long long)x->ival);
		return;
	}
	default: break;
	}
	fprintf(f, "(%s", kind_name[x->kind]);
	if (x->kind == IE_CALL)
		fprintf(f, " %s", x->fn);
	if (x->kind == IE_EXTERN)
		fprintf(f, " %s \"%s\"", x->fn, x->ext->include);
	if (x->kind == IE_BIN)
		fprintf(f, " %s", op_name(x->op));
	if (x->kind == IE_FIELD)
		fprintf(f, " _%lld", (long long)x->ival + 1);
	if (x->kind == IE_COPY || x->kind == IE_TABLE_COUNT)
		fprintf(f, " %s", x->table ? x->table->name : "batch-arena");
	if (x->kind == IE_ENTRY_KEY || x->kind == IE_ENTRY_VAL || x->kind == IE_FOUND) {
		fputc(' ', f);
		dvar(f, x->var);
	}
	if (x->optype)
		fprintf(f, " :%s", ty_str(x->optype));
	for (int i = 0; i < x->n; i++) {
		fputc(' ', f);
		dexpr(f, x->a[i]);
	}
	if (x->kind == IE_TUPLE || x->kind == IE_NONE || x->kind == IE_LIST_AT)
		fprintf(f, " :%s", ty_str(x->type));
	fputc(')', f);
}

static void dstmts(FILE *f, const Vec *v, int depth);

static void dstmt(FILE *f, const IrStmt *s, int depth)
{
	if (s->comment)
		fprintf(f, "%*s# %s\n", depth * 2, "", s->comment);
	fprintf(f, "%*s", depth * 2, "");
	switch (s->kind) {
	case IS_LET:
		fputs("let ", f);
		dvar(f, s->var);
		fprintf(f, " :%s", ty_str(s->var->type));
		if (s->e) {
			fputs(" = ", f);
			dexpr(f, s->e);
		}
		fputc('\n', f);
		return;
	case IS_SET:
		fputs("set ", f);
		dexpr(f, s->lhs);
		fputs(" = ", f);
		dexpr(f, s->e);
		fputc('\n', f);
		return;
	case IS_IF:
		fputs("if ", f);
		dexpr(f, s->e);
		fputc('\n', f);
		dstmts(f, &s->body, depth + 1);
		if (s->els.n) {
			fprintf(f, "%*selse\n", depth * 2, "");
			dstmts(f, &s->els, depth + 1);
		}
		return;
	case IS_FOR_LINES:
		fprintf(f, "for-lines ");
		dvar(f, s->var);
		fprintf(f, " in source %d\n", s->src);
		dstmts(f, &s->body, depth + 1);
		return;
	case IS_FOR_RECORDS:
		fprintf(f, "for-records ");
		dvar(f, s->var);
		fprintf(f, " in source %d (%lld bytes each)\n", s->src, (long long)s->reclen);
		dstmts(f, &s->body, depth + 1);
		return;
	case IS_FOR_RANGE:
		fputs("for ", f);
		dvar(f, s->var);
		fputs(" in ", f);
		dexpr(f, s->lhs);
		fputs(" .. ", f);
		dexpr(f, s->e);
		fputc('\n', f);
		dstmts(f, &s->body, depth + 1);
		return;
	case IS_FOR_SPLIT:
		fputs("for-split ", f);
		dvar(f, s->var);
		fputs(" in ", f);
		dexpr(f, s->lhs);
		fputs(" by ", f);
		dexpr(f, s->e);
		fputc('\n', f);
		dstmts(f, &s->body, depth + 1);
		return;
	case IS_FOR_TABLE:
		fputs("for-entries ", f);
		dvar(f, s->var);
		fprintf(f, " in %s\n", s->table->name);
		dstmts(f, &s->body, depth + 1);
		return;
	case IS_CHECK:
		fputs("check ", f);
		dexpr(f, s->e);
		fprintf(f, " else bad(site %d, \"%s\", ", s->site, s->why);
		dexpr(f, s->sample);
		fprintf(f, ") goto L%d\n", s->label);
		return;
	case IS_LABEL:
		fprintf(f, "L%d:\n", s->label);
		return;
	case IS_UPSERT:
		fputs("upsert ", f);
		dvar(f, s->var);
		fputs(", ", f);
		dvar(f, s->fresh);
		fprintf(f, " = %s[", s->table->name);
		dexpr(f, s->e);
		if (s->table->dense) { /* the entry is found by the key's dense id */
			fputs(" @ id ", f);
			dexpr(f, s->lhs);
		}
		fputs("]\n", f);
		return;
	case IS_LOOKUP:
		fputs("lookup ", f);
		dvar(f, s->var);
		fprintf(f, " = %s[", s->table->name);
		dexpr(f, s->e);
		fputs("]\n", f);
		return;
	case IS_TABLE_SWAP:
		fprintf(f, "table-swap %s %s\n", s->table->name, s->swap_with->name);
		return;
	case IS_PUSH:
		fputs("push ", f);
		dexpr(f, s->lhs);
		fputs(" <- ", f);
		dexpr(f, s->e);
		fputc('\n', f);
		return;
	case IS_OUTPUT:
		fprintf(f, "output %d%s <- ", s->out, s->typed ? " typed" : "");
		dexpr(f, s->e);
		fputc('\n', f);
		return;
	case IS_BLOCK:
		fputs("block\n", f);
		dstmts(f, &s->body, depth + 1);
		return;
	case IS_CALL_STAGE:
		fprintf(f, "run %s\n", s->fn);
		return;
	case IS_WINDOW_INIT:
		fprintf(f, "window-init %s :%s panes %d\n", s->window->name, ty_str(s->window->elem), s->window->npanes);
		return;
	case IS_WINDOW_BEGIN:
		fprintf(f, "window-begin-batch %s\n", s->window->name);
		return;
	case IS_WINDOW_CLOSE:
		fprintf(f, "window-close %s\n", s->window->name);
		return;
	case IS_PANE_PUSH:
		fprintf(f, "pane-push %s <- ", s->window->name);
		dexpr(f, s->e);
		fputc('\n', f);
		return;
	case IS_FOR_WINDOW:
		fputs("for-window ", f);
		dvar(f, s->var);
		fprintf(f, " in %s (T - %lld ms, T - %lld ms]\n", s->window->name, (long long)s->from_ago,
			(long long)s->to_ago);
		dstmts(f, &s->body, depth + 1);
		return;
	case IS_BREAK:
		fputs("break\n", f);
		return;
	case IS_OUT_SKIP:
		fputs("out-skip ", f);
		dexpr(f, s->e);
		fputc('\n', f);
		return;
	case IS_XCHG_PUT:
		fprintf(f, "exchange-put %d to-owner-of ", s->out);
		dexpr(f, s->lhs);
		fputs(" <- ", f);
		dexpr(f, s->e);
		fputc('\n', f);
		return;
	case IS_FOR_XCHG:
		fputs("for-exchange ", f);
		dvar(f, s->var);
		fprintf(f, " :%s in %d\n", ty_str(s->var->type), s->out);
		dstmts(f, &s->body, depth + 1);
		return;
	case IS_BARRIER:
		fputs("barrier\n", f);
		return;
	case IS_SORT:
		fputs("sort ", f);
		dexpr(f, s->lhs);
		fprintf(f, " by :%s", ty_str(ty_resolve(s->lhs->type)->elem));
		if (s->e) {
			fprintf(f, " only the %s ", s->largest ? "largest" : "smallest");
			dexpr(f, s->e);
		}
		fputc('\n', f);
		return;
	case IS_TABLE_RESERVE:
		fprintf(f, "table-reserve %s for source %d\n", s->table->name, s->src);
		return;
	case IS_TABLE_INIT:
		fprintf(f, "table-init %s :%s -> %s%s\n", s->table->name, ty_str(s->table->key), ty_str(s->table->val),
			s->table->persistent ? " persistent" : "");
		return;
	case IS_TABLE_CLEAR:
		fprintf(f, "table-clear %s\n", s->table->name);
		return;
	case IS_TABLE_CLOSE:
		fprintf(f, "table-close %s\n", s->table->name);
		return;
	}
	die("cannot dump statement kind %d", s->kind);
}

static void dstmts(FILE *f, const Vec *v, int depth)
{
	for (int i = 0; i < v->n; i++)
		dstmt(f, v->v[i], depth);
}

static void dfunc(FILE *f, const IrFunc *fn)
{
	fprintf(f, "func %s  # %s\n", fn->name, fn->comment);
	dstmts(f, &fn->body, 1);
	fputc('\n', f);
}

const ds_site *ir_sites(const IrProgram *ir)
{
	if (!ir->sites.n)
		return NULL;
	ds_site *v = arena_alloc(sizeof *v * (size_t)ir->sites.n);
	for (int i = 0; i < ir->sites.n; i++) {
		const IrSite *s = ir->sites.v[i];
		v[i] = (ds_site){s->loc, s->op};
	}
	return v;
}

void ir_dump(const IrProgram *ir, void *out)
{
	FILE *f = out;
	for (int i = 0; i < ir->tables.n; i++) {
		const IrTable *t = ir->tables.v[i];
		fprintf(f, "%s %s :%s -> %s  # %s\n", t->dense ? "dense-table" : "table", t->name, ty_str(t->key),
			ty_str(t->val), t->comment);
	}
	for (int i = 0; i < ir->scalars.n; i++) {
		const IrScalar *s = ir->scalars.v[i];
		fprintf(f, "state %s :%s  # %s\n", s->name, ty_str(s->type), s->comment);
	}
	for (int i = 0; i < ir->windows.n; i++) {
		const IrWindow *w = ir->windows.v[i];
		fprintf(f, "window %s :%s panes %d slide %lld ms  # %s\n", w->name, ty_str(w->elem), w->npanes,
			(long long)w->slide_ms, w->comment);
	}
	for (int i = 0; i < ir->sites.n; i++) {
		const IrSite *s = ir->sites.v[i];
		fprintf(f, "site %d %s %s\n", i, s->loc, s->op);
	}
	fputc('\n', f);
	for (int i = 0; i < ir->init_stages.n; i++)
		dfunc(f, ir->init_stages.v[i]);
	for (int i = 0; i < ir->stages.n; i++)
		dfunc(f, ir->stages.v[i]);
	dfunc(f, ir->init);
	dfunc(f, ir->run_batch);
	dfunc(f, ir->close);
}
