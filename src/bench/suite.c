/*
 * suite.c: a suite folder or suite.json, expanded into entries. See suite.h.
 */
#include "bench/suite.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "base/json.h"
#include "base/util.h"
#include "base/xalloc.h"
#include "engine/manifest.h"

/* suite.json fields that are options of `optimize bench` (field, option). */
static const char *const option_fields[][2] = {
    {"model", "llm"},
    {"llm_url", "llm-url"},
    {"rounds", "rounds"},
    {"candidates", "candidates"},
    {"strategy", "strategy"},
    {"beam", "beam"},
    {"patience", "patience"},
    {"repairs", "repairs"},
    {"budget_tokens", "budget-tokens"},
    {"cache", "cache"},
    {"cache_dir", "cache-dir"},
    {"prompts", "prompts"},
    {"seed", "seed"},
    {"objective", "objective"},
    {"counters", "counters"},
    {"min_runs", "min-runs"},
    {"max_runs", "max-runs"},
    {"warmup", "warmup"},
    {"min_gain", "min-gain"},
    {"budget_time", "budget-time"},
    {"cc", "cc"},
    {"no_profile", "no-profile"},
};
#define NOPTION_FIELDS (sizeof(option_fields) / sizeof(option_fields[0]))

static const char *const other_fields[] = {"version",  "name",    "targets",
                                           "proposer", "presets", "fast_p"};

/* Every known field, NULL-terminated, for "did you mean". */
static void known_fields(const char **out)
{
	size_t k = 0;
	for (size_t i = 0; i < sizeof(other_fields) / sizeof(other_fields[0]); i++)
		out[k++] = other_fields[i];
	for (size_t i = 0; i < NOPTION_FIELDS; i++)
		out[k++] = option_fields[i][0];
	out[k] = NULL;
}

size_t bench_default_fast_p(double *p, size_t max)
{
	static const double def[] = {0, 1.0, 1.1, 1.5, 2.0};
	size_t n = sizeof(def) / sizeof(def[0]);
	if (n > max)
		n = max;
	memcpy(p, def, n * sizeof(*p));
	return n;
}

void bench_default_presets(struct strlist *out)
{
	strlist_push(out, "-O3");
	strlist_push(out, "-O3 -march=native");
}

int bench_proposer_parse(const char *spec, int *flags, int *llm, struct buf *err)
{
	char *s = xstrdup(spec), *save = NULL;
	int r = 0;

	*flags = *llm = 0;
	for (char *w = strtok_r(s, "+,", &save); w && r == 0; w = strtok_r(NULL, "+,", &save)) {
		if (!strcmp(w, "flags"))
			*flags = 1;
		else if (!strcmp(w, "llm"))
			*llm = 1;
		else if (strcmp(w, "none"))
			r = err_set(err, "proposer '%s': use flags, llm, llm+flags or none", spec);
	}
	free(s);
	return r;
}

/* The text of suite.json, to locate fields in messages. */
struct src {
	const char *path, *text;
	size_t len;
};

/* "FILE:LINE: " of the member at path (FILE: when it cannot be found). */
static int fail_at(struct buf *err, const struct src *sc, const struct json_seg *p, size_t np,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail_at(struct buf *err, const struct src *sc, const struct json_seg *p, size_t np,
                   const char *fmt, ...)
{
	long off = p ? json_locate(sc->text, sc->len, p, np) : -1;
	unsigned line = 0, col = 0;
	va_list ap;

	buf_reset(err);
	if (off >= 0) {
		json_line_col(sc->text, sc->len, (size_t)off, &line, &col);
		buf_addf(err, "%s:%u: ", sc->path, line);
	} else {
		buf_addf(err, "%s: ", sc->path);
	}
	va_start(ap, fmt);
	buf_vaddf(err, fmt, ap);
	va_end(ap);
	return -1;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			*s = '_';
}

static int name_taken(const struct bench_suite *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->entries[i].name, name))
			return 1;
	return 0;
}

static void push_entry(struct bench_suite *s, const char *name, const char *tree,
                       const char *target, const char *error)
{
	struct bench_entry *e;
	struct buf nm = BUF_INIT;
	int k = 2;

	buf_addstr(&nm, name);
	sanitize(nm.data);
	while (name_taken(s, nm.data)) {
		buf_reset(&nm);
		buf_addf(&nm, "%s-%d", name, k++);
		sanitize(nm.data);
	}
	s->entries = xrealloc(s->entries, (s->n + 1) * sizeof(*s->entries));
	e = &s->entries[s->n++];
	e->name = buf_detach(&nm);
	e->tree = xstrdup(tree);
	e->target = target ? xstrdup(target) : NULL;
	e->error = error ? xstrdup(error) : NULL;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b && b[1] ? b + 1 : path;
}

