/*
 * pipeline_stages.c: the stages a candidate moves through, as a table, and
 * the original's own sequence (pipeline_baseline). See pipeline.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/xalloc.h"
#include "engine/measure.h"
#include "engine/pipeline.h"
#include "engine/pipeline_int.h"
#include "engine/stats.h"
#include "engine/workspace.h"
#include "prof/cltrace.h"
#include "prof/counters.h"
#include "prof/hotspots.h"

/* ---- captures of verify and timed runs ---- */

/*
 * A copy of c's capture for people. The tool writes there itself, beneath
 * its state directory, never through a link: a link found on the way was
 * planted by a candidate's process, so the candidate is rejected for it
 * (1, why). 0 saved (or an ordinary failure, which costs nothing).
 */
static int save_copy(const struct pipeline *p, const struct capture *cap,
                     const struct compare_item *items, size_t nitems, const char *rel,
                     struct buf *why)
{
	struct capture_save save = {p->state_fd, rel};
	struct buf e = BUF_INIT;
	int r = 0;

	if (verify_save(cap, items, nitems, &save, &e) < 0 &&
	    (errno == ELOOP || errno == EXDEV || errno == ENOTDIR)) {
		buf_setf(why,
		         "tampering: a link was planted in the tool's state directory (%s); the "
		         "tool writes there itself and does not follow links",
		         e.data);
		r = 1;
	}
	buf_release(&e);
	return r;
}

/* Every verify command of c once; caps[i] gets each. 0, 1 (a timeout: why), -1. */
int pipeline_verify_set(struct pipeline *p, const struct candidate *c, const char *tag,
                        struct capture *caps, struct buf *why, struct buf *err)
{
	const struct target *t = p->t;
	int ws = pipeline_ws_fd(p, c, err);

	if (ws < 0)
		return -1;
	for (size_t i = 0; i < t->nverify; i++) {
		struct child ch;
		struct buf rel = BUF_INIT, trace = BUF_INIT, ttag = BUF_INIT;
		int r;

		buf_addf(&ttag, "%s-verify%zu", tag, i);
		pipeline_save_rel(p, c, ttag.data, &rel);
		pipeline_trace_path(p, c, ttag.data, &trace);
		r = pipeline_child_spec(p, c, NULL, trace.data, 0, &ch, err);
		if (r == 0) {
			unlink(trace.data);
			r = verify_capture(&ch.spec, t->verify[i].run, t->verify[i].compare,
			                   t->verify[i].ncompare, ws, NULL, &caps[i], err);
			child_release(&ch);
		}
		if (r == 0 && save_copy(p, &caps[i], t->verify[i].compare, t->verify[i].ncompare,
		                        rel.data, why)) {
			buf_release(&rel);
			buf_release(&trace);
			buf_release(&ttag);
			close(ws);
			return 1;
		}
		buf_release(&rel);
		buf_release(&trace);
		buf_release(&ttag);
		if (r < 0) {
			close(ws);
			return -1;
		}
		if (caps[i].res.timed_out) {
			buf_setf(why, "verify run %zu ('%s') timed out after %g s", i + 1,
			         t->verify[i].run, t->timeout_s);
			close(ws);
			return 1;
		}
	}
	close(ws);
	return 0;
}

int pipeline_compare_verify(const struct pipeline *p, const struct capture *ref,
                            const struct capture *got, struct buf *why, struct buf *err)
{
	const struct target *t = p->t;

	for (size_t i = 0; i < t->nverify; i++) {
		struct buf msg = BUF_INIT;
		int r =
		    verify_compare(&ref[i], &got[i], t->verify[i].compare, t->verify[i].ncompare,
		                   t->verify[i].rtol, t->verify[i].atol, &msg, err);
		if (r == 1)
			buf_setf(why, "verify run %zu ('%s'): %s", i + 1, t->verify[i].run,
			         msg.data);
		buf_release(&msg);
		if (r != 0)
			return r;
	}
	return 0;
}

void pipeline_captures_free(const struct pipeline *p, struct capture *caps)
{
	if (!caps)
		return;
	for (size_t i = 0; i < p->t->nverify; i++)
		capture_release(&caps[i]);
	free(caps);
}

