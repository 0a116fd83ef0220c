/*
 * loop.c: one target's optimization loop. See loop.h for the contract and
 * docs/architecture.md for how a candidate flows through it.
 */
#include "engine/loop.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "prof/cltrace.h"
#include "prof/counters.h"
#include "prof/machine.h"
#include "engine/measure.h"
#include "engine/objective.h"
#include "prof/opencl_info.h"
#include "report/report.h"
#include "base/sha256.h"
#include "engine/verify.h"
#include "base/fileio.h"
#include "engine/workspace.h"

#define BUILD_ERROR_MAX 4000 /* bytes of compiler output kept as a reason */

void loop_options_default(struct loop_options *o)
{
	memset(o, 0, sizeof(*o));
	o->min_runs = 5;
	o->max_runs = 30;
	o->warmup = 1;
	o->min_gain = 0.03;
	o->level = 0.95;
	o->resamples = 2000;
	o->seed = 1;
	o->cpu = -1;
	o->profile = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Everything the loop keeps besides the public loop_state. */
struct loop_priv {
	struct loop_state st;
	struct objective obj;
	struct machine_info machine;
	char *pristine; /* untouched copy of the tree */
	char *ref_dir;  /* the original's outputs */
	struct strlist original_files;
	struct capture *verify_ref; /* one per verify spec */
	struct capture run_ref;
	int kernel_target;
	char *cltrace_lib;
	struct buf log;            /* scratch */
	int warned_noise;          /* the noisy-machine warning was printed */
	int isolate_net;           /* candidates run in a network namespace */
	int isolate_tree;          /* the user's tree is read-only for candidates */
	const char *ro[2], *rw[2]; /* readonly_paths / writable_paths for them */
	char *state_abs;           /* absolute state directory */
	char *isolation_tree;      /* what the report says about the tree */
	char *isolation;           /* what the report says about it */
};

#define PRIV(st) ((struct loop_priv *)(st))

const struct candidate *loop_best(const struct loop_state *st)
{
	return st->ncands ? st->cands[st->best] : NULL;
}

const struct candidate *loop_candidate(const struct loop_state *st, int id)
{
	return id >= 0 && (size_t)id < st->ncands ? st->cands[id] : NULL;
}

/* ---- effective settings along the parent chain ---- */

#define EFFECTIVE(field)                                                                           \
	static const char *eff_##field(const struct loop_state *st, const struct candidate *c)     \
	{                                                                                          \
		for (; c; c = c->parent >= 0 ? st->cands[c->parent] : NULL)                        \
			if (c->field)                                                              \
				return c->field;                                                   \
		return NULL;                                                                       \
	}
EFFECTIVE(cc)
EFFECTIVE(cflags)
EFFECTIVE(ldflags)
EFFECTIVE(cl_build_options)
EFFECTIVE(wg_size)

static int eff_pgo(const struct loop_state *st, const struct candidate *c)
{
	for (; c; c = c->parent >= 0 ? st->cands[c->parent] : NULL)
		if (c->pgo)
			return 1;
	return 0;
}

/* The newest version of relpath along the chain, or NULL for the original's. */
static const struct file_edit *eff_file(const struct loop_state *st, const struct candidate *c,
                                        const char *relpath)
{
	size_t i;

	for (; c; c = c->parent >= 0 ? st->cands[c->parent] : NULL)
		for (i = 0; i < c->nfiles; i++)
			if (!strcmp(c->files[i].path, relpath))
				return &c->files[i];
	return NULL;
}

int loop_read_file(const struct loop_state *st, int id, const char *relpath, struct buf *out,
                   struct buf *err)
{
	const struct candidate *c = loop_candidate(st, id);
	const struct file_edit *f;
	struct buf path = BUF_INIT;
	int r;

	if (!c)
		return err_set(err, "no candidate %d", id);
	f = eff_file(st, c, relpath);
	if (f)
		return buf_add(out, f->content, f->len);
	buf_addf(&path, "%s/%s", PRIV(st)->pristine, relpath);
	r = buf_read_file(out, path.data);
	if (r < 0)
		err_set(err, "cannot read '%s'", relpath);
	buf_release(&path);
	return r;
}

int loop_editable_files(const struct loop_state *st, struct strlist *out, struct buf *err)
{
	const struct strlist *all = &PRIV(st)->original_files;
	size_t i;

	for (i = 0; i < all->n; i++)
		if (ws_is_editable(st->target, all->v[i]))
			strlist_push(out, all->v[i]);
	return 0;
}

/* The files a candidate changes relative to the original (edited along the chain). */
static void changed_files(const struct loop_state *st, const struct candidate *c,
                          struct strlist *out)
{
	const struct candidate *p;
	size_t i, j;

	for (p = c; p; p = p->parent >= 0 ? st->cands[p->parent] : NULL)
		for (i = 0; i < p->nfiles; i++) {
			int seen = 0;
			for (j = 0; j < out->n; j++)
				seen |= !strcmp(out->v[j], p->files[i].path);
			if (!seen)
				strlist_push(out, p->files[i].path);
		}
}

static void candidate_hash(const struct loop_state *st, struct candidate *c)
{
	struct sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_LEN];
	struct strlist files = {0};
	const char *s;
	size_t i;

	sha256_init(&ctx);
#define H(x)                                                                                       \
	do {                                                                                       \
		s = (x) ? (x) : "";                                                                \
		sha256_update(&ctx, s, strlen(s) + 1);                                             \
	} while (0)
	H(eff_cc(st, c));
	H(eff_cflags(st, c));
	H(eff_ldflags(st, c));
	H(eff_cl_build_options(st, c));
	H(eff_wg_size(st, c));
	H(eff_pgo(st, c) ? "pgo" : "");
	changed_files(st, c, &files);
	for (i = 0; i < files.n; i++) {
		const struct file_edit *f = eff_file(st, c, files.v[i]);
		struct buf orig = BUF_INIT, err = BUF_INIT;
		/* An edit that restores the original text is no change at all. */
		if (loop_read_file(st, 0, files.v[i], &orig, &err) == 0 && f &&
		    orig.len == f->len && !memcmp(orig.data, f->content, f->len)) {
			buf_release(&orig);
			buf_release(&err);
			continue;
		}
		buf_release(&orig);
		buf_release(&err);
		H(files.v[i]);
		sha256_update(&ctx, f->content, f->len);
	}
#undef H
	sha256_final(&ctx, d);
	sha256_to_hex(d, c->hash);
	strlist_release(&files);
}

/* ---- running things in a candidate's workspace ---- */

static void add_env(struct strlist *env, const char *name, const char *value)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s=%s", name, value ? value : "");
	strlist_push(env, b.data);
	buf_release(&b);
}

/* The environment every process of a candidate gets on top of the scrubbed one. */
static int candidate_env(struct loop_state *st, const struct candidate *c, const char *trace,
                         struct strlist *env, const char **argv_env, struct buf *err)
{
	struct loop_priv *lp = PRIV(st);
	const struct target *t = st->target;
	const char *cc = eff_cc(st, c);
	const char *ldflags = eff_ldflags(st, c);
	struct buf cflags = BUF_INIT;

