/*
 * proposer_llm.c: rewrites proposed by an LLM, round after round, guided by
 * the profile of the current best and by what happened to earlier attempts.
 * See proposer_llm.h.
 */
#include "llm/proposer_llm_int.h"

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

#define MAX_PARENTS 8

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

void llm_prop_say(const struct llm_prop *lp, const char *fmt, ...)
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
		llm_prop_say(lp, "%s", msg);
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
	json_add_number(l, "repairs", (double)lp->repairs_made);
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
	json_add_number(l, "context_tokens", (double)lp->opt.context_tokens);
	json_add_number(l, "prompt_budget_tokens", (double)lp->opt.prompt_budget_tokens);
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

/* The transcript's heading and prompt for one parent's request. */
static void transcript_prompt(const struct llm_prop *lp, int parent, enum llm_prompt_kind kind,
                              const char *phash, const struct llm_prompt_stats *ps, const char *sys,
                              const char *user, struct buf *tr)
{
	buf_addf(tr, "## Round %d, parent c%d: %s, prompt sha256 %.16s, ~%zu tokens", lp->round,
	         parent, llm_prompt_file(kind), phash, ps->tokens);
	if (ps->history_dropped || ps->context_dropped)
		buf_addf(tr, " (trimmed: %zu history lines, %zu context files)",
		         ps->history_dropped, ps->context_dropped);
	buf_addf(tr, "\n\nContext sent: %s%s.", ps->parts,
	         ps->profile_cut ? "; the profile shortened" : "");
	buf_addstr(tr, "\n\n### System\n\n");
	fenced(tr, sys);
	buf_addstr(tr, "### User\n\n");
	fenced(tr, user);
}

/*
 * Count response i (the next candidate is number label_no of the round) and
 * add it to the transcript. 1 when it is usable; otherwise 0, and *fatal
 * becomes i if the failure must end the run (the first one only).
 */
static int response_record(struct llm_prop *lp, const struct llm_result *rr, size_t i, int label_no,
                           struct buf *tr, int *fatal)
{
	int usable = rr->status == LLM_OK || rr->status == LLM_TRUNCATED;
	buf_addf(tr, "### Response %zu (llm r%dc%d): %s", i + 1, lp->round, label_no,
	         llm_status_name(rr->status));
	if (usable)
		buf_addf(tr, ", finish %s, tokens %ld + %ld%s", buf_str(&rr->finish_reason),
		         rr->prompt_tokens, rr->completion_tokens,
		         rr->cached ? ", from the cache" : "");
	buf_addstr(tr, "\n\n");
	if (rr->cached)
		lp->hits++;
	else if (lp->opt.cache_mode != LLM_CACHE_OFF)
		lp->misses++;
	if (!usable) {
		lp->failures++;
		buf_addf(tr, "error: %s\n\n", buf_str(&rr->error));
		llm_prop_say(lp, "request %zu of round %d failed: %s", i + 1, lp->round,
		             buf_str(&rr->error));
		if (*fatal < 0 && fatal_result(rr))
			*fatal = (int)i;
		return 0;
	}
	fenced(tr, buf_str(&rr->text));
	lp->tokens_used += (rr->prompt_tokens > 0 ? rr->prompt_tokens : 0) +
	                   (rr->completion_tokens > 0 ? rr->completion_tokens : 0);
	return 1;
}

/* The candidate "llm r<round>c<label_no>" made of a usable response's edits
 * (or rejected with the reason they could not be parsed). */
static struct candidate *response_candidate(const struct llm_prop *lp, const struct run_view *v,
                                            int parent, const struct llm_result *rr,
                                            const char *phash, int label_no,
                                            struct llm_prop_prompt *pp)
{
	struct candidate *c;
	struct llm_edits ed2;
	struct llm_edits_target et;
	struct read_ctx rc = {v, parent};
	struct buf perr = BUF_INIT, lab = BUF_INIT, note = BUF_INIT;
	char rhash[SHA256_HEX_LEN + 1];
	size_t k;

	buf_addf(&lab, "llm r%dc%d", lp->round, label_no);
	c = candidate_new("llm", lab.data);
	buf_release(&lab);
	c->parent = parent;
	c->llm.prompt_hash = xstrdup(phash);
	sha256_hex(rr->text.data ? rr->text.data : "", rr->text.len, rhash);
	c->llm.response_hash = xstrdup(rhash);
	c->llm.prompt_tokens = rr->prompt_tokens;
	c->llm.completion_tokens = rr->completion_tokens;
	memset(&et, 0, sizeof(et));
	et.editable = &pp->editable;
	et.readonly = &pp->ctx_paths;
	et.protected_files = &pp->protected_files;
	et.read = read_parent;
	et.read_ctx = &rc;
	if (llm_edits_parse(buf_str(&rr->text), rr->text.len, rr->status == LLM_TRUNCATED, &et,
	                    &ed2, &perr) < 0) {
		candidate_set(c, CAND_EDIT_REJECTED, perr.data);
		llm_edits_first_line(buf_str(&rr->text), rr->text.len, 200, &note);
		if (note.len)
			c->note = buf_detach(&note);
	} else {
		for (k = 0; k < ed2.n; k++)
			candidate_add_file(c, ed2.v[k].path, ed2.v[k].content, ed2.v[k].len);
		c->note = ed2.note;
		ed2.note = NULL;
		llm_edits_release(&ed2);
	}
	buf_release(&perr);
	buf_release(&note);
	return c;
}

