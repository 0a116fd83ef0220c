/*
 * pipeline_buildcheck.c: did a build change anything? Two configurations
 * that build the same code need no measuring; and when a probe built with
 * PROBE_FLAGS is the same code too, the build does not pass $CFLAGS to the
 * compiler at all (a Makefile's `CFLAGS = -O2` beats the environment), so
 * the flag search would measure the same binary over and over. See
 * docs/build-systems.md.
 * And the seals (engine/seal.h): the build of every side another candidate
 * is timed against, checked before each of its timed runs (issue 9, item 4).
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/xalloc.h"
#include "engine/pipeline.h"
#include "engine/pipeline_int.h"
#include "engine/seal.h"
#include "engine/workspace.h"

/* Flags that change the code of every function whatever the build adds after
 * them: -O0 unless a later -O wins, the stack protector in any case. */
#define PROBE_FLAGS "-O0 -fstack-protector-all"

static int same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* c differs from `against` in its host build settings only. */
static int settings_only(const struct candidate *c, const struct candidate *against)
{
	const struct cand_config *a = &c->cfg, *b = &against->cfg;

	if (c->nfiles || c->source_tree || c->parent != against->id)
		return 0;
	if (!same_str(a->cl_build_options, b->cl_build_options) ||
	    !same_str(a->wg_size, b->wg_size))
		return 0;
	return !same_str(a->cc, b->cc) || !same_str(a->cflags, b->cflags) ||
	       !same_str(a->ldflags, b->ldflags) || a->pgo != b->pgo;
}

/* c's tree built again with PROBE_FLAGS appended to its flags, in a directory of its own:
 * 1 the same code as c's build, 0 different (or the probe did not build), -1 error. */
static int probe(struct pipeline *p, const struct candidate *c, struct buf *err)
{
	struct candidate probe = *c; /* a view with another workspace; never released */
	struct cand_config cfg = c->cfg;
	struct buf dir = BUF_INIT, flags = BUF_INIT, why = BUF_INIT;
	struct proc_result res;
	char hex[65];
	int r;

	buf_addf(&dir, "%s/c%04d-probe", p->work_root, c->id);
	buf_addf(&flags, "%s%s" PROBE_FLAGS, cfg.cflags ? cfg.cflags : "",
	         cfg.cflags && *cfg.cflags ? " " : "");
	cfg.cflags = flags.data;
	cfg.pgo = 0;
	probe.workdir = dir.data;
	r = pipeline_materialize_at(p, c, dir.data, err);
	if (r == 0)
		r = pipeline_run_step(p, &probe, &cfg, p->t->build, "probe-build",
		                      p->t->timeout_s > 300 ? p->t->timeout_s : 300, &res, &why,
		                      err);
	if (r == 0)
		r = proc_result_ok(&res) && ws_build_products(dir.data, hex, NULL, err) == 0 &&
		    !strcmp(hex, c->build_hash);
	ws_remove_tree(dir.data, NULL);
	buf_release(&dir);
	buf_release(&flags);
	buf_release(&why);
	return r;
}

static void warn_ignored(struct pipeline *p, const struct candidate *c,
                         const struct candidate *against)
{
	engine_note(p->opt.ev, NOTE_WARNING,
	            "warning: [%s] the build ignores $CFLAGS: c%d ('%s') and c%d built the same "
	            "code, and so did a probe with " PROBE_FLAGS
	            ". Most likely the Makefile assigns CFLAGS "
	            "itself (CFLAGS = ...), which beats the environment; pass the flags through: "
	            "\"build\": \"make CFLAGS=\\\"$CFLAGS\\\"\" (CMake: a fresh build directory "
	            "reads $CFLAGS, or -DCMAKE_C_FLAGS=\"$CFLAGS\"; Meson: -Dc_args=\"$CFLAGS\"). "
	            "See docs/build-systems.md. Skipping the rest of the flag search",
	            p->t->name, c->id, c->label ? c->label : "", against->id);
}

int pipeline_check_same_build(struct pipeline *p, struct candidate *c,
                              const struct candidate *against, struct buf *err)
{
	struct buf why = BUF_INIT;
	int r;

	if (ws_build_products(c->workdir, c->build_hash, NULL, err) < 0)
		return -1;
	if (!against || !c->build_hash[0] || strcmp(c->build_hash, against->build_hash) ||
	    !settings_only(c, against))
		return 0;
	c->same_build_as = against->id;
	r = p->flags_ignored ? 1 : probe(p, c, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		c->flags_ignored = 1;
		if (!p->flags_ignored)
			warn_ignored(p, c, against);
		p->flags_ignored = 1;
		buf_addf(&why,
		         "built the same code as c%d: the build ignores $CFLAGS (see the warning); "
		         "not measured",
		         against->id);
	} else {
		buf_addf(&why,
		         "built the same code as c%d: these settings change nothing in this "
		         "program; not measured",
		         against->id);
	}
	candidate_set(c, CAND_DUPLICATE, why.data);
	buf_release(&why);
	return 1;
}

