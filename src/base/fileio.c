#include "base/fileio.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	struct buf dir = BUF_INIT;
	int fd;

	if (!slash)
		buf_addstr(&dir, ".");
	else if (slash == path)
		buf_addstr(&dir, "/");
	else
		buf_add(&dir, path, (size_t)(slash - path));
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
