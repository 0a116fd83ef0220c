/*
 * The content-addressed LLM response cache: one JSON file per request key,
 * <dir>/<2 hex>/<62 hex>.json. What goes in is listed in llm.h; the API key,
 * the URL and the headers never do, because the entry is built only from the
 * response fields named there.
 */
#include "llm/llm.h"
#include "base/fileio.h"
#include "base/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

int llm_cache_mode_parse(const char *s, enum llm_cache_mode *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "rw"))
		*out = LLM_CACHE_RW;
	else if (!strcmp(s, "ro"))
		*out = LLM_CACHE_RO;
	else if (!strcmp(s, "off"))
		*out = LLM_CACHE_OFF;
	else
		return -1;
	return 0;
}

const char *llm_cache_mode_name(enum llm_cache_mode m)
{
	switch (m) {
	case LLM_CACHE_RW:
		return "rw";
	case LLM_CACHE_RO:
		return "ro";
	case LLM_CACHE_OFF:
		return "off";
	}
	return "?";
}

static int cache_key_ok(const char *key)
{
	size_t i;

	for (i = 0; i < SHA256_HEX_LEN; i++)
		if (!key[i] || !strchr("0123456789abcdef", key[i]))
			return 0;
	return key[SHA256_HEX_LEN] == '\0';
}

/*
 * The entry's own hash (its "sha256"): over the fields a replay trusts, each
 * as name NUL, then "-" when absent, else the string's length ":" bytes, or
 * the number printed with %.17g. An entry edited after it was recorded (the
 * text of a response) no longer matches and is not replayed. This finds
 * edits and corruption, not a forger who recomputes it: the cache is kept
 * where candidates cannot reach (the state directory, hidden from them).
 */
static void entry_digest(const cJSON *root, char hex[SHA256_HEX_LEN + 1])
{
	static const char *const strs[] = {"key", "status", "finish_reason", "text"};
	static const char *const nums[] = {"prompt_tokens", "completion_tokens"};
	struct sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_LEN];
	char num[64];

	sha256_init(&ctx);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, strs[i]);
		sha256_update(&ctx, strs[i], strlen(strs[i]) + 1);
		if (!cJSON_IsString(v)) {
			sha256_update(&ctx, "-", 1);
			continue;
		}
		snprintf(num, sizeof(num), "%zu:", strlen(v->valuestring));
		sha256_update(&ctx, num, strlen(num));
		sha256_update(&ctx, v->valuestring, strlen(v->valuestring));
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, nums[i]);
		sha256_update(&ctx, nums[i], strlen(nums[i]) + 1);
		if (!cJSON_IsNumber(v)) {
			sha256_update(&ctx, "-", 1);
			continue;
		}
		snprintf(num, sizeof(num), "%.17g", v->valuedouble);
		sha256_update(&ctx, num, strlen(num));
	}
	sha256_final(&ctx, d);
	sha256_to_hex(d, hex);
}

void llm_cache_path(const char *dir, const char *key, struct buf *out)
{
	buf_setf(out, "%s/%.2s/%s.json", dir, key, key + 2);
}

int llm_cache_parse(const char *data, size_t len, const char *key, const char *origin,
                    struct llm_result *res, struct buf *err)
{
	const cJSON *v, *text, *status;
	cJSON *root = cJSON_ParseWithLength(data, len);
	int r = -1;

	v = root ? cJSON_GetObjectItemCaseSensitive(root, "key") : NULL;
	text = root ? cJSON_GetObjectItemCaseSensitive(root, "text") : NULL;
	status = root ? cJSON_GetObjectItemCaseSensitive(root, "status") : NULL;
	if (!cJSON_IsString(v) || strcmp(v->valuestring, key) || !cJSON_IsString(text) ||
	    !cJSON_IsString(status) ||
	    (strcmp(status->valuestring, "ok") && strcmp(status->valuestring, "truncated"))) {
		err_set(err, "corrupt cache entry '%s': remove it to record the response again",
		        origin);
		goto done;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "sha256");
	if (!cJSON_IsString(v)) {
		err_set(
		    err,
		    "cache entry '%s' has no sha256 (recorded by an older optimize, or edited): "
		    "it is not replayed; remove it to record the response again",
		    origin);
		goto done;
	}
	{
		char hex[SHA256_HEX_LEN + 1];
		entry_digest(root, hex);
		if (strcmp(hex, v->valuestring)) {
			err_set(
			    err,
			    "cache entry '%s' was changed after it was recorded (its sha256 does "
			    "not match its content): it is not replayed; remove it to record the "
			    "response again",
			    origin);
			goto done;
		}
	}
	res->status = strcmp(status->valuestring, "ok") ? LLM_TRUNCATED : LLM_OK;
	buf_reset(&res->text);
	buf_addstr(&res->text, text->valuestring);
	buf_reset(&res->finish_reason);
	v = cJSON_GetObjectItemCaseSensitive(root, "finish_reason");
	if (cJSON_IsString(v))
		buf_addstr(&res->finish_reason, v->valuestring);
	res->prompt_tokens =
	    llm_token_count(cJSON_GetObjectItemCaseSensitive(root, "prompt_tokens"));
	res->completion_tokens =
	    llm_token_count(cJSON_GetObjectItemCaseSensitive(root, "completion_tokens"));
	res->cached = 1;
	r = 1;
done:
	cJSON_Delete(root);
	return r;
}

