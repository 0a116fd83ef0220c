/*
 * json.h: the one small wrapper around cJSON.
 *
 * Parsing gives messages a person can act on: json_parse checks the text
 * with a strict scanner first, so invalid JSON is reported as
 * "origin:LINE:COLUMN: <what is wrong>" followed by the offending line and a
 * caret under the column. Lines and columns are 1-based; a column counts
 * characters (UTF-8 sequences), not bytes, and a tab counts as one.
 *
 * Ownership (the one place it is written down):
 *  - json_parse and json_parse_file return a tree the caller owns and frees
 *    with cJSON_Delete.
 *  - json_add_* create a node and hand it to the parent object or array; the
 *    parent owns it from then on (never cJSON_Delete it separately). They
 *    return the new node, borrowed, or NULL when memory ran out (the parent
 *    is unchanged then). Strings passed in are copied.
 *  - json_get_* return borrowed pointers into the tree, valid while it lives.
 *  - json_print_take returns a malloc'd string the caller frees with free().
 *  - json_write_file_atomic only reads the tree.
 */
#ifndef OPTIMIZE_JSON_H
#define OPTIMIZE_JSON_H

#include <stddef.h>

#include "base/buf.h"

struct cJSON;

/* Largest file json_parse_file reads when max_bytes is 0. */
#define JSON_DEFAULT_MAX_FILE ((size_t)64 << 20)

/*
 * Parse text (len bytes, need not be NUL-terminated; a leading UTF-8 BOM is
 * skipped). `origin` names the text in messages (a file path). Strict JSON:
 * no comments, no trailing commas, no leading zeros. Returns NULL with err
 * filled on failure.
 */
struct cJSON *json_parse(const char *text, size_t len, const char *origin, struct buf *err);
/* Read and parse a file of at most max_bytes (0 = JSON_DEFAULT_MAX_FILE). */
struct cJSON *json_parse_file(const char *path, size_t max_bytes, struct buf *err);

/*
 * Check text without building a tree. Returns 0 when it is valid JSON;
 * otherwise -1, *offset is the byte offset of the problem and *what a static
 * description ("expected ',' or '}'").
 */
int json_check(const char *text, size_t len, size_t *offset, const char **what);

/* 1-based line and column (in characters) of a byte offset. */
void json_line_col(const char *text, size_t len, size_t offset, unsigned *line, unsigned *col);

/*
 * Add "  LINE | text\n       |    ^" (the line holding offset, and a caret
 * under its column) to out. Long lines are cut around the column.
 */
void json_excerpt(const char *text, size_t len, size_t offset, struct buf *out);

/*
 * Where a value sits in valid JSON text, for messages about a field: the
 * byte offset of the member's key (for an object member) or of the element
 * (for an array element) reached by following `path` from the root. A
 * segment with key != NULL selects an object member (the first one of that
 * name, as cJSON does); otherwise index selects an array element. Returns -1
 * when the path does not lead anywhere (keys with escapes are compared
 * byte-for-byte, so they may not be found).
 */
struct json_seg {
	const char *key;
	size_t index;
};
long json_locate(const char *text, size_t len, const struct json_seg *path, size_t n);

/* "a string", "a number", "an array", "an object", "true or false", "null". */
const char *json_type_name(const struct cJSON *item);

/* Typed getters of an object's member. Missing or of another type: def. */
const char *json_get_string(const struct cJSON *obj, const char *key, const char *def);
double json_get_number(const struct cJSON *obj, const char *key, double def);
int json_get_bool(const struct cJSON *obj, const char *key, int def);
/* 0 and *out set when the member is a number with an integral value that
 * fits a long; -1 otherwise (*out unchanged). */
int json_get_long(const struct cJSON *obj, const char *key, long *out);

/*
 * Builders. obj is an object (key used) or an array (key ignored, the node
 * is appended). Strings: NULL becomes JSON null. Numbers: NaN and infinities
 * become null (JSON has no way to write them).
 */
struct cJSON *json_add_string(struct cJSON *obj, const char *key, const char *s);
struct cJSON *json_add_number(struct cJSON *obj, const char *key, double v);
struct cJSON *json_add_bool(struct cJSON *obj, const char *key, int v);
struct cJSON *json_add_object(struct cJSON *obj, const char *key);
struct cJSON *json_add_array(struct cJSON *obj, const char *key);
/*
 * A measured number with its unit and where it came from:
 * {"value": 1.25, "unit": "s", "source": "rusage"}. unit or source NULL:
 * left out. A non-finite value is written as null.
 */
struct cJSON *json_add_measure(struct cJSON *obj, const char *key, double v, const char *unit,
                               const char *source);

/* Serialise (pretty: tab-indented) with a final newline; free() the result. */
char *json_print_take(const struct cJSON *root, int pretty);

/*
 * Write the tree to path atomically: a temporary file in the same directory,
 * fsync, rename over path, then fsync of the directory (best effort). A
 * reader sees either the old file or the whole new one, never a part. The
 * file gets mode 0644.
 */
int json_write_file_atomic(const char *path, const struct cJSON *root, int pretty, struct buf *err);

#endif
