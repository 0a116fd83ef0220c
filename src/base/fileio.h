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

/* mkdir -p: every missing directory of path, with mode; 0 or -1 (err). */
int file_mkdirs(const char *path, mode_t mode, struct buf *err);

#endif
