/*
 * pipeline_baseline.c: the original's own sequence (it becomes the
 * reference every candidate is compared with), and the re-check of a
 * winner before --apply. See pipeline.h.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "engine/measure.h"
#include "engine/pipeline.h"
#include "engine/pipeline_int.h"
#include "engine/stats.h"
#include "engine/workspace.h"

static enum engine_status fail_baseline(struct pipeline *p, struct candidate *b, enum cand_status s,
                                        struct buf *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static enum engine_status fail_baseline(struct pipeline *p, struct candidate *b, enum cand_status s,
                                        struct buf *err, const char *fmt, ...)
{
	va_list ap;
	struct buf m = BUF_INIT;

	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	err_set(err, "target '%s': %s", p->t->name, m.data);
	candidate_set(b, s, m.data);
	buf_release(&m);
	return ENGINE_BASELINE;
}

/* Each verify command twice: the outputs become the references and must agree. */
static enum engine_status baseline_verify(struct pipeline *p, struct candidate *b, struct buf *err)
{
	const struct target *t = p->t;
	struct capture *second = xcalloc(t->nverify + 1, sizeof(*second));
	struct buf why = BUF_INIT, msg = BUF_INIT;
	enum engine_status st = ENGINE_OK;
	int r;

	b->stage = STAGE_VERIFY;
	p->verify_ref = xcalloc(t->nverify + 1, sizeof(*p->verify_ref));
	if (pipeline_verify_set(p, b, "ref", p->verify_ref, &why, err) < 0 ||
	    pipeline_verify_set(p, b, "ref2", second, &why, err) < 0) {
		st = ENGINE_ERROR;
		goto out;
	}
	for (size_t i = 0; i < t->nverify; i++) {
		if (verify_over_cap(&p->verify_ref[i], t->verify[i].compare, t->verify[i].ncompare,
		                    &msg)) {
			st = fail_baseline(p, b, CAND_VERIFY_FAILED, err,
			                   "verify run %zu ('%s') of the original: %s; outputs are "
			                   "never compared cut short: compare less output, or use "
			                   "a smaller input",
			                   i + 1, t->verify[i].run, msg.data);
			goto out;
		}
		if (p->verify_ref[i].res.timed_out || second[i].res.timed_out) {
			st = fail_baseline(p, b, CAND_VERIFY_FAILED, err,
			                   "verify run %zu ('%s') of the original timed out after "
			                   "%g s; raise timeout_s",
			                   i + 1, t->verify[i].run, t->timeout_s);
			goto out;
		}
	}
	r = pipeline_compare_verify(p, p->verify_ref, second, &msg, err);
	if (r < 0)
		st = ENGINE_ERROR;
	else if (r)
		st = fail_baseline(p, b, CAND_VERIFY_FAILED, err,
		                   "the original is nondeterministic: two runs disagree. %s\n"
		                   "hint: give a tolerance (rtol/atol) for numeric outputs, or "
		                   "compare fewer outputs (\"compare\")",
		                   msg.data);
out:
	pipeline_captures_free(p, second);
	buf_release(&why);
	buf_release(&msg);
	return st;
}

/* The timed command twice: it must succeed and be deterministic too. */
static enum engine_status baseline_run(struct pipeline *p, struct candidate *b, struct buf *err)
{
	const struct target *t = p->t;
	struct capture run2 = {0};
	struct buf why = BUF_INIT, msg = BUF_INIT;
	enum engine_status st = ENGINE_OK;
	int r;

