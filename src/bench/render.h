/*
 * render.h: a suite's table in every format, from the journal only
 * (table.h), so `optimize bench report DIR` re-renders without running
 * anything. Every format starts with the environment fingerprint (CPU,
 * compiler, tool version and commit, model, seed, objective).
 *
 *   table.md    Markdown: the rows, fast_p, the geometric means
 *   table.csv   one line per target (# comment lines carry the fingerprint)
 *   table.json  schema "optimize.bench", schema_version 1 (docs/bench.md)
 *   table.tex   a LaTeX tabular (booktabs rules), % comments carry the fingerprint
 *   speedups.svg|png, fast_p.svg|png   charts (chart.h)
 */
#ifndef OPTIMIZE_BENCH_RENDER_H
#define OPTIMIZE_BENCH_RENDER_H

#include "base/buf.h"
#include "bench/table.h"

struct cJSON;

#define BENCH_TABLE_SCHEMA         "optimize.bench"
#define BENCH_TABLE_SCHEMA_VERSION 1

void bench_render_md(const struct bench_table *t, struct buf *out);
void bench_render_csv(const struct bench_table *t, struct buf *out);
void bench_render_latex(const struct bench_table *t, struct buf *out);
struct cJSON *bench_render_json(const struct bench_table *t);

/* One line of the fingerprint: "cpu ... | compiler ... | optimize 0.1.0 (commit) | ..." */
void bench_fingerprint_line(const struct bench_table *t, struct buf *out);

/*
 * Write table.md, table.csv, table.json and table.tex into dir (atomic).
 * 0, or -1 with err.
 */
int bench_render_files(const char *dir, const struct bench_table *t, struct buf *err);

#endif
