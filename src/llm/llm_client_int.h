/*
 * llm_client_int.h: private to src/llm/llm_client*.c: the client handle.
 * llm_client.c makes it and builds requests and reads answers;
 * llm_client_xfer.c drives the transfers (curl multi, retries, cache).
 */
#ifndef OPTIMIZE_LLM_CLIENT_INT_H
#define OPTIMIZE_LLM_CLIENT_INT_H

#include "llm/llm.h"

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct llm_client {
	const struct llm_provider *prov;
	char *model;
	char *base_url;
	char *endpoint;
	char *api_key; /* NULL = none; zeroed before it is freed */
	char *key_env;
	char *anthropic_version;
	char *cache_dir;
	struct llm_params params;
	double connect_timeout_s, request_timeout_s, deadline_s;
	double backoff_base_s, backoff_max_s;
	int max_retries;
	size_t response_max;
	double price_prompt, price_completion;
	enum llm_cache_mode cache_mode;
	int loopback; /* base URL is 127.0.0.1/localhost/::1: bypass proxies */
	llm_log_fn log;
	void *log_ctx;
	uint64_t rng;
	CURLM *multi; /* kept for the client's life so connections are reused */
	struct llm_usage usage;
};

#endif
