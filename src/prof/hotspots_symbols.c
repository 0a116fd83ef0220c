/*
 * hotspots_symbols.c: what a sampling session counted, turned into hot
 * functions and source lines through libdwfl (local debug info only).
 */
#include "prof/hotspots_int.h"

#include "base/strlist.h"
#include "base/xalloc.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
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
	char *file; /* absolute: the line table's name joined to the CU's DW_AT_comp_dir */
	int line;
	char *function;
	uint64_t n;
};

struct sym_state {
	struct fn_acc *fns;
	size_t nfns, afns;
	struct line_acc *lines;
	size_t nlines, alines;
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

		st->fns = xreallocarray(st->fns, na, sizeof(*st->fns));
		st->afns = na;
	}
	st->fns[st->nfns].name = xstrdup(name);
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

		st->lines = xreallocarray(st->lines, na, sizeof(*st->lines));
		st->alines = na;
	}
	st->lines[st->nlines].file = xstrdup(file);
	st->lines[st->nlines].function = xstrdup(fn);
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
	return xstrndup(sym, cut);
}

/* libstdc++'s demangler (the C++ ABI's own entry point; linked with -lstdc++). */
extern char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

/* A C++ symbol demangled ("_ZN2ns3fooEi" -> "ns::foo(int)"); NULL when name is not
 * mangled. malloc'd. */
static char *demangle(const char *name)
{
	int status = 0;

	if (strncmp(name, "_Z", 2) != 0)
		return NULL;
	return __cxa_demangle(name, NULL, NULL, &status);
}

/*
 * The innermost function inlined at a (module address), from the DWARF
 * scopes of its CU: "is_prime (inlined)" where the compiler inlined
 * is_prime into main. NULL when a is not in inlined code. malloc'd.
 * *comp_dir is set to the CU's DW_AT_comp_dir (borrowed from libdw) or NULL.
 */
static char *inlined_at(Dwfl_Module *dm, GElf_Addr a, const char **comp_dir)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(dm, a, &bias), *scopes = NULL;
	Dwarf_Attribute at;
	char *ret = NULL;
	int n, i;

	*comp_dir = NULL;
	if (!cu)
		return NULL;
	*comp_dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &at));
	n = dwarf_getscopes(cu, a - bias, &scopes);
	for (i = 0; i < n; i++) {
		const char *name;
		struct buf b = BUF_INIT;
		char *dm_name;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		name = dwarf_diename(&scopes[i]);
		if (!name)
			break;
		dm_name = demangle(name);
		buf_init(&b, 0);
		buf_addf(&b, "%s (inlined)", dm_name ? dm_name : name);
		free(dm_name);
		ret = buf_detach(&b);
		break;
	}
	free(scopes);
	return ret;
}

/* A line table's file name made absolute with the CU's compile directory
 * (gcc writes "../lib/x.c" for a file compiled from programs/). malloc'd. */
static char *join_comp_dir(const char *file, const char *comp_dir)
{
	struct buf b = BUF_INIT;

	if (file[0] == '/' || !comp_dir || comp_dir[0] != '/')
		return xstrdup(file);
	buf_init(&b, 0);
	buf_addf(&b, "%s/%s", comp_dir, file);
	return buf_detach(&b);
}

/* Samples of shell interpreters (and of make, for `make run`) are the run
 * command's plumbing, not the program's work: they count in the total but
 * are not listed as hot. */
int hotspots_is_shell(const char *module)
{
	static const char *const shells[] = {"sh",      "dash", "bash",  "zsh", "ksh",
	                                     "busybox", "make", "gmake", NULL};
	const char *base = module ? strrchr(module, '/') : NULL;
	size_t i;

	if (!module)
		return 0;
	base = base ? base + 1 : module;
	for (i = 0; shells[i]; i++)
		if (!strcmp(base, shells[i]))
			return 1;
	return 0;
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
			const char *comp_dir = NULL;
			char *inl = inlined_at(dm, a, &comp_dir), *dmg;
			Dwfl_Line *ln;

			name = dwfl_module_addrname(dm, a);
			if (name)
				name = clean = hotspots_clean_name(name);
			if (name && (dmg = demangle(name))) {
				free(clean);
				name = clean = dmg;
			}
			if (inl) {
				free(clean);
				name = clean = inl;
			}
			ln = dwfl_module_getsrc(dm, a);
			if (ln) {
				int lineno = 0;
				const char *file =
				    dwfl_lineinfo(ln, NULL, &lineno, NULL, NULL, NULL);
				char *full = file ? join_comp_dir(file, comp_dir) : NULL;

				if (full && lineno > 0)
					add_line(st, full, lineno, name ? name : "[unknown]", c->n);
				free(full);
			}
		}
		if (!name)
			name = mod == MOD_KERNEL ? "[kernel]" : "[unknown]";
		if (!hotspots_is_shell(path))
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
		return xstrdup(path);
	n = strlen(rcwd);
	if (!strncmp(rpath, rcwd, n) && rpath[n] == '/')
		return xstrdup(rpath + n + 1);
	return xstrdup(path);
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
		ret = xstrdup(start);
		break;
	}
	free(l);
	fclose(f);
	return ret;
}

