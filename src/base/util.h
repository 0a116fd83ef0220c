/*
 * util.h: small helpers with one home each.
 *
 *   clock_mono_s / clock_unix_s   seconds from CLOCK_MONOTONIC / CLOCK_REALTIME
 *   text_distance                 edit distance (Damerau's adjacent swaps count 1)
 *   suggest_word                  the "did you mean" of every unknown name
 */
#ifndef OPTIMIZE_UTIL_H
#define OPTIMIZE_UTIL_H

#include <stddef.h>

double clock_mono_s(void);
double clock_unix_s(void);

enum text_distance_flags {
	TEXT_FOLD_CASE = 1 << 0, /* ASCII letters compare case-insensitively */
};

/*
 * Optimal string alignment distance between a[0..na) and b[0..nb):
 * insertions, deletions, substitutions and swaps of adjacent characters
 * cost 1. Inputs longer than `cap` characters are cut to cap (cap 0 = 256),
 * which bounds the cost on outside input.
 */
size_t text_distance(const char *a, size_t na, const char *b, size_t nb, size_t cap,
                     unsigned flags);

/*
 * The word of the NULL-terminated `known` list closest to `word`, when it is
 * close enough to be a likely typo (distance 1 for words of up to 3
 * letters, 2 up to 8, else 3; case folded), or a known word that starts
 * with `word` (4 letters or more: "timeout" for "timeout_s"). NULL if none.
 */
const char *suggest_word(const char *word, const char *const *known);

#endif
