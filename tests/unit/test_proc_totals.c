/*
 * test_proc_totals.c: limits for all of a run's processes together
 * (issue 9, item 11). With spec.cgroup the run gets a cgroup of its own
 * (proc_cgroup.c): four processes of 256 MiB under a 320 MiB total are
 * killed by the kernel, forks past the process total are refused, and
 * nothing is left behind. Where this machine gives the tool no cgroup (not
 * root, v2 not delegated), the path that applies is tested: the probe says
 * why and a run that asks for one fails with that reason (never runs
 * without its totals). The disk total (proc_disk.c) needs no privilege: a
 * run whose files together pass it is stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/proc.h"
#include "test_util.h"

/* The cgroup version, or 0 after saying why there is none. */
static int cgroup_here(const char *test)
{
	struct buf why = BUF_INIT;
	int v = proc_cgroup_probe(&why);

	if (v < 0) {
		assert_true(why.len > 0);
		fprintf(
		    stderr,
		    "%s: no cgroup here (%s): its refusal is what test_no_cgroup_refuses checks\n",
		    test, why.data);
		v = 0;
	}
	buf_release(&why);
	return v;
}

static int run_sh(const char *cmd, int cgroup, const struct proc_limits *l, uint64_t disk,
                  const char *cwd, struct proc_result *res, struct buf *err)
{
	struct proc_spec spec;

	proc_spec_init(&spec);
	spec.cgroup = cgroup;
	spec.limits = *l;
	spec.disk_total_bytes = disk;
	spec.cwd = cwd;
	spec.timeout_s = 60;
	spec.kill_grace_s = 0.5;
	return proc_run_sh(&spec, cmd, res, err);
}

static void test_no_cgroup_refuses(void **state)
{
	struct proc_limits l = {0};
	struct proc_result res;
	struct buf err = BUF_INIT;
	int v = cgroup_here(__func__);

	(void)state;
	if (v) {
		assert_int_equal(run_sh("true", 1, &l, 0, NULL, &res, &err), 0);
		assert_true(proc_result_ok(&res));
		assert_int_equal(res.cgroup, v);
	} else {
		/* asked for totals it cannot have: it does not run without them */
		assert_int_equal(run_sh("true", 1, &l, 0, NULL, &res, &err), -1);
		assert_non_null(strstr(err.data, "no cgroup for the run: "));
	}
	/* without asking, no cgroup fields */
	assert_int_equal(run_sh("true", 0, &l, 0, NULL, &res, &err), 0);
	assert_int_equal(res.cgroup, 0);
	assert_int_equal(res.oom_kills, 0);
	buf_release(&err);
}

static void test_memory_total(void **state)
{
	struct proc_limits l = {0};
	struct proc_result res;
	struct buf err = BUF_INIT, d = BUF_INIT;
	int v = cgroup_here(__func__);

	(void)state;
	if (!v)
		return;
	/* each within its own 320 MiB; together four times that */
	l.as_bytes = (uint64_t)320 << 20;
	assert_int_equal(
	    run_sh("for i in 1 2 3 4; do python3 -c 'import time; "
	           "x = bytearray(b\"\\1\") * (256 << 20); time.sleep(1)' & done; wait",
	           1, &l, 0, NULL, &res, &err),
	    0);
	assert_int_equal(res.cgroup, v);
	assert_true(res.oom_kills >= 1);
	assert_true(res.mem_peak_bytes <= l.as_bytes + ((uint64_t)4 << 20));
	proc_result_describe(&res, 0, &d);
	assert_non_null(strstr(d.data, "killed at the memory total of the run's cgroup"));
	/* the same alone fits */
	assert_int_equal(run_sh("python3 -c 'x = bytearray(b\"\\1\") * (200 << 20)'", 1, &l, 0,
	                        NULL, &res, &err),
	                 0);
	assert_true(proc_result_ok(&res));
	assert_int_equal(res.oom_kills, 0);
	assert_true(res.mem_peak_bytes >= (uint64_t)200 << 20);
	buf_release(&err);
	buf_release(&d);
}

static void test_process_total(void **state)
{
	struct proc_limits l = {0};
	struct proc_result res;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct proc_spec spec;
	int v = cgroup_here(__func__);

	(void)state;
	if (!v)
		return;
	proc_spec_init(&spec);
	l.nproc = 8;
	spec.limits = l;
	spec.cgroup = 1;
	spec.timeout_s = 60;
	spec.stdout_buf = &out;
	assert_int_equal(proc_run_sh(&spec,
	                             "n=0; for i in $(seq 20); do sleep 2 2>/dev/null & "
	                             "n=$((n+1)); done 2>/dev/null; echo started; wait",
	                             &res, &err),
	                 0);
	/* RLIMIT_NPROC does not bind root: there only the cgroup refuses */
	if (geteuid() == 0)
		assert_true(res.pids_refused > 0);
	assert_true(res.pids_refused >= 0);
	buf_release(&err);
	buf_release(&out);
}

static void test_disk_total(void **state)
{
	struct proc_limits l = {0};
	struct proc_result res;
	struct buf err = BUF_INIT, d = BUF_INIT;
	char dir[4096];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/disk", test_tmpdir());
	assert_int_equal(mkdir(dir, 0755), 0);
	l.fsize_bytes = (uint64_t)8 << 20;
	/* three files of 6 MiB, each under the 8 MiB per file: 18 MiB > 10 */
	assert_int_equal(run_sh("for i in 1 2 3 4 5; do head -c 6M /dev/urandom > f$i; "
	                        "sleep 0.7; done; echo done",
	                        0, &l, (uint64_t)10 << 20, dir, &res, &err),
	                 0);
	assert_true(res.disk_exceeded);
	assert_false(proc_result_ok(&res));
	assert_true(res.signaled); /* stopped before its end */
	assert_true(res.disk_grown_bytes > (uint64_t)10 << 20);
	assert_true(res.disk_grown_bytes < (uint64_t)20 << 20);
	proc_result_describe(&res, 0, &d);
	assert_non_null(strstr(d.data, "past the disk total"));
	/* within the total (the files left before are not counted) */
	assert_int_equal(run_sh("rm -f f*; head -c 6M /dev/urandom > g", 0, &l, (uint64_t)10 << 20,
	                        dir, &res, &err),
	                 0);
	assert_true(proc_result_ok(&res));
	assert_false(res.disk_exceeded);
	buf_release(&err);
	buf_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_cgroup_refuses),
	    cmocka_unit_test(test_memory_total),
	    cmocka_unit_test(test_process_total),
	    cmocka_unit_test(test_disk_total),
	};
	return test_run(tests, NULL, NULL);
}
