/*
 * target_run.h: one target of a run, whole: its proposers (hand-written
 * rewrites, the LLM, the flag search), its pipeline and loop, its report
 * files, and --apply. `optimize run` runs one per target of a tree;
 * `optimize bench` one per target of a suite. Both share this code, so a
 * suite row is exactly what `run` would have done on that target.
 *
 * It prints nothing: the caller's engine_events get every note and
 * outcome, after this module has rewritten the target's report.json.
 */
#ifndef OPTIMIZE_TARGET_RUN_H
#define OPTIMIZE_TARGET_RUN_H

#include "base/buf.h"
#include "base/strlist.h"
#include "engine/apply.h"
#include "engine/loop.h"
#include "engine/pipeline.h"
#include "llm/llm_options.h"
#include "report/report.h"

struct cJSON;

/* What every target of a run shares. */
struct run_settings {
	struct pipeline_options
	    po; /* state_dir, run_id, measurement, cancel; target set per target */
	struct loop_options lo;
	const struct strlist *candidates;  /* --candidate directories; may be NULL */
	const struct llm_run_options *llm; /* the command line's LLM options; NULL = none given */
	int no_flags;                      /* no compiler-flag search */
	int no_llm; /* no LLM proposer, whatever the manifest, config or environment say */
};

struct target_run {
	const struct target *t;
	struct pipeline *p;
	struct loop *l;
	struct proposer *prop;
	int llm;                          /* an LLM proposer is part of it */
	struct cJSON *extra;              /* the proposers' report fields */
	struct report_target rt;          /* what the report reads */
	char *error;                      /* why the target could not be set up */
	struct engine_events ev;          /* ours: wraps the caller's */
	const struct engine_events *user; /* the caller's */
};

/*
 * Assemble the proposers for t. -1 with err when the LLM configuration is
 * unusable (a usage error); 0 otherwise. *llm_configured tells whether an
 * LLM was configured anywhere (for the "no LLM configured" notice).
 */
int target_run_init(struct target_run *tr, const struct run_settings *s, const struct target *t,
                    const struct engine_events *ev, int *llm_configured, struct buf *err);

/*
 * Open the pipeline and run the loop; writes <run_dir>/report.json after
 * every candidate, and best/ and best.patch at the end. The status is the
 * loop's (or the pipeline's when it could not open: tr->error says why).
 */
enum engine_status target_run_exec(struct target_run *tr, const struct run_settings *s,
                                   struct buf *err);

/*
 * --apply, first half: re-verify the winner in a fresh workspace and add
 * its changed files to set, with the content the tool holds in memory (what
 * was verified and measured, apply.h). 0 (also when the original is kept
 * or only settings changed: *settings_only = 1), -1 with err. The caller
 * writes the whole set at once (apply_commit).
 */
int target_run_apply_prepare(struct target_run *tr, volatile sig_atomic_t *cancel,
                             struct apply_set *set, int *settings_only, struct buf *err);

void target_run_release(struct target_run *tr);

/* "dir+llm+flags", "flags", "none": the proposers of a run, for the report. */
void run_settings_proposer_name(const struct run_settings *s, int any_llm, struct buf *out);

#endif
