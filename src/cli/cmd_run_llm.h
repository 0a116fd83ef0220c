/*
 * cmd_run_llm.h: the LLM part of `optimize run`, kept out of cmd_run.c.
 *
 * cmd_run merges llm_run_option_specs into its option table
 * (llm_run_option_specs_merge), hands every key it does not know to
 * llm_run_option_parse; run/target_run.c makes the proposer for each target.
 * Keys are LLM_OPT_BASE (512) and up.
 */
#ifndef OPTIMIZE_CMD_RUN_LLM_H
#define OPTIMIZE_CMD_RUN_LLM_H

#include "base/buf.h"
#include "engine/manifest.h"
#include "cli/options.h"
#include "llm/llm_options.h"

#define LLM_OPT_BASE 512

/* The LLM options of `optimize run`, terminated by {NULL}. */
extern const struct opt_spec llm_run_option_specs[];

/* base's entries (up to its {NULL}) followed by the LLM ones and a {NULL};
 * malloc'd, free() it. Never NULL (allocation failure ends the process:
 * xalloc.h). */
struct opt_spec *llm_run_option_specs_merge(const struct opt_spec *base);

/* 1 when key is an LLM option (o updated), 0 when it is not one, -1 with
 * err on a bad value (a usage error). */
int llm_run_option_parse(int key, const char *arg, struct llm_run_options *o, struct buf *err);

const char *llm_not_configured_message(void);

/*
 * For every target that `only` selects (NULL: all): resolve its LLM settings
 * as target_run will and check them (llm_run_options_preflight), before
 * anything is built. 0, or -1 with err (the LLM cannot be used: exit 4).
 * Settings that do not resolve are left for target_run to report.
 */
int llm_run_preflight(const struct llm_run_options *given, const struct manifest *m,
                      const char *only, struct buf *err);

#endif
