/* parser.y: the .dstream grammar (lang/SPEC.md, "Grammar").
 *
 * A pure (reentrant) bison parser over the flex scanner in lexer.l.  Every
 * token carries a Loc; actions build the tree with the ast_* constructors
 * of compiler/ast.c and nothing else.  A syntax error is reported with its
 * location and the parser resynchronises at the next ';' (or, inside a
 * block, at the next ';' or '}'), so that every error in the file is
 * reported in one run.
 *
 * Two places need care to stay free of conflicts (%expect 0):
 * - `(a, b) => e` starts like the tuple `(a, b)`: both are parsed as a
 *   parenthesised expression list and the lambda rule turns the list into
 *   parameters, reporting items that are not plain names.
 * - `-9223372036854775808`: the scanner hands 9223372036854775808 over as
 *   INT64_MIN and the parser remembers the node; unary minus folds it (and
 *   every other number literal) into a negative literal, and a remembered
 *   node that was not negated is reported as out of range at the end of its
 *   statement.
 */

%code requires {
#include "ast.h"

#ifndef DS_YYSCAN_T
#define DS_YYSCAN_T
typedef void *yyscan_t;
#endif

/* The scanner's state (flex's extra data), shared with the parser. */
typedef struct LexState {
	const SourceFile *src;
	Loc pos;     /* where the next unread byte is */
	Loc end;     /* just past the last token returned: where EOF is reported */
	Loc prev_end; /* just past the token before that one */
	Vec bigints; /* of Node*: 9223372036854775808 literals not yet negated */
} LexState;
}

%code provides {
/* Report every literal in ls->bigints as out of range and forget them. */
void parse_flush_bigints(LexState *ls);
}

%code {
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lexer.h"

static void yyerror(Loc *loc, yyscan_t scanner, Program *prog, const char *msg);
static Stmt *stmt_arg(StmtKind kind, Loc loc, Loc arg_loc);
static Stmt *stmt_str(StmtKind kind, Loc loc, Loc arg_loc, const char *s);
static Stmt *stmt_dur(StmtKind kind, Loc loc, Loc arg_loc, int64_t ms);
static Stmt *stmt_val(Loc loc, Loc name_loc, const char *name, Node *e);
static Stmt *stmt_expr(Loc loc, Node *e);
static Stmt *stmt_checkpoint(Loc loc, Loc arg_loc, const char *dir, int64_t every);
static Vec vec_of(void *p);
static Vec vec_add(Vec v, void *p);
static Node *int_literal(yyscan_t scanner, Loc loc, int64_t v);
static Node *negate(yyscan_t scanner, Loc loc, Node *e);
static Node *member(Loc loc, Node *recv, Loc name_loc, const char *name);
static Node *paren(Loc loc, Vec items);
static Node *lambda_of(Loc loc, Vec items, Node *body);
/* Scala's `s.map { x => ... }`: a block as the one argument; a block that
 * is only a lambda is that lambda. */
static Node *block_arg(Node *block)
{
	if (block->items.n == 1 && ((Node *)block->items.v[0])->kind == N_LAMBDA)
		return block->items.v[0];
	return block;
}

static Node *block_of(Loc loc, Vec items, Loc close);
static Node *block_arg(Node *block);
static Node *annotated(Loc loc, const char *name, Node *type);
static Node *empty_block(Loc loc, Loc close);
static void add_stmt(yyscan_t scanner, Program *prog, Stmt *s);

#define YYLLOC_DEFAULT(cur, rhs, n) \
	((cur) = (n) ? YYRHSLOC(rhs, 1) : YYRHSLOC(rhs, 0))
}

