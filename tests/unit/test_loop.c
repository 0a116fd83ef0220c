/*
 * test_loop.c: the scheduler with a scripted proposer on a real target
 * (engine_fixture.h): accept, reject, the confirmation of a chain and its
 * roll-back, interruption, a proposer's stop and error, duplicates, and an
 * original that does not build. Decisions use exact instruction counts
 * (cachegrind), so a loaded machine cannot change them; one test takes the
 * time objective with sleeps ten times apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/loop.h"
#include "engine/proposer.h"
#include "engine_fixture.h"
#include "prof/counters.h"
#include "test_util.h"

/* ---- a scripted proposer ---- */

struct step {
	const char *label;
	int ms;
	long work;        /* thousands of loop iterations */
	long value;       /* what the program prints (42 is right) */
	int parent;       /* -1: the current best */
	const char *prog; /* a whole prog.c instead of ms/value */
};

struct script {
	const struct step *steps;
	size_t nsteps, next;
	size_t batch;        /* candidates per propose() */
	int stop_after;      /* PROPOSER_STOP once this many were proposed; -1 = never */
	int fail_after;      /* -1 once this many were proposed; -1 = never */
	int cancel_after_id; /* set the cancel flag when this id is fed back; 0 = never */
	volatile sig_atomic_t *cancel;
	enum cand_status seen[32];
	int nseen;
};

static int script_propose(struct proposer *self, const struct run_view *v, struct candidate **out,
                          size_t max, struct buf *err)
{
	struct script *s = self->impl;
	size_t n = 0;

	(void)v;
	if (s->stop_after >= 0 && (int)s->next >= s->stop_after) {
		err_set(err, "token budget reached");
		return PROPOSER_STOP;
	}
	if (s->fail_after >= 0 && (int)s->next >= s->fail_after)
		return err_set(err, "the model is gone");
	while (s->next < s->nsteps && n < max && n < (s->batch ? s->batch : 1)) {
		const struct step *st = &s->steps[s->next++];
		struct candidate *c;
		if (st->prog) {
			c = candidate_new("dir", st->label);
			candidate_add_file(c, "prog.c", st->prog, strlen(st->prog));
		} else {
			c = fixture_candidate(st->label, st->ms, st->work, st->value);
		}
		c->parent = st->parent;
		out[n++] = c;
	}
	return (int)n;
}

static void script_feedback(struct proposer *self, const struct run_view *v,
                            const struct candidate *c)
{
	struct script *s = self->impl;

	(void)v;
	if (s->nseen < 32)
		s->seen[s->nseen++] = c->status;
	if (s->cancel_after_id && c->id == s->cancel_after_id)
		*s->cancel = 1;
}

static void script_release(struct proposer *self)
{
	(void)self;
}

static struct proposer script_proposer(struct script *s)
{
	struct proposer p = {"script", script_propose, script_feedback, NULL, script_release, s};
	return p;
}

/* ---- running a loop ---- */

struct run {
	struct fixture f;
	struct pipeline *p;
	struct loop *l;
	volatile sig_atomic_t cancel;
	int done_calls;
};

static void on_done(void *ctx, const struct run_view *v, const struct candidate *c)
{
	struct run *r = ctx;
	(void)v;
	(void)c;
	r->done_calls++;
}

static struct engine_events events = {NULL, NULL, on_done, NULL};

#define INSTRUCTIONS "\"objective\": \"instructions\","

static enum engine_status run_script(struct run *r, int orig_ms, long orig_work, const char *extra,
                                     struct script *s, struct buf *err)
{
	struct pipeline_options po;
	struct loop_options lo = {0};
	struct proposer prop;
	enum engine_status st;

	fixture_init(&r->f, orig_ms, orig_work, extra);
	pipeline_options_default(&po);
	if (extra && strstr(extra, "instructions"))
		po.counters = "cachegrind";
	po.target = &r->f.m.targets[0];
	po.state_dir = r->f.state;
	po.run_id = "test";
	po.profile = 0;
	po.m.min_runs = 5;
	po.m.max_runs = 15;
	po.cancel = &r->cancel;
	events.ctx = r;
	po.ev = &events;
	st = pipeline_open(&po, &r->p, err);
	assert_int_equal(st, ENGINE_OK);
	r->l = loop_new(r->p, &lo, &events);
	if (s) {
		s->cancel = &r->cancel;
		prop = script_proposer(s);
	}
	return loop_run(r->l, s ? &prop : NULL, err);
}

