/*
 * executor_slurm.c: `--executor slurm`: the tasks of a suite as one Slurm
 * array job, task i on an exclusive node (docs/bench.md, "Slurm").
 *
 * What the executor keeps, in DIR/slurm/state.json (written atomically by
 * the submitting command only): the task command (so `optimize bench DIR
 * --resume` can run the same command again), the submissions (probe job,
 * array job, entries) and the node that answered the probe. What finished
 * is what the journal says; Slurm's states only say what is still queued or
 * running and why a task that wrote no row ended.
 *
 * Each pass: scontrol for the array jobs that still have entries without a
 * row, then the journal (in this order: a task that completed wrote its row
 * before it ended, so the row is seen). An entry without a row is active
 * (pending, running), or ended: failed ones are submitted again while they
 * have attempts left (1 + --retries), and when none is left they get a row
 * with the reason and the log. Cancelled or lost ones (scancel, or Slurm
 * forgot them) are submitted again when the command starts (a resume), not
 * while it waits: a person cancelled them.
 */
#include "bench/bench.h"
#include "bench/executor.h"
#include "bench/journal.h"
#include "bench/row.h"
#include "bench/slurm.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/json.h"
#include "base/util.h"
#include "base/xalloc.h"

struct slurm_cfg {
	struct slurm_opts o;
	struct strlist sbatch_args, exports;
	long retries;
	int detach;
	double poll_s;
};

/* What one pass found for one entry. */
enum entry_now { E_DONE, E_ACTIVE, E_FAILED, E_CANCELLED, E_NEW };

struct pass {
	struct bench_journal j;
	enum entry_now *now;
	char **why;  /* per entry: why it ended without a row (owned) */
	char *final; /* per entry: another attempt would end the same way */
	size_t pending, running, done, failed, cancelled;
};

struct slurm_exec {
	const struct bench_job *job;
	struct slurm_cfg cfg;
	cJSON *state; /* DIR/slurm/state.json */
	struct buf state_path, token;
	char *seen; /* per entry: its row was reported */
	const struct engine_events *ev;
	char last_line[256];
	int first_pass;
};

static int cfg_long(const char *key, const char *v, long lo, long hi, long *out, struct buf *err)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (end == v || *end || errno || *out < lo || *out > hi)
		return err_set(err, "--%s '%s': give a whole number from %ld to %ld", key, v, lo,
		               hi);
	return 0;
}

static int cfg_one(struct slurm_cfg *c, const char *key, const char *v, struct buf *err)
{
	long l;

	if (!strcmp(key, "partition"))
		c->o.partition = v;
	else if (!strcmp(key, "account"))
		c->o.account = v;
	else if (!strcmp(key, "time"))
		c->o.time = v;
	else if (!strcmp(key, "qos"))
		c->o.qos = v;
	else if (!strcmp(key, "sbatch-arg"))
		strlist_push(&c->sbatch_args, v);
	else if (!strcmp(key, "export")) {
		char *all = xstrdup(v), *save = NULL, *name;
		for (name = strtok_r(all, ",", &save); name; name = strtok_r(NULL, ",", &save))
			strlist_push(&c->exports, name);
		free(all);
	} else if (!strcmp(key, "max-parallel")) {
		if (cfg_long(key, v, 1, 1000000, &l, err) < 0)
			return -1;
		c->o.max_parallel = (size_t)l;
	} else if (!strcmp(key, "retries")) {
		if (cfg_long(key, v, 0, 100, &c->retries, err) < 0)
			return -1;
	} else if (!strcmp(key, "detach"))
		c->detach = strcmp(v, "0") != 0;
	else if (!strcmp(key, "poll")) {
		c->poll_s = strtod(v, NULL);
		if (!(c->poll_s >= 0.1 && c->poll_s <= 3600))
			return err_set(err, "--executor-opt poll=%s: give seconds from 0.1 to 3600",
			               v);
	} else {
		static const char *const known[] = {"partition",    "account", "time",   "qos",
		                                    "sbatch-arg",   "export",  "detach", "poll",
		                                    "max-parallel", "retries", NULL};
		const char *s = suggest_word(key, known);
		return err_set(err, "no Slurm setting '%s'%s%s%s", key, s ? " (did you mean '" : "",
		               s ? s : "", s ? "'?)" : "");
	}
	return 0;
}

