/*
 * target_run.c: one target of a run, whole. See target_run.h.
 */
#include "run/target_run.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/xalloc.h"
#include "engine/workspace.h"
#include "llm/proposer_llm.h"
#include "propose/propose.h"
#include "report/report.h"

static void refresh_extra(struct target_run *tr)
{
	if (!tr->prop || !tr->prop->report)
		return;
	if (!tr->extra)
		tr->extra = cJSON_CreateObject();
	tr->prop->report(tr->prop, tr->extra);
	tr->rt.extra = tr->extra;
}

/* After every candidate: the target's report.json, then the caller's callback. */
static void on_candidate_done(void *ctx, const struct run_view *v, const struct candidate *c)
{
	struct target_run *tr = ctx;

	tr->rt.v = v;
	refresh_extra(tr);
	report_write_target(&tr->rt, NULL);
	if (tr->user && tr->user->candidate_done)
		tr->user->candidate_done(tr->user->ctx, v, c);
}

static void on_note(void *ctx, enum note_level level, const char *msg)
{
	struct target_run *tr = ctx;
	if (tr->user && tr->user->note)
		tr->user->note(tr->user->ctx, level, msg);
}

static void on_pair(void *ctx, const struct candidate *c, size_t n, const struct stats_interval *ci)
{
	struct target_run *tr = ctx;
	if (tr->user && tr->user->pair)
		tr->user->pair(tr->user->ctx, c, n, ci);
}

/* The LLM proposer for t, when one is configured anywhere (llm_options.h). */
static struct proposer *llm_proposer(const struct llm_run_options *given, const struct target *t,
                                     int *configured, struct buf *err)
{
	struct llm_run_options r;
	struct proposer *p = NULL;
	int c;

	if (given) {
		r = *given;
		memset(&r.owned, 0, sizeof(r.owned));
	} else {
		llm_run_options_init(&r);
	}
	c = llm_run_options_resolve(&r, t, err);
	*configured = c != 0;
	if (c > 0)
		p = proposer_llm_new(&r, err);
	llm_run_options_release(&r);
	return p;
}

int target_run_init(struct target_run *tr, const struct run_settings *s, const struct target *t,
                    const struct engine_events *ev, int *llm_configured, struct buf *err)
{
	struct proposer *list[3], *llm;
	size_t np = 0;

	memset(tr, 0, sizeof(*tr));
	tr->t = t;
	tr->user = ev;
	tr->ev.note = on_note;
	tr->ev.pair = on_pair;
	tr->ev.candidate_done = on_candidate_done;
	tr->ev.ctx = tr;
	tr->rt.t = t;
	tr->rt.objective = s->po.objective;
	llm = s->no_llm ? NULL : llm_proposer(s->llm, t, llm_configured, err);
	if (!llm && *llm_configured)
		return -1;
	tr->llm = llm != NULL;
	if (s->candidates && s->candidates->n)
		list[np++] = proposer_dir_new(s->candidates);
	/* Rewrites first; the flag search then tunes the best rewrite's build. */
	if (llm)
		list[np++] = llm;
	if (!s->no_flags)
		list[np++] = proposer_flags_new();
	if (np)
		tr->prop = proposer_seq_new(list, np);
	return 0;
}

enum engine_status target_run_exec(struct target_run *tr, const struct run_settings *s,
                                   struct buf *err)
{
	struct pipeline_options po = s->po;
	enum engine_status st;

	po.target = tr->t;
	po.ev = &tr->ev;
	/* LLM prompts carry the current best's hotspots. */
	po.hotspots_accepted = tr->llm;
	st = pipeline_open(&po, &tr->p, err);
	if (st != ENGINE_OK) {
		tr->error = xstrdup(buf_str(err));
		tr->rt.error = tr->error;
		return st;
	}
	tr->l = loop_new(tr->p, &s->lo, &tr->ev);
	tr->rt.v = loop_view(tr->l);
	st = loop_run(tr->l, tr->prop, err);
	refresh_extra(tr);
	report_write_target(&tr->rt, NULL);
	if (tr->rt.v->ncands && tr->rt.v->cands[0]->status == CAND_ACCEPTED) {
		struct buf e = BUF_INIT;
		if (report_write_best(tr->rt.v, &e) < 0)
			engine_note(&tr->ev, NOTE_WARNING, "cannot write the winner: %s", e.data);
		buf_release(&e);
	}
	return st;
}

