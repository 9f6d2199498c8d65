/* params.c: program parameters (lang/SPEC.md §7.1).  A program declares
 * them with param("name"[, default]); a run gives their values with
 * --param NAME=VALUE.  Before any source opens, ds_main checks every value
 * against its parameter's type and makes its own copy of the program's
 * source and output descriptors with the values where the program used a
 * parameter as an argument (ds_program.param_uses); generated code reads
 * the values with ds_param_int and its siblings.  Everything here belongs
 * to the main thread until the run starts, and is read-only after. */
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>

static const char *ds__param_type_name(char type)
{
	switch (type) {
	case 'I': return "Int";
	case 'D': return "Double";
	case 'B': return "Boolean";
	default: return "String";
	}
}

static int ds__param_find(const ds_program *prog, const char *name, size_t n)
{
	for (int k = 0; k < prog->nparams; k++)
		if (strlen(prog->params[k].name) == n && memcmp(prog->params[k].name, name, n) == 0)
			return k;
	return -1;
}

void ds__usage_params(FILE *f, const ds_program *prog)
{
	if (prog->nparams > 0)
		fprintf(f, "\nparameters (--param NAME=VALUE):\n");
	int w = 0;
	for (int k = 0; k < prog->nparams; k++)
		if ((int)strlen(prog->params[k].name) > w)
			w = (int)strlen(prog->params[k].name);
	for (int k = 0; k < prog->nparams; k++) {
		const ds_param_desc *p = &prog->params[k];
		fprintf(f, "  %-*s  %-7s  ", w, p->name, ds__param_type_name(p->type));
		if (!p->def)
			fprintf(f, "required");
		else if (p->type == 'S')
			fprintf(f, "default \"%s\"", p->def);
		else
			fprintf(f, "default %s", p->def);
		fprintf(f, "  at %s\n", p->loc ? p->loc : "?");
	}
}

bool ds__params_flag(const char *cmd, const ds_program *prog, ds__opts *o, const char *val)
{
	const char *eq = strchr(val, '=');
	if (!eq || eq == val) {
		ds__msg(cmd, "invalid value for '--param': '%s' (NAME=VALUE; see --help)", val);
		return false;
	}
	int k = ds__param_find(prog, val, (size_t)(eq - val));
	if (k < 0) {
		char names[512] = "";
		size_t len = 0;
		for (int i = 0; i < prog->nparams && len < sizeof names; i++)
			len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
			                        prog->params[i].name);
		ds__msg(cmd, "--param %s: the program has no parameter '%.*s' (%s%s; see --help)", val, (int)(eq - val),
		        val, prog->nparams ? "its parameters: " : "it has none", names);
		return false;
	}
	o->param_text[k] = eq + 1; /* a later --param of the same name wins */
	return true;
}

/* Text as a value of p's type; false when it is not one. */
static bool ds__param_parse(const ds_param_desc *p, const char *text, ds__param_value *v)
{
	ds_str s = {text, (int64_t)strlen(text)};
	v->s = s;
	switch (p->type) {
	case 'I': return ds_to_int(s, &v->i);
	case 'D': return ds_to_double(s, &v->d);
	case 'B':
		v->b = strcmp(text, "true") == 0;
		return v->b || strcmp(text, "false") == 0;
	default: return true;
	}
}

/* Says why parameter k's value does not fit the descriptor field it fills. */
static void ds__param_misfit(const char *cmd, const ds_program *prog, const ds__opts *o, const ds_param_use *u,
                             const char *what, const char *why)
{
	const ds_param_desc *p = &prog->params[u->param];
	const char *op = u->source >= 0 ? ds__source_kind_name(&prog->sources[u->source])
	                 : prog->outputs[u->output].kind == DS_OUT_PRINT ? "print"
	                 : prog->outputs[u->output].kind == DS_OUT_SAVE  ? "saveAsTextFiles"
	                 : prog->outputs[u->output].kind == DS_OUT_POSTGRES ? "saveToPostgres"
	                 : prog->outputs[u->output].kind == DS_OUT_REDIS  ? "saveToRedis"
	                                                                 : "saveToKafka";
	const char *loc = u->source >= 0 ? prog->sources[u->source].loc : prog->outputs[u->output].loc;
	ds__msg(cmd, "--param %s=%s: parameter '%s' (declared at %s) is %s of %s at %s: %s", p->name,
	        o->params[u->param].s.p, p->name, p->loc ? p->loc : "?", what, op, loc ? loc : "?", why);
}

