/*
 * The LLM client against the scripted server (tests/helpers/llm_server.c)
 * over real HTTP on 127.0.0.1: wire formats, every injected fault, retries
 * within the deadline, concurrency, and the response cache. The server runs
 * in the background through llm_test_server.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "base/buf.h"
#include "llm/llm.h"
#include "llm_test_server.h"
#include "test_util.h"

#ifndef TEST_BUILD_DIR
#define TEST_BUILD_DIR "."
#endif

#define SECRET_KEY "sk-test-SECRET-0123456789abcdef"

extern char **environ;

static char tmpdir[256];
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *req_header(const cJSON *req, const char *name)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(req, "headers");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The request body parsed (caller frees). */
static cJSON *req_body(const cJSON *req)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(req, "body");

	assert_true(cJSON_IsString(b));
	return cJSON_Parse(b->valuestring);
}

static struct buf logged;

static void collect_log(void *ctx, enum llm_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	buf_addstr(&logged, msg);
	buf_addch(&logged, '\n');
}

static void config_for(struct llm_config *cfg, const char *provider,
                       const struct llm_test_server *s)
{
	llm_config_init(cfg);
	cfg->provider = provider;
	cfg->model = "test-model";
	cfg->base_url = s->url;
	cfg->api_key = SECRET_KEY;
	cfg->temperature = 0.25;
	cfg->max_tokens = 256;
	cfg->connect_timeout_s = 1;
	cfg->request_timeout_s = 1;
	cfg->deadline_s = 10;
	cfg->max_retries = 3;
	cfg->backoff_base_s = 0.05;
	cfg->backoff_max_s = 0.2;
	cfg->seed = 42;
	cfg->cache_mode = LLM_CACHE_OFF;
	cfg->log = collect_log;
}

static const struct llm_message user_msg[] = {{"user", "make it faster"}};
static const struct llm_request simple_req = {"you optimise C code", user_msg, 1};

/* Run one completion against a fresh server with this script. */
static void run_one(const char *provider, const char *script, struct llm_config *override,
                    struct llm_result *res, struct llm_test_server *s)
{
	struct llm_config cfg;
	struct llm_client *c;
	struct buf err = BUF_INIT;

	llm_test_server_start(s, script);
	if (override) {
		cfg = *override;
		cfg.base_url = s->url;
	} else {
		config_for(&cfg, provider, s);
	}
	buf_init(&err, 0);
	c = llm_client_init(&cfg, &err);
	assert_non_null(c);
	llm_complete(c, &simple_req, res);
	llm_client_release(c);
	buf_release(&err);
	llm_test_server_stop(s);
	assert_null(strstr(buf_str(&res->error), SECRET_KEY));
	assert_null(strstr(buf_str(&logged), SECRET_KEY));
}

static int count_requests(const struct llm_test_server *s)
{
	cJSON *reqs = llm_test_server_requests(s);
	int n = cJSON_GetArraySize(reqs);

	cJSON_Delete(reqs);
	return n;
}

static void test_openai_plain(void **state)
{
	struct llm_result res;
	struct llm_test_server s;
	cJSON *reqs, *body, *msgs;
	const cJSON *r0;

	(void)state;
	run_one("openai",
	        "[{\"text\": \"int main(void) { return 0; }\", \"prompt_tokens\": 12, "
	        "\"completion_tokens\": 7}]",
	        NULL, &res, &s);
	assert_int_equal(res.status, LLM_OK);
	assert_string_equal(buf_str(&res.text), "int main(void) { return 0; }");
	assert_string_equal(buf_str(&res.finish_reason), "stop");
	assert_int_equal(res.prompt_tokens, 12);
	assert_int_equal(res.completion_tokens, 7);
	assert_int_equal(res.attempts, 1);
	assert_int_equal(res.http_code, 200);
	assert_int_equal(res.cached, 0);

	reqs = llm_test_server_requests(&s);
	assert_int_equal(cJSON_GetArraySize(reqs), 1);
	r0 = cJSON_GetArrayItem(reqs, 0);
	assert_string_equal(cJSON_GetObjectItem(r0, "path")->valuestring, "/v1/chat/completions");
	assert_string_equal(req_header(r0, "authorization"), "Bearer " SECRET_KEY);
	assert_string_equal(req_header(r0, "content-type"), "application/json");
	assert_string_equal(req_header(r0, "x-optimize-candidate"), "0");
	assert_null(req_header(r0, "x-api-key"));
	body = req_body(r0);
	assert_string_equal(cJSON_GetObjectItem(body, "model")->valuestring, "test-model");
	assert_int_equal(cJSON_GetObjectItem(body, "max_tokens")->valueint, 256);
	assert_null(cJSON_GetObjectItem(body, "max_completion_tokens"));
	assert_true(cJSON_GetObjectItem(body, "temperature")->valuedouble == 0.25);
	assert_null(cJSON_GetObjectItem(body, "n"));
	msgs = cJSON_GetObjectItem(body, "messages");
	assert_int_equal(cJSON_GetArraySize(msgs), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "role")->valuestring,
	                    "system");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring,
	    "you optimise C code");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "role")->valuestring,
	                    "user");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content")->valuestring,
	    "make it faster");
	cJSON_Delete(body);
	cJSON_Delete(reqs);
	llm_result_release(&res);
}

