/*
 * measure_opts.c: the measurement options shared by run, bench and gate.
 */
#include "cli/measure_opts.h"

#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "cli/options.h"

static int cpu_allowed(long cpu, struct buf *err)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && !CPU_ISSET((int)cpu, &set))
		return err_set(err,
		               "--cpu %ld: this process may not run on CPU %ld (allowed: %d "
		               "CPUs; see taskset -p $$)",
		               cpu, cpu, CPU_COUNT(&set));
	return 0;
}

static int parse_cpu(const char *arg, struct measure_settings *m, struct buf *err)
{
	long l;

	m->cpu_auto = 0;
	if (!strcmp(arg, "any")) {
		m->cpu = -1;
		return 0;
	}
	if (opt_int("cpu", arg, 0, CPU_SETSIZE - 1, &l, err) < 0 || cpu_allowed(l, err) < 0)
		return -1;
	m->cpu = (int)l;
	return 0;
}

int measure_option_parse(int key, const char *arg, struct measure_settings *m, struct buf *err)
{
	long l = 0;
	double d = 0;
	int bad;

	switch (key) {
	case OPT_MIN_RUNS:
		bad = opt_int("min-runs", arg, 1, 10000, &l, err);
		m->min_runs = (int)l;
		break;
	case OPT_MAX_RUNS:
		bad = opt_int("max-runs", arg, 1, 10000, &l, err);
		m->max_runs = (int)l;
		break;
	case OPT_WARMUP:
		bad = opt_int("warmup", arg, 0, 1000, &l, err);
		m->warmup = (int)l;
		break;
	case OPT_MIN_GAIN:
		bad = opt_double("min-gain", arg, 0, 99, &d, err);
		m->min_gain = d / 100;
		break;
	case OPT_SEED:
		bad = opt_int("seed", arg, 0, 0x7fffffffL, &l, err);
		m->seed = (uint64_t)l;
		break;
	case OPT_CPU:
		bad = parse_cpu(arg, m, err);
		break;
	default:
		return 0;
	}
	return bad ? -1 : 1;
}

int root_option_parse(int key, const char *arg, const char **run_as, int *allow_unsafe_root)
{
	if (key == OPT_RUN_AS)
		*run_as = arg;
	else if (key == OPT_ALLOW_UNSAFE_ROOT)
		*allow_unsafe_root = 1;
	else
		return 0;
	return 1;
}
