#include "engine/objective.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "prof/cltrace.h"

static int set(struct objective *o, enum objective_kind kind, const char *name, const char *unit,
               const char *source, int deterministic)
{
	o->kind = kind;
	o->name = xstrdup(name);
	o->unit = unit;
	o->source = xstrdup(source);
	o->deterministic = deterministic;
	return 0;
}

/* Pick a backend that can count `metric` here: try each in turn on `true`. */
static const struct counter_backend *backend_for(const char *metric, const char *want,
                                                 struct buf *why)
{
	static const char *const order[] = {"perf", "papi", "cachegrind", NULL};
	const char *const *names = order;
	const char *one[2] = {want, NULL};
	size_t i;

	if (want)
		names = one;
	for (i = 0; names[i]; i++) {
		const struct counter_backend *b = counters_backend(names[i]);
		struct counter_request req = {0};
		struct proc_spec spec;
		struct proc_result res;
		struct profile p;
		struct buf err = BUF_INIT, probe = BUF_INIT;
		const char *ev[2] = {metric, NULL};
		const struct metric *m;
		int ok = 0;

		if (!b) {
			buf_addf(why, "%sunknown counter backend '%s'", why->len ? "; " : "",
			         names[i]);
			continue;
		}
		if (b->probe && b->probe(&probe) < 0) {
			buf_addf(why, "%s%s: %s", why->len ? "; " : "", b->name, probe.data);
			buf_release(&probe);
			continue;
		}
		buf_release(&probe);
		proc_spec_init(&spec);
		spec.timeout_s = 60;
		req.spec = &spec;
		req.cmd = "true";
		req.events = ev;
		req.nevents = 1;
		profile_init(&p);
		if (b->run(&req, &res, &p, &err) == 0) {
			m = profile_find(&p, metric);
			if (m && m->source != SRC_UNSUPPORTED)
				ok = 1;
			else
				buf_addf(why, "%s%s: %s", why->len ? "; " : "", b->name,
				         m && m->reason ? m->reason : "metric not produced");
		} else {
			buf_addf(why, "%s%s: %s", why->len ? "; " : "", b->name, err.data);
		}
		profile_release(&p);
		buf_release(&err);
		if (ok)
			return b;
	}
	return NULL;
}

int objective_resolve(const char *name, const char *counters, struct objective *o, struct buf *err)
{
	static const struct {
		const char *name, *metric;
	} counter_objs[] = {
	    {"cycles", "cycles"},
	    {"instructions", "instructions"},
	    {"cache-misses", "cache-misses"},
	};
	size_t i;

	memset(o, 0, sizeof(*o));
	if (!name || !strcmp(name, "time"))
		return set(o, OBJ_TIME, "time", "s", "wall clock (CLOCK_MONOTONIC)", 0);
	if (!strcmp(name, "cpu-time"))
		return set(
		    o, OBJ_CPU_TIME, "cpu-time", "s",
		    "rusage (wait4 user + system time of the program and its reaped children)", 0);
	if (!strcmp(name, "max-rss"))
		return set(o, OBJ_MAXRSS, "max-rss", "KiB", "rusage (wait4 ru_maxrss)", 0);
	if (!strcmp(name, "kernel_time") || !strncmp(name, "kernel_time:", 12)) {
		set(o, OBJ_KERNEL_TIME, name, "ms", "OpenCL event profiling (device timestamps)",
		    0);
		if (name[11] == ':')
			o->kernel = xstrdup(name + 12);
		return 0;
	}
	for (i = 0; i < sizeof(counter_objs) / sizeof(counter_objs[0]); i++) {
		struct buf why = BUF_INIT, src = BUF_INIT;
		const char *metric = counter_objs[i].metric;

		if (strcmp(name, counter_objs[i].name))
			continue;
		/* cachegrind has no generic cache-misses: its simulated LL misses stand in. */
		o->backend = backend_for(metric, counters, &why);
		if (!o->backend && !strcmp(metric, "cache-misses") &&
		    (!counters || !strcmp(counters, "cachegrind"))) {
			o->backend = backend_for("LL-misses", "cachegrind", &why);
			metric = "LL-misses";
		}
		if (!o->backend) {
			err_set(err,
			        "objective '%s' cannot be measured on this machine (%s); use "
			        "--objective time%s",
			        name, why.data,
			        strcmp(name, "cycles") ? ", or --counters cachegrind" : "");
			buf_release(&why);
			return -1;
		}
		buf_addf(&src, "%s (%s)", o->backend->name,
		         o->backend->deterministic ? "simulated, deterministic"
		                                   : "hardware counter");
		set(o, OBJ_COUNTER, name, "count", src.data, o->backend->deterministic);
		o->metric = xstrdup(metric);
		buf_release(&why);
		buf_release(&src);
		return 0;
	}
	return err_set(err,
	               "unknown objective '%s': use time, cpu-time, cycles, instructions, "
	               "cache-misses, max-rss, kernel_time or kernel_time:NAME",
	               name);
}

void objective_release(struct objective *o)
{
	free(o->name);
	free(o->metric);
	free(o->kernel);
	free(o->source);
	memset(o, 0, sizeof(*o));
}

int objective_run(const struct objective *o, const struct proc_spec *spec, const char *cmd,
                  const char *trace_path, struct proc_result *res, double *value,
                  struct profile *prof, struct buf *err)
{
	struct profile local;
	struct profile *p = prof;
	int r = 0;

	profile_init(&local);
	if (!p)
		p = &local;
	*value = NAN;
	if (trace_path)
		unlink(trace_path);
	switch (o->kind) {
	case OBJ_TIME:
	case OBJ_CPU_TIME:
	case OBJ_MAXRSS:
	case OBJ_KERNEL_TIME:
		r = proc_run_sh(spec, cmd, res, err);
		if (r == 0)
			counters_add_rusage(p, res);
		break;
	case OBJ_COUNTER: {
		struct counter_request req = {0};
		const char *ev[2] = {o->metric, NULL};
		req.spec = spec;
		req.cmd = cmd;
		req.events = ev;
		req.nevents = 1;
		r = o->backend->run(&req, res, p, err);
		break;
	}
	}
	if (r < 0)
		goto out;
	if (!proc_result_ok(res))
		goto out; /* the caller reports the failed run */
	switch (o->kind) {
	case OBJ_TIME:
		*value = res->wall_s;
		break;
	case OBJ_CPU_TIME:
		*value = res->user_s + res->sys_s;
		break;
	case OBJ_MAXRSS:
		*value = (double)res->maxrss_kb;
		break;
	case OBJ_COUNTER: {
		const struct metric *m = profile_find(p, o->metric);
		if (!m || m->source == SRC_UNSUPPORTED) {
			r = err_set(err, "%s did not count '%s'%s%s", o->backend->name, o->metric,
			            m && m->reason ? ": " : "", m && m->reason ? m->reason : "");
			break;
		}
		*value = m->value;
		break;
	}
	case OBJ_KERNEL_TIME:
		if (cltrace_read(trace_path, p, err) < 0) {
			r = -1;
			break;
		}
		r = cltrace_objective(p, o->kernel, value, err);
		break;
	}
out:
	profile_release(&local);
	return r;
}
