/*
 * llm_options.c: the LLM settings of a run and their precedence. See
 * llm_options.h.
 */
#include "llm/llm_options.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/json.h"

void llm_run_options_init(struct llm_run_options *o)
{
	memset(o, 0, sizeof(*o));
	o->temperature = -1;
	o->connect_timeout_s = -1;
	o->request_timeout_s = -1;
	o->deadline_s = -1;
	o->backoff_base_s = -1;
	o->max_retries = -1;
	o->repairs = -1;
	o->price_prompt_per_mtok = -1;
	o->price_completion_per_mtok = -1;
}

void llm_run_options_release(struct llm_run_options *o)
{
	strlist_release(&o->owned);
}

static const char *keep(struct llm_run_options *o, const char *s)
{
	if (!s)
		return NULL;
	strlist_push(&o->owned, s);
	return o->owned.v[o->owned.n - 1];
}

static int known_provider(const char *p)
{
	return !strcmp(p, "openai") || !strcmp(p, "openai-compatible") || !strcmp(p, "anthropic");
}

int llm_run_options_parse_spec(struct llm_run_options *o, const char *spec, struct buf *err)
{
	const char *colon = strchr(spec, ':');
	struct buf p = BUF_INIT;
	int r = 0;

	if (!colon) {
		if (!known_provider(spec))
			return err_set(err,
			               "--llm '%s': expected PROVIDER:MODEL, e.g. "
			               "openai:gpt-4o-mini, anthropic:claude-sonnet-4 or "
			               "openai-compatible:qwen2.5-coder",
			               spec);
		o->provider = spec;
		o->provider_source = "command line";
		return 0;
	}
	buf_add(&p, spec, (size_t)(colon - spec));
	if (!known_provider(p.data))
		r = err_set(err,
		            "--llm '%s': unknown provider '%s': use openai, openai-compatible or "
		            "anthropic",
		            spec, p.data);
	else if (!colon[1])
		r = err_set(err, "--llm '%s': no model after the ':'", spec);
	if (r == 0) {
		o->provider = keep(o, p.data);
		o->model = colon + 1;
		o->provider_source = "command line";
	}
	buf_release(&p);
	return r;
}

static const char *default_model(const char *provider)
{
	if (!strcmp(provider, "openai"))
		return "gpt-4o-mini";
	if (!strcmp(provider, "anthropic"))
		return "claude-sonnet-4-20250514";
	return NULL;
}

/* $OPTIMIZE_CONFIG, else $XDG_CONFIG_HOME/optimize/config.json (an absolute
 * XDG_CONFIG_HOME, as the XDG spec says), else ~/.config/optimize/config.json. */
