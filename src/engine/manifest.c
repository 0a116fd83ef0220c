#include "engine/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/json.h"

#define PATH_DEPTH   8                          /* targets[1].verify[0].compare[2] is 6 deep */
#define MAX_LIMIT_MB (1024.0 * 1024.0 * 1024.0) /* 1 PiB: beyond it bytes could overflow */

enum field_flags {
	F_REQUIRED = 1 << 0, /* missing is an error */
	F_NONBLANK = 1 << 1, /* a string must hold more than white space */
	F_NONEMPTY = 1 << 2, /* a list must have an element */
	F_GLOB = 1 << 3,     /* list elements are paths or globs relative to the tree */
	F_INTS = 1 << 4,     /* list elements may be positive integers (kept as strings) */
};

/* The fields of a target, in the order docs/manifest.md lists them. */
static const char *const target_fields[] = {
    "name",
    "editable",
    "context",
    "outputs",
    "build",
    "cc",
    "cflags",
    "ldflags",
    "run",
    "verify",
    "rtol",
    "atol",
    "run_compare",
    "test",
    "timeout_s",
    "objective",
    "limits",
    "kernels",
    "cl_build_options",
    "wg_size_env",
    "wg_sizes",
    "llm",
    NULL,
};
static const char *const single_fields[] = {
    "name",
    "editable",
    "context",
    "outputs",
    "build",
    "cc",
    "cflags",
    "ldflags",
    "run",
    "verify",
    "rtol",
    "atol",
    "run_compare",
    "test",
    "timeout_s",
    "objective",
    "limits",
    "kernels",
    "cl_build_options",
    "wg_size_env",
    "wg_sizes",
    "llm",
    "$schema",
    "version",
    "targets",
    NULL,
};
static const char *const multi_fields[] = {"targets", "$schema", "version", NULL};
static const char *const verify_fields[] = {"run", "compare", "rtol", "atol", NULL};
static const char *const limits_fields[] = {"cpu_s", "memory_mb", "file_mb", "nproc", NULL};
static const char *const llm_fields[] = {"provider",    "model",      "url",
                                         "temperature", "max_tokens", NULL};
static const char *const llm_providers[] = {"openai", "anthropic", "openai-compatible", NULL};
static const char *const objectives[] = {
    "time", "cycles", "instructions", "cache-misses", "max-rss", "kernel_time", NULL};
static const char *const compare_words[] = {"stdout", "stderr", NULL};

/* The state of one validation: the text (to locate fields) and where we are. */
struct mparse {
	const char *text;
	size_t len;
	const char *origin;
	struct buf *err;
	struct json_seg seg[PATH_DEPTH];
	size_t depth;
	struct buf path; /* scratch for field_path */
};

static void push_key(struct mparse *mp, const char *key)
{
	if (mp->depth < PATH_DEPTH)
		mp->seg[mp->depth] = (struct json_seg){key, 0};
	mp->depth++;
}

static void push_index(struct mparse *mp, size_t i)
{
	if (mp->depth < PATH_DEPTH)
		mp->seg[mp->depth] = (struct json_seg){NULL, i};
	mp->depth++;
}

static void pop(struct mparse *mp)
{
	mp->depth--;
}

/* "targets[1].verify[0].rtol" for the current place (plus `key` if given). */
static const char *field_path(struct mparse *mp, const char *key)
{
	size_t n = mp->depth < PATH_DEPTH ? mp->depth : PATH_DEPTH;

	buf_reset(&mp->path);
	for (size_t i = 0; i < n; i++) {
		if (mp->seg[i].key)
			buf_addf(&mp->path, "%s%s", i ? "." : "", mp->seg[i].key);
		else
			buf_addf(&mp->path, "[%zu]", mp->seg[i].index);
	}
	if (key)
		buf_addf(&mp->path, "%s%s", mp->path.len ? "." : "", key);
	return buf_str(&mp->path);
}

/* Fill err with "origin:line:col: message", the place being the current path. */
__attribute__((format(printf, 2, 3))) static int merr(struct mparse *mp, const char *fmt, ...)
{
	size_t n = mp->depth < PATH_DEPTH ? mp->depth : PATH_DEPTH;
	long off = mp->text ? json_locate(mp->text, mp->len, mp->seg, n) : -1;
	struct buf msg = BUF_INIT;
	unsigned line, col;
	va_list ap;

	buf_init(&msg, 0);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (off >= 0) {
		json_line_col(mp->text, mp->len, (size_t)off, &line, &col);
		err_set(mp->err, "%s:%u:%u: %s", mp->origin, line, col, msg.data);
	} else {
		err_set(mp->err, "%s: %s", mp->origin, msg.data);
	}
	buf_release(&msg);
	return -1;
}

