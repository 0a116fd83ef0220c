/*
 * cmd_bench.c: `optimize bench SUITE --output DIR`: every target of a suite
 * run as `optimize run` would, one row each in DIR's journal, then the
 * tables and charts (docs/bench.md). `bench report|compare|import` live in
 * cmd_bench_tools.c. The only layer that prints and picks the exit status.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/util.h"
#include "base/xalloc.h"
#include "bench/bench.h"
#include "bench/executor.h"
#include "bench/journal.h"
#include "bench/render.h"
#include "bench/row.h"
#include "cli/cli.h"
#include "cli/cmd_bench.h"
#include "cli/cmd_run_llm.h"
#include "cli/measure_opts.h"
#include "cli/options.h"
#include "cli/progress.h"

enum {
	OPT_OUTPUT = 256,
	OPT_TASK,
	OPT_EXECUTOR,
	OPT_EXECUTOR_OPT,
	OPT_JOBS,
	OPT_PROPOSER,
	OPT_NO_PRESETS,
	OPT_OBJECTIVE,
	OPT_COUNTERS,
	OPT_CC,
	OPT_BUDGET_TIME,
	OPT_NO_PROFILE,
	OPT_KEEP_WORK,
	OPT_ALLOW_NETWORK,
	/* Slurm (docs/bench.md, "Slurm"): passed to the executor as KEY=VALUE */
	OPT_PARTITION,
	OPT_ACCOUNT,
	OPT_TIME,
	OPT_QOS,
	OPT_SBATCH_ARG,
	OPT_EXPORT,
	OPT_MAX_PARALLEL,
	OPT_RETRIES,
	OPT_DETACH,
	OPT_CANCEL_ON_INTERRUPT,
	OPT_RESUME,
};

