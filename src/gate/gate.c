/*
 * gate.c: two trees through the one candidate pipeline, target by target,
 * and the family's verdicts. See gate.h.
 */
#include "gate/gate.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "engine/candidate.h"
#include "engine/manifest.h"
#include "engine/objective.h"
#include "engine/workspace.h"

void gate_options_default(struct gate_options *o)
{
	memset(o, 0, sizeof(*o));
	o->alpha = STATS_GATE_ALPHA;
	measure_settings_default(&o->m);
	/* Pinned by default, as `run`: both sides of every pair on the CPU a
	 * short calibration of the base chose (pipeline_baseline.c). Unpinned,
	 * a run here moves between CPUs that differ by up to 30%. */
	o->m.cpu_auto = 1;
	/* Sequential: most gates decide at their first looks (10, 20 pairs);
	 * only an undecided one on a noisy machine goes on, where 30 pairs
	 * left a 10% slowdown inconclusive (docs/ci.md, scripts/bench-gate.sh). */
	o->m.max_runs = GATE_DEFAULT_MAX_RUNS;
}

void gate_pipeline_options(const struct gate_options *o, const struct target *t, const char *run_id,
                           struct pipeline_options *po)
{
	pipeline_options_default(po);
	po->target = t;
	po->state_dir = o->state_dir;
	po->run_id = run_id;
	po->cc = o->cc;
	po->objective = o->objective;
	po->counters = o->counters;
	po->allow_network = o->allow_network;
	po->run_as = o->run_as;
	po->allow_unsafe_root = o->allow_unsafe_root;
	po->profile = 0;
	po->m = o->m;
	po->cancel = o->cancel;
	po->ev = o->ev;
}

const char *gate_outcome_name(enum gate_outcome o)
{
	switch (o) {
	case GATE_MEASURED:
		return "measured";
	case GATE_BASE_FAILED:
		return "base failed";
	case GATE_HEAD_FAILED:
		return "head failed";
	case GATE_BEHAVIOUR:
		return "behaviour change";
	case GATE_SETUP_FAILED:
		return "cannot measure";
	case GATE_NEW:
		return "new";
	case GATE_REMOVED:
		return "removed";
	case GATE_NOT_MEASURED:
		break;
	}
	return "not measured";
}

void gate_result_init(struct gate_result *r)
{
	memset(r, 0, sizeof(*r));
	r->alpha = STATS_GATE_ALPHA;
}

void gate_result_release(struct gate_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct gate_target *t = &r->t[i];
		free(t->name);
		free(t->reason);
		free(t->objective);
		free(t->unit);
		free(t->source);
		free(t->ratios);
		free(t->base_samples);
		free(t->head_samples);
	}
	free(r->t);
	free(r->base_label);
	free(r->head_label);
	strlist_release(&r->notes);
	memset(r, 0, sizeof(*r));
}

struct gate_target *gate_result_add(struct gate_result *r, const char *name)
{
	struct gate_target *t;

	r->t = xreallocarray(r->t, r->n + 1, sizeof(*r->t));
	t = &r->t[r->n++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->outcome = GATE_NOT_MEASURED;
	t->verdict = GATE_INCONCLUSIVE;
	t->base_value = t->head_value = NAN;
	t->ci.estimate = t->ci.lo = t->ci.hi = NAN;
	return t;
}

double gate_default_threshold(int deterministic)
{
	return deterministic ? STATS_GATE_THRESHOLD_EXACT : STATS_GATE_THRESHOLD_TIME;
}

int gate_objective_deterministic(const struct gate_options *o, const char *target_objective,
                                 struct buf *err)
{
	struct objective obj;
	int det;

