/*
 * verify.h: differential testing against the original.
 *
 * A "capture" is one run of a command with what the manifest compares:
 * the exit status, stdout, stderr and named files. It is held in memory:
 * the original's captures are the references, and nothing a candidate's
 * processes can write (a file in a workspace or in the state directory) is
 * read back as a reference. Copies are saved for people to read (stdout,
 * stderr, file.0, file.1, ... under a directory beneath the tool's state
 * directory, written without following links), never read back.
 *
 * An output past its cap (the process runner's output_cap for stdout and
 * stderr, VERIFY_FILE_MAX for a file) is never compared cut short: the
 * comparison fails and says so.
 */
#ifndef OPTIMIZE_VERIFY_H
#define OPTIMIZE_VERIFY_H

#include "base/buf.h"
#include "engine/manifest.h"
#include "base/proc.h"

#define VERIFY_FILE_MAX ((size_t)64 << 20) /* bytes of one compared output file */

struct capture_file {
	struct buf data;
	int present; /* the run wrote it */
	int too_big; /* it passed VERIFY_FILE_MAX: data holds nothing */
};

struct capture {
	struct proc_result res;
	int started;                /* proc_run succeeded */
	struct buf out, err;        /* stdout and stderr, up to the output cap */
	struct capture_file *files; /* one per compare item (used for COMPARE_FILE items) */
	size_t nfiles;
};

/* Where a copy of a capture is saved: rel (a directory, created) beneath dirfd. */
struct capture_save {
	int dirfd;
	const char *rel;
};

/*
 * Run `cmd` (sh -c) with spec, keeping stdout and stderr in memory, then
 * read each COMPARE_FILE item from the workspace (ws_fd, the directory spec
 * runs in, opened by the caller: outputs are read beneath it, links never
 * followed, regular files only). save: where a copy goes (NULL = none).
 */
int verify_capture(const struct proc_spec *spec, const char *cmd, const struct compare_item *items,
                   size_t nitems, int ws_fd, const struct capture_save *save, struct capture *out,
                   struct buf *err);
void capture_release(struct capture *c);

/* Read each COMPARE_FILE item beneath ws_fd into c (after the run). */
int verify_collect_files(const struct compare_item *items, size_t nitems, int ws_fd,
                         struct capture *c, struct buf *err);

/* Save a copy of c beneath save (for people; best effort: -1 with err). */
int verify_save(const struct capture *c, const struct compare_item *items, size_t nitems,
                const struct capture_save *save, struct buf *err);

/*
 * Compare a capture with the reference: exit status first, then each item.
 * Returns 0 when they match, 1 when they differ or an output passed its cap
 * (msg: what differs, where, with context), -1 on an error.
 */
int verify_compare(const struct capture *ref, const struct capture *got,
                   const struct compare_item *items, size_t nitems, double rtol, double atol,
                   struct buf *msg, struct buf *err);

/* 1 when a compared output of c passed its cap (msg names it), else 0. */
int verify_over_cap(const struct capture *c, const struct compare_item *items, size_t nitems,
                    struct buf *msg);

/* Default compare list (stdout) when a spec has none. */
const struct compare_item *verify_default_items(size_t *n);

#endif
