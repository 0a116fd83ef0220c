/*
 * summary.c: the result table (stdout and summary.md) and summary.md. See
 * report.h. Every figure of a target's row comes from one measurement, the
 * headline (report_headline), so original / best equals the speedup.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "engine/objective.h"
#include "report/report.h"

static const char *fmt_value(double x, const char *unit, char *out, size_t n)
{
	if (isnan(x))
		snprintf(out, n, "-");
	else if (!strcmp(unit, "s"))
		snprintf(out, n, x < 1 ? "%.1f ms" : "%.3f s", x < 1 ? x * 1000 : x);
	else
		snprintf(out, n, "%.6g %s", x, unit);
	return out;
}

/*
 * A table cell: the first line of s, at most max bytes, cut at a word
 * boundary (never inside a word or a UTF-8 sequence), with '|' escaped.
 */
static void cell(struct buf *out, const char *s, size_t max)
{
	size_t n = s ? strcspn(s, "\n") : 0, cut = n;

	if (n > max) {
		cut = max;
		while (cut > max / 2 && s[cut] != ' ')
			cut--;
		if (s[cut] != ' ')
			cut = max;
		while (cut && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
	}
	for (size_t i = 0; i < cut; i++) {
		if (s[i] == '|')
			buf_addstr(out, "\\|");
		else
			buf_addch(out, s[i]);
	}
	if (cut < n)
		buf_addstr(out, " …");
}

static void row(const struct report_target *rt, struct buf *out)
{
	const struct run_view *v = rt->v;
	const struct objective *obj;
	const struct candidate *b, *best;
	const struct cand_measurement *h;
	struct buf lineage = BUF_INIT;
	char v1[64], v2[64];
	int tried, rejected = 0;

	if (!v || !v->ncands || v->cands[0]->status != CAND_ACCEPTED) {
		buf_addf(out, "| %s | %s | failed | - | - | - | 0 | 0 |\n", rt->t->name,
		         v ? view_objective(v)->name
		           : (rt->objective ? rt->objective : rt->t->objective));
		return;
	}
	obj = view_objective(v);
	b = v->cands[0];
	best = view_best(v);
	h = report_headline(v);
	tried = (int)v->ncands - 1;
	for (size_t k = 1; k < v->ncands; k++)
		rejected += v->cands[k]->status != CAND_ACCEPTED;
	buf_addf(out, "| %s | %s | ", rt->t->name, obj->name);
	if (best->id && h) {
		struct stats_interval sp;
		report_speedup(h, &sp);
		view_lineage(v, best->id, &lineage);
		if (best->restores_default)
			buf_addstr(&lineage, " (= the project's own build)");
		buf_addf(out, "%s | %s | %.2fx [%.2f, %.2f] | ",
		         fmt_value(h->base_value, obj->unit, v1, sizeof(v1)),
		         fmt_value(h->value, obj->unit, v2, sizeof(v2)), sp.estimate, sp.lo, sp.hi);
		cell(out, lineage.data, 60);
		buf_addstr(out, " |");
	} else {
		buf_addf(out, "%s | %s | 1.00x (no confirmed gain) | original |",
		         fmt_value(b->meas.value, obj->unit, v1, sizeof(v1)),
		         fmt_value(b->meas.value, obj->unit, v2, sizeof(v2)));
	}
	buf_addf(out, " %d | %d |\n", tried, rejected);
	buf_release(&lineage);
}

void report_table(const struct report_target *targets, size_t n, struct buf *out)
{
	buf_addstr(out, "| target | objective | original | best | speedup (95% CI) | winner | "
	                "tried | rejected |\n");
	buf_addstr(out, "|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++)
		row(&targets[i], out);
	for (size_t i = 0; i < n; i++) {
		const struct run_view *v = targets[i].v;
		int per[CAND_SKIPPED + 1] = {0}, any = 0;

		if (!v)
			continue;
		for (size_t k = 1; k < v->ncands; k++)
			per[v->cands[k]->status]++;
		for (int k = 0; k <= CAND_SKIPPED; k++)
			any |= per[k] && k != CAND_ACCEPTED;
		if (!any)
			continue;
		buf_addf(out, "\n%s rejected:", targets[i].t->name);
		for (int k = 0, first = 1; k <= CAND_SKIPPED; k++) {
			if (!per[k] || k == CAND_ACCEPTED)
				continue;
			buf_addf(out, "%s %d %s", first ? "" : ";", per[k],
			         cand_status_name((enum cand_status)k));
			first = 0;
		}
		buf_addch(out, '\n');
	}
}

/* The tokens of the LLM calls: in total (from the proposer's extra.llm) and per candidate. */
static void llm_usage_md(const struct report_target *rt, struct buf *md)
{
	const struct run_view *v = rt->v;
	const cJSON *l = rt->extra ? cJSON_GetObjectItemCaseSensitive(rt->extra, "llm") : NULL;
	const cJSON *pt, *ct, *cp, *cc, *cost;
	int any = 0;

	if (!cJSON_IsObject(l))
		return;
	pt = cJSON_GetObjectItemCaseSensitive(l, "prompt_tokens");
	ct = cJSON_GetObjectItemCaseSensitive(l, "completion_tokens");
	cost = cJSON_GetObjectItemCaseSensitive(l, "cost");
	buf_addf(md, "\nLLM %s:%s: %.0f calls; tokens: %.0f prompt + %.0f completion",
	         json_get_string(l, "provider", "?"), json_get_string(l, "model", "?"),
	         json_get_number(l, "calls", 0), json_get_number(pt, "value", 0),
	         json_get_number(ct, "value", 0));
	cp = cJSON_GetObjectItemCaseSensitive(l, "cached_prompt_tokens");
	cc = cJSON_GetObjectItemCaseSensitive(l, "cached_completion_tokens");
	if (json_get_number(cp, "value", 0) + json_get_number(cc, "value", 0) > 0)
		buf_addf(md, ", %.0f + %.0f replayed from the cache",
		         json_get_number(cp, "value", 0), json_get_number(cc, "value", 0));
	if (json_get_number(l, "budget_tokens", 0) > 0)
		buf_addf(md, " (budget %.0f)", json_get_number(l, "budget_tokens", 0));
	if (cJSON_IsObject(cost))
		buf_addf(md, "; cost %.6g (%s)", json_get_number(cost, "value", 0),
		         json_get_string(cost, "source", "configured prices"));
	buf_addstr(md, ".\n");
	for (size_t k = 1; v && k < v->ncands; k++) {
		const struct candidate *c = v->cands[k];
		if (!c->llm.prompt_hash && !c->llm.response_hash)
			continue;
		if (!any++)
			buf_addstr(md, "\n| id | candidate | prompt tokens | completion tokens |\n"
			               "|---|---|---|---|\n");
		buf_addf(md, "| c%d | ", c->id);
		cell(md, c->label, 60);
		buf_addstr(md, " | ");
		if (c->llm.prompt_tokens >= 0)
			buf_addf(md, "%ld | ", c->llm.prompt_tokens);
		else
			buf_addstr(md, "not reported | ");
		if (c->llm.completion_tokens >= 0)
			buf_addf(md, "%ld |\n", c->llm.completion_tokens);
		else
			buf_addstr(md, "not reported |\n");
	}
}

static void winner_md(const struct run_view *v, struct buf *md)
{
	const struct candidate *best = view_best(v), *b = v->cands[0];
	const struct cand_config *cfg = &best->cfg;
	const struct cand_measurement *h = report_headline(v);
	struct buf lineage = BUF_INIT;

	view_lineage(v, best->id, &lineage);
	buf_addf(md,
	         "Winner: **c%d %s**. Patch: `%s/best.patch` (empty when only build settings "
	         "changed). Tree: `%s/best/`.\n\n",
	         best->id, lineage.data, v->target->name, v->target->name);
	if (h) {
		struct stats_interval sp;
		report_speedup(h, &sp);
		buf_addf(
		    md,
		    "Headline: %.4g against %.4g %s (the original), %.2fx [%.2f, %.2f] over %zu "
		    "pairs, from %s.\n\n",
		    h->value, h->base_value, view_objective(v)->unit, sp.estimate, sp.lo, sp.hi,
		    h->ci.n,
		    h == &best->meas ? "the deciding head-to-head against the original"
		                     : "a confirming head-to-head against the original after "
		                       "the search");
	}
	if (best->restores_default)
		buf_addstr(md,
		           "**Not a speedup of the project's build:** the winner builds the same "
		           "code as the project's own build without `$CFLAGS`; it only restores "
		           "the project's default flags, which the manifest's `cflags` overrode. "
		           "Leave `cflags` out (or `null`) to measure the project's build.\n\n");
	/* cflags not set: the project's own flags, CFLAGS left out of the environment */
	if (cfg->cflags)
		buf_addf(md, "Build settings of the winner: CC `%s`, CFLAGS `%s`, LDFLAGS `%s`%s",
		         cfg->cc ? cfg->cc : "cc", cfg->cflags, cfg->ldflags ? cfg->ldflags : "",
		         cfg->pgo ? ", with two-stage profile-guided optimization" : "");
	else
		buf_addf(
		    md,
		    "Build settings of the winner: CC `%s`, the project's own flags (CFLAGS not "
		    "set), LDFLAGS `%s`%s",
		    cfg->cc ? cfg->cc : "cc", cfg->ldflags ? cfg->ldflags : "",
		    cfg->pgo ? ", with two-stage profile-guided optimization" : "");
	if (cfg->cl_build_options && *cfg->cl_build_options)
		buf_addf(md, ", OpenCL build options `%s`", cfg->cl_build_options);
	if (cfg->wg_size && v->target->wg_size_env)
		buf_addf(md, ", %s=%s", v->target->wg_size_env, cfg->wg_size);
	buf_addstr(md, ".\n\n");
	buf_addf(md, "To build it elsewhere: `CC=\"%s\" ", cfg->cc ? cfg->cc : "cc");
	if (cfg->cflags)
		buf_addf(md, "CFLAGS=\"%s\" ", cfg->cflags);
	buf_addf(md, "LDFLAGS=\"%s\" %s`%s\n\n", cfg->ldflags ? cfg->ldflags : "", v->target->build,
	         cfg->pgo ? " (plus the profile-guided steps: see docs/manifest.md)" : "");
	buf_release(&lineage);
	if (!best->profile.nmetrics || !b->profile.nmetrics)
		return;
	buf_addstr(md, "Counters of one profiled run each (not the decision, which is the "
	               "interval above):\n\n| metric | original | winner | change |\n"
	               "|---|---|---|---|\n");
	for (size_t k = 0; k < b->profile.nmetrics; k++) {
		const struct metric *m = &b->profile.metrics[k];
		const struct metric *w = profile_find(&best->profile, m->name);
		if (m->source == SRC_UNSUPPORTED || !w || w->source == SRC_UNSUPPORTED)
			continue;
		buf_addf(md, "| %s (%s) | %.4g | %.4g | ", m->name, m->unit, m->value, w->value);
		if (m->value != 0)
			buf_addf(md, "%+.0f%% |\n", (w->value / m->value - 1) * 100);
		else
			buf_addstr(md, "- |\n");
	}
	buf_addch(md, '\n');
}

static void target_md(const struct report_target *rt, struct buf *md)
{
	const struct run_view *v = rt->v;
	const struct candidate *b = v && v->ncands ? v->cands[0] : NULL;

	buf_addf(md, "\n## %s\n\n", rt->t->name);
	if (!b) {
		buf_addf(md, "The target could not be set up: %s\n",
		         rt->error ? rt->error : "see the command's messages");
		return;
	}
	if (b->status != CAND_ACCEPTED) {
		buf_addf(md, "The original could not be used:\n\n```\n%s\n```\n",
		         b->reason ? b->reason : "");
		return;
	}
	if (v->best)
		winner_md(v, md);
	else
		buf_addstr(md, "No candidate was measured faster with confidence: the original is "
		               "kept.\n\n");
	buf_addstr(md, "| id | candidate | status | detail |\n|---|---|---|---|\n");
	for (size_t k = 1; k < v->ncands; k++) {
		const struct candidate *c = v->cands[k];
		buf_addf(md, "| c%d | ", c->id);
		cell(md, c->label, 60);
		buf_addf(md, " | %s | ", cand_status_name(c->status));
		cell(md, c->reason, 160);
		buf_addstr(md, " |\n");
	}
	llm_usage_md(rt, md);
	if (v->stop_reason)
		buf_addf(md, "\nStopped: %s.\n", v->stop_reason);
}

void report_summary_md(const struct report_target *targets, size_t n, const struct run_meta *meta,
                       struct buf *md)
{
	buf_addf(md, "# optimize run %s\n\n", meta->run_id);
	buf_addf(md,
	         "Command: `%s`  \nProposer: %s; seed %llu; decision: median of paired ratios, "
	         "%.0f%% bootstrap interval entirely below 1 and a gain of at least %.1f%%; the "
	         "winner confirmed by a fresh head-to-head against the original.\n\n",
	         meta->command, meta->proposer, (unsigned long long)meta->m->seed,
	         meta->m->level * 100, meta->m->min_gain * 100);
	report_table(targets, n, md);
	for (size_t i = 0; i < n; i++)
		target_md(&targets[i], md);
}