	memset(&obj, 0, sizeof(obj));
	if (objective_resolve(o->objective ? o->objective : target_objective, o->counters, &obj,
	                      err) < 0) {
		objective_release(&obj);
		return -1;
	}
	det = obj.deterministic;
	objective_release(&obj);
	return det;
}

static void set_reason(struct gate_target *gt, enum gate_outcome oc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_reason(struct gate_target *gt, enum gate_outcome oc, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_rtrim(&b);
	free(gt->reason);
	gt->reason = buf_detach(&b);
	gt->outcome = oc;
}

/* The head's fate after the pipeline (the base is the original, built and verified). */
static void head_outcome(struct gate_target *gt, const struct candidate *h)
{
	const struct cand_measurement *m = &h->meas;
	const char *why = h->reason ? h->reason : "";

	switch (h->status) {
	case CAND_ACCEPTED:
	case CAND_NOT_FASTER:
		gt->outcome = GATE_MEASURED;
		gt->n = m->nsamples;
		gt->ratios = xcalloc(m->nsamples ? m->nsamples : 1, sizeof(*gt->ratios));
		gt->base_samples = xcalloc(m->nsamples ? m->nsamples : 1, sizeof(double));
		gt->head_samples = xcalloc(m->nsamples ? m->nsamples : 1, sizeof(double));
		for (size_t i = 0; i < m->nsamples; i++) {
			gt->ratios[i] =
			    m->base_samples[i] > 0 ? m->cand_samples[i] / m->base_samples[i] : NAN;
			gt->base_samples[i] = m->base_samples[i];
			gt->head_samples[i] = m->cand_samples[i];
		}
		gt->base_value = m->base_value;
		gt->head_value = m->value;
		gt->ci = m->ci;
		return;
	case CAND_BUILD_FAILED:
		set_reason(gt, GATE_HEAD_FAILED, "the head does not build: %s", why);
		return;
	case CAND_VERIFY_FAILED:
		set_reason(gt, GATE_BEHAVIOUR,
		           "behaviour change: the head's outputs differ from the base's: %s", why);
		return;
	case CAND_TEST_FAILED:
		set_reason(gt, GATE_HEAD_FAILED, "the head fails its test: %s", why);
		return;
	case CAND_RUN_FAILED:
		set_reason(gt, GATE_HEAD_FAILED, "the head's run fails: %s", why);
		return;
	default:
		set_reason(gt, GATE_NOT_MEASURED, "not measured: %s", why);
		return;
	}
}

/* The objective's name, unit and source, from the open pipeline. */
static void describe_objective(struct gate_target *gt, const struct pipeline *p)
{
	const struct objective *obj = pipeline_objective(p);

	gt->objective = xstrdup(obj->name ? obj->name : "");
	gt->unit = xstrdup(obj->unit ? obj->unit : "");
	gt->source = xstrdup(obj->source ? obj->source : "");
	gt->deterministic = obj->deterministic;
}

struct gate_base {
	struct target t; /* the target, its tree the base's checkout (the pipeline points here) */
	char *base_tree;
	struct pipeline *p;
	struct candidate *orig; /* built, verified, its references taken */
	int next_id;            /* of the next head compared with it */
};

struct gate_base_cache {
	struct gate_base **b;
	size_t n;
	struct manifest *ms; /* the manifests the cached targets point into */
	size_t nms;
	struct strlist work; /* work/<run-id> folders to remove at the end */
};

struct gate_base_cache *gate_base_cache_new(void)
{
	return xcalloc(1, sizeof(struct gate_base_cache));
}

static void gate_base_free(struct gate_base *gb)
{
	if (!gb)
		return;
	candidate_free(gb->orig);
	pipeline_close(gb->p);
	free(gb->base_tree);
	free(gb);
}

void gate_base_cache_free(struct gate_base_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		gate_base_free(c->b[i]);
	for (size_t i = 0; i < c->nms; i++)
		manifest_release(&c->ms[i]);
	for (size_t i = 0; i < c->work.n; i++)
		ws_remove_tree(c->work.v[i], NULL);
	strlist_release(&c->work);
	free(c->b);
	free(c->ms);
	free(c);
}

static struct gate_base *cache_find(const struct gate_base_cache *c, const char *name,
                                    const char *base_tree)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (!strcmp(c->b[i]->t.name, name) && !strcmp(c->b[i]->base_tree, base_tree))
			return c->b[i];
	return NULL;
}

/* The base of target t: the pipeline opened on the base's checkout, the base built and verified. */
static enum engine_status base_open(const struct gate_options *o, const struct target *t,
                                    const char *base_tree, const char *run_id, size_t k,
                                    double threshold, struct gate_base *gb, struct buf *why)
{
	struct pipeline_options po;
	struct candidate *cands[1];
	enum engine_status st;

	gb->t = *t;
	gb->t.tree = gb->base_tree = xstrdup(base_tree);
	gb->next_id = 1;
	gate_pipeline_options(o, &gb->t, run_id, &po);
	po.baseline_runs = 1;
	po.m.gate_threshold = threshold;
	po.m.gate_level = stats_gate_bonferroni_level(o->alpha, k);
	st = pipeline_open(&po, &gb->p, why);
	if (st != ENGINE_OK)
		return st;
	gb->orig = cands[0] = pipeline_original(gb->p);
	candidate_resolve(gb->orig, cands, pipeline_pristine(gb->p));
	engine_note(o->ev, NOTE_PROGRESS, "[%s] the base revision", t->name);
	return pipeline_baseline(gb->p, gb->orig, why);
}

/* The head through the base's pipeline: built, verified against the base, measured. */
static enum engine_status head_evaluate(const struct gate_options *o, struct gate_base *gb,
                                        const char *head_tree, int cached, struct gate_target *gt,
                                        struct gate_result *r, struct buf *why)
{
	struct candidate *h = candidate_new("revision", "head");
	struct candidate *cands[2] = {gb->orig, h};
	enum engine_status st;

