/*
 * llm_outline.c: the top-level parts of a C source file with their lines.
 * See llm_outline.h.
 */
#include "llm/llm_outline.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"

struct cur {
	int active, is_func, braced, name_found, typedef_, assign;
	int scope; /* `extern "C"` or `namespace NAME` seen: its { ... } is transparent */
	int first, body;
	size_t off;
	char *name;
};

struct scan {
	const char *text, *p, *end;
	int line, depth;
	char last_sig; /* last significant character at depth 0: 'a' identifier, '0' number */
	const char *ident;
	size_t ident_len;
	struct cur cur;
	struct llm_outline *out;
};

static int is_id0(int c)
{
	return isalpha(c) || c == '_';
}

static int is_id(int c)
{
	return isalnum(c) || c == '_';
}

/* Skip a comment or literal at p; returns the new position (lines counted). */
static const char *skip_quoted(const char *p, const char *end, int *line)
{
	char q = *p++;

	while (p < end && *p != q && *p != '\n') {
		if (*p == '\\' && p + 1 < end) {
			if (p[1] == '\n')
				(*line)++;
			p++;
		}
		p++;
	}
	return p < end && *p == q ? p + 1 : p;
}

static const char *skip_block_comment(const char *p, const char *end, int *line)
{
	p += 2;
	while (p + 1 < end && !(p[0] == '*' && p[1] == '/')) {
		if (*p == '\n')
			(*line)++;
		p++;
	}
	return p + 1 < end ? p + 2 : end;
}

static const char *const keywords[] = {
    "struct", "union",    "enum",     "typedef",  "static",        "const",    "volatile", "extern",
    "inline", "int",      "char",     "short",    "long",          "float",    "double",   "void",
    "signed", "unsigned", "register", "restrict", "__restrict",    "_Bool",    "bool",     "sizeof",
    "return", "if",       "else",     "for",      "while",         "do",       "switch",   "case",
    "break",  "continue", "goto",     "default",  "__attribute__", "__inline", "auto",     NULL};

static int is_keyword(const char *s, size_t n)
{
	size_t i;

	for (i = 0; keywords[i]; i++)
		if (strlen(keywords[i]) == n && !memcmp(keywords[i], s, n))
			return 1;
	return 0;
}

/* Identifiers of [a, b) followed by one of "=[;,{}):" : what a declaration
 * declares; those inside braces are members (out_members), except an
 * enum's constants. */
static void collect_declares(const char *a, const char *b, struct strlist *out,
                             struct strlist *out_members)
{
	const char *p = a;
	int line = 0, depth = 0, is_enum = 0;

	while (p < b) {
		if (*p == '{' || *p == '}') {
			depth += *p == '{' ? 1 : -1;
			p++;
			continue;
		}
		if (p[0] == '/' && p + 1 < b && p[1] == '/') {
			while (p < b && *p != '\n')
				p++;
		} else if (p[0] == '/' && p + 1 < b && p[1] == '*') {
			p = skip_block_comment(p, b, &line);
		} else if (*p == '"' || *p == '\'') {
			p = skip_quoted(p, b, &line);
		} else if (is_id0((unsigned char)*p)) {
			const char *s = p, *q;

			while (p < b && is_id((unsigned char)*p))
				p++;
			for (q = p; q < b && isspace((unsigned char)*q); q++)
				;
			if (depth == 0 && p - s == 4 && !memcmp(s, "enum", 4))
				is_enum = 1;
			if (q < b && strchr("=[;,{}):", *q) && !is_keyword(s, (size_t)(p - s))) {
				struct strlist *to = depth > 0 && !is_enum ? out_members : out;
				char *id = xstrndup(s, (size_t)(p - s));

				if (!strlist_has(to, id))
					strlist_push(to, id);
				free(id);
			}
		} else if (isdigit((unsigned char)*p)) {
			while (p < b && is_id((unsigned char)*p))
				p++;
		} else {
			p++;
		}
	}
}

static struct llm_outline_item *add_item(struct llm_outline *o, enum llm_outline_kind k, int first,
                                         int last)
{
	struct llm_outline_item *it;

	o->v = xreallocarray(o->v, o->n + 1, sizeof(*o->v));
	it = &o->v[o->n++];
	memset(it, 0, sizeof(*it));
	it->kind = k;
	it->first = first;
	it->last = last;
	return it;
}

static void cur_reset(struct scan *s)
{
	free(s->cur.name);
	memset(&s->cur, 0, sizeof(s->cur));
	s->last_sig = 0;
}

