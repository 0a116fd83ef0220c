/*
 * llm_options.h: the LLM settings of a run, and where they come from: the
 * command line first, then the manifest's "llm" section, then the config
 * file, then the environment (docs/llm.md).
 */
#ifndef OPTIMIZE_LLM_OPTIONS_H
#define OPTIMIZE_LLM_OPTIONS_H

#include "base/buf.h"
#include "base/strlist.h"
#include "engine/manifest.h"
#include "llm/llm.h"

enum llm_strategy { LLM_STRATEGY_GREEDY, LLM_STRATEGY_BEAM };

/*
 * Run options. The command line fills what it was given (strings are
 * borrowed from argv); llm_run_options_resolve fills the rest from the
 * manifest's llm section, then the config file, then the environment.
 * Numbers: 0 (or < 0 for temperature and the HTTP settings) = not set.
 */
struct llm_run_options {
	const char *provider; /* "openai", "openai-compatible", "anthropic" */
	const char *model;
	const char *url;         /* base URL, e.g. http://127.0.0.1:8080/v1 */
	const char *api_key_env; /* the variable holding the key; NULL = by provider */
	int rounds;              /* default 3 */
	int candidates;          /* per round (per parent with beam); default 2 */
	long budget_tokens;      /* prompt + completion tokens over the run; 0 = none */
	enum llm_cache_mode cache_mode;
	int cache_mode_set;
	const char *cache_dir;   /* NULL = <state_dir>/cache */
	const char *prompts_dir; /* NULL = the default (llm_prompts_default_dir) */
	enum llm_strategy strategy;
	int beam;                  /* K for beam; default 2 */
	int patience;              /* rounds without improvement before stopping; 0 = never */
	int repairs;               /* repair requests per failed candidate; < 0 = default 2 */
	double temperature;        /* < 0 = provider default */
	long max_tokens;           /* completion limit; 0 = client default */
	long prompt_budget_tokens; /* default: context_tokens - the completion limit (4096) */
	long context_tokens;       /* the model's context window; 0 = llm_default_context_tokens */
	/* HTTP behaviour (config file only; < 0 = client defaults) */
	double connect_timeout_s, request_timeout_s, deadline_s, backoff_base_s;
	int max_retries;
	/* prices per million tokens from the config file; < 0 = unknown */
	double price_prompt_per_mtok, price_completion_per_mtok;
	/* where the settings came from, for messages: "command line", "manifest", ... */
	const char *provider_source;
	const char *url_source;
	/* --trust-manifest-url: an https URL from the manifest may receive the API key */
	int trust_manifest_url;
	int verbosity; /* progress lines on stderr: -1 quiet */
	/* strings resolve() had to copy (the config file's); freed by release */
	struct strlist owned;
};

void llm_run_options_init(struct llm_run_options *o);
void llm_run_options_release(struct llm_run_options *o);

/*
 * Fill unset fields: the manifest's llm section of t (t may be NULL), then
 * the config file (OPTIMIZE_CONFIG, else $XDG_CONFIG_HOME/optimize/config.json,
 * else ~/.config/optimize/config.json; a missing file is fine, an invalid one
 * an error), then the environment (OPENAI_BASE_URL, or ANTHROPIC_BASE_URL for
 * anthropic, for the URL; OPENAI_API_KEY or ANTHROPIC_API_KEY choose the
 * provider when nothing else did). Returns 1 when an LLM is configured
 * (a provider was found), 0 when none is, -1 with err on an invalid setting.
 *
 * Where the API key may go: the provider's own default host, a URL from the
 * command line, the user's config file or OPENAI_BASE_URL, or loopback. A URL
 * from the manifest (a file that may come with someone else's tree) must be
 * loopback (llm_url_is_loopback), or https and confirmed with
 * --trust-manifest-url.
 */
int llm_run_options_resolve(struct llm_run_options *o, const struct target *t, struct buf *err);

/*
 * Before anything is built: -1 with err when the resolved settings cannot
 * work: the hosted API's key variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, or
 * the configured api_key_env) is not set, no URL for openai-compatible, or
 * no connection to the server within connect_timeout_s (default 5 s). With
 * --cache ro, or no provider, 0 without a check.
 */
int llm_run_options_preflight(const struct llm_run_options *o, struct buf *err);

/* The context window assumed for a provider's models when the config file
 * gives none: anthropic 200000, openai 128000, others (local servers) 28096. */
long llm_default_context_tokens(const char *provider);

/* Parse "provider:model" (or a bare provider) into o (pointers into spec). */
int llm_run_options_parse_spec(struct llm_run_options *o, const char *spec, struct buf *err);

#endif