	h->id = gb->next_id++;
	h->parent = 0;
	h->source_tree = xstrdup(head_tree);
	candidate_resolve(h, cands, pipeline_pristine(gb->p));
	engine_note(o->ev, NOTE_PROGRESS, "[%s] the head: build, verify against the base, measure",
	            gb->t.name);
	st = pipeline_evaluate(gb->p, h, gb->orig, why);
	if (st == ENGINE_OK || st == ENGINE_INTERRUPTED)
		head_outcome(gt, h);
	if (gt->outcome == GATE_MEASURED && !gt->deterministic && h->meas.base_cv > 0.05)
		strlist_pushf(&r->notes,
		              "'%s': the base's runs vary by %.0f%% (coefficient of variation): "
		              "this machine is noisy, and a wall-time verdict here is weak "
		              "(inconclusive is likely); use a quiet runner, --cpu N, or exact "
		              "counts (--objective instructions --counters cachegrind)",
		              gb->t.name, h->meas.base_cv * 100);
	/* A kept base gets one head after another (bisect): each head's copy goes now. */
	if (cached && h->workdir)
		ws_remove_tree(h->workdir, NULL);
	candidate_free(h);
	return st;
}

/*
 * One target: its base (built here, or kept from an earlier comparison
 * against the same base in o->cache), then the head. *cached: the base
 * was put into the cache, whose target points into this comparison's
 * manifest.
 */
static enum engine_status compare_target(const struct gate_options *o, const struct target *t,
                                         const char *base_tree, const char *head_tree,
                                         const char *run_id, size_t k, struct gate_result *r,
                                         int *cached, struct buf *err)
{
	struct gate_target *gt = gate_result_add(r, t->name);
	struct gate_base *gb = cache_find(o->cache, t->name, base_tree);
	struct buf why = BUF_INIT;
	enum engine_status st = ENGINE_OK;
	int det = gate_objective_deterministic(o, t->objective, &why), kept = gb != NULL;

	if (det < 0) {
		set_reason(gt, GATE_SETUP_FAILED, "%s", why.data);
		buf_release(&why);
		return ENGINE_OK;
	}
	gt->threshold = o->threshold > 0 ? o->threshold : gate_default_threshold(det);
	gt->looks = det ? 1 : stats_gate_looks(o->m.min_runs, o->m.max_runs, NULL, 0);
	if (kept) {
		engine_note(o->ev, NOTE_PROGRESS,
		            "[%s] the base revision: built and verified already (kept)", t->name);
	} else {
		gb = xcalloc(1, sizeof(*gb));
		st = base_open(o, t, base_tree, run_id, k, gt->threshold, gb, &why);
		if (st == ENGINE_OK && o->cache) {
			struct gate_base_cache *c = o->cache;
			c->b = xreallocarray(c->b, c->n + 1, sizeof(*c->b));
			c->b[c->n++] = gb;
			kept = *cached = 1;
		}
	}
	if (gb->p && (st == ENGINE_OK || st == ENGINE_BASELINE))
		describe_objective(gt, gb->p);
	if (st == ENGINE_OK) {
		st = head_evaluate(o, gb, head_tree, kept, gt, r, &why);
	} else if (st == ENGINE_SETUP) {
		set_reason(gt, GATE_SETUP_FAILED, "%s", why.data);
		st = ENGINE_OK;
	} else if (st == ENGINE_BASELINE) {
		set_reason(gt, GATE_BASE_FAILED, "the base revision: %s", why.data);
		st = ENGINE_OK;
	} else if (st == ENGINE_INTERRUPTED) {
		set_reason(gt, GATE_NOT_MEASURED, "interrupted");
	}
	if (st == ENGINE_ERROR)
		err_set(err, "target '%s': %s", t->name, why.data);
	if (!kept)
		gate_base_free(gb);
	buf_release(&why);
	return st;
}

/*
 * The base's target names: 1 (names filled), 0 when the base has no
 * optimize.json (every target is new), -1 when its manifest does not load
 * (then nothing is taken as new or removed: each target is compared, and a
 * base that cannot build it says so).
 */
static int base_targets(const char *base_tree, struct strlist *names)
{
	struct manifest bm;
	struct buf path = BUF_INIT, err = BUF_INIT;
	int r = 0;

	buf_addf(&path, "%s/optimize.json", base_tree);
	if (access(path.data, F_OK) == 0) {
		r = manifest_load(base_tree, &bm, &err) < 0 ? -1 : 1;
		for (size_t i = 0; r == 1 && i < bm.ntargets; i++)
			strlist_push(names, bm.targets[i].name);
		if (r == 1)
			manifest_release(&bm);
	}
	buf_release(&path);
	buf_release(&err);
	return r;
}

/* A target only one side has: new in the head (use 2), or removed from it. */
static void add_one_sided(struct gate_result *r, const char *name, enum gate_outcome oc)
{
	struct gate_target *gt = gate_result_add(r, name);

	gt->outcome = oc;
	gt->reason =
	    xstrdup(oc == GATE_NEW ? "new in the head: the base has no such target, so there is "
	                             "nothing to compare (it is gated from the next change on)"
	                           : "removed in the head: the base has this target, the head's "
	                             "optimize.json does not");
}

/* Marks the head's targets the base lacks (use 2, out of k); base: the base's names. */
static int mark_new(const struct manifest *m, int *use, size_t *k, const char *base_tree,
                    struct strlist *base)
{
	int known = base_targets(base_tree, base);

