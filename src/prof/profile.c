#include "prof/profile.h"

#include "base/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *metric_source_name(enum metric_source s)
{
	switch (s) {
	case SRC_MEASURED:
		return "measured";
	case SRC_SCALED:
		return "scaled";
	case SRC_SIMULATED:
		return "simulated";
	case SRC_DERIVED:
		return "derived";
	case SRC_UNSUPPORTED:
		return "unsupported";
	}
	return "unknown";
}

void profile_init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
}

static void metric_clear(struct metric *m)
{
	free(m->name);
	free(m->unit);
	free(m->backend);
	free(m->reason);
	memset(m, 0, sizeof(*m));
}

static void device_free(struct cl_device_info *d)
{
	if (!d)
		return;
	free(d->platform);
	free(d->name);
	free(d->vendor);
	free(d->driver_version);
	free(d->device_type);
	free(d);
}

void profile_clear_hotspots(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->nfunctions; i++) {
		free(p->functions[i].name);
		free(p->functions[i].module);
	}
	free(p->functions);
	p->functions = NULL;
	p->nfunctions = 0;
	for (i = 0; i < p->nlines; i++) {
		free(p->lines[i].file);
		free(p->lines[i].function);
		free(p->lines[i].text);
	}
	free(p->lines);
	p->lines = NULL;
	p->nlines = 0;
	free(p->hotspot_source);
	p->hotspot_source = NULL;
	p->total_samples = 0;
}

void profile_take_hotspots(struct profile *dst, struct profile *src)
{
	profile_clear_hotspots(dst);
	dst->functions = src->functions;
	dst->nfunctions = src->nfunctions;
	dst->lines = src->lines;
	dst->nlines = src->nlines;
	dst->hotspot_source = src->hotspot_source;
	dst->total_samples = src->total_samples;
	src->functions = NULL;
	src->nfunctions = 0;
	src->lines = NULL;
	src->nlines = 0;
	src->hotspot_source = NULL;
	src->total_samples = 0;
}

void profile_release(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->nmetrics; i++)
		metric_clear(&p->metrics[i]);
	free(p->metrics);
	profile_clear_hotspots(p);
	for (i = 0; i < p->nkernels; i++)
		free(p->kernels[i].name);
	free(p->kernels);
	device_free(p->device);
	free(p->command);
	free(p->hotspot_error);
	free(p->cl_build_log);
	profile_init(p);
}

void profile_set_command(struct profile *p, const char *command)
{
	xstrset(&p->command, command);
}

void profile_set_hotspot_source(struct profile *p, const char *source)
{
	xstrset(&p->hotspot_source, source);
}

void profile_set_hotspot_error(struct profile *p, const char *why)
{
	xstrset(&p->hotspot_error, why);
}

static struct metric *metric_slot(struct profile *p, const char *name)
{
	struct metric *m;
	size_t i;

	for (i = 0; i < p->nmetrics; i++)
		if (!strcmp(p->metrics[i].name, name))
			return &p->metrics[i];
	p->metrics = xreallocarray(p->metrics, p->nmetrics + 1, sizeof(*m));
	m = &p->metrics[p->nmetrics];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	p->nmetrics++;
	return m;
}

static struct metric *metric_fill(struct metric *m, const char *unit, double value,
                                  enum metric_source source, const char *backend, double scaling,
                                  const char *reason)
{
	char *u = xstrdup(unit ? unit : "count");
	char *b = xstrdup(backend ? backend : "unknown");
	char *r = xstrdup(reason);

	free(m->unit);
	free(m->backend);
	free(m->reason);
	m->unit = u;
	m->backend = b;
	m->reason = r;
	m->value = value;
	m->source = source;
	m->scaling = scaling > 0 ? scaling : 1.0;
	return m;
}

struct metric *profile_set_metric(struct profile *p, const char *name, const char *unit,
                                  double value, enum metric_source source, const char *backend,
                                  double scaling)
{
	struct metric *m;

	if (!name)
		return NULL;
	m = metric_slot(p, name);
	return metric_fill(m, unit, value, source, backend, scaling, NULL);
}

struct metric *profile_set_unsupported(struct profile *p, const char *name, const char *unit,
                                       const char *backend, const char *reason)
{
	struct metric *m;

	if (!name)
		return NULL;
	m = metric_slot(p, name);
	return metric_fill(m, unit, NAN, SRC_UNSUPPORTED, backend, 1.0,
	                   reason && *reason ? reason : "not supported on this machine");
}

const struct metric *profile_find(const struct profile *p, const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < p->nmetrics; i++)
		if (!strcmp(p->metrics[i].name, name))
			return &p->metrics[i];
	return NULL;
}

double profile_value(const struct profile *p, const char *name)
{
	const struct metric *m = profile_find(p, name);

	if (!m || m->source == SRC_UNSUPPORTED)
		return NAN;
	return m->value;
}

