/*
 * proposer_flags.c: the offline compiler-flag search. Greedy: every option
 * is tried on top of the current best; what is measured faster becomes the
 * best and stays. A second pass retries the rest when the first changed the
 * best, since flags interact (-funroll-loops may only pay after -O3).
 */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/pipeline.h"
#include "propose/propose.h"

/* OPT_COMBO: an -O level and a flag together. Flags interact: on some
 * loops -O3 alone is slower and -march=native alone does nothing, while the
 * two together vectorize with wide registers; one-at-a-time greedy search
 * cannot see that. */
enum opt_kind { OPT_CFLAG, OPT_OLEVEL, OPT_LTO, OPT_PGO, OPT_CLOPT, OPT_WG, OPT_COMBO };

struct flag_option {
	enum opt_kind kind;
	char *value;
	int accepted;
	int tried_on; /* id of the best it was last tried on top of; -1 = never */
};

struct flags_state {
	struct flag_option *opts;
	size_t nopts, next;
	int pass, accepted_in_pass, initialized;
	int ignored; /* the build ignores $CFLAGS (candidate.flags_ignored): nothing to search */
	struct strlist seen; /* settings already proposed (see flags_propose) */
};

static void add_opt(struct flags_state *fs, enum opt_kind kind, const char *value)
{
	fs->opts = xreallocarray(fs->opts, fs->nopts + 1, sizeof(*fs->opts));
	fs->opts[fs->nopts].kind = kind;
	fs->opts[fs->nopts].value = xstrdup(value);
	fs->opts[fs->nopts].accepted = 0;
	fs->opts[fs->nopts].tried_on = -1;
	fs->nopts++;
}

static void init_options(struct flags_state *fs, const struct run_view *v)
{
	const struct target *t = v->target;
	size_t i;

	fs->initialized = 1;
	if (view_kernel_target(v)) {
		add_opt(fs, OPT_CLOPT, "-cl-mad-enable");
		add_opt(fs, OPT_CLOPT, "-cl-fast-relaxed-math");
		for (i = 0; t->wg_size_env && i < t->wg_sizes.n; i++)
			add_opt(fs, OPT_WG, t->wg_sizes.v[i]);
		return;
	}
	add_opt(fs, OPT_OLEVEL, "-O3");
	add_opt(fs, OPT_CFLAG, "-march=native");
	add_opt(fs, OPT_CFLAG, "-funroll-loops");
	add_opt(fs, OPT_LTO, "-flto");
	add_opt(fs, OPT_CFLAG, "-fno-semantic-interposition");
	add_opt(fs, OPT_OLEVEL, "-Ofast");
	add_opt(fs, OPT_COMBO, "-O3 -march=native");
	add_opt(fs, OPT_COMBO, "-Ofast -march=native");
	add_opt(fs, OPT_PGO, "pgo");
}

/* cflags with every -O<level> replaced by level (or level appended). */
static char *with_olevel(const char *cflags, const char *level)
{
	struct buf b = BUF_INIT;
	const char *p = cflags ? cflags : "";
	int replaced = 0;

	while (*p) {
		const char *e;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		e = strchr(p, ' ');
		if (!e)
			e = p + strlen(p);
		if (p[0] == '-' && p[1] == 'O' && e - p <= 6) {
			if (!replaced)
				buf_addf(&b, "%s%s", b.len ? " " : "", level);
			replaced = 1;
		} else {
			buf_addf(&b, "%s%.*s", b.len ? " " : "", (int)(e - p), p);
		}
		p = e;
	}
	if (!replaced)
		buf_addf(&b, "%s%s", b.len ? " " : "", level);
	return buf_detach(&b);
}

static char *append(const char *a, const char *b)
{
	struct buf s = BUF_INIT;
	buf_addf(&s, "%s%s%s", a ? a : "", a && *a ? " " : "", b);
	return buf_detach(&s);
}

