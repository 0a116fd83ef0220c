/*
 * journal.h: the progress of a suite, DIR/journal.jsonl (docs/bench.md).
 *
 * Append-only, one JSON object per line, each appended under an exclusive
 * lock (flock), written with one write(2) and fsync'd before the call
 * returns, so a record that returned is on disk and records of concurrent
 * writers (Slurm array tasks sharing DIR) never interleave. A line torn by
 * a kill -9 is ignored when read, and the next append starts a fresh line.
 *
 * Records ("record" names the kind):
 *   suite  the suite, its entries' names, the settings and the environment
 *          fingerprint; the first line, written once (bench_journal_init)
 *   start  entry "task" started (time, host, pid)
 *   row    entry "task" finished: "row" is its table row (row.h)
 *
 * An entry with a row is finished and never run again; one with a start
 * and no row was cut short and is redone from its start; the last row of
 * an entry wins (a forced rerun appends a new one).
 */
#ifndef OPTIMIZE_BENCH_JOURNAL_H
#define OPTIMIZE_BENCH_JOURNAL_H

#include <stddef.h>

#include "base/buf.h"

struct cJSON;

#define BENCH_JOURNAL_FILE    "journal.jsonl"
#define BENCH_JOURNAL_SCHEMA  "optimize.bench.journal"
#define BENCH_JOURNAL_VERSION 1

enum bench_task_state { BENCH_TODO, BENCH_STARTED, BENCH_DONE };

struct bench_journal {
	struct cJSON *suite;          /* the suite record (borrowed from all) */
	size_t n;                     /* entries, from the suite record */
	enum bench_task_state *state; /* per entry */
	struct cJSON **rows;        /* per entry: the last row record's "row" (borrowed from all) */
	double *started, *finished; /* per entry: the times of its last start and row record */
	struct cJSON *all;          /* every record read, an array (owned) */
	size_t torn;                /* lines that did not parse (a torn last write) */
};

/* Append one record (a line) to dir's journal: locked, one write, fsync. */
int bench_journal_append(const char *dir, const struct cJSON *rec, struct buf *err);
/* The suite record, as the first line, unless the journal already has one
 * (checked under the same lock, so concurrent starters write it once). */
int bench_journal_init(const char *dir, const struct cJSON *suite_rec, struct buf *err);

/*
 * Read dir's journal. 0 (j filled), 1 when there is none yet (j empty),
 * -1 with err (unreadable, or no suite record).
 */
int bench_journal_read(const char *dir, struct bench_journal *j, struct buf *err);
void bench_journal_release(struct bench_journal *j);

/*
 * The entry names a suite record lists, compared with names[0..n): 0 when
 * they are the same suite, -1 with err saying what differs.
 */
int bench_journal_same_suite(const struct bench_journal *j, const char *const *names, size_t n,
                             struct buf *err);

/* The index of entry `name` in the journal's suite record, or -1. */
long bench_journal_index(const struct bench_journal *j, const char *name);

#endif
