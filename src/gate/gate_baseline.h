/*
 * gate_baseline.h: a stored baseline for `optimize gate`: every target
 * measured alone and written down with the environment it was measured in
 * (`gate record`), and a head compared with such a file (`gate --baseline`).
 *
 * Meant for exact counts (instructions under cachegrind), where a number
 * from another job means the same. A wall-time baseline is accepted with a
 * plain warning in the result's notes. A mismatch of the environment (CPU
 * model, compiler and version, CC/CFLAGS/LDFLAGS) is named in the notes; a
 * baseline recorded by another tool version, or for another set of targets
 * or objectives, is refused (ENGINE_SETUP: the command's exit 2).
 *
 * The file (JSON, "schema": "optimize-gate-baseline", "version": 1):
 *   tool_version, commit, dirty, environment {cpu_model, compiler, kernel},
 *   targets [{name, objective, source, unit, deterministic, cc, cflags,
 *   ldflags, value (median), values [every run]}]
 */
#ifndef OPTIMIZE_GATE_BASELINE_H
#define OPTIMIZE_GATE_BASELINE_H

#include "gate/gate.h"

struct cJSON;

/* Measure tree's targets alone; *out gets the baseline document. commit may be NULL. */
enum engine_status gate_baseline_record(const struct gate_options *o, const char *tree,
                                        const char *run_id, const char *commit, int dirty,
                                        struct cJSON **out, struct buf *err);

/* tree's targets measured alone against the baseline document (file names it in messages). */
enum engine_status gate_baseline_compare(const struct gate_options *o, const char *tree,
                                         const char *run_id, const struct cJSON *baseline,
                                         const char *file, struct gate_result *r, struct buf *err);

#endif
