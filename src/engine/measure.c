#include "engine/measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

void measure_outcome_init(struct measure_outcome *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->why, 0);
	o->verdict = VERDICT_UNDECIDED;
	o->gate = GATE_INCONCLUSIVE;
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

/* one_run's result: -1 error, 1 the side failed, 2 cancelled (interrupt),
 * 3 its check failed. */
static int outcome_of(int r, int side, struct measure_outcome *o)
{
	if (r < 0)
		return -1;
	if (r == 3)
		o->tampered = o->failed = side;
	else if (r == 2)
		o->interrupted = 1;
	else
		o->failed = side;
	return 0;
}

/* spec's env_add with one entry more (the pair's seed): a new array */
static const char **env_plus(const char *const *add, const char *extra)
{
	size_t n = 0;
	const char **v;

	while (add && add[n])
		n++;
	v = xcalloc(n + 2, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = add[i];
	v[n] = extra;
	return v;
}

/*
 * One timed run of one side into cap (the caller releases it): the
 * objective's value, and its output files read when collect. env: one more
 * "NAME=value" for the run (the pair's seed), or NULL. 0, or see outcome_of.
 */
static int side_run(const struct measure_config *cfg, const struct objective *obj,
                    const struct measure_side *side, const char *env, int collect, double *value,
                    struct capture *cap, struct buf *why, struct buf *err)
{
	struct proc_spec spec;
	const char **envv = NULL;
	uint64_t ocap = side->spec->output_cap ? side->spec->output_cap : PROC_DEFAULT_OUTPUT_CAP;
	int r;

	memset(cap, 0, sizeof(*cap));
	if (side->check && side->check(side->check_ctx, why))
		return 3;
	cap->nfiles = cfg->nitems;
	cap->files = xcalloc(cfg->nitems + 1, sizeof(*cap->files));
	for (size_t k = 0; k < cfg->nitems; k++)
		buf_init(&cap->files[k].data, VERIFY_FILE_MAX);
	buf_init(&cap->out, (size_t)ocap + 1);
	buf_init(&cap->err, (size_t)ocap + 1);
	spec = *side->spec;
	if (env)
		spec.env_add = envv = env_plus(side->spec->env_add, env);
	spec.cpu = cfg->cpu;
	spec.stdout_path = spec.stderr_path = NULL;
	spec.stdout_buf = &cap->out;
	spec.stderr_buf = &cap->err;
	r = objective_run(obj, &spec, cfg->cmd, side->trace_path, &cap->res, value, NULL, err);
	free(envv);
	if (r < 0)
		return -1;
	cap->started = 1;
	if (cap->res.cancelled)
		return 2;
	if (!proc_result_ok(&cap->res)) {
		struct buf d = BUF_INIT;
		proc_result_describe(&cap->res, spec.timeout_s, &d);
		buf_setf(why, "the timed run failed: %s", d.data);
		if (env)
			buf_addf(why, " (%s)", env);
		buf_release(&d);
		return 1;
	}
	if (collect && verify_collect_files(cfg->items, cfg->nitems, side->ws_fd, cap, err) < 0)
		return -1;
	/* A copy of the latest run for people (never read back). */
	if (side->save.rel) {
		struct buf serr = BUF_INIT;
		verify_save(cap, cfg->items, cfg->nitems, &side->save, &serr);
		buf_release(&serr);
	}
	return 0;
}

/* The candidate's run against ref: 0 same, 1 differs (why), -1 error. */
static int side_compare(const struct measure_config *cfg, const struct capture *ref,
                        const struct capture *cap, const char *env, struct buf *why,
                        struct buf *err)
{
	struct buf msg = BUF_INIT;
	int r = verify_compare(ref, cap, cfg->items, cfg->nitems, cfg->rtol, cfg->atol, &msg, err);

	if (r == 1) {
		buf_setf(why, "the timed run's %s", msg.data);
		if (env)
			buf_addf(why, " (%s)", env);
	}
	buf_release(&msg);
	return r;
}

/*
 * One pair: both sides' runs (the candidate first when cand_first), the
 * candidate's outputs checked against the reference: with cfg->pair_env the
 * base side's outputs in this pair on the pair's seed, else cfg->ref.
 * Values in *vb, *vc. 0; 1 when a side failed, was stopped or its check
 * failed (o says which, outcome_of); -1 error.
 */
static int one_pair(const struct measure_config *cfg, const struct objective *obj,
                    const struct measure_side *base, const struct measure_side *cand,
                    int cand_first, double *vb, double *vc, struct measure_outcome *o,
                    struct buf *err)
{
	struct capture cb, cc;
	struct buf env = BUF_INIT;
	const char *e = NULL;
	int seeded = cfg->pair_env != NULL, r = 0, side = 0;

	memset(&cb, 0, sizeof(cb));
	memset(&cc, 0, sizeof(cc));
	if (seeded) {
		cfg->pair_env(cfg->pair_env_ctx, &env);
		e = env.data;
	}
	if (cand_first) {
		side = 2;
		r = side_run(cfg, obj, cand, e, 1, vc, &cc, &o->why, err);
	}
	if (r == 0) {
		side = 1;
		r = side_run(cfg, obj, base, e, seeded, vb, &cb, &o->why, err);
	}
	if (r == 0 && !cand_first) {
		side = 2;
		r = side_run(cfg, obj, cand, e, 1, vc, &cc, &o->why, err);
	}
	if (r == 0 && (seeded || cfg->ref)) {
		side = 2;
		r = side_compare(cfg, seeded ? &cb : cfg->ref, &cc, e, &o->why, err);
	}
	capture_release(&cb);
	capture_release(&cc);
	buf_release(&env);
	return r == 0 ? 0 : outcome_of(r, side, o) < 0 ? -1 : 1;
}

/* One run of a side alone (measure_single), its output unchecked. */
static int one_run(const struct measure_config *cfg, const struct objective *obj,
                   const struct measure_side *side, double *value, struct buf *why, struct buf *err)
{
	struct capture cap;
	int r = side_run(cfg, obj, side, NULL, 0, value, &cap, why, err);

	capture_release(&cap);
	return r;
}

static void push(double **v, size_t n, double x)
{
	*v = xreallocarray(*v, n + 1, sizeof(**v));
	(*v)[n] = x;
}

static double *ratios_of(const struct measure_outcome *o)
{
	double *r = xcalloc(o->n ? o->n : 1, sizeof(*r));
	size_t i;

	for (i = 0; r && i < o->n; i++)
		r[i] = o->base[i] > 0 ? o->cand[i] / o->base[i] : NAN;
	return r;
}

/*
 * Look at the pairs so far. Interim looks use stats_should_stop, whose early
 * accepts need a stricter interval, so checking after every pair does not
 * inflate false wins; the final look is the plain rule (the bootstrap and the
 * sign test agreeing: stats_decide_pairs). Exact counts decide on one pair.
 */
static int look(const struct measure_config *cfg, struct measure_outcome *o, int max_runs,
                int min_runs)
{
	double *ratios = ratios_of(o);
	int stop;

	o->base_median = stats_median(o->base, o->n);
	o->cand_median = stats_median(o->cand, o->n);
	o->base_cv = o->n > 1 ? stats_cv(o->base, o->n) : 0;
	if (!ratios)
		return 1;
	if (o->deterministic) {
		/* Exact counts: one run of each side is the answer. */
		stop = stats_gate_interval(ratios, o->n,
		                           cfg->gate_threshold > 0 ? cfg->gate_level : cfg->level,
		                           1, &o->ci);
		free(ratios);
		if (cfg->gate_threshold > 0)
			o->gate = stop < 0 ? GATE_INCONCLUSIVE
			                   : stats_gate_decide(&o->ci, cfg->gate_threshold);
		o->verdict = stop < 0 ? VERDICT_NOT_FASTER : stats_decide(&o->ci, cfg->min_gain, 1);
		return 1;
	}
	if (cfg->gate_threshold > 0) {
		stop = stats_gate_should_stop(ratios, o->n, min_runs, max_runs, cfg->gate_threshold,
		                              cfg->gate_level, &o->ci, &o->gate);
		free(ratios);
		if (stop < 0) {
			o->gate = GATE_INCONCLUSIVE;
			o->verdict = VERDICT_NOT_FASTER;
			return 1;
		}
		/* A stop also carries the "faster" verdict, for callers that read it. */
		o->verdict = stop ? stats_decide(&o->ci, cfg->min_gain, 1) : VERDICT_UNDECIDED;
		return stop;
	}
	stop = stats_should_stop(ratios, o->n, min_runs, max_runs, cfg->min_gain, cfg->seed, &o->ci,
	                         &o->verdict);
	if (stop < 0) {
		o->verdict = VERDICT_NOT_FASTER;
		stop = 1;
	}
	free(ratios);
	return stop;
}

/* The decision when pairs stopped early (interrupt): the plain rule on what there is. */
static void final_look(const struct measure_config *cfg, struct measure_outcome *o)
{
	double *ratios = ratios_of(o);

	o->base_median = stats_median(o->base, o->n);
	o->cand_median = stats_median(o->cand, o->n);
	o->base_cv = o->n > 1 ? stats_cv(o->base, o->n) : 0;
	if (!ratios)
		return;
	if (cfg->gate_threshold > 0) {
		/* The gate's interval at its last look's level (the looks it was allowed). */
		size_t looks =
		    o->deterministic ? 1 : stats_gate_looks(cfg->min_runs, cfg->max_runs, NULL, 0);
		double lv = 1 - (1 - cfg->gate_level) / (double)(looks ? looks : 1);
		stats_gate_interval(ratios, o->n, lv, o->deterministic, &o->ci);
		o->gate = stats_gate_decide(&o->ci, cfg->gate_threshold);
		o->verdict = stats_decide(&o->ci, cfg->min_gain, 1);
	} else if (stats_bootstrap_median(ratios, o->n, cfg->resamples, cfg->level, cfg->seed,
	                                  &o->ci) < 0) {
		o->verdict = VERDICT_NOT_FASTER;
	} else {
		o->verdict = o->deterministic
		                 ? stats_decide(&o->ci, cfg->min_gain, 1)
		                 : stats_decide_pairs(ratios, o->n, &o->ci, cfg->min_gain, 1);
	}
	free(ratios);
}

static int pair_runs(const struct measure_config *cfg, const struct objective *obj,
                     const struct measure_side *base, const struct measure_side *cand,
                     struct measure_outcome *o, struct buf *err)
{
	int i, r, max = obj->deterministic ? 1 : cfg->max_runs;
	int min = obj->deterministic ? 1 : cfg->min_runs;
	double x, y;

	o->deterministic = obj->deterministic;
	for (i = 0; !obj->deterministic && i < cfg->warmup; i++) {
		r = one_pair(cfg, obj, base, cand, 0, &x, &y, o, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	for (i = 0; i < max; i++) {
		double vb = NAN, vc = NAN;

		if (cfg->stop && *cfg->stop) {
			o->interrupted = 1;
			break;
		}
		r = one_pair(cfg, obj, base, cand, i % 2, &vb, &vc, o, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
		push(&o->base, o->n, vb);
		push(&o->cand, o->n, vc);
		o->n++;
		if ((int)o->n >= min) {
			int stop = look(cfg, o, max, min);
			if (cfg->progress)
				cfg->progress(cfg->ctx, o->n, &o->ci);
			if (stop)
				break;
		}
	}
	/* An interrupted comparison stays undecided: too few pairs prove nothing. */
	if (o->n && o->verdict == VERDICT_UNDECIDED && !o->interrupted)
		final_look(cfg, o);
	return 0;
}

/* Enter the guard: 0, or -1 when it gave up (o is then interrupted). */
static int guard_enter(const struct measure_config *cfg, struct measure_outcome *o)
{
	if (!cfg->guard || !cfg->guard->enter || cfg->guard->enter(cfg->guard->ctx) == 0)
		return 0;
	o->interrupted = 1;
	return -1;
}

static void guard_leave(const struct measure_config *cfg)
{
	if (cfg->guard && cfg->guard->leave)
		cfg->guard->leave(cfg->guard->ctx);
}

int measure_pair(const struct measure_config *cfg, const struct objective *obj,
                 const struct measure_side *base, const struct measure_side *cand,
                 struct measure_outcome *o, struct buf *err)
{
	int r;

	if (guard_enter(cfg, o) < 0)
		return 0;
	r = pair_runs(cfg, obj, base, cand, o, err);
	guard_leave(cfg);
	return r;
}

static int single_runs(const struct measure_config *cfg, const struct objective *obj,
                       const struct measure_side *side, int n, struct measure_outcome *o,
                       struct buf *err)
{
	int i, r;
	double x;

	o->deterministic = obj->deterministic;
	if (obj->deterministic)
		n = 1;
	for (i = 0; !obj->deterministic && i < cfg->warmup; i++) {
		r = one_run(cfg, obj, side, &x, &o->why, err);
		if (r != 0)
			return outcome_of(r, 1, o);
	}
	for (i = 0; i < n; i++) {
		if (cfg->stop && *cfg->stop) {
			o->interrupted = 1;
			break;
		}
		r = one_run(cfg, obj, side, &x, &o->why, err);
		if (r != 0)
			return outcome_of(r, 1, o);
		push(&o->base, o->n, x);
		o->n++;
	}
	o->base_median = stats_median(o->base, o->n);
	o->base_cv = o->n > 1 ? stats_cv(o->base, o->n) : 0;
	return 0;
}

int measure_single(const struct measure_config *cfg, const struct objective *obj,
                   const struct measure_side *side, int n, struct measure_outcome *o,
                   struct buf *err)
{
	int r;

	if (guard_enter(cfg, o) < 0)
		return 0;
	r = single_runs(cfg, obj, side, n, o, err);
	guard_leave(cfg);
	return r;
}
