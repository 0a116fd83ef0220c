/*
 * main.c: the command table. Everything else lives in src/cmd_<name>.c.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/version.h"
#include "cli/cli.h"

#include "cli/cmd_run_llm.h"

static const struct cli_command commands[] = {
    {"run",
     cmd_run,
     "build, verify and measure candidates; keep the fastest verified one",
     {run_options, llm_run_option_specs}},
    {"init",
     cmd_init,
     "write a first optimize.json for a Make, CMake, Meson or one-file tree",
     {init_options}},
    {"check",
     cmd_check,
     "build, verify and run the original once; measure nothing",
     {check_options}},
    {"bench",
     cmd_bench,
     "run a suite of targets; tables of speedups, fast_p, geometric means",
     {bench_options, llm_run_option_specs}},
    {"gate",
     cmd_gate,
     "CI gate: is the head slower than the base? (exit 1 on a regression)",
     {gate_options}},
    {"profile", cmd_profile, "counters and hotspots of a target's run command", {profile_options}},
    {"doctor", cmd_doctor, "what this machine can measure, and why not", {doctor_options}},
    {"help", cmd_help, "a command's help; the man page and shell completions", {help_options}},
    {"apply", cmd_apply, "finish an interrupted --apply (--recover)", {apply_options}},
    {NULL, NULL, NULL, {NULL}},
};

static void on_signal(int sig)
{
	(void)sig;
	optimize_interrupted = 1;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = {0, 0, argv[0], commands};
	struct sigaction sa;
	size_t i;
	int code;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_usage(argc < 2 ? stderr : stdout, commands);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("optimize %s (commit %s)\n", OPTIMIZE_VERSION, optimize_commit());
		return EXIT_OK;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ctx.stderr_tty = isatty(STDERR_FILENO);
	/* Orphaned descendants of candidates (setsid escapes the group kill)
	 * become our children, so the runner can kill them after each run. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (i = 0; commands[i].name; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		code = commands[i].fn(argc - 1, argv + 1, &ctx);
		curl_global_cleanup();
		if (fflush(stdout) != 0 || ferror(stdout)) {
			perror("optimize: writing the output");
			return EXIT_FAILURE_INTERNAL;
		}
		return code;
	}
	fprintf(stderr, "optimize: '%s' is not a command (see 'optimize --help')\n", argv[1]);
	return EXIT_USAGE;
}
