#include "base/json.h"
#include "base/fileio.h"
#include "base/xalloc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_MAX_DEPTH 1000 /* as cJSON's CJSON_NESTING_LIMIT */
#define EXCERPT_WIDTH  100  /* characters of a long line shown around the column */

/*
 * A strict scanner. cJSON accepts some invalid input (leading zeros) and
 * reports only a rough position, so the text is checked here first; the
 * same scanner also walks valid text to find where a field is.
 */
struct scan {
	const char *p;
	size_t len;
	size_t pos;
	int depth;
	const char *what;
};

static int scan_fail(struct scan *s, size_t pos, const char *what)
{
	s->pos = pos;
	s->what = what;
	return -1;
}

static int at(const struct scan *s)
{
	return s->pos < s->len ? (unsigned char)s->p[s->pos] : -1;
}

static void skip_ws(struct scan *s)
{
	while (s->pos < s->len) {
		char c = s->p[s->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		s->pos++;
	}
}

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_word(int c)
{
	return c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int scan_value(struct scan *s);

/* The 4 hex digits at p[from..from+4) as a number, or -1. */
static long scan_hex4(const struct scan *s, size_t from)
{
	long v = 0;

	for (size_t i = 0; i < 4; i++) {
		int c;

		if (from + i >= s->len || !is_hex((unsigned char)s->p[from + i]))
			return -1;
		c = (unsigned char)s->p[from + i];
		v = v * 16 + (is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static int scan_string(struct scan *s)
{
	size_t start = s->pos;

	s->pos++; /* the opening quote */
	for (;;) {
		int c = at(s);

		if (c < 0 || c == '\n')
			return scan_fail(s, start, "unterminated string");
		if (c == '"') {
			s->pos++;
			return 0;
		}
		if (c < 0x20)
			return scan_fail(s, s->pos,
			                 "control character in a string (write it as an escape)");
		if (c == '\\') {
			size_t esc = s->pos++;

			c = at(s);
			if (c == 'u') {
				long u = scan_hex4(s, s->pos + 1);

				if (u < 0)
					return scan_fail(s, esc,
					                 "invalid \\u escape (needs 4 hex digits)");
				if (u == 0)
					return scan_fail(
					    s, esc,
					    "\\u0000 (a NUL character) is not allowed in "
					    "a string: it would cut the string short");
				if (u >= 0xDC00 && u <= 0xDFFF)
					return scan_fail(
					    s, esc,
					    "lone UTF-16 low surrogate (\\udc00-\\udfff "
					    "must follow a high surrogate \\ud800-\\udbff)");
				s->pos += 4;
				if (u >= 0xD800 && u <= 0xDBFF) {
					long lo = -1;

					if (s->pos + 2 < s->len && s->p[s->pos + 1] == '\\' &&
					    s->p[s->pos + 2] == 'u')
						lo = scan_hex4(s, s->pos + 3);
					if (lo < 0xDC00 || lo > 0xDFFF)
						return scan_fail(
						    s, esc,
						    "lone UTF-16 high surrogate (\\ud800-\\udbff "
						    "must be followed by a low surrogate "
						    "\\udc00-\\udfff); write the character itself "
						    "in UTF-8");
					s->pos += 6;
				}
			} else if (c < 0 || !strchr("\"\\/bfnrt", c)) {
				return scan_fail(s, esc, "invalid escape in a string");
			}
		}
		s->pos++;
	}
}

static int scan_number(struct scan *s)
{
	if (at(s) == '-')
		s->pos++;
	if (at(s) == '0') {
		s->pos++;
		if (is_digit(at(s)))
			return scan_fail(s, s->pos - 1, "numbers may not have leading zeros");
	} else if (is_digit(at(s))) {
		while (is_digit(at(s)))
			s->pos++;
	} else {
		return scan_fail(s, s->pos, "expected a digit");
	}
	if (at(s) == '.') {
		s->pos++;
		if (!is_digit(at(s)))
			return scan_fail(s, s->pos, "expected a digit after '.'");
		while (is_digit(at(s)))
			s->pos++;
	}
	if (at(s) == 'e' || at(s) == 'E') {
		s->pos++;
		if (at(s) == '+' || at(s) == '-')
			s->pos++;
		if (!is_digit(at(s)))
			return scan_fail(s, s->pos, "expected a digit in the exponent");
		while (is_digit(at(s)))
			s->pos++;
	}
	return 0;
}

static int scan_literal(struct scan *s)
{
	static const char *const words[] = {"true", "false", "null"};
	size_t start = s->pos;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);
		if (s->len - start >= n && !memcmp(s->p + start, words[i], n)) {
			s->pos = start + n;
			if (is_word(at(s)))
				break;
			return 0;
		}
	}
	return scan_fail(s, start, "expected a value (strings need double quotes)");
}

/* Something that cannot start a value: say what it probably is. */
static int scan_bad_value(struct scan *s)
{
	int c = at(s);

	if (c < 0)
		return scan_fail(s, s->pos, "unexpected end of input: expected a value");
	if (c == '/')
		return scan_fail(s, s->pos, "comments are not allowed in JSON");
	if (c == '\'')
		return scan_fail(s, s->pos, "strings need double quotes, not single quotes");
	if (c == '}' || c == ']')
		return scan_fail(s, s->pos, "expected a value");
	if (is_word(c) && !is_digit(c))
		return scan_fail(s, s->pos, "expected a value (strings need double quotes)");
	return scan_fail(s, s->pos, "expected a value");
}

static int scan_container(struct scan *s, char close)
{
	size_t comma = 0;
	int first = 1;

	if (++s->depth > JSON_MAX_DEPTH)
		return scan_fail(s, s->pos, "nested too deeply");
	s->pos++; /* the opening bracket */
	for (;;) {
		skip_ws(s);
		if (at(s) == close) {
			if (!first)
				return scan_fail(s, comma,
				                 close == '}' ? "trailing comma before '}'"
				                              : "trailing comma before ']'");
			s->pos++;
			break;
		}
		if (close == '}') {
			int c = at(s);

			if (c == '/')
				return scan_fail(s, s->pos, "comments are not allowed in JSON");
			if (c != '"')
				return scan_fail(s, s->pos,
				                 c < 0 ? "unexpected end of input: expected '}'"
				                       : "expected a key in double quotes");
			if (scan_string(s) < 0)
				return -1;
			skip_ws(s);
			if (at(s) != ':')
				return scan_fail(s, s->pos, "expected ':' after the key");
			s->pos++;
		}
		if (scan_value(s) < 0)
			return -1;
		skip_ws(s);
		if (at(s) == ',') {
			comma = s->pos++;
			first = 0;
			continue;
		}
		if (at(s) == close) {
			s->pos++;
			break;
		}
		if (at(s) < 0)
			return scan_fail(s, s->pos,
			                 close == '}' ? "unexpected end of input: expected '}'"
			                              : "unexpected end of input: expected ']'");
		if (at(s) == '/')
			return scan_fail(s, s->pos, "comments are not allowed in JSON");
		return scan_fail(s, s->pos,
		                 close == '}' ? "expected ',' or '}' (a missing comma?)"
		                              : "expected ',' or ']' (a missing comma?)");
	}
	s->depth--;
	return 0;
}

static int scan_value(struct scan *s)
{
	int c;

	skip_ws(s);
	c = at(s);
	if (c == '{')
		return scan_container(s, '}');
	if (c == '[')
		return scan_container(s, ']');
	if (c == '"')
		return scan_string(s);
	if (c == '-' || is_digit(c))
		return scan_number(s);
	if (c == 't' || c == 'f' || c == 'n')
		return scan_literal(s);
	return scan_bad_value(s);
}

int json_check(const char *text, size_t len, size_t *offset, const char **what)
{
	struct scan s = {text, len, 0, 0, NULL};

	skip_ws(&s);
	if (s.pos == len) {
		scan_fail(&s, s.pos, "no JSON value (the text is empty)");
	} else if (scan_value(&s) == 0) {
		skip_ws(&s);
		if (s.pos == len)
			return 0;
		scan_fail(&s, s.pos, "unexpected text after the JSON value");
	}
	if (offset)
		*offset = s.pos;
	if (what)
		*what = s.what;
	return -1;
}

void json_line_col(const char *text, size_t len, size_t offset, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;

	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	if (line)
		*line = l;
	if (col)
		*col = c;
}

static size_t utf8_back(const char *text, size_t from, size_t floor_, size_t nchars)
{
	while (from > floor_ && nchars) {
		from--;
		if (((unsigned char)text[from] & 0xC0) != 0x80)
			nchars--;
	}
	while (from > floor_ && ((unsigned char)text[from] & 0xC0) == 0x80)
		from--;
	return from;
}

static size_t utf8_fwd(const char *text, size_t from, size_t ceil_, size_t nchars)
{
	while (from < ceil_ && nchars) {
		from++;
		while (from < ceil_ && ((unsigned char)text[from] & 0xC0) == 0x80)
			from++;
		nchars--;
	}
	return from;
}

void json_excerpt(const char *text, size_t len, size_t offset, struct buf *out)
{
	size_t ls, le, from, to;
	unsigned line, col;

	if (offset > len)
		offset = len;
	json_line_col(text, len, offset, &line, &col);
	ls = offset;
	while (ls > 0 && text[ls - 1] != '\n')
		ls--;
	le = offset;
	while (le < len && text[le] != '\n')
		le++;
	if (le > ls && text[le - 1] == '\r')
		le--;
	if (offset > le)
		offset = le;
	from = utf8_back(text, offset, ls, EXCERPT_WIDTH / 2);
	to = utf8_fwd(text, from, le, EXCERPT_WIDTH);
	if (to < offset)
		to = offset;

	buf_addf(out, "%6u | %s", line, from > ls ? "..." : "");
	for (size_t i = from; i < to; i++) {
		unsigned char ch = (unsigned char)text[i];
		buf_addch(out, ch < 0x20 && ch != '\t' ? '?' : (char)ch);
	}
	buf_addf(out, "%s\n       | %s", to < le ? "..." : "", from > ls ? "   " : "");
	for (size_t i = from; i < offset; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\t')
			buf_addch(out, '\t');
		else if ((ch & 0xC0) != 0x80)
			buf_addch(out, ' ');
	}
	buf_addch(out, '^');
}

struct cJSON *json_parse(const char *text, size_t len, const char *origin, struct buf *err)
{
	const char *what = NULL, *end = NULL;
	size_t off = 0;
	unsigned line, col;
	cJSON *root;
	char *copy;

	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		text += 3;
		len -= 3;
	}
	if (json_check(text, len, &off, &what) < 0) {
		json_line_col(text, len, off, &line, &col);
		err_set(err, "%s:%u:%u: invalid JSON: %s\n", origin, line, col, what);
		json_excerpt(text, len, off, err);
		return NULL;
	}
	/* cJSON wants the terminating NUL inside the length it is given. */
	copy = xmemdupz(text, len);
	root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
	if (!root) {
		off = end && end >= copy ? (size_t)(end - copy) : 0;
		json_line_col(text, len, off, &line, &col);
		err_set(err, "%s:%u:%u: cannot parse JSON (out of memory?)", origin, line, col);
	}
	free(copy);
	return root;
}

struct cJSON *json_parse_file(const char *path, size_t max_bytes, struct buf *err)
{
	struct buf text;
	cJSON *root;

	buf_init(&text, max_bytes ? max_bytes : JSON_DEFAULT_MAX_FILE);
	if (buf_read_file(&text, path) < 0) {
		if (text.truncated)
			err_set(err, "%s: larger than %zu bytes", path, text.max);
		else
			err_set(err, "cannot read '%s': %s", path, strerror(errno));
		buf_release(&text);
		return NULL;
	}
	root = json_parse(text.data, text.len, path, err);
	buf_release(&text);
	return root;
}

/* Walk valid text: at a value, step into the member or element named by seg. */
long json_locate(const char *text, size_t len, const struct json_seg *path, size_t n)
{
	struct scan s = {text, len, 0, 0, NULL};

	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		s.pos = 3;
	skip_ws(&s);
	for (size_t i = 0; i < n; i++) {
		const struct json_seg *seg = &path[i];
		size_t index = 0, found;

		if (at(&s) != (seg->key ? '{' : '['))
			return -1;
		s.pos++;
		for (;;) {
			skip_ws(&s);
			if (at(&s) == '}' || at(&s) == ']' || at(&s) < 0)
				return -1;
			found = s.pos;
			if (seg->key) {
				size_t ks = s.pos + 1, klen = strlen(seg->key);
				int match;

				if (scan_string(&s) < 0)
					return -1;
				match =
				    s.pos - 1 - ks == klen && !memcmp(text + ks, seg->key, klen);
				skip_ws(&s);
				if (at(&s) != ':')
					return -1;
				s.pos++;
				skip_ws(&s);
				if (match)
					break;
			} else if (index++ == seg->index) {
				break;
			}
			if (scan_value(&s) < 0)
				return -1;
			skip_ws(&s);
			if (at(&s) != ',')
				return -1;
			s.pos++;
		}
		if (i + 1 == n)
			return (long)found;
	}
	return (long)s.pos;
}

const char *json_type_name(const struct cJSON *item)
{
	if (!item)
		return "nothing";
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsArray(item))
		return "an array";
	if (cJSON_IsObject(item))
		return "an object";
	if (cJSON_IsBool(item))
		return "true or false";
	if (cJSON_IsNull(item))
		return "null";
	return "an invalid value";
}

const char *json_get_string(const struct cJSON *obj, const char *key, const char *def)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? it->valuestring : def;
}

