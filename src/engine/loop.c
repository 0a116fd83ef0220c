/*
 * loop.c: the scheduler. See loop.h for the contract and
 * docs/architecture.md for how a candidate flows.
 */
#include "engine/loop.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/xalloc.h"

struct loop {
	struct run_view v; /* what readers see; cands below is its array */
	struct pipeline *p;
	struct loop_options opt;
	const struct engine_events *ev;
	struct candidate **cands;
	size_t cap;
	char *stop_reason;
};

struct loop *loop_new(struct pipeline *p, const struct loop_options *o,
                      const struct engine_events *ev)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->p = p;
	l->opt = *o;
	if (!l->opt.batch_max)
		l->opt.batch_max = 16;
	l->ev = ev;
	l->v.target = pipeline_target(p);
	l->v.pipe = p;
	l->v.ev = ev;
	l->v.run_dir = pipeline_run_dir(p);
	l->v.run_id = pipeline_run_id(p);
	l->v.state_dir = pipeline_state_dir(p);
	l->v.started = clock_mono_s();
	l->v.headline = -1;
	l->v.verbosity = o->verbosity;
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->v.ncands; i++)
		candidate_free(l->cands[i]);
	free(l->cands);
	free(l->stop_reason);
	free(l);
}

const struct run_view *loop_view(const struct loop *l)
{
	return &l->v;
}

static void push(struct loop *l, struct candidate *c)
{
	if (l->v.ncands == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->cands = xreallocarray(l->cands, l->cap, sizeof(*l->cands));
	}
	c->id = (int)l->v.ncands;
	l->cands[l->v.ncands++] = c;
	l->v.cands = l->cands;
	candidate_resolve(c, l->cands, pipeline_pristine(l->p));
}

static void stop(struct loop *l, const char *why)
{
	l->v.stopped = 1;
	xstrset(&l->stop_reason, why);
	l->v.stop_reason = l->stop_reason;
}

static int cancelled(const struct loop *l)
{
	return pipeline_cancelled(l->p);
}

static void done(struct loop *l, const struct candidate *c)
{
	if (l->ev && l->ev->candidate_done)
		l->ev->candidate_done(l->ev->ctx, &l->v, c);
}

/* Same content and settings as an earlier candidate: not built or measured again. */
static int duplicate(struct loop *l, struct candidate *c)
{
	for (size_t i = 0; i + 1 < l->v.ncands; i++) {
		const struct candidate *o = l->cands[i];
		if (o != c && o->hash[0] && !strcmp(o->hash, c->hash)) {
			struct buf why = BUF_INIT;
			buf_addf(&why, "identical to c%d: not built or measured again", o->id);
			candidate_set(c, CAND_DUPLICATE, why.data);
			buf_release(&why);
			return 1;
		}
	}
	return 0;
}

/* The nearest accepted ancestor of c (0 for the original). */
static int accepted_ancestor(const struct loop *l, const struct candidate *c)
{
	for (int p = c->parent; p > 0; p = l->cands[p]->parent)
		if (l->cands[p]->status == CAND_ACCEPTED)
			return p;
	return 0;
}

/* A fresh head-to-head of c against other, recorded as a check of c. */
static enum engine_status check(struct loop *l, struct candidate *c, int other,
                                const struct cand_check **out, struct buf *err)
{
	struct cand_check k;
	enum engine_status st;

	memset(&k, 0, sizeof(k));
	st = pipeline_compare(l->p, c, l->cands[other], &k, err);
	if (st == ENGINE_ERROR)
		return st;
	*out = candidate_add_check(c, &k);
	return st;
}

/* See "Confirmation" in loop.h. */
static enum engine_status confirm(struct loop *l, struct buf *err)
{
	int w = l->v.best;