/* job->options: "KEY=VALUE" (a switch: "KEY" or "KEY=1"). */
static int cfg_parse(const struct strlist *opts, struct slurm_cfg *c, struct buf *err)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->retries = 2;
	c->poll_s = 5;
	for (i = 0; opts && i < opts->n; i++) {
		const char *kv = opts->v[i], *eq = strchr(kv, '=');
		char *key = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
		int r = cfg_one(c, key, eq ? eq + 1 : "1", err);

		free(key);
		if (r < 0)
			return -1;
	}
	c->o.sbatch_args = &c->sbatch_args;
	c->o.export = &c->exports;
	return 0;
}

static void cfg_release(struct slurm_cfg *c)
{
	strlist_release(&c->sbatch_args);
	strlist_release(&c->exports);
}

/* ---- DIR/slurm/state.json ---- */

static int state_load(struct slurm_exec *x, struct buf *err)
{
	buf_setf(&x->state_path, "%s/slurm/state.json", x->job->out_dir);
	if (access(x->state_path.data, F_OK) < 0) {
		x->state = cJSON_CreateObject();
		json_add_number(x->state, "version", 1);
		json_add_array(x->state, "submissions");
		return 0;
	}
	x->state = json_parse_file(x->state_path.data, (size_t)16 << 20, err);
	if (!x->state || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(x->state, "submissions")))
		return err_set(err,
		               "%s is not a Slurm state file of optimize: remove it to start over",
		               x->state_path.data);
	return 0;
}

static int state_save(struct slurm_exec *x, struct buf *err)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; x->job->task_argv[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(x->job->task_argv[i]));
	cJSON_ReplaceItemInObjectCaseSensitive(x->state, "argv", a);
	if (!cJSON_GetObjectItemCaseSensitive(x->state, "argv"))
		cJSON_AddItemToObject(x->state, "argv", a);
	return json_write_file_atomic(x->state_path.data, x->state, 1, err);
}

static cJSON *submissions(const struct slurm_exec *x)
{
	return cJSON_GetObjectItemCaseSensitive(x->state, "submissions");
}

static int sub_has(const cJSON *sub, size_t i)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(
	                          sub, "tasks")) if (cJSON_IsNumber(t) &&
	                                             (size_t)t->valuedouble == i) return 1;
	return 0;
}

/* The last submission that ran entry i, and how many did. */
static const cJSON *last_sub(const struct slurm_exec *x, size_t i, int *attempts)
{
	const cJSON *s, *last = NULL;

	*attempts = 0;
	cJSON_ArrayForEach(s, submissions(x)) if (sub_has(s, i))
	{
		last = s;
		(*attempts)++;
	}
	return last;
}

/* ---- the submission ---- */

static int write_script(const char *dir, const char *name, const struct buf *text, struct buf *path,
                        struct buf *err)
{
	buf_setf(path, "%s/slurm/%s", dir, name);
	return file_write_atomic(path->data, text->data, text->len, 0755, err);
}

/* The token that tasks compare with DIR/slurm/probe: one per DIR, so tasks
 * of an earlier submission still find theirs. */
static int token_ensure(struct slurm_exec *x, struct buf *err)
{
	struct buf p = BUF_INIT;
	int r = 0;

	/* sbatch opens the logs' folder, it does not make it */
	buf_setf(&p, "%s/slurm/logs", x->job->out_dir);
	if (file_mkdirs(p.data, 0755, err) < 0) {
		buf_release(&p);
		return -1;
	}
	buf_setf(&p, "%s/slurm/probe", x->job->out_dir);
	buf_reset(&x->token);
	if (buf_read_file(&x->token, p.data) == 0 && x->token.len >= 32)
		buf_rtrim(&x->token);
	else
		r = slurm_probe_write(x->job->out_dir, &x->token, err);
	buf_release(&p);
	return r;
}