static int oom(struct mparse *mp)
{
	return merr(mp, "out of memory");
}

static int type_error(struct mparse *mp, const cJSON *it, const char *expected)
{
	return merr(mp, "field '%s': expected %s, found %s", field_path(mp, NULL), expected,
	            json_type_name(it));
}

static int missing(struct mparse *mp, const char *key, const char *expected)
{
	return merr(mp, "missing required field '%s' (%s)", field_path(mp, key), expected);
}

static int tolower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Optimal string alignment distance (Damerau-Levenshtein without
 * reordering substrings twice), case-insensitive. Long words: "far". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[33][33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower_ascii(a[i - 1]), cb = tolower_ascii(b[j - 1]);
			size_t best = d[i - 1][j - 1] + (ca != cb);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower_ascii(b[j - 2]) &&
			    tolower_ascii(a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The known word closest to `word`, when close enough to be a likely typo. */
static const char *suggest(const char *word, const char *const *known)
{
	size_t lw = strlen(word), limit = lw <= 3 ? 1 : lw <= 8 ? 2 : 3;
	size_t bestd = SIZE_MAX;
	const char *best = NULL;

	for (size_t i = 0; known[i]; i++) {
		size_t d = edit_distance(word, known[i]);
		if (d < bestd) {
			bestd = d;
			best = known[i];
		}
	}
	if (best && bestd <= limit && bestd < lw)
		return best;
	/* "timeout" for "timeout_s": a known word that starts with this one. */
	for (size_t i = 0; known[i] && lw >= 4; i++)
		if (!strncasecmp(known[i], word, lw))
			return known[i];
	return NULL;
}

static int in_list(const char *word, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(word, list[i]))
			return 1;
	return 0;
}

static int looks_secret(const char *key)
{
	return strcasestr(key, "key") || strcasestr(key, "secret") || strcasestr(key, "password") ||
	       strcasestr(key, "token");
}

/*
 * Every member of obj must be known and appear once. `moved` names fields
 * that belong elsewhere (target fields next to "targets").
 */
static int check_members(struct mparse *mp, const cJSON *obj, const char *const *known,
                         const char *const *moved)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		const char *hint;
		int r;

		for (const cJSON *d = obj->child; d != c; d = d->next) {
			if (!strcmp(d->string, c->string)) {
				push_key(mp, c->string);
				r = merr(mp, "field '%s' appears more than once",
				         field_path(mp, NULL));
				pop(mp);
				return r;
			}
		}
		if (in_list(c->string, known))
			continue;
		push_key(mp, c->string);
		if (moved && in_list(c->string, moved)) {
			r = merr(
			    mp,
			    "field '%s' is not allowed next to 'targets': move it into each target",
			    c->string);
		} else if (known == target_fields && in_list(c->string, multi_fields)) {
			r = merr(mp, "field '%s' belongs at the top of the file, next to 'targets'",
			         field_path(mp, NULL));
		} else if ((hint = suggest(c->string, known))) {
			r = merr(mp, "unknown field '%s'; did you mean '%s'?", field_path(mp, NULL),
			         hint);
		} else if (known == llm_fields && looks_secret(c->string)) {
			r = merr(mp,
			         "field '%s': API keys do not belong in the manifest; set "
			         "OPENAI_API_KEY "
			         "or ANTHROPIC_API_KEY in the environment",
			         field_path(mp, NULL));
		} else {
			r = merr(mp, "unknown field '%s' (see docs/manifest.md for the fields)",
			         field_path(mp, NULL));
		}
		pop(mp);
		return r;
	}
	return 0;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static int dup_str(struct mparse *mp, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : oom(mp);
}

