/*
 * executor_local.c: `local` with --jobs N > 1: the suite's tasks as
 * processes of their own on this machine, N at once. See executor.h.
 *
 * One child through the process runner: `xargs -P N`, fed the entry
 * indexes, starts `TASK_ARGV --task I` for each (output to
 * DIR/logs/task-I.log), at most N at once. Tasks append their own rows to
 * the journal (under its lock, as Slurm tasks do) and hold the machine's
 * timing lock only while measuring (bench.c), so builds, verification and
 * LLM calls of several targets overlap while their timed runs never do.
 * While they run, the journal and the logs' last lines are read about once
 * a second and reported through bench_events.tasks.
 */
#include "bench/executor.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/proc.h"
#include "base/util.h"
#include "base/xalloc.h"
#include "bench/bench.h"
#include "bench/journal.h"

extern char **environ;

/* Replaced by xargs with the index; nothing else in the task's argv has it. */
#define TASK_MARK "@OPTIMIZE_TASK@"

struct watch {
	const struct bench_job *job;
	struct buf logs;
	double t0_mono, t0_unix, last;
};

/* The last non-empty line of a file (up to its last 4 KiB), cut to 100 bytes. */
static void last_line(const char *path, struct buf *out)
{
	char tail[4096];
	ssize_t n = 0;
	char *end, *start;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf_reset(out);
	if (fd < 0)
		return;
	if (lseek(fd, -(off_t)(sizeof(tail) - 1), SEEK_END) < 0)
		(void)lseek(fd, 0, SEEK_SET);
	n = read(fd, tail, sizeof(tail) - 1);
	close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	end = tail + n;
	while (end > tail && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = end;
	while (start > tail && start[-1] != '\n' && start[-1] != '\r')
		start--;
	buf_add(out, start, strnlen(start, 100));
}

/* Where the tasks stand, to bench_events.tasks. */
static void look(struct watch *w, int final)
{
	const struct bench_job *job = w->job;
	const struct bench_events *ev = job->run->ev;
	struct bench_journal j;
	struct bench_progress p;
	struct buf err = BUF_INIT, path = BUF_INIT;
	const char **name, **stage;
	struct buf *lines;

	if (!ev || !ev->tasks || bench_journal_read(job->out_dir, &j, &err) != 0) {
		buf_release(&err);
		return;
	}
	name = xcalloc(job->ntodo + 1, sizeof(*name));
	stage = xcalloc(job->ntodo + 1, sizeof(*stage));
	lines = xcalloc(job->ntodo + 1, sizeof(*lines));
	memset(&p, 0, sizeof(p));
	p.total = job->ntotal;
	p.todo = job->ntodo;
	p.elapsed_s = clock_mono_s() - w->t0_mono;
	p.final = final;
	for (size_t i = 0; i < j.n; i++)
		p.done += j.state[i] == BENCH_DONE;
	for (size_t k = 0; k < job->ntodo; k++) {
		size_t i = job->todo[k];
		/* a start of this run (an older one was cut short) */
		if (i >= j.n || j.state[i] != BENCH_STARTED || j.started[i] < w->t0_unix - 1)
			continue;
		name[p.running] = job->run->suite->entries[i].name;
		buf_setf(&path, "%s/task-%zu.log", w->logs.data, i);
		last_line(path.data, &lines[p.running]);
		stage[p.running] = lines[p.running].data ? lines[p.running].data : "";
		p.running++;
	}
	p.name = name;
	p.stage = stage;
	ev->tasks(ev->ctx, &p);
	for (size_t k = 0; k < job->ntodo; k++)
		buf_release(&lines[k]);
	free(lines);
	free(name);
	free(stage);
	bench_journal_release(&j);
	buf_release(&err);
	buf_release(&path);
}

static void tick(pid_t pid, void *ctx)
{
	struct watch *w = ctx;
	double now = clock_mono_s();

	(void)pid;
	if (now - w->last >= 1.0) {
		w->last = now;
		look(w, 0);
	}
}

/* After the tasks: each entry of the list without a row, named with its log. */
static int missing_rows(struct watch *w, struct buf *err)
{
	struct bench_journal j;
	int r = 0;

	if (bench_journal_read(w->job->out_dir, &j, err) != 0)
		return -1;
	for (size_t k = 0; k < w->job->ntodo; k++) {
		size_t i = w->job->todo[k];
		if (i < j.n && j.state[i] == BENCH_DONE)
			continue;
		if (!r++)
			buf_addstr(err, "tasks ended without their row:");
		buf_addf(err, " %s (%s/task-%zu.log)", w->job->run->suite->entries[i].name,
		         w->logs.data, i);
	}
	bench_journal_release(&j);
	return r ? -1 : 0;
}

/* The task command: sh, which sends the task's output to its log. */
static void task_command(const struct bench_job *job, const char *logs, struct strlist *argv)
{
	char n[32];

	snprintf(n, sizeof(n), "%d", job->jobs);
	strlist_push(argv, "xargs");
	strlist_push(argv, "-P");
	strlist_push(argv, n);
	strlist_push(argv, "-I");
	strlist_push(argv, TASK_MARK);
	strlist_push(argv, "sh");
	strlist_push(argv, "-c");
	strlist_push(argv, "d=$1; shift; exec \"$@\" --task " TASK_MARK " >\"$d/task-" TASK_MARK
	                   ".log\" 2>&1");
	strlist_push(argv, "sh");
	strlist_push(argv, logs);
	for (size_t i = 0; job->task_argv[i]; i++)
		strlist_push(argv, job->task_argv[i]);
}

int bench_local_parallel(const struct bench_job *job, struct buf *err)
{
	struct watch w;
	struct strlist argv = {0}, env = {0};
	struct buf in = BUF_INIT, in_path = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	struct proc_hooks hooks;
	const char *const *av, *const *ev;
	int r;

	memset(&w, 0, sizeof(w));
	w.job = job;
	buf_addf(&w.logs, "%s/logs", job->out_dir);
	buf_addf(&in_path, "%s/tasks.todo", w.logs.data);
	for (size_t k = 0; k < job->ntodo; k++)
		buf_addf(&in, "%zu\n", job->todo[k]);
	if (file_mkdirs(w.logs.data, 0755, err) < 0 ||
	    file_write_atomic(in_path.data, in.data, in.len, 0644, err) < 0) {
		r = -1;
		goto out;
	}
	task_command(job, w.logs.data, &argv);
	/* The tasks are this program: they get our environment, API keys
	 * included (the runner scrubs secret-looking names from children). */
	for (char **e = environ; e && *e; e++)
		if (proc_env_is_secret_entry(*e))
			strlist_push(&env, *e);
	av = strlist_array(&argv);
	ev = strlist_array(&env);
	proc_spec_init(&spec);
	spec.argv = av;
	spec.env_add = ev;
	spec.stdin_path = in_path.data;
	spec.cancel = job->cancel;
	spec.kill_grace_s = 20; /* the tasks stop their runs and exit 130 */
	memset(&hooks, 0, sizeof(hooks));
	hooks.tick = tick;
	hooks.ctx = &w;
	hooks.tick_ms = 250;
	spec.hooks = &hooks;
	w.t0_mono = w.last = clock_mono_s();
	w.t0_unix = clock_unix_s();
	memset(&res, 0, sizeof(res));
	r = proc_run(&spec, &res, err);
	look(&w, 1);
	if (r == 0 && (res.cancelled || (job->cancel && *job->cancel)))
		r = 1;
	else if (r == 0 && !proc_result_ok(&res))
		r = missing_rows(&w, err);
out:
	strlist_release(&argv);
	strlist_release(&env);
	buf_release(&in);
	buf_release(&in_path);
	buf_release(&w.logs);
	return r;
}
