/*
 * candidate.h: one candidate and the proposer interface.
 *
 * A candidate is the original source with some editable files replaced
 * and/or a build configuration (compiler flags, OpenCL build options,
 * work-group size). It moves through named stages, build -> check protected
 * files -> verify -> test -> measure -> decide, and each stage records its
 * outcome (status + reason) instead of aborting the run (after curl's
 * per_transfer). The original itself is candidate 0, "baseline".
 *
 * Proposers (flags search, LLM rewrites, a directory given with
 * --candidate) implement struct proposer: the loop asks for candidates, runs
 * them, and reports each outcome back through feedback().
 */
#ifndef OPTIMIZE_CANDIDATE_H
#define OPTIMIZE_CANDIDATE_H

#include <stddef.h>

#include "base/buf.h"
#include "prof/profile.h"
#include "engine/stats.h"

enum cand_status {
	CAND_PENDING,
	CAND_DUPLICATE,     /* same content + config as an earlier candidate: not run */
	CAND_EDIT_REJECTED, /* its edits could not be applied (proposer's message) */
	CAND_BUILD_FAILED,
	CAND_PROTECTED_CHANGED, /* a file outside `editable` changed */
	CAND_RUN_FAILED,        /* the timed run crashed, timed out or exited non-zero */
	CAND_VERIFY_FAILED,     /* outputs differ from the original's */
	CAND_TEST_FAILED,
	CAND_NOT_FASTER, /* measured; not faster with confidence */
	CAND_ACCEPTED,   /* measured faster with confidence: the new best */
	CAND_SKIPPED,    /* budget or interrupt stopped it */
};
const char *cand_status_name(enum cand_status s);

struct file_edit {
	char *path;    /* relative to the tree; must match `editable` or `kernels` */
	char *content; /* the whole new file */
	size_t len;
};

struct candidate {
	int id;       /* 0 = baseline */
	int parent;   /* id it was derived from (-1 for the baseline) */
	char *label;  /* short human description: "-O3 -funroll-loops", "llm r2c1" */
	char *origin; /* "baseline", "flags", "llm", "dir" */
	/* what it is */
	char *cc;                /* NULL = the parent's */
	char *cflags;            /* NULL = the parent's */
	char *ldflags;           /* NULL = the parent's */
	char *cl_build_options;  /* NULL = the parent's */
	char *wg_size;           /* NULL = the parent's */
	int pgo;                 /* two-stage profile-guided build */
	struct file_edit *files; /* edited files on top of the parent's */
	size_t nfiles;
	char *note; /* proposer's own note (e.g. the model's explanation, first line) */
	/* outcome */
	enum cand_status status;
	char *reason;  /* compiler errors (trimmed), mismatch message, ratio text */
	char *workdir; /* its workspace */
	char hash[65]; /* content + config hash (sha256 hex) */
	double build_s;
	struct stats_interval ci;            /* ratio vs the best it was compared with */
	int compared_with;                   /* id of that best */
	double *base_samples, *cand_samples; /* the paired measurements */
	size_t nsamples;
	double value;           /* median objective value of the candidate's runs */
	double base_value;      /* median of the best's runs in the same comparison */
	struct profile profile; /* counters + hotspots of the candidate, when collected */
	/* LLM bookkeeping (0 / NULL when not from an LLM) */
	char *prompt_hash, *response_hash;
	long prompt_tokens, completion_tokens;
};

void candidate_init(struct candidate *c);
void candidate_release(struct candidate *c);
/* Effective settings: the candidate's own or else its ancestors'. */
int candidate_add_file(struct candidate *c, const char *path, const char *content, size_t len);

struct loop_state; /* defined in loop.h */

struct proposer {
	const char *name;
	/* Propose up to max candidates (filled into out[0..n)); return n, 0 when
	 * it has nothing more to offer, -1 on an error that should end the run
	 * (err says why). The loop owns the returned candidates. */
	int (*propose)(struct proposer *self, struct loop_state *st, struct candidate **out,
	               size_t max, struct buf *err);
	/* The outcome of each candidate it proposed. */
	void (*feedback)(struct proposer *self, struct loop_state *st, const struct candidate *c);
	void (*release)(struct proposer *self);
	void *impl;
};

#endif
