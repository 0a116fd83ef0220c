/*
 * manifest_init.c: a first optimize.json for a tree. See manifest_init.h.
 */
#include "engine/manifest_init.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/strlist.h"
#include "base/xalloc.h"
#include "engine/workspace.h"

#define BD         MANIFEST_INIT_BUILD_DIR
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

const char *tree_kind_name(enum tree_kind k)
{
	switch (k) {
	case TREE_MESON:
		return "meson";
	case TREE_CMAKE:
		return "cmake";
	case TREE_MAKE:
		return "make";
	case TREE_SOURCE:
		break;
	}
	return "single source file";
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static int is_cxx_source(const char *f)
{
	return has_suffix(f, ".cpp") || has_suffix(f, ".cc") || has_suffix(f, ".cxx");
}

/* A name the manifest accepts: 1..64 of [A-Za-z0-9._-], not "." or "..". */
static char *target_name(const char *tree)
{
	char *abs = realpath(tree, NULL);
	const char *base = abs ? strrchr(abs, '/') : NULL;
	struct buf b = BUF_INIT;

	for (base = base ? base + 1 : ""; *base && b.len < 64; base++) {
		unsigned char c = (unsigned char)*base;
		buf_addch(&b, isalnum(c) || c == '.' || c == '_' || c == '-' ? (char)c : '_');
	}
	if (!b.len || !strcmp(b.data, ".") || !strcmp(b.data, "..")) {
		buf_reset(&b);
		buf_addstr(&b, "program");
	}
	free(abs);
	return buf_detach(&b);
}

/* The first word after `key` (a regex-free scan): "add_executable(app ..." -> "app". */
static char *word_after(const char *text, const char *key, const char *quotes)
{
	const char *p = text;
	size_t n;

	while ((p = strstr(p, key))) {
		/* Only at the start of a word: not "my_add_executable(". */
		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
			p += strlen(key);
			continue;
		}
		p += strlen(key);
		while (*p == ' ' || *p == '\t' || *p == '\n' || strchr(quotes, *p))
			p++;
		n = strspn(p, NAME_CHARS);
		if (n && !(p[n] == '$'))
			return xstrndup(p, n);
	}
	return NULL;
}

/* "TARGET = x" (also :=, ?=, ::=) at the start of a line: x, else NULL. */
static char *make_var(const char *line, const char *var)
{
	size_t n = strlen(var), m;

	if (strncmp(line, var, n))
		return NULL;
	line += n;
	line += strspn(line, " \t");
	line += strspn(line, ":?");
	if (*line++ != '=')
		return NULL;
	line += strspn(line, " \t");
	m = strspn(line, NAME_CHARS "/");
	return m && !strchr("$(", line[m]) ? xstrndup(line, m) : NULL;
}

/* The names a Makefile declares .PHONY (targets that name no file). */
static void make_phony(const char *text, struct strlist *out)
{
	static const char *const common[] = {"all",  "default", "clean", "install",
	                                     "test", "check",   NULL};

	for (size_t i = 0; common[i]; i++)
		strlist_push(out, common[i]);
	for (const char *line = text; line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p;

		if (strncmp(line, ".PHONY", 6) ||
		    (line[6] != ':' && line[6] != ' ' && line[6] != '\t'))
			continue;
		p = line + 6 + strspn(line + 6, " \t:");
		while (*p && *p != '\n') {
			size_t n = strspn(p, NAME_CHARS "/");
			if (!n)
				break;
			strlist_pushf(out, "%.*s", (int)n, p);
			p += n;
			p += strspn(p, " \t\\");
		}
	}
}

static int is_phony(const struct strlist *phony, const char *name, size_t n)
{
	for (size_t i = 0; i < phony->n; i++)
		if (strlen(phony->v[i]) == n && !strncmp(phony->v[i], name, n))
			return 1;
	return 0;
}

/*
 * The program a Makefile makes: TARGET = x, or the first rule that is not
 * .PHONY (or the first prerequisite of a phony first rule, as all: prog);
 * NULL when every rule is phony (lz4: default: lib-release lz4-release).
 */
