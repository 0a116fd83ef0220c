/*
 * loop.h: the optimization loop for one target.
 *
 * loop_run builds and checks the original (the baseline, candidate 0),
 * records its outputs, measures it, then asks the proposer for candidates
 * and takes each through build -> protected check -> verify -> test ->
 * measure -> decide. The current best starts as the baseline and changes
 * only when a candidate is measured faster with confidence, so the result
 * is never slower than the original.
 *
 * Proposers read the state through the fields and functions below; they do
 * not change it.
 */
#ifndef OPTIMIZE_LOOP_H
#define OPTIMIZE_LOOP_H

#include <stdint.h>

#include "engine/candidate.h"
#include "engine/manifest.h"

struct cJSON;

struct loop_options {
	int min_runs, max_runs; /* pairs: 5 .. 30 */
	int warmup;             /* warm-up runs of each side: 1 */
	double min_gain;        /* 0.03 */
	double level;           /* confidence level: 0.95 */
	unsigned resamples;     /* bootstrap resamples: 2000 */
	uint64_t seed;
	int cpu;               /* pin timed runs; -1 = no */
	const char *objective; /* overrides the manifest's; NULL = manifest */
	const char *counters;  /* counter backend for counter objectives; NULL = auto */
	const char *cc;        /* --cc; NULL = manifest */
	int verbosity;
	int progress_tty;
	int profile;            /* collect counters + hotspots of baseline and winner */
	double budget_time_s;   /* 0 = none */
	const char *state_dir;  /* where runs/ and work/ go: <tree>/.optimize by default */
	int allow_network;      /* do not isolate candidates from the network */
	int hotspots_each_best; /* sample every new best (a proposer reads them) */
};

void loop_options_default(struct loop_options *o);

struct loop_state {
	const struct target *target;
	const struct loop_options *opt;
	char *run_id;
	char *run_dir;            /* .optimize/runs/<run-id>/<target> */
	char *work_root;          /* .optimize/work/<run-id>/<target> */
	struct candidate **cands; /* cands[0] is the baseline */
	size_t ncands, cap;
	int best;       /* id of the current best */
	char *machine;  /* CPU model, cores, caches, SIMD: text for prompts */
	double started; /* monotonic seconds */
	int stopped;    /* a budget or interrupt ended it */
	char *stop_reason;
	struct cJSON *extra; /* proposer-provided report fields (e.g. "llm": {...}); owned */
};

const struct candidate *loop_best(const struct loop_state *st);
const struct candidate *loop_candidate(const struct loop_state *st, int id);
/* The contents of relpath as it is in candidate id's tree. */
int loop_read_file(const struct loop_state *st, int id, const char *relpath, struct buf *out,
                   struct buf *err);
/* The editable (and kernel) files of the original tree, relative paths. */
int loop_editable_files(const struct loop_state *st, struct strlist *out, struct buf *err);

/* A candidate's effective build settings (its own, else its ancestors'). */
struct cand_config {
	const char *cc, *cflags, *ldflags, *cl_build_options, *wg_size;
	int pgo;
};
void loop_config(const struct loop_state *st, int id, struct cand_config *out);
/* 1 when the target is an OpenCL kernel target (kernels, or a kernel_time objective). */
int loop_kernel_target(const struct loop_state *st);

struct objective;
struct machine_info;
const struct objective *loop_objective(const struct loop_state *st);
/* How candidates are isolated: "network namespace with loopback only", or "none: why". */
const char *loop_isolation(const struct loop_state *st);
/* Whether candidates can write the user's tree: "read-only ..." or "writable: why". */
const char *loop_isolation_tree(const struct loop_state *st);
const struct machine_info *loop_machine(const struct loop_state *st);
/* Files candidate id changes relative to the original (relative paths). */
int loop_changed_files(const struct loop_state *st, int id, struct strlist *out);
/* The untouched copy of the original tree. */
const char *loop_pristine(const struct loop_state *st);

/* Run the loop on one target with one proposer (NULL = baseline only).
 * Returns an exit_code (cli.h). Results are written under st->run_dir. */
int loop_run(const struct target *t, const struct loop_options *opt, struct proposer *prop,
             const char *run_id, struct loop_state **out_state, struct buf *err);
void loop_state_free(struct loop_state *st);

/* Rebuild the best in a fresh workspace and verify it again (for --apply).
 * 0 when it verifies, 1 when it does not (why), -1 on an error. */
int loop_reverify(struct loop_state *st, struct buf *why, struct buf *err);

#endif
