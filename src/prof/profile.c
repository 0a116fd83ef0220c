#include "prof/profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "prof/cltrace.h"

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

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void replace_str(char **dst, const char *s)
{
	char *n = xstrdup(s);

	if (s && !n)
		return; /* out of memory: keep the old value */
	free(*dst);
	*dst = n;
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
	replace_str(&p->command, command);
}

void profile_set_hotspot_source(struct profile *p, const char *source)
{
	replace_str(&p->hotspot_source, source);
}

void profile_set_hotspot_error(struct profile *p, const char *why)
{
	replace_str(&p->hotspot_error, why);
}

static struct metric *metric_slot(struct profile *p, const char *name)
{
	struct metric *m;
	size_t i;

	for (i = 0; i < p->nmetrics; i++)
		if (!strcmp(p->metrics[i].name, name))
			return &p->metrics[i];
	m = realloc(p->metrics, (p->nmetrics + 1) * sizeof(*m));
	if (!m)
		return NULL;
	p->metrics = m;
	m = &p->metrics[p->nmetrics];
	memset(m, 0, sizeof(*m));
	m->name = strdup(name);
	if (!m->name)
		return NULL;
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

	if (!u || !b || (reason && !r)) {
		free(u);
		free(b);
		free(r);
		return NULL;
	}
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
	if (!m)
		return NULL;
	return metric_fill(m, unit, value, source, backend, scaling, NULL);
}

struct metric *profile_set_unsupported(struct profile *p, const char *name, const char *unit,
                                       const char *backend, const char *reason)
{
	struct metric *m;

	if (!name)
		return NULL;
	m = metric_slot(p, name);
	if (!m)
		return NULL;
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
	struct hot_function *f = realloc(p->functions, (p->nfunctions + 1) * sizeof(*f));

	if (!f)
		return NULL;
	p->functions = f;
	f = &p->functions[p->nfunctions];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name ? name : "[unknown]");
	f->module = xstrdup(module);
	if (!f->name || (module && !f->module)) {
		free(f->name);
		free(f->module);
		return NULL;
	}
	f->samples = samples;
	p->nfunctions++;
	return f;
}

struct hot_line *profile_add_line(struct profile *p, const char *file, int line,
                                  const char *function, const char *text, uint64_t samples)
{
	struct hot_line *l = realloc(p->lines, (p->nlines + 1) * sizeof(*l));

	if (!l)
		return NULL;
	p->lines = l;
	l = &p->lines[p->nlines];
	memset(l, 0, sizeof(*l));
	l->file = strdup(file ? file : "??");
	l->function = xstrdup(function);
	l->text = xstrdup(text);
	if (!l->file || (function && !l->function) || (text && !l->text)) {
		free(l->file);
		free(l->function);
		free(l->text);
		return NULL;
	}
	l->line = line;
	l->samples = samples;
	p->nlines++;
	return l;
}

struct kernel_timing *profile_add_kernel(struct profile *p, const char *name)
{
	struct kernel_timing *k = realloc(p->kernels, (p->nkernels + 1) * sizeof(*k));

	if (!k)
		return NULL;
	p->kernels = k;
	k = &p->kernels[p->nkernels];
	memset(k, 0, sizeof(*k));
	k->name = strdup(name ? name : "?");
	if (!k->name)
		return NULL;
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

/* ---- JSON ---- */

static void add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_str(cJSON *o, const char *k, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, k, s);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *metric_to_json(const struct metric *m)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	add_str(o, "name", m->name);
	if (m->source == SRC_UNSUPPORTED)
		cJSON_AddNullToObject(o, "value");
	else
		add_num(o, "value", m->value);
	add_str(o, "unit", m->unit);
	add_str(o, "source", metric_source_name(m->source));
	add_str(o, "backend", m->backend);
	add_num(o, "scaling", m->scaling);
	if (m->source == SRC_UNSUPPORTED)
		add_str(o, "reason", m->reason ? m->reason : "not supported on this machine");
	return o;
}