/*
 * A repair of the failed candidate rep: its edits were made against rep's
 * version (or its parent's, when they did not apply), so it takes rep's own
 * files and then its own edits, on top of rep's parent; "llm r1c1 fix1".
 */
static void repair_fixup(const struct run_view *v, const struct outcome *rep, struct candidate *c)
{
	const struct candidate *f = view_candidate(v, rep->id);
	struct buf lab = BUF_INIT;
	const char *base = rep->label ? rep->label : "llm";
	const char *cut = strstr(base, " fix");
	size_t i;

	c->parent = rep->parent;
	c->llm.repair_of = rep->id;
	for (i = 0; f && c->status != CAND_EDIT_REJECTED && i < f->nfiles; i++) {
		size_t k;
		int mine = 0;

		for (k = 0; k < c->nfiles; k++)
			mine |= !strcmp(c->files[k].path, f->files[i].path);
		if (!mine)
			candidate_add_file(c, f->files[i].path, f->files[i].content,
			                   f->files[i].len);
	}
	buf_add(&lab, base, cut ? (size_t)(cut - base) : strlen(base));
	buf_addf(&lab, " fix%d", rep->depth + 1);
	free(c->label);
	c->label = buf_detach(&lab);
}

static int propose_for_parent(struct llm_prop *lp, const struct run_view *v, int parent, int n,
                              const struct outcome *rep, struct candidate **out, int *nout,
                              struct buf *err)
{
	struct buf sys = BUF_INIT, user = BUF_INIT, tr = BUF_INIT;
	struct llm_prop_prompt pp;
	struct llm_prompt_input in;
	struct llm_prompt_stats ps;
	struct llm_result *res = NULL;
	enum llm_prompt_kind kind;
	char phash[SHA256_HEX_LEN + 1];
	size_t i;
	int r = -1, ok_any = 0, fatal = -1;

	llm_prop_prompt_init(&pp);
	if (rep)
		kind = llm_prop_repair_feedback(lp, v, rep, &pp.fb);
	else
		kind = llm_prop_parent_feedback(lp, v, parent, &pp.fb);
	if (llm_prop_prompt_input(lp, v, parent, &pp, &in, err) < 0)
		goto out;
	if (llm_prompt_render(&lp->tpl, kind, &in, &sys, &user, &ps, err) < 0) {
		err_prefix(err, "LLM %s:%s (prompt budget %ld tokens): ", lp->provider, lp->model,
		           lp->opt.prompt_budget_tokens);
		goto out;
	}
	if (ps.outlined && !lp->said_outline) {
		lp->said_outline = 1;
		llm_prop_say(lp,
		             "the editable code does not fit the prompt budget of %ld tokens: "
		             "showing the hot functions whole and an outline of the rest (%s)",
		             lp->opt.prompt_budget_tokens, ps.parts);
	}
	{
		struct buf both = BUF_INIT;
		buf_addf(&both, "%s\n\n%s", sys.data, user.data);
		sha256_hex(both.data, both.len, phash);
		buf_release(&both);
	}
	if (rep)
		buf_addf(&tr, "## Repair %d of %s (c%d)\n\n", rep->depth + 1, rep->label, rep->id);
	transcript_prompt(lp, parent, kind, phash, &ps, sys.data, user.data, &tr);

