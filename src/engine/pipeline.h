/*
 * pipeline.h: the one candidate pipeline.
 *
 * A pipeline belongs to one target of one run. It takes a candidate through
 * a table of stages, each of which records its outcome in the candidate
 * instead of aborting the run (after curl's per-transfer states):
 *
 *   materialize  its workspace: the original tree plus the chain's edits
 *                (or, for gate's head, a whole tree of its own)
 *   build        CC, CFLAGS (+ -g), LDFLAGS from its effective settings
 *                (CXX, CXXFLAGS likewise for C++ sources);
 *                PGO: instrumented build, training run, final build
 *   verify       every verify command, compared with the original's outputs
 *   test         the manifest's test command
 *   protected    files outside `editable` unchanged
 *   measure      interleaved pairs against the current best (measure.h)
 *   profile      one more run under the counter backend (and sampling)
 *
 * This module is the ONLY maker of child process specs for target code
 * (pipeline_child_spec): the environment (scrubbed, with CC/CFLAGS/...), the
 * isolation (network and mount namespaces), the limits, the timeout and the
 * stop on interrupt are decided here once, for builds, verify runs, timed
 * runs, tests, profiles and PGO training alike. Proposers, `optimize
 * profile`, `gate` and `bench` all go through it.
 *
 * The original (candidate 0) goes through pipeline_baseline, which also
 * runs it twice on every input (a disagreement means it is
 * nondeterministic) and keeps its outputs as the references.
 */
#ifndef OPTIMIZE_PIPELINE_H
#define OPTIMIZE_PIPELINE_H

#include <signal.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/proc.h"
#include "engine/candidate.h"
#include "engine/events.h"
#include "engine/manifest.h"

struct objective;
struct machine_info;
struct counter_backend;
struct measure_guard;

struct measure_settings {
	int min_runs, max_runs; /* pairs: 5 .. 30 */
	int warmup;             /* warm-up runs of each side: 1 */
	double min_gain;        /* 0.03 */
	double level;           /* confidence level: 0.95 */
	unsigned resamples;     /* bootstrap resamples: 2000 */
	uint64_t seed;          /* of the bootstrap */
	int cpu;                /* pin timed runs to this CPU; -1 = no */
	int cpu_auto; /* cpu -1: choose a CPU by a short calibration of the original (run) */
	/* `optimize gate`: the regression rule (stats_gate.h) when > 0, at gate_level */
	double gate_threshold, gate_level;
};
void measure_settings_default(struct measure_settings *m);

struct pipeline_options {
	const struct target *target;
	const char *state_dir; /* runs/ and work/ go here; created */
	const char *run_id;
	const char *cc;        /* --cc; NULL = the manifest's */
	const char *objective; /* NULL = the manifest's */
	const char *counters;  /* counter backend for counter objectives; NULL = automatic */
	int allow_network;     /* do not isolate candidates from the network */
	/* As root: the user candidates run as (NULL = "nobody"); with
	 * allow_unsafe_root, where that is impossible, they run as root. */
	const char *run_as;
	int allow_unsafe_root;
	int profile;           /* count each measured candidate (and sample the original) */
	int hotspots_accepted; /* also sample each accepted candidate (LLM prompts read them) */
	int baseline_runs;     /* runs of the original alone, for its time and CV; 0 = min_runs */
	int check_only;        /* pipeline_baseline stops before measuring (optimize check) */
	struct measure_settings m;
	volatile sig_atomic_t *cancel; /* set by the caller's signal handler; may be NULL */
	const struct engine_events *ev;
	const struct measure_guard *guard; /* around every timed phase (measure.h); may be NULL */
};
void pipeline_options_default(struct pipeline_options *o);

struct pipeline;

/* Set up: copy the tree, probe isolation, resolve the objective, check OpenCL.
 * ENGINE_OK, or ENGINE_SETUP / ENGINE_BASELINE / ENGINE_ERROR with err. */
enum engine_status pipeline_open(const struct pipeline_options *o, struct pipeline **out,
                                 struct buf *err);
void pipeline_close(struct pipeline *p);

/* A new candidate 0 for this target: the manifest's settings (and --cc). */
struct candidate *pipeline_original(const struct pipeline *p);