	if (pipeline_capture_run(p, b, "run-ref", &p->run_ref, err) < 0 ||
	    pipeline_capture_run(p, b, "run-ref2", &run2, err) < 0) {
		st = ENGINE_ERROR;
		goto out;
	}
	if (!proc_result_ok(&p->run_ref.res)) {
		struct buf d = BUF_INIT;
		proc_result_describe(&p->run_ref.res, t->timeout_s, &d);
		pipeline_excerpt(&p->run_ref.err, &why);
		st = fail_baseline(p, b, CAND_RUN_FAILED, err,
		                   "the original's run command '%s' failed (%s)%s%s", t->run,
		                   d.data, why.len ? ":\n" : "", why.data);
		buf_release(&d);
		goto out;
	}
	if (verify_over_cap(&p->run_ref, t->run_compare, t->nrun_compare, &msg)) {
		st = fail_baseline(p, b, CAND_VERIFY_FAILED, err,
		                   "the original's run command '%s': %s; outputs are never "
		                   "compared cut short: compare less output (\"run_compare\"), "
		                   "or use a smaller input",
		                   t->run, msg.data);
		goto out;
	}
	r = verify_compare(&p->run_ref, &run2, t->run_compare, t->nrun_compare, t->rtol, t->atol,
	                   &msg, err);
	if (r < 0)
		st = ENGINE_ERROR;
	else if (r)
		st = fail_baseline(p, b, CAND_VERIFY_FAILED, err,
		                   "the original's run command is nondeterministic: %s\n"
		                   "hint: give a tolerance (rtol/atol), or set \"run_compare\" to "
		                   "compare fewer outputs ([] compares only the exit status)",
		                   msg.data);
	else
		p->have_refs = 1;
out:
	capture_release(&run2);
	buf_release(&why);
	buf_release(&msg);
	return st;
}

/*
 * Pinning by default (`run`): both sides of every pair run on one CPU, the
 * one where a short calibration (CALIB_RUNS runs of the original on each
 * allowed CPU, up to CALIB_CPUS of them) gave the lowest median. Virtual
 * CPUs of one machine can differ by 30% (a shared core, another socket),
 * and a program that moves between them is noisier than one that does not.
 * Only for timed objectives: exact counts and device time gain nothing.
 */
#define CALIB_RUNS 3
#define CALIB_CPUS 8
static enum engine_status calibrate_cpu(struct pipeline *p, const struct measure_side *s,
                                        struct buf *err)
{
	struct measure_config cfg;
	cpu_set_t set;
	struct buf how = BUF_INIT;
	double best = 0;
	int chosen = -1, tried = 0;

	if (!p->opt.m.cpu_auto || p->opt.m.cpu >= 0 || p->obj.deterministic ||
	    p->obj.kind == OBJ_KERNEL_TIME || sched_getaffinity(0, sizeof(set), &set) != 0 ||
	    CPU_COUNT(&set) < 2)
		return ENGINE_OK;
	pipeline_measure_config(p, &cfg);
	for (int cpu = 0; cpu < CPU_SETSIZE && tried < CALIB_CPUS; cpu++) {
		struct measure_outcome o;
		if (!CPU_ISSET(cpu, &set))
			continue;
		tried++;
		cfg.cpu = cpu;
		measure_outcome_init(&o);
		if (measure_single(&cfg, &p->obj, s, CALIB_RUNS, &o, err) < 0) {
			measure_outcome_release(&o);
			buf_release(&how);
			return ENGINE_ERROR;
		}
		if (o.interrupted || o.failed) {
			measure_outcome_release(&o);
			buf_release(&how);
			return ENGINE_OK; /* the measurement proper says why */
		}
		buf_addf(&how, "%scpu%d %.4g %s", how.len ? ", " : "", cpu, o.base_median,
		         p->obj.unit);
		if (chosen < 0 || o.base_median < best) {
			chosen = cpu;
			best = o.base_median;
		}
		measure_outcome_release(&o);
	}
	p->opt.m.cpu = chosen;
	{
		struct buf msg = BUF_INIT;
		buf_addf(&msg, "calibrated: the lowest median of %d runs on each CPU (%s)",
		         CALIB_RUNS, how.data);
		free(p->pin_how);
		p->pin_how = buf_detach(&msg);
	}
	engine_note(p->opt.ev, NOTE_PROGRESS,
	            "[%s] timed runs pinned to CPU %d, both sides of every pair (%s); --cpu any "
	            "turns this off",
	            p->t->name, chosen, how.data);
	buf_release(&how);
	return ENGINE_OK;
}

