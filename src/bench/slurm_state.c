/*
 * The cluster side of slurm.h: sbatch, scancel and the tasks' states from
 * scontrol, each run through the process runner.
 *
 * Why scontrol and not sacct: without accounting storage (slurmdbd) sacct
 * knows nothing, and many small clusters have none; scontrol lists a job's
 * tasks, finished ones included, until MinJobAge passes. After that, and
 * for a pending task that scancel removed (Slurm keeps no trace of it), the
 * caller goes by the results the tasks wrote.
 */
#include "bench/slurm.h"
#include "base/proc.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLURM_CMD_TIMEOUT_S 60.0

const char *slurm_state_name(enum slurm_state s)
{
	switch (s) {
	case SLURM_UNKNOWN:
		return "unknown";
	case SLURM_PENDING:
		return "pending";
	case SLURM_RUNNING:
		return "running";
	case SLURM_COMPLETED:
		return "completed";
	case SLURM_FAILED:
		return "failed";
	case SLURM_CANCELLED:
		return "cancelled";
	}
	return "?";
}

/* Run a Slurm command; stdout into out. 0, or -1 with err naming the
 * command and its message. */
static int slurm_cmd(const char *const *argv, const char *cwd, const char *const *env_add,
                     struct buf *out, struct buf *err)
{
	struct proc_spec spec;
	struct proc_result res;
	struct buf msg = BUF_INIT, how = BUF_INIT;
	int r = -1;

	proc_spec_init(&spec);
	spec.argv = argv;
	spec.cwd = cwd;
	spec.env_add = env_add;
	spec.stdout_buf = out;
	spec.stderr_buf = &msg;
	spec.output_cap = (uint64_t)4 << 20;
	spec.timeout_s = SLURM_CMD_TIMEOUT_S;
	buf_reset(out);
	if (proc_run(&spec, &res, err) < 0) {
		err_prefix(err, "%s (is Slurm installed on this machine?)", argv[0]);
		goto done;
	}
	if (!proc_result_ok(&res)) {
		buf_rtrim(&msg);
		proc_result_describe(&res, SLURM_CMD_TIMEOUT_S, &how);
		err_set(err, "%s %s: %s", argv[0], how.data, msg.len ? msg.data : "(no message)");
		goto done;
	}
	r = 0;
done:
	buf_release(&msg);
	buf_release(&how);
	return r;
}

int slurm_submit(const char *dir, const char *script_path, const char *const *env_add,
                 struct buf *job, struct buf *err)
{
	const char *argv[] = {"sbatch", "--parsable", script_path, NULL};
	char *semi;
	size_t i;

	if (slurm_cmd(argv, dir, env_add, job, err) < 0)
		return -1;
	buf_rtrim(job);
	/* --parsable: "JOBID" or "JOBID;CLUSTER" */
	semi = strchr(job->data, ';');
	if (semi) {
		*semi = '\0';
		job->len = (size_t)(semi - job->data);
	}
	for (i = 0; i < job->len; i++)
		if (job->data[i] < '0' || job->data[i] > '9')
			break;
	if (!job->len || i < job->len)
		return err_set(err, "sbatch printed '%.80s', not a job id", job->data);
	return 0;
}

int slurm_export_env(const struct strlist *names, struct strlist *env_add, struct buf *err)
{
	const char *v;
	size_t i;

	for (i = 0; names && i < names->n; i++) {
		const char *name = names->v[i];

		if (!*name ||
		    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                 "0123456789_") != strlen(name) ||
		    (*name >= '0' && *name <= '9'))
			return err_set(err, "--export '%s' is not a variable name", name);
		v = getenv(name);
		if (!v)
			return err_set(err,
			               "--export %s: the variable is not set here: export it "
			               "before submitting",
			               name);
		strlist_pushf(env_add, "%s=%s", name, v);
	}
	return 0;
}

int slurm_cancel(const char *job, struct buf *err)
{
	const char *argv[] = {"scancel", job, NULL};
	struct buf out = BUF_INIT;
	int r = slurm_cmd(argv, NULL, NULL, &out, err);

	buf_release(&out);
	return r;
}