static cJSON *device_to_json(const struct cl_device_info *d)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	add_str(o, "platform", d->platform);
	add_str(o, "name", d->name);
	add_str(o, "vendor", d->vendor);
	add_str(o, "driver_version", d->driver_version);
	add_str(o, "device_type", d->device_type);
	add_num(o, "compute_units", d->compute_units);
	add_num(o, "max_work_group_size", (double)d->max_work_group_size);
	add_num(o, "local_mem_bytes", (double)d->local_mem_bytes);
	add_num(o, "global_mem_bytes", (double)d->global_mem_bytes);
	add_num(o, "pref_vector_width_float", d->pref_vector_width_float);
	add_num(o, "pref_vector_width_double", d->pref_vector_width_double);
	add_num(o, "pref_vector_width_int", d->pref_vector_width_int);
	return o;
}

static cJSON *size3_to_json(const size_t v[3], unsigned dim)
{
	cJSON *a = cJSON_CreateArray();
	unsigned i;

	if (!a)
		return NULL;
	for (i = 0; i < dim && i < 3; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
	return a;
}

static cJSON *kernel_to_json(const struct kernel_timing *k)
{
	cJSON *o = cJSON_CreateObject();
	unsigned dim = k->work_dim ? k->work_dim : 1;

	if (!o)
		return NULL;
	add_str(o, "name", k->name);
	add_num(o, "launches", (double)k->launches);
	add_num(o, "total_ms", k->total_ms);
	add_num(o, "mean_ms", k->mean_ms);
	add_num(o, "median_ms", k->median_ms);
	add_num(o, "min_ms", k->min_ms);
	add_num(o, "max_ms", k->max_ms);
	add_num(o, "work_dim", k->work_dim);
	cJSON_AddItemToObject(o, "global", size3_to_json(k->global, dim));
	if (k->local[0])
		cJSON_AddItemToObject(o, "local", size3_to_json(k->local, dim));
	else
		cJSON_AddNullToObject(o, "local");
	return o;
}

struct cJSON *profile_to_json(const struct profile *p)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr, *o;
	size_t i;

	if (!root)
		return NULL;
	add_str(root, "command", p->command);

	arr = cJSON_AddArrayToObject(root, "metrics");
	for (i = 0; arr && i < p->nmetrics; i++)
		cJSON_AddItemToArray(arr, metric_to_json(&p->metrics[i]));

	add_str(root, "hotspot_source", p->hotspot_source);
	if (p->hotspot_error)
		add_str(root, "hotspot_error", p->hotspot_error);
	add_num(root, "total_samples", (double)p->total_samples);
	arr = cJSON_AddArrayToObject(root, "functions");
	for (i = 0; arr && i < p->nfunctions; i++) {
		const struct hot_function *f = &p->functions[i];

		o = cJSON_CreateObject();
		if (!o)
			break;
		add_str(o, "name", f->name);
		add_str(o, "module", f->module);
		add_num(o, "samples", (double)f->samples);
		add_num(o, "pct", f->pct);
		add_num(o, "ir", (double)f->ir);
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "lines");
	for (i = 0; arr && i < p->nlines; i++) {
		const struct hot_line *l = &p->lines[i];

		o = cJSON_CreateObject();
		if (!o)
			break;
		add_str(o, "file", l->file);
		add_num(o, "line", l->line);
		add_str(o, "function", l->function);
		add_str(o, "text", l->text);
		add_num(o, "samples", (double)l->samples);
		add_num(o, "pct", l->pct);
		add_num(o, "ir", (double)l->ir);
		add_num(o, "d1mr", (double)l->d1mr);
		add_num(o, "d1mw", (double)l->d1mw);
		add_num(o, "dlmr", (double)l->dlmr);
		add_num(o, "dlmw", (double)l->dlmw);
		add_num(o, "bcm", (double)l->bcm);
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "kernels");
	for (i = 0; arr && i < p->nkernels; i++)
		cJSON_AddItemToArray(arr, kernel_to_json(&p->kernels[i]));
	if (p->device)
		cJSON_AddItemToObject(root, "device", device_to_json(p->device));
	else
		cJSON_AddNullToObject(root, "device");
	add_str(root, "cl_build_log", p->cl_build_log);
	return root;
}

