/*
 * gate_git.h: what `optimize gate` asks git, through the one process runner
 * (never a shell, never in the user's work tree's files: read-only
 * questions, and `git archive` into the tool's own state directory).
 *
 * Every function returns 0, or -1 with a message a CI user can act on
 * (not a repository, an unknown revision, a shallow clone without the
 * commit: "fetch-depth: 0").
 */
#ifndef OPTIMIZE_GATE_GIT_H
#define OPTIMIZE_GATE_GIT_H

#include "base/buf.h"
#include "base/strlist.h"

struct gate_repo {
	char *top;    /* the work tree's top directory (absolute) */
	char *prefix; /* TREE relative to top, "" or "sub/dir/" */
	int shallow;  /* a shallow clone */
};

/* TREE inside a git work tree: its top and prefix. -1: not a repository (or no git). */
int gate_repo_open(const char *tree, struct gate_repo *r, struct buf *err);
void gate_repo_release(struct gate_repo *r);

/* The full commit id of ref into out. -1: unknown (shallow: say fetch-depth: 0). */
int gate_git_resolve(const struct gate_repo *r, const char *ref, const char *what, struct buf *out,
                     struct buf *err);

/* The work tree's tracked changes ("git status --porcelain" lines, untracked files left out). */
int gate_git_changes(const struct gate_repo *r, struct buf *out, struct buf *err);

/* The first line of a commit's message, for naming it. "" when git cannot say. */
void gate_git_subject(const struct gate_repo *r, const char *commit, struct buf *out);

/*
 * A clean copy of `commit` into dir (created; removed first if present), by
 * `git archive` into dir.tar and `tar -x`: the user's checkout, index and
 * refs are not touched. tree_out gets dir + the repository prefix: where
 * TREE is in the copy.
 */
int gate_git_checkout(const struct gate_repo *r, const char *commit, const char *dir,
                      struct buf *tree_out, struct buf *err);

/* The commits after base up to and including head, oldest first (first parents). */
int gate_git_range(const struct gate_repo *r, const char *base, const char *head,
                   struct strlist *out, struct buf *err);

#endif
