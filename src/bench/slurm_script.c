/*
 * The scripts a Slurm submission is made of (slurm.h): the array job's and
 * the probe's, and the probe's token file and answer.
 *
 * sbatch reads #SBATCH lines up to the first command and splits them at
 * white space without unquoting, so a value the tool writes there must be
 * one word: a DIR with a space cannot be named in --output, and is refused
 * with a message instead of a job that writes its logs elsewhere.
 */
#include "bench/slurm.h"
#include "base/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* The tool's own values in #SBATCH lines: printable, one word. */
static int sbatch_value_ok(const char *what, const char *v, struct buf *err)
{
	const char *p;

	if (!*v)
		return err_set(err, "--%s is empty", what);
	for (p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\'' || *p == '\\' ||
		    (unsigned char)*p == 0x7f)
			return err_set(
			    err,
			    "%s '%s' cannot go into an #SBATCH line (white space, a quote "
			    "or a control character): %s",
			    what, v,
			    strcmp(what, "DIR") ? "give a value without them"
			                        : "choose an output folder whose path has none");
	return 0;
}

/* Add a #SBATCH --name=value line after checking the value. */
static int directive(struct buf *out, const char *name, const char *v, struct buf *err)
{
	if (!v)
		return 0;
	if (sbatch_value_ok(name, v, err) < 0)
		return -1;
	buf_addf(out, "#SBATCH --%s=%s\n", name, v);
	return 0;
}

/* Single quotes for sh: 'a'\''b'. */
static void sh_quote(struct buf *out, const char *s)
{
	buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_addstr(out, "'\\''");
		else
			buf_addch(out, *s);
	}
	buf_addch(out, '\'');
}

void slurm_array_spec(const size_t *tasks, size_t n, size_t max_parallel, struct buf *out)
{
	size_t i = 0, j;

	buf_reset(out);
	while (i < n) {
		for (j = i; j + 1 < n && tasks[j + 1] == tasks[j] + 1; j++)
			;
		if (out->len)
			buf_addch(out, ',');
		if (j == i)
			buf_addf(out, "%zu", tasks[i]);
		else
			buf_addf(out, "%zu-%zu", tasks[i], tasks[j]);
		i = j + 1;
	}
	if (max_parallel)
		buf_addf(out, "%%%zu", max_parallel);
}

void slurm_task_log(const char *dir, size_t i, const char *job, struct buf *out)
{
	buf_setf(out, "%s/slurm/logs/task-%zu.%s.log", dir, i, job);
}

/* The options both jobs share: where they may run and what the user adds. */
static int common_directives(const struct slurm_opts *o, const char *dir, struct buf *out,
                             struct buf *err)
{
	size_t i;

	if (sbatch_value_ok("DIR", dir, err) < 0 || directive(out, "chdir", dir, err) < 0 ||
	    directive(out, "partition", o->partition, err) < 0 ||
	    directive(out, "account", o->account, err) < 0 ||
	    directive(out, "qos", o->qos, err) < 0)
		return -1;
	/* The tasks' environment is sbatch's: the exported secrets are in it
	 * because the tool put them into sbatch's environment, not here. */
	buf_addstr(out, "#SBATCH --export=ALL\n");
	for (i = 0; o->sbatch_args && i < o->sbatch_args->n; i++) {
		const char *a = o->sbatch_args->v[i];

		if (strchr(a, '\n') || strchr(a, '\r') || a[0] != '-')
			return err_set(
			    err,
			    "--sbatch-arg '%s': give one sbatch option per --sbatch-arg, "
			    "starting with '-', on one line",
			    a);
		buf_addf(out, "#SBATCH %s\n", a);
	}
	return 0;
}

int slurm_array_script(const struct slurm_opts *o, const struct slurm_array *a, struct buf *out,
                       struct buf *err)
{
	struct buf spec = BUF_INIT, log = BUF_INIT;
	size_t i;
	int r = -1;