/* A path or glob relative to the tree that cannot leave it. */
static int check_relpath(struct mparse *mp, const char *s)
{
	const char *p = s;

	if (s[0] == '/')
		return merr(mp, "field '%s': '%s' must be relative to the tree (no leading '/')",
		            field_path(mp, NULL), s);
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return merr(mp, "field '%s': '%s' must stay inside the tree (no '..')",
			            field_path(mp, NULL), s);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* The member `key` as a string; absent: a copy of def (NULL stays NULL). */
static int get_str(struct mparse *mp, const cJSON *obj, const char *key, unsigned flags,
                   const char *def, char **out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	int r = 0;

	*out = NULL;
	if (!it) {
		if (flags & F_REQUIRED)
			return missing(mp, key, "a string");
		return def ? dup_str(mp, def, out) : 0;
	}
	push_key(mp, key);
	if (!cJSON_IsString(it))
		r = type_error(mp, it, "a string");
	else if ((flags & F_NONBLANK) && blank(it->valuestring))
		r = merr(mp, "field '%s': must not be empty", field_path(mp, NULL));
	else
		r = dup_str(mp, it->valuestring, out);
	pop(mp);
	return r;
}

/* A finite number >= min (> min when `above`); absent: def. */
static int get_num(struct mparse *mp, const cJSON *obj, const char *key, double def, double min,
                   int above, double *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	int r = 0;
	double v;

	*out = def;
	if (!it)
		return 0;
	push_key(mp, key);
	if (!cJSON_IsNumber(it)) {
		r = type_error(mp, it, "a number");
	} else {
		v = it->valuedouble;
		if (!isfinite(v))
			r = merr(mp, "field '%s': the number is too large", field_path(mp, NULL));
		else if (v < min || (above && v == min))
			r = merr(mp, "field '%s': must be %s %g, found %g", field_path(mp, NULL),
			         above ? "greater than" : "at least", min, v);
		else
			*out = v;
	}
	pop(mp);
	return r;
}

/* An integral number in [min, LONG_MAX]; absent: def. */
static int get_long(struct mparse *mp, const cJSON *obj, const char *key, long def, long min,
                    long *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	int r = 0;
	long v;

	*out = def;
	if (!it)
		return 0;
	push_key(mp, key);
	if (!cJSON_IsNumber(it))
		r = type_error(mp, it, "an integer");
	else if (json_get_long(obj, key, &v) < 0)
		r = merr(mp, "field '%s': expected an integer, found %g", field_path(mp, NULL),
		         it->valuedouble);
	else if (v < min)
		r = merr(mp, "field '%s': must be at least %ld, found %ld", field_path(mp, NULL),
		         min, v);
	else
		*out = v;
	pop(mp);
	return r;
}

static int get_strlist(struct mparse *mp, const cJSON *obj, const char *key, unsigned flags,
                       struct strlist *out)
{
	const char *expected =
	    flags & F_INTS ? "an array of strings or integers" : "an array of strings";
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	const cJSON *e;
	size_t i = 0;
	int r = 0;

	if (!it)
		return flags & F_REQUIRED ? missing(mp, key, expected) : 0;
	push_key(mp, key);
	if (!cJSON_IsArray(it)) {
		r = type_error(mp, it, expected);
		goto out;
	}
	if ((flags & F_NONEMPTY) && !it->child) {
		r = merr(mp, "field '%s': must list at least one %s", field_path(mp, NULL),
		         flags & F_GLOB ? "file (a path or glob)" : "value");
		goto out;
	}
	cJSON_ArrayForEach(e, it)
	{
		char num[32];
		const char *s = NULL;
		long v;

		push_index(mp, i++);
		if (cJSON_IsString(e)) {
			s = e->valuestring;
			if (blank(s))
				r = merr(mp, "field '%s': must not be empty", field_path(mp, NULL));
			else if (flags & F_GLOB)
				r = check_relpath(mp, s);
		} else if ((flags & F_INTS) && cJSON_IsNumber(e)) {
			double d = e->valuedouble;

			if (!(d >= 1 && d < 0x1p62) || (double)(long)d != d) {
				r = merr(mp, "field '%s': expected a positive integer, found %g",
				         field_path(mp, NULL), d);
			} else {
				v = (long)d;
				snprintf(num, sizeof(num), "%ld", v);
				s = num;
			}
		} else {
			r = type_error(mp, e,
			               flags & F_INTS ? "a string or an integer" : "a string");
		}
		if (!r && strlist_push(out, s) < 0)
			r = oom(mp);
		pop(mp);
		if (r)
			break;
	}
out:
	pop(mp);
	return r;
}

/* "stdout", "stderr" or "file:PATH"; absent: one stdout. */
static int get_compare(struct mparse *mp, const cJSON *obj, const char *key,
                       struct compare_item **out, size_t *nout)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	const cJSON *e;
	size_t n, i = 0;
	int r = 0;

	*nout = 0;
	n = it && cJSON_IsArray(it) ? (size_t)cJSON_GetArraySize(it) : 1;
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return oom(mp);
	if (!it) {
		(*out)[0].kind = COMPARE_STDOUT;
		*nout = 1;
		return 0;
	}
	push_key(mp, key);
	if (!cJSON_IsArray(it)) {
		r = type_error(mp, it, "an array of \"stdout\", \"stderr\" or \"file:PATH\"");
		goto out;
	}
	cJSON_ArrayForEach(e, it)
	{
		struct compare_item *c = &(*out)[i];
		const char *s, *hint;

		push_index(mp, i);
		if (!cJSON_IsString(e)) {
			r = type_error(mp, e, "a string");
			goto elem;
		}
		s = e->valuestring;
		if (!strcmp(s, "stdout")) {
			c->kind = COMPARE_STDOUT;
		} else if (!strcmp(s, "stderr")) {
			c->kind = COMPARE_STDERR;
		} else if (!strncmp(s, "file:", 5)) {
			c->kind = COMPARE_FILE;
			if (blank(s + 5))
				r = merr(mp, "field '%s': 'file:' needs a path (file:PATH)",
				         field_path(mp, NULL));
			else if (!(r = check_relpath(mp, s + 5)))
				r = dup_str(mp, s + 5, &c->path);
		} else if ((hint = suggest(s, compare_words))) {
			r = merr(mp, "field '%s': unknown output '%s'; did you mean '%s'?",
			         field_path(mp, NULL), s, hint);
		} else {
			r = merr(
			    mp,
			    "field '%s': unknown output '%s' (expected \"stdout\", \"stderr\" or "
			    "\"file:PATH\")",
			    field_path(mp, NULL), s);
		}
		if (r)
			goto elem;
		*nout = ++i;
		for (size_t j = 0; j + 1 < i; j++) {
			const struct compare_item *p = &(*out)[j];
			if (p->kind == c->kind &&
			    (c->kind != COMPARE_FILE || !strcmp(p->path, c->path))) {
				r = merr(mp, "field '%s': '%s' is listed twice",
				         field_path(mp, NULL), s);
				break;
			}
		}
	elem:
		pop(mp);
		if (r)
			break;
	}
out:
	pop(mp);
	return r;
}

