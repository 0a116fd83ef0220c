#include "optimize/measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optimize/workspace.h"

void measure_outcome_init(struct measure_outcome *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->why, 0);
	o->verdict = VERDICT_UNDECIDED;
	o->ci.estimate = o->ci.lo = o->ci.hi = NAN;
	o->base_median = o->cand_median = o->base_cv = NAN;
}

void measure_outcome_release(struct measure_outcome *o)
{
	free(o->base);
	free(o->cand);
	buf_release(&o->why);
	memset(o, 0, sizeof(*o));
}

/* One timed run of one side: the objective's value, and the outputs checked. */
static int one_run(const struct measure_config *cfg, const struct objective *obj,
                   const struct measure_side *side, int check, double *value, struct buf *why,
                   struct buf *err)
{
	struct proc_spec spec;
	struct capture cap;
	struct buf so = BUF_INIT, se = BUF_INIT, msg = BUF_INIT;
	int r;

	memset(&cap, 0, sizeof(cap));
	if (ws_mkdirs(side->capture_dir, 0755, err) < 0)
		return -1;
	proc_spec_init(&spec);
	spec.cwd = side->cwd;
	spec.env_add = side->env_add;
	spec.timeout_s = cfg->timeout_s;
	spec.limits = cfg->limits;
	spec.cpu = cfg->cpu;
	buf_addf(&so, "%s/stdout", side->capture_dir);
	buf_addf(&se, "%s/stderr", side->capture_dir);
	spec.stdout_path = so.data;
	spec.stderr_path = se.data;
	r = objective_run(obj, &spec, cfg->cmd, side->trace_path, &cap.res, value, NULL, err);
	buf_release(&so);
	buf_release(&se);
	if (r < 0)
		return -1;
	cap.started = 1;
	cap.dir = (char *)side->capture_dir;
	if (!proc_result_ok(&cap.res)) {
		struct buf d = BUF_INIT;
		proc_result_describe(&cap.res, cfg->timeout_s, &d);
		buf_setf(why, "the timed run failed: %s", d.data);
		buf_release(&d);
		return 1;
	}
	if (!check || !cfg->ref)
		return 0;
	if (verify_collect_files(cfg->items, cfg->nitems, side->cwd, side->capture_dir, err) < 0)
		return -1;
	r = verify_compare(cfg->ref, &cap, cfg->items, cfg->nitems, cfg->rtol, cfg->atol, &msg,
	                   err);
	if (r == 1)
		buf_setf(why, "the timed run's %s", msg.data);
	buf_release(&msg);
	return r;
}

static int push(double **v, size_t n, double x)
{
	double *p = realloc(*v, (n + 1) * sizeof(**v));
	if (!p)
		return -1;
	p[n] = x;
	*v = p;
	return 0;
}

static void summarize(const struct measure_config *cfg, struct measure_outcome *o, int final)
{
	double *ratios;
	size_t i;

	o->base_median = stats_median(o->base, o->n);
	o->cand_median = stats_median(o->cand, o->n);
	o->base_cv = o->n > 1 ? stats_cv(o->base, o->n) : 0;
	ratios = malloc(o->n * sizeof(*ratios));
	if (!ratios)
		return;
	for (i = 0; i < o->n; i++)
		ratios[i] = o->base[i] > 0 ? o->cand[i] / o->base[i] : NAN;
	stats_bootstrap_median(ratios, o->n, cfg->resamples, cfg->level, cfg->seed, &o->ci);
	o->verdict = stats_decide(&o->ci, cfg->min_gain, final);
	free(ratios);
}

int measure_pair(const struct measure_config *cfg, const struct objective *obj,
                 const struct measure_side *base, const struct measure_side *cand,
                 struct measure_outcome *o, struct buf *err)
{
	int i, r, max = obj->deterministic ? 1 : cfg->max_runs;
	int min = obj->deterministic ? 1 : cfg->min_runs;
	double x;

	o->deterministic = obj->deterministic;
	for (i = 0; !obj->deterministic && i < cfg->warmup; i++) {
		r = one_run(cfg, obj, base, 0, &x, &o->why, err);
		if (r != 0)
			return r < 0 ? -1 : (o->failed = 1, 0);
		r = one_run(cfg, obj, cand, 1, &x, &o->why, err);
		if (r != 0)
			return r < 0 ? -1 : (o->failed = 2, 0);
	}
	for (i = 0; i < max; i++) {
		double vb = NAN, vc = NAN;
		int cand_first = i % 2;

		if (cfg->stop && *cfg->stop) {
			o->interrupted = 1;
			break;
		}
		if (cand_first) {
			r = one_run(cfg, obj, cand, 1, &vc, &o->why, err);
			if (r != 0)
				return r < 0 ? -1 : (o->failed = 2, 0);
		}
		r = one_run(cfg, obj, base, 0, &vb, &o->why, err);
		if (r != 0)
			return r < 0 ? -1 : (o->failed = 1, 0);
		if (!cand_first) {
			r = one_run(cfg, obj, cand, 1, &vc, &o->why, err);
			if (r != 0)
				return r < 0 ? -1 : (o->failed = 2, 0);
		}
		if (push(&o->base, o->n, vb) < 0 || push(&o->cand, o->n, vc) < 0)
			return err_set(err, "out of memory");
		o->n++;
		if ((int)o->n >= min) {
			summarize(cfg, o, (int)o->n >= max);
			if (cfg->progress)
				cfg->progress(cfg->ctx, o->n, &o->ci);
			if (o->verdict != VERDICT_UNDECIDED)
				break;
		}
	}
	if (o->n && o->verdict == VERDICT_UNDECIDED)
		summarize(cfg, o, 1);
	return 0;
}

int measure_single(const struct measure_config *cfg, const struct objective *obj,
                   const struct measure_side *side, int n, struct measure_outcome *o,
                   struct buf *err)
{
	int i, r;
	double x;

	o->deterministic = obj->deterministic;
	if (obj->deterministic)
		n = 1;
	for (i = 0; !obj->deterministic && i < cfg->warmup; i++) {
		r = one_run(cfg, obj, side, 0, &x, &o->why, err);
		if (r != 0)
			return r < 0 ? -1 : (o->failed = 1, 0);
	}
	for (i = 0; i < n; i++) {
		if (cfg->stop && *cfg->stop) {
			o->interrupted = 1;
			break;
		}
		r = one_run(cfg, obj, side, 0, &x, &o->why, err);
		if (r != 0)
			return r < 0 ? -1 : (o->failed = 1, 0);
		if (push(&o->base, o->n, x) < 0)
			return err_set(err, "out of memory");
		o->n++;
	}
	o->base_median = stats_median(o->base, o->n);
	o->base_cv = o->n > 1 ? stats_cv(o->base, o->n) : 0;
	return 0;
}