static void test_openai_reasoning_model(void **state)
{
	struct llm_config cfg;
	struct llm_result res;
	struct llm_test_server s;
	cJSON *reqs, *body;

	(void)state;
	assert_true(llm_model_is_reasoning("o1"));
	assert_true(llm_model_is_reasoning("o3-mini"));
	assert_true(llm_model_is_reasoning("o4-mini-2025-04-16"));
	assert_true(llm_model_is_reasoning("gpt-5"));
	assert_true(llm_model_is_reasoning("openai/gpt-5-mini"));
	assert_false(llm_model_is_reasoning("gpt-4o-mini"));
	assert_false(llm_model_is_reasoning("o10"));
	assert_false(llm_model_is_reasoning("qwen2.5-coder"));

	memset(&s, 0, sizeof(s));
	config_for(&cfg, "openai", &s);
	cfg.model = "o3-mini";
	run_one("openai", "[{\"text\": \"ok\"}]", &cfg, &res, &s);
	assert_int_equal(res.status, LLM_OK);
	reqs = llm_test_server_requests(&s);
	body = req_body(cJSON_GetArrayItem(reqs, 0));
	assert_int_equal(cJSON_GetObjectItem(body, "max_completion_tokens")->valueint, 256);
	assert_null(cJSON_GetObjectItem(body, "max_tokens"));
	assert_null(cJSON_GetObjectItem(body, "temperature"));
	cJSON_Delete(body);
	cJSON_Delete(reqs);
	llm_result_release(&res);

	/* An explicit setting applies to any model name. */
	config_for(&cfg, "openai-compatible", &s);
	cfg.token_param = LLM_TOKENS_MAX_COMPLETION;
	run_one(NULL, "[{\"text\": \"ok\"}]", &cfg, &res, &s);
	reqs = llm_test_server_requests(&s);
	body = req_body(cJSON_GetArrayItem(reqs, 0));
	assert_int_equal(cJSON_GetObjectItem(body, "max_completion_tokens")->valueint, 256);
	assert_null(cJSON_GetObjectItem(body, "max_tokens"));
	assert_non_null(cJSON_GetObjectItem(body, "temperature"));
	cJSON_Delete(body);
	cJSON_Delete(reqs);
	llm_result_release(&res);
}

static void test_anthropic_plain(void **state)
{
	struct llm_result res;
	struct llm_test_server s;
	cJSON *reqs, *body, *msgs;
	const cJSON *r0;

	(void)state;
	run_one("anthropic",
	        "[{\"text\": \"fast code\", \"prompt_tokens\": 30, \"completion_tokens\": 4}]",
	        NULL, &res, &s);
	assert_int_equal(res.status, LLM_OK);
	assert_string_equal(buf_str(&res.text), "fast code");
	assert_string_equal(buf_str(&res.finish_reason), "end_turn");
	assert_int_equal(res.prompt_tokens, 30);
	assert_int_equal(res.completion_tokens, 4);

	reqs = llm_test_server_requests(&s);
	assert_int_equal(cJSON_GetArraySize(reqs), 1);
	r0 = cJSON_GetArrayItem(reqs, 0);
	assert_string_equal(cJSON_GetObjectItem(r0, "path")->valuestring, "/v1/messages");
	assert_string_equal(req_header(r0, "x-api-key"), SECRET_KEY);
	assert_string_equal(req_header(r0, "anthropic-version"), "2023-06-01");
	assert_null(req_header(r0, "authorization"));
	body = req_body(r0);
	assert_string_equal(cJSON_GetObjectItem(body, "model")->valuestring, "test-model");
	assert_string_equal(cJSON_GetObjectItem(body, "system")->valuestring,
	                    "you optimise C code");
	assert_int_equal(cJSON_GetObjectItem(body, "max_tokens")->valueint, 256);
	msgs = cJSON_GetObjectItem(body, "messages");
	assert_int_equal(cJSON_GetArraySize(msgs), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "role")->valuestring,
	                    "user");
	cJSON_Delete(body);
	cJSON_Delete(reqs);
	llm_result_release(&res);
}

static void test_no_key_no_auth_header(void **state)
{
	struct llm_config cfg;
	struct llm_result res;
	struct llm_test_server s;
	cJSON *reqs;

	(void)state;
	memset(&s, 0, sizeof(s));
	config_for(&cfg, "openai-compatible", &s);
	cfg.api_key = NULL;
	run_one(NULL, "[{\"text\": \"ok\"}]", &cfg, &res, &s);
	assert_int_equal(res.status, LLM_OK);
	reqs = llm_test_server_requests(&s);
	assert_null(req_header(cJSON_GetArrayItem(reqs, 0), "authorization"));
	assert_null(req_header(cJSON_GetArrayItem(reqs, 0), "x-api-key"));
	cJSON_Delete(reqs);
	llm_result_release(&res);
}

