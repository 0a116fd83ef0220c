/*
 * proposer_llm.c: rewrites proposed by an LLM, round after round, guided by
 * the profile of the current best and by what happened to earlier attempts.
 * See proposer_llm.h.
 */
#include "llm/proposer_llm.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "prof/counters.h"
#include "prof/hotspots.h"
#include "base/json.h"
#include "llm/llm_edits.h"
#include "llm/llm_prompt.h"
#include "base/xalloc.h"
#include "engine/proposer.h"
#include "prof/machine.h"
#include "engine/objective.h"
#include "base/sha256.h"
#include "engine/workspace.h"

#define CONTEXT_FILE_MAX    ((size_t)64 << 10)
#define FEEDBACK_REASON_MAX 2000 /* bytes of one candidate's reason in a feedback prompt */
#define HISTORY_REASON_MAX  160
#define MAX_PARENTS         8

/* ---- the proposer's state ---- */

struct outcome {
	int id, parent;
	enum cand_status status;
	char *label, *note, *reason;
};

struct llm_prop {
	/* settings (owned copies) */
	char *provider, *model, *url, *key_env, *cache_dir, *prompts_dir;
	struct llm_run_options opt;
	struct llm_templates tpl;
	struct llm_client *client;
	struct buf client_err;
	int verbosity;
	/* progress */
	int round;
	int rounds_without_gain;
	int gain_this_round;
	long tokens_used;
	long calls, hits, misses, failures;
	long cached_prompt_tokens, cached_completion_tokens;
	char *stop;                 /* why it stopped proposing, for the report */
	struct outcome *prev, *cur; /* outcomes of the previous and the current round */
	size_t nprev, ncur;
	struct strlist history;
	/* the profile shown for the current best */
	struct profile prof;
	int prof_id;
	char *prof_note;
	int transcript_started;
	const struct engine_events *ev; /* where say() goes: the run's events */
};

static void outcomes_free(struct outcome *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].note);
		free(v[i].reason);
	}
	free(v);
}

static void say(const struct llm_prop *lp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct llm_prop *lp, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_addstr(&b, "  llm: ");
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	engine_note(lp->ev, NOTE_PROGRESS, "%s", b.data);
	buf_release(&b);
}

static void on_client_log(void *ctx, enum llm_log_level level, const char *msg)
{
	struct llm_prop *lp = ctx;
	if (level >= LLM_LOG_INFO || lp->verbosity > 0)
		say(lp, "%s", msg);
}

static void llm_config_fill(const struct llm_prop *lp, struct llm_config *cfg)
{
	llm_config_init(cfg);
	cfg->provider = lp->provider;
	cfg->model = lp->model;
	cfg->base_url = lp->url;
	cfg->api_key_env = lp->key_env;
	if (lp->opt.temperature >= 0)
		cfg->temperature = lp->opt.temperature;
	if (lp->opt.max_tokens > 0)
		cfg->max_tokens = lp->opt.max_tokens;
	if (lp->opt.connect_timeout_s > 0)
		cfg->connect_timeout_s = lp->opt.connect_timeout_s;
	if (lp->opt.request_timeout_s > 0)
		cfg->request_timeout_s = lp->opt.request_timeout_s;
	if (lp->opt.deadline_s > 0)
		cfg->deadline_s = lp->opt.deadline_s;
	if (lp->opt.backoff_base_s > 0)
		cfg->backoff_base_s = lp->opt.backoff_base_s;
	if (lp->opt.max_retries >= 0)
		cfg->max_retries = lp->opt.max_retries;
	cfg->price_prompt_per_mtok = lp->opt.price_prompt_per_mtok;
	cfg->price_completion_per_mtok = lp->opt.price_completion_per_mtok;
	/* The proposer keeps the cache itself (complete_cached): see there why. */
	cfg->cache_mode = LLM_CACHE_OFF;
	cfg->cache_dir = lp->cache_dir;
	cfg->seed = 1;
}

/* The key's variable for the provider (never the key itself). */
static const char *key_env(const struct llm_prop *lp)
{
	if (lp->key_env)
		return lp->key_env;
	return !strcmp(lp->provider, "anthropic") ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
}

static int make_client(struct llm_prop *lp, const struct run_view *v, struct buf *err)
{
	struct llm_config cfg;
	struct buf dir = BUF_INIT;

	if (!lp->cache_dir) {
		buf_addf(&dir, "%s/cache", v->state_dir ? v->state_dir : ".optimize");
		lp->cache_dir = buf_detach(&dir);
	}
	llm_config_fill(lp, &cfg);
	cfg.api_key = getenv(key_env(lp)); /* copied by the client, never kept here */
	cfg.api_key_env = key_env(lp);
	cfg.log = on_client_log;
	cfg.log_ctx = lp;
	lp->client = llm_client_init(&cfg, err);
	buf_release(&dir);
	return lp->client ? 0 : -1;
}

/* ---- profile of the best ---- */

/*
 * Counters and hotspots of candidate id's timed run, through the pipeline
 * (the same isolation as any run of candidate code): the loop collected
 * one for most candidates already; this is for the others.
 */
