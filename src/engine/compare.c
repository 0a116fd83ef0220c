#include "engine/compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define TOKEN_SHOW_MAX 80   /* bytes of a token quoted in a message */
#define LINE_SHOW_MAX  200  /* bytes of a context line */
#define LINE_LEAD      60   /* bytes kept left of a token in a long line */
#define NUMBER_MAX_LEN 1024 /* a longer token is not parsed as a number */

struct token {
	const char *p;
	size_t len;
	size_t line, col; /* 1-based */
};

/* A forward scanner over one text that knows the line and column it is at. */
struct scanner {
	const char *text;
	size_t len, pos;
	size_t line, line_start;
	size_t ntokens;
	struct token last; /* the token most recently returned */
};

static void scanner_init(struct scanner *s, const char *text, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->text = text ? text : "";
	s->len = text ? len : 0;
	s->line = 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int scanner_next(struct scanner *s, struct token *t)
{
	size_t start;

	while (s->pos < s->len && is_space(s->text[s->pos])) {
		if (s->text[s->pos] == '\n') {
			s->line++;
			s->line_start = s->pos + 1;
		}
		s->pos++;
	}
	if (s->pos >= s->len)
		return 0;
	start = s->pos;
	while (s->pos < s->len && !is_space(s->text[s->pos]))
		s->pos++;
	t->p = s->text + start;
	t->len = s->pos - start;
	t->line = s->line;
	t->col = start - s->line_start + 1;
	s->last = *t;
	s->ntokens++;
	return 1;
}

static size_t count_rest(struct scanner *s)
{
	struct token t;
	size_t n = 0;

	while (scanner_next(s, &t))
		n++;
	return n;
}

/* 1 and *out when the whole token is a number strtod accepts and a double holds. */
static int parse_number(const char *p, size_t len, double *out)
{
	char small[64], *tmp = small, *end;
	unsigned char c = (unsigned char)p[0];
	double v;
	int ok;

	/* Cheap reject: every strtod number starts with one of these. */
	if (!len || len > NUMBER_MAX_LEN ||
	    !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'i' || c == 'I' ||
	      c == 'n' || c == 'N'))
		return 0;
	if (len >= sizeof(small)) {
		tmp = xmalloc(len + 1);
	}
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	/* An overflow to inf would make "1e400" equal "2e400": compare those as text. */
	ok = end == tmp + len && !(errno == ERANGE && isinf(v));
	if (tmp != small)
		free(tmp);
	if (ok)
		*out = v;
	return ok;
}

static int numbers_match(double e, double a, const struct compare_opts *o)
{
	if (isnan(e) || isnan(a))
		return isnan(e) && isnan(a);
	if (isinf(e) || isinf(a))
		return e == a;
	return fabs(a - e) <= o->atol + o->rtol * fabs(e);
}

/*
 * Numbers inside a token ("sum=2.18e+03", "x:1.5", "(1.5,2.5)", "1,2,3"): a
 * token is cut into runs of text and decimal numbers. A number starts at a
 * digit, a '.' before a digit, or a sign before either, where the byte before
 * it is not part of a word ('r4c1' and 'v1.2' stay text, so do hex digits
 * after "0x"); it is digits, an optional fraction and an optional exponent.
 * Letters may follow it (a unit: "1.5ms").
 */
struct segment {
	const char *p;
	size_t len;
	int is_num;
	double v;
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_word(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == '.';
}

/* Length of the decimal number at p (0 if none starts there). */
static size_t number_len(const char *p, size_t n)
{
	size_t i = 0, d = 0, e;

	if (i < n && (p[i] == '+' || p[i] == '-'))
		i++;
	while (i < n && is_digit(p[i]))
		i++, d++;
	if (i < n && p[i] == '.' && (d || (i + 1 < n && is_digit(p[i + 1])))) {
		i++;
		while (i < n && is_digit(p[i]))
			i++, d++;
	}
	if (!d)
		return 0;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		e = i + 1;
		if (e < n && (p[e] == '+' || p[e] == '-'))
			e++;
		if (e < n && is_digit(p[e])) {
			while (e < n && is_digit(p[e]))
				e++;
			i = e;
		}
	}
	return i;
}

static size_t number_at(const struct token *t, size_t i)
{
	if (i > 0 && is_word(t->p[i - 1]))
		return 0;
	return number_len(t->p + i, t->len - i);
}

