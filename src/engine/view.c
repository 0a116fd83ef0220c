#include "engine/view.h"

#include <stdarg.h>
#include <string.h>

#include "engine/pipeline.h"
#include "engine/workspace.h"

const struct candidate *view_best(const struct run_view *v)
{
	return v->ncands ? v->cands[v->best] : NULL;
}

const struct candidate *view_candidate(const struct run_view *v, int id)
{
	return id >= 0 && (size_t)id < v->ncands ? v->cands[id] : NULL;
}

int view_read_file(const struct run_view *v, int id, const char *relpath, struct buf *out,
                   struct buf *err)
{
	const struct candidate *c = view_candidate(v, id);
	const struct file_edit *f;
	struct buf path = BUF_INIT;
	int r;

	if (!c)
		return err_set(err, "no candidate %d", id);
	f = candidate_file(c, relpath);
	if (f)
		return buf_add(out, f->content, f->len);
	buf_addf(&path, "%s/%s", c->source_tree ? c->source_tree : view_pristine(v), relpath);
	r = buf_read_file(out, path.data);
	if (r < 0)
		err_set(err, "cannot read '%s'", relpath);
	buf_release(&path);
	return r;
}

void view_editable_files(const struct run_view *v, struct strlist *out)
{
	const struct strlist *all = pipeline_original_files(v->pipe);

	for (size_t i = 0; i < all->n; i++)
		if (ws_is_editable(v->target, all->v[i]))
			strlist_push(out, all->v[i]);
}

void view_changed_files(const struct run_view *v, int id, struct strlist *out)
{
	const struct candidate *c = view_candidate(v, id);
	if (c)
		candidate_changed_files(c, out);
}

void view_config(const struct run_view *v, int id, struct cand_config *out)
{
	const struct candidate *c = view_candidate(v, id);

	memset(out, 0, sizeof(*out));
	if (c)
		*out = c->cfg;
}

void view_lineage(const struct run_view *v, int id, struct buf *out)
{
	const struct candidate *c = view_candidate(v, id);

	buf_reset(out);
	if (c)
		candidate_lineage(c, v->cands, out);
}

const struct objective *view_objective(const struct run_view *v)
{
	return pipeline_objective(v->pipe);
}

const struct machine_info *view_machine(const struct run_view *v)
{
	return pipeline_machine(v->pipe);
}

const char *view_machine_text(const struct run_view *v)
{
	return pipeline_machine_text(v->pipe);
}

const char *view_pristine(const struct run_view *v)
{
	return pipeline_pristine(v->pipe);
}

int view_kernel_target(const struct run_view *v)
{
	return pipeline_kernel_target(v->pipe);
}

const char *view_isolation_net(const struct run_view *v)
{
	return pipeline_isolation_net(v->pipe);
}

const char *view_isolation_tree(const struct run_view *v)
{
	return pipeline_isolation_tree(v->pipe);
}

const char *view_isolation_process(const struct run_view *v)
{
	return pipeline_isolation_process(v->pipe);
}

int view_profile(const struct run_view *v, int id, struct profile *out)
{
	const struct candidate *c = view_candidate(v, id);
	struct profile_request rq = {0};
	struct proc_result res;
	struct buf err = BUF_INIT;
	int r;

	if (!c || !c->workdir)
		return -1;
	rq.hotspots = 1;
	r = pipeline_profile(v->pipe, c, &rq, out, &res, &err);
	if (r < 0)
		profile_set_hotspot_error(out, err.data);
	buf_release(&err);
	return r;
}

void view_note(const struct run_view *v, enum note_level level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!v->ev || !v->ev->note)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	v->ev->note(v->ev->ctx, level, b.data);
	buf_release(&b);
}

void engine_note(const struct engine_events *ev, enum note_level level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!ev || !ev->note)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ev->note(ev->ctx, level, b.data);
	buf_release(&b);
}