int target_run_apply_prepare(struct target_run *tr, volatile sig_atomic_t *cancel,
                             struct apply_set *set, int *settings_only, struct buf *err)
{
	const struct run_view *v;
	const struct candidate *best;
	struct strlist files = {0};
	struct buf why = BUF_INIT, dir = BUF_INIT, mrel = BUF_INIT;
	int r, manifest = 0;

	*settings_only = 0;
	if (!tr->l || loop_view(tr->l)->best == 0)
		return 0;
	v = loop_view(tr->l);
	best = view_best(v);
	candidate_changed_files(best, &files);
	/* The manifest of best/ carries the winner's settings (report_best_manifest);
	 * it is left alone when it is the tree's own. */
	buf_addf(&dir, "%s/best", v->run_dir);
	if (report_manifest_relpath(v->target, &mrel) && !strlist_has(&files, mrel.data)) {
		struct buf a = BUF_INIT, b = BUF_INIT;
		buf_addf(&a, "%s/%s", dir.data, mrel.data);
		buf_addf(&b, "%s/%s", v->target->tree, mrel.data);
		if (ws_files_equal(a.data, b.data, NULL) == 0) {
			strlist_push(&files, mrel.data);
			manifest = 1;
		}
		buf_release(&a);
		buf_release(&b);
	}
	/* PGO has no manifest field: say how to build it. */
	*settings_only = best->cfg.pgo;
	if (!files.n) {
		*settings_only = 1;
		r = 0;
		goto out;
	}
	engine_note(&tr->ev, NOTE_PROGRESS,
	            "[%s] --apply: rebuilding and verifying the winner again", v->target->name);
	r = loop_reverify_best(tr->l, &why, err);
	if (r == 1)
		r = err_set(
		    err, "[%s] --apply: the winner did not verify again, nothing was written: %s",
		    v->target->name, why.data);
	if (r == 0 && cancel && *cancel)
		r = err_set(err, "[%s] --apply: interrupted, nothing was written", v->target->name);
	/* What was verified, from memory: never a file a candidate could rewrite. */
	for (size_t i = 0; r == 0 && i < files.n; i++) {
		const struct file_edit *f = candidate_file(best, files.v[i]);
		if (f) {
			apply_set_add(set, v->target->tree, f->path, f->content, f->len);
		} else if (manifest && !strcmp(files.v[i], mrel.data)) {
			/* The settings' manifest, as the tool wrote it into best/. */
			struct buf m = BUF_INIT, p = BUF_INIT;
			buf_addf(&p, "%s/%s", dir.data, mrel.data);
			if (file_read_nofollow(AT_FDCWD, p.data, &m) < 0)
				r = err_set(err, "cannot read '%s'", p.data);
			else
				apply_set_add(set, v->target->tree, mrel.data, m.data, m.len);
			buf_release(&m);
			buf_release(&p);
		}
	}
out:
	strlist_release(&files);
	buf_release(&why);
	buf_release(&dir);
	buf_release(&mrel);
	return r;
}

void target_run_release(struct target_run *tr)
{
	if (tr->prop)
		tr->prop->release(tr->prop);
	loop_free(tr->l);
	pipeline_close(tr->p);
	cJSON_Delete(tr->extra);
	free(tr->error);
	memset(tr, 0, sizeof(*tr));
}

void run_settings_proposer_name(const struct run_settings *s, int any_llm, struct buf *out)
{
	if (s->candidates && s->candidates->n)
		buf_addstr(out, "dir");
	if (any_llm)
		buf_addf(out, "%sllm", out->len ? "+" : "");
	if (!s->no_flags)
		buf_addf(out, "%sflags", out->len ? "+" : "");
	if (!out->len)
		buf_addstr(out, "none");
}
