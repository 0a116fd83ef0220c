/*
 * cmd_run.c: `optimize run TREE`: a pipeline and a loop for every target of
 * a tree, the report, and --apply. The only layer that prints and picks the
 * exit status (docs/exit-codes.md).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/json.h"
#include "base/util.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmd_run_llm.h"
#include "cli/measure_opts.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "engine/loop.h"
#include "engine/manifest.h"
#include "engine/workspace.h"
#include "report/report.h"
#include "run/target_run.h"

enum {
	OPT_APPLY = 256,
	OPT_NO_BACKUP,
	OPT_TARGET,
	OPT_OBJECTIVE,
	OPT_COUNTERS,
	OPT_CC,
	OPT_CANDIDATE,
	OPT_NO_FLAGS,
	OPT_STATE_DIR,
	OPT_KEEP_WORK,
	OPT_BUDGET_TIME,
	OPT_NO_PROFILE,
	OPT_ALLOW_NETWORK,
	OPT_JSON,
	OPT_OUTPUT,
	OPT_HELP,
};

const struct opt_spec run_options[] = {
    {"apply", OPT_APPLY, no_argument, NULL, "write the verified winner back into the tree"},
    {"no-backup", OPT_NO_BACKUP, no_argument, NULL, "with --apply: keep no <file>.orig"},
    {"target", OPT_TARGET, required_argument, "NAME", "only this target of the manifest"},
    {"objective", OPT_OBJECTIVE, required_argument, "OBJ",
     "time (default), cpu-time, instructions, cycles, cache-misses, max-rss, kernel_time[:NAME]"},
    {"counters", OPT_COUNTERS, required_argument, "BACKEND",
     "counter backend for counter objectives: perf, papi, cachegrind"},
    {"min-runs", OPT_MIN_RUNS, required_argument, "N", "fewest measured pairs (default 5)"},
    {"max-runs", OPT_MAX_RUNS, required_argument, "N",
     "most measured pairs (default 30; a gain needs 6 at least)"},
    {"warmup", OPT_WARMUP, required_argument, "N", "warm-up runs of each side (default 1)"},
    {"min-gain", OPT_MIN_GAIN, required_argument, "PCT",
     "smallest gain accepted, in percent (default 3)"},
    {"seed", OPT_SEED, required_argument, "N", "seed of the bootstrap (default 1)"},
    {"cpu", OPT_CPU, required_argument, "N|any",
     "pin timed runs to CPU N (default: a CPU chosen by calibration; any: no pinning)"},
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
    ROOT_OPTION_SPECS,
    {"json", OPT_JSON, no_argument, NULL,
     "print report.json on stdout instead of the table (docs/report-format.md)"},
    {"output", OPT_OUTPUT, required_argument, "FILE",
     "write the result (the table, or the JSON) to FILE, not stdout"},
    {"quiet", 'q', no_argument, NULL, "only errors and the result table"},
    {"verbose", 'v', no_argument, NULL, "more detail (repeat for more)"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

struct run_opts {
	struct run_settings rs;
	struct strlist candidates;
	struct llm_run_options llm;
	const char *tree, *only, *state_dir, *output;
	int apply, no_backup, keep_work, json;
};

/* What cmd_run keeps per target besides the target_run: the printing. */
struct run_ui {
	struct cli_progress *pr;
	int printed; /* candidates up to this id were printed */
};

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

/*
 * TREE/.optimize when writable; otherwise a fresh private temporary
 * directory (mkdtemp: unpredictable, 0700), said on stderr.
 */
static char *choose_state_dir(const char *tree, const char *given, struct buf *err)
{
	struct buf d = BUF_INIT;
	const char *tmp = getenv("TMPDIR");

	if (given) {
		if (file_mkdirs(given, 0755, err) < 0)
			return NULL;
		return xstrdup(given);
	}
	buf_addf(&d, "%s/.optimize", tree);
	if (file_mkdirs(d.data, 0755, NULL) == 0 && access(d.data, W_OK) == 0) {
		/* The tool's state never belongs in the user's commits. */
		struct buf gi = BUF_INIT;
		buf_addf(&gi, "%s/.gitignore", d.data);
		if (access(gi.data, F_OK) != 0)
			file_write_atomic(gi.data, "*\n", 2, 0644, NULL);
		buf_release(&gi);
		return buf_detach(&d);
	}
	buf_reset(&d);
	buf_addf(&d, "%s/optimize-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d.data)) {
		err_set(err, "cannot create a state directory '%s': %s", d.data, strerror(errno));
		buf_release(&d);
		return NULL;
	}
	fprintf(stderr, "note: '%s' is not writable: results go to %s\n", tree, d.data);
	return buf_detach(&d);
}

