/*
 * counters_cachegrind.c: the deterministic backend. The command runs under
 * valgrind's cachegrind with cache and branch simulation; instruction
 * counts, simulated D1/LL misses and mispredicts come from its output
 * files (one per process, --trace-children), summed over the process tree.
 * Per-function and per-line figures make the hotspots.
 */
#include "prof/counters.h"
#include "prof/hotspots.h"
#include "prof/counters_cachegrind_int.h"

#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cachegrind with cache simulation is this many times slower, give or take:
 * the child's timeout and CPU limit are stretched by it. */
#define CG_SLOWDOWN 50.0

#define CG_MAX_FUNCTIONS HOTSPOTS_MAX_FUNCTIONS
#define CG_MAX_LINES     HOTSPOTS_MAX_LINES

/* ---- valgrind logs: why a run failed ---- */

static const char *const unsupported_marks[] = {
    "unhandled instruction bytes",
    "Unrecognised instruction",
    "unhandled instruction",
    NULL,
};

#define MSG_UNSUPPORTED                                                                            \
	"valgrind cannot run this binary: it uses an instruction set extension valgrind does "     \
	"not support (e.g. AVX-512 from -march=native); measure a build without those flags"

/*
 * Look through the valgrind logs. Returns 1 when they show an unsupported
 * instruction (detail gets valgrind's line), 2 for a guest SIGILL without
 * that, 0 otherwise; first_error gets the first "valgrind:" error line.
 */
static int scan_logs(const char *dir, struct buf *detail, struct buf *first_error)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int verdict = 0;

	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		struct buf path = BUF_INIT, text = BUF_INIT;
		const char *p;
		size_t i;

		if (strncmp(de->d_name, "vg.log.", 7))
			continue;
		buf_init(&path, 0);
		buf_init(&text, (size_t)4 << 20);
		buf_addf(&path, "%s/%s", dir, de->d_name);
		buf_read_file(&text, path.data);
		for (i = 0; unsupported_marks[i]; i++) {
			p = strstr(text.data, unsupported_marks[i]);
			if (p && verdict != 1) {
				const char *bol = p, *eol = strchr(p, '\n');

				while (bol > text.data && bol[-1] != '\n')
					bol--;
				buf_reset(detail);
				buf_add(detail, bol, eol ? (size_t)(eol - bol) : strlen(bol));
				verdict = 1;
			}
		}
		if (!verdict && strstr(text.data, "signal 4 (SIGILL)"))
			verdict = 2;
		p = strstr(text.data, "valgrind: ");
		if (p && !first_error->len) {
			const char *eol = strchr(p, '\n');

			buf_add(first_error, p, eol ? (size_t)(eol - p) : strlen(p));
		}
		buf_release(&path);
		buf_release(&text);
	}
	closedir(dh);
	return verdict;
}

/* ---- temporary directory ---- */

static int make_tmpdir(struct buf *dir, struct buf *err)
{
	const char *t = getenv("TMPDIR");

	buf_setf(dir, "%s/optimize-cg-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir->data))
		return err_set(err, "cannot create a temporary directory under '%s': %s",
		               t && *t ? t : "/tmp", strerror(errno));
	return 0;
}

static void remove_tmpdir(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;

	if (dh) {
		while ((de = readdir(dh))) {
			struct buf p = BUF_INIT;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			buf_init(&p, 0);
			buf_addf(&p, "%s/%s", dir, de->d_name);
			unlink(p.data);
			buf_release(&p);
		}
		closedir(dh);
	}
	rmdir(dir);
}

/* ---- the backend ---- */

static int find_in_path(const char *name, struct buf *out)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		buf_reset(out);
		if (end == p)
			buf_addstr(out, ".");
		else
			buf_add(out, p, (size_t)(end - p));
		buf_addf(out, "/%s", name);
		if (access(out->data, X_OK) == 0)
			return 0;
	}
	buf_reset(out);
	return -1;
}

static int cg_probe(struct buf *why)
{
	struct buf path = BUF_INIT;
	int rc;

	buf_init(&path, 0);
	rc = find_in_path("valgrind", &path);
	buf_release(&path);
	if (rc < 0)
		return err_set(why, "valgrind not found: apt-get install valgrind");
	return 0;
}

struct cg_metric {
	const char *name;
	uint64_t (*value)(const uint64_t *t);
};

