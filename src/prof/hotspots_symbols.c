/*
 * hotspots_symbols.c: what a sampling session counted, turned into hot
 * functions and source lines through libdwfl (local debug info only).
 */
#include "prof/hotspots_int.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fn_acc {
	int mod;
	char *name;
	uint64_t n;
};

struct line_acc {
	char *file; /* as in DWARF (absolute after libdw joins comp_dir) */
	int line;
	char *function;
	uint64_t n;
};

struct sym_state {
	struct fn_acc *fns;
	size_t nfns, afns;
	struct line_acc *lines;
	size_t nlines, alines;
	int oom;
};

static void add_fn(struct sym_state *st, int mod, const char *name, uint64_t n)
{
	size_t i;

	for (i = 0; i < st->nfns; i++) {
		if (st->fns[i].mod == mod && !strcmp(st->fns[i].name, name)) {
			st->fns[i].n += n;
			return;
		}
	}
	if (st->nfns == st->afns) {
		size_t na = st->afns ? st->afns * 2 : 64;
		struct fn_acc *nf = realloc(st->fns, na * sizeof(*nf));

		if (!nf) {
			st->oom = 1;
			return;
		}
		st->fns = nf;
		st->afns = na;
	}
	st->fns[st->nfns].name = strdup(name);
	if (!st->fns[st->nfns].name) {
		st->oom = 1;
		return;
	}
	st->fns[st->nfns].mod = mod;
	st->fns[st->nfns].n = n;
	st->nfns++;
}

static void add_line(struct sym_state *st, const char *file, int line, const char *fn, uint64_t n)
{
	size_t i;

	for (i = 0; i < st->nlines; i++) {
		if (st->lines[i].line == line && !strcmp(st->lines[i].file, file)) {
			st->lines[i].n += n;
			return;
		}
	}
	if (st->nlines == st->alines) {
		size_t na = st->alines ? st->alines * 2 : 64;
		struct line_acc *nl = realloc(st->lines, na * sizeof(*nl));

		if (!nl) {
			st->oom = 1;
			return;
		}
		st->lines = nl;
		st->alines = na;
	}
	st->lines[st->nlines].file = strdup(file);
	st->lines[st->nlines].function = strdup(fn);
	if (!st->lines[st->nlines].file || !st->lines[st->nlines].function) {
		free(st->lines[st->nlines].file);
		free(st->lines[st->nlines].function);
		st->oom = 1;
		return;
	}
	st->lines[st->nlines].line = line;
	st->lines[st->nlines].n = n;
	st->nlines++;
}

/* File offset -> link-time virtual address through the PT_LOAD headers. */
static int offset_to_vaddr(Elf *elf, uint64_t off, uint64_t *vaddr)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (off >= ph.p_offset && off < ph.p_offset + ph.p_filesz) {
			*vaddr = off - ph.p_offset + ph.p_vaddr;
			return 0;
		}
	}
	return -1;
}

static const char *path_base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

char *hotspots_clean_name(const char *sym)
{
	static const char *const tags[] = {".constprop.", ".isra.",  ".part.", ".cold",
	                                   ".lto_priv.",  ".clone.", NULL};
	size_t cut = strlen(sym), i;

	for (i = 0; tags[i]; i++) {
		const char *p = strstr(sym, tags[i]);

		if (p && p != sym && (size_t)(p - sym) < cut)
			cut = (size_t)(p - sym);
	}
	return strndup(sym, cut);
}

/* Every module is reported with its file (dwfl_report_elf), so this is
 * never asked; it exists because libdwfl wants a callback. */
static int no_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                       char **file_name, Elf **elfp)
{
	(void)mod;
	(void)userdata;
	(void)modname;
	(void)base;
	(void)file_name;
	*elfp = NULL;
	return -1;
}

static void symbolize_module(struct hotspots_session *s, int mod, struct sym_state *st)
{
	static char *debuginfo_path;
	/* Local files only: dwfl_standard_find_debuginfo would ask a debuginfod
	 * server over the network where DEBUGINFOD_URLS is set. */
	static const Dwfl_Callbacks cb = {
	    .find_elf = no_find_elf,
	    .find_debuginfo = dwfl_build_id_find_debuginfo,
	    .section_address = dwfl_offline_section_address,
	    .debuginfo_path = &debuginfo_path,
	};
	const char *path = s->mods[mod].path;
	Dwfl *dwfl = NULL;
	Dwfl_Module *dm = NULL;
	Elf *elf = NULL;
	GElf_Addr bias = 0;
	size_t i;

	if (path[0] == '/') {
		dwfl = dwfl_begin(&cb);
		if (dwfl) {
			dwfl_report_begin(dwfl);
			dm = dwfl_report_elf(dwfl, path_base(path), path, -1, 0, false);
			dwfl_report_end(dwfl, NULL, NULL);
			if (dm)
				elf = dwfl_module_getelf(dm, &bias);
		}
	}
	for (i = 0; i < s->acounts; i++) {
		const struct addr_count *c = &s->counts[i];
		const char *name = NULL;
		char *clean = NULL;
		uint64_t vaddr;

		if (c->mod != mod)
			continue;
		if (elf && offset_to_vaddr(elf, c->off, &vaddr) == 0) {
			GElf_Addr a = vaddr + bias;
			Dwfl_Line *ln;

			name = dwfl_module_addrname(dm, a);
			if (name && (clean = hotspots_clean_name(name)))
				name = clean;
			ln = dwfl_module_getsrc(dm, a);
			if (ln) {
				int lineno = 0;
				const char *file =
				    dwfl_lineinfo(ln, NULL, &lineno, NULL, NULL, NULL);

				if (file && lineno > 0)
					add_line(st, file, lineno, name ? name : "[unknown]", c->n);
			}
		}
		if (!name)
			name = mod == MOD_KERNEL ? "[kernel]" : "[unknown]";
		add_fn(st, mod, name, c->n);
		free(clean);
	}
	if (dwfl)
		dwfl_end(dwfl);
}

