/* ast.c: syntax tree constructors, parse_program and the tree dump.
 *
 * Requires: nothing but a SourceFile.  Guarantees: parse_program returns a
 * Program only when no lexical or syntax error was reported; every node
 * and statement has a location.  Nodes live in the compilation arena.
 */
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "parser.h"
#include "lexer.h"

/* ---- constructors ---------------------------------------------------------- */

static Node *node(NodeKind kind, Loc loc)
{
	Node *n = arena_alloc(sizeof *n);
	n->kind = kind;
	n->loc = loc;
	return n;
}

Stmt *ast_stmt(StmtKind kind, Loc loc)
{
	Stmt *s = arena_alloc(sizeof *s);
	s->kind = kind;
	s->loc = loc;
	return s;
}

Node *ast_int(Loc loc, int64_t v)
{
	Node *n = node(N_INT, loc);
	n->ival = v;
	return n;
}

Node *ast_double(Loc loc, double v)
{
	Node *n = node(N_DOUBLE, loc);
	n->dval = v;
	return n;
}

Node *ast_string(Loc loc, const char *s, size_t len)
{
	Node *n = node(N_STRING, loc);
	n->str = s;
	n->slen = len;
	return n;
}

Node *ast_bool(Loc loc, bool v)
{
	Node *n = node(N_BOOL, loc);
	n->ival = v;
	return n;
}

Node *ast_duration(Loc loc, int64_t ms)
{
	Node *n = node(N_DURATION, loc);
	n->ival = ms;
	return n;
}

Node *ast_name(Loc loc, const char *name)
{
	Node *n = node(N_NAME, loc);
	n->name = name;
	return n;
}

Node *ast_placeholder(Loc loc)
{
	return node(N_PLACEHOLDER, loc);
}

Node *ast_tuple(Loc loc, Vec items)
{
	ASSERT(items.n >= 2);
	Node *n = node(N_TUPLE, loc);
	n->items = items;
	return n;
}

Node *ast_list(Loc loc, Vec items)
{
	Node *n = node(N_LIST, loc);
	n->items = items;
	return n;
}

Node *ast_index(Loc loc, Node *base, Node *idx)
{
	Node *n = node(N_INDEX, loc);
	n->lhs = base;
	n->rhs = idx;
	return n;
}

Node *ast_field(Loc loc, Node *base, int64_t i)
{
	Node *n = node(N_FIELD, loc);
	n->lhs = base;
	n->ival = i;
	return n;
}

Node *ast_call(Loc loc, const char *name, Vec args)
{
	Node *n = node(N_CALL, loc);
	n->name = name;
	n->items = args;
	return n;
}

Node *ast_method(Loc loc, Node *recv, Loc name_loc, const char *name, Vec args)
{
	Node *n = node(N_CALL, loc);
	n->name_loc = name_loc;
	n->name = name;
	n->is_method = true;
	vec_push(&n->items, recv);
	for (int i = 0; i < args.n; i++)
		vec_push(&n->items, args.v[i]);
	return n;
}

Node *ast_unary(Loc loc, int op, Node *e)
{
	ASSERT(op == '-' || op == '!');
	Node *n = node(N_UNARY, loc);
	n->op = op;
	n->lhs = e;
	return n;
}

Node *ast_binary(Loc loc, int op, Node *l, Node *r)
{
	Node *n = node(N_BINARY, loc);
	n->op = op;
	n->lhs = l;
	n->rhs = r;
	return n;
}

Node *ast_cond(Loc loc, Node *c, Node *a, Node *b)
{
	Node *n = node(N_COND, loc);
	n->cond = c;
	n->lhs = a;
	n->rhs = b;
	return n;
}

Node *ast_block(Loc loc, Vec items)
{
	Node *n = node(N_BLOCK, loc);
	n->items = items;
	return n;
}

Node *ast_let(Loc loc, const char *name, Node *e)
{
	Node *n = node(N_LET, loc);
	n->name = name;
	n->lhs = e;
	return n;
}

Node *ast_lambda(Loc loc, Vec params, Node *body)
{
	Node *n = node(N_LAMBDA, loc);
	n->params = params;
	n->lhs = body;
	return n;
}

/* ---- parsing --------------------------------------------------------------- */

/* The depth of e (e itself is level 1): with levels(n) > 0, node n counts
 * as that many levels (a name counts its val's definition, for the
 * checker); with levels(n) < 0, e is too deep and that was reported.  Iterative, with its own stack: it runs before any recursive
 * pass.  Past DS_MAX_DEPTH it reports the first node too deep, in source
 * order, and returns -1. */
