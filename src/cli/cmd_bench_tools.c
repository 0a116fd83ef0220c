/*
 * cmd_bench_tools.c: `optimize bench report DIR`, `bench compare A B`,
 * `bench import polybench PATH OUT`, and the rendering every bench command
 * ends with. See cmd_bench.h and docs/bench.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "bench/chart.h"
#include "bench/render.h"
#include "bench/table.h"
#include "cli/cmd_bench.h"

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

int cmd_bench_compare(int argc, char **argv, struct cli_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "optimize bench compare: not implemented yet\n");
	return EXIT_USAGE;
}

int cmd_bench_import(int argc, char **argv, struct cli_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "optimize bench import: not implemented yet\n");
	return EXIT_USAGE;
}
