/*
 * cmd_bench_tools.c: `optimize bench report DIR`, `bench compare A B`,
 * `bench import polybench PATH OUT`, and the rendering every bench command
 * ends with. See cmd_bench.h and docs/bench.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/strlist.h"
#include "bench/compare.h"
#include "bench/import_polybench.h"
#include "bench/chart.h"
#include "bench/render.h"
#include "bench/table.h"
#include "cli/cmd_bench.h"
#include "cli/options.h"

int cmd_bench_render(const char *dir, int code, int verbosity)
{
	struct bench_table t;
	struct buf err = BUF_INIT, md = BUF_INIT;

	if (bench_table_load(dir, &t, &err) < 0) {
		fprintf(stderr, "optimize bench: %s\n", err.data);
		buf_release(&err);
		return code ? code : EXIT_USAGE;
	}
	if (bench_render_files(dir, &t, &err) < 0) {
		fprintf(stderr, "optimize bench: cannot write the tables: %s\n", err.data);
		code = code ? code : EXIT_FAILURE_INTERNAL;
	}
	buf_reset(&err);
	if (bench_chart_files(dir, &t, &optimize_interrupted, &err) < 0)
		fprintf(stderr, "optimize bench: warning: the charts were not drawn: %s\n",
		        err.data);
	else if (verbosity >= 0)
		fprintf(stderr, "charts: %s/{speedups,fast_p}.{svg,png}\n", dir);
	bench_render_md(&t, &md);
	fputs(md.data, stdout);
	if (verbosity >= 0)
		fprintf(stderr, "tables: %s/table.{md,csv,json,tex}\n", dir);
	bench_table_release(&t);
	buf_release(&md);
	buf_release(&err);
	return code;
}

static void report_usage(FILE *f)
{
	fprintf(f,
	        "usage: optimize bench report DIR\n\n"
	        "Render the tables and charts of DIR again from its journal, running nothing.\n");
}

int cmd_bench_report(int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		report_usage(stdout);
		return EXIT_OK;
	}
	if (argc != 2) {
		report_usage(stderr);
		return EXIT_USAGE;
	}
	return cmd_bench_render(argv[1], EXIT_OK, ctx->verbosity);
}

static int help_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

int cmd_bench_compare(int argc, char **argv, struct cli_ctx *ctx)
{
	static const char usage[] =
	    "usage: optimize bench compare [--json] DIR_A DIR_B\n\n"
	    "Two result folders of optimize bench side by side, target by target: each\n"
	    "speedup, the paired ratio B / A, the sign test and the geometric mean of the\n"
	    "ratios with its bootstrap interval across the targets both have. --json prints\n"
	    "the same as JSON. Nothing is run.\n";
	struct bench_table a, b;
	struct bench_comparison cmp;
	struct buf err = BUF_INIT, md = BUF_INIT;
	const char *dirs[2] = {NULL, NULL};
	int json = 0, nd = 0, code = EXIT_OK;
	cJSON *j = NULL;

	(void)ctx;
	if (help_arg(argc, argv)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (nd < 2 && argv[i][0] != '-')
			dirs[nd++] = argv[i];
		else
			nd = 3;
	}
	if (nd != 2) {
		fprintf(stderr, "optimize bench compare: two result folders, please\n%s", usage);
		return EXIT_USAGE;
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (bench_table_load(dirs[0], &a, &err) < 0 || bench_table_load(dirs[1], &b, &err) < 0) {
		fprintf(stderr, "optimize bench compare: %s\n", err.data);
		code = EXIT_USAGE;
	} else {
		bench_compare(&a, &b, dirs[0], dirs[1], &cmp, &md, json ? &j : NULL);
		if (json) {
			char *t = json_print_take(j, 1);
			fputs(t, stdout);
			free(t);
			cJSON_Delete(j);
		} else {
			fputs(md.data, stdout);
		}
	}
	bench_table_release(&a);
	bench_table_release(&b);
	buf_release(&err);
	buf_release(&md);
	return code;
}

static int import_args(int argc, char **argv, struct polybench_import *o, const char **path,
                       const char **out, struct buf *err)
{
	int np = 0;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "--dataset") || !strcmp(a, "--verify-dataset") ||
		     !strcmp(a, "--rtol")) &&
		    i + 1 >= argc)
			return err_set(err, "option '%s' needs a value", a);
		if (!strcmp(a, "--dataset"))
			o->dataset = argv[++i];
		else if (!strcmp(a, "--verify-dataset"))
			o->verify_dataset = argv[++i];
		else if (!strcmp(a, "--rtol")) {
			if (opt_double("rtol", argv[++i], 0, 1, &o->rtol, err) < 0)
				return -1;
		} else if (a[0] == '-')
			return err_set(err, "unknown option '%s'", a);
		else if (np == 0)
			*path = a, np++;
		else if (np == 1)
			*out = a, np++;
		else
			return err_set(err, "unexpected argument '%s'", a);
	}
	if (np != 2)
		return err_set(err,
		               "which tree and where? (optimize bench import polybench PATH OUT)");
	return 0;
}

int cmd_bench_import(int argc, char **argv, struct cli_ctx *ctx)
{
	static const char usage[] =
	    "usage: optimize bench import polybench [options] PATH OUT\n\n"
	    "Turn the kernels of a PolyBench/C 4.2 tree at PATH into a suite folder OUT: one\n"
	    "target per kernel, its .c editable, timed at one dataset size (its own timing\n"
	    "printout not compared), verified by POLYBENCH_DUMP_ARRAYS at a smaller size\n"
	    "within a relative tolerance.\n\n"
	    "  --dataset SIZE         timing size: MINI, SMALL, MEDIUM (default), LARGE, "
	    "EXTRALARGE\n"
	    "  --verify-dataset SIZE  verification size (default MINI)\n"
	    "  --rtol X               relative tolerance of the dumped arrays (default 1e-6)\n";
	struct polybench_import o;
	struct strlist names = {0};
	struct buf err = BUF_INIT;
	const char *path = NULL, *out = NULL;
	int code = EXIT_OK;

	if (help_arg(argc, argv)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "polybench")) {
		fprintf(stderr, "optimize bench import: only 'polybench' is known\n%s", usage);
		return EXIT_USAGE;
	}
	polybench_import_default(&o);
	if (import_args(argc, argv, &o, &path, &out, &err) < 0 ||
	    polybench_import(path, out, &o, &names, &err) < 0) {
		fprintf(stderr, "optimize bench import: %s\n", err.data);
		code = EXIT_USAGE;
	} else if (ctx->verbosity >= 0) {
		fprintf(stderr,
		        "imported %zu kernel%s into %s (timing %s, verification %s):", names.n,
		        names.n == 1 ? "" : "s", out, o.dataset, o.verify_dataset);
		for (size_t i = 0; i < names.n; i++)
			fprintf(stderr, " %s", names.v[i]);
		fprintf(stderr, "\nnext: optimize bench %s --output RESULTS\n", out);
	}
	strlist_release(&names);
	buf_release(&err);
	return code;
}
