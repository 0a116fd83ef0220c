/*
 * profile.h: one structure for everything measured about one program run:
 * counters with derived metrics, hotspots (functions and source lines), and
 * for OpenCL programs the device and per-kernel device times.
 *
 * It is what `optimize profile` prints, what report.json stores per
 * candidate, and what the LLM prompts show (profile_render_text, under a
 * byte budget). Every number carries its unit, where it came from (backend)
 * and how (source): measured, scaled (multiplexed), simulated (cachegrind),
 * derived, or unsupported with a reason. An unsupported metric is never 0.
 *
 * Ownership: the profile owns all strings and arrays; profile_release frees
 * them. The profile_add_* functions copy their string arguments.
 */
#ifndef OPTIMIZE_PROFILE_H
#define OPTIMIZE_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "optimize/buf.h"

struct cJSON;

enum metric_source {
	SRC_MEASURED,    /* counted exactly (perf_event, PAPI, rusage, clock) */
	SRC_SCALED,      /* counted while multiplexed, scaled by enabled/running */
	SRC_SIMULATED,   /* from a simulator (cachegrind) */
	SRC_DERIVED,     /* computed from other metrics (IPC, miss %) */
	SRC_UNSUPPORTED, /* not available here; reason says why; value meaningless */
};
const char *metric_source_name(enum metric_source s);

struct metric {
	char *name;    /* "instructions", "task-clock", "IPC", "wall-time" */
	char *unit;    /* "count", "s", "ms", "%", "KiB", "GHz", "per-kilo-instruction", "ratio" */
	double value;
	enum metric_source source;
	char *backend; /* "perf", "papi", "cachegrind", "rusage", "clock", "derived", "cltrace" */
	double scaling; /* time_enabled / time_running; 1 when not multiplexed */
	char *reason;  /* why unsupported; NULL otherwise */
};

struct hot_function {
	char *name;    /* symbol, or "[unknown]" */
	char *module;  /* executable or shared library basename */
	uint64_t samples;
	double pct;    /* of all samples */
	uint64_t ir;   /* cachegrind: instructions executed in it (0 if not used) */
};

struct hot_line {
	char *file;
	int line;
	char *function;
	char *text;    /* the source line, trimmed; NULL if the file is not readable */
	uint64_t samples;
	double pct;
	/* cachegrind per-line figures; all 0 when not from cachegrind */
	uint64_t ir, d1mr, d1mw, dlmr, dlmw, bcm;
};

struct cl_device_info {
	char *platform, *name, *vendor, *driver_version, *device_type;
	unsigned compute_units;
	size_t max_work_group_size;
	uint64_t local_mem_bytes, global_mem_bytes;
	unsigned pref_vector_width_float, pref_vector_width_double, pref_vector_width_int;
};

struct kernel_timing {
	char *name;
	uint64_t launches;
	double total_ms, mean_ms, median_ms, min_ms, max_ms; /* device time start->end */
	size_t global[3], local[3]; /* geometry of the first launch; local 0 = NULL */
	unsigned work_dim;
};

struct profile {
	char *command;      /* what was run */
	struct metric *metrics;
	size_t nmetrics;
	struct hot_function *functions; /* sorted, hottest first */
	size_t nfunctions;
	struct hot_line *lines;         /* sorted, hottest first */
	size_t nlines;
	uint64_t total_samples;
	char *hotspot_source;           /* "perf cpu-clock sampling", "cachegrind"; NULL = none */
	struct cl_device_info *device;  /* NULL when no OpenCL was used */
	struct kernel_timing *kernels;
	size_t nkernels;
	char *cl_build_log;             /* a failed clBuildProgram's log, NULL if none */
};

void profile_init(struct profile *p);
void profile_release(struct profile *p);

/* Add (or replace, by name) a metric. Returns the stored metric. */
struct metric *profile_set_metric(struct profile *p, const char *name, const char *unit,
                                  double value, enum metric_source source,
                                  const char *backend, double scaling);
struct metric *profile_set_unsupported(struct profile *p, const char *name, const char *unit,
                                       const char *backend, const char *reason);
const struct metric *profile_find(const struct profile *p, const char *name);
/* The value of a supported metric, or NAN when absent or unsupported. */
double profile_value(const struct profile *p, const char *name);

/* Compute IPC, branch miss %, cache miss %, L1 misses per kilo-instruction,
 * GHz from whatever base metrics are present and supported. */
void profile_derive(struct profile *p);

/* JSON form (stable field names; see docs/report-format.md). Caller owns the result. */
struct cJSON *profile_to_json(const struct profile *p);

/* Compact text for prompts: metrics with units, top functions, top lines with
 * their text, kernels; stays within max_bytes by cutting the lists. */
int profile_render_text(const struct profile *p, size_t max_bytes, struct buf *out);

/* A perf-stat-like table for humans. */
int profile_render_table(const struct profile *p, struct buf *out);

#endif
