/*
 * llm_edits_labels.c: the file an edit block is for, from the label line
 * above it, its fence's info string or its first-line comment, mapped to
 * the target's editable (or read-only) files.
 */
#include "llm/llm_edits_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int starts_with_ci(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && !strncasecmp(p, prefix, k);
}
static int path_chars_ok(const char *p, size_t n)
{
	size_t i;

	if (!n || n > 255 || p[0] == '-' || p[n - 1] == '.' || p[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != '/' && c != '+')
			return 0;
	}
	return 1;
}

/* A token that looks like a file name: path characters with a dot or a slash. */
int llm_edits_looks_like_path(const char *p, size_t n)
{
	return path_chars_ok(p, n) && (memchr(p, '.', n) || memchr(p, '/', n));
}

static int list_has(const struct strlist *l, const char *p, size_t n)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		if (strlen(l->v[i]) == n && !memcmp(l->v[i], p, n))
			return 1;
	return 0;
}

/* The one entry of l that ends with "/p" or that p ends with "/entry", or NULL. */
static const char *list_suffix_match(const struct strlist *l, const char *p, size_t n)
{
	const char *found = NULL;
	size_t i;

	for (i = 0; l && i < l->n; i++) {
		const char *e = l->v[i];
		size_t k = strlen(e);
		int m = (k > n && e[k - n - 1] == '/' && !memcmp(e + k - n, p, n)) ||
		        (n > k && p[n - k - 1] == '/' && !memcmp(p + n - k, e, k));
		if (m) {
			if (found)
				return NULL; /* ambiguous */
			found = e;
		}
	}
	return found;
}

/* Map a path as the model wrote it to an editable file. */
enum resolve llm_edits_resolve_path(const struct llm_edits_target *t, const char *p, size_t n,
                                    const char **out)
{
	const char *m;

	while (n > 2 && p[0] == '.' && p[1] == '/')
		p += 2, n -= 2;
	while (n > 2 && (p[0] == 'a' || p[0] == 'b') && p[1] == '/' && !list_has(t->editable, p, n))
		p += 2, n -= 2;
	*out = NULL;
	if (list_has(t->editable, p, n)) {
		size_t i;
		for (i = 0; i < t->editable->n; i++)
			if (strlen(t->editable->v[i]) == n && !memcmp(t->editable->v[i], p, n))
				*out = t->editable->v[i];
		return R_EDITABLE;
	}
	if (list_has(t->readonly, p, n))
		return R_READONLY;
	m = list_suffix_match(t->editable, p, n);
	if (m) {
		*out = m;
		return R_EDITABLE;
	}
	if (list_suffix_match(t->readonly, p, n))
		return R_READONLY;
	if (list_has(t->protected_files, p, n))
		return R_PROTECTED;
	return R_UNKNOWN;
}

static int known_file(const struct llm_edits_target *t, const char *p, size_t n)
{
	const char *m;
	return llm_edits_resolve_path(t, p, n, &m) != R_UNKNOWN;
}

void llm_edits_editable_list(const struct llm_edits_target *t, struct buf *out)
{
	size_t i;
	for (i = 0; t->editable && i < t->editable->n; i++)
		buf_addf(out, "%s'%s'", i ? ", " : "", t->editable->v[i]);
	if (!t->editable || !t->editable->n)
		buf_addstr(out, "(none)");
}

/* Strip markdown decoration around a label line: #, *, `, _, >, -, "File:". */
void llm_edits_strip_label(const char **p, size_t *n)
{
	static const char *const prefixes[] = {"filename:", "file name:", "file:", "path:", NULL};
	int changed = 1;

	while (changed) {
		size_t i;
		changed = 0;
		trim(p, n);
		while (*n && strchr("#*`_>\"'", **p))
			(*p)++, (*n)--, changed = 1;
		if (*n >= 2 && (*p)[0] == '-' && (*p)[1] == ' ')
			(*p) += 2, (*n) -= 2, changed = 1;
		while (*n && strchr("*`_:\"'", (*p)[*n - 1]))
			(*n)--, changed = 1;
		for (i = 0; prefixes[i]; i++)
			if (starts_with_ci(*p, *n, prefixes[i])) {
				*p += strlen(prefixes[i]);
				*n -= strlen(prefixes[i]);
				changed = 1;
			}
	}
}

