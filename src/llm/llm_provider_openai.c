/*
 * The OpenAI chat completions wire format (POST {base}/chat/completions),
 * also spoken by vLLM, llama.cpp's server, Ollama's /v1, LM Studio and
 * OpenRouter ("openai-compatible", which has no default URL).
 */
#include "llm/llm.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

static int openai_add_message(cJSON *arr, const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();

	if (!m)
		return -1;
	cJSON_AddItemToArray(arr, m);
	if (!cJSON_AddStringToObject(m, "role", role ? role : "user") ||
	    !cJSON_AddStringToObject(m, "content", content ? content : ""))
		return -1;
	return 0;
}

static int openai_build_body(const struct llm_request *req, const char *model,
                             const struct llm_params *params, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *msgs;
	char *s = NULL;
	size_t i;
	int r = -1;

	buf_reset(out);
	if (!root || !cJSON_AddStringToObject(root, "model", model))
		goto done;
	msgs = cJSON_AddArrayToObject(root, "messages");
	if (!msgs)
		goto done;
	if (req->system && openai_add_message(msgs, "system", req->system) < 0)
		goto done;
	for (i = 0; i < req->n_messages; i++)
		if (openai_add_message(msgs, req->messages[i].role, req->messages[i].content) < 0)
			goto done;
	if (params->temperature >= 0 &&
	    !cJSON_AddNumberToObject(root, "temperature", params->temperature))
		goto done;
	if (params->max_tokens > 0 &&
	    !cJSON_AddNumberToObject(
	        root, params->max_completion ? "max_completion_tokens" : "max_tokens",
	        (double)params->max_tokens))
		goto done;
	if (!cJSON_AddFalseToObject(root, "stream"))
		goto done;
	s = cJSON_PrintUnformatted(root);
	if (s && buf_addstr(out, s) == 0)
		r = 0;
done:
	free(s);
	cJSON_Delete(root);
	return r;
}

static int openai_add_headers(struct curl_slist **headers, const char *key, const char *version)
{
	struct buf h = BUF_INIT;
	struct curl_slist *n;

	(void)version;
	if (!key || !*key)
		return 0;
	buf_init(&h, 0);
	buf_addf(&h, "Authorization: Bearer %s", key);
	n = curl_slist_append(*headers, h.data);
	/* Do not leave a copy of the key in freed memory. */
	memset(h.data, 0, h.len);
	buf_release(&h);
	if (!n)
		return -1;
	*headers = n;
	return 0;
}

static long openai_usage(const cJSON *usage, const char *name)
{
	return llm_token_count(cJSON_GetObjectItemCaseSensitive(usage, name));
}

static void openai_parse_response(const char *body, size_t len, struct llm_result *res)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *choices, *c0, *msg, *content, *finish, *usage;

	res->status = LLM_BAD_RESPONSE;
	if (!root) {
		err_set(&res->error, "the response is not valid JSON");
		return;
	}
	choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	c0 = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
	if (!cJSON_IsObject(c0)) {
		err_set(&res->error, "the response has no choices[0]");
		goto done;
	}
	msg = cJSON_GetObjectItemCaseSensitive(c0, "message");
	content = cJSON_IsObject(msg) ? cJSON_GetObjectItemCaseSensitive(msg, "content") : NULL;
	finish = cJSON_GetObjectItemCaseSensitive(c0, "finish_reason");
	if (cJSON_IsString(finish))
		buf_addstr(&res->finish_reason, finish->valuestring);
	usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	if (cJSON_IsObject(usage)) {
		res->prompt_tokens = openai_usage(usage, "prompt_tokens");
		res->completion_tokens = openai_usage(usage, "completion_tokens");
	}
	if (cJSON_IsString(content))
		buf_addstr(&res->text, content->valuestring);
	if (cJSON_IsString(finish) && !strcmp(finish->valuestring, "length")) {
		/* A reasoning model may spend the whole limit thinking: content "" or null. */
		res->status = LLM_TRUNCATED;
		goto done;
	}
	if (cJSON_IsString(finish) && !strcmp(finish->valuestring, "content_filter")) {
		err_set(&res->error, "the response was stopped by the provider's content filter");
		goto done;
	}
	if (!cJSON_IsString(content)) {
		err_set(&res->error, "the response has no choices[0].message.content string");
		goto done;
	}
	res->status = LLM_OK;
done:
	cJSON_Delete(root);
}

const struct llm_provider llm_provider_openai = {
    .name = "openai",
    .default_base_url = "https://api.openai.com/v1",
    .default_key_env = "OPENAI_API_KEY",
    .path = "/chat/completions",
    .build_body = openai_build_body,
    .add_headers = openai_add_headers,
    .parse_response = openai_parse_response,
    .parse_error = llm_error_message,
};

const struct llm_provider llm_provider_openai_compatible = {
    .name = "openai-compatible",
    .default_base_url = NULL,
    .default_key_env = "OPENAI_API_KEY",
    .path = "/chat/completions",
    .build_body = openai_build_body,
    .add_headers = openai_add_headers,
    .parse_response = openai_parse_response,
    .parse_error = llm_error_message,
};
