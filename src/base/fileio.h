/*
 * fileio.h: the one atomic file writer and the one write loop.
 *
 * file_write_atomic writes to a unique temporary file in the same
 * directory (mkostemp), fsyncs it, renames it over path, then fsyncs the
 * directory (best effort: some file systems refuse it). A reader, or a
 * concurrent run, sees the old file or the whole new one, never a part; a
 * failure or an interruption leaves the old file and no temporary behind.
 * Reports, caches, captures and `--apply` all write through it.
 */
#ifndef OPTIMIZE_FILEIO_H
#define OPTIMIZE_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"

/* write(2) until all n bytes are written (retrying EINTR); 0 or -1 with errno. */
int fd_write_all(int fd, const void *p, size_t n);

/* Atomically replace path with data; mode is applied exactly (no umask). */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct buf *err);

/*
 * Create path with data unless it exists, atomically: the data goes to a
 * unique temporary file (fsync'd), then link(2) publishes it under path,
 * which fails when another writer got there first. 0 when this call
 * created path, 1 when it existed (left as it is), -1 with err. Readers
 * never see a partial file, and a file once there never changes: for
 * content-addressed stores written by concurrent processes (the LLM
 * response cache shared by Slurm tasks). On a file system without hard
 * links it falls back to rename (the last writer wins).
 */
int file_write_new(const char *path, const void *data, size_t len, mode_t mode, struct buf *err);

/*
 * The directory part of path appended to out, as dirname(1) gives it for
 * the paths the tool makes: "." when path has no '/', "/" for "/name",
 * else everything before the last '/'. path itself is not changed.
 */
void path_dirname(struct buf *out, const char *path);

/* mkdir -p: every missing directory of path, with mode; 0 or -1 (err). */
int file_mkdirs(const char *path, mode_t mode, struct buf *err);

/*
 * Files beneath a directory the tool trusts (a descriptor it opened itself,
 * e.g. its state directory), for places where untrusted code could have
 * planted a symbolic link. rel is resolved beneath dirfd and no symbolic
 * link is followed in any component (openat2 with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS where the kernel has it;
 * elsewhere one component at a time with O_NOFOLLOW). An absolute rel,
 * "..", or a link anywhere on the way fails (errno ELOOP, EXDEV or EINVAL).
 * flags get O_CLOEXEC and O_NOFOLLOW added; with O_CREAT a file is created
 * with mode. Returns the descriptor or -1 with errno.
 */
int file_openat_beneath(int dirfd, const char *rel, int flags, mode_t mode);
/* 1 when this kernel has openat2 (RESOLVE_BENEATH), 0 for the fallback. */
int file_have_openat2(void);
/* mkdir -p of rel beneath dirfd (no link followed); 0 or -1 (err). */
int file_mkdirs_beneath(int dirfd, const char *rel, mode_t mode, struct buf *err);
/* file_write_atomic for rel beneath dirfd: the temporary file and the rename
 * stay in rel's directory, reached without following a link; a link planted
 * at rel itself is replaced, never written through. */
int file_write_beneath(int dirfd, const char *rel, const void *data, size_t len, mode_t mode,
                       struct buf *err);
/* Create or truncate rel beneath dirfd (no link followed) and write data:
 * not atomic, not synced; for logs and copies that nothing reads back. */
int file_put_beneath(int dirfd, const char *rel, const void *data, size_t len, struct buf *err);
/*
 * Read rel (beneath dirfd, or a plain path when dirfd is AT_FDCWD and rel is
 * absolute: then only the last component must not be a link) into out, up
 * to out->max: a regular file only (no FIFO, device or link, so a planted
 * FIFO cannot hang the tool). 0, or -1 with errno (EFBIG past out->max,
 * EINVAL not a regular file).
 */
int file_read_nofollow(int dirfd, const char *rel, struct buf *out);

#endif
