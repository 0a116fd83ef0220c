/*
 * xalloc.h: the allocation policy of optimize, in one place.
 *
 * Allocation failure is not a condition the tool can handle usefully in the
 * middle of a measurement, and checking every malloc by hand led to some
 * places checking and others dereferencing NULL. So, as git's xmalloc does,
 * these never return NULL: on failure they print "optimize: out of memory
 * (N bytes)" and exit with status 1 (EXIT_FAILURE_INTERNAL). This is the one
 * place below the command layer that may end the process.
 *
 * Memory that outside input can make large (an LLM response, a candidate's
 * output) is bounded separately, by struct buf's maximum (buf.h), so a
 * hostile input meets a cap, not this exit.
 */
#ifndef OPTIMIZE_XALLOC_H
#define OPTIMIZE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xrealloc for an array of nmemb elements of size bytes, with an overflow check. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* NULL stays NULL (for optional strings). */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A NUL-terminated copy of n bytes. */
char *xmemdupz(const void *p, size_t n);

/* Replace *dst with a copy of s (NULL allowed), freeing the old value. */
void xstrset(char **dst, const char *s);

#endif
