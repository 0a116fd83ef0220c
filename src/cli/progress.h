/*
 * progress.h: how the command layer shows the engine's events on stderr
 * (engine/events.h): notes by level, a progress bar for measured pairs on
 * a terminal, one aligned line per finished candidate. Shared by run, gate
 * and bench, so they read the same.
 */
#ifndef OPTIMIZE_PROGRESS_H
#define OPTIMIZE_PROGRESS_H

#include "engine/events.h"

struct cli_progress {
	int verbosity; /* -1 quiet, 0 default, 1.. verbose */
	int tty;       /* stderr is a terminal: a progress bar may be redrawn */
	int max_runs;  /* for the bar's length */
	int bar_shown; /* a bar is on the current line */
};

void cli_progress_note(void *ctx, enum note_level level, const char *msg);
void cli_progress_pair(void *ctx, const struct candidate *c, size_t n,
                       const struct stats_interval *ci);
/* "  c4 -O3 -march=native            accepted     ratio 0.842, ..." */
void cli_progress_outcome(struct cli_progress *pr, const struct candidate *c);

#endif