/* One run of the timed command with its outputs captured. */
int pipeline_capture_run(struct pipeline *p, const struct candidate *c, const char *tag,
                         struct capture *cap, struct buf *err)
{
	const struct target *t = p->t;
	struct child ch;
	struct buf rel = BUF_INIT, trace = BUF_INIT, why = BUF_INIT;
	int r, ws = pipeline_ws_fd(p, c, err);

	if (ws < 0)
		return -1;
	pipeline_save_rel(p, c, tag, &rel);
	pipeline_trace_path(p, c, tag, &trace);
	r = pipeline_child_spec(p, c, NULL, trace.data, 0, &ch, err);
	if (r == 0) {
		unlink(trace.data);
		r = verify_capture(&ch.spec, t->run, t->run_compare, t->nrun_compare, ws, NULL, cap,
		                   err);
		child_release(&ch);
	}
	if (r == 0)
		save_copy(p, cap, t->run_compare, t->nrun_compare, rel.data, &why);
	buf_release(&why);
	close(ws);
	buf_release(&rel);
	buf_release(&trace);
	return r;
}

/* The test command: 0 passed, 1 failed (why), -1 error. */
int pipeline_test(struct pipeline *p, const struct candidate *c, struct buf *why, struct buf *err)
{
	struct proc_result res;

	if (!p->t->test)
		return 0;
	if (pipeline_run_step(p, c, NULL, p->t->test, "test", 0, &res, why, err) < 0)
		return -1;
	return proc_result_ok(&res) ? 0 : 1;
}

/*
 * A kernel that does not compile shows only as a failed verify or timed
 * run (the host program exits non-zero). The interposer wrote the OpenCL
 * build log into that run's trace: add it to the reason and call it a build
 * failure, so that it reads (and is fed back to a proposer) like a C
 * compile error.
 */
static void add_cl_build_log(struct pipeline *p, struct candidate *c)
{
	const struct target *t = p->t;
	struct profile prof;
	struct buf path = BUF_INIT, why = BUF_INIT;

	if (!p->kernel_target || (c->status != CAND_VERIFY_FAILED && c->status != CAND_RUN_FAILED))
		return;
	profile_init(&prof);
	for (size_t i = 0; i <= t->nverify && !prof.cl_build_log; i++) {
		struct buf tag = BUF_INIT;
		if (i < t->nverify)
			buf_addf(&tag, "verify-verify%zu", i);
		else
			buf_addstr(&tag, "timed");
		pipeline_trace_path(p, c, tag.data, &path);
		cltrace_read(path.data, &prof, NULL);
		buf_release(&tag);
	}
	if (prof.cl_build_log) {
		size_t len = strlen(prof.cl_build_log);

		buf_addf(&why, "%s\nOpenCL build log:\n", c->reason ? c->reason : "");
		buf_add(&why, prof.cl_build_log, len > BUILD_ERROR_MAX ? BUILD_ERROR_MAX : len);
		if (len > BUILD_ERROR_MAX)
			buf_addstr(&why, "\n[... output trimmed]");
		buf_rtrim(&why);
		candidate_set(c, CAND_BUILD_FAILED, why.data);
		c->stage = STAGE_BUILD;
	}
	profile_release(&prof);
	buf_release(&path);
	buf_release(&why);
}

/* ---- measurement ---- */

#define KERNEL_WARMUP 2 /* warm-up runs of each side at least, for device time */

struct pair_ctx {
	const struct pipeline *p;
	const struct candidate *c;
};

static void on_pair(void *ctx, size_t n, const struct stats_interval *ci)
{
	struct pair_ctx *x = ctx;
	const struct engine_events *ev = x->p->opt.ev;

	if (ev && ev->pair)
		ev->pair(ev->ctx, x->c, n, ci);
}

void pipeline_measure_config(const struct pipeline *p, struct measure_config *cfg)
{
	const struct target *t = p->t;
	const struct measure_settings *m = &p->opt.m;

	memset(cfg, 0, sizeof(*cfg));
	cfg->cmd = t->run;
	cfg->min_runs = m->min_runs;
	cfg->max_runs = m->max_runs;
	cfg->warmup = m->warmup;
	/* Device time: the first launches pay for the kernel build and the driver's
	 * first use; they are not the kernel's speed. */
	if (p->obj.kind == OBJ_KERNEL_TIME && cfg->warmup < KERNEL_WARMUP)
		cfg->warmup = KERNEL_WARMUP;
	cfg->min_gain = m->min_gain;
	cfg->level = m->level;
	cfg->resamples = m->resamples;
	cfg->seed = m->seed;
	cfg->cpu = m->cpu;
	cfg->gate_threshold = m->gate_threshold;
	cfg->gate_level = m->gate_level;
	cfg->ref = p->have_refs ? &p->run_ref : NULL;
	cfg->items = t->run_compare;
	cfg->nitems = t->nrun_compare;
	cfg->rtol = t->rtol;
	cfg->atol = t->atol;
	cfg->stop = p->opt.cancel;
	cfg->guard = p->opt.guard;
}