	while (w != 0) {
		struct candidate *c = l->cands[w];
		int base = accepted_ancestor(l, c);
		const struct cand_check *k;
		enum engine_status st;

		if (base != 0) {
			engine_note(
			    l->ev, NOTE_PROGRESS,
			    "  c%d was built on c%d: measuring the addition again against c%d",
			    c->id, base, base);
			st = check(l, c, base, &k, err);
			if (st != ENGINE_OK)
				return st;
			done(l, c);
			if (k->verdict != CAND_ACCEPTED) {
				engine_note(
				    l->ev, NOTE_PROGRESS,
				    "  c%d: not confirmed faster than c%d (%s): keeping c%d", c->id,
				    base, k->reason, base);
				w = base;
				continue;
			}
			engine_note(l->ev, NOTE_PROGRESS, "  c%d: the addition is confirmed: %s",
			            c->id, k->reason);
		}
		engine_note(l->ev, NOTE_PROGRESS, "  c%d: measuring it against the original",
		            c->id);
		st = check(l, c, 0, &k, err);
		if (st != ENGINE_OK)
			return st;
		done(l, c);
		if (k->verdict == CAND_ACCEPTED) {
			engine_note(l->ev, NOTE_PROGRESS,
			            "  c%d: confirmed against the original: %s", c->id, k->reason);
			l->v.best = w;
			l->v.headline = w;
			return ENGINE_OK;
		}
		engine_note(l->ev, NOTE_PROGRESS,
		            "  c%d: not confirmed faster than the original (%s)", c->id, k->reason);
		w = base;
	}
	l->v.best = 0;
	l->v.headline = -1;
	return ENGINE_OK;
}

static enum engine_status evaluate_batch(struct loop *l, struct proposer *prop,
                                         struct candidate **batch, int n, struct buf *err)
{
	enum engine_status st = ENGINE_OK;

	for (int i = 0; i < n; i++) {
		struct candidate *c = batch[i];

		if (c->parent < 0 || (size_t)c->parent >= l->v.ncands)
			c->parent = l->v.best;
		push(l, c);
		if (st != ENGINE_OK || cancelled(l)) {
			candidate_set(c, CAND_SKIPPED, "interrupted");
		} else if (c->status == CAND_PENDING && !duplicate(l, c)) {
			st = pipeline_evaluate(l->p, c, l->cands[l->v.best], err);
			if (st == ENGINE_OK && c->status == CAND_ACCEPTED)
				l->v.best = c->id;
		}
		done(l, c);
		if (prop->feedback)
			prop->feedback(prop, &l->v, c);
		if (st == ENGINE_ERROR)
			return st;
	}
	return st;
}

static enum engine_status search(struct loop *l, struct proposer *prop, struct buf *err)
{
	struct candidate **batch = xcalloc(l->opt.batch_max, sizeof(*batch));
	enum engine_status st = ENGINE_OK;

	while (st == ENGINE_OK && !cancelled(l)) {
		int n;

		if (l->opt.budget_time_s > 0 &&
		    clock_mono_s() - l->v.started > l->opt.budget_time_s) {
			stop(l, "time budget reached");
			break;
		}
		buf_reset(err);
		n = prop->propose(prop, &l->v, batch, l->opt.batch_max, err);
		if (n == PROPOSER_STOP) {
			stop(l, buf_str(err));
			buf_reset(err);
			break;
		}
		if (n < 0) {
			stop(l, buf_str(err));
			st = ENGINE_PROPOSER;
			break;
		}
		if (n == 0)
			break;
		st = evaluate_batch(l, prop, batch, n, err);
	}
	free(batch);
	return st;
}

enum engine_status loop_run(struct loop *l, struct proposer *prop, struct buf *err)
{
	struct candidate *orig = pipeline_original(l->p);
	enum engine_status st;

	push(l, orig);
	st = pipeline_baseline(l->p, orig, err);
	done(l, orig);
	if (st == ENGINE_INTERRUPTED)
		stop(l, "interrupted");
	if (st != ENGINE_OK)
		return st;
	if (prop)
		st = search(l, prop, err);
	if (st == ENGINE_OK && !cancelled(l) && !l->opt.no_confirm)
		st = confirm(l, err);
	else if (l->cands[l->v.best]->meas.compared_with == 0)
		l->v.headline = l->v.best;
	if (st == ENGINE_OK && !cancelled(l) && l->v.best != 0 &&
	    pipeline_check_project_default(l->p, l->cands[0], l->cands[l->v.best], err) < 0)
		st = ENGINE_ERROR;
	/* The winner's hotspots, for the report, when the search did not take them. */
	if (st == ENGINE_OK && !cancelled(l) && l->v.best != 0 &&
	    !l->cands[l->v.best]->profile.nfunctions) {
		struct candidate *w = l->cands[l->v.best];
		pipeline_profile_winner(l->p, w);
		done(l, w);
	}
	if (cancelled(l) || st == ENGINE_INTERRUPTED) {
		stop(l, "interrupted");
		if (!err->len)
			err_set(err, "target '%s': interrupted", l->v.target->name);
		return ENGINE_INTERRUPTED;
	}
	return st;
}

int loop_reverify_best(struct loop *l, struct buf *why, struct buf *err)
{
	if (l->v.best == 0)
		return 0;
	return pipeline_reverify(l->p, l->cands[l->v.best], why, err);
}