	(void)argv_env;
	buf_addf(&cflags, "%s -g", eff_cflags(st, c) ? eff_cflags(st, c) : "");
	add_env(env, "CC", cc ? cc : "cc");
	add_env(env, "CFLAGS", cflags.data);
	add_env(env, "LDFLAGS", ldflags ? ldflags : "");
	buf_release(&cflags);
	if (lp->kernel_target) {
		const char *opts = eff_cl_build_options(st, c);
		struct strlist cl = {0};
		size_t i;
		/* Steps whose trace nobody reads (build, test, PGO training)
		 * still run under the interposer, for the build options. */
		if (cltrace_env(trace ? trace : "/dev/null", opts ? opts : "", &cl, err) < 0)
			return -1;
		for (i = 0; i < cl.n; i++)
			strlist_push(env, cl.v[i]);
		strlist_release(&cl);
		if (t->wg_size_env && eff_wg_size(st, c))
			add_env(env, t->wg_size_env, eff_wg_size(st, c));
	}
	return 0;
}

static const char *const *env_array(struct strlist *env)
{
	char **v = realloc(env->v, (env->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	v[env->n] = NULL;
	env->v = v;
	return (const char *const *)v;
}

/*
 * The process spec of every child of a candidate: its workspace, its
 * environment (env receives it and must outlive the spec), the target's
 * timeout and rlimits, and a stop on interrupt.
 */
static int candidate_spec(struct loop_state *st, const struct candidate *c, const char *trace,
                          double timeout, struct strlist *env, struct proc_spec *spec,
                          struct buf *err)
{
	proc_spec_init(spec);
	if (candidate_env(st, c, trace, env, NULL, err) < 0)
		return -1;
	spec->cwd = c->workdir;
	spec->env_add = env_array(env);
	spec->timeout_s = timeout;
	spec->limits = st->target->limits;
	spec->cancel = &optimize_interrupted;
	spec->isolate_net = PRIV(st)->isolate_net;
	if (PRIV(st)->isolate_tree) {
		spec->readonly_paths = PRIV(st)->ro;
		spec->writable_paths = PRIV(st)->rw;
	}
	return 0;
}

static void trim_output(const char *path, struct buf *out)
{
	struct buf b = BUF_INIT;
	b.max = (size_t)1 << 20;
	buf_read_file(&b, path);
	buf_rtrim(&b);
	if (b.len > BUILD_ERROR_MAX) {
		buf_add(out, b.data, BUILD_ERROR_MAX);
		buf_addstr(out, "\n[... output trimmed]");
	} else {
		buf_add(out, b.data, b.len);
	}
	buf_release(&b);
}

/* Run one sh -c command of a candidate, output into dir/<name>.{out,err}. */
static int run_step(struct loop_state *st, const struct candidate *c, const char *cmd,
                    const char *name, double timeout, struct strlist *env, struct proc_result *res,
                    struct buf *errtext, struct buf *err)
{
	struct proc_spec spec;
	struct buf so = BUF_INIT, se = BUF_INIT;
	int r;

	proc_spec_init(&spec);
	spec.cwd = c->workdir;
	spec.env_add = env_array(env);
	spec.timeout_s = timeout;
	spec.limits = st->target->limits;
	spec.cancel = &optimize_interrupted;
	spec.isolate_net = PRIV(st)->isolate_net;
	if (PRIV(st)->isolate_tree) {
		spec.readonly_paths = PRIV(st)->ro;
		spec.writable_paths = PRIV(st)->rw;
	}
	buf_addf(&so, "%s/../logs/c%04d-%s.out", c->workdir, c->id, name);
	buf_addf(&se, "%s/../logs/c%04d-%s.err", c->workdir, c->id, name);
	spec.stdout_path = so.data;
	spec.stderr_path = se.data;
	r = proc_run_sh(&spec, cmd, res, err);
	if (r == 0 && errtext && !proc_result_ok(res)) {
		struct buf d = BUF_INIT;
		proc_result_describe(res, timeout, &d);
		buf_addf(errtext, "'%s' failed (%s)", cmd, d.data);
		buf_release(&d);
		buf_addstr(errtext, ":\n");
		trim_output(se.data, errtext);
		if (errtext->len < 200) {
			buf_addstr(errtext, "\n");
			trim_output(so.data, errtext);
		}
		buf_rtrim(errtext);
	}
	buf_release(&so);
	buf_release(&se);
	return r;
}

static const char *llvm_profdata(void)
{
	static const char *const names[] = {"llvm-profdata",    "llvm-profdata-16",
	                                    "llvm-profdata-15", "llvm-profdata-14",
	                                    "llvm-profdata-13", NULL};
	size_t i;
	for (i = 0; names[i]; i++) {
		struct buf p = BUF_INIT;
		int ok;
		buf_addf(&p, "/usr/bin/%s", names[i]);
		ok = access(p.data, X_OK) == 0;
		buf_release(&p);
		if (ok)
			return names[i];
	}
	return NULL;
}

/* Build a candidate in its workspace; for PGO: instrumented build, training run, final build. */
static int build_candidate(struct loop_state *st, struct candidate *c, struct buf *why,
                           struct buf *err)
{
	const struct target *t = st->target;
	double timeout = t->timeout_s > 300 ? t->timeout_s : 300;
	struct strlist env = {0};
	struct proc_result res;
	double t0 = now_s();
	int r;

	if (!eff_pgo(st, c)) {
		if (candidate_env(st, c, NULL, &env, NULL, err) < 0)
			return -1;
		r = run_step(st, c, t->build, "build", timeout, &env, &res, why, err);
		strlist_release(&env);
		c->build_s = now_s() - t0;
		return r < 0 ? -1 : !proc_result_ok(&res);
	} else {
		const char *cc = eff_cc(st, c) ? eff_cc(st, c) : "cc";
		int clang = strstr(cc, "clang") != NULL;
		struct buf gen = BUF_INIT, use = BUF_INIT, ld = BUF_INIT, prof = BUF_INIT;
		struct candidate tmp = *c;
		const char *base_cflags = eff_cflags(st, c) ? eff_cflags(st, c) : "";
		const char *base_ldflags = eff_ldflags(st, c) ? eff_ldflags(st, c) : "";

		buf_addf(&prof, "%s/pgo.profdata", c->workdir);
		buf_addf(&gen, "%s %s", base_cflags,
		         clang ? "-fprofile-instr-generate" : "-fprofile-generate");
		buf_addf(&ld, "%s %s", base_ldflags,
		         clang ? "-fprofile-instr-generate" : "-fprofile-generate");
		tmp.cflags = gen.data;
		tmp.ldflags = ld.data;
		tmp.parent = c->parent;
		r = candidate_env(st, &tmp, NULL, &env, NULL, err);
		if (clang) {
			struct buf lp = BUF_INIT;
			buf_addf(&lp, "%s/pgo-%%p.profraw", c->workdir);
			add_env(&env, "LLVM_PROFILE_FILE", lp.data);
			buf_release(&lp);
		}
		if (r == 0)
			r = run_step(st, c, t->build, "pgo-generate", timeout, &env, &res, why,
			             err);
		if (r == 0 && !proc_result_ok(&res))
			r = 1;
		if (r == 0)
			r = run_step(st, c, t->run, "pgo-train", t->timeout_s, &env, &res, why,
			             err);
		if (r == 0 && !proc_result_ok(&res))
			r = 1;
		strlist_release(&env);
		if (r == 0 && clang) {
			const char *pd = llvm_profdata();
			struct buf cmd = BUF_INIT;
			struct strlist e2 = {0};
			if (!pd) {
				buf_setf(
				    why,
				    "PGO with clang needs llvm-profdata (apt-get install llvm)");
				r = 1;
			} else {
				buf_addf(&cmd, "%s merge -o pgo.profdata pgo-*.profraw", pd);
				r = run_step(st, c, cmd.data, "pgo-merge", timeout, &e2, &res, why,
				             err);
				if (r == 0 && !proc_result_ok(&res))
					r = 1;
			}
			buf_release(&cmd);
			strlist_release(&e2);
		}
		if (r == 0) {
			buf_reset(&ld);
			if (clang) {
				buf_addf(&use, "%s -fprofile-instr-use=%s", base_cflags, prof.data);
				buf_addf(&ld, "%s -fprofile-instr-use=%s", base_ldflags, prof.data);
			} else {
				buf_addf(
				    &use,
				    "%s -fprofile-use -fprofile-correction -Wno-missing-profile",
				    base_cflags);
				buf_addf(&ld, "%s -fprofile-use", base_ldflags);
			}
			tmp.cflags = use.data;
			tmp.ldflags = ld.data;
			r = candidate_env(st, &tmp, NULL, &env, NULL, err);
			if (r == 0)
				r = run_step(st, c, t->build, "pgo-use", timeout, &env, &res, why,
				             err);
			if (r == 0 && !proc_result_ok(&res))
				r = 1;
			strlist_release(&env);
		}
		buf_release(&gen);
		buf_release(&use);
		buf_release(&ld);
		buf_release(&prof);
		c->build_s = now_s() - t0;
		return r;
	}
}

/* Create the candidate's workspace: the pristine tree plus its edits. */
static int materialize(struct loop_state *st, struct candidate *c, struct buf *err)
{
	struct strlist files = {0};
	struct buf dir = BUF_INIT, logs = BUF_INIT;
	size_t i;
	int r = 0;

	buf_addf(&dir, "%s/c%04d", st->work_root, c->id);
	ws_remove_tree(dir.data, NULL);
	if (ws_copy_tree(PRIV(st)->pristine, dir.data, err) < 0) {
		buf_release(&dir);
		return -1;
	}
	buf_addf(&logs, "%s/logs", st->work_root);
	ws_mkdirs(logs.data, 0755, NULL);
	buf_release(&logs);
	free(c->workdir);
	c->workdir = buf_detach(&dir);
	changed_files(st, c, &files);
	for (i = 0; i < files.n && r == 0; i++) {
		const struct file_edit *f = eff_file(st, c, files.v[i]);
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", c->workdir, f->path);
		r = file_write_atomic(p.data, f->content, f->len, 0644, err);
		buf_release(&p);
	}
	strlist_release(&files);
	return r;
}

/* ---- progress lines on stderr ---- */

static void say(const struct loop_state *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(const struct loop_state *st, int level, const char *fmt, ...)
{
	va_list ap;

	if (st->opt->verbosity < level)
		return;
	if (st->opt->progress_tty)
		fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct progress_ctx {
	const struct loop_state *st;
	const struct candidate *c;
};

static void on_pair(void *ctx, size_t n, const struct stats_interval *ci)
{
	struct progress_ctx *p = ctx;
	const struct loop_state *st = p->st;
	int width = 20, filled = (int)(width * (double)n / st->opt->max_runs);
	int i;

	if (!st->opt->progress_tty || st->opt->verbosity < 0)
		return;
	fprintf(stderr, "\r\033[K  c%d %-28.28s [", p->c->id, p->c->label);
	for (i = 0; i < width; i++)
		fputc(i < filled ? '#' : '.', stderr);
	fprintf(stderr, "] %zu pairs, ratio %.3f [%.3f, %.3f]", n, ci->estimate, ci->lo, ci->hi);
}

/* ---- baseline ---- */

static int run_verify_set(struct loop_state *st, struct candidate *c, const char *tag,
                          struct capture *caps, struct buf *why, struct buf *err)
{
	const struct target *t = st->target;
	size_t i;

	for (i = 0; i < t->nverify; i++) {
		struct strlist env = {0};
		struct proc_spec spec;
		struct buf dir = BUF_INIT, trace = BUF_INIT;
		const struct compare_item *items = t->verify[i].compare;
		size_t n = t->verify[i].ncompare;
		int r;

		if (!n)
			items = verify_default_items(&n);
		buf_addf(&dir, "%s/c%04d/%s/verify%zu", st->run_dir, c->id, tag, i);
		buf_addf(&trace, "%s/cltrace.jsonl", dir.data);
		ws_mkdirs(dir.data, 0755, NULL);
		r = candidate_spec(st, c, trace.data, t->timeout_s, &env, &spec, err);
		if (r == 0)
			r = verify_capture(&spec, t->verify[i].run, items, n, dir.data, &caps[i],
			                   err);
		strlist_release(&env);
		buf_release(&dir);
		buf_release(&trace);
		if (r < 0)
			return -1;
		if (caps[i].res.timed_out) {
			buf_setf(why, "verify run %zu ('%s') timed out after %g s", i + 1,
			         t->verify[i].run, t->timeout_s);
			return 1;
		}
	}
	return 0;
}

static int compare_verify_set(struct loop_state *st, const struct capture *ref,
                              const struct capture *got, struct buf *why, struct buf *err)
{
	const struct target *t = st->target;
	size_t i;

	for (i = 0; i < t->nverify; i++) {
		struct buf msg = BUF_INIT;
		int r =
		    verify_compare(&ref[i], &got[i], t->verify[i].compare, t->verify[i].ncompare,
		                   t->verify[i].rtol, t->verify[i].atol, &msg, err);
		if (r == 1)
			buf_setf(why, "verify run %zu ('%s'): %s", i + 1, t->verify[i].run,
			         msg.data);
		buf_release(&msg);
		if (r != 0)
			return r;
	}
	return 0;
}

static const struct compare_item *run_items(const struct target *t, size_t *n)
{
	if (t->nrun_compare) {
		*n = t->nrun_compare;
		return t->run_compare;
	}
	return verify_default_items(n);
}

static int capture_run(struct loop_state *st, struct candidate *c, const char *tag,
                       struct capture *cap, struct buf *err)
{
	const struct target *t = st->target;
	struct strlist env = {0};
	struct proc_spec spec;
	struct buf dir = BUF_INIT, trace = BUF_INIT;
	const struct compare_item *items;
	size_t n;
	int r;

	items = run_items(t, &n);
	buf_addf(&dir, "%s/c%04d/%s", st->run_dir, c->id, tag);
	buf_addf(&trace, "%s/cltrace.jsonl", dir.data);
	ws_mkdirs(dir.data, 0755, NULL);
	r = candidate_spec(st, c, trace.data, t->timeout_s, &env, &spec, err);
	if (r == 0)
		r = verify_capture(&spec, t->run, items, n, dir.data, cap, err);
	strlist_release(&env);
	buf_release(&dir);
	buf_release(&trace);
	return r;
}

static int fail_baseline(struct loop_state *st, struct buf *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_baseline(struct loop_state *st, struct buf *err, const char *fmt, ...)
{
	va_list ap;
	struct buf m = BUF_INIT;

	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	err_set(err, "target '%s': %s", st->target->name, m.data);
	st->cands[0]->reason = buf_detach(&m);
	return EXIT_BASELINE;
}

static int setup_baseline(struct loop_state *st, struct buf *err)
{
	struct loop_priv *lp = PRIV(st);
	const struct target *t = st->target;
	struct candidate *b = st->cands[0];
	struct buf why = BUF_INIT, msg = BUF_INIT;
	struct capture *second = NULL, run2;
	size_t i;
	int r;

	say(st, 0, "[%s] building the original", t->name);
	if (materialize(st, b, err) < 0)
		return -1;
	r = build_candidate(st, b, &why, err);
	if (r < 0)
		return -1;
	if (r) {
		r = fail_baseline(st, err, "the original does not build: %s", why.data);
		b->status = CAND_BUILD_FAILED;
		goto out;
	}
	/* The original runs twice on each verify input: outputs must agree. */
	lp->verify_ref = calloc(t->nverify ? t->nverify : 1, sizeof(*lp->verify_ref));
	second = calloc(t->nverify ? t->nverify : 1, sizeof(*second));
	if (run_verify_set(st, b, "ref", lp->verify_ref, &why, err) < 0 ||
	    run_verify_set(st, b, "ref2", second, &why, err) < 0) {
		r = -1;
		goto out;
	}
	for (i = 0; i < t->nverify; i++) {
		if (lp->verify_ref[i].res.timed_out || second[i].res.timed_out) {
			r = fail_baseline(st, err,
			                  "verify run %zu ('%s') of the original timed out "
			                  "after %g s; raise timeout_s",
			                  i + 1, t->verify[i].run, t->timeout_s);
			goto out;
		}
	}
	r = compare_verify_set(st, lp->verify_ref, second, &msg, err);
	if (r < 0)
		goto out;
	if (r) {
		r = fail_baseline(st, err,
		                  "the original is nondeterministic: two runs disagree. %s\n"
		                  "hint: give a tolerance (rtol/atol) for numeric outputs, or "
		                  "compare fewer outputs (\"compare\")",
		                  msg.data);
		goto out;
	}
	/* The timed command: must succeed, and be deterministic too. */
	if (capture_run(st, b, "run-ref", &lp->run_ref, err) < 0 ||
	    capture_run(st, b, "run-ref2", &run2, err) < 0) {
		r = -1;
		goto out;
	}
	if (!proc_result_ok(&lp->run_ref.res)) {
		struct buf d = BUF_INIT, e = BUF_INIT;
		buf_addf(&e, "%s/stderr", lp->run_ref.dir);
		proc_result_describe(&lp->run_ref.res, t->timeout_s, &d);
		buf_reset(&why);
		trim_output(e.data, &why);
		r = fail_baseline(st, err, "the original's run command '%s' failed (%s)%s%s",
		                  t->run, d.data, why.len ? ":\n" : "", why.data);
		buf_release(&d);
		buf_release(&e);
		capture_release(&run2);
		goto out;
	}
	{
		size_t n;
		const struct compare_item *items = run_items(t, &n);
		r = verify_compare(&lp->run_ref, &run2, items, n, t->rtol, t->atol, &msg, err);
	}
	capture_release(&run2);
	if (r < 0)
		goto out;
	if (r) {
		r = fail_baseline(st, err,
		                  "the original's run command is nondeterministic: %s\n"
		                  "hint: give a tolerance (rtol/atol), or set \"run_compare\" "
		                  "to compare fewer outputs",
		                  msg.data);
		goto out;
	}
	if (t->test) {
		struct strlist env = {0};
		struct proc_result res;
		buf_reset(&why);
		r = candidate_env(st, b, NULL, &env, NULL, err);
		if (r == 0)
			r = run_step(st, b, t->test, "test", t->timeout_s, &env, &res, &why, err);
		strlist_release(&env);
		if (r < 0)
			goto out;
		if (!proc_result_ok(&res)) {
			r = fail_baseline(st, err, "the original fails its test: %s", why.data);
			goto out;
		}
	}
	r = ws_check_protected(lp->pristine, b->workdir, t, &lp->original_files, &msg, err);
	if (r < 0)
		goto out;
	if (r) {
		r = fail_baseline(st, err, "building or running the original changes a file: %s",
		                  msg.data);
		goto out;
	}
	b->status = CAND_ACCEPTED;
	r = 0;
out:
	if (second) {
		for (i = 0; i < t->nverify; i++)
			capture_release(&second[i]);
		free(second);
	}
	buf_release(&why);
	buf_release(&msg);
	return r;
}

/* ---- one candidate through the pipeline ---- */

static void set_reason(struct candidate *c, enum cand_status s, const char *why)
{
	c->status = s;
	free(c->reason);
	c->reason = strdup(why ? why : "");
}

static void measure_config_fill(struct loop_state *st, struct measure_config *cfg,
                                volatile int *stop)
{
	const struct target *t = st->target;
	const struct loop_options *o = st->opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->cmd = t->run;
	cfg->min_runs = o->min_runs;
	cfg->max_runs = o->max_runs;
	cfg->warmup = o->warmup;
	cfg->min_gain = o->min_gain;
	cfg->level = o->level;
	cfg->resamples = o->resamples;
	cfg->seed = o->seed;
	cfg->cpu = o->cpu;
	cfg->timeout_s = t->timeout_s;
	cfg->limits = t->limits;
	cfg->ref = &PRIV(st)->run_ref;
	cfg->isolate_net = PRIV(st)->isolate_net;
	if (PRIV(st)->isolate_tree) {
		cfg->readonly_paths = PRIV(st)->ro;
		cfg->writable_paths = PRIV(st)->rw;
	}
	cfg->items = run_items(t, &cfg->nitems);
	cfg->rtol = t->rtol;
	cfg->atol = t->atol;
	cfg->stop = stop;
}

static int measure_candidate(struct loop_state *st, struct candidate *c, struct buf *err)
{
	struct loop_priv *lp = PRIV(st);
	struct candidate *best = st->cands[st->best];
	struct measure_config cfg;
	struct measure_outcome o;
	struct measure_side sb, sc;
	struct strlist eb = {0}, ec = {0};
	struct buf db = BUF_INIT, dc = BUF_INIT, tb = BUF_INIT, tc = BUF_INIT, why = BUF_INIT;
	struct progress_ctx pc = {st, c};
	int r;

	measure_config_fill(st, &cfg, &optimize_interrupted);
	cfg.seed = st->opt->seed * 1000003u + (uint64_t)c->id;
	cfg.progress = on_pair;
	cfg.ctx = &pc;
	buf_addf(&db, "%s/c%04d/timed-base", st->run_dir, c->id);
	buf_addf(&dc, "%s/c%04d/timed", st->run_dir, c->id);
	buf_addf(&tb, "%s/cltrace.jsonl", db.data);
	buf_addf(&tc, "%s/cltrace.jsonl", dc.data);
	ws_mkdirs(db.data, 0755, NULL);
	ws_mkdirs(dc.data, 0755, NULL);
	if (candidate_env(st, best, tb.data, &eb, NULL, err) < 0 ||
	    candidate_env(st, c, tc.data, &ec, NULL, err) < 0) {
		r = -1;
		goto out;
	}
	sb.cwd = best->workdir;
	sb.env_add = env_array(&eb);
	sb.trace_path = lp->obj.kind == OBJ_KERNEL_TIME ? tb.data : NULL;
	sb.capture_dir = db.data;
	sc.cwd = c->workdir;
	sc.env_add = env_array(&ec);
	sc.trace_path = lp->obj.kind == OBJ_KERNEL_TIME ? tc.data : NULL;
	sc.capture_dir = dc.data;
	measure_outcome_init(&o);
	r = measure_pair(&cfg, &lp->obj, &sb, &sc, &o, err);
	if (r < 0) {
		measure_outcome_release(&o);
		goto out;
	}
	c->compared_with = best->id;
	c->ci = o.ci;
	c->value = o.cand_median;
	c->base_value = o.base_median;
	c->nsamples = o.n;
	c->base_samples = o.base;
	c->cand_samples = o.cand;
	o.base = o.cand = NULL;
	if (o.failed == 2) {
		set_reason(c, strstr(o.why.data, "output") ? CAND_VERIFY_FAILED : CAND_RUN_FAILED,
		           o.why.data);
	} else if (o.failed == 1) {
		/* The current best failed a timed run: the machine or the program is flaky. */
		buf_setf(&why, "the current best (c%d) failed during measurement: %s", best->id,
		         o.why.data);
		set_reason(c, CAND_SKIPPED, why.data);
	} else if (o.interrupted && o.verdict == VERDICT_UNDECIDED) {
		buf_setf(&why, "interrupted after %zu pairs, before a decision", o.n);
		set_reason(c, CAND_SKIPPED, why.data);
	} else {
		const char *how =
		    o.deterministic ? "deterministic objective, one run each" : "pairs";
		if (o.deterministic)
			buf_setf(&why, "ratio %.4f (%s; %s)", o.ci.estimate, how, lp->obj.source);
		else
			buf_setf(&why, "ratio %.3f, %.0f%% CI [%.3f, %.3f] over %zu %s; %s",
			         o.ci.estimate, o.ci.level * 100, o.ci.lo, o.ci.hi, o.n, how,
			         o.verdict == VERDICT_FASTER ? "faster with confidence"
			         : o.ci.estimate < 1         ? "gain not established"
			                                     : "not faster");
		set_reason(c, o.verdict == VERDICT_FASTER ? CAND_ACCEPTED : CAND_NOT_FASTER,
		           why.data);
		if (st->opt->progress_tty && st->opt->verbosity >= 0)
			fputs("\r\033[K", stderr);
		if (!o.deterministic && o.base_cv > 0.05 && !lp->warned_noise) {
			lp->warned_noise = 1;
			say(st, 0,
			    "warning: the coefficient of variation of the compared runs is "
			    "%.1f%%: this machine is noisy; decisions take more pairs (close other "
			    "programs, or pin with --cpu N)",
			    o.base_cv * 100);
		}
	}
	measure_outcome_release(&o);
out:
	strlist_release(&eb);
	strlist_release(&ec);
	buf_release(&db);
	buf_release(&dc);
	buf_release(&tb);
	buf_release(&tc);
	buf_release(&why);
	return r;
}

/*
 * One more run of a measured candidate under the counter backend: the
 * counters and derived metrics that report.json and summary.md show. With
 * `hotspots` the run is also sampled and symbolized: for the original, the
 * final winner, and (when a proposer reads them, as the LLM prompts do) each
 * new best. Symbolizing is the tool's own CPU time, which must stay small
 * next to what it measures, so the others skip it. A failure here costs the
 * candidate nothing: the profile is simply absent and says why.
 */
static void profile_candidate(struct loop_state *st, struct candidate *c, int hotspots)
{
	const struct target *t = st->target;
	const struct counter_backend *b;
	struct counter_request req = {0};
	struct proc_spec spec;
	struct proc_result res;
	struct strlist env = {0};
	struct buf dir = BUF_INIT, so = BUF_INIT, se = BUF_INIT, trace = BUF_INIT, err = BUF_INIT;

	if (!st->opt->profile)
		return;
	b = counters_backend(st->opt->counters && strcmp(st->opt->counters, "cachegrind")
	                         ? st->opt->counters
	                         : "perf");
	if (!b)
		return;
	buf_addf(&dir, "%s/c%04d/profile", st->run_dir, c->id);
	ws_mkdirs(dir.data, 0755, NULL);
	buf_addf(&so, "%s/stdout", dir.data);
	buf_addf(&se, "%s/stderr", dir.data);
	buf_addf(&trace, "%s/cltrace.jsonl", dir.data);
	if (candidate_spec(st, c, trace.data, t->timeout_s, &env, &spec, &err) < 0)
		goto out;
	spec.stdout_path = so.data;
	spec.stderr_path = se.data;
	req.spec = &spec;
	req.cmd = t->run;
	req.hotspots = hotspots;
	unlink(trace.data); /* the interposer appends: one run, one trace */
	profile_release(&c->profile);
	profile_init(&c->profile);
	if (b->run(&req, &res, &c->profile, &err) < 0) {
		profile_set_hotspot_error(&c->profile, err.data);
		goto out;
	}
	if (PRIV(st)->kernel_target)
		cltrace_read(trace.data, &c->profile, NULL);
out:
	strlist_release(&env);
	buf_release(&dir);
	buf_release(&so);
	buf_release(&se);
	buf_release(&trace);
	buf_release(&err);
}

/*
 * A kernel that does not compile shows only as a failed verify or timed
 * run (the host program exits non-zero). The interposer wrote the OpenCL
 * build log into that run's trace: add it to the reason and call it a build
 * failure, so that it reads (and is fed back to a proposer) like a C
 * compile error.
 */
static void add_cl_build_log(struct loop_state *st, struct candidate *c)
{
	const struct target *t = st->target;
	struct profile p;
	struct buf path = BUF_INIT, why = BUF_INIT;
	size_t i;

	if (!PRIV(st)->kernel_target ||
	    (c->status != CAND_VERIFY_FAILED && c->status != CAND_RUN_FAILED))
		return;
	profile_init(&p);
	for (i = 0; i <= t->nverify && !p.cl_build_log; i++) {
		buf_reset(&path);
		if (i < t->nverify)
			buf_addf(&path, "%s/c%04d/verify/verify%zu/cltrace.jsonl", st->run_dir,
			         c->id, i);
		else
			buf_addf(&path, "%s/c%04d/timed/cltrace.jsonl", st->run_dir, c->id);
		cltrace_read(path.data, &p, NULL);
	}
	if (p.cl_build_log) {
		size_t len = strlen(p.cl_build_log);

		buf_addf(&why, "%s\nOpenCL build log:\n", c->reason ? c->reason : "");
		buf_add(&why, p.cl_build_log, len > BUILD_ERROR_MAX ? BUILD_ERROR_MAX : len);
		if (len > BUILD_ERROR_MAX)
			buf_addstr(&why, "\n[... output trimmed]");
		buf_rtrim(&why);
		set_reason(c, CAND_BUILD_FAILED, why.data);
	}
	profile_release(&p);
	buf_release(&path);
	buf_release(&why);
}

static int evaluate(struct loop_state *st, struct candidate *c, struct buf *err)
{
	struct loop_priv *lp = PRIV(st);
	const struct target *t = st->target;
	struct buf why = BUF_INIT, msg = BUF_INIT;
	struct capture *caps = NULL;
	size_t i;
	int r;

	if (c->status != CAND_PENDING)
		return 0; /* the proposer already rejected it (e.g. an edit that did not apply) */
	for (i = 0; i < c->nfiles; i++) {
		if (!ws_is_editable(t, c->files[i].path)) {
			buf_setf(&why, "'%s' is not an editable file of this target",
			         c->files[i].path);
			set_reason(c, CAND_EDIT_REJECTED, why.data);
			buf_release(&why);
			return 0;
		}
	}
	candidate_hash(st, c);
	for (i = 0; i < st->ncands; i++) {
		const struct candidate *o = st->cands[i];
		if (o != c && o->hash[0] && !strcmp(o->hash, c->hash)) {
			buf_setf(&why, "identical to c%d: not built or measured again", o->id);
			set_reason(c, CAND_DUPLICATE, why.data);
			buf_release(&why);
			return 0;
		}
	}
	if (materialize(st, c, err) < 0)
		return -1;
	r = build_candidate(st, c, &why, err);
	if (r < 0)
		goto out;
	if (optimize_interrupted)
		goto interrupted;
	if (r) {
		set_reason(c, CAND_BUILD_FAILED, why.data);
		r = 0;
		goto out;
	}
	caps = calloc(t->nverify ? t->nverify : 1, sizeof(*caps));
	r = run_verify_set(st, c, "verify", caps, &why, err);
	if (r < 0)
		goto out;
	if (r == 0)
		r = compare_verify_set(st, lp->verify_ref, caps, &why, err);
	if (r < 0)
		goto out;
	if (optimize_interrupted)
		goto interrupted;
	if (r) {
		set_reason(c, CAND_VERIFY_FAILED, why.data);
		add_cl_build_log(st, c);
		r = 0;
		goto out;
	}
	if (t->test) {
		struct strlist env = {0};
		struct proc_result res;
		r = candidate_env(st, c, NULL, &env, NULL, err);
		if (r == 0)
			r = run_step(st, c, t->test, "test", t->timeout_s, &env, &res, &why, err);
		strlist_release(&env);
		if (r < 0)
			goto out;
		if (optimize_interrupted)
			goto interrupted;
		if (!proc_result_ok(&res)) {
			set_reason(c, CAND_TEST_FAILED, why.data);
			goto out;
		}
	}
	r = ws_check_protected(lp->pristine, c->workdir, t, &lp->original_files, &msg, err);
	if (r < 0)
		goto out;
	if (r) {
		set_reason(c, CAND_PROTECTED_CHANGED, msg.data);
		r = 0;
		goto out;
	}
	r = measure_candidate(st, c, err);
	if (r == 0)
		add_cl_build_log(st, c);
	if (r == 0 && (c->status == CAND_ACCEPTED || c->status == CAND_NOT_FASTER))
		profile_candidate(st, c, c->status == CAND_ACCEPTED && st->opt->hotspots_each_best);
	if (r == 0 && c->status == CAND_ACCEPTED)
		st->best = c->id;
	goto out;
interrupted:
	set_reason(c, CAND_SKIPPED, "interrupted");
	r = 0;
out:
	if (caps) {
		for (i = 0; i < t->nverify; i++)
			capture_release(&caps[i]);
		free(caps);
	}
	buf_release(&why);
	buf_release(&msg);
	return r;
}

static void print_outcome(const struct loop_state *st, const struct candidate *c)
{
	const char *reason = c->reason ? c->reason : "";
	const char *nl = strchr(reason, '\n');
	int len = nl && st->opt->verbosity < 1 ? (int)(nl - reason) : (int)strlen(reason);

	say(st, 0, "  c%d %-30s %-22s %.*s", c->id, c->label ? c->label : "",
	    cand_status_name(c->status), len, reason);
}

/* ---- the loop ---- */

static int push_candidate(struct loop_state *st, struct candidate *c)
{
	if (st->ncands == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 16;
		struct candidate **p = realloc(st->cands, ncap * sizeof(*p));
		if (!p)
			return -1;
		st->cands = p;
		st->cap = ncap;
	}
	c->id = (int)st->ncands;
	st->cands[st->ncands++] = c;
	return 0;
}

/*
 * How candidates are kept away from what they must not touch: a network
 * namespace with loopback only (unless --allow-network), and the user's
 * tree read-only except the tool's own state directory inside it, so a
 * candidate cannot write the user's sources even through "../..". Each part
 * is probed once; what is not available here is said and recorded.
 */
static void setup_isolation(struct loop_state *st)
{
	struct loop_priv *lp = PRIV(st);
	const struct target *t = st->target;
	struct buf why = BUF_INIT, m = BUF_INIT;
	size_t tl = strlen(t->tree);
	int net = !st->opt->allow_network;

	lp->ro[0] = t->tree;
	lp->ro[1] = NULL;
	lp->rw[0] = NULL;
	if (lp->state_abs && !strncmp(lp->state_abs, t->tree, tl) && lp->state_abs[tl] == '/')
		lp->rw[0] = lp->state_abs;
	lp->rw[1] = NULL;
	if (proc_isolation_probe(net, lp->ro, lp->rw, &why) == 0) {
		lp->isolate_net = net;
		lp->isolate_tree = 1;
	} else if (net && proc_isolation_probe(1, NULL, NULL, &m) == 0) {
		lp->isolate_net = 1;
	} else if (net && proc_isolation_probe(0, lp->ro, lp->rw, &m) == 0) {
		lp->isolate_tree = 1;
	}
	if (lp->isolate_net)
		lp->isolation = strdup("network namespace with loopback only");
	else if (!net)
		lp->isolation = strdup("none: --allow-network");
	else {
		buf_setf(&m, "none: namespaces are not available here (%s)", why.data);
		lp->isolation = buf_detach(&m);
		say(st, 0, "warning: candidates can reach the network: %s", why.data);
	}
	if (lp->isolate_tree) {
		lp->isolation_tree = strdup("read-only for candidates (mount namespace), except "
		                            "the tool's state directory");
	} else {
		buf_setf(&m, "writable: mount namespaces are not available here (%s)", why.data);
		lp->isolation_tree = buf_detach(&m);
		say(st, 0, "warning: candidates could write into '%s': %s", t->tree, why.data);
	}
	buf_release(&why);
	buf_release(&m);
}

static int setup(struct loop_state *st, const char *state_dir, const char *run_id, struct buf *err)
{
	struct loop_priv *lp = PRIV(st);
	const struct target *t = st->target;
	struct candidate *b;
	struct buf p = BUF_INIT, m = BUF_INIT;

	st->run_id = strdup(run_id);
	buf_addf(&p, "%s/runs/%s/%s", state_dir, run_id, t->name);
	st->run_dir = buf_detach(&p);
	buf_addf(&p, "%s/work/%s/%s", state_dir, run_id, t->name);
	st->work_root = buf_detach(&p);
	if (ws_mkdirs(st->run_dir, 0755, err) < 0 || ws_mkdirs(st->work_root, 0755, err) < 0)
		return -1;
	lp->state_abs = realpath(state_dir, NULL);
	buf_addf(&p, "%s/original", st->work_root);
	lp->pristine = buf_detach(&p);
	if (ws_copy_tree(t->tree, lp->pristine, err) < 0)
		return -1;
	if (ws_list_files(lp->pristine, &lp->original_files, err) < 0)
		return -1;
	machine_info_collect(&lp->machine, st->opt->cc ? st->opt->cc : t->cc);
	setup_isolation(st);
	machine_info_text(&lp->machine, &m);
	st->machine = buf_detach(&m);
	if (objective_resolve(st->opt->objective ? st->opt->objective : t->objective,
	                      st->opt->counters, &lp->obj, err) < 0) {
		err_prefix(err, "target '%s': ", t->name);
		return EXIT_USAGE;
	}
	lp->kernel_target = t->kernels.n > 0 || lp->obj.kind == OBJ_KERNEL_TIME;
	if (lp->kernel_target) {
		struct buf why = BUF_INIT, lib = BUF_INIT;
		if (!opencl_available(&why)) {
			err_set(err, "target '%s' is an OpenCL kernel target, but %s", t->name,
			        why.len ? why.data : "no OpenCL platform is available");
			buf_release(&why);
			return EXIT_BASELINE;
		}
		if (cltrace_library_path(&lib, &why) < 0) {
			err_set(err, "target '%s' needs the OpenCL interposer: %s", t->name,
			        why.data);
			buf_release(&why);
			return EXIT_BASELINE;
		}
		lp->cltrace_lib = buf_detach(&lib);
		buf_release(&why);
	}
	b = calloc(1, sizeof(*b));
	candidate_init(b);
	b->label = strdup("original");
	b->origin = strdup("baseline");
	b->cc = strdup(st->opt->cc ? st->opt->cc : t->cc ? t->cc : "cc");
	b->cflags = strdup(t->cflags ? t->cflags : "");
	b->ldflags = strdup(t->ldflags ? t->ldflags : "");
	b->cl_build_options = strdup(t->cl_build_options ? t->cl_build_options : "");
	if (push_candidate(st, b) < 0)
		return err_set(err, "out of memory");
	candidate_hash(st, b);
	return 0;
}

static int baseline_measure(struct loop_state *st, struct buf *err)
{
	struct loop_priv *lp = PRIV(st);
	struct candidate *b = st->cands[0];
	struct measure_config cfg;
	struct measure_outcome o;
	struct measure_side s;
	struct strlist env = {0};
	struct buf d = BUF_INIT, tr = BUF_INIT;
	int r;

	measure_config_fill(st, &cfg, &optimize_interrupted);
	buf_addf(&d, "%s/c0000/timed", st->run_dir);
	buf_addf(&tr, "%s/cltrace.jsonl", d.data);
	if (candidate_env(st, b, tr.data, &env, NULL, err) < 0)
		return -1;
	s.cwd = b->workdir;
	s.env_add = env_array(&env);
	s.trace_path = lp->obj.kind == OBJ_KERNEL_TIME ? tr.data : NULL;
	s.capture_dir = d.data;
	measure_outcome_init(&o);
	r = measure_single(&cfg, &lp->obj, &s, st->opt->min_runs, &o, err);
	if (r == 0 && o.failed)
		r = fail_baseline(st, err, "%s", o.why.data);
	if (r == 0) {
		profile_candidate(st, b, 1);
		b->value = o.base_median;
		b->cand_samples = o.base;
		b->nsamples = o.n;
		o.base = NULL;
		say(st, 0, "[%s] original: %s %.4g %s (median of %zu, CV %.1f%%)", st->target->name,
		    lp->obj.name, b->value, lp->obj.unit, o.n, o.base_cv * 100);
		lp->warned_noise = !o.deterministic && o.base_cv > 0.05;
		if (lp->warned_noise)
			say(st, 0,
			    "warning: the original's coefficient of variation is %.1f%%: this "
			    "machine is noisy (close other programs, or pin with --cpu N)",
			    o.base_cv * 100);
	}
	measure_outcome_release(&o);
	strlist_release(&env);
	buf_release(&d);
	buf_release(&tr);
	return r;
}

void loop_config(const struct loop_state *st, int id, struct cand_config *out)
{
	const struct candidate *c = loop_candidate(st, id);

	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->cc = eff_cc(st, c);
	out->cflags = eff_cflags(st, c);
	out->ldflags = eff_ldflags(st, c);
	out->cl_build_options = eff_cl_build_options(st, c);
	out->wg_size = eff_wg_size(st, c);
	out->pgo = eff_pgo(st, c);
}

int loop_kernel_target(const struct loop_state *st)
{
	return PRIV(st)->kernel_target;
}

const char *loop_isolation(const struct loop_state *st)
{
	return PRIV(st)->isolation;
}

const char *loop_isolation_tree(const struct loop_state *st)
{
	return PRIV(st)->isolation_tree;
}

const struct objective *loop_objective(const struct loop_state *st)
{
	return &PRIV(st)->obj;
}

const struct machine_info *loop_machine(const struct loop_state *st)
{
	return &PRIV(st)->machine;
}

int loop_changed_files(const struct loop_state *st, int id, struct strlist *out)
{
	const struct candidate *c = loop_candidate(st, id);
	if (!c)
		return -1;
	changed_files(st, c, out);
	return 0;
}

const char *loop_pristine(const struct loop_state *st)
{
	return PRIV(st)->pristine;
}

/*
 * A winner found through a chain of acceptances (c1 beat the original, c4
 * beat c1) is measured once more head to head against the original, so the
 * reported speedup has its own interval and a chain of small noisy wins can
 * never end slower than the original.
 */
static int confirm_winner(struct loop_state *st, struct buf *err)
{
	struct candidate *w = st->cands[st->best];
	struct buf why = BUF_INIT;
	char *before;
	int id = w->id, r;

	if (id == 0 || w->compared_with == 0)
		return 0;
	say(st, 0, "  c%d is the best after a chain of wins: measuring it against the original",
	    id);
	before = w->reason ? strdup(w->reason) : strdup("");
	free(w->base_samples);
	free(w->cand_samples);
	w->base_samples = w->cand_samples = NULL;
	st->best = 0;
	r = measure_candidate(st, w, err);
	if (r < 0) {
		free(before);
		return -1;
	}
	if (w->status == CAND_ACCEPTED) {
		st->best = id;
		buf_addf(&why, "confirmed against the original: %s (earlier: %s)", w->reason,
		         before);
	} else {
		buf_addf(&why,
		         "faster than its parent (%s) but not confirmed faster than the "
		         "original: %s",
		         before, w->reason ? w->reason : "");
		w->status = CAND_NOT_FASTER;
	}
	free(w->reason);
	w->reason = buf_detach(&why);
	free(before);
	print_outcome(st, w);
	if (st->best == 0) {
		/* Fall back to the nearest accepted ancestor, confirmed the same way. */
		int p;
		for (p = w->parent; p > 0; p = st->cands[p]->parent) {
			if (st->cands[p]->status == CAND_ACCEPTED) {
				st->best = p;
				return confirm_winner(st, err);
			}
		}
	}
	return 0;
}

int loop_run(const struct target *t, const struct loop_options *opt, struct proposer *prop,
             const char *run_id, struct loop_state **out_state, struct buf *err)
{
	struct loop_priv *lp = calloc(1, sizeof(*lp));
	struct loop_state *st = &lp->st;
	int r, code = EXIT_OK;

	st->target = t;
	st->opt = opt;
	st->best = 0;
	st->started = now_s();
	*out_state = st;
	r = setup(st, opt->state_dir, run_id, err);
	if (r != 0)
		return r < 0 ? EXIT_FAILURE_INTERNAL : r;
	r = setup_baseline(st, err);
	if (r == 0 && !optimize_interrupted)
		r = baseline_measure(st, err);
	if (optimize_interrupted && r != -1) {
		st->stopped = 1;
		free(st->stop_reason);
		st->stop_reason = strdup("interrupted");
		err_set(err, "target '%s': interrupted while setting up the original", t->name);
		report_write_target(st, NULL);
		return EXIT_INTERRUPTED;
	}
	if (r != 0) {
		report_write_target(st, err);
		return r < 0 ? EXIT_FAILURE_INTERNAL : r;
	}
	report_write_target(st, NULL);
	while (prop && !optimize_interrupted) {
		struct candidate *batch[16];
		int n, i;

		if (opt->budget_time_s > 0 && now_s() - st->started > opt->budget_time_s) {
			st->stopped = 1;
			free(st->stop_reason);
			st->stop_reason = strdup("time budget reached");
			break;
		}
		n = prop->propose(prop, st, batch, 16, err);
		if (n < 0) {
			st->stopped = 1;
			free(st->stop_reason);
			st->stop_reason = strdup(buf_str(err));
			code = EXIT_LLM;
			break;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			struct candidate *c = batch[i];
			if (c->parent < 0)
				c->parent = st->best;
			if (push_candidate(st, c) < 0)
				return EXIT_FAILURE_INTERNAL;
			if (optimize_interrupted) {
				set_reason(c, CAND_SKIPPED, "interrupted");
			} else if (evaluate(st, c, err) < 0) {
				report_write_target(st, NULL);
				return EXIT_FAILURE_INTERNAL;
			}
			print_outcome(st, c);
			if (prop->feedback)
				prop->feedback(prop, st, c);
			report_write_target(st, NULL);
		}
	}
	if (!optimize_interrupted && code == EXIT_OK && confirm_winner(st, err) < 0)
		code = EXIT_FAILURE_INTERNAL;
	/* The winner's hotspots, for the report, when the search did not take them. */
	if (!optimize_interrupted && st->best != 0 && !st->cands[st->best]->profile.nfunctions)
		profile_candidate(st, st->cands[st->best], 1);
	if (optimize_interrupted) {
		st->stopped = 1;
		free(st->stop_reason);
		st->stop_reason = strdup("interrupted");
		code = EXIT_INTERRUPTED;
	}
	if (report_write_target(st, err) < 0 && code == EXIT_OK)
		code = EXIT_FAILURE_INTERNAL;
	return code;
}

int loop_reverify(struct loop_state *st, struct buf *why, struct buf *err)
{
	const struct target *t = st->target;
	struct candidate *c = st->cands[st->best];
	struct capture *caps;
	size_t i;
	int r;

	if (st->best == 0)
		return 0;
	/* A fresh workspace and build, so nothing left from the search is trusted. */
	if (materialize(st, c, err) < 0)
		return -1;
	r = build_candidate(st, c, why, err);
	if (r != 0)
		return r;
	caps = calloc(t->nverify ? t->nverify : 1, sizeof(*caps));
	r = run_verify_set(st, c, "reverify", caps, why, err);
	if (r == 0)
		r = compare_verify_set(st, PRIV(st)->verify_ref, caps, why, err);
	for (i = 0; i < t->nverify; i++)
		capture_release(&caps[i]);
	free(caps);
	if (r == 0) {
		struct capture run;
		size_t n;
		const struct compare_item *items = run_items(t, &n);
		struct buf msg = BUF_INIT;
		r = capture_run(st, c, "reverify-run", &run, err);
		if (r == 0)
			r = verify_compare(&PRIV(st)->run_ref, &run, items, n, t->rtol, t->atol,
			                   &msg, err);
		if (r == 1)
			buf_setf(why, "the timed run: %s", msg.data);
		capture_release(&run);
		buf_release(&msg);
	}
	if (r == 0 && t->test) {
		struct strlist env = {0};
		struct proc_result res;
		r = candidate_env(st, c, NULL, &env, NULL, err);
		if (r == 0)
			r = run_step(st, c, t->test, "test", t->timeout_s, &env, &res, why, err);
		if (r == 0 && !proc_result_ok(&res))
			r = 1;
		strlist_release(&env);
	}
	if (r == 0) {
		struct buf msg = BUF_INIT;
		r = ws_check_protected(PRIV(st)->pristine, c->workdir, t, &PRIV(st)->original_files,
		                       &msg, err);
		if (r == 1)
			buf_setf(why, "%s", msg.data);
		buf_release(&msg);
	}
	return r;
}

void loop_state_free(struct loop_state *st)
{
	struct loop_priv *lp;
	size_t i;

	if (!st)
		return;
	lp = PRIV(st);
	for (i = 0; i < st->ncands; i++) {
		candidate_release(st->cands[i]);
		free(st->cands[i]);
	}
	free(st->cands);
	free(st->run_id);
	free(st->run_dir);
	free(st->work_root);
	free(st->machine);
	free(st->stop_reason);
	cJSON_Delete(st->extra);
	if (lp->verify_ref) {
		for (i = 0; i < st->target->nverify; i++)
			capture_release(&lp->verify_ref[i]);
		free(lp->verify_ref);
	}
	capture_release(&lp->run_ref);
	objective_release(&lp->obj);
	machine_info_release(&lp->machine);
	strlist_release(&lp->original_files);
	free(lp->pristine);
	free(lp->ref_dir);
	free(lp->cltrace_lib);
	free(lp->isolation);
	free(lp->isolation_tree);
	free(lp->state_abs);
	buf_release(&lp->log);
	free(lp);
}
