#include "base/fileio.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int fd_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

void path_dirname(struct buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		buf_addstr(out, ".");
	else if (slash == path)
		buf_addstr(out, "/");
	else
		buf_add(out, path, (size_t)(slash - path));
}

static void fsync_parent(const char *path)
{
	struct buf dir = BUF_INIT;
	int fd;

	path_dirname(&dir, path);
	fd = open(buf_str(&dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	buf_release(&dir);
}

/* The data in a fresh temporary file next to path (its name in tmp),
 * fsync'd. 0, or -1 with err and nothing left behind. */
static int write_temp(const char *path, const void *data, size_t len, mode_t mode, struct buf *tmp,
                      struct buf *err)
{
	int fd, saved;

	buf_addf(tmp, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp->data, O_CLOEXEC);
	if (fd < 0)
		return err_set(err, "cannot create a temporary file next to '%s': %s", path,
		               strerror(errno));
	if (fchmod(fd, mode & 07777) < 0 || fd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp->data);
		return err_set(err, "cannot write '%s': %s", path, strerror(saved));
	}
	if (close(fd) < 0) {
		saved = errno;
		unlink(tmp->data);
		return err_set(err, "cannot write '%s': %s", path, strerror(saved));
	}
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	int saved;

	if (write_temp(path, data, len, mode, &tmp, err) < 0) {
		buf_release(&tmp);
		return -1;
	}
	if (rename(tmp.data, path) < 0) {
		saved = errno;
		unlink(tmp.data);
		err_set(err, "cannot replace '%s': %s", path, strerror(saved));
		buf_release(&tmp);
		return -1;
	}
	fsync_parent(path);
	buf_release(&tmp);
	return 0;
}

int file_write_new(const char *path, const void *data, size_t len, mode_t mode, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	int r = 0, saved;

	if (write_temp(path, data, len, mode, &tmp, err) < 0) {
		buf_release(&tmp);
		return -1;
	}
	if (link(tmp.data, path) == 0) {
		fsync_parent(path);
	} else if (errno == EEXIST) {
		r = 1;
	} else if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EMLINK) {
		/* No hard links on this file system: the last writer wins. */
		if (rename(tmp.data, path) == 0) {
			fsync_parent(path);
			buf_release(&tmp);
			return 0;
		}
		saved = errno;
		r = err_set(err, "cannot create '%s': %s", path, strerror(saved));
	} else {
		saved = errno;
		r = err_set(err, "cannot create '%s': %s", path, strerror(saved));
	}
	unlink(tmp.data);
	buf_release(&tmp);
	return r;
}

