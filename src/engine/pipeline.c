/*
 * pipeline.c: a target's pipeline set up, the one maker of child specs for
 * target code, and the stages that make a workspace and a build. The other
 * stages are in pipeline_stages.c. See pipeline.h.
 */
#include "engine/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/util.h"
#include "base/xalloc.h"
#include "engine/pipeline_int.h"
#include "engine/workspace.h"
#include "prof/cltrace.h"
#include "prof/opencl_info.h"

void measure_settings_default(struct measure_settings *m)
{
	memset(m, 0, sizeof(*m));
	m->min_runs = 5;
	m->max_runs = 30;
	m->warmup = 1;
	m->min_gain = 0.03;
	m->level = 0.95;
	m->resamples = 2000;
	m->seed = 1;
	m->cpu = -1;
}

void pipeline_options_default(struct pipeline_options *o)
{
	memset(o, 0, sizeof(*o));
	o->profile = 1;
	measure_settings_default(&o->m);
}

/* ---- set up ---- */

/*
 * How candidates are kept away from what they must not touch: a network
 * namespace with loopback only (unless --allow-network), and a mount
 * namespace in which the user's tree is read-only and the tool's state
 * directory hidden (an empty read-only tmpfs), except the candidate's own
 * workspace bound back. So a candidate can neither write the user's sources
 * (even through "../.."), nor read or write the references, the reports,
 * the response cache or another candidate's build (the original's, which it
 * is timed against). Each part is probed once; what is not available here
 * is said and recorded.
 */
/* The tool's own tests check what holds without namespaces (docs/security.md). */
static int no_isolation_for_tests(void)
{
	const char *v = getenv("OPTIMIZE_TEST_NO_ISOLATION");
	return v && !strcmp(v, "1");
}

/* A PID namespace with its own /proc, a private /tmp and /run: needs the
 * mount namespace; probed with the same paths. */
static void setup_isolation_process(struct pipeline *p, const char *const *rw)
{
	struct proc_spec probe;
	struct buf why = BUF_INIT, m = BUF_INIT, base = BUF_INIT;
	int cg = proc_cgroup_probe(&why);

	buf_addstr(&base, "own process group, timeout, parent-death signal, rlimits per process "
	                  "(CPU, address space, file size, processes, no core), ");
	if (cg > 0) {
		p->cgroup = cg;
		buf_addf(&base,
		         "a cgroup v%d of its own per run: memory (limits.memory_mb) and processes "
		         "(limits.nproc) are totals for all its processes together",
		         cg);
	} else {
		buf_addf(&base,
		         "no cgroup (%s): memory and processes are limited per process only, so "
		         "several processes of one run may each use limits.memory_mb",
		         why.data);
	}
	buf_reset(&why);

	proc_spec_init(&probe);
	probe.isolate_net = p->isolate_net;
	if (p->isolate_tree) {
		probe.readonly_paths = (const char *const *)p->readonly.v;
		probe.writable_paths = rw;
		probe.hidden_paths = p->hidden.n ? (const char *const *)p->hidden.v : NULL;
	}
	probe.isolate_pid = probe.private_tmp = 1;
	if (!p->isolate_tree)
		buf_addstr(&why, p->isolation_tree);
	else if (proc_isolation_probe_spec(&probe, &why) == 0)
		p->isolate_pid = 1;
	if (p->isolate_pid) {
		buf_setf(
		    &m,
		    "own PID namespace with its own /proc (the tool's processes can be neither "
		    "seen nor signalled; every process of a run dies with it or with the "
		    "tool), private /tmp and /run (no Unix socket there is reachable); %s",
		    base.data);
	} else {
		buf_setf(&m,
		         "no PID namespace (%s): the tool's /proc entries (its environment) "
		         "can be read and the tool signalled by candidates of its user; %s",
		         why.data, base.data);
		if (p->isolate_tree)
			engine_note(
			    p->opt.ev, NOTE_WARNING,
			    "warning: candidates can see and signal the tool's processes: %s",
			    why.data);
	}
	p->isolation_process = buf_detach(&m);
	buf_release(&why);
	buf_release(&base);
}

/* The OpenCL interposer where candidates get a private /tmp or /run (a tool
 * built under /tmp): carried in read-only, or LD_PRELOAD finds nothing. */
