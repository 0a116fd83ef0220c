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
 */
#ifndef OPTIMIZE_REPORT_H
#define OPTIMIZE_REPORT_H

#include "base/buf.h"
#include "engine/loop.h"

struct cJSON;

#define REPORT_SCHEMA         "optimize.report"
#define REPORT_SCHEMA_VERSION 1

struct run_meta {
	const char *run_id;
	const char *command; /* the command line */
	const char *run_dir; /* .optimize/runs/<run-id> */
	const struct loop_options *opt;
	const char *proposer; /* "flags", "llm", "dir", "none" */
	double started_unix;
	double wall_s;
	int exit_code;
};

/* The target's JSON (caller owns it). */
struct cJSON *report_target_json(const struct loop_state *st);
/* Write <run_dir>/report.json for one target (atomic). */
int report_write_target(const struct loop_state *st, struct buf *err);
/* best.patch and best/ for one target. */
int report_write_best(const struct loop_state *st, struct buf *err);
/* The whole run: report.json and summary.md at meta->run_dir. */
int report_write_run(struct loop_state *const *states, size_t n, const struct run_meta *meta,
                     struct buf *err);
/* The end-of-run table for stderr/stdout and summary.md (Markdown table). */
void report_table(struct loop_state *const *states, size_t n, struct buf *out);

/* "improved", "no-improvement", "baseline-failed", "interrupted" */
const char *report_target_status(const struct loop_state *st);

#endif