/*
 * The entries of one tree: each target of its manifest (only `target` when
 * given), or one entry carrying the manifest's error. `name` overrides the
 * entry name of a single target.
 */
static void add_tree(struct bench_suite *s, const char *tree, const char *target, const char *name)
{
	struct manifest m = {0};
	struct buf err = BUF_INIT, nm = BUF_INIT;
	char abs[PATH_MAX];
	const char *t = realpath(tree, abs) ? abs : tree;
	const char *base = name ? name : base_name(t);

	if (manifest_load(t, &m, &err) < 0) {
		push_entry(s, base, t, NULL, err.data);
	} else if (target && !manifest_find_target(&m, target)) {
		buf_reset(&err);
		buf_addf(&err, "no target '%s' in %s", target, m.path);
		push_entry(s, base, t, NULL, err.data);
	} else {
		for (size_t i = 0; i < m.ntargets; i++) {
			const char *tn = m.targets[i].name;
			if (target && strcmp(tn, target))
				continue;
			buf_reset(&nm);
			if (target || m.ntargets == 1)
				buf_addstr(&nm, base);
			else
				buf_addf(&nm, "%s.%s", base, tn);
			push_entry(s, nm.data, t, tn, NULL);
		}
	}
	manifest_release(&m);
	buf_release(&err);
	buf_release(&nm);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder suite: every subfolder holding an optimize.json, in name order. */
static int load_folder(const char *dir, struct bench_suite *s, struct buf *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct strlist subs = {0};
	struct buf p = BUF_INIT;

	if (!d)
		return err_set(err, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		struct stat sb;
		if (de->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s/%s", dir, de->d_name, MANIFEST_FILENAME);
		if (stat(p.data, &sb) == 0)
			strlist_push(&subs, de->d_name);
	}
	closedir(d);
	if (subs.n)
		qsort(subs.v, subs.n, sizeof(*subs.v), cmp_str);
	for (size_t i = 0; i < subs.n; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir, subs.v[i]);
		add_tree(s, p.data, NULL, NULL);
	}
	strlist_release(&subs);
	buf_release(&p);
	s->name = xstrdup(base_name(dir));
	if (!s->n)
		return err_set(err,
		               "%s: no targets: no subfolder holds an %s (a suite is a folder of "
		               "target folders, or a suite.json; see docs/bench.md)",
		               dir, MANIFEST_FILENAME);
	return 0;
}

static void add_setting(struct bench_suite *s, const char *option, const char *value,
                        const char *origin)
{
	struct bench_setting *st;
	s->settings = xrealloc(s->settings, (s->nsettings + 1) * sizeof(*s->settings));
	st = &s->settings[s->nsettings++];
	st->option = xstrdup(option);
	st->value = value ? xstrdup(value) : NULL;
	st->origin = xstrdup(origin);
}

/* A path of suite.json relative to its folder, made absolute. */
static void resolve_path(const char *dir, const char *p, struct buf *out)
{
	if (p[0] == '/')
		buf_addstr(out, p);
	else
		buf_addf(out, "%s/%s", dir, p);
}

/* One option field: a string, a number or true (a switch). */
static int option_field(struct bench_suite *s, const struct src *sc, const cJSON *it,
                        const char *option, const char *dir, struct buf *err)
{
	struct json_seg seg = {it->string, 0};
	struct buf v = BUF_INIT, origin = BUF_INIT;
	long off = json_locate(sc->text, sc->len, &seg, 1);
	unsigned line = 0, col = 0;
	int r = 0;

	if (off >= 0)
		json_line_col(sc->text, sc->len, (size_t)off, &line, &col);
	buf_addf(&origin, "%s:%u", sc->path, line);
	if (cJSON_IsString(it) && !strcmp(option, "cache-dir"))
		resolve_path(dir, it->valuestring, &v);
	else if (cJSON_IsString(it))
		buf_addstr(&v, it->valuestring);
	else if (cJSON_IsNumber(it) && it->valuedouble == floor(it->valuedouble) &&
	         fabs(it->valuedouble) < 1e15)
		buf_addf(&v, "%.0f", it->valuedouble);
	else if (cJSON_IsNumber(it))
		buf_addf(&v, "%.17g", it->valuedouble);
	else if (!cJSON_IsBool(it))
		r = fail_at(err, sc, &seg, 1, "\"%s\" must be a string or a number, not %s",
		            it->string, json_type_name(it));
	if (r == 0 && cJSON_IsBool(it)) {
		if (strcmp(option, "no-profile"))
			r = fail_at(err, sc, &seg, 1, "\"%s\" must be a string or a number%s",
			            it->string, "");
		else if (cJSON_IsTrue(it))
			add_setting(s, option, NULL, origin.data);
	} else if (r == 0) {
		add_setting(s, option, v.data, origin.data);
	}
	buf_release(&v);
	buf_release(&origin);
	return r;
}

static int string_list(struct strlist *out, const struct src *sc, const cJSON *arr, struct buf *err)
{
	struct json_seg seg = {arr->string, 0};
	const cJSON *x;

	if (!cJSON_IsArray(arr))
		return fail_at(err, sc, &seg, 1, "\"%s\" must be an array of strings%s",
		               arr->string, "");
	cJSON_ArrayForEach(x, arr)
	{
		if (!cJSON_IsString(x))
			return fail_at(err, sc, &seg, 1, "\"%s\" must be an array of strings%s",
			               arr->string, "");
		strlist_push(out, x->valuestring);
	}
	return 0;
}

static int fast_p_field(struct bench_suite *s, const struct src *sc, const cJSON *arr,
                        struct buf *err)
{
	struct json_seg seg = {"fast_p", 0};
	const cJSON *x;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 ||
	    cJSON_GetArraySize(arr) > BENCH_MAX_FAST_P)
		return fail_at(err, sc, &seg, 1,
		               "\"fast_p\" must be an array of 1 to 16 numbers%s%s", "", "");
	cJSON_ArrayForEach(x, arr)
	{
		if (!cJSON_IsNumber(x) || x->valuedouble < 0 || !isfinite(x->valuedouble))
			return fail_at(err, sc, &seg, 1,
			               "\"fast_p\" must hold numbers >= 0 (speedups)%s%s", "", "");
		s->fast_p[s->nfast_p++] = x->valuedouble;
	}
	return 0;
}

