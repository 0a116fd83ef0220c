#include "cli/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

void opt_build(const struct opt_spec *specs, struct option **longopts, struct buf *shortopts)
{
	size_t n = 0, i;
	struct option *lo;

	while (specs[n].name)
		n++;
	lo = xcalloc(n + 1, sizeof(*lo));
	buf_addch(shortopts, ':');
	for (i = 0; i < n; i++) {
		lo[i].name = specs[i].name;
		lo[i].has_arg = specs[i].has_arg;
		lo[i].val = specs[i].key;
		if (specs[i].key < 256) {
			buf_addch(shortopts, (char)specs[i].key);
			if (specs[i].has_arg == required_argument)
				buf_addch(shortopts, ':');
		}
	}
	*longopts = lo;
}

void opt_help(const struct opt_spec *specs, struct buf *out)
{
	size_t i;

	for (i = 0; specs[i].name; i++) {
		struct buf left = BUF_INIT;
		if (specs[i].key < 256)
			buf_addf(&left, "  -%c, --%s", specs[i].key, specs[i].name);
		else
			buf_addf(&left, "      --%s", specs[i].name);
		if (specs[i].arg)
			buf_addf(&left, " %s", specs[i].arg);
		if (left.len < 28)
			buf_addf(out, "%-28s%s\n", left.data, specs[i].help);
		else
			buf_addf(out, "%s\n%-28s%s\n", left.data, "", specs[i].help);
		buf_release(&left);
	}
}

int opt_int(const char *name, const char *value, long min, long max, long *out, struct buf *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max)
		return err_set(err, "option '--%s' expects an integer from %ld to %ld, not '%s'",
		               name, min, max, value);
	*out = v;
	return 0;
}

int opt_double(const char *name, const char *value, double min, double max, double *out,
               struct buf *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || *end || !(v >= min && v <= max))
		return err_set(err, "option '--%s' expects a number from %g to %g, not '%s'", name,
		               min, max, value);
	*out = v;
	return 0;
}
