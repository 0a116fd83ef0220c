/*
 * Unit tests for bench/: the aggregate of a hand-computed table (fast_p,
 * the geometric means and their bootstrap intervals over targets), rows
 * read back from JSON, the journal (torn lines, resume states, another
 * suite), and suite.json errors with file:line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "base/json.h"
#include "engine/candidate.h"
#include "bench/journal.h"
#include "bench/render.h"
#include "bench/row.h"
#include "bench/suite.h"
#include "bench/table.h"
#include "test_util.h"

#define assert_close(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* A row: speedup s (NAN = none), correct or not. */
static struct bench_row mk(const char *name, double s, int correct)
{
	struct bench_row r;
	memset(&r, 0, sizeof(r));
	r.name = name;
	r.status = correct ? (s > 1 ? "improved" : "no-improvement") : "baseline-failed";
	r.speedup = s;
	r.lo = r.hi = NAN;
	r.correct = correct;
	r.preset_vs_best = NAN;
	return r;
}

/*
 * The table, by hand:
 *   a  correct, 2.0     b  correct, 1.2     c  correct, original kept (1.0)
 *   d  failed (counts 1.0, not correct)     e  correct, 1.5
 *   correct 4/5 = 0.8
 *   fast_0 = 4/5 = 0.8; fast_1.0 = |{2.0, 1.2, 1.5}| / 5 = 0.6; fast_1.1 = 0.6;
 *   fast_1.5 = |{2.0}| / 5 = 0.2 (1.5 is not > 1.5); fast_2.0 = 0 (2.0 is not > 2.0)
 *   geomean all = (2 * 1.2 * 1 * 1 * 1.5)^(1/5) = 3.6^0.2 = 1.291994...
 *   geomean correct = (2 * 1.2 * 1 * 1.5)^(1/4) = 3.6^0.25 = 1.377449...
 */
static void test_aggregate_hand_computed(void **state)
{
	struct bench_row rows[5];
	double p[5], want_fast[5] = {0.8, 0.6, 0.6, 0.2, 0.0};
	size_t np = bench_default_fast_p(p, 5);
	struct bench_aggregate a, b;

	(void)state;
	rows[0] = mk("a", 2.0, 1);
	rows[1] = mk("b", 1.2, 1);
	rows[2] = mk("c", 1.0, 1);
	rows[3] = mk("d", NAN, 0);
	rows[4] = mk("e", 1.5, 1);
	assert_int_equal(np, 5);
	bench_aggregate(rows, 5, p, np, 1, &a);
	assert_int_equal(a.n, 5);
	assert_int_equal(a.ncorrect, 4);
	assert_close(a.correct_rate, 0.8, 1e-12);
	for (size_t k = 0; k < 5; k++)
		assert_close(a.fast_p[k], want_fast[k], 1e-12);
	assert_close(a.geo_all.estimate, 1.291994, 1e-6);
	assert_close(a.geo_correct.estimate, 1.377449, 1e-6);
	/* Intervals over targets: around the estimate, inside the range of the values. */
	assert_true(a.geo_all.lo <= a.geo_all.estimate && a.geo_all.estimate <= a.geo_all.hi);
	assert_true(a.geo_all.lo >= 1.0 && a.geo_all.hi <= 2.0);
	assert_true(a.geo_all.lo < a.geo_all.hi);
	assert_true(a.geo_correct.lo >= 1.0 && a.geo_correct.hi <= 2.0);
	/* No preset measured: no figure. */
	assert_int_equal(a.npreset, 0);
	assert_true(isnan(a.geo_preset.estimate));
	/* The same seed, the same interval; the bootstrap is seeded. */
	bench_aggregate(rows, 5, p, np, 1, &b);
	assert_true(a.geo_all.lo == b.geo_all.lo && a.geo_all.hi == b.geo_all.hi);
}

