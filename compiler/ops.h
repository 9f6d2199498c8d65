/* ops.h: every DStream operator and every builtin function, defined once.
 *
 * The checker types them, the planner cuts stages by their class, lowering
 * and the interpreter implement them: all of them switch over the ids
 * generated here, so adding an operator starts with one line in this
 * table.  ORDER MATTERS NOT; names are Spark's.
 */
#ifndef DS_OPS_H
#define DS_OPS_H

#include <stdbool.h>

typedef enum OpClass {
	OPC_SOURCE, /* produces records: no stream input */
	OPC_NARROW, /* record at a time: fused into the consuming loop */
	OPC_AGG,    /* per-batch aggregation: a stage boundary (hash table or accumulator) */
	OPC_WINDOW, /* keeps panes across batches: a stage boundary */
	OPC_STATE,  /* keeps per-key state across batches: a stage boundary */
	OPC_JOIN,   /* two inputs by key: a stage boundary (build and probe) */
	OPC_OUTPUT, /* ends a pipeline */
} OpClass;

/* X(ID, "sparkName", class, stream inputs, min args, max args)
 * args count what is written between the parentheses. */
#define DS_STREAM_OPS(X) \
	X(SOCKET_TEXT_STREAM, "socketTextStream", OPC_SOURCE, 0, 2, 2) \
	X(TEXT_FILE_STREAM, "textFileStream", OPC_SOURCE, 0, 1, 1) \
	X(QUEUE_STREAM, "queueStream", OPC_SOURCE, 0, 1, 1) \
	X(KAFKA_STREAM, "kafkaStream", OPC_SOURCE, 0, 2, 3) \
	X(KAFKA_RECORD_STREAM, "kafkaRecordStream", OPC_SOURCE, 0, 2, 3) \
	X(TEXT_FILE, "textFile", OPC_SOURCE, 0, 1, 1) \
	X(RECEIVER_STREAM, "receiverStream", OPC_SOURCE, 0, 1, 1) \
	X(BINARY_RECORDS_STREAM, "binaryRecordsStream", OPC_SOURCE, 0, 2, 2) \
	X(BINARY_QUEUE_STREAM, "binaryQueueStream", OPC_SOURCE, 0, 3, 3) \
	X(BINARY_RECORDS, "binaryRecords", OPC_SOURCE, 0, 2, 2) \
	X(MAP, "map", OPC_NARROW, 1, 1, 1) \
	X(FLAT_MAP, "flatMap", OPC_NARROW, 1, 1, 1) \
	X(FILTER, "filter", OPC_NARROW, 1, 1, 1) \
	X(MAP_VALUES, "mapValues", OPC_NARROW, 1, 1, 1) \
	X(FLAT_MAP_VALUES, "flatMapValues", OPC_NARROW, 1, 1, 1) \
	X(UNION, "union", OPC_NARROW, 2, 1, 1) \
	X(REPARTITION, "repartition", OPC_NARROW, 1, 1, 1) \
	X(COUNT, "count", OPC_AGG, 1, 0, 0) \
	X(REDUCE, "reduce", OPC_AGG, 1, 1, 1) \
	X(COUNT_BY_VALUE, "countByValue", OPC_AGG, 1, 0, 1) \
	X(REDUCE_BY_KEY, "reduceByKey", OPC_AGG, 1, 1, 2) \
	X(GROUP_BY_KEY, "groupByKey", OPC_AGG, 1, 0, 1) \
	X(SORT_BY, "sortBy", OPC_AGG, 1, 1, 3) \
	X(SORT_BY_KEY, "sortByKey", OPC_AGG, 1, 0, 2) \
	X(TOP, "top", OPC_AGG, 1, 1, 2) \
	X(TAKE_ORDERED, "takeOrdered", OPC_AGG, 1, 1, 2) \
	X(JOIN, "join", OPC_JOIN, 2, 1, 2) \
	X(LEFT_OUTER_JOIN, "leftOuterJoin", OPC_JOIN, 2, 1, 2) \
	X(RIGHT_OUTER_JOIN, "rightOuterJoin", OPC_JOIN, 2, 1, 2) \
	X(FULL_OUTER_JOIN, "fullOuterJoin", OPC_JOIN, 2, 1, 2) \
	X(COGROUP, "cogroup", OPC_JOIN, 2, 1, 2) \
	X(WINDOW, "window", OPC_WINDOW, 1, 1, 2) \
	X(COUNT_BY_WINDOW, "countByWindow", OPC_WINDOW, 1, 2, 2) \
	X(REDUCE_BY_WINDOW, "reduceByWindow", OPC_WINDOW, 1, 3, 4) \
	X(REDUCE_BY_KEY_AND_WINDOW, "reduceByKeyAndWindow", OPC_WINDOW, 1, 2, 5) \
	X(COUNT_BY_VALUE_AND_WINDOW, "countByValueAndWindow", OPC_WINDOW, 1, 2, 2) \
	X(GROUP_BY_KEY_AND_WINDOW, "groupByKeyAndWindow", OPC_WINDOW, 1, 1, 2) \
	X(UPDATE_STATE_BY_KEY, "updateStateByKey", OPC_STATE, 1, 1, 2) \
	X(MAP_WITH_STATE, "mapWithState", OPC_STATE, 1, 1, 3) \
	X(STATE_SNAPSHOTS, "stateSnapshots", OPC_STATE, 1, 0, 0) \
	X(PRINT, "print", OPC_OUTPUT, 1, 0, 1) \
	X(SAVE_AS_TEXT_FILES, "saveAsTextFiles", OPC_OUTPUT, 1, 1, 2) \
	X(FOREACH_RDD, "foreachRDD", OPC_OUTPUT, 1, 1, 1) \
	X(FOREACH_RECORD, "foreachRecord", OPC_OUTPUT, 1, 1, 1) \
	X(SAVE_TO_KAFKA, "saveToKafka", OPC_OUTPUT, 1, 2, 3) \
	X(SAVE_TO_POSTGRES, "saveToPostgres", OPC_OUTPUT, 1, 2, 3) \
	X(SAVE_TO_REDIS, "saveToRedis", OPC_OUTPUT, 1, 2, 2)

