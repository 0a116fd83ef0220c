/*
 * test_pipeline.c: the stages of the one candidate pipeline, each on a
 * real target (engine_fixture.h): where a candidate stops and why, and
 * that every child it makes, profile runs included, runs in the network
 * and mount namespaces (where the machine has them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "engine/pipeline.h"
#include "engine_fixture.h"
#include "prof/counters.h"
#include "test_util.h"

struct pipe_run {
	struct fixture f;
	struct pipeline *p;
	struct candidate *cands[8];
	size_t n;
};

static void open_pipe(struct pipe_run *r, int orig_ms, const char *extra)
{
	struct pipeline_options po;
	struct buf err = BUF_INIT;

	memset(r, 0, sizeof(*r));
	fixture_init(&r->f, orig_ms, 0, extra);
	pipeline_options_default(&po);
	po.target = &r->f.m.targets[0];
	po.state_dir = r->f.state;
	po.run_id = "test";
	po.profile = 0;
	po.m.max_runs = 10;
	if (pipeline_open(&po, &r->p, &err) != ENGINE_OK)
		fail_msg("pipeline_open: %s", err.data);
	r->cands[0] = pipeline_original(r->p);
	candidate_resolve(r->cands[0], r->cands, pipeline_pristine(r->p));
	r->n = 1;
	if (pipeline_baseline(r->p, r->cands[0], &err) != ENGINE_OK)
		fail_msg("baseline: %s", err.data);
	buf_release(&err);
}

/* Evaluate c against the original; returns it (owned by r). */
static struct candidate *eval(struct pipe_run *r, struct candidate *c)
{
	struct buf err = BUF_INIT;

	c->id = (int)r->n;
	c->parent = 0;
	r->cands[r->n++] = c;
	candidate_resolve(c, r->cands, pipeline_pristine(r->p));
	assert_int_equal(pipeline_evaluate(r->p, c, r->cands[0], &err), ENGINE_OK);
	buf_release(&err);
	return c;
}

static void close_pipe(struct pipe_run *r)
{
	for (size_t i = 0; i < r->n; i++)
		candidate_free(r->cands[i]);
	pipeline_close(r->p);
	fixture_release(&r->f);
}

static struct candidate *with_prog(const char *label, const char *prog)
{
	struct candidate *c = candidate_new("dir", label);
	candidate_add_file(c, "prog.c", prog, strlen(prog));
	return c;
}

static void test_stage_outcomes(void **state)
{
	struct pipe_run r;
	struct candidate *c;

	(void)state;
	open_pipe(&r, 200, "\"test\": \"! grep -q BROKEN-TEST prog.c\",");
	assert_int_equal(r.cands[0]->status, CAND_ACCEPTED);
	assert_int_equal(r.cands[0]->stage, STAGE_DONE);

	c = candidate_new("dir", "edits a protected file");
	candidate_add_file(c, "notes.txt", "changed\n", 8);
	eval(&r, c);
	assert_int_equal(c->status, CAND_EDIT_REJECTED);
	assert_int_equal(c->stage, STAGE_MATERIALIZE);
	assert_non_null(strstr(c->reason, "'notes.txt' is not an editable file"));

	c = eval(&r, with_prog("no build", "int main(void) { return 0 }\n"));
	assert_int_equal(c->status, CAND_BUILD_FAILED);
	assert_int_equal(c->stage, STAGE_BUILD);
	assert_non_null(strstr(c->reason, "error"));
	assert_true(c->build_s > 0);

	c = eval(&r, fixture_candidate("wrong", 0, 0, 7));
	assert_int_equal(c->status, CAND_VERIFY_FAILED);
	assert_int_equal(c->stage, STAGE_VERIFY);
	assert_non_null(strstr(c->reason, "verify run 1"));

	c = eval(&r,
	         with_prog("fails the test", "#include <stdio.h>\n/* BROKEN-TEST */\n"
	                                     "int main(void) { puts(\"sum 42\"); return 0; }\n"));
	assert_int_equal(c->status, CAND_TEST_FAILED);
	assert_int_equal(c->stage, STAGE_TEST);

	c = eval(&r,
	         with_prog("writes a protected file", "#include <stdio.h>\nint main(void) {\n"
	                                              "\tFILE *f = fopen(\"notes.txt\", \"w\");\n"
	                                              "\tif (f) { fputs(\"x\", f); fclose(f); }\n"
	                                              "\tputs(\"sum 42\");\n\treturn 0;\n}\n"));
	assert_int_equal(c->status, CAND_PROTECTED_CHANGED);
	assert_int_equal(c->stage, STAGE_PROTECTED);
	assert_non_null(strstr(c->reason, "notes.txt"));

	c = eval(&r, fixture_candidate("fast", 2, 0, 42));
	assert_int_equal(c->status, CAND_ACCEPTED);
	assert_int_equal(c->stage, STAGE_DONE);
	assert_int_equal(c->meas.compared_with, 0);
	assert_true(c->meas.ci.hi < 1);
	close_pipe(&r);
}