/* A failed row with a speedup (it cannot happen, but must not count) and presets. */
static void test_aggregate_presets_and_failed(void **state)
{
	struct bench_row rows[3];
	double p[1] = {1.0};
	struct bench_aggregate a;

	(void)state;
	rows[0] = mk("a", 3.0, 0); /* not correct: counts 1.0 and never in fast_p */
	rows[1] = mk("b", 1.1, 1);
	rows[1].preset = "-O3";
	rows[1].preset_vs_best = 2.0;
	rows[2] = mk("c", 1.1, 1);
	rows[2].preset = "-O3";
	rows[2].preset_vs_best = 0.5;
	bench_aggregate(rows, 3, p, 1, 1, &a);
	assert_close(bench_row_speedup(&rows[0]), 1.0, 0);
	assert_close(a.fast_p[0], 2.0 / 3, 1e-12);
	assert_close(a.geo_all.estimate, pow(1.1 * 1.1, 1.0 / 3), 1e-9);
	assert_int_equal(a.npreset, 2);
	assert_close(a.geo_preset.estimate, 1.0, 1e-12);
}

static void test_row_parse(void **state)
{
	const char *text =
	    "{\"name\":\"m\",\"target\":\"matmul\",\"status\":\"improved\",\"objective\":\"time\","
	    "\"unit\":\"s\",\"original\":2,\"best\":1,\"speedup\":{\"estimate\":2,\"lo\":1.8,"
	    "\"hi\":2.2},\"correct\":true,\"winner\":{\"id\":3,\"lineage\":\"-O3\"},"
	    "\"candidates\":{\"tried\":5,\"accepted\":1,\"rejected\":{\"build-failed\":1,"
	    "\"not-faster\":3}},\"tokens\":{\"prompt\":100,\"completion\":20},\"cost\":null,"
	    "\"presets\":[{\"flags\":\"-O3\",\"status\":\"ok\",\"speedup\":{\"estimate\":1.5},"
	    "\"winner_vs_preset\":{\"estimate\":1.3,\"lo\":1.2,\"hi\":1.4}},{\"flags\":\"-O3 "
	    "-march=native\",\"status\":\"verify-failed\",\"speedup\":{\"estimate\":9}}]}";
	struct buf err = BUF_INIT;
	cJSON *j = json_parse(text, strlen(text), "row", &err);
	struct bench_row r;

	(void)state;
	assert_non_null(j);
	bench_row_parse(j, &r);
	assert_string_equal(r.name, "m");
	assert_string_equal(r.winner, "-O3");
	assert_close(r.speedup, 2, 0);
	assert_close(r.lo, 1.8, 0);
	assert_true(r.correct);
	assert_int_equal(r.tried, 5);
	assert_int_equal(r.nreject, 2);
	assert_string_equal(r.reject_name[1], "not-faster");
	assert_int_equal(r.reject_count[1], 3);
	assert_int_equal(r.prompt_tokens + r.completion_tokens, 120);
	assert_true(isnan(r.cost));
	/* The best preset is the fastest one that verified. */
	assert_string_equal(r.preset, "-O3");
	assert_close(r.preset_vs_best, 1.3, 0);
	cJSON_Delete(j);
	buf_release(&err);
}

/*
 * The direction of every speedup column (bench_gain): a head-to-head of x
 * against y records the ratio x / y; the tables show y / x, > 1 when x is
 * faster, as report.json's "speedup" (original / best): the ratio of the
 * medians, inside the inverted interval.
 */
