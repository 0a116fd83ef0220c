/*
 * cmd_bench_slurm.c: what `optimize bench` does around the Slurm executor
 * at the command line (docs/bench.md, "Slurm"): `optimize bench DIR
 * --resume`, and the question after Ctrl-C whether to scancel.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/strlist.h"
#include "bench/executor.h"
#include "cli/cli.h"
#include "cli/cmd_bench.h"

int cmd_bench_resume(int argc, char **argv, struct cli_ctx *ctx)
{
	struct strlist saved = {0}, args = {0};
	struct buf err = BUF_INIT;
	const char *dir = NULL;
	int i, code;

	/* DIR: the first argument, or --output's value */
	if (argc > 1 && argv[1][0] != '-')
		dir = argv[1];
	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--output"))
			dir = argv[i + 1];
	if (!dir) {
		fprintf(stderr,
		        "optimize bench: --resume: which folder? (optimize bench DIR --resume)\n");
		return EXIT_USAGE;
	}
	if (bench_slurm_saved_argv(dir, &saved, &err) < 0) {
		fprintf(stderr, "optimize bench: --resume: %s\n", err.data);
		buf_release(&err);
		return EXIT_USAGE;
	}
	/* The saved command ("bench" SUITE ... --output DIR), then the
	 * options given now, which win. */
	for (i = 1; i < (int)saved.n; i++)
		if (strcmp(saved.v[i], "--detach")) /* a resume waits, unless told now */
			strlist_push(&args, saved.v[i]);
	for (i = 1; i < argc; i++) {
		if (argv[i] == dir || !strcmp(argv[i], "--resume"))
			continue;
		if (!strcmp(argv[i], "--output")) {
			i++;
			continue;
		}
		strlist_push(&args, argv[i]);
	}
	code = cmd_bench((int)args.n, args.v, ctx);
	strlist_release(&saved);
	strlist_release(&args);
	buf_release(&err);
	return code;
}

void cmd_bench_slurm_interrupted(const char *dir, int cancel, int verbosity)
{
	struct buf err = BUF_INIT;
	char answer[16] = "";
	int n;

	if (!cancel && isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
		fprintf(stderr,
		        "\nscancel the suite's Slurm jobs (tasks still pending or running)? "
		        "[y/N] ");
		optimize_interrupted = 0; /* a second Ctrl-C answers no */
		if (fgets(answer, sizeof(answer), stdin))
			cancel = answer[0] == 'y' || answer[0] == 'Y';
		optimize_interrupted = 1;
	}
	if (!cancel) {
		if (verbosity >= 0)
			fprintf(
			    stderr,
			    "optimize bench: the Slurm tasks go on; `optimize bench %s --resume` "
			    "collects them (--cancel-on-interrupt cancels them)\n",
			    dir);
		return;
	}
	n = bench_slurm_cancel(dir, &err);
	if (n < 0)
		fprintf(stderr, "optimize bench: scancel: %s\n", err.data);
	else if (verbosity >= 0)
		fprintf(
		    stderr,
		    "optimize bench: cancelled %d Slurm job%s; finished targets are kept in %s\n",
		    n, n == 1 ? "" : "s", dir);
	buf_release(&err);
}
