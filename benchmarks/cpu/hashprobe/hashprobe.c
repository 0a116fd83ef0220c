/*
 * hashprobe: counting string keys in an open-addressing hash table whose
 * hash is the sum of the key's bytes, with linear probing.
 *
 * The keys ("user-" and eight hex digits) all have the same length, so
 * their byte sums fall in a narrow band of a few hundred values: the keys
 * pile up in one long cluster and every insert or lookup walks it,
 * comparing strings as it goes. The work is a realistic ingest: count N
 * keys (with repeats), then look up N keys of which about half are absent.
 * A rewrite wins by using a real hash (FNV-1a, murmur-style mixing) and
 * storing the hash next to the key; flags change little.
 *
 * usage: hashprobe N [SEED]
 */
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

#define KEYLEN 14 /* "user-" + 8 hex digits + NUL */

struct slot {
	char key[KEYLEN];
	long count; /* 0 = empty */
};

struct table {
	struct slot *s;
	size_t size; /* a power of two */
	size_t used;
};

static size_t hash(const char *k)
{
	size_t h = 0;
	while (*k)
		h += (unsigned char)*k++;
	return h;
}

static struct slot *table_find(struct table *t, const char *key)
{
	size_t i = hash(key) & (t->size - 1);
	while (t->s[i].count != 0) {
		if (strcmp(t->s[i].key, key) == 0)
			return &t->s[i];
		i = (i + 1) & (t->size - 1);
	}
	return &t->s[i];
}

static void table_add(struct table *t, const char *key)
{
	struct slot *s = table_find(t, key);
	if (s->count == 0) {
		strcpy(s->key, key);
		t->used++;
	}
	s->count++;
}

/* An order-independent fingerprint of a key, for checksums. */
static uint64_t mix(const char *k)
{
	uint64_t h = 1469598103934665603ULL;
	while (*k)
		h = (h ^ (unsigned char)*k++) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static void make_key(char *buf, uint32_t id)
{
	snprintf(buf, KEYLEN, "user-%08x", (unsigned)(id * 2654435761u));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: hashprobe N [SEED]\n");
		return 2;
	}
	size_t n = (size_t)strtoul(argv[1], NULL, 10);
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;

	struct table t = {0};
	t.size = 16;
	while (t.size < 2 * n + 16)
		t.size *= 2;
	t.s = calloc(t.size, sizeof *t.s);
	if (!t.s) {
		fprintf(stderr, "hashprobe: out of memory\n");
		return 1;
	}

	/* Ingest: n keys drawn from n/2 + 1 ids, so most keys repeat. */
	uint32_t ids = (uint32_t)(n / 2 + 1);
	char key[KEYLEN];
	for (size_t i = 0; i < n; i++) {
		make_key(key, (uint32_t)(rng_next() % ids));
		table_add(&t, key);
	}

	/* Lookups: ids from twice the range, about half absent. */
	long found = 0, missing = 0, found_total = 0;
	uint64_t found_sum = 0;
	for (size_t i = 0; i < n; i++) {
		make_key(key, (uint32_t)(rng_next() % (2 * (uint64_t)ids)));
		struct slot *s = table_find(&t, key);
		if (s->count) {
			found++;
			found_total += s->count;
			found_sum += mix(key) * (uint64_t)s->count;
		} else {
			missing++;
		}
	}

	/* Table contents, independent of where the keys landed. */
	uint64_t content = 0;
	long maxcount = 0, total = 0;
	for (size_t i = 0; i < t.size; i++)
		if (t.s[i].count) {
			content += mix(t.s[i].key) * (uint64_t)t.s[i].count;
			total += t.s[i].count;
			if (t.s[i].count > maxcount)
				maxcount = t.s[i].count;
		}
	printf("n %zu\n", n);
	printf("distinct %zu total %ld maxcount %ld\n", t.used, total, maxcount);
	printf("found %ld missing %ld found_total %ld\n", found, missing, found_total);
	printf("content %016llx\nfound_sum %016llx\n", (unsigned long long)content,
	       (unsigned long long)found_sum);
	free(t.s);
	return 0;
}
