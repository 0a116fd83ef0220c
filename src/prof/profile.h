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

#include "base/buf.h"

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
	char *name; /* "instructions", "task-clock", "IPC", "wall-time" */
	char *unit; /* "count", "s", "ms", "%", "KiB", "GHz", "per-kilo-instruction", "ratio" */
	double value;
	enum metric_source source;
	char *backend;  /* "perf", "papi", "cachegrind", "rusage", "clock", "derived", "cltrace" */
	double scaling; /* time_enabled / time_running; 1 when not multiplexed */
	char *reason;   /* why unsupported; NULL otherwise */
};

struct hot_function {
	char *name;   /* symbol, or "[unknown]" */
	char *module; /* executable or shared library basename */
	uint64_t samples;
	double pct;  /* of all samples */
	uint64_t ir; /* cachegrind: instructions executed in it (0 if not used) */
};

struct hot_line {
	char *file;
	int line;
	char *function;
	char *text; /* the source line, trimmed; NULL if the file is not readable */
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
	char *command; /* what was run */
	struct metric *metrics;
	size_t nmetrics;
	struct hot_function *functions; /* sorted, hottest first */
	size_t nfunctions;
	struct hot_line *lines; /* sorted, hottest first */
	size_t nlines;
	uint64_t total_samples;
	char *hotspot_source;          /* "perf cpu-clock sampling", "cachegrind"; NULL = none */
	char *hotspot_error;           /* why hotspots asked for are missing; NULL otherwise */
	struct cl_device_info *device; /* NULL when no OpenCL was used */
	struct kernel_timing *kernels;
	size_t nkernels;
	char *cl_build_log; /* a failed clBuildProgram's log, NULL if none */
};

void profile_init(struct profile *p);
void profile_release(struct profile *p);
/*
 * Free the hotspot lists (functions, lines), hotspot_source and zero
 * total_samples, keeping everything else (metrics, hotspot_error, OpenCL):
 * for a backend that replaces the hotspots as a whole.
 */
void profile_clear_hotspots(struct profile *p);
/* Move src's hotspots (functions, lines, source, samples) into dst, replacing dst's. */
void profile_take_hotspots(struct profile *dst, struct profile *src);

/*
 * Names of the derived metrics profile_derive adds (backend "derived",
 * source SRC_DERIVED), so reports and prompts can look them up.
 */
#define PROFILE_IPC             "IPC"              /* instructions / cycles, unit "ratio" */
#define PROFILE_BRANCH_MISS_PCT "branch-miss-rate" /* branch-misses / branches, "%" */
#define PROFILE_CACHE_MISS_PCT  "cache-miss-rate"  /* cache-misses / cache-references, "%" */
#define PROFILE_L1_MPKI         "L1-dcache-MPKI"   /* L1-dcache-load-misses per 1000 instructions */
#define PROFILE_GHZ             "GHz"              /* cycles / task-clock */

/* Replace the command string (copied; NULL clears it). */
void profile_set_command(struct profile *p, const char *command);
/* Replace the hotspot source / hotspot error strings (copied; NULL clears). */
void profile_set_hotspot_source(struct profile *p, const char *source);
void profile_set_hotspot_error(struct profile *p, const char *why);

/*
 * Append a hotspot entry (strings copied; NULL allowed for module, function,
 * text). The returned entry is borrowed and only valid until the next append
 * to the same list; set its other fields (pct, ir, d1mr, ...) right away.
 */
struct hot_function *profile_add_function(struct profile *p, const char *name, const char *module,
                                          uint64_t samples);
struct hot_line *profile_add_line(struct profile *p, const char *file, int line,
                                  const char *function, const char *text, uint64_t samples);
/* Append a kernel timing (name copied, everything else 0); borrowed as above. */
struct kernel_timing *profile_add_kernel(struct profile *p, const char *name);
/*
 * Sort functions and lines hottest first (by samples, then ir). Where
 * total_samples > 0, pct is computed as samples / total_samples * 100 for
 * entries whose pct is still 0.
 */
void profile_sort_hotspots(struct profile *p);

/* Add (or replace, by name) a metric. Returns the stored metric, borrowed:
 * valid until the next metric is added. NULL when name is NULL. */
struct metric *profile_set_metric(struct profile *p, const char *name, const char *unit,
                                  double value, enum metric_source source, const char *backend,
                                  double scaling);
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
 * their text, kernels; stays within max_bytes by cutting the lists.
 * Appends to out; adds at most max_bytes bytes (0 = no limit). Lists are cut
 * between lines, never inside one; unsupported metrics are grouped by reason
 * on one line. Returns 0, or -1 when out refused an append. */
int profile_render_text(const struct profile *p, size_t max_bytes, struct buf *out);

/* A perf-stat-like table for humans: one row per metric (value, unit, name,
 * source), derived ratios on the row of their base event ("# 1.23 IPC"),
 * "<not supported>  name  (reason)" for unsupported ones. Metrics only;
 * appends to out. Returns 0, or -1 when out refused an append. */
int profile_render_table(const struct profile *p, struct buf *out);

/* Hotspots for humans: the top max_functions functions and max_lines lines
 * (0 = all) with % of samples (of instructions executed for cachegrind),
 * file:line and the line's text; then, for an OpenCL program, the device
 * and per-kernel table of cltrace_render_table (cltrace.h). Appends to out;
 * nothing when empty. */
int profile_render_hotspots(const struct profile *p, size_t max_functions, size_t max_lines,
                            struct buf *out);

#endif