static void test_429_retry_after(void **state)
{
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	buf_reset(&logged);
	run_one("openai", "[{\"fault\": \"429\", \"retry_after\": 1}, {\"text\": \"ok\"}]", NULL,
	        &res, &s);
	assert_int_equal(res.status, LLM_OK);
	assert_int_equal(res.attempts, 2);
	assert_true(res.elapsed_s >= 1.0);
	assert_true(res.elapsed_s < 10.0); /* generous: a loaded CI machine */
	assert_non_null(strstr(buf_str(&logged), "HTTP 429"));
	assert_int_equal(count_requests(&s), 2);
	llm_result_release(&res);
}

static void test_retry_after_past_deadline(void **state)
{
	struct llm_config cfg;
	struct llm_result res;
	struct llm_test_server s;
	double t0 = now_s();

	(void)state;
	memset(&s, 0, sizeof(s));
	config_for(&cfg, "openai", &s);
	cfg.deadline_s = 2;
	run_one(NULL, "[{\"fault\": \"429\", \"retry_after\": 30}, {\"text\": \"ok\"}]", &cfg, &res,
	        &s);
	assert_int_equal(res.status, LLM_HTTP_ERROR);
	assert_int_equal(res.http_code, 429);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(buf_str(&res.error), "deadline"));
	/* it did not wait the 30 s it was asked to */
	assert_true(now_s() - t0 < 15.0);
	llm_result_release(&res);
}

static void test_500_retried(void **state)
{
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	run_one("openai", "[{\"fault\": \"500\"}, {\"status\": 503}, {\"text\": \"ok\"}]", NULL,
	        &res, &s);
	assert_int_equal(res.status, LLM_OK);
	assert_int_equal(res.attempts, 3);
	assert_string_equal(buf_str(&res.text), "ok");
	llm_result_release(&res);

	/* Retries run out: the last error is reported with the count. */
	run_one("anthropic",
	        "[{\"fault\": \"500\"}, {\"fault\": \"500\"}, {\"fault\": \"500\"}, {\"fault\": "
	        "\"500\"}]",
	        NULL, &res, &s);
	assert_int_equal(res.status, LLM_HTTP_ERROR);
	assert_int_equal(res.http_code, 500);
	assert_int_equal(res.attempts, 4);
	assert_non_null(strstr(buf_str(&res.error), "server error (HTTP 500)"));
	assert_non_null(strstr(buf_str(&res.error), "4 attempts"));
	llm_result_release(&res);
}

static void test_slow_is_timeout_retried(void **state)
{
	struct llm_config cfg;
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	memset(&s, 0, sizeof(s));
	config_for(&cfg, "openai", &s);
	cfg.request_timeout_s = 0.5;
	run_one(NULL,
	        "[{\"fault\": \"slow\", \"delay_s\": 3, \"text\": \"late\"}, {\"text\": \"ok\"}]",
	        &cfg, &res, &s);
	assert_int_equal(res.status, LLM_OK);
	assert_string_equal(buf_str(&res.text), "ok");
	assert_int_equal(res.attempts, 2);
	assert_true(res.elapsed_s >= 0.5 && res.elapsed_s < 6.0); /* < the 3 s step + retry */
	llm_result_release(&res);
}

static void test_slow_hits_deadline(void **state)
{
	struct llm_config cfg;
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	memset(&s, 0, sizeof(s));
	config_for(&cfg, "openai", &s);
	cfg.request_timeout_s = 0.5;
	cfg.deadline_s = 1.3;
	cfg.max_retries = 10;
	/* Four 3 s steps: without the deadline this would take 12 s. */
	run_one(NULL,
	        "[{\"fault\": \"slow\", \"delay_s\": 3}, {\"fault\": \"slow\", \"delay_s\": 3},"
	        " {\"fault\": \"slow\", \"delay_s\": 3}, {\"fault\": \"slow\", \"delay_s\": 3}]",
	        &cfg, &res, &s);
	assert_int_equal(res.status, LLM_TIMEOUT);
	assert_true(res.attempts >= 2);
	assert_true(res.elapsed_s < 1.3 + 4.0);
	assert_non_null(strstr(buf_str(&res.error), "deadline"));
	llm_result_release(&res);
}

static void test_malformed_is_bad_response(void **state)
{
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	run_one("openai", "[{\"fault\": \"malformed\"}, {\"text\": \"unused\"}]", NULL, &res, &s);
	assert_int_equal(res.status, LLM_BAD_RESPONSE);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(buf_str(&res.error), "not valid JSON"));
	llm_result_release(&res);

	/* Valid JSON without the fields the format promises. */
	run_one("openai", "[{\"status\": 200, \"body\": \"{}\"}]", NULL, &res, &s);
	assert_int_equal(res.status, LLM_BAD_RESPONSE);
	assert_non_null(strstr(buf_str(&res.error), "choices[0]"));
	llm_result_release(&res);
}

static void test_missing_fields_is_bad_response(void **state)
{
	struct buf err = BUF_INIT;
	struct llm_result r;

	(void)state;
	buf_init(&err, 0);
	llm_result_init(&r);
	llm_provider_openai.parse_response("{\"choices\": []}", 15, &r);
	assert_int_equal(r.status, LLM_BAD_RESPONSE);
	llm_result_release(&r);
	llm_result_init(&r);
	llm_provider_anthropic.parse_response("{\"content\": [{\"type\": \"tool_use\"}]}", 36, &r);
	assert_int_equal(r.status, LLM_BAD_RESPONSE);
	llm_result_release(&r);
	buf_release(&err);
}