/* A preprocessor line (with its continuations) at depth 0 outside any statement. */
static void scan_pp(struct scan *s)
{
	const char *p = s->p + 1, *e = s->end;
	int first = s->line;
	struct llm_outline_item *it = NULL;
	const char *start = s->p;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (s->depth == 0 && !s->cur.active)
		it = add_item(s->out, LLM_OL_PP, first, first);
	if (it && !strncmp(p, "define", 6) && p + 6 < e && isspace((unsigned char)p[6])) {
		const char *n;

		for (p += 6; p < e && (*p == ' ' || *p == '\t'); p++)
			;
		for (n = p; p < e && is_id((unsigned char)*p); p++)
			;
		if (p > n) {
			it->name = xstrndup(n, (size_t)(p - n));
			strlist_push(&it->declares, it->name);
		}
	}
	for (p = start; p < e && *p != '\n'; p++) {
		if (*p == '\\' && p + 1 < e && p[1] == '\n') {
			s->line++;
			p++;
		} else if (p[0] == '/' && p + 1 < e && p[1] == '*') {
			p = skip_block_comment(p, e, &s->line) - 1;
		}
	}
	if (it)
		it->last = s->line;
	s->p = p;
}

static void end_item(struct scan *s, enum llm_outline_kind k)
{
	struct llm_outline_item *it = add_item(s->out, k, s->cur.first, s->line);

	if (k == LLM_OL_FUNC)
		it->body = s->cur.body;
	if (k == LLM_OL_FUNC || k == LLM_OL_PROTO) {
		it->name = s->cur.name;
		s->cur.name = NULL;
	} else {
		collect_declares(s->text + s->cur.off, s->p + 1, &it->declares, &it->members);
	}
	cur_reset(s);
}

static void on_punct(struct scan *s, char c)
{
	if (c == '{' && s->depth == 0 && s->cur.scope && !s->cur.name_found) {
		/* extern "C" { or namespace x {: what follows is top level */
		cur_reset(s);
	} else if (c == '}' && s->depth == 0) {
		/* the close of such a block (or a stray brace): ignore it */
		cur_reset(s);
	} else if (c == '{') {
		if (s->depth == 0 && !s->cur.braced && s->last_sig == ')' && s->cur.name_found &&
		    !s->cur.assign && !s->cur.typedef_) {
			s->cur.is_func = 1;
			s->cur.body = s->line;
		} else if (s->depth == 0) {
			s->cur.braced = 1;
		}
		s->depth++;
	} else if (c == '}') {
		if (s->depth > 0)
			s->depth--;
		if (s->depth == 0 && s->cur.is_func)
			end_item(s, LLM_OL_FUNC);
		else if (s->depth == 0)
			s->last_sig = '}';
	} else if (c == ';' && s->depth == 0) {
		end_item(s,
		         s->cur.name_found && !s->cur.braced && !s->cur.typedef_ && !s->cur.assign
		             ? LLM_OL_PROTO
		             : LLM_OL_DECL);
	} else if (s->depth == 0) {
		if (c == '(' && !s->cur.name_found) {
			s->cur.name_found = 1;
			if (s->ident)
				s->cur.name = xstrndup(s->ident, s->ident_len);
		}
		if (c == '=' && !s->cur.name_found)
			s->cur.assign = 1;
		s->last_sig = c;
	}
}

static void scan_ident(struct scan *s)
{
	const char *a = s->p;
	size_t n;

	while (s->p < s->end && is_id((unsigned char)*s->p))
		s->p++;
	n = (size_t)(s->p - a);
	if (s->depth != 0)
		return;
	if (n == 7 && !memcmp(a, "typedef", 7))
		s->cur.typedef_ = 1;
	if (n == 9 && !memcmp(a, "namespace", 9))
		s->cur.scope = 1;
	/* qualifiers after a parameter list keep the heading a function's */
	if (s->last_sig == ')' &&
	    ((n == 5 && !memcmp(a, "const", 5)) || (n == 8 && !memcmp(a, "noexcept", 8)) ||
	     (n == 8 && !memcmp(a, "override", 8)) || (n == 13 && !memcmp(a, "__attribute__", 13))))
		return;
	s->ident = a;
	s->ident_len = n;
	s->last_sig = 'a';
}