	buf_reset(out);
	if (!a->n)
		return err_set(err, "no task to submit");
	if (sbatch_value_ok("DIR", a->dir, err) < 0)
		return -1;
	slurm_array_spec(a->tasks, a->n, o->max_parallel, &spec);
	buf_addstr(out, "#!/bin/sh\n");
	buf_addstr(
	    out, "# optimize bench: one task per entry of the suite (docs/bench.md, \"Slurm\")\n");
	if (directive(out, "job-name", o->job_name ? o->job_name : "optimize-bench", err) < 0)
		goto done;
	buf_addf(out, "#SBATCH --array=%s\n", spec.data);
	/* One target's timing runs alone on a node: no other job's work on its
	 * cores. */
	buf_addstr(out, "#SBATCH --exclusive\n#SBATCH --nodes=1\n#SBATCH --ntasks=1\n");
	if (directive(out, "time", o->time, err) < 0)
		goto done;
	buf_setf(&log, "%s/slurm/logs/task-%%a.%%A.log", a->dir);
	if (directive(out, "output", log.data, err) < 0)
		goto done;
	if (a->probe_job) {
		if (sbatch_value_ok("probe job", a->probe_job, err) < 0)
			goto done;
		buf_addf(out,
		         "#SBATCH --dependency=afterok:%s\n#SBATCH --kill-on-invalid-dep=yes\n",
		         a->probe_job);
	}
	if (common_directives(o, a->dir, out, err) < 0)
		goto done;
	buf_addstr(out, "\n# DIR must be the folder the submitter wrote the token into.\n");
	buf_addstr(out, "probe=");
	sh_quote(out, a->dir);
	buf_addstr(out, "/slurm/probe\n");
	buf_addstr(out, "if [ \"$(cat \"$probe\" 2>/dev/null)\" != ");
	sh_quote(out, a->token);
	buf_addstr(out, " ]; then\n");
	buf_addf(out,
	         "  echo \"optimize: $probe is not the file the submitter wrote on node "
	         "$(hostname): the output folder must be shared by every node\" >&2\n"
	         "  exit %d\nfi\n",
	         SLURM_EXIT_NOT_SHARED);
	/* The task's row names its log (bench_task_run). */
	buf_addstr(out, "OPTIMIZE_BENCH_TASK_LOG=\"${probe%/probe}/logs/task-$SLURM_ARRAY_TASK_ID."
	                "$SLURM_ARRAY_JOB_ID.log\"\nexport OPTIMIZE_BENCH_TASK_LOG\n");
	buf_addstr(out, "exec");
	for (i = 0; a->argv[i]; i++) {
		buf_addch(out, ' ');
		sh_quote(out, a->argv[i]);
	}
	buf_addstr(out, " --task \"$SLURM_ARRAY_TASK_ID\"\n");
	r = 0;
done:
	buf_release(&spec);
	buf_release(&log);
	return r;
}

int slurm_probe_script(const struct slurm_opts *o, const char *dir, const char *token,
                       struct buf *out, struct buf *err)
{
	struct buf log = BUF_INIT;
	int r = -1;

	buf_reset(out);
	if (sbatch_value_ok("DIR", dir, err) < 0)
		return -1;
	buf_addstr(out, "#!/bin/sh\n");
	buf_addstr(out, "# optimize bench: is the output folder shared with the nodes?\n");
	if (directive(out, "job-name", o->job_name ? o->job_name : "optimize-bench", err) < 0)
		goto done;
	buf_addstr(out, "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n#SBATCH --time=5\n");
	buf_setf(&log, "%s/slurm/logs/probe.%%j.log", dir);
	if (directive(out, "output", log.data, err) < 0 || common_directives(o, dir, out, err) < 0)
		goto done;
	buf_addstr(out, "\nd=");
	sh_quote(out, dir);
	buf_addstr(out, "/slurm\n[ \"$(cat \"$d/probe\")\" = ");
	sh_quote(out, token);
	buf_addstr(out, " ] || exit 1\n");
	buf_addstr(out,
	           "printf '%s %s\\n' \"$(cat \"$d/probe\")\" \"$(hostname)\" "
	           ">\"$d/probe.$SLURM_JOB_ID.reply.tmp\"\n"
	           "mv \"$d/probe.$SLURM_JOB_ID.reply.tmp\" \"$d/probe.$SLURM_JOB_ID.reply\"\n");
	r = 0;
done:
	buf_release(&log);
	return r;
}

int slurm_probe_write(const char *dir, struct buf *token, struct buf *err)
{
	unsigned char raw[16];
	struct buf path = BUF_INIT;
	size_t i, got = 0;
	ssize_t k;
	int r;

	while (got < sizeof(raw)) {
		k = getrandom(raw + got, sizeof(raw) - got, 0);
		if (k < 0 && errno != EINTR)
			return err_set(err, "getrandom: %s", strerror(errno));
		if (k > 0)
			got += (size_t)k;
	}
	buf_reset(token);
	for (i = 0; i < sizeof(raw); i++)
		buf_addf(token, "%02x", raw[i]);
	buf_setf(&path, "%s/slurm", dir);
	r = file_mkdirs(path.data, 0755, err);
	buf_addstr(&path, "/probe");
	if (r == 0) {
		buf_addch(token, '\n');
		r = file_write_atomic(path.data, token->data, token->len, 0644, err);
		buf_rtrim(token);
	}
	buf_release(&path);
	return r;
}

int slurm_probe_answer(const char *dir, const char *job, const char *token, struct buf *node,
                       struct buf *err)
{
	struct buf path = BUF_INIT, data = BUF_INIT;
	size_t tl = strlen(token);
	int r = -1;

	buf_setf(&path, "%s/slurm/probe.%s.reply", dir, job);
	if (buf_read_file(&data, path.data) < 0) {
		if (errno == ENOENT)
			r = 0;
		else
			err_set(err, "cannot read '%s': %s", path.data, strerror(errno));
		goto done;
	}
	buf_rtrim(&data);
	if (data.len <= tl || strncmp(data.data, token, tl) || data.data[tl] != ' ') {
		err_set(err, "'%s' holds '%.80s', not the token written to '%s/slurm/probe'",
		        path.data, data.data, dir);
		goto done;
	}
	buf_reset(node);
	buf_addstr(node, data.data + tl + 1);
	r = 1;
done:
	buf_release(&path);
	buf_release(&data);
	return r;
}
