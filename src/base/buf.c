#include "base/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

static char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : BUF_DEFAULT_MAX;
	b->truncated = 0;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->data);
	b->data = buf_empty;
	b->len = b->cap = 0;
	b->truncated = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->truncated = 0;
	if (b->cap)
		b->data[0] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *p = b->cap ? b->data : xstrdup("");
	b->data = buf_empty;
	b->len = b->cap = 0;
	return p;
}

const char *buf_str(const struct buf *b)
{
	return (b && b->data) ? b->data : "";
}

static int buf_grow(struct buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (!b->data)
		b->data = buf_empty;
	if (!b->max)
		b->max = BUF_DEFAULT_MAX;
	if (extra > b->max - b->len) {
		b->truncated = 1;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	p = b->cap ? xrealloc(b->data, ncap) : xmalloc(ncap);
	if (!b->cap)
		p[0] = '\0';
	b->data = p;
	b->cap = ncap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) < 0) {
		/* Keep what fits, so a capped capture holds the first max bytes. */
		size_t room = b->max > b->len ? b->max - b->len : 0;
		if (room && room < n && buf_grow(b, room) == 0) {
			memcpy(b->data + b->len, p, room);
			b->len += room;
			b->data[b->len] = '\0';
		}
		b->truncated = 1;
		return -1;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s ? s : "", s ? strlen(s) : 0);
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	if (buf_grow(b, (size_t)n) < 0) {
		char *tmp = xmalloc((size_t)n + 1);
		vsnprintf(tmp, (size_t)n + 1, fmt, ap);
		buf_add(b, tmp, (size_t)n);
		free(tmp);
		return -1;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

int buf_setf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	buf_reset(b);
	va_start(ap, fmt);
	r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

int buf_read_file(struct buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int r = 0;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(b, chunk, n) < 0) {
			r = -1;
			break;
		}
	}
	if (ferror(f))
		r = -1;
	fclose(f);
	if (!b->data)
		b->data = buf_empty;
	return r;
}

void buf_rtrim(struct buf *b)
{
	while (b->len && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\n' ||
	                  b->data[b->len - 1] == '\t' || b->data[b->len - 1] == '\r'))
		b->data[--b->len] = '\0';
}

int err_set(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	buf_reset(err);
	va_start(ap, fmt);
	buf_vaddf(err, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(struct buf *err, const char *fmt, ...)
{
	struct buf pre = BUF_INIT;
	va_list ap;

	if (!err)
		return -1;
	buf_init(&pre, 0);
	va_start(ap, fmt);
	buf_vaddf(&pre, fmt, ap);
	va_end(ap);
	buf_addstr(&pre, buf_str(err));
	buf_reset(err);
	buf_add(err, pre.data, pre.len);
	buf_release(&pre);
	return -1;
}