static const char *noise_advice(const struct pipeline *p)
{
	if (p->obj.kind == OBJ_KERNEL_TIME)
		return "device time: make each run launch the kernels more times (a larger "
		       "problem or more iterations), or raise --min-runs; pinning with --cpu does "
		       "not steady a device";
	if (p->opt.m.cpu >= 0)
		return "timed runs are pinned already: close other programs, or raise --min-runs";
	return "close other programs, or pin with --cpu N";
}

void pipeline_warn_noise(struct pipeline *p, const char *what, double cv)
{
	/* Device time of a few launches varies more than CPU time: 10% is noisy there. */
	double limit = p->obj.kind == OBJ_KERNEL_TIME ? 0.10 : 0.05;

	if (p->warned_noise || !(cv > limit))
		return;
	p->warned_noise = 1;
	engine_note(p->opt.ev, NOTE_WARNING,
	            "warning: the coefficient of variation of %s is %.1f%%: the measurements are "
	            "noisy and decisions take more pairs (%s)",
	            what, cv * 100, noise_advice(p));
}

/*
 * Why an interval below 1 was not enough: the sign test (stats_decide_pairs)
 * did not agree, for too few pairs or too few of them faster.
 */
static void sign_test_says(struct buf *why, const double *base, const double *cand, size_t n,
                           double level)
{
	size_t below = 0, need = stats_sign_needed(n, level);

	for (size_t i = 0; i < n; i++)
		below += base[i] > 0 && cand[i] / base[i] < 1;
	if (need > n)
		buf_addf(
		    why,
		    " (%zu pairs are too few for a gain at %.0f%% confidence whatever the noise: "
		    "at least %zu are needed, see --max-runs)",
		    n, level * 100, stats_sign_min_pairs(level));
	else
		buf_addf(why, " (%zu of %zu pairs faster; the sign test needs %zu at %.0f%%)",
		         below, n, need, level * 100);
}

/* The verdict of one comparison. */
static void record_outcome(struct pipeline *p, const struct candidate *other,
                           struct measure_outcome *o, struct cand_check *out)
{
	struct buf why = BUF_INIT;
	struct cand_measurement *m = &out->m;

	memset(out, 0, sizeof(*out));
	m->compared_with = other->id;
	m->ci = o->ci;
	m->value = o->cand_median;
	m->base_value = o->base_median;
	m->base_cv = o->base_cv;
	m->deterministic = o->deterministic;
	m->nsamples = o->n;
	m->base_samples = o->base;
	m->cand_samples = o->cand;
	o->base = o->cand = NULL;
	if (o->failed == 2) {
		out->verdict = strstr(o->why.data, "output") ? CAND_VERIFY_FAILED : CAND_RUN_FAILED;
		buf_addstr(&why, o->why.data);
	} else if (o->failed == 1) {
		/* The other side failed a timed run: the machine or the program is flaky. */
		out->verdict = CAND_SKIPPED;
		buf_setf(&why, "c%d failed during measurement: %s", other->id, o->why.data);
	} else if (o->interrupted && o->verdict == VERDICT_UNDECIDED) {
		out->verdict = CAND_SKIPPED;
		buf_setf(&why, "interrupted after %zu pairs, before a decision", o->n);
	} else {
		if (o->deterministic)
			buf_setf(&why, "ratio %.4f (deterministic objective, one run each; %s)",
			         o->ci.estimate, p->obj.source);
		else
			buf_setf(&why, "ratio %.3f, %.0f%% CI [%.3f, %.3f] over %zu pairs; %s",
			         o->ci.estimate, o->ci.level * 100, o->ci.lo, o->ci.hi, o->n,
			         o->verdict == VERDICT_FASTER ? "faster with confidence"
			         : o->ci.estimate < 1         ? "gain not established"
			                                      : "not faster");
		if (!o->deterministic && o->verdict != VERDICT_FASTER &&
		    stats_decide(&o->ci, p->opt.m.min_gain, 1) == VERDICT_FASTER)
			sign_test_says(&why, m->base_samples, m->cand_samples, o->n, o->ci.level);
		out->verdict = o->verdict == VERDICT_FASTER ? CAND_ACCEPTED : CAND_NOT_FASTER;
		if (!o->deterministic)
			pipeline_warn_noise(p, "the compared runs", o->base_cv);
	}
	out->reason = buf_detach(&why);
}

