/*
 * cmd_profile.c: `optimize profile TREE`, like `perf stat` plus a hotspot
 * list for a target's run command.
 *
 * The tree is copied into a temporary workspace (the user's tree is only
 * read), built there with CFLAGS + " -g" (line info for hotspots; -g does
 * not change code generation), then the run command runs once under the
 * chosen counter backend, and once more under cpu-clock sampling for the
 * hotspots (with cachegrind, its per-line data are the hotspots and no
 * second run is made).
 *
 * An OpenCL kernel target (manifest "kernels", or a kernel_time objective)
 * runs under the interposer (cltrace.h) as well: the device and per-kernel
 * device times join the profile, and a kernel that does not build is
 * reported with its build log (exit 3).
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "prof/cltrace.h"
#include "prof/counters.h"
#include "prof/hotspots.h"
#include "base/json.h"
#include "engine/manifest.h"
#include "prof/opencl_info.h"
#include "cli/options.h"
#include "base/proc.h"
#include "prof/profile.h"
#include "engine/pipeline.h"
#include "engine/workspace.h"
#include "base/xalloc.h"

#define PROFILE_TOP_FUNCTIONS   10
#define PROFILE_TOP_LINES       10
#define PROFILE_BUILD_TIMEOUT_S 600.0
#define PROFILE_STDERR_KEEP     ((size_t)64 << 10)
#define PROFILE_STDOUT_KEEP     ((size_t)1 << 20)

enum {
	OPT_COUNTERS = 256,
	OPT_NO_HOTSPOTS,
	OPT_JSON,
	OPT_CC,
};

const struct opt_spec profile_options[] = {
    {"counters", OPT_COUNTERS, required_argument, "NAME",
     "perf (default), papi, cachegrind or rusage"},
    {"events", 'e', required_argument, "LIST", "comma-separated events (default: the usual set)"},
    {"no-hotspots", OPT_NO_HOTSPOTS, no_argument, NULL, "skip the sampling run"},
    {"json", OPT_JSON, no_argument, NULL, "print one JSON document instead of the table"},
    {"output", 'o', required_argument, "FILE", "write the result to FILE, not stdout"},
    {"target", 't', required_argument, "NAME", "the target to profile (needed with several)"},
    {"cc", OPT_CC, required_argument, "CC", "C compiler (default: the manifest's cc)"},
    {"quiet", 'q', no_argument, NULL, "no progress messages"},
    {"verbose", 'v', no_argument, NULL, "more progress messages"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

static void profile_usage(FILE *f)
{
	struct buf b = BUF_INIT;

	buf_init(&b, 0);
	buf_addstr(&b,
	           "usage: optimize profile TREE [options]\n\n"
	           "Build the target of TREE/optimize.json in a temporary copy (with -g) and\n"
	           "measure its run command: counters like `perf stat`, then the hot functions\n"
	           "and source lines.\n\n"
	           "options:\n");
	opt_help(profile_options, &b);
	buf_addstr(&b,
	           "\nexamples:\n"
	           "  optimize profile path/to/tree\n"
	           "  optimize profile path/to/tree --counters cachegrind\n"
	           "  optimize profile path/to/tree --events instructions,branch-misses --json\n");
	fputs(b.data, f);
	buf_release(&b);
}

struct profile_opts {
	const char *tree;
	const char *counters;
	const char *events;
	const char *output;
	const char *target;
	const char *cc;
	int hotspots;
	int json;
	int verbosity;
	int show_progress; /* -v, or a terminal on stderr */
};