static uint64_t v_ir(const uint64_t *t)
{
	return t[CG_IR];
}
static uint64_t v_branches(const uint64_t *t)
{
	return t[CG_BC] + t[CG_BI];
}
static uint64_t v_branch_misses(const uint64_t *t)
{
	return t[CG_BCM] + t[CG_BIM];
}
static uint64_t v_l1d_loads(const uint64_t *t)
{
	return t[CG_DR];
}
static uint64_t v_l1d_stores(const uint64_t *t)
{
	return t[CG_DW];
}
static uint64_t v_l1d_load_misses(const uint64_t *t)
{
	return t[CG_D1MR];
}
static uint64_t v_l1d_store_misses(const uint64_t *t)
{
	return t[CG_D1MW];
}
static uint64_t v_l1i_misses(const uint64_t *t)
{
	return t[CG_I1MR];
}
/* Every L1 miss is a reference to the last level. */
static uint64_t v_ll_refs(const uint64_t *t)
{
	return t[CG_I1MR] + t[CG_D1MR] + t[CG_D1MW];
}
static uint64_t v_ll_misses(const uint64_t *t)
{
	return t[CG_ILMR] + t[CG_DLMR] + t[CG_DLMW];
}
static uint64_t v_ll_load_misses(const uint64_t *t)
{
	return t[CG_DLMR];
}

/* What cachegrind simulates, under the perf tool's names. */
static const struct cg_metric cg_metrics[] = {
    {"instructions", v_ir},
    {"branches", v_branches},
    {"branch-misses", v_branch_misses},
    {"cache-references", v_ll_refs},
    {"cache-misses", v_ll_misses},
    {"L1-dcache-loads", v_l1d_loads},
    {"L1-dcache-load-misses", v_l1d_load_misses},
    {"L1-dcache-stores", v_l1d_stores},
    {"L1-dcache-store-misses", v_l1d_store_misses},
    {"L1-icache-load-misses", v_l1i_misses},
    {"LLC-load-misses", v_ll_load_misses},
    {NULL, NULL},
};

static const struct cg_metric *cg_metric_find(const char *name)
{
	size_t i;

	for (i = 0; cg_metrics[i].name; i++)
		if (!strcmp(cg_metrics[i].name, name))
			return &cg_metrics[i];
	return NULL;
}

static void add_metrics(const struct counter_request *req, const uint64_t *t, struct profile *out)
{
	size_t i, n;

	if (!req->events) {
		for (i = 0; cg_metrics[i].name; i++)
			profile_set_metric(out, cg_metrics[i].name, "count",
			                   (double)cg_metrics[i].value(t), SRC_SIMULATED,
			                   "cachegrind", 1.0);
		return;
	}
	n = counters_request_count(req);
	for (i = 0; i < n; i++) {
		const char *ev = counters_request_event(req, i);
		const struct cg_metric *m;

		if (!ev)
			continue;
		m = cg_metric_find(ev);
		if (m) {
			profile_set_metric(out, ev, "count", (double)m->value(t), SRC_SIMULATED,
			                   "cachegrind", 1.0);
		} else if (strcmp(ev, "page-faults") && strcmp(ev, "context-switches")) {
			profile_set_unsupported(out, ev, "count", "cachegrind",
			                        "cachegrind does not simulate it (it gives "
			                        "instructions, branches, branch-misses, "
			                        "cache-references, cache-misses, L1-dcache-*, "
			                        "L1-icache-load-misses, LLC-load-misses)");
		}
	}
}

static int cg_fn_cmp(const void *a, const void *b)
{
	const struct cg_fn *x = a, *y = b;

	if (x->ir != y->ir)
		return x->ir > y->ir ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int cg_line_cmp(const void *a, const void *b)
{
	const struct cg_line *x = a, *y = b;

	if (x->ev[CG_IR] != y->ev[CG_IR])
		return x->ev[CG_IR] > y->ev[CG_IR] ? -1 : 1;
	return strcmp(x->key, y->key);
}

static char *source_path(const char *file, const char *cwd)
{
	struct buf b = BUF_INIT;

	if (file[0] == '/' || !cwd)
		return xstrdup(file);
	buf_init(&b, 0);
	buf_addf(&b, "%s/%s", cwd, file);
	if (access(b.data, R_OK) != 0) {
		/* relative to some other build directory (a library's) */
		buf_release(&b);
		return xstrdup(file);
	}
	return buf_detach(&b);
}

/* The clock and rusage figures of a cachegrind run are the simulator's
 * (valgrind runs the program 20-100x slower), not the program's: say so in
 * their backend, so no table reads them as the program's time. */
static void label_simulator_times(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->nmetrics; i++) {
		struct metric *m = &p->metrics[i];
		const char *b =
		    !strcmp(m->name, "wall-time") ? "clock, of valgrind" : "rusage, of valgrind";

		if (!m->backend || (strcmp(m->backend, "clock") && strcmp(m->backend, "rusage")))
			continue;
		free(m->backend);
		m->backend = xstrdup(b);
	}
}

