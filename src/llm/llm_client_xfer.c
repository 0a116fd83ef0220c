/*
 * The LLM client's transfers: one curl multi handle driving one transfer per
 * candidate, each moving through attempt -> (wait -> attempt)* -> done, with
 * the cache consulted before any HTTP and fed after each good answer.
 */
#include "base/util.h"
#include "llm/llm_client_int.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/xalloc.h"

#ifndef OPTIMIZE_VERSION
#define OPTIMIZE_VERSION "0"
#endif

#define LLM_ERROR_EXCERPT 300

/* One candidate of an llm_complete_n call. */
struct llm_xfer {
	struct llm_client *c;
	struct llm_result *res;
	int index;
	CURL *easy;
	struct curl_slist *headers;
	struct buf body; /* response body of the current attempt */
	char errbuf[CURL_ERROR_SIZE];
	int in_flight;
	int done;
	double next_start;      /* monotonic seconds */
	double retry_after;     /* from the last answer; < 0 = none */
	double attempt_timeout; /* the timeout this attempt got */
};

static double llm_now(void)
{
	return clock_mono_s();
}

/* Replace every copy of the key in b with "***" (servers echo keys back). */
static void llm_mask_key(const struct llm_client *c, struct buf *b)
{
	struct buf out = BUF_INIT;
	const char *p, *hit;
	size_t klen;

	if (!c->api_key || !(klen = strlen(c->api_key)) || !strstr(buf_str(b), c->api_key))
		return;
	buf_init(&out, b->max);
	for (p = buf_str(b); (hit = strstr(p, c->api_key)); p = hit + klen) {
		buf_add(&out, p, (size_t)(hit - p));
		buf_addstr(&out, "***");
	}
	buf_addstr(&out, p);
	memset(b->data, 0, b->len);
	buf_reset(b);
	buf_add(b, out.data, out.len);
	buf_release(&out);
}

__attribute__((format(printf, 3, 4))) static void
llm_log(struct llm_client *c, enum llm_log_level level, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	if (!c->log)
		return;
	buf_init(&msg, 4096);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	llm_mask_key(c, &msg);
	c->log(c->log_ctx, level, msg.data);
	buf_release(&msg);
}

static double llm_random01(struct llm_client *c)
{
	/* splitmix64 */
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* Wait before retry number k (1-based): base * 2^(k-1), capped, then scaled
 * into [50%, 100%] so concurrent clients spread out. */
static double llm_backoff(struct llm_client *c, int k)
{
	double w = c->backoff_base_s * pow(2.0, k - 1);

	if (w > c->backoff_max_s)
		w = c->backoff_max_s;
	return w * (0.5 + 0.5 * llm_random01(c));
}

static size_t llm_write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct llm_xfer *x = ud;
	size_t n = size * nmemb;

	/* Returning less than n aborts the transfer with CURLE_WRITE_ERROR. */
	if (buf_add(&x->body, p, n) < 0)
		return 0;
	return n;
}

/* Retry-After: delay-seconds or an HTTP-date. */
static size_t llm_header_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct llm_xfer *x = ud;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";
	char val[128];
	size_t i, len;

	if (n <= sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1))
		return n;
	for (i = sizeof(name) - 1; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	len = n - i;
	if (len >= sizeof(val))
		len = sizeof(val) - 1;
	memcpy(val, p + i, len);
	val[len] = '\0';
	while (len && isspace((unsigned char)val[len - 1]))
		val[--len] = '\0';
	if (len && (isdigit((unsigned char)val[0]) || val[0] == '.')) {
		char *end;
		double s = strtod(val, &end);
		if (*end == '\0' && s >= 0 && s < 86400)
			x->retry_after = s;
	} else if (len) {
		time_t t = curl_getdate(val, NULL);
		if (t != -1)
			x->retry_after = t > time(NULL) ? (double)(t - time(NULL)) : 0;
	}
	return n;
}

