/*
 * test_measure.c: the measurement engine (engine/measure.h) and the
 * objectives it measures (engine/objective.h), on real processes: two
 * sides that sleep for different times, so the decisions do not depend on
 * how busy the machine is (a sleep's length barely moves under load, and
 * every threshold below leaves a wide margin).
 *
 * What it checks: a clearly faster side is FASTER with an interval below 1
 * and never on fewer pairs than the sign test allows; the same program on
 * both sides is never FASTER; a candidate whose timed output differs from
 * the reference, one that fails a run, one whose seal check fails, and an
 * interrupt each stop the measurement with the right outcome; a fresh
 * entry reaches both sides of each pair; measure_single; and objective_resolve
 * and objective_run for time, cpu-time, max-rss and kernel_time, with an
 * unknown objective named in the error. Deterministic counts (cachegrind)
 * decide on one pair where valgrind is installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/proc.h"
#include "engine/manifest.h"
#include "engine/measure.h"
#include "engine/objective.h"
#include "engine/stats.h"
#include "prof/counters.h"
#include "test_util.h"

/* One side: a directory holding an executable ./prog with this body. */
struct side {
	char dir[512];
	struct proc_spec spec;
	struct measure_side ms;
};

static void side_make(struct side *s, const char *name, const char *body)
{
	char prog[600];
	struct buf text = BUF_INIT, err = BUF_INIT;

	snprintf(s->dir, sizeof(s->dir), "%s/%s", test_tmpdir(), name);
	mkdir(s->dir, 0755);
	snprintf(prog, sizeof(prog), "%s/prog", s->dir);
	buf_addf(&text, "#!/bin/sh\n%s\n", body);
	if (file_write_atomic(prog, text.data, text.len, 0755, &err) < 0)
		fail_msg("%s", err.data);
	proc_spec_init(&s->spec);
	s->spec.cwd = s->dir;
	s->spec.timeout_s = 30;
	memset(&s->ms, 0, sizeof(s->ms));
	s->ms.spec = &s->spec;
	s->ms.ws_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(s->ms.ws_fd >= 0);
	buf_release(&text);
	buf_release(&err);
}

static void side_free(struct side *s)
{
	close(s->ms.ws_fd);
	test_rmtree(s->dir);
}

/* What a target compares when its manifest names nothing: stdout. */
static const struct compare_item stdout_item = {COMPARE_STDOUT, NULL};

static void config_init(struct measure_config *c)
{
	memset(c, 0, sizeof(*c));
	c->items = &stdout_item;
	c->nitems = 1;
	c->cmd = "./prog";
	c->min_runs = 3;
	c->max_runs = 12;
	c->warmup = 1;
	c->min_gain = 0.03;
	c->level = STATS_DEFAULT_LEVEL;
	c->seed = 1;
	c->cpu = -1;
}

static void resolve(const char *name, struct objective *o)
{
	struct buf err = BUF_INIT;

	if (objective_resolve(name, NULL, o, &err) < 0)
		fail_msg("objective_resolve(%s): %s", name, err.data);
	buf_release(&err);
}

/* Measure cand against base on `objective` with c; returns the outcome (caller releases). */
static void compare(const struct measure_config *c, const char *objective, struct side *base,
                    struct side *cand, struct measure_outcome *o)
{
	struct objective obj;
	struct buf err = BUF_INIT;

	resolve(objective, &obj);
	measure_outcome_init(o);
	if (measure_pair(c, &obj, &base->ms, &cand->ms, o, &err) < 0)
		fail_msg("measure_pair: %s", err.data);
	objective_release(&obj);
	buf_release(&err);
}

