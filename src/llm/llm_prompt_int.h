/*
 * llm_prompt_int.h: private to src/llm/llm_prompt*.c: what the prompt
 * renderer (llm_prompt.c) and the outline of large files
 * (llm_prompt_outline.c) share.
 */
#ifndef OPTIMIZE_LLM_PROMPT_INT_H
#define OPTIMIZE_LLM_PROMPT_INT_H

#include "llm/llm_prompt.h"

/* Hot functions shown whole at most, and the least share (of samples or
 * instructions) that makes a function hot. */
#define LLM_OUTLINE_MAX_HOT 8
#define LLM_OUTLINE_MIN_PCT 1.0
/* In outline mode, editable files up to this size are still shown whole. */
#define LLM_OUTLINE_SMALL_FILE 4096

/* The fence's language tag for a path: "c", "cpp", "opencl" or "". */
const char *llm_prompt_lang(const char *path);

/* How many functions of f the profile names as hot (at most LLM_OUTLINE_MAX_HOT). */
size_t llm_prompt_hot_count(const struct llm_prompt_file *f, const struct profile *p);

/*
 * Append f as an outline: its hot functions (at most nhot_max, hottest
 * first) whole with line numbers, and at level 0 the #include lines, the
 * types, macros and globals the hot code uses and the signatures of the
 * other functions; level 1 only the signatures of functions the hot code
 * calls; level 2 no signatures; level 3 nothing but the hot functions.
 * A heading says which parts are whole and which outlined; desc (may be
 * NULL) gets a short form for the transcript. Returns the number of hot
 * functions shown whole.
 */
int llm_prompt_outline_file(const struct llm_prompt_file *f, const struct profile *p, int level,
                            size_t nhot_max, struct buf *out, struct buf *desc);

#endif