static int llm_contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* A short, printable excerpt of a body for messages. */
static void llm_excerpt(const char *body, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len && i < LLM_ERROR_EXCERPT; i++) {
		unsigned char ch = (unsigned char)body[i];
		buf_addch(out, ch < 0x20 || ch == 0x7f ? ' ' : (char)ch);
	}
	if (len > LLM_ERROR_EXCERPT)
		buf_addstr(out, "...");
}

/* The message for a non-2xx answer that will not be (or no longer be) retried. */
static void llm_http_message(struct llm_xfer *x, long code)
{
	struct llm_client *c = x->c;
	struct buf said = BUF_INIT, *e = &x->res->error;

	buf_init(&said, 4096);
	c->prov->parse_error(x->body.data, x->body.len, &said);
	if (!said.len)
		llm_excerpt(x->body.data, x->body.len, &said);
	buf_reset(e);
	if (code == 401 || code == 403) {
		if (c->api_key)
			buf_addf(e, "the API key was rejected (HTTP %ld): check %s", code,
			         c->key_env);
		else
			buf_addf(e, "the server wants an API key (HTTP %ld): set %s", code,
			         c->key_env);
	} else if (code == 404) {
		buf_addf(
		    e,
		    "unknown model or endpoint (HTTP 404): check the model '%s' and the URL '%s'",
		    c->model, c->endpoint);
	} else if (code == 400 && (llm_contains_ci(x->body.data, "context") ||
	                           llm_contains_ci(x->body.data, "prompt is too long") ||
	                           llm_contains_ci(x->body.data, "too many tokens"))) {
		buf_addstr(e, "the prompt is too long for the model's context (HTTP 400)");
	} else if (code == 400) {
		buf_addstr(e, "the request was rejected (HTTP 400)");
	} else if (code == 429) {
		buf_addstr(e, "rate limited (HTTP 429)");
	} else if (code >= 500) {
		buf_addf(e, "server error (HTTP %ld)", code);
	} else {
		buf_addf(e, "unexpected answer (HTTP %ld)", code);
	}
	if (said.len)
		buf_addf(e, "; the server said: %s", said.data);
	buf_release(&said);
}

static int llm_http_retryable(long code)
{
	return code == 408 || code == 409 || code == 429 || code >= 500;
}

static int llm_curl_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_TOO_MANY_REDIRECTS:
		return 0;
	default:
		return 1;
	}
}

static void llm_finish(struct llm_xfer *x, double t0)
{
	struct llm_client *c = x->c;
	struct llm_result *r = x->res;

	x->done = 1;
	r->elapsed_s = llm_now() - t0;
	llm_mask_key(c, &r->error);
	if (r->status == LLM_OK || r->status == LLM_TRUNCATED)
		c->usage.completions++;
	if (r->attempts && (r->status == LLM_OK || r->status == LLM_TRUNCATED)) {
		long pt = r->prompt_tokens > 0 ? r->prompt_tokens : 0;
		long ct = r->completion_tokens > 0 ? r->completion_tokens : 0;
		c->usage.prompt_tokens += pt;
		c->usage.completion_tokens += ct;
		if (c->usage.cost_known)
			c->usage.cost +=
			    (double)pt * (c->price_prompt > 0 ? c->price_prompt : 0) / 1e6 +
			    (double)ct * (c->price_completion > 0 ? c->price_completion : 0) / 1e6;
		if (c->cache_mode == LLM_CACHE_RW) {
			struct llm_cache_entry e = {
			    .provider = c->prov->name,
			    .model = c->model,
			    .index = x->index,
			    .status = r->status,
			    .finish_reason = buf_str(&r->finish_reason),
			    .text = buf_str(&r->text),
			    .prompt_tokens = r->prompt_tokens,
			    .completion_tokens = r->completion_tokens,
			};
			struct buf err = BUF_INIT;
			buf_init(&err, 0);
			if (llm_cache_store(c->cache_dir, r->key, &e, &err) < 0)
				llm_log(c, LLM_LOG_WARN,
				        "cannot record the response in the cache: %s", err.data);
			buf_release(&err);
		}
	}
}

