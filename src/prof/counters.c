/*
 * counters.c: the backend registry, the default event set, the rusage
 * metrics every run gets, and the `rusage` backend (no counters at all).
 */
#include "prof/counters.h"

#include <stdlib.h>
#include <string.h>

static const struct counter_backend *const backends[] = {
    &counters_perf, &counters_papi, &counters_cachegrind, &counters_rusage, NULL,
};

const struct counter_backend *counters_backend(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; backends[i]; i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

const struct counter_backend *const *counters_backends(void)
{
	return backends;
}

static const char *const default_events[] = {
    "cycles",
    "instructions",
    "branches",
    "branch-misses",
    "cache-references",
    "cache-misses",
    "L1-dcache-load-misses",
    "LLC-load-misses",
    "task-clock",
    "page-faults",
    "context-switches",
    NULL,
};

const char *const *counters_default_events(void)
{
	return default_events;
}

size_t counters_request_count(const struct counter_request *req)
{
	const char *const *ev = req && req->events ? req->events : default_events;
	size_t n = 0;

	if (req && req->events && req->nevents)
		return req->nevents;
	while (ev[n])
		n++;
	return n;
}

const char *counters_request_event(const struct counter_request *req, size_t i)
{
	const char *const *ev = req && req->events ? req->events : default_events;

	return ev[i];
}

/* A supported metric of this name from a counter backend wins over rusage. */
static int counted_already(const struct profile *p, const char *name)
{
	const struct metric *m = profile_find(p, name);

	return m && m->source != SRC_UNSUPPORTED && strcmp(m->backend, "rusage");
}

void counters_add_rusage(struct profile *p, const struct proc_result *res)
{
	profile_set_metric(p, "wall-time", "s", res->wall_s, SRC_MEASURED, "clock", 1.0);
	profile_set_metric(p, "user-time", "s", res->user_s, SRC_MEASURED, "rusage", 1.0);
	profile_set_metric(p, "sys-time", "s", res->sys_s, SRC_MEASURED, "rusage", 1.0);
	profile_set_metric(p, "max-rss", "KiB", (double)res->maxrss_kb, SRC_MEASURED, "rusage",
	                   1.0);
	if (!counted_already(p, "page-faults"))
		profile_set_metric(p, "page-faults", "count",
		                   (double)res->minflt + (double)res->majflt, SRC_MEASURED,
		                   "rusage", 1.0);
	if (!counted_already(p, "context-switches"))
		profile_set_metric(p, "context-switches", "count",
		                   (double)res->nvcsw + (double)res->nivcsw, SRC_MEASURED, "rusage",
		                   1.0);
}

/* ---- the rusage backend: just the runner's own figures ---- */

static int rusage_probe(struct buf *why)
{
	return 0; /* wait4 works everywhere */
}

static int rusage_run(const struct counter_request *req, struct proc_result *res,
                      struct profile *out, struct buf *err)
{
	struct proc_spec spec;

	if (req->spec)
		spec = *req->spec;
	else
		proc_spec_init(&spec);
	spec.hooks = NULL;
	if (!out->command)
		profile_set_command(out, req->cmd);
	if (proc_run_sh(&spec, req->cmd, res, err) < 0)
		return -1;
	counters_add_rusage(out, res);
	/* Events asked for by name that rusage cannot give are said so, not 0. */
	if (req->events) {
		size_t i, n = counters_request_count(req);

		for (i = 0; i < n; i++) {
			const char *ev = counters_request_event(req, i);

			if (ev && !profile_find(out, ev))
				profile_set_unsupported(out, ev, "count", "rusage",
				                        "the rusage backend counts no events: use "
				                        "--counters perf, papi or cachegrind");
		}
	}
	return 0;
}

const struct counter_backend counters_rusage = {
    .name = "rusage",
    .deterministic = 0,
    .probe = rusage_probe,
    .run = rusage_run,
};