typedef enum OpId {
#define X(id, name, cls, nin, amin, amax) OP_##id,
	DS_STREAM_OPS(X)
#undef X
	OP__COUNT
} OpId;

typedef struct OpInfo {
	OpId id;
	const char *name;
	OpClass cls;
	int inputs; /* stream inputs, the receiver included */
	int min_args, max_args;
} OpInfo;

extern const OpInfo op_table[OP__COUNT];
const OpInfo *op_lookup(const char *name);

/* Builtin functions on values.  X(ID, "name", min args, max args, checked)
 * checked: may reject a record (counted as a bad record). */
#define DS_BUILTINS(X) \
	X(SPLIT, "split", 2, 2, 0) \
	X(TO_INT, "toInt", 1, 1, 1) \
	X(TO_DOUBLE, "toDouble", 1, 1, 1) \
	X(TO_STRING, "toString", 1, 1, 0) \
	X(LEN, "len", 1, 1, 0) \
	X(LOWER, "lower", 1, 1, 0) \
	X(UPPER, "upper", 1, 1, 0) \
	X(TRIM, "trim", 1, 1, 0) \
	X(CONTAINS, "contains", 2, 2, 0) \
	X(STARTS_WITH, "startsWith", 2, 2, 0) \
	X(ENDS_WITH, "endsWith", 2, 2, 0) \
	X(SUBSTR, "substr", 3, 3, 1) \
	X(CHARS, "chars", 1, 1, 0) \
	X(SUM, "sum", 1, 1, 0) \
	X(MIN, "min", 1, 1, 1) \
	X(MAX, "max", 1, 1, 1) \
	X(ABS, "abs", 1, 1, 0) \
	X(SOME, "Some", 1, 1, 0) \
	X(GET_OR_ELSE, "getOrElse", 2, 2, 0) \
	X(IS_EMPTY, "isEmpty", 1, 1, 0) \
	X(IS_DEFINED, "isDefined", 1, 1, 0) \
	X(BATCH_TIME, "batchTime", 0, 0, 0) \
	X(COUNTER, "counter", 1, 2, 0) \
	X(PARAM, "param", 1, 2, 0) \
	X(LIST_MAP, "map", 2, 2, 0) \
	X(LIST_FILTER, "filter", 2, 2, 0) \
	X(EXISTS, "exists", 1, 1, 0) \
	X(GET, "get", 1, 1, 1) \
	X(GET_OPTION, "getOption", 1, 1, 0) \
	X(UPDATE, "update", 2, 2, 0) \
	X(REMOVE, "remove", 1, 1, 0) \
	X(IS_TIMING_OUT, "isTimingOut", 1, 1, 0)

typedef enum BuiltinId {
#define X(id, name, amin, amax, chk) BI_##id,
	DS_BUILTINS(X)
#undef X
	BI__COUNT
} BuiltinId;

typedef struct BuiltinInfo {
	BuiltinId id;
	const char *name;
	int min_args, max_args;
	bool checked;
} BuiltinInfo;

extern const BuiltinInfo builtin_table[BI__COUNT];
const BuiltinInfo *builtin_lookup(const char *name);

#endif