/* A C identifier: kernel names and environment variable names. */
static int valid_ident(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++) {
		int ok = *s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		         (*s >= 'A' && *s <= 'Z');
		if (!ok)
			return 0;
	}
	return 1;
}

static const char *objective_problem(const char *o, const char **hint)
{
	*hint = NULL;
	if (in_list(o, objectives))
		return NULL;
	if (!strncmp(o, "kernel_time:", 12))
		return valid_ident(o + 12) ? NULL : "needs a kernel name (kernel_time:NAME)";
	*hint = suggest(o, objectives);
	return "is not an objective";
}

#define OBJECTIVES_ACCEPTED                                                                        \
	"time, cycles, instructions, cache-misses, max-rss, kernel_time, kernel_time:NAME"

int manifest_check_objective(const char *objective, struct buf *err)
{
	const char *hint, *what = objective_problem(objective, &hint);

	if (!what)
		return 0;
	if (hint)
		return err_set(err, "objective '%s' %s; did you mean '%s'? (accepted: %s)",
		               objective, what, hint, OBJECTIVES_ACCEPTED);
	return err_set(err, "objective '%s' %s (accepted: %s)", objective, what,
	               OBJECTIVES_ACCEPTED);
}

static int check_objective(struct mparse *mp, const char *objective)
{
	const char *hint, *what = objective_problem(objective, &hint);
	int r;

	if (!what)
		return 0;
	push_key(mp, "objective");
	if (hint)
		r = merr(mp, "field '%s': '%s' %s; did you mean '%s'? (accepted: %s)",
		         field_path(mp, NULL), objective, what, hint, OBJECTIVES_ACCEPTED);
	else
		r = merr(mp, "field '%s': '%s' %s (accepted: %s)", field_path(mp, NULL), objective,
		         what, OBJECTIVES_ACCEPTED);
	pop(mp);
	return r;
}

static int check_name(struct mparse *mp, const char *name)
{
	size_t n = strlen(name);
	int ok = n <= MANIFEST_NAME_MAX && strcmp(name, ".") && strcmp(name, "..");
	int r;

	for (const char *p = name; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
	if (ok)
		return 0;
	push_key(mp, "name");
	r = merr(mp,
	         "field '%s': '%s' cannot be used as a directory name (use up to %d letters, "
	         "digits, '.', '_' or '-')",
	         field_path(mp, NULL), name, MANIFEST_NAME_MAX);
	pop(mp);
	return r;
}

static int parse_verify(struct mparse *mp, const cJSON *obj, struct target *t)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "verify");
	const cJSON *e;
	size_t n, i = 0;
	int r = 0;

	if (!it)
		return 0;
	push_key(mp, "verify");
	if (!cJSON_IsArray(it)) {
		r = type_error(mp, it, "an array of objects");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(it);
	t->verify = calloc(n ? n : 1, sizeof(*t->verify));
	if (!t->verify) {
		r = oom(mp);
		goto out;
	}
	cJSON_ArrayForEach(e, it)
	{
		struct verify_spec *v = &t->verify[i];

		push_index(mp, i++);
		t->nverify = i;
		if (!cJSON_IsObject(e))
			r = type_error(mp, e, "an object");
		else if (!(r = check_members(mp, e, verify_fields, NULL)) &&
		         !(r = get_str(mp, e, "run", F_REQUIRED | F_NONBLANK, NULL, &v->run)) &&
		         !(r = get_compare(mp, e, "compare", &v->compare, &v->ncompare)) &&
		         !(r = get_num(mp, e, "rtol", t->rtol, 0, 0, &v->rtol)))
			r = get_num(mp, e, "atol", t->atol, 0, 0, &v->atol);
		pop(mp);
		if (r)
			break;
	}
out:
	pop(mp);
	return r;
}

