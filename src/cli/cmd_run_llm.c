/*
 * cmd_run_llm.c: the LLM options of `optimize run` and the choice of the
 * LLM proposer for a target. See cmd_run_llm.h.
 */
#include "cli/cmd_run_llm.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

enum {
	OPT_LLM = LLM_OPT_BASE,
	OPT_LLM_URL,
	OPT_ROUNDS,
	OPT_CANDIDATES,
	OPT_BUDGET_TOKENS,
	OPT_CACHE,
	OPT_CACHE_DIR,
	OPT_PROMPTS,
	OPT_STRATEGY,
	OPT_BEAM,
	OPT_PATIENCE,
	OPT_REPAIRS,
	OPT_TRUST_MANIFEST_URL,
};

const struct opt_spec llm_run_option_specs[] = {
    {"llm", OPT_LLM, required_argument, "PROVIDER:MODEL",
     "rewrite with an LLM: openai:gpt-4o-mini, anthropic:MODEL, openai-compatible:MODEL"},
    {"llm-url", OPT_LLM_URL, required_argument, "URL",
     "base URL of an OpenAI-compatible server (http://127.0.0.1:8080/v1)"},
    {"rounds", OPT_ROUNDS, required_argument, "N", "LLM rounds (default 3)"},
    {"candidates", OPT_CANDIDATES, required_argument, "N", "LLM candidates per round (default 2)"},
    {"budget-tokens", OPT_BUDGET_TOKENS, required_argument, "N",
     "stop asking the LLM after N prompt + completion tokens"},
    {"cache", OPT_CACHE, required_argument, "MODE",
     "LLM response cache: rw (default), ro (replay only; a miss is an error), off"},
    {"cache-dir", OPT_CACHE_DIR, required_argument, "DIR",
     "LLM response cache directory (default TREE/.optimize/cache)"},
    {"prompts", OPT_PROMPTS, required_argument, "DIR", "prompt templates directory"},
    {"strategy", OPT_STRATEGY, required_argument, "S",
     "greedy (refine the best, default) or beam (refine the K best)"},
    {"beam", OPT_BEAM, required_argument, "K", "candidates kept by --strategy beam (default 2)"},
    {"patience", OPT_PATIENCE, required_argument, "N",
     "stop after N LLM rounds without improvement"},
    {"repairs", OPT_REPAIRS, required_argument, "N",
     "follow-up requests to fix a rewrite that fails to build, verify or run (default 2)"},
    {"trust-manifest-url", OPT_TRUST_MANIFEST_URL, no_argument, NULL,
     "let an https llm.url from the manifest receive the API key"},
    {NULL, 0, 0, NULL, NULL},
};

struct opt_spec *llm_run_option_specs_merge(const struct opt_spec *base)
{
	size_t nb = 0, nl = 0;
	struct opt_spec *v;

	while (base[nb].name)
		nb++;
	while (llm_run_option_specs[nl].name)
		nl++;
	v = xcalloc(nb + nl + 1, sizeof(*v));
	memcpy(v, base, nb * sizeof(*v));
	memcpy(v + nb, llm_run_option_specs, (nl + 1) * sizeof(*v));
	return v;
}

int llm_run_option_parse(int key, const char *arg, struct llm_run_options *o, struct buf *err)
{
	long l;

	switch (key) {
	case OPT_LLM:
		return llm_run_options_parse_spec(o, arg, err) < 0 ? -1 : 1;
	case OPT_LLM_URL:
		if (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8))
			return err_set(err, "--llm-url '%s' must start with http:// or https://",
			               arg);
		o->url = arg;
		return 1;
	case OPT_ROUNDS:
		if (opt_int("rounds", arg, 1, 1000, &l, err) < 0)
			return -1;
		o->rounds = (int)l;
		return 1;
	case OPT_CANDIDATES:
		if (opt_int("candidates", arg, 1, 16, &l, err) < 0)
			return -1;
		o->candidates = (int)l;
		return 1;
	case OPT_BUDGET_TOKENS:
		if (opt_int("budget-tokens", arg, 1, 0x7fffffffL, &l, err) < 0)
			return -1;
		o->budget_tokens = l;
		return 1;
	case OPT_CACHE: {
		enum llm_cache_mode m;
		if (llm_cache_mode_parse(arg, &m) < 0)
			return err_set(err, "--cache '%s': use rw, ro or off", arg);
		o->cache_mode = m;
		o->cache_mode_set = 1;
		return 1;
	}
	case OPT_CACHE_DIR:
		o->cache_dir = arg;
		return 1;
	case OPT_PROMPTS:
		o->prompts_dir = arg;
		return 1;
	case OPT_STRATEGY:
		if (!strcmp(arg, "greedy"))
			o->strategy = LLM_STRATEGY_GREEDY;
		else if (!strcmp(arg, "beam"))
			o->strategy = LLM_STRATEGY_BEAM;
		else
			return err_set(err, "--strategy '%s': use greedy or beam", arg);
		return 1;
	case OPT_BEAM:
		if (opt_int("beam", arg, 1, 8, &l, err) < 0)
			return -1;
		o->beam = (int)l;
		return 1;
	case OPT_TRUST_MANIFEST_URL:
		o->trust_manifest_url = 1;
		return 1;
	case OPT_PATIENCE:
		if (opt_int("patience", arg, 1, 1000, &l, err) < 0)
			return -1;
		o->patience = (int)l;
		return 1;
	case OPT_REPAIRS:
		if (opt_int("repairs", arg, 0, 10, &l, err) < 0)
			return -1;
		o->repairs = (int)l;
		return 1;
	default:
		return 0;
	}
}

const char *llm_not_configured_message(void)
{
	return "no LLM configured: running the offline flag search; to enable rewrites use "
	       "--llm PROVIDER:MODEL or set OPENAI_API_KEY / ANTHROPIC_API_KEY";
}

int llm_run_preflight(const struct llm_run_options *given, const struct manifest *m,
                      const char *only, struct buf *err)
{
	int r = 0;

	for (size_t i = 0; i < m->ntargets && r == 0; i++) {
		const struct target *t = &m->targets[i];
		struct llm_run_options o = *given;
		struct buf ignored = BUF_INIT;

		if (only && strcmp(t->name, only))
			continue;
		memset(&o.owned, 0, sizeof(o.owned));
		if (llm_run_options_resolve(&o, t, &ignored) > 0 &&
		    llm_run_options_preflight(&o, err) < 0)
			r = err_prefix(err, "target '%s': ", t->name);
		llm_run_options_release(&o);
		buf_release(&ignored);
	}
	return r;
}