static int config_path(struct buf *out)
{
	const char *env = getenv("OPTIMIZE_CONFIG"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CONFIG_HOME");

	if (env && *env)
		return buf_addstr(out, env);
	if (xdg && xdg[0] == '/')
		return buf_addf(out, "%s/optimize/config.json", xdg);
	if (!home || !*home)
		return -1;
	return buf_addf(out, "%s/.config/optimize/config.json", home);
}

/* ANTHROPIC_BASE_URL as Anthropic's SDKs read it (https://api.anthropic.com,
 * without the /v1 this client's base URLs hold): with /v1 added when missing. */
static const char *anthropic_base_url(struct llm_run_options *o)
{
	const char *env = getenv("ANTHROPIC_BASE_URL");
	struct buf b = BUF_INIT;
	const char *r;

	if (!env || !*env)
		return NULL;
	buf_addstr(&b, env);
	while (b.len && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	if (b.len < 3 || strcmp(b.data + b.len - 3, "/v1"))
		buf_addstr(&b, "/v1");
	r = keep(o, b.data);
	buf_release(&b);
	return r;
}

static void cfg_number(const cJSON *c, const char *key, double *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
	if (*field < 0 && cJSON_IsNumber(v))
		*field = v->valuedouble;
}

/* The model's context window: "models": {"MODEL": {"context_tokens": N}}
 * first, then a top-level "context_tokens". */
static void context_tokens_from(const cJSON *cfg, struct llm_run_options *o)
{
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(cfg, "models");
	const cJSON *mine = o->model && cJSON_IsObject(models)
	                        ? cJSON_GetObjectItemCaseSensitive(models, o->model)
	                        : NULL;
	double d = -1;

	if (o->context_tokens > 0)
		return;
	if (cJSON_IsObject(mine))
		cfg_number(mine, "context_tokens", &d);
	if (d <= 0)
		cfg_number(cfg, "context_tokens", &d);
	if (d > 0)
		o->context_tokens = (long)d;
}

long llm_default_context_tokens(const char *provider)
{
	if (provider && !strcmp(provider, "anthropic"))
		return 200000;
	if (provider && !strcmp(provider, "openai"))
		return 128000;
	return 28096; /* local servers: a 24,000-token prompt and a 4,096-token answer */
}

/* A URL from the manifest receives the API key only when that is safe or confirmed. */
static int check_manifest_url(const struct llm_run_options *o, const struct target *t,
                              struct buf *err)
{
	const char *where = t && t->manifest_path ? t->manifest_path : "the manifest";

	if (!o->url || !o->url_source || strcmp(o->url_source, "manifest") ||
	    llm_url_is_loopback(o->url))
		return 0;
	if (strncmp(o->url, "https://", 8))
		return err_set(err,
		               "the llm.url '%s' of %s is plain http to a host other than "
		               "loopback: your API key would cross the network in clear "
		               "text, to a place the manifest chose. Give the URL yourself "
		               "(--llm-url, or \"url\" in your config file) if you mean it",
		               o->url, where);
	if (!o->trust_manifest_url)
		return err_set(err,
		               "the llm.url '%s' of %s would receive your API key: the "
		               "manifest may come with someone else's tree. Pass "
		               "--trust-manifest-url if you trust that host, or give the URL "
		               "with --llm-url",
		               o->url, where);
	return 0;
}

/* The URL: the command line, the manifest, the config file, OPENAI_BASE_URL. */
static void resolve_url(struct llm_run_options *o, const struct llm_settings *m, const char *curl,
                        const char *cprov)
{
	if (o->url && !o->url_source)
		o->url_source = "command line";
	if (!o->url && m && m->url) {
		o->url = keep(o, m->url);
		o->url_source = "manifest";
	}
	if (!o->url && curl && (!cprov || !o->provider || !strcmp(cprov, o->provider))) {
		o->url = keep(o, curl);
		o->url_source = "config file";
	}
	if (!o->url && o->provider && strcmp(o->provider, "anthropic") &&
	    getenv("OPENAI_BASE_URL") && *getenv("OPENAI_BASE_URL")) {
		o->url = getenv("OPENAI_BASE_URL");
		o->url_source = "environment (OPENAI_BASE_URL)";
	}
	if (!o->url && o->provider && !strcmp(o->provider, "anthropic")) {
		o->url = anthropic_base_url(o);
		if (o->url)
			o->url_source = "environment (ANTHROPIC_BASE_URL)";
	}
}

int llm_run_options_resolve(struct llm_run_options *o, const struct target *t, struct buf *err)
{
	const struct llm_settings *m = t ? &t->llm : NULL;
	struct buf path = BUF_INIT;
	cJSON *cfg = NULL;
	const char *cprov = NULL, *cmodel = NULL, *curl = NULL;
	struct stat sb;

	/* The config file (read first, applied after the manifest). */
	if (config_path(&path) == 0 && stat(path.data, &sb) == 0) {
		cfg = json_parse_file(path.data, 1 << 20, err);
		if (!cfg) {
			err_prefix(err, "config file: ");
			buf_release(&path);
			return -1;
		}
		if (!cJSON_IsObject(cfg)) {
			err_set(err, "config file '%s' must hold a JSON object", path.data);
			cJSON_Delete(cfg);
			buf_release(&path);
			return -1;
		}
		cprov = json_get_string(cfg, "provider", NULL);
		cmodel = json_get_string(cfg, "model", NULL);
		curl = json_get_string(cfg, "url", NULL);
	}
	/* provider and model: from the first place that names a provider */
	if (!o->provider && m && m->provider) {
		o->provider = keep(o, m->provider);
		o->provider_source = "manifest";
		if (!o->model && m->model)
			o->model = keep(o, m->model);
	}
	if (!o->provider && cprov) {
		/* its model is taken below, after a model the manifest names */
		o->provider = keep(o, cprov);
		o->provider_source = "config file";
	}
	if (!o->provider && getenv("OPENAI_API_KEY") && *getenv("OPENAI_API_KEY")) {
		o->provider = "openai";
		o->provider_source = "environment (OPENAI_API_KEY)";
	} else if (!o->provider && getenv("ANTHROPIC_API_KEY") && *getenv("ANTHROPIC_API_KEY")) {
		o->provider = "anthropic";
		o->provider_source = "environment (ANTHROPIC_API_KEY)";
	}
	if (o->provider && !known_provider(o->provider)) {
		err_set(err,
		        "unknown LLM provider '%s' (from the %s): use openai, openai-compatible "
		        "or anthropic",
		        o->provider, o->provider_source ? o->provider_source : "settings");
		goto fail;
	}
	/* a model given where the provider is the same (or unnamed) */
	if (o->provider && !o->model && m && m->model &&
	    (!m->provider || !strcmp(m->provider, o->provider)))
		o->model = keep(o, m->model);
	if (o->provider && !o->model && cmodel && (!cprov || !strcmp(cprov, o->provider)))
		o->model = keep(o, cmodel);
	if (o->provider && !o->model)
		o->model = default_model(o->provider);
	if (o->provider && !o->model) {
		err_set(err, "no model for provider '%s': give one with --llm %s:MODEL",
		        o->provider, o->provider);
		goto fail;
	}
	resolve_url(o, m, curl, cprov);
	if (o->provider && check_manifest_url(o, t, err) < 0)
		goto fail;
	if (o->temperature < 0 && m && m->temperature >= 0)
		o->temperature = m->temperature;
	if (!o->max_tokens && m && m->max_tokens > 0)
		o->max_tokens = m->max_tokens;
	if (cfg) {
		double d = -1;
		if (!o->api_key_env && json_get_string(cfg, "api_key_env", NULL))
			o->api_key_env = keep(o, json_get_string(cfg, "api_key_env", NULL));
		cfg_number(cfg, "temperature", &o->temperature);
		if (!o->max_tokens) {
			cfg_number(cfg, "max_tokens", &d);
			if (d > 0)
				o->max_tokens = (long)d;
		}
		cfg_number(cfg, "connect_timeout_s", &o->connect_timeout_s);
		cfg_number(cfg, "request_timeout_s", &o->request_timeout_s);
		cfg_number(cfg, "deadline_s", &o->deadline_s);
		cfg_number(cfg, "backoff_base_s", &o->backoff_base_s);
		d = -1;
		cfg_number(cfg, "max_retries", &d);
		if (o->max_retries < 0 && d >= 0)
			o->max_retries = (int)d;
		context_tokens_from(cfg, o);
		cfg_number(cfg, "price_prompt_per_mtok", &o->price_prompt_per_mtok);
		cfg_number(cfg, "price_completion_per_mtok", &o->price_completion_per_mtok);
		{
			const cJSON *pr = cJSON_GetObjectItemCaseSensitive(cfg, "prices");
			if (cJSON_IsObject(pr)) {
				cfg_number(pr, "prompt", &o->price_prompt_per_mtok);
				cfg_number(pr, "completion", &o->price_completion_per_mtok);
			}
		}
	}
	cJSON_Delete(cfg);
	buf_release(&path);
	return o->provider ? 1 : 0;
fail:
	cJSON_Delete(cfg);
	buf_release(&path);
	return -1;
}