/* Token counts too large for a long (found by fuzzing: the conversion was
 * undefined) are "not reported", in both providers and in a cache entry. */
static void test_token_counts_out_of_range(void **state)
{
	static const char openai[] =
	    "{\"choices\": [{\"message\": {\"content\": \"x\"}, \"finish_reason\": \"stop\"}],"
	    " \"usage\": {\"prompt_tokens\": 4.9e19, \"completion_tokens\": 1e999}}";
	static const char anthropic[] =
	    "{\"content\": [{\"type\": \"text\", \"text\": \"x\"}],"
	    " \"usage\": {\"input_tokens\": 1e999, \"output_tokens\": 12}}";
	static const char entry[] =
	    "{\"key\": \"k\", \"status\": \"ok\", \"text\": \"x\","
	    " \"prompt_tokens\": 9.1e25, \"completion_tokens\": -3,"
	    " \"sha256\": \"31e831d3ab97291ff6b78832193f57e0d8746e364a0f6329cd3ab03b99aaa0ed\"}";
	struct buf err = BUF_INIT;
	struct llm_result r;

	(void)state;
	buf_init(&err, 0);
	llm_result_init(&r);
	llm_provider_openai.parse_response(openai, sizeof(openai) - 1, &r);
	assert_int_equal(r.status, LLM_OK);
	assert_int_equal(r.prompt_tokens, -1);
	assert_int_equal(r.completion_tokens, -1);
	llm_result_release(&r);
	llm_result_init(&r);
	llm_provider_anthropic.parse_response(anthropic, sizeof(anthropic) - 1, &r);
	assert_int_equal(r.status, LLM_OK);
	assert_int_equal(r.prompt_tokens, -1);
	assert_int_equal(r.completion_tokens, 12);
	llm_result_release(&r);
	llm_result_init(&r);
	assert_int_equal(llm_cache_parse(entry, sizeof(entry) - 1, "k", "e.json", &r, &err), 1);
	assert_int_equal(r.prompt_tokens, -1);
	assert_int_equal(r.completion_tokens, -1);
	llm_result_release(&r);
	buf_release(&err);
}

static void test_oversized_response(void **state)
{
	struct llm_config cfg;
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	memset(&s, 0, sizeof(s));
	config_for(&cfg, "openai", &s);
	cfg.response_max = 100;
	run_one(NULL,
	        "[{\"text\": "
	        "\"0123456789012345678901234567890123456789012345678901234567890123456789\"},"
	        " {\"text\": \"unused\"}]",
	        &cfg, &res, &s);
	assert_int_equal(res.status, LLM_BAD_RESPONSE);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(buf_str(&res.error), "larger than 100 bytes"));
	llm_result_release(&res);
}

static void test_truncated_body(void **state)
{
	struct llm_config cfg;
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	memset(&s, 0, sizeof(s));
	config_for(&cfg, "openai", &s);
	cfg.max_retries = 0;
	run_one(NULL,
	        "[{\"fault\": \"truncated_body\", \"text\": \"a long enough answer to cut\"}]",
	        &cfg, &res, &s);
	assert_int_equal(res.status, LLM_TRANSPORT_ERROR);
	assert_int_equal(res.attempts, 1);
	assert_true(buf_str(&res.error)[0] != '\0');
	llm_result_release(&res);

	/* With retries the next step answers. */
	run_one("openai",
	        "[{\"fault\": \"truncated_body\", \"text\": \"cut\"}, {\"text\": \"whole\"}]", NULL,
	        &res, &s);
	assert_int_equal(res.status, LLM_OK);
	assert_string_equal(buf_str(&res.text), "whole");
	assert_int_equal(res.attempts, 2);
	llm_result_release(&res);
}

static void test_drop_retried(void **state)
{
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	run_one("anthropic", "[{\"fault\": \"drop\"}, {\"text\": \"ok\"}]", NULL, &res, &s);
	assert_int_equal(res.status, LLM_OK);
	assert_int_equal(res.attempts, 2);
	assert_int_equal(count_requests(&s), 2);
	llm_result_release(&res);
}

/* One client across calls (its connections pooled): a drop on the second
 * call is one failed attempt and one retry, nothing hidden. */
static void test_drop_on_second_call(void **state)
{
	struct llm_config cfg;
	struct llm_client *c;
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	llm_test_server_start(&s,
	                      "[{\"text\": \"one\"}, {\"fault\": \"drop\"}, {\"text\": \"two\"}]");
	config_for(&cfg, "openai", &s);
	c = llm_client_init(&cfg, NULL);
	assert_int_equal(llm_complete(c, &simple_req, &res), 0);
	assert_string_equal(buf_str(&res.text), "one");
	llm_result_release(&res);
	assert_int_equal(llm_complete(c, &simple_req, &res), 0);
	assert_string_equal(buf_str(&res.text), "two");
	assert_int_equal(res.attempts, 2);
	llm_result_release(&res);
	llm_client_release(c);
	llm_test_server_stop(&s);
	assert_int_equal(count_requests(&s), 3);
}