/*
 * c against `other`, interleaved pairs; `other` (and c too, when check_c)
 * checked against its seal before each of its runs. With $OPTIMIZE_SEED in
 * the manifest every pair runs on a fresh seed, the candidate checked
 * against `other`'s outputs in the same pair. 0, 2 a seal broke (err says
 * how: the target stops), -1 error.
 */
static int measure_pair_of(struct pipeline *p, const struct candidate *c,
                           const struct candidate *other, int check_c, struct cand_check *out,
                           struct buf *err)
{
	struct seal_side kb = {p, other->id}, kc = {p, c->id};
	struct measure_config cfg;
	struct measure_outcome o;
	struct measure_side sb, sc;
	struct child cb, cc;
	struct buf db = BUF_INIT, dc = BUF_INIT, tb = BUF_INIT, tc = BUF_INIT, tag = BUF_INIT;
	struct pair_ctx pc = {p, c};
	int r = -1, kernel = p->obj.kind == OBJ_KERNEL_TIME;

	memset(&sb, 0, sizeof(sb));
	memset(&sc, 0, sizeof(sc));
	sb.ws_fd = sc.ws_fd = -1;
	pipeline_measure_config(p, &cfg);
	/* $OPTIMIZE_SEED: a fresh seed every pair, the base side's outputs on
	 * it the reference (pipeline_seed.c) */
	if (p->seeded) {
		cfg.pair_env = pipeline_seed_pair_env;
		cfg.pair_env_ctx = p;
	}
	cfg.seed = p->opt.m.seed * 1000003u + (uint64_t)c->id * 1009u + (uint64_t)other->id;
	cfg.progress = on_pair;
	cfg.ctx = &pc;
	buf_addf(&tag, "timed-vs-c%d", c->id);
	pipeline_save_rel(p, c, "timed-base", &db);
	pipeline_save_rel(p, c, "timed", &dc);
	pipeline_trace_path(p, other, tag.data, &tb);
	pipeline_trace_path(p, c, "timed", &tc);
	if ((sb.ws_fd = pipeline_ws_fd(p, other, err)) < 0 ||
	    (sc.ws_fd = pipeline_ws_fd(p, c, err)) < 0)
		goto out_nochild;
	if (pipeline_child_spec(p, other, NULL, tb.data, 0, &cb, err) < 0)
		goto out_nochild;
	if (pipeline_child_spec(p, c, NULL, tc.data, 0, &cc, err) < 0) {
		child_release(&cb);
		goto out_nochild;
	}
	sb.spec = &cb.spec;
	sb.trace_path = kernel ? tb.data : NULL;
	sb.save.dirfd = p->state_fd;
	sb.save.rel = db.data;
	sb.check = pipeline_seal_side_check;
	sb.check_ctx = &kb;
	sc.spec = &cc.spec;
	sc.trace_path = kernel ? tc.data : NULL;
	sc.save.dirfd = p->state_fd;
	sc.save.rel = dc.data;
	if (check_c) {
		sc.check = pipeline_seal_side_check;
		sc.check_ctx = &kc;
	}
	measure_outcome_init(&o);
	r = measure_pair(&cfg, &p->obj, &sb, &sc, &o, err);
	if (r == 0 && o.tampered) {
		memset(out, 0, sizeof(*out));
		out->verdict = CAND_SKIPPED;
		out->reason = xstrdup(o.why.data);
		err_set(err, "target '%s': %s", p->t->name, o.why.data);
		r = 2;
	} else if (r == 0) {
		record_outcome(p, other, &o, out);
	}
	measure_outcome_release(&o);
	child_release(&cb);
	child_release(&cc);
out_nochild:
	if (sb.ws_fd >= 0)
		close(sb.ws_fd);
	if (sc.ws_fd >= 0)
		close(sc.ws_fd);
	buf_release(&db);
	buf_release(&dc);
	buf_release(&tb);
	buf_release(&tc);
	buf_release(&tag);
	return r;
}

