/*
 * report.h: what a run leaves behind, under .optimize/runs/<run-id>/.
 *
 *   report.json        every target, every candidate, every measurement,
 *                      each number with its unit and source; versioned
 *                      (schema "optimize.report", schema_version 1; see
 *                      docs/report-format.md). Rewritten atomically after
 *                      each candidate, so an interrupted run stays readable.
 *   summary.md         the result table a person reads
 *   <target>/best.patch   unified diff of the winner against the original
 *                         (empty when flags alone won)
 *   <target>/best/        the winner's source tree
 *   <target>/report.json  the target's part of report.json
 *
 * The report reads a const view of each target's run (engine/view.h); it
 * does not know the scheduler.
 */
#ifndef OPTIMIZE_REPORT_H
#define OPTIMIZE_REPORT_H

#include "base/buf.h"
#include "engine/pipeline.h"
#include "engine/view.h"

struct cJSON;

#define REPORT_SCHEMA         "optimize.report"
#define REPORT_SCHEMA_VERSION 1

/* One target of a run, as the report sees it. */
struct report_target {
	const struct target *t;
	const struct run_view *v; /* NULL when the target could not be set up */
	const char *error;        /* why not (when v is NULL) */
	const char *objective;    /* the objective asked for (when v is NULL) */
	struct cJSON *extra;      /* proposer fields ("llm": {...}); borrowed; may be NULL */
};

struct run_meta {
	const char *run_id;
	const char *command;  /* the command line */
	const char *run_dir;  /* .optimize/runs/<run-id> */
	const char *proposer; /* "flags", "llm", "dir", "none" */
	const struct measure_settings *m;
	double started_unix;
	double wall_s;
	int exit_code;
};

/*
 * The headline of a target: the measurement of the winner against the
 * original that the table, summary.md and report.json all quote (loop.h:
 * the confirming one), or NULL when the original is kept.
 */
const struct cand_measurement *report_headline(const struct run_view *v);

/*
 * The headline's speedup, point and interval: the point is original / best,
 * the medians of the two sides in that one head-to-head (so the numbers
 * quoted next to it add up); the interval is the inverse of the paired
 * median-ratio bootstrap interval, which decided. The median of per-pair
 * ratios can differ slightly from the ratio of medians, so the point is
 * kept within the interval.
 */
void report_speedup(const struct cand_measurement *h, struct stats_interval *out);

/* "improved", "no-improvement", "baseline-failed", "interrupted" */
const char *report_target_status(const struct report_target *rt);

/* The target's JSON (caller owns it). */
struct cJSON *report_target_json(const struct report_target *rt);
/* Write <run_dir>/report.json for one target (atomic). */
int report_write_target(const struct report_target *rt, struct buf *err);
/* best.patch and best/ for one target. best/'s manifest carries the winner's
 * build settings (report_best_manifest), and best.patch shows that change too. */
int report_write_best(const struct run_view *v, struct buf *err);
/*
 * The winner's build settings (cflags, ldflags, cc, cl_build_options) written
 * into the manifest of the winner's tree at best_dir, when they differ from
 * the manifest's; its relative path is added to files (NULL = not wanted).
 * PGO and a work-group size have no manifest field and stay out. 0, or -1.
 */
int report_best_manifest(const struct run_view *v, const char *best_dir, struct strlist *files,
                         struct buf *err);
/* The manifest's path relative to the target's tree: 1, or 0 when it is outside the tree. */
int report_manifest_relpath(const struct target *t, struct buf *out);
/* The whole run: report.json and summary.md at meta->run_dir. */
int report_write_run(const struct report_target *targets, size_t n, const struct run_meta *meta,
                     struct buf *err);
/* The end-of-run table (Markdown) for stdout and summary.md. */
void report_table(const struct report_target *targets, size_t n, struct buf *out);
/* summary.md's text (report_write_run writes it). */
void report_summary_md(const struct report_target *targets, size_t n, const struct run_meta *meta,
                       struct buf *md);

#endif
