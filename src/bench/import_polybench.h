/*
 * import_polybench.h: a PolyBench/C 4.2 tree as a suite of targets
 * (`optimize bench import polybench PATH OUT`, docs/bench.md).
 *
 * Every folder below PATH (but utilities/) that holds NAME.c and NAME.h is
 * a kernel. It becomes OUT/NAME/ with NAME.c (the only editable file),
 * NAME.h and utilities/polybench.{c,h}, and an optimize.json that
 *   - builds NAME (timed: -DPOLYBENCH_TIME at the timing dataset size) and
 *     NAME-verify (-DPOLYBENCH_DUMP_ARRAYS at a smaller size), both from
 *     the one NAME.c;
 *   - times ./NAME, comparing only its exit status ("run_compare": []): the
 *     program's own timing printout is not an output;
 *   - verifies with ./NAME-verify, comparing the dumped arrays (stderr)
 *     within a relative tolerance.
 * OUT is then a suite folder.
 */
#ifndef OPTIMIZE_BENCH_IMPORT_POLYBENCH_H
#define OPTIMIZE_BENCH_IMPORT_POLYBENCH_H

#include "base/buf.h"
#include "base/strlist.h"

struct polybench_import {
	const char *dataset; /* timing size: MINI, SMALL, MEDIUM (default), LARGE, EXTRALARGE */
	const char *verify_dataset; /* verification size (default MINI); not larger than dataset */
	double rtol, atol;          /* of the dumped arrays: 1e-6, 1e-9 */
};
void polybench_import_default(struct polybench_import *o);

/* 0 when name is a PolyBench dataset size, else -1 with err listing them. */
int polybench_dataset_check(const char *name, struct buf *err);

/*
 * Import the kernels of path into out (created); names gets the kernel
 * names in order. -1 with err when path has no utilities/polybench.h or no
 * kernel, or out already holds a kernel's folder.
 */
int polybench_import(const char *path, const char *out, const struct polybench_import *o,
                     struct strlist *names, struct buf *err);

#endif
