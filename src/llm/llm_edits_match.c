/*
 * llm_edits_match.c: one SEARCH/REPLACE applied to a file's lines: the
 * SEARCH must match exactly once (exactly, else ignoring trailing white
 * space, else ignoring indentation), and a miss says what is closest.
 */
#include "base/util.h"
#include "llm/llm_edits_int.h"

#include <string.h>

static size_t indent_len(const struct line *l)
{
	size_t i = 0;
	while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	return i;
}

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

int llm_edits_replace(const struct lines *file, const struct line *search, size_t ns,
                      const struct line *repl, size_t nr, int n, const char *path, struct buf *o,
                      struct buf *err)
{
	size_t where[2] = {0, 0}, count = 0, i;
	enum match_mode m = MATCH_EXACT;
	int r = -1;

	for (m = MATCH_EXACT; m <= MATCH_INDENT; m++) {
		count = find_all(file, search, ns, m, where);
		if (count)
			break;
	}
	if (count == 0) {
		struct buf why = BUF_INIT;
		explain_no_match(file, search, ns, &why);
		err_set(err, "SEARCH/REPLACE block %d for '%s' matches nothing: %s", n, path,
		        why.data);
		buf_release(&why);
	} else if (count > 1) {
		err_set(err,
		        "SEARCH/REPLACE block %d for '%s' matches %zu times (at lines %zu and "
		        "%zu): add surrounding lines to the SEARCH section so it matches "
		        "exactly once",
		        n, path, count, where[0] + 1, where[1] + 1);
	} else {
		const struct line *sfirst = NULL, *ffirst = NULL;
		for (i = 0; i < ns; i++)
			if (!blank(&search[i])) {
				sfirst = &search[i];
				ffirst = &file->v[where[0] + i];
				break;
			}
		for (i = 0; i < where[0]; i++) {
			buf_add(o, file->v[i].p, file->v[i].n);
			buf_addch(o, '\n');
		}
		for (i = 0; i < nr; i++) {
			if (m == MATCH_INDENT && sfirst)
				add_reindented(o, &repl[i], sfirst, ffirst);
			else
				buf_add(o, repl[i].p, repl[i].n);
			buf_addch(o, '\n');
		}
		for (i = where[0] + ns; i < file->n; i++) {
			buf_add(o, file->v[i].p, file->v[i].n);
			if (i + 1 < file->n || file->final_nl)
				buf_addch(o, '\n');
		}
		r = 0;
	}
	return r;
}