static int parse_limits(struct mparse *mp, const cJSON *obj, struct proc_limits *l)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "limits");
	double cpu, mem, file;
	int r;

	/* The macros rather than proc_limits_default(): same values, and the
	 * manifest does not need the process runner linked in. */
	l->cpu_s = PROC_DEFAULT_CPU_S;
	l->as_bytes = PROC_DEFAULT_AS_BYTES;
	l->fsize_bytes = PROC_DEFAULT_FSIZE_BYTES;
	l->nproc = PROC_DEFAULT_NPROC;
	if (!it)
		return 0;
	push_key(mp, "limits");
	if (!cJSON_IsObject(it)) {
		r = type_error(mp, it, "an object");
		goto out;
	}
	if ((r = check_members(mp, it, limits_fields, NULL)) ||
	    (r = get_num(mp, it, "cpu_s", l->cpu_s, 0, 0, &cpu)) ||
	    (r = get_num(mp, it, "memory_mb", -1, 0, 0, &mem)) ||
	    (r = get_num(mp, it, "file_mb", -1, 0, 0, &file)) ||
	    (r = get_long(mp, it, "nproc", l->nproc, 0, &l->nproc)))
		goto out;
	l->cpu_s = cpu;
	if (mem > MAX_LIMIT_MB || file > MAX_LIMIT_MB) {
		push_key(mp, mem > MAX_LIMIT_MB ? "memory_mb" : "file_mb");
		r = merr(mp, "field '%s': must be at most %.0f", field_path(mp, NULL),
		         MAX_LIMIT_MB);
		pop(mp);
		goto out;
	}
	if (mem >= 0)
		l->as_bytes = (uint64_t)(mem * 1048576.0);
	if (file >= 0)
		l->fsize_bytes = (uint64_t)(file * 1048576.0);
out:
	pop(mp);
	return r;
}

static int parse_llm(struct mparse *mp, const cJSON *obj, struct llm_settings *llm)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "llm");
	const char *hint;
	int r;

	llm->temperature = -1;
	llm->max_tokens = 0;
	if (!it)
		return 0;
	push_key(mp, "llm");
	if (!cJSON_IsObject(it)) {
		r = type_error(mp, it, "an object");
		goto out;
	}
	if ((r = check_members(mp, it, llm_fields, NULL)) ||
	    (r = get_str(mp, it, "provider", F_NONBLANK, NULL, &llm->provider)) ||
	    (r = get_str(mp, it, "model", F_NONBLANK, NULL, &llm->model)) ||
	    (r = get_str(mp, it, "url", F_NONBLANK, NULL, &llm->url)) ||
	    (r = get_num(mp, it, "temperature", -1, 0, 0, &llm->temperature)) ||
	    (r = get_long(mp, it, "max_tokens", 0, 1, &llm->max_tokens)))
		goto out;
	if (llm->provider && !in_list(llm->provider, llm_providers)) {
		push_key(mp, "provider");
		hint = suggest(llm->provider, llm_providers);
		r = merr(mp,
		         "field '%s': unknown provider '%s'%s%s%s (accepted: openai, anthropic, "
		         "openai-compatible)",
		         field_path(mp, NULL), llm->provider, hint ? "; did you mean '" : "",
		         hint ? hint : "", hint ? "'?" : "");
		pop(mp);
	} else if (llm->url && strncmp(llm->url, "http://", 7) &&
	           strncmp(llm->url, "https://", 8)) {
		push_key(mp, "url");
		r = merr(mp, "field '%s': '%s' must start with http:// or https://",
		         field_path(mp, NULL), llm->url);
		pop(mp);
	}
out:
	pop(mp);
	return r;
}

/* Kernel sources are editable too: add the globs editable does not name. */
static int merge_kernels(struct mparse *mp, struct target *t)
{
	for (size_t i = 0; i < t->kernels.n; i++) {
		int seen = 0;

		for (size_t j = 0; j < t->editable.n && !seen; j++)
			seen = !strcmp(t->kernels.v[i], t->editable.v[j]);
		if (!seen && strlist_push(&t->editable, t->kernels.v[i]) < 0)
			return oom(mp);
	}
	return 0;
}

