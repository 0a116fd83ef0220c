/*
 * buf.h: the one growable, size-capped string buffer (after curl's dynbuf).
 *
 * Every string built at run time goes through a struct buf. The data is always
 * NUL-terminated (data is "" for an empty buffer, never NULL after buf_init).
 * A buffer has a maximum size: an append that would pass it appends nothing
 * more, sets `truncated` and returns -1, so a runaway LLM response or a
 * candidate that prints gigabytes cannot exhaust memory.
 *
 * Ownership: the buffer owns data; buf_release frees it; buf_detach hands it
 * to the caller (who frees it with free()) and leaves the buffer empty.
 */
#ifndef OPTIMIZE_BUF_H
#define OPTIMIZE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#define BUF_DEFAULT_MAX ((size_t)64 << 20) /* 64 MiB */

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;    /* largest len allowed */
	int truncated; /* an append was refused because of max */
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0, BUF_DEFAULT_MAX, 0                                                     \
	}

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
char *buf_detach(struct buf *b);

int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Replace the contents with a formatted string. */
int buf_setf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read a whole file (up to b->max bytes; more sets truncated and returns -1). */
int buf_read_file(struct buf *b, const char *path);
/* Drop trailing whitespace. */
void buf_rtrim(struct buf *b);
/* NULL-safe pointer to the contents ("" when empty). */
const char *buf_str(const struct buf *b);

/*
 * Error convention (after git's error()): functions that can fail take a
 * `struct buf *err` (may be NULL) and return -1 after filling it with a
 * lower-case message without a final period. err_set replaces the message;
 * err_prefix adds context in front ("manifest 'x/optimize.json': ...").
 */
int err_set(struct buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_prefix(struct buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
