#include "engine/candidate.h"

#include <stdlib.h>
#include <string.h>

const char *cand_status_name(enum cand_status s)
{
	switch (s) {
	case CAND_PENDING:
		return "pending";
	case CAND_DUPLICATE:
		return "duplicate";
	case CAND_EDIT_REJECTED:
		return "edit-rejected";
	case CAND_BUILD_FAILED:
		return "build-failed";
	case CAND_PROTECTED_CHANGED:
		return "protected-file-changed";
	case CAND_RUN_FAILED:
		return "run-failed";
	case CAND_VERIFY_FAILED:
		return "verify-failed";
	case CAND_TEST_FAILED:
		return "test-failed";
	case CAND_NOT_FASTER:
		return "not-faster";
	case CAND_ACCEPTED:
		return "accepted";
	case CAND_SKIPPED:
		return "skipped";
	}
	return "unknown";
}

void candidate_init(struct candidate *c)
{
	memset(c, 0, sizeof(*c));
	c->parent = -1;
	c->compared_with = -1;
	profile_init(&c->profile);
}

void candidate_release(struct candidate *c)
{
	size_t i;

	free(c->label);
	free(c->origin);
	free(c->cc);
	free(c->cflags);
	free(c->ldflags);
	free(c->cl_build_options);
	free(c->wg_size);
	for (i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].content);
	}
	free(c->files);
	free(c->note);
	free(c->reason);
	free(c->workdir);
	free(c->base_samples);
	free(c->cand_samples);
	free(c->prompt_hash);
	free(c->response_hash);
	profile_release(&c->profile);
	memset(c, 0, sizeof(*c));
}

int candidate_add_file(struct candidate *c, const char *path, const char *content, size_t len)
{
	struct file_edit *f;
	size_t i;

	for (i = 0; i < c->nfiles; i++) {
		if (!strcmp(c->files[i].path, path)) {
			char *p = malloc(len + 1);
			if (!p)
				return -1;
			memcpy(p, content, len);
			p[len] = '\0';
			free(c->files[i].content);
			c->files[i].content = p;
			c->files[i].len = len;
			return 0;
		}
	}
	f = realloc(c->files, (c->nfiles + 1) * sizeof(*f));
	if (!f)
		return -1;
	c->files = f;
	f = &c->files[c->nfiles];
	f->path = strdup(path);
	f->content = malloc(len + 1);
	if (!f->path || !f->content)
		return -1;
	memcpy(f->content, content, len);
	f->content[len] = '\0';
	f->len = len;
	c->nfiles++;
	return 0;
}