static void collect_profile(struct llm_prop *lp, const struct run_view *v, int id)
{
	const struct candidate *c = view_candidate(v, id);

	profile_release(&lp->prof);
	profile_init(&lp->prof);
	free(lp->prof_note);
	lp->prof_note = NULL;
	lp->prof_id = id;
	if (c && (c->profile.nmetrics || c->profile.nfunctions))
		return; /* the loop collected one: shown from the candidate */
	if (!c || !c->workdir) {
		lp->prof_note = xstrdup("(no profile: the workspace of the current best is gone)");
		return;
	}
	view_profile(v, id, &lp->prof);
	profile_sort_hotspots(&lp->prof);
}

/* ---- outcomes, history, feedback ---- */

static void first_line(const char *s, size_t max, struct buf *out)
{
	size_t n;

	if (!s)
		return;
	n = strcspn(s, "\n");
	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		buf_add(out, s, n);
		buf_addstr(out, "...");
		return;
	}
	buf_add(out, s, n);
}

/* A reason cut to max bytes at a line end, redacted. */
static void add_reason(const struct target *t, const char *reason, size_t max, struct buf *out)
{
	struct buf red = BUF_INIT;
	size_t n;

	llm_prompt_redact(t, reason ? reason : "", &red);
	n = red.len;
	if (n > max) {
		n = max;
		while (n > max / 2 && red.data[n] != '\n')
			n--;
		if (red.data[n] != '\n')
			n = max;
		while (n && ((unsigned char)red.data[n] & 0xC0) == 0x80)
			n--;
		buf_add(out, red.data, n);
		buf_addstr(out, "\n[... trimmed]");
	} else {
		buf_add(out, red.data, n);
	}
	buf_release(&red);
}

static enum llm_prompt_kind kind_of(enum cand_status s)
{
	switch (s) {
	case CAND_ACCEPTED:
		return LLM_PROMPT_ACCEPTED;
	case CAND_NOT_FASTER:
	case CAND_DUPLICATE:
		return LLM_PROMPT_SLOWER;
	case CAND_VERIFY_FAILED:
	case CAND_RUN_FAILED:
	case CAND_TEST_FAILED:
	case CAND_PROTECTED_CHANGED:
		return LLM_PROMPT_WRONG_RESULT;
	default:
		return LLM_PROMPT_COMPILE_ERROR;
	}
}

/* The template for the next prompt: the most promising outcome wins. */
static enum llm_prompt_kind choose_kind(const struct outcome *v, size_t n)
{
	static const enum llm_prompt_kind order[] = {LLM_PROMPT_ACCEPTED, LLM_PROMPT_SLOWER,
	                                             LLM_PROMPT_WRONG_RESULT,
	                                             LLM_PROMPT_COMPILE_ERROR};
	size_t i, j;

	for (j = 0; j < sizeof(order) / sizeof(order[0]); j++)
		for (i = 0; i < n; i++)
			if (kind_of(v[i].status) == order[j])
				return order[j];
	return LLM_PROMPT_FIRST;
}

static const char *what_happened(enum cand_status s)
{
	switch (s) {
	case CAND_EDIT_REJECTED:
		return "its edits could not be applied";
	case CAND_BUILD_FAILED:
		return "it did not compile";
	case CAND_PROTECTED_CHANGED:
		return "it changed a file that must not change";
	case CAND_RUN_FAILED:
		return "the timed run failed";
	case CAND_VERIFY_FAILED:
		return "it gave a wrong result";
	case CAND_TEST_FAILED:
		return "the test command failed";
	case CAND_NOT_FASTER:
		return "it was correct but not faster";
	case CAND_DUPLICATE:
		return "it was identical to an earlier candidate, so it was not run";
	case CAND_ACCEPTED:
		return "it was correct and faster: it is the new best";
	case CAND_SKIPPED:
		return "it was not evaluated";
	default:
		return "it was not evaluated";
	}
}

static void feedback_text(const struct llm_prop *lp, const struct run_view *v,
                          const struct outcome *outs, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct outcome *o = &outs[i];
		if (i)
			buf_addch(out, '\n');
		buf_addf(out, "Candidate %s", o->label ? o->label : "?");
		if (o->note && *o->note)
			buf_addf(out, " (\"%s\")", o->note);
		buf_addf(out, ": %s.\n", what_happened(o->status));
		if (o->status == CAND_BUILD_FAILED) {
			buf_addstr(out, "The first compiler errors:\n```\n");
			add_reason(v->target, o->reason, FEEDBACK_REASON_MAX, out);
			buf_addstr(out, "\n```\n");
		} else if (o->reason && *o->reason) {
			buf_addstr(out, o->status == CAND_VERIFY_FAILED ? "The first difference: "
			                : o->status == CAND_NOT_FASTER || o->status == CAND_ACCEPTED
			                    ? "Measured: "
			                    : "Why: ");
			add_reason(v->target, o->reason, FEEDBACK_REASON_MAX, out);
			buf_addch(out, '\n');
		}
	}
	(void)lp;
}