static void carry_interposer(struct pipeline *p)
{
	struct buf lib = BUF_INIT, e = BUF_INIT;
	char *slash;

	/* its folder (a mount carries folders), unless that holds the tree or
	 * the workspaces, which must keep their own mounts */
	if (cltrace_library_path(&lib, &e) == 0 &&
	    (!strncmp(lib.data, "/tmp/", 5) || !strncmp(lib.data, "/run/", 5)) &&
	    (slash = strrchr(lib.data, '/')) && slash - lib.data > 4) {
		size_t n = (size_t)(slash - lib.data);
		const char *inside[] = {p->t->tree, p->work_abs ? p->work_abs : p->work_root,
		                        p->state_abs};
		int holds = 0;

		*slash = '\0';
		for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
			holds |= inside[i] && !strncmp(inside[i], lib.data, n) &&
			         (inside[i][n] == '/' || !inside[i][n]);
		if (!holds)
			strlist_push(&p->readonly, lib.data);
	}
	buf_release(&lib);
	buf_release(&e);
}

static enum engine_status setup_isolation(struct pipeline *p, struct buf *err)
{
	struct buf why = BUF_INIT, m = BUF_INIT;
	enum engine_status st;
	const char *rw[2] = {p->work_abs ? p->work_abs : p->work_root, NULL};
	const char *const *ro, *const *hide;
	size_t tl = strlen(p->t->tree);
	int net = !p->opt.allow_network;

	strlist_push(&p->readonly, p->t->tree);
	carry_interposer(p);
	if (no_isolation_for_tests()) {
		buf_addstr(&why, "OPTIMIZE_TEST_NO_ISOLATION=1");
		goto decided;
	}
	if (p->state_abs && !(strncmp(p->state_abs, p->t->tree, tl) == 0 &&
	                      (p->state_abs[tl] == '/' || p->state_abs[tl] == '\0')))
		strlist_push(&p->readonly, p->state_abs);
	if (p->state_abs && p->work_abs)
		strlist_push(&p->hidden, p->state_abs);
	ro = strlist_array(&p->readonly);
	hide = strlist_array(&p->hidden);
	if (proc_isolation_probe(net, ro, rw, hide, &why) == 0) {
		p->isolate_net = net;
		p->isolate_tree = 1;
	} else if (net && proc_isolation_probe(1, NULL, NULL, NULL, &m) == 0) {
		p->isolate_net = 1;
	} else if (net && proc_isolation_probe(0, ro, rw, hide, &m) == 0) {
		p->isolate_tree = 1;
	}
decided:
	if (p->isolate_net) {
		p->isolation_net = xstrdup("network namespace with loopback only");
	} else if (!net) {
		p->isolation_net = xstrdup("none: --allow-network");
	} else {
		buf_setf(&m, "none: namespaces are not available here (%s)", why.data);
		p->isolation_net = buf_detach(&m);
		engine_note(p->opt.ev, NOTE_WARNING,
		            "warning: candidates can reach the network: %s", why.data);
	}
	if (p->isolate_tree) {
		p->isolation_tree =
		    xstrdup("read-only for candidates (mount namespace); the tool's "
		            "state directory hidden from them (an empty read-only "
		            "tmpfs) except the candidate's own workspace");
	} else {
		buf_setf(&m, "writable: mount namespaces are not available here (%s)", why.data);
		p->isolation_tree = buf_detach(&m);
		engine_note(p->opt.ev, NOTE_WARNING,
		            "warning: candidates could write into '%s': %s", p->t->tree, why.data);
	}
	setup_isolation_process(p, rw);
	st = pipeline_setup_root(p, rw, err);
	buf_release(&why);
	buf_release(&m);
	return st;
}

/*
 * An `editable` glob that matches no file of the tree is most likely a typo
 * (a warning: a rewrite may still create such a file); none matching any
 * file leaves nothing to rewrite (an error).
 */
static enum engine_status check_editable(struct pipeline *p, struct buf *err)
{
	const struct target *t = p->t;
	size_t any = 0;

