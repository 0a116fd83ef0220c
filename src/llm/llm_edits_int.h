/*
 * llm_edits_int.h: private to src/llm/llm_edits*.c: lines of the model's
 * answer, and what the files share. llm_edits.c finds the blocks (fences,
 * SEARCH/REPLACE markers) and builds the edit set; llm_edits_labels.c maps
 * the file names a model writes to the target's files;
 * llm_edits_match.c applies one SEARCH/REPLACE to a file's text.
 */
#ifndef OPTIMIZE_LLM_EDITS_INT_H
#define OPTIMIZE_LLM_EDITS_INT_H

#include "llm/llm_edits.h"

#include <ctype.h>
#include <stddef.h>

struct line {
	const char *p;
	size_t n;
};

struct lines {
	struct line *v;
	size_t n;
	int final_nl; /* the text ended with a newline */
};

/* ---- small string helpers ---- */

static inline void trim(const char **p, size_t *n)
{
	while (*n && isspace((unsigned char)**p))
		(*p)++, (*n)--;
	while (*n && isspace((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

static inline size_t rtrim_len(const struct line *l)
{
	size_t n = l->n;
	while (n && isspace((unsigned char)l->p[n - 1]))
		n--;
	return n;
}

static inline int blank(const struct line *l)
{
	return rtrim_len(l) == 0;
}

/* ---- file names (llm_edits_labels.c) ---- */

enum resolve { R_EDITABLE, R_READONLY, R_PROTECTED, R_UNKNOWN };

/* Map a path as the model wrote it to an editable file (*out, when
 * R_EDITABLE: the target's own string). */
enum resolve llm_edits_resolve_path(const struct llm_edits_target *t, const char *p, size_t n,
                                    const char **out);
/* "'a.c', 'b.c'" (or "(none)") for messages. */
void llm_edits_editable_list(const struct llm_edits_target *t, struct buf *out);
/* Strip markdown decoration around a label line: #, *, `, _, >, -, "File:". */
void llm_edits_strip_label(const char **p, size_t *n);
/* A token that looks like a file name: path characters with a dot or a slash. */
int llm_edits_looks_like_path(const char *p, size_t n);
/* 1 with the file name (*pp, *pn) that a label line, a fence's info string
 * ("c sum.c", "c:sum.c", "c file=sum.c") or a first-line comment names. */
int llm_edits_label_from_line(const struct llm_edits_target *t, const struct line *l,
                              const char **pp, size_t *pn);
int llm_edits_label_from_info(const char *p, size_t n, const char **pp, size_t *pn);
int llm_edits_label_from_comment(const struct llm_edits_target *t, const struct line *l,
                                 const char **pp, size_t *pn);

/* ---- SEARCH/REPLACE matching (llm_edits_match.c) ---- */

/*
 * Replace the one run of file's lines that search[0..ns) matches (exactly,
 * else ignoring trailing white space, else ignoring indentation too) by
 * repl[0..nr), into o. -1 with a message for the model in err when the
 * SEARCH matches nothing or more than once; n and path name the block.
 */
int llm_edits_replace(const struct lines *file, const struct line *search, size_t ns,
                      const struct line *repl, size_t nr, int n, const char *path, struct buf *o,
                      struct buf *err);

#endif