static void run_release(struct run *r)
{
	loop_free(r->l);
	pipeline_close(r->p);
	fixture_release(&r->f);
}

static void print_candidates(struct run *r)
{
	const struct run_view *v = loop_view(r->l);
	for (size_t i = 0; i < v->ncands; i++) {
		const struct candidate *c = v->cands[i];
		fprintf(stderr, "c%d %s: %s\n", c->id, cand_status_name(c->status), c->reason);
		for (size_t k = 0; k < c->nchecks; k++)
			fprintf(stderr, "  check vs c%d: %s\n", c->checks[k].m.compared_with,
			        c->checks[k].reason);
	}
}

static const struct candidate *cand(struct run *r, int id)
{
	const struct candidate *c = view_candidate(loop_view(r->l), id);
	assert_non_null(c);
	return c;
}

/* ---- the tests ---- */

static void test_accept_reject_verify(void **state)
{
	static const struct step steps[] = {
	    {"fast", 0, 100, 42, -1, NULL},
	    {"slower than the best", 0, 200, 42, -1, NULL},
	    {"wrong", 0, 10, 41, -1, NULL},
	};
	struct script s = {steps, 3, 0, 1, -1, -1, 0, NULL, {0}, 0};
	struct run r;
	struct buf err = BUF_INIT;
	const struct run_view *v;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_script(&r, 0, 400, INSTRUCTIONS, &s, &err), ENGINE_OK);
	v = loop_view(r.l);
	assert_int_equal(v->ncands, 4);
	assert_int_equal(cand(&r, 1)->status, CAND_ACCEPTED);
	assert_int_equal(cand(&r, 1)->meas.compared_with, 0);
	assert_true(cand(&r, 1)->meas.deterministic);
	assert_int_equal(cand(&r, 2)->status, CAND_NOT_FASTER);
	assert_int_equal(cand(&r, 2)->parent, 1); /* built on the best of its time */
	assert_int_equal(cand(&r, 2)->meas.compared_with, 1);
	assert_int_equal(cand(&r, 3)->status, CAND_VERIFY_FAILED);
	assert_int_equal(cand(&r, 3)->stage, STAGE_VERIFY);
	assert_non_null(strstr(cand(&r, 3)->reason, "expected '42' but got '41'"));
	assert_int_equal(v->best, 1);
	/* The headline is a fresh head-to-head of the winner against the original. */
	assert_int_equal(v->headline, 1);
	assert_int_equal(cand(&r, 1)->nchecks, 1);
	assert_int_equal(cand(&r, 1)->checks[0].m.compared_with, 0);
	assert_int_equal(cand(&r, 1)->checks[0].verdict, CAND_ACCEPTED);
	assert_true(cand(&r, 1)->checks[0].m.ci.estimate < 0.5);
	/* The proposer heard every outcome, in order. */
	assert_int_equal(s.nseen, 3);
	assert_int_equal(s.seen[0], CAND_ACCEPTED);
	assert_int_equal(s.seen[1], CAND_NOT_FASTER);
	assert_int_equal(s.seen[2], CAND_VERIFY_FAILED);
	/* candidate_done: the original, three candidates, the confirmation. */
	assert_true(r.done_calls >= 5);
	buf_release(&err);
	run_release(&r);
}

/* The time objective: interleaved pairs, sleeps ten times apart. */
static void test_time_objective(void **state)
{
	static const struct step steps[] = {
	    {"fast", 15, 0, 42, -1, NULL},
	    {"slow", 300, 0, 42, -1, NULL},
	};
	struct script s = {steps, 2, 0, 1, -1, -1, 0, NULL, {0}, 0};
	struct run r;
	struct buf err = BUF_INIT;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_script(&r, 150, 0, NULL, &s, &err), ENGINE_OK);
	if (cand(&r, 1)->status != CAND_ACCEPTED)
		print_candidates(&r);
	assert_int_equal(cand(&r, 1)->status, CAND_ACCEPTED);
	assert_false(cand(&r, 1)->meas.deterministic);
	assert_true(cand(&r, 1)->meas.nsamples >= 5);
	assert_int_equal(cand(&r, 2)->status, CAND_NOT_FASTER);
	assert_int_equal(loop_view(r.l)->best, 1);
	buf_release(&err);
	run_release(&r);
}

