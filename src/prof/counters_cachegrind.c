/*
 * counters_cachegrind.c: the deterministic backend. The command runs under
 * valgrind's cachegrind with cache and branch simulation; instruction
 * counts, simulated D1/LL misses and mispredicts come from its output
 * files (one per process, --trace-children), summed over the process tree.
 * Per-function and per-line figures make the hotspots.
 */
#include "prof/counters.h"
#include "prof/hotspots.h"

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

enum cg_event {
	CG_IR,
	CG_I1MR,
	CG_ILMR,
	CG_DR,
	CG_D1MR,
	CG_DLMR,
	CG_DW,
	CG_D1MW,
	CG_DLMW,
	CG_BC,
	CG_BCM,
	CG_BI,
	CG_BIM,
	CG_NEVENTS,
};

static const char *const cg_event_names[CG_NEVENTS] = {
    "Ir", "I1mr", "ILmr", "Dr", "D1mr", "DLmr", "Dw", "D1mw", "DLmw", "Bc", "Bcm", "Bi", "Bim",
};

struct cg_fn {
	char *key; /* module "\n" name */
	uint64_t ir;
};

struct cg_line {
	char *key; /* file "\n" line */
	char *file;
	int line;
	char *fn;
	uint64_t ev[CG_NEVENTS];
};

/* String -> index, open addressing; grows at half full. */
struct strmap {
	char **keys; /* borrowed from the entries */
	size_t *idx;
	size_t cap, n;
};

