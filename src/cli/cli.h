/*
 * cli.h: what every command gets from main, and the command signature.
 *
 * Commands are the only layer that prints results and chooses exit codes
 * (docs/exit-codes.md). Each lives in src/cmd_<name>.c and returns its exit
 * status. Results go to stdout (or --output), progress and diagnostics to
 * stderr.
 */
#ifndef OPTIMIZE_CLI_H
#define OPTIMIZE_CLI_H

#include <signal.h>
#include <stdio.h>

enum exit_code {
	EXIT_OK = 0,               /* done, with or without an improvement */
	EXIT_FAILURE_INTERNAL = 1, /* an unexpected failure of the tool itself */
	EXIT_REGRESSION = 1,       /* optimize gate: a target regressed */
	EXIT_USAGE = 2,            /* bad command line or invalid manifest */
	EXIT_BASELINE = 3,         /* the original does not build, verify or run; nondeterministic;
	                              OpenCL needed but absent */
	EXIT_LLM = 4, /* the LLM could not be used: bad key, unknown model, cache miss in ro */
	EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: results so far were written */
};

#include "cli/options.h"

struct cli_ctx;
typedef int (*cmd_fn)(int argc, char **argv, struct cli_ctx *ctx);

/*
 * One entry of main.c's command table. `options` are the command's option
 * tables (each ending in {NULL}); `optimize help --man` and the shell
 * completions are generated from them, as --help is, so a command's options
 * appear there once its tables are listed here.
 */
struct cli_command {
	const char *name;
	cmd_fn fn;
	const char *help; /* one line */
	const struct opt_spec *options[3];
};

struct cli_ctx {
	int verbosity;  /* -q: -1, default 0, -v: 1, -vv: 2 */
	int stderr_tty; /* progress bar allowed */
	const char *argv0;
	const struct cli_command *commands; /* main's table, ending in {NULL} */
};

int cmd_run(int argc, char **argv, struct cli_ctx *ctx);
int cmd_bench(int argc, char **argv, struct cli_ctx *ctx);
int cmd_profile(int argc, char **argv, struct cli_ctx *ctx);
int cmd_doctor(int argc, char **argv, struct cli_ctx *ctx);
int cmd_init(int argc, char **argv, struct cli_ctx *ctx);
int cmd_check(int argc, char **argv, struct cli_ctx *ctx);
int cmd_gate(int argc, char **argv, struct cli_ctx *ctx);
int cmd_help(int argc, char **argv, struct cli_ctx *ctx);
extern const struct opt_spec help_options[];

/* `optimize --help`: the commands of the table and the global options. */
void cli_usage(FILE *f, const struct cli_command *commands);
int cmd_apply(int argc, char **argv, struct cli_ctx *ctx);

/* The option tables of the commands (for main.c's table). */
extern const struct opt_spec run_options[], profile_options[], doctor_options[];
extern const struct opt_spec init_options[], check_options[], bench_options[], gate_options[];
extern const struct opt_spec apply_options[];

/* Set by main's signal handler; long loops check it and stop cleanly. */
extern volatile sig_atomic_t optimize_interrupted;

#endif