static void test_chain_confirmed(void **state)
{
	static const struct step steps[] = {
	    {"medium", 0, 200, 42, -1, NULL},
	    {"fast", 0, 50, 42, -1, NULL},
	};
	struct script s = {steps, 2, 0, 1, -1, -1, 0, NULL, {0}, 0};
	struct run r;
	struct buf err = BUF_INIT, lineage = BUF_INIT;
	const struct candidate *w;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_script(&r, 0, 400, INSTRUCTIONS, &s, &err), ENGINE_OK);
	assert_int_equal(loop_view(r.l)->best, 2);
	w = cand(&r, 2);
	assert_int_equal(w->meas.compared_with, 1);
	/* c2 against its base c1, then against the original. */
	assert_int_equal(w->nchecks, 2);
	assert_int_equal(w->checks[0].m.compared_with, 1);
	assert_int_equal(w->checks[0].verdict, CAND_ACCEPTED);
	assert_int_equal(w->checks[1].m.compared_with, 0);
	assert_int_equal(loop_view(r.l)->headline, 2);
	view_lineage(loop_view(r.l), 2, &lineage);
	assert_string_equal(lineage.data, "medium + fast");
	buf_release(&lineage);
	buf_release(&err);
	run_release(&r);
}

/*
 * c2 does less work only on its first two runs (a counter in its own
 * workspace): its verify run and the one run of the deterministic
 * comparison. It wins against c1 during the search; the confirmation, a
 * fresh run, finds the addition gives nothing: the simpler c1 is kept.
 */
static void test_chain_rolled_back(void **state)
{
	static const char flaky[] =
	    "#include <stdio.h>\n"
	    "int main(void)\n{\n"
	    "\tint n = 0;\n\tFILE *f = fopen(\"count\", \"r\");\n"
	    "\tif (f) { if (fscanf(f, \"%d\", &n) != 1) n = 0; fclose(f); }\n"
	    "\tf = fopen(\"count\", \"w\");\n\tif (f) { fprintf(f, \"%d\\n\", n + 1); fclose(f); "
	    "}\n"
	    "\tvolatile unsigned long s = 0;\n"
	    "\tfor (long i = 0; i < (n < 2 ? 50L : 200L) * 1000L; i++)\n"
	    "\t\ts += (unsigned long)i % 7;\n"
	    "\tprintf(\"sum 42\\n\");\n\treturn 0;\n}\n";
	static const struct step steps[] = {
	    {"medium", 0, 200, 42, -1, NULL},
	    {"less work at first", 0, 0, 0, -1, flaky},
	};
	struct script s = {steps, 2, 0, 1, -1, -1, 0, NULL, {0}, 0};
	struct run r;
	struct buf err = BUF_INIT;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_script(&r, 0, 400, INSTRUCTIONS, &s, &err), ENGINE_OK);
	if (cand(&r, 2)->status != CAND_ACCEPTED || loop_view(r.l)->best != 1)
		print_candidates(&r);
	assert_int_equal(cand(&r, 2)->status, CAND_ACCEPTED); /* during the search */
	assert_int_equal(cand(&r, 2)->nchecks, 1);
	assert_int_equal(cand(&r, 2)->checks[0].verdict, CAND_NOT_FASTER);
	assert_int_equal(loop_view(r.l)->best, 1);
	assert_int_equal(loop_view(r.l)->headline, 1);
	assert_int_equal(cand(&r, 1)->checks[cand(&r, 1)->nchecks - 1].m.compared_with, 0);
	buf_release(&err);
	run_release(&r);
}

static void test_interrupt(void **state)
{
	static const struct step steps[] = {
	    {"fast", 10, 0, 42, -1, NULL},
	    {"faster", 5, 0, 42, -1, NULL},
	};
	struct script s = {steps, 2, 0, 2, -1, -1, 1, NULL, {0}, 0};
	struct run r;
	struct buf err = BUF_INIT;
	const struct run_view *v;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_script(&r, 30, 0, NULL, &s, &err), ENGINE_INTERRUPTED);
	v = loop_view(r.l);
	assert_int_equal(cand(&r, 2)->status, CAND_SKIPPED);
	assert_true(v->stopped);
	assert_string_equal(v->stop_reason, "interrupted");
	/* Nothing is confirmed after an interrupt: no check was made. */
	assert_int_equal(cand(&r, 1)->nchecks, 0);
	buf_release(&err);
	run_release(&r);
}

