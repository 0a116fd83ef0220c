/*
 * test_proposer_llm.c: the LLM proposer in a run of a real target
 * (engine_fixture.h), against the scripted server over real HTTP on
 * 127.0.0.1 (llm_test_server.h): the first prompt carries the editable
 * source; the answer's code block becomes a candidate that edits prog.c; a
 * candidate that does not build goes back for one repair with the compiler's
 * message; after the last round and its repairs nothing more is proposed;
 * the report counts the calls and tokens; an answer without code is no
 * candidate to build (rejected, with the reason); and an API error ends the
 * run with its reason. The whole run
 * (build, verify, measure) is the e2e tests' (t05*): here the proposer alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "engine_fixture.h"
#include "llm/proposer_llm.h"
#include "llm_test_server.h"
#include "test_util.h"

/* The fixture's program, as the model would send it back (a fenced block). */
static void answer_step(cJSON *script, const char *intro, long value, const char *extra)
{
	struct buf prog = BUF_INIT, text = BUF_INIT;
	cJSON *step = cJSON_CreateObject();

	fixture_prog(&prog, 0, 1, value);
	buf_addf(&text, "%s\n\n```c prog.c\n%s%s```\n", intro, prog.data, extra ? extra : "");
	json_add_string(step, "text", text.data);
	cJSON_AddItemToArray(script, step);
	buf_release(&prog);
	buf_release(&text);
}

static struct proposer *proposer_for(const struct llm_test_server *s, int rounds, int repairs)
{
	struct llm_run_options o;
	struct buf err = BUF_INIT;
	struct proposer *p;

	llm_run_options_init(&o);
	o.provider = "openai-compatible";
	o.model = "test-model";
	o.url = s->url;
	o.rounds = rounds;
	o.candidates = 1;
	o.repairs = repairs;
	o.cache_mode = LLM_CACHE_OFF;
	o.cache_mode_set = 1;
	o.verbosity = -1;
	p = proposer_llm_new(&o, &err);
	if (!p)
		fail_msg("proposer_llm_new: %s", err.data);
	buf_release(&err);
	return p;
}

/* Where the proposer writes its transcript and cache: under the fixture. */
static void view_dirs(struct run_fixture *x, struct buf *run_dir)
{
	buf_addf(run_dir, "%s/runs/test/prog", x->f.state);
	assert_int_equal(file_mkdirs(run_dir->data, 0755, NULL), 0);
	x->v.run_dir = run_dir->data;
	x->v.state_dir = x->f.state;
	x->v.run_id = "test";
	x->v.verbosity = -1;
}

/* The user message of request i (0-based) of the server's log. */
static char *request_text(const struct llm_test_server *s, int i)
{
	cJSON *reqs = llm_test_server_requests(s), *req = cJSON_GetArrayItem(reqs, i), *body;
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(req, "body");
	char *text;

	assert_true(cJSON_IsString(b));
	body = cJSON_Parse(b->valuestring);
	assert_non_null(body);
	text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(body, "messages"));
	cJSON_Delete(body);
	cJSON_Delete(reqs);
	return text;
}

static int request_count(const struct llm_test_server *s)
{
	cJSON *reqs = llm_test_server_requests(s);
	int n = cJSON_GetArraySize(reqs);

	cJSON_Delete(reqs);
	return n;
}