static char *join_argv(int argc, char **argv)
{
	struct buf b = BUF_INIT;
	buf_addstr(&b, "optimize");
	for (int i = 0; i < argc; i++)
		buf_addf(&b, " %s", argv[i]);
	return buf_detach(&b);
}

static void on_candidate_done(void *ctx, const struct run_view *v, const struct candidate *c)
{
	struct run_ui *ui = ctx;

	(void)v;
	if (c->id > ui->printed) {
		cli_progress_outcome(ui->pr, c);
		ui->printed = c->id;
	}
}

static void on_note(void *ctx, enum note_level level, const char *msg)
{
	struct run_ui *ui = ctx;
	cli_progress_note(ui->pr, level, msg);
}

static void on_pair(void *ctx, const struct candidate *c, size_t n, const struct stats_interval *ci)
{
	struct run_ui *ui = ctx;
	cli_progress_pair(ui->pr, c, n, ci);
}

static int exit_of(enum engine_status st)
{
	switch (st) {
	case ENGINE_OK:
		return EXIT_OK;
	case ENGINE_SETUP:
		return EXIT_USAGE;
	case ENGINE_BASELINE:
		return EXIT_BASELINE;
	case ENGINE_PROPOSER:
		return EXIT_LLM;
	case ENGINE_INTERRUPTED:
		return EXIT_INTERRUPTED;
	case ENGINE_ERROR:
		break;
	}
	return EXIT_FAILURE_INTERNAL;
}

/* The worse of two exit statuses: an interrupt wins, then the higher code. */
static int worse(int a, int b)
{
	if (a == EXIT_INTERRUPTED || b == EXIT_INTERRUPTED)
		return EXIT_INTERRUPTED;
	return a > b ? a : b;
}

static void apply_kill_hook(size_t i, void *ctx)
{
	if ((long)i + 1 == *(long *)ctx)
		raise(SIGKILL);
}

/* --apply for every target at once: one change, atomic as a whole (apply.h). */
static int apply_all(struct run_opts *o, struct target_run *rts, size_t n, const char *state_dir,
                     struct buf *err)
{
	struct apply_set set = {0};
	struct strlist written = {0};
	size_t *first = xcalloc(n + 1, sizeof(*first));
	const char *kill_after = getenv("OPTIMIZE_TEST_APPLY_KILL_AFTER");
	long k = kill_after ? atol(kill_after) : 0;
	struct apply_hooks hooks = {apply_kill_hook, &k};
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		const struct run_view *v = rts[i].l ? loop_view(rts[i].l) : NULL;
		int settings_only = 0;

		first[i] = set.n;
		if (!v)
			continue;
		r = target_run_apply_prepare(&rts[i], &optimize_interrupted, &set, &settings_only,
		                             err);
		if (r == 0 && v->best == 0)
			fprintf(stderr, "[%s] --apply: nothing to apply, the original is kept\n",
			        v->target->name);
		if (r == 0 && settings_only) {
			const struct cand_config *cfg = &view_best(v)->cfg;
			fprintf(
			    stderr,
			    "[%s] --apply: the winner changes only build settings, no file: use "
			    "cflags \"%s\"%s%s in your build\n",
			    v->target->name, cfg->cflags ? cfg->cflags : "",
			    cfg->pgo ? " with PGO" : "",
			    cfg->cl_build_options && *cfg->cl_build_options ? " and OpenCL options"
			                                                    : "");
		}
	}
	first[n] = set.n;
	if (r == 0 && set.n)
		r = apply_commit(&set, state_dir, o->no_backup, k > 0 ? &hooks : NULL, &written,
		                 err);
	for (size_t i = 0; r == 0 && i < n; i++)
		for (size_t j = first[i]; j < first[i + 1]; j++)
			if (strlist_has(&written, set.v[j].path))
				fprintf(stderr, "[%s] wrote %s%s\n", rts[i].t->name, set.v[j].path,
				        o->no_backup ? "" : " (previous version kept as .orig)");
	strlist_release(&written);
	apply_set_release(&set);
	free(first);
	return r;
}

