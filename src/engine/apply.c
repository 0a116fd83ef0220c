/*
 * apply.c: --apply, atomic for the whole change, with a journal. See apply.h.
 */
#include "engine/apply.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/xalloc.h"

#define JOURNAL    "apply-journal.json"
#define NEW_SUFFIX ".optimize-new"

void apply_set_add(struct apply_set *s, const char *tree, const char *path, const char *data,
                   size_t len)
{
	struct apply_file *f;

	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	f = &s->v[s->n++];
	f->tree = xstrdup(tree);
	f->path = xstrdup(path);
	f->data = xmalloc(len + 1);
	memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
}

void apply_set_release(struct apply_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].tree);
		free(s->v[i].path);
		free(s->v[i].data);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The directory holding rel, beneath the tree (no link followed); *name = its last part. */
static int open_parent(const char *tree, const char *rel, const char **name)
{
	const char *slash = strrchr(rel, '/');
	struct buf dir = BUF_INIT;
	int tfd, fd;

	*name = slash ? slash + 1 : rel;
	tfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return -1;
	path_dirname(&dir, rel);
	fd = file_openat_beneath(tfd, dir.data, O_RDONLY | O_DIRECTORY, 0);
	close(tfd);
	buf_release(&dir);
	return fd;
}

struct entry {
	const struct apply_file *f;
	int dfd; /* the file's directory */
	const char *name;
	struct buf tmp; /* <name>.optimize-new */
	mode_t mode;
	char sha[SHA256_HEX_LEN + 1];
};

static int write_journal(int sfd, const struct entry *e, size_t n, const char *state,
                         struct buf *err)
{
	cJSON *root = cJSON_CreateObject(), *files;
	char *text;
	int r;

	json_add_number(root, "version", 1);
	json_add_string(root, "state", state);
	files = json_add_array(root, "files");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		json_add_string(o, "tree", e[i].f->tree);
		json_add_string(o, "path", e[i].f->path);
		json_add_string(o, "sha256", e[i].sha);
		cJSON_AddItemToArray(files, o);
	}
	text = json_print_take(root, 1);
	cJSON_Delete(root);
	r = file_write_beneath(sfd, JOURNAL, text, strlen(text), 0600, err);
	free(text);
	return r;
}

/* Write and fsync the new file next to its target (O_EXCL, no link followed). */
static int write_new(struct entry *e, struct buf *err)
{
	int fd, saved;

	unlinkat(e->dfd, e->tmp.data, 0);
	fd =
	    openat(e->dfd, e->tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, e->mode & 07777) < 0 ||
	    fd_write_all(fd, e->f->data, e->f->len) < 0 || fsync(fd) < 0) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		return err_set(err, "cannot write '%s/%s%s': %s", e->f->tree, e->f->path,
		               NEW_SUFFIX, strerror(saved));
	}
	if (close(fd) < 0)
		return err_set(err, "cannot write '%s/%s%s': %s", e->f->tree, e->f->path,
		               NEW_SUFFIX, strerror(errno));
	return 0;
}

static int keep_backup(struct entry *e, struct buf *err)
{
	struct buf old = BUF_INIT, bak = BUF_INIT;
	int r = 0;

	old.max = (size_t)1 << 30;
	if (file_read_nofollow(e->dfd, e->name, &old) == 0) {
		buf_addf(&bak, "%s.orig", e->name);
		if (file_write_beneath(e->dfd, bak.data, old.data, old.len, e->mode, err) < 0)
			r = err_prefix(err, "cannot keep a backup: ");
	}
	buf_release(&old);
	buf_release(&bak);
	return r;
}

