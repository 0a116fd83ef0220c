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
#include "engine/loop.h"
#include "prof/machine.h"
#include "engine/objective.h"
#include "base/sha256.h"
#include "engine/workspace.h"

#define CONTEXT_FILE_MAX    ((size_t)64 << 10)
#define FEEDBACK_REASON_MAX 2000 /* bytes of one candidate's reason in a feedback prompt */
#define HISTORY_REASON_MAX  160
#define MAX_PARENTS         8

/* ---- options ---- */

void llm_run_options_init(struct llm_run_options *o)
{
	memset(o, 0, sizeof(*o));
	o->temperature = -1;
	o->connect_timeout_s = -1;
	o->request_timeout_s = -1;
	o->deadline_s = -1;
	o->backoff_base_s = -1;
	o->max_retries = -1;
	o->price_prompt_per_mtok = -1;
	o->price_completion_per_mtok = -1;
}

void llm_run_options_release(struct llm_run_options *o)
{
	strlist_release(&o->owned);
}

static const char *keep(struct llm_run_options *o, const char *s)
{
	if (!s || strlist_push(&o->owned, s) < 0)
		return NULL;
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

static int config_path(struct buf *out)
{
	const char *env = getenv("OPTIMIZE_CONFIG"), *home = getenv("HOME");

	if (env && *env)
		return buf_addstr(out, env);
	if (!home || !*home)
		return -1;
	return buf_addf(out, "%s/.config/optimize/config.json", home);
}

static void cfg_number(const cJSON *c, const char *key, double *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
	if (*field < 0 && cJSON_IsNumber(v))
		*field = v->valuedouble;
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
	if (!o->url && m && m->url)
		o->url = keep(o, m->url);
	if (!o->url && curl && (!cprov || !o->provider || !strcmp(cprov, o->provider)))
		o->url = keep(o, curl);
	if (!o->url && o->provider && strcmp(o->provider, "anthropic") &&
	    getenv("OPENAI_BASE_URL") && *getenv("OPENAI_BASE_URL"))
		o->url = getenv("OPENAI_BASE_URL");
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
};

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

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
	va_list ap;

	if (lp->verbosity < 0)
		return;
	va_start(ap, fmt);
	fputs("  llm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
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

static int make_client(struct llm_prop *lp, const struct loop_state *st, struct buf *err)
{
	struct llm_config cfg;
	struct buf dir = BUF_INIT;

	if (!lp->cache_dir) {
		buf_addf(&dir, "%s/cache", st->opt->state_dir ? st->opt->state_dir : ".optimize");
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

static void add_env(struct strlist *env, const char *name, const char *value)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s=%s", name, value ? value : "");
	strlist_push(env, b.data);
	buf_release(&b);
}

/*
 * Counters and hotspots of candidate id's timed run, in its workspace
 * (built with -g by the loop): the perf backend where it can count, else
 * rusage; sampling hotspots where allowed, else cachegrind's per-line
 * figures.
 */
static void collect_profile(struct llm_prop *lp, const struct loop_state *st, int id)
{
	const struct candidate *c = loop_candidate(st, id);
	const struct target *t = st->target;
	struct cand_config cc;
	struct counter_request req;
	struct proc_spec spec;
	struct proc_result res;
	struct strlist env = {0};
	struct buf err = BUF_INIT, why = BUF_INIT, fl = BUF_INIT;
	const struct counter_backend *b = &counters_rusage;
	struct stat sb;

	profile_release(&lp->prof);
	profile_init(&lp->prof);
	free(lp->prof_note);
	lp->prof_note = NULL;
	lp->prof_id = id;
	if (c && (c->profile.nmetrics || c->profile.nfunctions))
		return; /* the loop collected one: shown from the candidate */
	if (!c || !c->workdir || stat(c->workdir, &sb) < 0) {
		lp->prof_note = strdup("(no profile: the workspace of the current best is gone)");
		return;
	}
	loop_config(st, id, &cc);
	buf_addf(&fl, "%s -g", cc.cflags ? cc.cflags : "");
	add_env(&env, "CC", cc.cc ? cc.cc : "cc");
	add_env(&env, "CFLAGS", fl.data);
	add_env(&env, "LDFLAGS", cc.ldflags ? cc.ldflags : "");
	strlist_push(&env, "OPTIMIZE_PROFILE=1");
	proc_spec_init(&spec);
	spec.cwd = c->workdir;
	spec.env_add = (const char *const *)env.v;
	spec.timeout_s = t->timeout_s > 0 ? t->timeout_s : 60;
	spec.limits = t->limits;
	memset(&req, 0, sizeof(req));
	req.spec = &spec;
	req.cmd = t->run;
	if (counters_perf.probe(&why) == 0)
		b = &counters_perf;
	if (b->run(&req, &res, &lp->prof, &err) < 0 && b != &counters_rusage) {
		buf_reset(&err);
		counters_rusage.run(&req, &res, &lp->prof, &err);
	}
	buf_reset(&why);
	req.hotspots = 1;
	if (hotspots_probe(NULL, &why) == 0) {
		buf_reset(&err);
		if (hotspots_run(&req, NULL, &res, &lp->prof, &err) < 0)
			profile_set_hotspot_error(&lp->prof, err.data);
	}
	if (!lp->prof.nlines && counters_cachegrind.probe(&why) == 0) {
		struct profile cg;
		profile_init(&cg);
		buf_reset(&err);
		if (counters_cachegrind.run(&req, &res, &cg, &err) == 0 && cg.nlines) {
			size_t i;
			hotspots_profile_clear(&lp->prof);
			profile_set_hotspot_source(&lp->prof, cg.hotspot_source);
			lp->prof.total_samples = cg.total_samples;
			for (i = 0; i < cg.nfunctions; i++) {
				struct hot_function *f = profile_add_function(
				    &lp->prof, cg.functions[i].name, cg.functions[i].module,
				    cg.functions[i].samples);
				if (f) {
					f->pct = cg.functions[i].pct;
					f->ir = cg.functions[i].ir;
				}
			}
			for (i = 0; i < cg.nlines; i++) {
				const struct hot_line *s = &cg.lines[i];
				struct hot_line *l = profile_add_line(
				    &lp->prof, s->file, s->line, s->function, s->text, s->samples);
				if (l) {
					l->pct = s->pct;
					l->ir = s->ir;
					l->d1mr = s->d1mr;
					l->d1mw = s->d1mw;
					l->dlmr = s->dlmr;
					l->dlmw = s->dlmw;
					l->bcm = s->bcm;
				}
			}
		}
		profile_release(&cg);
	}
	if (!lp->prof.nlines && !lp->prof.hotspot_error)
		profile_set_hotspot_error(&lp->prof, why.len ? why.data : "no samples");
	profile_derive(&lp->prof);
	profile_sort_hotspots(&lp->prof);
	strlist_release(&env);
	buf_release(&err);
	buf_release(&why);
	buf_release(&fl);
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

static void feedback_text(const struct llm_prop *lp, const struct loop_state *st,
                          const struct outcome *v, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct outcome *o = &v[i];
		if (i)
			buf_addch(out, '\n');
		buf_addf(out, "Candidate %s", o->label ? o->label : "?");
		if (o->note && *o->note)
			buf_addf(out, " (\"%s\")", o->note);
		buf_addf(out, ": %s.\n", what_happened(o->status));
		if (o->status == CAND_BUILD_FAILED) {
			buf_addstr(out, "The first compiler errors:\n```\n");
			add_reason(st->target, o->reason, FEEDBACK_REASON_MAX, out);
			buf_addstr(out, "\n```\n");
		} else if (o->reason && *o->reason) {
			buf_addstr(out, o->status == CAND_VERIFY_FAILED ? "The first difference: "
			                : o->status == CAND_NOT_FASTER || o->status == CAND_ACCEPTED
			                    ? "Measured: "
			                    : "Why: ");
			add_reason(st->target, o->reason, FEEDBACK_REASON_MAX, out);
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

static void history_line(struct llm_prop *lp, const struct loop_state *st,
                         const struct candidate *c)
{
	struct buf b = BUF_INIT, r = BUF_INIT;

	buf_addf(&b, "%s", c->label ? c->label : "?");
	if (c->note && *c->note) {
		buf_addstr(&b, " (");
		first_line(c->note, 80, &b);
		buf_addch(&b, ')');
	}
	buf_addf(&b, ": %s", cand_status_name(c->status));
	llm_prompt_redact(st->target, c->reason, &r);
	if (r.len) {
		buf_addstr(&b, ": ");
		first_line(reason_gist(c->status, r.data), HISTORY_REASON_MAX, &b);
	}
	strlist_push(&lp->history, b.data);
	buf_release(&b);
	buf_release(&r);
}

/* ---- transcript ---- */

static void transcript_add(struct llm_prop *lp, const struct loop_state *st, const char *text)
{
	struct buf p = BUF_INIT;
	FILE *f;

	buf_addf(&p, "%s/transcript.md", st->run_dir);
	f = fopen(p.data, lp->transcript_started ? "a" : "w");
	if (f) {
		if (!lp->transcript_started)
			fprintf(
			    f, "# LLM transcript: target %s\n\nprovider %s, model %s, cache %s\n\n",
			    st->target->name, lp->provider, lp->model,
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

static void update_extra(struct llm_prop *lp, struct loop_state *st)
{
	struct llm_usage u;
	struct buf ep = BUF_INIT;
	cJSON *l, *c;

	if (!st->extra)
		st->extra = cJSON_CreateObject();
	if (!st->extra)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(st->extra, "llm");
	l = json_add_object(st->extra, "llm");
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
	const struct loop_state *st;
	int id;
};

static int read_parent(void *ctx, const char *path, struct buf *out)
{
	struct read_ctx *rc = ctx;
	return loop_read_file(rc->st, rc->id, path, out, NULL);
}

/* Parents for this round: the best (greedy) or the K best measured (beam). */
static size_t choose_parents(const struct llm_prop *lp, const struct loop_state *st, int *out)
{
	size_t n = 0, i, j;
	int k = lp->opt.beam > 0 ? lp->opt.beam : 2;

	out[n++] = st->best;
	if (lp->opt.strategy != LLM_STRATEGY_BEAM)
		return n;
	if (k > MAX_PARENTS)
		k = MAX_PARENTS;
	while ((int)n < k) {
		const struct candidate *pick = NULL;
		for (i = 0; i < st->ncands; i++) {
			const struct candidate *c = st->cands[i];
			int taken = 0;
			if (c->status != CAND_ACCEPTED && c->status != CAND_NOT_FASTER)
				continue;
			for (j = 0; j < n; j++)
				taken |= out[j] == c->id;
			if (!taken && (!pick || c->value < pick->value))
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
static void context_files(const struct loop_state *st, struct strlist *paths, struct buf *data,
                          size_t **offs)
{
	struct strlist all = {0};
	size_t i;

	*offs = NULL;
	if (!st->target->context.n || ws_list_files(loop_pristine(st), &all, NULL) < 0) {
		strlist_release(&all);
		return;
	}
	for (i = 0; i < all.n; i++) {
		struct buf c = BUF_INIT;
		size_t *o;
		if (!strlist_match(&st->target->context, all.v[i]) ||
		    ws_is_editable(st->target, all.v[i]))
			continue;
		buf_init(&c, CONTEXT_FILE_MAX);
		if (loop_read_file(st, 0, all.v[i], &c, NULL) < 0 || memchr(c.data, '\0', c.len)) {
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

static void objective_text(const struct loop_state *st, struct buf *out)
{
	const struct objective *o = loop_objective(st);
	buf_addf(out, "%s, in %s, measured by %s", o->name, o->unit ? o->unit : "?",
	         o->source ? o->source : "?");
}

static int propose_for_parent(struct llm_prop *lp, struct loop_state *st, int parent, int n,
                              struct candidate **out, int *nout, struct buf *err)
{
	const struct candidate *pc = loop_candidate(st, parent);
	const struct target *t = st->target;
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
		feedback_text(lp, st, mine, nmine, &fb);

	loop_editable_files(st, &editable, NULL);
	ed = calloc(editable.n ? editable.n : 1, sizeof(*ed));
	contents = calloc(editable.n ? editable.n : 1, sizeof(*contents));
	if (!ed || !contents) {
		err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < editable.n; i++) {
		buf_init(&contents[i], BUF_DEFAULT_MAX);
		if (loop_read_file(st, parent, editable.v[i], &contents[i], err) < 0)
			goto out;
		ed[i].path = editable.v[i];
		ed[i].content = contents[i].data;
		ed[i].len = contents[i].len;
	}
	context_files(st, &ctx_paths, &ctx_data, &offs);
	cx = calloc(ctx_paths.n ? ctx_paths.n : 1, sizeof(*cx));
	for (i = 0; cx && i < ctx_paths.n; i++) {
		cx[i].path = ctx_paths.v[i];
		cx[i].content = ctx_data.data + offs[i * 2];
		cx[i].len = offs[i * 2 + 1];
	}
	if (parent == st->best && lp->prof_id != st->best)
		collect_profile(lp, st, st->best);
	loop_config(st, parent, &cc);
	objective_text(st, &obj);
	memset(&in, 0, sizeof(in));
	in.target = t->name;
	in.objective = obj.data;
	in.editable = ed;
	in.neditable = editable.n;
	in.context = cx;
	in.ncontext = cx ? ctx_paths.n : 0;
	in.build = t->build;
	{
		const struct machine_info *mi = loop_machine(st);
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
	in.machine = st->machine;
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
			struct candidate *c = calloc(1, sizeof(*c));
			struct llm_edits ed2;
			struct llm_edits_target et;
			struct read_ctx rc = {st, parent};
			struct buf perr = BUF_INIT, lab = BUF_INIT, note = BUF_INIT;
			char rhash[SHA256_HEX_LEN + 1];
			size_t k;

			if (!c) {
				err_set(err, "out of memory");
				goto out;
			}
			candidate_init(c);
			c->origin = strdup("llm");
			buf_addf(&lab, "llm r%dc%d", lp->round, *nout + 1);
			c->label = buf_detach(&lab);
			c->parent = parent;
			c->prompt_hash = strdup(phash);
			sha256_hex(rr->text.data ? rr->text.data : "", rr->text.len, rhash);
			c->response_hash = strdup(rhash);
			c->prompt_tokens = rr->prompt_tokens;
			c->completion_tokens = rr->completion_tokens;
			memset(&et, 0, sizeof(et));
			et.editable = &editable;
			et.readonly = &ctx_paths;
			et.read = read_parent;
			et.read_ctx = &rc;
			if (llm_edits_parse(buf_str(&rr->text), rr->text.len,
			                    rr->status == LLM_TRUNCATED, &et, &ed2, &perr) < 0) {
				c->status = CAND_EDIT_REJECTED;
				c->reason = buf_detach(&perr);
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
	transcript_add(lp, st, tr.data);
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

static int llm_propose(struct proposer *self, struct loop_state *st, struct candidate **out,
                       size_t max, struct buf *err)
{
	struct llm_prop *lp = self->impl;
	int parents[MAX_PARENTS], nout = 0, per;
	size_t np, i;

	lp->verbosity = st->opt->verbosity;
	if (!lp->client && make_client(lp, st, err) < 0)
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
		update_extra(lp, st);
		return 0;
	}
	if (lp->round >= lp->opt.rounds) {
		set_stop(lp, "rounds done");
	} else if (lp->opt.budget_tokens > 0 && lp->tokens_used >= lp->opt.budget_tokens) {
		set_stop(lp, "token budget reached");
		st->stopped = 1;
		free(st->stop_reason);
		st->stop_reason = strdup("token budget reached");
		say(lp, "token budget reached (%ld of %ld tokens): keeping the best so far",
		    lp->tokens_used, lp->opt.budget_tokens);
	} else if (lp->opt.patience > 0 && lp->rounds_without_gain >= lp->opt.patience) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "no improvement in %d round%s (--patience)", lp->rounds_without_gain,
		         lp->rounds_without_gain == 1 ? "" : "s");
		set_stop(lp, b.data);
		say(lp, "%s", b.data);
		buf_release(&b);
	}
	if (lp->stop) {
		update_extra(lp, st);
		return 0;
	}
	lp->round++;
	np = choose_parents(lp, st, parents);
	per = lp->opt.candidates > 0 ? lp->opt.candidates : 2;
	for (i = 0; i < np; i++) {
		int n = per;
		if ((size_t)(nout + n) > max)
			n = (int)max - nout;
		if (n <= 0)
			break;
		if (propose_for_parent(lp, st, parents[i], n, out, &nout, err) < 0) {
			int j;
			for (j = 0; j < nout; j++) {
				candidate_release(out[j]);
				free(out[j]);
			}
			set_stop(lp, buf_str(err));
			update_extra(lp, st);
			return -1;
		}
	}
	update_extra(lp, st);
	return nout;
}

static void llm_feedback(struct proposer *self, struct loop_state *st, const struct candidate *c)
{
	struct llm_prop *lp = self->impl;
	struct outcome *v = realloc(lp->cur, (lp->ncur + 1) * sizeof(*v));

	if (v) {
		lp->cur = v;
		v[lp->ncur].id = c->id;
		v[lp->ncur].parent = c->parent;
		v[lp->ncur].status = c->status;
		v[lp->ncur].label = dupstr(c->label);
		v[lp->ncur].note = dupstr(c->note);
		v[lp->ncur].reason = dupstr(c->reason);
		lp->ncur++;
	}
	if (c->status == CAND_ACCEPTED)
		lp->gain_this_round = 1;
	history_line(lp, st, c);
	update_extra(lp, st);
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
	lp->provider = dupstr(o->provider);
	lp->model = dupstr(o->model);
	lp->url = dupstr(o->url);
	lp->key_env = dupstr(o->api_key_env);
	lp->cache_dir = dupstr(o->cache_dir);
	lp->prompts_dir = dupstr(o->prompts_dir);
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
