/*
 * Unit tests for the counter backends: the registry, rusage, perf (software
 * events through a grandchild, hardware events supported or plainly not),
 * PAPI (components, unknown names with close matches).
 *
 * Written to pass on machines with and without a hardware PMU, and with or
 * without PAPI's perf_event component: where an event can be opened, its
 * count must be real; where it cannot, it must be unsupported with a reason,
 * and the run must still succeed. Where perf_event_open is refused
 * altogether that path is tested, then the inheritance test fails unless
 * OPTIMIZE_TEST_NO_PERF=1 skips it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "prof/counters.h"
#include "test_util.h"

/* The grandchild does the work: sh -> sh -> about 0.2 s of arithmetic. */
#define GRANDCHILD_BUSY "sh -c 'i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done'; true"

static void run_backend(const struct counter_backend *b, const char *cmd, const char *const *events,
                        size_t nevents, struct profile *p, struct proc_result *res)
{
	struct counter_request req;
	struct proc_spec spec;
	struct buf err = BUF_INIT;
	int r;

	memset(&req, 0, sizeof(req));
	proc_spec_init(&spec);
	spec.timeout_s = 120;
	req.spec = &spec;
	req.cmd = cmd;
	req.events = events;
	req.nevents = nevents;
	buf_init(&err, 4096);
	r = b->run(&req, res, p, &err);
	if (r != 0)
		print_error("%s backend failed: %s\n", b->name, err.data);
	assert_int_equal(r, 0);
	assert_true(proc_result_ok(res));
	buf_release(&err);
}

static void assert_rusage_present(const struct profile *p)
{
	static const char *const names[] = {"wall-time", "user-time",   "sys-time",
	                                    "max-rss",   "page-faults", "context-switches"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct metric *m = profile_find(p, names[i]);

		assert_non_null(m);
		assert_int_not_equal(m->source, SRC_UNSUPPORTED);
		assert_true(m->value >= 0);
	}
	assert_string_equal(profile_find(p, "wall-time")->backend, "clock");
	assert_string_equal(profile_find(p, "max-rss")->unit, "KiB");
	assert_true(profile_value(p, "max-rss") > 0);
	assert_true(profile_value(p, "wall-time") > 0);
}

static void test_registry(void **state)
{
	const struct counter_backend *const *all = counters_backends();
	const char *const *ev = counters_default_events();
	static const char *const order[] = {"perf", "papi", "cachegrind", "rusage"};
	size_t i, n = 0;

	for (i = 0; all[i]; i++) {
		assert_true(i < 4);
		assert_string_equal(all[i]->name, order[i]);
		assert_ptr_equal(counters_backend(order[i]), all[i]);
		assert_non_null(all[i]->run);
	}
	assert_int_equal(i, 4);
	assert_ptr_equal(counters_backend("perf"), &counters_perf);
	assert_ptr_equal(counters_backend("cachegrind"), &counters_cachegrind);
	assert_null(counters_backend("nope"));
	assert_null(counters_backend(NULL));

	while (ev[n])
		n++;
	assert_int_equal(n, 11);
	assert_string_equal(ev[0], "cycles");
	assert_string_equal(ev[10], "context-switches");
	{
		struct counter_request req;
		const char *two[] = {"a", "b", "c", NULL};

		memset(&req, 0, sizeof(req));
		assert_int_equal(counters_request_count(&req), 11);
		req.events = two;
		assert_int_equal(counters_request_count(&req), 3);
		req.nevents = 2;
		assert_int_equal(counters_request_count(&req), 2);
		assert_string_equal(counters_request_event(&req, 1), "b");
	}
}