/*
 * The attempt ended with a retryable failure whose message is already in
 * res->error: schedule the next attempt or give up.
 */
static void llm_retry_or_finish(struct llm_xfer *x, double t0, double deadline)
{
	struct llm_client *c = x->c;
	struct llm_result *r = x->res;
	double now = llm_now(), wait;

	if (r->attempts > c->max_retries) {
		buf_addf(&r->error, " (gave up after %d attempt%s)", r->attempts,
		         r->attempts == 1 ? "" : "s");
		llm_finish(x, t0);
		return;
	}
	wait = llm_backoff(c, r->attempts);
	if (x->retry_after > wait)
		wait = x->retry_after;
	if (now + wait >= deadline) {
		buf_addf(&r->error,
		         " (gave up after %d attempt%s: a retry in %.1f s would pass the deadline "
		         "of %.1f s)",
		         r->attempts, r->attempts == 1 ? "" : "s", wait, c->deadline_s);
		llm_finish(x, t0);
		return;
	}
	llm_log(c, LLM_LOG_INFO, "candidate %d: %s; retrying in %.1f s (attempt %d of %d)",
	        x->index, r->error.data, wait, r->attempts + 1, c->max_retries + 1);
	x->next_start = now + wait;
}

/* Start the next attempt; 0 when the transfer is on the multi handle. */
static int llm_start(struct llm_xfer *x, const struct buf *req_body, double t0, double deadline)
{
	struct llm_client *c = x->c;
	double remaining = deadline - llm_now();
	double timeout = c->request_timeout_s, ctimeout = c->connect_timeout_s;

	if (remaining < 0.01) {
		x->res->status = LLM_TIMEOUT;
		err_set(&x->res->error, "no answer within the deadline of %.1f s (%d attempt%s)",
		        c->deadline_s, x->res->attempts, x->res->attempts == 1 ? "" : "s");
		llm_finish(x, t0);
		return -1;
	}
	if (timeout > remaining)
		timeout = remaining;
	if (ctimeout > timeout)
		ctimeout = timeout;
	x->attempt_timeout = timeout;
	buf_reset(&x->body);
	x->retry_after = -1;
	x->errbuf[0] = '\0';

	curl_easy_reset(x->easy);
	curl_easy_setopt(x->easy, CURLOPT_URL, c->endpoint);
	curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, req_body->data);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_body->len);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, llm_write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, llm_header_cb);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)ceil(timeout * 1000));
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)ceil(ctimeout * 1000));
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	/* A redirect could carry the auth header elsewhere: never follow one. */
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "optimize/" OPTIMIZE_VERSION);
	if (c->loopback)
		curl_easy_setopt(x->easy, CURLOPT_NOPROXY, "*");
	if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
		x->res->status = LLM_TRANSPORT_ERROR;
		err_set(&x->res->error, "cannot start the HTTP request");
		llm_finish(x, t0);
		return -1;
	}
	x->in_flight = 1;
	x->res->attempts++;
	c->usage.http_requests++;
	return 0;
}

