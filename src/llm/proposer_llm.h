/*
 * proposer_llm.h: the LLM proposer. Each round it renders a prompt from the
 * templates (the first round: first.md; later rounds: the feedback template
 * chosen by the previous round's outcomes), asks the model for N candidates
 * concurrently, parses the answers into file edits and hands them to the
 * loop, which builds, verifies and measures them. Outcomes come back through
 * feedback() and become the next round's feedback and history.
 *
 * Strategies: greedy refines the current best; beam K refines each of the
 * K best measured candidates. It stops after `rounds`, when `budget_tokens`
 * are spent (propose() returns PROPOSER_STOP: "token budget reached", and
 * nothing else is proposed in this run), or after `patience`
 * rounds without an accepted candidate. An LLM failure that retrying cannot
 * fix (rejected key, unknown model, a cache miss in read-only mode, every
 * request of a round failing) ends the run through propose() returning -1
 * with the message; the loop keeps the best so far (exit 4).
 *
 * Writes <run_dir>/transcript.md (every prompt and response); its report()
 * adds {"llm": {...}} (provider, model, endpoint, usage, cache).
 * The API key is read from the environment when the client is made and is
 * never printed, logged or written.
 */
#ifndef OPTIMIZE_PROPOSER_LLM_H
#define OPTIMIZE_PROPOSER_LLM_H

#include "base/buf.h"
#include "engine/candidate.h"
#include "engine/manifest.h"
#include "engine/proposer.h"
#include "llm/llm.h"
#include "llm/llm_options.h"

/* The proposer; o must be resolved. It copies what it keeps. NULL with err
 * on an unusable configuration (unknown provider, no model, bad URL, a bad
 * prompts directory or template). */
struct proposer *proposer_llm_new(const struct llm_run_options *o, struct buf *err);

#endif