static void progress(const struct profile_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Progress goes to stderr with -v or on a terminal; warn() unless -q. */
static void progress(const struct profile_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->show_progress)
		return;
	fputs("optimize profile: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void warn(const struct profile_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(const struct profile_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->verbosity < 0)
		return;
	fputs("optimize profile: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- build and runs ---- */

/* The last max bytes of s, from a line start where possible. */
static const char *tail_of(const struct buf *s, size_t max)
{
	const char *p;

	if (s->len <= max)
		return s->data;
	p = s->data + s->len - max;
	while (*p && *p != '\n')
		p++;
	return *p ? p + 1 : s->data + s->len - max;
}

/* "the run command failed (exit 1): CMD\nSTDERR" */
static void describe_run_failure(const struct target *t, const struct proc_result *res,
                                 const struct buf *errout, struct buf *msg)
{
	struct buf what = BUF_INIT;

	buf_init(&what, 0);
	proc_result_describe(res, t->timeout_s, &what);
	err_set(msg, "the run command failed (%s): %s", what.data, t->run);
	if (errout->len)
		buf_addf(msg, "\n%s", tail_of(errout, 4096));
	buf_rtrim(msg);
	buf_release(&what);
}

static int split_events(const char *list, struct strlist *out, struct buf *err)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		char *ev;

		while (n && (*p == ' ')) {
			p++;
			n--;
		}
		if (n) {
			ev = xstrndup(p, n);
			strlist_push(out, ev);
			free(ev);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!out->n)
		return err_set(err, "option '--events' needs at least one event name");
	return 0;
}

/* The named target, or the first one (the caller says so when there are more). */
static const struct target *pick_target(const struct manifest *m, const char *name, struct buf *err)
{
	struct buf names = BUF_INIT;
	const struct target *t;
	size_t i;

	if (!name)
		return m->ntargets ? &m->targets[0] : NULL;
	t = manifest_find_target(m, name);
	if (t)
		return t;
	buf_init(&names, 0);
	for (i = 0; i < m->ntargets; i++)
		buf_addf(&names, "%s'%s'", i ? ", " : "", m->targets[i].name);
	err_set(err, "no target '%s' in '%s' (targets: %s)", name, m->path, names.data);
	buf_release(&names);
	return NULL;
}

/* ---- output ---- */

static int render(const struct profile_opts *o, const struct target *t,
                  const struct counter_backend *be, int kernel_target, const struct profile *p,
                  struct buf *out)
{
	if (o->json) {
		cJSON *root = profile_to_json(p);
		char *text;

		if (!root)
			return -1;
		cJSON_AddStringToObject(root, "target", t->name);
		cJSON_AddStringToObject(root, "counters", be->name);
		cJSON_AddBoolToObject(root, "deterministic", be->deterministic);
		text = json_print_take(root, 1);
		cJSON_Delete(root);
		if (!text)
			return -1;
		buf_addstr(out, text);
		free(text);
		return out->truncated ? -1 : 0;
	}
	buf_addf(out, " Profile of '%s' (%s):\n", t->name, t->run);
	buf_addf(out, " counters: %s%s\n\n", be->name,
	         be->deterministic ? " (deterministic, simulated)" : "");
	if (profile_render_table(p, out) < 0)
		return -1;
	/* Hotspots, then the OpenCL device and per-kernel table (cltrace's). */
	if (profile_render_hotspots(p, PROFILE_TOP_FUNCTIONS, PROFILE_TOP_LINES, out) < 0)
		return -1;
	if (kernel_target && !p->device && !p->nkernels && !p->cl_build_log) {
		buf_addch(out, '\n');
		if (cltrace_render_table(p, out) < 0) /* says that nothing was recorded */
			return -1;
	}
	return 0;
}

/* A kernel target: OpenCL kernels listed, or an objective on their device time. */
static int is_kernel_target(const struct target *t)
{
	return t->kernels.n > 0 ||
	       (t->objective && !strncmp(t->objective, "kernel_time", strlen("kernel_time")));
}

static int write_result(const char *path, const struct buf *text, struct buf *err)
{
	FILE *f = path ? fopen(path, "w") : stdout;

	if (!f)
		return err_set(err, "cannot write '%s': %s", path, strerror(errno));
	if (fwrite(text->data, 1, text->len, f) != text->len || fflush(f) != 0) {
		int e = errno;

		if (path)
			fclose(f);
		return err_set(err, "cannot write '%s': %s", path ? path : "stdout", strerror(e));
	}
	if (path && fclose(f) != 0)
		return err_set(err, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

/* ---- the command ---- */

static int parse_args(int argc, char **argv, struct profile_opts *o, struct buf *err)
{
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT, order = BUF_INIT;
	int c, rc = 0;

	buf_init(&shortopts, 0);
	opt_build(profile_options, &longopts, &shortopts);
	/* "-" first: getopt hands over TREE (as option 1) where it stands,
	 * so it may come before or after the options. */
	buf_init(&order, 0);
	buf_addch(&order, '-');
	buf_addstr(&order, shortopts.data + (shortopts.data[0] == '+'));
	optind = 1;
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, order.data, longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (o->tree)
				rc = err_set(err, "unexpected argument '%s' (one TREE only)",
				             optarg);
			else
				o->tree = optarg;
			break;
		case OPT_COUNTERS:
			o->counters = optarg;
			break;
		case 'e':
			o->events = optarg;
			break;
		case OPT_NO_HOTSPOTS:
			o->hotspots = 0;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 't':
			o->target = optarg;
			break;
		case OPT_CC:
			o->cc = optarg;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'h':
			rc = 1;
			break;
		case ':':
			rc = err_set(err, "option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			rc = err_set(err, "unknown option '%s'", argv[optind - 1]);
			break;
		}
	}
	/* after "--" */
	for (; !rc && optind < argc; optind++) {
		if (o->tree)
			rc = err_set(err, "unexpected argument '%s' (one TREE only)", argv[optind]);
		else
			o->tree = argv[optind];
	}
	free(longopts);
	buf_release(&shortopts);
	buf_release(&order);
	if (!rc && !o->tree)
		rc = err_set(err, "missing TREE (a directory with an optimize.json)");
	return rc;
}

/*
 * After a run under the interposer (its trace is in p). Returns 0 when
 * the profile may go on, EXIT_BASELINE with the build log printed when a
 * kernel did not build (the run failed, or launched nothing).
 */
static int check_cl_build(const struct profile_opts *o, const struct target *t,
                          const struct proc_result *res, const struct profile *p)
{
	int code = EXIT_OK;

	if (proc_result_ok(res) && !p->nkernels && !p->device && !p->cl_build_log)
		warn(o, "no OpenCL timings: the run recorded no kernel launch");
	if (p->cl_build_log && (!proc_result_ok(res) || !p->nkernels)) {
		fprintf(stderr, "optimize profile: '%s': an OpenCL kernel does not build:\n%s",
		        t->name, p->cl_build_log);
		if (p->cl_build_log[0] && p->cl_build_log[strlen(p->cl_build_log) - 1] != '\n')
			fputc('\n', stderr);
		code = EXIT_BASELINE;
	} else if (p->cl_build_log) {
		warn(o, "an OpenCL build failed, but the program went on (the log is in the "
		        "profile)");
	}
	return code;
}

/* Everything cmd_profile holds, released in one place. */
struct profile_run {
	struct profile_opts o;
	struct manifest m;
	struct strlist events;
	const struct counter_backend *be;
	const struct target *t;
	int kernel_target;
	char *state_dir;
	struct pipeline *p;
	struct candidate *c;
	struct profile prof;
	struct buf out, err; /* the program's output, kept for messages */
};

/* Options, manifest, backend and events: 0, or an exit status (printed). */
static int profile_setup(struct profile_run *pr, int argc, char **argv)
{
	struct profile_opts *o = &pr->o;
	struct buf err = BUF_INIT;
	int r = parse_args(argc, argv, o, &err), code = EXIT_OK;

	if (r > 0) {
		profile_usage(stdout);
		code = -1;
	} else if (r < 0) {
		fprintf(stderr, "optimize profile: %s\n(see 'optimize profile --help')\n",
		        err.data);
		code = EXIT_USAGE;
	} else if (!(pr->be = counters_backend(o->counters))) {
		fprintf(stderr,
		        "optimize profile: unknown counter backend '%s' (perf, papi, cachegrind or "
		        "rusage)\n",
		        o->counters);
		code = EXIT_USAGE;
	} else if ((o->events && split_events(o->events, &pr->events, &err) < 0) ||
	           manifest_load(o->tree, &pr->m, &err) < 0 ||
	           !(pr->t = pick_target(&pr->m, o->target, &err))) {
		fprintf(stderr, "optimize profile: %s\n", err.data);
		code = EXIT_USAGE;
	}
	/* A PAPI event name that does not exist is a usage error, with close matches. */
	for (size_t k = 0; code == EXIT_OK && !strcmp(pr->be->name, "papi") && k < pr->events.n;
	     k++) {
		int ecode;
		buf_reset(&err);
		if (counters_papi_event_code(pr->events.v[k], &ecode, &err) < 0) {
			fprintf(stderr, "optimize profile: %s\n", err.data);
			code = EXIT_USAGE;
		}
	}
	if (code == EXIT_OK && !o->target && pr->m.ntargets > 1)
		warn(o, "profiling '%s', the first of %zu targets (--target NAME picks another)",
		     pr->t->name, pr->m.ntargets);
	buf_reset(&err);
	if (code == EXIT_OK && pr->be->probe(&err) < 0) {
		/* perf and PAPI still run: each event they cannot count is shown as not
		 * supported with the reason, next to the rusage figures. */
		if (strcmp(pr->be->name, "perf") && strcmp(pr->be->name, "papi")) {
			fprintf(stderr,
			        "optimize profile: the %s backend cannot be used here: %s\n",
			        pr->be->name, err.data);
			code = EXIT_USAGE;
		} else {
			warn(o, "the %s backend cannot count here: %s", pr->be->name, err.data);
		}
	}
	buf_release(&err);
	return code;
}

static void profile_note(void *ctx, enum note_level level, const char *msg)
{
	const struct profile_opts *o = ctx;
	if (level == NOTE_WARNING && o->verbosity >= 0)
		fprintf(stderr, "optimize profile: %s\n", msg);
}

/* A pipeline in a temporary state directory; the original built in it. */
static int profile_build(struct profile_run *pr, const struct engine_events *ev)
{
	const struct target *t = pr->t;
	struct pipeline_options po;
	struct buf err = BUF_INIT, dir = BUF_INIT;
	const char *tmp = getenv("TMPDIR");
	enum engine_status st;
	int code = EXIT_OK;

	buf_addf(&dir, "%s/optimize-profile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir.data)) {
		fprintf(stderr, "optimize profile: cannot create a workspace under '%s': %s\n",
		        tmp && *tmp ? tmp : "/tmp", strerror(errno));
		buf_release(&dir);
		return EXIT_FAILURE_INTERNAL;
	}
	pr->state_dir = buf_detach(&dir);
	pipeline_options_default(&po);
	po.target = t;
	po.state_dir = pr->state_dir;
	po.run_id = "profile";
	po.cc = pr->o.cc;
	/* Only the build and the run are used: no objective needs to be measurable. */
	po.objective = pr->kernel_target ? t->objective : "time";
	po.cancel = &optimize_interrupted;
	po.ev = ev;
	st = pipeline_open(&po, &pr->p, &err);
	if (st != ENGINE_OK) {
		fprintf(stderr, "optimize profile: %s\n", err.data);
		buf_release(&err);
		return st == ENGINE_BASELINE ? EXIT_BASELINE : EXIT_FAILURE_INTERNAL;
	}
	pr->c = pipeline_original(pr->p);
	candidate_resolve(pr->c, &pr->c, pipeline_pristine(pr->p));
	progress(&pr->o, "building '%s'", t->name);
	st = pipeline_prepare(pr->p, pr->c, &err);
	if (st != ENGINE_OK || pr->c->status != CAND_PENDING) {
		fprintf(stderr, "optimize profile: '%s': %s%s\n", t->name,
		        pr->c->status == CAND_BUILD_FAILED ? "the build failed: " : "",
		        pr->c->reason ? pr->c->reason : err.data);
		code = st == ENGINE_INTERRUPTED ? EXIT_INTERRUPTED
		       : st == ENGINE_ERROR     ? EXIT_FAILURE_INTERNAL
		                                : EXIT_BASELINE;
	}
	buf_release(&err);
	return code;
}

/* The counted run (and the sampling run) through the pipeline. */
static int profile_measure(struct profile_run *pr)
{
	const struct target *t = pr->t;
	struct profile_request rq = {0};
	struct proc_result res;
	struct buf err = BUF_INIT;
	int code = EXIT_OK;

	rq.backend = pr->be;
	rq.events = pr->events.n ? (const char *const *)pr->events.v : NULL;
	rq.nevents = pr->events.n;
	rq.hotspots = pr->o.hotspots;
	rq.out_buf = &pr->out;
	rq.err_buf = &pr->err;
	progress(&pr->o, "running under %s%s%s", pr->be->name,
	         strcmp(pr->be->name, "cachegrind") ? "" : " (simulated: about 50 times slower)",
	         pr->kernel_target ? " and the OpenCL interposer" : "");
	if (rq.hotspots && strcmp(pr->be->name, "cachegrind"))
		progress(&pr->o, "then sampling (perf cpu-clock)");
	if (pipeline_profile(pr->p, pr->c, &rq, &pr->prof, &res, &err) < 0) {
		fprintf(stderr, "optimize profile: '%s': cannot measure the run: %s\n", t->name,
		        err.data);
		code = optimize_interrupted ? EXIT_INTERRUPTED : EXIT_BASELINE;
	} else if (pr->kernel_target && (code = check_cl_build(&pr->o, t, &res, &pr->prof))) {
		;
	} else if (!proc_result_ok(&res)) {
		describe_run_failure(t, &res, &pr->err, &err);
		fprintf(stderr, "optimize profile: '%s': %s\n", t->name, err.data);
		code = res.cancelled ? EXIT_INTERRUPTED : EXIT_BASELINE;
	} else if (pr->o.hotspots && pr->prof.hotspot_error) {
		warn(&pr->o, "no hotspots: %s", pr->prof.hotspot_error);
	}
	buf_release(&err);
	return code;
}

int cmd_profile(int argc, char **argv, struct cli_ctx *ctx)
{
	struct profile_run pr;
	struct engine_events ev = {profile_note, NULL, NULL, NULL};
	struct buf result = BUF_INIT, err = BUF_INIT;
	int code;

	memset(&pr, 0, sizeof(pr));
	pr.o.counters = "perf";
	pr.o.hotspots = 1;
	pr.o.verbosity = ctx ? ctx->verbosity : 0;
	profile_init(&pr.prof);
	buf_init(&pr.out, PROFILE_STDOUT_KEEP);
	buf_init(&pr.err, PROFILE_STDERR_KEEP);
	ev.ctx = &pr.o;
	code = profile_setup(&pr, argc, argv);
	if (code)
		goto out;
	pr.o.show_progress = pr.o.verbosity > 0 || (pr.o.verbosity == 0 && ctx && ctx->stderr_tty);
	pr.kernel_target = is_kernel_target(pr.t);
	if ((code = profile_build(&pr, &ev)) || (code = profile_measure(&pr)))
		goto out;
	if (render(&pr.o, pr.t, pr.be, pr.kernel_target, &pr.prof, &result) < 0) {
		fprintf(stderr, "optimize profile: cannot render the profile (out of memory)\n");
		code = EXIT_FAILURE_INTERNAL;
	} else if (write_result(pr.o.output, &result, &err) < 0) {
		fprintf(stderr, "optimize profile: %s\n", err.data);
		code = EXIT_FAILURE_INTERNAL;
	} else if (pr.o.output) {
		progress(&pr.o, "wrote '%s'", pr.o.output);
	}
out:
	candidate_free(pr.c);
	pipeline_close(pr.p);
	if (pr.state_dir)
		ws_remove_tree(pr.state_dir, NULL);
	free(pr.state_dir);
	profile_release(&pr.prof);
	manifest_release(&pr.m);
	strlist_release(&pr.events);
	buf_release(&pr.out);
	buf_release(&pr.err);
	buf_release(&result);
	buf_release(&err);
	return code < 0 ? EXIT_OK : code;
}