/* ---- text renderings ---- */

/* A number as a person reads it: counts with thousands separators, others
 * with as many decimals as their size deserves. */
static void fmt_value(char *out, size_t n, double v, const char *unit)
{
	if (!isfinite(v)) {
		snprintf(out, n, "-");
		return;
	}
	if (unit && (!strcmp(unit, "count") || !strcmp(unit, "KiB")) && fabs(v) < 1e18) {
		char digits[32], grouped[48];
		unsigned long long u = (unsigned long long)llround(fabs(v));
		size_t len, i, j = 0;

		snprintf(digits, sizeof(digits), "%llu", u);
		len = strlen(digits);
		if (v < 0)
			grouped[j++] = '-';
		for (i = 0; i < len; i++) {
			if (i && (len - i) % 3 == 0)
				grouped[j++] = ',';
			grouped[j++] = digits[i];
		}
		grouped[j] = '\0';
		snprintf(out, n, "%s", grouped);
		return;
	}
	if (fabs(v) >= 1e6 || (v != 0 && fabs(v) < 1e-3))
		snprintf(out, n, "%.4g", v);
	else if (fabs(v) >= 100)
		snprintf(out, n, "%.1f", v);
	else
		snprintf(out, n, "%.3f", v);
}

static void fmt_source(char *out, size_t n, const struct metric *m)
{
	if (m->source == SRC_DERIVED)
		snprintf(out, n, "derived");
	else if (m->source == SRC_SCALED)
		snprintf(out, n, "%s, scaled x%.2f", m->backend ? m->backend : "?", m->scaling);
	else
		snprintf(out, n, "%s, %s", m->backend ? m->backend : "?",
		         metric_source_name(m->source));
}

/* Append s (one line, without its newline) cut to at most max chars. */
static void add_capped_line(struct buf *b, const char *s, size_t max)
{
	size_t len = strcspn(s, "\n");

	if (len > max) {
		buf_add(b, s, max > 3 ? max - 3 : max);
		buf_addstr(b, "...");
	} else {
		buf_add(b, s, len);
	}
	buf_addch(b, '\n');
}

/*
 * The prompt rendering is a list of sections, each a header line and item
 * lines. Metrics are placed first, then the other sections take turns one
 * item at a time, so a small budget still shows the top function, the top
 * line and the top kernel instead of ten functions and nothing else.
 */
struct section {
	struct buf head;
	struct buf *items;
	size_t nitems, take;
	int closed;
};

static struct buf *section_item(struct section *s)
{
	struct buf *n = realloc(s->items, (s->nitems + 1) * sizeof(*n));

	if (!n)
		return NULL;
	s->items = n;
	buf_init(&n[s->nitems], 4096);
	return &n[s->nitems++];
}

static void section_release(struct section *s)
{
	size_t i;

	buf_release(&s->head);
	for (i = 0; i < s->nitems; i++)
		buf_release(&s->items[i]);
	free(s->items);
}

#define TEXT_LINE_MAX 200

