/*
 * nodes.h: where a suite's rows ran. Each row names its host and CPU model
 * (bench_task_run writes them); a suite run by Slurm spreads its rows over
 * nodes. A row's speedup is a head-to-head on one node, so rows stay
 * comparable; absolute values (the original's time) are not, when the CPU
 * models differ, and the table says so.
 */
#ifndef OPTIMIZE_BENCH_NODES_H
#define OPTIMIZE_BENCH_NODES_H

#include "base/buf.h"
#include "bench/table.h"

struct cJSON;

/*
 * Append the note on where the rows ran (nothing when every row ran on the
 * machine of the suite's fingerprint): "Rows ran on 2 hosts (n1, n2)", and
 * when their CPU models differ, which and that only speedups compare.
 */
void bench_nodes_note(const struct bench_table *t, struct buf *out);

/* The same note as comment lines: each line prefixed (CSV "# ", LaTeX "% "),
 * no blank line. */
void bench_nodes_note_lines(const struct bench_table *t, const char *prefix, struct buf *out);

/* The same note for table.json: "nodes": {"hosts": [...], "cpus": [...],
 * "notes": [the note's lines]} (notes empty when every row ran on the
 * fingerprint's machine). */
void bench_nodes_json(const struct bench_table *t, struct cJSON *root);

#endif
