/*
 * compare.h: numeric-aware output comparison (differential testing).
 *
 * Both texts are split into whitespace-separated tokens. Tokens that parse
 * completely as numbers (strtod: decimal, exponent, hex floats, inf, nan)
 * are equal when |a - b| <= atol + rtol * |b| (b = expected); NaN equals NaN
 * only when both are NaN; infinities equal only with the same sign. Other
 * tokens are cut into runs of text and decimal numbers ("sum=2.18e+03",
 * "x:1.5", "(1.5,2.5)", "1.5,2,3" CSV fields, "12ms"): the text runs must be
 * byte-identical and the numbers match under the same tolerance. A number
 * inside a token starts at a digit, '.' or sign where the byte before is not
 * a letter, digit, '_' or '.', so "r4c1", "v1.2" and the digits of "0x1f"
 * stay text; inside tokens only decimal numbers count (no hex, inf or nan).
 * A different number of tokens is a mismatch
 * at the first missing or extra token. Whitespace amounts do not matter.
 *
 * A number token that overflows a double ("1e999") is compared as text.
 * Whitespace is space, tab, newline, carriage return, vertical tab and form
 * feed; columns count bytes.
 *
 * On a mismatch the message names the first differing token with its line
 * and column (1-based) in the actual output, the expected and actual token
 * (each cut at 80 bytes), and up to 2 lines of context from each side (the
 * line of the difference and the one before), each line cut at 200 bytes
 * (around the token when it sits far right in a long line). Bytes that are
 * not printable are written as \xNN. For numbers it adds the absolute and
 * relative difference and the tolerance; for a number inside a token, a
 * second line "  number '2.185813e+03' in the token: got '2.19e+03' (...)"
 * names it. For example:
 *
 *   line 3, column 6: expected '3.14159' but got '3.15' (|diff| 0.00841 > tolerance 3.14e-09 from
 * rtol 1e-09, atol 0; relative diff 0.00268) expected: 2 | radius 1 3 | area 3.14159 actual: 2 |
 * radius 1 3 | area 3.15
 *
 * A different number of tokens reads "line L, column C: expected more
 * output: ..." or "... unexpected extra output: ...", with C just after the
 * last token of the actual output or at the first extra token.
 * That message is what goes back to an LLM, so it never holds the whole
 * expected output.
 *
 * msg may be NULL everywhere; it is reset first, and left empty on a match.
 */
#ifndef OPTIMIZE_COMPARE_H
#define OPTIMIZE_COMPARE_H

#include <stddef.h>

#include "base/buf.h"

/* Both >= 0; {0, 0} (or a NULL opts) still equates "1.0" and "1". */
struct compare_opts {
	double rtol;
	double atol;
};

/* How much of a file's start compare_is_binary looks at. */
#define COMPARE_SNIFF_BYTES 8192

/* 1 when the first COMPARE_SNIFF_BYTES bytes hold a NUL, else 0. */
int compare_is_binary(const char *data, size_t len);

/* 0 if equal, 1 if they differ (msg describes the first difference). */
int compare_text(const char *expected, size_t elen, const char *actual, size_t alen,
                 const struct compare_opts *opts, struct buf *msg);

/*
 * Byte comparison for binary files: 0 equal, 1 differ (msg names the first
 * differing offset, both lengths and the bytes around it in hex).
 */
int compare_bytes(const char *expected, size_t elen, const char *actual, size_t alen,
                  struct buf *msg);

/* Text comparison when both look like text, byte comparison otherwise. */
int compare_data(const char *expected, size_t elen, const char *actual, size_t alen,
                 const struct compare_opts *opts, struct buf *msg);

/*
 * Files: text comparison when both look like text (no NUL in the first 8 KiB),
 * byte comparison otherwise. -1 if a file cannot be read or is larger than
 * BUF_DEFAULT_MAX (msg says which: "cannot read actual output 'out.bin': No
 * such file or directory").
 */
int compare_files(const char *expected_path, const char *actual_path,
                  const struct compare_opts *opts, struct buf *msg);

#endif