static void test_add_rusage(void **state)
{
	struct proc_result res;
	struct profile p;

	memset(&res, 0, sizeof(res));
	res.wall_s = 1.5;
	res.user_s = 1.0;
	res.sys_s = 0.25;
	res.maxrss_kb = 2048;
	res.minflt = 10;
	res.majflt = 2;
	res.nvcsw = 3;
	res.nivcsw = 4;
	profile_init(&p);
	counters_add_rusage(&p, &res);
	assert_true(profile_value(&p, "wall-time") == 1.5);
	assert_true(profile_value(&p, "user-time") == 1.0);
	assert_true(profile_value(&p, "sys-time") == 0.25);
	assert_true(profile_value(&p, "max-rss") == 2048);
	assert_true(profile_value(&p, "page-faults") == 12);
	assert_true(profile_value(&p, "context-switches") == 7);
	assert_string_equal(profile_find(&p, "user-time")->backend, "rusage");
	assert_string_equal(profile_find(&p, "wall-time")->backend, "clock");
	profile_release(&p);

	/* A counter backend's page-faults stays; an unsupported one is replaced. */
	profile_init(&p);
	profile_set_metric(&p, "page-faults", "count", 99, SRC_MEASURED, "perf", 1.0);
	profile_set_unsupported(&p, "context-switches", "count", "perf", "why not");
	counters_add_rusage(&p, &res);
	assert_true(profile_value(&p, "page-faults") == 99);
	assert_string_equal(profile_find(&p, "page-faults")->backend, "perf");
	assert_true(profile_value(&p, "context-switches") == 7);
	profile_release(&p);
}

static void test_rusage_backend(void **state)
{
	const char *ev[] = {"instructions", NULL};
	struct proc_result res;
	struct profile p;
	struct buf why = BUF_INIT;

	buf_init(&why, 256);
	assert_int_equal(counters_rusage.probe(&why), 0);
	profile_init(&p);
	run_backend(&counters_rusage, "true", NULL, 0, &p, &res);
	assert_rusage_present(&p);
	assert_string_equal(p.command, "true");
	profile_release(&p);

	/* An event asked for by name is said to be unsupported, not 0. */
	profile_init(&p);
	run_backend(&counters_rusage, "true", ev, 1, &p, &res);
	assert_int_equal(profile_find(&p, "instructions")->source, SRC_UNSUPPORTED);
	assert_true(strlen(profile_find(&p, "instructions")->reason) > 0);
	profile_release(&p);
	buf_release(&why);
}

static void test_perf_software_inherit(void **state)
{
	const char *ev[] = {"task-clock", "page-faults", "context-switches", NULL};
	struct buf why = BUF_INIT;
	struct proc_result res;
	struct profile p;
	const struct metric *m;

	buf_init(&why, 4096);
	if (counters_perf.probe(&why) < 0) {
		/* perf_event_open is refused here (perf_event_paranoid 3, a seccomp
		 * profile): the run still works, the perf event says why it is not
		 * counted, and the rusage figures stand in for the others. */
		print_message("perf backend unavailable: %s\n", why.data);
		profile_init(&p);
		run_backend(&counters_perf, GRANDCHILD_BUSY, ev, 3, &p, &res);
		m = profile_find(&p, "task-clock");
		assert_non_null(m);
		assert_int_equal(m->source, SRC_UNSUPPORTED);
		assert_non_null(m->reason);
		assert_true(strlen(m->reason) > 10);
		assert_true(isnan(profile_value(&p, "task-clock")));
		assert_rusage_present(&p);
		profile_release(&p);
	}
	buf_release(&why);
	/* Counting a grandchild needs perf_event_open itself. */
	test_require(TEST_NEED_PERF, counters_perf.probe);
	profile_init(&p);
	run_backend(&counters_perf, GRANDCHILD_BUSY, ev, 3, &p, &res);

	m = profile_find(&p, "task-clock");
	assert_non_null(m);
	assert_string_equal(m->backend, "perf");
	assert_true(m->source == SRC_MEASURED || m->source == SRC_SCALED);
	assert_string_equal(m->unit, "ms");
	/* Only the grandchild does work: counting it proves inherit works. */
	print_message("task-clock %.1f ms, user+sys %.3f s\n", m->value, res.user_s + res.sys_s);
	assert_true(m->value > 100.0);
	m = profile_find(&p, "page-faults");
	assert_string_equal(m->backend, "perf");
	assert_true(m->value > 0);
	m = profile_find(&p, "context-switches");
	assert_string_equal(m->backend, "perf");
	assert_int_not_equal(m->source, SRC_UNSUPPORTED);
	assert_rusage_present(&p);
	profile_release(&p);
}