int ast_depth(Node *e, int (*levels)(const Node *n))
{
	if (!e)
		return 0;
	typedef struct { Node *n; int depth; } Frame;
	size_t cap = 64, top = 0;
	Frame *stack = arena_alloc(cap * sizeof *stack);
	int max = 0;
	stack[top++] = (Frame){e, 1};
	while (top) {
		Frame f = stack[--top];
		int k = levels ? levels(f.n) : 0;
		if (k < 0)
			return -1; /* too deep already, and reported */
		int d = f.depth + (k > 0 ? k - 1 : 0);
		if (d > DS_MAX_DEPTH) {
			if (k > 1)
				error_at(f.n->loc, "expression nested deeper than %d levels, counting the "
						   "definition of '%s'", DS_MAX_DEPTH, f.n->name);
			else
				error_at(f.n->loc, "expression nested deeper than %d levels", DS_MAX_DEPTH);
			return -1;
		}
		if (d > max)
			max = d;
		size_t need = top + 3 + (size_t)f.n->items.n;
		if (need > cap) { /* the arena has no realloc: the old stack stays until the end */
			while (cap < need)
				cap *= 2;
			Frame *ns = arena_alloc(cap * sizeof *stack);
			memcpy(ns, stack, top * sizeof *stack);
			stack = ns;
		}
		/* pushed last to first: the first node found too deep is the
		 * first in the source */
		for (int i = f.n->items.n - 1; i >= 0; i--)
			stack[top++] = (Frame){f.n->items.v[i], d + 1};
		Node *kids[3] = {f.n->rhs, f.n->lhs, f.n->cond};
		for (int i = 0; i < 3; i++)
			if (kids[i])
				stack[top++] = (Frame){kids[i], d + 1};
	}
	return max;
}

Program *parse_program(const SourceFile *src)
{
	int errors = diag_error_count();
	Program *prog = arena_alloc(sizeof *prog);
	prog->src = src;

	LexState ls = {.src = src, .pos = {1, 1, 0}, .end = {1, 1, 0}};
	yyscan_t scanner;
	if (yylex_init_extra(&ls, &scanner) != 0)
		die("cannot create the scanner");
	YY_BUFFER_STATE buf = yy_scan_bytes(src->text, (int)src->len, scanner);
	int rc = yyparse(scanner, prog);
	parse_flush_bigints(&ls); /* a statement cut short by end of file */
	yy_delete_buffer(buf, scanner);
	yylex_destroy(scanner);

	if (rc != 0 || diag_error_count() > errors)
		return NULL;
	for (int i = 0; i < prog->stmts.n; i++)
		ast_depth(((Stmt *)prog->stmts.v[i])->expr, NULL);
	if (diag_error_count() > errors)
		return NULL;
	return prog;
}

/* ---- dump ------------------------------------------------------------------ */

const char *op_name(int op)
{
	switch (op) {
	case OP_EQ: return "==";
	case OP_NE: return "!=";
	case OP_LE: return "<=";
	case OP_GE: return ">=";
	case OP_AND: return "&&";
	case OP_OR: return "||";
	case '+': return "+";
	case '-': return "-";
	case '*': return "*";
	case '/': return "/";
	case '%': return "%";
	case '<': return "<";
	case '>': return ">";
	case '!': return "!";
	default: die("op_name: unknown operator %d", op);
	}
}

/* A string literal with C escapes, as the user could have written it. */
static void dump_string(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		default:
			if (c < 0x20 || c == 0x7F)
				fprintf(out, "\\x%02X", c);
			else
				fputc(c, out);
		}
	}
	fputc('"', out);
}

static void dump_node(FILE *out, const Node *n, int depth);

static void dump_items(FILE *out, const Vec *items, int from, int depth)
{
	for (int i = from; i < items->n; i++)
		dump_node(out, items->v[i], depth);
}

/* One node per line: "(kind line:col detail", children indented below,
 * and the closing parenthesis after the last child. */