static enum slurm_state state_of(const char *s)
{
	static const struct {
		const char *word;
		enum slurm_state state;
	} map[] = {
	    {"PENDING", SLURM_PENDING},      {"CONFIGURING", SLURM_PENDING},
	    {"REQUEUED", SLURM_PENDING},     {"REQUEUE_FED", SLURM_PENDING},
	    {"REQUEUE_HOLD", SLURM_PENDING}, {"RESIZING", SLURM_PENDING},
	    {"SUSPENDED", SLURM_PENDING},    {"RUNNING", SLURM_RUNNING},
	    {"COMPLETING", SLURM_RUNNING},   {"STAGE_OUT", SLURM_RUNNING},
	    {"SIGNALING", SLURM_RUNNING},    {"COMPLETED", SLURM_COMPLETED},
	    {"CANCELLED", SLURM_CANCELLED},  {"FAILED", SLURM_FAILED},
	    {"TIMEOUT", SLURM_FAILED},       {"OUT_OF_MEMORY", SLURM_FAILED},
	    {"NODE_FAIL", SLURM_FAILED},     {"BOOT_FAIL", SLURM_FAILED},
	    {"DEADLINE", SLURM_FAILED},      {"PREEMPTED", SLURM_FAILED},
	    {"SPECIAL_EXIT", SLURM_FAILED},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].word, s))
			return map[i].state;
	return SLURM_UNKNOWN;
}

/* The value of " Key=" in one scontrol -o line (up to the next space). */
static int field(const char *line, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key), n;
	const char *p = line, *end;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			end = p + strcspn(p, " \n");
			n = (size_t)(end - p);
			if (n >= size)
				n = size - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 1;
		}
		p += kl;
	}
	out[0] = '\0';
	return 0;
}

static void push_task(struct slurm_job_state *st, const struct slurm_task *t, size_t *cap)
{
	if (st->n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		st->tasks = xrealloc(st->tasks, *cap * sizeof(*st->tasks));
	}
	st->tasks[st->n++] = *t;
}

/* ArrayTaskId: "3", or for pending tasks "1-4%2", "1,3,5-7". Each index
 * gets a copy of t. -1 when the list is not one. */
static int push_indexes(struct slurm_job_state *st, struct slurm_task *t, const char *ids,
                        size_t *cap)
{
	char *end;
	const char *p = ids;
	long a, b;

	for (;;) {
		errno = 0;
		a = strtol(p, &end, 10);
		if (end == p || errno || a < 0)
			return -1;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b - a > 1000000)
				return -1;
			p = end;
		}
		/* A record that lost its task id (the last pending task
		 * cancelled) shows NO_VAL (4294967294): no index. */
		if (a >= 4294967294L)
			a = b = -1;
		for (; a <= b; a++) {
			t->index = a;
			push_task(st, t, cap);
			if (a < 0)
				break;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		return (*p == '\0' || *p == '%') ? 0 : -1;
	}
}

int slurm_job_parse(const char *text, struct slurm_job_state *st, struct buf *err)
{
	const char *line = text, *nl;
	char ids[256], word[64], code[32], *colon;
	struct slurm_task t;
	size_t cap = 0;

	memset(st, 0, sizeof(*st));
	for (; *line; line = nl ? nl + 1 : line + strlen(line)) {
		char *one;

		nl = strchr(line, '\n');
		one = xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
		if (!field(one, "JobId", word, sizeof(word))) {
			free(one);
			continue;
		}
		st->known = 1;
		memset(&t, 0, sizeof(t));
		t.index = -1;
		field(one, "JobState", t.slurm_state, sizeof(t.slurm_state));
		t.state = state_of(t.slurm_state);
		field(one, "Reason", t.reason, sizeof(t.reason));
		field(one, "BatchHost", t.node, sizeof(t.node));
		if (!strcmp(t.node, "(null)"))
			t.node[0] = '\0';
		if (field(one, "ExitCode", code, sizeof(code))) {
			t.exit_code = atoi(code);
			colon = strchr(code, ':');
			t.exit_signal = colon ? atoi(colon + 1) : 0;
		}
		if (!field(one, "ArrayTaskId", ids, sizeof(ids)))
			push_task(st, &t, &cap);
		else if (push_indexes(st, &t, ids, &cap) < 0) {
			free(one);
			slurm_job_state_release(st);
			return err_set(
			    err, "scontrol: ArrayTaskId=%s is not a list of task indexes", ids);
		}
		free(one);
	}
	return 0;
}

int slurm_job_query(const char *job, struct slurm_job_state *st, struct buf *err)
{
	const char *argv[] = {"scontrol", "-o", "show", "job", job, NULL};
	struct buf out = BUF_INIT;
	int r;

	memset(st, 0, sizeof(*st));
	r = slurm_cmd(argv, NULL, NULL, &out, err);
	if (r < 0 && strstr(err->data, "Invalid job id")) {
		/* Forgotten (MinJobAge) or never known: no tasks. */
		buf_reset(err);
		r = 0;
	} else if (r == 0) {
		r = slurm_job_parse(out.data, st, err);
	}
	buf_release(&out);
	return r;
}

void slurm_job_state_release(struct slurm_job_state *st)
{
	free(st->tasks);
	memset(st, 0, sizeof(*st));
}

const struct slurm_task *slurm_job_task(const struct slurm_job_state *st, long index)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->tasks[i].index == index)
			return &st->tasks[i];
	return NULL;
}