/* ---- profiles ---- */

/* Cachegrind's per-line figures stand in for samples where sampling is not allowed. */
static void hotspots_from_cachegrind(const struct counter_request *req, struct profile *out)
{
	struct profile cg;
	struct proc_result res;
	struct buf err = BUF_INIT;

	profile_init(&cg);
	if (counters_cachegrind.run(req, &res, &cg, &err) == 0 && cg.nlines)
		profile_take_hotspots(out, &cg);
	profile_release(&cg);
	buf_release(&err);
}

int pipeline_profile(const struct pipeline *p, const struct candidate *c,
                     const struct profile_request *rq, struct profile *out, struct proc_result *res,
                     struct buf *err)
{
	const struct counter_backend *b = rq->backend;
	struct counter_request req = {0};
	struct child ch;
	struct buf so = BUF_INIT, se = BUF_INIT, trace = BUF_INIT, why = BUF_INIT;
	int r = -1;

	if (!b)
		b = counters_perf.probe(&why) == 0 ? &counters_perf : &counters_rusage;
	buf_reset(&why);
	pipeline_trace_path(p, c, "profile", &trace);
	if (pipeline_child_spec(p, c, NULL, trace.data, 0, &ch, err) < 0)
		goto out;
	if (rq->out_buf || rq->err_buf) {
		ch.spec.stdout_buf = rq->out_buf;
		ch.spec.stderr_buf = rq->err_buf;
	} else {
		ch.spec.stdout_buf = &so;
		ch.spec.stderr_buf = &se;
	}
	req.spec = &ch.spec;
	req.cmd = p->t->run;
	req.events = rq->events;
	req.nevents = rq->nevents;
	req.hotspots = rq->hotspots && b == &counters_cachegrind;
	unlink(trace.data); /* the interposer appends: one run, one trace */
	if (b->run(&req, res, out, err) < 0) {
		child_release(&ch);
		goto out;
	}
	if (p->kernel_target)
		cltrace_read(trace.data, out, NULL);
	profile_set_command(out, p->t->run);
	/* Sampling a run that fails tells nothing: skip it. */
	if (rq->hotspots && b != &counters_cachegrind && proc_result_ok(res)) {
		struct proc_result sres;
		struct buf herr = BUF_INIT;
		req.hotspots = 1;
		if (hotspots_probe(NULL, &why) == 0) {
			if (hotspots_run(&req, NULL, &sres, out, &herr) < 0)
				profile_set_hotspot_error(out, herr.data);
		} else if (counters_cachegrind.probe(NULL) == 0) {
			hotspots_from_cachegrind(&req, out);
		}
		if (!out->nlines && !out->hotspot_error)
			profile_set_hotspot_error(out, why.len ? why.data : "no samples");
		buf_release(&herr);
	}
	profile_derive(out);
	child_release(&ch);
	if (!rq->out_buf && !rq->err_buf) {
		/* A copy for people, beneath the state directory. */
		struct capture cp;
		struct capture_save save;
		struct buf rel = BUF_INIT;
		memset(&cp, 0, sizeof(cp));
		cp.out = so;
		cp.err = se;
		pipeline_save_rel(p, c, "profile", &rel);
		save.dirfd = p->state_fd;
		save.rel = rel.data;
		verify_save(&cp, NULL, 0, &save, NULL);
		buf_release(&rel);
	}
	r = 0;
out:
	buf_release(&so);
	buf_release(&se);
	buf_release(&trace);
	buf_release(&why);
	return r;
}

/*
 * One more run of a measured candidate under the counter backend: the
 * counters that report.json and summary.md show, and (`hotspots`) samples.
 * Symbolizing samples is the tool's own CPU time, which must stay small
 * next to what it measures, so it is done only where asked. A failure costs
 * the candidate nothing: the profile is absent and says why.
 */
