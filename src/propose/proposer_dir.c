/*
 * proposer_dir.c: hand-written rewrites given on the command line
 * (--candidate DIR), and the sequence of proposers. Each directory holds
 * new versions of some editable files at their relative paths; files that
 * are not editable are ignored, so a whole copy of the tree can be given.
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "propose/propose.h"

struct dir_state {
	struct strlist dirs;
	size_t next;
};

static int dir_propose(struct proposer *self, const struct run_view *v, struct candidate **out,
                       size_t max, struct buf *err)
{
	struct dir_state *ds = self->impl;
	struct strlist editable = {0};
	struct candidate *c;
	struct buf label = BUF_INIT;
	const char *dir;
	int any = 0;

	(void)err;
	if (!max || ds->next >= ds->dirs.n)
		return 0;
	dir = ds->dirs.v[ds->next++];
	buf_addf(&label, "dir %s", dir);
	c = candidate_new("dir", label.data);
	c->parent = v->best;
	view_editable_files(v, &editable);
	for (size_t i = 0; i < editable.n; i++) {
		struct buf path = BUF_INIT, content = BUF_INIT;
		buf_addf(&path, "%s/%s", dir, editable.v[i]);
		if (buf_read_file(&content, path.data) == 0) {
			candidate_add_file(c, editable.v[i], content.data, content.len);
			any = 1;
		}
		buf_release(&path);
		buf_release(&content);
	}
	if (!any) {
		buf_setf(&label, "'%s' holds none of the editable files", dir);
		candidate_set(c, CAND_EDIT_REJECTED, label.data);
	}
	strlist_release(&editable);
	buf_release(&label);
	out[0] = c;
	return 1;
}

static void dir_release(struct proposer *self)
{
	struct dir_state *ds = self->impl;
	strlist_release(&ds->dirs);
	free(ds);
	free(self);
}

struct proposer *proposer_dir_new(const struct strlist *dirs)
{
	struct proposer *p = xcalloc(1, sizeof(*p));
	struct dir_state *ds = xcalloc(1, sizeof(*ds));

	for (size_t i = 0; i < dirs->n; i++)
		strlist_push(&ds->dirs, dirs->v[i]);
	p->name = "dir";
	p->propose = dir_propose;
	p->release = dir_release;
	p->impl = ds;
	return p;
}

/* ---- a sequence of proposers ---- */

struct seq_state {
	struct proposer **list;
	size_t n, cur;
	struct proposer *last; /* which one proposed the candidates being evaluated */
};

static int seq_propose(struct proposer *self, const struct run_view *v, struct candidate **out,
                       size_t max, struct buf *err)
{
	struct seq_state *ss = self->impl;

	while (ss->cur < ss->n) {
		struct proposer *p = ss->list[ss->cur];
		int r = p->propose(p, v, out, max, err);
		/* A stop ends the whole run: the proposers after it do not run either. */
		if (r != 0) {
			ss->last = p;
			return r;
		}
		ss->cur++;
	}
	return 0;
}

static void seq_feedback(struct proposer *self, const struct run_view *v, const struct candidate *c)
{
	struct seq_state *ss = self->impl;
	if (ss->last && ss->last->feedback)
		ss->last->feedback(ss->last, v, c);
}

static void seq_report(struct proposer *self, struct cJSON *obj)
{
	struct seq_state *ss = self->impl;
	for (size_t i = 0; i < ss->n; i++)
		if (ss->list[i]->report)
			ss->list[i]->report(ss->list[i], obj);
}

static void seq_release(struct proposer *self)
{
	struct seq_state *ss = self->impl;
	for (size_t i = 0; i < ss->n; i++)
		ss->list[i]->release(ss->list[i]);
	free(ss->list);
	free(ss);
	free(self);
}

struct proposer *proposer_seq_new(struct proposer **list, size_t n)
{
	struct proposer *p = xcalloc(1, sizeof(*p));
	struct seq_state *ss = xcalloc(1, sizeof(*ss));

	ss->list = xcalloc(n, sizeof(*list));
	memcpy(ss->list, list, n * sizeof(*list));
	ss->n = n;
	p->name = "seq";
	p->propose = seq_propose;
	p->feedback = seq_feedback;
	p->report = seq_report;
	p->release = seq_release;
	p->impl = ss;
	return p;
}
