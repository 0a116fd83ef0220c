/*
 * row.h: one row of a suite's table, as the journal keeps it (JSON) and as
 * the tables read it (struct bench_row). docs/bench.md defines each column.
 *
 * The speedup is original / best from the run's headline measurement (the
 * winner against the original, report.h), with its 95% interval; a target
 * whose original is kept has speedup 1 (no interval), a failed one none.
 * `correct` is KernelBench's: at least one candidate passed verification
 * (built, verified, tested, and its timed runs' outputs matched).
 */
#ifndef OPTIMIZE_BENCH_ROW_H
#define OPTIMIZE_BENCH_ROW_H

#include <stddef.h>

#include "bench/suite.h"
#include "engine/events.h"
#include "run/target_run.h"

struct cJSON;
struct cand_measurement;

/* Statuses of a row. */
#define BENCH_ROW_IMPROVED       "improved"
#define BENCH_ROW_NO_IMPROVEMENT "no-improvement"
#define BENCH_ROW_BASELINE_FAILED                                                                  \
	"baseline-failed" /* original does not build/run, nondeterministic */
#define BENCH_ROW_INVALID_MANIFEST "invalid-manifest"
#define BENCH_ROW_ERROR            "error" /* the setup or the proposer failed (reason) */

/* The row of a target that ran (tr after target_run_exec, st its status). */
struct cJSON *bench_row_from_run(const struct bench_entry *e, const struct target_run *tr,
                                 enum engine_status st, const char *error);
/*
 * The gain of a head-to-head h of x against y (h->ci is the paired ratio
 * x / y): y / x, > 1 when x is faster, exactly as report.json's "speedup"
 * (report_speedup: the ratio of the two medians, kept inside the interval;
 * the interval is the inverse of the ratio's). Every speedup column of the
 * tables (a row's speedup, a preset's, the winner against a preset) comes
 * from here.
 */
void bench_gain(const struct cand_measurement *h, double *estimate, double *lo, double *hi);

/* The row of a target that could not run (status, reason). */
struct cJSON *bench_row_failed(const struct bench_entry *e, const char *status, const char *reason);

/* One preset measured head to head against the winner. */
struct bench_preset {
	const char *flags;
	const char *status;     /* "ok", or why not ("build-failed", ...) */
	double value;           /* its median (objective's unit) */
	double speedup, lo, hi; /* original / preset, from its head-to-head with the original */
	double vs_best, vs_lo, vs_hi; /* preset / winner: > 1 means the winner is faster */
};

#define BENCH_ROW_MAX_REASONS 12

/* A row as the tables read it: strings borrowed from the JSON. NAN = none. */
struct bench_row {
	const char *name, *target, *status, *reason, *objective, *unit, *winner;
	double original, best;
	double speedup, lo, hi; /* original / best; 1 (lo = hi = NAN) when the original is kept */
	int correct;
	int tried, accepted;
	const char *reject_name[BENCH_ROW_MAX_REASONS];
	int reject_count[BENCH_ROW_MAX_REASONS];
	size_t nreject;
	long prompt_tokens, completion_tokens;
	double cost;
	double wall_s;
	/* the best preset (the fastest that verified), against the winner */
	const char *preset;
	double preset_speedup, preset_vs_best, preset_vs_lo, preset_vs_hi;
};

/* Read a journal row. */
void bench_row_parse(const struct cJSON *row, struct bench_row *out);

/* Attach the presets' results to a row (replacing "presets"). */
void bench_row_set_presets(struct cJSON *row, const struct bench_preset *p, size_t n);

#endif
