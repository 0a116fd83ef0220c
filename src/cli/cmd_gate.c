/*
 * cmd_gate.c: `optimize gate TREE --base REF [--head REF]`, the CI gate.
 * The git questions, checkouts and the comparison are in src/gate; this
 * file parses the command line, writes the outputs CI reads (Markdown to
 * $GITHUB_STEP_SUMMARY and --markdown, --junit, --json, annotations) and
 * maps the verdicts to the exit status (docs/exit-codes.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmd_gate.h"
#include "cli/measure_opts.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "engine/workspace.h"
#include "gate/gate.h"
#include "gate/gate_bisect.h"
#include "gate/gate_git.h"
#include "gate/gate_output.h"

enum {
	OPT_BASE = 256,
	OPT_HEAD,
	OPT_BASELINE,
	OPT_TARGET,
	OPT_OBJECTIVE,
	OPT_COUNTERS,
	OPT_THRESHOLD,
	OPT_ALPHA,
	OPT_CC,
	OPT_INCONCLUSIVE,
	OPT_MARKDOWN,
	OPT_JUNIT,
	OPT_JSON,
	OPT_BISECT,
	OPT_OUTPUT,
	OPT_STATE_DIR,
	OPT_KEEP_WORK,
	OPT_ALLOW_NETWORK,
};

const struct opt_spec gate_options[] = {
    {"base", OPT_BASE, required_argument, "REF", "the revision to compare against (required)"},
    {"head", OPT_HEAD, required_argument, "REF",
     "the revision under test (default: the work tree as it is)"},
    {"baseline", OPT_BASELINE, required_argument, "FILE",
     "compare with a baseline recorded by 'gate record' instead of --base"},
    {"target", OPT_TARGET, required_argument, "NAME", "only this target of the manifest"},
    {"objective", OPT_OBJECTIVE, required_argument, "OBJ",
     "time (default), cpu-time, instructions, cycles, cache-misses, max-rss, kernel_time[:NAME]"},
    {"counters", OPT_COUNTERS, required_argument, "BACKEND",
     "counter backend: perf, papi, cachegrind (instructions: exact counts)"},
    {"threshold", OPT_THRESHOLD, required_argument, "PCT",
     "smallest change that counts (default 5 for time, 1 for exact counts)"},
    {"alpha", OPT_ALPHA, required_argument, "PCT",
     "family-wise false-alarm rate over all targets (default 5)"},
    {"min-runs", OPT_MIN_RUNS, required_argument, "N", "fewest measured pairs (default 5)"},
    {"max-runs", OPT_MAX_RUNS, required_argument, "N",
     "most measured pairs; then the verdict may be inconclusive (default 60)"},
    {"warmup", OPT_WARMUP, required_argument, "N", "warm-up runs of each side (default 1)"},
    {"seed", OPT_SEED, required_argument, "N",
     "accepted for scripts; the gate's interval is exact and needs no seed"},
    {"cpu", OPT_CPU, required_argument, "N|any",
     "pin timed runs to CPU N (default: a CPU chosen by calibration; any: no pinning)"},
    {"cc", OPT_CC, required_argument, "CC", "compiler for both builds"},
    {"inconclusive", OPT_INCONCLUSIVE, required_argument, "pass|fail",
     "exit status of an inconclusive target (default pass, with a warning)"},
    {"markdown", OPT_MARKDOWN, required_argument, "FILE", "write the Markdown table to FILE"},
    {"junit", OPT_JUNIT, required_argument, "FILE", "write JUnit XML to FILE"},
    {"json", OPT_JSON, no_argument, NULL, "the result as JSON on stdout"},
    {"bisect", OPT_BISECT, no_argument, NULL,
     "on a regression, find the first regressing commit (use exact counts)"},
    {"output", OPT_OUTPUT, required_argument, "FILE", "gate record: the baseline file"},
    {"state-dir", OPT_STATE_DIR, required_argument, "DIR",
     "checkouts and runs go here (default TREE/.optimize)"},
    {"keep-work", OPT_KEEP_WORK, no_argument, NULL, "keep the checkouts afterwards"},
    ROOT_OPTION_SPECS,
    {"allow-network", OPT_ALLOW_NETWORK, no_argument, NULL,
     "let builds and runs reach the network (default: loopback only)"},
    {"quiet", 'q', no_argument, NULL, "only errors and the result"},
    {"verbose", 'v', no_argument, NULL, "more detail"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

static void gate_usage(FILE *f)
{
	struct buf b = BUF_INIT;

	opt_help(gate_options, &b);
	fprintf(f,
	        "usage: optimize gate [options] --base REF [--head REF] [TREE]\n"
	        "       optimize gate [options] --baseline FILE [TREE]\n"
	        "       optimize gate record [options] --output FILE [TREE]\n\n"
	        "Is the head slower than the base? Both revisions are built with the same\n"
	        "settings (the head's optimize.json), the head is verified against the base\n"
	        "(different outputs are a behaviour change, not a timing), and both are\n"
	        "measured in interleaved pairs in this job. Per target: regressed, improved,\n"
	        "unchanged or inconclusive, with the false-alarm rate controlled over all\n"
	        "targets (Holm). The base is checked out with git archive into the state\n"
	        "directory; your checkout is only read. On shared CI runners use\n"
	        "--objective instructions --counters cachegrind (exact counts); wall time needs\n"
	        "a quiet machine. See docs/ci.md.\n\n"
	        "%s\nExit status: 0 pass, 1 a regression (or inconclusive with --inconclusive\n"
	        "fail), 2 usage, manifest, git or baseline error, 3 a revision does not build,\n"
	        "verify or run, or behaves differently, 130 interrupted (docs/exit-codes.md).\n",
	        b.data);
	buf_release(&b);
}

/* One option; 0 done, 1 --help, -1 usage error (err). */
static int parse_one(int c, const char *arg, struct gate_cmd *o, struct buf *err)
{
	struct measure_settings *m = &o->go.m;
	double d;
	int bad = measure_option_parse(c, arg, m, err);

	if (bad)
		return bad < 0 ? -1 : 0;
	if (root_option_parse(c, arg, &o->go.run_as, &o->go.allow_unsafe_root))
		return 0;
	switch (c) {
	case OPT_BASE:
		o->base = arg;
		break;
	case OPT_HEAD:
		o->head = arg;
		break;
	case OPT_BASELINE:
		o->baseline = arg;
		break;
	case OPT_TARGET:
		o->go.only = arg;
		break;
	case OPT_OBJECTIVE:
		o->go.objective = arg;
		break;
	case OPT_COUNTERS:
		o->go.counters = arg;
		break;
	case OPT_THRESHOLD:
		bad = opt_double("threshold", arg, 0.001, 99, &d, err);
		o->go.threshold = d / 100;
		break;
	case OPT_ALPHA:
		bad = opt_double("alpha", arg, 0.001, 50, &d, err);
		o->go.alpha = d / 100;
		break;
	case OPT_CC:
		o->go.cc = arg;
		break;
	case OPT_INCONCLUSIVE:
		if (strcmp(arg, "pass") && strcmp(arg, "fail"))
			bad = err_set(err, "--inconclusive '%s': say pass or fail", arg);
		o->inconclusive_fails = !strcmp(arg, "fail");
		break;
	case OPT_MARKDOWN:
		o->markdown = arg;
		break;
	case OPT_JUNIT:
		o->junit = arg;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_BISECT:
		o->bisect = 1;
		break;
	case OPT_OUTPUT:
		o->output = arg;
		break;
	case OPT_STATE_DIR:
		o->state_dir = arg;
		break;
	case OPT_KEEP_WORK:
		o->keep_work = 1;
		break;
	case OPT_ALLOW_NETWORK:
		o->go.allow_network = 1;
		break;
	case 'q':
		o->pr.verbosity = -1;
		break;
	case 'v':
		o->pr.verbosity++;
		break;
	case 'h':
		return 1;
	default:
		return err_set(err, "unknown option");
	}
	return bad ? -1 : 0;
}

