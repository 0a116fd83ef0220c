/*
 * objective.h: what "faster" means for a target, and how one run of it is
 * turned into one number.
 *
 *   time          wall time of the run command (CLOCK_MONOTONIC), seconds
 *   cycles, instructions, cache-misses
 *                 a counter backend's count (perf when the PMU has it;
 *                 instructions fall back to cachegrind, which is
 *                 deterministic: then one run of each side decides)
 *   max-rss       peak resident set size from wait4, KiB
 *   kernel_time   device time of every OpenCL kernel launch, from the
 *                 interposer's event timestamps, ms; kernel_time:NAME for one
 *
 * Lower is better for every objective.
 */
#ifndef OPTIMIZE_OBJECTIVE_H
#define OPTIMIZE_OBJECTIVE_H

#include "base/buf.h"
#include "prof/counters.h"
#include "base/proc.h"
#include "prof/profile.h"

enum objective_kind { OBJ_TIME, OBJ_CPU_TIME, OBJ_COUNTER, OBJ_MAXRSS, OBJ_KERNEL_TIME };

struct objective {
	enum objective_kind kind;
	char *name;   /* as given: "time", "instructions", "kernel_time:matmul" */
	char *metric; /* profile metric read for OBJ_COUNTER */
	char *kernel; /* OBJ_KERNEL_TIME: one kernel, or NULL for all */
	const char *unit;
	char *source; /* "wall clock (CLOCK_MONOTONIC)", "cachegrind (simulated)", ... */
	int deterministic;
	const struct counter_backend *backend; /* OBJ_COUNTER */
};

/* Resolve an objective name, choosing a counter backend (counters: "perf",
 * "papi", "cachegrind" or NULL for automatic). Fails with a clear message
 * when the objective cannot be measured here (e.g. cycles without a PMU). */
int objective_resolve(const char *name, const char *counters, struct objective *o, struct buf *err);
void objective_release(struct objective *o);

/*
 * Run cmd once under spec and produce the objective's value. For
 * OBJ_KERNEL_TIME, trace_path is where the preloaded interposer writes (the
 * caller put it in spec->env_add); it is removed before the run. prof, if
 * not NULL, receives what the backend collected.
 */
int objective_run(const struct objective *o, const struct proc_spec *spec, const char *cmd,
                  const char *trace_path, struct proc_result *res, double *value,
                  struct profile *prof, struct buf *err);

#endif
