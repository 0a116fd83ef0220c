/*
 * gate.h: `optimize gate`, the CI gate: is the head slower than the base?
 *
 * Two trees (the base revision's clean checkout and the head's) go through
 * the one candidate pipeline, target by target: the base as the original
 * (built, run twice on every input to prove it deterministic, its outputs
 * the references), the head as a candidate with a whole tree of its own
 * (built with the same settings, every verify run compared with the
 * base's, its test, then measured against the base in interleaved pairs,
 * every timed run's output checked too). A head that computes something
 * else is a behaviour change, never a timing.
 *
 * The measurement stops with the regression rule of engine/stats_gate.h at
 * the Bonferroni level; the verdicts are then read with Holm's step-down
 * over all compared targets (gate_family), so the family-wise false-alarm
 * rate is alpha.
 *
 * The head's optimize.json describes both revisions: the same build
 * command, flags, run and verify commands for both.
 *
 * Nothing here prints: notes go through the engine_events, the result is a
 * value that the command renders (gate_output.h) and maps to an exit code.
 */
#ifndef OPTIMIZE_GATE_H
#define OPTIMIZE_GATE_H

#include <signal.h>

#include "base/buf.h"
#include "base/strlist.h"
#include "engine/events.h"
#include "engine/pipeline.h"
#include "engine/stats_gate.h"

/*
 * The bases of earlier comparisons, kept (bisect): per target and base
 * checkout, the base's pipeline with the base built, verified and its
 * references taken, so that the next head against the same base builds only
 * itself. A kept base is built and run with the settings of the comparison
 * that made it (the head's optimize.json of the gate); later heads are
 * built with those too. Free it after the last comparison: its workspaces
 * go with it.
 */
struct gate_base_cache;
struct gate_base_cache *gate_base_cache_new(void);
void gate_base_cache_free(struct gate_base_cache *c);

/* The gate's --max-runs when not given (run's is 30). */
#define GATE_DEFAULT_MAX_RUNS 60

struct gate_options {
	const char *state_dir;         /* checkouts, runs/ and work/ go here (created) */
	const char *only;              /* one target (--target); NULL = every target */
	const struct strlist *targets; /* only these (bisect); NULL = see only */
	const char *objective, *counters, *cc;
	double threshold; /* 0 = 5% for noisy objectives, 1% for deterministic ones */
	double alpha;     /* family-wise false-alarm rate (0.05) */
	struct measure_settings m;
	int allow_network;
	const char *run_as;    /* as root: candidates' user (pipeline_options.run_as) */
	int allow_unsafe_root; /* pipeline_options.allow_unsafe_root */
	volatile sig_atomic_t *cancel;
	const struct engine_events *ev;
	struct gate_base_cache *cache; /* NULL: every comparison builds its base */
};
void gate_options_default(struct gate_options *o);
/* The pipeline options of one side's pipeline from o (no profiling; the
 * caller sets baseline_runs and the gate's threshold and level). */
void gate_pipeline_options(const struct gate_options *o, const struct target *t, const char *run_id,
                           struct pipeline_options *po);

/* What became of one target. */
enum gate_outcome {
	GATE_MEASURED,     /* compared: see verdict */
	GATE_BASE_FAILED,  /* the base does not build, run, pass its test, or is nondeterministic */
	GATE_HEAD_FAILED,  /* the head does not build, its run fails, or its test fails */
	GATE_BEHAVIOUR,    /* the head's outputs differ from the base's */
	GATE_SETUP_FAILED, /* cannot be measured as asked (objective, counters): a usage error */
	GATE_NOT_MEASURED, /* interrupted, or a side failed while being measured */
	GATE_NEW,          /* only the head has this target: nothing to compare (passes) */
	GATE_REMOVED,      /* only the base has this target (passes) */
};
const char *gate_outcome_name(enum gate_outcome o);

struct gate_target {
	char *name;
	enum gate_outcome outcome;
	char *reason;                    /* why it was not measured; NULL when it was */
	char *objective, *unit, *source; /* "instructions", "", "cachegrind (simulated)" */
	int deterministic;               /* exact counts: one run of each side */
	double threshold;
	double base_value, head_value;       /* medians of each side's runs */
	double *ratios;                      /* head / base per pair */
	double *base_samples, *head_samples; /* each side's value per pair (n of each) */
	size_t n;
	struct stats_interval ci;        /* at `level` */
	double level;                    /* per-target level after Holm (and the looks) */
	size_t looks;                    /* looks the measurement took at the pairs (1: none) */
	enum stats_gate_verdict verdict; /* GATE_INCONCLUSIVE unless measured */
};

struct gate_result {
	struct gate_target *t;
	size_t n;
	double alpha;
	size_t family;        /* targets in Holm's family (the measured ones) */
	char *base_label;     /* "3f2a91c (origin/main)", "baseline.json (3f2a91c)" */
	char *head_label;     /* "9e1b0d4 (HEAD)", "the work tree" */
	struct strlist notes; /* warnings every output repeats (a wall-time baseline, ...) */
};
void gate_result_init(struct gate_result *r);
void gate_result_release(struct gate_result *r);
/* A new target in r, named, everything else empty. */
struct gate_target *gate_result_add(struct gate_result *r, const char *name);

/*
 * Compare head_tree against base_tree for every target of head_tree's
 * manifest. run_id separates this comparison's files from others' (bisect
 * steps). ENGINE_OK (each target's outcome says what happened to it),
 * ENGINE_SETUP (the manifest is invalid, an unknown --target: err),
 * ENGINE_INTERRUPTED or ENGINE_ERROR.
 */
enum engine_status gate_compare(const struct gate_options *o, const char *base_tree,
                                const char *head_tree, const char *run_id, struct gate_result *r,
                                struct buf *err);

/* Holm's step-down over r's measured targets (engine/stats_gate.h). */
void gate_family(struct gate_result *r, double alpha);

/* The gate's answer. */
enum gate_status {
	GATE_PASS,       /* nothing regressed (inconclusive passes unless counted as failing) */
	GATE_REGRESSION, /* a target regressed (or was inconclusive with inconclusive_fails) */
	GATE_BROKEN,     /* a revision does not build or verify, or behaves differently */
	GATE_USAGE,      /* a target cannot be measured as asked */
	GATE_INCOMPLETE, /* interrupted */
};
enum gate_status gate_status_of(const struct gate_result *r, int inconclusive_fails);

/* Helpers shared by the gate's files. */
double gate_default_threshold(int deterministic);
/* The objective of target t under o: 1 when deterministic, 0 not, -1 (err) when unknown. */
int gate_objective_deterministic(const struct gate_options *o, const char *target_objective,
                                 struct buf *err);

#endif
