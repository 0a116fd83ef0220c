/*
 * llm.h: talking to an LLM over HTTP (libcurl + cJSON), with retries, a
 * deadline, concurrent candidates and a content-addressed response cache.
 *
 * Typical use (the command layer resolves the key from the environment and
 * calls curl_global_init once in main):
 *
 *	struct llm_config cfg;
 *	llm_config_init(&cfg);
 *	cfg.provider = "openai";
 *	cfg.model = "gpt-4o-mini";
 *	cfg.api_key = getenv("OPENAI_API_KEY");
 *	client = llm_client_init(&cfg, &err);
 *	...
 *	struct llm_message msgs[] = {{"user", prompt}};
 *	struct llm_request req = {system_prompt, msgs, 1};
 *	struct llm_result res[3];
 *	llm_complete_n(client, &req, 3, res);   // 3 concurrent HTTP requests
 *	for each i: res[i].status, buf_str(&res[i].text), buf_str(&res[i].error)
 *	llm_result_release(&res[i]) for each i;
 *	llm_client_release(client);
 *
 * Ownership: the client copies every string of the config it keeps (the
 * config may be freed after llm_client_init). Requests are only read.
 * Results own their buffers; llm_result_release frees them.
 *
 * Secrets: the API key lives only in the client's memory and in the HTTP
 * request headers. It is never logged, never put into a message (error
 * messages name the environment variable instead, and any echo of the key
 * by the server is masked), and never written to the cache.
 *
 * Nothing here prints or exits; progress goes to the optional log callback.
 * A client is used by one thread at a time (it holds one curl multi handle);
 * concurrency comes from llm_complete_n, not from threads.
 */
#ifndef OPTIMIZE_LLM_H
#define OPTIMIZE_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/sha256.h"

/* Largest response body kept in memory; a longer one is a bad_response. */
#define LLM_DEFAULT_RESPONSE_MAX ((size_t)8 << 20) /* 8 MiB */

enum llm_status {
	LLM_OK = 0,
	LLM_TRUNCATED,       /* cut off by the token limit: text kept, do not parse as code */
	LLM_HTTP_ERROR,      /* a non-2xx answer: http_code and error say which */
	LLM_TRANSPORT_ERROR, /* connection refused/reset/dropped, partial body, DNS, TLS */
	LLM_TIMEOUT,         /* the request timeout or the total deadline ran out */
	LLM_BAD_RESPONSE,    /* 2xx but not the JSON the provider's format promises */
	LLM_CACHE_MISS,      /* cache mode ro and no recorded response: error names it */
};

/* "ok", "truncated", "http_error", "transport_error", "timeout",
 * "bad_response", "cache_miss". */
const char *llm_status_name(enum llm_status s);

enum llm_cache_mode {
	LLM_CACHE_RW = 0, /* reuse hits, record misses (default) */
	LLM_CACHE_RO,     /* replay only: a miss is an error, never a live call */
	LLM_CACHE_OFF,
};

/* Parse "rw", "ro", "off"; -1 when it is none of them. */
int llm_cache_mode_parse(const char *s, enum llm_cache_mode *out);
const char *llm_cache_mode_name(enum llm_cache_mode m);

/* Which name the token limit goes under in an OpenAI-style request. */
enum llm_token_param {
	LLM_TOKENS_AUTO = 0,       /* max_completion_tokens for reasoning models
	                            * (model names o1*, o3*, o4*, gpt-5*), else max_tokens */
	LLM_TOKENS_MAX_TOKENS,     /* always max_tokens */
	LLM_TOKENS_MAX_COMPLETION, /* always max_completion_tokens */
};

enum llm_log_level {
	LLM_LOG_DEBUG,
	LLM_LOG_INFO, /* "retrying after HTTP 429 in 1.2 s (attempt 2 of 5)" */
	LLM_LOG_WARN,
};

/* Called from the thread that called llm_complete_n; msg has no newline and
 * never contains the API key. */
typedef void (*llm_log_fn)(void *ctx, enum llm_log_level level, const char *msg);

struct llm_config {
	const char *provider;          /* "openai", "openai-compatible", "anthropic" */
	const char *model;             /* required */
	const char *base_url;          /* NULL = provider default (https://api.openai.com/v1,
	                                * https://api.anthropic.com/v1); required for
	                                * openai-compatible */
	const char *api_key;           /* NULL or "" = send no auth header (local servers) */
	const char *api_key_env;       /* the variable named in messages; NULL = OPENAI_API_KEY
	                                * or ANTHROPIC_API_KEY by provider */
	const char *anthropic_version; /* NULL = "2023-06-01" */

	double temperature; /* < 0 = not sent (server default). Not sent either to
	                     * OpenAI reasoning models, which reject it */
	long max_tokens;    /* 0 = not sent for OpenAI, 4096 for Anthropic (required there) */
	enum llm_token_param token_param;