int file_mkdirs(const char *path, mode_t mode, struct buf *err)
{
	char *p = xstrdup(path);
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			err_set(err, "cannot create directory '%s': %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST) {
		err_set(err, "cannot create directory '%s': %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

/* ---- beneath a trusted directory ---- */

static int openat2_state = -1; /* -1 unknown, 0 missing, 1 works */

static int try_openat2(int dirfd, const char *rel, int flags, mode_t mode)
{
#ifdef SYS_openat2
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)flags;
	how.mode = (flags & (O_CREAT | O_TMPFILE)) ? (uint64_t)(mode & 07777) : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
#else
	(void)dirfd;
	(void)rel;
	(void)flags;
	(void)mode;
	errno = ENOSYS;
	return -1;
#endif
}

int file_have_openat2(void)
{
	if (openat2_state < 0) {
		int fd = try_openat2(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		openat2_state = fd >= 0 || (errno != ENOSYS && errno != EPERM);
		if (fd >= 0)
			close(fd);
	}
	return openat2_state;
}

/* The fallback: each directory component with O_NOFOLLOW, then the last. */
static int open_walk(int dirfd, const char *rel, int flags, mode_t mode)
{
	char *copy = xstrdup(rel), *s = copy, *slash;
	int cur = dirfd, fd, saved;

	while ((slash = strchr(s, '/'))) {
		*slash = '\0';
		if (!*s || !strcmp(s, ".")) {
			s = slash + 1;
			continue;
		}
		if (!strcmp(s, "..")) {
			errno = EXDEV;
			fd = -1;
			goto out;
		}
		fd = openat(cur, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			goto out;
		if (cur != dirfd)
			close(cur);
		cur = fd;
		s = slash + 1;
	}
	if (!strcmp(s, "..")) {
		errno = EXDEV;
		fd = -1;
		goto out;
	}
	fd = openat(cur, *s ? s : ".", flags, mode & 07777);
out:
	saved = errno;
	if (cur != dirfd)
		close(cur);
	free(copy);
	errno = saved;
	return fd;
}

int file_openat_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	int fd;

	flags |= O_CLOEXEC | O_NOFOLLOW;
	if (!rel || rel[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	if (file_have_openat2()) {
		do
			fd = try_openat2(dirfd, rel, flags, mode);
		while (fd < 0 && errno == EAGAIN);
		return fd;
	}
	return open_walk(dirfd, rel, flags, mode);
}

int file_mkdirs_beneath(int dirfd, const char *rel, mode_t mode, struct buf *err)
{
	char *p = xstrdup(rel), *s = p, *slash;
	int cur = dirfd, r = 0;

	/* One component at a time, never through a link, never above dirfd. */
	do {
		int fd;

		slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		if (!*s || !strcmp(s, ".")) {
			s = slash + 1;
			continue;
		}
		if (!strcmp(s, "..") || (mkdirat(cur, s, mode) < 0 && errno != EEXIST) ||
		    (fd = openat(cur, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			int saved = !strcmp(s, "..") ? EXDEV : errno;
			r = err_set(err, "cannot create directory '%s': %s", rel,
			            saved == EXDEV ? "'..' is not allowed" : strerror(saved));
			errno = saved;
			break;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
		s = slash + 1;
	} while (slash);
	if (cur != dirfd)
		close(cur);
	free(p);
	return r;
}

int file_write_beneath(int dirfd, const char *rel, const void *data, size_t len, mode_t mode,
                       struct buf *err)
{
	const char *slash = strrchr(rel, '/');
	const char *name = slash ? slash + 1 : rel;
	struct buf dir = BUF_INIT, tmp = BUF_INIT;
	int dfd, fd = -1, r = -1, saved;
	unsigned long long rnd = 0;

	path_dirname(&dir, rel);
	dfd = file_openat_beneath(dirfd, dir.data, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0) {
		err_set(err, "cannot open the directory of '%s': %s", rel, strerror(errno));
		goto out;
	}
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = rnd * 6364136223846793005ULL + (unsigned long long)ts.tv_nsec +
		      (unsigned long long)getpid();
		buf_setf(&tmp, "%s.tmp.%06llx", name, rnd & 0xffffff);
		fd = openat(dfd, tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		            0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err_set(err, "cannot create a temporary file next to '%s': %s", rel,
		        strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode & 07777) < 0 || fd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlinkat(dfd, tmp.data, 0);
		err_set(err, "cannot write '%s': %s", rel, strerror(saved));
		goto out;
	}
	if (close(fd) < 0 || renameat(dfd, tmp.data, dfd, name) < 0) {
		saved = errno;
		unlinkat(dfd, tmp.data, 0);
		err_set(err, "cannot replace '%s': %s", rel, strerror(saved));
		goto out;
	}
	fsync(dfd);
	r = 0;
out:
	if (dfd >= 0)
		close(dfd);
	buf_release(&dir);
	buf_release(&tmp);
	return r;
}

int file_put_beneath(int dirfd, const char *rel, const void *data, size_t len, struct buf *err)
{
	int fd = file_openat_beneath(dirfd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644), saved;

	if (fd < 0 || fd_write_all(fd, data, len) < 0) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		err_set(err, "cannot write '%s': %s", rel, strerror(saved));
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

int file_read_nofollow(int dirfd, const char *rel, struct buf *out)
{
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd, saved;

	if (dirfd == AT_FDCWD && rel[0] == '/')
		fd = open(rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	else
		fd = file_openat_beneath(dirfd, rel, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (buf_add(out, chunk, (size_t)n) < 0) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	if (!out->data)
		buf_addstr(out, "");
	return 0;
}
