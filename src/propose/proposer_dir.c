/*
 * proposer_dir.c: hand-written rewrites given on the command line
 * (--candidate DIR). Each directory holds new versions of some editable
 * files at their relative paths; files that are not editable are ignored
 * with a note, so a whole copy of the tree can be given.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/loop.h"
#include "propose/proposer.h"
#include "engine/workspace.h"

struct dir_state {
	struct strlist dirs;
	size_t next;
};

static int dir_propose(struct proposer *self, struct loop_state *st, struct candidate **out,
                       size_t max, struct buf *err)
{
	struct dir_state *ds = self->impl;
	struct strlist editable = {0};
	struct candidate *c;
	struct buf label = BUF_INIT;
	size_t i;
	int any = 0;

	if (!max || ds->next >= ds->dirs.n)
		return 0;
	c = calloc(1, sizeof(*c));
	candidate_init(c);
	c->origin = strdup("dir");
	c->parent = st->best;
	buf_addf(&label, "dir %s", ds->dirs.v[ds->next]);
	c->label = buf_detach(&label);
	loop_editable_files(st, &editable, err);
	for (i = 0; i < editable.n; i++) {
		struct buf path = BUF_INIT, content = BUF_INIT;
		buf_addf(&path, "%s/%s", ds->dirs.v[ds->next], editable.v[i]);
		if (buf_read_file(&content, path.data) == 0) {
			candidate_add_file(c, editable.v[i], content.data, content.len);
			any = 1;
		}
		buf_release(&path);
		buf_release(&content);
	}
	if (!any) {
		c->status = CAND_EDIT_REJECTED;
		buf_addf(&label, "'%s' holds none of the editable files", ds->dirs.v[ds->next]);
		c->reason = buf_detach(&label);
	}
	strlist_release(&editable);
	ds->next++;
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
	struct proposer *p = calloc(1, sizeof(*p));
	struct dir_state *ds = calloc(1, sizeof(*ds));
	size_t i;

	if (!p || !ds) {
		free(p);
		free(ds);
		return NULL;
	}
	for (i = 0; i < dirs->n; i++)
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

static int seq_propose(struct proposer *self, struct loop_state *st, struct candidate **out,
                       size_t max, struct buf *err)
{
	struct seq_state *ss = self->impl;

	while (ss->cur < ss->n) {
		struct proposer *p = ss->list[ss->cur];
		int r = p->propose(p, st, out, max, err);
		if (r != 0) {
			ss->last = p;
			return r;
		}
		ss->cur++;
	}
	return 0;
}

static void seq_feedback(struct proposer *self, struct loop_state *st, const struct candidate *c)
{
	struct seq_state *ss = self->impl;
	if (ss->last && ss->last->feedback)
		ss->last->feedback(ss->last, st, c);
}

static void seq_release(struct proposer *self)
{
	struct seq_state *ss = self->impl;
	size_t i;
	for (i = 0; i < ss->n; i++)
		ss->list[i]->release(ss->list[i]);
	free(ss->list);
	free(ss);
	free(self);
}

struct proposer *proposer_seq_new(struct proposer **list, size_t n)
{
	struct proposer *p = calloc(1, sizeof(*p));
	struct seq_state *ss = calloc(1, sizeof(*ss));

	if (!p || !ss) {
		free(p);
		free(ss);
		return NULL;
	}
	ss->list = malloc(n * sizeof(*list));
	memcpy(ss->list, list, n * sizeof(*list));
	ss->n = n;
	p->name = "seq";
	p->propose = seq_propose;
	p->feedback = seq_feedback;
	p->release = seq_release;
	p->impl = ss;
	return p;
}
