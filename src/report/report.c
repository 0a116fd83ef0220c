#include "report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "prof/machine.h"
#include "engine/objective.h"
#include "base/fileio.h"
#include "engine/workspace.h"

const char *report_target_status(const struct loop_state *st)
{
	if (!st->ncands || (st->cands[0]->status != CAND_ACCEPTED))
		return "baseline-failed";
	if (st->best != 0)
		return "improved";
	if (st->stopped && st->stop_reason && !strcmp(st->stop_reason, "interrupted"))
		return "interrupted";
	return "no-improvement";
}

static void add_samples(cJSON *o, const char *key, const double *v, size_t n,
                        const struct objective *obj)
{
	cJSON *s = json_add_object(o, key);
	cJSON *a;
	size_t i;

	json_add_string(s, "unit", obj->unit);
	json_add_string(s, "source", obj->source);
	a = json_add_array(s, "values");
	for (i = 0; i < n; i++)
		json_add_number(a, NULL, v[i]);
}

static void add_interval(cJSON *o, const char *key, const struct stats_interval *ci,
                         const char *unit, const char *source)
{
	cJSON *r = json_add_object(o, key);
	json_add_number(r, "estimate", ci->estimate);
	json_add_number(r, "lo", ci->lo);
	json_add_number(r, "hi", ci->hi);
	json_add_number(r, "level", ci->level);
	json_add_number(r, "pairs", (double)ci->n);
	json_add_string(r, "unit", unit);
	json_add_string(r, "source", source);
}

static cJSON *candidate_json(const struct loop_state *st, const struct candidate *c)
{
	const struct objective *obj = loop_objective(st);
	cJSON *o = cJSON_CreateObject(), *cfg, *files;
	struct strlist changed = {0};
	size_t i;

	json_add_number(o, "id", c->id);
	json_add_number(o, "parent", c->parent);
	json_add_string(o, "label", c->label);
	json_add_string(o, "origin", c->origin);
	json_add_string(o, "status", cand_status_name(c->status));
	json_add_string(o, "reason", c->reason);
	if (c->note)
		json_add_string(o, "note", c->note);
	json_add_string(o, "hash", c->hash[0] ? c->hash : NULL);
	cfg = json_add_object(o, "config");
	{
		const struct candidate *p;
		const char *cc = NULL, *cf = NULL, *lf = NULL, *cl = NULL, *wg = NULL;
		int pgo = 0;
		for (p = c; p; p = p->parent >= 0 ? st->cands[p->parent] : NULL) {
			cc = cc ? cc : p->cc;
			cf = cf ? cf : p->cflags;
			lf = lf ? lf : p->ldflags;
			cl = cl ? cl : p->cl_build_options;
			wg = wg ? wg : p->wg_size;
			pgo |= p->pgo;
		}
		json_add_string(cfg, "cc", cc);
		json_add_string(cfg, "cflags", cf);
		json_add_string(cfg, "ldflags", lf);
		json_add_bool(cfg, "pgo", pgo);
		if (cl && *cl)
			json_add_string(cfg, "cl_build_options", cl);
		if (wg)
			json_add_string(cfg, "wg_size", wg);
	}
	files = json_add_array(o, "changed_files");
	loop_changed_files(st, c->id, &changed);
	for (i = 0; i < changed.n; i++)
		json_add_string(files, NULL, changed.v[i]);
	strlist_release(&changed);
	if (c->build_s > 0)
		json_add_measure(o, "build_time", c->build_s, "s", "wall clock (CLOCK_MONOTONIC)");
	if (c->id == 0 && c->nsamples) {
		cJSON *m = json_add_object(o, "measurement");
		json_add_measure(m, "median", c->value, obj->unit, obj->source);
		add_samples(m, "samples", c->cand_samples, c->nsamples, obj);
	} else if (c->nsamples) {
		cJSON *m = json_add_object(o, "measurement");
		json_add_number(m, "compared_with", c->compared_with);
		json_add_string(m, "statistic",
		                obj->deterministic
		                    ? "ratio of single runs (deterministic objective)"
		                    : "median of paired ratios, percentile bootstrap");
		add_interval(m, "ratio", &c->ci, "ratio (candidate / compared)",
		             "interleaved paired runs");
		json_add_measure(m, "median", c->value, obj->unit, obj->source);
		json_add_measure(m, "compared_median", c->base_value, obj->unit, obj->source);
		add_samples(m, "samples", c->cand_samples, c->nsamples, obj);
		add_samples(m, "compared_samples", c->base_samples, c->nsamples, obj);
	}
	if (c->profile.nmetrics || c->profile.nfunctions)
		cJSON_AddItemToObject(o, "profile", profile_to_json(&c->profile));
	if (c->prompt_hash || c->response_hash) {
		cJSON *l = json_add_object(o, "llm");
		json_add_string(l, "prompt_sha256", c->prompt_hash);
		json_add_string(l, "response_sha256", c->response_hash);
		json_add_measure(l, "prompt_tokens", (double)c->prompt_tokens, "tokens",
		                 "provider");
		json_add_measure(l, "completion_tokens", (double)c->completion_tokens, "tokens",
		                 "provider");
	}
	return o;
}

