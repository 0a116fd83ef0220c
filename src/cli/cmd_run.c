/*
 * cmd_run.c: `optimize run TREE` — the loop over every target of a tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_run_llm.h"
#include "engine/loop.h"
#include "engine/manifest.h"
#include "cli/options.h"
#include "propose/proposer.h"
#include "report/report.h"
#include "engine/workspace.h"

enum {
	OPT_APPLY = 256,
	OPT_NO_BACKUP,
	OPT_TARGET,
	OPT_OBJECTIVE,
	OPT_COUNTERS,
	OPT_MIN_RUNS,
	OPT_MAX_RUNS,
	OPT_WARMUP,
	OPT_MIN_GAIN,
	OPT_SEED,
	OPT_CPU,
	OPT_CC,
	OPT_CANDIDATE,
	OPT_NO_FLAGS,
	OPT_STATE_DIR,
	OPT_KEEP_WORK,
	OPT_BUDGET_TIME,
	OPT_NO_PROFILE,
	OPT_ALLOW_NETWORK,
	OPT_HELP,
};

static const struct opt_spec run_options[] = {
    {"apply", OPT_APPLY, no_argument, NULL, "write the verified winner back into the tree"},
    {"no-backup", OPT_NO_BACKUP, no_argument, NULL, "with --apply: keep no <file>.orig"},
    {"target", OPT_TARGET, required_argument, "NAME", "only this target of the manifest"},
    {"objective", OPT_OBJECTIVE, required_argument, "OBJ",
     "time (default), instructions, cycles, cache-misses, max-rss, kernel_time[:NAME]"},
    {"counters", OPT_COUNTERS, required_argument, "BACKEND",
     "counter backend for counter objectives: perf, papi, cachegrind"},
    {"min-runs", OPT_MIN_RUNS, required_argument, "N", "fewest measured pairs (default 5)"},
    {"max-runs", OPT_MAX_RUNS, required_argument, "N", "most measured pairs (default 30)"},
    {"warmup", OPT_WARMUP, required_argument, "N", "warm-up runs of each side (default 1)"},
    {"min-gain", OPT_MIN_GAIN, required_argument, "PCT",
     "smallest gain accepted, in percent (default 3)"},
    {"seed", OPT_SEED, required_argument, "N", "seed of the bootstrap (default 1)"},
    {"cpu", OPT_CPU, required_argument, "N", "pin timed runs to CPU N"},
    {"cc", OPT_CC, required_argument, "CC", "compiler for every build (gcc, clang, ...)"},
    {"candidate", OPT_CANDIDATE, required_argument, "DIR",
     "also try the editable files found in DIR (repeatable)"},
    {"no-flags", OPT_NO_FLAGS, no_argument, NULL, "skip the compiler-flag search"},
    {"budget-time", OPT_BUDGET_TIME, required_argument, "SECONDS",
     "stop proposing after this long, keeping the best so far"},
    {"state-dir", OPT_STATE_DIR, required_argument, "DIR",
     "where runs/ and work/ go (default TREE/.optimize)"},
    {"keep-work", OPT_KEEP_WORK, no_argument, NULL, "keep candidate workspaces after the run"},
    {"no-profile", OPT_NO_PROFILE, no_argument, NULL,
     "do not collect counters and hotspots of measured candidates"},
    {"allow-network", OPT_ALLOW_NETWORK, no_argument, NULL,
     "let builds and runs reach the network (default: loopback only)"},
    {"quiet", 'q', no_argument, NULL, "only errors and the result table"},
    {"verbose", 'v', no_argument, NULL, "more detail (repeat for more)"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

static void run_usage(FILE *f)
{
	struct buf b = BUF_INIT;
	struct opt_spec *all = llm_run_option_specs_merge(run_options);
	opt_help(all ? all : run_options, &b);
	free(all);
	fprintf(f,
	        "usage: optimize run [options] [TREE]\n\n"
	        "Build TREE's targets (TREE/optimize.json), try candidates, and keep the fastest\n"
	        "one that is verified correct and measured faster with confidence. The tree is\n"
	        "only read unless --apply is given. Results: TREE/.optimize/runs/<run-id>/.\n\n"
	        "%s\nExit status: 0 done (with or without an improvement), 1 internal error,\n"
	        "2 usage or manifest error, 3 the original does not build, verify or run,\n"
	        "4 the LLM cannot be used, 130 interrupted (docs/exit-codes.md).\n",
	        b.data);
	buf_release(&b);
}

static char *make_run_id(void)
{
	struct buf b = BUF_INIT;
	time_t t = time(NULL);
	struct tm tm;
	char when[32];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	buf_addf(&b, "%s-%05ld", when, (long)getpid() % 100000);
	return buf_detach(&b);
}

/* TREE/.optimize when writable; otherwise a temporary directory (read-only trees). */
static char *choose_state_dir(const char *tree, const char *given, const char *run_id,
                              struct buf *err)
{
	struct buf d = BUF_INIT;