/* An --apply that was killed is finished before anything else (apply.h). */
static int recover_apply(const char *state_dir)
{
	struct strlist what = {0};
	struct buf err = BUF_INIT;
	int r = apply_recover(state_dir, &what, &err);

	if (r < 0)
		fprintf(stderr, "optimize run: an interrupted --apply could not be finished: %s\n",
		        err.data);
	else if (r > 0)
		fprintf(stderr, "note: an interrupted --apply was %s (%zu file%s)\n",
		        r == 1 ? "completed" : "rolled back", what.n, what.n == 1 ? "" : "s");
	strlist_release(&what);
	buf_release(&err);
	return r < 0 ? -1 : 0;
}

static void run_usage(FILE *f)
{
	struct buf b = BUF_INIT;
	struct opt_spec *all = llm_run_option_specs_merge(run_options);
	opt_help(all, &b);
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

/* One option; 0 done, 1 --help shown, -1 usage error (err). */
static int parse_one(int c, const char *arg, struct run_opts *o, struct buf *err)
{
	struct measure_settings *m = &o->rs.po.m;
	struct stat sb;
	int bad = measure_option_parse(c, arg, m, err);

	if (bad)
		return bad < 0 ? -1 : 0;
	if (root_option_parse(c, arg, &o->rs.po.run_as, &o->rs.po.allow_unsafe_root))
		return 0;
	switch (c) {
	case OPT_APPLY:
		o->apply = 1;
		break;
	case OPT_NO_BACKUP:
		o->no_backup = 1;
		break;
	case OPT_TARGET:
		o->only = arg;
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
	case OPT_CANDIDATE:
		if (stat(arg, &sb) < 0 || !S_ISDIR(sb.st_mode))
			bad = err_set(err, "--candidate '%s': %s", arg,
			              errno == ENOENT ? "no such directory" : "not a directory");
		strlist_push(&o->candidates, arg);
		break;
	case OPT_NO_FLAGS:
		o->rs.no_flags = 1;
		break;
	case OPT_STATE_DIR:
		o->state_dir = arg;
		break;
	case OPT_KEEP_WORK:
		o->keep_work = 1;
		break;
	case OPT_NO_PROFILE:
		o->rs.po.profile = 0;
		break;
	case OPT_ALLOW_NETWORK:
		o->rs.po.allow_network = 1;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_OUTPUT:
		o->output = arg;
		break;
	case OPT_BUDGET_TIME:
		bad = opt_double("budget-time", arg, 0, 1e9, &o->rs.lo.budget_time_s, err);
		break;
	case 'q':
		o->rs.lo.verbosity = -1;
		break;
	case 'v':
		o->rs.lo.verbosity++;
		break;
	case 'h':
		return 1;
	case ':':
		return err_set(err, "option needs a value");
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

/* 0 parsed, 1 --help was shown, -1 usage error (printed). */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	struct opt_spec *specs = llm_run_option_specs_merge(run_options);
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT, err = BUF_INIT;
	int c, r = 0;

	opt_build(specs, &longopts, &shortopts);
	optind = 1;
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, shortopts.data, longopts, NULL)) != -1) {
		r = parse_one(c, optarg, o, &err);
		if (r < 0 && (c == '?' || c == ':' || !strcmp(err.data, "unknown option")))
			err_set(&err,
			        c == ':' ? "option '%s' needs a value" : "unknown option '%s'",
			        argv[optind - 1]);
	}
	if (r == 0 && o->rs.po.m.max_runs < o->rs.po.m.min_runs)
		r = err_set(&err, "--max-runs (%d) is smaller than --min-runs (%d)",
		            o->rs.po.m.max_runs, o->rs.po.m.min_runs);
	if (r == 0 && o->output) {
		/* Found out now, not after the measuring. */
		struct buf dir = BUF_INIT;
		path_dirname(&dir, o->output);
		if (access(dir.data, W_OK) < 0)
			r = err_set(&err, "--output '%s': cannot write into '%s': %s", o->output,
			            dir.data, strerror(errno));
		buf_release(&dir);
	}
	if (r == 0 && optind < argc)
		o->tree = argv[optind++];
	if (r == 0 && optind < argc)
		r = err_set(&err, "unexpected argument '%s' (one TREE only)", argv[optind]);
	if (r == 1)
		run_usage(stdout);
	else if (r < 0)
		fprintf(stderr, "optimize run: %s\n(see 'optimize run --help')\n", err.data);
	free(specs);
	free(longopts);
	buf_release(&shortopts);
	buf_release(&err);
	return r;
}