	for (size_t i = 0; i < t->editable.n; i++) {
		struct strlist one = {0};
		size_t n = 0;

		strlist_push(&one, t->editable.v[i]);
		for (size_t j = 0; j < p->original_files.n; j++)
			n += strlist_match(&one, p->original_files.v[j]) != 0;
		strlist_release(&one);
		any += n;
		if (!n)
			engine_note(p->opt.ev, NOTE_WARNING,
			            "warning: [%s] editable glob '%s' matches no file in '%s'",
			            t->name, t->editable.v[i], t->tree);
	}
	if (any)
		return ENGINE_OK;
	err_set(err, "target '%s': no file in '%s' matches 'editable' (%s%s): fix the globs in %s",
	        t->name, t->tree, t->editable.n ? t->editable.v[0] : "",
	        t->editable.n > 1 ? ", ..." : "",
	        t->manifest_path ? t->manifest_path : "the manifest");
	return ENGINE_SETUP;
}

static enum engine_status setup_opencl(struct pipeline *p, struct buf *err)
{
	struct buf why = BUF_INIT, lib = BUF_INIT;
	enum engine_status r = ENGINE_OK;

	if (!opencl_available(&why)) {
		err_set(err, "target '%s' is an OpenCL kernel target, but %s", p->t->name,
		        why.len ? why.data : "no OpenCL platform is available");
		r = ENGINE_BASELINE;
	} else if (cltrace_library_path(&lib, &why) < 0) {
		err_set(err, "target '%s' needs the OpenCL interposer: %s", p->t->name, why.data);
		r = ENGINE_BASELINE;
	}
	buf_release(&why);
	buf_release(&lib);
	return r;
}

enum engine_status pipeline_open(const struct pipeline_options *o, struct pipeline **out,
                                 struct buf *err)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	const struct target *t = o->target;
	struct buf b = BUF_INIT;

	*out = p;
	p->opt = *o;
	p->t = t;
	p->state_fd = -1;
	buf_addf(&b, "runs/%s/%s", o->run_id, t->name);
	p->run_rel = buf_detach(&b);
	buf_addf(&b, "work/%s/%s", o->run_id, t->name);
	p->work_rel = buf_detach(&b);
	buf_addf(&b, "%s/%s", o->state_dir, p->run_rel);
	p->run_dir = buf_detach(&b);
	buf_addf(&b, "%s/%s", o->state_dir, p->work_rel);
	p->work_root = buf_detach(&b);
	if (file_mkdirs(o->state_dir, 0755, err) < 0)
		return ENGINE_ERROR;
	p->state_fd = open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->state_fd < 0) {
		err_set(err, "cannot open the state directory '%s': %s", o->state_dir,
		        strerror(errno));
		return ENGINE_ERROR;
	}
	if (file_mkdirs_beneath(p->state_fd, p->run_rel, 0755, err) < 0 ||
	    file_mkdirs_beneath(p->state_fd, p->work_rel, 0755, err) < 0)
		return ENGINE_ERROR;
	p->state_abs = realpath(o->state_dir, NULL);
	if (p->state_abs) {
		buf_addf(&b, "%s/%s", p->state_abs, p->work_rel);
		p->work_abs = buf_detach(&b);
	}
	buf_addf(&b, "%s/original", p->work_root);
	p->pristine = buf_detach(&b);
	if (ws_copy_tree(t->tree, p->pristine, err) < 0 ||
	    ws_list_files(p->pristine, &p->original_files, err) < 0)
		return ENGINE_ERROR;
	if (check_editable(p, err) != ENGINE_OK)
		return ENGINE_SETUP;
	machine_info_collect(&p->machine, o->cc ? o->cc : t->cc);
	machine_info_text(&p->machine, &b);
	p->machine_text = buf_detach(&b);
	if (setup_isolation(p, err) != ENGINE_OK)
		return ENGINE_SETUP;
	pipeline_seed_setup(p);
	if (objective_resolve(o->objective ? o->objective : t->objective, o->counters, &p->obj,
	                      err) < 0) {
		err_prefix(err, "target '%s': ", t->name);
		return ENGINE_SETUP;
	}
	p->kernel_target = t->kernels.n > 0 || p->obj.kind == OBJ_KERNEL_TIME;
	if (p->kernel_target)
		return setup_opencl(p, err);
	return ENGINE_OK;
}