static void text_metrics(const struct profile *p, struct section *s)
{
	size_t i, j;
	char val[64];

	buf_addstr(&s->head, "counters (value unit [backend, source]):\n");
	for (i = 0; i < p->nmetrics; i++) {
		const struct metric *m = &p->metrics[i];
		struct buf *it;
		char src[96];

		if (m->source == SRC_UNSUPPORTED)
			continue;
		it = section_item(s);
		if (!it)
			return;
		fmt_value(val, sizeof(val), m->value, m->unit);
		fmt_source(src, sizeof(src), m);
		buf_addf(it, "  %s: %s %s [%s]\n", m->name, val, m->unit ? m->unit : "", src);
	}
	/* Unsupported metrics, grouped by reason: one line per reason. */
	for (i = 0; i < p->nmetrics; i++) {
		const struct metric *m = &p->metrics[i];
		struct buf line = BUF_INIT;
		struct buf *it;
		int seen = 0;

		if (m->source != SRC_UNSUPPORTED)
			continue;
		for (j = 0; j < i; j++)
			if (p->metrics[j].source == SRC_UNSUPPORTED &&
			    !strcmp(p->metrics[j].reason ? p->metrics[j].reason : "",
			            m->reason ? m->reason : ""))
				seen = 1;
		if (seen)
			continue;
		buf_init(&line, 4096);
		buf_addstr(&line, "  not supported here: ");
		for (j = i; j < p->nmetrics; j++)
			if (p->metrics[j].source == SRC_UNSUPPORTED &&
			    !strcmp(p->metrics[j].reason ? p->metrics[j].reason : "",
			            m->reason ? m->reason : ""))
				buf_addf(&line, "%s%s", j == i ? "" : ", ", p->metrics[j].name);
		buf_addf(&line, " (%s)", m->reason ? m->reason : "no reason given");
		it = section_item(s);
		if (it)
			add_capped_line(it, buf_str(&line), 2 * TEXT_LINE_MAX);
		buf_release(&line);
	}
}

/*
 * "NAME (perf cpu-clock sampling, 1234 samples):\n". cachegrind takes no
 * samples (its source says what its shares are of): no count then.
 */
static void hotspot_heading(const struct profile *p, const char *name, struct buf *out)
{
	const char *src = p->hotspot_source;

	if (p->total_samples)
		buf_addf(out, "%s (%s, %llu samples):\n", name, src ? src : "unknown source",
		         (unsigned long long)p->total_samples);
	else if (src)
		buf_addf(out, "%s (%s):\n", name, src);
	else
		buf_addf(out, "%s:\n", name);
}

static void text_functions(const struct profile *p, struct section *s)
{
	size_t i;

	if (p->hotspot_error && !p->nfunctions) {
		struct buf *it = section_item(s);

		buf_addstr(&s->head, "hot functions:\n");
		if (it) {
			struct buf line = BUF_INIT;

			buf_init(&line, 4096);
			buf_addf(&line, "  not available: %s", p->hotspot_error);
			add_capped_line(it, line.data, 2 * TEXT_LINE_MAX);
			buf_release(&line);
		}
		return;
	}
	hotspot_heading(p, "hot functions", &s->head);
	for (i = 0; i < p->nfunctions; i++) {
		const struct hot_function *f = &p->functions[i];
		struct buf *it = section_item(s);
		struct buf line = BUF_INIT;

		if (!it)
			return;
		buf_init(&line, 4096);
		buf_addf(&line, "  %5.1f%% %s", f->pct, f->name);
		if (f->module)
			buf_addf(&line, " (%s)", f->module);
		if (f->ir)
			buf_addf(&line, " Ir=%llu", (unsigned long long)f->ir);
		add_capped_line(it, buf_str(&line), TEXT_LINE_MAX);
		buf_release(&line);
	}
}

static void text_lines(const struct profile *p, struct section *s)
{
	size_t i;

	buf_addstr(&s->head, "hot source lines:\n");
	for (i = 0; i < p->nlines; i++) {
		const struct hot_line *l = &p->lines[i];
		struct buf *it = section_item(s);
		struct buf line = BUF_INIT;

		if (!it)
			return;
		buf_init(&line, 4096);
		buf_addf(&line, "  %5.1f%% %s:%d", l->pct, l->file, l->line);
		if (l->function)
			buf_addf(&line, " (%s)", l->function);
		if (l->ir)
			buf_addf(&line, " Ir=%llu D1mr=%llu DLmr=%llu Bcm=%llu",
			         (unsigned long long)l->ir, (unsigned long long)l->d1mr,
			         (unsigned long long)l->dlmr, (unsigned long long)l->bcm);
		if (l->text)
			buf_addf(&line, ": %s", l->text);
		add_capped_line(it, buf_str(&line), TEXT_LINE_MAX);
		buf_release(&line);
	}
}

