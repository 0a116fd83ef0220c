/*
 * strlist.h: a growable list of owned strings, and path globs.
 *
 * Ownership: the list owns each string (copied on push); strlist_release
 * frees them. v stays NULL-terminated once anything was pushed, so it can
 * be passed as an argv or environment array.
 */
#ifndef OPTIMIZE_STRLIST_H
#define OPTIMIZE_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v; /* NULL-terminated once anything was pushed (argv-style) */
	size_t n;
};

/* Append a copy of s. Returns 0 (allocation failure ends the process: xalloc.h). */
int strlist_push(struct strlist *l, const char *s);
/* Append a formatted string. */
int strlist_pushf(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strlist_release(struct strlist *l);
/* 1 if s is in the list (exact match). */
int strlist_has(const struct strlist *l, const char *s);
/* The NULL-terminated array (never NULL, even for an empty list); valid until the next push. */
const char *const *strlist_array(struct strlist *l);

/*
 * 1 if relpath matches one of the globs: fnmatch with FNM_PATHNAME per
 * component, "**" for any number of components, "dir/" for everything under
 * dir, a leading "./" ignored.
 */
int strlist_match(const struct strlist *globs, const char *relpath);

#endif