static void test_length_is_truncated(void **state)
{
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	run_one("openai", "[{\"fault\": \"length\", \"text\": \"int f(void) {\"}]", NULL, &res, &s);
	assert_int_equal(res.status, LLM_TRUNCATED);
	assert_string_equal(buf_str(&res.text), "int f(void) {");
	assert_string_equal(buf_str(&res.finish_reason), "length");
	assert_int_equal(res.attempts, 1);
	llm_result_release(&res);

	run_one("anthropic", "[{\"fault\": \"length\", \"text\": \"int f(void) {\"}]", NULL, &res,
	        &s);
	assert_int_equal(res.status, LLM_TRUNCATED);
	assert_string_equal(buf_str(&res.finish_reason), "max_tokens");
	llm_result_release(&res);
}

static void test_401_not_retried(void **state)
{
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	buf_reset(&logged);
	/* The server echoes the key, as some do: it must not come back out. */
	run_one("openai",
	        "[{\"status\": 401, \"message\": \"Incorrect API key provided: " SECRET_KEY "\"},"
	        " {\"text\": \"unused\"}]",
	        NULL, &res, &s);
	assert_int_equal(res.status, LLM_HTTP_ERROR);
	assert_int_equal(res.http_code, 401);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(buf_str(&res.error),
	                       "the API key was rejected (HTTP 401): check OPENAI_API_KEY"));
	assert_null(strstr(buf_str(&res.error), SECRET_KEY));
	assert_int_equal(count_requests(&s), 1);
	llm_result_release(&res);

	run_one("anthropic", "[{\"status\": 403}]", NULL, &res, &s);
	assert_int_equal(res.http_code, 403);
	assert_non_null(strstr(buf_str(&res.error), "ANTHROPIC_API_KEY"));
	llm_result_release(&res);
}

static void test_404_and_400_messages(void **state)
{
	struct llm_result res;
	struct llm_test_server s;

	(void)state;
	run_one("openai", "[{\"status\": 404}, {\"text\": \"unused\"}]", NULL, &res, &s);
	assert_int_equal(res.status, LLM_HTTP_ERROR);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(buf_str(&res.error), "unknown model or endpoint"));
	assert_non_null(strstr(buf_str(&res.error), "test-model"));
	llm_result_release(&res);

	run_one("openai",
	        "[{\"status\": 400, \"message\": \"This model's maximum context length is 8192 "
	        "tokens\"}]",
	        NULL, &res, &s);
	assert_int_equal(res.attempts, 1);
	assert_non_null(
	    strstr(buf_str(&res.error), "the prompt is too long for the model's context"));
	llm_result_release(&res);

	run_one("anthropic", "[{\"status\": 400, \"message\": \"temperature: out of range\"}]",
	        NULL, &res, &s);
	assert_non_null(strstr(buf_str(&res.error), "the request was rejected (HTTP 400)"));
	assert_non_null(strstr(buf_str(&res.error), "temperature: out of range"));
	llm_result_release(&res);
}

static void test_concurrent_n3(void **state)
{
	struct llm_config cfg;
	struct llm_client *c;
	struct llm_result res[3];
	struct llm_usage u;
	struct llm_test_server s;
	cJSON *reqs;
	double t0;
	int i, seen = 0;

	(void)state;
	llm_test_server_start(
	    &s,
	    "[{\"text\": \"a\", \"delay_s\": 2, \"prompt_tokens\": 10, \"completion_tokens\": 1},"
	    " {\"text\": \"b\", \"delay_s\": 2, \"prompt_tokens\": 10, \"completion_tokens\": 1},"
	    " {\"text\": \"c\", \"delay_s\": 2, \"prompt_tokens\": 10, \"completion_tokens\": 1}]");
	config_for(&cfg, "openai", &s);
	cfg.price_prompt_per_mtok = 1000;
	cfg.price_completion_per_mtok = 2000;
	cfg.request_timeout_s = 10;
	cfg.deadline_s = 30;
	c = llm_client_init(&cfg, NULL);
	assert_non_null(c);
	t0 = now_s();
	assert_int_equal(llm_complete_n(c, &simple_req, 3, res), 3);
	/* One after another would take 6 s; concurrently about 2 s (generous bound for load). */
	assert_true(now_s() - t0 < 5.0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(res[i].status, LLM_OK);
		assert_int_equal(res[i].attempts, 1);
		assert_int_equal(strlen(buf_str(&res[i].text)), 1);
		seen |= 1 << (buf_str(&res[i].text)[0] - 'a');
	}
	assert_int_equal(seen, 7);
	assert_string_not_equal(res[0].key, res[1].key);
	llm_client_usage(c, &u);
	assert_int_equal(u.completions, 3);
	assert_int_equal(u.http_requests, 3);
	assert_int_equal(u.prompt_tokens, 30);
	assert_int_equal(u.completion_tokens, 3);
	assert_true(u.cost_known);
	assert_true(u.cost > 0.035999 && u.cost < 0.036001);
	llm_client_release(c);
	llm_test_server_stop(&s);

	reqs = llm_test_server_requests(&s);
	assert_int_equal(cJSON_GetArraySize(reqs), 3);
	seen = 0;
	for (i = 0; i < 3; i++)
		seen |= 1 << atoi(req_header(cJSON_GetArrayItem(reqs, i), "x-optimize-candidate"));
	assert_int_equal(seen, 7);
	cJSON_Delete(reqs);
	for (i = 0; i < 3; i++)
		llm_result_release(&res[i]);
}

