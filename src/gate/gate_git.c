/*
 * gate_git.c: git through the process runner. See gate_git.h.
 */
#include "gate/gate_git.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/proc.h"
#include "base/xalloc.h"
#include "engine/workspace.h"

#define GIT_TIMEOUT_S 300.0

/* git -C dir ARGS...: 0 and its stdout, or 1 with its stderr in errout, or -1 (cannot run). */
static int git(const char *dir, const char *const *args, struct buf *out, struct buf *errout,
               struct buf *err)
{
	const char *argv[16];
	struct proc_spec spec;
	struct proc_result res;
	size_t n = 0;

	argv[n++] = "git";
	argv[n++] = "-C";
	argv[n++] = dir;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	proc_spec_init(&spec);
	spec.argv = argv;
	spec.stdout_buf = out;
	spec.stderr_buf = errout;
	spec.timeout_s = GIT_TIMEOUT_S;
	if (out)
		buf_reset(out);
	if (errout)
		buf_reset(errout);
	if (proc_run(&spec, &res, err) < 0) {
		err_prefix(err, "cannot run git (is it installed?): ");
		return -1;
	}
	if (out)
		buf_rtrim(out);
	if (errout)
		buf_rtrim(errout);
	return proc_result_ok(&res) ? 0 : 1;
}

int gate_repo_open(const char *tree, struct gate_repo *r, struct buf *err)
{
	const char *top[] = {"rev-parse", "--show-toplevel", NULL};
	const char *pre[] = {"rev-parse", "--show-prefix", NULL};
	const char *sh[] = {"rev-parse", "--is-shallow-repository", NULL};
	struct buf out = BUF_INIT, e = BUF_INIT;
	int rc;

	memset(r, 0, sizeof(*r));
	if (access(tree, F_OK) != 0) {
		err_set(err, "'%s' does not exist", tree);
		return -1;
	}
	rc = git(tree, top, &out, &e, err);
	if (rc != 0) {
		if (rc > 0)
			err_set(err,
			        "'%s' is not in a git repository (%s): optimize gate compares two "
			        "revisions of a git work tree; run it inside a clone",
			        tree, e.data);
		buf_release(&out);
		buf_release(&e);
		return -1;
	}
	r->top = xstrdup(out.data);
	if (git(tree, pre, &out, &e, err) != 0) {
		err_set(err, "git cannot say where '%s' is in its repository: %s", tree, e.data);
		buf_release(&out);
		buf_release(&e);
		gate_repo_release(r);
		return -1;
	}
	r->prefix = xstrdup(out.data);
	r->shallow = git(tree, sh, &out, NULL, NULL) == 0 && !strcmp(out.data, "true");
	buf_release(&out);
	buf_release(&e);
	return 0;
}

void gate_repo_release(struct gate_repo *r)
{
	free(r->top);
	free(r->prefix);
	memset(r, 0, sizeof(*r));
}

int gate_git_resolve(const struct gate_repo *r, const char *ref, const char *what, struct buf *out,
                     struct buf *err)
{
	struct buf spec = BUF_INIT;
	const char *args[] = {"rev-parse", "--verify", "--quiet", NULL, NULL};
	int rc;

	buf_addf(&spec, "%s^{commit}", ref);
	args[3] = spec.data;
	rc = *ref && ref[0] != '-' ? git(r->top, args, out, NULL, err) : 1;
	buf_release(&spec);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return 0;
	if (r->shallow)
		return err_set(err,
		               "%s '%s' is not in this clone, which is shallow: fetch the history "
		               "first (actions/checkout: fetch-depth: 0; GitLab: GIT_DEPTH: 0; or "
		               "git fetch --unshallow)",
		               what, ref);
	return err_set(err,
	               "%s '%s' is not a revision of %s (a branch, tag or commit; see git log "
	               "--oneline, git branch -a)",
	               what, ref, r->top);
}

int gate_git_changes(const struct gate_repo *r, struct buf *out, struct buf *err)
{
	const char *args[] = {"status", "--porcelain", "--untracked-files=no", NULL};
	struct buf e = BUF_INIT;
	int rc = git(r->top, args, out, &e, err);

	if (rc > 0)
		err_set(err, "git status failed in %s: %s", r->top, e.data);
	buf_release(&e);
	return rc ? -1 : 0;
}

void gate_git_subject(const struct gate_repo *r, const char *commit, struct buf *out)
{
	const char *args[] = {"log", "-1", "--format=%s", commit, NULL};

	if (git(r->top, args, out, NULL, NULL) != 0)
		buf_reset(out);
}

/* Run argv (no git -C) to completion: 0 ok, -1 with its stderr in err. */
static int run_tool(const char *const *argv, const char *what, struct buf *err)
{
	struct proc_spec spec;
	struct proc_result res;
	struct buf e = BUF_INIT;

	proc_spec_init(&spec);
	spec.argv = argv;
	spec.stderr_buf = &e;
	spec.timeout_s = GIT_TIMEOUT_S;
	if (proc_run(&spec, &res, err) < 0) {
		buf_release(&e);
		return -1;
	}
	if (!proc_result_ok(&res)) {
		buf_rtrim(&e);
		err_set(err, "%s failed: %s", what, e.data);
		buf_release(&e);
		return -1;
	}
	buf_release(&e);
	return 0;
}

int gate_git_checkout(const struct gate_repo *r, const char *commit, const char *dir,
                      struct buf *tree_out, struct buf *err)
{
	struct buf tar = BUF_INIT, e = BUF_INIT;
	const char *args[] = {"archive", "--format=tar", "-o", NULL, commit, NULL};
	const char *untar[] = {"tar", "-x", "-f", NULL, "-C", dir, NULL};
	int rc;

	buf_addf(&tar, "%s.tar", dir);
	ws_remove_tree(dir, NULL);
	if (file_mkdirs(dir, 0755, err) < 0) {
		buf_release(&tar);
		return -1;
	}
	args[3] = tar.data;
	untar[3] = tar.data;
	rc = git(r->top, args, NULL, &e, err);
	if (rc > 0)
		err_set(err, "git archive of %s failed: %s", commit, e.data);
	if (rc == 0)
		rc = run_tool(untar, "extracting the git archive", err);
	unlink(tar.data);
	buf_release(&tar);
	buf_release(&e);
	if (rc)
		return -1;
	buf_reset(tree_out);
	buf_addf(tree_out, "%s/%s", dir, r->prefix);
	buf_rtrim(tree_out);
	if (tree_out->len > 1 && tree_out->data[tree_out->len - 1] == '/')
		tree_out->data[--tree_out->len] = '\0';
	return 0;
}

int gate_git_range(const struct gate_repo *r, const char *base, const char *head,
                   struct strlist *out, struct buf *err)
{
	struct buf range = BUF_INIT, list = BUF_INIT, e = BUF_INIT;
	const char *args[] = {"rev-list", "--reverse", "--first-parent", NULL, NULL};
	int rc;

	buf_addf(&range, "%s..%s", base, head);
	args[3] = range.data;
	rc = git(r->top, args, &list, &e, err);
	if (rc > 0)
		err_set(err, "git rev-list %s failed: %s", range.data, e.data);
	for (char *s = list.data, *nl; rc == 0 && s && *s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if (*s)
			strlist_push(out, s);
	}
	buf_release(&range);
	buf_release(&list);
	buf_release(&e);
	return rc ? -1 : 0;
}
