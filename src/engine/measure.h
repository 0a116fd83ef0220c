/*
 * measure.h: the measurement engine. Decides whether one side is faster
 * than another, honestly.
 *
 * Both sides run the same command in their own workspace. After `warmup`
 * runs of each, runs are interleaved in pairs (A B, then B A, alternating
 * so neither side always runs second), so drift and noise hit both. The
 * statistic is the median of the per-pair ratios cand/base with a seeded
 * bootstrap confidence interval; between min_runs and max_runs pairs are
 * taken, stopping as soon as the decision rule (stats_decide) is clear.
 * With a deterministic objective one run of each side decides.
 *
 * Every timed run of the candidate is also checked against the original's
 * outputs (ref), so a candidate cannot be fast by doing less on the timing
 * input than on the verify inputs.
 *
 * This engine knows nothing of candidates or proposers: `optimize gate` and
 * `optimize bench` use it on any two builds.
 */
#ifndef OPTIMIZE_MEASURE_H
#define OPTIMIZE_MEASURE_H

#include <signal.h>
#include <stdint.h>

#include "engine/objective.h"
#include "engine/stats.h"
#include "engine/stats_gate.h"
#include "engine/verify.h"

/* One side of a comparison. The spec (made by the pipeline, the only maker
 * of specs for target code) is copied for each run; stdout/stderr are kept
 * in memory (a copy of the latest run's goes to save) and cpu is set from
 * the config. */
struct measure_side {
	const struct proc_spec *spec;
	const char *trace_path;   /* kernel objectives: interposer output; NULL otherwise */
	int ws_fd;                /* its workspace (output files are read beneath it) */
	struct capture_save save; /* where a copy of the latest run goes (rel NULL = none) */
	/* Called before each run of this side (NULL = none): nonzero stops the
	 * measurement (o->tampered, why in o->why), e.g. its build was changed
	 * since it was sealed (engine/seal.h). */
	int (*check)(void *ctx, struct buf *why);
	void *check_ctx;
};

/*
 * Around every timed phase (one measure_pair or measure_single, warm-up
 * included): enter before its first run, leave after its last. enter
 * returns 0, or -1 when it gave up (interrupted while waiting): the
 * measurement then ends at once as interrupted, with no run. `optimize
 * bench` holds the machine's timing lock this way, only while measuring,
 * so several targets can build and propose at once while their timed runs
 * never overlap.
 */
struct measure_guard {
	int (*enter)(void *ctx);
	void (*leave)(void *ctx);
	void *ctx;
};

struct measure_config {
	const char *cmd;
	int min_runs, max_runs, warmup;
	double min_gain, level;
	unsigned resamples;
	uint64_t seed;
	int cpu;                          /* pin every timed run to this CPU; -1 = no */
	const struct capture *ref;        /* the original's timed run; NULL = no output check */
	const struct compare_item *items; /* compared on every run */
	size_t nitems;
	double rtol, atol;
	/* The gate's rule (stats_gate.h) instead of "faster": on when
	 * gate_threshold > 0; the interval is then at gate_level. */
	double gate_threshold, gate_level;
	/* called after every pair (n pairs so far); may be NULL */
	void (*progress)(void *ctx, size_t n, const struct stats_interval *ci);
	void *ctx;
	/* Inputs a candidate cannot predict: called before each pair (warm-up
	 * pairs too), it sets entry to one more "NAME=value" that both sides'
	 * runs of the pair get (a fresh $OPTIMIZE_SEED); the candidate's
	 * outputs are then checked against the base side's outputs of the same
	 * pair, not against ref. NULL: no. */
	void (*pair_env)(void *ctx, struct buf *entry);
	void *pair_env_ctx;
	volatile sig_atomic_t *stop; /* set (e.g. by SIGINT): the running child is stopped too */
	const struct measure_guard *guard; /* around the timed runs; may be NULL */
};

struct measure_outcome {
	double *base, *cand; /* objective values, one per run; n of each */
	size_t n;
	struct stats_interval ci; /* of the ratios cand/base */
	enum stats_verdict verdict;
	enum stats_gate_verdict gate; /* with the gate's rule */
	int deterministic;
	int failed;     /* 1: the base failed a run, 2: the candidate did */
	int tampered;   /* 1 or 2: that side's check failed before a run (why); failed is set too */
	struct buf why; /* what failed: crash, timeout, output mismatch */
	double base_median, cand_median, base_cv;
	int interrupted;
};

void measure_outcome_init(struct measure_outcome *o);
void measure_outcome_release(struct measure_outcome *o);

/* Returns 0 when a decision (or a run failure, see o->failed) was reached,
 * -1 on an internal error (err). */
int measure_pair(const struct measure_config *cfg, const struct objective *obj,
                 const struct measure_side *base, const struct measure_side *cand,
                 struct measure_outcome *o, struct buf *err);

/* n runs of one side (no comparison): for reporting a baseline alone. */
int measure_single(const struct measure_config *cfg, const struct objective *obj,
                   const struct measure_side *side, int n, struct measure_outcome *o,
                   struct buf *err);

#endif