/*
 * The line of a reason that says what happened. A build failure's first
 * line only names the build command, and compilers print context ("In
 * function ...", warnings) before the error: take the first error line
 * (for a link error, from "undefined reference" on), else the first line.
 */
static const char *reason_gist(enum cand_status status, const char *reason)
{
	const char *line, *ref = NULL;
	size_t n;

	if (status != CAND_BUILD_FAILED || !strchr(reason, '\n'))
		return reason;
	/* the first line names the build command, which may hold "-Werror" */
	for (line = strchr(reason, '\n') + 1; *line; line += n + (line[n] == '\n')) {
		const char *u;

		n = strcspn(line, "\n");
		if (memmem(line, n, "error:", 6) && strncmp(line, "collect2:", 9))
			return line;
		u = memmem(line, n, "undefined reference", 19);
		if (u && !ref)
			ref = u;
	}
	return ref ? ref : reason;
}

static void history_line(struct llm_prop *lp, const struct run_view *v, const struct candidate *c)
{
	struct buf b = BUF_INIT, r = BUF_INIT;

	buf_addf(&b, "%s", c->label ? c->label : "?");
	if (c->note && *c->note) {
		buf_addstr(&b, " (");
		first_line(c->note, 80, &b);
		buf_addch(&b, ')');
	}
	buf_addf(&b, ": %s", cand_status_name(c->status));
	llm_prompt_redact(v->target, c->reason, &r);
	if (r.len) {
		buf_addstr(&b, ": ");
		first_line(reason_gist(c->status, r.data), HISTORY_REASON_MAX, &b);
	}
	strlist_push(&lp->history, b.data);
	buf_release(&b);
	buf_release(&r);
}

/* ---- transcript ---- */

static void transcript_add(struct llm_prop *lp, const struct run_view *v, const char *text)
{
	struct buf p = BUF_INIT;
	FILE *f;

	buf_addf(&p, "%s/transcript.md", v->run_dir);
	f = fopen(p.data, lp->transcript_started ? "a" : "w");
	if (f) {
		if (!lp->transcript_started)
			fprintf(
			    f, "# LLM transcript: target %s\n\nprovider %s, model %s, cache %s\n\n",
			    v->target->name, lp->provider, lp->model,
			    llm_cache_mode_name(lp->opt.cache_mode));
		lp->transcript_started = 1;
		fputs(text, f);
		fclose(f);
	}
	buf_release(&p);
}

static void fenced(struct buf *b, const char *text)
{
	buf_addstr(b, "`````\n");
	buf_addstr(b, text);
	if (!*text || text[strlen(text) - 1] != '\n')
		buf_addch(b, '\n');
	buf_addstr(b, "`````\n\n");
}

/* ---- report ---- */

/* The endpoint without any query string (a key could hide there). */
static void endpoint_clean(const char *ep, struct buf *out)
{
	buf_add(out, ep, strcspn(ep, "?#"));
}

static void llm_report(struct proposer *self, cJSON *obj)
{
	struct llm_prop *lp = self->impl;
	struct llm_usage u;
	struct buf ep = BUF_INIT;
	cJSON *l, *c;

	cJSON_DeleteItemFromObjectCaseSensitive(obj, "llm");
	l = json_add_object(obj, "llm");
	if (!l)
		return;
	json_add_string(l, "provider", lp->provider);
	json_add_string(l, "model", lp->model);
	if (lp->client) {
		endpoint_clean(llm_client_endpoint(lp->client), &ep);
		json_add_string(l, "endpoint", ep.data);
		llm_client_usage(lp->client, &u);
	} else {
		memset(&u, 0, sizeof(u));
	}
	json_add_string(l, "strategy", lp->opt.strategy == LLM_STRATEGY_BEAM ? "beam" : "greedy");
	json_add_number(l, "rounds", lp->round);
	json_add_number(l, "calls", (double)lp->calls);
	json_add_number(l, "http_requests", (double)u.http_requests);
	json_add_number(l, "failed_calls", (double)lp->failures);
	json_add_measure(l, "prompt_tokens", (double)u.prompt_tokens, "tokens", "provider");
	json_add_measure(l, "completion_tokens", (double)u.completion_tokens, "tokens", "provider");
	json_add_measure(l, "cached_prompt_tokens", (double)lp->cached_prompt_tokens, "tokens",
	                 "cache");
	json_add_measure(l, "cached_completion_tokens", (double)lp->cached_completion_tokens,
	                 "tokens", "cache");
	json_add_number(l, "tokens_counted", (double)lp->tokens_used);
	if (lp->opt.budget_tokens > 0)
		json_add_number(l, "budget_tokens", (double)lp->opt.budget_tokens);
	if (u.cost_known)
		json_add_measure(l, "cost", u.cost, "currency units", "configured prices");
	c = json_add_object(l, "cache");
	json_add_string(c, "mode", llm_cache_mode_name(lp->opt.cache_mode));
	json_add_string(c, "dir", lp->cache_dir);
	json_add_number(c, "hits", (double)lp->hits);
	json_add_number(c, "misses", (double)lp->misses);
	json_add_string(l, "prompts_dir", lp->tpl.dir);
	if (lp->stop)
		json_add_string(l, "stopped", lp->stop);
	buf_release(&ep);
}