const struct opt_spec bench_options[] = {
    {"output", OPT_OUTPUT, required_argument, "DIR",
     "where the journal, each target's run and the tables go (required)"},
    {"proposer", OPT_PROPOSER, required_argument, "SPEC",
     "flags, llm, llm+flags or none (default: as optimize run)"},
    {"executor", OPT_EXECUTOR, required_argument, "NAME",
     "where targets run: local (default) or slurm; see docs/bench.md"},
    {"executor-opt", OPT_EXECUTOR_OPT, required_argument, "KEY=VALUE",
     "a setting of the executor (repeatable)"},
    {"jobs", OPT_JOBS, required_argument, "N",
     "targets run at once (default 1); timed runs never overlap"},
    {"task", OPT_TASK, required_argument, "I", "run only target I (0-based) and record it"},
    {"no-presets", OPT_NO_PRESETS, no_argument, NULL,
     "do not measure the winner against the presets"},
    {"objective", OPT_OBJECTIVE, required_argument, "OBJ",
     "time, instructions, cycles, ... (default: each manifest's)"},
    {"counters", OPT_COUNTERS, required_argument, "BACKEND", "perf, papi, cachegrind"},
    {"min-runs", OPT_MIN_RUNS, required_argument, "N", "fewest measured pairs (default 5)"},
    {"max-runs", OPT_MAX_RUNS, required_argument, "N",
     "most measured pairs (default 30; a gain needs 6 at least)"},
    {"warmup", OPT_WARMUP, required_argument, "N", "warm-up runs of each side (default 1)"},
    {"min-gain", OPT_MIN_GAIN, required_argument, "PCT", "smallest gain accepted (default 3)"},
    {"seed", OPT_SEED, required_argument, "N", "seed of every bootstrap (default 1)"},
    {"cc", OPT_CC, required_argument, "CC", "compiler for every build"},
    {"budget-time", OPT_BUDGET_TIME, required_argument, "SECONDS",
     "per target: stop proposing after this long"},
    {"no-profile", OPT_NO_PROFILE, no_argument, NULL, "no counters of measured candidates"},
    {"keep-work", OPT_KEEP_WORK, no_argument, NULL, "keep candidate workspaces"},
    ROOT_OPTION_SPECS,
    {"allow-network", OPT_ALLOW_NETWORK, no_argument, NULL,
     "let builds and runs reach the network"},
    {"partition", OPT_PARTITION, required_argument, "NAME", "slurm: the partition"},
    {"account", OPT_ACCOUNT, required_argument, "NAME", "slurm: the account"},
    {"time", OPT_TIME, required_argument, "LIMIT", "slurm: time limit of each task"},
    {"qos", OPT_QOS, required_argument, "NAME", "slurm: the quality of service"},
    {"sbatch-arg", OPT_SBATCH_ARG, required_argument, "ARG",
     "slurm: one more sbatch option, e.g. --mem=4G (repeatable)"},
    {"export", OPT_EXPORT, required_argument, "NAMES",
     "slurm: variables the tasks get although they look secret (API keys)"},
    {"max-parallel", OPT_MAX_PARALLEL, required_argument, "N",
     "slurm: at most N tasks at once (the array's %N)"},
    {"retries", OPT_RETRIES, required_argument, "N",
     "slurm: submit a failed task again up to N times (default 2)"},
    {"detach", OPT_DETACH, no_argument, NULL, "slurm: submit and return at once"},
    {"cancel-on-interrupt", OPT_CANCEL_ON_INTERRUPT, no_argument, NULL,
     "slurm: on Ctrl-C, scancel without asking"},
    {"resume", OPT_RESUME, no_argument, NULL,
     "optimize bench DIR --resume: the submitting command of DIR again"},
    {"quiet", 'q', no_argument, NULL, "only errors and the table"},
    {"verbose", 'v', no_argument, NULL, "more detail"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

struct bench_opts {
	struct run_settings rs;
	struct llm_run_options llm;
	struct strlist executor_opts;
	const char *suite, *output, *executor, *proposer;
	long task; /* -1 = every target */
	int jobs, no_presets, keep_work;
	int cancel_on_interrupt, resume;
};

static void bench_usage(FILE *f)
{
	struct buf b = BUF_INIT;
	struct opt_spec *all = llm_run_option_specs_merge(bench_options);
	opt_help(all, &b);
	free(all);
	fprintf(f,
	        "usage: optimize bench SUITE --output DIR [options]\n"
	        "       optimize bench report DIR\n"
	        "       optimize bench compare DIR_A DIR_B\n"
	        "       optimize bench import polybench PATH OUT\n\n"
	        "Run every target of SUITE (a folder of target folders, or a suite.json) as\n"
	        "`optimize run` would, journal each finished target in DIR (the same command\n"
	        "again resumes), and write the tables (Markdown, CSV, JSON, LaTeX) and charts.\n"
	        "suite.json settings come first; the command line overrides them.\n\n"
	        "%s\nExit status: 0 done, 1 internal error, 2 usage or suite error, 130\n"
	        "interrupted (finished targets are kept). docs/bench.md has the details.\n",
	        b.data);
	buf_release(&b);
}

/* One option; 0 done, 1 --help, -1 usage error (err). */
static int parse_one(int c, const char *arg, struct bench_opts *o, struct buf *err)
{
	struct measure_settings *m = &o->rs.po.m;
	long l;
	int bad = measure_option_parse(c, arg, m, err);

	if (bad)
		return bad < 0 ? -1 : 0;
	if (root_option_parse(c, arg, &o->rs.po.run_as, &o->rs.po.allow_unsafe_root))
		return 0;
	switch (c) {
	case OPT_OUTPUT:
		o->output = arg;
		break;
	case OPT_TASK:
		bad = opt_int("task", arg, 0, 1000000, &o->task, err);
		break;
	case OPT_EXECUTOR:
		o->executor = arg;
		if (!bench_executor_find(arg))
			bad = err_set(err, "--executor '%s': no such executor (local%s)", arg,
			              bench_executor_find("slurm") ? ", slurm" : "");
		break;
	case OPT_EXECUTOR_OPT:
		strlist_push(&o->executor_opts, arg);
		break;
	case OPT_JOBS:
		bad = opt_int("jobs", arg, 1, 4096, &l, err);
		o->jobs = (int)l;
		break;
	case OPT_PROPOSER: {
		int fl, llm;
		bad = bench_proposer_parse(arg, &fl, &llm, err);
		o->proposer = arg;
		break;
	}
	case OPT_NO_PRESETS:
		o->no_presets = 1;
		break;
	case OPT_OBJECTIVE:
		o->rs.po.objective = arg;
		break;
	case OPT_COUNTERS:
		o->rs.po.counters = arg;
		break;
	case OPT_CC:
		o->rs.po.cc = arg;
		break;
	case OPT_BUDGET_TIME:
		bad = opt_double("budget-time", arg, 0, 1e9, &o->rs.lo.budget_time_s, err);
		break;
	case OPT_NO_PROFILE:
		o->rs.po.profile = 0;
		break;
	case OPT_KEEP_WORK:
		o->keep_work = 1;
		break;
	case OPT_ALLOW_NETWORK:
		o->rs.po.allow_network = 1;
		break;
	case OPT_PARTITION:
	case OPT_ACCOUNT:
	case OPT_TIME:
	case OPT_QOS:
	case OPT_SBATCH_ARG:
	case OPT_EXPORT:
	case OPT_MAX_PARALLEL:
	case OPT_RETRIES:
	case OPT_DETACH:
		for (const struct opt_spec *sp = bench_options; sp->name; sp++)
			if (sp->key == c)
				strlist_pushf(&o->executor_opts, "%s=%s", sp->name,
				              arg ? arg : "1");
		break;
	case OPT_CANCEL_ON_INTERRUPT:
		o->cancel_on_interrupt = 1;
		break;
	case OPT_RESUME:
		o->resume = 1;
		break;
	case 'q':
		o->rs.lo.verbosity = -1;
		break;
	case 'v':
		o->rs.lo.verbosity++;
		break;
	case 'h':
		return 1;
	default: {
		int h = llm_run_option_parse(c, arg, &o->llm, err);
		if (h == 0)
			err_set(err, "unknown option");
		bad = h <= 0 ? -1 : 0;
		break;
	}
	}
	return bad ? -1 : 0;
}

/* 0 parsed, 1 --help, -1 usage error (err). */
static int parse_args(int argc, char **argv, struct bench_opts *o, struct buf *err)
{
	struct opt_spec *specs = llm_run_option_specs_merge(bench_options);
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT;
	int c, r = 0;

	opt_build(specs, &longopts, &shortopts);
	optind = 1;
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, shortopts.data, longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			r = err_set(err,
			            c == ':' ? "option '%s' needs a value" : "unknown option '%s'",
			            argv[optind - 1]);
		else
			r = parse_one(c, optarg, o, err);
	}
	if (r == 0 && optind < argc)
		o->suite = argv[optind++];
	if (r == 0 && optind < argc)
		r = err_set(err, "unexpected argument '%s' (one SUITE only)", argv[optind]);
	free(specs);
	free(longopts);
	buf_release(&shortopts);
	return r;
}

/* suite.json's settings, as if given first on the command line. */
static int apply_suite(const struct bench_suite *s, struct bench_opts *o, struct buf *err)
{
	struct opt_spec *specs = llm_run_option_specs_merge(bench_options);
	int r = 0;

	for (size_t i = 0; r == 0 && i < s->nsettings; i++) {
		const struct bench_setting *st = &s->settings[i];
		const struct opt_spec *sp = specs;
		while (sp->name && strcmp(sp->name, st->option))
			sp++;
		if (!sp->name)
			r = err_set(err, "%s: \"%s\" is not a setting of this build", st->origin,
			            st->option);
		else if ((r = parse_one(sp->key, st->value, o, err)) < 0)
			err_prefix(err, "%s: ", st->origin);
	}
	if (r == 0 && s->proposer)
		o->proposer = s->proposer;
	free(specs);
	return r;
}

/* What bench shows: the engine's notes through cli_progress, plus a line per target. */
struct bench_ui {
	struct cli_progress pr;
	size_t done, total;
	double started;
	const char *name;
	struct buf last; /* the tasks' last plain line (--jobs): printed again only when changed */
};

/* A task's last line without its "[target] " prefix. */
static const char *stage_text(const char *line)
{
	const char *end = line[0] == '[' ? strstr(line, "] ") : NULL;
	return end ? end + 2 : line;
}

/*
 * Tasks running in other processes (--jobs N): on a terminal one line,
 * redrawn (the targets running, each one's stage, an ETA); otherwise a
 * plain line each time a target starts or ends.
 */
static void ui_tasks(void *ctx, const struct bench_progress *p)
{
	struct bench_ui *ui = ctx;
	size_t before = p->total - p->todo, now = p->done > before ? p->done - before : 0;
	struct buf line = BUF_INIT, key = BUF_INIT;

	if (ui->pr.verbosity < 0)
		return;
	buf_addf(&line, "[bench] %zu/%zu done", p->done, p->total);
	if (p->running)
		buf_addf(&line, ", running:");
	for (size_t k = 0; k < p->running; k++) {
		buf_addf(&line, "%s %s", k ? "," : "", p->name[k]);
		buf_addf(&key, "%s ", p->name[k]);
		if (ui->pr.tty && p->stage[k][0])
			buf_addf(&line, " (%.40s)", stage_text(p->stage[k]));
	}
	if (now && now < p->todo)
		buf_addf(&line, "; ETA %.0f s",
		         p->elapsed_s / (double)now * (double)(p->todo - now));
	buf_addf(&key, "%zu", p->done);
	if (ui->pr.tty) {
		fprintf(stderr, "\r\033[K%.*s%s", (int)(line.len < 160 ? line.len : 160), line.data,
		        p->final ? "\n" : "");
	} else if (p->final || !ui->last.data || strcmp(ui->last.data, key.data)) {
		fprintf(stderr, "%s\n", line.data);
		buf_setf(&ui->last, "%s", key.data);
	}
	fflush(stderr);
	buf_release(&line);
	buf_release(&key);
}

static void ui_task_start(void *ctx, size_t i, size_t n, const char *name)
{
	struct bench_ui *ui = ctx;
	double el = clock_mono_s() - ui->started;

	ui->name = name;
	ui->total = n;
	if (ui->pr.verbosity < 0)
		return;
	if (ui->done)
		fprintf(stderr, "[bench %zu/%zu] %s (ETA %.0f s)\n", i + 1, n, name,
		        el / (double)ui->done * (double)(n - i));
	else
		fprintf(stderr, "[bench %zu/%zu] %s\n", i + 1, n, name);
}

static void ui_task_done(void *ctx, size_t i, const cJSON *row)
{
	struct bench_ui *ui = ctx;
	struct bench_row r;

	ui->done++;
	if (ui->pr.verbosity < 0)
		return;
	bench_row_parse(row, &r);
	fprintf(stderr, "[bench %zu/%zu] %s: %s", i + 1, ui->total, r.name, r.status);
	if (r.speedup == r.speedup)
		fprintf(stderr, ", speedup %.3fx", r.speedup);
	if (r.reason && strcmp(r.status, BENCH_ROW_IMPROVED) &&
	    strcmp(r.status, BENCH_ROW_NO_IMPROVEMENT))
		fprintf(stderr, ": %.*s", (int)strcspn(r.reason, "\n"), r.reason);
	fputc('\n', stderr);
}

static void ui_note(void *ctx, enum note_level level, const char *msg)
{
	struct bench_ui *ui = ctx;
	cli_progress_note(&ui->pr, level, msg);
}

static void ui_pair(void *ctx, const struct candidate *c, size_t n, const struct stats_interval *ci)
{
	struct bench_ui *ui = ctx;
	cli_progress_pair(&ui->pr, c, n, ci);
}

static void ui_candidate(void *ctx, const struct run_view *v, const struct candidate *c)
{
	struct bench_ui *ui = ctx;
	(void)v;
	cli_progress_outcome(&ui->pr, c);
}

static int run_task_cb(const struct bench_job *job, size_t i, struct buf *err)
{
	enum engine_status st = bench_task_run(job->run, i, err);
	return st == ENGINE_OK ? 0 : st == ENGINE_INTERRUPTED ? 1 : -1;
}

/* argv of a task: this binary, "bench", the original arguments without --task. */
/* argv of a task: this binary, "bench", the original arguments without
 * --task, SUITE made absolute (a Slurm task starts in DIR). */
static void task_argv(int argc, char **argv, const char *suite_arg, const char *suite_abs,
                      const char *out_dir, struct strlist *out)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	strlist_push(out, n > 0 ? self : "optimize");
	strlist_push(out, "bench");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--task") || !strcmp(argv[i], "--output")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--task=", 7) || !strncmp(argv[i], "--output=", 9))
			continue;
		strlist_push(out, argv[i] == suite_arg ? suite_abs : argv[i]);
	}
	strlist_push(out, "--output");
	strlist_push(out, out_dir);
}

