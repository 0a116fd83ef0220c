/*
 * pipeline_seed.c: inputs a candidate cannot predict. A manifest may use
 * $OPTIMIZE_SEED in its run and verify commands; the tool then gives every
 * verification of a candidate a fresh seed and runs the original on the same
 * seed for the reference, and every timed pair a fresh seed too, with the
 * base side's output in that pair as the reference for the candidate's run.
 * So a program hard-coded for the answers of one input fails. See
 * docs/manifest.md.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "engine/pipeline.h"
#include "engine/pipeline_int.h"

#define SEED_VAR "OPTIMIZE_SEED"

unsigned long pipeline_fresh_seed(void)
{
	unsigned int u = 0;

	if (getrandom(&u, sizeof(u), 0) != (ssize_t)sizeof(u))
		u = (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
	u &= 0x7fffffffu;
	return u ? u : 1;
}

void pipeline_seed_setup(struct pipeline *p)
{
	const struct target *t = p->t;
	int used = t->run && strstr(t->run, SEED_VAR);

	for (size_t i = 0; i < t->nverify && !used; i++)
		used = t->verify[i].run && strstr(t->verify[i].run, SEED_VAR);
	p->seeded = used;
	p->seed0 = pipeline_fresh_seed();
	p->cur_seed = p->seed0;
}

void pipeline_seed_env(const struct pipeline *p, struct strlist *env)
{
	strlist_pushf(env, SEED_VAR "=%lu", p->cur_seed);
}

/* A failure's reason says on which seed, to reproduce it. */
static void say_seed(const struct pipeline *p, struct buf *why)
{
	if (why->len)
		buf_addf(why, " (" SEED_VAR "=%lu)", p->cur_seed);
}

int pipeline_verify_seeded(struct pipeline *p, const struct candidate *c, struct buf *why,
                           struct buf *err)
{
	const struct target *t = p->t;
	struct capture *ref, *got;
	int r;

	if (!p->seeded || !p->orig)
		return -2; /* not seeded: the caller compares with the references */
	ref = xcalloc(t->nverify + 1, sizeof(*ref));
	got = xcalloc(t->nverify + 1, sizeof(*got));
	p->cur_seed = pipeline_fresh_seed();
	r = pipeline_verify_set(p, p->orig, "seed-ref", ref, why, err);
	if (r == 1) {
		buf_addstr(why, " (the original, on this seed)");
		r = 3;
	}
	for (size_t i = 0; r == 0 && i < t->nverify; i++)
		if (!proc_result_ok(&ref[i].res)) {
			buf_setf(why, "the original's verify run %zu ('%s') failed on this seed",
			         i + 1, t->verify[i].run);
			r = 3;
		}
	if (r == 0)
		r = pipeline_verify_set(p, c, "verify", got, why, err);
	if (r == 0)
		r = pipeline_compare_verify(p, ref, got, why, err);
	if (r > 0)
		say_seed(p, why);
	p->cur_seed = p->seed0;
	pipeline_captures_free(p, ref);
	pipeline_captures_free(p, got);
	return r;
}

void pipeline_seed_pair_env(void *ctx, struct buf *entry)
{
	/* (p->cur_seed stays seed0: the specs' own entry, overridden) */
	(void)ctx;
	buf_setf(entry, SEED_VAR "=%lu", pipeline_fresh_seed());
}
