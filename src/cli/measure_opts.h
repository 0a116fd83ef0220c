/*
 * measure_opts.h: the measurement options that run, bench and gate share
 * (--min-runs, --max-runs, --warmup, --min-gain, --seed, --cpu), parsed in
 * one place. A command lists the ones it takes in its option table with
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

#endif