struct hot_function *profile_add_function(struct profile *p, const char *name, const char *module,
                                          uint64_t samples)
{
	struct hot_function *f;

	p->functions = xreallocarray(p->functions, p->nfunctions + 1, sizeof(*f));
	f = &p->functions[p->nfunctions];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name ? name : "[unknown]");
	f->module = xstrdup(module);
	f->samples = samples;
	p->nfunctions++;
	return f;
}

struct hot_line *profile_add_line(struct profile *p, const char *file, int line,
                                  const char *function, const char *text, uint64_t samples)
{
	struct hot_line *l;

	p->lines = xreallocarray(p->lines, p->nlines + 1, sizeof(*l));
	l = &p->lines[p->nlines];
	memset(l, 0, sizeof(*l));
	l->file = xstrdup(file ? file : "??");
	l->function = xstrdup(function);
	l->text = xstrdup(text);
	l->line = line;
	l->samples = samples;
	p->nlines++;
	return l;
}

struct kernel_timing *profile_add_kernel(struct profile *p, const char *name)
{
	struct kernel_timing *k;

	p->kernels = xreallocarray(p->kernels, p->nkernels + 1, sizeof(*k));
	k = &p->kernels[p->nkernels];
	memset(k, 0, sizeof(*k));
	k->name = xstrdup(name ? name : "?");
	p->nkernels++;
	return k;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_function(const void *a, const void *b)
{
	const struct hot_function *x = a, *y = b;
	int c = cmp_u64_desc(x->samples, y->samples);

	if (!c)
		c = cmp_u64_desc(x->ir, y->ir);
	if (!c)
		c = strcmp(x->name, y->name);
	return c;
}

static int cmp_line(const void *a, const void *b)
{
	const struct hot_line *x = a, *y = b;
	int c = cmp_u64_desc(x->samples, y->samples);

	if (!c)
		c = cmp_u64_desc(x->ir, y->ir);
	if (!c)
		c = strcmp(x->file, y->file);
	if (!c)
		c = (x->line > y->line) - (x->line < y->line);
	return c;
}

void profile_sort_hotspots(struct profile *p)
{
	size_t i;

	if (p->total_samples) {
		for (i = 0; i < p->nfunctions; i++)
			if (p->functions[i].pct == 0)
				p->functions[i].pct = 100.0 * (double)p->functions[i].samples /
				                      (double)p->total_samples;
		for (i = 0; i < p->nlines; i++)
			if (p->lines[i].pct == 0)
				p->lines[i].pct =
				    100.0 * (double)p->lines[i].samples / (double)p->total_samples;
	}
	if (p->nfunctions > 1)
		qsort(p->functions, p->nfunctions, sizeof(*p->functions), cmp_function);
	if (p->nlines > 1)
		qsort(p->lines, p->nlines, sizeof(*p->lines), cmp_line);
}

/* ---- derived metrics ---- */

/*
 * Base events go by their perf name; the PAPI presets count the same thing,
 * so a PAPI profile gets the same derived metrics.
 */
static double base_value(const struct profile *p, const char *perf_name, const char *papi_name)
{
	double v = profile_value(p, perf_name);

	if (isnan(v) && papi_name)
		v = profile_value(p, papi_name);
	return v;
}

/* A time metric in seconds, whatever unit it was stored with. */
static double time_in_s(const struct profile *p, const char *name)
{
	const struct metric *m = profile_find(p, name);

	if (!m || m->source == SRC_UNSUPPORTED || !m->unit)
		return NAN;
	if (!strcmp(m->unit, "s"))
		return m->value;
	if (!strcmp(m->unit, "ms"))
		return m->value / 1e3;
	if (!strcmp(m->unit, "us"))
		return m->value / 1e6;
	if (!strcmp(m->unit, "ns"))
		return m->value / 1e9;
	return NAN;
}

static void derive_one(struct profile *p, const char *name, const char *unit, double num,
                       double den, double factor)
{
	if (isnan(num) || isnan(den) || den <= 0)
		return;
	profile_set_metric(p, name, unit, num / den * factor, SRC_DERIVED, "derived", 1.0);
}

void profile_derive(struct profile *p)
{
	double ins = base_value(p, "instructions", "PAPI_TOT_INS");
	double cyc = base_value(p, "cycles", "PAPI_TOT_CYC");
	double tclk = time_in_s(p, "task-clock");

	derive_one(p, PROFILE_IPC, "ratio", ins, cyc, 1.0);
	derive_one(p, PROFILE_BRANCH_MISS_PCT, "%", base_value(p, "branch-misses", "PAPI_BR_MSP"),
	           base_value(p, "branches", "PAPI_BR_INS"), 100.0);
	derive_one(p, PROFILE_CACHE_MISS_PCT, "%", base_value(p, "cache-misses", NULL),
	           base_value(p, "cache-references", NULL), 100.0);
	derive_one(p, PROFILE_L1_MPKI, "per-kilo-instruction",
	           base_value(p, "L1-dcache-load-misses", NULL), ins, 1000.0);
	if (!isnan(tclk))
		derive_one(p, PROFILE_GHZ, "GHz", cyc, tclk * 1e9, 1.0);
}
