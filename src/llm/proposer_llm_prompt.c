/*
 * proposer_llm_prompt.c: what the prompt for one parent is built from: its
 * editable files, the read-only context files, the build settings and the
 * profile of the current best.
 */
#include "llm/proposer_llm_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/objective.h"
#include "engine/workspace.h"
#include "prof/machine.h"

#define CONTEXT_FILE_MAX ((size_t)64 << 10)

/* ---- profile of the best ---- */

/*
 * Counters and hotspots of candidate id's timed run, through the pipeline
 * (the same isolation as any run of candidate code): the loop collected
 * one for most candidates already; this is for the others.
 */
static void collect_profile(struct llm_prop *lp, const struct run_view *v, int id)
{
	const struct candidate *c = view_candidate(v, id);

	profile_release(&lp->prof);
	profile_init(&lp->prof);
	free(lp->prof_note);
	lp->prof_note = NULL;
	lp->prof_id = id;
	if (c && (c->profile.nmetrics || c->profile.nfunctions))
		return; /* the loop collected one: shown from the candidate */
	if (!c || !c->workdir) {
		lp->prof_note = xstrdup("(no profile: the workspace of the current best is gone)");
		return;
	}
	view_profile(v, id, &lp->prof);
	profile_sort_hotspots(&lp->prof);
}

/* Files shown read-only: the original's files matching the context globs. */
static void context_files(const struct run_view *v, struct strlist *paths, struct buf *data,
                          size_t **offs)
{
	struct strlist all = {0};
	size_t i;

	*offs = NULL;
	if (!v->target->context.n || ws_list_files(view_pristine(v), &all, NULL) < 0) {
		strlist_release(&all);
		return;
	}
	for (i = 0; i < all.n; i++) {
		struct buf c = BUF_INIT;
		size_t *o;
		if (!strlist_match(&v->target->context, all.v[i]) ||
		    ws_is_editable(v->target, all.v[i]))
			continue;
		buf_init(&c, CONTEXT_FILE_MAX);
		if (view_read_file(v, 0, all.v[i], &c, NULL) < 0 || memchr(c.data, '\0', c.len)) {
			buf_release(&c);
			continue;
		}
		o = xreallocarray(*offs, (paths->n + 1) * 2, sizeof(*o));
		*offs = o;
		o[paths->n * 2] = data->len;
		o[paths->n * 2 + 1] = c.len;
		buf_add(data, c.data, c.len);
		strlist_push(paths, all.v[i]);
		buf_release(&c);
	}
	strlist_release(&all);
}

static void objective_text(const struct run_view *v, struct buf *out)
{
	const struct objective *o = view_objective(v);
	buf_addf(out, "%s, in %s, measured by %s", o->name, o->unit ? o->unit : "?",
	         o->source ? o->source : "?");
}

void llm_prop_prompt_init(struct llm_prop_prompt *pp)
{
	const struct buf empty = BUF_INIT;

	memset(pp, 0, sizeof(*pp));
	pp->ctx_data = pp->fb = pp->obj = pp->comp = empty;
}

void llm_prop_prompt_release(struct llm_prop_prompt *pp)
{
	size_t i;

	for (i = 0; pp->contents && i < pp->editable.n; i++)
		buf_release(&pp->contents[i]);
	free(pp->contents);
	free(pp->ed);
	free(pp->cx);
	free(pp->offs);
	strlist_release(&pp->editable);
	strlist_release(&pp->ctx_paths);
	strlist_release(&pp->protected_files);
	buf_release(&pp->ctx_data);
	buf_release(&pp->fb);
	buf_release(&pp->obj);
	buf_release(&pp->comp);
}

/*
 * The prompt input for parent: its editable files, the context files, the
 * build settings, the profile to show, the history and the feedback (pp->fb,
 * filled by the caller). in points into pp.
 */
int llm_prop_prompt_input(struct llm_prop *lp, const struct run_view *v, int parent,
                          struct llm_prop_prompt *pp, struct llm_prompt_input *in, struct buf *err)
{
	const struct candidate *pc = view_candidate(v, parent);
	const struct target *t = v->target;
	size_t i;

	view_editable_files(v, &pp->editable);
	pp->ed = xcalloc(pp->editable.n, sizeof(*pp->ed));
	pp->contents = xcalloc(pp->editable.n, sizeof(*pp->contents));
	for (i = 0; i < pp->editable.n; i++) {
		buf_init(&pp->contents[i], BUF_DEFAULT_MAX);
		if (view_read_file(v, parent, pp->editable.v[i], &pp->contents[i], err) < 0)
			return -1;
		pp->ed[i].path = pp->editable.v[i];
		pp->ed[i].content = pp->contents[i].data;
		pp->ed[i].len = pp->contents[i].len;
	}
	context_files(v, &pp->ctx_paths, &pp->ctx_data, &pp->offs);
	{
		struct strlist all = {0};

		if (ws_list_files(view_pristine(v), &all, NULL) == 0)
			for (i = 0; i < all.n; i++)
				if (!ws_is_editable(t, all.v[i]))
					strlist_push(&pp->protected_files, all.v[i]);
		strlist_release(&all);
	}
	pp->cx = xcalloc(pp->ctx_paths.n, sizeof(*pp->cx));
	for (i = 0; i < pp->ctx_paths.n; i++) {
		pp->cx[i].path = pp->ctx_paths.v[i];
		pp->cx[i].content = pp->ctx_data.data + pp->offs[i * 2];
		pp->cx[i].len = pp->offs[i * 2 + 1];
	}
	if (lp->prof_id != v->best)
		collect_profile(lp, v, v->best);
	view_config(v, parent, &pp->cc);
	objective_text(v, &pp->obj);
	memset(in, 0, sizeof(*in));
	in->target = t->name;
	in->objective = pp->obj.data;
	in->editable = pp->ed;
	in->neditable = pp->editable.n;
	in->context = pp->cx;
	in->ncontext = pp->ctx_paths.n;
	in->build = t->build;
	{
		const struct machine_info *mi = view_machine(v);
		buf_addf(&pp->comp, "%s", pp->cc.cc ? pp->cc.cc : "cc");
		if (mi && mi->compiler)
			buf_addf(&pp->comp, " (%s)", mi->compiler);
	}
	in->compiler = pp->comp.data;
	in->cflags = pp->cc.cflags;
	in->ldflags = pp->cc.ldflags;
	/* The parent's own profile; else the best's (a repair's parent failed
	 * before it was profiled): from the loop, or collected above. */
	{
		const struct candidate *bc = view_candidate(v, v->best);
		const struct profile *best_prof =
		    bc && (bc->profile.nmetrics || bc->profile.nfunctions) ? &bc->profile
		                                                           : &lp->prof;

		if (pc && (pc->profile.nmetrics || pc->profile.nfunctions)) {
			in->profile = &pc->profile;
		} else if (parent == v->best) {
			in->profile = best_prof;
			in->profile_note = lp->prof_note;
		} else {
			in->profile = best_prof;
			in->profile_note = "(this is the profile of the current best version, not "
			                   "of the version shown)";
		}
	}
	in->machine = view_machine_text(v);
	in->history = (const char *const *)lp->history.v;
	in->nhistory = lp->history.n;
	in->feedback = pp->fb.data;
	in->round = lp->round;
	in->budget_tokens = (size_t)lp->opt.prompt_budget_tokens;
	return 0;
}