/* The original alone, min_runs times: its time and how noisy the machine is. */
static enum engine_status baseline_measure(struct pipeline *p, struct candidate *b, struct buf *err)
{
	struct measure_config cfg;
	struct measure_outcome o;
	struct measure_side s;
	struct child ch;
	struct buf d = BUF_INIT, tr = BUF_INIT;
	enum engine_status st = ENGINE_OK;
	int n = p->opt.baseline_runs > 0 ? p->opt.baseline_runs : p->opt.m.min_runs;

	b->stage = STAGE_MEASURE;
	pipeline_measure_config(p, &cfg);
	pipeline_save_rel(p, b, "timed", &d);
	pipeline_trace_path(p, b, "timed", &tr);
	memset(&s, 0, sizeof(s));
	if ((s.ws_fd = pipeline_ws_fd(p, b, err)) < 0 ||
	    pipeline_child_spec(p, b, NULL, tr.data, 0, &ch, err) < 0) {
		st = ENGINE_ERROR;
		goto out;
	}
	s.spec = &ch.spec;
	s.trace_path = p->obj.kind == OBJ_KERNEL_TIME ? tr.data : NULL;
	s.save.dirfd = p->state_fd;
	s.save.rel = d.data;
	if ((st = calibrate_cpu(p, &s, err)) != ENGINE_OK) {
		child_release(&ch);
		goto out;
	}
	pipeline_measure_config(p, &cfg);
	measure_outcome_init(&o);
	if (measure_single(&cfg, &p->obj, &s, n, &o, err) < 0)
		st = ENGINE_ERROR;
	else if (o.interrupted)
		st = ENGINE_INTERRUPTED;
	else if (o.failed)
		st = fail_baseline(p, b, CAND_RUN_FAILED, err, "%s", o.why.data);
	if (st == ENGINE_OK) {
		candidate_measurement_clear(&b->meas);
		b->meas.value = o.base_median;
		b->meas.cand_samples = o.base;
		b->meas.nsamples = o.n;
		b->meas.base_cv = o.base_cv;
		b->meas.deterministic = o.deterministic;
		o.base = NULL;
		engine_note(p->opt.ev, NOTE_PROGRESS,
		            "[%s] original: %s %.4g %s (median of %zu, CV %.1f%%)", p->t->name,
		            p->obj.name, b->meas.value, p->obj.unit, o.n, o.base_cv * 100);
		if (!o.deterministic)
			pipeline_warn_noise(p, "the original's runs", o.base_cv);
		if (!o.deterministic && !(p->opt.m.gate_threshold > 0) &&
		    (size_t)p->opt.m.max_runs < stats_sign_min_pairs(p->opt.m.level))
			engine_note(
			    p->opt.ev, NOTE_WARNING,
			    "warning: --max-runs %d: a gain needs at least %zu pairs at %.0f%% "
			    "confidence, so no candidate can be accepted on %s (raise --max-runs, "
			    "or use an exact objective such as instructions)",
			    p->opt.m.max_runs, stats_sign_min_pairs(p->opt.m.level),
			    p->opt.m.level * 100, p->obj.name);
	}
	measure_outcome_release(&o);
	child_release(&ch);
out:
	if (s.ws_fd >= 0)
		close(s.ws_fd);
	buf_release(&d);
	buf_release(&tr);
	return st;
}

enum engine_status pipeline_baseline(struct pipeline *p, struct candidate *b, struct buf *err)
{
	const struct target *t = p->t;
	struct buf why = BUF_INIT;
	enum engine_status st = ENGINE_OK;
	int r;