/* 60 ms against 20 ms: FASTER, its interval below 1, and not before the sign test allows. */
static void test_faster_side(void **state)
{
	struct side base, cand;
	struct measure_config c;
	struct measure_outcome o;

	(void)state;
	side_make(&base, "slow", "sleep 0.06; echo 42");
	side_make(&cand, "fast", "sleep 0.02; echo 42");
	config_init(&c);
	compare(&c, "time", &base, &cand, &o);
	assert_int_equal(o.failed, 0);
	assert_int_equal(o.verdict, VERDICT_FASTER);
	assert_true(o.ci.hi < 1);
	assert_true(o.ci.estimate < 0.75);
	assert_true(o.n >= stats_sign_min_pairs(STATS_DEFAULT_LEVEL));
	assert_true(o.n <= (size_t)c.max_runs);
	assert_true(o.base_median > 0.05 && o.cand_median < o.base_median);
	for (size_t i = 0; i < o.n; i++)
		assert_true(o.base[i] > 0.05 && o.cand[i] > 0.015);
	measure_outcome_release(&o);
	side_free(&base);
	side_free(&cand);
}

/* The same program on both sides is never FASTER (a 20% gain asked for: far outside sleep noise).
 */
static void test_same_program_not_faster(void **state)
{
	struct side base, cand;
	struct measure_config c;
	struct measure_outcome o;

	(void)state;
	side_make(&base, "a", "sleep 0.03; echo same");
	side_make(&cand, "b", "sleep 0.03; echo same");
	config_init(&c);
	c.min_gain = 0.2;
	c.max_runs = 8;
	compare(&c, "time", &base, &cand, &o);
	assert_int_equal(o.failed, 0);
	assert_int_equal(o.verdict, VERDICT_NOT_FASTER);
	assert_true(o.ci.lo < 1.2 && o.ci.hi > 0.8);
	measure_outcome_release(&o);
	side_free(&base);
	side_free(&cand);
}

/* With a reference, a candidate that is faster because it prints something else is caught. */
static void test_output_checked_every_run(void **state)
{
	struct side base, cand;
	struct measure_config c;
	struct measure_outcome o;
	struct capture ref;
	struct buf err = BUF_INIT;

	(void)state;
	side_make(&base, "ref", "sleep 0.03; echo 42");
	side_make(&cand, "liar", "echo 41");
	if (verify_capture(&base.spec, "./prog", &stdout_item, 1, base.ms.ws_fd, NULL, &ref, &err) <
	    0)
		fail_msg("verify_capture: %s", err.data);
	config_init(&c);
	c.ref = &ref;
	compare(&c, "time", &base, &cand, &o);
	assert_int_equal(o.failed, 2);
	assert_int_not_equal(o.verdict, VERDICT_FASTER);
	assert_non_null(strstr(o.why.data, "the timed run's"));
	assert_non_null(strstr(o.why.data, "42"));
	measure_outcome_release(&o);
	capture_release(&ref);
	buf_release(&err);
	side_free(&base);
	side_free(&cand);
}

/* A run that fails ends the measurement on that side, with the run's exit status. */
static void test_failed_run(void **state)
{
	struct side base, cand;
	struct measure_config c;
	struct measure_outcome o;

	(void)state;
	side_make(&base, "ok", "echo 1");
	side_make(&cand, "crash", "exit 3");
	config_init(&c);
	compare(&c, "time", &base, &cand, &o);
	assert_int_equal(o.failed, 2);
	assert_int_not_equal(o.verdict, VERDICT_FASTER);
	assert_non_null(strstr(o.why.data, "the timed run failed"));
	assert_non_null(strstr(o.why.data, "3"));
	measure_outcome_release(&o);
	compare(&c, "time", &cand, &base, &o);
	assert_int_equal(o.failed, 1);
	measure_outcome_release(&o);
	side_free(&base);
	side_free(&cand);
}

static int seen_pairs;
static void pair_seed(void *ctx, struct buf *entry)
{
	(void)ctx;
	buf_setf(entry, "TEST_MEASURE_SEED=%d", ++seen_pairs);
}

/* The pair's entry reaches both sides, and the candidate is checked against the base's run of the
 * same pair: one that ignores the seed is caught and the entry is named. */