	if (rep)
		llm_prop_say(
		    lp, "asking %s to repair %s (c%d), repair %d of %d (prompt ~%zu tokens)",
		    lp->model, rep->label, rep->id, rep->depth + 1, lp->opt.repairs, ps.tokens);
	else
		llm_prop_say(lp, "round %d: asking %s for %d candidate%s (prompt ~%zu tokens, %s)",
		             lp->round, lp->model, n, n == 1 ? "" : "s", ps.tokens,
		             llm_prompt_file(kind));
	res = xcalloc((size_t)n, sizeof(*res));
	llm_prop_complete_cached(lp, &in, kind, sys.data, user.data, n, res);
	lp->calls += n;
	for (i = 0; i < (size_t)n; i++) {
		if (!response_record(lp, &res[i], i, *nout + 1, &tr, &fatal))
			continue;
		ok_any = 1;
		out[*nout] = response_candidate(lp, v, parent, &res[i], phash, *nout + 1, &pp);
		if (rep)
			repair_fixup(v, rep, out[*nout]);
		(*nout)++;
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
	llm_prop_prompt_release(&pp);
	buf_release(&sys);
	buf_release(&user);
	buf_release(&tr);
	return r;
}

static void set_stop(struct llm_prop *lp, const char *why)
{
	free(lp->stop);
	lp->stop = xstrdup(why);
}

static const struct outcome *outcome_of(const struct llm_prop *lp, int id)
{
	size_t i;

	for (i = 0; i < lp->ncur; i++)
		if (lp->cur[i].id == id)
			return &lp->cur[i];
	return NULL;
}

/*
 * Repair requests for the failures of the last batch: each failed answer
 * gets up to opt.repairs follow-ups showing its own code and its error;
 * the same error twice ends its repairs. 0 when there is nothing to
 * repair, the number of candidates, or -1 with err.
 */
static int propose_repairs(struct llm_prop *lp, const struct run_view *v, struct candidate **out,
                           size_t max, struct buf *err)
{
	size_t i, end = lp->ncur;
	int nout = 0;

	if (lp->round == 0 || lp->stop || lp->opt.repairs <= 0 ||
	    (lp->opt.budget_tokens > 0 && lp->tokens_used >= lp->opt.budget_tokens))
		return 0;
	for (i = lp->batch_start; i < end && (size_t)nout < max; i++) {
		struct outcome rep = lp->cur[i];
		const struct outcome *prev =
		    rep.repair_of >= 0 ? outcome_of(lp, rep.repair_of) : NULL;

		if (!llm_prop_repairable(rep.status) || rep.depth >= lp->opt.repairs)
			continue;
		if (prev && llm_prop_same_error(&rep, prev)) {
			llm_prop_say(lp, "%s failed with the same error as %s: no more repairs",
			             rep.label, prev->label);
			continue;
		}
		if (propose_for_parent(lp, v,
		                       rep.status == CAND_EDIT_REJECTED ? rep.parent : rep.id, 1,
		                       &lp->cur[i], out, &nout, err) < 0) {
			int j;

			for (j = 0; j < nout; j++)
				candidate_free(out[j]);
			set_stop(lp, buf_str(err));
			return -1;
		}
		lp->repairs_made++;
	}
	lp->batch_start = end;
	return nout;
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
	/* Repairs of the last batch's failures come before a new round. */
	nout = propose_repairs(lp, v, out, max, err);
	if (nout != 0)
		return nout;
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
		llm_prop_say(lp,
		             "token budget reached (%ld of %ld tokens): keeping the best so far",
		             lp->tokens_used, lp->opt.budget_tokens);
		err_set(err, "token budget reached");
		return PROPOSER_STOP;
	} else if (lp->opt.patience > 0 && lp->rounds_without_gain >= lp->opt.patience) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "no improvement in %d round%s (--patience)", lp->rounds_without_gain,
		         lp->rounds_without_gain == 1 ? "" : "s");
		set_stop(lp, b.data);
		llm_prop_say(lp, "%s", b.data);
		buf_release(&b);
	}
	if (lp->stop) {
		return 0;
	}
	lp->round++;
	lp->batch_start = 0;
	np = choose_parents(lp, v, parents);
	per = lp->opt.candidates > 0 ? lp->opt.candidates : 2;
	for (i = 0; i < np; i++) {
		int n = per;
		if ((size_t)(nout + n) > max)
			n = (int)max - nout;
		if (n <= 0)
			break;
		if (propose_for_parent(lp, v, parents[i], n, NULL, out, &nout, err) < 0) {
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
	o->repair_of = c->llm.repair_of;
	o->depth = 0;
	if (o->repair_of >= 0) {
		const struct outcome *r = outcome_of(lp, o->repair_of);

		o->depth = r ? r->depth + 1 : 1;
	}
	if (c->status == CAND_ACCEPTED)
		lp->gain_this_round = 1;
	llm_prop_history_line(lp, v, c);
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
	struct proposer *p = xcalloc(1, sizeof(*p));
	struct llm_prop *lp = xcalloc(1, sizeof(*lp));
	struct llm_config cfg;
	struct llm_client *probe;

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
	if (lp->opt.repairs < 0)
		lp->opt.repairs = 2;
	if (lp->opt.context_tokens <= 0)
		lp->opt.context_tokens = llm_default_context_tokens(o->provider);
	if (lp->opt.prompt_budget_tokens <= 0)
		lp->opt.prompt_budget_tokens =
		    lp->opt.context_tokens - (lp->opt.max_tokens > 0 ? lp->opt.max_tokens : 4096);
	if (lp->opt.prompt_budget_tokens < 256) {
		err_set(err,
		        "the model's context_tokens (%ld) leaves no room for a prompt after the "
		        "answer's %ld tokens: raise context_tokens or lower max_tokens",
		        lp->opt.context_tokens,
		        lp->opt.max_tokens > 0 ? lp->opt.max_tokens : 4096L);
		goto fail;
	}
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
