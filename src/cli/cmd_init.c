/*
 * cmd_init.c: `optimize init [TREE]`: write a first TREE/optimize.json for a
 * Make, CMake or Meson project or a single source file (engine/manifest_init.h),
 * never over an existing one, and say what is left to fill in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "engine/manifest_init.h"

const struct opt_spec init_options[] = {
    {"print", 'p', no_argument, NULL, "print the manifest on stdout instead of writing it"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

static void init_usage(FILE *f)
{
	struct buf b = BUF_INIT;

	opt_help(init_options, &b);
	fprintf(f,
	        "usage: optimize init [options] [TREE]\n\n"
	        "Write a first TREE/optimize.json for a Make, CMake or Meson project or a single\n"
	        "C or C++ file: its build line hands the flag search's flags to the build\n"
	        "system, and the original builds with the project's own flags. 'run' and\n"
	        "'verify' are placeholders that fail until you fill them in; then\n"
	        "'optimize check TREE' tries the manifest without measuring. An existing\n"
	        "optimize.json is never overwritten.\n\n%s\n"
	        "Exit status: 0 written, 1 internal error, 2 usage error, the tree was not\n"
	        "recognized or optimize.json exists (docs/exit-codes.md).\n",
	        b.data);
	buf_release(&b);
}

/* Create path with text; never replaces a file (O_EXCL). 0, or -1 with err. */
static int write_new(const char *path, const struct buf *text, struct buf *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return err_set(err, "cannot create '%s': %s", path, strerror(errno));
	if (fd_write_all(fd, text->data, text->len) < 0 || fsync(fd) < 0) {
		err_set(err, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) < 0) {
		unlink(path);
		return err_set(err, "cannot write '%s': %s", path, strerror(errno));
	}
	return 0;
}

static void say_next(const struct tree_guess *g, const char *tree, const char *path)
{
	fprintf(stderr, "optimize init: wrote %s for a %s tree (%s)\n", path,
	        tree_kind_name(g->kind), g->build_file);
	if (!g->guessed)
		fprintf(stderr,
		        "  the program's name was not found in %s: 'PROGRAM' stands for it\n",
		        g->build_file);
	fprintf(stderr,
	        "next:\n"
	        "  1. replace the \"TODO: ...\" of \"run\" with the command to time (its benchmark "
	        "input)\n"
	        "  2. replace the one of \"verify\" with commands whose output shows the program "
	        "is correct\n"
	        "  3. check \"editable\" and \"outputs\", then: optimize check %s\n",
	        tree);
}

int cmd_init(int argc, char **argv, struct cli_ctx *ctx)
{
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT, err = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
	struct tree_guess g = {0};
	const char *tree = ".";
	int c, print = 0, code = EXIT_OK;

	(void)ctx;
	opt_build(init_options, &longopts, &shortopts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts.data, longopts, NULL)) != -1) {
		if (c == 'p') {
			print = 1;
		} else if (c == 'h') {
			init_usage(stdout);
			goto out;
		} else {
			fprintf(stderr, "optimize init: %s '%s'\n(see 'optimize init --help')\n",
			        c == ':' ? "option needs a value:" : "unknown option",
			        argv[optind - 1]);
			code = EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc)
		tree = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "optimize init: unexpected argument '%s' (one TREE only)\n",
		        argv[optind]);
		code = EXIT_USAGE;
		goto out;
	}
	buf_addf(&path, "%s/optimize.json", tree);
	if (!print && access(path.data, F_OK) == 0) {
		fprintf(stderr,
		        "optimize init: '%s' already exists; it is left as it is (edit it, or "
		        "remove it to start again)\n",
		        path.data);
		code = EXIT_USAGE;
		goto out;
	}
	if (manifest_init_detect(tree, &g, &err) < 0) {
		fprintf(stderr, "optimize init: '%s': %s\n", tree, err.data);
		code = EXIT_USAGE;
		goto out;
	}
	manifest_init_text(&g, &text);
	if (print) {
		fputs(text.data, stdout);
	} else if (write_new(path.data, &text, &err) < 0) {
		fprintf(stderr, "optimize init: %s\n", err.data);
		code = errno == EEXIST ? EXIT_USAGE : EXIT_FAILURE_INTERNAL;
	} else {
		say_next(&g, tree, path.data);
	}
out:
	tree_guess_release(&g);
	free(longopts);
	buf_release(&shortopts);
	buf_release(&err);
	buf_release(&path);
	buf_release(&text);
	return code;
}
