/*
 * llm_outline.h: the parts of a C (or C++, OpenCL C) source file, found
 * without a compiler: preprocessor lines, declarations (types, globals,
 * prototypes) and function definitions, each with its line range. A prompt
 * for a file too large to show whole shows its hot functions whole and
 * the rest as an outline built from these parts (llm_prompt.c).
 *
 * The scan knows comments, string and character literals, preprocessor
 * lines with continuations, and brace and parenthesis depth; it does not
 * expand macros, so code whose braces are produced by macros is seen as
 * written. A function is a top-level "{...}" whose heading ends with ")"
 * (optionally followed by qualifiers such as const or an attribute).
 *
 * Ownership: struct llm_outline owns its items and their names;
 * llm_outline_release frees them.
 */
#ifndef OPTIMIZE_LLM_OUTLINE_H
#define OPTIMIZE_LLM_OUTLINE_H

#include <stddef.h>

#include "base/strlist.h"

enum llm_outline_kind {
	LLM_OL_PP,    /* #include, #define, #if ... (with continuation lines) */
	LLM_OL_DECL,  /* a top-level declaration ending in ';': types, globals */
	LLM_OL_PROTO, /* a function prototype */
	LLM_OL_FUNC,  /* a function definition */
};

struct llm_outline_item {
	enum llm_outline_kind kind;
	int first, last; /* 1-based lines, inclusive */
	int body;        /* FUNC: the line of the opening brace */
	char *name;      /* FUNC and PROTO: the function's name; PP: a #define's name */
	/* the identifiers a DECL or PP declares (a #define's name, a type's tag,
	 * its members and enumerators, a global's name) */
	struct strlist declares;
	struct strlist members; /* a DECL's struct or union members */
};

struct llm_outline {
	struct llm_outline_item *v;
	size_t n;
	int nlines;
};

/* Scan text (len bytes) into out. 0, or -1 when memory ran out. */
int llm_outline_scan(const char *text, size_t len, struct llm_outline *out);
void llm_outline_release(struct llm_outline *o);

/* The function item containing line, or NULL. */
const struct llm_outline_item *llm_outline_function_at(const struct llm_outline *o, int line);
/* The function item named name, or NULL. A profile's name is matched
 * without " (inlined)", C++ qualifiers and parameter lists. */
const struct llm_outline_item *llm_outline_function_named(const struct llm_outline *o,
                                                          const char *name);

/* Add every identifier of lines [first, last] of text to ids, and those
 * used as members (after "." or "->") also to members (no duplicates). */
void llm_outline_identifiers(const char *text, size_t len, int first, int last, struct strlist *ids,
                             struct strlist *members);

#endif
