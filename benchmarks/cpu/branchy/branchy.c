/*
 * branchy: classify random network-like records with data-dependent
 * branches.
 *
 * Each record (size, port, protocol, flags, packed in 32 bits) goes
 * through an if-else ladder of size classes, a set of filter rules and a
 * per-protocol switch, updating histograms and counters. The data are
 * random, so most branches are unpredictable and the time goes to
 * mispredictions. Flags: -O3 and profile-guided builds turn some branches
 * into conditional moves and lay out the hot paths. Rewrite: table
 * look-ups for the ladder, branch-free arithmetic for the rules.
 *
 * usage: branchy N [SEED]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct stats {
	long size_class[12];
	long proto[8];
	long accepted, dropped, logged, suspicious;
	uint64_t bytes_in, bytes_out;
	uint64_t score;
};

static int size_class(unsigned size)
{
	if (size < 64)
		return 0;
	else if (size < 128)
		return 1;
	else if (size < 256)
		return 2;
	else if (size < 512)
		return 3;
	else if (size < 576)
		return 4;
	else if (size < 1024)
		return 5;
	else if (size < 1280)
		return 6;
	else if (size < 1500)
		return 7;
	else if (size < 2048)
		return 8;
	else if (size < 3000)
		return 9;
	else if (size < 3500)
		return 10;
	return 11;
}

static void classify(uint32_t r, struct stats *st)
{
	unsigned size = r & 0xfff;          /* 0..4095 */
	unsigned port = (r >> 12) & 0x3ff;  /* 0..1023 */
	unsigned proto = (r >> 22) & 0x7;   /* 0..7 */
	unsigned flags = (r >> 25) & 0x7f;  /* 7 flag bits */

	st->size_class[size_class(size)]++;
	st->proto[proto]++;

	int accept;
	if (port < 80) {
		accept = (flags & 1) != 0;
	} else if (port == 80 || port == 443) {
		accept = 1;
	} else if (port < 512) {
		accept = size < 1500 && (flags & 2);
	} else if (flags & 4) {
		accept = proto != 3;
	} else {
		accept = size > 100 && proto < 5;
	}

	if (accept) {
		st->accepted++;
		if (flags & 8)
			st->bytes_in += size;
		else
			st->bytes_out += size;
	} else {
		st->dropped++;
		if ((flags & 0x30) == 0x30)
			st->logged++;
	}

	switch (proto) {
	case 0:
		st->score += size > 1000 ? 3 : 1;
		break;
	case 1:
		if (port & 1)
			st->score += port % 7;
		break;
	case 2:
		st->score ^= (uint64_t)size << (port & 15);
		break;
	case 3:
		if (size < 64 && (flags & 0x40))
			st->suspicious++;
		break;
	case 4:
		st->score += (flags & 0x10) ? size / 16 : size % 16;
		break;
	case 5:
		if (port > 1000 || size == 0)
			st->suspicious++;
		else
			st->score++;
		break;
	default:
		st->score = st->score * 3 + (accept ? 1 : 2);
		break;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: branchy N [SEED]\n");
		return 2;
	}
	size_t n = (size_t)strtoul(argv[1], NULL, 10);
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;

	uint32_t *rec = malloc((n ? n : 1) * sizeof *rec);
	if (!rec) {
		fprintf(stderr, "branchy: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		rec[i] = (uint32_t)(rng_next() >> 32);

	struct stats st = {0};
	for (int pass = 0; pass < 4; pass++)
		for (size_t i = 0; i < n; i++)
			classify(rec[i] ^ (uint32_t)(pass * 0x9e3779b9u), &st);

	printf("n %zu\n", n);
	printf("size_class");
	for (int i = 0; i < 12; i++)
		printf(" %ld", st.size_class[i]);
	printf("\nproto");
	for (int i = 0; i < 8; i++)
		printf(" %ld", st.proto[i]);
	printf("\naccepted %ld dropped %ld logged %ld suspicious %ld\n", st.accepted, st.dropped,
	       st.logged, st.suspicious);
	printf("bytes_in %llu bytes_out %llu\nscore %016llx\n", (unsigned long long)st.bytes_in,
	       (unsigned long long)st.bytes_out, (unsigned long long)st.score);
	free(rec);
	return 0;
}