static int parse_target(struct mparse *mp, const cJSON *obj, struct target *t, const char *tree,
                        const char *stored_path, int single)
{
	const cJSON *wg;
	int r;

	if ((r = check_members(mp, obj, single ? single_fields : target_fields, NULL)))
		return r;
	if ((r = get_str(mp, obj, "name", F_REQUIRED | F_NONBLANK, NULL, &t->name)) ||
	    (r = check_name(mp, t->name)) ||
	    (r = get_strlist(mp, obj, "editable", F_REQUIRED | F_NONEMPTY | F_GLOB,
	                     &t->editable)) ||
	    (r = get_str(mp, obj, "build", F_REQUIRED | F_NONBLANK, NULL, &t->build)) ||
	    (r = get_str(mp, obj, "run", F_REQUIRED | F_NONBLANK, NULL, &t->run)) ||
	    (r = get_strlist(mp, obj, "context", F_GLOB, &t->context)) ||
	    (r = get_strlist(mp, obj, "outputs", F_GLOB, &t->outputs)) ||
	    (r = get_str(mp, obj, "cc", F_NONBLANK, "cc", &t->cc)) ||
	    (r = get_str(mp, obj, "cflags", 0, "-O2", &t->cflags)) ||
	    (r = get_str(mp, obj, "ldflags", 0, "", &t->ldflags)) ||
	    (r = get_num(mp, obj, "rtol", 0, 0, 0, &t->rtol)) ||
	    (r = get_num(mp, obj, "atol", 0, 0, 0, &t->atol)) || (r = parse_verify(mp, obj, t)) ||
	    (r = get_compare(mp, obj, "run_compare", &t->run_compare, &t->nrun_compare)) ||
	    (r = get_str(mp, obj, "test", F_NONBLANK, NULL, &t->test)) ||
	    (r = get_num(mp, obj, "timeout_s", 60, 0, 1, &t->timeout_s)) ||
	    (r = get_str(mp, obj, "objective", F_NONBLANK, "time", &t->objective)) ||
	    (r = check_objective(mp, t->objective)) || (r = parse_limits(mp, obj, &t->limits)) ||
	    (r = get_strlist(mp, obj, "kernels", F_GLOB, &t->kernels)) ||
	    (r = merge_kernels(mp, t)) ||
	    (r = get_str(mp, obj, "cl_build_options", 0, "", &t->cl_build_options)) ||
	    (r = get_str(mp, obj, "wg_size_env", F_NONBLANK, NULL, &t->wg_size_env)) ||
	    (r = get_strlist(mp, obj, "wg_sizes", F_INTS, &t->wg_sizes)) ||
	    (r = parse_llm(mp, obj, &t->llm)))
		return r;
	if (t->wg_size_env && !valid_ident(t->wg_size_env)) {
		push_key(mp, "wg_size_env");
		r = merr(mp, "field '%s': '%s' is not an environment variable name",
		         field_path(mp, NULL), t->wg_size_env);
		pop(mp);
		return r;
	}
	wg = cJSON_GetObjectItemCaseSensitive(obj, "wg_sizes");
	if (wg && !t->wg_size_env) {
		push_key(mp, "wg_sizes");
		r = merr(mp,
		         "field '%s' needs 'wg_size_env', the environment variable the program "
		         "reads the work-group size from",
		         field_path(mp, NULL));
		pop(mp);
		return r;
	}
	if (dup_str(mp, tree, &t->tree) || dup_str(mp, stored_path, &t->manifest_path))
		return -1;
	return 0;
}

static void compare_release(struct compare_item *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].path);
	free(c);
}

static void target_release(struct target *t)
{
	free(t->name);
	free(t->tree);
	free(t->manifest_path);
	strlist_release(&t->editable);
	strlist_release(&t->context);
	strlist_release(&t->outputs);
	free(t->build);
	free(t->cc);
	free(t->cflags);
	free(t->ldflags);
	free(t->run);
	for (size_t i = 0; i < t->nverify; i++) {
		free(t->verify[i].run);
		compare_release(t->verify[i].compare, t->verify[i].ncompare);
	}
	free(t->verify);
	compare_release(t->run_compare, t->nrun_compare);
	free(t->test);
	free(t->objective);
	strlist_release(&t->kernels);
	free(t->cl_build_options);
	free(t->wg_size_env);
	strlist_release(&t->wg_sizes);
	free(t->llm.provider);
	free(t->llm.model);
	free(t->llm.url);
	memset(t, 0, sizeof(*t));
}

