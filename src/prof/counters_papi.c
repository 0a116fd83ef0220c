/*
 * counters_papi.c: the `papi` counter backend.
 *
 * PAPI is initialised once per process (counters_papi_init; main may call it
 * up front, every entry point here calls it lazily otherwise). For a run,
 * the events are grouped by PAPI component, one event set per component;
 * each set is attached to the child with PAPI_attach in the runner's
 * before_exec hook (the child waits there before exec; perf_event attach
 * needs no ptrace and no stopped child), asked to inherit to the child's
 * children, and started. So PAPI counts from a moment before exec (the
 * runner's few system calls between fork and exec), unlike the perf backend
 * which enables its counters at exec. After the child was reaped the sets
 * are stopped and read.
 *
 * A set that cannot be attached is never started: a PAPI event set that is
 * not attached counts this process instead of the child. PAPI's own error
 * strings are kept in the reasons.
 *
 * Note on machines without a hardware PMU: PAPI's perf_event component
 * checks whether it may attach by opening the hardware `instructions` event
 * for the target, so there PAPI_attach fails ("Event does not exist") even
 * for software events such as perf::TASK-CLOCK; the reason says so.
 */
#include "base/util.h"
#include "base/xalloc.h"
#include "prof/counters.h"

#include <ctype.h>
#include <math.h>
#include <papi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The perf tool's names of the default set, as PAPI presets or natives. */
static const struct {
	const char *generic, *papi;
} papi_aliases[] = {
    {"cycles", "PAPI_TOT_CYC"},
    {"instructions", "PAPI_TOT_INS"},
    {"branches", "PAPI_BR_INS"},
    {"branch-misses", "PAPI_BR_MSP"},
    {"cache-references", "PAPI_L3_TCA"},
    {"cache-misses", "PAPI_L3_TCM"},
    {"L1-dcache-load-misses", "PAPI_L1_LDM"},
    {"LLC-load-misses", "PAPI_L3_LDM"},
    {"task-clock", "perf::TASK-CLOCK"},
    {"cpu-clock", "perf::CPU-CLOCK"},
    {"page-faults", "perf::PAGE-FAULTS"},
    {"context-switches", "perf::CONTEXT-SWITCHES"},
};

static const char *papi_alias(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(papi_aliases) / sizeof(papi_aliases[0]); i++)
		if (!strcmp(papi_aliases[i].generic, name))
			return papi_aliases[i].papi;
	return name;
}

/* perf's clocks count nanoseconds; the profile shows milliseconds. */
static int is_clock_event(const char *papi_name)
{
	return !strcasecmp(papi_name, "perf::TASK-CLOCK") ||
	       !strcasecmp(papi_name, "perf::CPU-CLOCK");
}

int counters_papi_init(struct buf *err)
{
	static int state; /* 0 = not tried, 1 = ready, -1 = failed */
	static char why[256];

	if (!state) {
		int r = (int)PAPI_VER_CURRENT;

		if (PAPI_is_initialized() == PAPI_NOT_INITED)
			r = PAPI_library_init(PAPI_VER_CURRENT);

		if (r == (int)PAPI_VER_CURRENT) {
			state = 1;
		} else {
			state = -1;
			if (r > 0)
				snprintf(why, sizeof(why),
				         "PAPI library version 0x%x does not match the headers "
				         "(0x%x) this tool was built with",
				         (unsigned)r, (unsigned)PAPI_VER_CURRENT);
			else
				snprintf(why, sizeof(why), "PAPI_library_init: %s",
				         PAPI_strerror(r));
		}
	}
	if (state < 0)
		return err_set(err, "%s", why);
	return 0;
}