static char *join_argv(int argc, char **argv)
{
	struct buf b = BUF_INIT;
	buf_addstr(&b, "optimize");
	for (int i = 0; i < argc; i++)
		buf_addf(&b, " %s", argv[i]);
	return buf_detach(&b);
}

/* Run what the journal lacks, through the executor; 0, 1 interrupted, -1 (err). */
static int run_suite(struct bench_run *b, struct bench_opts *o, int argc, char **argv,
                     struct buf *err)
{
	struct bench_journal j;
	struct strlist targv = {0};
	struct bench_job job;
	size_t *todo = xcalloc(b->suite->n + 1, sizeof(*todo)), nt = 0;
	int r = bench_journal_read(b->out_dir, &j, err);

	if (r != 0) {
		free(todo);
		return r < 0 ? -1 : err_set(err, "%s: no journal", b->out_dir);
	}
	for (size_t i = 0; i < b->suite->n; i++)
		if (j.state[i] != BENCH_DONE)
			todo[nt++] = i;
	if (o->rs.lo.verbosity >= 0 && nt < b->suite->n)
		fprintf(stderr,
		        "bench: %zu of %zu targets already in %s/%s; running the other %zu\n",
		        b->suite->n - nt, b->suite->n, b->out_dir, BENCH_JOURNAL_FILE, nt);
	bench_journal_release(&j);
	task_argv(argc, argv, o->suite, b->suite->path, b->out_dir, &targv);
	memset(&job, 0, sizeof(job));
	job.run = b;
	job.todo = todo;
	job.ntodo = nt;
	job.ntotal = b->suite->n;
	job.out_dir = b->out_dir;
	job.task_argv = strlist_array(&targv);
	job.options = &o->executor_opts;
	job.jobs = o->jobs;
	job.cancel = &optimize_interrupted;
	job.run_task = run_task_cb;
	r = bench_executor_find(o->executor)->run(&job, err);
	strlist_release(&targv);
	free(todo);
	return r;
}