static void add_hotspots(struct cg_data *d, const char *cwd, struct profile *out)
{
	uint64_t total = d->total[CG_IR];
	size_t i, n;

	/* Sorting breaks the maps' indexes; they are not used after this. */
	if (d->nfns > 1)
		qsort(d->fns, d->nfns, sizeof(*d->fns), cg_fn_cmp);
	if (d->nlines > 1)
		qsort(d->lines, d->nlines, sizeof(*d->lines), cg_line_cmp);
	hotspots_profile_clear(out);
	n = d->nfns < CG_MAX_FUNCTIONS ? d->nfns : CG_MAX_FUNCTIONS;
	for (i = 0; i < n && d->fns[i].ir; i++) {
		char *nl = strchr(d->fns[i].key, '\n');
		struct hot_function *f;

		*nl = '\0';
		if (hotspots_is_shell(d->fns[i].key)) {
			*nl = '\n';
			continue; /* the run command's shell */
		}
		f = profile_add_function(out, nl + 1, d->fns[i].key, 0);
		*nl = '\n';
		f->ir = d->fns[i].ir;
		f->pct = total ? 100.0 * (double)f->ir / (double)total : 0.0;
	}
	n = d->nlines < CG_MAX_LINES ? d->nlines : CG_MAX_LINES;
	for (i = 0; i < n; i++) {
		const struct cg_line *cl = &d->lines[i];
		char *full = source_path(cl->file, cwd);
		char *shown = hotspots_display_path(full, cwd);
		char *text = hotspots_read_line(full, cl->line);
		struct hot_line *l;

		l = profile_add_line(out, shown, cl->line, cl->fn, text, 0);
		free(full);
		free(shown);
		free(text);
		l->ir = cl->ev[CG_IR];
		l->d1mr = cl->ev[CG_D1MR];
		l->d1mw = cl->ev[CG_D1MW];
		l->dlmr = cl->ev[CG_DLMR];
		l->dlmw = cl->ev[CG_DLMW];
		l->bcm = cl->ev[CG_BCM] + cl->ev[CG_BIM];
		l->pct = total ? 100.0 * (double)l->ir / (double)total : 0.0;
	}
	out->total_samples = 0;
	profile_set_hotspot_source(out, "cachegrind (instructions executed)");
}

/* Add every cachegrind output file in dir to data: how many, or -1 with err. */
static int read_outputs(const char *dir, struct cg_data *data, const char *skip_cmd,
                        struct buf *err)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int nfiles = 0;

	if (!dh)
		return err_set(err, "cannot read '%s': %s", dir, strerror(errno));
	while ((de = readdir(dh))) {
		struct buf p = BUF_INIT;
		int r;

		if (strncmp(de->d_name, "cg.out.", 7))
			continue;
		buf_init(&p, 0);
		buf_addf(&p, "%s/%s", dir, de->d_name);
		r = cg_parse_file(p.data, data, skip_cmd, err);
		buf_release(&p);
		if (r < 0) {
			closedir(dh);
			return -1;
		}
		nfiles++;
	}
	closedir(dh);
	return nfiles;
}

/*
 * valgrind writes its files into dir, which must stay visible and writable
 * in the child's mount namespace (a private /tmp hides it): spec's writable
 * paths plus dir, in a new array (free it; NULL when spec has no mount
 * namespace, and spec is unchanged).
 */
static const char **writable_too(struct proc_spec *spec, const char *dir)
{
	const char **rw;
	size_t n = 0;

	if (!spec->readonly_paths && !spec->writable_paths && !spec->private_tmp)
		return NULL;
	while (spec->writable_paths && spec->writable_paths[n])
		n++;
	rw = xcalloc(n + 2, sizeof(*rw));
	for (size_t i = 0; i < n; i++)
		rw[i] = spec->writable_paths[i];
	rw[n] = dir;
	spec->writable_paths = rw;
	return rw;
}