	for (size_t i = 0; known >= 0 && i < m->ntargets; i++)
		if (use[i] && !strlist_has(base, m->targets[i].name)) {
			use[i] = 2;
			(*k)--;
		}
	return known;
}

/* The manifest's targets that o selects, or -1 (err) for an unknown --target. */
static int select_targets(const struct gate_options *o, const struct manifest *m, int *use,
                          size_t *k, struct buf *err)
{
	*k = 0;
	if (o->only && !manifest_find_target(m, o->only)) {
		struct buf names = BUF_INIT;
		for (size_t i = 0; i < m->ntargets; i++)
			buf_addf(&names, "%s'%s'", i ? ", " : "", m->targets[i].name);
		err_set(err, "--target '%s': no such target in %s (targets: %s)", o->only, m->path,
		        names.data);
		buf_release(&names);
		return -1;
	}
	for (size_t i = 0; i < m->ntargets; i++) {
		const char *name = m->targets[i].name;
		use[i] = (!o->only || !strcmp(o->only, name)) &&
		         (!o->targets || strlist_has(o->targets, name));
		*k += use[i];
	}
	return 0;
}

enum engine_status gate_compare(const struct gate_options *o, const char *base_tree,
                                const char *head_tree, const char *run_id, struct gate_result *r,
                                struct buf *err)
{
	struct manifest m;
	struct buf work = BUF_INIT;
	enum engine_status st = ENGINE_OK;
	char *base_abs, *head_abs;
	struct strlist base = {0};
	int *use, known = -1, cached = 0;
	size_t k;

