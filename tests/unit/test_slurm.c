/*
 * bench/slurm: the scripts a submission is made of (no secrets in them, the
 * options where sbatch reads them), the --array list, the probe's token and
 * answer, and the tasks' states read from scontrol's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/fileio.h"
#include "bench/nodes.h"
#include "bench/slurm.h"

#include <cjson/cJSON.h>
#include "test_util.h"

#define SECRET "sk-test-0123456789-do-not-leak"

static void test_array_spec(void **state)
{
	size_t all[] = {0, 1, 2}, some[] = {1, 3, 4, 5, 9}, one[] = {7};
	struct buf b = BUF_INIT;

	(void)state;
	slurm_array_spec(all, 3, 0, &b);
	assert_string_equal(b.data, "0-2");
	slurm_array_spec(all, 3, 2, &b);
	assert_string_equal(b.data, "0-2%2");
	slurm_array_spec(some, 5, 1, &b);
	assert_string_equal(b.data, "1,3-5,9%1");
	slurm_array_spec(one, 1, 0, &b);
	assert_string_equal(b.data, "7");
	buf_release(&b);
}

/* Line number (1-based) of the first line starting with prefix, 0 if none. */
static int line_of(const char *text, const char *prefix)
{
	const char *p = text;
	int n = 1;

	for (;;) {
		if (!strncmp(p, prefix, strlen(prefix)))
			return n;
		p = strchr(p, '\n');
		if (!p || !p[1])
			return 0;
		p++;
		n++;
	}
}

/* The first line that is neither blank nor a comment: sbatch stops reading
 * #SBATCH lines there. */
static int first_command(const char *text)
{
	const char *p = text;
	int n = 1;

	while (p && *p) {
		if (*p != '#' && *p != '\n')
			return n;
		p = strchr(p, '\n');
		if (p)
			p++;
		n++;
	}
	return 0;
}

static void test_array_script(void **state)
{
	struct strlist extra = {0}, exp = {0}, env = {0};
	const char *argv[] = {"/opt/optimize/bin/optimize",
	                      "bench",
	                      "/data/suite it's",
	                      "--output",
	                      "/shared/out",
	                      "--objective",
	                      "instructions",
	                      NULL};
	size_t tasks[] = {0, 1, 2};
	struct slurm_opts o = {0};
	struct slurm_array a = {0};
	struct buf s = BUF_INIT, err = BUF_INIT;
	int cmd, i;
	const char *must[] = {"#SBATCH --array=0-2%2",
	                      "#SBATCH --exclusive",
	                      "#SBATCH --nodes=1",
	                      "#SBATCH --partition=short",
	                      "#SBATCH --account=proj7",
	                      "#SBATCH --time=01:30:00",
	                      "#SBATCH --qos=normal",
	                      "#SBATCH --export=ALL",
	                      "#SBATCH --chdir=/shared/out",
	                      "#SBATCH --output=/shared/out/slurm/logs/task-%a.%A.log",
	                      "#SBATCH --dependency=afterok:41",
	                      "#SBATCH --kill-on-invalid-dep=yes",
	                      "#SBATCH --mem=4G",
	                      "#SBATCH --constraint=skylake",
	                      NULL};

	(void)state;
	setenv("OPENAI_API_KEY", SECRET, 1);
	strlist_push(&extra, "--mem=4G");
	strlist_push(&extra, "--constraint=skylake");
	strlist_push(&exp, "OPENAI_API_KEY");
	o.partition = "short";
	o.account = "proj7";
	o.time = "01:30:00";
	o.qos = "normal";
	o.sbatch_args = &extra;
	o.export = &exp;
	o.max_parallel = 2;
	a.dir = "/shared/out";
	a.argv = argv;
	a.tasks = tasks;
	a.n = 3;
	a.token = "abc123";
	a.probe_job = "41";
	assert_int_equal(slurm_array_script(&o, &a, &s, &err), 0);
	assert_true(!strncmp(s.data, "#!/bin/sh\n", 10));
	cmd = first_command(s.data);
	assert_true(cmd > 0);
	for (i = 0; must[i]; i++) {
		int at = line_of(s.data, must[i]);

		if (!at || at >= cmd)
			fail_msg("'%s' is not an #SBATCH line before the first command:\n%s",
			         must[i], s.data);
	}
	/* The user's arguments come after the tool's own, so they win. */
	assert_true(line_of(s.data, "#SBATCH --mem=4G") > line_of(s.data, "#SBATCH --array="));
	assert_true(line_of(s.data, "#SBATCH --mem=4G") > line_of(s.data, "#SBATCH --partition="));
	/* The command, quoted for sh, with the task index appended. */
	assert_non_null(strstr(s.data,
	                       "exec '/opt/optimize/bin/optimize' 'bench' "
	                       "'/data/suite it'\\''s' '--output' '/shared/out' "
	                       "'--objective' 'instructions' --task \"$SLURM_ARRAY_TASK_ID\"\n"));
	assert_non_null(strstr(s.data, "'abc123'"));
	assert_non_null(strstr(s.data, "exit 97"));
	/* No secret: neither its value nor the variable's assignment. */
	assert_null(strstr(s.data, SECRET));
	assert_null(strstr(s.data, "OPENAI_API_KEY"));
	/* The secret goes to sbatch's environment instead. */
	assert_int_equal(slurm_export_env(&exp, &env, &err), 0);
	assert_int_equal(env.n, 1);
	assert_string_equal(env.v[0], "OPENAI_API_KEY=" SECRET);

	/* Without the optional options: none of their lines, no %N. */
	memset(&o, 0, sizeof(o));
	a.probe_job = NULL;
	assert_int_equal(slurm_array_script(&o, &a, &s, &err), 0);
	assert_int_equal(line_of(s.data, "#SBATCH --partition"), 0);
	assert_int_equal(line_of(s.data, "#SBATCH --dependency"), 0);
	assert_true(line_of(s.data, "#SBATCH --array=0-2\n") > 0);
	assert_true(line_of(s.data, "#SBATCH --job-name=optimize-bench\n") > 0);

	strlist_release(&extra);
	strlist_release(&exp);
	strlist_release(&env);
	buf_release(&s);
	buf_release(&err);
	unsetenv("OPENAI_API_KEY");
}

