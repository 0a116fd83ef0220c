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

static enum engine_status compare_target(const struct gate_options *o, const struct target *t,
                                         const char *base_tree, const char *head_tree,
                                         const char *run_id, size_t k, struct gate_result *r,
                                         struct buf *err)
{
	struct gate_target *gt = gate_result_add(r, t->name);
	struct target tb = *t;
	struct pipeline_options po;
	struct pipeline *p = NULL;
	struct candidate *cands[2] = {NULL, NULL};
	struct buf why = BUF_INIT;
	enum engine_status st;
	int det = gate_objective_deterministic(o, t->objective, &why);

	if (det < 0) {
		set_reason(gt, GATE_SETUP_FAILED, "%s", why.data);
		buf_release(&why);
		return ENGINE_OK;
	}
	tb.tree = (char *)base_tree;
	pipeline_options_default(&po);
	po.target = &tb;
	po.state_dir = o->state_dir;
	po.run_id = run_id;
	po.cc = o->cc;
	po.objective = o->objective;
	po.counters = o->counters;
	po.allow_network = o->allow_network;
	po.profile = 0;
	po.baseline_runs = 1;
	po.m = o->m;
	po.m.gate_threshold = gt->threshold =
	    o->threshold > 0 ? o->threshold : gate_default_threshold(det);
	po.m.gate_level = stats_gate_bonferroni_level(o->alpha, k);
	gt->looks = det ? 1 : stats_gate_looks(po.m.min_runs, po.m.max_runs, NULL, 0);
	po.cancel = o->cancel;
	po.ev = o->ev;
	st = pipeline_open(&po, &p, &why);
	if (st == ENGINE_OK) {
		describe_objective(gt, p);
		cands[0] = pipeline_original(p);
		candidate_resolve(cands[0], cands, pipeline_pristine(p));
		engine_note(o->ev, NOTE_PROGRESS, "[%s] the base revision", t->name);
		st = pipeline_baseline(p, cands[0], &why);
	}
	if (st == ENGINE_OK) {
		struct candidate *h = candidate_new("revision", "head");
		h->id = 1;
		h->parent = 0;
		h->source_tree = xstrdup(head_tree);
		cands[1] = h;
		candidate_resolve(h, cands, pipeline_pristine(p));
		engine_note(o->ev, NOTE_PROGRESS,
		            "[%s] the head: build, verify against the base, "
		            "measure",
		            t->name);
		st = pipeline_evaluate(p, h, cands[0], &why);
		if (st == ENGINE_OK || st == ENGINE_INTERRUPTED)
			head_outcome(gt, h);
		if (gt->outcome == GATE_MEASURED && !gt->deterministic && h->meas.base_cv > 0.05)
			strlist_pushf(
			    &r->notes,
			    "'%s': the base's runs vary by %.0f%% (coefficient of variation): "
			    "this machine is noisy, and a wall-time verdict here is weak "
			    "(inconclusive is likely); use a quiet runner, --cpu N, or exact "
			    "counts (--objective instructions --counters cachegrind)",
			    t->name, h->meas.base_cv * 100);
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
	for (int i = 1; i >= 0; i--)
		if (cands[i])
			candidate_free(cands[i]);
	pipeline_close(p);
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
	int *use, known = -1;
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
			st =
			    compare_target(o, &m.targets[i], base_abs, head_abs, run_id, k, r, err);
	for (size_t i = 0; st == ENGINE_OK && known > 0 && !o->only && !o->targets && i < base.n;
	     i++)
		if (!manifest_find_target(&m, base.v[i]))
			add_one_sided(r, base.v[i], GATE_REMOVED);
	gate_family(r, o->alpha);
	/* The workspaces are large and worth nothing afterwards; runs/ keeps the captures. */
	buf_addf(&work, "%s/work/%s", o->state_dir, run_id);
	ws_remove_tree(work.data, NULL);
	buf_release(&work);
	free(use);
	strlist_release(&base);
	free(base_abs);
	free(head_abs);
	manifest_release(&m);
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