	double connect_timeout_s; /* per attempt */
	double request_timeout_s; /* per attempt, whole transfer */
	double deadline_s;        /* per llm_complete_n call, all attempts and waits; 0 = none */
	int max_retries;          /* attempts = 1 + max_retries */
	double backoff_base_s;    /* first retry waits about this long, doubling each time */
	double backoff_max_s;     /* cap of one wait (Retry-After may ask for more) */
	uint64_t seed;            /* jitter; 0 = from time and pid */
	size_t response_max;      /* 0 = LLM_DEFAULT_RESPONSE_MAX */

	/* Prices in currency units per million tokens; both < 0 = unknown. */
	double price_prompt_per_mtok;
	double price_completion_per_mtok;

	enum llm_cache_mode cache_mode;
	const char *cache_dir; /* NULL = ".optimize/cache" */

	llm_log_fn log;
	void *log_ctx;
};

/* Defaults: temperature 0.7, max_tokens 4096, connect 10 s, request 300 s,
 * deadline 900 s, 4 retries, backoff 1 s .. 60 s, cache rw, no prices. */
void llm_config_init(struct llm_config *cfg);

struct llm_message {
	const char *role; /* "user" or "assistant" */
	const char *content;
};

struct llm_request {
	const char *system; /* NULL = none. OpenAI: a first "system" message;
	                     * Anthropic: the top-level "system" field */
	const struct llm_message *messages;
	size_t n_messages;
};

struct llm_result {
	enum llm_status status;
	long http_code;           /* last HTTP status seen; 0 = none */
	struct buf text;          /* the completion (also kept when truncated) */
	struct buf error;         /* why, when status is neither ok nor truncated */
	struct buf finish_reason; /* as the provider said it: "stop", "length", "end_turn" */
	long prompt_tokens;       /* from the response's usage; -1 = not reported */
	long completion_tokens;
	int attempts;                 /* HTTP requests made for this candidate (0 on a cache hit) */
	double elapsed_s;             /* from the call's start to this result */
	int cached;                   /* answered from the cache */
	char key[SHA256_HEX_LEN + 1]; /* cache key of the request for this candidate */
};

void llm_result_init(struct llm_result *r);
void llm_result_release(struct llm_result *r);

/* Totals over the client's life; live calls and cache replays apart. */
struct llm_usage {
	long completions;   /* results handed out with status ok or truncated */
	long http_requests; /* every attempt, retries included */
	long cache_hits;
	long prompt_tokens; /* reported by the server for live calls */
	long completion_tokens;
	long cached_prompt_tokens; /* recorded in cache entries that were replayed */
	long cached_completion_tokens;
	int cost_known; /* prices were configured */
	double cost;    /* live calls only, from the configured prices */
};

struct llm_client;

/* NULL with err filled when the config is unusable (unknown provider, no
 * model, a base URL that is not http(s), a cache dir that cannot be made). */
struct llm_client *llm_client_init(const struct llm_config *cfg, struct buf *err);
void llm_client_release(struct llm_client *c);

/*
 * Ask for n completions of one request, concurrently: one HTTP request per
 * candidate index 0..n-1 (the `n` API parameter is never used, many servers
 * ignore it). Each index has its own cache key, so a replay gives each
 * candidate its recorded answer. results[0..n-1] are initialised here (the
 * caller releases them). Retries 429, 408, 5xx, transport errors and
 * timeouts with exponential backoff and jitter, honouring Retry-After, all
 * within cfg.deadline_s; 400/401/403/404 fail at once with a clear message.
 * Returns how many results are LLM_OK, or -1 when nothing could be tried
 * (out of memory, curl failed to start; each result's error says so).
 */
int llm_complete_n(struct llm_client *c, const struct llm_request *req, int n,
                   struct llm_result *results);
/* n = 1; returns 0 when results->status is LLM_OK, -1 otherwise. */
int llm_complete(struct llm_client *c, const struct llm_request *req, struct llm_result *result);

void llm_client_usage(const struct llm_client *c, struct llm_usage *out);
/* "openai", "openai-compatible" or "anthropic" (for the report). */
const char *llm_client_provider(const struct llm_client *c);
const char *llm_client_model(const struct llm_client *c);
/* The URL requests go to (no secrets in it). */
const char *llm_client_endpoint(const struct llm_client *c);

/*
 * Sampling parameters as they go into the request and into the cache key.
 * llm_client_params gives the ones a client will use.
 */
struct llm_params {
	double temperature; /* < 0 = not sent */
	long max_tokens;    /* 0 = not sent */
	int max_completion; /* 1 = sent as max_completion_tokens */
};
void llm_client_params(const struct llm_client *c, struct llm_params *out);

