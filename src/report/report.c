/*
 * report.c: report.json and the winner's files. See report.h and
 * docs/report-format.md; summary.md and the table are in summary.c.
 */
#include "report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fileio.h"
#include "base/json.h"
#include "engine/objective.h"
#include "engine/workspace.h"
#include "prof/machine.h"

const struct cand_measurement *report_headline(const struct run_view *v)
{
	const struct candidate *best;
	const struct cand_check *k;

	if (!v || v->headline <= 0)
		return NULL;
	best = view_candidate(v, v->headline);
	if (!best)
		return NULL;
	k = candidate_check_against(best, 0);
	if (k && k->verdict == CAND_ACCEPTED)
		return &k->m;
	return best->meas.compared_with == 0 ? &best->meas : NULL;
}

void report_speedup(const struct cand_measurement *h, struct stats_interval *out)
{
	*out = h->ci;
	out->lo = 1.0 / h->ci.hi;
	out->hi = 1.0 / h->ci.lo;
	out->estimate =
	    h->value > 0 && h->base_value > 0 ? h->base_value / h->value : 1.0 / h->ci.estimate;
	if (out->estimate < out->lo)
		out->estimate = out->lo;
	if (out->estimate > out->hi)
		out->estimate = out->hi;
}

const char *report_target_status(const struct report_target *rt)
{
	const struct run_view *v = rt->v;

	if (!v || !v->ncands || v->cands[0]->status != CAND_ACCEPTED) {
		if (v && v->stopped && v->stop_reason && !strcmp(v->stop_reason, "interrupted"))
			return "interrupted";
		return "baseline-failed";
	}
	if (v->best != 0)
		return "improved";
	if (v->stopped && v->stop_reason && !strcmp(v->stop_reason, "interrupted"))
		return "interrupted";
	return "no-improvement";
}