static void test_perf_hardware(void **state)
{
	const char *ev[] = {"instructions", "cycles", "task-clock", "no-such-event-xyz", NULL};
	struct buf why = BUF_INIT;
	struct proc_result res;
	struct profile p;
	size_t i;
	int perf_usable;

	buf_init(&why, 4096);
	perf_usable = counters_perf.probe(&why) == 0;
	profile_init(&p);
	run_backend(&counters_perf, GRANDCHILD_BUSY, ev, 4, &p, &res);
	for (i = 0; i < 2; i++) {
		const struct metric *m = profile_find(&p, ev[i]);

		assert_non_null(m);
		buf_reset(&why);
		if (counters_perf_event_check(ev[i], &why) == 0) {
			/* A machine with a PMU: a real count. */
			assert_true(m->source == SRC_MEASURED || m->source == SRC_SCALED);
			assert_true(m->value > 0);
		} else {
			/* Without one: unsupported, with the reason, never 0. */
			print_message("%s: %s\n", ev[i], why.data);
			assert_int_equal(m->source, SRC_UNSUPPORTED);
			assert_non_null(m->reason);
			assert_true(strlen(m->reason) > 10);
			assert_true(isnan(profile_value(&p, ev[i])));
			/* Where perf_event_open is refused, that is the reason instead. */
			if (perf_usable && !counters_perf_have_pmu())
				assert_non_null(strstr(m->reason, "no hardware PMU"));
		}
	}
	/* An unknown name is unsupported with libpfm4's word for it. */
	assert_int_equal(profile_find(&p, "no-such-event-xyz")->source, SRC_UNSUPPORTED);
	assert_non_null(strstr(profile_find(&p, "no-such-event-xyz")->reason, "unknown event"));
	/* IPC only where both inputs were counted. */
	if (isnan(profile_value(&p, "instructions")) || isnan(profile_value(&p, "cycles")))
		assert_null(profile_find(&p, PROFILE_IPC));
	else
		assert_true(profile_value(&p, PROFILE_IPC) > 0);
	assert_rusage_present(&p);
	profile_release(&p);

	/* The default set: the run succeeds whatever this machine supports. */
	profile_init(&p);
	run_backend(&counters_perf, "true", NULL, 0, &p, &res);
	for (i = 0; counters_default_events()[i]; i++) {
		const struct metric *m = profile_find(&p, counters_default_events()[i]);

		assert_non_null(m);
		if (m->source == SRC_UNSUPPORTED)
			assert_true(m->reason && *m->reason);
	}
	profile_release(&p);
	buf_release(&why);
}

static void test_perf_paranoid(void **state)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = counters_perf_paranoid(), want = -100;

	/* The file's value; -100 where there is none (a kernel without perf
	 * events, some sandboxes). */
	if (f) {
		if (fscanf(f, "%d", &want) != 1)
			want = -100;
		fclose(f);
	}
	assert_int_equal(v, want);
}

static void test_papi_components(void **state)
{
	struct counters_papi_component *c = NULL;
	struct buf err = BUF_INIT;
	size_t n = 0, i, disabled = 0;

	buf_init(&err, 4096);
	assert_int_equal(counters_papi_init(&err), 0);
	assert_int_equal(counters_papi_init(&err), 0); /* once is enough, twice is fine */
	assert_int_equal(counters_papi_components(&c, &n, &err), 0);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		assert_non_null(c[i].name);
		if (c[i].disabled) {
			disabled++;
			assert_non_null(c[i].reason);
			assert_true(strlen(c[i].reason) > 0);
			print_message("PAPI component %s disabled: %s\n", c[i].name, c[i].reason);
		} else {
			assert_null(c[i].reason);
		}
	}
	print_message("%zu of %zu PAPI components disabled\n", disabled, n);
	counters_papi_components_free(c, n);
	buf_release(&err);
}