static void test_script_refusals(void **state)
{
	struct strlist extra = {0}, exp = {0}, env = {0};
	const char *argv[] = {"optimize", NULL};
	size_t tasks[] = {0};
	struct slurm_opts o = {0};
	struct slurm_array a = {0};
	struct buf s = BUF_INIT, err = BUF_INIT;

	(void)state;
	a.dir = "/shared/my out";
	a.argv = argv;
	a.tasks = tasks;
	a.n = 1;
	a.token = "t";
	assert_int_equal(slurm_array_script(&o, &a, &s, &err), -1);
	assert_non_null(strstr(err.data, "choose an output folder"));
	a.dir = "/shared/out";
	o.partition = "a b";
	assert_int_equal(slurm_array_script(&o, &a, &s, &err), -1);
	assert_non_null(strstr(err.data, "partition 'a b'"));
	o.partition = NULL;
	strlist_push(&extra, "--comment=x\n#SBATCH --uid=0");
	o.sbatch_args = &extra;
	assert_int_equal(slurm_array_script(&o, &a, &s, &err), -1);
	assert_non_null(strstr(err.data, "--sbatch-arg"));
	strlist_push(&exp, "NOT_SET_ANYWHERE_42");
	assert_int_equal(slurm_export_env(&exp, &env, &err), -1);
	assert_non_null(strstr(err.data, "not set here"));
	strlist_release(&extra);
	strlist_release(&exp);
	strlist_release(&env);
	buf_release(&s);
	buf_release(&err);
}

static void test_probe(void **state)
{
	struct buf tok = BUF_INIT, tok2 = BUF_INIT, node = BUF_INIT, err = BUF_INIT, s = BUF_INIT;
	struct buf line = BUF_INIT;
	struct slurm_opts o = {0};
	const char *dir = test_tmpdir();
	char path[4096];

	(void)state;
	assert_int_equal(slurm_probe_write(dir, &tok, &err), 0);
	assert_int_equal(tok.len, 32);
	assert_int_equal(slurm_probe_write(dir, &tok2, &err), 0);
	assert_string_not_equal(tok.data, tok2.data);
	assert_int_equal(slurm_probe_answer(dir, "5", tok2.data, &node, &err), 0);
	snprintf(path, sizeof(path), "%s/slurm/probe.5.reply", dir);
	buf_setf(&line, "%s node7\n", tok2.data);
	assert_int_equal(file_write_atomic(path, line.data, line.len, 0644, &err), 0);
	assert_int_equal(slurm_probe_answer(dir, "5", tok2.data, &node, &err), 1);
	assert_string_equal(node.data, "node7");
	assert_int_equal(slurm_probe_answer(dir, "5", tok.data, &node, &err), -1);
	assert_non_null(strstr(err.data, "not the token"));
	assert_int_equal(slurm_probe_script(&o, dir, tok2.data, &s, &err), 0);
	assert_non_null(strstr(s.data, tok2.data));
	assert_null(strstr(s.data, "--exclusive"));
	buf_release(&tok);
	buf_release(&tok2);
	buf_release(&node);
	buf_release(&err);
	buf_release(&s);
	buf_release(&line);
}

/* Lines as `scontrol -o show job` prints them (Slurm 22.05), shortened. */
static const char scontrol_out[] =
    "JobId=12 ArrayJobId=11 ArrayTaskId=0 JobName=optimize-bench UserId=root(0) "
    "JobState=COMPLETED Reason=None Dependency=(null) ExitCode=0:0 NodeList=n1 BatchHost=n1\n"
    "JobId=13 ArrayJobId=11 ArrayTaskId=1 JobName=optimize-bench JobState=FAILED "
    "Reason=NonZeroExitCode ExitCode=2:0 NodeList=n1 BatchHost=n1\n"
    "JobId=14 ArrayJobId=11 ArrayTaskId=2 JobName=optimize-bench JobState=RUNNING "
    "Reason=None ExitCode=0:0 NodeList=n2 BatchHost=n2\n"
    "JobId=11 ArrayJobId=11 ArrayTaskId=3-4,6%2 ArrayTaskThrottle=2 JobState=PENDING "
    "Reason=JobArrayTaskLimit ExitCode=0:0 NodeList=(null) BatchHost=(null)\n"
    "JobId=15 ArrayJobId=11 ArrayTaskId=5 JobState=CANCELLED Reason=None ExitCode=0:15 "
    "BatchHost=n1\n"
    "JobId=16 ArrayJobId=11 ArrayTaskId=7 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15\n";