cJSON *report_target_json(const struct loop_state *st)
{
	const struct objective *obj = loop_objective(st);
	const struct target *t = st->target;
	const struct candidate *best = loop_best(st);
	cJSON *o = cJSON_CreateObject(), *ob, *arr, *counts, *by;
	size_t i;
	int tried = 0, accepted = 0;
	int per[CAND_SKIPPED + 1] = {0};

	json_add_string(o, "name", t->name);
	json_add_string(o, "tree", t->tree);
	json_add_string(o, "status", report_target_status(st));
	if (st->stop_reason)
		json_add_string(o, "stop_reason", st->stop_reason);
	{
		cJSON *iso = json_add_object(o, "isolation");
		json_add_string(iso, "network", loop_isolation(st));
		json_add_string(iso, "source_tree", loop_isolation_tree(st));
		json_add_string(iso, "environment",
		                "secrets removed (*_KEY, *_TOKEN, *SECRET*, "
		                "*PASSWORD*, *CREDENTIAL*)");
		json_add_string(iso, "process",
		                "own process group, timeout, rlimits (CPU, address "
		                "space, file size, processes, no core)");
	}
	ob = json_add_object(o, "objective");
	json_add_string(ob, "name", obj->name);
	json_add_string(ob, "unit", obj->unit);
	json_add_string(ob, "source", obj->source);
	json_add_bool(ob, "deterministic", obj->deterministic);
	if (st->ncands) {
		const struct candidate *b = st->cands[0];
		cJSON *bo = json_add_object(o, "baseline");
		json_add_measure(bo, "median", b->nsamples ? b->value : NAN, obj->unit,
		                 obj->source);
		json_add_measure(bo, "cv",
		                 b->nsamples > 1 ? stats_cv(b->cand_samples, b->nsamples) : NAN,
		                 "ratio", "stddev / mean of the original's runs");
		if (b->reason)
			json_add_string(bo, "error", b->reason);
	}
	if (st->ncands && best) {
		cJSON *bo = json_add_object(o, "best");
		json_add_number(bo, "id", best->id);
		json_add_string(bo, "label", best->label);
		if (best->id != 0 && best->compared_with == 0) {
			struct stats_interval sp;
			sp.estimate = 1.0 / best->ci.estimate;
			sp.lo = 1.0 / best->ci.hi;
			sp.hi = 1.0 / best->ci.lo;
			sp.level = best->ci.level;
			sp.n = best->ci.n;
			add_interval(bo, "speedup", &sp, "x (original / best)",
			             "inverse of the paired median-ratio interval vs the original");
			json_add_measure(bo, "median", best->value, obj->unit, obj->source);
		} else if (best->id == 0) {
			json_add_string(bo, "note",
			                "no candidate was measured faster with confidence: "
			                "the original is kept");
		}
	}
	counts = json_add_object(o, "counts");
	for (i = 1; i < st->ncands; i++) {
		per[st->cands[i]->status]++;
		tried++;
		accepted += st->cands[i]->status == CAND_ACCEPTED;
	}
	json_add_number(counts, "tried", tried);
	json_add_number(counts, "accepted", accepted);
	json_add_number(counts, "rejected", tried - accepted);
	by = json_add_object(counts, "by_status");
	for (i = 0; i <= CAND_SKIPPED; i++)
		if (per[i])
			json_add_number(by, cand_status_name((enum cand_status)i), per[i]);
	arr = json_add_array(o, "candidates");
	for (i = 0; i < st->ncands; i++)
		cJSON_AddItemToArray(arr, candidate_json(st, st->cands[i]));
	if (st->extra)
		cJSON_AddItemReferenceToObject(o, "extra", st->extra);
	return o;
}

