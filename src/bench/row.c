/*
 * row.c: a suite's row from a target's run, and back. See row.h.
 */
#include "bench/row.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "base/json.h"
#include "engine/objective.h"
#include "engine/view.h"
#include "report/report.h"

static cJSON *row_base(const struct bench_entry *e, const char *status, const char *reason)
{
	cJSON *r = cJSON_CreateObject();

	json_add_string(r, "name", e->name);
	json_add_string(r, "target", e->target ? e->target : e->name);
	json_add_string(r, "tree", e->tree);
	json_add_string(r, "status", status);
	json_add_string(r, "reason", reason);
	return r;
}

struct cJSON *bench_row_failed(const struct bench_entry *e, const char *status, const char *reason)
{
	cJSON *r = row_base(e, status, reason);
	json_add_bool(r, "correct", 0);
	return r;
}

static void add_interval(cJSON *o, const char *key, double est, double lo, double hi, double level,
                         size_t n)
{
	cJSON *s = json_add_object(o, key);
	json_add_number(s, "estimate", est);
	json_add_number(s, "lo", lo);
	json_add_number(s, "hi", hi);
	json_add_number(s, "level", level);
	json_add_number(s, "pairs", (double)n);
}

/* tried, accepted, rejected by reason; and whether any candidate was correct. */
static int add_counts(cJSON *r, const struct run_view *v)
{
	int per[CAND_SKIPPED + 1] = {0}, tried = 0, accepted = 0, correct = 0;
	cJSON *c = json_add_object(r, "candidates"), *by;

	for (size_t i = 1; i < v->ncands; i++) {
		enum cand_status s = v->cands[i]->status;
		per[s]++;
		tried++;
		accepted += s == CAND_ACCEPTED;
		correct |= s == CAND_ACCEPTED || s == CAND_NOT_FASTER;
	}
	json_add_number(c, "tried", tried);
	json_add_number(c, "accepted", accepted);
	by = json_add_object(c, "rejected");
	for (int i = 0; i <= CAND_SKIPPED; i++)
		if (per[i] && i != CAND_ACCEPTED)
			json_add_number(by, cand_status_name((enum cand_status)i), per[i]);
	return correct;
}

static double measure_value(const cJSON *l, const char *key)
{
	return json_get_number(l ? cJSON_GetObjectItemCaseSensitive(l, key) : NULL, "value", 0);
}

/*
 * Tokens and cost from the LLM proposer's report fields. Tokens count the
 * answers the run used, live or from the cache, so a replay shows what the
 * recording spent; the cost is what was paid in this run (live calls).
 */
static void add_tokens(cJSON *r, const cJSON *extra)
{
	const cJSON *l = extra ? cJSON_GetObjectItemCaseSensitive(extra, "llm") : NULL;
	const cJSON *cost = l ? cJSON_GetObjectItemCaseSensitive(l, "cost") : NULL;
	cJSON *t = json_add_object(r, "tokens");

	json_add_number(t, "prompt",
	                measure_value(l, "prompt_tokens") +
	                    measure_value(l, "cached_prompt_tokens"));
	json_add_number(t, "completion",
	                measure_value(l, "completion_tokens") +
	                    measure_value(l, "cached_completion_tokens"));
	json_add_number(r, "cost", cost ? json_get_number(cost, "value", NAN) : NAN);
	if (l)
		json_add_string(r, "model", json_get_string(l, "model", NULL));
}

void bench_gain(const struct cand_measurement *h, double *estimate, double *lo, double *hi)
{
	struct stats_interval s;

	report_speedup(h, &s);
	*estimate = s.estimate;
	*lo = s.lo;
	*hi = s.hi;
}

struct cJSON *bench_row_from_run(const struct bench_entry *e, const struct target_run *tr,
                                 enum engine_status st, const char *error)
{
	const struct run_view *v = tr->l ? loop_view(tr->l) : NULL;
	const struct cand_measurement *h;
	const struct objective *obj;
	const char *status = report_target_status(&tr->rt);
	struct buf lineage = BUF_INIT;
	cJSON *r, *w;
	int correct;

