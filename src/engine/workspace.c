#include "engine/workspace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/proc.h"
#include "base/sha256.h"
#include "prof/binfile.h"

int ws_is_skipped_dir(const char *name)
{
	return !strcmp(name, ".optimize") || !strcmp(name, ".git");
}

static int copy_file(const char *src, const char *dst, mode_t mode, struct buf *err)
{
	char chunk[65536];
	int in, out;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set(err, "cannot read '%s': %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
	if (out < 0) {
		close(in);
		return err_set(err, "cannot create '%s': %s", dst, strerror(errno));
	}
	while ((n = read(in, chunk, sizeof(chunk))) > 0) {
		if (fd_write_all(out, chunk, (size_t)n) < 0) {
			err_set(err, "cannot write '%s': %s", dst, strerror(errno));
			close(in);
			close(out);
			return -1;
		}
	}
	if (n < 0) {
		err_set(err, "cannot read '%s': %s", src, strerror(errno));
		close(in);
		close(out);
		return -1;
	}
	close(in);
	if (close(out) < 0)
		return err_set(err, "cannot write '%s': %s", dst, strerror(errno));
	return 0;
}

static int copy_dir(const char *src, const char *dst, mode_t mode, struct buf *err)
{
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (mkdir(dst, (mode & 07777) | 0700) < 0 && errno != EEXIST)
		return err_set(err, "cannot create directory '%s': %s", dst, strerror(errno));
	d = opendir(src);
	if (!d)
		return err_set(err, "cannot read directory '%s': %s", src, strerror(errno));
	while (r == 0 && (e = readdir(d))) {
		struct buf s = BUF_INIT, t = BUF_INIT;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_addf(&s, "%s/%s", src, e->d_name);
		buf_addf(&t, "%s/%s", dst, e->d_name);
		if (lstat(s.data, &st) < 0) {
			r = err_set(err, "cannot stat '%s': %s", s.data, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (!ws_is_skipped_dir(e->d_name))
				r = copy_dir(s.data, t.data, st.st_mode, err);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(s.data, target, sizeof(target) - 1);
			if (n < 0) {
				r = err_set(err, "cannot read link '%s': %s", s.data,
				            strerror(errno));
			} else {
				target[n] = '\0';
				if (symlink(target, t.data) < 0)
					r = err_set(err, "cannot create link '%s': %s", t.data,
					            strerror(errno));
			}
		} else if (S_ISREG(st.st_mode)) {
			r = copy_file(s.data, t.data, st.st_mode, err);
		}
		/* sockets, fifos and devices are not part of a source tree */
		buf_release(&s);
		buf_release(&t);
	}
	closedir(d);
	return r;
}

int ws_copy_tree(const char *src, const char *dst, struct buf *err)
{
	struct stat st;

	if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, "'%s' is not a directory", src);
	return copy_dir(src, dst, st.st_mode, err);
}

int ws_remove_tree(const char *path, struct buf *err)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int r = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR)
			return unlink(path) < 0
			           ? err_set(err, "cannot remove '%s': %s", path, strerror(errno))
			           : 0;
		return err_set(err, "cannot open '%s': %s", path, strerror(errno));
	}
	while (r == 0 && (e = readdir(d))) {
		struct buf p = BUF_INIT;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_addf(&p, "%s/%s", path, e->d_name);
		if (lstat(p.data, &st) == 0 && S_ISDIR(st.st_mode)) {
			chmod(p.data, 0700);
			r = ws_remove_tree(p.data, err);
		} else if (unlink(p.data) < 0 && errno != ENOENT) {
			r = err_set(err, "cannot remove '%s': %s", p.data, strerror(errno));
		}
		buf_release(&p);
	}
	closedir(d);
	if (r == 0 && rmdir(path) < 0 && errno != ENOENT)
		r = err_set(err, "cannot remove '%s': %s", path, strerror(errno));
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *root, const char *rel, struct strlist *out, struct buf *err)
{
	struct buf dir = BUF_INIT;
	DIR *d;
	struct dirent *e;
	int r = 0;

	buf_addf(&dir, "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(dir.data);
	if (!d) {
		err_set(err, "cannot read directory '%s': %s", dir.data, strerror(errno));
		buf_release(&dir);
		return -1;
	}
	while (r == 0 && (e = readdir(d))) {
		struct buf p = BUF_INIT, relp = BUF_INIT;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_addf(&relp, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		buf_addf(&p, "%s/%s", root, relp.data);
		if (lstat(p.data, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				if (!ws_is_skipped_dir(e->d_name))
					r = list_dir(root, relp.data, out, err);
			} else if (S_ISREG(st.st_mode)) {
				strlist_push(out, relp.data);
			}
		}
		buf_release(&p);
		buf_release(&relp);
	}
	closedir(d);
	buf_release(&dir);
	return r;
}

int ws_list_files(const char *root, struct strlist *out, struct buf *err)
{
	if (list_dir(root, "", out, err) < 0)
		return -1;
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

int ws_files_equal(const char *a, const char *b, struct buf *err)
{
	char ba[65536], bb[65536];
	int fa, fb, r = 1;
	struct stat sa, sb;

	fa = open(a, O_RDONLY | O_CLOEXEC);
	if (fa < 0)
		return err_set(err, "cannot read '%s': %s", a, strerror(errno));
	fb = open(b, O_RDONLY | O_CLOEXEC);
	if (fb < 0) {
		close(fa);
		return errno == ENOENT ? 0
		                       : err_set(err, "cannot read '%s': %s", b, strerror(errno));
	}
	if (fstat(fa, &sa) == 0 && fstat(fb, &sb) == 0 && sa.st_size != sb.st_size) {
		r = 0;
		goto out;
	}
	for (;;) {
		ssize_t na = read(fa, ba, sizeof(ba));
		ssize_t nb = read(fb, bb, sizeof(bb));
		if (na < 0 || nb < 0) {
			r = err_set(err, "cannot compare '%s' and '%s'", a, b);
			break;
		}
		if (na != nb || memcmp(ba, bb, (size_t)na)) {
			r = 0;
			break;
		}
		if (na == 0)
			break;
	}
out:
	close(fa);
	close(fb);
	return r;
}

int ws_is_editable(const struct target *t, const char *relpath)
{
	return strlist_match(&t->editable, relpath) || strlist_match(&t->kernels, relpath);
}

int ws_check_protected(const char *original, const char *candidate, const struct target *t,
                       const struct strlist *original_files, struct buf *msg, struct buf *err)
{
	size_t i;

	for (i = 0; i < original_files->n; i++) {
		const char *rel = original_files->v[i];
		struct buf a = BUF_INIT, b = BUF_INIT;
		struct stat st;
		int eq;

		if (ws_is_editable(t, rel) || strlist_match(&t->outputs, rel))
			continue;
		buf_addf(&a, "%s/%s", original, rel);
		buf_addf(&b, "%s/%s", candidate, rel);
		if (lstat(b.data, &st) < 0) {
			buf_setf(msg,
			         "protected file '%s' was removed (only files matching "
			         "\"editable\" may change; declare build outputs in \"outputs\")",
			         rel);
			buf_release(&a);
			buf_release(&b);
			return 1;
		}
		eq = ws_files_equal(a.data, b.data, err);
		buf_release(&a);
		buf_release(&b);
		if (eq < 0)
			return -1;
		if (!eq) {
			buf_setf(msg,
			         "protected file '%s' was changed (only files matching "
			         "\"editable\" may change; declare build outputs in \"outputs\")",
			         rel);
			return 1;
		}
	}
	return 0;
}

int ws_diff(const char *orig_root, const char *new_root, const struct strlist *files,
            struct buf *patch, struct buf *err)
{
	size_t i;

	buf_reset(patch);
	for (i = 0; i < files->n; i++) {
		struct buf a = BUF_INIT, b = BUF_INIT, la = BUF_INIT, lb = BUF_INIT;
		struct buf out = BUF_INIT, errout = BUF_INIT;
		struct proc_spec spec;
		struct proc_result res;
		const char *argv[9];
		int r;

		buf_addf(&a, "%s/%s", orig_root, files->v[i]);
		buf_addf(&b, "%s/%s", new_root, files->v[i]);
		buf_addf(&la, "a/%s", files->v[i]);
		buf_addf(&lb, "b/%s", files->v[i]);
		argv[0] = "diff";
		argv[1] = "-u";
		argv[2] = "--label";
		argv[3] = la.data;
		argv[4] = "--label";
		argv[5] = lb.data;
		argv[6] = access(a.data, F_OK) == 0 ? a.data : "/dev/null";
		argv[7] = access(b.data, F_OK) == 0 ? b.data : "/dev/null";
		argv[8] = NULL;
		proc_spec_init(&spec);
		spec.argv = argv;
		spec.stdout_buf = &out;
		spec.stderr_buf = &errout;
		spec.timeout_s = 60;
		r = proc_run(&spec, &res, err);
		if (r == 0 && res.exited && res.exit_code == 1)
			buf_add(patch, out.data, out.len);
		else if (r == 0 && !(res.exited && res.exit_code == 0))
			r = err_set(err, "diff of '%s' failed: %s", files->v[i], buf_str(&errout));
		buf_release(&a);
		buf_release(&b);
		buf_release(&la);
		buf_release(&lb);
		buf_release(&out);
		buf_release(&errout);
		if (r < 0)
			return -1;
	}
	return 0;
}

int ws_build_products(const char *dir, char hex[65], struct strlist *lines, struct buf *err)
{
	struct strlist files = {0};
	struct sha256_ctx all;
	size_t nelf = 0;

	hex[0] = '\0';
	if (ws_list_files(dir, &files, err) < 0)
		return -1;
	sha256_init(&all);
	for (size_t i = 0; i < files.n; i++) {
		struct sha256_ctx one;
		unsigned char d[SHA256_DIGEST_LEN];
		struct buf path = BUF_INIT;

		buf_addf(&path, "%s/%s", dir, files.v[i]);
		sha256_init(&one);
		if (binfile_code_hash(path.data, dir, &one) == 1) {
			sha256_final(&one, d);
			sha256_update(&all, files.v[i], strlen(files.v[i]) + 1);
			sha256_update(&all, d, sizeof(d));
			nelf++;
			if (lines)
				binfile_compiler_lines(path.data, lines);
		}
		buf_release(&path);
	}
	if (nelf) {
		unsigned char d[SHA256_DIGEST_LEN];
		sha256_final(&all, d);
		sha256_to_hex(d, hex);
	}
	strlist_release(&files);
	return 0;
}
