#include "engine/candidate.h"

#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "base/xalloc.h"

static const char *const status_names[] = {
    [CAND_PENDING] = "pending",
    [CAND_DUPLICATE] = "duplicate",
    [CAND_EDIT_REJECTED] = "edit-rejected",
    [CAND_BUILD_FAILED] = "build-failed",
    [CAND_PROTECTED_CHANGED] = "protected-file-changed",
    [CAND_RUN_FAILED] = "run-failed",
    [CAND_VERIFY_FAILED] = "verify-failed",
    [CAND_TEST_FAILED] = "test-failed",
    [CAND_NOT_FASTER] = "not-faster",
    [CAND_ACCEPTED] = "accepted",
    [CAND_SKIPPED] = "skipped",
};

static const char *const stage_names[] = {
    [STAGE_NONE] = "none",       [STAGE_MATERIALIZE] = "materialize",
    [STAGE_BUILD] = "build",     [STAGE_VERIFY] = "verify",
    [STAGE_TEST] = "test",       [STAGE_PROTECTED] = "protected",
    [STAGE_MEASURE] = "measure", [STAGE_PROFILE] = "profile",
    [STAGE_DONE] = "done",
};

const char *cand_status_name(enum cand_status s)
{
	if ((size_t)s < sizeof(status_names) / sizeof(status_names[0]) && status_names[s])
		return status_names[s];
	return "unknown";
}

const char *cand_stage_name(enum cand_stage s)
{
	if ((size_t)s < sizeof(stage_names) / sizeof(stage_names[0]) && stage_names[s])
		return stage_names[s];
	return "unknown";
}

void candidate_init(struct candidate *c)
{
	memset(c, 0, sizeof(*c));
	c->parent = -1;
	c->meas.compared_with = -1;
	c->llm.repair_of = -1;
	c->same_build_as = -1;
	profile_init(&c->profile);
}

struct candidate *candidate_new(const char *origin, const char *label)
{
	struct candidate *c = xmalloc(sizeof(*c));

	candidate_init(c);
	c->origin = xstrdup(origin);
	c->label = xstrdup(label);
	return c;
}

void candidate_measurement_clear(struct cand_measurement *m)
{
	free(m->base_samples);
	free(m->cand_samples);
	memset(m, 0, sizeof(*m));
	m->compared_with = -1;
}

struct cand_check *candidate_add_check(struct candidate *c, struct cand_check *check)
{
	c->checks = xreallocarray(c->checks, c->nchecks + 1, sizeof(*c->checks));
	c->checks[c->nchecks] = *check;
	memset(check, 0, sizeof(*check));
	check->m.compared_with = -1;
	return &c->checks[c->nchecks++];
}

const struct cand_check *candidate_check_against(const struct candidate *c, int id)
{
	for (size_t i = c->nchecks; i-- > 0;)
		if (c->checks[i].m.compared_with == id)
			return &c->checks[i];
	return NULL;
}

static void settings_release(struct cand_settings *s)
{
	free(s->cc);
	free(s->cflags);
	free(s->ldflags);
	free(s->cl_build_options);
	free(s->wg_size);
}

void candidate_release(struct candidate *c)
{
	size_t i;

	free(c->label);
	free(c->origin);
	free(c->note);
	settings_release(&c->set);
	for (i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].content);
	}
	free(c->files);
	free(c->source_tree);
	free(c->llm.prompt_hash);
	free(c->llm.response_hash);
	free(c->chain);
	free(c->reason);
	free(c->workdir);
	candidate_measurement_clear(&c->meas);
	for (i = 0; i < c->nchecks; i++) {
		candidate_measurement_clear(&c->checks[i].m);
		free(c->checks[i].reason);
	}
	free(c->checks);
	profile_release(&c->profile);
	strlist_release(&c->compiler_lines);
	memset(c, 0, sizeof(*c));
}

void candidate_free(struct candidate *c)
{
	if (!c)
		return;
	candidate_release(c);
	free(c);
}

void candidate_add_file(struct candidate *c, const char *path, const char *content, size_t len)
{
	struct file_edit *f;
	size_t i;

	for (i = 0; i < c->nfiles; i++) {
		if (!strcmp(c->files[i].path, path)) {
			free(c->files[i].content);
			c->files[i].content = xmemdupz(content, len);
			c->files[i].len = len;
			return;
		}
	}
	c->files = xreallocarray(c->files, c->nfiles + 1, sizeof(*c->files));
	f = &c->files[c->nfiles++];
	f->path = xstrdup(path);
	f->content = xmemdupz(content, len);
	f->len = len;
}

void candidate_set(struct candidate *c, enum cand_status s, const char *reason)
{
	c->status = s;
	xstrset(&c->reason, reason ? reason : "");
}