	if (given) {
		if (ws_mkdirs(given, 0755, err) < 0)
			return NULL;
		return strdup(given);
	}
	buf_addf(&d, "%s/.optimize", tree);
	if (ws_mkdirs(d.data, 0755, NULL) == 0 && access(d.data, W_OK) == 0)
		return buf_detach(&d);
	buf_reset(&d);
	buf_addf(&d, "%s/optimize-%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", run_id);
	if (ws_mkdirs(d.data, 0700, err) < 0) {
		buf_release(&d);
		return NULL;
	}
	fprintf(stderr, "note: '%s' is not writable: results go to %s\n", tree, d.data);
	return buf_detach(&d);
}

static char *join_argv(int argc, char **argv)
{
	struct buf b = BUF_INIT;
	int i;
	buf_addstr(&b, "optimize");
	for (i = 0; i < argc; i++)
		buf_addf(&b, " %s", argv[i]);
	return buf_detach(&b);
}

static double now_unix(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int apply_target(struct loop_state *st, int no_backup, struct buf *err)
{
	struct strlist files = {0}, written = {0};
	struct buf why = BUF_INIT, best = BUF_INIT;
	size_t i;
	int r;

	if (st->best == 0) {
		fprintf(stderr, "[%s] --apply: nothing to apply, the original is kept\n",
		        st->target->name);
		return 0;
	}
	loop_changed_files(st, st->best, &files);
	if (!files.n) {
		const struct candidate *c = loop_best(st);
		struct cand_config cfg;
		loop_config(st, c->id, &cfg);
		fprintf(stderr,
		        "[%s] --apply: the winner changes only build settings, no file: use "
		        "cflags \"%s\"%s%s in your build\n",
		        st->target->name, cfg.cflags ? cfg.cflags : "", cfg.pgo ? " with PGO" : "",
		        cfg.cl_build_options && *cfg.cl_build_options ? " and OpenCL options" : "");
		strlist_release(&files);
		return 0;
	}
	fprintf(stderr, "[%s] --apply: rebuilding and verifying the winner again\n",
	        st->target->name);
	r = loop_reverify(st, &why, err);
	if (r == 1) {
		err_set(err,
		        "[%s] --apply: the winner did not verify again, nothing was written: %s",
		        st->target->name, why.data);
		r = -1;
	}
	if (r == 0) {
		buf_addf(&best, "%s/best", st->run_dir);
		r = ws_apply(st->target->tree, best.data, &files, no_backup, &written, err);
		for (i = 0; i < written.n; i++)
			fprintf(stderr, "[%s] wrote %s%s\n", st->target->name, written.v[i],
			        no_backup ? "" : " (previous version kept as .orig)");
	}
	strlist_release(&files);
	strlist_release(&written);
	buf_release(&why);
	buf_release(&best);
	return r;
}

int cmd_run(int argc, char **argv, struct cli_ctx *ctx)
{
	struct loop_options opt;
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT, err = BUF_INIT, table = BUF_INIT;
	struct strlist candidates = {0};
	struct manifest m = {0};
	struct loop_state **states = NULL;
	size_t nstates = 0, i;
	const char *tree = ".", *only = NULL, *state_dir_opt = NULL;
	char *run_id = NULL, *state_dir = NULL, *command = NULL;
	int apply = 0, no_backup = 0, no_flags = 0, keep_work = 0, c, code = EXIT_OK;
	double started_unix = now_unix(), started = now_mono();
	struct run_meta meta;
	struct llm_run_options llm;
	struct opt_spec *specs = NULL;
	int llm_notice = 0, any_llm = 0;
	long l;
	double d;

	loop_options_default(&opt);
	opt.verbosity = ctx->verbosity;
	opt.progress_tty = ctx->stderr_tty;
	command = join_argv(argc, argv);
	llm_run_options_init(&llm);
	specs = llm_run_option_specs_merge(run_options);
	opt_build(specs ? specs : run_options, &longopts, &shortopts);
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts.data, longopts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case OPT_APPLY:
			apply = 1;
			break;
		case OPT_NO_BACKUP:
			no_backup = 1;
			break;
		case OPT_TARGET:
			only = optarg;
			break;
		case OPT_OBJECTIVE:
			opt.objective = optarg;
			break;
		case OPT_COUNTERS:
			opt.counters = optarg;
			break;
		case OPT_MIN_RUNS:
			bad = opt_int("min-runs", optarg, 1, 10000, &l, &err);
			opt.min_runs = (int)l;
			break;
		case OPT_MAX_RUNS:
			bad = opt_int("max-runs", optarg, 1, 10000, &l, &err);
			opt.max_runs = (int)l;
			break;
		case OPT_WARMUP:
			bad = opt_int("warmup", optarg, 0, 1000, &l, &err);
			opt.warmup = (int)l;
			break;
		case OPT_MIN_GAIN:
			bad = opt_double("min-gain", optarg, 0, 99, &d, &err);
			opt.min_gain = d / 100;
			break;
		case OPT_SEED:
			bad = opt_int("seed", optarg, 0, 0x7fffffffL, &l, &err);
			opt.seed = (uint64_t)l;
			break;
		case OPT_CPU:
			bad = opt_int("cpu", optarg, 0, 4095, &l, &err);
			opt.cpu = (int)l;
			break;
		case OPT_CC:
			opt.cc = optarg;
			break;
		case OPT_CANDIDATE:
			strlist_push(&candidates, optarg);
			break;
		case OPT_NO_FLAGS:
			no_flags = 1;
			break;
		case OPT_STATE_DIR:
			state_dir_opt = optarg;
			break;
		case OPT_KEEP_WORK:
			keep_work = 1;
			break;
		case OPT_NO_PROFILE:
			opt.profile = 0;
			break;
		case OPT_ALLOW_NETWORK:
			opt.allow_network = 1;
			break;
		case OPT_BUDGET_TIME:
			bad = opt_double("budget-time", optarg, 0, 1e9, &opt.budget_time_s, &err);
			break;
		case 'q':
			opt.verbosity = -1;
			break;
		case 'v':
			opt.verbosity++;
			break;
		case 'h':
			run_usage(stdout);
			code = EXIT_OK;
			goto out;
		case ':':
			err_set(&err, "option '%s' needs a value", argv[optind - 1]);
			bad = -1;
			break;
		default: {
			int h = llm_run_option_parse(c, optarg, &llm, &err);
			if (h == 0)
				err_set(&err, "unknown option '%s'", argv[optind - 1]);
			bad = h <= 0 ? -1 : 0;
			break;
		}
		}
		if (bad) {
			fprintf(stderr, "optimize run: %s\n(see 'optimize run --help')\n",
			        err.data);
			code = EXIT_USAGE;
			goto out;
		}
	}
	llm.verbosity = opt.verbosity;
	if (opt.max_runs < opt.min_runs) {
		fprintf(stderr, "optimize run: --max-runs (%d) is smaller than --min-runs (%d)\n",
		        opt.max_runs, opt.min_runs);
		code = EXIT_USAGE;
		goto out;
	}
	if (optind < argc)
		tree = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "optimize run: unexpected argument '%s' (one TREE only)\n",
		        argv[optind]);
		code = EXIT_USAGE;
		goto out;
	}
	if (manifest_load(tree, &m, &err) < 0) {
		fprintf(stderr, "optimize run: %s\n", err.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (only) {
		int found = 0;
		for (i = 0; i < m.ntargets; i++)
			found |= !strcmp(m.targets[i].name, only);
		if (!found) {
			fprintf(stderr, "optimize run: no target '%s' in %s\n", only, m.path);
			code = EXIT_USAGE;
			goto out;
		}
	}
	run_id = make_run_id();
	state_dir = choose_state_dir(m.targets[0].tree, state_dir_opt, run_id, &err);
	if (!state_dir) {
		fprintf(stderr, "optimize run: %s\n", err.data);
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	opt.state_dir = state_dir;
	states = calloc(m.ntargets, sizeof(*states));
	for (i = 0; i < m.ntargets && !optimize_interrupted; i++) {
		struct proposer *list[3];
		struct proposer *prop = NULL, *llm_prop;
		size_t np = 0;
		int r, llm_configured = 0;

		if (only && strcmp(m.targets[i].name, only))
			continue;
		buf_reset(&err);
		llm_prop = llm_maybe_proposer(&llm, &m.targets[i], &llm_configured, &err);
		if (!llm_prop && llm_configured) {
			fprintf(stderr, "optimize run: %s\n", err.data);
			code = EXIT_USAGE;
			goto out;
		}
		if (!llm_prop && !no_flags && !llm_notice++ && opt.verbosity >= 0)
			fprintf(stderr, "%s\n", llm_not_configured_message());
		any_llm |= llm_prop != NULL;
		/* LLM prompts carry the current best's hotspots. */
		opt.hotspots_each_best = llm_prop != NULL;
		if (candidates.n)
			list[np++] = proposer_dir_new(&candidates);
		/* Rewrites first; the flag search then tunes the best rewrite's build. */
		if (llm_prop)
			list[np++] = llm_prop;
		if (!no_flags)
			list[np++] = proposer_flags_new();
		if (np)
			prop = proposer_seq_new(list, np);
		buf_reset(&err);
		r = loop_run(&m.targets[i], &opt, prop, run_id, &states[nstates], &err);
		nstates++;
		if (prop)
			prop->release(prop);
		if (r != EXIT_OK) {
			if (err.len)
				fprintf(stderr, "optimize run: %s\n", err.data);
			if (r > code && code != EXIT_INTERRUPTED)
				code = r;
			if (r == EXIT_INTERRUPTED)
				code = r;
		}
		if (states[nstates - 1]->ncands &&
		    states[nstates - 1]->cands[0]->status == CAND_ACCEPTED) {
			buf_reset(&err);
			if (report_write_best(states[nstates - 1], &err) < 0)
				fprintf(stderr, "optimize run: cannot write the winner: %s\n",
				        err.data);
		}
	}
	{
		struct buf rd = BUF_INIT;
		buf_addf(&rd, "%s/runs/%s", state_dir, run_id);
		meta.run_id = run_id;
		meta.command = command;
		meta.run_dir = rd.data;
		meta.opt = &opt;
		{
			struct buf pn = BUF_INIT;
			if (candidates.n)
				buf_addstr(&pn, "dir");
			if (any_llm)
				buf_addf(&pn, "%sllm", pn.len ? "+" : "");
			if (!no_flags)
				buf_addf(&pn, "%sflags", pn.len ? "+" : "");
			meta.proposer = pn.len ? buf_detach(&pn) : strdup("none");
			buf_release(&pn);
		}
		meta.started_unix = started_unix;
		meta.wall_s = now_mono() - started;
		meta.exit_code = code;
		buf_reset(&err);
		if (nstates && report_write_run(states, nstates, &meta, &err) < 0) {
			fprintf(stderr, "optimize run: cannot write the report: %s\n", err.data);
			if (code == EXIT_OK)
				code = EXIT_FAILURE_INTERNAL;
		}
		if (apply && code == EXIT_OK) {
			for (i = 0; i < nstates; i++) {
				buf_reset(&err);
				if (apply_target(states[i], no_backup, &err) < 0) {
					fprintf(stderr, "optimize run: %s\n", err.data);
					code = EXIT_FAILURE_INTERNAL;
				}
			}
		} else if (apply) {
			fprintf(stderr,
			        "optimize run: --apply skipped: the run did not complete\n");
		}
		report_table(states, nstates, &table);
		fputs(table.data, stdout);
		if (opt.verbosity >= 0)
			fprintf(stderr, "report: %s/report.json\nsummary: %s/summary.md\n", rd.data,
			        rd.data);
		if (!keep_work) {
			struct buf wd = BUF_INIT;
			buf_addf(&wd, "%s/work/%s", state_dir, run_id);
			ws_remove_tree(wd.data, NULL);
			buf_release(&wd);
		}
		buf_release(&rd);
		free((char *)meta.proposer);
	}
out:
	free(specs);
	llm_run_options_release(&llm);
	for (i = 0; i < nstates; i++)
		loop_state_free(states[i]);
	free(states);
	manifest_release(&m);
	strlist_release(&candidates);
	free(longopts);
	free(run_id);
	free(state_dir);
	free(command);
	buf_release(&shortopts);
	buf_release(&err);
	buf_release(&table);
	return code;
}