static void test_proposer_stop_and_error(void **state)
{
	static const struct step steps[] = {
	    {"fast", 0, 100, 42, -1, NULL},
	    {"never proposed", 0, 50, 42, -1, NULL},
	};
	struct script s = {steps, 2, 0, 1, 1, -1, 0, NULL, {0}, 0};
	struct script e = {steps, 2, 0, 1, -1, 1, 0, NULL, {0}, 0};
	struct run r;
	struct buf err = BUF_INIT;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_script(&r, 0, 400, INSTRUCTIONS, &s, &err), ENGINE_OK);
	assert_int_equal(loop_view(r.l)->ncands, 2);
	assert_true(loop_view(r.l)->stopped);
	assert_string_equal(loop_view(r.l)->stop_reason, "token budget reached");
	assert_int_equal(loop_view(r.l)->best, 1); /* still confirmed and kept */
	run_release(&r);

	memset(&r, 0, sizeof(r));
	buf_reset(&err);
	assert_int_equal(run_script(&r, 0, 400, INSTRUCTIONS, &e, &err), ENGINE_PROPOSER);
	assert_string_equal(loop_view(r.l)->stop_reason, "the model is gone");
	buf_release(&err);
	run_release(&r);
}

static void test_duplicate_and_no_proposer(void **state)
{
	static const struct step steps[] = {
	    {"a", 31, 0, 42, 0, NULL},
	    {"a again", 31, 0, 42, 0, NULL},
	    {"same as the original", 30, 0, 42, 0, NULL},
	};
	struct script s = {steps, 3, 0, 3, -1, -1, 0, NULL, {0}, 0};
	struct run r;
	struct buf err = BUF_INIT;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(run_script(&r, 30, 0, NULL, &s, &err), ENGINE_OK);
	assert_int_equal(cand(&r, 2)->status, CAND_DUPLICATE);
	assert_non_null(strstr(cand(&r, 2)->reason, "identical to c1"));
	/* An edit that restores the original text is the original itself. */
	assert_int_equal(cand(&r, 3)->status, CAND_DUPLICATE);
	assert_non_null(strstr(cand(&r, 3)->reason, "identical to c0"));
	run_release(&r);

	memset(&r, 0, sizeof(r));
	assert_int_equal(run_script(&r, 5, 0, NULL, NULL, &err), ENGINE_OK);
	assert_int_equal(loop_view(r.l)->ncands, 1);
	assert_int_equal(loop_view(r.l)->best, 0);
	assert_int_equal(loop_view(r.l)->headline, -1);
	buf_release(&err);
	run_release(&r);
}

static void test_original_does_not_build(void **state)
{
	struct run r;
	struct buf err = BUF_INIT;
	struct pipeline_options po;
	struct loop_options lo = {0};

	(void)state;
	memset(&r, 0, sizeof(r));
	fixture_init(&r.f, 5, 0, NULL);
	fixture_put(&r.f, "prog.c", "int main(void) { return 0 }\n");
	pipeline_options_default(&po);
	po.target = &r.f.m.targets[0];
	po.state_dir = r.f.state;
	po.run_id = "test";
	po.profile = 0;
	assert_int_equal(pipeline_open(&po, &r.p, &err), ENGINE_OK);
	r.l = loop_new(r.p, &lo, NULL);
	assert_int_equal(loop_run(r.l, NULL, &err), ENGINE_BASELINE);
	assert_int_equal(cand(&r, 0)->status, CAND_BUILD_FAILED);
	assert_int_equal(cand(&r, 0)->stage, STAGE_BUILD);
	assert_non_null(strstr(err.data, "the original does not build"));
	assert_non_null(strstr(cand(&r, 0)->reason, "error"));
	buf_release(&err);
	run_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_reject_verify),
	    cmocka_unit_test(test_time_objective),
	    cmocka_unit_test(test_chain_confirmed),
	    cmocka_unit_test(test_chain_rolled_back),
	    cmocka_unit_test(test_interrupt),
	    cmocka_unit_test(test_proposer_stop_and_error),
	    cmocka_unit_test(test_duplicate_and_no_proposer),
	    cmocka_unit_test(test_original_does_not_build),
	};
	return test_run(tests, NULL, NULL);
}
