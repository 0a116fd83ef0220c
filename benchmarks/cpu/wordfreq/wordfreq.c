/*
 * wordfreq: word frequencies of a generated English-like text.
 *
 * The text (NWORDS words from a Zipf-like vocabulary, mixed case,
 * punctuation, numbers and line breaks) is built in memory, then
 * tokenized into maximal runs of letters, case-folded with tolower(), and
 * counted in a sorted array of distinct words (binary search, insertion by
 * memmove). Finally the words are sorted by count and the top ones printed.
 * Where a rewrite wins: a hash table instead of the sorted array, folding
 * with a table instead of per-character library calls, no strlen/strcmp in
 * the hot path.
 *
 * usage: wordfreq NWORDS [SEED]
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

#define VOCAB 6000
#define MAXWORD 64

static const char *syllables[] = {
	"ka", "to", "ri", "men", "sa", "lo", "pe", "dra", "vin", "es", "ul", "tor",
	"an", "qui", "be", "so", "nat", "ox", "li", "ger", "um", "cha", "fi", "wen",
	"ta", "ro", "sel", "mi", "dun", "ea", "ph", "yst",
};

struct entry {
	char *word;
	long count;
};

struct dict {
	struct entry *e;
	size_t n, cap;
};

static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q) {
		fprintf(stderr, "wordfreq: out of memory\n");
		exit(1);
	}
	return q;
}

static void dict_add(struct dict *d, const char *w)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d->e[mid].word, w);
		if (c == 0) {
			d->e[mid].count++;
			return;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->e = xrealloc(d->e, d->cap * sizeof *d->e);
	}
	memmove(d->e + lo + 1, d->e + lo, (d->n - lo) * sizeof *d->e);
	d->e[lo].word = xrealloc(NULL, strlen(w) + 1);
	strcpy(d->e[lo].word, w);
	d->e[lo].count = 1;
	d->n++;
}

static int by_count(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->word, y->word);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wordfreq NWORDS [SEED]\n");
		return 2;
	}
	long nwords = strtol(argv[1], NULL, 10);
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	if (nwords < 0)
		nwords = 0;

	/* The vocabulary: 1 to 4 syllables each. */
	static char vocab[VOCAB][MAXWORD];
	size_t nsyl = sizeof syllables / sizeof syllables[0];
	for (int v = 0; v < VOCAB; v++) {
		int k = 1 + (int)(rng_next() % 4);
		vocab[v][0] = '\0';
		for (int s = 0; s < k; s++)
			strcat(vocab[v], syllables[rng_next() % nsyl]);
	}

	/* The text. */
	size_t cap = 1024, len = 0;
	char *text = xrealloc(NULL, cap);
	for (long i = 0; i < nwords; i++) {
		double u = rng_unit();
		int r = (int)(VOCAB * u * u * u); /* Zipf-like: low ranks are common */
		char w[MAXWORD + 16];
		uint64_t style = rng_next() % 100;
		if (style < 3) {
			snprintf(w, sizeof w, "%u", (unsigned)(rng_next() % 3000));
		} else {
			strcpy(w, vocab[r]);
			if (style < 15)
				w[0] = (char)toupper((unsigned char)w[0]);
			else if (style < 17)
				for (char *p = w; *p; p++)
					*p = (char)toupper((unsigned char)*p);
		}
		const char *sep = " ";
		uint64_t sp = rng_next() % 64;
		if (sp < 4)
			sep = ", ";
		else if (sp < 7)
			sep = ". ";
		else if (sp < 8)
			sep = "; ";
		else if (sp < 9)
			sep = "!\n";
		else if (sp < 12)
			sep = "\n";
		else if (sp < 13)
			sep = " -- ";
		size_t need = strlen(w) + strlen(sep);
		while (len + need + 1 > cap) {
			cap *= 2;
			text = xrealloc(text, cap);
		}
		memcpy(text + len, w, strlen(w));
		len += strlen(w);
		memcpy(text + len, sep, strlen(sep));
		len += strlen(sep);
	}
	text[len] = '\0';

	/* Tokenize, fold, count. */
	struct dict d = {0};
	long tokens = 0, letters = 0, lines = 0;
	long hist[26] = {0};
	size_t longest = 0;
	char longest_word[MAXWORD + 1] = "";
	char w[MAXWORD + 1];
	for (size_t i = 0; i < len;) {
		if (text[i] == '\n')
			lines++;
		if (!isalpha((unsigned char)text[i])) {
			i++;
			continue;
		}
		size_t k = 0;
		while (isalpha((unsigned char)text[i])) {
			if (k < MAXWORD)
				w[k++] = (char)tolower((unsigned char)text[i]);
			i++;
		}
		w[k] = '\0';
		for (size_t c = 0; c < k; c++)
			hist[w[c] - 'a']++;
		letters += (long)k;
		tokens++;
		if (strlen(w) > longest || (strlen(w) == longest && strcmp(w, longest_word) < 0)) {
			longest = strlen(w);
			strcpy(longest_word, w);
		}
		dict_add(&d, w);
	}

	/* Checksum over the alphabetical (word, count) list. */
	uint64_t fnv = 1469598103934665603ULL;
	long hapax = 0;
	for (size_t i = 0; i < d.n; i++) {
		for (const char *p = d.e[i].word; *p; p++)
			fnv = (fnv ^ (unsigned char)*p) * 1099511628211ULL;
		fnv = (fnv ^ (uint64_t)d.e[i].count) * 1099511628211ULL;
		if (d.e[i].count == 1)
			hapax++;
	}
	qsort(d.e, d.n, sizeof *d.e, by_count);

	printf("bytes %zu lines %ld tokens %ld letters %ld distinct %zu hapax %ld\n", len, lines,
	       tokens, letters, d.n, hapax);
	printf("checksum %016llx\n", (unsigned long long)fnv);
	printf("longest %zu %s\n", longest, longest_word);
	printf("letters");
	for (int c = 0; c < 26; c++)
		printf(" %ld", hist[c]);
	printf("\n");
	for (size_t i = 0; i < d.n && i < 25; i++)
		printf("%zu %s %ld\n", i + 1, d.e[i].word, d.e[i].count);
	if (d.n > 25)
		printf("last %s %ld\n", d.e[d.n - 1].word, d.e[d.n - 1].count);

	for (size_t i = 0; i < d.n; i++)
		free(d.e[i].word);
	free(d.e);
	free(text);
	return 0;
}