/* Submit entries tasks[0..n) as one array job (after a probe when DIR was
 * not found shared yet). 0 or -1 with err. */
static int submit(struct slurm_exec *x, const size_t *tasks, size_t n, struct buf *err)
{
	const char *dir = x->job->out_dir;
	struct strlist env = {0};
	struct buf text = BUF_INIT, path = BUF_INIT, probe = BUF_INIT, array = BUF_INIT;
	struct slurm_array a;
	cJSON *sub, *ts;
	int r = -1;
	size_t k;

	if (token_ensure(x, err) < 0 || slurm_export_env(x->cfg.o.export, &env, err) < 0)
		goto done;
	if (!json_get_string(x->state, "shared", NULL)) {
		if (slurm_probe_script(&x->cfg.o, dir, x->token.data, &text, err) < 0 ||
		    write_script(dir, "probe.sh", &text, &path, err) < 0 ||
		    slurm_submit(dir, path.data, NULL, &probe, err) < 0)
			goto done;
	}
	memset(&a, 0, sizeof(a));
	a.dir = dir;
	a.argv = x->job->task_argv;
	a.tasks = tasks;
	a.n = n;
	a.token = x->token.data;
	a.probe_job = probe.len ? probe.data : NULL;
	if (slurm_array_script(&x->cfg.o, &a, &text, err) < 0 ||
	    write_script(dir, "array.sh", &text, &path, err) < 0 ||
	    slurm_submit(dir, path.data, strlist_array(&env), &array, err) < 0) {
		if (probe.len)
			slurm_cancel(probe.data, NULL);
		goto done;
	}
	sub = cJSON_CreateObject();
	json_add_string(sub, "array", array.data);
	if (probe.len)
		json_add_string(sub, "probe", probe.data);
	json_add_number(sub, "time", clock_unix_s());
	ts = json_add_array(sub, "tasks");
	for (k = 0; k < n; k++)
		cJSON_AddItemToArray(ts, cJSON_CreateNumber((double)tasks[k]));
	cJSON_AddItemToArray(submissions(x), sub);
	r = state_save(x, err);
	slurm_array_spec(tasks, n, x->cfg.o.max_parallel, &text);
	engine_note(x->ev, NOTE_PROGRESS, "slurm: submitted array job %s (--array=%s)%s%s",
	            array.data, text.data, probe.len ? ", after probe job " : "",
	            probe.len ? probe.data : "");
done:
	strlist_release(&env);
	buf_release(&text);
	buf_release(&path);
	buf_release(&probe);
	buf_release(&array);
	return r;
}

/* ---- one pass ---- */

/* The last line of a task's log, for the reason of a row. */
static void log_tail(const char *path, struct buf *out)
{
	struct buf data = BUF_INIT;
	char *end, *start;

	if (buf_read_file(&data, path) == 0) {
		buf_rtrim(&data);
		end = data.data + data.len;
		start = end;
		/* the last two lines: a message and its hint */
		for (int lines = 0; start > data.data && lines < 2; lines++) {
			start--;
			while (start > data.data && start[-1] != '\n')
				start--;
		}
		if (end - start > 400)
			start = end - 400;
		buf_addstr(out, ": ");
		for (; start < end; start++)
			buf_addstr(out, *start == '\n' ? " / " : (char[]){*start, 0});
	}
	buf_release(&data);
}