/* The next segment of t from *pos; 0 at the end of the token. */
static int segment_next(const struct token *t, size_t *pos, struct segment *s)
{
	size_t i = *pos, n;

	if (i >= t->len)
		return 0;
	s->p = t->p + i;
	n = number_at(t, i);
	if (n) {
		s->len = n;
		s->is_num = parse_number(s->p, n, &s->v);
	} else {
		while (i < t->len && !number_at(t, i))
			i++;
		s->len = i - *pos;
		s->is_num = 0;
	}
	*pos += s->len;
	return 1;
}

/*
 * 0 when the tokens match segment by segment (text exactly, numbers under
 * the tolerance); 1 otherwise, with *se and *sa the first differing segments
 * (len 0 for one that is missing).
 */
static int segments_differ(const struct token *te, const struct token *ta,
                           const struct compare_opts *o, struct segment *se, struct segment *sa)
{
	size_t pe = 0, pa = 0;
	int he, ha;

	for (;;) {
		memset(se, 0, sizeof(*se));
		memset(sa, 0, sizeof(*sa));
		he = segment_next(te, &pe, se);
		ha = segment_next(ta, &pa, sa);
		if (!he || !ha)
			return he != ha;
		if (se->is_num && sa->is_num) {
			if (!numbers_match(se->v, sa->v, o))
				return 1;
		} else if (se->is_num != sa->is_num || se->len != sa->len ||
		           memcmp(se->p, sa->p, se->len)) {
			return 1;
		}
	}
}

/* Largest n' <= n that does not end inside a UTF-8 sequence. */
static size_t utf8_cut(const char *p, size_t n, size_t avail)
{
	if (n >= avail)
		return avail;
	while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Skip forward over UTF-8 continuation bytes so a window starts on a character. */
static size_t utf8_start(const char *p, size_t off, size_t end)
{
	while (off < end && ((unsigned char)p[off] & 0xc0) == 0x80)
		off++;
	return off;
}

/* Text as it may appear in a message: control bytes as \xNN. */
static void add_escaped(struct buf *msg, const char *p, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			buf_add(msg, p + run, i - run);
			buf_addf(msg, "\\x%02x", c);
			run = i + 1;
		}
	}
	buf_add(msg, p + run, n - run);
}

static void add_token(struct buf *msg, const struct token *t)
{
	size_t n = utf8_cut(t->p, TOKEN_SHOW_MAX, t->len);

	buf_addch(msg, '\'');
	add_escaped(msg, t->p, n);
	if (n < t->len)
		buf_addf(msg, "...' (%zu bytes)", t->len);
	else
		buf_addch(msg, '\'');
}

/* Offset of the first byte of the line that holds offset off. */
static size_t line_begin(const char *text, size_t off)
{
	while (off > 0 && text[off - 1] != '\n')
		off--;
	return off;
}

static size_t line_end(const char *text, size_t len, size_t off)
{
	const char *nl = memchr(text + off, '\n', len - off);

	return nl ? (size_t)(nl - text) : len;
}

/*
 * One context line "    12 | text", cut at LINE_SHOW_MAX bytes; when focus
 * (an offset in the line) lies beyond the cut, the window moves to it.
 */
static void add_line(struct buf *msg, const char *text, size_t len, size_t begin, size_t lineno,
                     int width, size_t focus)
{
	size_t end = line_end(text, len, begin), from = begin, n;

	if (end > begin && text[end - 1] == '\r')
		end--;
	if (focus > begin + LINE_SHOW_MAX - TOKEN_SHOW_MAX / 2 && focus - LINE_LEAD > begin)
		from = utf8_start(text, focus - LINE_LEAD, end);
	n = utf8_cut(text + from, LINE_SHOW_MAX, end - from);
	buf_addf(msg, "    %*zu | %s", width, lineno, from > begin ? "..." : "");
	add_escaped(msg, text + from, n);
	buf_addstr(msg, from + n < end ? "...\n" : "\n");
}

