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

/* mkdir -p: every missing directory of path, with mode; 0 or -1 (err). */
int file_mkdirs(const char *path, mode_t mode, struct buf *err);

#endif