struct cg_data {
	uint64_t total[CG_NEVENTS];
	int have_summary;
	struct cg_fn *fns;
	size_t nfns, afns;
	struct strmap fnmap;
	struct cg_line *lines;
	size_t nlines, alines;
	struct strmap linemap;
	int oom;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int strmap_grow(struct strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256, i;
	char **nk = calloc(ncap, sizeof(*nk));
	size_t *ni = calloc(ncap, sizeof(*ni));

	if (!nk || !ni) {
		free(nk);
		free(ni);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		for (j = str_hash(m->keys[i]) & (ncap - 1); nk[j]; j = (j + 1) & (ncap - 1))
			;
		nk[j] = m->keys[i];
		ni[j] = m->idx[i];
	}
	free(m->keys);
	free(m->idx);
	m->keys = nk;
	m->idx = ni;
	m->cap = ncap;
	return 0;
}

/* Index of key, or (size_t)-1 when absent; *slot gets where it would go. */
static size_t strmap_find(struct strmap *m, const char *key, size_t *slot)
{
	size_t j;

	if (!m->cap)
		return (size_t)-1;
	for (j = str_hash(key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
		if (!strcmp(m->keys[j], key))
			return m->idx[j];
	*slot = j;
	return (size_t)-1;
}

static int strmap_put(struct strmap *m, char *key, size_t idx)
{
	size_t slot = 0;

	if ((m->n + 1) * 2 > m->cap && strmap_grow(m) < 0)
		return -1;
	if (strmap_find(m, key, &slot) != (size_t)-1)
		return 0;
	m->keys[slot] = key;
	m->idx[slot] = idx;
	m->n++;
	return 0;
}

static void strmap_release(struct strmap *m)
{
	free(m->keys);
	free(m->idx);
	memset(m, 0, sizeof(*m));
}

static void cg_data_release(struct cg_data *d)
{
	size_t i;

	for (i = 0; i < d->nfns; i++)
		free(d->fns[i].key);
	free(d->fns);
	for (i = 0; i < d->nlines; i++) {
		free(d->lines[i].key);
		free(d->lines[i].file);
		free(d->lines[i].fn);
	}
	free(d->lines);
	strmap_release(&d->fnmap);
	strmap_release(&d->linemap);
}

static struct cg_fn *fn_get(struct cg_data *d, const char *module, const char *name)
{
	struct buf key = BUF_INIT;
	size_t i, slot = 0;

	buf_init(&key, 0);
	buf_addf(&key, "%s\n%s", module, name);
	i = strmap_find(&d->fnmap, key.data, &slot);
	if (i != (size_t)-1) {
		buf_release(&key);
		return &d->fns[i];
	}
	if (d->nfns == d->afns) {
		size_t na = d->afns ? d->afns * 2 : 128;
		struct cg_fn *nf = realloc(d->fns, na * sizeof(*nf));

		if (!nf)
			goto oom;
		d->fns = nf;
		d->afns = na;
	}
	d->fns[d->nfns].key = buf_detach(&key);
	d->fns[d->nfns].ir = 0;
	if (!d->fns[d->nfns].key || strmap_put(&d->fnmap, d->fns[d->nfns].key, d->nfns) < 0) {
		free(d->fns[d->nfns].key);
		goto oom;
	}
	return &d->fns[d->nfns++];
oom:
	buf_release(&key);
	d->oom = 1;
	return NULL;
}

static struct cg_line *line_get(struct cg_data *d, const char *file, int line, const char *fn)
{
	struct buf key = BUF_INIT;
	struct cg_line *l;
	size_t i, slot = 0;

	buf_init(&key, 0);
	buf_addf(&key, "%s\n%d", file, line);
	i = strmap_find(&d->linemap, key.data, &slot);
	if (i != (size_t)-1) {
		buf_release(&key);
		return &d->lines[i];
	}
	if (d->nlines == d->alines) {
		size_t na = d->alines ? d->alines * 2 : 256;
		struct cg_line *nl = realloc(d->lines, na * sizeof(*nl));

		if (!nl)
			goto oom;
		d->lines = nl;
		d->alines = na;
	}
	l = &d->lines[d->nlines];
	memset(l, 0, sizeof(*l));
	l->key = buf_detach(&key);
	l->file = strdup(file);
	l->fn = strdup(fn);
	l->line = line;
	if (!l->key || !l->file || !l->fn || strmap_put(&d->linemap, l->key, d->nlines) < 0) {
		free(l->key);
		free(l->file);
		free(l->fn);
		goto oom;
	}
	d->nlines++;
	return l;
oom:
	buf_release(&key);
	d->oom = 1;
	return NULL;
}

/* Parse "N N N ..." into counts mapped through col (column -> cg_event or -1). */
static int parse_counts(const char *s, const int *col, size_t ncol, uint64_t *ev)
{
	size_t c;

	memset(ev, 0, CG_NEVENTS * sizeof(*ev));
	for (c = 0; c < ncol; c++) {
		char *end;
		unsigned long long v;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n')
			break; /* missing trailing counts are 0 */
		errno = 0;
		v = strtoull(s, &end, 10);
		if (end == s || errno)
			return -1;
		if (col[c] >= 0)
			ev[col[c]] = v;
		s = end;
	}
	return 0;
}

/* The command's program name: basename of the first word of "cmd:". */
static char *cmd_module(const char *cmd)
{
	const char *start, *end, *slash;

	while (*cmd == ' ')
		cmd++;
	end = cmd + strcspn(cmd, " \t\n");
	start = cmd;
	for (slash = cmd; slash < end; slash++)
		if (*slash == '/')
			start = slash + 1;
	return strndup(start, (size_t)(end - start));
}

/* Compressed names ("(3) name" / "(3)") as callgrind writes them; plain
 * names pass through. Cachegrind writes plain names; this is defensive. */
struct name_table {
	char **v;
	size_t n;
};

static const char *decompress_name(struct name_table *t, const char *s)
{
	char *end;
	unsigned long id;

	if (*s != '(')
		return s;
	id = strtoul(s + 1, &end, 10);
	if (*end != ')' || id > 1000000)
		return s;
	end++;
	while (*end == ' ')
		end++;
	if (*end) {
		if (id >= t->n) {
			char **nv = realloc(t->v, (id + 1) * sizeof(*nv));

			if (!nv)
				return end;
			memset(nv + t->n, 0, (id + 1 - t->n) * sizeof(*nv));
			t->v = nv;
			t->n = id + 1;
		}
		free(t->v[id]);
		t->v[id] = strdup(end);
		return end;
	}
	return id < t->n && t->v[id] ? t->v[id] : s;
}

static void name_table_release(struct name_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
}

static int parse_cg_file(const char *path, struct cg_data *d, struct buf *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *module = NULL, *file = NULL, *fn = NULL;
	struct name_table files = {NULL, 0}, fns = {NULL, 0};
	int col[64];
	size_t ncol = 0, cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	struct cg_fn *cur_fn = NULL;
	int rc = 0;

	if (!f)
		return err_set(err, "cannot read cachegrind output '%s': %s", path,
		               strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		uint64_t ev[CG_NEVENTS];

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] >= '0' && line[0] <= '9') {
			char *end;
			long ln = strtol(line, &end, 10);
			size_t e;

			if (!ncol || parse_counts(end, col, ncol, ev) < 0) {
				rc =
				    err_set(err, "%s:%lu: malformed cachegrind line", path, lineno);
				break;
			}
			if (!cur_fn && fn)
				cur_fn = fn_get(d, module ? module : "?", fn);
			if (cur_fn)
				cur_fn->ir += ev[CG_IR];
			if (file && strcmp(file, "???") && ln > 0 && ev[CG_IR]) {
				struct cg_line *l = line_get(d, file, (int)ln, fn ? fn : "???");

				if (l)
					for (e = 0; e < CG_NEVENTS; e++)
						l->ev[e] += ev[e];
			}
		} else if (!strncmp(line, "fl=", 3) || !strncmp(line, "fi=", 3) ||
		           !strncmp(line, "fe=", 3)) {
			free(file);
			file = strdup(decompress_name(&files, line + 3));
		} else if (!strncmp(line, "fn=", 3)) {
			free(fn);
			/* hot.constprop.0 counts as hot, as in the sampling backend */
			fn = hotspots_clean_name(decompress_name(&fns, line + 3));
			cur_fn = NULL;
		} else if (!strncmp(line, "events:", 7)) {
			char *tok, *save = NULL;

			ncol = 0;
			for (tok = strtok_r(line + 7, " \t", &save); tok && ncol < 64;
			     tok = strtok_r(NULL, " \t", &save)) {
				int e;

				col[ncol] = -1;
				for (e = 0; e < CG_NEVENTS; e++)
					if (!strcmp(tok, cg_event_names[e]))
						col[ncol] = e;
				ncol++;
			}
		} else if (!strncmp(line, "cmd:", 4)) {
			free(module);
			module = cmd_module(line + 4);
		} else if (!strncmp(line, "summary:", 8)) {
			size_t e;

			if (!ncol || parse_counts(line + 8, col, ncol, ev) < 0) {
				rc = err_set(err, "%s:%lu: malformed summary line", path, lineno);
				break;
			}
			for (e = 0; e < CG_NEVENTS; e++)
				d->total[e] += ev[e];
			d->have_summary = 1;
		}
	}
	free(line);
	free(module);
	free(file);
	free(fn);
	name_table_release(&files);
	name_table_release(&fns);
	fclose(f);
	if (!rc && d->oom)
		rc = err_set(err, "out of memory while reading cachegrind output");
	return rc;
}

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
		return strdup(file);
	buf_init(&b, 0);
	buf_addf(&b, "%s/%s", cwd, file);
	if (access(b.data, R_OK) != 0) {
		/* relative to some other build directory (a library's) */
		buf_release(&b);
		return strdup(file);
	}
	return buf_detach(&b);
}