static void test_papi_unknown_event(void **state)
{
	struct buf err = BUF_INIT;
	int code = 0;

	buf_init(&err, 4096);
	/* Presets are known by name on every machine, whether or not they can
	 * be counted here. */
	assert_int_equal(counters_papi_event_code("PAPI_TOT_INS", &code, &err), 0);
	assert_int_equal(counters_papi_event_code("instructions", &code, &err), 0);
	assert_int_equal(counters_papi_event_code("PAPI_TOT_INZ", &code, &err), -1);
	print_message("%s\n", err.data);
	assert_non_null(strstr(err.data, "unknown PAPI event 'PAPI_TOT_INZ'"));
	assert_non_null(strstr(err.data, "did you mean"));
	assert_non_null(strstr(err.data, "PAPI_TOT_INS"));

	/* Native names come from the active components: perf:: ones only where
	 * PAPI's perf_event component found a PMU ("libpfm4 no default PMU
	 * found" disables it on some virtual machines). */
	buf_reset(&err);
	if (counters_papi_event_code("perf::TASK-CLOCK", &code, &err) == 0) {
		buf_reset(&err);
		assert_int_equal(counters_papi_event_code("perf::TASK-CLOKC", &code, &err), -1);
		print_message("%s\n", err.data);
		assert_non_null(strstr(err.data, "did you mean"));
		assert_non_null(strstr(err.data, "perf::TASK-CLOCK"));
	} else {
		print_message("no perf:: native events here: %s\n", err.data);
		buf_reset(&err);
		assert_int_equal(counters_papi_event_code("perf::TASK-CLOKC", &code, &err), -1);
		print_message("%s\n", err.data);
		/* The name, PAPI's word, and where to look next. */
		assert_non_null(strstr(err.data, "unknown PAPI event 'perf::TASK-CLOKC' (PAPI: "));
		assert_true(
		    strstr(err.data, "did you mean") ||
		    strstr(err.data, "`papi_avail` and `papi_native_avail` list the names"));
		assert_null(strstr(err.data, "perf::TASK-CLOCK"));
	}
	buf_release(&err);
}

static void test_papi_run(void **state)
{
	const char *ev[] = {"PAPI_TOT_INS", "task-clock", "PAPI_TOT_INZ", NULL};
	struct proc_result res;
	struct profile p;
	size_t i;

	profile_init(&p);
	run_backend(&counters_papi, GRANDCHILD_BUSY, ev, 3, &p, &res);
	for (i = 0; i < 3; i++) {
		const struct metric *m = profile_find(&p, ev[i]);

		assert_non_null(m);
		assert_string_equal(m->backend, "papi");
		if (m->source == SRC_UNSUPPORTED) {
			print_message("papi %s: %s\n", ev[i], m->reason);
			assert_true(m->reason && strlen(m->reason) > 10);
		} else {
			assert_true(m->value > 0);
		}
	}
	/* A misspelt name is unsupported with the suggestion in the reason. */
	assert_int_equal(profile_find(&p, "PAPI_TOT_INZ")->source, SRC_UNSUPPORTED);
	assert_non_null(strstr(profile_find(&p, "PAPI_TOT_INZ")->reason, "PAPI_TOT_INS"));
	/* Where PAPI could count the task clock, it saw the grandchild. */
	if (profile_find(&p, "task-clock")->source != SRC_UNSUPPORTED)
		assert_true(profile_value(&p, "task-clock") > 100.0);
	assert_rusage_present(&p);
	profile_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry),        cmocka_unit_test(test_add_rusage),
	    cmocka_unit_test(test_rusage_backend),  cmocka_unit_test(test_perf_software_inherit),
	    cmocka_unit_test(test_perf_hardware),   cmocka_unit_test(test_perf_paranoid),
	    cmocka_unit_test(test_papi_components), cmocka_unit_test(test_papi_unknown_event),
	    cmocka_unit_test(test_papi_run),
	};

	return test_run(tests, NULL, NULL);
}
