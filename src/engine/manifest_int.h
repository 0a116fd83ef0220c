/*
 * manifest_int.h: private to src/engine/manifest*.c. One validation's state
 * (struct mparse) and the typed field readers of manifest_fields.c that
 * manifest.c builds targets with. Each reader reports a bad field in
 * mp->err as "origin:line:col: message" and returns -1; 0 when fine.
 */
#ifndef OPTIMIZE_MANIFEST_INT_H
#define OPTIMIZE_MANIFEST_INT_H

#include "engine/manifest.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/strlist.h"

#define PATH_DEPTH 8 /* targets[1].verify[0].compare[2] is 6 deep */

enum field_flags {
	F_REQUIRED = 1 << 0, /* missing is an error */
	F_NONBLANK = 1 << 1, /* a string must hold more than white space */
	F_NONEMPTY = 1 << 2, /* a list must have an element */
	F_GLOB = 1 << 3,     /* list elements are paths or globs relative to the tree */
	F_INTS = 1 << 4,     /* list elements may be positive integers (kept as strings) */
	F_COMMAND = 1 << 5,  /* a command: `optimize init`'s "TODO: ..." placeholder is an error */
	F_NULLABLE = 1 << 6, /* a string may be null: the value stays NULL (not set) */
};

/* The state of one validation: the text (to locate fields) and where we are. */
struct mparse {
	const char *text;
	size_t len;
	const char *origin;
	struct buf *err;
	struct json_seg seg[PATH_DEPTH];
	size_t depth;
	struct buf path; /* scratch for field_path */
};

/* The path of the field being read: push a member or an index, pop it. */
void mparse_push_key(struct mparse *mp, const char *key);
void mparse_push_index(struct mparse *mp, size_t i);
void mparse_pop(struct mparse *mp);
/* "targets[1].verify[0].rtol" for the current place (plus `key` if given);
 * valid until the next call. */
const char *mparse_field_path(struct mparse *mp, const char *key);
/* Fill mp->err with "origin:line:col: message" for the current place; -1. */
__attribute__((format(printf, 2, 3))) int mparse_merr(struct mparse *mp, const char *fmt, ...);
int mparse_type_error(struct mparse *mp, const cJSON *it, const char *expected);
/* 1 if word is in the NULL-terminated list. */
int mparse_in_list(const char *word, const char *const *list);

/* The member `key` of obj, typed; absent: def (or an error with F_REQUIRED). */
int mparse_get_str(struct mparse *mp, const cJSON *obj, const char *key, unsigned flags,
                   const char *def, char **out);
int mparse_get_num(struct mparse *mp, const cJSON *obj, const char *key, double def, double min,
                   int above, double *out);
int mparse_get_long(struct mparse *mp, const cJSON *obj, const char *key, long def, long min,
                    long *out);
int mparse_get_strlist(struct mparse *mp, const cJSON *obj, const char *key, unsigned flags,
                       struct strlist *out);
int mparse_get_compare(struct mparse *mp, const cJSON *obj, const char *key,
                       struct compare_item **out, size_t *nout);

#endif