int counters_papi_components(struct counters_papi_component **out, size_t *n, struct buf *err)
{
	struct counters_papi_component *c;
	int i, nc;

	*out = NULL;
	*n = 0;
	if (counters_papi_init(err) < 0)
		return -1;
	nc = PAPI_num_components();
	if (nc <= 0)
		return 0;
	c = xcalloc((size_t)nc, sizeof(*c));
	for (i = 0; i < nc; i++) {
		const PAPI_component_info_t *ci = PAPI_get_component_info(i);

		if (!ci)
			continue;
		c[*n].name = xstrdup(ci->name);
		c[*n].description = xstrdup(ci->description);
		c[*n].disabled = ci->disabled;
		c[*n].reason = ci->disabled ? xstrdup(ci->disabled_reason[0] ? ci->disabled_reason
		                                                             : "no reason given")
		                            : NULL;
		c[*n].num_native_events = ci->num_native_events;
		(*n)++;
	}
	*out = c;
	return 0;
}

void counters_papi_components_free(struct counters_papi_component *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].description);
		free(c[i].reason);
	}
	free(c);
}

/* ---- close matches for an unknown name ---- */

#define PAPI_SUGGEST_MAX 3

struct suggest {
	char name[PAPI_SUGGEST_MAX][PAPI_HUGE_STR_LEN];
	size_t dist[PAPI_SUGGEST_MAX];
	size_t n, limit;
	const char *want;
};

static void suggest_consider(struct suggest *s, const char *cand)
{
	size_t d = text_distance(s->want, strlen(s->want), cand, strlen(cand), 256, TEXT_FOLD_CASE),
	       i, k;

	if (d > s->limit)
		return;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], cand))
			return;
	for (i = 0; i < s->n && s->dist[i] <= d; i++)
		;
	if (i >= PAPI_SUGGEST_MAX)
		return;
	if (s->n < PAPI_SUGGEST_MAX)
		s->n++;
	for (k = s->n - 1; k > i; k--) {
		memcpy(s->name[k], s->name[k - 1], sizeof(s->name[k]));
		s->dist[k] = s->dist[k - 1];
	}
	snprintf(s->name[i], sizeof(s->name[i]), "%s", cand);
	s->dist[i] = d;
}

/*
 * The names to compare an unknown name with, enumerated once per process:
 * PAPI 7 leaks memory on every enumeration of native events after the
 * first, so the list is kept (it lives as long as the PAPI library state).
 */
static struct {
	char **name;
	size_t n, cap;
	int done;
} papi_names;

static void names_add(const char *name)
{
	if (papi_names.n == papi_names.cap) {
		size_t cap = papi_names.cap ? 2 * papi_names.cap : 256;

		papi_names.name = xreallocarray(papi_names.name, cap, sizeof(*papi_names.name));
		papi_names.cap = cap;
	}
	papi_names.name[papi_names.n++] = xstrdup(name);
}

static void names_enumerate(void)
{
	char name[PAPI_HUGE_STR_LEN];
	int code, cidx, nc;
	size_t i;

	if (papi_names.done)
		return;
	papi_names.done = 1;
	for (i = 0; i < sizeof(papi_aliases) / sizeof(papi_aliases[0]); i++)
		names_add(papi_aliases[i].generic);
	code = PAPI_PRESET_MASK;
	if (PAPI_enum_event(&code, PAPI_ENUM_FIRST) == PAPI_OK) {
		do {
			if (PAPI_event_code_to_name(code, name) == PAPI_OK)
				names_add(name);
		} while (PAPI_enum_event(&code, PAPI_ENUM_EVENTS) == PAPI_OK);
	}
	nc = PAPI_num_components();
	for (cidx = 0; cidx < nc; cidx++) {
		const PAPI_component_info_t *ci = PAPI_get_component_info(cidx);

		if (!ci || ci->disabled)
			continue;
		code = PAPI_NATIVE_MASK;
		if (PAPI_enum_cmp_event(&code, PAPI_ENUM_FIRST, cidx) != PAPI_OK)
			continue;
		do {
			if (PAPI_event_code_to_name(code, name) == PAPI_OK)
				names_add(name);
		} while (PAPI_enum_cmp_event(&code, PAPI_ENUM_EVENTS, cidx) == PAPI_OK);
	}
}

