#include "base/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/xalloc.h"

double clock_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double clock_unix_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fold(int c, unsigned flags)
{
	if ((flags & TEXT_FOLD_CASE) && c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

size_t text_distance(const char *a, size_t na, const char *b, size_t nb, size_t cap, unsigned flags)
{
	size_t *prev2, *prev, *cur, i, j, d;

	if (!cap)
		cap = 256;
	if (na > cap)
		na = cap;
	if (nb > cap)
		nb = cap;
	/* Three rows: the swap rule looks two rows back. */
	prev2 = xcalloc(3 * (nb + 1), sizeof(*prev2));
	prev = prev2 + (nb + 1);
	cur = prev + (nb + 1);
	for (j = 0; j <= nb; j++)
		prev[j] = j;
	for (i = 1; i <= na; i++) {
		int ca = fold((unsigned char)a[i - 1], flags);
		cur[0] = i;
		for (j = 1; j <= nb; j++) {
			int cb = fold((unsigned char)b[j - 1], flags);
			size_t best = prev[j - 1] + (ca != cb);

			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == fold((unsigned char)b[j - 2], flags) &&
			    fold((unsigned char)a[i - 2], flags) == cb && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		{
			size_t *t = prev2;
			prev2 = prev;
			prev = cur;
			cur = t;
		}
	}
	d = prev[nb];
	/* prev2/prev/cur rotate through one allocation: free its start. */
	{
		size_t *lo = prev2 < prev ? prev2 : prev;
		lo = cur < lo ? cur : lo;
		free(lo);
	}
	return d;
}

const char *suggest_word(const char *word, const char *const *known)
{
	size_t lw = strlen(word), limit = lw <= 3 ? 1 : lw <= 8 ? 2 : 3;
	size_t bestd = SIZE_MAX;
	const char *best = NULL;

	for (size_t i = 0; known[i]; i++) {
		size_t d = text_distance(word, lw, known[i], strlen(known[i]), 64, TEXT_FOLD_CASE);
		if (d < bestd) {
			bestd = d;
			best = known[i];
		}
	}
	if (best && bestd <= limit && bestd < lw)
		return best;
	for (size_t i = 0; known[i] && lw >= 4; i++)
		if (!strncasecmp(known[i], word, lw))
			return known[i];
	return NULL;
}