/* The checks that need every option; 0 or -1 (err). */
static int check_args(struct gate_cmd *o, struct buf *err)
{
	if (o->go.m.max_runs < o->go.m.min_runs)
		return err_set(err, "--max-runs (%d) is smaller than --min-runs (%d)",
		               o->go.m.max_runs, o->go.m.min_runs);
	if (o->record) {
		if (!o->output)
			return err_set(err,
			               "gate record needs --output FILE (the baseline to write)");
		if (o->base || o->baseline || o->bisect)
			return err_set(err, "gate record takes no --base, --baseline or --bisect");
		return 0;
	}
	if (o->base && o->baseline)
		return err_set(err, "--base and --baseline both given: compare with one of them");
	if (!o->base && !o->baseline)
		return err_set(err,
		               "say what to compare with: --base REF (e.g. --base origin/main) "
		               "or --baseline FILE");
	if (o->bisect && !o->base)
		return err_set(err,
		               "--bisect needs --base REF (the history between base and head)");
	if (o->output)
		return err_set(err,
		               "--output is for 'gate record'; use --markdown, --junit or --json");
	return 0;
}

/* 0 parsed, 1 --help was shown, -1 usage error (printed). */
static int parse_args(int argc, char **argv, struct gate_cmd *o)
{
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT, err = BUF_INIT;
	int c, r = 0;

	if (argc > 1 && !strcmp(argv[1], "record")) {
		o->record = 1;
		argc--;
		argv++;
	}
	opt_build(gate_options, &longopts, &shortopts);
	optind = 1;
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, shortopts.data, longopts, NULL)) != -1) {
		r = parse_one(c, optarg, o, &err);
		if (r < 0 && (c == '?' || c == ':'))
			err_set(&err,
			        c == ':' ? "option '%s' needs a value" : "unknown option '%s'",
			        argv[optind - 1]);
	}
	if (r == 0 && optind < argc)
		o->tree = argv[optind++];
	if (r == 0 && optind < argc)
		r = err_set(&err, "unexpected argument '%s' (one TREE only)", argv[optind]);
	if (r == 0)
		r = check_args(o, &err);
	if (r == 1)
		gate_usage(stdout);
	else if (r < 0)
		fprintf(stderr, "optimize gate: %s\n(see 'optimize gate --help')\n", err.data);
	free(longopts);
	buf_release(&shortopts);
	buf_release(&err);
	return r;
}