int pipeline_check_project_default(struct pipeline *p, const struct candidate *orig,
                                   struct candidate *w, struct buf *err)
{
	struct candidate probe = *orig; /* a view with another workspace; never released */
	struct cand_config cfg = orig->cfg;
	struct buf dir = BUF_INIT, why = BUF_INIT;
	struct proc_result res;
	char hex[65];
	int r;

	if (!p->t->cflags || !w->build_hash[0] || w->nchain || w->source_tree || w->id == 0)
		return 0;
	buf_addf(&dir, "%s/c%04d-project-default", p->work_root, orig->id);
	cfg.cflags = NULL; /* the project's own flags: no $CFLAGS at all */
	probe.workdir = dir.data;
	r = pipeline_materialize_at(p, orig, dir.data, err);
	if (r == 0)
		r = pipeline_run_step(p, &probe, &cfg, p->t->build, "project-default-build",
		                      p->t->timeout_s > 300 ? p->t->timeout_s : 300, &res, &why,
		                      err);
	if (r == 0 && proc_result_ok(&res) && ws_build_products(dir.data, hex, NULL, err) == 0 &&
	    !strcmp(hex, w->build_hash)) {
		w->restores_default = 1;
		engine_note(
		    p->opt.ev, NOTE_WARNING,
		    "warning: [%s] the winner c%d ('%s') builds the same code as the project's "
		    "own build without $CFLAGS: it restores the project's default flags, which "
		    "\"cflags\": \"%s\" overrode; it is not a speedup of the project's build "
		    "(leave \"cflags\" out or null to measure the project's build)",
		    p->t->name, w->id, w->label ? w->label : "", p->t->cflags);
	}
	ws_remove_tree(dir.data, NULL);
	buf_release(&dir);
	buf_release(&why);
	return r < 0 ? -1 : 0;
}

/* ---- seals: the build of every side another candidate is timed against ---- */

int pipeline_seal(struct pipeline *p, const struct candidate *c, struct buf *err)
{
	struct ws_seal *s = xcalloc(1, sizeof(*s));

	if (ws_seal_take(c->workdir, &p->original_files, s, err) < 0) {
		free(s);
		return -1;
	}
	if ((size_t)c->id >= p->nseals) {
		p->seals = xreallocarray(p->seals, (size_t)c->id + 1, sizeof(*p->seals));
		memset(p->seals + p->nseals, 0,
		       ((size_t)c->id + 1 - p->nseals) * sizeof(*p->seals));
		p->nseals = (size_t)c->id + 1;
	}
	if (p->seals[c->id])
		ws_seal_release(p->seals[c->id]);
	free(p->seals[c->id]);
	p->seals[c->id] = s;
	return 0;
}

/* The message that stops the target: what changed, and who ran last. */
static void tampered(const struct pipeline *p, int id, const char *dir, const char *what,
                     struct buf *out)
{
	buf_setf(out,
	         "tampering: the build of c%d%s in '%s' changed after it was built and "
	         "verified: %s; ",
	         id, id == 0 ? " (the original)" : "", dir, what);
	if (p->last_ran > 0)
		buf_addf(out, "the last candidate to run was c%d ('%s'). ", p->last_ran,
		         p->last_label ? p->last_label : "");
	buf_addstr(out,
	           "Timings against it cannot be trusted: the target stops (docs/security.md)");
}

int pipeline_seal_check(struct pipeline *p, int id, struct buf *why, struct buf *err)
{
	struct buf what = BUF_INIT;
	int r;

	if (id < 0 || (size_t)id >= p->nseals || !p->seals[id])
		return 0;
	r = ws_seal_check(p->seals[id], &what, err);
	if (r == 1)
		tampered(p, id, p->seals[id]->dir, what.data, why);
	buf_release(&what);
	return r;
}

int pipeline_seal_side_check(void *ctx, struct buf *why)
{
	struct seal_side *s = ctx;
	struct buf err = BUF_INIT;
	int r = pipeline_seal_check(s->p, s->id, why, &err);

	if (r < 0)
		buf_setf(why, "the seal of c%d cannot be checked: %s", s->id, err.data);
	buf_release(&err);
	return r != 0;
}

void pipeline_seals_release(struct pipeline *p)
{
	for (size_t i = 0; i < p->nseals; i++) {
		if (p->seals[i])
			ws_seal_release(p->seals[i]);
		free(p->seals[i]);
	}
	free(p->seals);
	free(p->last_label);
}