%define api.pure full
%define api.location.type {Loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {Program *prog}

%union {
	int64_t ival;
	double dval;
	struct {
		const char *s;
		size_t n;
	} str;
	const char *name;
	Node *node;
	Stmt *stmt;
	Vec vec;
}

%token <ival> INT "integer" DURATION "duration"
%token <dval> FLOAT "number"
%token <str> STRING "string"
%token <name> NAME "name"
%token PLACEHOLDER "_"
%token APP "app" BATCH "batch" BLOCK "block" CHECKPOINT "checkpoint" EVERY "every"
%token EXTERN "extern" VAL "val" TRUE "true" FALSE "false"
%token ARROW "=>" LE "<=" GE ">=" EQ "==" NE "!=" AND "&&" OR "||"

%type <stmt> stmt
%type <node> expr lambda binexpr postfix primary block item pexpr ptype
%type <vec> args exprs parens items pexprs ptypes

/* C precedence, loosest first.  Lambdas are looser still: they are only
 * reachable through `expr`, so a lambda body extends as far as it can. */
%right '?' ':'
%left OR
%left AND
%left EQ NE
%left '<' LE '>' GE
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY

%%

program
	: %empty
	| program stmt             { add_stmt(scanner, prog, $2); }
	;

/* stmt: one statement, always ended by ';' (a lone ';' is an empty one) */
stmt
	: APP STRING ';'           { $$ = stmt_str(ST_APP, @1, @2, $2.s); }
	| BATCH DURATION ';'       { $$ = stmt_dur(ST_BATCH, @1, @2, $2); }
	| BLOCK DURATION ';'       { $$ = stmt_dur(ST_BLOCK, @1, @2, $2); }
	| CHECKPOINT STRING ';'    { $$ = stmt_checkpoint(@1, @2, $2.s, 0); }
	| CHECKPOINT STRING EVERY DURATION ';' { $$ = stmt_checkpoint(@1, @2, $2.s, $4); }
	| EXTERN STRING ';'        { $$ = stmt_str(ST_EXTERN, @1, @2, $2.s); }
	| VAL NAME '=' expr ';'    { $$ = stmt_val(@1, @2, $2, $4); }
	| expr ';'                 { $$ = stmt_expr(@1, $1); }
	| ';'                      { $$ = NULL; }
	| error ';'                { $$ = NULL; yyerrok; }
	;

/* expr: lambda | binexpr */
expr
	: lambda
	| binexpr
	;

/* lambda: NAME "=>" expr | "(" ")" "=>" expr | "(" NAME {"," NAME} ")" "=>" expr */
lambda
	: NAME ARROW expr          { $$ = lambda_of(@1, vec_of(ast_name(@1, $1)), $3); }
	| '(' ')' ARROW expr       { $$ = lambda_of(@1, (Vec){0}, $4); }
	| parens ARROW expr        { $$ = lambda_of(@1, $1, $3); }
	;

/* binexpr: binexpr OP binexpr | binexpr "?" expr ":" binexpr | ("-" | "!") binexpr | postfix */
binexpr
	: binexpr '?' expr ':' binexpr { $$ = ast_cond(@1, $1, $3, $5); }
	| binexpr OR binexpr       { $$ = ast_binary(@1, OP_OR, $1, $3); }
	| binexpr AND binexpr      { $$ = ast_binary(@1, OP_AND, $1, $3); }
	| binexpr EQ binexpr       { $$ = ast_binary(@1, OP_EQ, $1, $3); }
	| binexpr NE binexpr       { $$ = ast_binary(@1, OP_NE, $1, $3); }
	| binexpr '<' binexpr      { $$ = ast_binary(@1, '<', $1, $3); }
	| binexpr LE binexpr       { $$ = ast_binary(@1, OP_LE, $1, $3); }
	| binexpr '>' binexpr      { $$ = ast_binary(@1, '>', $1, $3); }
	| binexpr GE binexpr       { $$ = ast_binary(@1, OP_GE, $1, $3); }
	| binexpr '+' binexpr      { $$ = ast_binary(@1, '+', $1, $3); }
	| binexpr '-' binexpr      { $$ = ast_binary(@1, '-', $1, $3); }
	| binexpr '*' binexpr      { $$ = ast_binary(@1, '*', $1, $3); }
	| binexpr '/' binexpr      { $$ = ast_binary(@1, '/', $1, $3); }
	| binexpr '%' binexpr      { $$ = ast_binary(@1, '%', $1, $3); }
	| '-' binexpr %prec UNARY  { $$ = negate(scanner, @1, $2); }
	| '!' binexpr %prec UNARY  { $$ = ast_unary(@1, '!', $2); }
	| postfix
	;

/* postfix: primary | NAME "(" args ")" | postfix "." NAME ["(" args ")" | block]
 *        | postfix "[" expr "]" */
postfix
	: primary
	| NAME '(' args ')'        { $$ = ast_call(@1, $1, $3); }
	| postfix '.' NAME '(' args ')' { $$ = ast_method(@1, $1, @3, $3, $5); }
	| postfix '.' NAME block   { $$ = ast_method(@1, $1, @3, $3, vec_of(block_arg($4))); }
	| postfix '.' NAME         { $$ = member(@1, $1, @3, $3); }
	| postfix '[' expr ']'     { $$ = ast_index(@1, $1, $3); }
	;

/* primary: literal | NAME | "_" | "(" exprs ")" | "[" args "]" | block */
primary
	: INT                      { $$ = int_literal(scanner, @1, $1); }
	| FLOAT                    { $$ = ast_double(@1, $1); }
	| STRING                   { $$ = ast_string(@1, $1.s, $1.n); }
	| DURATION                 { $$ = ast_duration(@1, $1); }
	| TRUE                     { $$ = ast_bool(@1, true); }
	| FALSE                    { $$ = ast_bool(@1, false); }
	| NAME                     { $$ = ast_name(@1, $1); }
	| PLACEHOLDER              { $$ = ast_placeholder(@1); }
	| parens                   { $$ = paren(@1, $1); }
	| '[' args ']'             { $$ = ast_list(@1, $2); }
	| block
	;

/* parens: "(" expr {"," expr} ")": a parenthesised expression, a tuple or
 * lambda parameters; its location (@1 where it is used) is the '(' */
parens
	: '(' pexprs ')'           { $$ = $2; }
	;

pexprs
	: pexpr                    { $$ = vec_of($1); }
	| pexprs ',' pexpr         { $$ = vec_add($1, $3); }
	;

/* pexpr: an expression, or a lambda parameter with Scala's type: `a: Int` */
pexpr
	: expr
	| NAME ':' ptype           { $$ = annotated(@1, $1, $3); }
	;

/* ptype: Int | Seq[Int] | (Int, String): Scala's types, as lambdas declare them */
ptype
	: NAME                     { $$ = ast_name(@1, $1); }
	| NAME '[' ptypes ']'      { $$ = ast_call(@1, $1, $3); }
	| '(' ptypes ')'           { $$ = ast_tuple(@1, $2); }
	;

ptypes
	: ptype                    { $$ = vec_of($1); }
	| ptypes ',' ptype         { $$ = vec_add($1, $3); }
	;

args
	: %empty                   { $$ = (Vec){0}; }
	| exprs
	;

exprs
	: expr                     { $$ = vec_of($1); }
	| exprs ',' expr           { $$ = vec_add($1, $3); }
	;

/* block: "{" item {";" item} [";"] "}" where the last item is an expression */
block
	: '{' items '}'            { $$ = block_of(@1, $2, @3); }
	| '{' items ';' '}'        { $$ = block_of(@1, $2, @4); }
	| '{' '}'                  { $$ = empty_block(@1, @2); }
	;

items
	: item                     { $$ = vec_of($1); }
	| items ';' item           { $$ = vec_add($1, $3); }
	;

/* item: "val" NAME "=" expr | expr */
item
	: VAL NAME '=' expr        { $$ = ast_let(@1, $2, $4); }
	| expr
	| error                    { $$ = ast_int(@1, 0); }
	;

%%

/* ---- syntax errors -------------------------------------------------------- */

static void yyerror(Loc *loc, yyscan_t scanner, Program *prog, const char *msg)
{
	(void)scanner;
	(void)prog;
	if (!strcmp(msg, "memory exhausted")) /* bison's stack: YYMAXDEPTH */
		error_at(*loc, "expression nested deeper than %d levels", DS_MAX_DEPTH);
	else
		error_at(*loc, "%s", msg);
}

static bool is_char_token(yysymbol_kind_t k, const char *chars)
{
	const char *s = yysymbol_name(k);
	return s[0] == '\'' && s[1] && s[2] == '\'' && strchr(chars, s[1]);
}

/* Tokens that can start an expression: reported together as "expression". */
static bool starts_expr(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_INT: case YYSYMBOL_DURATION: case YYSYMBOL_FLOAT:
	case YYSYMBOL_STRING: case YYSYMBOL_NAME: case YYSYMBOL_PLACEHOLDER:
	case YYSYMBOL_TRUE: case YYSYMBOL_FALSE:
		return true;
	default:
		return is_char_token(k, "([{-!");
	}
}