/* path with "." and ".." resolved lexically (the directories need not exist). */
static void normalize(const char *path, struct buf *out)
{
	struct strlist parts = {0};
	const char *p = path;
	size_t i;

	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2)) {
			if (parts.n)
				free(parts.v[--parts.n]);
		} else if (n && !(n == 1 && p[0] == '.')) {
			char *c = xstrndup(p, n);

			strlist_push(&parts, c);
			free(c);
		}
		p += n;
		while (*p == '/')
			p++;
	}
	buf_reset(out);
	for (i = 0; i < parts.n; i++)
		buf_addf(out, "/%s", parts.v[i]);
	strlist_release(&parts);
}

/*
 * A source file of the samples, found in the tree the program ran in (cwd):
 * the absolute DWARF path when it is readable, else the longest tail of it
 * that names a file under cwd (the tree was built in another directory, or
 * the build directory is gone). NULL when neither exists.
 */
static char *resolve_source(const char *file, const char *cwd)
{
	struct buf norm = BUF_INIT, b = BUF_INIT;
	const char *p;
	char *ret = NULL;

	if (file[0] != '/') {
		/* no compile directory known: relative to where it ran */
		buf_addf(&b, "%s/%s", cwd ? cwd : ".", file);
		if (access(b.data, R_OK) == 0)
			ret = buf_detach(&b);
		buf_release(&b);
		return ret;
	}
	normalize(file, &norm);
	if (access(norm.data, R_OK) == 0) {
		char *shown = hotspots_display_path(norm.data, cwd);
		int inside = shown[0] != '/';

		free(shown);
		if (inside || !cwd) {
			ret = buf_detach(&norm);
			return ret;
		}
	}
	for (p = strchr(norm.data + 1, '/'); cwd && p && *p; p = strchr(p + 1, '/')) {
		buf_setf(&b, "%s%s", cwd, p);
		if (access(b.data, R_OK) == 0) {
			ret = buf_detach(&b);
			break;
		}
	}
	if (!ret && access(norm.data, R_OK) == 0)
		ret = buf_detach(&norm);
	buf_release(&b);
	buf_release(&norm);
	return ret;
}

void hotspots_profile_clear(struct profile *p)
{
	profile_clear_hotspots(p);
}

void hotspots_symbolize(struct hotspots_session *s, const char *cwd, struct profile *out)
{
	struct sym_state st;
	size_t i, nf, nl;

	memset(&st, 0, sizeof(st));
	(void)elf_version(EV_CURRENT);
	for (i = 0; i < s->nmods; i++)
		symbolize_module(s, (int)i, &st);
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
		f->pct = s->total ? 100.0 * (double)st.fns[i].n / (double)s->total : 0.0;
	}
	for (i = 0; i < nl; i++) {
		char *full = resolve_source(st.lines[i].file, cwd);
		const char *src = full ? full : st.lines[i].file;
		char *shown = hotspots_display_path(src, cwd);
		char *text = full ? hotspots_read_line(full, st.lines[i].line) : NULL;
		struct hot_line *l;

		l = profile_add_line(out, shown, st.lines[i].line, st.lines[i].function, text,
		                     st.lines[i].n);
		free(full);
		free(shown);
		free(text);
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
	for (i = 0; i < st.nfns; i++)
		free(st.fns[i].name);
	free(st.fns);
	for (i = 0; i < st.nlines; i++) {
		free(st.lines[i].file);
		free(st.lines[i].function);
	}
	free(st.lines);
}
