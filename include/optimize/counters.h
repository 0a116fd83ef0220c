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

#include "optimize/buf.h"
#include "optimize/proc.h"
#include "optimize/profile.h"

struct counter_request {
	const struct proc_spec *spec; /* cwd, env, limits, capture, timeout for the child */
	const char *cmd;              /* run as sh -c cmd */
	const char *const *events;    /* NULL = the backend's default set */
	size_t nevents;
	int hotspots;                 /* also collect hotspots where the backend can */
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

/* Backends by name; NULL if unknown. */
const struct counter_backend *counters_backend(const char *name);
/* All backends, NULL-terminated, in preference order. */
const struct counter_backend *const *counters_backends(void);

/* The default event set, NULL-terminated (cycles, instructions, ...). */
const char *const *counters_default_events(void);

/* Add the always-available rusage metrics of a finished child. */
void counters_add_rusage(struct profile *p, const struct proc_result *res);

#endif