/* Round 1, its repair, the end of the rounds, and the report. */
static void test_round_repair_report(void **state)
{
	struct run_fixture x;
	struct llm_test_server s;
	struct buf err = BUF_INIT, run_dir = BUF_INIT;
	cJSON *script = cJSON_CreateArray(), *rep;
	const cJSON *l;
	struct candidate *out[4];
	struct proposer *p;
	char *script_text, *req;
	int n;

	(void)state;
	answer_step(script, "Fewer iterations.", 42, "int broken(void) { return }\n");
	answer_step(script, "Fixed the syntax error.", 42, NULL);
	script_text = cJSON_PrintUnformatted(script);
	llm_test_server_start(&s, script_text);
	setenv("OPENAI_API_KEY", "sk-unit-test", 1);
	run_fixture_open(&x);
	view_dirs(&x, &run_dir);
	p = proposer_for(&s, 1, 1);

	/* Round 1: one candidate, an edit of prog.c built on the original. */
	n = p->propose(p, &x.v, out, 4, &err);
	assert_int_equal(n, 1);
	assert_string_equal(out[0]->origin, "llm");
	assert_int_equal(out[0]->nfiles, 1);
	assert_string_equal(out[0]->files[0].path, "prog.c");
	assert_non_null(strstr(out[0]->files[0].content, "int broken(void)"));
	assert_int_equal(out[0]->llm.repair_of, -1);
	assert_int_equal(request_count(&s), 1);
	req = request_text(&s, 0);
	assert_non_null(strstr(req, "prog.c"));
	assert_non_null(strstr(req, "nanosleep(&ts, NULL);")); /* the source itself */
	free(req);

	/* It does not build: the next call is its repair, with the compiler's words. */
	candidate_set(out[0], CAND_BUILD_FAILED,
	              "prog.c:12:33: error: expected expression before '}' token");
	run_fixture_add(&x, p, out[0], CAND_BUILD_FAILED);
	n = p->propose(p, &x.v, out, 4, &err);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->llm.repair_of, 1);
	assert_null(strstr(out[0]->files[0].content, "int broken(void)"));
	assert_int_equal(request_count(&s), 2);
	req = request_text(&s, 1);
	assert_non_null(strstr(req, "expected expression before"));
	free(req);
	run_fixture_add(&x, p, out[0], CAND_ACCEPTED);

	/* One round asked for, repairs done: nothing more, and no request. */
	assert_int_equal(p->propose(p, &x.v, out, 4, &err), 0);
	assert_int_equal(request_count(&s), 2);

	rep = cJSON_CreateObject();
	p->report(p, rep);
	l = cJSON_GetObjectItemCaseSensitive(rep, "llm");
	assert_int_equal(json_get_number(l, "calls", -1), 2);
	assert_int_equal(json_get_number(l, "repairs", -1), 1);
	assert_int_equal(json_get_number(l, "rounds", -1), 1);
	assert_true(
	    json_get_number(cJSON_GetObjectItemCaseSensitive(l, "prompt_tokens"), "value", 0) > 0);
	assert_string_equal(json_get_string(l, "stopped", ""), "rounds done");
	cJSON_Delete(rep);

	p->release(p);
	llm_test_server_stop(&s);
	run_fixture_close(&x);
	cJSON_Delete(script);
	free(script_text);
	buf_release(&err);
	buf_release(&run_dir);
}

/* An answer with no code is no candidate; an API error ends the run with its reason. */
static void test_no_code_and_api_error(void **state)
{
	struct run_fixture x;
	struct llm_test_server s;
	struct buf err = BUF_INIT, run_dir = BUF_INIT;
	struct candidate *out[4];
	struct proposer *p;
	int n;

	(void)state;
	llm_test_server_start(&s, "[{\"text\": \"I would rather not change anything.\"},"
	                          " {\"status\": 401, \"message\": \"invalid api key sk-unit\"}]");
	setenv("OPENAI_API_KEY", "sk-unit-test", 1);
	run_fixture_open(&x);
	view_dirs(&x, &run_dir);
	p = proposer_for(&s, 3, 0);

	/* Round 1: a candidate already rejected, saying why, with nothing to build. */
	n = p->propose(p, &x.v, out, 4, &err);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->status, CAND_EDIT_REJECTED);
	assert_int_equal(out[0]->nfiles, 0);
	assert_non_null(out[0]->reason);
	assert_non_null(strstr(out[0]->reason, "code block"));
	assert_int_equal(request_count(&s), 1);
	run_fixture_add(&x, p, out[0], CAND_EDIT_REJECTED);
	/* Round 2 (no repairs asked for): the server refuses the key. */
	n = p->propose(p, &x.v, out, 4, &err);
	assert_true(n < 0);
	assert_non_null(strstr(err.data, "401"));
	assert_int_equal(request_count(&s), 2);

	p->release(p);
	llm_test_server_stop(&s);
	run_fixture_close(&x);
	buf_release(&err);
	buf_release(&run_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_repair_report),
	    cmocka_unit_test(test_no_code_and_api_error),
	};
	return test_run(tests, NULL, NULL);
}
