/*
 * cmd_bench.h: the parts of `optimize bench` kept out of cmd_bench.c
 * (cmd_bench_tools.c): rendering the tables from the journal, and the
 * report, compare and import subcommands.
 */
#ifndef OPTIMIZE_CMD_BENCH_H
#define OPTIMIZE_CMD_BENCH_H

#include "cli/cli.h"

/*
 * Render every table and chart of dir from its journal and print the
 * Markdown table on stdout. Returns code, or a worse one when rendering
 * failed (printed).
 */
int cmd_bench_render(const char *dir, int code, int verbosity);

/* cmd_bench_slurm.c: `optimize bench DIR --resume [options]`: the command
 * that submitted DIR's Slurm jobs, again, with the options given now. */
int cmd_bench_resume(int argc, char **argv, struct cli_ctx *ctx);
/* After Ctrl-C stopped the Slurm executor's wait: scancel DIR's jobs when
 * cancel is set or the user says so at the terminal; else say how to
 * resume. */
void cmd_bench_slurm_interrupted(const char *dir, int cancel, int verbosity);

int cmd_bench_report(int argc, char **argv, struct cli_ctx *ctx);
int cmd_bench_compare(int argc, char **argv, struct cli_ctx *ctx);
int cmd_bench_import(int argc, char **argv, struct cli_ctx *ctx);

#endif