/* ---- the response cache ---- */

/* Every run of digits (with dots) becomes '#': measured values differ from run to run. */
static void mask_numbers(const char *s, struct buf *out)
{
	while (s && *s) {
		if ((*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9')) {
			while ((*s >= '0' && *s <= '9') || *s == '.')
				s++;
			buf_addch(out, '#');
		} else {
			buf_addch(out, *s++);
		}
	}
}

/*
 * Ask for n completions through the response cache. The cache key is the
 * client's canonical request key (provider, model, parameters, candidate
 * index) of the same prompt rendered without the measured numbers: no
 * profile, and digits masked in the feedback and history. So a recorded
 * run replays on the same machine although its timings differ a little,
 * while a changed template, code, setting or earlier answer changes the key.
 * The client itself runs with its cache off.
 */
static void complete_cached(struct llm_prop *lp, const struct llm_prompt_input *in,
                            enum llm_prompt_kind kind, const char *sys, const char *user, int n,
                            struct llm_result *res)
{
	struct llm_prompt_input kin = *in;
	struct buf ksys = BUF_INIT, kuser = BUF_INIT, kfb = BUF_INIT, e = BUF_INIT;
	struct strlist khist = {0};
	struct llm_params params;
	struct llm_result *live = NULL;
	int *miss = calloc((size_t)n, sizeof(int));
	int i, nmiss = 0, keys_ok;
	size_t j;

	mask_numbers(in->feedback, &kfb);
	for (j = 0; j < in->nhistory; j++) {
		struct buf h = BUF_INIT;
		mask_numbers(in->history[j], &h);
		strlist_push(&khist, h.data);
		buf_release(&h);
	}
	kin.profile = NULL;
	kin.profile_note = "(the measured profile)";
	kin.feedback = kfb.data;
	kin.history = (const char *const *)khist.v;
	kin.budget_tokens = 0;
	keys_ok = llm_prompt_render(&lp->tpl, kind, &kin, &ksys, &kuser, NULL, &e) == 0;
	llm_client_params(lp->client, &params);
	for (i = 0; i < n; i++) {
		struct llm_message km = {"user", kuser.data};
		struct llm_request kreq = {ksys.data, &km, 1};
		int hit = 0;

		llm_result_init(&res[i]);
		if (!keys_ok || lp->opt.cache_mode == LLM_CACHE_OFF ||
		    llm_request_key(&kreq, lp->provider, lp->model, &params, i, res[i].key) < 0) {
			if (miss)
				miss[nmiss++] = i;
			continue;
		}
		buf_reset(&e);
		hit = llm_cache_lookup(lp->cache_dir, res[i].key, &res[i], &e);
		if (hit == 1) {
			lp->cached_prompt_tokens +=
			    res[i].prompt_tokens > 0 ? res[i].prompt_tokens : 0;
			lp->cached_completion_tokens +=
			    res[i].completion_tokens > 0 ? res[i].completion_tokens : 0;
			continue;
		}
		if (lp->opt.cache_mode == LLM_CACHE_RO) {
			res[i].status = LLM_CACHE_MISS;
			if (hit < 0)
				err_set(&res[i].error, "cache (read-only): %s", e.data);
			else
				err_set(
				    &res[i].error,
				    "cache miss in read-only mode: no recorded response for round "
				    "%d, "
				    "candidate %d (provider '%s', model '%s', key %s) in '%s'; the "
				    "prompt differs from the recorded run's (a changed prompt "
				    "template, source, setting or earlier answer): record it with "
				    "--cache rw",
				    lp->round, i + 1, lp->provider, lp->model, res[i].key,
				    lp->cache_dir);
			continue;
		}
		if (hit < 0)
			say(lp, "ignoring a cache entry: %s", e.data);
		if (miss)
			miss[nmiss++] = i;
	}
	if (nmiss)
		live = calloc((size_t)nmiss, sizeof(*live));
	if (live) {
		struct llm_message msg = {"user", user};
		struct llm_request req = {sys, &msg, 1};

		llm_complete_n(lp->client, &req, nmiss, live);
		for (i = 0; i < nmiss; i++) {
			struct llm_result *r = &res[miss[i]];
			char key[SHA256_HEX_LEN + 1];

			memcpy(key, r->key, sizeof(key));
			llm_result_release(r);
			*r = live[i]; /* ownership moves */
			memcpy(r->key, key, sizeof(key));
			if (lp->opt.cache_mode == LLM_CACHE_RW && r->key[0] &&
			    (r->status == LLM_OK || r->status == LLM_TRUNCATED)) {
				struct llm_cache_entry ce;
				ce.provider = lp->provider;
				ce.model = lp->model;
				ce.index = miss[i];
				ce.status = r->status;
				ce.finish_reason = buf_str(&r->finish_reason);
				ce.text = buf_str(&r->text);
				ce.prompt_tokens = r->prompt_tokens;
				ce.completion_tokens = r->completion_tokens;
				buf_reset(&e);
				if (llm_cache_store(lp->cache_dir, r->key, &ce, &e) < 0)
					say(lp, "cannot record the response in the cache: %s",
					    e.data);
			}
		}
		free(live);
	} else {
		for (i = 0; i < nmiss; i++) {
			res[miss[i]].status = LLM_TRANSPORT_ERROR;
			err_set(&res[miss[i]].error, "out of memory");
		}
	}
	free(miss);
	strlist_release(&khist);
	buf_release(&ksys);
	buf_release(&kuser);
	buf_release(&kfb);
	buf_release(&e);
}

/* ---- proposing ---- */

struct read_ctx {
	const struct run_view *v;
	int id;
};

static int read_parent(void *ctx, const char *path, struct buf *out)
{
	struct read_ctx *rc = ctx;
	return view_read_file(rc->v, rc->id, path, out, NULL);
}

/* Parents for this round: the best (greedy) or the K best measured (beam). */
static size_t choose_parents(const struct llm_prop *lp, const struct run_view *v, int *out)
{
	size_t n = 0, i, j;
	int k = lp->opt.beam > 0 ? lp->opt.beam : 2;

	out[n++] = v->best;
	if (lp->opt.strategy != LLM_STRATEGY_BEAM)
		return n;
	if (k > MAX_PARENTS)
		k = MAX_PARENTS;
	while ((int)n < k) {
		const struct candidate *pick = NULL;
		for (i = 0; i < v->ncands; i++) {
			const struct candidate *c = v->cands[i];
			int taken = 0;
			if (c->status != CAND_ACCEPTED && c->status != CAND_NOT_FASTER)
				continue;
			for (j = 0; j < n; j++)
				taken |= out[j] == c->id;
			if (!taken && (!pick || c->meas.value < pick->meas.value))
				pick = c;
		}
		if (!pick)
			break;
		out[n++] = pick->id;
	}
	return n;
}

static int fatal_result(const struct llm_result *r)
{
	return r->status == LLM_CACHE_MISS ||
	       (r->status == LLM_HTTP_ERROR && (r->http_code == 400 || r->http_code == 401 ||
	                                        r->http_code == 403 || r->http_code == 404));
}

/* Files shown read-only: the original's files matching the context globs. */
static void context_files(const struct run_view *v, struct strlist *paths, struct buf *data,
                          size_t **offs)
{
	struct strlist all = {0};
	size_t i;

	*offs = NULL;
	if (!v->target->context.n || ws_list_files(view_pristine(v), &all, NULL) < 0) {
		strlist_release(&all);
		return;
	}
	for (i = 0; i < all.n; i++) {
		struct buf c = BUF_INIT;
		size_t *o;
		if (!strlist_match(&v->target->context, all.v[i]) ||
		    ws_is_editable(v->target, all.v[i]))
			continue;
		buf_init(&c, CONTEXT_FILE_MAX);
		if (view_read_file(v, 0, all.v[i], &c, NULL) < 0 || memchr(c.data, '\0', c.len)) {
			buf_release(&c);
			continue;
		}
		o = realloc(*offs, (paths->n + 1) * 2 * sizeof(size_t));
		if (!o) {
			buf_release(&c);
			break;
		}
		*offs = o;
		o[paths->n * 2] = data->len;
		o[paths->n * 2 + 1] = c.len;
		buf_add(data, c.data, c.len);
		strlist_push(paths, all.v[i]);
		buf_release(&c);
	}
	strlist_release(&all);
}

static void objective_text(const struct run_view *v, struct buf *out)
{
	const struct objective *o = view_objective(v);
	buf_addf(out, "%s, in %s, measured by %s", o->name, o->unit ? o->unit : "?",
	         o->source ? o->source : "?");
}

static int propose_for_parent(struct llm_prop *lp, const struct run_view *v, int parent, int n,
                              struct candidate **out, int *nout, struct buf *err)
{
	const struct candidate *pc = view_candidate(v, parent);
	const struct target *t = v->target;
	struct strlist editable = {0}, ctx_paths = {0};
	struct buf ctx_data = BUF_INIT, sys = BUF_INIT, user = BUF_INIT, fb = BUF_INIT;
	struct buf tr = BUF_INIT, obj = BUF_INIT, comp = BUF_INIT, *contents = NULL;
	struct llm_prompt_file *ed = NULL, *cx = NULL;
	struct llm_prompt_input in;
	struct llm_prompt_stats ps;
	struct llm_result *res = NULL;
	struct outcome *mine = NULL;
	size_t *offs = NULL, nmine = 0, i;
	struct cand_config cc;
	enum llm_prompt_kind kind;
	char phash[SHA256_HEX_LEN + 1];
	int r = -1, ok_any = 0, fatal = -1;

	/*
	 * The previous round's outcomes that matter to this parent. With beam,
	 * its children's, and its own when it was made in the previous round
	 * (a parent fresh from round 1 has no children yet: without its own
	 * outcome its prompt would have no feedback at all).
	 */
	mine = calloc(lp->nprev ? lp->nprev : 1, sizeof(*mine));
	for (i = 0; mine && i < lp->nprev; i++)
		if (lp->opt.strategy != LLM_STRATEGY_BEAM || lp->prev[i].parent == parent ||
		    lp->prev[i].id == parent)
			mine[nmine++] = lp->prev[i]; /* shallow: owned by prev */
	kind = lp->round == 1 ? LLM_PROMPT_FIRST : choose_kind(mine, nmine);
	if (kind != LLM_PROMPT_FIRST)
		feedback_text(lp, v, mine, nmine, &fb);

	view_editable_files(v, &editable);
	ed = calloc(editable.n ? editable.n : 1, sizeof(*ed));
	contents = calloc(editable.n ? editable.n : 1, sizeof(*contents));
	if (!ed || !contents) {
		err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < editable.n; i++) {
		buf_init(&contents[i], BUF_DEFAULT_MAX);
		if (view_read_file(v, parent, editable.v[i], &contents[i], err) < 0)
			goto out;
		ed[i].path = editable.v[i];
		ed[i].content = contents[i].data;
		ed[i].len = contents[i].len;
	}
	context_files(v, &ctx_paths, &ctx_data, &offs);
	cx = calloc(ctx_paths.n ? ctx_paths.n : 1, sizeof(*cx));
	for (i = 0; cx && i < ctx_paths.n; i++) {
		cx[i].path = ctx_paths.v[i];
		cx[i].content = ctx_data.data + offs[i * 2];
		cx[i].len = offs[i * 2 + 1];
	}
	if (parent == v->best && lp->prof_id != v->best)
		collect_profile(lp, v, v->best);
	view_config(v, parent, &cc);
	objective_text(v, &obj);
	memset(&in, 0, sizeof(in));
	in.target = t->name;
	in.objective = obj.data;
	in.editable = ed;
	in.neditable = editable.n;
	in.context = cx;
	in.ncontext = cx ? ctx_paths.n : 0;
	in.build = t->build;
	{
		const struct machine_info *mi = view_machine(v);
		buf_addf(&comp, "%s", cc.cc ? cc.cc : "cc");
		if (mi && mi->compiler)
			buf_addf(&comp, " (%s)", mi->compiler);
	}
	in.compiler = comp.data;
	in.cflags = cc.cflags;
	in.ldflags = cc.ldflags;
	if (pc && (pc->profile.nmetrics || pc->profile.nfunctions)) {
		in.profile = &pc->profile;
	} else if (parent == lp->prof_id) {
		in.profile = &lp->prof;
		in.profile_note = lp->prof_note;
	} else {
		in.profile = &lp->prof;
		in.profile_note = "(this is the profile of the current best version, not of the "
		                  "version shown)";
	}
	in.machine = view_machine_text(v);
	in.history = (const char *const *)lp->history.v;
	in.nhistory = lp->history.n;
	in.feedback = fb.data;
	in.round = lp->round;
	in.budget_tokens = (size_t)lp->opt.prompt_budget_tokens;
	if (llm_prompt_render(&lp->tpl, kind, &in, &sys, &user, &ps, err) < 0)
		goto out;
	if (ps.over_budget)
		say(lp,
		    "the prompt (~%zu tokens) is over the prompt budget of %ld tokens even "
		    "without history and context: the editable code alone is that large",
		    ps.tokens, lp->opt.prompt_budget_tokens);
	{
		struct buf both = BUF_INIT;
		buf_addf(&both, "%s\n\n%s", sys.data, user.data);
		sha256_hex(both.data, both.len, phash);
		buf_release(&both);
	}
	buf_addf(&tr, "## Round %d, parent c%d: %s, prompt sha256 %.16s, ~%zu tokens", lp->round,
	         parent, llm_prompt_file(kind), phash, ps.tokens);
	if (ps.history_dropped || ps.context_dropped)
		buf_addf(&tr, " (trimmed: %zu history lines, %zu context files)",
		         ps.history_dropped, ps.context_dropped);
	buf_addstr(&tr, "\n\n### System\n\n");
	fenced(&tr, sys.data);
	buf_addstr(&tr, "### User\n\n");
	fenced(&tr, user.data);

	say(lp, "round %d: asking %s for %d candidate%s (prompt ~%zu tokens, %s)", lp->round,
	    lp->model, n, n == 1 ? "" : "s", ps.tokens, llm_prompt_file(kind));
	res = calloc((size_t)n, sizeof(*res));
	if (!res) {
		err_set(err, "out of memory");
		goto out;
	}
	complete_cached(lp, &in, kind, sys.data, user.data, n, res);
	lp->calls += n;
	for (i = 0; i < (size_t)n; i++) {
		struct llm_result *rr = &res[i];
		int usable = rr->status == LLM_OK || rr->status == LLM_TRUNCATED;
		buf_addf(&tr, "### Response %zu (llm r%dc%d): %s", i + 1, lp->round, *nout + 1,
		         llm_status_name(rr->status));
		if (usable)
			buf_addf(&tr, ", finish %s, tokens %ld + %ld%s",
			         buf_str(&rr->finish_reason), rr->prompt_tokens,
			         rr->completion_tokens, rr->cached ? ", from the cache" : "");
		buf_addstr(&tr, "\n\n");
		if (rr->cached)
			lp->hits++;
		else if (lp->opt.cache_mode != LLM_CACHE_OFF)
			lp->misses++;
		if (!usable) {
			lp->failures++;
			buf_addf(&tr, "error: %s\n\n", buf_str(&rr->error));
			say(lp, "request %zu of round %d failed: %s", i + 1, lp->round,
			    buf_str(&rr->error));
			if (fatal < 0 && fatal_result(rr))
				fatal = (int)i;
			continue;
		}
		fenced(&tr, buf_str(&rr->text));
		lp->tokens_used += (rr->prompt_tokens > 0 ? rr->prompt_tokens : 0) +
		                   (rr->completion_tokens > 0 ? rr->completion_tokens : 0);
		ok_any = 1;
		{
			struct candidate *c;
			struct llm_edits ed2;
			struct llm_edits_target et;
			struct read_ctx rc = {v, parent};
			struct buf perr = BUF_INIT, lab = BUF_INIT, note = BUF_INIT;
			char rhash[SHA256_HEX_LEN + 1];
			size_t k;

			buf_addf(&lab, "llm r%dc%d", lp->round, *nout + 1);
			c = candidate_new("llm", lab.data);
			buf_release(&lab);
			c->parent = parent;
			c->llm.prompt_hash = xstrdup(phash);
			sha256_hex(rr->text.data ? rr->text.data : "", rr->text.len, rhash);
			c->llm.response_hash = xstrdup(rhash);
			c->llm.prompt_tokens = rr->prompt_tokens;
			c->llm.completion_tokens = rr->completion_tokens;
			memset(&et, 0, sizeof(et));
			et.editable = &editable;
			et.readonly = &ctx_paths;
			et.read = read_parent;
			et.read_ctx = &rc;
			if (llm_edits_parse(buf_str(&rr->text), rr->text.len,
			                    rr->status == LLM_TRUNCATED, &et, &ed2, &perr) < 0) {
				candidate_set(c, CAND_EDIT_REJECTED, perr.data);
				llm_edits_first_line(buf_str(&rr->text), rr->text.len, 200, &note);
				if (note.len)
					c->note = buf_detach(&note);
			} else {
				for (k = 0; k < ed2.n; k++)
					candidate_add_file(c, ed2.v[k].path, ed2.v[k].content,
					                   ed2.v[k].len);
				c->note = ed2.note;
				ed2.note = NULL;
				llm_edits_release(&ed2);
			}
			buf_release(&perr);
			buf_release(&note);
			out[(*nout)++] = c;
		}
	}
	transcript_add(lp, v, tr.data);
	if (fatal >= 0) {
		err_set(err, "LLM %s:%s: %s", lp->provider, lp->model, buf_str(&res[fatal].error));
		goto out;
	}
	if (!ok_any && n > 0) {
		err_set(err, "LLM %s:%s: every request of round %d failed: %s", lp->provider,
		        lp->model, lp->round, buf_str(&res[0].error));
		goto out;
	}
	r = 0;
out:
	for (i = 0; res && i < (size_t)n; i++)
		llm_result_release(&res[i]);
	free(res);
	for (i = 0; contents && i < editable.n; i++)
		buf_release(&contents[i]);
	free(contents);
	free(ed);
	free(cx);
	free(offs);
	free(mine);
	strlist_release(&editable);
	strlist_release(&ctx_paths);
	buf_release(&ctx_data);
	buf_release(&sys);
	buf_release(&user);
	buf_release(&fb);
	buf_release(&tr);
	buf_release(&obj);
	buf_release(&comp);
	return r;
}

static void set_stop(struct llm_prop *lp, const char *why)
{
	free(lp->stop);
	lp->stop = strdup(why);
}

static int llm_propose(struct proposer *self, const struct run_view *v, struct candidate **out,
                       size_t max, struct buf *err)
{
	struct llm_prop *lp = self->impl;
	int parents[MAX_PARENTS], nout = 0, per;
	size_t np, i;

	lp->verbosity = v->verbosity;
	lp->ev = v->ev;
	if (!lp->client && make_client(lp, v, err) < 0)
		return -1;
	/* Close the previous round. */
	if (lp->round > 0) {
		lp->rounds_without_gain = lp->gain_this_round ? 0 : lp->rounds_without_gain + 1;
		outcomes_free(lp->prev, lp->nprev);
		lp->prev = lp->cur;
		lp->nprev = lp->ncur;
		lp->cur = NULL;
		lp->ncur = 0;
		lp->gain_this_round = 0;
	}
	if (lp->stop) {
		return 0;
	}
	if (lp->round >= lp->opt.rounds) {
		set_stop(lp, "rounds done");
	} else if (lp->opt.budget_tokens > 0 && lp->tokens_used >= lp->opt.budget_tokens) {
		set_stop(lp, "token budget reached");
		say(lp, "token budget reached (%ld of %ld tokens): keeping the best so far",
		    lp->tokens_used, lp->opt.budget_tokens);
		err_set(err, "token budget reached");
		return PROPOSER_STOP;
	} else if (lp->opt.patience > 0 && lp->rounds_without_gain >= lp->opt.patience) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "no improvement in %d round%s (--patience)", lp->rounds_without_gain,
		         lp->rounds_without_gain == 1 ? "" : "s");
		set_stop(lp, b.data);
		say(lp, "%s", b.data);
		buf_release(&b);
	}
	if (lp->stop) {
		return 0;
	}
	lp->round++;
	np = choose_parents(lp, v, parents);
	per = lp->opt.candidates > 0 ? lp->opt.candidates : 2;
	for (i = 0; i < np; i++) {
		int n = per;
		if ((size_t)(nout + n) > max)
			n = (int)max - nout;
		if (n <= 0)
			break;
		if (propose_for_parent(lp, v, parents[i], n, out, &nout, err) < 0) {
			int j;
			for (j = 0; j < nout; j++) {
				candidate_release(out[j]);
				free(out[j]);
			}
			set_stop(lp, buf_str(err));
			return -1;
		}
	}
	return nout;
}

