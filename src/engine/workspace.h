/*
 * workspace.h: candidate workspaces and the only code that writes the
 * user's tree.
 *
 * During a run the user's tree is only read. Each candidate is built in its
 * own copy (ws_copy_tree) under .optimize/work/<run-id>/, or under a
 * temporary directory when the tree is read-only. The one place that
 * writes back into the tree is apply.h, and only for `optimize run --apply`.
 */
#ifndef OPTIMIZE_WORKSPACE_H
#define OPTIMIZE_WORKSPACE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"
#include "engine/manifest.h"

/* Directory names never copied into a workspace. */
int ws_is_skipped_dir(const char *name);

/* Copy src into dst (created; must not exist or be empty), recursively:
 * regular files with their mode bits, symlinks as symlinks, skipping
 * .optimize and .git. */
int ws_copy_tree(const char *src, const char *dst, struct buf *err);

/* Remove a directory tree (used for workspaces only). */
int ws_remove_tree(const char *path, struct buf *err);

/* Relative paths of the regular files under root (skipping .optimize, .git), sorted. */
int ws_list_files(const char *root, struct strlist *out, struct buf *err);

/*
 * Protected files: every file of the original tree that is not editable
 * (`editable` or `kernels` globs) and not a declared build output must be
 * byte-identical in the candidate's workspace. New files are allowed (build
 * outputs, files a verify run writes). Returns 0 when all hold, 1 when one
 * changed or disappeared (msg names it), -1 on an I/O error.
 */
int ws_check_protected(const char *original, const char *candidate, const struct target *t,
                       const struct strlist *original_files, struct buf *msg, struct buf *err);

/* 1 if relpath may be edited by a candidate (editable or kernels globs). */
int ws_is_editable(const struct target *t, const char *relpath);

/* Unified diff (diff -u, through the process runner) of the listed files
 * between two trees, with a/ and b/ labels. Empty when nothing differs. */
int ws_diff(const char *orig_root, const char *new_root, const struct strlist *files,
            struct buf *patch, struct buf *err);

/*
 * What a build produced: a hash of the code in dir's ELF files (see
 * binfile_code_hash: loaded sections only, dir's own path stripped), in path
 * order, so that two workspaces built the same way compare equal; hex is ""
 * when dir holds no ELF file. lines (NULL = not wanted) gets the compiler
 * command lines recorded in them (binfile_compiler_lines). 0, or -1.
 */
int ws_build_products(const char *dir, char hex[65], struct strlist *lines, struct buf *err);

/* 1 if two files have the same bytes, 0 if not, -1 on error. */
int ws_files_equal(const char *a, const char *b, struct buf *err);

#endif