/*
 * The original through every stage, twice where outputs are compared, then
 * measured alone (not with check_only: then its status stays CAND_PENDING). ENGINE_OK,
 * ENGINE_BASELINE (reason in orig and err), ENGINE_INTERRUPTED or ENGINE_ERROR.
 */
enum engine_status pipeline_baseline(struct pipeline *p, struct candidate *orig, struct buf *err);

/*
 * c (resolved) through every stage, measured against `against`. Whatever
 * happens to the candidate is recorded in it (status, stage, reason);
 * the return is ENGINE_OK, ENGINE_INTERRUPTED or ENGINE_ERROR.
 */
enum engine_status pipeline_evaluate(struct pipeline *p, struct candidate *c,
                                     const struct candidate *against, struct buf *err);

/*
 * Only materialize and build c (for `optimize profile`): status stays
 * CAND_PENDING when it built, else CAND_BUILD_FAILED with the reason.
 */
enum engine_status pipeline_prepare(struct pipeline *p, struct candidate *c, struct buf *err);

/*
 * Measure two built and verified candidates head to head once more (a
 * confirming measurement, with a fresh sample): out gets the measurement
 * and a verdict, CAND_ACCEPTED when c is faster than `against` with
 * confidence, else CAND_NOT_FASTER (or a failure status). The candidates
 * are not changed.
 */
enum engine_status pipeline_compare(struct pipeline *p, const struct candidate *c,
                                    const struct candidate *against, struct cand_check *out,
                                    struct buf *err);

struct profile_request {
	const struct counter_backend *backend; /* NULL = perf where it counts, else rusage */
	const char *const *events;             /* NULL = the backend's defaults */
	size_t nevents;
	int hotspots;        /* also sample (or cachegrind's per-line figures) */
	struct buf *out_buf; /* keep the program's stdout/stderr here (may be NULL) */
	struct buf *err_buf;
};

/*
 * One run of c's timed command under a counter backend: counters, derived
 * metrics and (on request) hotspots into out, OpenCL kernels for kernel
 * targets. res gets the run's outcome. -1 on an error (err); a failed run
 * is not an error (see res).
 */
int pipeline_profile(const struct pipeline *p, const struct candidate *c,
                     const struct profile_request *rq, struct profile *out, struct proc_result *res,
                     struct buf *err);

/*
 * Rebuild c in a fresh workspace and verify it again (before --apply):
 * 0 when it verifies, 1 when it does not (why), -1 on an error.
 */
int pipeline_reverify(struct pipeline *p, struct candidate *c, struct buf *why, struct buf *err);

/*
 * A winner w that changes only build settings, while the manifest sets
 * cflags: is it the same code as the project's own build without $CFLAGS?
 * Then w->restores_default is set (and a warning given): the "win" only
 * undoes what cflags overrode. 0, or -1 on an error (pipeline_buildcheck.c).
 */
int pipeline_check_project_default(struct pipeline *p, const struct candidate *orig,
                                   struct candidate *w, struct buf *err);

/* Counters and hotspots of c's timed run into c->profile (the winner's, for the report). */
void pipeline_profile_winner(struct pipeline *p, struct candidate *c);

/* 1 once the caller's cancel flag is set. */
int pipeline_cancelled(const struct pipeline *p);

/* What the pipeline knows, for the view and the reports. */
const struct target *pipeline_target(const struct pipeline *p);
const char *pipeline_run_dir(const struct pipeline *p);
const char *pipeline_state_dir(const struct pipeline *p);
const char *pipeline_run_id(const struct pipeline *p);
const char *pipeline_pristine(const struct pipeline *p);
const struct objective *pipeline_objective(const struct pipeline *p);
const struct machine_info *pipeline_machine(const struct pipeline *p);
const char *pipeline_machine_text(const struct pipeline *p);
int pipeline_kernel_target(const struct pipeline *p);
const char *pipeline_isolation_net(const struct pipeline *p);
/* The CPU timed runs of p were pinned to (-1 = none), and how it was chosen. */
int pipeline_pinned_cpu(const struct pipeline *p, const char **how);
const char *pipeline_isolation_tree(const struct pipeline *p);
/* What holds for the candidates' processes (report.json isolation.process). */
const char *pipeline_isolation_process(const struct pipeline *p);
const struct strlist *pipeline_original_files(const struct pipeline *p);

#endif