	p->orig = b;
	engine_note(p->opt.ev, NOTE_PROGRESS, "[%s] building the original", t->name);
	b->stage = STAGE_MATERIALIZE;
	if (pipeline_materialize(p, b, err) < 0) {
		st = ENGINE_ERROR;
		goto out;
	}
	b->stage = STAGE_BUILD;
	r = pipeline_build(p, b, &why, err);
	if (r < 0) {
		st = ENGINE_ERROR;
		goto out;
	}
	if (r) {
		st = fail_baseline(p, b, CAND_BUILD_FAILED, err, "the original does not build: %s",
		                   why.data);
		goto out;
	}
	if (ws_build_products(b->workdir, b->build_hash, &b->compiler_lines, err) < 0) {
		st = ENGINE_ERROR;
		goto out;
	}
	if ((st = baseline_verify(p, b, err)) != ENGINE_OK || pipeline_cancelled(p))
		goto out;
	if ((st = baseline_run(p, b, err)) != ENGINE_OK || pipeline_cancelled(p))
		goto out;
	b->stage = STAGE_TEST;
	buf_reset(&why);
	r = pipeline_test(p, b, &why, err);
	if (r) {
		st = r < 0 ? ENGINE_ERROR
		           : fail_baseline(p, b, CAND_TEST_FAILED, err,
		                           "the original fails its test: %s", why.data);
		goto out;
	}
	b->stage = STAGE_PROTECTED;
	buf_reset(&why);
	r = ws_check_protected(p->pristine, b->workdir, t, &p->original_files, &why, err);
	if (r) {
		st = r < 0 ? ENGINE_ERROR
		           : fail_baseline(p, b, CAND_PROTECTED_CHANGED, err,
		                           "building or running the original changes a file: %s",
		                           why.data);
		goto out;
	}
	if (pipeline_cancelled(p) || p->opt.check_only)
		goto out;
	/* Candidates are timed against this build: sealed now, checked before each timed run. */
	if (pipeline_seal(p, b, err) < 0) {
		st = ENGINE_ERROR;
		goto out;
	}
	if ((st = baseline_measure(p, b, err)) != ENGINE_OK)
		goto out;
	b->stage = STAGE_PROFILE;
	pipeline_profile_measured(p, b, 1);
	b->stage = STAGE_DONE;
	candidate_set(b, CAND_ACCEPTED, NULL);
out:
	/* A run cut short by the interrupt says nothing about the original:
	 * no "nondeterministic", no "does not build". */
	if ((st == ENGINE_OK || st == ENGINE_BASELINE) && pipeline_cancelled(p)) {
		st = ENGINE_INTERRUPTED;
		err_set(err, "target '%s': interrupted while setting up the original", t->name);
		candidate_set(b, CAND_SKIPPED, "interrupted");
	}
	buf_release(&why);
	return st;
}

int pipeline_reverify(struct pipeline *p, struct candidate *c, struct buf *why, struct buf *err)
{
	const struct target *t = p->t;
	struct capture *caps;
	int r;

	/* A fresh workspace and build, so nothing left from the search is trusted. */
	if (pipeline_materialize(p, c, err) < 0)
		return -1;
	r = pipeline_build(p, c, why, err);
	if (r != 0)
		return r;
	caps = xcalloc(t->nverify + 1, sizeof(*caps));
	r = pipeline_verify_set(p, c, "reverify", caps, why, err);
	if (r == 0)
		r = pipeline_compare_verify(p, p->verify_ref, caps, why, err);
	pipeline_captures_free(p, caps);
	if (r == 0) {
		struct capture run = {0};
		struct buf msg = BUF_INIT;
		r = pipeline_capture_run(p, c, "reverify-run", &run, err);
		if (r == 0)
			r = verify_compare(&p->run_ref, &run, t->run_compare, t->nrun_compare,
			                   t->rtol, t->atol, &msg, err);
		if (r == 1)
			buf_setf(why, "the timed run: %s", msg.data);
		capture_release(&run);
		buf_release(&msg);
	}
	if (r == 0)
		r = pipeline_test(p, c, why, err);
	if (r == 0 && !c->source_tree)
		r = ws_check_protected(p->pristine, c->workdir, t, &p->original_files, why, err);
	return r;
}