/* A label line before a fence or a SEARCH block; 1 and the path when it is one. */
int llm_edits_label_from_line(const struct llm_edits_target *t, const struct line *l,
                              const char **pp, size_t *pn)
{
	const char *p = l->p, *q;
	size_t n = l->n, found_n = 0;
	const char *found = NULL;
	int nfound = 0;

	llm_edits_strip_label(&p, &n);
	if (llm_edits_looks_like_path(p, n) || (path_chars_ok(p, n) && known_file(t, p, n))) {
		*pp = p;
		*pn = n;
		return 1;
	}
	/* "Here is the new `sum.c`:": one backticked name of a known file. */
	p = l->p;
	n = l->n;
	while ((q = memchr(p, '`', n))) {
		const char *e;
		n -= (size_t)(q - p) + 1;
		p = q + 1;
		e = memchr(p, '`', n);
		if (!e)
			break;
		if (known_file(t, p, (size_t)(e - p))) {
			found = p;
			found_n = (size_t)(e - p);
			nfound++;
		}
		n -= (size_t)(e - p) + 1;
		p = e + 1;
	}
	if (nfound == 1 && rtrim_len(l) && l->p[rtrim_len(l) - 1] == ':') {
		*pp = found;
		*pn = found_n;
		return 1;
	}
	return 0;
}

/* The path in a fence's info string: "c sum.c", "c:sum.c", "sum.c", "c file=sum.c". */
int llm_edits_label_from_info(const char *p, size_t n, const char **pp, size_t *pn)
{
	while (n) {
		const char *tok, *c;
		size_t k;

		while (n && isspace((unsigned char)*p))
			p++, n--;
		tok = p;
		while (n && !isspace((unsigned char)*p))
			p++, n--;
		k = (size_t)(p - tok);
		if (!k)
			break;
		c = memchr(tok, ':', k);
		if (c && c + 1 < tok + k && !memchr(tok, '=', k)) {
			k -= (size_t)(c + 1 - tok);
			tok = c + 1;
		} else if ((c = memchr(tok, '=', k))) {
			k -= (size_t)(c + 1 - tok);
			tok = c + 1;
			while (k && (*tok == '"' || *tok == '\''))
				tok++, k--;
			while (k && (tok[k - 1] == '"' || tok[k - 1] == '\''))
				k--;
		}
		if (llm_edits_looks_like_path(tok, k)) {
			*pp = tok;
			*pn = k;
			return 1;
		}
	}
	return 0;
}

/* A first-line comment naming the file: "// file: x.c", "/ * x.c * /", "# x.c". */
int llm_edits_label_from_comment(const struct llm_edits_target *t, const struct line *l,
                                 const char **pp, size_t *pn)
{
	const char *p = l->p, *tok;
	size_t n = l->n, k;
	int tagged = 0;

	trim(&p, &n);
	if (n >= 2 && (!memcmp(p, "//", 2) || !memcmp(p, "/*", 2) || !memcmp(p, "--", 2)))
		p += 2, n -= 2;
	else if (n >= 1 && *p == '#' && !starts_with_ci(p, n, "#include") &&
	         !starts_with_ci(p, n, "#define") && !starts_with_ci(p, n, "#pragma") &&
	         !starts_with_ci(p, n, "#if"))
		p++, n--;
	else
		return 0;
	if (n >= 2 && !memcmp(p + n - 2, "*/", 2))
		n -= 2;
	trim(&p, &n);
	while (n && *p == '*')
		p++, n--;
	trim(&p, &n);
	if (starts_with_ci(p, n, "file:") || starts_with_ci(p, n, "path:")) {
		p += 5, n -= 5;
		tagged = 1;
	} else if (starts_with_ci(p, n, "filename:")) {
		p += 9, n -= 9;
		tagged = 1;
	}
	trim(&p, &n);
	tok = p;
	k = 0;
	while (k < n && !isspace((unsigned char)tok[k]))
		k++;
	while (k && (tok[k - 1] == ':' || tok[k - 1] == ','))
		k--;
	/* A whole comment that is a path, a tagged one, or a known file opening a description. */
	if ((k == n && llm_edits_looks_like_path(tok, k)) || (tagged && path_chars_ok(tok, k)) ||
	    (path_chars_ok(tok, k) && known_file(t, tok, k))) {
		*pp = tok;
		*pn = k;
		return 1;
	}
	return 0;
}
