/*
 * llm_edits.h: turning a model's answer into whole new versions of files.
 *
 * Accepted forms (the output contract the prompts describe):
 *
 *  1. Whole files in fenced code blocks, labelled with the path in one of
 *     the ways models commonly use:
 *       - the path alone on the line before the fence (decorations such as
 *         **sum.c**, `sum.c`, "File: sum.c", "### sum.c:" are stripped);
 *       - the path after the language tag: ```c sum.c  or  ```c:sum.c;
 *       - a first-line comment naming the file: "// file: sum.c", "/ * sum.c * /"
 *         # file: sum.c.
 *     With a single editable file, an unlabelled code block means that file
 *     (the longest one when there are several).
 *  2. SEARCH/REPLACE blocks, with the path on the line before (or as the
 *     label of the fence they sit in):
 *       sum.c
 *       <<<<<<< SEARCH
 *       old lines
 *       =======
 *       new lines
 *       >>>>>>> REPLACE
 *     SEARCH is matched exactly first, then ignoring trailing whitespace,
 *     then ignoring indentation (the replacement is re-indented by the
 *     difference). Blocks on one file apply in order.
 *
 * Every failure is a message meant for the model (it goes back in the next
 * prompt), and rejects the whole answer (no edit of it is kept, so an
 * answer is applied to the workspace all or nothing): an edit to a file
 * that is not editable (a context file, a protected file of the tree) or
 * does not exist, a
 * SEARCH that matches nothing (with the closest line of the file) or more
 * than once, a response with no edit, a response cut off by the token limit
 * (never parsed as code).
 *
 * Ownership: struct llm_edits owns its strings; llm_edits_release frees them.
 */
#ifndef OPTIMIZE_LLM_EDITS_H
#define OPTIMIZE_LLM_EDITS_H

#include <stddef.h>

#include "base/buf.h"
#include "engine/manifest.h"

struct llm_edit {
	char *path;    /* relative path, one of the editable files */
	char *content; /* the whole new file */
	size_t len;
};

struct llm_edits {
	struct llm_edit *v;
	size_t n;
	char *note; /* the model's first explanatory line (outside code), or NULL */
};

/* Reads the current version of an editable file (the parent's) into out.
 * Returns 0, or -1 when it cannot be read. */
typedef int (*llm_edits_read_fn)(void *ctx, const char *path, struct buf *out);

struct llm_edits_target {
	const struct strlist *editable; /* the editable files that exist, relative paths */
	const struct strlist *readonly; /* other files the model was shown (context); may be NULL */
	/* the tree's other files, which must not change (named as protected in
	 * the message that rejects an answer editing one); may be NULL */
	const struct strlist *protected_files;
	llm_edits_read_fn read;
	void *read_ctx;
};

/*
 * Parse text (len bytes). truncated: the provider said the answer was cut
 * off by the token limit; it is then rejected without being parsed.
 * Returns 0 with out filled (at least one edit), or -1 with err holding the
 * message for the model; out is left empty then (safe to release).
 */
int llm_edits_parse(const char *text, size_t len, int truncated, const struct llm_edits_target *t,
                    struct llm_edits *out, struct buf *err);
void llm_edits_release(struct llm_edits *e);

/* The first explanatory line of a response (outside code blocks, markdown
 * decoration stripped, at most max bytes); "" when there is none. */
void llm_edits_first_line(const char *text, size_t len, size_t max, struct buf *out);

#endif