int report_write_target(const struct loop_state *st, struct buf *err)
{
	struct buf path = BUF_INIT;
	cJSON *o;
	int r;

	if (!st->run_dir || !st->ncands)
		return 0;
	o = report_target_json(st);
	buf_addf(&path, "%s/report.json", st->run_dir);
	r = json_write_file_atomic(path.data, o, 1, err);
	cJSON_Delete(o);
	buf_release(&path);
	return r;
}

int report_write_best(const struct loop_state *st, struct buf *err)
{
	const struct candidate *best = loop_best(st);
	struct strlist files = {0};
	struct buf patch = BUF_INIT, path = BUF_INIT, src = BUF_INIT;
	int r = 0;
	size_t i;

	loop_changed_files(st, best->id, &files);
	/* The winner's tree: the original plus its edited files, without build outputs. */
	buf_addf(&path, "%s/best", st->run_dir);
	ws_remove_tree(path.data, NULL);
	r = ws_copy_tree(loop_pristine(st), path.data, err);
	for (i = 0; r == 0 && i < files.n; i++) {
		struct buf content = BUF_INIT, dst = BUF_INIT;
		r = loop_read_file(st, best->id, files.v[i], &content, err);
		buf_addf(&dst, "%s/%s", path.data, files.v[i]);
		if (r == 0)
			r = file_write_atomic(dst.data, content.data, content.len, 0644, err);
		buf_release(&content);
		buf_release(&dst);
	}
	if (r == 0)
		r = ws_diff(loop_pristine(st), path.data, &files, &patch, err);
	if (r == 0) {
		buf_reset(&src);
		buf_addf(&src, "%s/best.patch", st->run_dir);
		r = file_write_atomic(src.data, patch.data, patch.len, 0644, err);
	}
	strlist_release(&files);
	buf_release(&patch);
	buf_release(&path);
	buf_release(&src);
	return r;
}

static const char *fmt_value(double v, const char *unit, char *out, size_t n)
{
	if (isnan(v))
		snprintf(out, n, "-");
	else if (!strcmp(unit, "s"))
		snprintf(out, n, v < 1 ? "%.1f ms" : "%.3f s", v < 1 ? v * 1000 : v);
	else
		snprintf(out, n, "%.6g %s", v, unit);
	return out;
}

void report_table(struct loop_state *const *states, size_t n, struct buf *out)
{
	size_t i, k;

	buf_addstr(out, "| target | objective | original | best | speedup (95% CI) | winner | "
	                "tried | rejected |\n");
	buf_addstr(out, "|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < n; i++) {
		const struct loop_state *st = states[i];
		const struct objective *obj = loop_objective(st);
		const struct candidate *best = loop_best(st);
		const struct candidate *b = st->ncands ? st->cands[0] : NULL;
		char v1[64], v2[64];
		int tried = (int)st->ncands - 1, rejected = 0;

		if (!b) {
			buf_addf(out, "| %s | %s | failed | - | - | - | 0 | 0 |\n",
			         st->target->name, obj->name ? obj->name : "-");
			continue;
		}
		for (k = 1; k < st->ncands; k++)
			rejected += st->cands[k]->status != CAND_ACCEPTED;
		if (b->status != CAND_ACCEPTED) {
			buf_addf(out, "| %s | %s | failed | - | - | - | 0 | 0 |\n",
			         st->target->name, obj->name ? obj->name : "-");
			continue;
		}
		buf_addf(out, "| %s | %s | %s | %s | ", st->target->name, obj->name,
		         fmt_value(b->value, obj->unit, v1, sizeof(v1)),
		         fmt_value(best->id ? best->value : b->value, obj->unit, v2, sizeof(v2)));
		if (best->id && best->compared_with == 0)
			buf_addf(out, "%.2fx [%.2f, %.2f] | %s |", 1 / best->ci.estimate,
			         1 / best->ci.hi, 1 / best->ci.lo, best->label);
		else
			buf_addf(out, "1.00x (no confirmed gain) | original |");
		buf_addf(out, " %d | %d |\n", tried, rejected);
	}
	for (i = 0; i < n; i++) {
		const struct loop_state *st = states[i];
		int per[CAND_SKIPPED + 1] = {0}, any = 0;
		for (k = 1; k < st->ncands; k++)
			per[st->cands[k]->status]++;
		for (k = 0; k <= CAND_SKIPPED; k++)
			any |= per[k] && k != CAND_ACCEPTED;
		if (!any)
			continue;
		buf_addf(out, "\n%s rejected:", st->target->name);
		for (k = 0; k <= CAND_SKIPPED; k++)
			if (per[k] && k != CAND_ACCEPTED)
				buf_addf(out, " %d %s;", per[k],
				         cand_status_name((enum cand_status)k));
		buf_rtrim(out);
		if (out->len && out->data[out->len - 1] == ';')
			out->data[--out->len] = '\0';
		buf_addch(out, '\n');
	}
}

