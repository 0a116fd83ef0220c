/*
 * test_proc_escape.c: a descendant that leaves the process group (setsid)
 * escapes the group kill; when the caller is a child subreaper, as optimize's
 * main makes itself, the runner kills and reaps it after the run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/proc.h"
#include "test_util.h"

static pid_t run_escaper(double timeout)
{
	char pidfile[PATH_MAX];
	struct proc_spec spec;
	struct proc_result res;
	struct buf err = BUF_INIT, cmd = BUF_INIT, pid = BUF_INIT;
	int fd;

	snprintf(pidfile, sizeof(pidfile), "%s/escape-XXXXXX", test_tmpdir());
	fd = mkstemp(pidfile);
	assert_true(fd >= 0);
	close(fd);
	/* The escapee writes its own pid, then sleeps far longer than the run. */
	buf_addf(&cmd, "setsid sh -c 'echo $$ > %s; exec sleep 300' & sleep 0.3", pidfile);
	if (timeout > 0)
		buf_addstr(&cmd, "; sleep 100");
	proc_spec_init(&spec);
	spec.timeout_s = timeout;
	spec.kill_grace_s = 0.2;
	assert_int_equal(proc_run_sh(&spec, cmd.data, &res, &err), 0);
	assert_int_equal(buf_read_file(&pid, pidfile), 0);
	unlink(pidfile);
	buf_release(&err);
	buf_release(&cmd);
	{
		pid_t p = (pid_t)atol(pid.data);
		buf_release(&pid);
		return p;
	}
}

static void test_escapee_killed_after_exit(void **state)
{
	pid_t p;

	(void)state;
	p = run_escaper(0);
	assert_true(p > 1);
	/* killed and reaped by the runner: the pid no longer exists */
	assert_int_equal(kill(p, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_escapee_killed_after_timeout(void **state)
{
	pid_t p;

	(void)state;
	p = run_escaper(1.0);
	assert_true(p > 1);
	assert_int_equal(kill(p, 0), -1);
	assert_int_equal(errno, ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escapee_killed_after_exit),
	    cmocka_unit_test(test_escapee_killed_after_timeout),
	};
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	return test_run(tests, NULL, NULL);
}