static void test_gain_direction(void **state)
{
	struct cand_measurement h;
	double e, lo, hi;

	(void)state;
	memset(&h, 0, sizeof(h));
	/* x (the best) ran 1.0 s, y (the original) 2.0 s: x is twice as fast. */
	h.value = 1.0;
	h.base_value = 2.0;
	h.ci.estimate = 0.52;
	h.ci.lo = 0.45;
	h.ci.hi = 0.60;
	bench_gain(&h, &e, &lo, &hi);
	assert_close(e, 2.0, 1e-12);
	assert_close(lo, 1 / 0.60, 1e-12);
	assert_close(hi, 1 / 0.45, 1e-12);
	assert_true(lo <= e && e <= hi);
	/* x slower: a gain below 1. */
	h.value = 3.0;
	h.base_value = 2.0;
	h.ci.estimate = 1.5;
	h.ci.lo = 1.4;
	h.ci.hi = 1.6;
	bench_gain(&h, &e, &lo, &hi);
	assert_close(e, 2.0 / 3.0, 1e-12);
	assert_true(e < 1 && hi < 1);
	/* The ratio of the medians outside the interval is kept inside it. */
	h.value = 1.0;
	h.base_value = 3.0;
	h.ci.estimate = 0.5;
	h.ci.lo = 0.45;
	h.ci.hi = 0.6;
	bench_gain(&h, &e, &lo, &hi);
	assert_close(e, 1 / 0.45, 1e-12);
}

static void write_file(const char *path, const char *text)
{
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0644, NULL), 0);
}

static void test_journal_states(void **state)
{
	struct bench_journal j;
	struct buf err = BUF_INIT;
	const char *names[3] = {"a", "b", "c"}, *other[3] = {"a", "x", "c"};
	cJSON *rec;

	(void)state;
	mkdir("jdir", 0755);
	assert_int_equal(bench_journal_read("jdir", &j, &err), 1); /* none yet */
	write_file(
	    "jdir/journal.jsonl",
	    "{\"record\":\"suite\",\"entries\":[\"a\",\"b\",\"c\"]}\n"
	    "{\"record\":\"start\",\"task\":0,\"target\":\"a\",\"time\":1}\n"
	    "{\"record\":\"row\",\"task\":0,\"target\":\"a\",\"time\":2,\"row\":{\"name\":\"a\"}}\n"
	    "{\"record\":\"start\",\"task\":1,\"target\":\"b\",\"time\":3}\n"
	    "{\"record\":\"row\",\"task\":1,\"target\":\"WRONG\",\"row\":{}}\n"
	    "{\"record\":\"row\",\"task\":2,\"tar");
	assert_int_equal(bench_journal_read("jdir", &j, &err), 0);
	assert_int_equal(j.n, 3);
	assert_int_equal(j.state[0], BENCH_DONE);
	assert_int_equal(j.state[1], BENCH_STARTED); /* a row with another name does not count */
	assert_int_equal(j.state[2], BENCH_TODO);
	assert_int_equal(j.torn, 1);
	assert_close(j.finished[0], 2, 0);
	assert_int_equal(bench_journal_same_suite(&j, names, 3, &err), 0);
	assert_int_equal(bench_journal_same_suite(&j, other, 3, &err), -1);
	assert_non_null(strstr(err.data, "not 'x'"));
	bench_journal_release(&j);

	/* An append after a torn line starts a fresh line. */
	rec = cJSON_CreateObject();
	json_add_string(rec, "record", "row");
	json_add_number(rec, "task", 2);
	json_add_string(rec, "target", "c");
	cJSON_AddItemToObject(rec, "row", cJSON_CreateObject());
	assert_int_equal(bench_journal_append("jdir", rec, &err), 0);
	cJSON_Delete(rec);
	assert_int_equal(bench_journal_read("jdir", &j, &err), 0);
	assert_int_equal(j.state[2], BENCH_DONE);
	assert_int_equal(j.torn, 1);
	bench_journal_release(&j);
	buf_release(&err);
}