/* The tokens of the LLM calls: in total (from the proposer's extra.llm) and per candidate. */
static void llm_usage_md(const struct loop_state *st, struct buf *md)
{
	const cJSON *l = st->extra ? cJSON_GetObjectItemCaseSensitive(st->extra, "llm") : NULL;
	const cJSON *pt, *ct, *cp, *cc, *cost;
	size_t k;
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
	for (k = 1; k < st->ncands; k++) {
		const struct candidate *c = st->cands[k];
		if (!c->prompt_hash && !c->response_hash)
			continue;
		if (!any++)
			buf_addstr(md, "\n| id | candidate | prompt tokens | completion tokens |\n"
			               "|---|---|---|---|\n");
		buf_addf(md, "| c%d | %s | ", c->id, c->label);
		if (c->prompt_tokens >= 0)
			buf_addf(md, "%ld | ", c->prompt_tokens);
		else
			buf_addstr(md, "not reported | ");
		if (c->completion_tokens >= 0)
			buf_addf(md, "%ld |\n", c->completion_tokens);
		else
			buf_addstr(md, "not reported |\n");
	}
}

static void summary_md(struct loop_state *const *states, size_t n, const struct run_meta *meta,
                       struct buf *md)
{
	size_t i, k;

	buf_addf(md, "# optimize run %s\n\n", meta->run_id);
	buf_addf(md,
	         "Command: `%s`  \nProposer: %s; seed %llu; decision: median of paired "
	         "ratios, %.0f%% bootstrap interval entirely below 1 and a gain of at least "
	         "%.1f%%.\n\n",
	         meta->command, meta->proposer, (unsigned long long)meta->opt->seed,
	         meta->opt->level * 100, meta->opt->min_gain * 100);
	report_table(states, n, md);
	for (i = 0; i < n; i++) {
		const struct loop_state *st = states[i];
		const struct candidate *best = loop_best(st);
		const struct candidate *b = st->ncands ? st->cands[0] : NULL;

		buf_addf(md, "\n## %s\n\n", st->target->name);
		if (!b) {
			buf_addstr(
			    md, "The target could not be set up (see the command's messages).\n");
			continue;
		}
		if (b->status != CAND_ACCEPTED) {
			buf_addf(md, "The original could not be used:\n\n```\n%s\n```\n",
			         b->reason ? b->reason : "");
			continue;
		}
		if (best->id) {
			buf_addf(md,
			         "Winner: **c%d %s**. Patch: `%s/best.patch` (empty when only "
			         "build settings changed). Tree: `%s/best/`.\n\n",
			         best->id, best->label, st->target->name, st->target->name);
			{
				struct cand_config cfg;
				loop_config(st, best->id, &cfg);
				buf_addf(
				    md,
				    "Build settings of the winner: CC `%s`, CFLAGS `%s`, LDFLAGS "
				    "`%s`%s",
				    cfg.cc ? cfg.cc : "cc", cfg.cflags ? cfg.cflags : "",
				    cfg.ldflags ? cfg.ldflags : "",
				    cfg.pgo ? ", with two-stage profile-guided optimization" : "");
				if (cfg.cl_build_options && *cfg.cl_build_options)
					buf_addf(md, ", OpenCL build options `%s`",
					         cfg.cl_build_options);
				if (cfg.wg_size && st->target->wg_size_env)
					buf_addf(md, ", %s=%s", st->target->wg_size_env,
					         cfg.wg_size);
				buf_addstr(md, ".\n\n");
			}
			if (best->profile.nmetrics && b->profile.nmetrics) {
				buf_addstr(md,
				           "Counters of one profiled run each (not the decision, "
				           "which is the interval above):\n\n"
				           "| metric | original | winner | change |\n"
				           "|---|---|---|---|\n");
				for (k = 0; k < b->profile.nmetrics; k++) {
					const struct metric *m = &b->profile.metrics[k];
					const struct metric *w =
					    profile_find(&best->profile, m->name);
					if (m->source == SRC_UNSUPPORTED || !w ||
					    w->source == SRC_UNSUPPORTED)
						continue;
					buf_addf(md, "| %s (%s) | %.4g | %.4g | ", m->name, m->unit,
					         m->value, w->value);
					if (m->value != 0)
						buf_addf(md, "%+.0f%% |\n",
						         (w->value / m->value - 1) * 100);
					else
						buf_addstr(md, "- |\n");
				}
				buf_addch(md, '\n');
			}
		} else {
			buf_addstr(md, "No candidate was measured faster with confidence: the "
			               "original is kept.\n\n");
		}
		buf_addstr(md, "| id | candidate | status | detail |\n|---|---|---|---|\n");
		for (k = 1; k < st->ncands; k++) {
			const struct candidate *c = st->cands[k];
			const char *r = c->reason ? c->reason : "";
			const char *nl = strchr(r, '\n');
			int len = nl ? (int)(nl - r) : (int)strlen(r);
			buf_addf(md, "| c%d | %s | %s | %.*s |\n", c->id, c->label,
			         cand_status_name(c->status), len > 160 ? 160 : len, r);
		}
		llm_usage_md(st, md);
		if (st->stop_reason)
			buf_addf(md, "\nStopped: %s.\n", st->stop_reason);
	}
}

