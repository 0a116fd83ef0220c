/*
 * llm_edits.c: parse a model's answer into whole new files. See
 * llm_edits.h for the accepted forms; every error is a message for the model.
 */
#include "base/util.h"
#include "llm/llm_edits.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct line {
	const char *p;
	size_t n;
};

struct lines {
	struct line *v;
	size_t n;
	int final_nl; /* the text ended with a newline */
};

static int lines_split(const char *text, size_t len, struct lines *out)
{
	size_t i = 0, cap = 0;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len, n = e - i;

		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct line *v = realloc(out->v, nc * sizeof(*v));
			if (!v)
				return -1;
			out->v = v;
			cap = nc;
		}
		if (n && text[i + n - 1] == '\r')
			n--;
		out->v[out->n].p = text + i;
		out->v[out->n].n = n;
		out->n++;
		i = nl ? e + 1 : len;
	}
	out->final_nl = len > 0 && text[len - 1] == '\n';
	return 0;
}

static void lines_release(struct lines *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- small string helpers ---- */

static void trim(const char **p, size_t *n)
{
	while (*n && isspace((unsigned char)**p))
		(*p)++, (*n)--;
	while (*n && isspace((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

static size_t rtrim_len(const struct line *l)
{
	size_t n = l->n;
	while (n && isspace((unsigned char)l->p[n - 1]))
		n--;
	return n;
}

static size_t indent_len(const struct line *l)
{
	size_t i = 0;
	while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	return i;
}

static int blank(const struct line *l)
{
	return rtrim_len(l) == 0;
}

static int starts_with_ci(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && !strncasecmp(p, prefix, k);
}

/* ---- file names ---- */

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
static int looks_like_path(const char *p, size_t n)
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

enum resolve { R_EDITABLE, R_READONLY, R_UNKNOWN };

/* Map a path as the model wrote it to an editable file. */
static enum resolve resolve_path(const struct llm_edits_target *t, const char *p, size_t n,
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
	return R_UNKNOWN;
}

static int known_file(const struct llm_edits_target *t, const char *p, size_t n)
{
	const char *m;
	return resolve_path(t, p, n, &m) != R_UNKNOWN;
}

static void editable_list(const struct llm_edits_target *t, struct buf *out)
{
	size_t i;
	for (i = 0; t->editable && i < t->editable->n; i++)
		buf_addf(out, "%s'%s'", i ? ", " : "", t->editable->v[i]);
	if (!t->editable || !t->editable->n)
		buf_addstr(out, "(none)");
}

/* Strip markdown decoration around a label line: #, *, `, _, >, -, "File:". */
static void strip_label(const char **p, size_t *n)
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
static int label_from_line(const struct llm_edits_target *t, const struct line *l, const char **pp,
                           size_t *pn)
{
	const char *p = l->p, *q;
	size_t n = l->n, found_n = 0;
	const char *found = NULL;
	int nfound = 0;

	strip_label(&p, &n);
	if (looks_like_path(p, n) || (path_chars_ok(p, n) && known_file(t, p, n))) {
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
static int label_from_info(const char *p, size_t n, const char **pp, size_t *pn)
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
		if (looks_like_path(tok, k)) {
			*pp = tok;
			*pn = k;
			return 1;
		}
	}
	return 0;
}

/* A first-line comment naming the file: "// file: x.c", "/ * x.c * /", "# x.c". */
static int label_from_comment(const struct llm_edits_target *t, const struct line *l,
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
	if ((k == n && looks_like_path(tok, k)) || (tagged && path_chars_ok(tok, k)) ||
	    (path_chars_ok(tok, k) && known_file(t, tok, k))) {
		*pp = tok;
		*pn = k;
		return 1;
	}
	return 0;
}

/* ---- fences and SEARCH/REPLACE markers ---- */

static int fence_open(const struct line *l, char *ch, size_t *count, const char **info,
                      size_t *ninfo)
{
	size_t i = 0, k = 0;

	while (i < l->n && i < 3 && l->p[i] == ' ')
		i++;
	if (i >= l->n || (l->p[i] != '`' && l->p[i] != '~'))
		return 0;
	*ch = l->p[i];
	while (i + k < l->n && l->p[i + k] == *ch)
		k++;
	if (k < 3)
		return 0;
	*count = k;
	*info = l->p + i + k;
	*ninfo = l->n - i - k;
	if (*ch == '`' && memchr(*info, '`', *ninfo))
		return 0; /* inline code, not a fence */
	return 1;
}

static int fence_close(const struct line *l, char ch, size_t count)
{
	const char *p = l->p;
	size_t n = l->n, k = 0;

	trim(&p, &n);
	while (k < n && p[k] == ch)
		k++;
	return k >= count && k == n;
}

enum marker { M_NONE, M_SEARCH, M_DIVIDER, M_REPLACE };

static enum marker marker(const struct line *l)
{
	const char *p = l->p;
	size_t n = l->n, k = 0;

	trim(&p, &n);
	if (n >= 5 && p[0] == '<') {
		while (k < n && p[k] == '<')
			k++;
		if (k >= 5 && k <= 9) {
			p += k, n -= k;
			trim(&p, &n);
			if (n == 6 && !strncasecmp(p, "SEARCH", 6))
				return M_SEARCH;
		}
		return M_NONE;
	}
	if (n >= 5 && p[0] == '=') {
		while (k < n && p[k] == '=')
			k++;
		return k == n && k <= 9 ? M_DIVIDER : M_NONE;
	}
	if (n >= 5 && p[0] == '>') {
		while (k < n && p[k] == '>')
			k++;
		if (k >= 5 && k <= 9) {
			p += k, n -= k;
			trim(&p, &n);
			if (n == 7 && !strncasecmp(p, "REPLACE", 7))
				return M_REPLACE;
		}
	}
	return M_NONE;
}

/* ---- the edit set being built ---- */

struct state {
	const struct llm_edits_target *t;
	struct llm_edits *out;
	struct buf *err;
	int nsr; /* SEARCH/REPLACE blocks seen */
	/* unlabelled whole-file blocks (used only with one editable file) */
	const struct line *best_unlabelled;
	size_t best_unlabelled_n;
	size_t best_unlabelled_bytes;
	int nunlabelled;
};

static struct llm_edit *edit_find(struct llm_edits *e, const char *path)
{
	size_t i;
	for (i = 0; i < e->n; i++)
		if (!strcmp(e->v[i].path, path))
			return &e->v[i];
	return NULL;
}

/* Replace (or add) path's content; takes ownership of content. */
static int edit_set(struct llm_edits *e, const char *path, char *content, size_t len)
{
	struct llm_edit *f = edit_find(e, path), *v;

	if (f) {
		free(f->content);
		f->content = content;
		f->len = len;
		return 0;
	}
	v = realloc(e->v, (e->n + 1) * sizeof(*v));
	if (!v) {
		free(content);
		return -1;
	}
	e->v = v;
	v[e->n].path = strdup(path);
	v[e->n].content = content;
	v[e->n].len = len;
	if (!v[e->n].path)
		return -1;
	e->n++;
	return 0;
}

/* Join lines [a, b) with newlines and a final newline. */
static char *join_lines(const struct line *v, size_t a, size_t b, size_t *len)
{
	struct buf o = BUF_INIT;
	size_t i;

	for (i = a; i < b; i++) {
		buf_add(&o, v[i].p, v[i].n);
		buf_addch(&o, '\n');
	}
	*len = o.len;
	return buf_detach(&o);
}

/* Resolve a label to an editable path, or fail with a message. */
static const char *need_editable(struct state *s, const char *p, size_t n, const char *what)
{
	const char *path;
	enum resolve r = resolve_path(s->t, p, n, &path);
	struct buf names = BUF_INIT;

	if (r == R_EDITABLE)
		return path;
	editable_list(s->t, &names);
	if (r == R_READONLY)
		err_set(s->err,
		        "%s edits '%.*s', which is a read-only context file: only %s may be "
		        "changed",
		        what, (int)n, p, names.data);
	else
		err_set(s->err,
		        "%s edits '%.*s', which is not a file of this target: the editable "
		        "files are %s",
		        what, (int)n, p, names.data);
	buf_release(&names);
	return NULL;
}

/* The current content of an editable file: an earlier edit's, else the parent's. */
static int current(struct state *s, const char *path, struct buf *out)
{
	const struct llm_edit *f = edit_find(s->out, path);

	buf_reset(out);
	if (f)
		return buf_add(out, f->content, f->len);
	if (!s->t->read || s->t->read(s->t->read_ctx, path, out) < 0)
		return err_set(s->err, "cannot read the current version of '%s'", path);
	return 0;
}

/* ---- SEARCH/REPLACE matching ---- */

enum match_mode { MATCH_EXACT, MATCH_RTRIM, MATCH_INDENT };

static int line_eq(const struct line *a, const struct line *b, enum match_mode m)
{
	const char *pa = a->p, *pb = b->p;
	size_t na = a->n, nb = b->n;

	if (m == MATCH_EXACT)
		return na == nb && !memcmp(pa, pb, na);
	na = rtrim_len(a);
	nb = rtrim_len(b);
	if (m == MATCH_INDENT) {
		size_t ia = indent_len(a), ib = indent_len(b);
		pa += ia < na ? ia : na;
		na -= ia < na ? ia : na;
		pb += ib < nb ? ib : nb;
		nb -= ib < nb ? ib : nb;
	}
	return na == nb && !memcmp(pa, pb, na);
}

/* Start lines where search[0..ns) matches file; count all, remember the first two. */
static size_t find_all(const struct lines *file, const struct line *search, size_t ns,
                       enum match_mode m, size_t where[2])
{
	size_t i, j, count = 0;

	if (!ns || ns > file->n)
		return 0;
	for (i = 0; i + ns <= file->n; i++) {
		for (j = 0; j < ns && line_eq(&file->v[i + j], &search[j], m); j++)
			;
		if (j == ns) {
			if (count < 2)
				where[count] = i;
			count++;
		}
	}
	return count;
}

static void show_line(struct buf *b, const struct line *l)
{
	const char *p = l->p;
	size_t n = l->n;

	trim(&p, &n);
	buf_addf(b, "'%.*s%s'", (int)(n > 200 ? 200 : n), p, n > 200 ? "..." : "");
}

/* Why a SEARCH matched nothing: the first SEARCH line not in the file and the closest line. */
static void explain_no_match(const struct lines *file, const struct line *search, size_t ns,
                             struct buf *msg)
{
	size_t j, i;

	for (j = 0; j < ns; j++) {
		int found = 0;
		if (blank(&search[j]))
			continue;
		for (i = 0; i < file->n && !found; i++)
			found = line_eq(&file->v[i], &search[j], MATCH_INDENT);
		if (!found)
			break;
	}
	if (j == ns) {
		buf_addstr(msg, "every SEARCH line occurs in the file, but not together in this "
		                "order; copy a contiguous run of lines exactly");
		return;
	}
	buf_addf(msg, "SEARCH line %zu ", j + 1);
	show_line(msg, &search[j]);
	buf_addstr(msg, " is not in the file");
	{
		const char *sp = search[j].p;
		size_t sn = search[j].n, best = (size_t)-1, best_i = 0;
		trim(&sp, &sn);
		for (i = 0; i < file->n && i < 20000; i++) {
			const char *fp = file->v[i].p;
			size_t fn = file->v[i].n, d;
			trim(&fp, &fn);
			if (!fn)
				continue;
			d = text_distance(sp, sn, fp, fn, 160, 0);
			if (d < best) {
				best = d;
				best_i = i;
			}
		}
		if (best != (size_t)-1) {
			buf_addf(msg, "; the closest line is %zu: ", best_i + 1);
			show_line(msg, &file->v[best_i]);
		}
	}
}

/* Re-indent one replacement line from the SEARCH's indentation to the file's. */
static void add_reindented(struct buf *o, const struct line *l, const struct line *sfirst,
                           const struct line *ffirst)
{
	size_t si = indent_len(sfirst), fi = indent_len(ffirst);

	if (si != fi && l->n >= si && !memcmp(l->p, sfirst->p, si)) {
		buf_add(o, ffirst->p, fi);
		buf_add(o, l->p + si, l->n - si);
	} else {
		buf_add(o, l->p, l->n);
	}
}

static int apply_sr(struct state *s, const char *path, const struct line *search, size_t ns,
                    const struct line *repl, size_t nr)
{
	struct buf cur = BUF_INIT, o = BUF_INIT;
	struct lines file;
	size_t where[2] = {0, 0}, count = 0, i;
	enum match_mode m = MATCH_EXACT;
	int r = -1, n = s->nsr;

	/* Blank lines around SEARCH are noise models add. */
	while (ns && blank(&search[0]))
		search++, ns--;
	while (ns && blank(&search[ns - 1]))
		ns--;
	if (current(s, path, &cur) < 0)
		return -1;
	if (!ns) {
		err_set(s->err,
		        "SEARCH/REPLACE block %d for '%s' has an empty SEARCH section: "
		        "copy the lines to replace from the current file",
		        n, path);
		buf_release(&cur);
		return -1;
	}
	if (lines_split(cur.data, cur.len, &file) < 0) {
		buf_release(&cur);
		return err_set(s->err, "out of memory");
	}
	for (m = MATCH_EXACT; m <= MATCH_INDENT; m++) {
		count = find_all(&file, search, ns, m, where);
		if (count)
			break;
	}
	if (count == 0) {
		struct buf why = BUF_INIT;
		explain_no_match(&file, search, ns, &why);
		err_set(s->err, "SEARCH/REPLACE block %d for '%s' matches nothing: %s", n, path,
		        why.data);
		buf_release(&why);
	} else if (count > 1) {
		err_set(s->err,
		        "SEARCH/REPLACE block %d for '%s' matches %zu times (at lines %zu and "
		        "%zu): add surrounding lines to the SEARCH section so it matches "
		        "exactly once",
		        n, path, count, where[0] + 1, where[1] + 1);
	} else {
		const struct line *sfirst = NULL, *ffirst = NULL;
		for (i = 0; i < ns; i++)
			if (!blank(&search[i])) {
				sfirst = &search[i];
				ffirst = &file.v[where[0] + i];
				break;
			}
		for (i = 0; i < where[0]; i++) {
			buf_add(&o, file.v[i].p, file.v[i].n);
			buf_addch(&o, '\n');
		}
		for (i = 0; i < nr; i++) {
			if (m == MATCH_INDENT && sfirst)
				add_reindented(&o, &repl[i], sfirst, ffirst);
			else
				buf_add(&o, repl[i].p, repl[i].n);
			buf_addch(&o, '\n');
		}
		for (i = where[0] + ns; i < file.n; i++) {
			buf_add(&o, file.v[i].p, file.v[i].n);
			if (i + 1 < file.n || file.final_nl)
				buf_addch(&o, '\n');
		}
		if (o.truncated) {
			err_set(s->err, "the edited '%s' is too large", path);
		} else {
			size_t len = o.len;
			r = edit_set(s->out, path, buf_detach(&o), len);
			if (r < 0)
				err_set(s->err, "out of memory");
		}
	}
	lines_release(&file);
	buf_release(&cur);
	buf_release(&o);
	return r;
}

/*
 * Parse SEARCH/REPLACE blocks among lines [a, b). def: the path for blocks
 * without a label line (a fence's label or the single editable file); NULL
 * when there is none.
 */
static int parse_sr(struct state *s, const struct line *v, size_t a, size_t b, const char *def)
{
	size_t i = a;

	while (i < b) {
		size_t k, sa, da, ra;
		const char *p = NULL, *path = NULL;
		size_t pn = 0;

		if (marker(&v[i]) != M_SEARCH) {
			i++;
			continue;
		}
		s->nsr++;
		/* The label: the nearest non-blank line above, if it names a file. */
		for (k = i; k > a && blank(&v[k - 1]); k--)
			;
		if (k > a && marker(&v[k - 1]) == M_NONE &&
		    label_from_line(s->t, &v[k - 1], &p, &pn))
			path = need_editable(s, p, pn, "a SEARCH/REPLACE block");
		else if (def)
			path = def;
		else
			return err_set(s->err,
			               "SEARCH/REPLACE block %d names no file: put the file's "
			               "path alone on the line before '<<<<<<< SEARCH'",
			               s->nsr);
		if (!path)
			return -1;
		sa = i + 1;
		for (da = sa; da < b && marker(&v[da]) == M_NONE; da++)
			;
		if (da >= b || marker(&v[da]) != M_DIVIDER)
			return err_set(s->err,
			               "SEARCH/REPLACE block %d for '%s' has no '=======' line "
			               "after its SEARCH section",
			               s->nsr, path);
		for (ra = da + 1; ra < b && marker(&v[ra]) == M_NONE; ra++)
			;
		if (ra >= b || marker(&v[ra]) != M_REPLACE)
			return err_set(s->err,
			               "SEARCH/REPLACE block %d for '%s' is not closed with "
			               "'>>>>>>> REPLACE'",
			               s->nsr, path);
		if (apply_sr(s, path, v + sa, da - sa, v + da + 1, ra - da - 1) < 0)
			return -1;
		i = ra + 1;
	}
	return 0;
}

static int has_search_marker(const struct line *v, size_t a, size_t b)
{
	size_t i;
	for (i = a; i < b; i++)
		if (marker(&v[i]) == M_SEARCH)
			return 1;
	return 0;
}

/* Languages whose unlabelled blocks are shown, not applied. */
static int lang_is_not_code(const char *p, size_t n)
{
	static const char *const skip[] = {
	    "sh",   "bash",   "shell",     "console", "text",     "txt",   "diff", "patch",
	    "json", "output", "plaintext", "make",    "makefile", "cmake", "yaml", NULL};
	size_t i, k = 0;

	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (k < n && !isspace((unsigned char)p[k]) && p[k] != ':')
		k++;
	for (i = 0; skip[i]; i++)
		if (strlen(skip[i]) == k && !strncasecmp(p, skip[i], k))
			return 1;
	return 0;
}

static int whole_file(struct state *s, const char *path, const struct line *v, size_t a, size_t b)
{
	size_t len;
	char *content = join_lines(v, a, b, &len);

	if (!content || edit_set(s->out, path, content, len) < 0)
		return err_set(s->err, "out of memory");
	return 0;
}

static int parse(struct state *s, const struct lines *L)
{
	const char *single = s->t->editable && s->t->editable->n == 1 ? s->t->editable->v[0] : NULL;
	size_t i = 0, last_text = (size_t)-1; /* last non-blank line outside fences */
	size_t outside_from = 0;

	while (i < L->n) {
		char ch;
		size_t count, ninfo, j;
		const char *info, *p = NULL, *path = NULL;
		size_t pn = 0;
		int labelled;

		if (!fence_open(&L->v[i], &ch, &count, &info, &ninfo)) {
			if (!blank(&L->v[i]))
				last_text = i;
			i++;
			continue;
		}
		/* SEARCH/REPLACE blocks written outside any fence, before this one. */
		if (parse_sr(s, L->v, outside_from, i, single) < 0)
			return -1;
		for (j = i + 1; j < L->n && !fence_close(&L->v[j], ch, count); j++)
			;
		labelled = label_from_info(info, ninfo, &p, &pn);
		if (!labelled && last_text != (size_t)-1 && last_text + 3 >= i &&
		    last_text >= outside_from)
			labelled = label_from_line(s->t, &L->v[last_text], &p, &pn);
		if (has_search_marker(L->v, i + 1, j)) {
			const char *def = single;
			if (labelled && !(def = need_editable(s, p, pn, "a code block")))
				return -1;
			if (parse_sr(s, L->v, i + 1, j, def) < 0)
				return -1;
		} else {
			if (!labelled && i + 1 < j)
				labelled = label_from_comment(s->t, &L->v[i + 1], &p, &pn);
			if (labelled) {
				if (!(path = need_editable(s, p, pn, "a code block")))
					return -1;
				if (whole_file(s, path, L->v, i + 1, j) < 0)
					return -1;
			} else if (!lang_is_not_code(info, ninfo) && j > i + 1) {
				size_t bytes = 0, k;
				for (k = i + 1; k < j; k++)
					bytes += L->v[k].n + 1;
				s->nunlabelled++;
				if (bytes > s->best_unlabelled_bytes) {
					s->best_unlabelled = &L->v[i + 1];
					s->best_unlabelled_n = j - i - 1;
					s->best_unlabelled_bytes = bytes;
				}
			}
		}
		i = j < L->n ? j + 1 : j;
		outside_from = i;
		last_text = (size_t)-1;
	}
	if (parse_sr(s, L->v, outside_from, L->n, single) < 0)
		return -1;
	if (!s->out->n && s->nunlabelled) {
		struct buf names = BUF_INIT;
		if (single)
			return whole_file(s, single, s->best_unlabelled, 0, s->best_unlabelled_n);
		editable_list(s->t, &names);
		err_set(s->err,
		        "the code blocks name no file: there are several editable files (%s), "
		        "so put the path alone on the line before each fence, or after the "
		        "language tag (```c path/to/file.c)",
		        names.data);
		buf_release(&names);
		return -1;
	}
	return 0;
}

void llm_edits_first_line(const char *text, size_t len, size_t max, struct buf *out)
{
	struct lines L;
	size_t i;
	int in_fence = 0;
	char ch = 0;
	size_t count = 0;

	if (lines_split(text, len, &L) < 0)
		return;
	for (i = 0; i < L.n; i++) {
		const char *info, *p = L.v[i].p;
		size_t ninfo, n = L.v[i].n;
		char c2;
		size_t k2;

		if (in_fence) {
			if (fence_close(&L.v[i], ch, count))
				in_fence = 0;
			continue;
		}
		if (fence_open(&L.v[i], &c2, &k2, &info, &ninfo)) {
			in_fence = 1;
			ch = c2;
			count = k2;
			continue;
		}
		if (marker(&L.v[i]) != M_NONE)
			continue;
		strip_label(&p, &n);
		if (!n || looks_like_path(p, n))
			continue;
		if (n > max) {
			n = max;
			while (n && ((unsigned char)p[n] & 0xC0) == 0x80)
				n--;
		}
		buf_add(out, p, n);
		break;
	}
	lines_release(&L);
}

int llm_edits_parse(const char *text, size_t len, int truncated, const struct llm_edits_target *t,
                    struct llm_edits *out, struct buf *err)
{
	struct state s;
	struct lines L;
	struct buf note = BUF_INIT;
	int r;

	memset(out, 0, sizeof(*out));
	if (truncated)
		return err_set(err,
		               "the response was cut off by the token limit (finish_reason "
		               "length), so none of it was applied: answer with shorter edits, "
		               "for example SEARCH/REPLACE blocks instead of whole files");
	if (lines_split(text, len, &L) < 0)
		return err_set(err, "out of memory");
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.out = out;
	s.err = err;
	r = parse(&s, &L);
	if (r == 0 && !out->n) {
		struct buf names = BUF_INIT;
		editable_list(t, &names);
		r = err_set(err,
		            "the response contains no edit: give the whole new file in a fenced "
		            "code block labelled with its path, or SEARCH/REPLACE blocks, for "
		            "one of %s",
		            names.data);
		buf_release(&names);
	}
	lines_release(&L);
	if (r < 0) {
		llm_edits_release(out);
		return -1;
	}
	llm_edits_first_line(text, len, 200, &note);
	out->note = note.len ? buf_detach(&note) : NULL;
	buf_release(&note);
	return 0;
}

void llm_edits_release(struct llm_edits *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].path);
		free(e->v[i].content);
	}
	free(e->v);
	free(e->note);
	memset(e, 0, sizeof(*e));
}
