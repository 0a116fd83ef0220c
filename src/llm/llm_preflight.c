/*
 * llm_preflight.c: before a run builds anything, find out that the LLM it
 * is configured with cannot be used: a key that is not set, a server that
 * cannot be reached. See llm_options.h.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"
#include "llm/llm_options.h"

#define PREFLIGHT_CONNECT_S 5.0

static const struct llm_provider *provider_named(const char *name)
{
	if (!strcmp(name, "openai"))
		return &llm_provider_openai;
	if (!strcmp(name, "anthropic"))
		return &llm_provider_anthropic;
	return &llm_provider_openai_compatible;
}

/* 0 when a TCP (and TLS) connection to url's server can be made, else -1 with err. */
static int reach(const char *url, double timeout_s, struct buf *err)
{
	char msg[CURL_ERROR_SIZE] = "";
	CURL *h = curl_easy_init();
	CURLcode rc;

	if (!h)
		return err_set(err, "cannot start libcurl");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_s * 1000));
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, msg);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (llm_url_is_loopback(url))
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* as the client does */
	rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (rc == CURLE_OK)
		return 0;
	return err_set(err, "cannot reach the LLM server at %s: %s", url,
	               *msg ? msg : curl_easy_strerror(rc));
}

int llm_run_options_preflight(const struct llm_run_options *o, struct buf *err)
{
	const struct llm_provider *prov;
	const char *key_env, *key, *url;

	if (!o->provider || o->cache_mode == LLM_CACHE_RO)
		return 0; /* a replay needs neither a key nor the server */
	prov = provider_named(o->provider);
	key_env = o->api_key_env ? o->api_key_env : prov->default_key_env;
	key = getenv(key_env);
	url = o->url ? o->url : prov->default_base_url;
	/* The hosted APIs need a key; a local server may not (unless one was named). */
	if ((!key || !*key) && ((!o->url && prov->default_base_url) || o->api_key_env))
		return err_set(err,
		               "the LLM provider '%s' needs an API key, but %s is not set: export "
		               "%s=... (or --cache ro to replay a recorded run without one)",
		               o->provider, key_env, key_env);
	if (!url)
		return err_set(err,
		               "the LLM provider '%s' needs a server URL: give --llm-url (e.g. "
		               "http://127.0.0.1:8080/v1) or set OPENAI_BASE_URL",
		               o->provider);
	return reach(url, o->connect_timeout_s > 0 ? o->connect_timeout_s : PREFLIGHT_CONNECT_S,
	             err);
}
