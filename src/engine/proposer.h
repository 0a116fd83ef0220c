/*
 * proposer.h: the interface every proposer implements (the flag search,
 * hand-written rewrites, LLM rewrites). The scheduler (loop.c) asks for
 * candidates, takes each through the pipeline and reports each outcome
 * back. A proposer reads the run through a const view: it proposes, it
 * does not decide.
 */
#ifndef OPTIMIZE_PROPOSER_H
#define OPTIMIZE_PROPOSER_H

#include <stddef.h>

#include "base/buf.h"
#include "engine/candidate.h"
#include "engine/view.h"

struct cJSON;

/* propose() returns this to end the whole run (err holds the reason, e.g.
 * "token budget reached"); it is not an error. */
#define PROPOSER_STOP (-2)

struct proposer {
	const char *name;
	/*
	 * Propose up to max candidates into out[0..n) and return n; 0 when it
	 * has nothing more to offer; PROPOSER_STOP to end the run; -1 on an
	 * error that should end the run (err says why). The caller owns the
	 * returned candidates. A candidate whose parent is -1 builds on the
	 * current best.
	 */
	int (*propose)(struct proposer *self, const struct run_view *v, struct candidate **out,
	               size_t max, struct buf *err);
	/* The outcome of each candidate it proposed; may be NULL. */
	void (*feedback)(struct proposer *self, const struct run_view *v,
	                 const struct candidate *c);
	/* Fields for report.json (e.g. "llm": {...}) into obj; may be NULL. */
	void (*report)(struct proposer *self, struct cJSON *obj);
	void (*release)(struct proposer *self);
	void *impl;
};

#endif
