/*
 * cmd_gate_baseline.c: `optimize gate record TREE --output FILE` and
 * `optimize gate TREE --baseline FILE` (the measuring is gate/gate_baseline.c).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cli/cli.h"
#include "cli/cmd_gate.h"
#include "gate/gate_baseline.h"

#define BASELINE_MAX_BYTES ((size_t)64 << 20)

int gate_cmd_record(struct gate_cmd *o)
{
	struct gate_run g = {.base_commit = BUF_INIT,
	                     .head_commit = BUF_INIT,
	                     .base_tree = BUF_INIT,
	                     .head_tree = BUF_INIT,
	                     .gate_dir = BUF_INIT};
	struct buf err = BUF_INIT, commit = BUF_INIT;
	cJSON *doc = NULL;
	enum engine_status st;
	int code = gate_cmd_prepare(o, &g, &err);

	if (code) {
		fprintf(stderr, "optimize gate record: %s\n", err.data);
		goto out;
	}
	o->go.state_dir = g.state;
	buf_addstr(&commit, buf_str(&g.head_commit));
	st = gate_baseline_record(&o->go, g.head_tree.data, g.run_id,
	                          commit.len ? commit.data : NULL, !o->head && g.dirty, &doc, &err);
	if (st != ENGINE_OK) {
		fprintf(stderr, "optimize gate record: %s\n", err.data);
		code = st == ENGINE_SETUP         ? EXIT_USAGE
		       : st == ENGINE_BASELINE    ? EXIT_BASELINE
		       : st == ENGINE_INTERRUPTED ? EXIT_INTERRUPTED
		                                  : EXIT_FAILURE_INTERNAL;
		goto out;
	}
	if (json_write_file_atomic(o->output, doc, 1, &err) < 0) {
		fprintf(stderr, "optimize gate record: %s\n", err.data);
		code = EXIT_FAILURE_INTERNAL;
		goto out;
	}
	if (o->pr.verbosity >= 0) {
		const cJSON *t;
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(doc, "targets"))
		{
			fprintf(stderr, "recorded '%s': %s %.6g %s (%s)\n",
			        json_get_string(t, "name", ""), json_get_string(t, "objective", ""),
			        json_get_number(t, "value", 0), json_get_string(t, "unit", ""),
			        json_get_string(t, "source", ""));
			if (!json_get_bool(t, "deterministic", 0))
				fprintf(stderr,
				        "warning: '%s' is a wall-time baseline: timings from "
				        "another job "
				        "are not comparable; prefer --objective instructions "
				        "--counters "
				        "cachegrind for a stored baseline\n",
				        json_get_string(t, "name", ""));
		}
	}
	fprintf(stderr, "wrote %s\n", o->output);
out:
	cJSON_Delete(doc);
	gate_run_release(&g, o->keep_work);
	buf_release(&err);
	buf_release(&commit);
	return code;
}

enum engine_status gate_cmd_against_baseline(struct gate_cmd *o, struct gate_run *g,
                                             struct gate_result *r, struct buf *err)
{
	cJSON *b = json_parse_file(o->baseline, BASELINE_MAX_BYTES, err);
	struct buf label = BUF_INIT;
	enum engine_status st;

	if (!b) {
		err_prefix(err, "--baseline: ");
		return ENGINE_SETUP;
	}
	buf_addf(&label, "%s (recorded at %.10s by optimize %s)", o->baseline,
	         json_get_string(b, "commit", "an unknown commit"),
	         json_get_string(b, "tool_version", "?"));
	free(r->base_label);
	r->base_label = buf_detach(&label);
	st = gate_baseline_compare(&o->go, g->head_tree.data, g->run_id, b, o->baseline, r, err);
	cJSON_Delete(b);
	return st;
}
