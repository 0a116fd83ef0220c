/*
 * slurm.h: Slurm from the submitting side, for `optimize bench --executor
 * slurm` (docs/bench.md, "Slurm"): the array job's script, sbatch, the
 * states of its tasks (scontrol), scancel. Every Slurm command runs through
 * the one process runner (base/proc.h); nothing here prints.
 *
 * A submission is two jobs:
 *   - the probe: a small job that reads a file the submitter wrote into
 *     DIR (a random token) and writes the token back with its node's name.
 *     The submitter checks the answer: DIR must be a folder that the nodes
 *     and the submitting machine share, both ways (the journal, the results
 *     and the logs live there);
 *   - the array: `sbatch --array=LIST%N`, task i runs `ARGV --task i` on an
 *     exclusive node allocation, after the probe succeeded
 *     (--dependency=afterok, --kill-on-invalid-dep=yes), and checks the
 *     token itself first (another node may not share DIR): exit
 *     SLURM_EXIT_NOT_SHARED when it cannot read it.
 *
 * Secrets: the scripts hold option values, paths and the command only. The
 * tasks get their environment from sbatch's (--export=ALL); variables whose
 * names look like secrets (proc_env_is_secret, the LLM API key) are
 * scrubbed by the process runner, so those the user names in
 * slurm_opts.export are handed to the sbatch process itself, in its
 * environment: never in a file, never on a command line.
 */
#ifndef OPTIMIZE_BENCH_SLURM_H
#define OPTIMIZE_BENCH_SLURM_H

#include <signal.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/strlist.h"

/* A task that could not read the probe file exits with this. */
#define SLURM_EXIT_NOT_SHARED 97

struct slurm_opts {
	const char *partition; /* --partition; NULL = the site's default */
	const char *account;   /* --account */
	const char *time;      /* --time, Slurm's format (MM, HH:MM:SS, D-HH) */
	const char *qos;       /* --qos */
	/* --sbatch-arg: extra sbatch options, one argument each ("--mem=4G"),
	 * written after the tool's own #SBATCH lines, so they win. */
	const struct strlist *sbatch_args;
	/* --export: names of the variables the tasks must get from the
	 * submitter's environment although they look like secrets. */
	const struct strlist *export;
	size_t max_parallel;  /* the array's %N; 0 = as many as Slurm starts */
	const char *job_name; /* NULL = "optimize-bench" */
};

/*
 * The array job: DIR, the command of a task and the tasks to run. The
 * array index of a task is its entry index, so `--array` lists exactly the
 * entries given (an entry resubmitted alone keeps its index).
 */
struct slurm_array {
	const char *dir;         /* DIR, absolute: the scripts, logs and probe live in DIR/slurm */
	const char *const *argv; /* NULL-terminated; "--task" and the index are appended */
	const size_t *tasks;     /* entry indexes, ascending */
	size_t n;
	const char *token;     /* the probe's token (slurm_probe_write) */
	const char *probe_job; /* the probe's job id (afterok dependency); NULL = none */
};

/* "0-2,5,7-9%2": the indexes (ascending) as sbatch's --array list, with %N
 * when max_parallel > 0. */
void slurm_array_spec(const size_t *tasks, size_t n, size_t max_parallel, struct buf *out);

/*
 * The array job's script (replacing out): #SBATCH lines, the token check,
 * then `exec ARGV --task "$SLURM_ARRAY_TASK_ID"`. Task logs go to
 * DIR/slurm/logs/task-<index>.<jobid>.log, one per attempt. -1 with err
 * when a value cannot go into an #SBATCH line (a newline, or white space
 * or a quote in a value the tool writes: sbatch does not unquote them).
 */
int slurm_array_script(const struct slurm_opts *o, const struct slurm_array *a, struct buf *out,
                       struct buf *err);

/* The probe's script: the same partition, account, qos and sbatch
 * arguments, one task, not exclusive. */
int slurm_probe_script(const struct slurm_opts *o, const char *dir, const char *token,
                       struct buf *out, struct buf *err);

/* DIR/slurm/logs/task-<i>.<job>.log */
void slurm_task_log(const char *dir, size_t i, const char *job, struct buf *out);

/*
 * Write a fresh random token to DIR/slurm/probe (atomically) and into
 * token (replacing it). 0 or -1 with err.
 */
int slurm_probe_write(const char *dir, struct buf *token, struct buf *err);
/*
 * The probe's answer in DIR/slurm/probe.<job>.reply: 1 when it holds the
 * token (node, replacing it, names the node that read it), 0 when there is
 * none (yet), -1 with err when it holds something else.
 */
int slurm_probe_answer(const char *dir, const char *job, const char *token, struct buf *node,
                       struct buf *err);

/* ---- the cluster: sbatch, scontrol, scancel ---- */

/*
 * Submit a script file with sbatch (--parsable), from DIR: job (replacing
 * it) is the job id. env_add: "NAME=value" entries for sbatch's
 * environment (the exported secrets). 0 or -1 with err (sbatch's message).
 */
int slurm_submit(const char *dir, const char *script_path, const char *const *env_add,
                 struct buf *job, struct buf *err);

/*
 * The "NAME=value" entries that hand the --export variables to sbatch's
 * environment (appended to env_add). -1 with err when one is not set here
 * or is not a variable name.
 */
int slurm_export_env(const struct strlist *names, struct strlist *env_add, struct buf *err);

/* scancel JOB (a job, or JOB_I for one task). 0 or -1 with err. */
int slurm_cancel(const char *job, struct buf *err);

enum slurm_state {
	SLURM_UNKNOWN,   /* the job does not list this task (never started, or forgotten) */
	SLURM_PENDING,   /* PENDING, CONFIGURING, REQUEUED, RESIZING, SUSPENDED */
	SLURM_RUNNING,   /* RUNNING, COMPLETING */
	SLURM_COMPLETED, /* exit 0 */
	SLURM_FAILED, /* FAILED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, BOOT_FAIL, DEADLINE, PREEMPTED
	               */
	SLURM_CANCELLED, /* CANCELLED (scancel, or a dependency that can never be met) */
};

const char *slurm_state_name(enum slurm_state s);

struct slurm_task {
	long index; /* the array index; -1 for the job itself (not an array) */
	enum slurm_state state;
	char slurm_state[32]; /* Slurm's word: "TIMEOUT" */
	char reason[64];      /* Slurm's Reason= (pending: "Dependency", "Resources") */
	char node[64];        /* BatchHost=, "" when none yet */
	int exit_code;        /* ExitCode=N:S: N */
	int exit_signal;      /* S */
};

struct slurm_job_state {
	int known;                /* scontrol knows the job */
	struct slurm_task *tasks; /* one per task listed (pending ranges expanded) */
	size_t n;
};

/*
 * The states of job's tasks from `scontrol -o show job JOB`. A job
 * scontrol no longer knows (MinJobAge passed, or a cluster restarted
 * without its state) gives known = 0 and no tasks. A pending task cancelled
 * with scancel is not listed at all (its state is then SLURM_UNKNOWN
 * through slurm_job_task): callers tell "cancelled" from the absence of its
 * result. 0, or -1 with err (scontrol could not be run or failed otherwise).
 */
int slurm_job_query(const char *job, struct slurm_job_state *st, struct buf *err);
/* The same, from scontrol's output (for tests). */
int slurm_job_parse(const char *text, struct slurm_job_state *st, struct buf *err);
void slurm_job_state_release(struct slurm_job_state *st);
/* Task `index` of the job, or NULL. */
const struct slurm_task *slurm_job_task(const struct slurm_job_state *st, long index);

#endif