/* Why task i of array job `job` ended without a row. */
static char *ended_why(const struct slurm_exec *x, size_t i, const char *job,
                       const struct slurm_task *t)
{
	struct buf b = BUF_INIT, log = BUF_INIT;

	slurm_task_log(x->job->out_dir, i, job, &log);
	if (!t)
		buf_addf(&b,
		         "slurm task %s_%zu is gone without a result (cancelled while pending, "
		         "or forgotten by Slurm)",
		         job, i);
	else if (t->state == SLURM_FAILED && t->exit_code == SLURM_EXIT_NOT_SHARED)
		buf_addf(&b,
		         "slurm task %s_%zu on node %s could not read the submitter's file in "
		         "%s: the output folder must be shared by every node",
		         job, i, t->node, x->job->out_dir);
	else
		buf_addf(&b, "slurm task %s_%zu %s (exit %d, signal %d) on node %s without a row",
		         job, i, t->slurm_state, t->exit_code, t->exit_signal,
		         t->node[0] ? t->node : "?");
	if (t && access(log.data, R_OK) == 0) {
		buf_addf(&b, "; log %s", log.data);
		log_tail(log.data, &b);
	}
	buf_release(&log);
	return buf_detach(&b);
}

/* Classify entry i, not in the journal, from its last submission. */
static enum entry_now classify(const struct slurm_exec *x, size_t i, const cJSON *sub,
                               const struct slurm_job_state *st, char **why, char *final)
{
	const char *job = json_get_string(sub, "array", "?");
	const struct slurm_task *t = slurm_job_task(st, (long)i);

	if (t && (t->state == SLURM_PENDING || t->state == SLURM_RUNNING))
		return E_ACTIVE;
	*why = ended_why(x, i, job, t);
	/* The task command's usage or suite error (exit 2), or a DIR it
	 * cannot see, is no accident: no retry. */
	*final = t && t->state == SLURM_FAILED &&
	         (t->exit_code == 2 || t->exit_code == SLURM_EXIT_NOT_SHARED);
	if (!t || t->state == SLURM_CANCELLED)
		return E_CANCELLED;
	return E_FAILED;
}

static void pass_release(struct pass *p, size_t n)
{
	size_t i;

	for (i = 0; p->why && i < n; i++)
		free(p->why[i]);
	free(p->why);
	free(p->final);
	free(p->now);
	bench_journal_release(&p->j);
	memset(p, 0, sizeof(*p));
}

/* Slurm's states of every array job with an entry still to do (one
 * scontrol each), then the journal. 0 or -1 with err. */
static int pass_read(struct slurm_exec *x, struct pass *p, struct buf *err)
{
	const struct bench_job *job = x->job;
	size_t n = job->ntotal, i, k;
	const cJSON **subs = xcalloc(n, sizeof(*subs));
	int *attempts = xcalloc(n, sizeof(*attempts)), r = 0;
	struct slurm_job_state *st = NULL;
	const char **ids = NULL;
	size_t nids = 0;

	memset(p, 0, sizeof(*p));
	p->now = xcalloc(n, sizeof(*p->now));
	p->why = xcalloc(n, sizeof(*p->why));
	p->final = xcalloc(n, 1);
	for (k = 0; k < job->ntodo; k++) {
		const char *id;
		size_t m;

		i = job->todo[k];
		subs[i] = last_sub(x, i, &attempts[i]);
		if (!subs[i])
			continue;
		id = json_get_string(subs[i], "array", "");
		for (m = 0; m < nids && strcmp(ids[m], id); m++)
			;
		if (m < nids)
			continue;
		ids = xrealloc(ids, (nids + 1) * sizeof(*ids));
		st = xrealloc(st, (nids + 1) * sizeof(*st));
		ids[nids] = id;
		if (slurm_job_query(id, &st[nids++], err) < 0) {
			r = -1;
			nids--;
			goto done;
		}
	}
	r = bench_journal_read(job->out_dir, &p->j, err);
	if (r != 0) {
		r = r < 0 ? -1 : err_set(err, "%s: the journal is gone", job->out_dir);
		goto done;
	}
	for (k = 0; k < job->ntodo; k++) {
		size_t m = 0;

		i = job->todo[k];
		if (i < p->j.n && p->j.state[i] == BENCH_DONE)
			p->now[i] = E_DONE;
		else if (!subs[i])
			p->now[i] = E_NEW;
		else {
			while (strcmp(ids[m], json_get_string(subs[i], "array", "")))
				m++;
			p->now[i] = classify(x, i, subs[i], &st[m], &p->why[i], &p->final[i]);
		}
		if (p->now[i] == E_DONE)
			p->done++;
		else if (p->now[i] == E_ACTIVE) {
			const struct slurm_task *t = slurm_job_task(&st[m], (long)i);
			if (t && t->state == SLURM_RUNNING)
				p->running++;
			else
				p->pending++;
		} else if (p->now[i] == E_FAILED)
			p->failed++;
		else if (p->now[i] == E_CANCELLED)
			p->cancelled++;
	}
done:
	for (k = 0; k < nids; k++)
		slurm_job_state_release(&st[k]);
	free(st);
	free(ids);
	free(subs);
	free(attempts);
	return r;
}