static void llm_feedback(struct proposer *self, const struct run_view *v, const struct candidate *c)
{
	struct llm_prop *lp = self->impl;
	struct outcome *o;

	lp->cur = xreallocarray(lp->cur, lp->ncur + 1, sizeof(*lp->cur));
	o = &lp->cur[lp->ncur++];
	o->id = c->id;
	o->parent = c->parent;
	o->status = c->status;
	o->label = xstrdup(c->label);
	o->note = xstrdup(c->note);
	o->reason = xstrdup(c->reason);
	if (c->status == CAND_ACCEPTED)
		lp->gain_this_round = 1;
	history_line(lp, v, c);
}

static void llm_release(struct proposer *self)
{
	struct llm_prop *lp = self->impl;

	llm_client_release(lp->client);
	llm_templates_release(&lp->tpl);
	outcomes_free(lp->prev, lp->nprev);
	outcomes_free(lp->cur, lp->ncur);
	strlist_release(&lp->history);
	profile_release(&lp->prof);
	free(lp->prof_note);
	free(lp->stop);
	free(lp->provider);
	free(lp->model);
	free(lp->url);
	free(lp->key_env);
	free(lp->cache_dir);
	free(lp->prompts_dir);
	buf_release(&lp->client_err);
	free(lp);
	free(self);
}