/* "targets": strings (trees) or {"tree", "target", "name"} objects. */
static int targets_field(struct bench_suite *s, const struct src *sc, const cJSON *arr,
                         const char *dir, struct buf *err)
{
	struct json_seg seg[2] = {{"targets", 0}, {NULL, 0}};
	const cJSON *x;
	struct buf p = BUF_INIT;
	int r = 0;

	if (!cJSON_IsArray(arr))
		return fail_at(err, sc, seg, 1, "\"targets\" must be an array of trees%s%s", "",
		               "");
	cJSON_ArrayForEach(x, arr)
	{
		const char *tree =
		    cJSON_IsString(x) ? x->valuestring : json_get_string(x, "tree", NULL);
		const cJSON *f;
		buf_reset(&p);
		if (cJSON_IsObject(x)) {
			cJSON_ArrayForEach(f, x)
			{
				if (strcmp(f->string, "tree") && strcmp(f->string, "target") &&
				    strcmp(f->string, "name")) {
					r = fail_at(
					    err, sc, seg, 2,
					    "unknown field \"%s\" in a target (known: tree, "
					    "target, name)%s",
					    f->string, "");
					break;
				}
			}
		}
		if (r == 0 && (!tree || !*tree))
			r = fail_at(err, sc, seg, 2,
			            "a target is a tree's path, or an object with \"tree\"%s%s", "",
			            "");
		if (r < 0)
			break;
		resolve_path(dir, tree, &p);
		add_tree(s, p.data, cJSON_IsObject(x) ? json_get_string(x, "target", NULL) : NULL,
		         cJSON_IsObject(x) ? json_get_string(x, "name", NULL) : NULL);
		seg[1].index++;
	}
	buf_release(&p);
	if (r == 0 && !s->n)
		r = fail_at(err, sc, seg, 1, "no targets: \"targets\" is empty%s%s", "", "");
	return r;
}

static int field(struct bench_suite *s, const struct src *sc, const cJSON *it, const char *dir,
                 struct buf *err)
{
	struct json_seg seg = {it->string, 0};
	const char *known[32];