static void kernel_geometry(struct buf *b, const struct kernel_timing *k)
{
	unsigned dim = k->work_dim ? k->work_dim : 1, i;

	buf_addstr(b, " global ");
	for (i = 0; i < dim && i < 3; i++)
		buf_addf(b, "%s%zu", i ? "x" : "", k->global[i]);
	buf_addstr(b, " local ");
	if (!k->local[0]) {
		buf_addstr(b, "NULL");
		return;
	}
	for (i = 0; i < dim && i < 3; i++)
		buf_addf(b, "%s%zu", i ? "x" : "", k->local[i]);
}

static void text_opencl(const struct profile *p, struct section *dev, struct section *ker)
{
	size_t i;

	if (p->device) {
		const struct cl_device_info *d = p->device;
		struct buf *it = section_item(dev);
		struct buf line = BUF_INIT;

		buf_addstr(&dev->head, "opencl device:\n");
		if (it) {
			buf_init(&line, 4096);
			buf_addf(&line,
			         "  %s (%s, %s; %s) %u compute units, max work-group %zu, "
			         "local mem %llu KiB, global mem %llu MiB, "
			         "preferred vector width float %u double %u int %u",
			         d->name ? d->name : "?", d->device_type ? d->device_type : "?",
			         d->vendor ? d->vendor : "?", d->platform ? d->platform : "?",
			         d->compute_units, d->max_work_group_size,
			         (unsigned long long)(d->local_mem_bytes >> 10),
			         (unsigned long long)(d->global_mem_bytes >> 20),
			         d->pref_vector_width_float, d->pref_vector_width_double,
			         d->pref_vector_width_int);
			add_capped_line(it, buf_str(&line), 2 * TEXT_LINE_MAX);
			buf_release(&line);
		}
	}
	buf_addstr(&ker->head, "opencl kernels (device time):\n");
	for (i = 0; i < p->nkernels; i++) {
		const struct kernel_timing *k = &p->kernels[i];
		struct buf *it = section_item(ker);
		struct buf line = BUF_INIT;

		if (!it)
			return;
		buf_init(&line, 4096);
		buf_addf(&line, "  %s: %llu launches, total %.3f ms, median %.3f ms,", k->name,
		         (unsigned long long)k->launches, k->total_ms, k->median_ms);
		kernel_geometry(&line, k);
		add_capped_line(it, buf_str(&line), TEXT_LINE_MAX);
		buf_release(&line);
	}
}

static int text_fits(size_t used, size_t add, size_t max)
{
	return !max || used + add <= max;
}

/* Cost of taking the next item of s: its line, plus the header if first. */
static size_t section_next_cost(const struct section *s)
{
	return s->items[s->take].len + (s->take ? 0 : s->head.len);
}

