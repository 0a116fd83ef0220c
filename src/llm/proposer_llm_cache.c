/* proposer_llm_cache.c: completions through the response cache, keyed so a recorded run replays. */
#include "llm/proposer_llm_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "base/xalloc.h"

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
void llm_prop_complete_cached(struct llm_prop *lp, const struct llm_prompt_input *in,
                              enum llm_prompt_kind kind, const char *sys, const char *user, int n,
                              struct llm_result *res)
{
	struct llm_prompt_input kin = *in;
	struct buf ksys = BUF_INIT, kuser = BUF_INIT, kfb = BUF_INIT, e = BUF_INIT;
	struct strlist khist = {0};
	struct llm_params params;
	int *miss = xcalloc((size_t)n, sizeof(*miss));
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
			llm_prop_say(lp, "ignoring a cache entry: %s", e.data);
		miss[nmiss++] = i;
	}
	if (nmiss) {
		struct llm_message msg = {"user", user};
		struct llm_request req = {sys, &msg, 1};
		struct llm_result *live = xcalloc((size_t)nmiss, sizeof(*live));

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
					llm_prop_say(lp,
					             "cannot record the response in the cache: %s",
					             e.data);
			}
		}
		free(live);
	}
	free(miss);
	strlist_release(&khist);
	buf_release(&ksys);
	buf_release(&kuser);
	buf_release(&kfb);
	buf_release(&e);
}
