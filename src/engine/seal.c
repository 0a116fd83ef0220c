/*
 * seal.c: a workspace's build sealed, and checked before each timed run of
 * the side another candidate is measured against. See seal.h.
 */
#include "engine/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sha256.h"
#include "base/xalloc.h"
#include "engine/workspace.h"

struct seal_entry {
	char *rel;
	dev_t dev;
	ino_t ino;
	off_t size;
	mode_t mode;
	struct timespec mtime, ctime;
	unsigned char digest[SHA256_DIGEST_LEN];
};

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * Hash the regular file path (no link followed) into d; *elf says whether
 * it starts like an ELF file; st gets its identity. 0, or -1 with errno.
 */
static int hash_file(const char *path, unsigned char d[SHA256_DIGEST_LEN], int *elf,
                     struct stat *st)
{
	struct sha256_ctx ctx;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), first = 1;

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	*elf = 0;
	sha256_init(&ctx);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (first && n >= 4 && !memcmp(chunk, "\177ELF", 4))
			*elf = 1;
		first = 0;
		sha256_update(&ctx, chunk, (size_t)n);
	}
	close(fd);
	if (n < 0)
		return -1;
	sha256_final(&ctx, d);
	return 0;
}

static void set_identity(struct seal_entry *e, const struct stat *st)
{
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mode = st->st_mode;
	e->mtime = st->st_mtim;
	e->ctime = st->st_ctim;
}

int ws_seal_take(const char *dir, const struct strlist *also, struct ws_seal *s, struct buf *err)
{
	struct strlist files = {0};
	struct buf path = BUF_INIT;

	memset(s, 0, sizeof(*s));
	if (ws_list_files(dir, &files, err) < 0)
		return -1;
	s->dir = xstrdup(dir);
	for (size_t i = 0; i < files.n; i++) {
		struct seal_entry e;
		struct stat st;
		int elf;

		memset(&e, 0, sizeof(e));
		buf_setf(&path, "%s/%s", dir, files.v[i]);
		if (hash_file(path.data, e.digest, &elf, &st) < 0)
			continue; /* not a regular file (any more): nothing to seal */
		if (!elf && !(st.st_mode & 0111) && !(also && strlist_has(also, files.v[i])))
			continue;
		set_identity(&e, &st);
		e.rel = xstrdup(files.v[i]);
		s->e = xreallocarray(s->e, s->n + 1, sizeof(*s->e));
		s->e[s->n++] = e;
	}
	strlist_release(&files);
	buf_release(&path);
	return 0;
}

int ws_seal_check(struct ws_seal *s, struct buf *why, struct buf *err)
{
	const char *dir = s->dir;
	struct buf path = BUF_INIT;
	int r = 0;

	(void)err;
	for (size_t i = 0; i < s->n && !r; i++) {
		struct seal_entry *e = &s->e[i];
		unsigned char d[SHA256_DIGEST_LEN];
		struct stat st;
		int elf;

		buf_setf(&path, "%s/%s", dir, e->rel);
		if (lstat(path.data, &st) < 0) {
			buf_setf(why, "'%s' was removed", e->rel);
			r = 1;
		} else if (!S_ISREG(st.st_mode)) {
			buf_setf(why, "'%s' was replaced by %s", e->rel,
			         S_ISLNK(st.st_mode) ? "a symbolic link"
			                             : "something else than a file");
			r = 1;
		} else if (st.st_dev == e->dev && st.st_ino == e->ino && st.st_size == e->size &&
		           st.st_mode == e->mode && same_time(&st.st_mtim, &e->mtime) &&
		           same_time(&st.st_ctim, &e->ctime)) {
			continue; /* untouched: no candidate can set ctime back */
		} else if (hash_file(path.data, d, &elf, &st) < 0) {
			buf_setf(why, "'%s' cannot be read any more: %s", e->rel, strerror(errno));
			r = 1;
		} else if (memcmp(d, e->digest, sizeof(d))) {
			buf_setf(why, "'%s' was rewritten (its content changed)", e->rel);
			r = 1;
		} else if ((st.st_mode & 07777) != (e->mode & 07777)) {
			buf_setf(why, "the mode of '%s' changed", e->rel);
			r = 1;
		} else {
			set_identity(e, &st); /* the same bytes, touched or copied back */
		}
	}
	buf_release(&path);
	return r;
}

void ws_seal_release(struct ws_seal *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].rel);
	free(s->e);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}