static int add_hotspots(struct cg_data *d, const char *cwd, struct profile *out, struct buf *err)
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
		f = profile_add_function(out, nl + 1, d->fns[i].key, 0);
		*nl = '\n';
		if (!f)
			return err_set(err, "out of memory");
		f->ir = d->fns[i].ir;
		f->pct = total ? 100.0 * (double)f->ir / (double)total : 0.0;
	}
	n = d->nlines < CG_MAX_LINES ? d->nlines : CG_MAX_LINES;
	for (i = 0; i < n; i++) {
		const struct cg_line *cl = &d->lines[i];
		char *full = source_path(cl->file, cwd);
		const char *src = full ? full : cl->file;
		char *shown = hotspots_display_path(src, cwd);
		char *text = hotspots_read_line(src, cl->line);
		struct hot_line *l;

		l = profile_add_line(out, shown ? shown : src, cl->line, cl->fn, text, 0);
		free(full);
		free(shown);
		free(text);
		if (!l)
			return err_set(err, "out of memory");
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
	return 0;
}

static int cg_run(const struct counter_request *req, struct proc_result *res, struct profile *out,
                  struct buf *err)
{
	struct buf vg = BUF_INIT, dir = BUF_INIT, outfile = BUF_INIT, logfile = BUF_INIT;
	struct buf detail = BUF_INIT, vgerr = BUF_INIT;
	struct cg_data data;
	struct proc_spec spec;
	const char *argv[12];
	DIR *dh = NULL;
	struct dirent *de;
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

	dh = opendir(dir.data);
	if (!dh) {
		err_set(err, "cannot read '%s': %s", dir.data, strerror(errno));
		goto out;
	}
	while ((de = readdir(dh))) {
		struct buf p = BUF_INIT;
		int r;

		if (strncmp(de->d_name, "cg.out.", 7))
			continue;
		buf_init(&p, 0);
		buf_addf(&p, "%s/%s", dir.data, de->d_name);
		r = parse_cg_file(p.data, &data, err);
		buf_release(&p);
		if (r < 0)
			goto out;
		nfiles++;
	}
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
	if (req->hotspots && add_hotspots(&data, spec.cwd, out, err) < 0)
		goto out;
	rc = 0;
out:
	if (dh)
		closedir(dh);
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