int llm_outline_scan(const char *text, size_t len, struct llm_outline *out)
{
	struct scan s;
	int bol = 1;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.text = s.p = text;
	s.end = text + len;
	s.line = 1;
	s.out = out;
	while (s.p < s.end) {
		char c = *s.p;

		if (c == '\n') {
			s.line++;
			bol = 1;
			s.p++;
			continue;
		}
		if (isspace((unsigned char)c)) {
			s.p++;
			continue;
		}
		if (c == '/' && s.p + 1 < s.end && s.p[1] == '/') {
			while (s.p < s.end && *s.p != '\n')
				s.p++;
			continue;
		}
		if (c == '/' && s.p + 1 < s.end && s.p[1] == '*') {
			s.p = skip_block_comment(s.p, s.end, &s.line);
			continue;
		}
		if (bol && c == '#') {
			scan_pp(&s);
			continue;
		}
		bol = 0;
		if (!s.cur.active && s.depth == 0 && c != ';') {
			s.cur.active = 1;
			s.cur.first = s.line;
			s.cur.off = (size_t)(s.p - text);
		}
		if (c == '"' || c == '\'') {
			/* extern "C" (a linkage block or a single declaration) */
			if (s.depth == 0 && s.last_sig == 'a' && s.ident_len == 6 &&
			    !memcmp(s.ident, "extern", 6))
				s.cur.scope = 1;
			s.p = skip_quoted(s.p, s.end, &s.line);
			if (s.depth == 0)
				s.last_sig = '"';
		} else if (is_id0((unsigned char)c)) {
			scan_ident(&s);
		} else if (isdigit((unsigned char)c)) {
			while (s.p < s.end && (is_id((unsigned char)*s.p) || *s.p == '.'))
				s.p++;
			if (s.depth == 0)
				s.last_sig = '0';
		} else {
			on_punct(&s, c);
			s.p++;
		}
	}
	cur_reset(&s);
	out->nlines = s.line;
	return 0;
}

void llm_outline_release(struct llm_outline *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].name);
		strlist_release(&o->v[i].declares);
		strlist_release(&o->v[i].members);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

const struct llm_outline_item *llm_outline_function_at(const struct llm_outline *o, int line)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->v[i].kind == LLM_OL_FUNC && line >= o->v[i].first && line <= o->v[i].last)
			return &o->v[i];
	return NULL;
}

const struct llm_outline_item *llm_outline_function_named(const struct llm_outline *o,
                                                          const char *name)
{
	struct buf b = BUF_INIT;
	const char *p, *q;
	size_t i;
	const struct llm_outline_item *r = NULL;

	/* "ns::cls::work(long) (inlined)" -> "work" */
	buf_add(&b, name, strcspn(name, "( "));
	p = buf_str(&b);
	while ((q = strstr(p, "::")))
		p = q + 2;
	for (i = 0; *p && i < o->n; i++)
		if (o->v[i].kind == LLM_OL_FUNC && o->v[i].name && !strcmp(o->v[i].name, p)) {
			r = &o->v[i];
			break;
		}
	buf_release(&b);
	return r;
}

void llm_outline_identifiers(const char *text, size_t len, int first, int last, struct strlist *ids,
                             struct strlist *members)
{
	const char *p = text, *end = text + len, *a;
	int line = 1;

	while (p < end && line < first)
		line += *p++ == '\n';
	a = p;
	while (p < end && line <= last)
		line += *p++ == '\n';
	{
		const char *q = a;
		int l = 0;

		while (q < p) {
			if (q[0] == '/' && q + 1 < p && q[1] == '/') {
				while (q < p && *q != '\n')
					q++;
			} else if (q[0] == '/' && q + 1 < p && q[1] == '*') {
				q = skip_block_comment(q, p, &l);
			} else if (*q == '"' || *q == '\'') {
				q = skip_quoted(q, p, &l);
			} else if (is_id0((unsigned char)*q)) {
				const char *s = q;
				char *id;

				while (q < p && is_id((unsigned char)*q))
					q++;
				id = xstrndup(s, (size_t)(q - s));
				if (!strlist_has(ids, id))
					strlist_push(ids, id);
				if (((s > a && s[-1] == '.') ||
				     (s > a + 1 && s[-1] == '>' && s[-2] == '-')) &&
				    !strlist_has(members, id))
					strlist_push(members, id);
				free(id);
			} else if (isdigit((unsigned char)*q)) {
				while (q < p && is_id((unsigned char)*q))
					q++;
			} else {
				q++;
			}
		}
	}
}
