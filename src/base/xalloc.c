#include "base/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void __attribute__((noreturn)) out_of_memory(size_t n)
{
	char msg[96];
	int len = snprintf(msg, sizeof(msg), "optimize: out of memory (%zu bytes)\n", n);
	ssize_t w;

	/* No stdio buffering: the heap is exhausted. */
	if (len > 0) {
		w = write(STDERR_FILENO, msg, (size_t)len);
		(void)w;
	}
	_exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		out_of_memory(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory(n);
	return q;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
	return s ? xmemdupz(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	return s ? xmemdupz(s, strnlen(s, n)) : NULL;
}

char *xmemdupz(const void *p, size_t n)
{
	char *q = xmalloc(n + 1);
	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

void xstrset(char **dst, const char *s)
{
	char *copy = xstrdup(s);
	free(*dst);
	*dst = copy;
}