int report_write_run(struct loop_state *const *states, size_t n, const struct run_meta *meta,
                     struct buf *err)
{
	cJSON *root = cJSON_CreateObject(), *tool, *opts, *targets;
	struct buf path = BUF_INIT, md = BUF_INIT;
	char when[64];
	time_t t = (time_t)meta->started_unix;
	struct tm tm;
	size_t i;
	int r;

	json_add_string(root, "schema", REPORT_SCHEMA);
	json_add_number(root, "schema_version", REPORT_SCHEMA_VERSION);
	tool = json_add_object(root, "tool");
	json_add_string(tool, "name", "optimize");
	json_add_string(tool, "version", OPTIMIZE_VERSION);
	json_add_string(root, "run_id", meta->run_id);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_add_string(root, "created", when);
	json_add_string(root, "command", meta->command);
	json_add_string(root, "proposer", meta->proposer);
	json_add_number(root, "exit_code", meta->exit_code);
	json_add_measure(root, "wall_time", meta->wall_s, "s", "wall clock (CLOCK_MONOTONIC)");
	opts = json_add_object(root, "options");
	json_add_number(opts, "seed", (double)meta->opt->seed);
	json_add_number(opts, "min_runs", meta->opt->min_runs);
	json_add_number(opts, "max_runs", meta->opt->max_runs);
	json_add_number(opts, "warmup", meta->opt->warmup);
	json_add_number(opts, "min_gain", meta->opt->min_gain);
	json_add_number(opts, "confidence_level", meta->opt->level);
	json_add_number(opts, "bootstrap_resamples", meta->opt->resamples);
	json_add_number(opts, "cpu", meta->opt->cpu);
	if (n && states[0]->ncands)
		cJSON_AddItemToObject(root, "environment",
		                      machine_info_json(loop_machine(states[0])));
	targets = json_add_array(root, "targets");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(targets, report_target_json(states[i]));
	buf_addf(&path, "%s/report.json", meta->run_dir);
	r = json_write_file_atomic(path.data, root, 1, err);
	cJSON_Delete(root);
	if (r == 0) {
		summary_md(states, n, meta, &md);
		buf_reset(&path);
		buf_addf(&path, "%s/summary.md", meta->run_dir);
		r = file_write_atomic(path.data, md.data, md.len, 0644, err);
	}
	buf_release(&path);
	buf_release(&md);
	return r;
}