char *gate_cmd_run_id(void)
{
	struct buf b = BUF_INIT;
	time_t t = time(NULL);
	struct tm tm;
	char when[32];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	buf_addf(&b, "gate-%s-%05ld", when, (long)getpid() % 100000);
	return buf_detach(&b);
}

/* TREE/.optimize (ignored by git through its own .gitignore), or --state-dir. */
static char *state_dir_of(const struct gate_cmd *o, struct buf *err)
{
	struct buf d = BUF_INIT, gi = BUF_INIT;

	if (o->state_dir) {
		if (file_mkdirs(o->state_dir, 0755, err) < 0)
			return NULL;
		return xstrdup(o->state_dir);
	}
	buf_addf(&d, "%s/.optimize", o->tree);
	if (file_mkdirs(d.data, 0755, err) < 0) {
		err_prefix(err, "the state directory (give a writable one with --state-dir): ");
		buf_release(&d);
		return NULL;
	}
	buf_addf(&gi, "%s/.gitignore", d.data);
	if (access(gi.data, F_OK) != 0)
		file_write_atomic(gi.data, "*\n", 2, 0644, NULL);
	buf_release(&gi);
	return buf_detach(&d);
}

static void on_note(void *ctx, enum note_level level, const char *msg)
{
	cli_progress_note(ctx, level, msg);
}

static void on_pair(void *ctx, const struct candidate *c, size_t n, const struct stats_interval *ci)
{
	cli_progress_pair(ctx, c, n, ci);
}

