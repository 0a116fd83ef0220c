/*
 * preset.h: the winner against standard compiler presets ("-O3",
 * "-O3 -march=native", or the suite's "presets"), measured head to head the
 * same way as every candidate: each preset is a candidate of the original
 * with only its CFLAGS changed, taken through the one pipeline (build,
 * verify, measure against the original), then the winner is measured
 * against it (pipeline_compare). The honest "better than just -O3" figure.
 */
#ifndef OPTIMIZE_BENCH_PRESET_H
#define OPTIMIZE_BENCH_PRESET_H

#include "base/buf.h"
#include "base/strlist.h"
#include "engine/events.h"
#include "run/target_run.h"

struct cJSON;

/*
 * Measure each preset of `presets` on tr's open pipeline (after
 * target_run_exec) and attach the results to row ("presets").
 * ENGINE_OK, ENGINE_INTERRUPTED or ENGINE_ERROR (err).
 */
enum engine_status bench_presets_run(struct target_run *tr, const struct strlist *presets,
                                     struct cJSON *row, struct buf *err);

#endif
