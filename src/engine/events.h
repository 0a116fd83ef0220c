/*
 * events.h: what the engine tells its caller, and how.
 *
 * Nothing in the engine prints or exits. It reports through these callbacks,
 * which the command layer supplies (cmd_run prints progress lines and
 * rewrites report.json; cmd_gate and cmd_bench do their own thing), and it
 * returns an engine_status that the command layer maps to an exit code
 * (docs/exit-codes.md). Every callback may be NULL.
 */
#ifndef OPTIMIZE_EVENTS_H
#define OPTIMIZE_EVENTS_H

#include <stddef.h>

struct candidate;
struct run_view;
struct stats_interval;

enum engine_status {
	ENGINE_OK = 0,            /* done, with or without an improvement */
	ENGINE_ERROR = 1,         /* the tool itself failed (I/O, a child that cannot start) */
	ENGINE_SETUP = 2,         /* the target cannot be measured as asked (objective, counters) */
	ENGINE_BASELINE = 3,      /* the original does not build, verify or run; nondeterministic */
	ENGINE_PROPOSER = 4,      /* the proposer failed (the LLM cannot be used) */
	ENGINE_INTERRUPTED = 130, /* *cancel was set; results so far are kept */
};

enum note_level {
	NOTE_PROGRESS, /* "[t] building the original": shown unless quiet */
	NOTE_WARNING,  /* the machine is noisy, namespaces are missing: always worth reading */
	NOTE_DETAIL,   /* shown with -v */
};

struct engine_events {
	/* A line for a person: progress, a warning. Without a trailing newline. */
	void (*note)(void *ctx, enum note_level level, const char *msg);
	/* After each measured pair of a comparison (for a progress bar). */
	void (*pair)(void *ctx, const struct candidate *c, size_t n,
	             const struct stats_interval *ci);
	/* A candidate reached its final status (the original included, as id 0);
	 * also after a confirming re-measurement changed the winner. */
	void (*candidate_done)(void *ctx, const struct run_view *v, const struct candidate *c);
	void *ctx;
};

/* Formatted note through ev (NULL-safe). */
void engine_note(const struct engine_events *ev, enum note_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
