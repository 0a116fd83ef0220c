#include "engine/verify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/compare.h"
#include "base/fileio.h"
#include "engine/workspace.h"

static const struct compare_item default_items[] = {{COMPARE_STDOUT, NULL}};

const struct compare_item *verify_default_items(size_t *n)
{
	*n = 1;
	return default_items;
}

static void item_path(const struct capture *c, const struct compare_item *items, size_t k,
                      struct buf *out)
{
	buf_reset(out);
	switch (items[k].kind) {
	case COMPARE_STDOUT:
		buf_addf(out, "%s/stdout", c->dir);
		break;
	case COMPARE_STDERR:
		buf_addf(out, "%s/stderr", c->dir);
		break;
	case COMPARE_FILE:
		buf_addf(out, "%s/file.%zu", c->dir, k);
		break;
	}
}

static const char *item_name(const struct compare_item *it, struct buf *tmp)
{
	buf_reset(tmp);
	if (it->kind == COMPARE_STDOUT)
		return "stdout";
	if (it->kind == COMPARE_STDERR)
		return "stderr";
	buf_addf(tmp, "file '%s'", it->path);
	return tmp->data;
}

int verify_capture(const struct proc_spec *spec, const char *cmd, const struct compare_item *items,
                   size_t nitems, const char *dir, struct capture *out, struct buf *err)
{
	struct proc_spec s = *spec;
	struct buf so = BUF_INIT, se = BUF_INIT;
	int r;

	memset(out, 0, sizeof(*out));
	out->dir = strdup(dir);
	if (file_mkdirs(dir, 0755, err) < 0)
		return -1;
	buf_addf(&so, "%s/stdout", dir);
	buf_addf(&se, "%s/stderr", dir);
	s.stdout_path = so.data;
	s.stderr_path = se.data;
	s.stdout_buf = s.stderr_buf = NULL;
	r = proc_run_sh(&s, cmd, &out->res, err);
	buf_release(&so);
	buf_release(&se);
	if (r < 0)
		return -1;
	out->started = 1;
	return verify_collect_files(items, nitems, spec->cwd ? spec->cwd : ".", dir, err);
}

int verify_collect_files(const struct compare_item *items, size_t nitems, const char *cwd,
                         const char *dir, struct buf *err)
{
	size_t k;
	int r = 0;

	for (k = 0; k < nitems && r == 0; k++) {
		struct buf src = BUF_INIT, dst = BUF_INIT, data = BUF_INIT;
		if (items[k].kind != COMPARE_FILE)
			continue;
		buf_addf(&src, "%s/%s", cwd, items[k].path);
		buf_addf(&dst, "%s/file.%zu", dir, k);
		data.max = (size_t)256 << 20;
		unlink(dst.data);
		/* A missing output file stays missing; the comparison reports it. */
		if (access(src.data, F_OK) == 0) {
			if (buf_read_file(&data, src.data) < 0)
				r = err_set(err, "cannot read output file '%s'", src.data);
			else
				r = file_write_atomic(dst.data, data.data, data.len, 0644, err);
		}
		buf_release(&src);
		buf_release(&dst);
		buf_release(&data);
	}
	return r;
}

void capture_release(struct capture *c)
{
	free(c->dir);
	c->dir = NULL;
}

int verify_compare(const struct capture *ref, const struct capture *got,
                   const struct compare_item *items, size_t nitems, double rtol, double atol,
                   struct buf *msg, struct buf *err)
{
	struct compare_opts opts = {rtol, atol};
	struct buf a = BUF_INIT, b = BUF_INIT, name = BUF_INIT, why = BUF_INIT;
	size_t k;
	int r = 0;

	buf_reset(msg);
	/* No items (the manifest said "compare": []): the exit status alone. */
	if (ref->res.exited != got->res.exited || ref->res.exit_code != got->res.exit_code ||
	    ref->res.signaled != got->res.signaled || got->res.timed_out) {
		struct buf d1 = BUF_INIT, d2 = BUF_INIT;
		proc_result_describe(&ref->res, 0, &d1);
		proc_result_describe(&got->res, 0, &d2);
		buf_addf(msg, "exit status differs: the original gave %s, this gave %s", d1.data,
		         d2.data);
		buf_release(&d1);
		buf_release(&d2);
		return 1;
	}
	for (k = 0; k < nitems && r == 0; k++) {
		int ra, rb;

		item_path(ref, items, k, &a);
		item_path(got, items, k, &b);
		ra = access(a.data, F_OK);
		rb = access(b.data, F_OK);
		if (ra < 0 && rb < 0)
			continue;
		if (ra < 0 || rb < 0) {
			buf_addf(msg, "%s: %s", item_name(&items[k], &name),
			         ra < 0 ? "the original did not write it, this did"
			                : "the original wrote it, this did not");
			r = 1;
			break;
		}
		buf_reset(&why);
		r = compare_files(a.data, b.data, &opts, &why);
		if (r < 0) {
			err_set(err, "%s", why.data);
		} else if (r == 1) {
			buf_addf(msg, "%s differs from the original's: %s",
			         item_name(&items[k], &name), why.data);
		}
	}
	buf_release(&a);
	buf_release(&b);
	buf_release(&name);
	buf_release(&why);
	return r;
}
