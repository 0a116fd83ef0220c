/*
 * llm_prompt.h: the prompts sent to the model, rendered from templates.
 *
 * Templates are plain text or Markdown files in a prompts directory
 * (prompts/ in the source tree, share/optimize/prompts when installed,
 * --prompts DIR to override), one per kind below. A template names what it
 * shows with placeholders, {{name}}; the known names are listed in
 * llm_prompt_placeholders. An unknown placeholder or a missing file is an
 * error when the templates are loaded, before any request is made.
 *
 * What a prompt never holds: the verify commands and the original's
 * outputs (llm_prompt_redact removes the commands from failure messages),
 * so a model cannot special-case them.
 *
 * Token budget: tokens are estimated as bytes / 4. When the rendered system
 * + user prompt is over the budget, the oldest history lines go first, then
 * context files (last first). When the editable files still do not fit,
 * each large one (over 4 KiB) is shown as an outline: its hot functions
 * (from the profile) whole with line numbers, and the rest as the types,
 * macros and globals the hot code uses and the other functions'
 * signatures (llm_prompt_int.h); the output contract then asks for
 * SEARCH/REPLACE edits of those files. The outline then loses detail, the
 * profile shrinks, and fewer hot functions are shown whole. A prompt that
 * still does not fit is an error (never sent over the budget).
 *
 * Ownership: struct llm_templates owns its strings (llm_templates_release);
 * llm_prompt_input only points at the caller's data.
 */
#ifndef OPTIMIZE_LLM_PROMPT_H
#define OPTIMIZE_LLM_PROMPT_H

#include <stddef.h>

#include "base/buf.h"
#include "engine/manifest.h"
#include "prof/profile.h"

enum llm_prompt_kind {
	LLM_PROMPT_SYSTEM,
	LLM_PROMPT_FIRST,
	LLM_PROMPT_COMPILE_ERROR, /* build failed, or the edits could not be applied */
	LLM_PROMPT_WRONG_RESULT,  /* verify, test, run or protected-file failure */
	LLM_PROMPT_SLOWER,        /* measured, not faster (or a duplicate) */
	LLM_PROMPT_ACCEPTED,
	LLM_PROMPT_N,
};

/* The template's file name: "system.md", "first.md", "feedback-compile-error.md", ... */
const char *llm_prompt_file(enum llm_prompt_kind k);
/* The known placeholder names, NULL-terminated. */
const char *const *llm_prompt_placeholders(void);

struct llm_templates {
	char *dir;
	char *text[LLM_PROMPT_N];
};

/*
 * The default prompts directory: <prefix>/share/optimize/prompts next to
 * the running executable when it exists, else OPTIMIZE_SOURCE_DIR/prompts.
 * Writes the path into out (replacing its contents).
 */
void llm_prompts_default_dir(struct buf *out);
/* Load and check every template of dir (NULL = the default directory). */
int llm_templates_load(struct llm_templates *t, const char *dir, struct buf *err);
void llm_templates_release(struct llm_templates *t);
/* 0 when every {{name}} of text is known; -1 and err naming origin:line otherwise. */
int llm_template_check(const char *text, const char *origin, struct buf *err);

struct llm_prompt_file {
	const char *path;
	const char *content;
	size_t len;
};

struct llm_prompt_input {
	const char *target;
	const char *objective; /* "time (wall clock, s)" */
	const struct llm_prompt_file *editable;
	size_t neditable;
	const struct llm_prompt_file *context;
	size_t ncontext;
	const char *build, *compiler, *cflags, *ldflags;
	const struct profile *profile; /* NULL: profile_note is shown instead */
	const char *profile_note;
	size_t profile_max_bytes; /* 0 = 6000 */
	const char *machine;
	const char *const *history; /* one line each, oldest first */
	size_t nhistory;
	const char *feedback; /* the previous round's outcome, for feedback templates */
	int round;            /* 1-based */
	size_t budget_tokens; /* 0 = no budget */
};

struct llm_prompt_stats {
	size_t tokens; /* estimate of system + user */
	size_t history_dropped;
	size_t context_dropped;
	int profile_cut; /* the profile was shrunk below profile_max_bytes */
	int over_budget; /* still over after all trimming: llm_prompt_render failed */
	int outlined;    /* large editable files were shown as hot functions + outline */
	char parts[512]; /* which context was sent: "lib/x.c: outline (whole: f; ...)" */
};

/* bytes / 4, rounded up. */
size_t llm_tokens_estimate(size_t bytes);

/*
 * Render the system prompt and the user prompt of kind k (LLM_PROMPT_FIRST
 * or a feedback kind) into system and user (replacing their contents),
 * trimming to the budget. stats may be NULL.
 */
int llm_prompt_render(const struct llm_templates *t, enum llm_prompt_kind k,
                      const struct llm_prompt_input *in, struct buf *system, struct buf *user,
                      struct llm_prompt_stats *stats, struct buf *err);

/* Render one template with the values of in (no trimming); for tests. */
int llm_prompt_fill(const char *tpl, const char *origin, const struct llm_prompt_input *in,
                    size_t nhistory_skip, size_t ncontext_keep, size_t profile_bytes,
                    struct buf *out, struct buf *err);

/* Append text to out with every verify command of t replaced by
 * "<verify command>", so failure messages never reveal them. */
void llm_prompt_redact(const struct target *t, const char *text, struct buf *out);

#endif
