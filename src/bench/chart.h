/*
 * chart.h: a suite's charts, drawn by gnuplot (Debian's gnuplot-nox) from
 * a generated script and data files, run through the process runner:
 *
 *   speedups.svg|png  the targets' speedups, sorted, with their 95% interval
 *                     as whiskers (a failed target at 1.0, no whisker)
 *   fast_p.svg|png    fast_p as a curve over p (a step function: the share of
 *                     all targets correct and faster than p), the suite's p
 *                     marked
 *
 * The script and the data stay in DIR/charts/ so a figure can be restyled
 * and drawn again by hand (gnuplot charts/charts.gp, run in DIR).
 */
#ifndef OPTIMIZE_BENCH_CHART_H
#define OPTIMIZE_BENCH_CHART_H

#include <signal.h>

#include "base/buf.h"
#include "bench/table.h"

#define BENCH_CHART_WIDTH  800
#define BENCH_CHART_HEIGHT 480

/* "gnuplot", or $OPTIMIZE_GNUPLOT. */
const char *bench_gnuplot(void);

/*
 * Write the data and the script into dir/charts/ and run gnuplot in dir.
 * 0, or -1 with err (gnuplot missing or failing: its message).
 */
int bench_chart_files(const char *dir, const struct bench_table *t, volatile sig_atomic_t *cancel,
                      struct buf *err);

#endif