/* An attempt ended: classify it and finish or schedule a retry. */
static void llm_done(struct llm_xfer *x, CURLcode rc, double t0, double deadline)
{
	struct llm_client *c = x->c;
	struct llm_result *r = x->res;
	long code = 0;

	curl_multi_remove_handle(c->multi, x->easy);
	x->in_flight = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	r->http_code = code;
	buf_reset(&r->error);

	if (rc == CURLE_WRITE_ERROR && x->body.truncated) {
		r->status = LLM_BAD_RESPONSE;
		err_set(&r->error, "the response is larger than %zu bytes", x->body.max);
		llm_finish(x, t0);
		return;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		r->status = LLM_TIMEOUT;
		if (llm_now() >= deadline - 0.01) {
			err_set(&r->error, "no answer within the deadline of %.1f s (%d attempt%s)",
			        c->deadline_s, r->attempts, r->attempts == 1 ? "" : "s");
			llm_finish(x, t0);
			return;
		}
		err_set(&r->error, "no answer within %.1f s", x->attempt_timeout);
		llm_retry_or_finish(x, t0, deadline);
		return;
	}
	if (rc != CURLE_OK) {
		r->status = LLM_TRANSPORT_ERROR;
		err_set(&r->error, "%s '%s': %s", "cannot talk to", c->endpoint,
		        x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		if (llm_curl_retryable(rc))
			llm_retry_or_finish(x, t0, deadline);
		else
			llm_finish(x, t0);
		return;
	}
	if (code >= 200 && code < 300) {
		buf_reset(&r->text);
		buf_reset(&r->finish_reason);
		r->prompt_tokens = r->completion_tokens = -1;
		c->prov->parse_response(x->body.data, x->body.len, r);
		if (r->status == LLM_BAD_RESPONSE)
			err_prefix(&r->error, "bad answer from '%s' (HTTP %ld): ", c->endpoint,
			           code);
		else if (r->status == LLM_TRUNCATED)
			llm_log(c, LLM_LOG_WARN,
			        "candidate %d: the response was cut off by the token limit (%ld "
			        "tokens)",
			        x->index, r->completion_tokens);
		llm_finish(x, t0);
		return;
	}
	r->status = LLM_HTTP_ERROR;
	llm_http_message(x, code);
	if (llm_http_retryable(code))
		llm_retry_or_finish(x, t0, deadline);
	else
		llm_finish(x, t0);
}

/* Answer what the cache can. Returns 1 when x is done. */
static int llm_from_cache(struct llm_xfer *x, double t0)
{
	struct llm_client *c = x->c;
	struct llm_result *r = x->res;
	struct buf err = BUF_INIT;
	int hit;

	if (c->cache_mode == LLM_CACHE_OFF)
		return 0;
	buf_init(&err, 0);
	hit = llm_cache_lookup(c->cache_dir, r->key, r, &err);
	if (hit == 1) {
		c->usage.cache_hits++;
		c->usage.cached_prompt_tokens += r->prompt_tokens > 0 ? r->prompt_tokens : 0;
		c->usage.cached_completion_tokens +=
		    r->completion_tokens > 0 ? r->completion_tokens : 0;
		llm_finish(x, t0);
	} else if (c->cache_mode == LLM_CACHE_RO) {
		r->status = LLM_CACHE_MISS;
		if (hit < 0)
			err_set(&r->error, "cache (read-only): %s", err.data);
		else
			err_set(&r->error,
			        "cache miss in read-only mode: no recorded response for provider "
			        "'%s', model '%s', candidate %d (key %s) in '%s'; record it first "
			        "with cache mode rw",
			        c->prov->name, c->model, x->index, r->key, c->cache_dir);
		llm_finish(x, t0);
		hit = 1;
	} else if (hit < 0) {
		llm_log(c, LLM_LOG_WARN, "ignoring the cache entry: %s", err.data);
		hit = 0;
	}
	buf_release(&err);
	return hit == 1;
}

static int llm_build_headers(struct llm_xfer *x)
{
	struct llm_client *c = x->c;
	struct curl_slist *n;
	char line[64];

	static const char *const common[] = {
	    "Content-Type: application/json", "Accept: application/json",
	    "Expect:", /* no 100-continue round trip for large prompts */
	};
	size_t i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		n = curl_slist_append(x->headers, common[i]);
		if (!n)
			return -1;
		x->headers = n;
	}
	snprintf(line, sizeof(line), "X-Optimize-Candidate: %d", x->index);
	n = curl_slist_append(x->headers, line);
	if (!n)
		return -1;
	x->headers = n;
	return c->prov->add_headers(&x->headers, c->api_key, c->anthropic_version);
}

