/*
 * compare.h: numeric-aware output comparison (differential testing).
 *
 * Both texts are split into whitespace-separated tokens. Tokens that parse
 * completely as numbers (strtod: decimal, exponent, hex floats, inf, nan)
 * are equal when |a - b| <= atol + rtol * |b| (b = expected); NaN equals NaN
 * only when both are NaN; infinities equal only with the same sign. Other
 * tokens must be byte-identical. A different number of tokens is a mismatch
 * at the first missing or extra token. Whitespace amounts do not matter.
 *
 * On a mismatch the message names the first differing token with its line
 * and column (1-based) in the actual output, the expected and actual token,
 * and up to 2 lines of context from each side, each line cut at 200 bytes.
 * That message is what goes back to an LLM, so it never holds the whole
 * expected output.
 */
#ifndef OPTIMIZE_COMPARE_H
#define OPTIMIZE_COMPARE_H

#include <stddef.h>

#include "optimize/buf.h"

struct compare_opts {
	double rtol;
	double atol;
};

/* 0 if equal, 1 if they differ (msg describes the first difference). */
int compare_text(const char *expected, size_t elen, const char *actual, size_t alen,
                 const struct compare_opts *opts, struct buf *msg);

/* Byte comparison for binary files: 0 equal, 1 differ (msg names the first offset). */
int compare_bytes(const char *expected, size_t elen, const char *actual, size_t alen,
                  struct buf *msg);

/* Files: text comparison when both look like text (no NUL in the first 8 KiB),
 * byte comparison otherwise. -1 if a file cannot be read (msg says which). */
int compare_files(const char *expected_path, const char *actual_path,
                  const struct compare_opts *opts, struct buf *msg);

#endif
