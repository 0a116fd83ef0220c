/*
 * view.h: the read-only view of one target's run, for the proposers that
 * choose what to try next and for the reports that show what happened.
 *
 * The scheduler (loop.c) owns the run and keeps the view current; readers
 * get a const pointer and cannot change the run. What a proposer wants to
 * say goes through view_note (the command layer decides whether to print
 * it); what it wants to stop goes back through its return value
 * (proposer.h). Nothing here depends on the scheduler, so the report does
 * not include loop.h and the loop does not include report.h.
 */
#ifndef OPTIMIZE_VIEW_H
#define OPTIMIZE_VIEW_H

#include <stddef.h>

#include "base/buf.h"
#include "base/strlist.h"
#include "engine/candidate.h"
#include "engine/events.h"
#include "engine/manifest.h"

struct pipeline;
struct objective;
struct machine_info;

struct run_view {
	const struct target *target;
	const char *run_id;
	const char *run_dir;            /* .optimize/runs/<run-id>/<target> */
	const char *state_dir;          /* .optimize (or --state-dir) */
	struct candidate *const *cands; /* cands[0] is the original */
	size_t ncands;
	int best;     /* id of the current best */
	int headline; /* id of the candidate whose measurement gives the headline; -1 = none */
	const struct pipeline *pipe;
	const struct engine_events *ev;
	double started; /* clock_mono_s() at the start */
	int stopped;    /* a budget, a proposer or an interrupt ended it */
	const char *stop_reason;
	int verbosity; /* for proposers that choose how much to say */
};

const struct candidate *view_best(const struct run_view *v);
const struct candidate *view_candidate(const struct run_view *v, int id);
/* The contents of relpath in candidate id's tree. */
int view_read_file(const struct run_view *v, int id, const char *relpath, struct buf *out,
                   struct buf *err);
/* The editable (and kernel) files of the original tree, relative paths. */
void view_editable_files(const struct run_view *v, struct strlist *out);
/* Files candidate id changes relative to the original. */
void view_changed_files(const struct run_view *v, int id, struct strlist *out);
/* Effective build settings of candidate id (zeroes for an unknown id). */
void view_config(const struct run_view *v, int id, struct cand_config *out);
/* The whole lineage label of candidate id ("llm r4c1 + -O3 -march=native"). */
void view_lineage(const struct run_view *v, int id, struct buf *out);

const struct objective *view_objective(const struct run_view *v);
const struct machine_info *view_machine(const struct run_view *v);
const char *view_machine_text(const struct run_view *v);
const char *view_pristine(const struct run_view *v);
int view_kernel_target(const struct run_view *v);
/* What report.json says about isolation: the network, and the user's tree. */
const char *view_isolation_net(const struct run_view *v);
const char *view_isolation_tree(const struct run_view *v);
/* And about the candidates' processes (PID namespace, /proc, /tmp, limits). */
const char *view_isolation_process(const struct run_view *v);

/*
 * Counters and hotspots of candidate id's timed run, through the pipeline
 * (the same isolation as every other run of candidate code). 0, or -1 with
 * the reason in out's hotspot error.
 */
int view_profile(const struct run_view *v, int id, struct profile *out);

/* A line for a person (engine_note through v->ev). */
void view_note(const struct run_view *v, enum note_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