static void llm_xfer_clear(struct llm_xfer *x)
{
	struct curl_slist *h;

	if (x->easy) {
		if (x->in_flight)
			curl_multi_remove_handle(x->c->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	/* The slist holds the auth header: wipe it before freeing. */
	for (h = x->headers; h; h = h->next)
		memset(h->data, 0, strlen(h->data));
	curl_slist_free_all(x->headers);
	buf_release(&x->body);
}

int llm_complete_n(struct llm_client *c, const struct llm_request *req, int n,
                   struct llm_result *results)
{
	struct llm_xfer *xs;
	struct buf body = BUF_INIT;
	double t0 = llm_now(), deadline = t0 + c->deadline_s;
	int i, pending = 0, ok = 0, fatal = 0;

	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		llm_result_init(&results[i]);
	xs = xcalloc((size_t)n, sizeof(*xs));
	buf_init(&body, 0);
	if (c->prov->build_body(req, c->model, &c->params, &body) < 0) {
		for (i = 0; i < n; i++) {
			results[i].status = LLM_TRANSPORT_ERROR;
			err_set(&results[i].error, "out of memory building the request");
		}
		free(xs);
		buf_release(&body);
		return -1;
	}

	for (i = 0; i < n; i++) {
		struct llm_xfer *x = &xs[i];

		x->c = c;
		x->res = &results[i];
		x->index = i;
		buf_init(&x->body, c->response_max);
		if (llm_request_key(req, c->prov->name, c->model, &c->params, i, results[i].key) <
		    0) {
			results[i].status = LLM_TRANSPORT_ERROR;
			err_set(&results[i].error, "out of memory building the request");
			llm_finish(x, t0);
			fatal = 1;
			continue;
		}
		if (llm_from_cache(x, t0))
			continue;
		x->easy = curl_easy_init();
		if (!x->easy || llm_build_headers(x) < 0) {
			results[i].status = LLM_TRANSPORT_ERROR;
			err_set(&results[i].error,
			        "cannot set up the HTTP request (out of memory)");
			llm_finish(x, t0);
			fatal = 1;
			continue;
		}
		x->next_start = t0;
		pending++;
	}

	while (pending > 0) {
		double now = llm_now(), soonest = INFINITY;
		int running = 0, left;
		CURLMsg *msg;

		for (i = 0; i < n; i++) {
			struct llm_xfer *x = &xs[i];
			if (x->done || x->in_flight || x->next_start > now)
				continue;
			if (llm_start(x, &body, t0, deadline) < 0)
				pending--;
		}
		curl_multi_perform(c->multi, &running);
		while ((msg = curl_multi_info_read(c->multi, &left))) {
			struct llm_xfer *x = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			llm_done(x, msg->data.result, t0, deadline);
			if (x->done)
				pending--;
		}
		if (pending <= 0)
			break;
		now = llm_now();
		for (i = 0; i < n; i++)
			if (!xs[i].done && !xs[i].in_flight && xs[i].next_start < soonest)
				soonest = xs[i].next_start;
		{
			double wait_ms = isinf(soonest) ? 1000 : (soonest - now) * 1000;
			if (wait_ms > 1000)
				wait_ms = 1000;
			if (wait_ms < 0)
				wait_ms = 0;
			curl_multi_poll(c->multi, NULL, 0, (int)ceil(wait_ms), NULL);
		}
	}

	for (i = 0; i < n; i++) {
		llm_xfer_clear(&xs[i]);
		if (results[i].status == LLM_OK)
			ok++;
	}
	free(xs);
	buf_release(&body);
	return fatal && !ok ? -1 : ok;
}

int llm_complete(struct llm_client *c, const struct llm_request *req, struct llm_result *result)
{
	llm_complete_n(c, req, 1, result);
	return result->status == LLM_OK ? 0 : -1;
}
