/*
 * llm_edits.c: parse a model's answer into whole new files. See
 * llm_edits.h for the accepted forms; every error is a message for the model.
 */
#include "base/util.h"
#include "llm/llm_edits_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xalloc.h"

static void lines_split(const char *text, size_t len, struct lines *out)
{
	size_t i = 0, cap = 0;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len, n = e - i;

		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			out->v = xreallocarray(out->v, nc, sizeof(*out->v));
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
}

static void lines_release(struct lines *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
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
static void edit_set(struct llm_edits *e, const char *path, char *content, size_t len)
{
	struct llm_edit *f = edit_find(e, path);

	if (f) {
		free(f->content);
		f->content = content;
		f->len = len;
		return;
	}
	e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
	e->v[e->n].path = xstrdup(path);
	e->v[e->n].content = content;
	e->v[e->n].len = len;
	e->n++;
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
	enum resolve r = llm_edits_resolve_path(s->t, p, n, &path);
	struct buf names = BUF_INIT;

	if (r == R_EDITABLE)
		return path;
	llm_edits_editable_list(s->t, &names);
	if (r == R_READONLY)
		err_set(s->err,
		        "%s edits '%.*s', which is a read-only context file: only %s may be "
		        "changed",
		        what, (int)n, p, names.data);
	else if (r == R_PROTECTED)
		err_set(s->err,
		        "%s edits '%.*s', which is a protected file of the tree (not editable): "
		        "only %s may be changed, so the whole answer was rejected",
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

static int apply_sr(struct state *s, const char *path, const struct line *search, size_t ns,
                    const struct line *repl, size_t nr)
{
	struct buf cur = BUF_INIT, o = BUF_INIT;
	struct lines file;
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
	lines_split(cur.data, cur.len, &file);
	if (llm_edits_replace(&file, search, ns, repl, nr, n, path, &o, s->err) == 0) {
		if (o.truncated) {
			err_set(s->err, "the edited '%s' is too large", path);
		} else {
			size_t len = o.len;
			edit_set(s->out, path, buf_detach(&o), len);
			r = 0;
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
		    llm_edits_label_from_line(s->t, &v[k - 1], &p, &pn))
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

static void whole_file(struct state *s, const char *path, const struct line *v, size_t a, size_t b)
{
	size_t len;
	char *content = join_lines(v, a, b, &len);

	edit_set(s->out, path, content, len);
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
		labelled = llm_edits_label_from_info(info, ninfo, &p, &pn);
		if (!labelled && last_text != (size_t)-1 && last_text + 3 >= i &&
		    last_text >= outside_from)
			labelled = llm_edits_label_from_line(s->t, &L->v[last_text], &p, &pn);
		if (has_search_marker(L->v, i + 1, j)) {
			const char *def = single;
			if (labelled && !(def = need_editable(s, p, pn, "a code block")))
				return -1;
			if (parse_sr(s, L->v, i + 1, j, def) < 0)
				return -1;
		} else {
			if (!labelled && i + 1 < j)
				labelled =
				    llm_edits_label_from_comment(s->t, &L->v[i + 1], &p, &pn);
			if (labelled) {
				if (!(path = need_editable(s, p, pn, "a code block")))
					return -1;
				whole_file(s, path, L->v, i + 1, j);
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
		if (single) {
			whole_file(s, single, s->best_unlabelled, 0, s->best_unlabelled_n);
			return 0;
		}
		llm_edits_editable_list(s->t, &names);
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

	lines_split(text, len, &L);
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
		llm_edits_strip_label(&p, &n);
		if (!n || llm_edits_looks_like_path(p, n))
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
	lines_split(text, len, &L);
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.out = out;
	s.err = err;
	r = parse(&s, &L);
	if (r == 0 && !out->n) {
		struct buf names = BUF_INIT;
		llm_edits_editable_list(t, &names);
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