void manifest_release(struct manifest *m)
{
	for (size_t i = 0; i < m->ntargets; i++)
		target_release(&m->targets[i]);
	free(m->targets);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

static int parse_root(struct mparse *mp, const cJSON *root, const char *tree,
                      const char *stored_path, struct manifest *m)
{
	const cJSON *targets = cJSON_GetObjectItemCaseSensitive(root, "targets");
	const cJSON *e;
	char *schema = NULL;
	long version;
	size_t n, i = 0;
	int r;

	if (!cJSON_IsObject(root))
		return merr(mp, "the manifest must be a JSON object, found %s",
		            json_type_name(root));
	if ((r = check_members(mp, root, targets ? multi_fields : single_fields,
	                       targets ? target_fields : NULL)) ||
	    (r = get_str(mp, root, "$schema", 0, NULL, &schema)))
		return r;
	free(schema); /* only checked to be a string; freed before anything else can fail */
	if ((r = get_long(mp, root, "version", MANIFEST_VERSION, 0, &version)))
		return r;
	if (version != MANIFEST_VERSION) {
		push_key(mp, "version");
		r = merr(mp, "field 'version': this optimize reads version %d manifests, found %ld",
		         MANIFEST_VERSION, version);
		pop(mp);
		return r;
	}
	if (!targets) {
		m->targets = calloc(1, sizeof(*m->targets));
		if (!m->targets)
			return oom(mp);
		m->ntargets = 1;
		return parse_target(mp, root, &m->targets[0], tree, stored_path, 1);
	}

	push_key(mp, "targets");
	if (!cJSON_IsArray(targets)) {
		r = type_error(mp, targets, "an array of objects");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(targets);
	if (!n) {
		r = merr(mp, "field 'targets': must list at least one target");
		goto out;
	}
	m->targets = calloc(n, sizeof(*m->targets));
	if (!m->targets) {
		r = oom(mp);
		goto out;
	}
	cJSON_ArrayForEach(e, targets)
	{
		struct target *t = &m->targets[i];

		push_index(mp, i);
		m->ntargets = ++i;
		if (!cJSON_IsObject(e))
			r = type_error(mp, e, "an object");
		else
			r = parse_target(mp, e, t, tree, stored_path, 0);
		for (size_t j = 0; !r && j + 1 < i; j++) {
			if (strcmp(m->targets[j].name, t->name))
				continue;
			push_key(mp, "name");
			r = merr(mp,
			         "field '%s': duplicate target name '%s' (targets[%zu] has it too)",
			         field_path(mp, NULL), t->name, j);
			pop(mp);
		}
		pop(mp);
		if (r)
			break;
	}
out:
	pop(mp);
	return r;
}

static int parse_common(const char *text, size_t len, const char *origin, const char *stored_path,
                        const char *tree, struct manifest *m, struct buf *err)
{
	struct mparse mp = {0};
	cJSON *root;
	int r;

	memset(m, 0, sizeof(*m));
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		/* Skipped here too, so that columns of field errors are not shifted. */
		text += 3;
		len -= 3;
	}
	root = json_parse(text, len, origin, err);
	if (!root)
		return -1;
	mp.text = text;
	mp.len = len;
	mp.origin = origin;
	mp.err = err;
	buf_init(&mp.path, 0);
	r = parse_root(&mp, root, tree ? tree : ".", stored_path, m);
	if (!r && !(m->path = strdup(stored_path)))
		r = oom(&mp);
	buf_release(&mp.path);
	cJSON_Delete(root);
	if (r)
		manifest_release(m);
	return r;
}

int manifest_parse(const char *text, size_t len, const char *origin, const char *tree,
                   struct manifest *m, struct buf *err)
{
	return parse_common(text, len, origin, origin, tree, m, err);
}

int manifest_load(const char *path, struct manifest *m, struct buf *err)
{
	struct buf file = BUF_INIT, dir = BUF_INIT, text = BUF_INIT, stored = BUF_INIT;
	const char *slash, *base;
	char *tree = NULL;
	struct stat st;
	int r = -1;

	memset(m, 0, sizeof(*m));
	buf_init(&file, 0);
	buf_init(&dir, 0);
	buf_init(&stored, 0);
	buf_init(&text, MANIFEST_MAX_BYTES);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			err_set(err,
			        "'%s' does not exist: give a source tree that holds %s, or the "
			        "manifest itself",
			        path, MANIFEST_FILENAME);
		else
			err_set(err, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);

		buf_addstr(&dir, path);
		buf_addf(&file, "%s%s%s", path, n && path[n - 1] == '/' ? "" : "/",
		         MANIFEST_FILENAME);
		base = MANIFEST_FILENAME;
		if (stat(file.data, &st) < 0) {
			if (errno == ENOENT)
				err_set(err,
				        "no manifest in '%s': create '%s' naming at least "
				        "\"name\", \"editable\", \"build\" and \"run\" (see "
				        "docs/manifest.md)",
				        path, file.data);
			else
				err_set(err, "cannot open '%s': %s", file.data, strerror(errno));
			goto out;
		}
	} else {
		buf_addstr(&file, path);
		slash = strrchr(path, '/');
		if (!slash)
			buf_addstr(&dir, ".");
		else if (slash == path)
			buf_addstr(&dir, "/");
		else
			buf_add(&dir, path, (size_t)(slash - path));
		base = slash ? slash + 1 : path;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, "'%s' is not a regular file", file.data);
		goto out;
	}
	if (buf_read_file(&text, file.data) < 0) {
		if (text.truncated)
			err_set(err, "%s: larger than %zu bytes; is this really a manifest?",
			        file.data, (size_t)MANIFEST_MAX_BYTES);
		else
			err_set(err, "cannot read '%s': %s", file.data, strerror(errno));
		goto out;
	}
	/* The directory as the user named it, resolved; a symlinked manifest
	 * still describes the tree it sits in. */
	tree = realpath(dir.data, NULL);
	if (!tree) {
		err_set(err, "cannot resolve '%s': %s", dir.data, strerror(errno));
		goto out;
	}
	buf_addf(&stored, "%s%s%s", tree, strcmp(tree, "/") ? "/" : "", base);
	r = parse_common(text.data, text.len, file.data, stored.data, tree, m, err);
