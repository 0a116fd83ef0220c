/*
 * cmd_doctor.c: `optimize doctor [--json]`, what this machine can measure
 * and why not: each counter backend, each default event through perf and
 * PAPI, perf_event_paranoid, the PAPI components, valgrind, and the OpenCL
 * platforms and devices.
 */
#include "cli/cli.h"
#include "cli/options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "prof/counters.h"
#include "base/json.h"
#include "prof/opencl_info.h"
#include "base/proc.h"
#include "base/xalloc.h"

const struct opt_spec doctor_options[] = {
    {"json", 'j', no_argument, NULL, "print the same report as one JSON document"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

static void doctor_usage(FILE *f)
{
	struct buf b = BUF_INIT;

	opt_help(doctor_options, &b);
	fprintf(f,
	        "usage: optimize doctor [options]\n\n"
	        "Show what this machine can measure: counter backends (perf, papi, cachegrind,\n"
	        "rusage), each default event and why it is not supported, perf_event_paranoid,\n"
	        "PAPI components, valgrind, OpenCL platforms and devices.\n\n"
	        "options:\n%s",
	        b.data);
	buf_release(&b);
}

/* What one backend or event check found. */
struct check {
	int ok;
	struct buf why;
};

static void check_init(struct check *c)
{
	c->ok = 0;
	buf_init(&c->why, 4096);
}

/* Footnotes: reasons are long and shared by many events; number them once. */
struct notes {
	char **text;
	size_t n;
};

static size_t note_ref(struct notes *nt, const char *s)
{
	size_t i;

	for (i = 0; i < nt->n; i++)
		if (!strcmp(nt->text[i], s))
			return i + 1;
	nt->text = xreallocarray(nt->text, nt->n + 1, sizeof(*nt->text));
	nt->text[nt->n] = xstrdup(s);
	return ++nt->n;
}

static void notes_release(struct notes *nt)
{
	size_t i;

	for (i = 0; i < nt->n; i++)
		free(nt->text[i]);
	free(nt->text);
}

static void valgrind_check(struct check *c)
{
	static const char *const argv[] = {"valgrind", "--version", NULL};
	struct proc_spec spec;
	struct proc_result res;
	struct buf out = BUF_INIT, err = BUF_INIT;

	buf_init(&out, 4096);
	buf_init(&err, 4096);
	proc_spec_init(&spec);
	spec.argv = argv;
	spec.stdout_buf = &out;
	spec.timeout_s = 30;
	if (proc_run(&spec, &res, &err) < 0) {
		buf_setf(&c->why,
		         "not found (%s): apt-get install valgrind for --counters "
		         "cachegrind",
		         err.data);
	} else if (!proc_result_ok(&res)) {
		struct buf d = BUF_INIT;

		buf_init(&d, 256);
		proc_result_describe(&res, spec.timeout_s, &d);
		buf_setf(&c->why, "`valgrind --version` failed: %s", d.data);
		buf_release(&d);
	} else {
		buf_rtrim(&out);
		buf_setf(&c->why, "%s", out.data);
		c->ok = 1;
	}
	buf_release(&out);
	buf_release(&err);
}

struct doctor {
	const struct counter_backend *const *backends;
	size_t nbackends;
	struct check *backend_checks;
	const char *const *events;
	size_t nevents;
	struct check *perf_ev, *papi_ev;
	int paranoid;
	int have_pmu;
	struct counters_papi_component *comps;
	size_t ncomps;
	struct buf papi_err;
	struct check valgrind;
	struct buf cl_text, cl_err;
	cJSON *cl_json;
	int cl_ok;
};

static void doctor_gather(struct doctor *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->backends = counters_backends();
	while (d->backends[d->nbackends])
		d->nbackends++;
	d->events = counters_default_events();
	while (d->events[d->nevents])
		d->nevents++;
	d->backend_checks = xcalloc(d->nbackends, sizeof(*d->backend_checks));
	d->perf_ev = xcalloc(d->nevents, sizeof(*d->perf_ev));
	d->papi_ev = xcalloc(d->nevents, sizeof(*d->papi_ev));

	for (i = 0; i < d->nbackends; i++) {
		struct check *c = &d->backend_checks[i];

		check_init(c);
		c->ok = !d->backends[i]->probe || d->backends[i]->probe(&c->why) == 0;
	}
	for (i = 0; i < d->nevents; i++) {
		check_init(&d->perf_ev[i]);
		check_init(&d->papi_ev[i]);
		d->perf_ev[i].ok = counters_perf_event_check(d->events[i], &d->perf_ev[i].why) == 0;
		d->papi_ev[i].ok = counters_papi_event_check(d->events[i], &d->papi_ev[i].why) == 0;
	}
	d->paranoid = counters_perf_paranoid();
	d->have_pmu = counters_perf_have_pmu();
	buf_init(&d->papi_err, 4096);
	counters_papi_components(&d->comps, &d->ncomps, &d->papi_err);
	check_init(&d->valgrind);
	valgrind_check(&d->valgrind);
	buf_init(&d->cl_text, 0);
	buf_init(&d->cl_err, 4096);
	d->cl_ok = opencl_describe(&d->cl_text, &d->cl_json, &d->cl_err) == 0;
}

static void doctor_release(struct doctor *d)
{
	size_t i;

	for (i = 0; i < d->nbackends; i++)
		buf_release(&d->backend_checks[i].why);
	for (i = 0; i < d->nevents; i++) {
		buf_release(&d->perf_ev[i].why);
		buf_release(&d->papi_ev[i].why);
	}
	free(d->backend_checks);
	free(d->perf_ev);
	free(d->papi_ev);
	counters_papi_components_free(d->comps, d->ncomps);
	buf_release(&d->papi_err);
	buf_release(&d->valgrind.why);
	buf_release(&d->cl_text);
	buf_release(&d->cl_err);
	cJSON_Delete(d->cl_json);
}

/* How many default events perf can count: the perf backend's own summary. */
static void perf_summary(const struct doctor *d, struct buf *out)
{
	size_t i, hw_ok = 0, sw_ok = 0;

	for (i = 0; i < d->nevents; i++) {
		int sw = !strcmp(d->events[i], "task-clock") ||
		         !strcmp(d->events[i], "page-faults") ||
		         !strcmp(d->events[i], "context-switches");

		if (!d->perf_ev[i].ok)
			continue;
		if (sw)
			sw_ok++;
		else
			hw_ok++;
	}
	if (!hw_ok && sw_ok)
		buf_addstr(out, "software events only: hardware events are not supported here");
	else
		buf_addf(out, "%zu of %zu default events", hw_ok + sw_ok, d->nevents);
}

static void doctor_text(const struct doctor *d, struct buf *out)
{
	struct notes nt = {NULL, 0};
	size_t i;

	buf_addstr(out, "Counter backends:\n");
	for (i = 0; i < d->nbackends; i++) {
		const struct check *c = &d->backend_checks[i];
		struct buf extra = BUF_INIT;

		buf_init(&extra, 4096);
		if (!c->ok)
			buf_addstr(&extra, c->why.data);
		else if (!strcmp(d->backends[i]->name, "perf"))
			perf_summary(d, &extra);
		else if (d->backends[i]->deterministic)
			buf_addstr(&extra, "deterministic (simulated)");
		else if (!strcmp(d->backends[i]->name, "rusage"))
			buf_addstr(&extra, "wall, user, sys time, max RSS, page faults, context "
			                   "switches");
		buf_addf(out, "  %-11s %-14s %s\n", d->backends[i]->name,
		         c->ok ? "available" : "not available", extra.data);
		buf_release(&extra);
	}

	buf_addstr(out, "\nperf_event_paranoid: ");
	if (d->paranoid > -100)
		buf_addf(out, "%d%s\n", d->paranoid,
		         geteuid() == 0 ? " (running as root: no limit applies)" : "");
	else
		buf_addstr(out, "unknown (/proc/sys/kernel/perf_event_paranoid unreadable)\n");
	buf_addf(out, "hardware PMU: %s\n",
	         d->have_pmu ? "exposed" : "none exposed to this machine (no hardware counters)");

	buf_addf(out, "\nDefault events:\n  %-24s %-20s %s\n", "event", "perf", "papi");
	for (i = 0; i < d->nevents; i++) {
		char perf[32], papi[32];

		if (d->perf_ev[i].ok)
			snprintf(perf, sizeof(perf), "supported");
		else
			snprintf(perf, sizeof(perf), "not supported [%zu]",
			         note_ref(&nt, d->perf_ev[i].why.data));
		if (d->papi_ev[i].ok)
			snprintf(papi, sizeof(papi), "supported");
		else
			snprintf(papi, sizeof(papi), "not supported [%zu]",
			         note_ref(&nt, d->papi_ev[i].why.data));
		buf_addf(out, "  %-24s %-20s %s\n", d->events[i], perf, papi);
	}
	for (i = 0; i < nt.n; i++)
		buf_addf(out, "  [%zu] %s\n", i + 1, nt.text[i]);
	notes_release(&nt);
	if (!d->have_pmu)
		buf_addstr(out, "  (for instruction counts and cache misses without a PMU, use "
		                "--counters cachegrind: simulated, deterministic)\n");

	buf_addstr(out, "\nPAPI components:\n");
	if (d->papi_err.len)
		buf_addf(out, "  PAPI cannot be used: %s\n", d->papi_err.data);
	for (i = 0; i < d->ncomps; i++) {
		const struct counters_papi_component *c = &d->comps[i];

		if (c->disabled)
			buf_addf(out, "  %-18s disabled  %s\n", c->name, c->reason);
		else
			buf_addf(out, "  %-18s active    %d native events\n", c->name,
			         c->num_native_events);
	}

	buf_addf(out, "\nvalgrind: %s\n", d->valgrind.why.data);

	buf_addstr(out, "\nOpenCL:\n");
	if (d->cl_ok) {
		const char *s = d->cl_text.data;

		/* Indented like the other sections. */
		while (*s) {
			size_t n = strcspn(s, "\n");

			buf_addstr(out, "  ");
			buf_add(out, s, n);
			buf_addch(out, '\n');
			s += n;
			if (*s)
				s++;
		}
	} else {
		buf_addf(out, "  %s\n", d->cl_err.len ? d->cl_err.data : "not available");
	}
}

static void json_check_obj(cJSON *o, const struct check *c)
{
	json_add_bool(o, "available", c->ok);
	json_add_string(o, "reason", c->ok ? NULL : c->why.data);
}

static cJSON *doctor_json(struct doctor *d)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr, *o, *sub;
	size_t i;

	if (!root)
		return NULL;
	arr = json_add_array(root, "backends");
	for (i = 0; arr && i < d->nbackends; i++) {
		o = json_add_object(arr, NULL);
		if (!o)
			break;
		json_add_string(o, "name", d->backends[i]->name);
		json_check_obj(o, &d->backend_checks[i]);
		json_add_bool(o, "deterministic", d->backends[i]->deterministic);
		if (d->backend_checks[i].ok && !d->backend_checks[i].why.len &&
		    !strcmp(d->backends[i]->name, "perf")) {
			struct buf s = BUF_INIT;

			buf_init(&s, 4096);
			perf_summary(d, &s);
			json_add_string(o, "note", s.data);
			buf_release(&s);
		}
	}
	if (d->paranoid > -100)
		json_add_number(root, "perf_event_paranoid", d->paranoid);
	else
		cJSON_AddNullToObject(root, "perf_event_paranoid");
	json_add_bool(root, "hardware_pmu", d->have_pmu);
	json_add_bool(root, "root", geteuid() == 0);

	arr = json_add_array(root, "events");
	for (i = 0; arr && i < d->nevents; i++) {
		o = json_add_object(arr, NULL);
		if (!o)
			break;
		json_add_string(o, "name", d->events[i]);
		sub = json_add_object(o, "perf");
		if (sub)
			json_check_obj(sub, &d->perf_ev[i]);
		sub = json_add_object(o, "papi");
		if (sub)
			json_check_obj(sub, &d->papi_ev[i]);
	}

	o = json_add_object(root, "papi");
	if (o) {
		json_add_string(o, "error", d->papi_err.len ? d->papi_err.data : NULL);
		arr = json_add_array(o, "components");
		for (i = 0; arr && i < d->ncomps; i++) {
			sub = json_add_object(arr, NULL);
			if (!sub)
				break;
			json_add_string(sub, "name", d->comps[i].name);
			json_add_string(sub, "description", d->comps[i].description);
			json_add_bool(sub, "active", !d->comps[i].disabled);
			json_add_string(sub, "reason", d->comps[i].reason);
			json_add_number(sub, "native_events", d->comps[i].num_native_events);
		}
	}

	o = json_add_object(root, "valgrind");
	if (o) {
		json_add_bool(o, "present", d->valgrind.ok);
		json_add_string(o, "version", d->valgrind.ok ? d->valgrind.why.data : NULL);
		json_add_string(o, "reason", d->valgrind.ok ? NULL : d->valgrind.why.data);
	}

	o = json_add_object(root, "opencl");
	if (o) {
		json_add_bool(o, "available", d->cl_ok);
		if (d->cl_ok && d->cl_json) {
			cJSON_AddItemToObject(o, "platforms", d->cl_json);
			d->cl_json = NULL; /* the report owns it now */
		} else {
			cJSON_AddItemToObject(o, "platforms", cJSON_CreateArray());
		}
		json_add_string(o, "reason", d->cl_ok ? NULL : d->cl_err.data);
	}
	return root;
}

int cmd_doctor(int argc, char **argv, struct cli_ctx *ctx)
{
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT;
	struct doctor d;
	struct buf out = BUF_INIT;
	int c, as_json = 0, rc = EXIT_OK;

	(void)ctx;
	opt_build(doctor_options, &longopts, &shortopts);
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts.data, longopts, NULL)) != -1) {
		if (c == 'j') {
			as_json = 1;
			continue;
		}
		free(longopts);
		buf_release(&shortopts);
		doctor_usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? EXIT_OK : EXIT_USAGE;
	}
	free(longopts);
	buf_release(&shortopts);
	if (optind < argc) {
		fprintf(stderr, "optimize doctor: unexpected argument '%s'\n", argv[optind]);
		doctor_usage(stderr);
		return EXIT_USAGE;
	}

	doctor_gather(&d);
	buf_init(&out, 0);
	if (as_json) {
		cJSON *root = doctor_json(&d);
		char *s = root ? json_print_take(root, 1) : NULL;

		if (s)
			buf_addstr(&out, s);
		else
			rc = EXIT_FAILURE_INTERNAL;
		free(s);
		cJSON_Delete(root);
	} else {
		doctor_text(&d, &out);
	}
	doctor_release(&d);
	if (rc == EXIT_OK && (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout))) {
		fprintf(stderr, "optimize doctor: cannot write the report to stdout\n");
		rc = EXIT_FAILURE_INTERNAL;
	}
	buf_release(&out);
	return rc;
}
