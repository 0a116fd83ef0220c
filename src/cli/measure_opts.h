/*
 * measure_opts.h: the measurement options that run, bench and gate share
 * (--min-runs, --max-runs, --warmup, --min-gain, --seed, --cpu), and the
 * root options of every command that runs target code, parsed in one
 * place. A command lists the ones it takes in its option table with
 * these keys and hands every key to measure_option_parse first.
 */
#ifndef OPTIMIZE_MEASURE_OPTS_H
#define OPTIMIZE_MEASURE_OPTS_H

#include "base/buf.h"
#include "engine/pipeline.h"

/* Keys 384 and up: above any command's own (256...), below the LLM's (512...). */
enum measure_opt {
	OPT_MIN_RUNS = 384,
	OPT_MAX_RUNS,
	OPT_WARMUP,
	OPT_MIN_GAIN,
	OPT_SEED,
	OPT_CPU,
};

/* 1 when key is a measurement option (m updated), 0 when it is not one,
 * -1 with err on a bad value (a usage error). */
int measure_option_parse(int key, const char *arg, struct measure_settings *m, struct buf *err);

/* Who candidates run as when the tool runs as root (pipeline_root.c):
 * --run-as USER and --allow-unsafe-root, the same for every command that
 * runs target code (run, check, gate, bench). ROOT_OPTION_SPECS goes into
 * a command's option table. */
enum root_opt {
	OPT_RUN_AS = 416,
	OPT_ALLOW_UNSAFE_ROOT,
};
#define ROOT_OPTION_SPECS                                                                          \
	{"run-as", OPT_RUN_AS, required_argument, "USER",                                          \
	 "as root: run candidates as USER (default nobody), without capabilities"},                \
	{                                                                                          \
		"allow-unsafe-root", OPT_ALLOW_UNSAFE_ROOT, no_argument, NULL,                     \
		    "as root: run even where candidates cannot be run as an unprivileged user"     \
	}
/* 1 when key is one of them (run_as / allow_unsafe_root set), else 0. */
int root_option_parse(int key, const char *arg, const char **run_as, int *allow_unsafe_root);

#endif