void pipeline_close(struct pipeline *p)
{
	size_t i;

	if (!p)
		return;
	if (p->verify_ref) {
		for (i = 0; i < p->t->nverify; i++)
			capture_release(&p->verify_ref[i]);
		free(p->verify_ref);
	}
	capture_release(&p->run_ref);
	pipeline_seals_release(p);
	objective_release(&p->obj);
	machine_info_release(&p->machine);
	strlist_release(&p->original_files);
	strlist_release(&p->readonly);
	strlist_release(&p->hidden);
	free(p->machine_text);
	free(p->run_dir);
	free(p->work_root);
	free(p->run_rel);
	free(p->work_rel);
	if (p->state_fd >= 0)
		close(p->state_fd);
	free(p->pristine);
	free(p->state_abs);
	free(p->work_abs);
	free(p->isolation_net);
	free(p->isolation_tree);
	free(p->isolation_process);
	free(p->pin_how);
	free(p);
}

struct candidate *pipeline_original(const struct pipeline *p)
{
	const struct target *t = p->t;
	struct candidate *b = candidate_new("baseline", "original");

	b->set.cc = xstrdup(p->opt.cc ? p->opt.cc : t->cc ? t->cc : "cc");
	b->set.cflags = t->cflags ? xstrdup(t->cflags) : NULL;
	b->set.ldflags = xstrdup(t->ldflags ? t->ldflags : "");
	b->set.cl_build_options = xstrdup(t->cl_build_options ? t->cl_build_options : "");
	return b;
}

const struct target *pipeline_target(const struct pipeline *p)
{
	return p->t;
}
const char *pipeline_run_dir(const struct pipeline *p)
{
	return p->run_dir;
}
const char *pipeline_state_dir(const struct pipeline *p)
{
	return p->opt.state_dir;
}
const char *pipeline_run_id(const struct pipeline *p)
{
	return p->opt.run_id;
}
const char *pipeline_pristine(const struct pipeline *p)
{
	return p->pristine;
}
const struct objective *pipeline_objective(const struct pipeline *p)
{
	return &p->obj;
}
const struct machine_info *pipeline_machine(const struct pipeline *p)
{
	return &p->machine;
}
const char *pipeline_machine_text(const struct pipeline *p)
{
	return p->machine_text;
}
int pipeline_kernel_target(const struct pipeline *p)
{
	return p->kernel_target;
}
const char *pipeline_isolation_net(const struct pipeline *p)
{
	return p->isolation_net;
}
const char *pipeline_isolation_tree(const struct pipeline *p)
{
	return p->isolation_tree;
}
const char *pipeline_isolation_process(const struct pipeline *p)
{
	return p->isolation_process;
}
int pipeline_pinned_cpu(const struct pipeline *p, const char **how)
{
	*how = p->pin_how ? p->pin_how : p->opt.m.cpu >= 0 ? "--cpu" : "not pinned";
	return p->opt.m.cpu;
}
const struct strlist *pipeline_original_files(const struct pipeline *p)
{
	return &p->original_files;
}

/* ---- the one maker of child specs for target code ---- */

void pipeline_trace_path(const struct pipeline *p, const struct candidate *c, const char *tag,
                         struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%s/c%04d.trace/%s.jsonl", p->work_root, c->id, tag);
}

/* path (under the workspaces) pushed as an absolute path. */
static void push_abs(const struct pipeline *p, struct strlist *l, const char *path)
{
	size_t n = strlen(p->work_root);

	if (p->work_abs && !strncmp(path, p->work_root, n) && (path[n] == '/' || !path[n]))
		strlist_pushf(l, "%s%s", p->work_abs, path + n);
	else
		strlist_push(l, path);
}

int pipeline_child_spec(const struct pipeline *p, const struct candidate *c,
                        const struct cand_config *cfg, const char *trace, double timeout,
                        struct child *ch, struct buf *err)
{
	const struct target *t = p->t;
	struct buf tracedir = BUF_INIT, deftrace = BUF_INIT, home = BUF_INIT;