/* Tokens that would continue the expression just read (operators, '.',
 * '[', '(' and "=>"): not worth listing when something else is expected. */
static bool continues_expr(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_ARROW: case YYSYMBOL_LE: case YYSYMBOL_GE: case YYSYMBOL_EQ:
	case YYSYMBOL_NE: case YYSYMBOL_AND: case YYSYMBOL_OR:
		return true;
	default:
		return is_char_token(k, "+-*/%<>?.[(");
	}
}

/* How a token is named in "expected ...". */
static const char *token_desc(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_YYEOF: return "end of file";
	case YYSYMBOL_INT: return "integer";
	case YYSYMBOL_DURATION: return "duration";
	case YYSYMBOL_FLOAT: return "number";
	case YYSYMBOL_STRING: return "string";
	case YYSYMBOL_NAME: return "name";
	default: break;
	}
	/* "'_'", "'('", ...: bison's names of keywords come unquoted. */
	const char *s = yysymbol_name(k);
	if (s[0] == '\'' || s[0] == '"')
		return arena_strndup(s + 1, strlen(s) - 2);
	return s;
}

static bool is_keyword(yysymbol_kind_t k)
{
	return k == YYSYMBOL_APP || k == YYSYMBOL_BATCH || k == YYSYMBOL_BLOCK ||
	       k == YYSYMBOL_CHECKPOINT || k == YYSYMBOL_EXTERN || k == YYSYMBOL_VAL;
}