static int cg_run(const struct counter_request *req, struct proc_result *res, struct profile *out,
                  struct buf *err)
{
	struct buf vg = BUF_INIT, dir = BUF_INIT, outfile = BUF_INIT, logfile = BUF_INIT;
	struct buf detail = BUF_INIT, vgerr = BUF_INIT;
	struct cg_data data;
	struct proc_spec spec;
	const char *argv[12];
	const char **rw = NULL;
	int rc = -1, nfiles = 0, verdict;

	memset(&data, 0, sizeof(data));
	buf_init(&vg, 0);
	buf_init(&dir, 0);
	buf_init(&outfile, 0);
	buf_init(&logfile, 0);
	buf_init(&detail, 0);
	buf_init(&vgerr, 0);
	memset(res, 0, sizeof(*res));
	if (find_in_path("valgrind", &vg) < 0) {
		err_set(err, "valgrind not found: apt-get install valgrind");
		goto out;
	}
	if (make_tmpdir(&dir, err) < 0)
		goto out;
	buf_addf(&outfile, "--cachegrind-out-file=%s/cg.out.%%p", dir.data);
	buf_addf(&logfile, "--log-file=%s/vg.log.%%p", dir.data);
	argv[0] = vg.data;
	argv[1] = "--tool=cachegrind";
	argv[2] = "--cache-sim=yes";
	argv[3] = "--branch-sim=yes";
	argv[4] = outfile.data;
	argv[5] = logfile.data;
	argv[6] = "--trace-children=yes";
	argv[7] = "sh";
	argv[8] = "-c";
	argv[9] = req->cmd;
	argv[10] = NULL;

	if (req->spec)
		spec = *req->spec;
	else
		proc_spec_init(&spec);
	spec.argv = argv;
	spec.hooks = NULL;
	rw = writable_too(&spec, dir.data);
	if (spec.timeout_s > 0)
		spec.timeout_s *= CG_SLOWDOWN;
	if (spec.limits.cpu_s > 0)
		spec.limits.cpu_s *= CG_SLOWDOWN;
	if (!out->command)
		profile_set_command(out, req->cmd);

	if (proc_run(&spec, res, err) < 0)
		goto out;

	verdict = scan_logs(dir.data, &detail, &vgerr);
	if (verdict == 1 || (res->signaled && res->signo == SIGILL && verdict != 2)) {
		err_set(err, MSG_UNSUPPORTED);
		if (detail.len)
			buf_addf(err, " (valgrind: %s)", detail.data);
		goto out;
	}
	if (verdict == 2) {
		err_set(err, "the program was killed by SIGILL under valgrind: it executes an "
		             "illegal instruction (ud2, __builtin_trap) or one valgrind does not "
		             "support (e.g. AVX-512 from -march=native); measure a build without "
		             "those flags");
		goto out;
	}

	{
		struct buf wrapper = BUF_INIT;
		buf_addf(&wrapper, "sh -c %s", req->cmd);
		nfiles = read_outputs(dir.data, &data, wrapper.data, err);
		/* A command the shell ran itself (a builtin): its counts are the shell's. */
		if (nfiles > 0 && !data.have_summary)
			nfiles = read_outputs(dir.data, &data, NULL, err);
		buf_release(&wrapper);
	}
	if (nfiles < 0)
		goto out;
	if (!nfiles || !data.have_summary) {
		if (res->timed_out || res->cancelled) {
			struct buf what = BUF_INIT;

			buf_init(&what, 0);
			proc_result_describe(res, spec.timeout_s, &what);
			err_set(err, "valgrind run %s before cachegrind wrote its counts",
			        what.data);
			buf_release(&what);
		} else {
			err_set(err, "valgrind wrote no cachegrind output%s%s",
			        vgerr.len ? ": " : "", vgerr.data);
		}
		goto out;
	}
	add_metrics(req, data.total, out);
	counters_add_rusage(out, res);
	label_simulator_times(out);
	if (req->hotspots)
		add_hotspots(&data, spec.cwd, out);
	rc = 0;
out:
	free(rw);
	if (dir.len)
		remove_tmpdir(dir.data);
	cg_data_release(&data);
	buf_release(&vg);
	buf_release(&dir);
	buf_release(&outfile);
	buf_release(&logfile);
	buf_release(&detail);
	buf_release(&vgerr);
	return rc;
}

const struct counter_backend counters_cachegrind = {
    .name = "cachegrind",
    .deterministic = 1,
    .probe = cg_probe,
    .run = cg_run,
};