out:
	free(tree);
	buf_release(&file);
	buf_release(&dir);
	buf_release(&text);
	buf_release(&stored);
	return r;
}

const struct target *manifest_find_target(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->ntargets; i++)
		if (m->targets[i].name && !strcmp(m->targets[i].name, name))
			return &m->targets[i];
	return NULL;
}

int strlist_push(struct strlist *l, const char *s)
{
	char **v;
	char *copy = strdup(s);

	if (!copy)
		return -1;
	v = realloc(l->v, (l->n + 2) * sizeof(*v));
	if (!v) {
		free(copy);
		return -1;
	}
	v[l->n++] = copy;
	v[l->n] = NULL; /* kept NULL-terminated for argv-style use */
	l->v = v;
	return 0;
}

void strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* One path component against one pattern component (no '/' in either). */
static int match_component(const char *pat, size_t plen, const char *name, size_t nlen)
{
	char p[NAME_MAX + 1], s[NAME_MAX + 1];

	if (plen > NAME_MAX || nlen > NAME_MAX)
		return 0;
	memcpy(p, pat, plen);
	p[plen] = '\0';
	memcpy(s, name, nlen);
	s[nlen] = '\0';
	return fnmatch(p, s, FNM_PATHNAME) == 0;
}

/*
 * Component by component, so that a "**" component can stand for any number
 * of path components: zero or more when more of the pattern follows it (so
 * "a/" "**" "/b" matches "a/b"), one or more at the end of the pattern (what
 * is under a directory, not the directory itself).
 */
static int glob_match(const char *pat, const char *path)
{
	const char *pend = strchrnul(pat, '/');
	const char *qend;

	if (pend - pat == 2 && pat[0] == '*' && pat[1] == '*') {
		const char *rest = pend + 1;

		if (!*pend)
			return *path != '\0';
		if (glob_match(rest, path))
			return 1;
		for (const char *q = strchr(path, '/'); q; q = strchr(q + 1, '/'))
			if (glob_match(rest, q + 1))
				return 1;
		return 0;
	}
	qend = strchrnul(path, '/');
	if (!match_component(pat, (size_t)(pend - pat), path, (size_t)(qend - path)))
		return 0;
	if (!*pend || !*qend)
		return !*pend && !*qend;
	return glob_match(pend + 1, qend + 1);
}

static const char *skip_dot_slash(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	return s;
}

int strlist_match(const struct strlist *globs, const char *relpath)
{
	relpath = skip_dot_slash(relpath);
	if (!*relpath)
		return 0;
	for (size_t i = 0; i < globs->n; i++) {
		const char *g = skip_dot_slash(globs->v[i]);
		size_t n = strlen(g);
		int hit;

		if (!n)
			continue;
		if (g[n - 1] == '/') {
			/* "dir/": everything under dir, as "dir/" followed by "**". */
			char *all = malloc(n + 3);

			if (!all)
				continue;
			memcpy(all, g, n);
			memcpy(all + n, "**", 3);
			hit = glob_match(all, relpath);
			free(all);
		} else {
			hit = glob_match(g, relpath);
		}
		if (hit)
			return 1;
	}
	return 0;
}