int ds__params_open(const char *cmd, const ds_program *prog, ds__opts *o, ds_program *eff)
{
	*eff = *prog;
	if (prog->nparams <= 0)
		return 0;
	o->params = ds__xcalloc((size_t)prog->nparams, sizeof *o->params);
	for (int k = 0; k < prog->nparams; k++) {
		const ds_param_desc *p = &prog->params[k];
		const char *text = o->param_text[k] ? o->param_text[k] : p->def;
		if (!text) {
			ds__msg(cmd, "parameter '%s' (declared at %s) is required: give it with --param %s=VALUE", p->name,
			        p->loc ? p->loc : "?", p->name);
			return 2;
		}
		if (!ds__param_parse(p, text, &o->params[k])) {
			ds__msg(cmd, "--param %s=%s: parameter '%s' (declared at %s) is %s, and '%s' is not one", p->name,
			        text, p->name, p->loc ? p->loc : "?",
			        p->type == 'I' ? "an Int" : p->type == 'D' ? "a Double" : "a Boolean (true or false)", text);
			return 2;
		}
	}
	if (prog->nparam_uses <= 0)
		return 0;
	/* our own descriptors, with the values where the program has parameters */
	ds_source_desc *src = ds__xcalloc((size_t)(prog->nsources > 0 ? prog->nsources : 1), sizeof *src);
	ds_output_desc *out = ds__xcalloc((size_t)(prog->noutputs > 0 ? prog->noutputs : 1), sizeof *out);
	if (prog->nsources > 0)
		memcpy(src, prog->sources, sizeof *src * (size_t)prog->nsources);
	if (prog->noutputs > 0)
		memcpy(out, prog->outputs, sizeof *out * (size_t)prog->noutputs);
	eff->sources = src;
	eff->outputs = out;
	for (int i = 0; i < prog->nparam_uses; i++) {
		const ds_param_use *u = &prog->param_uses[i];
		if (u->param < 0 || u->param >= prog->nparams || (u->source < 0) == (u->output < 0) ||
		    u->source >= prog->nsources || u->output >= prog->noutputs) {
			ds__msg(cmd, "the program's parameter table is damaged (use %d)", i);
			return 2;
		}
		const ds__param_value *v = &o->params[u->param];
		ds_source_desc *s = u->source >= 0 ? &src[u->source] : NULL;
		ds_output_desc *d = u->output >= 0 ? &out[u->output] : NULL;
		const char *str = v->s.p;
		if ((!s && u->field <= DS_PARAM_PER_BATCH) || (!d && u->field >= DS_PARAM_N)) {
			ds__msg(cmd, "the program's parameter table is damaged (use %d)", i);
			return 2;
		}
		switch (u->field) {
		case DS_PARAM_HOST: s->host = str; break;
		case DS_PARAM_PATH: s->path = str; break;
		case DS_PARAM_PORT:
			if (v->i < 1 || v->i > 65535) {
				ds__param_misfit(cmd, prog, o, u, "the port", "out of range 1..65535");
				return 2;
			}
			s->port = (int)v->i;
			break;
		case DS_PARAM_PER_BATCH:
			if (v->i < 1) {
				ds__param_misfit(cmd, prog, o, u, "the records per batch", "it must be positive");
				return 2;
			}
			s->per_batch = v->i;
			break;
		case DS_PARAM_N:
			if (v->i < 1) {
				ds__param_misfit(cmd, prog, o, u, "the record count", "it must be at least 1");
				return 2;
			}
			d->n = v->i;
			break;
		case DS_PARAM_BROKERS: case DS_PARAM_TOPIC: case DS_PARAM_PREFIX:
			if (!*str) {
				const char *what = u->field == DS_PARAM_BROKERS ? "the brokers"
				                   : u->field == DS_PARAM_TOPIC ? "the topic" : "the prefix";
				ds__param_misfit(cmd, prog, o, u, what, "it must not be empty");
				return 2;
			}
			if (u->field == DS_PARAM_PREFIX)
				d->prefix = str;
			else if (u->field == DS_PARAM_BROKERS)
				*(s ? &s->brokers : &d->brokers) = str;
			else
				*(s ? &s->topic : &d->topic) = str;
			break;
		case DS_PARAM_PROPS: *(s ? &s->props : &d->props) = str; break;
		case DS_PARAM_SUFFIX: d->suffix = str; break;
		case DS_PARAM_CONNINFO: d->conninfo = str; break; /* "": libpq's defaults (PGHOST, ...) */
		case DS_PARAM_TABLE:
			if (!*str) {
				ds__param_misfit(cmd, prog, o, u, d->kind == DS_OUT_REDIS ? "the hash" : "the table",
				                 "it must not be empty");
				return 2;
			}
			d->table = str;
			break;
		default:
			ds__msg(cmd, "the program's parameter table is damaged (field %d)", (int)u->field);
			return 2;
		}
	}
	return 0;
}

void ds__params_close(ds__opts *o, const ds_program *prog, ds_program *eff)
{
	if (eff->sources != prog->sources)
		free((void *)eff->sources);
	if (eff->outputs != prog->outputs)
		free((void *)eff->outputs);
	free(o->params);
	o->params = NULL;
}

int64_t ds_param_int(ds_task *t, int k) { return t->rt->opts.params[k].i; }
double ds_param_double(ds_task *t, int k) { return t->rt->opts.params[k].d; }
bool ds_param_bool(ds_task *t, int k) { return t->rt->opts.params[k].b; }
ds_str ds_param_str(ds_task *t, int k) { return t->rt->opts.params[k].s; }
