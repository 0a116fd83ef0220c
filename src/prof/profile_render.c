/*
 * profile_render.c: a profile for people and for prompts: the size-capped
 * text for an LLM (profile_render_text), the table of `optimize profile`
 * and the hotspot lists.
 */
#include "prof/profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "prof/cltrace.h"

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
	s->items = xreallocarray(s->items, s->nitems + 1, sizeof(*s->items));
	buf_init(&s->items[s->nitems], 4096);
	return &s->items[s->nitems++];
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

	if (!p->nfunctions && !p->hotspot_error) {
		struct buf *it = section_item(s);

		buf_addstr(&s->head, "hot functions:\n");
		buf_addstr(it, p->hotspot_source
		                   ? "  none: sampling found no function of the program\n"
		                   : "  not available: this profile was not sampled\n");
		return;
	}
	if (p->hotspot_error && !p->nfunctions) {
		struct buf *it = section_item(s);
		struct buf line = BUF_INIT;

		buf_addstr(&s->head, "hot functions:\n");
		buf_init(&line, 4096);
		buf_addf(&line, "  not available: %s", p->hotspot_error);
		add_capped_line(it, line.data, 2 * TEXT_LINE_MAX);
		buf_release(&line);
		return;
	}
	hotspot_heading(p, "hot functions", &s->head);
	for (i = 0; i < p->nfunctions; i++) {
		const struct hot_function *f = &p->functions[i];
		struct buf *it = section_item(s);
		struct buf line = BUF_INIT;

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

/* Lines whose source is readable (the tree's own files) are the ones a
 * model can act on; lines of system libraries without source are left out
 * when there are such lines. */
static void text_lines(const struct profile *p, struct section *s)
{
	size_t i, with_text = 0;

	for (i = 0; i < p->nlines; i++)
		with_text += p->lines[i].text != NULL;
	buf_addstr(&s->head, "hot source lines:\n");
	if (p->nfunctions && p->nlines && !with_text) {
		struct buf *it = section_item(s);

		buf_addstr(it, "  (no hot line is in a source file of the tree: build with -g, "
		               "or the time is spent in libraries)\n");
	}
	for (i = 0; i < p->nlines; i++) {
		const struct hot_line *l = &p->lines[i];
		struct buf *it;
		struct buf line = BUF_INIT;

		if (with_text && !l->text)
			continue;
		it = section_item(s);
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
	double all_ms = 0;
	size_t i;

	if (p->device) {
		const struct cl_device_info *d = p->device;
		struct buf *it = section_item(dev);
		struct buf line = BUF_INIT;

		buf_addstr(&dev->head, "opencl device:\n");
		buf_init(&line, 4096);
		buf_addf(
		    &line,
		    "  %s (%s, %s; %s) %u compute units, max work-group %zu, "
		    "local mem %llu KiB, global mem %llu MiB, "
		    "preferred vector width float %u double %u int %u",
		    d->name ? d->name : "?", d->device_type ? d->device_type : "?",
		    d->vendor ? d->vendor : "?", d->platform ? d->platform : "?", d->compute_units,
		    d->max_work_group_size, (unsigned long long)(d->local_mem_bytes >> 10),
		    (unsigned long long)(d->global_mem_bytes >> 20), d->pref_vector_width_float,
		    d->pref_vector_width_double, d->pref_vector_width_int);
		add_capped_line(it, buf_str(&line), 2 * TEXT_LINE_MAX);
		buf_release(&line);
	}
	buf_addstr(&ker->head, "opencl kernels (device time per kernel: launches, total, mean, "
	                       "median, share of all kernels' device time):\n");
	for (i = 0; i < p->nkernels; i++)
		all_ms += p->kernels[i].total_ms;
	for (i = 0; i < p->nkernels; i++) {
		const struct kernel_timing *k = &p->kernels[i];
		struct buf *it = section_item(ker);
		struct buf line = BUF_INIT;

		buf_init(&line, 4096);
		buf_addf(&line,
		         "  %s: %llu launches, total %.3f ms, mean %.3f ms, median %.3f ms, "
		         "share %.1f%%,",
		         k->name, (unsigned long long)k->launches, k->total_ms, k->mean_ms,
		         k->median_ms, all_ms > 0 ? 100.0 * k->total_ms / all_ms : 0.0);
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
