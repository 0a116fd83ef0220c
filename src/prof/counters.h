/*
 * counters.h: counter backends behind one small interface.
 *
 * A backend runs one command through the process runner (proc_run, with
 * hooks or a wrapped argv) and fills a struct profile with what it counted.
 * rusage figures (wall, user, sys, max RSS, page faults, context switches)
 * are always added, whatever the backend, even when every other one is
 * unavailable. An event a backend cannot count here is added as
 * SRC_UNSUPPORTED with the reason (no PMU, perf_event_paranoid, PAPI
 * component disabled), never as 0.
 */
#ifndef OPTIMIZE_COUNTERS_H
#define OPTIMIZE_COUNTERS_H

#include "base/buf.h"
#include "base/proc.h"
#include "prof/profile.h"

struct counter_request {
	const struct proc_spec *spec; /* cwd, env, limits, capture, timeout for the child */
	const char *cmd;              /* run as sh -c cmd */
	const char *const *events;    /* NULL = the backend's default set */
	size_t nevents;
	int hotspots; /* also collect hotspots where the backend can */
};

struct counter_backend {
	const char *name; /* "perf", "papi", "cachegrind", "rusage" */
	/* 1 if its numbers are deterministic (same binary+input = same count) */
	int deterministic;
	/* 0 if usable here; otherwise -1 and why says what is missing */
	int (*probe)(struct buf *why);
	/* Run req->cmd once, counting. res gets the child's outcome. */
	int (*run)(const struct counter_request *req, struct proc_result *res, struct profile *out,
	           struct buf *err);
};

/*
 * The backends. counters_cachegrind lives in src/prof/counters_cachegrind*.c,
 * the others in src/prof/counters.c (rusage), src/prof/counters_perf.c and
 * src/prof/counters_papi.c.
 *
 * Event names a request may carry (events NULL = counters_default_events):
 *  - perf: anything libpfm4 encodes: the perf tool's names (cycles,
 *    instructions, branch-misses, L1-dcache-load-misses, LLC-load-misses,
 *    task-clock, page-faults, context-switches, cpu-clock), perf::NAME,
 *    and raw PMU events (amd64_fam19h_zen3::RETIRED_INSTRUCTIONS).
 *  - papi: PAPI presets (PAPI_TOT_INS) and native names (perf::TASK-CLOCK);
 *    the perf tool's names of the default set are mapped to presets
 *    (instructions -> PAPI_TOT_INS, ...) and keep the name asked for.
 * A metric is stored under the name it was asked for, so the caller finds
 * "instructions" whichever backend counted it.
 */
extern const struct counter_backend counters_perf;
extern const struct counter_backend counters_papi;
extern const struct counter_backend counters_cachegrind;
extern const struct counter_backend counters_rusage;

/* Backends by name; NULL if unknown. */
const struct counter_backend *counters_backend(const char *name);
/* All backends, NULL-terminated, in preference order. */
const struct counter_backend *const *counters_backends(void);

/* The default event set, NULL-terminated (cycles, instructions, ...). */
const char *const *counters_default_events(void);

/*
 * Add the always-available rusage metrics of a finished child:
 * wall-time (s, backend "clock"), user-time and sys-time (s), max-rss (KiB),
 * page-faults (minflt + majflt) and context-switches (nvcsw + nivcsw), the
 * last four with backend "rusage". page-faults and context-switches do not
 * replace a supported metric of that name a counter backend already added.
 */
void counters_add_rusage(struct profile *p, const struct proc_result *res);

/* Number of events in a request (events NULL: the default set; nevents 0:
 * events is NULL-terminated) and the i-th of them. */
size_t counters_request_count(const struct counter_request *req);
const char *counters_request_event(const struct counter_request *req, size_t i);

/* ---- perf backend helpers (src/counters_perf.c) ---- */

/* /proc/sys/kernel/perf_event_paranoid, or -100 when it cannot be read. */
int counters_perf_paranoid(void);
/* 1 if the kernel exposes a hardware (CPU) PMU to this machine. */
int counters_perf_have_pmu(void);
/*
 * 0 if the event can be counted here by the perf backend (encoded with
 * libpfm4 and opened for this process, never enabled); otherwise -1 and
 * why says exactly why: unknown name, no hardware PMU, perf_event_paranoid.
 */
int counters_perf_event_check(const char *event, struct buf *why);

/* ---- PAPI backend helpers (src/counters_papi.c) ---- */

/*
 * Initialise PAPI (PAPI_library_init) once per process. main may call it
 * up front; every PAPI function here calls it lazily otherwise. Returns 0,
 * or -1 with err saying why PAPI cannot be used (version mismatch, ...).
 * The result is remembered: later calls return the same.
 */
int counters_papi_init(struct buf *err);

struct counters_papi_component {
	char *name;
	char *description;
	int disabled; /* 0 = active */
	char *reason; /* PAPI's disabled_reason; NULL when active */
	int num_native_events;
};
/* The components PAPI was built with, active or disabled, with PAPI's
 * reasons. Free with counters_papi_components_free. */
int counters_papi_components(struct counters_papi_component **out, size_t *n, struct buf *err);
void counters_papi_components_free(struct counters_papi_component *c, size_t n);

/*
 * The PAPI event code of a preset (PAPI_TOT_INS), a native name
 * (perf::TASK-CLOCK) or a perf-tool name of the default set (instructions).
 * An unknown name is an error that lists close matches among the preset and
 * native names ("did you mean PAPI_TOT_INS?").
 */
int counters_papi_event_code(const char *name, int *code, struct buf *err);
/* 0 if PAPI can count the event for a child process here; -1 and why. */
int counters_papi_event_check(const char *event, struct buf *why);

#endif
