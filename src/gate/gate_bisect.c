/*
 * gate_bisect.c: the first regressing commit. See gate_bisect.h.
 */
#include "gate/gate_bisect.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/workspace.h"
#include "gate/gate_output.h"

void gate_bisect_release(struct gate_bisect *b)
{
	free(b->first_bad);
	free(b->subject);
	strlist_release(&b->steps);
	memset(b, 0, sizeof(*b));
}

/* Gate one commit against the base: 1 regressed, 0 not, or a status < 0 as -(status). */
static int step(const struct gate_options *o, const struct gate_repo *repo, const char *base_tree,
                const char *commit, const char *run_id, size_t i, struct gate_bisect *b,
                enum engine_status *st, struct buf *err)
{
	struct buf dir = BUF_INIT, tree = BUF_INIT, id = BUF_INIT, line = BUF_INIT, subj = BUF_INIT;
	struct gate_result r;
	int bad = 0;

	gate_result_init(&r);
	buf_addf(&dir, "%s/gate/%s/bisect-%zu", o->state_dir, run_id, i);
	buf_addf(&id, "%s-bisect%zu", run_id, i);
	gate_git_subject(repo, commit, &subj);
	engine_note(o->ev, NOTE_PROGRESS, "[bisect] %.10s %s", commit, subj.data);
	*st = gate_git_checkout(repo, commit, dir.data, &tree, err) < 0 ? ENGINE_ERROR : ENGINE_OK;
	if (*st == ENGINE_OK)
		*st = gate_compare(o, base_tree, tree.data, id.data, &r, err);
	if (*st == ENGINE_OK) {
		buf_addf(&line, "%.10s %s:", commit, subj.data);
		for (size_t t = 0; t < r.n; t++) {
			struct buf s = BUF_INIT;
			gate_target_summary(&r.t[t], &s);
			buf_addf(&line, " [%s] %s", r.t[t].name, s.data);
			buf_release(&s);
			bad |= r.t[t].outcome == GATE_MEASURED && r.t[t].verdict == GATE_REGRESSED;
		}
		strlist_push(&b->steps, line.data);
		engine_note(o->ev, NOTE_PROGRESS, "[bisect] %.10s %s", commit,
		            bad ? "regresses" : "does not regress");
	}
	ws_remove_tree(dir.data, NULL);
	gate_result_release(&r);
	buf_release(&dir);
	buf_release(&tree);
	buf_release(&id);
	buf_release(&line);
	buf_release(&subj);
	return bad;
}

enum engine_status gate_bisect_run(const struct gate_options *o, const struct gate_repo *repo,
                                   const char *base_tree, const char *base_commit,
                                   const char *head_commit, int head_known_bad, const char *run_id,
                                   struct gate_bisect *b, struct buf *err)
{
	struct strlist commits = {0};
	enum engine_status st = ENGINE_OK;
	size_t lo = 0, hi, tested = 0;
	struct buf subj = BUF_INIT;

	memset(b, 0, sizeof(*b));
	if (repo->shallow) {
		err_set(err,
		        "--bisect needs the history between base and head, and this clone is "
		        "shallow: fetch it (actions/checkout: fetch-depth: 0; GitLab: GIT_DEPTH: "
		        "0; or git fetch --unshallow)");
		return ENGINE_SETUP;
	}
	if (gate_git_range(repo, base_commit, head_commit, &commits, err) < 0)
		return ENGINE_ERROR;
	b->ncommits = commits.n;
	if (!head_known_bad && commits.n) {
		int bad = step(o, repo, base_tree, commits.v[commits.n - 1], run_id, tested++, b,
		               &st, err);
		if (st != ENGINE_OK)
			goto out;
		if (!bad)
			b->in_worktree = 1;
	}
	if (!commits.n) {
		b->in_worktree = !head_known_bad;
		goto out;
	}
	if (b->in_worktree)
		goto out;
	/* commits[hi] regresses; the base does not. Find the first that does. */
	hi = commits.n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int bad = step(o, repo, base_tree, commits.v[mid], run_id, tested++, b, &st, err);
		if (st != ENGINE_OK)
			goto out;
		if (bad)
			hi = mid;
		else
			lo = mid + 1;
	}
	b->first_bad = xstrdup(commits.v[lo]);
	gate_git_subject(repo, commits.v[lo], &subj);
	b->subject = buf_detach(&subj);
out:
	buf_release(&subj);
	strlist_release(&commits);
	return st;
}
