/*
 * The LLM client: its configuration, the canonical request (and the cache
 * key made from it), results, and the error message of an answer. The
 * transfers themselves are in llm_client_xfer.c.
 */
#include "llm/llm_client_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "base/xalloc.h"

#define LLM_DEFAULT_CACHE_DIR ".optimize/cache"

const char *llm_status_name(enum llm_status s)
{
	switch (s) {
	case LLM_OK:
		return "ok";
	case LLM_TRUNCATED:
		return "truncated";
	case LLM_HTTP_ERROR:
		return "http_error";
	case LLM_TRANSPORT_ERROR:
		return "transport_error";
	case LLM_TIMEOUT:
		return "timeout";
	case LLM_BAD_RESPONSE:
		return "bad_response";
	case LLM_CACHE_MISS:
		return "cache_miss";
	}
	return "?";
}

void llm_config_init(struct llm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->temperature = 0.7;
	cfg->max_tokens = 4096;
	cfg->token_param = LLM_TOKENS_AUTO;
	cfg->connect_timeout_s = 10;
	cfg->request_timeout_s = 300;
	cfg->deadline_s = 900;
	cfg->max_retries = 4;
	cfg->backoff_base_s = 1;
	cfg->backoff_max_s = 60;
	cfg->price_prompt_per_mtok = -1;
	cfg->price_completion_per_mtok = -1;
	cfg->cache_mode = LLM_CACHE_RW;
}

void llm_result_init(struct llm_result *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text, 0);
	buf_init(&r->error, 0);
	buf_init(&r->finish_reason, 0);
	r->prompt_tokens = -1;
	r->completion_tokens = -1;
}

void llm_result_release(struct llm_result *r)
{
	buf_release(&r->text);
	buf_release(&r->error);
	buf_release(&r->finish_reason);
}

int llm_model_is_reasoning(const char *model)
{
	static const char *const prefixes[] = {"o1", "o3", "o4", "gpt-5"};
	const char *slash;
	size_t i;

	if (!model)
		return 0;
	slash = strrchr(model, '/');
	if (slash)
		model = slash + 1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);
		/* "o1", "o1-mini", "o3-2025-04-16"; not "o10x" or "gpt-50". */
		if (!strncmp(model, prefixes[i], n) &&
		    (model[n] == '\0' || model[n] == '-' || model[n] == '.' || model[n] == ':'))
			return 1;
	}
	return 0;
}

static const struct llm_provider *llm_provider_find(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "openai"))
		return &llm_provider_openai;
	if (!strcmp(name, "openai-compatible"))
		return &llm_provider_openai_compatible;
	if (!strcmp(name, "anthropic"))
		return &llm_provider_anthropic;
	return NULL;
}

int llm_url_is_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int r = 0;

	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
		r = !strcasecmp(host, "localhost") || !strcmp(host, "[::1]") ||
		    !strcmp(host, "::1");
		if (!r && !strncmp(host, "127.", 4)) {
			/* 127.a.b.c with nothing but digits and dots */
			r = 1;
			for (const char *p = host + 4; *p && r; p++)
				r = (*p >= '0' && *p <= '9') || *p == '.';
		}
	}
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

struct llm_client *llm_client_init(const struct llm_config *cfg, struct buf *err)
{
	const struct llm_provider *prov = llm_provider_find(cfg->provider);
	struct llm_client *c;
	struct buf ep = BUF_INIT;
	const char *base;
	size_t n;

	if (!prov) {
		err_set(err,
		        "unknown LLM provider '%s': use openai, openai-compatible or anthropic",
		        cfg->provider ? cfg->provider : "");
		return NULL;
	}
	if (!cfg->model || !*cfg->model) {
		err_set(err, "no model given for provider '%s'", prov->name);
		return NULL;
	}
	base = cfg->base_url && *cfg->base_url ? cfg->base_url : prov->default_base_url;
	if (!base) {
		err_set(err, "provider '%s' needs a base URL (e.g. http://127.0.0.1:8080/v1)",
		        prov->name);
		return NULL;
	}
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8)) {
		err_set(err, "base URL '%s' must start with http:// or https://", base);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->prov = prov;
	c->model = xstrdup(cfg->model);
	c->base_url = xstrdup(base);
	c->api_key = cfg->api_key && *cfg->api_key ? xstrdup(cfg->api_key) : NULL;
	c->key_env = xstrdup(cfg->api_key_env ? cfg->api_key_env : prov->default_key_env);
	c->anthropic_version =
	    xstrdup(cfg->anthropic_version ? cfg->anthropic_version : "2023-06-01");
	c->cache_dir = xstrdup(cfg->cache_dir ? cfg->cache_dir : LLM_DEFAULT_CACHE_DIR);
	buf_init(&ep, 0);
	buf_addstr(&ep, base);
	while (ep.len && ep.data[ep.len - 1] == '/')
		ep.data[--ep.len] = '\0';
	buf_addstr(&ep, prov->path);
	c->endpoint = buf_detach(&ep);

	c->params.temperature = cfg->temperature;
	c->params.max_tokens = cfg->max_tokens > 0 ? cfg->max_tokens : 0;
	if (prov != &llm_provider_anthropic) {
		int reasoning = llm_model_is_reasoning(cfg->model);
		c->params.max_completion = cfg->token_param == LLM_TOKENS_MAX_COMPLETION ||
		                           (cfg->token_param == LLM_TOKENS_AUTO && reasoning);
		/* OpenAI's reasoning models accept only their default temperature. */
		if (reasoning && cfg->token_param == LLM_TOKENS_AUTO)
			c->params.temperature = -1;
	}
	c->connect_timeout_s = cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 10;
	c->request_timeout_s = cfg->request_timeout_s > 0 ? cfg->request_timeout_s : 300;
	c->deadline_s = cfg->deadline_s > 0 ? cfg->deadline_s : INFINITY;
	c->max_retries = cfg->max_retries > 0 ? cfg->max_retries : 0;
	c->backoff_base_s = cfg->backoff_base_s > 0 ? cfg->backoff_base_s : 1;
	c->backoff_max_s = cfg->backoff_max_s > 0 ? cfg->backoff_max_s : 60;
	c->response_max = cfg->response_max ? cfg->response_max : LLM_DEFAULT_RESPONSE_MAX;
	c->price_prompt = cfg->price_prompt_per_mtok;
	c->price_completion = cfg->price_completion_per_mtok;
	c->usage.cost_known = c->price_prompt >= 0 || c->price_completion >= 0;
	c->cache_mode = cfg->cache_mode;
	c->log = cfg->log;
	c->log_ctx = cfg->log_ctx;
	c->rng = cfg->seed ? cfg->seed : ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	c->loopback = llm_url_is_loopback(c->base_url);
	c->multi = curl_multi_init();

	if (!c->multi) {
		err_set(err, "cannot start libcurl (curl_multi_init failed)");
		llm_client_release(c);
		return NULL;
	}
	n = strlen(c->cache_dir);
	while (n > 1 && c->cache_dir[n - 1] == '/')
		c->cache_dir[--n] = '\0';
	return c;
}