static void suggest_enumerate(struct suggest *s)
{
	size_t i;

	names_enumerate();
	for (i = 0; i < papi_names.n; i++)
		suggest_consider(s, papi_names.name[i]);
}

int counters_papi_event_code(const char *name, int *code, struct buf *err)
{
	const char *papi_name;
	struct suggest s;
	size_t i;
	int r;

	if (counters_papi_init(err) < 0)
		return -1;
	if (!name || !*name)
		return err_set(err, "empty PAPI event name");
	papi_name = papi_alias(name);
	r = PAPI_event_name_to_code(papi_name, code);
	if (r == PAPI_OK)
		return 0;

	memset(&s, 0, sizeof(s));
	s.want = name;
	s.limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
	suggest_enumerate(&s);
	err_set(err, "unknown PAPI event '%s' (PAPI: %s)", name, PAPI_strerror(r));
	if (s.n) {
		buf_addstr(err, "; did you mean ");
		for (i = 0; i < s.n; i++)
			buf_addf(err, "%s%s", i ? (i + 1 == s.n ? " or " : ", ") : "", s.name[i]);
		buf_addstr(err, "?");
	} else {
		buf_addstr(err, "; `papi_avail` and `papi_native_avail` list the names");
	}
	return -1;
}

/* ---- counting a child ---- */

/* Why PAPI_attach failed, with the one non-obvious cause spelled out. */
static void attach_failure(int r, struct buf *why)
{
	buf_setf(why, "PAPI_attach: %s", PAPI_strerror(r));
	if (r == PAPI_ENOEVNT && !counters_perf_have_pmu())
		buf_addstr(why,
		           " (PAPI's perf_event component checks that it may attach by opening "
		           "the hardware instructions event, and no hardware PMU is exposed to "
		           "this machine)");
	else if (r == PAPI_EPERM)
		buf_addf(why,
		         " (perf_event_paranoid is %d: run as root or lower it with sysctl "
		         "kernel.perf_event_paranoid=1)",
		         counters_perf_paranoid());
}

/* One event: its code and component, or why it cannot be used. */
static int event_resolve(const char *name, int *code, int *cidx, struct buf *why)
{
	const PAPI_component_info_t *ci;

	if (counters_papi_event_code(name, code, why) < 0)
		return -1;
	*cidx = PAPI_get_event_component(*code);
	ci = *cidx >= 0 ? PAPI_get_component_info(*cidx) : NULL;
	if (!ci)
		return err_set(why, "PAPI knows no component for event '%s'", name);
	if (ci->disabled)
		return err_set(why, "PAPI component '%s' is disabled: %s", ci->name,
		               ci->disabled_reason[0] ? ci->disabled_reason : "no reason given");
	return 0;
}

int counters_papi_event_check(const char *event, struct buf *why)
{
	int code, cidx, es = PAPI_NULL, r;

	if (event_resolve(event, &code, &cidx, why) < 0)
		return -1;
	r = PAPI_create_eventset(&es);
	if (r != PAPI_OK)
		return err_set(why, "PAPI_create_eventset: %s", PAPI_strerror(r));
	r = PAPI_assign_eventset_component(es, cidx);
	if (r != PAPI_OK) {
		err_set(why, "PAPI_assign_eventset_component: %s", PAPI_strerror(r));
		goto out;
	}
	/* What a run does to a child, done to ourselves (never started). */
	r = PAPI_attach(es, (unsigned long)getpid());
	if (r != PAPI_OK) {
		attach_failure(r, why);
		goto out;
	}
	r = PAPI_add_event(es, code);
	if (r != PAPI_OK)
		err_set(why, "PAPI_add_event: %s", PAPI_strerror(r));
out:
	PAPI_cleanup_eventset(es);
	PAPI_destroy_eventset(&es);
	return r == PAPI_OK ? 0 : -1;
}

