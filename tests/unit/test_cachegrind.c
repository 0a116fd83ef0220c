/*
 * The cachegrind backend: deterministic instruction counts, the direction
 * of simulated D1 misses for a cache-hostile vs cache-friendly traversal,
 * per-line hotspots with miss counts, events it cannot simulate reported as
 * unsupported, and a plain error for an instruction valgrind cannot run.
 * Without valgrind in PATH the backend says so (tested with a PATH without it);
 * the tests that run it fail where it is not installed, unless
 * OPTIMIZE_TEST_NO_VALGRIND=1 skips them. Inputs are small: valgrind is
 * slow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "prof/counters.h"
#include "base/proc.h"
#include "prof/profile.h"
#include "test_util.h"

#define CACHE_DIR TEST_FIXTURES_DIR "/cache"

static char workdir[4096];

static int build(const char *cmd)
{
	struct proc_spec spec;
	struct proc_result res;
	struct buf err = BUF_INIT, out = BUF_INIT;
	int rc = 0;

	buf_init(&err, 0);
	buf_init(&out, 0);
	proc_spec_init(&spec);
	spec.cwd = workdir;
	spec.stderr_buf = &out;
	spec.timeout_s = 120;
	if (proc_run_sh(&spec, cmd, &res, &err) < 0 || !proc_result_ok(&res)) {
		fprintf(stderr, "cannot build: %s: %s%s\n", cmd, err.data, out.data);
		rc = -1;
	}
	buf_release(&err);
	buf_release(&out);
	return rc;
}

static int setup(void **state)
{
	(void)state;
	snprintf(workdir, sizeof(workdir), "%s/cachegrind-XXXXXX", test_tmpdir());
	if (!mkdtemp(workdir))
		return -1;
	if (build("cc -O2 -g -o cache '" CACHE_DIR "/cache.c'") < 0 ||
	    build("cc -O2 -g -o badinsn '" CACHE_DIR "/badinsn.c'") < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct buf cmd = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	(void)state;
	buf_init(&cmd, 0);
	buf_addf(&cmd, "rm -rf '%s'", workdir);
	proc_spec_init(&spec);
	proc_run_sh(&spec, cmd.data, &res, NULL);
	buf_release(&cmd);
	return 0;
}

/* Run cmd under cachegrind; returns run()'s result, err filled on failure. */
static int cg(const char *cmd, const char *const *events, int hotspots, struct profile *p,
              struct proc_result *res, struct buf *err)
{
	struct counter_request req;
	struct proc_spec spec;
	struct buf out = BUF_INIT;
	int rc;

	buf_init(&out, 0);
	proc_spec_init(&spec);
	spec.cwd = workdir;
	spec.stdout_buf = &out;
	spec.timeout_s = 60;
	memset(&req, 0, sizeof(req));
	req.spec = &spec;
	req.cmd = cmd;
	req.events = events;
	req.hotspots = hotspots;
	profile_init(p);
	rc = counters_cachegrind.run(&req, res, p, err);
	buf_release(&out);
	return rc;
}

static double simulated(const struct profile *p, const char *name)
{
	const struct metric *m = profile_find(p, name);

	assert_non_null(m);
	assert_int_equal(m->source, SRC_SIMULATED);
	assert_string_equal(m->backend, "cachegrind");
	return m->value;
}

static void test_backend_entry(void **state)
{
	(void)state;
	assert_string_equal(counters_cachegrind.name, "cachegrind");
	assert_int_equal(counters_cachegrind.deterministic, 1);
	assert_ptr_equal(counters_backend("cachegrind"), &counters_cachegrind);
}

static void test_deterministic(void **state)
{
	struct profile a, b;
	struct proc_result res;
	struct buf err = BUF_INIT;
	double ia, ib;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	buf_init(&err, 0);
	if (cg("./cache friendly 128", NULL, 0, &a, &res, &err) < 0)
		fail_msg("cachegrind: %s", err.data);
	assert_true(proc_result_ok(&res));
	if (cg("./cache friendly 128", NULL, 0, &b, &res, &err) < 0)
		fail_msg("cachegrind: %s", err.data);
	ia = simulated(&a, "instructions");
	ib = simulated(&b, "instructions");
	fprintf(stderr, "# instructions: %.0f and %.0f\n", ia, ib);
	assert_true(ia > 100000);
	assert_true(ia == ib);
	assert_true(simulated(&a, "branches") == simulated(&b, "branches"));
	assert_true(simulated(&a, "L1-dcache-load-misses") ==
	            simulated(&b, "L1-dcache-load-misses"));
	/* rusage figures come with every backend */
	assert_non_null(profile_find(&a, "wall-time"));
	/* no hotspots unless asked */
	assert_int_equal(a.nfunctions, 0);
	profile_release(&a);
	profile_release(&b);
	buf_release(&err);
}

