/*
 * counters_cachegrind_parse.c: cachegrind's output files ("events:",
 * "fl=", "fn=", count lines, "summary:") summed into totals, functions and
 * source lines.
 */
#include "prof/counters_cachegrind_int.h"
#include "prof/hotspots.h"

#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cg_event_names[CG_NEVENTS] = {
    "Ir", "I1mr", "ILmr", "Dr", "D1mr", "DLmr", "Dw", "D1mw", "DLmw", "Bc", "Bcm", "Bi", "Bim",
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void strmap_grow(struct strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256, i;
	char **nk = xcalloc(ncap, sizeof(*nk));
	size_t *ni = xcalloc(ncap, sizeof(*ni));

	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		for (j = str_hash(m->keys[i]) & (ncap - 1); nk[j]; j = (j + 1) & (ncap - 1))
			;
		nk[j] = m->keys[i];
		ni[j] = m->idx[i];
	}
	free(m->keys);
	free(m->idx);
	m->keys = nk;
	m->idx = ni;
	m->cap = ncap;
}

/* Index of key, or (size_t)-1 when absent; *slot gets where it would go. */
static size_t strmap_find(struct strmap *m, const char *key, size_t *slot)
{
	size_t j;

	if (!m->cap)
		return (size_t)-1;
	for (j = str_hash(key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
		if (!strcmp(m->keys[j], key))
			return m->idx[j];
	*slot = j;
	return (size_t)-1;
}

static void strmap_put(struct strmap *m, char *key, size_t idx)
{
	size_t slot = 0;

	if ((m->n + 1) * 2 > m->cap)
		strmap_grow(m);
	if (strmap_find(m, key, &slot) != (size_t)-1)
		return;
	m->keys[slot] = key;
	m->idx[slot] = idx;
	m->n++;
}

static void strmap_release(struct strmap *m)
{
	free(m->keys);
	free(m->idx);
	memset(m, 0, sizeof(*m));
}
void cg_data_release(struct cg_data *d)
{
	size_t i;

	for (i = 0; i < d->nfns; i++)
		free(d->fns[i].key);
	free(d->fns);
	for (i = 0; i < d->nlines; i++) {
		free(d->lines[i].key);
		free(d->lines[i].file);
		free(d->lines[i].fn);
	}
	free(d->lines);
	strmap_release(&d->fnmap);
	strmap_release(&d->linemap);
}

static struct cg_fn *fn_get(struct cg_data *d, const char *module, const char *name)
{
	struct buf key = BUF_INIT;
	size_t i, slot = 0;

	buf_init(&key, 0);
	buf_addf(&key, "%s\n%s", module, name);
	i = strmap_find(&d->fnmap, key.data, &slot);
	if (i != (size_t)-1) {
		buf_release(&key);
		return &d->fns[i];
	}
	if (d->nfns == d->afns) {
		size_t na = d->afns ? d->afns * 2 : 128;

		d->fns = xreallocarray(d->fns, na, sizeof(*d->fns));
		d->afns = na;
	}
	d->fns[d->nfns].key = buf_detach(&key);
	d->fns[d->nfns].ir = 0;
	strmap_put(&d->fnmap, d->fns[d->nfns].key, d->nfns);
	return &d->fns[d->nfns++];
}

static struct cg_line *line_get(struct cg_data *d, const char *file, int line, const char *fn)
{
	struct buf key = BUF_INIT;
	struct cg_line *l;
	size_t i, slot = 0;

	buf_init(&key, 0);
	buf_addf(&key, "%s\n%d", file, line);
	i = strmap_find(&d->linemap, key.data, &slot);
	if (i != (size_t)-1) {
		buf_release(&key);
		return &d->lines[i];
	}
	if (d->nlines == d->alines) {
		size_t na = d->alines ? d->alines * 2 : 256;

		d->lines = xreallocarray(d->lines, na, sizeof(*d->lines));
		d->alines = na;
	}
	l = &d->lines[d->nlines];
	memset(l, 0, sizeof(*l));
	l->key = buf_detach(&key);
	l->file = xstrdup(file);
	l->fn = xstrdup(fn);
	l->line = line;
	strmap_put(&d->linemap, l->key, d->nlines);
	d->nlines++;
	return l;
}

/* Parse "N N N ..." into counts mapped through col (column -> cg_event or -1). */
static int parse_counts(const char *s, const int *col, size_t ncol, uint64_t *ev)
{
	size_t c;

	memset(ev, 0, CG_NEVENTS * sizeof(*ev));
	for (c = 0; c < ncol; c++) {
		char *end;
		unsigned long long v;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n')
			break; /* missing trailing counts are 0 */
		errno = 0;
		v = strtoull(s, &end, 10);
		if (end == s || errno)
			return -1;
		if (col[c] >= 0)
			ev[col[c]] = v;
		s = end;
	}
	return 0;
}

/* The command's program name: basename of the first word of "cmd:". */
static char *cmd_module(const char *cmd)
{
	const char *start, *end, *slash;

	while (*cmd == ' ')
		cmd++;
	end = cmd + strcspn(cmd, " \t\n");
	start = cmd;
	for (slash = cmd; slash < end; slash++)
		if (*slash == '/')
			start = slash + 1;
	return xstrndup(start, (size_t)(end - start));
}

/* Compressed names ("(3) name" / "(3)") as callgrind writes them; plain
 * names pass through. Cachegrind writes plain names; this is defensive. */
struct name_table {
	char **v;
	size_t n;
};

static const char *decompress_name(struct name_table *t, const char *s)
{
	char *end;
	unsigned long id;

	if (*s != '(')
		return s;
	id = strtoul(s + 1, &end, 10);
	if (*end != ')' || id > 1000000)
		return s;
	end++;
	while (*end == ' ')
		end++;
	if (*end) {
		if (id >= t->n) {
			t->v = xreallocarray(t->v, id + 1, sizeof(*t->v));
			memset(t->v + t->n, 0, (id + 1 - t->n) * sizeof(*t->v));
			t->n = id + 1;
		}
		free(t->v[id]);
		t->v[id] = xstrdup(end);
		return end;
	}
	return id < t->n && t->v[id] ? t->v[id] : s;
}

static void name_table_release(struct name_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
}

int cg_parse_file(const char *path, struct cg_data *d, const char *skip_cmd, struct buf *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *module = NULL, *file = NULL, *fn = NULL;
	struct name_table files = {NULL, 0}, fns = {NULL, 0};
	int col[64];
	size_t ncol = 0, cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	struct cg_fn *cur_fn = NULL;
	int rc = 0, skip = 0;

	if (!f)
		return err_set(err, "cannot read cachegrind output '%s': %s", path,
		               strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		uint64_t ev[CG_NEVENTS];

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!strncmp(line, "cmd:", 4) && skip_cmd) {
			const char *c = line + 4;
			while (*c == ' ')
				c++;
			skip = !strcmp(c, skip_cmd);
		}
		if (skip)
			continue;
		if (line[0] >= '0' && line[0] <= '9') {
			char *end;
			long ln = strtol(line, &end, 10);
			size_t e;

			if (!ncol || parse_counts(end, col, ncol, ev) < 0) {
				rc =
				    err_set(err, "%s:%lu: malformed cachegrind line", path, lineno);
				break;
			}
			if (!cur_fn && fn)
				cur_fn = fn_get(d, module ? module : "?", fn);
			if (cur_fn)
				cur_fn->ir += ev[CG_IR];
			if (file && strcmp(file, "???") && ln > 0 && ev[CG_IR]) {
				struct cg_line *l = line_get(d, file, (int)ln, fn ? fn : "???");

				for (e = 0; e < CG_NEVENTS; e++)
					l->ev[e] += ev[e];
			}
		} else if (!strncmp(line, "fl=", 3) || !strncmp(line, "fi=", 3) ||
		           !strncmp(line, "fe=", 3)) {
			free(file);
			file = xstrdup(decompress_name(&files, line + 3));
		} else if (!strncmp(line, "fn=", 3)) {
			free(fn);
			/* hot.constprop.0 counts as hot, as in the sampling backend */
			fn = hotspots_clean_name(decompress_name(&fns, line + 3));
			cur_fn = NULL;
		} else if (!strncmp(line, "events:", 7)) {
			char *tok, *save = NULL;

			ncol = 0;
			for (tok = strtok_r(line + 7, " \t", &save); tok && ncol < 64;
			     tok = strtok_r(NULL, " \t", &save)) {
				int e;

				col[ncol] = -1;
				for (e = 0; e < CG_NEVENTS; e++)
					if (!strcmp(tok, cg_event_names[e]))
						col[ncol] = e;
				ncol++;
			}
		} else if (!strncmp(line, "cmd:", 4)) {
			free(module);
			module = cmd_module(line + 4);
		} else if (!strncmp(line, "summary:", 8)) {
			size_t e;

			if (!ncol || parse_counts(line + 8, col, ncol, ev) < 0) {
				rc = err_set(err, "%s:%lu: malformed summary line", path, lineno);
				break;
			}
			for (e = 0; e < CG_NEVENTS; e++)
				d->total[e] += ev[e];
			d->have_summary = 1;
		}
	}
	free(line);
	free(module);
	free(file);
	free(fn);
	name_table_release(&files);
	name_table_release(&fns);
	fclose(f);
	return rc;
}
