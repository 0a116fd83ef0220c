/*
 * preset.c: the winner against standard compiler presets. See preset.h.
 */
#include "bench/preset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "bench/row.h"
#include "engine/candidate.h"
#include "engine/view.h"

/* One preset: build, verify and measure it against the original, then the winner against it. */
static enum engine_status one(struct target_run *tr, const struct run_view *v, const char *flags,
                              int id, struct bench_preset *out, struct buf *err)
{
	struct candidate *c = candidate_new("preset", flags);
	struct cand_check k;
	enum engine_status st;

	memset(&k, 0, sizeof(k));
	out->flags = flags;
	out->value = out->speedup = out->lo = out->hi = NAN;
	out->vs_best = out->vs_lo = out->vs_hi = NAN;
	c->id = id;
	c->parent = 0;
	c->set.cflags = xstrdup(flags);
	candidate_resolve(c, v->cands, view_pristine(v));
	st = pipeline_evaluate(tr->p, c, v->cands[0], err);
	if (st == ENGINE_OK && c->status != CAND_ACCEPTED && c->status != CAND_NOT_FASTER) {
		out->status = cand_status_name(c->status);
	} else if (st == ENGINE_OK) {
		out->status = "ok";
		out->value = c->meas.value;
		bench_gain(&c->meas, &out->speedup, &out->lo, &out->hi);
		/* The winner against the preset: winner / preset; preset / winner is the gain. */
		st = pipeline_compare(tr->p, view_best(v), c, &k, err);
		if (st == ENGINE_OK && k.m.nsamples)
			bench_gain(&k.m, &out->vs_best, &out->vs_lo, &out->vs_hi);
		else if (st == ENGINE_OK)
			out->status =
			    k.verdict == CAND_SKIPPED ? "skipped" : cand_status_name(k.verdict);
	}
	candidate_measurement_clear(&k.m);
	free(k.reason);
	candidate_free(c);
	return st;
}

enum engine_status bench_presets_run(struct target_run *tr, const struct strlist *presets,
                                     struct cJSON *row, struct buf *err)
{
	const struct run_view *v = tr->l ? loop_view(tr->l) : NULL;
	struct bench_preset *res;
	enum engine_status st = ENGINE_OK;
	size_t n = 0;

	if (!v || !v->ncands || v->cands[0]->status != CAND_ACCEPTED || !presets->n)
		return ENGINE_OK;
	res = xcalloc(presets->n, sizeof(*res));
	for (size_t i = 0; i < presets->n && st == ENGINE_OK; i++) {
		engine_note(v->ev, NOTE_PROGRESS,
		            "[%s] preset \"%s\" against the original and the winner",
		            v->target->name, presets->v[i]);
		st = one(tr, v, presets->v[i], (int)(v->ncands + 100 + i), &res[n], err);
		if (st == ENGINE_OK)
			n++;
	}
	if (st == ENGINE_OK)
		bench_row_set_presets(row, res, n);
	free(res);
	return st;
}