void pipeline_profile_measured(struct pipeline *p, struct candidate *c, int hotspots)
{
	struct profile_request rq = {0};
	struct proc_result res;
	struct buf err = BUF_INIT;

	if (!p->opt.profile)
		return;
	rq.backend = counters_backend(
	    p->opt.counters && strcmp(p->opt.counters, "cachegrind") ? p->opt.counters : "perf");
	rq.hotspots = hotspots;
	profile_release(&c->profile);
	profile_init(&c->profile);
	if (pipeline_profile(p, c, &rq, &c->profile, &res, &err) < 0)
		profile_set_hotspot_error(&c->profile, err.data);
	buf_release(&err);
}

void pipeline_profile_winner(struct pipeline *p, struct candidate *c)
{
	pipeline_profile_measured(p, c, 1);
}

/* ---- the stages ---- */

struct stage_run {
	struct pipeline *p;
	struct candidate *c;
	const struct candidate *against;
	struct buf why;
	struct buf *err;
	enum engine_status stop; /* with -1 from a stage: the target stops so (else an error) */
};

/* A stage returns 0 to go on, 1 when it decided the candidate's status, -1 on an error. */
typedef int (*stage_fn)(struct stage_run *x);

static int fail(struct stage_run *x, enum cand_status s)
{
	candidate_set(x->c, s, x->why.data);
	return 1;
}

static int stage_materialize(struct stage_run *x)
{
	const struct candidate *c = x->c;

	for (size_t i = 0; i < c->nchain; i++) {
		if (!ws_is_editable(x->p->t, c->chain[i]->path)) {
			buf_setf(&x->why, "'%s' is not an editable file of this target",
			         c->chain[i]->path);
			return fail(x, CAND_EDIT_REJECTED);
		}
	}
	return pipeline_materialize(x->p, x->c, x->err) < 0 ? -1 : 0;
}

static int stage_build(struct stage_run *x)
{
	int r = pipeline_build(x->p, x->c, &x->why, x->err);

	if (r > 0)
		return fail(x, CAND_BUILD_FAILED);
	return r < 0 ? r : pipeline_check_same_build(x->p, x->c, x->against, x->err);
}

static int stage_verify(struct stage_run *x)
{
	struct capture *caps;
	int r = pipeline_verify_seeded(x->p, x->c, &x->why, x->err);

	if (r == 3)
		return fail(x, CAND_SKIPPED);
	if (r == 1) {
		fail(x, CAND_VERIFY_FAILED);
		add_cl_build_log(x->p, x->c);
	}
	if (r != -2)
		return r;
	caps = xcalloc(x->p->t->nverify + 1, sizeof(*caps));
	r = pipeline_verify_set(x->p, x->c, "verify", caps, &x->why, x->err);
	if (r == 0)
		r = pipeline_compare_verify(x->p, x->p->verify_ref, caps, &x->why, x->err);
	pipeline_captures_free(x->p, caps);
	if (r == 1) {
		fail(x, CAND_VERIFY_FAILED);
		add_cl_build_log(x->p, x->c);
	}
	return r;
}

static int stage_test(struct stage_run *x)
{
	int r = pipeline_test(x->p, x->c, &x->why, x->err);
	return r <= 0 ? r : fail(x, CAND_TEST_FAILED);
}

static int stage_protected(struct stage_run *x)
{
	struct pipeline *p = x->p;
	int r;

	if (x->c->source_tree)
		return 0; /* a whole tree of its own: every file may differ */
	r = ws_check_protected(p->pristine, x->c->workdir, p->t, &p->original_files, &x->why,
	                       x->err);
	return r <= 0 ? r : fail(x, CAND_PROTECTED_CHANGED);
}

static int stage_measure(struct stage_run *x)
{
	struct cand_check k;
	int r;

	/* This build is timed against by later candidates: sealed now. */
	if (pipeline_seal(x->p, x->c, x->err) < 0)
		return -1;
	r = measure_pair_of(x->p, x->c, x->against, 0, &k, x->err);
	if (r == 2) {
		candidate_set(x->c, CAND_SKIPPED, k.reason);
		free(k.reason);
		x->stop = ENGINE_BASELINE;
		return -1;
	}
	if (r < 0)
		return -1;
	candidate_measurement_clear(&x->c->meas);
	x->c->meas = k.m;
	candidate_set(x->c, k.verdict, k.reason);
	free(k.reason);
	add_cl_build_log(x->p, x->c);
	return x->c->status == CAND_ACCEPTED || x->c->status == CAND_NOT_FASTER ? 0 : 1;
}

