/* Unit tests for src/profile.c: metrics, derived ratios, renderings, JSON. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "prof/profile.h"
#include "test_util.h"

static void test_set_replace_find(void **state)
{
	struct profile p;
	const struct metric *m;

	profile_init(&p);
	assert_non_null(
	    profile_set_metric(&p, "instructions", "count", 100, SRC_MEASURED, "perf", 1.0));
	assert_non_null(profile_set_metric(&p, "cycles", "count", 50, SRC_SCALED, "perf", 1.5));
	assert_int_equal(p.nmetrics, 2);
	/* Same name again: replaced, not added. */
	profile_set_metric(&p, "instructions", "count", 200, SRC_MEASURED, "papi", 1.0);
	assert_int_equal(p.nmetrics, 2);
	m = profile_find(&p, "instructions");
	assert_non_null(m);
	assert_true(m->value == 200);
	assert_string_equal(m->backend, "papi");
	assert_null(m->reason);
	m = profile_find(&p, "cycles");
	assert_int_equal(m->source, SRC_SCALED);
	assert_true(m->scaling == 1.5);
	assert_null(profile_find(&p, "nope"));
	assert_true(isnan(profile_value(&p, "nope")));
	assert_true(profile_value(&p, "cycles") == 50);

	/* Unsupported: value is NAN through profile_value, the reason is kept. */
	profile_set_unsupported(&p, "branches", "count", "perf", "no hardware PMU");
	m = profile_find(&p, "branches");
	assert_int_equal(m->source, SRC_UNSUPPORTED);
	assert_string_equal(m->reason, "no hardware PMU");
	assert_true(isnan(profile_value(&p, "branches")));
	/* A later supported value replaces it and drops the reason. */
	profile_set_metric(&p, "branches", "count", 7, SRC_MEASURED, "perf", 1.0);
	m = profile_find(&p, "branches");
	assert_int_equal(m->source, SRC_MEASURED);
	assert_null(m->reason);
	/* An empty reason still reads as a reason. */
	profile_set_unsupported(&p, "x", NULL, "perf", "");
	assert_true(strlen(profile_find(&p, "x")->reason) > 0);
	assert_string_equal(metric_source_name(SRC_SIMULATED), "simulated");
	profile_release(&p);
	assert_int_equal(p.nmetrics, 0);
}