static void test_scontrol_parse(void **state)
{
	struct slurm_job_state st;
	struct buf err = BUF_INIT;
	const struct slurm_task *t;

	(void)state;
	assert_int_equal(slurm_job_parse(scontrol_out, &st, &err), 0);
	assert_true(st.known);
	assert_int_equal(st.n, 8);
	t = slurm_job_task(&st, 0);
	assert_non_null(t);
	assert_int_equal(t->state, SLURM_COMPLETED);
	assert_string_equal(t->node, "n1");
	t = slurm_job_task(&st, 1);
	assert_int_equal(t->state, SLURM_FAILED);
	assert_int_equal(t->exit_code, 2);
	assert_int_equal(slurm_job_task(&st, 2)->state, SLURM_RUNNING);
	assert_string_equal(slurm_job_task(&st, 2)->node, "n2");
	t = slurm_job_task(&st, 4);
	assert_int_equal(t->state, SLURM_PENDING);
	assert_string_equal(t->reason, "JobArrayTaskLimit");
	assert_string_equal(t->node, "");
	assert_int_equal(slurm_job_task(&st, 6)->state, SLURM_PENDING);
	assert_null(slurm_job_task(&st, 8));
	assert_int_equal(slurm_job_task(&st, 5)->state, SLURM_CANCELLED);
	assert_int_equal(slurm_job_task(&st, 5)->exit_signal, 15);
	t = slurm_job_task(&st, 7);
	assert_int_equal(t->state, SLURM_FAILED);
	assert_string_equal(t->slurm_state, "TIMEOUT");
	slurm_job_state_release(&st);

	/* The last pending task cancelled: the record loses its index. */
	assert_int_equal(slurm_job_parse("JobId=20 ArrayJobId=20 ArrayTaskId=4294967294 "
	                                 "JobState=CANCELLED ExitCode=0:0\n",
	                                 &st, &err),
	                 0);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.tasks[0].index, -1);
	slurm_job_state_release(&st);
	/* A plain job (the probe). */
	assert_int_equal(
	    slurm_job_parse("JobId=21 JobName=x JobState=FAILED ExitCode=1:0\n", &st, &err), 0);
	assert_int_equal(st.n, 1);
	assert_int_equal(slurm_job_task(&st, -1)->state, SLURM_FAILED);
	slurm_job_state_release(&st);
	assert_int_equal(slurm_job_parse("JobId=22 ArrayTaskId=x JobState=PENDING\n", &st, &err),
	                 -1);
	assert_int_equal(slurm_job_parse("", &st, &err), 0);
	assert_false(st.known);
	buf_release(&err);
}

/* The table's note on where rows ran: nothing when every row ran on the
 * fingerprint's machine; the hosts, and the CPU models when they differ. */
static void test_nodes_note(void **state)
{
	struct bench_table t;
	cJSON *suite =
	    cJSON_Parse("{\"fingerprint\": {\"host\": \"login1\", \"cpu\": \"Xeon A\"}}");
	cJSON *rows[3];
	struct buf out = BUF_INIT;

	(void)state;
	rows[0] = cJSON_Parse("{\"host\": \"login1\", \"cpu\": \"Xeon A\"}");
	rows[1] = cJSON_Parse("{\"host\": \"login1\", \"cpu\": \"Xeon A\"}");
	rows[2] = NULL; /* not finished */
	memset(&t, 0, sizeof(t));
	t.suite = suite;
	t.j.n = 3;
	t.j.rows = rows;
	bench_nodes_note(&t, &out);
	assert_string_equal(buf_str(&out), "");
	cJSON_Delete(rows[1]);
	rows[1] = cJSON_Parse("{\"host\": \"n7\", \"cpu\": \"EPYC B\"}");
	bench_nodes_note(&t, &out);
	assert_non_null(strstr(out.data, "Rows ran on 2 hosts (login1, n7)"));
	assert_non_null(
	    strstr(out.data, "Rows come from 2 CPU models (Xeon A, EPYC B): each speedup"));
	cJSON_Delete(rows[0]);
	cJSON_Delete(rows[1]);
	cJSON_Delete(suite);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_array_spec),      cmocka_unit_test(test_array_script),
	    cmocka_unit_test(test_script_refusals), cmocka_unit_test(test_probe),
	    cmocka_unit_test(test_scontrol_parse),  cmocka_unit_test(test_nodes_note),
	};
	return test_run(tests, NULL, NULL);
}