static void dump_node(FILE *out, const Node *n, int depth)
{
	fprintf(out, "\n%*s(", depth * 2, "");
	switch (n->kind) {
	case N_INT:
		fprintf(out, "int %d:%d %lld", n->loc.line, n->loc.col, (long long)n->ival);
		break;
	case N_DOUBLE:
		fprintf(out, "double %d:%d %.17g", n->loc.line, n->loc.col, n->dval);
		break;
	case N_STRING:
		fprintf(out, "string %d:%d ", n->loc.line, n->loc.col);
		dump_string(out, n->str, n->slen);
		break;
	case N_BOOL:
		fprintf(out, "bool %d:%d %s", n->loc.line, n->loc.col, n->ival ? "true" : "false");
		break;
	case N_DURATION:
		fprintf(out, "duration %d:%d %lldms", n->loc.line, n->loc.col, (long long)n->ival);
		break;
	case N_NAME:
		fprintf(out, "name %d:%d %s", n->loc.line, n->loc.col, n->name);
		break;
	case N_PLACEHOLDER:
		fprintf(out, "placeholder %d:%d", n->loc.line, n->loc.col);
		break;
	case N_TUPLE:
		fprintf(out, "tuple %d:%d", n->loc.line, n->loc.col);
		dump_items(out, &n->items, 0, depth + 1);
		break;
	case N_LIST:
		fprintf(out, "list %d:%d", n->loc.line, n->loc.col);
		dump_items(out, &n->items, 0, depth + 1);
		break;
	case N_INDEX:
		fprintf(out, "index %d:%d", n->loc.line, n->loc.col);
		dump_node(out, n->lhs, depth + 1);
		dump_node(out, n->rhs, depth + 1);
		break;
	case N_FIELD:
		fprintf(out, "field %d:%d _%lld", n->loc.line, n->loc.col, (long long)n->ival);
		dump_node(out, n->lhs, depth + 1);
		break;
	case N_CALL:
		fprintf(out, "%s %d:%d %s", n->is_method ? "method" : "call", n->loc.line,
			n->loc.col, n->name);
		dump_items(out, &n->items, 0, depth + 1);
		break;
	case N_UNARY:
	case N_BINARY:
		fprintf(out, "%s %d:%d", op_name(n->op), n->loc.line, n->loc.col);
		dump_node(out, n->lhs, depth + 1);
		if (n->rhs)
			dump_node(out, n->rhs, depth + 1);
		break;
	case N_COND:
		fprintf(out, "?: %d:%d", n->loc.line, n->loc.col);
		dump_node(out, n->cond, depth + 1);
		dump_node(out, n->lhs, depth + 1);
		dump_node(out, n->rhs, depth + 1);
		break;
	case N_BLOCK:
		fprintf(out, "block %d:%d", n->loc.line, n->loc.col);
		dump_items(out, &n->items, 0, depth + 1);
		break;
	case N_LET:
		fprintf(out, "let %d:%d %s", n->loc.line, n->loc.col, n->name);
		dump_node(out, n->lhs, depth + 1);
		break;
	case N_LAMBDA:
		fprintf(out, "lambda %d:%d (", n->loc.line, n->loc.col);
		for (int i = 0; i < n->params.n; i++) {
			const Param *p = n->params.v[i];
			fprintf(out, "%s%s", i ? " " : "", p->name);
		}
		fputc(')', out);
		dump_node(out, n->lhs, depth + 1);
		break;
	}
	if (n->parenthesized)
		fputs(" parenthesized", out);
	fputc(')', out);
}

static void dump_stmt(FILE *out, const Stmt *s)
{
	static const char *const names[] = {
		[ST_APP] = "app", [ST_BATCH] = "batch", [ST_BLOCK] = "block",
		[ST_CHECKPOINT] = "checkpoint", [ST_EXTERN] = "extern",
		[ST_VAL] = "val", [ST_EXPR] = "expr",
	};
	fprintf(out, "(%s %d:%d", names[s->kind], s->loc.line, s->loc.col);
	switch (s->kind) {
	case ST_APP:
	case ST_EXTERN:
		fputc(' ', out);
		dump_string(out, s->str, strlen(s->str));
		break;
	case ST_BATCH:
	case ST_BLOCK:
		fprintf(out, " %lldms", (long long)s->dur_ms);
		break;
	case ST_CHECKPOINT:
		fputc(' ', out);
		dump_string(out, s->str, strlen(s->str));
		if (s->dur_ms)
			fprintf(out, " every %lldms", (long long)s->dur_ms);
		break;
	case ST_VAL:
		fprintf(out, " %s", s->name);
		dump_node(out, s->expr, 1);
		break;
	case ST_EXPR:
		dump_node(out, s->expr, 1);
		break;
	}
	fputs(")\n", out);
}

void ast_dump(const Program *p, void *FILE_out)
{
	FILE *out = FILE_out;
	for (int i = 0; i < p->stmts.n; i++)
		dump_stmt(out, p->stmts.v[i]);
}
