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
#include "engine/workspace.h"

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

static const struct opt_spec profile_options[] = {
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

static int build_target(const struct target *t, const char *ws, const char *cc, struct buf *msg)
{
	struct buf env_cc = BUF_INIT, env_cflags = BUF_INIT, env_ldflags = BUF_INIT;
	struct buf out = BUF_INIT, err = BUF_INIT, what = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	const char *env[4];
	int rc = 0;

	buf_init(&env_cc, 0);
	buf_init(&env_cflags, 0);
	buf_init(&env_ldflags, 0);
	buf_init(&out, PROFILE_STDERR_KEEP);
	buf_init(&err, 0);
	buf_init(&what, 0);
	buf_addf(&env_cc, "CC=%s", cc);
	buf_addf(&env_cflags, "CFLAGS=%s -g", t->cflags ? t->cflags : "-O2");
	buf_addf(&env_ldflags, "LDFLAGS=%s", t->ldflags ? t->ldflags : "");
	env[0] = env_cc.data;
	env[1] = env_cflags.data;
	env[2] = env_ldflags.data;
	env[3] = NULL;
	proc_spec_init(&spec);
	spec.cwd = ws;
	spec.env_add = env;
	spec.stdout_buf = &out; /* the compiler's messages, both streams in one */
	spec.stderr_buf = &out;
	spec.output_cap = PROFILE_STDERR_KEEP;
	spec.timeout_s =
	    t->timeout_s > PROFILE_BUILD_TIMEOUT_S ? t->timeout_s : PROFILE_BUILD_TIMEOUT_S;
	spec.limits = t->limits;
	spec.cancel = &optimize_interrupted;
	if (proc_run_sh(&spec, t->build, &res, &err) < 0) {
		rc = err_set(msg, "cannot run the build command: %s", err.data);
	} else if (!proc_result_ok(&res)) {
		proc_result_describe(&res, spec.timeout_s, &what);
		buf_rtrim(&out);
		rc = err_set(msg, "the build failed (%s): %s\n%s", what.data, t->build,
		             tail_of(&out, 8192));
	}
	buf_release(&env_cc);
	buf_release(&env_cflags);
	buf_release(&env_ldflags);
	buf_release(&out);
	buf_release(&err);
	buf_release(&what);
	return rc;
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
			ev = strndup(p, n);
			if (!ev || strlist_push(out, ev) < 0) {
				free(ev);
				return err_set(err, "out of memory");
			}
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
	if (opt_build(profile_options, &longopts, &shortopts) < 0)
		return err_set(err, "out of memory");
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
 * After a run under the interposer: read its trace into p. Returns 0 when
 * the profile may go on, EXIT_BASELINE with the build log printed when a
 * kernel did not build (the run failed, or launched nothing).
 */
static int read_cl_trace(const struct profile_opts *o, const struct target *t, const char *trace,
                         const struct proc_result *res, struct profile *p)
{
	struct buf err = BUF_INIT;
	int code = EXIT_OK;

	buf_init(&err, 0);
	if (cltrace_read(trace, p, &err) < 0 && proc_result_ok(res))
		warn(o, "no OpenCL timings: %s", err.data);
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
	buf_release(&err);
	return code;
}

int cmd_profile(int argc, char **argv, struct cli_ctx *ctx)
{
	struct profile_opts o = {NULL, "perf", NULL, NULL, NULL, NULL, 1, 0, 0, 0};
	struct manifest m = {0};
	struct strlist events = {NULL, 0}, cl_env = {NULL, 0};
	struct buf err = BUF_INIT, root = BUF_INIT, ws = BUF_INIT, trace = BUF_INIT;
	struct buf result = BUF_INIT, prog_out = BUF_INIT, prog_err = BUF_INIT;
	const struct counter_backend *be;
	const struct target *t;
	struct counter_request req;
	struct proc_spec spec;
	struct proc_result res;
	struct profile p;
	const char *tmp;
	int code = EXIT_OK, kernel_target, r;

	profile_init(&p);
	buf_init(&err, 0);
	buf_init(&root, 0);
	buf_init(&ws, 0);
	buf_init(&trace, 0);
	buf_init(&result, 0);
	buf_init(&prog_out, PROFILE_STDOUT_KEEP);
	buf_init(&prog_err, PROFILE_STDERR_KEEP);
	o.verbosity = ctx ? ctx->verbosity : 0;

	r = parse_args(argc, argv, &o, &err);
	if (r > 0) {
		profile_usage(stdout);
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "optimize profile: %s\n(see 'optimize profile --help')\n",
		        err.data);
		code = EXIT_USAGE;
		goto out;
	}
	o.show_progress = o.verbosity > 0 || (o.verbosity == 0 && ctx && ctx->stderr_tty);
	be = counters_backend(o.counters);
	if (!be) {
		fprintf(stderr,
		        "optimize profile: unknown counter backend '%s' "
		        "(perf, papi, cachegrind or rusage)\n",
		        o.counters);
		code = EXIT_USAGE;
		goto out;
	}
	if (o.events && split_events(o.events, &events, &err) < 0) {
		fprintf(stderr, "optimize profile: %s\n", err.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (manifest_load(o.tree, &m, &err) < 0) {
		fprintf(stderr, "optimize profile: %s\n", err.data);
		code = EXIT_USAGE;
		goto out;
	}
	t = pick_target(&m, o.target, &err);
	if (!t) {
		fprintf(stderr, "optimize profile: %s\n", err.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (!o.target && m.ntargets > 1)
		warn(&o, "profiling '%s', the first of %zu targets (--target NAME picks another)",
		     t->name, m.ntargets);
	/* A PAPI event name that does not exist is a usage error, with close matches. */
	if (!strcmp(be->name, "papi")) {
		size_t k;
		for (k = 0; k < events.n; k++) {
			int ecode;
			buf_reset(&err);
			if (counters_papi_event_code(events.v[k], &ecode, &err) < 0) {
				fprintf(stderr, "optimize profile: %s\n", err.data);
				code = EXIT_USAGE;
				goto out;
			}
		}
	}
	buf_reset(&err);
	if (be->probe(&err) < 0) {
		/* perf and PAPI still run: each event they cannot count is shown as not
		 * supported with the reason, next to the rusage figures. */
		if (strcmp(be->name, "perf") && strcmp(be->name, "papi")) {
			fprintf(stderr,
			        "optimize profile: the %s backend cannot be used here: %s\n",
			        be->name, err.data);
			code = EXIT_USAGE;
			goto out;
		}
		warn(&o, "the %s backend cannot count here: %s", be->name, err.data);
	}
	kernel_target = is_kernel_target(t);
	if (kernel_target && !opencl_available(&err)) {
		fprintf(stderr,
		        "optimize profile: target '%s' is an OpenCL kernel target, but %s\n",
		        t->name, err.len ? err.data : "no OpenCL platform is available");
		code = EXIT_BASELINE;
		goto out;
	}

	/* <root>/tree is the workspace; <root>/cltrace.jsonl the trace. */
	tmp = getenv("TMPDIR");
	buf_addf(&root, "%s/optimize-profile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root.data)) {
		fprintf(stderr, "optimize profile: cannot create a workspace under '%s': %s\n",
		        tmp && *tmp ? tmp : "/tmp", strerror(errno));
		buf_reset(&root);
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	buf_addf(&ws, "%s/tree", root.data);
	buf_addf(&trace, "%s/cltrace.jsonl", root.data);
	if (ws_copy_tree(t->tree, ws.data, &err) < 0) {
		fprintf(stderr, "optimize profile: cannot copy '%s': %s\n", t->tree, err.data);
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	if (kernel_target && cltrace_env(trace.data, t->cl_build_options, &cl_env, &err) < 0) {
		fprintf(stderr, "optimize profile: target '%s' needs the OpenCL interposer: %s\n",
		        t->name, err.data);
		code = EXIT_BASELINE;
		goto out;
	}

	progress(&o, "building '%s'", t->name);
	if (build_target(t, ws.data, o.cc ? o.cc : (t->cc ? t->cc : "cc"), &err) < 0) {
		fprintf(stderr, "optimize profile: '%s': %s\n", t->name, err.data);
		code = optimize_interrupted ? EXIT_INTERRUPTED : EXIT_BASELINE;
		goto out;
	}

	proc_spec_init(&spec);
	spec.cwd = ws.data;
	spec.env_add = kernel_target ? (const char *const *)cl_env.v : NULL;
	spec.stdout_buf = &prog_out;
	spec.stderr_buf = &prog_err;
	spec.timeout_s = t->timeout_s;
	spec.limits = t->limits;
	spec.cancel = &optimize_interrupted;
	memset(&req, 0, sizeof(req));
	req.spec = &spec;
	req.cmd = t->run;
	req.events = events.n ? (const char *const *)events.v : NULL;
	req.nevents = events.n;
	req.hotspots = o.hotspots && !strcmp(be->name, "cachegrind");

	progress(&o, "running under %s%s%s", be->name,
	         strcmp(be->name, "cachegrind") ? "" : " (simulated: about 50 times slower)",
	         kernel_target ? " and the OpenCL interposer" : "");
	if (be->run(&req, &res, &p, &err) < 0) {
		fprintf(stderr, "optimize profile: '%s': cannot measure the run: %s\n", t->name,
		        err.data);
		code = optimize_interrupted ? EXIT_INTERRUPTED : EXIT_BASELINE;
		goto out;
	}
	if (kernel_target) {
		code = read_cl_trace(&o, t, trace.data, &res, &p);
		if (code)
			goto out;
		unlink(trace.data); /* the sampling run below would add to it */
	}
	if (!proc_result_ok(&res)) {
		describe_run_failure(t, &res, &prog_err, &err);
		fprintf(stderr, "optimize profile: '%s': %s\n", t->name, err.data);
		code = res.cancelled ? EXIT_INTERRUPTED : EXIT_BASELINE;
		goto out;
	}
	profile_set_command(&p, t->run);

	if (o.hotspots && strcmp(be->name, "cachegrind")) {
		if (hotspots_probe(NULL, &err) < 0) {
			warn(&o, "no hotspots: %s", err.data);
			profile_set_hotspot_error(&p, err.data);
		} else {
			progress(&o, "sampling (perf cpu-clock)");
			buf_reset(&prog_out);
			buf_reset(&prog_err);
			if (hotspots_run(&req, NULL, &res, &p, &err) < 0) {
				warn(&o, "no hotspots: %s", err.data);
				profile_set_hotspot_error(&p, err.data);
			} else if (!proc_result_ok(&res)) {
				describe_run_failure(t, &res, &prog_err, &err);
				fprintf(stderr, "optimize profile: '%s': sampling run: %s\n",
				        t->name, err.data);
				code = res.cancelled ? EXIT_INTERRUPTED : EXIT_BASELINE;
				goto out;
			}
		}
	}
	profile_derive(&p);

	if (render(&o, t, be, kernel_target, &p, &result) < 0) {
		fprintf(stderr, "optimize profile: cannot render the profile (out of memory)\n");
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	if (write_result(o.output, &result, &err) < 0) {
		fprintf(stderr, "optimize profile: %s\n", err.data);
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	if (o.output)
		progress(&o, "wrote '%s'", o.output);
out:
	if (root.len)
		ws_remove_tree(root.data, NULL);
	profile_release(&p);
	manifest_release(&m);
	strlist_release(&events);
	strlist_release(&cl_env);
	buf_release(&err);
	buf_release(&root);
	buf_release(&ws);
	buf_release(&trace);
	buf_release(&result);
	buf_release(&prog_out);
	buf_release(&prog_err);
	return code;
}
