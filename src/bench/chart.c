/*
 * chart.c: the suite's charts through gnuplot. See chart.h.
 */
#include "bench/chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/proc.h"
#include "base/xalloc.h"

const char *bench_gnuplot(void)
{
	const char *g = getenv("OPTIMIZE_GNUPLOT");
	return g && *g ? g : "gnuplot";
}

struct point {
	const char *name;
	double s, lo, hi;
};

static int cmp_point(const void *a, const void *b)
{
	const struct point *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* index, name, speedup, lo, hi: sorted by speedup. */
static void speedups_data(const struct bench_table *t, struct buf *out)
{
	struct point *pt = xcalloc(t->n + 1, sizeof(*pt));

	for (size_t i = 0; i < t->n; i++) {
		const struct bench_row *r = &t->rows[i];
		pt[i].name = r->name;
		pt[i].s = bench_row_speedup(r);
		pt[i].lo = r->correct && isfinite(r->lo) ? r->lo : pt[i].s;
		pt[i].hi = r->correct && isfinite(r->hi) ? r->hi : pt[i].s;
	}
	qsort(pt, t->n, sizeof(*pt), cmp_point);
	buf_addstr(out, "# index name speedup lo hi (sorted by speedup; failed = 1.0)\n");
	for (size_t i = 0; i < t->n; i++)
		buf_addf(out, "%zu \"%s\" %.6g %.6g %.6g\n", i, pt[i].name, pt[i].s, pt[i].lo,
		         pt[i].hi);
	free(pt);
}

static double fast_at(const struct bench_table *t, double p)
{
	size_t c = 0;
	for (size_t i = 0; i < t->n; i++)
		c += t->rows[i].correct && bench_row_speedup(&t->rows[i]) > p;
	return t->n ? (double)c / (double)t->n : 0;
}

/* The curve (p, fast_p) from 0 to a bit past the largest speedup; then the marked p. */
static void fast_p_data(const struct bench_table *t, struct buf *curve, struct buf *marks)
{
	double max = 2.5;

	for (size_t i = 0; i < t->n; i++)
		if (bench_row_speedup(&t->rows[i]) * 1.1 > max)
			max = bench_row_speedup(&t->rows[i]) * 1.1;
	buf_addstr(curve, "# p fast_p\n");
	for (int k = 0; k <= 1000; k++) {
		double p = max * k / 1000;
		buf_addf(curve, "%.6g %.6g\n", p, fast_at(t, p));
	}
	buf_addstr(marks, "# p fast_p (the suite's p)\n");
	for (size_t k = 0; k < t->agg.np; k++)
		buf_addf(marks, "%.6g %.6g\n", t->agg.p[k], t->agg.fast_p[k]);
}

static void script(struct buf *gp, const char *term, const char *ext)
{
	buf_addf(gp,
	         "set terminal %s size %d,%d noenhanced font 'sans,10'\n"
	         "set output 'speedups.%s'\n"
	         "set title 'Speedup per target (original / best), sorted, 95%% interval'\n"
	         "set ylabel 'speedup'\nset xtics rotate by -45 nomirror\nset grid ytics\n"
	         "set key off\nset style fill solid 0.4\nset boxwidth 0.6\n"
	         "set yrange [0:*]\nset offsets 0.5, 0.5, graph 0.1, 0\n"
	         "plot 'charts/speedups.dat' using 1:3:xticlabels(2) with boxes lc rgb '#4477aa', "
	         "'' using 1:3:4:5 with yerrorbars lc rgb '#222222' pt 7 ps 0.5, "
	         "1 with lines dt 2 lc rgb '#888888'\n"
	         "reset\n"
	         "set terminal %s size %d,%d noenhanced font 'sans,10'\n"
	         "set output 'fast_p.%s'\n"
	         "set title 'fast_p: share of all targets correct and faster than p'\n"
	         "set xlabel 'p (speedup threshold)'\nset ylabel 'fast_p'\n"
	         "set yrange [0:1.05]\nset grid\nset key off\n"
	         "plot 'charts/fast_p.dat' using 1:2 with steps lw 2 lc rgb '#4477aa', "
	         "'charts/fast_p_marks.dat' using 1:2 with points pt 7 lc rgb '#cc3311'\n"
	         "unset output\nreset\n",
	         term, BENCH_CHART_WIDTH, BENCH_CHART_HEIGHT, ext, term, BENCH_CHART_WIDTH,
	         BENCH_CHART_HEIGHT, ext);
}

static int write_in(const char *dir, const char *name, const struct buf *b, struct buf *err)
{
	struct buf p = BUF_INIT;
	int r;
	buf_addf(&p, "%s/charts/%s", dir, name);
	r = file_write_atomic(p.data, b->data ? b->data : "", b->len, 0644, err);
	buf_release(&p);
	return r;
}

static int run_gnuplot(const char *dir, volatile sig_atomic_t *cancel, struct buf *err)
{
	const char *argv[] = {bench_gnuplot(), "charts/charts.gp", NULL};
	struct proc_spec spec;
	struct proc_result res;
	struct buf eb = BUF_INIT;
	int r;

	proc_spec_init(&spec);
	spec.argv = argv;
	spec.cwd = dir;
	spec.stderr_buf = &eb;
	spec.timeout_s = 120;
	spec.cancel = cancel;
	proc_limits_default(&spec.limits);
	r = proc_run(&spec, &res, err);
	if (r == 0 && !(res.exited && res.exit_code == 0)) {
		buf_rtrim(&eb);
		r = err_set(err, "%s failed%s%s", argv[0], eb.len ? ": " : "", buf_str(&eb));
	} else if (r < 0) {
		err_prefix(err, "cannot run gnuplot (Debian: apt-get install gnuplot-nox): ");
	}
	buf_release(&eb);
	return r;
}

int bench_chart_files(const char *dir, const struct bench_table *t, volatile sig_atomic_t *cancel,
                      struct buf *err)
{
	struct buf d = BUF_INIT, c = BUF_INIT, m = BUF_INIT, gp = BUF_INIT;
	int r;

	buf_addf(&d, "%s/charts", dir);
	r = file_mkdirs(d.data, 0755, err);
	buf_reset(&d);
	speedups_data(t, &d);
	fast_p_data(t, &c, &m);
	buf_addstr(&gp,
	           "# optimize bench: the suite's charts; run `gnuplot charts/charts.gp` in the "
	           "output folder\n");
	script(&gp, "svg", "svg");
	script(&gp, "pngcairo", "png");
	if (r == 0)
		r = write_in(dir, "speedups.dat", &d, err);
	if (r == 0)
		r = write_in(dir, "fast_p.dat", &c, err);
	if (r == 0)
		r = write_in(dir, "fast_p_marks.dat", &m, err);
	if (r == 0)
		r = write_in(dir, "charts.gp", &gp, err);
	if (r == 0)
		r = run_gnuplot(dir, cancel, err);
	buf_release(&d);
	buf_release(&c);
	buf_release(&m);
	buf_release(&gp);
	return r;
}
