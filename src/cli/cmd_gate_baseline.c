/*
 * cmd_gate_baseline.c: `optimize gate record` and `gate --baseline FILE`.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmd_gate.h"

int gate_cmd_record(struct gate_cmd *o)
{
	(void)o;
	fprintf(stderr, "optimize gate record: not available yet\n");
	return EXIT_USAGE;
}

enum engine_status gate_cmd_against_baseline(struct gate_cmd *o, struct gate_run *g,
                                             struct gate_result *r, struct buf *err)
{
	(void)o;
	(void)g;
	(void)r;
	err_set(err, "--baseline is not available yet");
	return ENGINE_SETUP;
}
