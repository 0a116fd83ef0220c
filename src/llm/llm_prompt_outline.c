/*
 * llm_prompt_outline.c: an editable file too large for the prompt, shown
 * as its hot functions whole (with line numbers) and an outline of the
 * rest: the #include lines, the types, macros and globals the hot code
 * uses, and the signatures of the other functions, each with its line
 * numbers. See llm_prompt.h (the token budget) and llm_outline.h.
 */
#include "llm/llm_prompt_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "llm/llm_outline.h"

#define HEADING_MAX_LINES 6  /* lines of a signature shown */
#define DECL_WHOLE_LINES  40 /* a used type or global longer than this shows its ends */

/* Does the profile's file name this editable path? */
static int same_file(const char *prof_file, const char *path)
{
	size_t a = strlen(prof_file), b = strlen(path);

	if (!strcmp(prof_file, path))
		return 1;
	return a > b && prof_file[a - b - 1] == '/' && !strcmp(prof_file + a - b, path);
}

/* A function of the file and its share of the samples. */
struct hot_item {
	const struct llm_outline_item *it;
	double pct;
};

static int by_share(const void *a, const void *b)
{
	const struct hot_item *x = a, *y = b;

	if (x->pct != y->pct)
		return x->pct < y->pct ? 1 : -1;
	return x->it->first - y->it->first;
}

/* Add pct to it's share: summed for lines, the larger for a name. */
static void credit(struct hot_item *v, size_t *n, size_t cap, const struct llm_outline_item *it,
                   double pct, int sum)
{
	size_t i;

	if (!it)
		return;
	for (i = 0; i < *n; i++)
		if (v[i].it == it) {
			v[i].pct = sum ? v[i].pct + pct : (pct > v[i].pct ? pct : v[i].pct);
			return;
		}
	if (*n < cap)
		v[(*n)++] = (struct hot_item){it, pct};
}

/* Is a function of this name in v already (another #if branch of it)? */
static int named_in(const struct hot_item *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].it->name && !strcmp(v[i].it->name, name))
			return 1;
	return 0;
}

/*
 * The hot functions of f, hottest first, at most max. A function's share is
 * the larger of its samples by name (inlined functions included) and the sum
 * of its hot lines. A name defined in several #if branches counts once: the
 * definition its hot lines fall in, else the first.
 */
static size_t hot_functions(const struct llm_outline *o, const struct llm_prompt_file *f,
                            const struct profile *p, const struct llm_outline_item **hot,
                            size_t max)
{
	size_t i, n = 0, cap;
	struct hot_item *v;

	if (!p)
		return 0;
	cap = p->nlines + p->nfunctions + 1;
	v = xcalloc(cap, sizeof(*v));
	for (i = 0; i < p->nlines; i++)
		if (p->lines[i].file && same_file(p->lines[i].file, f->path))
			credit(v, &n, cap, llm_outline_function_at(o, p->lines[i].line),
			       p->lines[i].pct, 1);
	for (i = 0; i < p->nfunctions; i++) {
		const struct llm_outline_item *it;

		if (!p->functions[i].name)
			continue;
		it = llm_outline_function_named(o, p->functions[i].name);
		if (it && named_in(v, n, it->name)) {
			/* credit the definition already there (the one the lines chose) */
			for (size_t j = 0; j < n; j++)
				if (v[j].it->name && !strcmp(v[j].it->name, it->name))
					it = v[j].it;
		}
		credit(v, &n, cap, it, p->functions[i].pct, 0);
	}
	qsort(v, n, sizeof(*v), by_share);
	for (i = 0; i < n && i < max && v[i].pct >= LLM_OUTLINE_MIN_PCT; i++)
		hot[i] = v[i].it;
	free(v);
	return i;
}

size_t llm_prompt_hot_count(const struct llm_prompt_file *f, const struct profile *p)
{
	struct llm_outline o;
	const struct llm_outline_item *hot[LLM_OUTLINE_MAX_HOT];
	size_t n;

	llm_outline_scan(f->content, f->len, &o);
	n = hot_functions(&o, f, p, hot, LLM_OUTLINE_MAX_HOT);
	llm_outline_release(&o);
	return n;
}

static void mark(char *shown, int nlines, int a, int b)
{
	int i;

	for (i = a < 1 ? 1 : a; i <= b && i <= nlines; i++)
		shown[i] = 1;
}

static int uses_any(const struct strlist *ids, const struct strlist *declares)
{
	size_t i;

	for (i = 0; i < declares->n; i++)
		if (strlist_has(ids, declares->v[i]))
			return 1;
	return 0;
}