/* Resolve the revisions and make the checkouts. 0, or an exit status. */
int gate_cmd_prepare(struct gate_cmd *o, struct gate_run *g, struct buf *err)
{
	struct buf changes = BUF_INIT, dir = BUF_INIT;
	int code = EXIT_USAGE;

	if (gate_repo_open(o->tree, &g->repo, err) < 0)
		goto out;
	if (o->base && gate_git_resolve(&g->repo, o->base, "--base", &g->base_commit, err) < 0)
		goto out;
	if (gate_git_resolve(&g->repo, o->head ? o->head : "HEAD", o->head ? "--head" : "HEAD",
	                     &g->head_commit, err) < 0 &&
	    o->head)
		goto out;
	code = EXIT_FAILURE_INTERNAL;
	if (gate_git_changes(&g->repo, &changes, err) < 0)
		goto out;
	g->dirty = changes.len > 0;
	if (o->head && g->dirty) {
		err_set(err,
		        "the work tree has uncommitted changes, and --head %s compares the commit "
		        "%.10s without them against --base %s; commit or stash them, or leave out "
		        "--head to gate the work tree as it is:\n%s",
		        o->head, g->head_commit.data, o->base ? o->base : o->baseline,
		        changes.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (!(g->state = state_dir_of(o, err)))
		goto out;
	g->run_id = gate_cmd_run_id();
	buf_addf(&g->gate_dir, "%s/gate/%s", g->state, g->run_id);
	if (o->base) {
		buf_addf(&dir, "%s/base", g->gate_dir.data);
		if (gate_git_checkout(&g->repo, g->base_commit.data, dir.data, &g->base_tree, err) <
		    0)
			goto out;
	}
	if (o->head) {
		buf_reset(&dir);
		buf_addf(&dir, "%s/head", g->gate_dir.data);
		if (gate_git_checkout(&g->repo, g->head_commit.data, dir.data, &g->head_tree, err) <
		    0)
			goto out;
	} else {
		buf_addstr(&g->head_tree, o->tree);
	}
	code = 0;
out:
	buf_release(&changes);
	buf_release(&dir);
	return code;
}

void gate_cmd_labels(const struct gate_cmd *o, const struct gate_run *g, struct gate_result *r)
{
	struct buf b = BUF_INIT;

	if (o->base) {
		buf_addf(&b, "%.10s (%s)", g->base_commit.data, o->base);
		r->base_label = buf_detach(&b);
	}
	if (o->head)
		buf_addf(&b, "%.10s (%s)", g->head_commit.data, o->head);
	else if (g->head_commit.len)
		buf_addf(&b, "the work tree (HEAD %.10s%s)", g->head_commit.data,
		         g->dirty ? " with uncommitted changes" : "");
	else
		buf_addstr(&b, "the work tree");
	r->head_label = buf_detach(&b);
}

/* Write text to path, or append it (the job summary). 0 or -1 (err). */
static int write_out(const char *path, const struct buf *text, int append, struct buf *err)
{
	FILE *f;

	if (!append)
		return file_write_atomic(path, text->data, text->len, 0644, err);
	f = fopen(path, "a");
	if (!f || fwrite(text->data, 1, text->len, f) != text->len || fclose(f) != 0)
		return err_set(err, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int gate_cmd_outputs(const struct gate_cmd *o, const struct gate_result *r)
{
	struct buf md = BUF_INIT, junit = BUF_INIT, json = BUF_INIT, ann = BUF_INIT, err = BUF_INIT;
	const char *summary = getenv("GITHUB_STEP_SUMMARY");
	const char *gha = getenv("GITHUB_ACTIONS");
	int rc = 0;

	gate_render_markdown(r, o->inconclusive_fails, &md);
	if (summary && *summary && write_out(summary, &md, 1, &err) < 0)
		rc = -1;
	if (rc == 0 && o->markdown && write_out(o->markdown, &md, 0, &err) < 0)
		rc = -1;
	if (rc == 0 && o->junit) {
		gate_render_junit(r, o->inconclusive_fails, &junit);
		if (write_out(o->junit, &junit, 0, &err) < 0)
			rc = -1;
	}
	if (gha && !strcmp(gha, "true")) {
		/* Workflow commands are read from either stream; stdout stays JSON with --json. */
		gate_render_annotations(r, o->inconclusive_fails, &ann);
		fputs(buf_str(&ann), o->json ? stderr : stdout);
	}
	if (o->json) {
		gate_render_json(r, o->inconclusive_fails, &json);
		fputs(buf_str(&json), stdout);
	} else if (o->pr.verbosity >= -1) {
		fputs(buf_str(&md), stdout);
	}
	if (rc < 0)
		fprintf(stderr, "optimize gate: %s\n", err.data);
	buf_release(&md);
	buf_release(&junit);
	buf_release(&json);
	buf_release(&ann);
	buf_release(&err);
	return rc;
}

int gate_cmd_exit(const struct gate_cmd *o, const struct gate_result *r)
{
	enum gate_status st = gate_status_of(r, o->inconclusive_fails);

	for (size_t i = 0; i < r->n; i++)
		if (r->t[i].outcome == GATE_MEASURED && r->t[i].verdict == GATE_INCONCLUSIVE &&
		    !o->inconclusive_fails)
			fprintf(
			    stderr,
			    "optimize gate: warning: '%s' is inconclusive after %zu pairs: it "
			    "passes (--inconclusive fail would fail it; more --max-runs or exact "
			    "counts may decide)\n",
			    r->t[i].name, r->t[i].n);
	switch (st) {
	case GATE_PASS:
		return EXIT_OK;
	case GATE_REGRESSION:
		return EXIT_REGRESSION;
	case GATE_USAGE:
		return EXIT_USAGE;
	case GATE_BROKEN:
		return EXIT_BASELINE;
	case GATE_INCOMPLETE:
		break;
	}
	return optimize_interrupted ? EXIT_INTERRUPTED : EXIT_BASELINE;
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
	case ENGINE_INTERRUPTED:
		return EXIT_INTERRUPTED;
	default:
		break;
	}
	return EXIT_FAILURE_INTERNAL;
}

/* --bisect after a regression: name the first regressing commit. */
static int bisect(struct gate_cmd *o, struct gate_run *g, const struct gate_result *r)
{
	struct strlist regressed = {0};
	struct gate_options go = o->go;
	struct gate_bisect b;
	struct buf err = BUF_INIT;
	enum engine_status st;
	int code = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->t[i].outcome == GATE_MEASURED && r->t[i].verdict == GATE_REGRESSED)
			strlist_push(&regressed, r->t[i].name);
	if (!regressed.n)
		return 0;
	go.targets = &regressed;
	st = gate_bisect_run(&go, &g->repo, g->base_tree.data, g->base_commit.data,
	                     g->head_commit.data, o->head || !g->dirty, g->run_id, &b, &err);
	if (st != ENGINE_OK) {
		fprintf(stderr, "optimize gate: --bisect: %s\n", err.data);
		code = exit_of(st);
	} else {
		for (size_t i = 0; i < b.steps.n; i++)
			fprintf(stderr, "bisect: %s\n", b.steps.v[i]);
		if (b.first_bad)
			printf("first regressing commit: %s %s\n", b.first_bad, b.subject);
		else if (b.in_worktree)
			printf("first regressing commit: none: HEAD does not regress; the "
			       "uncommitted changes in the work tree do\n");
	}
	gate_bisect_release(&b);
	strlist_release(&regressed);
	buf_release(&err);
	return code;
}

void gate_run_release(struct gate_run *g, int keep)
{
	if (!keep && g->gate_dir.len)
		ws_remove_tree(g->gate_dir.data, NULL);
	gate_repo_release(&g->repo);
	buf_release(&g->base_commit);
	buf_release(&g->head_commit);
	buf_release(&g->base_tree);
	buf_release(&g->head_tree);
	buf_release(&g->gate_dir);
	free(g->state);
	free(g->run_id);
}

static int gate_compare_cmd(struct gate_cmd *o)
{
	struct gate_run g = {.base_commit = BUF_INIT,
	                     .head_commit = BUF_INIT,
	                     .base_tree = BUF_INIT,
	                     .head_tree = BUF_INIT,
	                     .gate_dir = BUF_INIT};
	struct gate_result r;
	struct buf err = BUF_INIT;
	enum engine_status st;
	int code;

	gate_result_init(&r);
	code = gate_cmd_prepare(o, &g, &err);
	if (code) {
		fprintf(stderr, "optimize gate: %s\n", err.data);
		goto out;
	}
	o->go.state_dir = g.state;
	/* --bisect compares more heads with the same base: build the base once. */
	if (o->bisect && !o->baseline)
		o->go.cache = gate_base_cache_new();
	gate_cmd_labels(o, &g, &r);
	if (o->baseline)
		st = gate_cmd_against_baseline(o, &g, &r, &err);
	else
		st = gate_compare(&o->go, g.base_tree.data, g.head_tree.data, g.run_id, &r, &err);
	if (st != ENGINE_OK && !(st == ENGINE_INTERRUPTED && r.n)) {
		fprintf(stderr, "optimize gate: %s\n", err.data);
		code = exit_of(st);
		goto out;
	}
	if (gate_cmd_outputs(o, &r) < 0)
		code = EXIT_FAILURE_INTERNAL;
	else
		code = gate_cmd_exit(o, &r);
	if (code == EXIT_REGRESSION && o->bisect && gate_status_of(&r, 0) == GATE_REGRESSION) {
		int bc = bisect(o, &g, &r);
		if (bc && bc != EXIT_INTERRUPTED)
			code = bc;
	}
out:
	gate_base_cache_free(o->go.cache);
	o->go.cache = NULL;
	gate_result_release(&r);
	gate_run_release(&g, o->keep_work);
	buf_release(&err);
	return code;
}

int cmd_gate(int argc, char **argv, struct cli_ctx *ctx)
{
	struct gate_cmd o;
	struct engine_events ev = {on_note, on_pair, NULL, NULL};
	int r;

	memset(&o, 0, sizeof(o));
	gate_options_default(&o.go);
	o.pr.verbosity = ctx->verbosity;
	o.pr.tty = ctx->stderr_tty;
	o.tree = ".";
	r = parse_args(argc, argv, &o);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	o.pr.max_runs = o.go.m.max_runs;
	ev.ctx = &o.pr;
	o.go.ev = &ev;
	o.go.cancel = &optimize_interrupted;
	if (o.record)
		return gate_cmd_record(&o);
	return gate_compare_cmd(&o);
}