/* 1 if any file under dir contains needle. */
static int dir_contains(const char *dir, const char *needle, int *files)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char path[1024];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			found = dir_contains(path, needle, files);
		} else {
			struct buf b = BUF_INIT;
			buf_init(&b, 0);
			buf_read_file(&b, path);
			found = strstr(buf_str(&b), needle) != NULL;
			buf_release(&b);
			(*files)++;
		}
	}
	closedir(d);
	return found;
}

static void test_cache_rw_then_replay(void **state)
{
	struct llm_config cfg;
	struct llm_client *c;
	struct llm_result res[2];
	struct llm_usage u;
	struct llm_test_server s;
	struct buf path = BUF_INIT;
	char dir[512];
	int i, files = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/cache-rw", tmpdir);
	llm_test_server_start(
	    &s, "[{\"text\": \"first\", \"prompt_tokens\": 5, \"completion_tokens\": 2},"
	        " {\"text\": \"second\", \"prompt_tokens\": 5, \"completion_tokens\": 2}]");
	config_for(&cfg, "openai", &s);
	cfg.cache_mode = LLM_CACHE_RW;
	cfg.cache_dir = dir;
	c = llm_client_init(&cfg, NULL);
	assert_int_equal(llm_complete_n(c, &simple_req, 2, res), 2);
	assert_int_equal(res[0].cached, 0);
	llm_client_release(c);
	llm_test_server_stop(&s);

	buf_init(&path, 0);
	llm_cache_path(dir, res[0].key, &path);
	assert_int_equal(access(path.data, R_OK), 0);
	assert_null(strstr(path.data, "//"));
	assert_int_equal(strlen(strrchr(path.data, '/') + 1), 62 + 5);
	buf_release(&path);
	assert_false(dir_contains(dir, SECRET_KEY, &files));
	assert_int_equal(files, 2);

	/* The server is gone: rw and ro both replay without HTTP, per index. */
	for (i = 0; i < 2; i++) {
		struct llm_result again[2];
		struct buf err = BUF_INIT;
		int j;

		cfg.cache_mode = i ? LLM_CACHE_RO : LLM_CACHE_RW;
		buf_init(&err, 0);
		c = llm_client_init(&cfg, &err);
		assert_non_null(c);
		assert_int_equal(llm_complete_n(c, &simple_req, 2, again), 2);
		for (j = 0; j < 2; j++) {
			assert_int_equal(again[j].status, LLM_OK);
			assert_int_equal(again[j].cached, 1);
			assert_int_equal(again[j].attempts, 0);
			assert_string_equal(buf_str(&again[j].text), buf_str(&res[j].text));
			assert_string_equal(again[j].key, res[j].key);
			assert_int_equal(again[j].completion_tokens, 2);
			llm_result_release(&again[j]);
		}
		llm_client_usage(c, &u);
		assert_int_equal(u.cache_hits, 2);
		assert_int_equal(u.http_requests, 0);
		assert_int_equal(u.prompt_tokens, 0);
		assert_int_equal(u.cached_prompt_tokens, 10);
		llm_client_release(c);
		buf_release(&err);
	}
	for (i = 0; i < 2; i++)
		llm_result_release(&res[i]);
}

/* The entry reader on bytes: what llm_cache_lookup does after reading the file. */
static void test_cache_parse(void **state)
{
	static const char key[] =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	static const char entry[] =
	    "{\"key\": \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
	    " \"status\": \"truncated\", \"finish_reason\": \"length\", \"text\": \"a\","
	    " \"prompt_tokens\": 7, \"completion_tokens\": 3,"
	    " \"sha256\": \"3f7ef888534a5b21c6c1dce12bddaf8df4309d9295a7a17c1ebf36a210681610\"}";
	/* The same entry with its text edited after it was recorded, and without a hash. */
	static const char edited[] =
	    "{\"key\": \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
	    " \"status\": \"truncated\", \"finish_reason\": \"length\", \"text\": \"b\","
	    " \"prompt_tokens\": 7, \"completion_tokens\": 3,"
	    " \"sha256\": \"3f7ef888534a5b21c6c1dce12bddaf8df4309d9295a7a17c1ebf36a210681610\"}";
	static const char nohash[] =
	    "{\"key\": \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
	    " \"status\": \"ok\", \"text\": \"a\"}";
	struct buf err = BUF_INIT;
	struct llm_result r;

	(void)state;
	buf_init(&err, 0);
	llm_result_init(&r);
	assert_int_equal(llm_cache_parse(entry, sizeof(entry) - 1, key, "e.json", &r, &err), 1);
	assert_int_equal(r.status, LLM_TRUNCATED);
	assert_string_equal(buf_str(&r.text), "a");
	assert_string_equal(buf_str(&r.finish_reason), "length");
	assert_int_equal(r.prompt_tokens, 7);
	assert_int_equal(r.completion_tokens, 3);
	assert_int_equal(r.cached, 1);
	/* An entry recorded for another key is corrupt, and so is a cut one. */
	assert_int_equal(llm_cache_parse(entry, sizeof(entry) - 1, "0", "e.json", &r, &err), -1);
	assert_non_null(strstr(buf_str(&err), "corrupt cache entry 'e.json'"));
	assert_int_equal(llm_cache_parse(entry, 40, key, "e.json", &r, &err), -1);
	assert_int_equal(llm_cache_parse(edited, sizeof(edited) - 1, key, "e.json", &r, &err), -1);
	assert_non_null(strstr(buf_str(&err), "was changed after it was recorded"));
	assert_int_equal(llm_cache_parse(nohash, sizeof(nohash) - 1, key, "e.json", &r, &err), -1);
	assert_non_null(strstr(buf_str(&err), "has no sha256"));
	llm_result_release(&r);
	buf_release(&err);
}