int profile_render_text(const struct profile *p, size_t max_bytes, struct buf *out)
{
	enum { S_METRICS, S_FUNCS, S_LINES, S_DEV, S_KERNELS, S_LOG, S_N };
	struct section sec[S_N];
	struct buf title = BUF_INIT;
	size_t used = 0, i;
	int progress, r = 0;

	memset(sec, 0, sizeof(sec));
	for (i = 0; i < S_N; i++)
		buf_init(&sec[i].head, 4096);
	buf_init(&title, 4096);
	if (p->command) {
		buf_addstr(&title, "profile of: ");
		add_capped_line(&title, p->command, TEXT_LINE_MAX);
	}
	text_metrics(p, &sec[S_METRICS]);
	text_functions(p, &sec[S_FUNCS]);
	text_lines(p, &sec[S_LINES]);
	text_opencl(p, &sec[S_DEV], &sec[S_KERNELS]);
	if (p->cl_build_log) {
		const char *s = p->cl_build_log;

		buf_addstr(&sec[S_LOG].head, "opencl build log:\n");
		while (*s) {
			struct buf *it = section_item(&sec[S_LOG]);
			struct buf line = BUF_INIT;

			if (!it)
				break;
			buf_init(&line, 4096);
			buf_addstr(&line, "  ");
			buf_add(&line, s, strcspn(s, "\n"));
			add_capped_line(it, buf_str(&line), TEXT_LINE_MAX);
			buf_release(&line);
			s += strcspn(s, "\n");
			if (*s)
				s++;
		}
	}

	if (text_fits(used, title.len, max_bytes))
		used += title.len;
	else
		buf_reset(&title);

	/* Metrics first, as many as fit, in order. */
	while (sec[S_METRICS].take < sec[S_METRICS].nitems &&
	       text_fits(used, section_next_cost(&sec[S_METRICS]), max_bytes))
		used += section_next_cost(&sec[S_METRICS]), sec[S_METRICS].take++;

	/* Then one item of each other section per round. */
	do {
		progress = 0;
		for (i = S_FUNCS; i < S_N; i++) {
			struct section *s = &sec[i];

			if (s->closed || s->take >= s->nitems)
				continue;
			if (!text_fits(used, section_next_cost(s), max_bytes)) {
				s->closed = 1; /* keep lists contiguous: no smaller item later */
				continue;
			}
			used += section_next_cost(s);
			s->take++;
			progress = 1;
		}
	} while (progress);

	if (buf_add(out, title.data, title.len) < 0)
		r = -1;
	for (i = 0; i < S_N; i++) {
		size_t j;

		if (!sec[i].take)
			continue;
		if (buf_add(out, sec[i].head.data, sec[i].head.len) < 0)
			r = -1;
		for (j = 0; j < sec[i].take; j++)
			if (buf_add(out, sec[i].items[j].data, sec[i].items[j].len) < 0)
				r = -1;
	}
	for (i = 0; i < S_N; i++)
		section_release(&sec[i]);
	buf_release(&title);
	return r;
}

/* The derived metric shown on the row of its base event, perf-stat style. */
static const struct {
	const char *base;
	const char *derived;
	const char *label;
} table_derived[] = {
    {"instructions", PROFILE_IPC, "IPC"},
    {"PAPI_TOT_INS", PROFILE_IPC, "IPC"},
    {"cycles", PROFILE_GHZ, "GHz"},
    {"PAPI_TOT_CYC", PROFILE_GHZ, "GHz"},
    {"branch-misses", PROFILE_BRANCH_MISS_PCT, "% of all branches"},
    {"PAPI_BR_MSP", PROFILE_BRANCH_MISS_PCT, "% of all branches"},
    {"cache-misses", PROFILE_CACHE_MISS_PCT, "% of all cache refs"},
    {"L1-dcache-load-misses", PROFILE_L1_MPKI, "per 1000 instructions"},
};

static const char *table_derived_for(const struct profile *p, const char *name, double *v)
{
	size_t i;

	for (i = 0; i < sizeof(table_derived) / sizeof(table_derived[0]); i++) {
		if (strcmp(table_derived[i].base, name))
			continue;
		*v = profile_value(p, table_derived[i].derived);
		if (!isnan(*v))
			return table_derived[i].label;
	}
	return NULL;
}

/* 1 if a derived metric is already shown on its base event's row. */
static int table_derived_shown(const struct profile *p, const char *derived)
{
	size_t i;

	for (i = 0; i < sizeof(table_derived) / sizeof(table_derived[0]); i++)
		if (!strcmp(table_derived[i].derived, derived) &&
		    !isnan(profile_value(p, table_derived[i].base)))
			return 1;
	return 0;
}