	if (manifest_load(head_tree, &m, err) < 0)
		return ENGINE_SETUP;
	use = xcalloc(m.ntargets + 1, sizeof(*use));
	base_abs = realpath(base_tree, NULL);
	head_abs = realpath(head_tree, NULL);
	if (select_targets(o, &m, use, &k, err) < 0) {
		st = ENGINE_SETUP;
	} else if (!base_abs || !head_abs) {
		err_set(err, "cannot find the checkouts '%s' and '%s'", base_tree, head_tree);
		st = ENGINE_ERROR;
	} else {
		known = mark_new(&m, use, &k, base_abs, &base);
	}
	for (size_t i = 0; st == ENGINE_OK && i < m.ntargets; i++)
		if (use[i] == 2)
			add_one_sided(r, m.targets[i].name, GATE_NEW);
		else if (use[i])
			st = compare_target(o, &m.targets[i], base_abs, head_abs, run_id, k, r,
			                    &cached, err);
	for (size_t i = 0; st == ENGINE_OK && known > 0 && !o->only && !o->targets && i < base.n;
	     i++)
		if (!manifest_find_target(&m, base.v[i]))
			add_one_sided(r, base.v[i], GATE_REMOVED);
	gate_family(r, o->alpha);
	/* The workspaces are large and worth nothing afterwards; runs/ keeps the captures.
	 * Kept bases keep theirs, and their targets point into m, until the cache goes. */
	buf_addf(&work, "%s/work/%s", o->state_dir, run_id);
	if (cached) {
		struct gate_base_cache *c = o->cache;
		strlist_push(&c->work, work.data);
		c->ms = xreallocarray(c->ms, c->nms + 1, sizeof(*c->ms));
		c->ms[c->nms++] = m;
	} else {
		ws_remove_tree(work.data, NULL);
		manifest_release(&m);
	}
	buf_release(&work);
	free(use);
	strlist_release(&base);
	free(base_abs);
	free(head_abs);
	return st;
}

void gate_family(struct gate_result *r, double alpha)
{
	struct stats_gate_item *items = xcalloc(r->n + 1, sizeof(*items));
	size_t k = 0;

	r->alpha = alpha;
	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		if (t->outcome != GATE_MEASURED)
			continue;
		items[k].ratios = t->ratios;
		items[k].n = t->n;
		items[k].threshold = t->threshold;
		items[k].exact = t->deterministic;
		items[k].looks = t->looks;
		k++;
	}
	stats_gate_holm(items, k, alpha);
	k = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct gate_target *t = &r->t[i];
		if (t->outcome != GATE_MEASURED)
			continue;
		t->ci = items[k].ci;
		t->level = items[k].level;
		t->verdict = items[k].verdict;
		k++;
	}
	r->family = k;
	free(items);
}

enum gate_status gate_status_of(const struct gate_result *r, int inconclusive_fails)
{
	enum gate_status s = GATE_PASS;

	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		enum gate_status x = GATE_PASS;

		switch (t->outcome) {
		case GATE_MEASURED:
			if (t->verdict == GATE_REGRESSED ||
			    (t->verdict == GATE_INCONCLUSIVE && inconclusive_fails))
				x = GATE_REGRESSION;
			break;
		case GATE_BASE_FAILED:
		case GATE_HEAD_FAILED:
		case GATE_BEHAVIOUR:
			x = GATE_BROKEN;
			break;
		case GATE_SETUP_FAILED:
			x = GATE_USAGE;
			break;
		case GATE_NOT_MEASURED:
			x = GATE_INCOMPLETE;
			break;
		case GATE_NEW:
		case GATE_REMOVED:
			break;
		}
		if (x > s)
			s = x;
	}
	return s;
}
