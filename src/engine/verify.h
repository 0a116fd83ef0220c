/*
 * verify.h: differential testing against the original.
 *
 * A "capture" is one run of a command with what the manifest compares:
 * the exit status, stdout, stderr and named files, saved into a directory
 * (stdout, stderr, file.0, file.1, ... and nothing else). The original's
 * captures are the references; every candidate capture is compared with
 * them through the numeric-aware comparison (compare.h).
 */
#ifndef OPTIMIZE_VERIFY_H
#define OPTIMIZE_VERIFY_H

#include "base/buf.h"
#include "engine/manifest.h"
#include "base/proc.h"

struct capture {
	char *dir; /* where the outputs were saved */
	struct proc_result res;
	int started; /* proc_run succeeded */
};

/* Run `cmd` (sh -c) in spec->cwd, saving stdout/stderr into dir and copying
 * each COMPARE_FILE item from the workspace into dir/file.<k> afterwards. */
int verify_capture(const struct proc_spec *spec, const char *cmd, const struct compare_item *items,
                   size_t nitems, const char *dir, struct capture *out, struct buf *err);
void capture_release(struct capture *c);

/* Copy each COMPARE_FILE item from the workspace cwd into dir/file.<k>. */
int verify_collect_files(const struct compare_item *items, size_t nitems, const char *cwd,
                         const char *dir, struct buf *err);

/*
 * Compare a capture with the reference: exit status first, then each item.
 * Returns 0 when they match, 1 when they differ (msg: what differs, where,
 * with context), -1 on an I/O error.
 */
int verify_compare(const struct capture *ref, const struct capture *got,
                   const struct compare_item *items, size_t nitems, double rtol, double atol,
                   struct buf *msg, struct buf *err);

/* Default compare list (stdout) when a spec has none. */
const struct compare_item *verify_default_items(size_t *n);

#endif