static int digits(size_t v)
{
	int d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/*
 * "  label:" and the line of t with the line before it. t NULL means the text
 * has no token at all.
 */
static void add_context(struct buf *msg, const char *label, const char *text, size_t len,
                        const struct token *t)
{
	size_t off, begin, prev;
	int width;

	buf_addf(msg, "  %s:\n", label);
	if (!t) {
		buf_addstr(msg, len ? "    (only whitespace)\n" : "    (empty)\n");
		return;
	}
	off = (size_t)(t->p - text);
	begin = line_begin(text, off);
	width = digits(t->line);
	if (t->line > 1) {
		prev = line_begin(text, begin - 1);
		add_line(msg, text, len, prev, t->line - 1, width, prev);
	}
	add_line(msg, text, len, begin, t->line, width, off);
}

/* %.3g unless that rounds two different values to the same text. */
static void add_diff(struct buf *msg, double e, double a, const struct compare_opts *o)
{
	double diff = fabs(a - e), tol = o->atol + o->rtol * fabs(e);
	char ds[40], ts[40];
	int prec = 3;

	snprintf(ds, sizeof(ds), "%.*g", prec, diff);
	snprintf(ts, sizeof(ts), "%.*g", prec, tol);
	if (!strcmp(ds, ts)) {
		prec = 17;
		snprintf(ds, sizeof(ds), "%.*g", prec, diff);
		snprintf(ts, sizeof(ts), "%.*g", prec, tol);
	}
	buf_addf(msg, " (|diff| %s > tolerance %s from rtol %g, atol %g", ds, ts, o->rtol, o->atol);
	if (e != 0)
		buf_addf(msg, "; relative diff %.3g", diff / fabs(e));
	buf_addch(msg, ')');
}

static void report_tokens(struct buf *msg, const struct token *te, const struct token *ta,
                          int enum_ok, double e, int anum_ok, double a,
                          const struct compare_opts *o)
{
	buf_addf(msg, "line %zu, column %zu: expected ", ta->line, ta->col);
	add_token(msg, te);
	buf_addstr(msg, " but got ");
	add_token(msg, ta);
	if (enum_ok && anum_ok) {
		if (isnan(e) || isnan(a))
			buf_addstr(msg, " (NaN matches only NaN)");
		else if (isinf(e) || isinf(a))
			buf_addstr(msg, " (an infinity matches only an infinity of the same sign)");
		else
			add_diff(msg, e, a, o);
	} else if (enum_ok) {
		buf_addstr(msg, " (expected a number)");
	}
	buf_addch(msg, '\n');
}

/*
 * For tokens that are not whole numbers, after report_tokens' line: the
 * numbers inside them that differ beyond the tolerance, e.g.
 * "  number '2.185813e+03' in the token: got '2.19e+03' (|diff| ...)".
 */
static void report_segments(struct buf *msg, const struct segment *se, const struct segment *sa,
                            const struct compare_opts *o)
{
	struct token t = {0};

	if (!se->is_num || !sa->is_num)
		return;
	t.p = se->p;
	t.len = se->len;
	buf_addstr(msg, "  number ");
	add_token(msg, &t);
	buf_addstr(msg, " in the token: got ");
	t.p = sa->p;
	t.len = sa->len;
	add_token(msg, &t);
	add_diff(msg, se->v, sa->v, o);
	buf_addch(msg, '\n');
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

int compare_text(const char *expected, size_t elen, const char *actual, size_t alen,
                 const struct compare_opts *opts, struct buf *msg)
{
	static const struct compare_opts exact = {0, 0};
	struct scanner se, sa;
	struct token te, ta;
	struct segment sge, sga;
	double e = 0, a = 0;
	int he, ha, enum_ok, anum_ok;

	if (!opts)
		opts = &exact;
	if (msg)
		buf_reset(msg);
	if (elen == alen && (!elen || !memcmp(expected, actual, elen)))
		return 0;

	scanner_init(&se, expected, elen);
	scanner_init(&sa, actual, alen);
	for (;;) {
		he = scanner_next(&se, &te);
		ha = scanner_next(&sa, &ta);
		if (!he || !ha)
			break;
		if (te.len == ta.len && !memcmp(te.p, ta.p, te.len))
			continue;
		enum_ok = parse_number(te.p, te.len, &e);
		anum_ok = parse_number(ta.p, ta.len, &a);
		if (enum_ok && anum_ok && numbers_match(e, a, opts))
			continue;
		if (!(enum_ok && anum_ok) && !segments_differ(&te, &ta, opts, &sge, &sga))
			continue;
		if (msg) {
			report_tokens(msg, &te, &ta, enum_ok, e, anum_ok, a, opts);
			if (!(enum_ok && anum_ok))
				report_segments(msg, &sge, &sga, opts);
			add_context(msg, "expected", se.text, se.len, &te);
			add_context(msg, "actual", sa.text, sa.len, &ta);
		}
		return 1;
	}
	if (!he && !ha)
		return 0;
	if (!msg)
		return 1;

	if (he) {
		/* The actual output ended early: point just past its last token. */
		size_t line = sa.ntokens ? sa.last.line : 1;
		size_t col = sa.ntokens ? sa.last.col + sa.last.len : 1;
		size_t more = 1 + count_rest(&se);

		buf_addf(msg,
		         "line %zu, column %zu: expected more output: the actual output ends here, "
		         "but %zu more token%s were expected, starting with ",
		         line, col, more, plural(more));
		add_token(msg, &te);
		buf_addch(msg, '\n');
		add_context(msg, "expected", se.text, se.len, &te);
		add_context(msg, "actual", sa.text, sa.len, sa.ntokens ? &sa.last : NULL);
	} else {
		struct token first = ta;
		size_t more = 1 + count_rest(&sa);

		buf_addf(
		    msg,
		    "line %zu, column %zu: unexpected extra output: %zu more token%s after the "
		    "end of the expected output, starting with ",
		    first.line, first.col, more, plural(more));
		add_token(msg, &first);
		buf_addch(msg, '\n');
		add_context(msg, "expected", se.text, se.len, se.ntokens ? &se.last : NULL);
		add_context(msg, "actual", sa.text, sa.len, &first);
	}
	return 1;
}

int compare_is_binary(const char *data, size_t len)
{
	if (!data)
		return 0;
	return memchr(data, '\0', len < COMPARE_SNIFF_BYTES ? len : COMPARE_SNIFF_BYTES) != NULL;
}

/* "  expected: 0x1f8: 00 01 [02] 03" : up to 8 bytes either side of off. */
static void add_hex_window(struct buf *msg, const char *label, const char *p, size_t len,
                           size_t off)
{
	size_t from = off > 8 ? off - 8 : 0, to = off + 9 < len ? off + 9 : len, i;

	buf_addf(msg, "  %-9s at 0x%zx:", label, from);
	for (i = from; i < to; i++)
		buf_addf(msg, i == off ? " [%02x]" : " %02x", (unsigned char)p[i]);
	if (off >= len)
		buf_addstr(msg, " [end]");
	buf_addch(msg, '\n');
}

int compare_bytes(const char *expected, size_t elen, const char *actual, size_t alen,
                  struct buf *msg)
{
	size_t n = elen < alen ? elen : alen, off = 0;

	if (msg)
		buf_reset(msg);
	while (off < n && expected[off] == actual[off])
		off++;
	if (off == n && elen == alen)
		return 0;
	if (!msg)
		return 1;
	buf_addf(msg, "byte %zu (0x%zx): ", off, off);
	if (off < n)
		buf_addf(msg, "expected 0x%02x but got 0x%02x (expected %zu bytes, got %zu)\n",
		         (unsigned char)expected[off], (unsigned char)actual[off], elen, alen);
	else if (alen < elen)
		buf_addf(msg,
		         "expected more output: the actual output ends after %zu bytes, "
		         "expected %zu\n",
		         alen, elen);
	else
		buf_addf(msg, "unexpected extra output: got %zu bytes, expected %zu\n", alen, elen);
	add_hex_window(msg, "expected:", expected, elen, off);
	add_hex_window(msg, "actual:", actual, alen, off);
	return 1;
}

int compare_data(const char *expected, size_t elen, const char *actual, size_t alen,
                 const struct compare_opts *opts, struct buf *msg)
{
	if (!compare_is_binary(expected, elen) && !compare_is_binary(actual, alen))
		return compare_text(expected, elen, actual, alen, opts, msg);
	return compare_bytes(expected, elen, actual, alen, msg);
}

static int read_side(struct buf *b, const char *path, const char *which, struct buf *msg)
{
	int saved;

	errno = 0;
	if (buf_read_file(b, path) == 0)
		return 0;
	saved = errno;
	if (b->truncated)
		return err_set(msg, "%s output '%s' is larger than the %zu MiB comparison limit",
		               which, path, b->max >> 20);
	return err_set(msg, "cannot read %s output '%s': %s", which, path,
	               saved ? strerror(saved) : "read error");
}

int compare_files(const char *expected_path, const char *actual_path,
                  const struct compare_opts *opts, struct buf *msg)
{
	struct buf e, a;
	int r = -1;

	if (msg)
		buf_reset(msg);
	buf_init(&e, 0);
	buf_init(&a, 0);
	if (read_side(&e, expected_path, "expected", msg) < 0 ||
	    read_side(&a, actual_path, "actual", msg) < 0)
		goto out;
	r = compare_data(e.data, e.len, a.data, a.len, opts, msg);
out:
	buf_release(&e);
	buf_release(&a);
	return r;
}