static int has_token(const char *s, const char *tok)
{
	size_t n = strlen(tok);
	const char *p = s;
	while (p && (p = strstr(p, tok))) {
		if ((p == s || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* 1 when every flag of a combination is already in cflags. */
static int combo_present(const char *cflags, const char *combo)
{
	char *copy = xstrdup(combo), *tok, *save = NULL;
	int all = 1;

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		all &= has_token(cflags, tok);
	free(copy);
	return all;
}

/* The next option's candidate on top of the current best, or NULL when done. */
static struct candidate *propose_one(struct flags_state *fs, const struct run_view *v)
{
	struct cand_config cfg;
	struct flag_option *o = NULL;
	struct candidate *c;
	struct buf label = BUF_INIT;

	if (!fs->initialized)
		init_options(fs, v);
	view_config(v, v->best, &cfg);
	while (!o) {
		if (fs->next >= fs->nopts) {
			if (!fs->accepted_in_pass || fs->pass >= 1)
				return NULL;
			fs->pass++;
			fs->accepted_in_pass = 0;
			fs->next = 0;
		}
		o = &fs->opts[fs->next++];
		if (o->accepted || o->tried_on == v->best)
			o = NULL; /* kept already, or already measured on top of this best */
		/* Already part of the best's settings (e.g. the manifest's own -O3). */
		else if ((o->kind == OPT_CFLAG || o->kind == OPT_LTO || o->kind == OPT_OLEVEL) &&
		         has_token(cfg.cflags, o->value))
			o = NULL;
		else if (o->kind == OPT_PGO && cfg.pgo)
			o = NULL;
		else if (o->kind == OPT_COMBO && combo_present(cfg.cflags, o->value))
			o = NULL;
		else if (o->kind == OPT_CLOPT && has_token(cfg.cl_build_options, o->value))
			o = NULL;
		else if (o->kind == OPT_WG && cfg.wg_size && !strcmp(cfg.wg_size, o->value))
			o = NULL;
	}
	o->tried_on = v->best;
	c = candidate_new("flags", NULL);
	c->parent = v->best;
	switch (o->kind) {
	case OPT_OLEVEL:
		c->set.cflags = with_olevel(cfg.cflags, o->value);
		break;
	case OPT_CFLAG:
		c->set.cflags = append(cfg.cflags, o->value);
		break;
	case OPT_LTO:
		c->set.cflags = append(cfg.cflags, o->value);
		c->set.ldflags = append(cfg.ldflags, o->value);
		break;
	case OPT_COMBO: {
		char *level = xstrndup(o->value, strcspn(o->value, " "));
		const char *flag = o->value + strlen(level) + 1;
		char *with = with_olevel(cfg.cflags, level);
		c->set.cflags = has_token(with, flag) ? xstrdup(with) : append(with, flag);
		free(with);
		free(level);
		break;
	}
	case OPT_PGO:
		c->set.pgo = 1;
		break;
	case OPT_CLOPT:
		c->set.cl_build_options = append(cfg.cl_build_options, o->value);
		break;
	case OPT_WG:
		c->set.wg_size = xstrdup(o->value);
		break;
	}
	if (o->kind == OPT_CLOPT)
		buf_addf(&label, "cl: %s", c->set.cl_build_options);
	else if (o->kind == OPT_WG)
		buf_addf(&label, "%s=%s", v->target->wg_size_env, o->value);
	else
		buf_addf(&label, "%s%s",
		         c->set.cflags ? c->set.cflags
		         : cfg.cflags  ? cfg.cflags
		                       : "",
		         c->set.pgo || cfg.pgo ? " +pgo" : "");
	c->label = buf_detach(&label);
	return c;
}

/*
 * Two options can lead to the same settings (-Ofast on top of
 * "-O3 -march=native" and the "-Ofast -march=native" combination): the
 * second is not proposed at all. The key is the settings plus the best they
 * build on, whose own hash covers its edited files.
 */
static int flags_propose(struct proposer *self, const struct run_view *v, struct candidate **out,
                         size_t max, struct buf *err)
{
	struct flags_state *fs = self->impl;
	struct candidate *c;

	(void)err;
	if (!max || fs->ignored)
		return 0;
	while ((c = propose_one(fs, v))) {
		struct buf key = BUF_INIT;
		size_t i;
		int seen = 0;

		buf_addf(&key, "%s|%s|%s|%s|%s", c->label, c->set.ldflags ? c->set.ldflags : "",
		         c->set.cl_build_options ? c->set.cl_build_options : "",
		         c->set.wg_size ? c->set.wg_size : "", view_best(v)->hash);
		for (i = 0; i < fs->seen.n && !seen; i++)
			seen = !strcmp(fs->seen.v[i], key.data);
		if (!seen) {
			strlist_push(&fs->seen, key.data);
			buf_release(&key);
			out[0] = c;
			return 1;
		}
		buf_release(&key);
		candidate_free(c);
	}
	return 0;
}

static void flags_feedback(struct proposer *self, const struct run_view *v,
                           const struct candidate *c)
{
	struct flags_state *fs = self->impl;

	(void)v;
	if (c->flags_ignored)
		fs->ignored = 1;
	if (c->status != CAND_ACCEPTED || !fs->next)
		return;
	/* One candidate at a time: the option just tried is opts[next - 1]. */
	fs->accepted_in_pass = 1;
	fs->opts[fs->next - 1].accepted = 1;
}

static void flags_release(struct proposer *self)
{
	struct flags_state *fs = self->impl;
	size_t i;

	for (i = 0; i < fs->nopts; i++)
		free(fs->opts[i].value);
	free(fs->opts);
	strlist_release(&fs->seen);
	free(fs);
	free(self);
}

struct proposer *proposer_flags_new(void)
{
	struct proposer *p = xcalloc(1, sizeof(*p));

	p->name = "flags";
	p->propose = flags_propose;
	p->feedback = flags_feedback;
	p->release = flags_release;
	p->impl = xcalloc(1, sizeof(struct flags_state));
	return p;
}
