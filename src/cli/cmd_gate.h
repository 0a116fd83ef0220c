/*
 * cmd_gate.h: private to the files of `optimize gate` (cmd_gate.c, the
 * comparison; cmd_gate_baseline.c, `gate record` and --baseline).
 */
#ifndef OPTIMIZE_CMD_GATE_H
#define OPTIMIZE_CMD_GATE_H

#include "base/buf.h"
#include "cli/progress.h"
#include "gate/gate.h"
#include "gate/gate_git.h"

struct gate_cmd {
	struct gate_options go;
	struct cli_progress pr;
	const char *tree, *base, *head, *baseline, *output;
	const char *markdown, *junit, *state_dir;
	int json, bisect, record, keep_work, inconclusive_fails;
};

/* What one invocation resolved and made. */
struct gate_run {
	struct gate_repo repo;
	struct buf base_commit, head_commit; /* full ids */
	struct buf base_tree, head_tree;     /* TREE in each checkout (head: maybe TREE itself) */
	struct buf gate_dir;                 /* <state>/gate/<run-id>: the checkouts */
	char *state, *run_id;
	int dirty; /* the work tree has uncommitted changes */
};
void gate_run_release(struct gate_run *g, int keep);

char *gate_cmd_run_id(void);
/* Resolve the revisions and make the checkouts: 0, or an exit status (err says why). */
int gate_cmd_prepare(struct gate_cmd *o, struct gate_run *g, struct buf *err);
/* r's base and head labels from what g resolved. */
void gate_cmd_labels(const struct gate_cmd *o, const struct gate_run *g, struct gate_result *r);
/* Markdown, JUnit, JSON, annotations: 0, or -1 when a file could not be written (said). */
int gate_cmd_outputs(const struct gate_cmd *o, const struct gate_result *r);
/* The exit status of a result (warning about inconclusive targets that pass). */
int gate_cmd_exit(const struct gate_cmd *o, const struct gate_result *r);

/* `gate record`: the whole command; returns its exit status. */
int gate_cmd_record(struct gate_cmd *o);
/* --baseline FILE: the head (g->head_tree) against the file, into r. */
enum engine_status gate_cmd_against_baseline(struct gate_cmd *o, struct gate_run *g,
                                             struct gate_result *r, struct buf *err);

#endif
