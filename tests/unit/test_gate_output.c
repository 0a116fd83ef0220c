/*
 * Unit tests for gate/gate_output.c and the gate's status: a hand-made
 * result rendered as JUnit (escaping, counts), Markdown (pipes), JSON and
 * GitHub annotations (%, newlines, ':' and ',' in the title).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "base/xalloc.h"
#include "gate/gate_output.h"
#include "test_util.h"

static void make_result(struct gate_result *r)
{
	/* 12 pairs: the gate gives no verdict from fewer than 10 */
	static const double ratios[12] = {1.20, 1.21, 1.19, 1.20, 1.21, 1.19,
	                                  1.20, 1.21, 1.19, 1.20, 1.22, 1.18};
	struct gate_target *t;

	gate_result_init(r);
	r->base_label = xstrdup("abc (main)");
	r->head_label = xstrdup("the work tree");
	t = gate_result_add(r, "a<b>&\"c|d");
	t->outcome = GATE_MEASURED;
	t->objective = xstrdup("time");
	t->unit = xstrdup("s");
	t->source = xstrdup("wall clock");
	t->threshold = 0.05;
	t->base_value = 0.1;
	t->head_value = 0.12;
	t->n = 12;
	t->ratios = xcalloc(12, sizeof(double));
	memcpy(t->ratios, ratios, sizeof(ratios));
	t = gate_result_add(r, "broken");
	t->outcome = GATE_BEHAVIOUR;
	t->reason = xstrdup("behaviour change: line 1\nexpected 100%, got 50%");
	gate_family(r, 0.05);
}

static void test_status_and_family(void **state)
{
	struct gate_result r;

	(void)state;
	make_result(&r);
	assert_int_equal(r.family, 1);
	assert_int_equal(r.t[0].verdict, GATE_REGRESSED);
	assert_true(fabs(r.t[0].ci.estimate - 1.20) < 1e-12);
	assert_true(fabs(r.t[0].level - 0.95) < 1e-12);
	assert_int_equal(gate_status_of(&r, 0), GATE_BROKEN);
	r.t[1].outcome = GATE_MEASURED;
	r.t[1].verdict = GATE_INCONCLUSIVE;
	assert_int_equal(gate_status_of(&r, 0), GATE_REGRESSION);
	r.t[0].verdict = GATE_UNCHANGED;
	assert_int_equal(gate_status_of(&r, 0), GATE_PASS);
	assert_int_equal(gate_status_of(&r, 1), GATE_REGRESSION);
	gate_result_release(&r);
}

static void test_junit(void **state)
{
	struct gate_result r;
	struct buf b = BUF_INIT;

	(void)state;
	make_result(&r);
	gate_render_junit(&r, 0, &b);
	assert_non_null(strstr(b.data, "tests=\"2\" failures=\"1\" errors=\"1\""));
	assert_non_null(strstr(b.data, "name=\"a&lt;b&gt;&amp;&quot;c|d\""));
	assert_non_null(strstr(b.data, "<failure message=\"regressed: 20.0% slower, ratio "
	                               "head/base 1.2000, interval ["));
	assert_non_null(strstr(b.data,
	                       "<error message=\"behaviour change: behaviour change: "
	                       "line 1\nexpected 100%, got 50%\" type=\"behaviour change\">"));
	assert_null(strstr(b.data, "<b>"));
	gate_result_release(&r);
	buf_release(&b);
}

static void test_markdown_and_annotations(void **state)
{
	struct gate_result r;
	struct buf md = BUF_INIT, ann = BUF_INIT;

	(void)state;
	make_result(&r);
	gate_render_markdown(&r, 0, &md);
	assert_non_null(strstr(md.data, "## optimize gate: broken"));
	assert_non_null(
	    strstr(md.data, "| a<b>&\"c\\|d | **regressed** | 0.1 s | 0.12 s | 1.2000 |"));
	assert_non_null(strstr(md.data, "| broken | **behaviour change** |"));
	assert_non_null(strstr(md.data, "- **broken**: behaviour change: line 1 expected"));
	gate_render_annotations(&r, 0, &ann);
	assert_non_null(strstr(ann.data, "::error title=optimize gate%3A a<b>&\"c|d regressed::"));
	assert_non_null(strstr(ann.data, "line 1%0Aexpected 100%25, got 50%25\n"));
	gate_result_release(&r);
	buf_release(&md);
	buf_release(&ann);
}

static void test_json(void **state)
{
	struct gate_result r;
	struct buf b = BUF_INIT;
	cJSON *d, *t;

	(void)state;
	make_result(&r);
	gate_render_json(&r, 0, &b);
	d = cJSON_Parse(b.data);
	assert_non_null(d);
	assert_string_equal(cJSON_GetObjectItem(d, "status")->valuestring, "broken");
	t = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "targets"), 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(t, "ratio")));
	assert_string_equal(cJSON_GetObjectItem(t, "verdict")->valuestring, "behaviour change");
	t = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "targets"), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(t, "ratios")), 12);
	cJSON_Delete(d);
	gate_result_release(&r);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_and_family),
	    cmocka_unit_test(test_junit),
	    cmocka_unit_test(test_markdown_and_annotations),
	    cmocka_unit_test(test_json),
	};
	return test_run(tests, NULL, NULL);
}
