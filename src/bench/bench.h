/*
 * bench.h: `optimize bench`: one suite, run target by target into an
 * output folder DIR, each finished target a row in DIR's journal
 * (journal.h), the tables and charts rendered from the journal (docs/bench.md).
 *
 * The unit of work is the task: "run entry i of the suite into DIR and
 * record its row in the journal" (bench_task_run). Executors (executor.h)
 * decide where tasks run: `local` runs them in this process one after the
 * other; others (Slurm) start `optimize bench SUITE --output DIR --task I`
 * elsewhere, which calls bench_task_run there. A task is what `optimize
 * run` does on that target (run/target_run.h: the same proposers, pipeline,
 * loop and report files), plus the head-to-head against the presets.
 *
 * Layout of DIR:
 *   journal.jsonl            the journal: the only source of the tables
 *   targets/<entry>/         the entry's state directory: runs/bench/<target>/
 *                            report.json, best/, best.patch, transcript.md
 *   cache/                   the LLM response cache (unless --cache-dir)
 *   table.md, table.csv, table.json, table.tex, speedups.svg|png, fast_p.svg|png
 *
 * Nothing here prints: progress goes through bench_events.
 */
#ifndef OPTIMIZE_BENCH_H
#define OPTIMIZE_BENCH_H

#include <signal.h>
#include <stddef.h>

#include "base/buf.h"
#include "bench/suite.h"
#include "engine/events.h"
#include "run/target_run.h"

struct cJSON;

/* Where a suite stands while tasks run elsewhere (bench_events.tasks). */
struct bench_progress {
	size_t total;             /* entries of the suite */
	size_t done, running;     /* entries with a row; started without one, in this run */
	size_t todo;              /* entries this run set out to do */
	double elapsed_s;         /* since this run started its tasks */
	const char *const *name;  /* the running entries' names (running of them) */
	const char *const *stage; /* the last line each printed ("" when none yet) */
	int final;                /* the last call: every task ended */
};

struct bench_events {
	/* Entry i (of n) starts. */
	void (*task_start)(void *ctx, size_t i, size_t n, const char *name);
	/* Entry i finished; row is the journal's row (row.h). */
	void (*task_done)(void *ctx, size_t i, const struct cJSON *row);
	/* Tasks running in other processes (the local executor with --jobs N):
	 * called about once a second while they run, and once when all ended. */
	void (*tasks)(void *ctx, const struct bench_progress *p);
	/* The engine's notes and pairs of the target being run (may be NULL). */
	struct engine_events engine;
	void *ctx;
};

struct bench_run {
	const struct bench_suite *suite;
	const char *out_dir;           /* absolute; exists */
	const struct run_settings *rs; /* everything but po.target, state_dir and run_id */
	const char *command;           /* the command line, for the journal */
	const char *proposer;          /* "flags", "llm+flags", ...: for the journal */
	const char *lock_path;         /* the timing lock (NULL = bench_lock_default) */
	int keep_work;                 /* keep the candidates' workspaces */
	int no_presets;                /* skip the preset head-to-head */
	const struct bench_events *ev;
	volatile sig_atomic_t *cancel;
};

/* "/tmp/optimize-bench.lock", or $OPTIMIZE_BENCH_LOCK: one per machine. */
const char *bench_lock_default(void);

/*
 * The suite record of the journal: the entries, the settings, the
 * environment fingerprint (CPU, compiler, tool version and commit, model,
 * seeds). Caller owns it.
 */
struct cJSON *bench_suite_record(const struct bench_run *b);

/*
 * Write the suite record into DIR's journal unless it has one; when it has,
 * check it is this suite's. 0, or -1 with err (another suite's journal).
 */
int bench_journal_prepare(const struct bench_run *b, struct buf *err);

/*
 * The task: run entry i into DIR and append its row to the journal. The
 * entry's earlier leftovers (a run cut short) are removed first. Timing
 * runs hold the machine's timing lock, so tasks of any process never
 * measure at the same time. An invalid manifest, an original that does not
 * build or is nondeterministic still give a row (with the reason).
 * ENGINE_OK when a row was written; ENGINE_INTERRUPTED when cancelled (no
 * row: the entry is redone next time); ENGINE_ERROR with err when the row
 * could not be written.
 */
enum engine_status bench_task_run(const struct bench_run *b, size_t i, struct buf *err);

#endif