/* One target: assemble, run, report. Returns its exit status. */
static int run_one(struct run_opts *o, const struct target *t, struct target_run *tr,
                   const struct engine_events *ev, int *llm_notice, struct buf *err)
{
	int configured = 0, code;

	((struct run_ui *)ev->ctx)->printed = 0;
	if (target_run_init(tr, &o->rs, t, ev, &configured, err) < 0)
		return -1;
	if (!configured && !o->rs.no_flags && !(*llm_notice)++ && o->rs.lo.verbosity >= 0)
		fprintf(stderr, "%s\n", llm_not_configured_message());
	code = exit_of(target_run_exec(tr, &o->rs, err));
	if (code != EXIT_OK && err->len)
		fprintf(stderr, "optimize run: %s\n", err->data);
	return code;
}

/*
 * The result: the table, or with --json the run's report.json as written;
 * on stdout, or with --output into FILE (atomically). 0, or -1 (printed).
 */
static int emit_result(const struct run_opts *o, const struct buf *table, const char *run_dir)
{
	struct buf text = BUF_INIT, path = BUF_INIT, err = BUF_INIT;
	int r = 0;

	if (o->json) {
		buf_addf(&path, "%s/report.json", run_dir);
		if (buf_read_file(&text, path.data) < 0)
			r = err_set(&err, "cannot read '%s': %s", path.data, strerror(errno));
	} else {
		buf_add(&text, table->data, table->len);
	}
	if (r == 0 && o->output)
		r = file_write_atomic(o->output, text.data, text.len, 0644, &err);
	else if (r == 0 && fwrite(text.data, 1, text.len, stdout) != text.len)
		r = err_set(&err, "cannot write the result to stdout: %s", strerror(errno));
	if (r < 0)
		fprintf(stderr, "optimize run: %s\n", err.data);
	buf_release(&text);
	buf_release(&path);
	buf_release(&err);
	return r;
}

/* report.json and summary.md of the whole run, --apply, the table, cleanup. */
static int finish(struct run_opts *o, struct target_run *rts, size_t n, const char *run_id,
                  const char *state_dir, const char *command, int any_llm, double started[2],
                  int code)
{
	struct report_target *rtv = xcalloc(n + 1, sizeof(*rtv));
	struct buf rd = BUF_INIT, err = BUF_INIT, table = BUF_INIT;
	struct run_meta meta;
	struct buf pname = BUF_INIT;

	run_settings_proposer_name(&o->rs, any_llm, &pname);
	for (size_t i = 0; i < n; i++)
		rtv[i] = rts[i].rt;
	buf_addf(&rd, "%s/runs/%s", state_dir, run_id);
	file_mkdirs(rd.data, 0755, NULL);
	memset(&meta, 0, sizeof(meta));
	meta.run_id = run_id;
	meta.command = command;
	meta.run_dir = rd.data;
	meta.proposer = pname.data;
	meta.m = &o->rs.po.m;
	meta.started_unix = started[0];
	meta.wall_s = clock_mono_s() - started[1];
	meta.exit_code = code;
	if (n && report_write_run(rtv, n, &meta, &err) < 0) {
		fprintf(stderr, "optimize run: cannot write the report: %s\n", err.data);
		code = worse(code, EXIT_FAILURE_INTERNAL);
	}
	if (o->apply && code == EXIT_OK) {
		if (apply_all(o, rts, n, state_dir, &err) < 0) {
			fprintf(stderr, "optimize run: %s\n", err.data);
			code = worse(code, optimize_interrupted ? EXIT_INTERRUPTED
			                                        : EXIT_FAILURE_INTERNAL);
		}
		/* An interrupt during --apply (whatever it cut short) is an interrupt. */
		if (optimize_interrupted)
			code = EXIT_INTERRUPTED;
	} else if (o->apply) {
		fprintf(stderr, "optimize run: --apply skipped: the run did not complete\n");
	}
	report_table(rtv, n, &table);
	if (emit_result(o, &table, rd.data) < 0)
		code = worse(code, EXIT_FAILURE_INTERNAL);
	if (o->rs.lo.verbosity >= 0)
		fprintf(stderr, "report: %s/report.json\nsummary: %s/summary.md\n", rd.data,
		        rd.data);
	if (o->output && o->rs.lo.verbosity >= 0)
		fprintf(stderr, "result: %s\n", o->output);
	if (!o->keep_work) {
		struct buf wd = BUF_INIT;
		buf_addf(&wd, "%s/work/%s", state_dir, run_id);
		ws_remove_tree(wd.data, NULL);
		buf_release(&wd);
	}
	free(rtv);
	buf_release(&pname);
	buf_release(&rd);
	buf_release(&err);
	buf_release(&table);
	return code;
}

