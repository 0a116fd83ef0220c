/*
 * seal.h: a workspace's build, sealed against later change.
 *
 * A candidate's processes run as the same user as the tool; without the
 * mount namespace (or as root able to undo it) one could replace the
 * original's binary with a slow wrapper, and any rewrite would look fast
 * (issue 9, item 4). So the workspace of every side that another candidate
 * is timed against is sealed once it is built, verified and tested, and
 * checked before each of its timed runs.
 *
 * What is sealed: the regular files of the workspace that are ELF files or
 * executable (any x bit), and the given tree files (the original tree's:
 * scripts, inputs). Each is recorded with its identity (device, inode,
 * size, mtime, ctime, mode) and a SHA-256 of its content. A check that
 * finds a file's identity unchanged trusts it (no candidate can set ctime);
 * otherwise the content is hashed again. A file that vanished, changed or
 * became a link is a mismatch. New files are not (runs may leave outputs).
 */
#ifndef OPTIMIZE_SEAL_H
#define OPTIMIZE_SEAL_H

#include "base/buf.h"
#include "base/strlist.h"

struct seal_entry;

struct ws_seal {
	char *dir;
	struct seal_entry *e;
	size_t n;
};

/* Seal dir: its executables and ELF files, and the files of `also` (NULL =
 * none) that exist in dir. 0, or -1 with err. */
int ws_seal_take(const char *dir, const struct strlist *also, struct ws_seal *s, struct buf *err);

/* 0 unchanged, 1 changed (why names the file and what changed), -1 error. */
int ws_seal_check(struct ws_seal *s, struct buf *why, struct buf *err);

void ws_seal_release(struct ws_seal *s);

#endif