/* Which lines to show: hot functions whole, then the outline by level. */
static void choose_lines(const struct llm_outline *o, const struct llm_prompt_file *f,
                         const struct llm_outline_item *const *hot, size_t nhot, int level,
                         char *shown)
{
	struct strlist ids = {0}, members = {0};
	size_t i;

	for (i = 0; i < nhot; i++) {
		mark(shown, o->nlines, hot[i]->first, hot[i]->last);
		llm_outline_identifiers(f->content, f->len, hot[i]->first, hot[i]->last, &ids,
		                        &members);
	}
	for (i = 0; i < o->n && level < 3; i++) {
		const struct llm_outline_item *it = &o->v[i];
		int used = uses_any(&ids, &it->declares) || uses_any(&members, &it->members);

		switch (it->kind) {
		case LLM_OL_PP:
			if (used || (level == 0 && !it->name))
				mark(shown, o->nlines, it->first, it->last);
			break;
		case LLM_OL_DECL:
			if (!used)
				break;
			if (it->last - it->first < DECL_WHOLE_LINES) {
				mark(shown, o->nlines, it->first, it->last);
			} else {
				mark(shown, o->nlines, it->first, it->first);
				mark(shown, o->nlines, it->last, it->last);
			}
			break;
		case LLM_OL_PROTO:
		case LLM_OL_FUNC:
			if (level >= 2 ||
			    (level == 1 && !(it->name && strlist_has(&ids, it->name))))
				break;
			if (it->kind == LLM_OL_PROTO)
				mark(shown, o->nlines, it->first, it->last);
			else
				mark(shown, o->nlines,
				     it->body - it->first >= HEADING_MAX_LINES
				         ? it->body - HEADING_MAX_LINES + 1
				         : it->first,
				     it->body);
			break;
		}
	}
	strlist_release(&ids);
	strlist_release(&members);
}

/* A gap of blank lines only is shown as it is (cheaper than its marker). */
static void blank_gaps_shown(const struct llm_prompt_file *f, char *shown, int nlines)
{
	const char *p = f->content, *end = f->content + f->len;
	char *blank = xcalloc((size_t)nlines + 2, 1);
	int line, a;

	for (line = 1; p < end && line <= nlines; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *q;

		for (q = p; q < e && (*q == ' ' || *q == '\t' || *q == '\r'); q++)
			;
		blank[line] = q == e;
		p = nl ? nl + 1 : end;
	}
	for (line = 1; line <= nlines; line++) {
		if (shown[line])
			continue;
		for (a = line; line <= nlines && !shown[line] && blank[line]; line++)
			;
		if (line > nlines || shown[line])
			while (a < line)
				shown[a++] = 1;
	}
	free(blank);
}

static void render_lines(const struct llm_prompt_file *f, const char *shown, int nlines,
                         struct buf *out)
{
	const char *p = f->content, *end = f->content + f->len;
	int line = 1, gap_from = 0;

	blank_gaps_shown(f, (char *)shown, nlines);
	while (p < end && line <= nlines) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (shown[line]) {
			if (gap_from)
				buf_addf(out, "    ...  (lines %d-%d not shown)\n", gap_from,
				         line - 1);
			gap_from = 0;
			buf_addf(out, "%4d| ", line);
			buf_add(out, p, n);
			buf_addch(out, '\n');
		} else if (!gap_from) {
			gap_from = line;
		}
		line++;
		p += n + (nl ? 1 : 0);
	}
	if (gap_from)
		buf_addf(out, "    ...  (lines %d-%d not shown)\n", gap_from, line - 1);
}

static const char *const level_text[] = {
    "the #include lines, the types, macros and globals the hot code uses, and the "
    "signatures of the other functions",
    "the types, macros and globals the hot code uses, and the signatures of the functions "
    "it calls",
    "the types, macros and globals the hot code uses",
    "nothing else",
};

int llm_prompt_outline_file(const struct llm_prompt_file *f, const struct profile *p, int level,
                            size_t nhot_max, struct buf *out, struct buf *desc)
{
	struct llm_outline o;
	const struct llm_outline_item *hot[LLM_OUTLINE_MAX_HOT];
	size_t nhot, i;
	char *shown;

	llm_outline_scan(f->content, f->len, &o);
	nhot = hot_functions(&o, f, p, hot,
	                     nhot_max < LLM_OUTLINE_MAX_HOT ? nhot_max : LLM_OUTLINE_MAX_HOT);
	shown = xcalloc((size_t)o.nlines + 2, 1);
	choose_lines(&o, f, hot, nhot, level < 0 ? 0 : level > 3 ? 3 : level, shown);
	buf_addf(out, "%s (shown in part: %d lines in all; ", f->path, o.nlines);
	if (nhot) {
		buf_addstr(out, "shown whole: the hot function");
		buf_addstr(out, nhot > 1 ? "s " : " ");
		for (i = 0; i < nhot; i++)
			buf_addf(out, "%s%s (lines %d-%d)", i ? ", " : "",
			         hot[i]->name ? hot[i]->name : "?", hot[i]->first, hot[i]->last);
	} else {
		buf_addstr(out, "the profile names no function of this file");
	}
	buf_addf(out, "; as an outline: %s; \"...\" marks lines not shown)\n```%s\n",
	         level_text[level < 0   ? 0
	                    : level > 3 ? 3
	                                : level],
	         llm_prompt_lang(f->path));
	render_lines(f, shown, o.nlines, out);
	buf_addstr(out, "```\n");
	if (desc) {
		buf_addf(desc, "%s%s: outline (", desc->len ? "; " : "", f->path);
		for (i = 0; i < nhot; i++)
			buf_addf(desc, "%s%s",
			         i ? ", " : "whole: ", hot[i]->name ? hot[i]->name : "?");
		buf_addf(desc, "%soutline level %d)", nhot ? "; " : "", level);
	}
	free(shown);
	llm_outline_release(&o);
	return (int)nhot;
}
