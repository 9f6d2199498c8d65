/* schema.h: the record schemas of the binary sources.
 *
 * binaryRecordsStream(dir, schema), binaryQueueStream(path, schema, n) and
 * binaryRecords(path, schema) read fixed-length records whose layout is a
 * constant string such as "i64 i32 _4 f64": fields separated by spaces,
 * little-endian, packed (no alignment), in this order.  The checker parses
 * it (and reports a bad field at its column in the string); lowering turns
 * each field into one load; desc.c takes the record length from it.
 *
 * Requires: nothing but the string.  Guarantees: a Schema that parsed has
 * at least one value field, offsets within the record and a record length
 * that is their sum, at most SCHEMA_MAX_RECORD bytes.
 */
#ifndef DS_SCHEMA_H
#define DS_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

#define SCHEMA_MAX_RECORD (1 << 20) /* bytes: a record, and one padding or bytes field */

typedef enum FieldKind {
	FK_I8, FK_I16, FK_I32, FK_I64, /* signed integers -> Int */
	FK_U8, FK_U16, FK_U32,         /* unsigned integers -> Int (u64 would not fit) */
	FK_F32, FK_F64,                /* IEEE floats -> Double */
	FK_BYTES,                      /* bN: N raw bytes -> String */
} FieldKind;

typedef struct SchemaField {
	FieldKind kind;
	int64_t off;  /* byte offset in the record */
	int64_t size; /* bytes */
} SchemaField;

typedef struct Schema {
	SchemaField *fields; /* the value fields (padding is not one), in order */
	int n;
	int64_t reclen;      /* bytes per record, padding included */
} Schema;

/* Parses s[0, len).  On success returns NULL and fills *out (in the
 * compiler's arena); on error returns the message and sets *at, *n to the
 * offending field s[*at, *at + *n), or *at to SIZE_MAX when the message is
 * about the schema as a whole. */
const char *schema_parse(const char *s, size_t len, Schema *out, size_t *at, size_t *n);
/* The language type of one record: the field's type for one field, else a tuple. */
Type *schema_type(const Schema *sc);
/* "i64", "u16", "b12", ... */
const char *field_name(const SchemaField *f);

/* binaryRecordsStream, binaryQueueStream, binaryRecords */
bool op_is_binary_source(int op_id);
/* The schema of a checked binary source's call (its second argument). */
Schema schema_of(Node *call);

#endif