int llm_cache_lookup(const char *dir, const char *key, struct llm_result *res, struct buf *err)
{
	struct buf path = BUF_INIT, data = BUF_INIT;
	int r = -1;

	if (!cache_key_ok(key))
		return err_set(err, "invalid cache key '%s'", key);
	buf_init(&path, 0);
	buf_init(&data, 0);
	llm_cache_path(dir, key, &path);
	if (access(path.data, F_OK) < 0 && errno == ENOENT) {
		r = 0;
		goto done;
	}
	if (buf_read_file(&data, path.data) < 0) {
		err_set(err, "cannot read cache entry '%s': %s", path.data, strerror(errno));
		goto done;
	}
	r = llm_cache_parse(data.data, data.len, key, path.data, res, err);
done:
	buf_release(&path);
	buf_release(&data);
	return r;
}

int llm_cache_store(const char *dir, const char *key, const struct llm_cache_entry *e,
                    struct buf *err)
{
	struct buf path = BUF_INIT;
	cJSON *root;
	char *s = NULL;
	char *slash;
	int r = -1;

	if (!cache_key_ok(key))
		return err_set(err, "invalid cache key '%s'", key);
	if (e->status != LLM_OK && e->status != LLM_TRUNCATED)
		return err_set(err, "only ok and truncated responses are cached");
	root = cJSON_CreateObject();
	if (!root)
		return err_set(err, "out of memory");
	cJSON_AddNumberToObject(root, "version", 2);
	cJSON_AddStringToObject(root, "key", key);
	cJSON_AddStringToObject(root, "provider", e->provider ? e->provider : "");
	cJSON_AddStringToObject(root, "model", e->model ? e->model : "");
	cJSON_AddNumberToObject(root, "index", e->index);
	cJSON_AddStringToObject(root, "status", e->status == LLM_OK ? "ok" : "truncated");
	cJSON_AddStringToObject(root, "finish_reason", e->finish_reason ? e->finish_reason : "");
	cJSON_AddStringToObject(root, "text", e->text ? e->text : "");
	cJSON_AddNumberToObject(root, "prompt_tokens", (double)e->prompt_tokens);
	cJSON_AddNumberToObject(root, "completion_tokens", (double)e->completion_tokens);
	cJSON_AddNumberToObject(root, "created", (double)time(NULL));
	{
		char hex[SHA256_HEX_LEN + 1];
		entry_digest(root, hex);
		cJSON_AddStringToObject(root, "sha256", hex);
	}
	s = cJSON_Print(root);
	cJSON_Delete(root);
	if (!s)
		return err_set(err, "out of memory");

	buf_init(&path, 0);
	llm_cache_path(dir, key, &path);
	slash = strrchr(path.data, '/');
	*slash = '\0';
	if (file_mkdirs(path.data, 0755, err) < 0)
		goto done;
	*slash = '/';
	/* An entry that is there but not to be replayed (edited, corrupt) gives
	 * way to the response just received. */
	if (access(path.data, F_OK) == 0) {
		struct llm_result old;
		struct buf why = BUF_INIT;
		llm_result_init(&old);
		if (llm_cache_lookup(dir, key, &old, &why) < 0)
			unlink(path.data);
		llm_result_release(&old);
		buf_release(&why);
	}
	/* First writer wins: concurrent runs (Slurm tasks sharing the cache)
	 * that recorded the same key keep the entry that was there first, so
	 * an entry never changes once a run may have read it. */
	if (file_write_new(path.data, s, strlen(s), 0644, err) < 0)
		goto done;
	r = 0;
done:
	free(s);
	buf_release(&path);
	return r;
}