static int papi_probe(struct buf *why)
{
	struct buf tmp = BUF_INIT;
	int r;

	buf_init(&tmp, 4096);
	if (counters_papi_init(&tmp) < 0) {
		buf_setf(why, "%s", tmp.data);
		buf_release(&tmp);
		return -1;
	}
	/* Usable when it can count something for another process. */
	r = counters_papi_event_check("perf::TASK-CLOCK", &tmp);
	if (r < 0 && counters_papi_event_check("PAPI_TOT_INS", &tmp) == 0)
		r = 0;
	if (r < 0)
		buf_setf(why, "%s", tmp.data);
	buf_release(&tmp);
	return r;
}

struct papi_slot {
	const char *name; /* as asked for; borrowed from the request */
	int code, cidx;
	int set;           /* index into papi_run.sets; -1 = none */
	int pos;           /* position of its value in the set's read */
	struct buf reason; /* why it is not counted; empty otherwise */
};

struct papi_set {
	int cidx;
	int es;
	int nevents;
	int started;
	struct buf reason; /* why the whole set failed */
};

struct papi_run {
	struct papi_slot *slots;
	size_t n;
	struct papi_set *sets;
	size_t nsets;
};

static void set_fail(struct papi_run *run, size_t k, struct buf *why)
{
	size_t i;

	buf_setf(&run->sets[k].reason, "%s", buf_str(why));
	for (i = 0; i < run->n; i++)
		if (run->slots[i].set == (int)k && !run->slots[i].reason.len)
			buf_setf(&run->slots[i].reason, "%s", buf_str(why));
}

static void papi_set_up(struct papi_run *run, size_t k, pid_t pid)
{
	struct papi_set *s = &run->sets[k];
	struct buf why = BUF_INIT;
	PAPI_option_t opt;
	size_t i;
	int r;

	buf_init(&why, 4096);
	r = PAPI_create_eventset(&s->es);
	if (r != PAPI_OK) {
		buf_setf(&why, "PAPI_create_eventset: %s", PAPI_strerror(r));
		goto fail;
	}
	r = PAPI_assign_eventset_component(s->es, s->cidx);
	if (r != PAPI_OK) {
		buf_setf(&why, "PAPI_assign_eventset_component: %s", PAPI_strerror(r));
		goto fail;
	}
	r = PAPI_attach(s->es, (unsigned long)pid);
	if (r != PAPI_OK) {
		attach_failure(r, &why);
		goto fail;
	}
	/* Best effort: without it only the child itself is counted. */
	memset(&opt, 0, sizeof(opt));
	opt.inherit.eventset = s->es;
	opt.inherit.inherit = PAPI_INHERIT_ALL;
	PAPI_set_opt(PAPI_INHERIT, &opt);
	for (i = 0; i < run->n; i++) {
		struct papi_slot *sl = &run->slots[i];

		if (sl->set != (int)k || sl->reason.len)
			continue;
		r = PAPI_add_event(s->es, sl->code);
		if (r != PAPI_OK) {
			buf_setf(&sl->reason, "PAPI_add_event: %s%s", PAPI_strerror(r),
			         r == PAPI_ECNFLCT ? " (it cannot be counted together with the "
			                             "events before it: ask for fewer)"
			                           : "");
			sl->set = -1;
			continue;
		}
		sl->pos = s->nevents++;
	}
	if (!s->nevents)
		goto out;
	r = PAPI_start(s->es);
	if (r != PAPI_OK) {
		buf_setf(&why, "PAPI_start: %s", PAPI_strerror(r));
		goto fail;
	}
	s->started = 1;
	goto out;
fail:
	set_fail(run, k, &why);
out:
	buf_release(&why);
}

static int papi_before_exec(pid_t pid, void *ctx, struct buf *err)
{
	struct papi_run *run = ctx;
	size_t k;

	for (k = 0; k < run->nsets; k++)
		papi_set_up(run, k, pid);
	return 0; /* an event that cannot be counted never fails the run */
}