/* 1 when the file already holds the new content, 0 not, -1 error. */
static int prepare_entry(struct entry *e, const struct apply_file *f, struct buf *err)
{
	struct buf cur = BUF_INIT;
	struct stat st;
	int same;

	e->f = f;
	e->mode = 0644;
	buf_init(&e->tmp, 0);
	e->dfd = open_parent(f->tree, f->path, &e->name);
	if (e->dfd < 0)
		return err_set(err, "cannot open the directory of '%s/%s': %s", f->tree, f->path,
		               strerror(errno));
	buf_addf(&e->tmp, "%s%s", e->name, NEW_SUFFIX);
	sha256_hex(f->data, f->len, e->sha);
	if (fstatat(e->dfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		e->mode = st.st_mode;
	cur.max = f->len + 1;
	same = file_read_nofollow(e->dfd, e->name, &cur) == 0 && cur.len == f->len &&
	       memcmp(cur.data, f->data, f->len) == 0;
	buf_release(&cur);
	return same;
}

static void entries_release(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (e[i].dfd >= 0)
			close(e[i].dfd);
		buf_release(&e[i].tmp);
	}
	free(e);
}

int apply_commit(const struct apply_set *s, const char *state_dir, int no_backup,
                 const struct apply_hooks *hooks, struct strlist *written, struct buf *err)
{
	struct entry *e = xcalloc(s->n + 1, sizeof(*e));
	size_t n = 0, i;
	int sfd, r = -1;

	sfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0) {
		free(e);
		return err_set(err, "cannot open '%s': %s", state_dir, strerror(errno));
	}
	if (faccessat(sfd, JOURNAL, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		err_set(err,
		        "an earlier --apply was interrupted ('%s/%s'): run 'optimize apply "
		        "--recover' first",
		        state_dir, JOURNAL);
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		int same = prepare_entry(&e[n], &s->v[i], err);
		if (same < 0) {
			n++;
			goto out;
		}
		if (same) {
			close(e[n].dfd);
			buf_release(&e[n].tmp);
			continue;
		}
		n++;
	}
	if (!n) {
		r = 0;
		goto out;
	}
	/* 1. the journal, 2. the new files, 3. the commit mark. */
	if (write_journal(sfd, e, n, "prepare", err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (write_new(&e[i], err) < 0 || (!no_backup && keep_backup(&e[i], err) < 0))
			break;
	if (i < n || write_journal(sfd, e, n, "commit", err) < 0) {
		for (i = 0; i < n; i++)
			unlinkat(e[i].dfd, e[i].tmp.data, 0);
		unlinkat(sfd, JOURNAL, 0);
		goto out;
	}
	/* 4. the renames; from here on a crash is finished by apply_recover. */
	for (i = 0; i < n; i++) {
		if (renameat(e[i].dfd, e[i].tmp.data, e[i].dfd, e[i].name) < 0) {
			err_set(err, "cannot replace '%s/%s': %s (run 'optimize apply --recover')",
			        e[i].f->tree, e[i].f->path, strerror(errno));
			goto out;
		}
		fsync(e[i].dfd);
		if (written)
			strlist_push(written, e[i].f->path);
		if (hooks && hooks->after_rename)
			hooks->after_rename(i, hooks->ctx);
	}
	/* 5. done. */
	unlinkat(sfd, JOURNAL, 0);
	fsync(sfd);
	r = 0;
out:
	entries_release(e, n);
	close(sfd);
	return r;
}

static int recover_one(const cJSON *o, int forward, struct strlist *what, struct buf *err)
{
	const char *tree = json_get_string(o, "tree", NULL),
	           *path = json_get_string(o, "path", NULL);
	const char *sha = json_get_string(o, "sha256", "");
	struct buf tmp = BUF_INIT, cur = BUF_INIT;
	const char *name;
	char hex[SHA256_HEX_LEN + 1];
	int dfd, r = 0;

	if (!tree || !path)
		return err_set(err, "the apply journal is damaged (a file without tree or path)");
	dfd = open_parent(tree, path, &name);
	if (dfd < 0)
		return err_set(err, "cannot open the directory of '%s/%s': %s", tree, path,
		               strerror(errno));
	buf_addf(&tmp, "%s%s", name, NEW_SUFFIX);
	if (!forward) {
		unlinkat(dfd, tmp.data, 0);
	} else if (faccessat(dfd, tmp.data, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (renameat(dfd, tmp.data, dfd, name) < 0)
			r = err_set(err, "cannot replace '%s/%s': %s", tree, path, strerror(errno));
		fsync(dfd);
	} else {
		/* Already renamed: it must hold what the journal says. */
		cur.max = (size_t)1 << 30;
		if (file_read_nofollow(dfd, name, &cur) < 0)
			r = err_set(err, "'%s/%s' is missing", tree, path);
		else if (sha256_hex(cur.data, cur.len, hex), strcmp(hex, sha))
			r = err_set(err, "'%s/%s' changed after the interrupted --apply; check it",
			            tree, path);
	}
	if (r == 0)
		strlist_pushf(what, "%s/%s", tree, path);
	close(dfd);
	buf_release(&tmp);
	buf_release(&cur);
	return r;
}

int apply_recover(const char *state_dir, struct strlist *what, struct buf *err)
{
	struct buf text = BUF_INIT;
	cJSON *root = NULL;
	const cJSON *files, *o;
	int sfd, forward, r = -1;

	sfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return errno == ENOENT
		           ? 0
		           : err_set(err, "cannot open '%s': %s", state_dir, strerror(errno));
	if (file_read_nofollow(sfd, JOURNAL, &text) < 0) {
		r = errno == ENOENT ? 0
		                    : err_set(err, "cannot read '%s/%s': %s", state_dir, JOURNAL,
		                              strerror(errno));
		goto out;
	}
	root = json_parse(text.data, text.len, JOURNAL, err);
	files = root ? cJSON_GetObjectItemCaseSensitive(root, "files") : NULL;
	if (!cJSON_IsArray(files)) {
		err_set(err, "the apply journal '%s/%s' is damaged", state_dir, JOURNAL);
		goto out;
	}
	forward = !strcmp(json_get_string(root, "state", ""), "commit");
	cJSON_ArrayForEach(o, files)
	{
		if (recover_one(o, forward, what, err) < 0)
			goto out;
	}
	unlinkat(sfd, JOURNAL, 0);
	fsync(sfd);
	r = forward ? 1 : 2;
out:
	cJSON_Delete(root);
	buf_release(&text);
	close(sfd);
	return r;
}