int cmd_run(int argc, char **argv, struct cli_ctx *ctx)
{
	struct run_opts o;
	struct manifest m = {0};
	struct target_run *rts = NULL;
	struct cli_progress pr = {0};
	struct run_ui ui = {&pr, 0};
	struct engine_events ev = {on_note, on_pair, on_candidate_done, &ui};
	struct buf err = BUF_INIT;
	char *run_id = NULL, *state_dir = NULL, *command = join_argv(argc, argv);
	double started[2] = {clock_unix_s(), clock_mono_s()};
	size_t n = 0;
	int code = EXIT_OK, llm_notice = 0, any_llm = 0, r;

	memset(&o, 0, sizeof(o));
	pipeline_options_default(&o.rs.po);
	o.rs.po.m.cpu_auto = 1; /* pinned by default (pipeline_baseline.c) */
	o.rs.lo.verbosity = ctx->verbosity;
	o.tree = ".";
	llm_run_options_init(&o.llm);
	r = parse_args(argc, argv, &o);
	if (r != 0) {
		code = r > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	o.llm.verbosity = o.rs.lo.verbosity;
	pr.verbosity = o.rs.lo.verbosity;
	pr.tty = ctx->stderr_tty;
	pr.max_runs = o.rs.po.m.max_runs;
	if (manifest_load(o.tree, &m, &err) < 0) {
		fprintf(stderr, "optimize run: %s\n", err.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (o.only && !manifest_find_target(&m, o.only)) {
		fprintf(stderr, "optimize run: no target '%s' in %s\n", o.only, m.path);
		code = EXIT_USAGE;
		goto out;
	}
	if (llm_run_preflight(&o.llm, &m, o.only, &err) < 0) {
		fprintf(stderr, "optimize run: %s\n", err.data);
		code = EXIT_LLM;
		goto out;
	}
	run_id = make_run_id();
	state_dir = choose_state_dir(m.targets[0].tree, o.state_dir, &err);
	if (!state_dir) {
		fprintf(stderr, "optimize run: %s\n", err.data);
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	if (recover_apply(state_dir) < 0) {
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	o.rs.po.state_dir = state_dir;
	o.rs.po.run_id = run_id;
	o.rs.po.cancel = &optimize_interrupted;
	o.rs.candidates = &o.candidates;
	o.rs.llm = &o.llm;
	rts = xcalloc(m.ntargets + 1, sizeof(*rts));
	for (size_t i = 0; i < m.ntargets && !optimize_interrupted; i++) {
		const struct target *t = &m.targets[i];
		int r1;

		if (o.only && strcmp(t->name, o.only))
			continue;
		buf_reset(&err);
		r1 = run_one(&o, t, &rts[n], &ev, &llm_notice, &err);
		if (r1 < 0) {
			fprintf(stderr, "optimize run: %s\n", err.data);
			code = EXIT_USAGE;
			goto out;
		}
		any_llm |= rts[n].llm;
		n++;
		code = worse(code, r1);
	}
	code = finish(&o, rts, n, run_id, state_dir, command, any_llm, started, code);
out:
	for (size_t i = 0; i < n; i++)
		target_run_release(&rts[i]);
	free(rts);
	llm_run_options_release(&o.llm);
	manifest_release(&m);
	strlist_release(&o.candidates);
	free(run_id);
	free(state_dir);
	free(command);
	buf_release(&err);
	return code;
}