/* What a Scala (or C) habit that ends in this syntax error should be
 * instead, as " (...)", or "": `=` where `==` fits, and Scala's
 * `{ case ... }` lambdas (a '{' followed by `case` earlier on the line). */
static const char *syntax_hint(const yypcontext_t *ctx, yyscan_t scanner, yysymbol_kind_t tok,
			       const yysymbol_kind_t *exp, int n)
{
	if (is_char_token(tok, "=")) {
		for (int i = 0; i < n; i++)
			if (exp[i] == YYSYMBOL_EQ)
				return " (to compare, write '==')";
	}
	const LexState *ls = yyget_extra(scanner);
	Loc loc = *yypcontext_location(ctx);
	const char *text = ls->src->text, *p = text + (loc.off <= ls->src->len ? loc.off : ls->src->len);
	const char *bol = p;
	while (bol > text && bol[-1] != '\n')
		bol--;
	for (const char *q = bol; q < p + 1 && *q && *q != '\n'; q++) {
		if (*q != '{')
			continue;
		const char *w = q + 1;
		while (*w == ' ' || *w == '\t')
			w++;
		if (!strncmp(w, "case", 4) && !(isalnum((unsigned char)w[4]) || w[4] == '_'))
			return " (Scala's '{ case ... }' functions are not supported: write '(a, b) => ...' "
			       "or 'p => ...' with p._1, p._2)";
	}
	/* what precedes the offending token on its line */
	const char *q = p;
	while (q > bol && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	if (tok == YYSYMBOL_CHECKPOINT && q > bol && q[-1] == '.')
		return " (the checkpoint directory is a statement of its own: checkpoint \"DIR\";)";
	if (q - bol >= 3 && !strncmp(q - 3, "new", 3) && (q - 3 == bol || !isalnum((unsigned char)q[-4])))
		return " (Scala's 'new': a dstream program has no SparkConf or StreamingContext; its name and "
		       "batch interval are the statements app \"Name\"; and batch 2s;)";
	return "";
}

/* "syntax error: unexpected ')', expected expression or ']'" at the
 * offending token.  Expression-starting tokens are folded into
 * "expression"; when one is expected, statement keywords and end of file
 * (a new statement) are left out; operators that would extend what was just
 * read are left out when anything else is expected. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner,
				 Program *prog)
{
	(void)prog;
	yysymbol_kind_t tok = yypcontext_token(ctx);
	Loc loc = *yypcontext_location(ctx);
	const char *unexpected;
	if (tok == YYSYMBOL_YYEOF)
		unexpected = "end of file";
	else if (tok == YYSYMBOL_STRING)
		unexpected = "string";
	else if (yyget_leng(scanner) > 40) /* a very long name or number */
		unexpected = arena_printf("'%.*s...'", 40, yyget_text(scanner));
	else
		unexpected = arena_printf("'%.*s'", (int)yyget_leng(scanner),
					  yyget_text(scanner));

	enum { MAX = YYNTOKENS };
	yysymbol_kind_t exp[MAX];
	int n = yypcontext_expected_tokens(ctx, exp, MAX);
	/* Wherever an expression fits, both a name and a number do. */
	bool name = false, number = false, other = false;
	for (int i = 0; i < n; i++) {
		name |= exp[i] == YYSYMBOL_NAME;
		number |= exp[i] == YYSYMBOL_INT;
	}
	bool expr = name && number;
	const char *list[MAX];
	int m = 0;
	if (expr)
		list[m++] = "expression";
	for (int i = 0; i < n; i++) {
		yysymbol_kind_t k = exp[i];
		if ((expr && (starts_expr(k) || is_keyword(k) || k == YYSYMBOL_YYEOF)) ||
		    continues_expr(k))
			continue;
		list[m++] = token_desc(k);
		other = true;
	}
	const char *hint = syntax_hint(ctx, scanner, tok, exp, n);
	if (!expr && !other) { /* only operators fit: name none */
		error_at(loc, "syntax error: unexpected %s%s", unexpected, hint);
		return 0;
	}
	/* A missing ';' at the end of a line: point at the end of the line,
	 * not at the next statement. */
	LexState *ls = yyget_extra(scanner);
	if (m == 1 && !strcmp(list[0], ";") && tok != YYSYMBOL_YYEOF &&
	    loc.line > ls->prev_end.line) {
		error_at(ls->prev_end, "syntax error: expected ';' at the end of the statement%s", hint);
		return 0;
	}
	char buf[512];
	int len = 0;
	for (int i = 0; i < m && len < (int)sizeof buf - 64; i++) {
		const char *sep = i == 0 ? "" : i == m - 1 ? " or " : ", ";
		bool quote = strcmp(list[i], "expression") && strcmp(list[i], "end of file") &&
			     strcmp(list[i], "name") && strcmp(list[i], "string") &&
			     strcmp(list[i], "integer") && strcmp(list[i], "duration") &&
			     strcmp(list[i], "number");
		len += snprintf(buf + len, sizeof buf - (size_t)len, quote ? "%s'%s'" : "%s%s",
				sep, list[i]);
	}
	error_at(loc, "syntax error: unexpected %s, expected %s%s", unexpected, buf, hint);
	return 0;
}