	memset(ch, 0, sizeof(*ch));
	if (!cfg)
		cfg = &c->cfg;
	pipeline_build_env(cfg, &ch->env);
	buf_addf(&tracedir, "%s/c%04d.trace", p->work_root, c->id);
	if (p->kernel_target) {
		struct strlist cl = {0};
		/* Steps whose trace nobody reads (build, test, PGO training) still
		 * run under the interposer, for the build options. */
		if (!trace) {
			pipeline_trace_path(p, c, "scratch", &deftrace);
			trace = deftrace.data;
		}
		if (file_mkdirs(tracedir.data, 0755, err) < 0 ||
		    cltrace_env(trace, cfg->cl_build_options ? cfg->cl_build_options : "", &cl,
		                err) < 0) {
			strlist_release(&cl);
			buf_release(&tracedir);
			buf_release(&deftrace);
			return -1;
		}
		for (size_t i = 0; i < cl.n; i++)
			strlist_push(&ch->env, cl.v[i]);
		strlist_release(&cl);
		if (t->wg_size_env && cfg->wg_size)
			strlist_pushf(&ch->env, "%s=%s", t->wg_size_env, cfg->wg_size);
	}
	if (p->seeded)
		pipeline_seed_env(p, &ch->env);
	/* Run as another user (root's candidates): root's $HOME is out of its
	 * reach, and tools that need one to write in (PoCL's kernel cache: "no
	 * device" without it) get a home of the candidate's own, never shared
	 * with another candidate (a shared cache would let one plant code that
	 * another runs). */
	if (p->run_as) {
		struct strlist abs = {0};

		buf_addf(&home, "%s/c%04d.home", p->work_root, c->id);
		/* root's on disk: the writable paths are idmapped mounts for it */
		if (file_mkdirs(home.data, 0755, err) < 0) {
			buf_release(&tracedir);
			buf_release(&deftrace);
			buf_release(&home);
			return -1;
		}
		push_abs(p, &abs, home.data);
		strlist_pushf(&ch->env, "HOME=%s", abs.v[0]);
		strlist_pushf(&ch->env, "XDG_CACHE_HOME=%s/.cache", abs.v[0]);
		strlist_release(&abs);
	}
	proc_spec_init(&ch->spec);
	ch->spec.cwd = c->workdir;
	ch->spec.env_add = strlist_array(&ch->env);
	if (t->env_pass_set) {
		for (size_t i = 0; i < t->env_pass.n; i++)
			strlist_push(&ch->pass, t->env_pass.v[i]);
		ch->spec.env_pass = strlist_array(&ch->pass);
	}
	ch->spec.timeout_s = timeout > 0 ? timeout : t->timeout_s;
	ch->spec.limits = t->limits;
	ch->spec.cancel = p->opt.cancel;
	ch->spec.isolate_net = p->isolate_net;
	ch->spec.isolate_pid = ch->spec.private_tmp = p->isolate_pid;
	ch->spec.cgroup = p->cgroup > 0;
	ch->spec.disk_total_bytes = t->limits.fsize_bytes;
	ch->spec.run_as = p->run_as;
	ch->spec.run_uid = p->run_uid;
	ch->spec.run_gid = p->run_gid;
	if (p->isolate_tree) {
		/* Writable: its own workspace and trace directory, nothing else of
		 * ours; absolute, to be bound back inside the hidden state. */
		push_abs(p, &ch->writable, c->workdir);
		if (p->kernel_target)
			push_abs(p, &ch->writable, tracedir.data);
		if (home.len)
			push_abs(p, &ch->writable, home.data);
		ch->spec.cwd = ch->writable.v[0];
		ch->spec.readonly_paths = (const char *const *)p->readonly.v;
		ch->spec.hidden_paths = p->hidden.n ? (const char *const *)p->hidden.v : NULL;
		ch->spec.writable_paths = strlist_array(&ch->writable);
	}
	buf_release(&tracedir);
	buf_release(&deftrace);
	buf_release(&home);
	return 0;
}

void child_release(struct child *ch)
{
	strlist_release(&ch->env);
	strlist_release(&ch->writable);
	strlist_release(&ch->pass);
}

void pipeline_excerpt(const struct buf *text, struct buf *out)
{
	struct buf b = BUF_INIT;

	buf_add(&b, text->data ? text->data : "", text->len);
	buf_rtrim(&b);
	if (b.len > BUILD_ERROR_MAX) {
		buf_add(out, b.data, BUILD_ERROR_MAX);
		buf_addstr(out, "\n[... output trimmed]");
	} else {
		buf_add(out, b.data, b.len);
	}
	buf_release(&b);
}

