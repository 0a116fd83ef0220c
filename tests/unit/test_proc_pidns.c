/*
 * test_proc_pidns.c: a child in its own PID namespace (proc_spec.isolate_pid)
 * is pid 2 there, sees only its own processes in /proc, cannot signal the
 * caller (kill -1 reaches only the namespace), and leaves nothing behind
 * (a setsid daemon dies with the run); exit codes, signals and timeouts
 * read as without it. With private_tmp, /tmp is a fresh tmpfs except the
 * paths the spec keeps. Where namespaces are not available these tests
 * fail, unless OPTIMIZE_TEST_NO_NAMESPACES=1 skips them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/proc.h"
#include "test_util.h"

static int pid_probe(struct buf *why)
{
	struct proc_spec spec;

	proc_spec_init(&spec);
	spec.isolate_pid = 1;
	spec.private_tmp = 1;
	return proc_isolation_probe_spec(&spec, why);
}

static int run_pid(const char *cmd, double timeout, struct buf *out, struct proc_result *res)
{
	struct proc_spec spec;
	struct buf err = BUF_INIT;
	int r;

	proc_spec_init(&spec);
	spec.isolate_pid = 1;
	spec.stdout_buf = out;
	spec.timeout_s = timeout;
	spec.kill_grace_s = 0.5;
	r = proc_run_sh(&spec, cmd, res, &err);
	if (r < 0)
		fprintf(stderr, "proc_run: %s\n", err.data);
	buf_release(&err);
	return r;
}

static void test_own_pid_namespace_and_proc(void **state)
{
	struct buf out = BUF_INIT, cmd = BUF_INIT;
	struct proc_result res;

	(void)state;
	test_require(TEST_NEED_NAMESPACES, pid_probe);
	buf_addf(&cmd,
	         "echo pid $$ ppid $PPID; ls /proc | grep -c '^[0-9]'; "
	         "test -e /proc/%d && echo sees-caller || echo caller-hidden; "
	         "kill -STOP %d 2>/dev/null && echo stopped-caller || echo cannot-name-caller",
	         (int)getpid(), (int)getpid());
	assert_int_equal(run_pid(cmd.data, 30, &out, &res), 0);
	assert_true(proc_result_ok(&res));
	assert_non_null(strstr(out.data, "pid 2 ppid 0\n"));
	assert_non_null(strstr(out.data, "caller-hidden"));
	assert_non_null(strstr(out.data, "cannot-name-caller"));
	/* sh, ls, grep and pid 1: a handful, not the machine's */
	assert_true(atoi(strchr(out.data, '\n') + 1) < 10);
	buf_release(&out);
	buf_release(&cmd);
}

static void test_statuses_read_as_without(void **state)
{
	struct buf out = BUF_INIT;
	struct proc_result res;

	(void)state;
	test_require(TEST_NEED_NAMESPACES, pid_probe);
	assert_int_equal(run_pid("exit 7", 30, &out, &res), 0);
	assert_true(res.exited && res.exit_code == 7);
	assert_int_equal(run_pid("kill -SEGV $$", 30, &out, &res), 0);
	assert_true(res.signaled && res.signo == SIGSEGV);
	/* kill -1 reaches the namespace only: we are still here */
	assert_int_equal(run_pid("kill -KILL -1; echo after", 30, &out, &res), 0);
	assert_non_null(strstr(out.data, "after"));
	/* a timeout still ends a child that ignores SIGTERM */
	assert_int_equal(run_pid("trap '' TERM; sleep 100", 0.5, &out, &res), 0);
	assert_true(res.timed_out);
	buf_release(&out);
}

/* A daemon that left the group and the session dies with the namespace. */
static void test_daemon_dies_with_the_run(void **state)
{
	struct buf out = BUF_INIT, cmd = BUF_INIT, pidfile = BUF_INIT, proc = BUF_INIT;
	struct proc_result res;
	char *text;
	long pid;

	(void)state;
	test_require(TEST_NEED_NAMESPACES, pid_probe);
	buf_addf(&pidfile, "%s/daemon.pid", test_tmpdir());
	/* the daemon writes its pid as we see it: /proc/self in the namespace
	 * says 3 or so, so it reports through its status line NSpid */
	buf_addf(&cmd,
	         "setsid sh -c 'grep ^NSpid /proc/self/status > %s.tmp; mv %s.tmp %s; "
	         "exec sleep 100' & "
	         "while [ ! -s %s ]; do sleep 0.05; done",
	         pidfile.data, pidfile.data, pidfile.data, pidfile.data);
	assert_int_equal(run_pid(cmd.data, 30, &out, &res), 0);
	assert_true(proc_result_ok(&res));
	/* its pid inside is 3 or more; the namespace's /proc knows only that */
	text = NULL;
	{
		FILE *f = fopen(pidfile.data, "r");
		char line[256];

		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		text = strrchr(line, '\t');
		assert_non_null(text);
		pid = atol(text + 1);
	}
	assert_true(pid >= 2);
	/* nothing named sleep 100 of ours is alive in the namespace: it is
	 * gone, since the namespace is (its init was killed) */
	buf_addf(&proc, "pgrep -f '^sleep 100$' >/dev/null && exit 1 || exit 0");
	assert_int_equal(system(proc.data), 0);
	buf_release(&out);
	buf_release(&cmd);
	buf_release(&pidfile);
	buf_release(&proc);
}