	if (!v || !v->ncands || v->cands[0]->status != CAND_ACCEPTED) {
		const char *why =
		    v && v->ncands && v->cands[0]->reason ? v->cands[0]->reason : error;
		return bench_row_failed(e,
		                        st == ENGINE_BASELINE || (v && v->ncands)
		                            ? BENCH_ROW_BASELINE_FAILED
		                            : BENCH_ROW_ERROR,
		                        why && *why ? why : "the target could not be set up");
	}
	if (st == ENGINE_PROPOSER || st == ENGINE_ERROR)
		status = BENCH_ROW_ERROR;
	r = row_base(e, status, st == ENGINE_OK ? NULL : error);
	obj = view_objective(v);
	json_add_string(r, "objective", obj->name);
	json_add_string(r, "unit", obj->unit);
	json_add_string(r, "source", obj->source);
	h = report_headline(v);
	if (v->best != 0 && h) {
		json_add_number(r, "original", h->base_value);
		json_add_number(r, "best", h->value);
		double gain, lo, hi;
		bench_gain(h, &gain, &lo, &hi);
		add_interval(r, "speedup", gain, lo, hi, h->ci.level, h->ci.n);
	} else {
		json_add_number(r, "original", v->cands[0]->meas.value);
		json_add_number(r, "best", v->cands[0]->meas.value);
		add_interval(r, "speedup", 1, NAN, NAN, NAN, 0);
	}
	correct = add_counts(r, v);
	json_add_bool(r, "correct", correct);
	w = json_add_object(r, "winner");
	json_add_number(w, "id", v->best);
	view_lineage(v, v->best, &lineage);
	json_add_string(w, "lineage", v->best ? lineage.data : "original");
	add_tokens(r, tr->extra);
	buf_release(&lineage);
	return r;
}

void bench_row_set_presets(struct cJSON *row, const struct bench_preset *p, size_t n)
{
	cJSON *a;

	cJSON_DeleteItemFromObjectCaseSensitive(row, "presets");
	a = json_add_array(row, "presets");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = json_add_object(a, NULL);
		json_add_string(o, "flags", p[i].flags);
		json_add_string(o, "status", p[i].status);
		json_add_number(o, "value", p[i].value);
		add_interval(o, "speedup", p[i].speedup, p[i].lo, p[i].hi, NAN, 0);
		add_interval(o, "winner_vs_preset", p[i].vs_best, p[i].vs_lo, p[i].vs_hi, NAN, 0);
	}
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* The best preset: the highest speedup among those that ran. */
static void parse_presets(const cJSON *row, struct bench_row *o)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(row, "presets"), *p;
	double best = -1;

	o->preset = NULL;
	o->preset_speedup = o->preset_vs_best = o->preset_vs_lo = o->preset_vs_hi = NAN;
	cJSON_ArrayForEach(p, a)
	{
		const cJSON *sp = cJSON_GetObjectItemCaseSensitive(p, "speedup");
		const cJSON *vs = cJSON_GetObjectItemCaseSensitive(p, "winner_vs_preset");
		double s = num(sp, "estimate");
		if (strcmp(json_get_string(p, "status", ""), "ok") || !(s > best))
			continue;
		best = s;
		o->preset = json_get_string(p, "flags", NULL);
		o->preset_speedup = s;
		o->preset_vs_best = num(vs, "estimate");
		o->preset_vs_lo = num(vs, "lo");
		o->preset_vs_hi = num(vs, "hi");
	}
}

void bench_row_parse(const struct cJSON *row, struct bench_row *o)
{
	const cJSON *sp = cJSON_GetObjectItemCaseSensitive(row, "speedup");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(row, "candidates");
	const cJSON *rej = c ? cJSON_GetObjectItemCaseSensitive(c, "rejected") : NULL, *x;
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(row, "tokens");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(row, "winner");

	memset(o, 0, sizeof(*o));
	o->name = json_get_string(row, "name", "?");
	o->target = json_get_string(row, "target", o->name);
	o->status = json_get_string(row, "status", "?");
	o->reason = json_get_string(row, "reason", NULL);
	o->objective = json_get_string(row, "objective", NULL);
	o->unit = json_get_string(row, "unit", NULL);
	o->winner = w ? json_get_string(w, "lineage", NULL) : NULL;
	o->original = num(row, "original");
	o->best = num(row, "best");
	o->speedup = num(sp, "estimate");
	o->lo = num(sp, "lo");
	o->hi = num(sp, "hi");
	o->correct = json_get_bool(row, "correct", 0);
	o->tried = (int)json_get_number(c, "tried", 0);
	o->accepted = (int)json_get_number(c, "accepted", 0);
	cJSON_ArrayForEach(x, rej)
	{
		if (o->nreject < BENCH_ROW_MAX_REASONS && cJSON_IsNumber(x)) {
			o->reject_name[o->nreject] = x->string;
			o->reject_count[o->nreject++] = (int)x->valuedouble;
		}
	}
	o->prompt_tokens = (long)json_get_number(tok, "prompt", 0);
	o->completion_tokens = (long)json_get_number(tok, "completion", 0);
	o->cost = num(row, "cost");
	o->wall_s = num(row, "wall_s");
	parse_presets(row, o);
}