int pipeline_ws_fd(const struct pipeline *p, const struct candidate *c, struct buf *err)
{
	struct buf rel = BUF_INIT;
	int fd;

	buf_addf(&rel, "%s/c%04d", p->work_rel, c->id);
	fd = file_openat_beneath(p->state_fd, rel.data, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		err_set(err, "cannot open the workspace '%s/c%04d': %s", p->work_root, c->id,
		        strerror(errno));
	buf_release(&rel);
	return fd;
}

void pipeline_save_rel(const struct pipeline *p, const struct candidate *c, const char *tag,
                       struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%s/c%04d/%s", p->run_rel, c->id, tag);
}

/* The step's output, kept for people in <work_root>/logs (never read back). */
static void save_log(const struct pipeline *p, const struct candidate *c, const char *name,
                     const char *ext, const struct buf *b)
{
	struct buf rel = BUF_INIT;

	buf_addf(&rel, "%s/logs", p->work_rel);
	if (file_mkdirs_beneath(p->state_fd, rel.data, 0755, NULL) == 0) {
		buf_addf(&rel, "/c%04d-%s.%s", c->id, name, ext);
		file_put_beneath(p->state_fd, rel.data, b->data ? b->data : "", b->len, NULL);
	}
	buf_release(&rel);
}

/* Append " " and the first line of out that names an error ("error:",
 * "Error 1"); -1 when none does. */
static int first_error_line(const struct buf *out, struct buf *to)
{
	const char *p = out->data ? out->data : "", *nl;

	for (; *p; p = nl + 1) {
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (memmem(p, n, "error", 5) || memmem(p, n, "Error", 5)) {
			buf_addch(to, ' ');
			buf_add(to, p, n);
			return 0;
		}
		if (!nl)
			break;
	}
	return -1;
}

int pipeline_run_step(const struct pipeline *p, const struct candidate *c,
                      const struct cand_config *cfg, const char *cmd, const char *name,
                      double timeout, struct proc_result *res, struct buf *errtext, struct buf *err)
{
	struct child ch;
	struct buf so = BUF_INIT, se = BUF_INIT;
	int r;

	if (pipeline_child_spec(p, c, cfg, NULL, timeout, &ch, err) < 0)
		return -1;
	ch.spec.stdout_buf = &so;
	ch.spec.stderr_buf = &se;
	r = proc_run_sh(&ch.spec, cmd, res, err);
	save_log(p, c, name, "out", &so);
	save_log(p, c, name, "err", &se);
	if (r == 0 && errtext && !proc_result_ok(res)) {
		struct buf d = BUF_INIT;
		proc_result_describe(res, ch.spec.timeout_s, &d);
		buf_addf(errtext, "'%s' failed (%s):", cmd, d.data);
		buf_release(&d);
		/* the first line a one-line summary shows names the first error */
		if (first_error_line(&se, errtext) < 0)
			first_error_line(&so, errtext);
		buf_addch(errtext, '\n');
		pipeline_excerpt(&se, errtext);
		if (errtext->len < 200) {
			buf_addstr(errtext, "\n");
			pipeline_excerpt(&so, errtext);
		}
		buf_rtrim(errtext);
	}
	child_release(&ch);
	buf_release(&so);
	buf_release(&se);
	return r;
}

/* ---- materialize and build ---- */

int pipeline_materialize_at(struct pipeline *p, const struct candidate *c, const char *dir,
                            struct buf *err)
{
	struct buf rel = BUF_INIT;
	size_t wl = strlen(p->work_root);
	int r = 0;

	if (strncmp(dir, p->work_root, wl) || dir[wl] != '/')
		return err_set(err, "'%s' is not under the workspaces ('%s')", dir, p->work_root);
	ws_remove_tree(dir, NULL);
	if (ws_copy_tree(c->source_tree ? c->source_tree : p->pristine, dir, err) < 0)
		return -1;
	/* Written beneath the state directory: a path with "..", or a link a
	 * build left in the tree, cannot send an edit anywhere else. */
	for (size_t i = 0; i < c->nchain && r == 0; i++) {
		const struct file_edit *f = c->chain[i];
		buf_setf(&rel, "%s%s/%s", p->work_rel, dir + wl, f->path);
		r = file_write_beneath(p->state_fd, rel.data, f->content, f->len, 0644, err);
	}
	buf_release(&rel);
	return r;
}

int pipeline_materialize(struct pipeline *p, struct candidate *c, struct buf *err)
{
	struct buf dir = BUF_INIT;

	buf_addf(&dir, "%s/c%04d", p->work_root, c->id);
	free(c->workdir);
	c->workdir = buf_detach(&dir);
	return pipeline_materialize_at(p, c, c->workdir, err);
}

static const char *llvm_profdata(void)
{
	static const char *const names[] = {"llvm-profdata",    "llvm-profdata-16",
	                                    "llvm-profdata-15", "llvm-profdata-14",
	                                    "llvm-profdata-13", NULL};
	for (size_t i = 0; names[i]; i++) {
		struct buf path = BUF_INIT;
		int ok;
		buf_addf(&path, "/usr/bin/%s", names[i]);
		ok = access(path.data, X_OK) == 0;
		buf_release(&path);
		if (ok)
			return names[i];
	}
	return NULL;
}

/* One build step: 0 ok, 1 failed (why), -1 error. */
static int build_step(struct pipeline *p, struct candidate *c, const struct cand_config *cfg,
                      const char *cmd, const char *name, double timeout, struct buf *why,
                      struct buf *err)
{
	struct proc_result res;

	if (pipeline_run_step(p, c, cfg, cmd, name, timeout, &res, why, err) < 0)
		return -1;
	return proc_result_ok(&res) ? 0 : 1;
}

/* Profile-guided: instrumented build, a training run of `run`, the final build. */
static int build_pgo(struct pipeline *p, struct candidate *c, double timeout, struct buf *why,
                     struct buf *err)
{
	const struct target *t = p->t;
	const char *cc = c->cfg.cc ? c->cfg.cc : "cc";
	int clang = strstr(cc, "clang") != NULL, r;
	struct buf gen = BUF_INIT, genld = BUF_INIT, use = BUF_INIT, useld = BUF_INIT;
	const char *base_cflags = c->cfg.cflags ? c->cfg.cflags : "";
	const char *base_ldflags = c->cfg.ldflags ? c->cfg.ldflags : "";
	const char *flag = clang ? "-fprofile-instr-generate" : "-fprofile-generate";
	struct cand_config cfg = c->cfg;

	buf_addf(&gen, "%s %s", base_cflags, flag);
	buf_addf(&genld, "%s %s", base_ldflags, flag);
	if (clang) {
		/* The profile file name goes through the environment: a CFLAGS entry. */
		buf_addf(&gen, " -fprofile-instr-generate=%s/pgo-%%p.profraw", c->workdir);
		buf_addf(&genld, " -fprofile-instr-generate=%s/pgo-%%p.profraw", c->workdir);
	}
	cfg.cflags = gen.data;
	cfg.ldflags = genld.data;
	r = build_step(p, c, &cfg, t->build, "pgo-generate", timeout, why, err);
	if (r == 0)
		r = build_step(p, c, &cfg, t->run, "pgo-train", t->timeout_s, why, err);
	if (r == 0 && clang) {
		const char *pd = llvm_profdata();
		struct buf cmd = BUF_INIT;
		if (!pd) {
			buf_setf(why, "PGO with clang needs llvm-profdata (apt-get install llvm)");
			r = 1;
		} else {
			buf_addf(&cmd, "%s merge -o pgo.profdata pgo-*.profraw", pd);
			r = build_step(p, c, &c->cfg, cmd.data, "pgo-merge", timeout, why, err);
		}
		buf_release(&cmd);
	}
	if (r == 0) {
		if (clang) {
			buf_addf(&use, "%s -fprofile-instr-use=%s/pgo.profdata", base_cflags,
			         c->workdir);
			buf_addf(&useld, "%s -fprofile-instr-use=%s/pgo.profdata", base_ldflags,
			         c->workdir);
		} else {
			buf_addf(&use, "%s -fprofile-use -fprofile-correction -Wno-missing-profile",
			         base_cflags);
			buf_addf(&useld, "%s -fprofile-use", base_ldflags);
		}
		cfg.cflags = use.data;
		cfg.ldflags = useld.data;
		r = build_step(p, c, &cfg, t->build, "pgo-use", timeout, why, err);
	}
	buf_release(&gen);
	buf_release(&genld);
	buf_release(&use);
	buf_release(&useld);
	return r;
}

int pipeline_build(struct pipeline *p, struct candidate *c, struct buf *why, struct buf *err)
{
	const struct target *t = p->t;
	double timeout = t->timeout_s > 300 ? t->timeout_s : 300, t0 = clock_mono_s();
	int r;

	if (c->cfg.pgo)
		r = build_pgo(p, c, timeout, why, err);
	else
		r = build_step(p, c, NULL, t->build, "build", timeout, why, err);
	c->build_s = clock_mono_s() - t0;
	return r;
}