static void add_samples(cJSON *o, const char *key, const double *x, size_t n,
                        const struct objective *obj)
{
	cJSON *s = json_add_object(o, key);
	cJSON *a;

	json_add_string(s, "unit", obj->unit);
	json_add_string(s, "source", obj->source);
	a = json_add_array(s, "values");
	for (size_t i = 0; i < n; i++)
		json_add_number(a, NULL, x[i]);
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

/* A comparison: the fields of `measurement` (and of each check). */
static void comparison_json(cJSON *m, const struct cand_measurement *x, const struct objective *obj)
{
	json_add_number(m, "compared_with", x->compared_with);
	json_add_string(m, "statistic",
	                x->deterministic ? "ratio of single runs (deterministic objective)"
	                                 : "median of paired ratios, percentile bootstrap");
	add_interval(m, "ratio", &x->ci, "ratio (candidate / compared)", "interleaved paired runs");
	json_add_measure(m, "median", x->value, obj->unit, obj->source);
	json_add_measure(m, "compared_median", x->base_value, obj->unit, obj->source);
	add_samples(m, "samples", x->cand_samples, x->nsamples, obj);
	add_samples(m, "compared_samples", x->base_samples, x->nsamples, obj);
}

static void config_json(cJSON *o, const struct candidate *c)
{
	cJSON *cfg = json_add_object(o, "config");

	json_add_string(cfg, "cc", c->cfg.cc);
	json_add_string(cfg, "cflags", c->cfg.cflags);
	json_add_string(cfg, "ldflags", c->cfg.ldflags);
	json_add_bool(cfg, "pgo", c->cfg.pgo);
	if (c->cfg.cl_build_options && *c->cfg.cl_build_options)
		json_add_string(cfg, "cl_build_options", c->cfg.cl_build_options);
	if (c->cfg.wg_size)
		json_add_string(cfg, "wg_size", c->cfg.wg_size);
}

/* The original's compiler command lines, as its binaries recorded them. */
static void compiler_lines_json(cJSON *o, const struct candidate *c)
{
	cJSON *a = json_add_array(o, "compiler_command_lines");

	for (size_t i = 0; i < c->compiler_lines.n; i++)
		json_add_string(a, NULL, c->compiler_lines.v[i]);
	json_add_string(o, "compiler_command_lines_source",
	                c->compiler_lines.n
	                    ? "read back from the binaries (DW_AT_producer, .GCC.command.line)"
	                    : "not recorded: the binaries carry neither DWARF (-g) nor "
	                      ".GCC.command.line (-frecord-gcc-switches)");
}

static cJSON *candidate_json(const struct run_view *v, const struct candidate *c)
{
	const struct objective *obj = view_objective(v);
	cJSON *o = cJSON_CreateObject(), *files;
	struct strlist changed = {0};
	struct buf lineage = BUF_INIT;

	json_add_number(o, "id", c->id);
	json_add_number(o, "parent", c->parent);
	json_add_string(o, "label", c->label);
	view_lineage(v, c->id, &lineage);
	json_add_string(o, "lineage", lineage.data);
	buf_release(&lineage);
	json_add_string(o, "origin", c->origin);
	json_add_string(o, "status", cand_status_name(c->status));
	json_add_string(o, "stage", cand_stage_name(c->stage));
	json_add_string(o, "reason", c->reason);
	if (c->note)
		json_add_string(o, "note", c->note);
	json_add_string(o, "hash", c->hash[0] ? c->hash : NULL);
	config_json(o, c);
	files = json_add_array(o, "changed_files");
	candidate_changed_files(c, &changed);
	for (size_t i = 0; i < changed.n; i++)
		json_add_string(files, NULL, changed.v[i]);
	strlist_release(&changed);
	if (c->build_s > 0)
		json_add_measure(o, "build_time", c->build_s, "s", "wall clock (CLOCK_MONOTONIC)");
	if (c->build_hash[0])
		json_add_string(o, "build_code_sha256", c->build_hash);
	if (c->same_build_as >= 0)
		json_add_number(o, "same_build_as", c->same_build_as);
	if (c->flags_ignored)
		json_add_bool(o, "build_ignores_cflags", 1);
	if (c->id == 0)
		compiler_lines_json(o, c);
	if (c->id == 0 && c->meas.nsamples) {
		cJSON *m = json_add_object(o, "measurement");
		json_add_measure(m, "median", c->meas.value, obj->unit, obj->source);
		add_samples(m, "samples", c->meas.cand_samples, c->meas.nsamples, obj);
	} else if (c->meas.nsamples) {
		comparison_json(json_add_object(o, "measurement"), &c->meas, obj);
	}
	if (c->nchecks) {
		cJSON *a = json_add_array(o, "checks");
		for (size_t i = 0; i < c->nchecks; i++) {
			cJSON *k = cJSON_CreateObject();
			json_add_string(k, "verdict",
			                c->checks[i].verdict == CAND_ACCEPTED
			                    ? "confirmed"
			                    : cand_status_name(c->checks[i].verdict));
			json_add_string(k, "reason", c->checks[i].reason);
			comparison_json(k, &c->checks[i].m, obj);
			cJSON_AddItemToArray(a, k);
		}
	}
	if (c->profile.nmetrics || c->profile.nfunctions)
		cJSON_AddItemToObject(o, "profile", profile_to_json(&c->profile));
	if (c->llm.prompt_hash || c->llm.response_hash) {
		cJSON *l = json_add_object(o, "llm");
		json_add_string(l, "prompt_sha256", c->llm.prompt_hash);
		json_add_string(l, "response_sha256", c->llm.response_hash);
		json_add_measure(l, "prompt_tokens", (double)c->llm.prompt_tokens, "tokens",
		                 "provider");
		json_add_measure(l, "completion_tokens", (double)c->llm.completion_tokens, "tokens",
		                 "provider");
		if (c->llm.repair_of >= 0)
			json_add_number(l, "repair_of", c->llm.repair_of);
	}
	return o;
}

static void isolation_json(cJSON *o, const struct run_view *v)
{
	cJSON *iso = json_add_object(o, "isolation");

	json_add_string(iso, "network", view_isolation_net(v));
	json_add_string(iso, "source_tree", view_isolation_tree(v));
	json_add_string(iso, "environment",
	                "secret-looking variables removed from the candidates' environment "
	                "(*_KEY, *_TOKEN, *_KEY_ID, *SECRET*, *PASSWORD*, *CREDENTIAL*, *_AUTH*, "
	                "URLs with passwords; docs/security.md)");
	json_add_string(iso, "process", view_isolation_process(v));
}

static void baseline_json(cJSON *o, const struct run_view *v, const struct objective *obj)
{
	const struct candidate *b = v->cands[0];
	cJSON *bo = json_add_object(o, "baseline");

	json_add_measure(bo, "median", b->meas.nsamples ? b->meas.value : NAN, obj->unit,
	                 obj->source);
	json_add_measure(
	    bo, "cv", b->meas.nsamples > 1 ? stats_cv(b->meas.cand_samples, b->meas.nsamples) : NAN,
	    "ratio", "stddev / mean of the original's runs");
	if (b->status != CAND_ACCEPTED && b->reason)
		json_add_string(bo, "error", b->reason);
}

static void best_json(cJSON *o, const struct run_view *v, const struct objective *obj)
{
	const struct candidate *best = view_best(v);
	const struct cand_measurement *h = report_headline(v);
	cJSON *bo = json_add_object(o, "best");
	struct buf lineage = BUF_INIT;

	json_add_number(bo, "id", best->id);
	json_add_string(bo, "label", best->label);
	view_lineage(v, best->id, &lineage);
	json_add_string(bo, "lineage", lineage.data);
	buf_release(&lineage);
	if (best->id != 0 && h) {
		struct stats_interval sp;
		cJSON *hl;
		report_speedup(h, &sp);
		add_interval(bo, "speedup", &sp, "x (original / best)",
		             "estimate: original / best, the medians of the headline head-to-head; "
		             "interval: inverse of its paired median-ratio bootstrap interval");
		json_add_measure(bo, "median", h->value, obj->unit, obj->source);
		hl = json_add_object(bo, "headline");
		json_add_measure(hl, "original", h->base_value, obj->unit, obj->source);
		json_add_measure(hl, "best", h->value, obj->unit, obj->source);
		json_add_string(hl, "source",
		                h == &best->meas ? "the deciding head-to-head against the original"
		                                 : "the confirming head-to-head against the "
		                                   "original, after the search (a fresh sample)");
		if (best->restores_default)
			json_add_string(
			    bo, "restores_project_default",
			    "the winner builds the same code as the project's own build "
			    "without $CFLAGS: it restores the project's default flags that "
			    "the manifest's cflags overrode, not a speedup of the project's "
			    "build");
	} else if (best->id == 0) {
		json_add_string(bo, "note",
		                "no candidate was measured faster with confidence: "
		                "the original is kept");
	}
}

static void counts_json(cJSON *o, const struct run_view *v)
{
	int per[CAND_SKIPPED + 1] = {0}, tried = 0, accepted = 0;
	cJSON *counts = json_add_object(o, "counts"), *by;

	for (size_t i = 1; i < v->ncands; i++) {
		per[v->cands[i]->status]++;
		tried++;
		accepted += v->cands[i]->status == CAND_ACCEPTED;
	}
	json_add_number(counts, "tried", tried);
	json_add_number(counts, "accepted", accepted);
	json_add_number(counts, "rejected", tried - accepted);
	by = json_add_object(counts, "by_status");
	for (int i = 0; i <= CAND_SKIPPED; i++)
		if (per[i])
			json_add_number(by, cand_status_name((enum cand_status)i), per[i]);
}

cJSON *report_target_json(const struct report_target *rt)
{
	const struct run_view *v = rt->v;
	cJSON *o = cJSON_CreateObject(), *ob, *arr;
	const struct objective *obj;

	json_add_string(o, "name", rt->t->name);
	json_add_string(o, "tree", rt->t->tree);
	json_add_string(o, "status", report_target_status(rt));
	if (!v) {
		cJSON *bo = json_add_object(o, "baseline");
		json_add_string(bo, "error",
		                rt->error ? rt->error : "the target could not be set up");
		ob = json_add_object(o, "objective");
		json_add_string(ob, "name", rt->objective ? rt->objective : rt->t->objective);
		json_add_array(o, "candidates");
		return o;
	}
	obj = view_objective(v);
	if (v->stop_reason)
		json_add_string(o, "stop_reason", v->stop_reason);
	isolation_json(o, v);
	if (v->pipe) {
		const char *how;
		int cpu = pipeline_pinned_cpu(v->pipe, &how);
		cJSON *pin = json_add_object(o, "pinning");
		if (cpu >= 0)
			json_add_number(pin, "cpu", cpu);
		else
			cJSON_AddNullToObject(pin, "cpu");
		json_add_string(pin, "how", how);
	}
	ob = json_add_object(o, "objective");
	json_add_string(ob, "name", obj->name);
	json_add_string(ob, "unit", obj->unit);
	json_add_string(ob, "source", obj->source);
	json_add_bool(ob, "deterministic", obj->deterministic);
	if (v->ncands) {
		baseline_json(o, v, obj);
		best_json(o, v, obj);
	}
	counts_json(o, v);
	arr = json_add_array(o, "candidates");
	for (size_t i = 0; i < v->ncands; i++)
		cJSON_AddItemToArray(arr, candidate_json(v, v->cands[i]));
	if (rt->extra)
		cJSON_AddItemReferenceToObject(o, "extra", rt->extra);
	return o;
}

int report_write_target(const struct report_target *rt, struct buf *err)
{
	struct buf path = BUF_INIT;
	cJSON *o;
	int r;

	if (!rt->v || !rt->v->run_dir || !rt->v->ncands)
		return 0;
	o = report_target_json(rt);
	buf_addf(&path, "%s/report.json", rt->v->run_dir);
	r = json_write_file_atomic(path.data, o, 1, err);
	cJSON_Delete(o);
	buf_release(&path);
	return r;
}

int report_write_best(const struct run_view *v, struct buf *err)
{
	const struct candidate *best = view_best(v);
	struct strlist files = {0};
	struct buf patch = BUF_INIT, path = BUF_INIT, dst = BUF_INIT;
	int r;

	candidate_changed_files(best, &files);
	/* The winner's tree: the original plus its edited files, without build outputs. */
	buf_addf(&path, "%s/best", v->run_dir);
	ws_remove_tree(path.data, NULL);
	r = ws_copy_tree(view_pristine(v), path.data, err);
	for (size_t i = 0; r == 0 && i < files.n; i++) {
		struct buf content = BUF_INIT;
		r = view_read_file(v, best->id, files.v[i], &content, err);
		buf_reset(&dst);
		buf_addf(&dst, "%s/%s", path.data, files.v[i]);
		if (r == 0)
			r = file_write_atomic(dst.data, content.data, content.len, 0644, err);
		buf_release(&content);
	}
	if (r == 0)
		r = report_best_manifest(v, path.data, &files, err);
	if (r == 0)
		r = ws_diff(view_pristine(v), path.data, &files, &patch, err);
	if (r == 0) {
		buf_reset(&dst);
		buf_addf(&dst, "%s/best.patch", v->run_dir);
		r = file_write_atomic(dst.data, patch.data, patch.len, 0644, err);
	}
	strlist_release(&files);
	buf_release(&patch);
	buf_release(&path);
	buf_release(&dst);
	return r;
}

int report_write_run(const struct report_target *targets, size_t n, const struct run_meta *meta,
                     struct buf *err)
{
	cJSON *root = cJSON_CreateObject(), *tool, *opts, *arr;
	struct buf path = BUF_INIT, md = BUF_INIT;
	char when[64];
	time_t t = (time_t)meta->started_unix;
	struct tm tm;
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
	json_add_number(opts, "seed", (double)meta->m->seed);
	json_add_number(opts, "min_runs", meta->m->min_runs);
	json_add_number(opts, "max_runs", meta->m->max_runs);
	json_add_number(opts, "warmup", meta->m->warmup);
	json_add_number(opts, "min_gain", meta->m->min_gain);
	json_add_number(opts, "confidence_level", meta->m->level);
	json_add_number(opts, "bootstrap_resamples", meta->m->resamples);
	json_add_number(opts, "cpu", meta->m->cpu);
	for (size_t i = 0; i < n; i++) {
		if (targets[i].v) {
			cJSON_AddItemToObject(root, "environment",
			                      machine_info_json(view_machine(targets[i].v)));
			break;
		}
	}
	arr = json_add_array(root, "targets");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, report_target_json(&targets[i]));
	buf_addf(&path, "%s/report.json", meta->run_dir);
	r = json_write_file_atomic(path.data, root, 1, err);
	cJSON_Delete(root);
	if (r == 0) {
		report_summary_md(targets, n, meta, &md);
		buf_reset(&path);
		buf_addf(&path, "%s/summary.md", meta->run_dir);
		r = file_write_atomic(path.data, md.data, md.len, 0644, err);
	}
	buf_release(&path);
	buf_release(&md);
	return r;
}
