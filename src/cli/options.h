/*
 * options.h: command-line options declared once. A command lists its
 * options in a table; getopt_long's array and the --help text are both
 * generated from it (after git's parse-options and curl's option table).
 */
#ifndef OPTIMIZE_OPTIONS_H
#define OPTIMIZE_OPTIONS_H

#include <getopt.h>

#include "base/buf.h"

struct opt_spec {
	const char *name; /* long name, without -- */
	int key;          /* short letter, or a value >= 256 for long-only options */
	int has_arg;      /* no_argument / required_argument */
	const char *arg;  /* argument name shown in help, e.g. "N" */
	const char *help; /* one line */
};

/* Build getopt_long's arrays from a table terminated by {NULL}. Free *longopts. */
void opt_build(const struct opt_spec *specs, struct option **longopts, struct buf *shortopts);
/* The options part of --help, aligned. */
void opt_help(const struct opt_spec *specs, struct buf *out);
/* Parse helpers: 0 on success, -1 with a message naming the option. */
int opt_int(const char *name, const char *value, long min, long max, long *out, struct buf *err);
int opt_double(const char *name, const char *value, double min, double max, double *out,
               struct buf *err);

#endif