static void test_pair_env(void **state)
{
	struct side base, cand, fixed;
	struct measure_config c;
	struct measure_outcome o;

	(void)state;
	side_make(&base, "seeded-slow", "sleep 0.05; echo \"s=$TEST_MEASURE_SEED\"");
	side_make(&cand, "seeded-fast", "sleep 0.01; echo \"s=$TEST_MEASURE_SEED\"");
	side_make(&fixed, "memorised", "echo s=1");
	config_init(&c);
	c.pair_env = pair_seed;
	seen_pairs = 0;
	compare(&c, "time", &base, &cand, &o);
	assert_int_equal(o.failed, 0);
	assert_int_equal(o.verdict, VERDICT_FASTER);
	assert_true(seen_pairs >= (int)o.n); /* warm-up pairs get one too */
	measure_outcome_release(&o);
	seen_pairs = 0;
	compare(&c, "time", &base, &fixed, &o);
	assert_int_equal(o.failed, 2);
	assert_non_null(strstr(o.why.data, "TEST_MEASURE_SEED=2"));
	measure_outcome_release(&o);
	side_free(&base);
	side_free(&cand);
	side_free(&fixed);
}

static int checks;
static int seal_check(void *ctx, struct buf *why)
{
	(void)ctx;
	if (++checks < 4)
		return 0;
	buf_setf(why, "its build changed since it was sealed");
	return 1;
}

/* A side whose check fails before a run: tampered, with the check's reason. */
static void test_seal_check(void **state)
{
	struct side base, cand;
	struct measure_config c;
	struct measure_outcome o;

	(void)state;
	side_make(&base, "sealed-base", "echo 1");
	side_make(&cand, "sealed-cand", "echo 1");
	cand.ms.check = seal_check;
	checks = 0;
	config_init(&c);
	compare(&c, "time", &base, &cand, &o);
	assert_int_equal(o.tampered, 2);
	assert_int_equal(o.failed, 2);
	assert_int_equal(checks, 4);
	assert_non_null(strstr(o.why.data, "sealed"));
	measure_outcome_release(&o);
	side_free(&base);
	side_free(&cand);
}

static int refuse_enter(void *ctx)
{
	(*(int *)ctx)++;
	return -1;
}
static void never_leave(void *ctx)
{
	(void)ctx;
	fail_msg("leave without a successful enter");
}

/* Interrupted before the first run (the flag set, or the guard giving up): no run, no decision. */
static void test_interrupted(void **state)
{
	struct side base, cand;
	struct measure_config c;
	struct measure_outcome o;
	volatile sig_atomic_t stop = 1;
	int entered = 0;
	struct measure_guard g = {refuse_enter, never_leave, &entered};

	(void)state;
	side_make(&base, "int-base", "sleep 0.02");
	side_make(&cand, "int-cand", "sleep 0.01");
	config_init(&c);
	c.stop = &stop;
	compare(&c, "time", &base, &cand, &o);
	assert_int_equal(o.interrupted, 1);
	assert_int_not_equal(o.verdict, VERDICT_FASTER);
	assert_int_equal(o.n, 0);
	measure_outcome_release(&o);
	c.stop = NULL;
	c.guard = &g;
	compare(&c, "time", &base, &cand, &o);
	assert_int_equal(entered, 1);
	assert_int_equal(o.interrupted, 1);
	assert_int_equal(o.n, 0);
	measure_outcome_release(&o);
	side_free(&base);
	side_free(&cand);
}

/* n runs of one side: n values, their median. */
static void test_single(void **state)
{
	struct side s;
	struct measure_config c;
	struct measure_outcome o;
	struct objective obj;
	struct buf err = BUF_INIT;

	(void)state;
	side_make(&s, "single", "sleep 0.02");
	config_init(&c);
	resolve("time", &obj);
	measure_outcome_init(&o);
	if (measure_single(&c, &obj, &s.ms, 5, &o, &err) < 0)
		fail_msg("measure_single: %s", err.data);
	assert_int_equal(o.failed, 0);
	assert_int_equal(o.n, 5);
	assert_true(o.base_median >= 0.02 && o.base_median < 5);
	measure_outcome_release(&o);
	objective_release(&obj);
	buf_release(&err);
	side_free(&s);
}