/* Rows from two CPU models (a Slurm suite over mixed nodes): every format says so. */
static void test_cpu_models_note(void **state)
{
	struct bench_table t;
	struct buf err = BUF_INIT, md = BUF_INIT, csv = BUF_INIT, tex = BUF_INIT;
	cJSON *js, *notes;
	char *text;

	(void)state;
	mkdir("ndir", 0755);
	write_file("ndir/journal.jsonl",
	           "{\"record\":\"suite\",\"name\":\"s\",\"entries\":[\"a\",\"b\"],"
	           "\"fingerprint\":{\"host\":\"login\",\"cpu\":\"CPU A\"},\"settings\":{}}\n"
	           "{\"record\":\"row\",\"task\":0,\"target\":\"a\",\"row\":{\"name\":\"a\","
	           "\"status\":\"no-improvement\",\"host\":\"n1\",\"cpu\":\"CPU A\"}}\n"
	           "{\"record\":\"row\",\"task\":1,\"target\":\"b\",\"row\":{\"name\":\"b\","
	           "\"status\":\"no-improvement\",\"host\":\"n2\",\"cpu\":\"CPU B\"}}\n");
	assert_int_equal(bench_table_load("ndir", &t, &err), 0);
	bench_render_md(&t, &md);
	bench_render_csv(&t, &csv);
	bench_render_latex(&t, &tex);
	assert_non_null(strstr(md.data, "\nRows come from 2 CPU models (CPU A, CPU B)"));
	assert_non_null(strstr(csv.data, "\n# Rows come from 2 CPU models (CPU A, CPU B)"));
	assert_non_null(strstr(csv.data, "\n# Rows ran on 2 hosts (n1, n2)"));
	assert_null(strstr(csv.data, "\n# \n"));
	assert_non_null(strstr(tex.data, "\n% Rows come from 2 CPU models (CPU A, CPU B)"));
	js = bench_render_json(&t);
	notes = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(js, "nodes"),
	                                         "notes");
	assert_int_equal(cJSON_GetArraySize(notes), 2);
	text = cJSON_PrintUnformatted(js);
	assert_non_null(strstr(text, "\"cpus\":[\"CPU A\",\"CPU B\"]"));
	assert_non_null(strstr(text, "Rows come from 2 CPU models"));
	free(text);
	cJSON_Delete(js);
	bench_table_release(&t);
	buf_release(&md);
	buf_release(&csv);
	buf_release(&tex);
	buf_release(&err);
}

static void test_suite_errors(void **state)
{
	struct bench_suite s;
	struct buf err = BUF_INIT;

	(void)state;
	mkdir("s1", 0755);
	write_file("s1/suite.json", "{\n  \"targets\": [\"t\"],\n  \"objectiv\": \"time\"\n}\n");
	assert_int_equal(bench_suite_load("s1", &s, &err), -1);
	assert_non_null(strstr(err.data, "suite.json:3: unknown field \"objectiv\" (did you mean "
	                                 "\"objective\"?)"));
	buf_reset(&err);
	write_file("s1/suite.json", "{\n  \"targets\": [\"t\"],\n  \"rounds\": [3]\n}\n");
	assert_int_equal(bench_suite_load("s1", &s, &err), -1);
	assert_non_null(strstr(err.data, "suite.json:3: \"rounds\" must be"));
	buf_reset(&err);
	/* A tree whose manifest does not load is an entry with its error. */
	mkdir("s1/t", 0755);
	write_file("s1/suite.json", "{\"targets\": [\"t\"], \"rounds\": 3, \"presets\": []}\n");
	assert_int_equal(bench_suite_load("s1", &s, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.entries[0].name, "t");
	assert_non_null(s.entries[0].error);
	assert_null(s.entries[0].target);
	assert_int_equal(s.nsettings, 1);
	assert_string_equal(s.settings[0].option, "rounds");
	assert_string_equal(s.settings[0].value, "3");
	assert_int_equal(s.presets.n, 0);
	assert_int_equal(s.nfast_p, 5);
	bench_suite_release(&s);
	/* An empty folder is no suite. */
	mkdir("s2", 0755);
	assert_int_equal(bench_suite_load("s2", &s, &err), -1);
	assert_non_null(strstr(err.data, "no targets"));
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aggregate_hand_computed),
	    cmocka_unit_test(test_aggregate_presets_and_failed),
	    cmocka_unit_test(test_row_parse),
	    cmocka_unit_test(test_gain_direction),
	    cmocka_unit_test(test_cpu_models_note),
	    cmocka_unit_test(test_journal_states),
	    cmocka_unit_test(test_suite_errors),
	};
	return test_run(tests, NULL, NULL);
}