/* A row for entry i that Slurm could not run (no attempt left). */
static int give_up(struct slurm_exec *x, size_t i, const char *why, struct buf *err)
{
	const struct bench_entry *e = &x->job->run->suite->entries[i];
	cJSON *rec = cJSON_CreateObject(), *row = bench_row_failed(e, BENCH_ROW_ERROR, why);
	int r;

	json_add_string(rec, "record", "row");
	json_add_number(rec, "task", (double)i);
	json_add_string(rec, "target", e->name);
	json_add_number(rec, "time", clock_unix_s());
	cJSON_AddItemToObject(rec, "row", row);
	r = bench_journal_append(x->job->out_dir, rec, err);
	cJSON_Delete(rec);
	engine_note(x->ev, NOTE_WARNING, "%s: %s", e->name, why);
	return r;
}

/* ---- the loop ---- */

/* What to submit now (out, n), and rows for entries out of attempts. */
static int plan(struct slurm_exec *x, struct pass *p, size_t *out, size_t *n, struct buf *err)
{
	const struct bench_job *job = x->job;
	size_t k, i;
	int attempts;

	*n = 0;
	for (k = 0; k < job->ntodo; k++) {
		const char *name;

		i = job->todo[k];
		name = job->run->suite->entries[i].name;
		if (p->now[i] == E_NEW) {
			out[(*n)++] = i;
			continue;
		}
		if (p->now[i] != E_FAILED && p->now[i] != E_CANCELLED)
			continue;
		if (p->now[i] == E_CANCELLED && !x->first_pass) {
			/* cancelled while we wait: a person did it; a resume redoes it */
			if (!x->seen[i])
				engine_note(x->ev, NOTE_WARNING,
				            "%s: %s; `optimize bench %s --resume` submits it again",
				            name, p->why[i], job->out_dir);
			x->seen[i] = 2;
			continue;
		}
		last_sub(x, i, &attempts);
		if (attempts <= x->cfg.retries && !p->final[i]) {
			engine_note(x->ev, NOTE_PROGRESS,
			            "%s: %s; submitting it again (attempt %d of %ld)", name,
			            p->why[i], attempts + 1, x->cfg.retries + 1);
			out[(*n)++] = i;
		} else if (give_up(x, i, p->why[i], err) < 0) {
			return -1;
		} else {
			x->seen[i] = 1;
		}
	}
	return 0;
}

/* Has the probe answered? 0 (yes, or not yet), -2 with err when DIR is not
 * shared (the submission's array job is cancelled), -1 with err when Slurm
 * could not be asked. */