static void test_cache_ro_miss(void **state)
{
	struct llm_config cfg;
	struct llm_client *c;
	struct llm_result res[2];
	struct llm_test_server s;
	char dir[512];
	int i;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/cache-ro-empty", tmpdir);
	memset(&s, 0, sizeof(s));
	/* Nothing listens here; a live call would be a transport error. */
	snprintf(s.url, sizeof(s.url), "http://127.0.0.1:9/v1");
	config_for(&cfg, "anthropic", &s);
	cfg.model = "claude-test";
	cfg.cache_mode = LLM_CACHE_RO;
	cfg.cache_dir = dir;
	c = llm_client_init(&cfg, NULL);
	assert_int_equal(llm_complete_n(c, &simple_req, 2, res), 0);
	for (i = 0; i < 2; i++) {
		char want[64];

		assert_int_equal(res[i].status, LLM_CACHE_MISS);
		assert_int_equal(res[i].attempts, 0);
		assert_non_null(strstr(buf_str(&res[i].error), "provider 'anthropic'"));
		assert_non_null(strstr(buf_str(&res[i].error), "model 'claude-test'"));
		snprintf(want, sizeof(want), "candidate %d", i);
		assert_non_null(strstr(buf_str(&res[i].error), want));
		assert_non_null(strstr(buf_str(&res[i].error), res[i].key));
		assert_string_equal(llm_status_name(res[i].status), "cache_miss");
		llm_result_release(&res[i]);
	}
	llm_client_release(c);
}

static void test_canonical_key(void **state)
{
	struct llm_params p = {0.7, 100, 0};
	struct llm_message m2[] = {{"user", "make it faster!"}};
	struct llm_request other = {"you optimise C code", m2, 1};
	struct buf canon = BUF_INIT;
	char k0[65], k0b[65], k1[65], kmsg[65], kmodel[65], kparam[65];

	(void)state;
	buf_init(&canon, 0);
	assert_int_equal(llm_request_canonical(&simple_req, "openai", "m", &p, 0, &canon), 0);
	assert_string_equal(
	    canon.data,
	    "{\"v\":1,\"provider\":\"openai\",\"model\":\"m\",\"params\":{\"temperature\":0.7,"
	    "\"max_tokens\":100,\"token_param\":\"max_tokens\"},\"system\":\"you optimise C code\","
	    "\"messages\":[{\"role\":\"user\",\"content\":\"make it faster\"}],\"index\":0}");
	buf_release(&canon);
	llm_request_key(&simple_req, "openai", "m", &p, 0, k0);
	llm_request_key(&simple_req, "openai", "m", &p, 0, k0b);
	llm_request_key(&simple_req, "openai", "m", &p, 1, k1);
	llm_request_key(&other, "openai", "m", &p, 0, kmsg);
	llm_request_key(&simple_req, "openai", "m2", &p, 0, kmodel);
	p.temperature = 0.8;
	llm_request_key(&simple_req, "openai", "m", &p, 0, kparam);
	assert_int_equal(strlen(k0), 64);
	assert_string_equal(k0, k0b);
	assert_string_not_equal(k0, k1);
	assert_string_not_equal(k0, kmsg);
	assert_string_not_equal(k0, kmodel);
	assert_string_not_equal(k0, kparam);
}

/*
 * Every loopback address goes past the proxy: a manifest's llm.url on
 * 127.0.0.2 may receive the key over plain http (it is loopback), so the
 * client must not hand that request to $http_proxy. Here the "proxy" is the
 * scripted server itself: a request that reached it would be logged there,
 * key and all. Bypassed, it goes to 127.0.0.2:1, where nothing listens.
 */