/* private_tmp: /tmp is empty but for the kept paths, writable as before. */
static void test_private_tmp_keeps_its_paths(void **state)
{
	char root[] = "/tmp/optimize-ut-XXXXXX";
	struct buf out = BUF_INIT, err = BUF_INIT, cmd = BUF_INIT, rwp = BUF_INIT, mark = BUF_INIT;
	const char *ro[2], *rw[2];
	struct proc_spec spec;
	struct proc_result res;

	(void)state;
	test_require(TEST_NEED_NAMESPACES, pid_probe);
	assert_non_null(mkdtemp(root));
	buf_addf(&rwp, "%s/work", root);
	assert_int_equal(mkdir(rwp.data, 0755), 0);
	buf_addf(&mark, "%s-marker", root);
	assert_int_equal(mkdir(mark.data, 0755), 0);
	ro[0] = root;
	ro[1] = NULL;
	rw[0] = rwp.data;
	rw[1] = NULL;
	buf_addf(&cmd,
	         "test -e %s && echo sees-other || echo other-hidden; "
	         "(echo x > %s/f) 2>/dev/null && echo work-writable || echo work-readonly; "
	         "(echo x > %s/f) 2>/dev/null && echo root-writable || echo root-readonly; "
	         "echo x > /tmp/scratch && echo tmp-writable",
	         mark.data, rwp.data, root);
	proc_spec_init(&spec);
	spec.isolate_pid = 1;
	spec.private_tmp = 1;
	spec.readonly_paths = ro;
	spec.writable_paths = rw;
	spec.stdout_buf = &out;
	spec.timeout_s = 30;
	assert_int_equal(proc_run_sh(&spec, cmd.data, &res, &err), 0);
	assert_true(proc_result_ok(&res));
	assert_non_null(strstr(out.data, "other-hidden"));
	assert_non_null(strstr(out.data, "work-writable"));
	assert_non_null(strstr(out.data, "root-readonly"));
	assert_non_null(strstr(out.data, "tmp-writable"));
	rmdir(mark.data);
	test_rmtree(root);
	buf_release(&out);
	buf_release(&err);
	buf_release(&cmd);
	buf_release(&rwp);
	buf_release(&mark);
}

/* run_as (as root): the child is uid 65534 without capabilities, writes its
 * idmapped workspace (root's on disk), cannot write the read-only tree even
 * by remounting it, nor read pid 1's environment. */
static void test_run_as_unprivileged(void **state)
{
	char root[] = "/tmp/optimize-ut-XXXXXX";
	struct buf out = BUF_INIT, err = BUF_INIT, cmd = BUF_INIT, rwp = BUF_INIT, f = BUF_INIT;
	const char *ro[2], *rw[2];
	struct proc_spec spec;
	struct proc_result res;
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		return; /* only root changes identity */
	test_require(TEST_NEED_NAMESPACES, pid_probe);
	assert_non_null(mkdtemp(root));
	assert_int_equal(chmod(root, 0755), 0); /* the tree must be readable by that uid */
	buf_addf(&rwp, "%s/work", root);
	assert_int_equal(mkdir(rwp.data, 0755), 0);
	ro[0] = root;
	ro[1] = NULL;
	rw[0] = rwp.data;
	rw[1] = NULL;
	buf_addf(&cmd,
	         "id -u; grep ^CapEff /proc/self/status; echo x > f && echo work-writable; "
	         "(echo x > %s/g) 2>/dev/null && echo tree-writable || echo tree-readonly; "
	         "mount -o remount,rw %s 2>/dev/null && echo remounted || echo no-remount; "
	         "cat /proc/1/environ >/dev/null 2>&1 && echo read-init || echo init-unreadable",
	         root, root);
	proc_spec_init(&spec);
	spec.isolate_pid = spec.private_tmp = spec.isolate_net = 1;
	spec.run_as = 1;
	spec.run_uid = 65534;
	spec.run_gid = 65534;
	spec.readonly_paths = ro;
	spec.writable_paths = rw;
	spec.cwd = rwp.data;
	spec.stdout_buf = &out;
	spec.timeout_s = 30;
	if (proc_run_sh(&spec, cmd.data, &res, &err) < 0)
		fail_msg("proc_run: %s", err.data);
	assert_true(proc_result_ok(&res));
	assert_non_null(strstr(out.data, "65534\n"));
	assert_non_null(strstr(out.data, "CapEff:\t0000000000000000"));
	assert_non_null(strstr(out.data, "work-writable"));
	assert_non_null(strstr(out.data, "tree-readonly"));
	assert_non_null(strstr(out.data, "no-remount"));
	assert_non_null(strstr(out.data, "init-unreadable"));
	buf_addf(&f, "%s/f", rwp.data);
	assert_int_equal(stat(f.data, &st), 0);
	assert_int_equal((int)st.st_uid, 0); /* root's on disk */
	test_rmtree(root);
	buf_release(&out);
	buf_release(&err);
	buf_release(&cmd);
	buf_release(&rwp);
	buf_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_own_pid_namespace_and_proc),
	    cmocka_unit_test(test_statuses_read_as_without),
	    cmocka_unit_test(test_daemon_dies_with_the_run),
	    cmocka_unit_test(test_private_tmp_keeps_its_paths),
	    cmocka_unit_test(test_run_as_unprivileged),
	};

	return test_run(tests, NULL, NULL);
}