static int fn_cmp(const void *a, const void *b)
{
	const struct fn_acc *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int line_cmp(const void *a, const void *b)
{
	const struct line_acc *x = a, *y = b;
	int c;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	c = strcmp(x->file, y->file);
	return c ? c : x->line - y->line;
}

char *hotspots_display_path(const char *path, const char *cwd)
{
	char rcwd[PATH_MAX], rpath[PATH_MAX];
	size_t n;

	if (!path)
		return NULL;
	if (!realpath(cwd ? cwd : ".", rcwd) || !realpath(path, rpath))
		return strdup(path);
	n = strlen(rcwd);
	if (!strncmp(rpath, rcwd, n) && rpath[n] == '/')
		return strdup(rpath + n + 1);
	return strdup(path);
}

char *hotspots_read_line(const char *path, int line)
{
	FILE *f;
	char *l = NULL;
	size_t cap = 0;
	ssize_t len;
	int at = 0;
	char *start, *ret = NULL;

	if (!path || line < 1)
		return NULL;
	f = fopen(path, "r");
	if (!f)
		return NULL;
	while ((len = getline(&l, &cap, f)) >= 0) {
		if (++at < line)
			continue;
		while (len > 0 && (l[len - 1] == '\n' || l[len - 1] == '\r' || l[len - 1] == ' ' ||
		                   l[len - 1] == '\t'))
			l[--len] = '\0';
		for (start = l; *start == ' ' || *start == '\t'; start++)
			;
		ret = strdup(start);
		break;
	}
	free(l);
	fclose(f);
	return ret;
}

/* Source paths may be relative to the directory the compiler ran in (the
 * child's cwd, for the builds this tool makes). */
static char *resolve_source(const char *file, const char *cwd)
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

void hotspots_profile_clear(struct profile *p)
{
	profile_clear_hotspots(p);
}

int hotspots_symbolize(struct hotspots_session *s, const char *cwd, struct profile *out,
                       struct buf *err)
{
	struct sym_state st;
	size_t i, nf, nl;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	(void)elf_version(EV_CURRENT);
	for (i = 0; i < s->nmods; i++)
		symbolize_module(s, (int)i, &st);
	if (st.oom) {
		rc = err_set(err, "out of memory while symbolizing samples");
		goto out;
	}
	if (st.nfns > 1)
		qsort(st.fns, st.nfns, sizeof(*st.fns), fn_cmp);
	if (st.nlines > 1)
		qsort(st.lines, st.nlines, sizeof(*st.lines), line_cmp);

	hotspots_profile_clear(out);
	nf = st.nfns < HOTSPOTS_MAX_FUNCTIONS ? st.nfns : HOTSPOTS_MAX_FUNCTIONS;
	nl = st.nlines < HOTSPOTS_MAX_LINES ? st.nlines : HOTSPOTS_MAX_LINES;
	for (i = 0; i < nf; i++) {
		struct hot_function *f;

		f = profile_add_function(out, st.fns[i].name,
		                         path_base(s->mods[st.fns[i].mod].path), st.fns[i].n);
		if (!f) {
			rc = err_set(err, "out of memory");
			goto out;
		}
		f->pct = s->total ? 100.0 * (double)st.fns[i].n / (double)s->total : 0.0;
	}
	for (i = 0; i < nl; i++) {
		char *full = resolve_source(st.lines[i].file, cwd);
		const char *src = full ? full : st.lines[i].file;
		char *shown = hotspots_display_path(src, cwd);
		char *text = hotspots_read_line(src, st.lines[i].line);
		struct hot_line *l;

		l = profile_add_line(out, shown ? shown : src, st.lines[i].line,
		                     st.lines[i].function, text, st.lines[i].n);
		free(full);
		free(shown);
		free(text);
		if (!l) {
			rc = err_set(err, "out of memory");
			goto out;
		}
		l->pct = s->total ? 100.0 * (double)st.lines[i].n / (double)s->total : 0.0;
	}
	out->total_samples = s->total;
	{
		struct buf src = BUF_INIT;

		buf_init(&src, 0);
		buf_addf(&src, "perf %s sampling",
		         s->opt.event == HOTSPOTS_CYCLES ? "cycles" : "cpu-clock");
		if (s->lost)
			buf_addf(&src, " (%llu records lost)", (unsigned long long)s->lost);
		profile_set_hotspot_source(out, buf_str(&src));
		buf_release(&src);
	}
	if (!s->total)
		profile_set_hotspot_error(out, "no samples: the run used less CPU time than one "
		                               "sampling period");
out:
	for (i = 0; i < st.nfns; i++)
		free(st.fns[i].name);
	free(st.fns);
	for (i = 0; i < st.nlines; i++) {
		free(st.lines[i].file);
		free(st.lines[i].function);
	}
	free(st.lines);
	return rc;
}