static const struct candidate *parent_of(const struct candidate *c, struct candidate *const *cands)
{
	return c->parent >= 0 && c->parent != c->id ? cands[c->parent] : NULL;
}

/* The first setting along the chain that is set. */
#define EFFECTIVE(field)                                                                           \
	static const char *eff_##field(const struct candidate *c, struct candidate *const *cands)  \
	{                                                                                          \
		for (; c; c = parent_of(c, cands))                                                 \
			if (c->set.field)                                                          \
				return c->set.field;                                               \
		return NULL;                                                                       \
	}
EFFECTIVE(cc)
EFFECTIVE(cflags)
EFFECTIVE(ldflags)
EFFECTIVE(cl_build_options)
EFFECTIVE(wg_size)
#undef EFFECTIVE

static int eff_pgo(const struct candidate *c, struct candidate *const *cands)
{
	for (; c; c = parent_of(c, cands))
		if (c->set.pgo)
			return 1;
	return 0;
}

static int same_as_original(const char *pristine, const struct file_edit *f)
{
	struct buf path = BUF_INIT, orig = BUF_INIT;
	int same;

	if (!pristine)
		return 0;
	buf_addf(&path, "%s/%s", pristine, f->path);
	same = buf_read_file(&orig, path.data) == 0 && orig.len == f->len &&
	       !memcmp(orig.data, f->content, f->len);
	buf_release(&path);
	buf_release(&orig);
	return same;
}

static void hash_str(struct sha256_ctx *ctx, const char *s)
{
	s = s ? s : "";
	sha256_update(ctx, s, strlen(s) + 1);
}

void candidate_resolve(struct candidate *c, struct candidate *const *cands, const char *pristine)
{
	const struct candidate *p;
	struct sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_LEN];
	size_t i, j;

	c->cfg.cc = eff_cc(c, cands);
	c->cfg.cflags = eff_cflags(c, cands);
	c->cfg.ldflags = eff_ldflags(c, cands);
	c->cfg.cl_build_options = eff_cl_build_options(c, cands);
	c->cfg.wg_size = eff_wg_size(c, cands);
	c->cfg.pgo = eff_pgo(c, cands);

	/* The newest version of each file, walking from c back to the original. */
	free(c->chain);
	c->chain = NULL;
	c->nchain = 0;
	for (p = c; p; p = parent_of(p, cands)) {
		for (i = 0; i < p->nfiles; i++) {
			int seen = 0;
			for (j = 0; j < c->nchain && !seen; j++)
				seen = !strcmp(c->chain[j]->path, p->files[i].path);
			if (seen)
				continue;
			c->chain = xreallocarray(c->chain, c->nchain + 1, sizeof(*c->chain));
			c->chain[c->nchain++] = &p->files[i];
		}
	}

	sha256_init(&ctx);
	hash_str(&ctx, c->cfg.cc);
	hash_str(&ctx, c->cfg.cflags);
	hash_str(&ctx, c->cfg.ldflags);
	hash_str(&ctx, c->cfg.cl_build_options);
	hash_str(&ctx, c->cfg.wg_size);
	hash_str(&ctx, c->cfg.pgo ? "pgo" : "");
	hash_str(&ctx, c->source_tree);
	for (i = 0; i < c->nchain; i++) {
		const struct file_edit *f = c->chain[i];
		if (same_as_original(pristine, f))
			continue;
		hash_str(&ctx, f->path);
		sha256_update(&ctx, f->content, f->len);
	}
	sha256_final(&ctx, d);
	sha256_to_hex(d, c->hash);
}

void candidate_changed_files(const struct candidate *c, struct strlist *out)
{
	for (size_t i = 0; i < c->nchain; i++)
		if (!strlist_has(out, c->chain[i]->path))
			strlist_push(out, c->chain[i]->path);
}

const struct file_edit *candidate_file(const struct candidate *c, const char *relpath)
{
	for (size_t i = 0; i < c->nchain; i++)
		if (!strcmp(c->chain[i]->path, relpath))
			return c->chain[i];
	return NULL;
}

void candidate_lineage(const struct candidate *c, struct candidate *const *cands, struct buf *out)
{
	const struct candidate *path[256];
	size_t n = 0, i;

	for (const struct candidate *p = c; p && p->id != 0 && n < 256; p = parent_of(p, cands))
		path[n++] = p;
	buf_reset(out);
	if (!n) {
		buf_addstr(out, c->label ? c->label : "original");
		return;
	}
	for (i = n; i-- > 0;) {
		const struct candidate *p = path[i];
		/* A flags label already holds its ancestors' flags: show the newest one. */
		if (i > 0 && p->origin && path[i - 1]->origin && !strcmp(p->origin, "flags") &&
		    !strcmp(path[i - 1]->origin, "flags"))
			continue;
		buf_addf(out, "%s%s", out->len ? " + " : "", p->label ? p->label : "?");
	}
}
