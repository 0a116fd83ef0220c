#include "base/strlist.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"

int strlist_push(struct strlist *l, const char *s)
{
	char *copy = xstrdup(s ? s : "");

	l->v = xreallocarray(l->v, l->n + 2, sizeof(*l->v));
	l->v[l->n++] = copy;
	l->v[l->n] = NULL; /* kept NULL-terminated for argv-style use */
	return 0;
}

int strlist_pushf(struct strlist *l, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strlist_push(l, b.data);
	buf_release(&b);
	return 0;
}

int strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

const char *const *strlist_array(struct strlist *l)
{
	if (!l->v) {
		l->v = xcalloc(1, sizeof(*l->v));
	}
	return (const char *const *)l->v;
}

void strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* One path component against one pattern component (no '/' in either). */
static int match_component(const char *pat, size_t plen, const char *name, size_t nlen)
{
	char p[NAME_MAX + 1], s[NAME_MAX + 1];

	if (plen > NAME_MAX || nlen > NAME_MAX)
		return 0;
	memcpy(p, pat, plen);
	p[plen] = '\0';
	memcpy(s, name, nlen);
	s[nlen] = '\0';
	return fnmatch(p, s, FNM_PATHNAME) == 0;
}

/*
 * Component by component, so that a "**" component can stand for any number
 * of path components: zero or more when more of the pattern follows it (so
 * "a/" "**" "/b" matches "a/b"), one or more at the end of the pattern (what
 * is under a directory, not the directory itself).
 */
static int glob_match(const char *pat, const char *path)
{
	const char *pend = strchrnul(pat, '/');
	const char *qend;

	if (pend - pat == 2 && pat[0] == '*' && pat[1] == '*') {
		const char *rest = pend + 1;

		if (!*pend)
			return *path != '\0';
		if (glob_match(rest, path))
			return 1;
		for (const char *q = strchr(path, '/'); q; q = strchr(q + 1, '/'))
			if (glob_match(rest, q + 1))
				return 1;
		return 0;
	}
	qend = strchrnul(path, '/');
	if (!match_component(pat, (size_t)(pend - pat), path, (size_t)(qend - path)))
		return 0;
	if (!*pend || !*qend)
		return !*pend && !*qend;
	return glob_match(pend + 1, qend + 1);
}

static const char *skip_dot_slash(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	return s;
}

int strlist_match(const struct strlist *globs, const char *relpath)
{
	relpath = skip_dot_slash(relpath);
	if (!*relpath)
		return 0;
	for (size_t i = 0; i < globs->n; i++) {
		const char *g = skip_dot_slash(globs->v[i]);
		size_t n = strlen(g);
		int hit;

		if (!n)
			continue;
		if (g[n - 1] == '/') {
			/* "dir/": everything under dir, as "dir/" followed by "**". */
			char *all = xmalloc(n + 3);

			memcpy(all, g, n);
			memcpy(all + n, "**", 3);
			hit = glob_match(all, relpath);
			free(all);
		} else {
			hit = glob_match(g, relpath);
		}
		if (hit)
			return 1;
	}
	return 0;
}
