/*
 * cmd_check.c: `optimize check [TREE]`: validate the manifest, then build,
 * verify and run the original of every target once the way `optimize run`
 * does (each verify and the timed run twice, compared), and say what a run
 * would measure. Nothing is measured; the tree is only read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/measure_opts.h"
#include "cli/options.h"
#include "engine/objective.h"
#include "engine/pipeline.h"
#include "engine/workspace.h"
#include "cli/measure_opts.h"

enum { OPT_TARGET = 256, OPT_OBJECTIVE, OPT_COUNTERS, OPT_CC, OPT_ALLOW_NETWORK };

const struct opt_spec check_options[] = {
    {"target", OPT_TARGET, required_argument, "NAME", "only this target of the manifest"},
    {"objective", OPT_OBJECTIVE, required_argument, "OBJ",
     "the objective a run would use (default: the manifest's)"},
    {"counters", OPT_COUNTERS, required_argument, "BACKEND",
     "counter backend for counter objectives: perf, papi, cachegrind"},
    {"cc", OPT_CC, required_argument, "CC", "compiler for the build"},
    {"allow-network", OPT_ALLOW_NETWORK, no_argument, NULL,
     "let the build and runs reach the network (default: loopback only)"},
    ROOT_OPTION_SPECS,
    {"quiet", 'q', no_argument, NULL, "only errors"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

struct check_opts {
	const char *tree, *only, *objective, *counters, *cc, *run_as;
	int allow_network, quiet, allow_unsafe_root;
};

static void check_usage(FILE *f)
{
	struct buf b = BUF_INIT;

	opt_help(check_options, &b);
	fprintf(f,
	        "usage: optimize check [options] [TREE]\n\n"
	        "Validate TREE/optimize.json, then build, verify and run each target's original\n"
	        "once as 'optimize run' would (every verify and the timed run twice, outputs\n"
	        "compared), and say what a run would measure. Nothing is measured.\n\n%s\n"
	        "Exit status: 0 ready to run, 1 internal error, 2 usage or manifest error,\n"
	        "3 the original does not build, verify or run (docs/exit-codes.md).\n",
	        b.data);
	buf_release(&b);
}

/* 0 parsed, 1 --help shown, -1 usage error (printed). */
static int parse_args(int argc, char **argv, struct check_opts *o)
{
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT;
	int c, r = 0;

	opt_build(check_options, &longopts, &shortopts);
	optind = 1;
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, shortopts.data, longopts, NULL)) != -1) {
		if (root_option_parse(c, optarg, &o->run_as, &o->allow_unsafe_root))
			continue;
		switch (c) {
		case OPT_TARGET:
			o->only = optarg;
			break;
		case OPT_OBJECTIVE:
			o->objective = optarg;
			break;
		case OPT_COUNTERS:
			o->counters = optarg;
			break;
		case OPT_CC:
			o->cc = optarg;
			break;
		case OPT_ALLOW_NETWORK:
			o->allow_network = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			check_usage(stdout);
			r = 1;
			break;
		default:
			fprintf(stderr, "optimize check: %s '%s'\n(see 'optimize check --help')\n",
			        c == ':' ? "option needs a value:" : "unknown option",
			        argv[optind - 1]);
			r = -1;
		}
	}
	if (r == 0 && optind < argc)
		o->tree = argv[optind++];
	if (r == 0 && optind < argc) {
		fprintf(stderr, "optimize check: unexpected argument '%s' (one TREE only)\n",
		        argv[optind]);
		r = -1;
	}
	free(longopts);
	buf_release(&shortopts);
	return r;
}

static void on_note(void *ctx, enum note_level level, const char *msg)
{
	const struct check_opts *o = ctx;

	if (level == NOTE_WARNING || (level == NOTE_PROGRESS && !o->quiet))
		fprintf(stderr, "%s%s\n", level == NOTE_WARNING ? "warning: " : "", msg);
}

static void outputs_compared(const struct compare_item *items, size_t n, struct buf *out)
{
	if (!n)
		buf_addstr(out, "the exit status only");
	for (size_t i = 0; i < n; i++) {
		buf_addstr(out, i ? ", " : "the exit status, ");
		if (items[i].kind == COMPARE_STDOUT)
			buf_addstr(out, "stdout");
		else if (items[i].kind == COMPARE_STDERR)
			buf_addstr(out, "stderr");
		else
			buf_addf(out, "file:%s", items[i].path);
	}
}