/* ---- actions' helpers ----------------------------------------------------- */

static Stmt *stmt_arg(StmtKind kind, Loc loc, Loc arg_loc)
{
	Stmt *s = ast_stmt(kind, loc);
	s->arg_loc = arg_loc;
	return s;
}

static Stmt *stmt_str(StmtKind kind, Loc loc, Loc arg_loc, const char *str)
{
	Stmt *s = stmt_arg(kind, loc, arg_loc);
	s->str = str;
	return s;
}

static Stmt *stmt_dur(StmtKind kind, Loc loc, Loc arg_loc, int64_t ms)
{
	Stmt *s = stmt_arg(kind, loc, arg_loc);
	s->dur_ms = ms;
	return s;
}

static Stmt *stmt_checkpoint(Loc loc, Loc arg_loc, const char *dir, int64_t every)
{
	Stmt *s = stmt_str(ST_CHECKPOINT, loc, arg_loc, dir);
	s->dur_ms = every;
	return s;
}

static Stmt *stmt_val(Loc loc, Loc name_loc, const char *name, Node *e)
{
	Stmt *s = stmt_arg(ST_VAL, loc, name_loc);
	s->name = name;
	s->expr = e;
	return s;
}

static Stmt *stmt_expr(Loc loc, Node *e)
{
	Stmt *s = ast_stmt(ST_EXPR, loc);
	s->expr = e;
	return s;
}

