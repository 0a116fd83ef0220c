#include "engine/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/xalloc.h"
#include "engine/compare.h"

static const struct compare_item default_items[] = {{COMPARE_STDOUT, NULL}};

const struct compare_item *verify_default_items(size_t *n)
{
	*n = 1;
	return default_items;
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

static void capture_init(struct capture *c, size_t nitems)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->out, 0);
	buf_init(&c->err, 0);
	c->nfiles = nitems;
	c->files = xcalloc(nitems + 1, sizeof(*c->files));
	for (size_t k = 0; k < nitems; k++)
		buf_init(&c->files[k].data, VERIFY_FILE_MAX);
}

int verify_capture(const struct proc_spec *spec, const char *cmd, const struct compare_item *items,
                   size_t nitems, int ws_fd, const struct capture_save *save, struct capture *out,
                   struct buf *err)
{
	struct proc_spec s = *spec;
	struct buf serr = BUF_INIT;
	uint64_t cap = spec->output_cap ? spec->output_cap : PROC_DEFAULT_OUTPUT_CAP;

	capture_init(out, nitems);
	/* One byte more than the cap is kept, so passing the cap is seen. */
	out->out.max = out->err.max = (size_t)cap + 1;
	s.stdout_path = s.stderr_path = NULL;
	s.stdout_buf = &out->out;
	s.stderr_buf = &out->err;
	if (proc_run_sh(&s, cmd, &out->res, err) < 0)
		return -1;
	out->started = 1;
	if (verify_collect_files(items, nitems, ws_fd, out, err) < 0)
		return -1;
	if (save && verify_save(out, items, nitems, save, &serr) < 0) {
		/* A copy for people only: the comparison does not depend on it. */
		buf_release(&serr);
	}
	buf_release(&serr);
	return 0;
}

int verify_collect_files(const struct compare_item *items, size_t nitems, int ws_fd,
                         struct capture *c, struct buf *err)
{
	for (size_t k = 0; k < nitems && k < c->nfiles; k++) {
		struct capture_file *f = &c->files[k];

		if (items[k].kind != COMPARE_FILE)
			continue;
		buf_reset(&f->data);
		f->present = f->too_big = 0;
		if (file_read_nofollow(ws_fd, items[k].path, &f->data) == 0) {
			f->present = 1;
		} else if (errno == EFBIG) {
			f->present = f->too_big = 1;
			buf_reset(&f->data);
		} else if (errno != ENOENT) {
			/* A link, a FIFO, a directory: not an output the tool reads. */
			int saved = errno;
			if (saved == ELOOP || saved == EINVAL || saved == EXDEV ||
			    saved == EISDIR || saved == ENOTDIR) {
				f->present = 0;
				continue;
			}
			return err_set(err, "cannot read output file '%s': %s", items[k].path,
			               strerror(saved));
		}
	}
	return 0;
}

static int save_one(int dfd, const char *name, const struct buf *b)
{
	return file_put_beneath(dfd, name, b->data ? b->data : "", b->len, NULL);
}

int verify_save(const struct capture *c, const struct compare_item *items, size_t nitems,
                const struct capture_save *save, struct buf *err)
{
	int dfd, first = 0;

	if (file_mkdirs_beneath(save->dirfd, save->rel, 0755, err) < 0)
		return -1;
	dfd = file_openat_beneath(save->dirfd, save->rel, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return err_set(err, "cannot open '%s': %s", save->rel, strerror(errno));
	if (save_one(dfd, "stdout", &c->out) < 0 || save_one(dfd, "stderr", &c->err) < 0)
		first = errno;
	for (size_t k = 0; k < nitems && k < c->nfiles; k++) {
		struct buf name = BUF_INIT;

		buf_addf(&name, "file.%zu", k);
		unlinkat(dfd, name.data, 0);
		if (items[k].kind == COMPARE_FILE && c->files[k].present &&
		    save_one(dfd, name.data, &c->files[k].data) < 0 && !first)
			first = errno;
		buf_release(&name);
	}
	close(dfd);
	if (first) {
		err_set(err, "cannot save a copy into '%s': %s", save->rel, strerror(first));
		errno = first;
		return -1;
	}
	return 0;
}

void capture_release(struct capture *c)
{
	buf_release(&c->out);
	buf_release(&c->err);
	for (size_t k = 0; k < c->nfiles; k++)
		buf_release(&c->files[k].data);
	free(c->files);
	c->files = NULL;
	c->nfiles = 0;
}

/* The item's bytes: 0 present, 1 absent, 2 past its cap. */
static int item_data(const struct capture *c, const struct compare_item *items, size_t k,
                     const struct buf **out)
{
	*out = NULL;
	switch (items[k].kind) {
	case COMPARE_STDOUT:
		*out = &c->out;
		return c->res.stdout_truncated || c->out.truncated ? 2 : 0;
	case COMPARE_STDERR:
		*out = &c->err;
		return c->res.stderr_truncated || c->err.truncated ? 2 : 0;
	case COMPARE_FILE:
		if (k >= c->nfiles || !c->files[k].present)
			return 1;
		*out = &c->files[k].data;
		return c->files[k].too_big ? 2 : 0;
	}
	return 1;
}

static void cap_text(const struct compare_item *it, struct buf *out)
{
	if (it->kind == COMPARE_FILE)
		buf_addf(out, "the %zu MiB limit of a compared file", VERIFY_FILE_MAX >> 20);
	else
		buf_addf(out, "the %llu MiB capture cap",
		         (unsigned long long)(PROC_DEFAULT_OUTPUT_CAP >> 20));
}

int verify_over_cap(const struct capture *c, const struct compare_item *items, size_t nitems,
                    struct buf *msg)
{
	for (size_t k = 0; k < nitems; k++) {
		const struct buf *b;
		struct buf name = BUF_INIT;

		if (item_data(c, items, k, &b) != 2)
			continue;
		buf_setf(msg, "%s passed ", item_name(&items[k], &name));
		cap_text(&items[k], msg);
		buf_release(&name);
		return 1;
	}
	return 0;
}

int verify_compare(const struct capture *ref, const struct capture *got,
                   const struct compare_item *items, size_t nitems, double rtol, double atol,
                   struct buf *msg, struct buf *err)
{
	struct compare_opts opts = {rtol, atol};
	struct buf name = BUF_INIT, why = BUF_INIT, cap = BUF_INIT;
	size_t k;
	int r = 0;

	(void)err;
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
		const struct buf *a, *b;
		int ra = item_data(ref, items, k, &a), rb = item_data(got, items, k, &b);

		if (ra == 2 || rb == 2) {
			buf_reset(&cap);
			cap_text(&items[k], &cap);
			buf_addf(msg,
			         "%s: %s output passed %s; it is never compared cut short "
			         "(compare less output, or a smaller input)",
			         item_name(&items[k], &name), ra == 2 ? "the original's" : "this",
			         cap.data);
			r = 1;
			break;
		}
		if (ra == 1 && rb == 1)
			continue;
		if (ra == 1 || rb == 1) {
			buf_addf(msg, "%s: %s", item_name(&items[k], &name),
			         ra == 1 ? "the original did not write it, this did"
			                 : "the original wrote it, this did not");
			r = 1;
			break;
		}
		buf_reset(&why);
		r = compare_data(a->data ? a->data : "", a->len, b->data ? b->data : "", b->len,
		                 &opts, &why);
		if (r == 1)
			buf_addf(msg, "%s differs from the original's: %s",
			         item_name(&items[k], &name), why.data);
	}
	buf_release(&name);
	buf_release(&why);
	buf_release(&cap);
	return r;
}
