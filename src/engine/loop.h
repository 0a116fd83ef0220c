/*
 * loop.h: the scheduler of one target's run. It only schedules: it asks
 * the proposer for batches of candidates, takes each through the pipeline
 * (pipeline.h) against the current best, accepts the ones measured faster
 * with confidence, and at the end confirms the winner (below). It prints
 * nothing and exits nowhere: it reports through the engine_events
 * callbacks and returns an engine_status (events.h).
 *
 * Confirmation. Every accepted step must earn its place: the winner is
 * measured once more head to head against the accepted candidate it was
 * built on (its nearest accepted ancestor); when that does not confirm the
 * addition, the simpler ancestor is kept and checked the same way. The
 * candidate kept is finally measured against the original, and that
 * measurement (a fresh sample, not the one that selected it) gives the
 * headline: the original's and the winner's values and the speedup with
 * its interval all come from it. So the result is never slower than the
 * original, and a chain of wins at the noise floor is rolled back.
 */
#ifndef OPTIMIZE_LOOP_H
#define OPTIMIZE_LOOP_H

#include "base/buf.h"
#include "engine/events.h"
#include "engine/pipeline.h"
#include "engine/proposer.h"
#include "engine/view.h"

struct loop_options {
	double budget_time_s; /* stop proposing after this long; 0 = no limit */
	size_t batch_max;     /* candidates per proposal; 0 = 16 */
	int no_confirm;       /* skip the confirmation (gate and tests that script decisions) */
	int verbosity;        /* passed on to proposers through the view */
};

struct loop;

/* The loop of one target, on an open pipeline (which it does not own). */
struct loop *loop_new(struct pipeline *p, const struct loop_options *o,
                      const struct engine_events *ev);
void loop_free(struct loop *l);

/*
 * The original (pipeline_baseline), then candidates from prop (NULL = the
 * original only), then the confirmation. ENGINE_OK whether or not anything
 * was faster; ENGINE_BASELINE, ENGINE_PROPOSER, ENGINE_INTERRUPTED,
 * ENGINE_ERROR otherwise (err says why). The view stays readable after it
 * returns, whatever the status.
 */
enum engine_status loop_run(struct loop *l, struct proposer *prop, struct buf *err);

const struct run_view *loop_view(const struct loop *l);

/* Rebuild and verify the winner again in a fresh workspace (before --apply):
 * 0 verified, 1 not (why), -1 error. 0 when the original is the winner. */
int loop_reverify_best(struct loop *l, struct buf *why, struct buf *err);

#endif