static int probe_check(struct slurm_exec *x, struct buf *err)
{
	const char *dir = x->job->out_dir, *probe = NULL, *array = NULL;
	struct slurm_job_state st;
	const struct slurm_task *t;
	struct buf node = BUF_INIT;
	const cJSON *s;
	int r;

	if (json_get_string(x->state, "shared", NULL))
		return 0;
	cJSON_ArrayForEach(s, submissions(x)) if (json_get_string(s, "probe", NULL))
	{
		probe = json_get_string(s, "probe", NULL);
		array = json_get_string(s, "array", NULL);
	}
	if (!probe || (!x->token.len && token_ensure(x, err) < 0))
		return probe ? -1 : 0;
	if (slurm_job_query(probe, &st, err) < 0)
		return -1;
	t = st.n ? &st.tasks[0] : NULL;
	r = slurm_probe_answer(dir, probe, x->token.data, &node, err);
	if (r == 0 && t && (t->state == SLURM_PENDING || t->state == SLURM_RUNNING)) {
		slurm_job_state_release(&st);
		return 0; /* not yet */
	}
	if (r == 1) {
		json_add_string(x->state, "shared", node.data);
		r = state_save(x, err);
		engine_note(x->ev, NOTE_PROGRESS,
		            "slurm: %s is shared with the nodes (probe job %s read it on %s)", dir,
		            probe, node.data);
	} else {
		if (r == 0)
			err_set(
			    err,
			    "the output folder %s is not shared with the Slurm nodes: probe job %s "
			    "(%s on node %s) did not answer through %s/slurm; put --output on a "
			    "file "
			    "system every node mounts at the same path",
			    dir, probe, t ? t->slurm_state : "gone",
			    t && t->node[0] ? t->node : "?", dir);
		if (array)
			slurm_cancel(array, NULL);
		r = r == 0 ? -2 : -1;
	}
	slurm_job_state_release(&st);
	buf_release(&node);
	return r;
}

/* Report rows that appeared, and the counts when they changed. */
static void report(struct slurm_exec *x, const struct pass *p)
{
	const struct bench_job *job = x->job;
	const struct bench_events *ev = job->run->ev;
	char line[256];
	size_t k, i;

	for (k = 0; k < job->ntodo; k++) {
		i = job->todo[k];
		if (p->now[i] != E_DONE || x->seen[i] == 1)
			continue;
		x->seen[i] = 1;
		if (ev && ev->task_done && p->j.rows[i])
			ev->task_done(ev->ctx, i, p->j.rows[i]);
	}
	snprintf(
	    line, sizeof(line),
	    "slurm: %zu of %zu targets done, %zu running, %zu pending, %zu failed, %zu cancelled",
	    p->done + (job->ntotal - job->ntodo), job->ntotal, p->running, p->pending, p->failed,
	    p->cancelled);
	if (strcmp(line, x->last_line)) {
		engine_note(x->ev, NOTE_PROGRESS, "%s", line);
		snprintf(x->last_line, sizeof(x->last_line), "%s", line);
	}
}

/* Sleep s seconds, waking at once when the suite is cancelled. */
static void nap(const struct bench_job *job, double s)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	double until = clock_mono_s() + s;

	while (clock_mono_s() < until && !(job->cancel && *job->cancel))
		nanosleep(&ts, NULL);
}

/* One submitter per DIR: the lock is held while the command runs. */
static int lock_dir(const char *dir, int *fd, struct buf *err)
{
	struct buf p = BUF_INIT;
	int r = 0;

	buf_setf(&p, "%s/slurm", dir);
	if (file_mkdirs(p.data, 0755, err) < 0) {
		buf_release(&p);
		return -1;
	}
	buf_addstr(&p, "/submit.lock");
	*fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		r = err_set(err, "cannot open %s: %s", p.data, strerror(errno));
	else if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
		r = err_set(err,
		            "another optimize bench is submitting or waiting on %s (%s is locked)",
		            dir, p.data);
	buf_release(&p);
	return r;
}