static void test_loopback_bypasses_proxy(void **state)
{
	static const char *const vars[] = {"http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"};
	char *saved[4];
	struct llm_test_server s;
	struct llm_config cfg;
	struct llm_client *c;
	struct llm_result res;
	struct buf err = BUF_INIT, proxy = BUF_INIT;

	(void)state;
	assert_int_equal(llm_url_is_loopback("http://127.0.0.1:8080/v1"), 1);
	assert_int_equal(llm_url_is_loopback("http://127.0.0.2:1/v1"), 1);
	assert_int_equal(llm_url_is_loopback("http://LOCALHOST/v1"), 1);
	assert_int_equal(llm_url_is_loopback("http://[::1]:8080/v1"), 1);
	assert_int_equal(llm_url_is_loopback("http://127.0.0.1@example.invalid/v1"), 0);
	assert_int_equal(llm_url_is_loopback("http://127.example.invalid/v1"), 0);
	assert_int_equal(llm_url_is_loopback("http://128.0.0.1/v1"), 0);
	assert_int_equal(llm_url_is_loopback("https://api.openai.com/v1"), 0);
	assert_int_equal(llm_url_is_loopback("not a url"), 0);

	llm_test_server_start(&s, "[{\"text\": \"never sent\"}]");
	buf_init(&proxy, 0);
	buf_addf(&proxy, "http://127.0.0.1:%d", s.port);
	for (int i = 0; i < 4; i++) {
		const char *v = getenv(vars[i]);
		saved[i] = v ? strdup(v) : NULL;
		unsetenv(vars[i]);
	}
	setenv("http_proxy", proxy.data, 1);
	config_for(&cfg, "openai-compatible", &s);
	cfg.base_url = "http://127.0.0.2:1/v1";
	cfg.max_retries = 0;
	buf_init(&err, 0);
	c = llm_client_init(&cfg, &err);
	assert_non_null(c);
	llm_result_init(&res);
	llm_complete(c, &simple_req, &res);
	llm_client_release(c);
	for (int i = 0; i < 4; i++) {
		if (saved[i])
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
	}
	assert_int_not_equal(res.status, LLM_OK);
	assert_int_equal(count_requests(&s), 0);
	llm_test_server_stop(&s);
	llm_result_release(&res);
	buf_release(&err);
	buf_release(&proxy);
}

static void test_config_errors(void **state)
{
	struct llm_config cfg;
	struct buf err = BUF_INIT;
	enum llm_cache_mode m;

	(void)state;
	buf_init(&err, 0);
	llm_config_init(&cfg);
	cfg.provider = "gemini";
	cfg.model = "x";
	assert_null(llm_client_init(&cfg, &err));
	assert_non_null(strstr(err.data, "unknown LLM provider 'gemini'"));
	cfg.provider = "openai-compatible";
	assert_null(llm_client_init(&cfg, &err));
	assert_non_null(strstr(err.data, "needs a base URL"));
	cfg.base_url = "ftp://127.0.0.1/";
	assert_null(llm_client_init(&cfg, &err));
	cfg.provider = "openai";
	cfg.base_url = NULL;
	cfg.model = NULL;
	assert_null(llm_client_init(&cfg, &err));
	assert_non_null(strstr(err.data, "no model"));
	assert_int_equal(llm_cache_mode_parse("ro", &m), 0);
	assert_int_equal(m, LLM_CACHE_RO);
	assert_int_equal(llm_cache_mode_parse("rx", &m), -1);
	buf_release(&err);
	{
		/* Defaults only name the public endpoints; nothing is contacted. */
		struct llm_client *c;
		cfg.model = "gpt-4o-mini";
		c = llm_client_init(&cfg, &err);
		assert_non_null(c);
		assert_string_equal(llm_client_endpoint(c),
		                    "https://api.openai.com/v1/chat/completions");
		llm_client_release(c);
	}
}

static int setup(void **state)
{
	(void)state;
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/llm-client-XXXXXX", test_tmpdir()) >=
	        (int)sizeof(tmpdir) ||
	    !mkdtemp(tmpdir))
		return -1;
	buf_init(&logged, 0);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	/* tmpdir goes with test_tmpdir() (OPTIMIZE_TEST_KEEP_TMP=1 keeps it). */
	buf_release(&logged);
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canonical_key),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_loopback_bypasses_proxy),
	    cmocka_unit_test(test_missing_fields_is_bad_response),
	    cmocka_unit_test(test_cache_parse),
	    cmocka_unit_test(test_token_counts_out_of_range),
	    cmocka_unit_test(test_openai_plain),
	    cmocka_unit_test(test_openai_reasoning_model),
	    cmocka_unit_test(test_anthropic_plain),
	    cmocka_unit_test(test_no_key_no_auth_header),
	    cmocka_unit_test(test_429_retry_after),
	    cmocka_unit_test(test_retry_after_past_deadline),
	    cmocka_unit_test(test_500_retried),
	    cmocka_unit_test(test_slow_is_timeout_retried),
	    cmocka_unit_test(test_slow_hits_deadline),
	    cmocka_unit_test(test_malformed_is_bad_response),
	    cmocka_unit_test(test_oversized_response),
	    cmocka_unit_test(test_truncated_body),
	    cmocka_unit_test(test_drop_retried),
	    cmocka_unit_test(test_drop_on_second_call),
	    cmocka_unit_test(test_length_is_truncated),
	    cmocka_unit_test(test_401_not_retried),
	    cmocka_unit_test(test_404_and_400_messages),
	    cmocka_unit_test(test_concurrent_n3),
	    cmocka_unit_test(test_cache_rw_then_replay),
	    cmocka_unit_test(test_cache_ro_miss),
	};
	return test_run(tests, setup, teardown);
}
