/*
 * counters_cachegrind_int.h: private to src/prof/counters_cachegrind*.c:
 * the totals, functions and lines read from cachegrind's output files
 * (counters_cachegrind_parse.c) for the backend (counters_cachegrind.c).
 */
#ifndef OPTIMIZE_COUNTERS_CACHEGRIND_INT_H
#define OPTIMIZE_COUNTERS_CACHEGRIND_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum cg_event {
	CG_IR,
	CG_I1MR,
	CG_ILMR,
	CG_DR,
	CG_D1MR,
	CG_DLMR,
	CG_DW,
	CG_D1MW,
	CG_DLMW,
	CG_BC,
	CG_BCM,
	CG_BI,
	CG_BIM,
	CG_NEVENTS,
};

struct cg_fn {
	char *key; /* module "\n" name */
	uint64_t ir;
};

struct cg_line {
	char *key; /* file "\n" line */
	char *file;
	int line;
	char *fn;
	uint64_t ev[CG_NEVENTS];
};

/* String -> index, open addressing; grows at half full. */
struct strmap {
	char **keys; /* borrowed from the entries */
	size_t *idx;
	size_t cap, n;
};

struct cg_data {
	uint64_t total[CG_NEVENTS];
	int have_summary;
	struct cg_fn *fns;
	size_t nfns, afns;
	struct strmap fnmap;
	struct cg_line *lines;
	size_t nlines, alines;
	struct strmap linemap;
};

/* Add one cachegrind output file's counts to d. 0, or -1 with err. */
/* Add one cachegrind output file to d. A file whose "cmd:" is skip_cmd
 * (the tool's own `sh -c CMD` wrapper; NULL = none) counts nothing: the
 * wrapper's instructions are not the program's, and they vary with process
 * ids and paths, which would make "deterministic" counts differ. */
int cg_parse_file(const char *path, struct cg_data *d, const char *skip_cmd, struct buf *err);
void cg_data_release(struct cg_data *d);

#endif