void llm_client_release(struct llm_client *c)
{
	if (!c)
		return;
	if (c->api_key) {
		volatile char *p = c->api_key;
		while (*p)
			*p++ = '\0';
		free(c->api_key);
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	free(c->model);
	free(c->base_url);
	free(c->endpoint);
	free(c->key_env);
	free(c->anthropic_version);
	free(c->cache_dir);
	free(c);
}

void llm_client_usage(const struct llm_client *c, struct llm_usage *out)
{
	*out = c->usage;
}

const char *llm_client_provider(const struct llm_client *c)
{
	return c->prov->name;
}

const char *llm_client_model(const struct llm_client *c)
{
	return c->model;
}

const char *llm_client_endpoint(const struct llm_client *c)
{
	return c->endpoint;
}

void llm_client_params(const struct llm_client *c, struct llm_params *out)
{
	*out = c->params;
}

int llm_request_canonical(const struct llm_request *req, const char *provider, const char *model,
                          const struct llm_params *params, int index, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *p, *msgs, *m;
	char *s = NULL;
	size_t i;
	int r = -1;

	buf_reset(out);
	if (!root)
		return -1;
	cJSON_AddNumberToObject(root, "v", 1);
	cJSON_AddStringToObject(root, "provider", provider ? provider : "");
	cJSON_AddStringToObject(root, "model", model ? model : "");
	p = cJSON_AddObjectToObject(root, "params");
	if (!p)
		goto done;
	if (params->temperature >= 0)
		cJSON_AddNumberToObject(p, "temperature", params->temperature);
	else
		cJSON_AddNullToObject(p, "temperature");
	if (params->max_tokens > 0)
		cJSON_AddNumberToObject(p, "max_tokens", (double)params->max_tokens);
	else
		cJSON_AddNullToObject(p, "max_tokens");
	cJSON_AddStringToObject(p, "token_param",
	                        params->max_completion ? "max_completion_tokens" : "max_tokens");
	if (req->system)
		cJSON_AddStringToObject(root, "system", req->system);
	else
		cJSON_AddNullToObject(root, "system");
	msgs = cJSON_AddArrayToObject(root, "messages");
	if (!msgs)
		goto done;
	for (i = 0; i < req->n_messages; i++) {
		m = cJSON_CreateObject();
		if (!m)
			goto done;
		cJSON_AddItemToArray(msgs, m);
		cJSON_AddStringToObject(m, "role",
		                        req->messages[i].role ? req->messages[i].role : "user");
		cJSON_AddStringToObject(m, "content",
		                        req->messages[i].content ? req->messages[i].content : "");
	}
	cJSON_AddNumberToObject(root, "index", index);
	s = cJSON_PrintUnformatted(root);
	if (s && buf_addstr(out, s) == 0)
		r = 0;
done:
	free(s);
	cJSON_Delete(root);
	return r;
}

int llm_request_key(const struct llm_request *req, const char *provider, const char *model,
                    const struct llm_params *params, int index, char key[SHA256_HEX_LEN + 1])
{
	struct buf canon = BUF_INIT;
	int r;

	buf_init(&canon, 0);
	r = llm_request_canonical(req, provider, model, params, index, &canon);
	if (r == 0)
		sha256_hex(canon.data, canon.len, key);
	buf_release(&canon);
	return r;
}

/*
 * The message of an error body, whichever provider wrote it: OpenAI and
 * Anthropic ({"error": {"message": ...}}), servers that put a string in
 * "error", "message" or "detail" (vLLM, FastAPI). Empty when none is found.
 */
long llm_token_count(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= LLM_TOKENS_MAX
	           ? (long)v->valuedouble
	           : -1;
}

void llm_error_message(const char *body, size_t len, struct buf *out)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *e, *m;

	buf_reset(out);
	if (!root)
		return;
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	m = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItemCaseSensitive(root, "detail"); /* vLLM, FastAPI servers */
	if (cJSON_IsString(m))
		buf_addstr(out, m->valuestring);
	cJSON_Delete(root);
}