struct proposer *proposer_llm_new(const struct llm_run_options *o, struct buf *err)
{
	struct proposer *p = calloc(1, sizeof(*p));
	struct llm_prop *lp = calloc(1, sizeof(*lp));
	struct llm_config cfg;
	struct llm_client *probe;

	if (!p || !lp) {
		free(p);
		free(lp);
		err_set(err, "out of memory");
		return NULL;
	}
	p->name = "llm";
	p->propose = llm_propose;
	p->feedback = llm_feedback;
	p->report = llm_report;
	p->release = llm_release;
	p->impl = lp;
	lp->opt = *o;
	memset(&lp->opt.owned, 0, sizeof(lp->opt.owned));
	lp->opt.provider = lp->opt.model = lp->opt.url = lp->opt.api_key_env = NULL;
	lp->opt.cache_dir = lp->opt.prompts_dir = NULL;
	lp->opt.provider_source = NULL;
	if (lp->opt.rounds <= 0)
		lp->opt.rounds = 3;
	if (lp->opt.candidates <= 0)
		lp->opt.candidates = 2;
	if (lp->opt.beam <= 0)
		lp->opt.beam = 2;
	if (lp->opt.prompt_budget_tokens <= 0)
		lp->opt.prompt_budget_tokens = 24000;
	lp->provider = xstrdup(o->provider);
	lp->model = xstrdup(o->model);
	lp->url = xstrdup(o->url);
	lp->key_env = xstrdup(o->api_key_env);
	lp->cache_dir = xstrdup(o->cache_dir);
	lp->prompts_dir = xstrdup(o->prompts_dir);
	lp->prof_id = -1;
	lp->verbosity = o->verbosity;
	profile_init(&lp->prof);
	if (!lp->provider) {
		err_set(err, "no LLM provider configured");
		goto fail;
	}
	if (llm_templates_load(&lp->tpl, lp->prompts_dir, err) < 0)
		goto fail;
	/* Check the configuration now (no request, no cache access), so a bad
	 * provider or URL is reported before the original is even built. */
	llm_config_fill(lp, &cfg);
	cfg.cache_mode = LLM_CACHE_OFF;
	probe = llm_client_init(&cfg, err);
	if (!probe)
		goto fail;
	llm_client_release(probe);
	return p;
fail:
	llm_release(p);
	return NULL;
}
