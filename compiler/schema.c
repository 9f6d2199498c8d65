/* schema.c: parsing the record schemas of the binary sources (see schema.h). */
#include <stdint.h>
#include <string.h>

#include "ast.h"
#include "schema.h"

static const struct {
	const char *name;
	FieldKind kind;
	int64_t size;
} scalar_fields[] = {
	{"i8", FK_I8, 1},   {"i16", FK_I16, 2}, {"i32", FK_I32, 4}, {"i64", FK_I64, 8},
	{"u8", FK_U8, 1},   {"u16", FK_U16, 2}, {"u32", FK_U32, 4},
	{"f32", FK_F32, 4}, {"f64", FK_F64, 8},
};

/* The N of "_N" or "bN" (p[0, n) are the digits): 1 .. SCHEMA_MAX_RECORD, or -1. */
static int64_t count_of(const char *p, size_t n)
{
	if (n == 0 || n > 7 || p[0] == '0')
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= SCHEMA_MAX_RECORD ? v : -1;
}

const char *schema_parse(const char *s, size_t len, Schema *out, size_t *at, size_t *n)
{
	Vec fields = {0};
	int64_t off = 0;
	size_t i = 0;
	memset(out, 0, sizeof *out);
	while (i < len) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && s[j] != ' ')
			j++;
		/* the field s[i, j) */
		*at = i;
		*n = j - i;
		SchemaField f = {0};
		bool found = false;
		for (size_t k = 0; k < sizeof scalar_fields / sizeof scalar_fields[0]; k++)
			if (strlen(scalar_fields[k].name) == j - i && !memcmp(scalar_fields[k].name, s + i, j - i)) {
				f.kind = scalar_fields[k].kind;
				f.size = scalar_fields[k].size;
				found = true;
			}
		bool pad = !found && s[i] == '_';
		if (!found && (pad || s[i] == 'b')) {
			f.kind = FK_BYTES;
			f.size = count_of(s + i + 1, j - i - 1);
			if (f.size < 0)
				return arena_printf("'%.*s' is not a valid %s: %sN with N from 1 to %d", (int)(j - i),
						    s + i, pad ? "padding" : "bytes field", pad ? "_" : "b",
						    SCHEMA_MAX_RECORD);
			found = true;
		}
		if (!found)
			return arena_printf("unknown field type '%.*s' (expected i8, i16, i32, i64, u8, u16, u32, "
					    "f32, f64, bN for N bytes, or _N for N bytes of padding)",
					    (int)(j - i), s + i);
		f.off = off;
		off += f.size;
		if (off > SCHEMA_MAX_RECORD)
			return arena_printf("the record is longer than %d bytes", SCHEMA_MAX_RECORD);
		if (!pad) {
			SchemaField *p = arena_alloc(sizeof *p);
			*p = f;
			vec_push(&fields, p);
		}
		i = j;
	}
	*at = SIZE_MAX;
	*n = len;
	if (fields.n == 0)
		return off ? "the schema has only padding: it needs a field" : "the schema is empty: it needs a field";
	out->fields = arena_alloc(sizeof *out->fields * (size_t)fields.n);
	for (int k = 0; k < fields.n; k++)
		out->fields[k] = *(SchemaField *)fields.v[k];
	out->n = fields.n;
	out->reclen = off;
	return NULL;
}

static Type *field_type(const SchemaField *f)
{
	switch (f->kind) {
	case FK_F32: case FK_F64: return ty_double();
	case FK_BYTES: return ty_string();
	default: return ty_int();
	}
}

Type *schema_type(const Schema *sc)
{
	ASSERT(sc->n > 0);
	if (sc->n == 1)
		return field_type(&sc->fields[0]);
	Type **elems = arena_alloc(sizeof *elems * (size_t)sc->n);
	for (int i = 0; i < sc->n; i++)
		elems[i] = field_type(&sc->fields[i]);
	return ty_tuple(sc->n, elems);
}

const char *field_name(const SchemaField *f)
{
	static const char *names[] = {
		[FK_I8] = "i8", [FK_I16] = "i16", [FK_I32] = "i32", [FK_I64] = "i64", [FK_U8] = "u8",
		[FK_U16] = "u16", [FK_U32] = "u32", [FK_F32] = "f32", [FK_F64] = "f64",
	};
	if (f->kind == FK_BYTES)
		return arena_printf("b%lld", (long long)f->size);
	return names[f->kind];
}

bool op_is_binary_source(int op_id)
{
	return op_id == OP_BINARY_RECORDS_STREAM || op_id == OP_BINARY_QUEUE_STREAM || op_id == OP_BINARY_RECORDS;
}

Schema schema_of(Node *call)
{
	ASSERT(call->items.n >= 2);
	Node *lit = const_value(call->items.v[1]);
	ASSERT(lit && lit->kind == N_STRING);
	Schema sc;
	size_t at, n;
	if (schema_parse(lit->str, lit->slen, &sc, &at, &n))
		die("schema_of: the checker accepted a bad schema");
	return sc;
}
