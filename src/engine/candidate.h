/*
 * candidate.h: one candidate, in three parts that different hands fill.
 *
 *  - the proposal (a proposer fills it): a parent, a label, build settings
 *    that differ from the parent's, edited files on top of the parent's, or
 *    (for `gate`) a whole source tree of its own;
 *  - the resolution (the scheduler fills it, candidate_resolve, when the
 *    candidate joins a run): its effective settings and files along the
 *    parent chain, and a content hash that finds duplicates;
 *  - the outcome (the pipeline fills it): the stage it reached, a status and
 *    a reason, the measurement, the profile.
 *
 * The original itself is candidate 0, "original". Ownership: a candidate
 * owns every string and array in it; candidate_release frees them.
 */
#ifndef OPTIMIZE_CANDIDATE_H
#define OPTIMIZE_CANDIDATE_H

#include <stddef.h>

#include "base/buf.h"
#include "base/strlist.h"
#include "engine/stats.h"
#include "prof/profile.h"

enum cand_status {
	CAND_PENDING,
	CAND_DUPLICATE,     /* same content + settings as an earlier candidate: not run */
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

/* The pipeline's stages, in order (pipeline.h). */
enum cand_stage {
	STAGE_NONE,
	STAGE_MATERIALIZE,
	STAGE_BUILD,
	STAGE_VERIFY,
	STAGE_TEST,
	STAGE_PROTECTED,
	STAGE_MEASURE,
	STAGE_PROFILE,
	STAGE_DONE,
};
const char *cand_stage_name(enum cand_stage s);

struct file_edit {
	char *path;    /* relative to the tree; must match `editable` or `kernels` */
	char *content; /* the whole new file */
	size_t len;
};

/* Build settings; in a proposal NULL (0 for pgo) means "the parent's". */
struct cand_settings {
	char *cc, *cflags, *ldflags, *cl_build_options, *wg_size;
	int pgo; /* two-stage profile-guided build */
};

/* Effective settings, resolved along the parent chain (borrowed pointers). */
struct cand_config {
	const char *cc, *cflags, *ldflags, *cl_build_options, *wg_size;
	int pgo;
};

/* One comparison: this candidate against another (compared_with). */
struct cand_measurement {
	struct stats_interval ci;            /* ratio candidate / other */
	int compared_with;                   /* id of the other; -1 = not measured */
	double *base_samples, *cand_samples; /* the paired values, nsamples of each */
	size_t nsamples;
	double value;      /* median of the candidate's runs */
	double base_value; /* median of the other's runs, in the same comparison */
	double base_cv;    /* coefficient of variation of the other's runs */
	int deterministic; /* one run of each decided (exact counts) */
};

/* A later comparison that confirms (or not) a decision: see loop.c. */
struct cand_check {
	struct cand_measurement m;
	enum cand_status verdict; /* CAND_ACCEPTED: confirmed faster; else not (or a failure) */
	char *reason;
};

/* LLM bookkeeping (empty when not from an LLM). */
struct cand_llm {
	char *prompt_hash, *response_hash;
	long prompt_tokens, completion_tokens;
	int repair_of; /* id of the failed candidate this one repairs; -1 = none */
};

struct candidate {
	/* the proposal */
	int id;       /* 0 = the original */
	int parent;   /* derived from this id; -1 = the current best when proposed */
	char *label;  /* short description: "-O3 -funroll-loops", "llm r2c1" */
	char *origin; /* "baseline" (the original), "flags", "llm", "dir", "preset", "revision" */
	char *note;   /* the proposer's note (the model's explanation, first line) */
	struct cand_settings set;
	struct file_edit *files; /* edited files on top of the parent's */
	size_t nfiles;
	char *source_tree; /* a whole tree of its own instead of edits (gate's head) */
	struct cand_llm llm;

	/* the resolution (candidate_resolve) */
	struct cand_config cfg;
	const struct file_edit **chain; /* newest version of each changed file (borrowed) */
	size_t nchain;
	char hash[65]; /* sha256 hex of the effective settings and content */

	/* the outcome */
	enum cand_status status;
	enum cand_stage stage; /* the stage that decided the status */
	char *reason;          /* compiler errors (trimmed), mismatch, ratio text */
	char *workdir;         /* its workspace */
	double build_s;
	char build_hash[65];  /* its build's code (ws_build_products); "" = no ELF output */
	int same_build_as;    /* id of a candidate that built the same code; -1 = none */
	int flags_ignored;    /* its settings changed nothing, nor did a probe that changes
	                         any code: the build does not pass $CFLAGS to the compiler */
	int restores_default; /* the same code as the project's own build without $CFLAGS */
	struct strlist compiler_lines; /* recorded in its binaries (the original's) */
	struct cand_measurement meas;  /* the deciding comparison, against the best of its time */
	struct cand_check *checks;     /* confirming comparisons after the search, in order */
	size_t nchecks;
	struct profile profile; /* counters + hotspots, when collected */
};

/* A new candidate with every field empty (parent -1, compared_with -1). */
struct candidate *candidate_new(const char *origin, const char *label);
void candidate_init(struct candidate *c);
void candidate_release(struct candidate *c);
void candidate_free(struct candidate *c);
/* Add or replace an edited file (a copy of content). */
void candidate_add_file(struct candidate *c, const char *path, const char *content, size_t len);
/* Set the status and a copy of the reason. */
void candidate_set(struct candidate *c, enum cand_status s, const char *reason);
/* Forget a measurement (before measuring again). */
void candidate_measurement_clear(struct cand_measurement *m);
/* Append a check (taking over its measurement and reason); returns it. */
struct cand_check *candidate_add_check(struct candidate *c, struct cand_check *check);
/* The latest check against candidate id, or NULL. */
const struct cand_check *candidate_check_against(const struct candidate *c, int id);

/*
 * Fill c's resolution from the chain cands[c->parent], its parent, ...:
 * effective settings, the newest version of each edited file, and the hash.
 * `pristine` is the original tree: an edit that restores a file's original
 * text is no change at all (it does not count in the hash). The ancestors
 * must stay alive as long as c (chain points into them).
 */
void candidate_resolve(struct candidate *c, struct candidate *const *cands, const char *pristine);

/* Files c changes relative to the original (relative paths, after resolve). */
void candidate_changed_files(const struct candidate *c, struct strlist *out);
/* The newest version of relpath along c's chain, or NULL for the original's. */
const struct file_edit *candidate_file(const struct candidate *c, const char *relpath);

/* "llm r4c1 + -O3 -march=native +pgo": the labels of the chain, oldest first. */
void candidate_lineage(const struct candidate *c, struct candidate *const *cands, struct buf *out);

#endif