static void papi_collect(struct papi_run *run, struct profile *out)
{
	size_t i, k;

	for (k = 0; k < run->nsets; k++) {
		struct papi_set *s = &run->sets[k];
		long long *v;
		int r;

		if (!s->started)
			continue;
		v = xcalloc((size_t)s->nevents, sizeof(*v));
		r = PAPI_stop(s->es, v);
		s->started = 0;
		for (i = 0; i < run->n; i++) {
			struct papi_slot *sl = &run->slots[i];
			const char *pname = papi_alias(sl->name);
			double value;

			if (sl->set != (int)k || sl->reason.len)
				continue;
			if (r != PAPI_OK) {
				buf_setf(&sl->reason, "PAPI_stop: %s", PAPI_strerror(r));
				continue;
			}
			value = (double)v[sl->pos];
			if (is_clock_event(pname))
				value /= 1e6; /* ns -> ms */
			profile_set_metric(out, sl->name, is_clock_event(pname) ? "ms" : "count",
			                   value, SRC_MEASURED, "papi", 1.0);
		}
		free(v);
	}
	for (i = 0; i < run->n; i++) {
		struct papi_slot *sl = &run->slots[i];

		if (sl->reason.len)
			profile_set_unsupported(
			    out, sl->name, is_clock_event(papi_alias(sl->name)) ? "ms" : "count",
			    "papi", sl->reason.data);
	}
}

static int papi_run(const struct counter_request *req, struct proc_result *res, struct profile *out,
                    struct buf *err)
{
	struct papi_run run;
	struct proc_hooks hooks;
	struct proc_spec spec;
	struct buf init_err = BUF_INIT;
	size_t i, k;
	int r, ready;

	buf_init(&init_err, 4096);
	ready = counters_papi_init(&init_err) == 0;
	memset(&run, 0, sizeof(run));
	run.n = counters_request_count(req);
	run.slots = xcalloc(run.n, sizeof(*run.slots));
	run.sets = xcalloc(run.n, sizeof(*run.sets));
	for (i = 0; i < run.n; i++) {
		struct papi_slot *sl = &run.slots[i];

		sl->name = counters_request_event(req, i);
		if (!sl->name)
			sl->name = "?";
		sl->set = -1;
		buf_init(&sl->reason, 4096);
		if (!ready) {
			buf_setf(&sl->reason, "%s", init_err.data);
			continue;
		}
		if (event_resolve(sl->name, &sl->code, &sl->cidx, &sl->reason) < 0)
			continue;
		for (k = 0; k < run.nsets && run.sets[k].cidx != sl->cidx; k++)
			;
		if (k == run.nsets) {
			run.sets[k].cidx = sl->cidx;
			run.sets[k].es = PAPI_NULL;
			buf_init(&run.sets[k].reason, 4096);
			run.nsets++;
		}
		sl->set = (int)k;
	}

	memset(&hooks, 0, sizeof(hooks));
	hooks.before_exec = papi_before_exec;
	hooks.ctx = &run;
	if (req->spec)
		spec = *req->spec;
	else
		proc_spec_init(&spec);
	spec.hooks = &hooks;
	if (!out->command)
		profile_set_command(out, req->cmd);

	r = proc_run_sh(&spec, req->cmd, res, err);
	if (r == 0) {
		papi_collect(&run, out);
		counters_add_rusage(out, res);
		profile_derive(out);
	}

	for (k = 0; k < run.nsets; k++) {
		struct papi_set *s = &run.sets[k];

		if (s->started) {
			long long dummy[64];

			if (s->nevents <= 64)
				PAPI_stop(s->es, dummy);
		}
		if (s->es != PAPI_NULL) {
			PAPI_cleanup_eventset(s->es);
			PAPI_destroy_eventset(&s->es);
		}
		buf_release(&s->reason);
	}
	for (i = 0; i < run.n; i++)
		buf_release(&run.slots[i].reason);
	free(run.slots);
	free(run.sets);
	buf_release(&init_err);
	return r;
}

const struct counter_backend counters_papi = {
    .name = "papi",
    .deterministic = 0,
    .probe = papi_probe,
    .run = papi_run,
};