static void test_derive(void **state)
{
	struct profile p;
	const struct metric *m;

	profile_init(&p);
	profile_set_metric(&p, "instructions", "count", 2000, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(&p, "cycles", "count", 1000, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(&p, "branches", "count", 200, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(&p, "branch-misses", "count", 10, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(&p, "cache-references", "count", 400, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(&p, "cache-misses", "count", 100, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(&p, "L1-dcache-load-misses", "count", 30, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(&p, "task-clock", "ms", 0.0005, SRC_MEASURED, "perf", 1.0);
	profile_derive(&p);

	m = profile_find(&p, PROFILE_IPC);
	assert_non_null(m);
	assert_int_equal(m->source, SRC_DERIVED);
	assert_string_equal(m->backend, "derived");
	assert_true(fabs(m->value - 2.0) < 1e-12);
	assert_true(fabs(profile_value(&p, PROFILE_BRANCH_MISS_PCT) - 5.0) < 1e-12);
	assert_true(fabs(profile_value(&p, PROFILE_CACHE_MISS_PCT) - 25.0) < 1e-12);
	assert_true(fabs(profile_value(&p, PROFILE_L1_MPKI) - 15.0) < 1e-12);
	/* 1000 cycles in 0.5 us = 2 GHz */
	assert_true(fabs(profile_value(&p, PROFILE_GHZ) - 2.0) < 1e-9);
	assert_string_equal(profile_find(&p, PROFILE_GHZ)->unit, "GHz");
	profile_release(&p);

	/* Inputs unsupported: nothing derived, nothing pretends to be 0. */
	profile_init(&p);
	profile_set_unsupported(&p, "instructions", "count", "perf", "no PMU");
	profile_set_unsupported(&p, "cycles", "count", "perf", "no PMU");
	profile_set_metric(&p, "task-clock", "ms", 200, SRC_MEASURED, "perf", 1.0);
	profile_derive(&p);
	assert_null(profile_find(&p, PROFILE_IPC));
	assert_null(profile_find(&p, PROFILE_GHZ));
	assert_null(profile_find(&p, PROFILE_BRANCH_MISS_PCT));
	assert_null(profile_find(&p, PROFILE_L1_MPKI));
	/* A zero denominator derives nothing either. */
	profile_set_metric(&p, "branches", "count", 0, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(&p, "branch-misses", "count", 0, SRC_MEASURED, "perf", 1.0);
	profile_derive(&p);
	assert_null(profile_find(&p, PROFILE_BRANCH_MISS_PCT));
	profile_release(&p);

	/* PAPI's presets give the same ratios. */
	profile_init(&p);
	profile_set_metric(&p, "PAPI_TOT_INS", "count", 300, SRC_MEASURED, "papi", 1.0);
	profile_set_metric(&p, "PAPI_TOT_CYC", "count", 600, SRC_MEASURED, "papi", 1.0);
	profile_derive(&p);
	assert_true(fabs(profile_value(&p, PROFILE_IPC) - 0.5) < 1e-12);
	profile_release(&p);
}

/* A profile with every section filled, lists longer than any budget. */
static void fill_profile(struct profile *p)
{
	char name[64], text[128];
	int i;

	profile_init(p);
	profile_set_command(p, "./bench --size 1000");
	profile_set_metric(p, "instructions", "count", 123456789, SRC_MEASURED, "perf", 1.0);
	profile_set_metric(p, "cycles", "count", 98765432, SRC_SCALED, "perf", 1.25);
	profile_set_metric(p, "task-clock", "ms", 41.5, SRC_MEASURED, "perf", 1.0);
	profile_set_unsupported(p, "branches", "count", "perf", "no hardware PMU exposed");
	profile_set_unsupported(p, "branch-misses", "count", "perf", "no hardware PMU exposed");
	profile_set_metric(p, "wall-time", "s", 0.05, SRC_MEASURED, "clock", 1.0);
	profile_derive(p);
	profile_set_hotspot_source(p, "perf cpu-clock sampling");
	p->total_samples = 1000;
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "func_%02d", i);
		profile_add_function(p, name, "bench", (uint64_t)(40 - i) * 10);
		snprintf(name, sizeof(name), "src/file_%02d.c", i);
		snprintf(text, sizeof(text), "x[%d] = y[%d] * z; /* line text %d */", i, i, i);
		profile_add_line(p, name, 100 + i, "func", text, (uint64_t)(40 - i) * 5);
	}
	profile_sort_hotspots(p);
	{
		struct kernel_timing *k = profile_add_kernel(p, "matmul");

		k->launches = 3;
		k->total_ms = 12.5;
		k->median_ms = 4.1;
		k->work_dim = 2;
		k->global[0] = 1024;
		k->global[1] = 1024;
		k->local[0] = 16;
		k->local[1] = 16;
	}
}

/* Every line of part is a whole line of full. */
static void assert_whole_lines(const char *part, const char *full)
{
	const char *s = part;

	while (*s) {
		const char *nl = strchr(s, '\n');
		char line[512];
		size_t n;

		assert_non_null(nl); /* never cut mid-line: each line ends with \n */
		n = (size_t)(nl - s) + 1;
		assert_true(n < sizeof(line));
		memcpy(line, s, n);
		line[n] = '\0';
		assert_non_null(strstr(full, line));
		s = nl + 1;
	}
}

static void test_render_text_budget(void **state)
{
	struct profile p;
	struct buf full = BUF_INIT, cut = BUF_INIT;
	size_t budgets[] = {4000, 1200, 700, 300, 100, 10};
	size_t i;

	fill_profile(&p);
	buf_init(&full, 0);
	assert_int_equal(profile_render_text(&p, 0, &full), 0);
	/* Unlimited: everything, hottest first. */
	assert_non_null(strstr(full.data, "func_00"));
	assert_non_null(strstr(full.data, "func_39"));
	assert_non_null(strstr(full.data, "src/file_00.c:100"));
	assert_non_null(strstr(full.data, "x[0] = y[0] * z;"));
	assert_non_null(strstr(full.data, "matmul"));
	assert_non_null(strstr(full.data, "IPC"));
	assert_non_null(strstr(full.data, "[perf, scaled x1.25]"));
	/* Unsupported metrics are grouped on one line with their reason. */
	assert_non_null(strstr(full.data, "not supported here: branches, branch-misses "
	                                  "(no hardware PMU exposed)"));
	assert_true(strstr(full.data, "func_00") < strstr(full.data, "func_01"));

	for (i = 0; i < sizeof(budgets) / sizeof(budgets[0]); i++) {
		buf_init(&cut, 0);
		assert_int_equal(profile_render_text(&p, budgets[i], &cut), 0);
		assert_true(cut.len <= budgets[i]);
		assert_whole_lines(cut.data, full.data);
		if (budgets[i] >= 1200) {
			/* Enough room: each list shows at least its hottest entry. */
			assert_non_null(strstr(cut.data, "func_00"));
			assert_non_null(strstr(cut.data, "src/file_00.c:100"));
			assert_non_null(strstr(cut.data, "matmul"));
			assert_null(strstr(cut.data, "func_39"));
		}
		buf_release(&cut);
	}
	/* Appends to what out holds. */
	buf_init(&cut, 0);
	buf_addstr(&cut, "PREFIX\n");
	profile_render_text(&p, 500, &cut);
	assert_true(cut.len <= 500 + 7);
	assert_memory_equal(cut.data, "PREFIX\n", 7);
	buf_release(&cut);
	buf_release(&full);
	profile_release(&p);
}

static void test_render_table(void **state)
{
	struct profile p;
	struct buf t = BUF_INIT, h = BUF_INIT;

	fill_profile(&p);
	buf_init(&t, 0);
	assert_int_equal(profile_render_table(&p, &t), 0);
	/* Counts grouped by thousands, derived ratio on its base row. */
	assert_non_null(strstr(t.data, "123,456,789"));
	assert_non_null(strstr(t.data, "# "));
	assert_non_null(strstr(t.data, "IPC"));
	assert_non_null(strstr(t.data, "<not supported>"));
	assert_non_null(strstr(t.data, "branches"));
	assert_non_null(strstr(t.data, "(no hardware PMU exposed)"));
	/* The same reason on the next row is not repeated word for word. */
	assert_non_null(strstr(t.data, "(same reason as above)"));
	assert_non_null(strstr(t.data, "perf, measured"));
	assert_non_null(strstr(t.data, "scaled x1.25"));
	/* The IPC shown on the instructions row is not repeated as its own row. */
	{
		const char *row = strstr(t.data, "instructions");
		const char *eol = strchr(row, '\n');

		assert_non_null(strstr(row, "IPC"));
		assert_true(strstr(row, "IPC") < eol);
		assert_null(strstr(eol, " IPC "));
	}
	buf_init(&h, 0);
	assert_int_equal(profile_render_hotspots(&p, 3, 2, &h), 0);
	assert_non_null(strstr(h.data, "func_02"));
	assert_null(strstr(h.data, "func_03"));
	assert_non_null(strstr(h.data, "src/file_01.c:101"));
	assert_null(strstr(h.data, "src/file_02.c"));
	assert_non_null(strstr(h.data, "matmul"));
	buf_release(&t);
	buf_release(&h);
	profile_release(&p);
}

static void test_sort_hotspots(void **state)
{
	struct profile p;

	profile_init(&p);
	p.total_samples = 200;
	profile_add_function(&p, "cold", NULL, 20);
	profile_add_function(&p, "hot", "a.out", 150);
	profile_add_line(&p, "a.c", 3, NULL, NULL, 10);
	profile_add_line(&p, "a.c", 9, "hot", "for (;;)", 120);
	profile_sort_hotspots(&p);
	assert_string_equal(p.functions[0].name, "hot");
	assert_true(fabs(p.functions[0].pct - 75.0) < 1e-9);
	assert_true(fabs(p.functions[1].pct - 10.0) < 1e-9);
	assert_int_equal(p.lines[0].line, 9);
	assert_true(fabs(p.lines[0].pct - 60.0) < 1e-9);
	profile_release(&p);
}

static void test_json(void **state)
{
	struct profile p;
	cJSON *j, *metrics, *m, *f;
	int found_unsupported = 0, found_ipc = 0;

	fill_profile(&p);
	j = profile_to_json(&p);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "command")->valuestring, "./bench --size 1000");
	metrics = cJSON_GetObjectItem(j, "metrics");
	assert_true(cJSON_IsArray(metrics));
	assert_int_equal(cJSON_GetArraySize(metrics), (int)p.nmetrics);
	cJSON_ArrayForEach(m, metrics)
	{
		const char *name = cJSON_GetObjectItem(m, "name")->valuestring;

		assert_non_null(cJSON_GetObjectItem(m, "unit"));
		assert_non_null(cJSON_GetObjectItem(m, "source"));
		assert_non_null(cJSON_GetObjectItem(m, "backend"));
		assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "scaling")));
		if (!strcmp(name, "branches") || !strcmp(name, "branch-misses")) {
			found_unsupported = 1;
			assert_true(cJSON_IsNull(cJSON_GetObjectItem(m, "value")));
			assert_string_equal(cJSON_GetObjectItem(m, "source")->valuestring,
			                    "unsupported");
			assert_string_equal(cJSON_GetObjectItem(m, "reason")->valuestring,
			                    "no hardware PMU exposed");
		} else {
			assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "value")));
			assert_null(cJSON_GetObjectItem(m, "reason"));
		}
		if (!strcmp(name, "IPC")) {
			found_ipc = 1;
			assert_string_equal(cJSON_GetObjectItem(m, "source")->valuestring,
			                    "derived");
			assert_string_equal(cJSON_GetObjectItem(m, "backend")->valuestring,
			                    "derived");
		}
	}
	assert_true(found_unsupported);
	assert_true(found_ipc);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "functions")), 40);
	f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "lines"), 0);
	assert_string_equal(cJSON_GetObjectItem(f, "file")->valuestring, "src/file_00.c");
	assert_int_equal(cJSON_GetObjectItem(f, "line")->valueint, 100);
	f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "kernels"), 0);
	assert_string_equal(cJSON_GetObjectItem(f, "name")->valuestring, "matmul");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f, "global")), 2);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "device")));
	cJSON_Delete(j);
	profile_release(&p);

	/* An empty profile still has every array. */
	profile_init(&p);
	j = profile_to_json(&p);
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "metrics")));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "lines")));
	cJSON_Delete(j);
	profile_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_replace_find),   cmocka_unit_test(test_derive),
	    cmocka_unit_test(test_render_text_budget), cmocka_unit_test(test_render_table),
	    cmocka_unit_test(test_sort_hotspots),      cmocka_unit_test(test_json),
	};

	return test_run(tests, NULL, NULL);
}