static void add_stmt(yyscan_t scanner, Program *prog, Stmt *s)
{
	parse_flush_bigints(yyget_extra(scanner));
	if (s)
		vec_push(&prog->stmts, s);
}

static Vec vec_of(void *p)
{
	Vec v = {0};
	vec_push(&v, p);
	return v;
}

static Vec vec_add(Vec v, void *p)
{
	vec_push(&v, p);
	return v;
}

static Node *int_literal(yyscan_t scanner, Loc loc, int64_t v)
{
	Node *n = ast_int(loc, v);
	if (v == INT64_MIN) /* 9223372036854775808: fine only after '-' */
		vec_push(&((LexState *)yyget_extra(scanner))->bigints, n);
	return n;
}

void parse_flush_bigints(LexState *ls)
{
	for (int i = 0; i < ls->bigints.n; i++) {
		Node *n = ls->bigints.v[i];
		if (n)
			error_at(n->loc, "integer literal '9223372036854775808' is out of range");
	}
	ls->bigints.n = 0;
}

/* "-" binexpr: a negated number literal is folded into the literal, so
 * that -9223372036854775808 is an Int. */
static Node *negate(yyscan_t scanner, Loc loc, Node *e)
{
	if (e->parenthesized)
		return ast_unary(loc, '-', e);
	if (e->kind == N_DOUBLE)
		return ast_double(loc, -e->dval);
	if (e->kind != N_INT)
		return ast_unary(loc, '-', e);
	LexState *ls = yyget_extra(scanner);
	for (int i = 0; i < ls->bigints.n; i++) {
		if (ls->bigints.v[i] == e) {
			ls->bigints.v[i] = NULL;
			return ast_int(loc, INT64_MIN);
		}
	}
	if (e->ival == INT64_MIN) /* - -9223372036854775808 */
		return ast_unary(loc, '-', e);
	return ast_int(loc, -e->ival);
}

/* postfix "." NAME: a tuple field `t._2`, or a method call without
 * parentheses `s.count` */
static Node *member(Loc loc, Node *recv, Loc name_loc, const char *name)
{
	if (name[0] == '_' && name[1] && strspn(name + 1, "0123456789") == strlen(name + 1)) {
		int64_t n = 0;
		for (const char *p = name + 1; *p && n < INT32_MAX; p++)
			n = n * 10 + (*p - '0');
		return ast_field(loc, recv, n);
	}
	return ast_method(loc, recv, name_loc, name, (Vec){0});
}

/* "(" exprs ")" as an expression: the expression itself, or a tuple. */
static Node *annotated(Loc loc, const char *name, Node *type)
{
	Node *n = ast_name(loc, name);
	n->annot = type;
	return n;
}

static Node *paren(Loc loc, Vec items)
{
	ASSERT(items.n >= 1);
	for (int i = 0; i < items.n; i++) {
		Node *e = items.v[i];
		if (e->annot) {
			error_at(e->loc, "a type annotation ('%s: ...') is only allowed on the parameters of a "
					 "function: (%s: T) => ...", e->name, e->name);
			e->annot = NULL;
		}
	}
	if (items.n == 1) {
		Node *e = items.v[0];
		e->parenthesized = true;
		return e;
	}
	return ast_tuple(loc, items);
}

static Node *lambda_of(Loc loc, Vec items, Node *body)
{
	Vec params = {0};
	for (int i = 0; i < items.n; i++) {
		Node *e = items.v[i];
		if (e->kind != N_NAME || e->parenthesized) {
			error_at(e->loc, "lambda parameters must be names");
			continue;
		}
		Param *p = arena_alloc(sizeof *p);
		p->name = e->name;
		p->loc = e->loc;
		p->annot = e->annot;
		vec_push(&params, p);
	}
	return ast_lambda(loc, params, body);
}

static Node *block_of(Loc loc, Vec items, Loc close)
{
	Node *last = items.v[items.n - 1];
	if (last->kind == N_LET)
		error_at(close, "a block must end with an expression");
	return ast_block(loc, items);
}

static Node *empty_block(Loc loc, Loc close)
{
	error_at(close, "a block must end with an expression");
	return ast_block(loc, (Vec){0});
}