/* What `optimize run` would do with this target, on stdout. */
static void say_plan(const struct pipeline *p, const struct pipeline_options *po,
                     const struct candidate *orig)
{
	const struct target *t = pipeline_target(p);
	const struct objective *obj = pipeline_objective(p);
	struct buf cmp = BUF_INIT;

	outputs_compared(t->run_compare, t->nrun_compare, &cmp);
	printf("%s: ready: the original builds (%s), its %zu verify run%s and its timed run "
	       "give the same outputs twice%s\n",
	       t->name, orig->cfg.cflags && *orig->cfg.cflags ? orig->cfg.cflags : "no CFLAGS",
	       t->nverify, t->nverify == 1 ? "" : "s", t->test ? ", its test passes" : "");
	printf("  would measure: '%s'\n", t->run);
	printf("  objective: %s from %s%s\n", obj->name, obj->source,
	       obj->deterministic ? " (deterministic: one run each decides)" : "");
	if (!obj->deterministic)
		printf("  pairs: %d to %d interleaved, after %d warm-up run%s of each side\n",
		       po->m.min_runs, po->m.max_runs, po->m.warmup, po->m.warmup == 1 ? "" : "s");
	printf("  compared on every timed run: %s\n", cmp.data);
	buf_release(&cmp);
}

/* One target: its exit status. */
static int check_target(const struct check_opts *o, const struct target *t, const char *state,
                        const struct engine_events *ev)
{
	struct pipeline_options po;
	struct pipeline *p = NULL;
	struct candidate *orig = NULL;
	struct buf err = BUF_INIT;
	enum engine_status st;
	int code = EXIT_OK;

	pipeline_options_default(&po);
	po.target = t;
	po.state_dir = state;
	po.run_id = "check";
	po.cc = o->cc;
	po.objective = o->objective;
	po.counters = o->counters;
	po.allow_network = o->allow_network;
	po.run_as = o->run_as;
	po.allow_unsafe_root = o->allow_unsafe_root;
	po.profile = 0;
	po.check_only = 1;
	po.cancel = &optimize_interrupted;
	po.ev = ev;
	st = pipeline_open(&po, &p, &err);
	if (st == ENGINE_OK) {
		orig = pipeline_original(p);
		candidate_resolve(orig, &orig, pipeline_pristine(p));
		st = pipeline_baseline(p, orig, &err);
	}
	if (st == ENGINE_OK) {
		say_plan(p, &po, orig);
	} else {
		fprintf(stderr, "optimize check: %s\n", err.data);
		code = st == ENGINE_SETUP         ? EXIT_USAGE
		       : st == ENGINE_BASELINE    ? EXIT_BASELINE
		       : st == ENGINE_INTERRUPTED ? EXIT_INTERRUPTED
		                                  : EXIT_FAILURE_INTERNAL;
	}
	candidate_free(orig);
	pipeline_close(p);
	buf_release(&err);
	return code;
}

int cmd_check(int argc, char **argv, struct cli_ctx *ctx)
{
	struct check_opts o = {0};
	struct manifest m = {0};
	struct engine_events ev = {on_note, NULL, NULL, &o};
	struct buf err = BUF_INIT, dir = BUF_INIT;
	const char *tmp = getenv("TMPDIR");
	int code = EXIT_OK, r;

	o.tree = ".";
	o.quiet = ctx->verbosity < 0;
	r = parse_args(argc, argv, &o);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (manifest_load(o.tree, &m, &err) < 0) {
		fprintf(stderr, "optimize check: %s\n", err.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (o.only && !manifest_find_target(&m, o.only)) {
		fprintf(stderr, "optimize check: no target '%s' in %s\n", o.only, m.path);
		code = EXIT_USAGE;
		goto out;
	}
	buf_addf(&dir, "%s/optimize-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir.data)) {
		fprintf(stderr, "optimize check: cannot create a workspace under '%s': %s\n",
		        tmp && *tmp ? tmp : "/tmp", strerror(errno));
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < m.ntargets && !optimize_interrupted; i++) {
		int c1;

		if (o.only && strcmp(m.targets[i].name, o.only))
			continue;
		c1 = check_target(&o, &m.targets[i], dir.data, &ev);
		if (c1 > code)
			code = c1;
	}
	if (optimize_interrupted)
		code = EXIT_INTERRUPTED;
	ws_remove_tree(dir.data, NULL);
out:
	manifest_release(&m);
	buf_release(&err);
	buf_release(&dir);
	return code;
}
