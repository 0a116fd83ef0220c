/*
 * cmd_apply.c: `optimize apply --recover [TREE]`: finish an --apply that was
 * killed between its renames (engine/apply.h). `optimize run` does the same
 * first thing on every start; this command does it alone.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "engine/apply.h"

enum { OPT_RECOVER = 256, OPT_STATE_DIR };

const struct opt_spec apply_options[] = {
    {"recover", OPT_RECOVER, no_argument, NULL,
     "complete (or roll back) an --apply that was interrupted"},
    {"state-dir", OPT_STATE_DIR, required_argument, "DIR",
     "the state directory the run used (default TREE/.optimize)"},
    {"help", 'h', no_argument, NULL, "show this help"},
    {NULL, 0, 0, NULL, NULL},
};

static void apply_usage(FILE *f)
{
	struct buf b = BUF_INIT;

	opt_help(apply_options, &b);
	fprintf(f,
	        "usage: optimize apply --recover [options] [TREE]\n\n"
	        "An interrupted 'optimize run --apply' leaves a journal in the state directory.\n"
	        "--recover finishes it: before every new file was written and synced it rolls\n"
	        "back (the tree is as it was), after that it completes the renames. No\n"
	        "temporary file is left. 'optimize run' does this itself when it starts.\n\n"
	        "options:\n%s",
	        b.data);
	buf_release(&b);
}

int cmd_apply(int argc, char **argv, struct cli_ctx *ctx)
{
	struct option *longopts = NULL;
	struct buf shortopts = BUF_INIT, err = BUF_INIT, dir = BUF_INIT;
	struct strlist what = {0};
	const char *state = NULL, *tree = ".";
	int c, recover = 0, r, code = EXIT_OK;

	(void)ctx;
	opt_build(apply_options, &longopts, &shortopts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts.data, longopts, NULL)) != -1) {
		if (c == OPT_RECOVER) {
			recover = 1;
		} else if (c == OPT_STATE_DIR) {
			state = optarg;
		} else {
			free(longopts);
			buf_release(&shortopts);
			if (c != 'h')
				fprintf(stderr, "optimize apply: unknown option '%s'\n",
				        argv[optind - 1]);
			apply_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_OK : EXIT_USAGE;
		}
	}
	free(longopts);
	buf_release(&shortopts);
	if (optind < argc)
		tree = argv[optind++];
	if (!recover || optind < argc) {
		fprintf(stderr, "optimize apply: %s\n",
		        !recover ? "say --recover (a run applies its winner with 'optimize run "
		                   "--apply')"
		                 : "one TREE only");
		return EXIT_USAGE;
	}
	if (!state) {
		buf_addf(&dir, "%s/.optimize", tree);
		state = dir.data;
	}
	r = apply_recover(state, &what, &err);
	if (r < 0) {
		fprintf(stderr, "optimize apply: %s\n", err.data);
		code = EXIT_FAILURE_INTERNAL;
	} else if (r == 0) {
		fprintf(stderr, "optimize apply: nothing to recover in '%s'\n", state);
	} else {
		for (size_t i = 0; i < what.n; i++)
			fprintf(stderr, "%s %s\n", r == 1 ? "completed" : "rolled back", what.v[i]);
		fprintf(stderr, "optimize apply: the interrupted --apply was %s\n",
		        r == 1 ? "completed" : "rolled back; the tree is as it was");
	}
	strlist_release(&what);
	buf_release(&err);
	buf_release(&dir);
	return code;
}