/* Settings the suite and the command line chose, into run settings. */
static int settle(struct bench_opts *o, const char *out_dir, struct buf *cache_dir, struct buf *err)
{
	int fl = 1, llm = 1;

	if (o->rs.po.m.max_runs < o->rs.po.m.min_runs)
		return err_set(err, "--max-runs (%d) is smaller than --min-runs (%d)",
		               o->rs.po.m.max_runs, o->rs.po.m.min_runs);
	if (o->proposer && bench_proposer_parse(o->proposer, &fl, &llm, err) < 0)
		return -1;
	o->rs.no_flags = !fl;
	o->rs.no_llm = !llm;
	if (!o->llm.cache_dir) {
		buf_addf(cache_dir, "%s/cache", out_dir);
		o->llm.cache_dir = cache_dir->data;
	}
	o->llm.verbosity = o->rs.lo.verbosity;
	o->rs.llm = &o->llm;
	return 0;
}

static void opts_init(struct bench_opts *o, int verbosity)
{
	memset(o, 0, sizeof(*o));
	pipeline_options_default(&o->rs.po);
	o->rs.lo.verbosity = verbosity;
	llm_run_options_init(&o->llm);
	o->executor = "local";
	o->task = -1;
	o->jobs = 1;
}

static int bench_main(int argc, char **argv, struct cli_ctx *ctx)
{
	struct bench_opts o;
	struct bench_suite s;
	struct bench_ui ui;
	struct bench_events ev;
	struct bench_run b;
	struct buf err = BUF_INIT, cache_dir = BUF_INIT;
	char out_abs[PATH_MAX], *command = join_argv(argc, argv);
	int code = EXIT_OK, r;

	memset(&s, 0, sizeof(s));
	opts_init(&o, ctx->verbosity);
	r = parse_args(argc, argv, &o, &err);
	if (r == 0 && !o.suite)
		r = err_set(&err, "which suite? (optimize bench SUITE --output DIR)");
	if (r == 0 && !o.output)
		r = err_set(&err, "--output DIR is required (the journal and tables go there)");
	if (r == 0 && bench_suite_load(o.suite, &s, &err) < 0)
		r = -1;
	if (r == 0) { /* the suite's settings first, then the command line again */
		llm_run_options_release(&o.llm);
		strlist_release(&o.executor_opts);
		opts_init(&o, ctx->verbosity);
		r = apply_suite(&s, &o, &err);
		if (r == 0)
			r = parse_args(argc, argv, &o, &err);
	}
	if (r == 0 && (file_mkdirs(o.output, 0755, &err) < 0 || !realpath(o.output, out_abs)))
		r = err_set(&err, "--output '%s': %s", o.output,
		            err.len ? err.data : strerror(errno));
	if (r == 0)
		r = settle(&o, out_abs, &cache_dir, &err);
	if (r == 1) {
		bench_usage(stdout);
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "optimize bench: %s\n(see 'optimize bench --help')\n", err.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (o.task >= (long)s.n) {
		fprintf(stderr, "optimize bench: --task %ld: the suite has %zu targets (0..%zu)\n",
		        o.task, s.n, s.n - 1);
		code = EXIT_USAGE;
		goto out;
	}
	memset(&ui, 0, sizeof(ui));
	ui.pr.verbosity = o.rs.lo.verbosity;
	ui.pr.tty = ctx->stderr_tty;
	ui.pr.max_runs = o.rs.po.m.max_runs;
	ui.started = clock_mono_s();
	ui.total = s.n;
	memset(&ev, 0, sizeof(ev));
	ev.task_start = ui_task_start;
	ev.task_done = ui_task_done;
	ev.tasks = ui_tasks;
	ev.engine.note = ui_note;
	ev.engine.pair = ui_pair;
	ev.engine.candidate_done = ui_candidate;
	ev.engine.ctx = &ui;
	ev.ctx = &ui;
	memset(&b, 0, sizeof(b));
	b.suite = &s;
	b.out_dir = out_abs;
	b.rs = &o.rs;
	b.command = command;
	b.proposer = o.proposer ? o.proposer : "as optimize run (llm if configured, flags)";
	b.keep_work = o.keep_work;
	b.no_presets = o.no_presets;
	b.ev = &ev;
	b.cancel = &optimize_interrupted;
	if (bench_journal_prepare(&b, &err) < 0) {
		fprintf(stderr, "optimize bench: %s\n", err.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (o.task >= 0) {
		enum engine_status st = bench_task_run(&b, (size_t)o.task, &err);
		if (st == ENGINE_ERROR)
			fprintf(stderr, "optimize bench: %s\n", err.data);
		code = st == ENGINE_OK            ? EXIT_OK
		       : st == ENGINE_INTERRUPTED ? EXIT_INTERRUPTED
		                                  : EXIT_FAILURE_INTERNAL;
		goto out;
	}
	r = run_suite(&b, &o, argc, argv, &err);
	if (r < 0 || r == BENCH_EXECUTOR_USAGE)
		fprintf(stderr, "optimize bench: %s\n", err.data);
	if (r == BENCH_EXECUTOR_DETACHED) /* the tasks go on: nothing to render yet */
		goto out;
	if (r == 1 && !strcmp(o.executor, "slurm"))
		cmd_bench_slurm_interrupted(out_abs, o.cancel_on_interrupt, o.rs.lo.verbosity);
	code = r < 0                       ? EXIT_FAILURE_INTERNAL
	       : r == BENCH_EXECUTOR_USAGE ? EXIT_USAGE
	       : r > 0                     ? EXIT_INTERRUPTED
	                                   : EXIT_OK;
	code = cmd_bench_render(out_abs, code, o.rs.lo.verbosity);
	buf_release(&ui.last);
out:
	bench_suite_release(&s);
	llm_run_options_release(&o.llm);
	strlist_release(&o.executor_opts);
	buf_release(&err);
	buf_release(&cache_dir);
	free(command);
	return code;
}

int cmd_bench(int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_bench_report(argc - 1, argv + 1, ctx);
	if (argc >= 2 && !strcmp(argv[1], "compare"))
		return cmd_bench_compare(argc - 1, argv + 1, ctx);
	if (argc >= 2 && !strcmp(argv[1], "import"))
		return cmd_bench_import(argc - 1, argv + 1, ctx);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--resume"))
			return cmd_bench_resume(argc, argv, ctx);
	return bench_main(argc, argv, ctx);
}
