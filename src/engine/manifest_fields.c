/*
 * manifest_fields.c: reading one manifest field at a time: the path of the
 * field (for "origin:line:col" errors) and the typed readers (strings,
 * numbers, lists of paths or globs, compare lists).
 */
#include "engine/manifest_int.h"
#include "engine/manifest_init.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/xalloc.h"

static const char *const compare_words[] = {"stdout", "stderr", NULL};

void mparse_push_key(struct mparse *mp, const char *key)
{
	if (mp->depth < PATH_DEPTH)
		mp->seg[mp->depth] = (struct json_seg){key, 0};
	mp->depth++;
}

void mparse_push_index(struct mparse *mp, size_t i)
{
	if (mp->depth < PATH_DEPTH)
		mp->seg[mp->depth] = (struct json_seg){NULL, i};
	mp->depth++;
}

void mparse_pop(struct mparse *mp)
{
	mp->depth--;
}

/* "targets[1].verify[0].rtol" for the current place (plus `key` if given). */
const char *mparse_field_path(struct mparse *mp, const char *key)
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
__attribute__((format(printf, 2, 3))) int mparse_merr(struct mparse *mp, const char *fmt, ...)
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

int mparse_type_error(struct mparse *mp, const cJSON *it, const char *expected)
{
	return mparse_merr(mp, "field '%s': expected %s, found %s", mparse_field_path(mp, NULL),
	                   expected, json_type_name(it));
}

static int missing(struct mparse *mp, const char *key, const char *expected)
{
	return mparse_merr(mp, "missing required field '%s' (%s)", mparse_field_path(mp, key),
	                   expected);
}

int mparse_in_list(const char *word, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(word, list[i]))
			return 1;
	return 0;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* A path or glob relative to the tree that cannot leave it. */