int profile_render_table(const struct profile *p, struct buf *out)
{
	const char *last_reason = NULL;
	size_t i;
	int r = 0;

	if (p->command)
		r |= buf_addf(out, " Counter stats for '%s':\n\n", p->command);
	for (i = 0; i < p->nmetrics; i++) {
		const struct metric *m = &p->metrics[i];
		char val[64], src[96], dstr[96] = "";
		const char *label;
		double dv;

		if (m->source == SRC_UNSUPPORTED) {
			const char *why = m->reason ? m->reason : "no reason given";

			/* A run of rows with one reason (no PMU) spells it out once. */
			if (last_reason && !strcmp(why, last_reason))
				why = "same reason as above";
			else
				last_reason = why;
			r |= buf_addf(out, "%20s  %-8s %-26s (%s)\n", "<not supported>", "",
			              m->name, why);
			continue;
		}
		if (m->source == SRC_DERIVED && table_derived_shown(p, m->name))
			continue;
		fmt_value(val, sizeof(val), m->value, m->unit);
		fmt_source(src, sizeof(src) - 2, m);
		memmove(src + 1, src, strlen(src) + 1);
		src[0] = '[';
		strcat(src, "]");
		label = table_derived_for(p, m->name, &dv);
		if (label)
			snprintf(dstr, sizeof(dstr), "  # %8.2f %s", dv, label);
		r |= buf_addf(out, "%20s  %-8s %-26s %-*s%s\n", val, m->unit ? m->unit : "",
		              m->name, dstr[0] ? 22 : 0, src, dstr);
	}
	return r ? -1 : 0;
}

int profile_render_hotspots(const struct profile *p, size_t max_functions, size_t max_lines,
                            struct buf *out)
{
	size_t i, n;
	int r = 0;

	if (p->hotspot_error && !p->nfunctions)
		r |= buf_addf(out, "\n Hotspots not available: %s\n", p->hotspot_error);
	if (p->nfunctions) {
		struct buf head = BUF_INIT;

		buf_init(&head, 4096);
		hotspot_heading(p, "\n Hot functions", &head);
		r |= buf_add(out, head.data, head.len);
		buf_release(&head);
		n = max_functions && max_functions < p->nfunctions ? max_functions : p->nfunctions;
		for (i = 0; i < n; i++) {
			const struct hot_function *f = &p->functions[i];

			r |= buf_addf(out, "  %6.2f%%  %-40s %s", f->pct, f->name,
			              f->module ? f->module : "");
			if (f->ir)
				r |= buf_addf(out, "  Ir %llu", (unsigned long long)f->ir);
			r |= buf_addch(out, '\n');
		}
	}
	if (p->nlines) {
		r |= buf_addstr(out, "\n Hot source lines:\n");
		n = max_lines && max_lines < p->nlines ? max_lines : p->nlines;
		for (i = 0; i < n; i++) {
			const struct hot_line *l = &p->lines[i];
			char loc[512];

			snprintf(loc, sizeof(loc), "%s:%d", l->file, l->line);
			r |= buf_addf(out, "  %6.2f%%  %-*s", l->pct, l->ir || l->text ? 32 : 0,
			              loc);
			if (l->ir)
				r |= buf_addf(
				    out, " Ir %llu D1mr %llu DLmr %llu Bcm %llu",
				    (unsigned long long)l->ir, (unsigned long long)l->d1mr,
				    (unsigned long long)l->dlmr, (unsigned long long)l->bcm);
			if (l->text)
				r |= buf_addf(out, "  %s", l->text);
			r |= buf_addch(out, '\n');
		}
	}
	/* The OpenCL part for humans is cltrace's table, the one rendering of
	 * it (prompts get the compact form of profile_render_text). */
	if (p->device || p->nkernels || p->cl_build_log) {
		r |= buf_addch(out, '\n');
		r |= cltrace_render_table(p, out);
	}
	return r ? -1 : 0;
}