	for (size_t i = 0; i < NOPTION_FIELDS; i++)
		if (!strcmp(it->string, option_fields[i][0]))
			return option_field(s, sc, it, option_fields[i][1], dir, err);
	if (!strcmp(it->string, "version")) {
		if (!cJSON_IsNumber(it) || it->valuedouble != 1)
			return fail_at(err, sc, &seg, 1, "\"version\" must be 1%s%s", "", "");
		return 0;
	}
	if (!strcmp(it->string, "name") || !strcmp(it->string, "proposer")) {
		int fl, llm;
		if (!cJSON_IsString(it))
			return fail_at(err, sc, &seg, 1, "\"%s\" must be a string%s", it->string,
			               "");
		if (!strcmp(it->string, "name")) {
			free(s->name);
			s->name = xstrdup(it->valuestring);
			return 0;
		}
		if (bench_proposer_parse(it->valuestring, &fl, &llm, err) < 0)
			return fail_at(err, sc, &seg, 1,
			               "\"proposer\": \"%s\": use flags, llm, "
			               "llm+flags or none%s",
			               it->valuestring, "");
		free(s->proposer);
		s->proposer = xstrdup(it->valuestring);
		return 0;
	}
	if (!strcmp(it->string, "presets")) {
		s->presets_set = 1;
		if (string_list(&s->presets, sc, it, err) < 0)
			return -1;
		if (s->presets.n > BENCH_MAX_PRESETS)
			return fail_at(err, sc, &seg, 1, "\"presets\": at most 8%s%s", "", "");
		return 0;
	}
	if (!strcmp(it->string, "fast_p"))
		return fast_p_field(s, sc, it, err);
	if (!strcmp(it->string, "targets"))
		return 0; /* after the settings */
	known_fields(known);
	{
		const char *sug = suggest_word(it->string, known);
		struct buf hint = BUF_INIT;
		int r;
		if (sug)
			buf_addf(&hint, " (did you mean \"%s\"?)", sug);
		else
			buf_addstr(&hint, " (docs/bench.md lists the fields)");
		r = fail_at(err, sc, &seg, 1, "unknown field \"%s\"%s", it->string, hint.data);
		buf_release(&hint);
		return r;
	}
}

static int load_json(const char *path, struct bench_suite *s, struct buf *err)
{
	struct buf text = BUF_INIT, dir = BUF_INIT;
	struct src sc;
	cJSON *root = NULL, *it;
	int r = 0;

	if (buf_read_file(&text, path) < 0) {
		buf_release(&text);
		return err_set(err, "%s: %s", path, strerror(errno));
	}
	sc.path = path;
	sc.text = text.data;
	sc.len = text.len;
	root = json_parse(text.data, text.len, path, err);
	if (!root) {
		buf_release(&text);
		return -1;
	}
	path_dirname(&dir, path);
	if (!cJSON_IsObject(root))
		r = fail_at(err, &sc, NULL, 0, "a suite.json is an object (docs/bench.md)%s%s", "",
		            "");
	for (it = root->child; r == 0 && it; it = it->next)
		r = field(s, &sc, it, dir.data, err);
	it = cJSON_GetObjectItemCaseSensitive(root, "targets");
	if (r == 0 && !it)
		r = fail_at(err, &sc, NULL, 0, "no targets: add \"targets\": [\"tree\", ...]%s%s",
		            "", "");
	if (r == 0)
		r = targets_field(s, &sc, it, dir.data, err);
	if (r == 0 && !s->name)
		s->name = xstrdup(base_name(dir.data));
	cJSON_Delete(root);
	buf_release(&text);
	buf_release(&dir);
	return r;
}

int bench_suite_load(const char *path, struct bench_suite *s, struct buf *err)
{
	char abs[PATH_MAX];
	struct stat sb;
	int r;

	memset(s, 0, sizeof(*s));
	if (!realpath(path, abs) || stat(abs, &sb) < 0)
		return err_set(err, "suite '%s': %s", path, strerror(errno));
	s->path = xstrdup(abs);
	if (S_ISDIR(sb.st_mode)) {
		struct buf sj = BUF_INIT;
		buf_addf(&sj, "%s/suite.json", abs);
		if (stat(sj.data, &sb) == 0) {
			free(s->path);
			s->path = buf_detach(&sj);
			r = load_json(s->path, s, err);
		} else {
			r = load_folder(abs, s, err);
		}
		buf_release(&sj);
	} else {
		r = load_json(abs, s, err);
	}
	if (r == 0 && !s->presets_set)
		bench_default_presets(&s->presets);
	if (r == 0 && !s->nfast_p)
		s->nfast_p = bench_default_fast_p(s->fast_p, BENCH_MAX_FAST_P);
	if (r < 0) {
		struct buf keep = BUF_INIT;
		buf_addstr(&keep, buf_str(err));
		bench_suite_release(s);
		buf_reset(err);
		buf_addstr(err, keep.data);
		buf_release(&keep);
	}
	return r;
}

void bench_suite_release(struct bench_suite *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->entries[i].name);
		free(s->entries[i].tree);
		free(s->entries[i].target);
		free(s->entries[i].error);
	}
	free(s->entries);
	for (size_t i = 0; i < s->nsettings; i++) {
		free(s->settings[i].option);
		free(s->settings[i].value);
		free(s->settings[i].origin);
	}
	free(s->settings);
	strlist_release(&s->presets);
	free(s->path);
	free(s->name);
	free(s->proposer);
	memset(s, 0, sizeof(*s));
}