static char *make_program(const char *text)
{
	static const char *const vars[] = {"TARGET", "PROG", "PROGRAM", "BIN", "EXE", "EXEC", NULL};
	struct strlist phony = {0};
	const char *line;
	char *w = NULL;

	for (line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		for (size_t i = 0; vars[i]; i++)
			if ((w = make_var(line, vars[i])))
				return w;
	make_phony(text, &phony);
	for (line = text; line && !w; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t n = strspn(line, NAME_CHARS "/");
		const char *after = line + n + strspn(line + n, " \t"), *p, *eol;
		size_t m;

		if (!n || line[0] == '.' || *after != ':' || after[1] == '=')
			continue;
		/* a target-specific variable (usan: CFLAGS = -g) is not a rule */
		eol = strchr(after, '\n');
		if (memchr(after, '=', eol ? (size_t)(eol - after) : strlen(after)))
			continue;
		if (!is_phony(&phony, line, n)) {
			w = xstrndup(line, n);
			break;
		}
		p = after + 1 + strspn(after + 1, " \t");
		m = strspn(p, NAME_CHARS "/");
		if (m && !strchr("$(", p[m]) && !is_phony(&phony, p, m))
			w = xstrndup(p, m);
	}
	strlist_release(&phony);
	return w;
}

static char *guess_program(const struct tree_guess *g, const char *tree, int *guessed)
{
	struct buf path = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	char *w = NULL;

	*guessed = 1;
	if (g->kind == TREE_SOURCE) {
		const char *dot = strrchr(g->build_file, '.');
		buf_addf(&out, "%.*s", (int)(dot - g->build_file), g->build_file);
		return buf_detach(&out);
	}
	buf_addf(&path, "%s/%s", tree, g->build_file);
	if (buf_read_file(&text, path.data) == 0) {
		if (g->kind == TREE_CMAKE)
			w = word_after(text.data, "add_executable(", " \t");
		else if (g->kind == TREE_MESON)
			w = word_after(text.data, "executable(", "'\" \t");
		else
			w = make_program(text.data);
	}
	if (!w) {
		*guessed = 0;
		w = xstrdup("PROGRAM");
	}
	if (g->kind != TREE_MAKE)
		buf_addf(&out, BD "/%s", w);
	else
		buf_addstr(&out, w);
	free(w);
	buf_release(&path);
	buf_release(&text);
	return buf_detach(&out);
}

static int find_single_source(const struct strlist *files, struct tree_guess *g, struct buf *err)
{
	const char *src = NULL;
	size_t n = 0;

	for (size_t i = 0; i < files->n; i++) {
		const char *f = files->v[i];
		if (strchr(f, '/') || !(has_suffix(f, ".c") || is_cxx_source(f)))
			continue;
		src = f;
		n++;
	}
	if (n == 1) {
		g->kind = TREE_SOURCE;
		g->build_file = xstrdup(src);
		return 0;
	}
	if (n == 0)
		return err_set(err,
		               "found no meson.build, CMakeLists.txt, Makefile or C/C++ source "
		               "file at the top of the tree");
	return err_set(err,
	               "found %zu C/C++ source files at the top of the tree and no meson.build, "
	               "CMakeLists.txt or Makefile: write optimize.json by hand (docs/manifest.md)",
	               n);
}

int manifest_init_detect(const char *tree, struct tree_guess *g, struct buf *err)
{
	static const struct {
		const char *file;
		enum tree_kind kind;
	} systems[] = {{"meson.build", TREE_MESON},
	               {"CMakeLists.txt", TREE_CMAKE},
	               {"GNUmakefile", TREE_MAKE},
	               {"Makefile", TREE_MAKE},
	               {"makefile", TREE_MAKE}};
	struct strlist files = {0};
	int r = 0;

	memset(g, 0, sizeof(*g));
	if (ws_list_files(tree, &files, err) < 0)
		return -1;
	for (size_t i = 0; i < files.n; i++)
		g->cxx |= is_cxx_source(files.v[i]);
	for (size_t i = 0; i < sizeof(systems) / sizeof(systems[0]) && !g->build_file; i++) {
		if (strlist_has(&files, systems[i].file)) {
			g->kind = systems[i].kind;
			g->build_file = xstrdup(systems[i].file);
		}
	}
	if (!g->build_file)
		r = find_single_source(&files, g, err);
	if (r == 0) {
		g->program = guess_program(g, tree, &g->guessed);
		g->name = target_name(tree);
	}
	strlist_release(&files);
	return r;
}

static const char *build_line(const struct tree_guess *g, struct buf *b)
{
	switch (g->kind) {
	case TREE_MESON:
		buf_addf(b,
		         "meson setup " BD " --buildtype=release ${CFLAGS:+\"-Dc_args=$CFLAGS\"}%s "
		         "&& meson compile -C " BD,
		         g->cxx ? " ${CXXFLAGS:+\"-Dcpp_args=$CXXFLAGS\"}" : "");
		break;
	case TREE_CMAKE:
		buf_addf(b,
		         "cmake -S . -B " BD " -DCMAKE_BUILD_TYPE=Release "
		         "${CFLAGS:+\"-DCMAKE_C_FLAGS_RELEASE=$CFLAGS -DNDEBUG\"}%s && cmake "
		         "--build " BD,
		         g->cxx ? " ${CXXFLAGS:+\"-DCMAKE_CXX_FLAGS_RELEASE=$CXXFLAGS -DNDEBUG\"}"
		                : "");
		break;
	case TREE_MAKE:
		buf_addf(b, "make ${CFLAGS:+\"CFLAGS=$CFLAGS\"}%s",
		         g->cxx ? " ${CXXFLAGS:+\"CXXFLAGS=$CXXFLAGS\"}" : "");
		break;
	case TREE_SOURCE:
		if (is_cxx_source(g->build_file))
			buf_addf(b, "$CXX $CXXFLAGS -o %s %s $LDFLAGS", g->program, g->build_file);
		else
			buf_addf(b, "$CC $CFLAGS -o %s %s $LDFLAGS -lm", g->program, g->build_file);
		break;
	}
	return b->data;
}

/* s as a JSON string. */
static void add_json_str(struct buf *out, const char *s)
{
	cJSON *j = cJSON_CreateString(s);
	char *t = json_print_take(j, 0);
	size_t n = strlen(t);

	while (n && t[n - 1] == '\n')
		n--;
	buf_add(out, t, n);
	free(t);
	cJSON_Delete(j);
}

static void add_field(struct buf *out, const char *key, const char *value)
{
	buf_addf(out, "\t\"%s\": ", key);
	add_json_str(out, value);
	buf_addstr(out, ",\n");
}

static void add_list(struct buf *out, const char *key, const char *const *v)
{
	buf_addf(out, "\t\"%s\": [", key);
	for (size_t i = 0; v[i]; i++) {
		if (i)
			buf_addstr(out, ", ");
		add_json_str(out, v[i]);
	}
	buf_addstr(out, "],\n");
}

void manifest_init_text(const struct tree_guess *g, struct buf *out)
{
	const char *editable[4] = {"**/*.c", NULL, NULL, NULL}, *outputs[4] = {NULL};
	struct buf b = BUF_INIT;

	buf_addstr(out, "{\n");
	add_field(out, "name", g->name);
	if (g->kind == TREE_SOURCE) {
		editable[0] = g->build_file;
	} else if (g->cxx) {
		editable[1] = "**/*.cpp";
		editable[2] = "**/*.cc";
	}
	add_list(out, "editable", editable);
	if (g->kind == TREE_MESON || g->kind == TREE_CMAKE) {
		outputs[0] = BD "/";
	} else {
		outputs[0] = g->program;
		if (g->kind == TREE_MAKE) {
			outputs[1] = "**/*.o";
			outputs[2] = "**/*.a";
		}
	}
	add_list(out, "outputs", outputs);
	add_field(out, "build", build_line(g, &b));
	/* Make, CMake and Meson trees: no cflags, the project's own flags apply. */
	if (g->kind == TREE_SOURCE)
		add_field(out, "cflags", "-O2");
	buf_reset(&b);
	buf_addf(&b,
	         MANIFEST_PLACEHOLDER
	         " the command to time, with its benchmark input (a guess: ./%s)",
	         g->program);
	add_field(out, "run", b.data);
	buf_reset(&b);
	buf_addf(&b,
	         MANIFEST_PLACEHOLDER " a command whose output shows the program is correct, e.g. "
	                              "./%s on a small input",
	         g->program);
	buf_addstr(out, "\t\"verify\": [\n\t\t{\"run\": ");
	add_json_str(out, b.data);
	buf_addstr(out, "}\n\t],\n\t\"timeout_s\": 120\n}\n");
	buf_release(&b);
}

void tree_guess_release(struct tree_guess *g)
{
	free(g->build_file);
	free(g->program);
	free(g->name);
	memset(g, 0, sizeof(*g));
}