double json_get_number(const struct cJSON *obj, const char *key, double def)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(it) ? it->valuedouble : def;
}

int json_get_bool(const struct cJSON *obj, const char *key, int def)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsBool(it) ? cJSON_IsTrue(it) : def;
}

int json_get_long(const struct cJSON *obj, const char *key, long *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	double v;

	if (!cJSON_IsNumber(it))
		return -1;
	v = it->valuedouble;
	/* 0x1p63 is LONG_MAX + 1 exactly; LONG_MAX itself does not fit a double. */
	if (!(v >= -0x1p63 && v < 0x1p63) || (double)(long)v != v)
		return -1;
	*out = (long)v;
	return 0;
}

static struct cJSON *attach(struct cJSON *obj, const char *key, cJSON *item)
{
	cJSON_bool ok;

	if (!item)
		return NULL;
	if (cJSON_IsArray(obj))
		ok = cJSON_AddItemToArray(obj, item);
	else
		ok = cJSON_AddItemToObject(obj, key, item);
	if (!ok) {
		cJSON_Delete(item);
		return NULL;
	}
	return item;
}

struct cJSON *json_add_string(struct cJSON *obj, const char *key, const char *s)
{
	return attach(obj, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

struct cJSON *json_add_number(struct cJSON *obj, const char *key, double v)
{
	return attach(obj, key, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

struct cJSON *json_add_bool(struct cJSON *obj, const char *key, int v)
{
	return attach(obj, key, cJSON_CreateBool(v != 0));
}

struct cJSON *json_add_object(struct cJSON *obj, const char *key)
{
	return attach(obj, key, cJSON_CreateObject());
}

struct cJSON *json_add_array(struct cJSON *obj, const char *key)
{
	return attach(obj, key, cJSON_CreateArray());
}

struct cJSON *json_add_measure(struct cJSON *obj, const char *key, double v, const char *unit,
                               const char *source)
{
	cJSON *m = cJSON_CreateObject();

	if (!m)
		return NULL;
	if (!json_add_number(m, "value", v) || (unit && !json_add_string(m, "unit", unit)) ||
	    (source && !json_add_string(m, "source", source))) {
		cJSON_Delete(m);
		return NULL;
	}
	return attach(obj, key, m);
}

char *json_print_take(const struct cJSON *root, int pretty)
{
	char *s = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	size_t n;
	char *out;

	if (!s)
		return NULL;
	/* Copy so the caller frees with free() whatever allocator cJSON uses. */
	n = strlen(s);
	out = xmalloc(n + 2);
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	cJSON_free(s);
	return out;
}

int json_write_file_atomic(const char *path, const struct cJSON *root, int pretty, struct buf *err)
{
	char *text = json_print_take(root, pretty);
	int r;

	if (!text)
		return err_set(err, "cannot write '%s': out of memory", path);
	r = file_write_atomic(path, text, strlen(text), 0644, err);
	free(text);
	return r;
}