/*
 * The canonical serialisation of what determines a response: a compact JSON
 * object with a fixed member order holding a format version, provider,
 * model, the parameters, the system prompt, the messages and the candidate
 * index. No URL, no key, no timeouts. Replaces out's contents.
 */
int llm_request_canonical(const struct llm_request *req, const char *provider, const char *model,
                          const struct llm_params *params, int index, struct buf *out);
/* sha256 of the canonical form, 64 hex digits. */
int llm_request_key(const struct llm_request *req, const char *provider, const char *model,
                    const struct llm_params *params, int index, char key[SHA256_HEX_LEN + 1]);

/* 1 when the model name (after any "vendor/" prefix) is an OpenAI reasoning
 * model that wants max_completion_tokens: o1*, o3*, o4*, gpt-5*. */
int llm_model_is_reasoning(const char *model);

/*
 * The response cache (src/llm_cache.c). One file per key:
 * <dir>/<first 2 hex>/<other 62 hex>.json holding
 * {"version":1,"key","provider","model","index","status","finish_reason",
 *  "text","prompt_tokens","completion_tokens","created"} and nothing else:
 * no URL, no headers, no key. Only ok and truncated responses are stored.
 * Writes are atomic and first-writer-wins (file_write_new: temp file, fsync,
 * link): processes sharing the directory (Slurm tasks on several nodes)
 * may record the same key at once; readers see a whole entry or none, and
 * an entry never changes once written.
 * llm_complete_n uses these; they are public for tools and tests.
 */
struct llm_cache_entry {
	const char *provider;
	const char *model;
	int index;
	enum llm_status status; /* LLM_OK or LLM_TRUNCATED */
	const char *finish_reason;
	const char *text;
	long prompt_tokens, completion_tokens;
};
/* 1 and result filled (status, text, finish_reason, tokens, cached = 1) on
 * a hit; 0 on a miss; -1 with err on an unreadable or corrupt entry. */
int llm_cache_lookup(const char *dir, const char *key, struct llm_result *result, struct buf *err);
/* The same for an entry already read (len bytes): 1 and result filled when
 * it is a valid entry for key, -1 with err naming origin otherwise. What
 * llm_cache_lookup calls after reading the file; for tests and the fuzzer. */
int llm_cache_parse(const char *data, size_t len, const char *key, const char *origin,
                    struct llm_result *result, struct buf *err);
int llm_cache_store(const char *dir, const char *key, const struct llm_cache_entry *e,
                    struct buf *err);
/* The entry's path for a key (replaces out's contents). */
void llm_cache_path(const char *dir, const char *key, struct buf *out);

/*
 * Provider interface (for src/llm_provider_*.c and src/llm_client.c only).
 * Each provider builds the request body and headers and parses the answer.
 */
struct curl_slist;
struct llm_provider {
	const char *name;
	const char *default_base_url;
	const char *default_key_env;
	const char *path; /* appended to the base URL: "/chat/completions" */
	/* Request JSON into out (replaced). */
	int (*build_body)(const struct llm_request *req, const char *model,
	                  const struct llm_params *params, struct buf *out);
	/* Auth and version headers; key NULL = none. Returns -1 on out of memory. */
	int (*add_headers)(struct curl_slist **headers, const char *key, const char *version);
	/* 2xx body into res: status LLM_OK, LLM_TRUNCATED or LLM_BAD_RESPONSE
	 * (with res->error), text, finish_reason, tokens. */
	void (*parse_response)(const char *body, size_t len, struct llm_result *res);
	/* The server's message in an error body into out ("" when none found). */
	void (*parse_error)(const char *body, size_t len, struct buf *out);
};

/* The shared parse_error of both providers: the error message of a body. */
void llm_error_message(const char *body, size_t len, struct buf *out);

/*
 * A token count as a response or a cache entry gives it: a JSON number in
 * 0 .. LLM_TOKENS_MAX (a fraction is dropped), else -1 for "not reported".
 * Anything larger is not a real count, and converting it to long (or adding
 * it to the totals) would overflow.
 */
#define LLM_TOKENS_MAX 1e12
struct cJSON;
long llm_token_count(const struct cJSON *v);

/*
 * 1 when url's host is loopback: localhost, 127.0.0.0/8 or ::1. The one test
 * of it: the client sends such requests past any proxy, and a manifest's
 * llm.url that passes it may receive the API key over plain http
 * (llm_options.h); the two must agree, or a key allowed to 127.0.0.2 would
 * go out through $http_proxy.
 */
int llm_url_is_loopback(const char *url);

extern const struct llm_provider llm_provider_openai;
extern const struct llm_provider llm_provider_openai_compatible;
extern const struct llm_provider llm_provider_anthropic;

#endif