/* The objectives: names, units, sources, and one run of each that needs no hardware. */
static void test_objectives(void **state)
{
	struct side s;
	struct objective o;
	struct proc_result res;
	struct buf err = BUF_INIT;
	double v;

	(void)state;
	resolve("time", &o);
	assert_int_equal(o.kind, OBJ_TIME);
	assert_string_equal(o.unit, "s");
	assert_int_equal(o.deterministic, 0);
	assert_non_null(strstr(o.source, "CLOCK_MONOTONIC"));
	objective_release(&o);
	resolve("kernel_time:matmul", &o);
	assert_int_equal(o.kind, OBJ_KERNEL_TIME);
	assert_string_equal(o.kernel, "matmul");
	assert_string_equal(o.unit, "ms");
	objective_release(&o);
	assert_int_equal(objective_resolve("tiem", NULL, &o, &err), -1);
	assert_non_null(strstr(err.data, "unknown objective 'tiem'"));
	assert_non_null(strstr(err.data, "kernel_time:NAME"));

	/* max-rss: a process that holds 64 MiB reads at least that many KiB */
	side_make(&s, "rss", "exec python3 -c 'b = bytearray(64 << 20); b[-1] = 1'");
	resolve("max-rss", &o);
	assert_string_equal(o.unit, "KiB");
	if (objective_run(&o, &s.spec, "./prog", NULL, &res, &v, NULL, &err) < 0)
		fail_msg("max-rss: %s", err.data);
	assert_true(proc_result_ok(&res));
	assert_true(v >= 64 * 1024);
	objective_release(&o);
	side_free(&s);

	/* cpu-time counts CPU, not waiting: a sleep costs almost none */
	side_make(&s, "cpu", "sleep 0.2");
	resolve("cpu-time", &o);
	if (objective_run(&o, &s.spec, "./prog", NULL, &res, &v, NULL, &err) < 0)
		fail_msg("cpu-time: %s", err.data);
	assert_true(v >= 0 && v < 0.1);
	objective_release(&o);
	resolve("time", &o);
	if (objective_run(&o, &s.spec, "./prog", NULL, &res, &v, NULL, &err) < 0)
		fail_msg("time: %s", err.data);
	assert_true(v >= 0.2);
	objective_release(&o);
	side_free(&s);
	buf_release(&err);
}

/* Exact counts decide on one pair, with the exact ratio (needs valgrind). */
static void test_deterministic_one_pair(void **state)
{
	struct side base, cand;
	struct measure_config c;
	struct measure_outcome o;
	struct objective obj;
	struct buf err = BUF_INIT;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	if (objective_resolve("instructions", "cachegrind", &obj, &err) < 0)
		fail_msg("instructions: %s", err.data);
	assert_int_equal(obj.deterministic, 1);
	side_make(&base, "many", "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done");
	side_make(&cand, "few", "i=0; while [ $i -lt 300 ]; do i=$((i+1)); done");
	config_init(&c);
	measure_outcome_init(&o);
	if (measure_pair(&c, &obj, &base.ms, &cand.ms, &o, &err) < 0)
		fail_msg("measure_pair: %s", err.data);
	assert_int_equal(o.failed, 0);
	assert_int_equal(o.deterministic, 1);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.verdict, VERDICT_FASTER);
	assert_true(o.ci.estimate < 0.5);
	assert_true(o.ci.lo == o.ci.hi || o.ci.hi < 1);
	measure_outcome_release(&o);
	objective_release(&obj);
	buf_release(&err);
	side_free(&base);
	side_free(&cand);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_objectives),
	    cmocka_unit_test(test_faster_side),
	    cmocka_unit_test(test_same_program_not_faster),
	    cmocka_unit_test(test_output_checked_every_run),
	    cmocka_unit_test(test_failed_run),
	    cmocka_unit_test(test_pair_env),
	    cmocka_unit_test(test_seal_check),
	    cmocka_unit_test(test_interrupted),
	    cmocka_unit_test(test_single),
	    cmocka_unit_test(test_deterministic_one_pair),
	};

	return test_run(tests, NULL, NULL);
}