static void test_cache_hostile_misses_more(void **state)
{
	struct profile f, h;
	struct proc_result res;
	struct buf err = BUF_INIT;
	double mf, mh;
	size_t i;
	int found = 0;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	buf_init(&err, 0);
	if (cg("./cache friendly 256 4", NULL, 0, &f, &res, &err) < 0)
		fail_msg("cachegrind: %s", err.data);
	if (cg("./cache hostile 256 4", NULL, 1, &h, &res, &err) < 0)
		fail_msg("cachegrind: %s", err.data);
	mf = simulated(&f, "L1-dcache-load-misses");
	mh = simulated(&h, "L1-dcache-load-misses");
	fprintf(stderr, "# D1 read misses: friendly %.0f, hostile %.0f\n", mf, mh);
	assert_true(mh > 3 * mf);

	/* hotspots from cachegrind's per-line data */
	assert_string_equal(h.hotspot_source, "cachegrind (instructions executed)");
	assert_true(h.nfunctions > 0 && h.nlines > 0);
	assert_string_equal(h.functions[0].name, "sum_columns");
	assert_string_equal(h.functions[0].module, "cache");
	assert_true(h.functions[0].ir > 0 && h.functions[0].pct > 10);
	for (i = 0; i < h.nlines; i++) {
		const struct hot_line *l = &h.lines[i];

		if (strcmp(l->function, "sum_columns") || l->d1mr < 30000)
			continue;
		assert_non_null(strstr(l->file, "cache.c"));
		assert_non_null(l->text);
		assert_non_null(strstr(l->text, "m[i * n + j]"));
		fprintf(stderr, "# %s:%d Ir %llu D1mr %llu | %s\n", l->file, l->line,
		        (unsigned long long)l->ir, (unsigned long long)l->d1mr, l->text);
		found = 1;
	}
	assert_true(found);
	profile_release(&f);
	profile_release(&h);
	buf_release(&err);
}

static void test_unsimulated_event(void **state)
{
	static const char *const events[] = {"instructions", "cycles", NULL};
	struct profile p;
	struct proc_result res;
	struct buf err = BUF_INIT;
	const struct metric *m;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	buf_init(&err, 0);
	if (cg("./cache friendly 16", events, 0, &p, &res, &err) < 0)
		fail_msg("cachegrind: %s", err.data);
	assert_true(simulated(&p, "instructions") > 0);
	m = profile_find(&p, "cycles");
	assert_non_null(m);
	assert_int_equal(m->source, SRC_UNSUPPORTED);
	assert_non_null(strstr(m->reason, "cachegrind does not simulate"));
	assert_null(profile_find(&p, "branches"));
	profile_release(&p);
	buf_release(&err);
}

static void test_unsupported_instruction(void **state)
{
	struct profile p;
	struct proc_result res;
	struct buf err = BUF_INIT;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	buf_init(&err, 0);
	assert_int_equal(cg("./badinsn", NULL, 1, &p, &res, &err), -1);
	fprintf(stderr, "# %s\n", err.data);
	assert_non_null(strstr(err.data, "valgrind cannot run this binary"));
	assert_non_null(strstr(err.data, "measure a build without those flags"));
	/* never a count of 0 */
	assert_null(profile_find(&p, "instructions"));
	profile_release(&p);
	buf_release(&err);
}

/* PATH set to dir, or back to saved (NULL: unset). */
static void set_path(const char *dir)
{
	if (dir)
		setenv("PATH", dir, 1);
	else
		unsetenv("PATH");
}

/* Without valgrind in PATH: the probe and a run say so, plainly. */
static void test_without_valgrind(void **state)
{
	char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct profile p;
	struct proc_result res;
	struct buf err = BUF_INIT;
	int probe, run;

	(void)state;
	buf_init(&err, 0);
	set_path(workdir); /* holds the fixture programs, no valgrind */
	probe = counters_cachegrind.probe(&err);
	set_path(saved);
	assert_int_equal(probe, -1);
	assert_string_equal(err.data, "valgrind not found: apt-get install valgrind");
	buf_reset(&err);
	set_path(workdir);
	run = cg("./cache friendly 16", NULL, 0, &p, &res, &err);
	set_path(saved);
	free(saved);
	assert_int_equal(run, -1);
	assert_string_equal(err.data, "valgrind not found: apt-get install valgrind");
	profile_release(&p);
	buf_release(&err);
}

/* A program that fails is the program's outcome, not a backend error. */
static void test_failing_program(void **state)
{
	struct profile p;
	struct proc_result res;
	struct buf err = BUF_INIT;

	(void)state;
	test_require(TEST_NEED_VALGRIND, counters_cachegrind.probe);
	buf_init(&err, 0);
	if (cg("./cache bogus", NULL, 0, &p, &res, &err) < 0)
		fail_msg("cachegrind: %s", err.data);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 2);
	profile_release(&p);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backend_entry),
	    cmocka_unit_test(test_without_valgrind),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_cache_hostile_misses_more),
	    cmocka_unit_test(test_unsimulated_event),
	    cmocka_unit_test(test_unsupported_instruction),
	    cmocka_unit_test(test_failing_program),
	};

	return test_run(tests, setup, teardown);
}
