/*
 * executor.h: where the tasks of a suite run (docs/bench.md, "Executors").
 *
 * `optimize bench SUITE --output DIR [--executor NAME]` reads DIR's
 * journal, lists the entries that have no row yet (job->todo) and hands
 * them to an executor. An executor runs every task of the list somewhere
 * and returns when all have ended; it does not write rows itself: each
 * task appends its own row to the journal, so the journal says what
 * finished, whatever the executor reports. Afterwards the command reads
 * the journal again and renders the tables.
 *
 * Two ways to run task i:
 *   - in this process: job->run_task(job, i, err) (bench_task_run);
 *   - in another process, on this or another machine sharing DIR:
 *     job->task_argv plus "--task" and the index, i.e.
 *     `optimize bench SUITE --output DIR [the same options] --task I`,
 *     which runs the one task and exits 0 (row written), 130 (interrupted:
 *     no row) or 1 (the row could not be written); other codes as
 *     docs/exit-codes.md. DIR must be on a file system every node shares
 *     (the journal's flock must work on it).
 *
 * Adding an executor: a `const struct bench_executor` in its own file
 * (bench/executor_NAME.c) and one line in the table in executor.c.
 */
#ifndef OPTIMIZE_BENCH_EXECUTOR_H
#define OPTIMIZE_BENCH_EXECUTOR_H

#include <signal.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/strlist.h"

struct bench_run;

struct bench_job {
	const struct bench_run *run; /* the suite, DIR, the settings */
	const size_t *todo;          /* entry indexes to run, in suite order */
	size_t ntodo;
	size_t ntotal;                 /* entries of the suite */
	const char *out_dir;           /* DIR, absolute */
	const char *const *task_argv;  /* NULL-terminated: argv[0] is this binary (absolute) */
	const struct strlist *options; /* --executor-opt KEY=VALUE, for the executor */
	int jobs;                      /* --jobs: tasks that may run at once */
	volatile sig_atomic_t *cancel; /* stop starting tasks once set */
	/* Task i in this process: 0 row written, 1 interrupted, -1 error (err). */
	int (*run_task)(const struct bench_job *job, size_t i, struct buf *err);
};

struct bench_executor {
	const char *name;
	const char *help; /* one line for --help */
	/* Run every task of job->todo. 0 when each ended (with or without a
	 * row), 1 when interrupted, -1 with err when the executor failed,
	 * BENCH_EXECUTOR_DETACHED or BENCH_EXECUTOR_USAGE (with err). */
	int (*run)(const struct bench_job *job, struct buf *err);
};

/* The executor of that name, or NULL. */
const struct bench_executor *bench_executor_find(const char *name);
/* Every executor, NULL-terminated (for --help and "did you mean"). */
const struct bench_executor *const *bench_executors(void);

/* bench_executor.run's answer when the tasks go on without the command
 * (`--detach`): nothing to render yet. */
#define BENCH_EXECUTOR_DETACHED 2
/* bench_executor.run's answer when the suite cannot run where asked, a
 * usage error (exit 2) with err: `slurm`'s output folder not shared with
 * the nodes. */
#define BENCH_EXECUTOR_USAGE 3

extern const struct bench_executor bench_executor_local;
/* `local` with job->jobs > 1 (executor_local.c): the tasks as processes of
 * their own (job->task_argv + --task I), job->jobs at once, their output in
 * DIR/logs/task-I.log. Returns as bench_executor.run. */
int bench_local_parallel(const struct bench_job *job, struct buf *err);
extern const struct bench_executor bench_executor_slurm;

/* Slurm (executor_slurm.c): scancel the jobs of DIR's submissions that
 * still have tasks pending or running. How many, or -1 with err. */
int bench_slurm_cancel(const char *dir, struct buf *err);
/* Slurm: the task command recorded in DIR/slurm/state.json (argv[0] the
 * binary, argv[1] "bench", ..., "--output" DIR), for `--resume`. */
int bench_slurm_saved_argv(const char *dir, struct strlist *argv, struct buf *err);

#endif