static int stage_profile(struct stage_run *x)
{
	pipeline_profile_measured(x->p, x->c,
	                          x->c->status == CAND_ACCEPTED && x->p->opt.hotspots_accepted);
	return 0;
}

static const struct {
	enum cand_stage stage;
	stage_fn run;
} stages[] = {
    {STAGE_MATERIALIZE, stage_materialize}, {STAGE_BUILD, stage_build},
    {STAGE_VERIFY, stage_verify},           {STAGE_TEST, stage_test},
    {STAGE_PROTECTED, stage_protected},     {STAGE_MEASURE, stage_measure},
    {STAGE_PROFILE, stage_profile},
};

int pipeline_cancelled(const struct pipeline *p)
{
	return p->opt.cancel && *p->opt.cancel;
}

/* Stages [from, to) of the table. */
static enum engine_status run_stages(struct pipeline *p, struct candidate *c,
                                     const struct candidate *against, enum cand_stage last,
                                     struct buf *err)
{
	struct stage_run x = {p, c, against, BUF_INIT, err, ENGINE_OK};
	enum engine_status st = ENGINE_OK;

	if (c->status != CAND_PENDING)
		return ENGINE_OK; /* the proposer already rejected it (an edit that did not apply)
		                   */
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]) && stages[i].stage <= last; i++) {
		int r;

		c->stage = stages[i].stage;
		if (pipeline_cancelled(p)) {
			candidate_set(c, CAND_SKIPPED, "interrupted");
			st = ENGINE_INTERRUPTED;
			break;
		}
		buf_reset(&x.why);
		r = stages[i].run(&x);
		if (r < 0) {
			st = x.stop != ENGINE_OK ? x.stop : ENGINE_ERROR;
			break;
		}
		if (r > 0)
			break;
	}
	if (st == ENGINE_OK && pipeline_cancelled(p) && c->status == CAND_PENDING) {
		candidate_set(c, CAND_SKIPPED, "interrupted");
		st = ENGINE_INTERRUPTED;
	}
	buf_release(&x.why);
	return st;
}

enum engine_status pipeline_evaluate(struct pipeline *p, struct candidate *c,
                                     const struct candidate *against, struct buf *err)
{
	enum engine_status st;
	struct buf why = BUF_INIT;
	int r;

	/* Nothing changed the build c is timed against, nor the original's,
	 * since the last candidate ran (it may have failed before any timed
	 * run). Other seals are checked where their builds are timed. */
	r = pipeline_seal_check(p, 0, &why, err);
	if (r == 0 && against && against->id != 0)
		r = pipeline_seal_check(p, against->id, &why, err);
	if (r) {
		if (r > 0) {
			err_set(err, "target '%s': %s", p->t->name, why.data);
			candidate_set(c, CAND_SKIPPED, why.data);
		}
		buf_release(&why);
		return r > 0 ? ENGINE_BASELINE : ENGINE_ERROR;
	}
	buf_release(&why);
	p->last_ran = c->id;
	free(p->last_label);
	p->last_label = xstrdup(c->label ? c->label : "");
	st = run_stages(p, c, against, STAGE_PROFILE, err);

	if (st == ENGINE_OK && c->status != CAND_PENDING && c->status != CAND_SKIPPED &&
	    (c->status == CAND_ACCEPTED || c->status == CAND_NOT_FASTER))
		c->stage = STAGE_DONE;
	if (st == ENGINE_OK && c->status == CAND_PENDING)
		candidate_set(c, CAND_SKIPPED, "not measured");
	return st;
}

enum engine_status pipeline_prepare(struct pipeline *p, struct candidate *c, struct buf *err)
{
	return run_stages(p, c, NULL, STAGE_BUILD, err);
}

enum engine_status pipeline_compare(struct pipeline *p, const struct candidate *c,
                                    const struct candidate *against, struct cand_check *out,
                                    struct buf *err)
{
	int r = measure_pair_of(p, c, against, 1, out, err);

	if (r == 2)
		return ENGINE_BASELINE;
	if (r < 0)
		return ENGINE_ERROR;
	if (pipeline_cancelled(p) && out->verdict == CAND_SKIPPED)
		return ENGINE_INTERRUPTED;
	return ENGINE_OK;
}