static int loop(struct slurm_exec *x, struct buf *err)
{
	const struct bench_job *job = x->job;
	size_t *todo = xcalloc(job->ntotal + 1, sizeof(*todo)), n, active;
	struct pass p;
	int r = 0;

	for (x->first_pass = 1;; x->first_pass = 0) {
		if (job->cancel && *job->cancel) {
			r = 1;
			break;
		}
		/* the probe of an earlier submission first: a new one needs none
		 * once DIR was found shared */
		memset(&p, 0, sizeof(p));
		r = probe_check(x, err);
		if (r < 0 || pass_read(x, &p, err) < 0 || plan(x, &p, todo, &n, err) < 0 ||
		    (n && submit(x, todo, n, err) < 0)) {
			pass_release(&p, job->ntotal);
			r = r == -2 ? BENCH_EXECUTOR_USAGE : -1;
			break;
		}
		report(x, &p);
		active = p.pending + p.running;
		pass_release(&p, job->ntotal);
		if (!n && !active)
			break;
		if (x->cfg.detach) {
			engine_note(
			    x->ev, NOTE_PROGRESS,
			    "slurm: detached; `optimize bench %s --resume` collects the results",
			    job->out_dir);
			r = BENCH_EXECUTOR_DETACHED;
			break;
		}
		nap(job, x->first_pass && n ? 0.5 : x->cfg.poll_s);
	}
	free(todo);
	return r;
}

static int slurm_run(const struct bench_job *job, struct buf *err)
{
	struct slurm_exec x;
	int fd = -1, r;

	memset(&x, 0, sizeof(x));
	x.job = job;
	x.ev = job->run->ev ? &job->run->ev->engine : NULL;
	x.seen = xcalloc(job->ntotal + 1, 1);
	r = cfg_parse(job->options, &x.cfg, err);
	if (r == 0)
		r = lock_dir(job->out_dir, &fd, err);
	if (r == 0)
		r = state_load(&x, err);
	if (r == 0)
		r = state_save(&x, err);
	if (r == 0)
		r = loop(&x, err);
	if (fd >= 0)
		close(fd);
	cJSON_Delete(x.state);
	buf_release(&x.state_path);
	buf_release(&x.token);
	free(x.seen);
	cfg_release(&x.cfg);
	return r;
}

const struct bench_executor bench_executor_slurm = {
    "slurm",
    "one Slurm array job, each target on an exclusive node (docs/bench.md, \"Slurm\")",
    slurm_run,
};

int bench_slurm_cancel(const char *dir, struct buf *err)
{
	struct buf path = BUF_INIT;
	cJSON *state, *s;
	int n = 0;

	buf_setf(&path, "%s/slurm/state.json", dir);
	state = json_parse_file(path.data, (size_t)16 << 20, err);
	buf_release(&path);
	if (!state)
		return -1;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(state, "submissions"))
	{
		const char *ids[2] = {json_get_string(s, "array", NULL),
		                      json_get_string(s, "probe", NULL)};
		for (int k = 0; k < 2; k++) {
			struct slurm_job_state st;
			size_t i;
			int live = 0;

			if (!ids[k] || slurm_job_query(ids[k], &st, err) < 0)
				continue;
			for (i = 0; i < st.n; i++)
				live |= st.tasks[i].state == SLURM_PENDING ||
				        st.tasks[i].state == SLURM_RUNNING;
			slurm_job_state_release(&st);
			if (live && slurm_cancel(ids[k], err) == 0)
				n++;
		}
	}
	cJSON_Delete(state);
	return n;
}

int bench_slurm_saved_argv(const char *dir, struct strlist *argv, struct buf *err)
{
	struct buf path = BUF_INIT;
	const cJSON *a, *v;
	cJSON *state;

	buf_setf(&path, "%s/slurm/state.json", dir);
	if (access(path.data, F_OK) < 0) {
		err_set(
		    err,
		    "%s has no Slurm submission (%s): run the command that made it again to resume",
		    dir, path.data);
		buf_release(&path);
		return -1;
	}
	state = json_parse_file(path.data, (size_t)16 << 20, err);
	buf_release(&path);
	if (!state)
		return -1;
	a = cJSON_GetObjectItemCaseSensitive(state, "argv");
	cJSON_ArrayForEach(v, a) if (cJSON_IsString(v)) strlist_push(argv, v->valuestring);
	cJSON_Delete(state);
	if (argv->n < 2)
		return err_set(err, "%s/slurm/state.json has no command to resume", dir);
	return 0;
}
