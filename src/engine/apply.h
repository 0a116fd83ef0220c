/*
 * apply.h: --apply, atomic for the whole change. The only writer of the
 * user's tree.
 *
 * What is written is what the tool holds in memory: the content of the
 * winner's files as verified and measured (candidate.h keeps them from the
 * proposal on), never a file re-read from a directory a candidate's
 * processes could have written.
 *
 * One change may span several files (and several targets of a tree). It is
 * made in steps a crash cannot leave half done:
 *   1. a journal (<state>/apply-journal.json, written atomically) names
 *      every file and the new file written next to it ("<file>.optimize-new");
 *   2. each new file is written and fsynced next to its target (and each
 *      <file>.orig kept, unless no_backup);
 *   3. the journal is marked "commit" (atomically, fsynced);
 *   4. the renames, each new file over its target;
 *   5. the journal is removed.
 * apply_recover finishes what a killed apply left: before the commit mark
 * it rolls back (removes the new files; the tree is as it was), after it
 * rolls forward (the remaining renames). Every later `optimize run` does
 * it first, and so does `optimize apply --recover`. No temporary file is
 * left behind either way.
 *
 * Paths inside the tree are reached beneath a descriptor of the tree with
 * no link followed (fileio.h), so a link placed in the tree cannot send a
 * write elsewhere.
 */
#ifndef OPTIMIZE_APPLY_H
#define OPTIMIZE_APPLY_H

#include <stddef.h>

#include "base/buf.h"
#include "base/strlist.h"

struct apply_file {
	char *tree; /* the user's tree */
	char *path; /* relative to tree */
	char *data; /* the new content (owned) */
	size_t len;
};

struct apply_set {
	struct apply_file *v;
	size_t n;
};

/* Add a copy of one file's new content to the set. */
void apply_set_add(struct apply_set *s, const char *tree, const char *path, const char *data,
                   size_t len);
void apply_set_release(struct apply_set *s);

/* For tests: called after the i-th rename (0-based). */
struct apply_hooks {
	void (*after_rename)(size_t i, void *ctx);
	void *ctx;
};

/*
 * Write the set into the trees (files whose content is already that are
 * skipped). state_dir holds the journal. written gets "tree-relative path"
 * of each file written. 0, or -1 with err (then the tree is as it was, or
 * the journal says what is left: apply_recover).
 */
int apply_commit(const struct apply_set *s, const char *state_dir, int no_backup,
                 const struct apply_hooks *hooks, struct strlist *written, struct buf *err);

/*
 * Finish a killed apply from state_dir's journal: 0 when there was none,
 * 1 rolled forward, 2 rolled back (what names the files), -1 with err.
 */
int apply_recover(const char *state_dir, struct strlist *what, struct buf *err);

#endif
