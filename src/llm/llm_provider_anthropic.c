/* The Anthropic messages wire format (POST {base}/messages). */
#include "llm/llm.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

/* Anthropic requires max_tokens; this is used when none is configured. */
#define ANTHROPIC_DEFAULT_MAX_TOKENS 4096

static int anthropic_build_body(const struct llm_request *req, const char *model,
                                const struct llm_params *params, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *msgs, *m;
	char *s = NULL;
	size_t i;
	int r = -1;

	buf_reset(out);
	if (!root || !cJSON_AddStringToObject(root, "model", model))
		goto done;
	if (!cJSON_AddNumberToObject(root, "max_tokens",
	                             params->max_tokens > 0 ? (double)params->max_tokens
	                                                    : ANTHROPIC_DEFAULT_MAX_TOKENS))
		goto done;
	if (req->system && !cJSON_AddStringToObject(root, "system", req->system))
		goto done;
	msgs = cJSON_AddArrayToObject(root, "messages");
	if (!msgs)
		goto done;
	for (i = 0; i < req->n_messages; i++) {
		m = cJSON_CreateObject();
		if (!m)
			goto done;
		cJSON_AddItemToArray(msgs, m);
		if (!cJSON_AddStringToObject(
		        m, "role", req->messages[i].role ? req->messages[i].role : "user") ||
		    !cJSON_AddStringToObject(
		        m, "content", req->messages[i].content ? req->messages[i].content : ""))
			goto done;
	}
	if (params->temperature >= 0 &&
	    !cJSON_AddNumberToObject(root, "temperature", params->temperature))
		goto done;
	s = cJSON_PrintUnformatted(root);
	if (s && buf_addstr(out, s) == 0)
		r = 0;
done:
	free(s);
	cJSON_Delete(root);
	return r;
}

static int anthropic_add_headers(struct curl_slist **headers, const char *key, const char *version)
{
	struct buf h = BUF_INIT;
	struct curl_slist *n;

	buf_init(&h, 0);
	buf_addf(&h, "anthropic-version: %s", version ? version : "2023-06-01");
	n = curl_slist_append(*headers, h.data);
	if (!n)
		goto fail;
	*headers = n;
	if (key && *key) {
		buf_setf(&h, "x-api-key: %s", key);
		n = curl_slist_append(*headers, h.data);
		memset(h.data, 0, h.len);
		if (!n)
			goto fail;
		*headers = n;
	}
	buf_release(&h);
	return 0;
fail:
	buf_release(&h);
	return -1;
}

static long anthropic_usage(const cJSON *usage, const char *name)
{
	return llm_token_count(cJSON_GetObjectItemCaseSensitive(usage, name));
}

static void anthropic_parse_response(const char *body, size_t len, struct llm_result *res)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *content, *block, *stop, *usage;
	int texts = 0;

	res->status = LLM_BAD_RESPONSE;
	if (!root) {
		err_set(&res->error, "the response is not valid JSON");
		return;
	}
	content = cJSON_GetObjectItemCaseSensitive(root, "content");
	if (!cJSON_IsArray(content)) {
		err_set(&res->error, "the response has no content array");
		goto done;
	}
	/* Concatenate the text blocks; thinking and tool blocks are not code. */
	cJSON_ArrayForEach(block, content)
	{
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");
		if (cJSON_IsString(type) && !strcmp(type->valuestring, "text") &&
		    cJSON_IsString(text)) {
			buf_addstr(&res->text, text->valuestring);
			texts++;
		}
	}
	stop = cJSON_GetObjectItemCaseSensitive(root, "stop_reason");
	if (cJSON_IsString(stop))
		buf_addstr(&res->finish_reason, stop->valuestring);
	usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	if (cJSON_IsObject(usage)) {
		res->prompt_tokens = anthropic_usage(usage, "input_tokens");
		res->completion_tokens = anthropic_usage(usage, "output_tokens");
	}
	if (cJSON_IsString(stop) && !strcmp(stop->valuestring, "max_tokens")) {
		res->status = LLM_TRUNCATED;
		goto done;
	}
	if (cJSON_IsString(stop) && !strcmp(stop->valuestring, "refusal")) {
		err_set(&res->error, "the model refused to answer (stop_reason \"refusal\")");
		goto done;
	}
	if (!texts) {
		err_set(&res->error, "the response has no text block in content[]");
		goto done;
	}
	res->status = LLM_OK;
done:
	cJSON_Delete(root);
}

const struct llm_provider llm_provider_anthropic = {
    .name = "anthropic",
    .default_base_url = "https://api.anthropic.com/v1",
    .default_key_env = "ANTHROPIC_API_KEY",
    .path = "/messages",
    .build_body = anthropic_build_body,
    .add_headers = anthropic_add_headers,
    .parse_response = anthropic_parse_response,
    .parse_error = llm_error_message,
};