/* "net:[4026531840]" of this process, for comparing with a child's. */
static void own_netns(char *out, size_t n)
{
	ssize_t k = readlink("/proc/self/ns/net", out, n - 1);
	out[k > 0 ? k : 0] = '\0';
}

/*
 * Every child of a candidate is isolated: its test command and its profile
 * run (the path the LLM proposer's profiles take) see another network
 * namespace and cannot write the user's tree or the tool's state.
 */
static void test_children_isolated(void **state)
{
	struct pipe_run r;
	struct candidate *c;
	struct profile prof;
	struct proc_result res;
	struct profile_request rq = {0};
	struct buf extra = BUF_INIT, err = BUF_INIT, got = BUF_INIT, path = BUF_INIT;
	char ns[128];

	(void)state;
	test_require(TEST_NEED_NAMESPACES, proc_net_isolation_probe);
	own_netns(ns, sizeof(ns));
	/* open_pipe makes the tree: its path is known after fixture_init. */
	buf_addf(&extra,
	         "\"test\": \"test \\\"$(readlink /proc/self/ns/net)\\\" != '%s' && "
	         "! touch ../../../../../tree/probe 2>/dev/null && ! touch ../../../../runs/probe "
	         "2>/dev/null\",",
	         ns);
	open_pipe(&r, 200, extra.data);
	assert_non_null(strstr(pipeline_isolation_net(r.p), "network namespace"));
	assert_int_equal(r.cands[0]->status, CAND_ACCEPTED); /* the test passed for it */
	c = eval(&r, fixture_candidate("fast", 2, 0, 42));
	assert_int_equal(c->status, CAND_ACCEPTED);

	/* The profile path: the run command writes its namespace into the workspace. */
	free(r.f.m.targets[0].run);
	r.f.m.targets[0].run = xstrdup("./prog && readlink /proc/self/ns/net > ns.txt");
	profile_init(&prof);
	rq.backend = &counters_rusage;
	assert_int_equal(pipeline_profile(r.p, c, &rq, &prof, &res, &err), 0);
	buf_addf(&path, "%s/ns.txt", c->workdir);
	assert_int_equal(buf_read_file(&got, path.data), 0);
	buf_rtrim(&got);
	assert_true(got.len > 0);
	assert_string_not_equal(got.data, ns);
	profile_release(&prof);
	buf_reset(&path);
	buf_addf(&path, "%s/probe", r.f.tree);
	assert_int_not_equal(access(path.data, F_OK), 0);
	buf_release(&extra);
	buf_release(&err);
	buf_release(&got);
	buf_release(&path);
	close_pipe(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stage_outcomes),
	    cmocka_unit_test(test_children_isolated),
	};
	return test_run(tests, NULL, NULL);
}