static int check_relpath(struct mparse *mp, const char *s)
{
	const char *p = s;

	if (s[0] == '/')
		return mparse_merr(mp,
		                   "field '%s': '%s' must be relative to the tree (no leading '/')",
		                   mparse_field_path(mp, NULL), s);
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return mparse_merr(mp,
			                   "field '%s': '%s' must stay inside the tree (no '..')",
			                   mparse_field_path(mp, NULL), s);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* The member `key` as a string; absent: a copy of def (NULL stays NULL). */
int mparse_get_str(struct mparse *mp, const cJSON *obj, const char *key, unsigned flags,
                   const char *def, char **out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	int r = 0;

	*out = NULL;
	if (!it) {
		if (flags & F_REQUIRED)
			return missing(mp, key, "a string");
		*out = xstrdup(def);
		return 0;
	}
	if ((flags & F_NULLABLE) && cJSON_IsNull(it))
		return 0;
	mparse_push_key(mp, key);
	if (!cJSON_IsString(it))
		r = mparse_type_error(mp, it, flags & F_NULLABLE ? "a string or null" : "a string");
	else if ((flags & F_NONBLANK) && blank(it->valuestring))
		r = mparse_merr(mp, "field '%s': must not be empty", mparse_field_path(mp, NULL));
	else if ((flags & F_COMMAND) &&
	         !strncmp(it->valuestring + strspn(it->valuestring, " \t"), MANIFEST_PLACEHOLDER,
	                  strlen(MANIFEST_PLACEHOLDER)))
		r = mparse_merr(
		    mp,
		    "field '%s' is still the placeholder 'optimize init' wrote ('%.120s'): "
		    "replace it with the command",
		    mparse_field_path(mp, NULL), it->valuestring);
	else
		*out = xstrdup(it->valuestring);
	mparse_pop(mp);
	return r;
}

/* A finite number >= min (> min when `above`); absent: def. */
int mparse_get_num(struct mparse *mp, const cJSON *obj, const char *key, double def, double min,
                   int above, double *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	int r = 0;
	double v;

	*out = def;
	if (!it)
		return 0;
	mparse_push_key(mp, key);
	if (!cJSON_IsNumber(it)) {
		r = mparse_type_error(mp, it, "a number");
	} else {
		v = it->valuedouble;
		if (!isfinite(v))
			r = mparse_merr(mp, "field '%s': the number is too large",
			                mparse_field_path(mp, NULL));
		else if (v < min || (above && v == min))
			r = mparse_merr(mp, "field '%s': must be %s %g, found %g",
			                mparse_field_path(mp, NULL),
			                above ? "greater than" : "at least", min, v);
		else
			*out = v;
	}
	mparse_pop(mp);
	return r;
}

/* An integral number in [min, LONG_MAX]; absent: def. */
int mparse_get_long(struct mparse *mp, const cJSON *obj, const char *key, long def, long min,
                    long *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	int r = 0;
	long v;

	*out = def;
	if (!it)
		return 0;
	mparse_push_key(mp, key);
	if (!cJSON_IsNumber(it))
		r = mparse_type_error(mp, it, "an integer");
	else if (json_get_long(obj, key, &v) < 0)
		r = mparse_merr(mp, "field '%s': expected an integer, found %g",
		                mparse_field_path(mp, NULL), it->valuedouble);
	else if (v < min)
		r = mparse_merr(mp, "field '%s': must be at least %ld, found %ld",
		                mparse_field_path(mp, NULL), min, v);
	else
		*out = v;
	mparse_pop(mp);
	return r;
}

int mparse_get_strlist(struct mparse *mp, const cJSON *obj, const char *key, unsigned flags,
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
	mparse_push_key(mp, key);
	if (!cJSON_IsArray(it)) {
		r = mparse_type_error(mp, it, expected);
		goto out;
	}
	if ((flags & F_NONEMPTY) && !it->child) {
		r = mparse_merr(mp, "field '%s': must list at least one %s",
		                mparse_field_path(mp, NULL),
		                flags & F_GLOB ? "file (a path or glob)" : "value");
		goto out;
	}
	cJSON_ArrayForEach(e, it)
	{
		char num[32];
		const char *s = NULL;
		long v;

		mparse_push_index(mp, i++);
		if (cJSON_IsString(e)) {
			s = e->valuestring;
			if (blank(s))
				r = mparse_merr(mp, "field '%s': must not be empty",
				                mparse_field_path(mp, NULL));
			else if (flags & F_GLOB)
				r = check_relpath(mp, s);
		} else if ((flags & F_INTS) && cJSON_IsNumber(e)) {
			double d = e->valuedouble;

			if (!(d >= 1 && d < 0x1p62) || (double)(long)d != d) {
				r = mparse_merr(mp,
				                "field '%s': expected a positive integer, found %g",
				                mparse_field_path(mp, NULL), d);
			} else {
				v = (long)d;
				snprintf(num, sizeof(num), "%ld", v);
				s = num;
			}
		} else {
			r = mparse_type_error(
			    mp, e, flags & F_INTS ? "a string or an integer" : "a string");
		}
		if (!r)
			strlist_push(out, s);
		mparse_pop(mp);
		if (r)
			break;
	}
out:
	mparse_pop(mp);
	return r;
}

/* "stdout", "stderr" or "file:PATH"; absent: one stdout. */
int mparse_get_compare(struct mparse *mp, const cJSON *obj, const char *key,
                       struct compare_item **out, size_t *nout)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	const cJSON *e;
	size_t n, i = 0;
	int r = 0;

	*nout = 0;
	n = it && cJSON_IsArray(it) ? (size_t)cJSON_GetArraySize(it) : 1;
	*out = xcalloc(n, sizeof(**out));
	if (!it) {
		(*out)[0].kind = COMPARE_STDOUT;
		*nout = 1;
		return 0;
	}
	mparse_push_key(mp, key);
	if (!cJSON_IsArray(it)) {
		r = mparse_type_error(mp, it,
		                      "an array of \"stdout\", \"stderr\" or \"file:PATH\"");
		goto out;
	}
	cJSON_ArrayForEach(e, it)
	{
		struct compare_item *c = &(*out)[i];
		const char *s, *hint;

		mparse_push_index(mp, i);
		if (!cJSON_IsString(e)) {
			r = mparse_type_error(mp, e, "a string");
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
				r = mparse_merr(mp, "field '%s': 'file:' needs a path (file:PATH)",
				                mparse_field_path(mp, NULL));
			else if (!(r = check_relpath(mp, s + 5)))
				c->path = xstrdup(s + 5);
		} else if ((hint = suggest_word(s, compare_words))) {
			r = mparse_merr(mp, "field '%s': unknown output '%s'; did you mean '%s'?",
			                mparse_field_path(mp, NULL), s, hint);
		} else {
			r = mparse_merr(
			    mp,
			    "field '%s': unknown output '%s' (expected \"stdout\", \"stderr\" or "
			    "\"file:PATH\")",
			    mparse_field_path(mp, NULL), s);
		}
		if (r)
			goto elem;
		*nout = ++i;
		for (size_t j = 0; j + 1 < i; j++) {
			const struct compare_item *p = &(*out)[j];
			if (p->kind == c->kind &&
			    (c->kind != COMPARE_FILE || !strcmp(p->path, c->path))) {
				r = mparse_merr(mp, "field '%s': '%s' is listed twice",
				                mparse_field_path(mp, NULL), s);
				break;
			}
		}
	elem:
		mparse_pop(mp);
		if (r)
			break;
	}
out:
	mparse_pop(mp);
	return r;
}

/* A C identifier: kernel names and environment variable names. */
