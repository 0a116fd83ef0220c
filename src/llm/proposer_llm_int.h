/*
 * proposer_llm_int.h: private to src/llm/proposer_llm*.c: the LLM
 * proposer's state and what its files share. proposer_llm.c proposes and
 * reports; proposer_llm_feedback.c turns what happened to earlier
 * candidates into feedback and history lines; proposer_llm_prompt.c
 * gathers what a prompt shows; proposer_llm_cache.c asks for completions
 * through the response cache.
 */
#ifndef OPTIMIZE_PROPOSER_LLM_INT_H
#define OPTIMIZE_PROPOSER_LLM_INT_H

#include "llm/proposer_llm.h"

#include "base/buf.h"
#include "base/strlist.h"
#include "llm/llm_prompt.h"
#include "prof/profile.h"

/* ---- the proposer's state ---- */

struct outcome {
	int id, parent;
	enum cand_status status;
	char *label, *note, *reason;
	int repair_of; /* the failed candidate this one repairs; -1 = none */
	int depth;     /* 0 for a fresh answer, n for the n-th repair of one */
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
	size_t batch_start; /* cur[batch_start..]: outcomes of the last batch (round or repairs) */
	int repairs_made;   /* repair requests in this run */
	struct strlist history;
	/* the profile shown for the current best */
	struct profile prof;
	int prof_id;
	char *prof_note;
	int transcript_started;
	int said_outline;               /* the note about an outlined prompt was given */
	const struct engine_events *ev; /* where llm_prop_say() goes: the run's events */
};

/* A progress note ("  llm: ...") through the run's events. */
void llm_prop_say(const struct llm_prop *lp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The prompt kind for parent's next prompt, from the previous round's
 * outcomes that matter to it (LLM_PROMPT_FIRST in round 1); the feedback
 * text for them is appended to fb. */
enum llm_prompt_kind llm_prop_parent_feedback(const struct llm_prop *lp, const struct run_view *v,
                                              int parent, struct buf *fb);
/* 1 when a candidate that ended with status s can be repaired (it failed
 * to apply, build, verify, test or run). */
int llm_prop_repairable(enum cand_status s);
/* 1 when a and b failed the same way (the same status and first error
 * line, numbers aside): the same error twice ends the repairs. */
int llm_prop_same_error(const struct outcome *a, const struct outcome *b);
/* The feedback of a repair request for the failed o (appended to fb),
 * and the template to use. */
enum llm_prompt_kind llm_prop_repair_feedback(const struct llm_prop *lp, const struct run_view *v,
                                              const struct outcome *o, struct buf *fb);

/* Add c's line ("label (note): status: reason") to lp->history. */
void llm_prop_history_line(struct llm_prop *lp, const struct run_view *v,
                           const struct candidate *c);

/* What the prompt for one parent is built from; all released by
 * llm_prop_prompt_release. */
struct llm_prop_prompt {
	struct strlist editable, ctx_paths;
	struct strlist protected_files; /* the original's files that are not editable */
	struct buf ctx_data, fb, obj, comp;
	struct buf *contents;
	struct llm_prompt_file *ed, *cx;
	size_t *offs;
	struct cand_config cc;
};

void llm_prop_prompt_init(struct llm_prop_prompt *pp);
void llm_prop_prompt_release(struct llm_prop_prompt *pp);
/*
 * The prompt input for parent: its editable files, the context files, the
 * build settings, the profile to show, the history and the feedback (pp->fb,
 * filled by the caller). in points into pp. 0, or -1 with err.
 */
int llm_prop_prompt_input(struct llm_prop *lp, const struct run_view *v, int parent,
                          struct llm_prop_prompt *pp, struct llm_prompt_input *in, struct buf *err);

/* Fill res[0..n) with n completions of (sys, user), each from the response
 * cache or from the client; in is what the prompt was rendered from. */
void llm_prop_complete_cached(struct llm_prop *lp, const struct llm_prompt_input *in,
                              enum llm_prompt_kind kind, const char *sys, const char *user, int n,
                              struct llm_result *res);

#endif
