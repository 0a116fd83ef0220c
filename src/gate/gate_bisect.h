/*
 * gate_bisect.h: `optimize gate --bisect`: after a regression between base
 * and head, the first commit that regresses, found by binary search over
 * the first-parent commits after base, each compared with the base by the
 * same gate (gate_compare: same targets, threshold, rule and family). A
 * deterministic objective (instructions under cachegrind) makes every step
 * exact; with wall time each step is a statistical decision of its own.
 */
#ifndef OPTIMIZE_GATE_BISECT_H
#define OPTIMIZE_GATE_BISECT_H

#include "gate/gate.h"
#include "gate/gate_git.h"

struct gate_bisect {
	char *first_bad;      /* the first regressing commit; NULL when none (see in_worktree) */
	char *subject;        /* its message's first line */
	int in_worktree;      /* HEAD does not regress: the uncommitted changes do */
	size_t ncommits;      /* commits after base up to head */
	struct strlist steps; /* one line per commit tested, in order */
};
void gate_bisect_release(struct gate_bisect *b);

/*
 * base_tree: the base's checkout (as for the gate). head_commit: the last
 * commit; head_known_bad: it is the head that regressed (a ref, or a clean
 * work tree), else the work tree has changes and head_commit is tested first.
 * o->targets should name the targets that regressed. ENGINE_OK (b filled),
 * ENGINE_SETUP (a shallow clone, no commits: err), ENGINE_INTERRUPTED,
 * ENGINE_ERROR.
 */
enum engine_status gate_bisect_run(const struct gate_options *o, const struct gate_repo *repo,
                                   const char *base_tree, const char *base_commit,
                                   const char *head_commit, int head_known_bad, const char *run_id,
                                   struct gate_bisect *b, struct buf *err);

#endif
