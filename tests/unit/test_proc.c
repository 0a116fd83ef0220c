/*
 * test_proc.c: the process runner. Every test runs real children (sh, dd,
 * env, cat) and checks what they saw or left behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/proc.h"
#include "test_util.h"

static char tmpdir[256];

static void tpath(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void read_file(const char *path, struct buf *b)
{
	buf_reset(b);
	assert_int_equal(buf_read_file(b, path), 0);
}

/* Run `sh -c cmd` in tmpdir with stdout (and stderr) into bufs. */
static int run_capture(struct proc_spec *spec, const char *cmd, struct buf *out,
                       struct proc_result *res, struct buf *err)
{
	if (!spec->cwd)
		spec->cwd = tmpdir;
	spec->stdout_buf = out;
	if (out)
		buf_reset(out);
	if (err)
		buf_reset(err);
	return proc_run_sh(spec, cmd, res, err);
}

static int setup_group(void **state)
{
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/proc-XXXXXX", test_tmpdir()) >=
	        (int)sizeof(tmpdir) ||
	    !mkdtemp(tmpdir))
		return -1;
	/* Orphaned grandchildren come to us, so a test can see how they died. */
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static int teardown_group(void **state)
{
	const char *argv[] = {"rm", "-rf", tmpdir, NULL};
	struct proc_spec spec;
	struct proc_result res;

	proc_spec_init(&spec);
	spec.argv = argv;
	return proc_run(&spec, &res, NULL) == 0 && proc_result_ok(&res) ? 0 : -1;
}

static void test_spec_init_and_defaults(void **state)
{
	struct proc_spec spec;
	struct proc_limits l;

	memset(&spec, 0x5a, sizeof(spec));
	proc_spec_init(&spec);
	assert_int_equal(spec.cpu, -1);
	assert_null(spec.argv);
	assert_null(spec.hooks);
	assert_null(spec.cancel);
	assert_int_equal(spec.output_cap, 0);
	assert_true(spec.timeout_s == 0);
	assert_true(spec.limits.cpu_s == 0);
	proc_limits_default(&l);
	assert_true(l.cpu_s == PROC_DEFAULT_CPU_S);
	assert_int_equal(l.as_bytes, PROC_DEFAULT_AS_BYTES);
	assert_int_equal(l.fsize_bytes, PROC_DEFAULT_FSIZE_BYTES);
	assert_int_equal(l.nproc, PROC_DEFAULT_NPROC);
}

static void test_exit_codes(void **state)
{
	struct buf err = BUF_INIT, d = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	proc_spec_init(&spec);
	assert_int_equal(proc_run_sh(&spec, "exit 0", &res, &err), 0);
	assert_true(res.exited);
	assert_false(res.signaled);
	assert_int_equal(res.exit_code, 0);
	assert_true(proc_result_ok(&res));
	proc_result_describe(&res, 0, &d);
	assert_string_equal(buf_str(&d), "exit 0");

	assert_int_equal(proc_run_sh(&spec, "exit 3", &res, &err), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 3);
	assert_false(proc_result_ok(&res));
	proc_result_describe(&res, 0, &d);
	assert_string_equal(buf_str(&d), "exit 3");

	/* sh reports a missing command as 127; proc_run itself succeeded. */
	assert_int_equal(proc_run_sh(&spec, "optimize-no-such-command-4711", &res, &err), 0);
	assert_int_equal(res.exit_code, 127);
	buf_release(&err);
	buf_release(&d);
}

static void test_signal(void **state)
{
	struct buf d = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	proc_spec_init(&spec);
	assert_int_equal(proc_run_sh(&spec, "kill -SEGV $$", &res, NULL), 0);
	assert_false(res.exited);
	assert_true(res.signaled);
	assert_int_equal(res.signo, SIGSEGV);
	assert_false(res.timed_out);
	assert_false(proc_result_ok(&res));
	proc_result_describe(&res, 0, &d);
	assert_string_equal(buf_str(&d), "killed by SIGSEGV");
	buf_release(&d);
}

static void test_describe(void **state)
{
	struct proc_result res;
	struct buf d = BUF_INIT;

	memset(&res, 0, sizeof(res));
	res.timed_out = 1;
	res.signaled = 1;
	res.signo = SIGTERM;
	proc_result_describe(&res, 10, &d);
	assert_string_equal(buf_str(&d), "timed out after 10 s");
	proc_result_describe(&res, 0.5, &d);
	assert_string_equal(buf_str(&d), "timed out after 0.5 s");
	assert_false(proc_result_ok(&res));

	memset(&res, 0, sizeof(res));
	res.signaled = 1;
	res.signo = SIGKILL;
	proc_result_describe(&res, 10, &d);
	assert_string_equal(buf_str(&d), "killed by SIGKILL");

	memset(&res, 0, sizeof(res));
	res.exited = 1;
	res.cancelled = 1;
	proc_result_describe(&res, 10, &d);
	assert_string_equal(buf_str(&d), "cancelled");
	assert_false(proc_result_ok(&res));

	memset(&res, 0, sizeof(res));
	res.exited = 1;
	res.exit_code = 0;
	res.timed_out = 1;
	/* Exiting 0 after SIGTERM is still a timeout, not a success. */
	assert_false(proc_result_ok(&res));
	buf_release(&d);
}

static void test_capture_files(void **state)
{
	char out[PATH_MAX], err_path[PATH_MAX], both[PATH_MAX];
	struct buf b = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	tpath(out, sizeof(out), "out.txt");
	tpath(err_path, sizeof(err_path), "err.txt");
	tpath(both, sizeof(both), "both.txt");
	proc_spec_init(&spec);
	spec.stdout_path = out;
	spec.stderr_path = err_path;
	assert_int_equal(proc_run_sh(&spec, "printf 'to out\\n'; printf 'to err' >&2", &res, NULL),
	                 0);
	assert_true(proc_result_ok(&res));
	assert_false(res.stdout_truncated);
	assert_false(res.stderr_truncated);
	assert_int_equal(res.output_error, 0);
	read_file(out, &b);
	assert_string_equal(buf_str(&b), "to out\n");
	read_file(err_path, &b);
	assert_string_equal(buf_str(&b), "to err");

	/* The file is truncated by the next run, not appended to. */
	assert_int_equal(proc_run_sh(&spec, "printf x", &res, NULL), 0);
	read_file(out, &b);
	assert_string_equal(buf_str(&b), "x");
	read_file(err_path, &b);
	assert_string_equal(buf_str(&b), "");

	/* One path for both streams behaves like 2>&1. */
	spec.stdout_path = both;
	spec.stderr_path = both;
	assert_int_equal(proc_run_sh(&spec,
	                             "printf a; sleep 0.05; printf b >&2; sleep 0.05; printf c",
	                             &res, NULL),
	                 0);
	read_file(both, &b);
	assert_string_equal(buf_str(&b), "abc");

	/* An output file that cannot be opened is an error, and nothing runs. */
	tpath(out, sizeof(out), "no-such-dir/out.txt");
	spec.stdout_path = out;
	spec.stderr_path = NULL;
	assert_int_equal(proc_run_sh(&spec, "exit 0", &res, &b), -1);
	assert_non_null(strstr(buf_str(&b), "no-such-dir/out.txt"));
	assert_non_null(strstr(buf_str(&b), "for stdout"));
	buf_release(&b);
}

static void test_capture_bufs_and_stdin(void **state)
{
	char in[PATH_MAX];
	struct buf out = BUF_INIT, errb = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	FILE *f;

	proc_spec_init(&spec);
	spec.stdout_buf = &out;
	spec.stderr_buf = &errb;
	assert_int_equal(proc_run_sh(&spec, "echo hello; echo oops >&2; exit 4", &res, NULL), 0);
	assert_int_equal(res.exit_code, 4);
	assert_string_equal(buf_str(&out), "hello\n");
	assert_string_equal(buf_str(&errb), "oops\n");

	/* stdin defaults to /dev/null: cat ends at once with nothing. */
	buf_reset(&out);
	assert_int_equal(proc_run_sh(&spec, "cat; echo end", &res, NULL), 0);
	assert_string_equal(buf_str(&out), "end\n");

	tpath(in, sizeof(in), "in.txt");
	f = fopen(in, "w");
	assert_non_null(f);
	fputs("from a file\n", f);
	fclose(f);
	spec.stdin_path = in;
	buf_reset(&out);
	assert_int_equal(proc_run_sh(&spec, "cat", &res, NULL), 0);
	assert_string_equal(buf_str(&out), "from a file\n");

	tpath(in, sizeof(in), "missing-input.txt");
	spec.stdin_path = in;
	assert_int_equal(proc_run_sh(&spec, "cat", &res, &errb), -1);
	assert_non_null(strstr(buf_str(&errb), "for stdin"));
	buf_release(&out);
	buf_release(&errb);
}

static void test_capture_large_both_streams(void **state)
{
	char out[PATH_MAX], err_path[PATH_MAX];
	struct proc_spec spec;
	struct proc_result res;

	tpath(out, sizeof(out), "big-out");
	tpath(err_path, sizeof(err_path), "big-err");
	proc_spec_init(&spec);
	spec.stdout_path = out;
	spec.stderr_path = err_path;
	spec.timeout_s = 60;
	/* Both streams at once, each far beyond a pipe's buffer. */
	assert_int_equal(
	    proc_run_sh(&spec, "head -c 3000000 /dev/zero & head -c 3000000 /dev/zero >&2; wait",
	                &res, NULL),
	    0);
	assert_true(proc_result_ok(&res));
	assert_int_equal(file_size(out), 3000000);
	assert_int_equal(file_size(err_path), 3000000);
	assert_false(res.stdout_truncated);
	assert_false(res.stderr_truncated);
}

static void test_output_cap(void **state)
{
	char out[PATH_MAX];
	struct buf b = BUF_INIT, errb = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	tpath(out, sizeof(out), "capped");
	proc_spec_init(&spec);
	spec.stdout_path = out;
	spec.output_cap = 1 << 20;
	spec.timeout_s = 60;
	assert_int_equal(proc_run_sh(&spec, "yes | head -c 50000000", &res, NULL), 0);
	/* The child wrote everything (it was not blocked), the file holds the cap. */
	assert_true(proc_result_ok(&res));
	assert_false(res.timed_out);
	assert_true(res.stdout_truncated);
	assert_false(res.stderr_truncated);
	assert_int_equal(file_size(out), 1 << 20);

	/* Exactly the cap is not truncated. */
	assert_int_equal(proc_run_sh(&spec, "head -c 1048576 /dev/zero", &res, NULL), 0);
	assert_false(res.stdout_truncated);
	assert_int_equal(file_size(out), 1 << 20);

	/* Into memory: the first cap bytes are kept. */
	proc_spec_init(&spec);
	spec.stderr_buf = &errb;
	spec.output_cap = 1000;
	assert_int_equal(proc_run_sh(&spec, "yes 0123456789 | head -c 100000 >&2", &res, NULL), 0);
	assert_true(res.stderr_truncated);
	assert_int_equal(errb.len, 1000);
	assert_memory_equal(errb.data, "0123456789\n0123", 15);

	/* A buf's own max caps too. */
	buf_release(&errb);
	buf_init(&b, 10);
	proc_spec_init(&spec);
	spec.stdout_buf = &b;
	assert_int_equal(proc_run_sh(&spec, "echo 0123456789abcdef", &res, NULL), 0);
	assert_true(res.stdout_truncated);
	assert_string_equal(buf_str(&b), "0123456789");
	buf_release(&b);
}

/* 1 if pid died: reaped by us (we are the subreaper) or already gone. */
static int gone(pid_t pid)
{
	int i, st;

	for (i = 0; i < 300; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return kill(pid, 0) < 0 && errno == ESRCH;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 0;
}

static pid_t read_pid(const char *name)
{
	char path[PATH_MAX];
	struct buf b = BUF_INIT;
	long pid;

	tpath(path, sizeof(path), name);
	read_file(path, &b);
	pid = strtol(buf_str(&b), NULL, 10);
	buf_release(&b);
	assert_true(pid > 1);
	return (pid_t)pid;
}

static void test_timeout_kills_grandchildren(void **state)
{
	struct buf d = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	pid_t gpid;

	proc_spec_init(&spec);
	spec.cwd = tmpdir;
	spec.timeout_s = 0.5;
	spec.kill_grace_s = 0.5;
	assert_int_equal(
	    proc_run_sh(&spec, "sleep 100 & echo $! > pid-timeout; sleep 100", &res, NULL), 0);
	assert_true(res.timed_out);
	assert_false(proc_result_ok(&res));
	assert_true(res.wall_s >= 0.45);
	assert_true(res.wall_s < 10);
	proc_result_describe(&res, spec.timeout_s, &d);
	assert_string_equal(buf_str(&d), "timed out after 0.5 s");
	gpid = read_pid("pid-timeout");
	assert_true(gone(gpid));
	buf_release(&d);
}

static void test_exit_kills_grandchildren(void **state)
{
	struct buf out = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	pid_t gpid;

	/* The background sleep holds the stdout pipe open: proc_run must not
	 * wait for its EOF, and must not leave it running. */
	proc_spec_init(&spec);
	assert_int_equal(
	    run_capture(&spec, "sleep 100 & echo $! > pid-exit; echo done", &out, &res, NULL), 0);
	assert_true(proc_result_ok(&res));
	assert_false(res.timed_out);
	assert_true(res.wall_s < 10);
	assert_string_equal(buf_str(&out), "done\n");
	gpid = read_pid("pid-exit");
	assert_true(gone(gpid));
	buf_release(&out);
}

static void test_sigterm_ignored_then_sigkill(void **state)
{
	struct proc_spec spec;
	struct proc_result res;

	proc_spec_init(&spec);
	spec.timeout_s = 0.3;
	spec.kill_grace_s = 0.3;
	assert_int_equal(proc_run_sh(&spec, "trap '' TERM; sleep 3", &res, NULL), 0);
	assert_true(res.timed_out);
	assert_true(res.signaled);
	assert_int_equal(res.signo, SIGKILL);
	assert_true(res.wall_s >= 0.55);
	assert_true(res.wall_s < 10);
}

static void test_timeout_sigterm_reaches_group(void **state)
{
	char seen[PATH_MAX];
	struct buf b = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	/* A grandchild gets SIGTERM too, and the grace period to act on it. */
	tpath(seen, sizeof(seen), "term-seen");
	proc_spec_init(&spec);
	spec.cwd = tmpdir;
	spec.timeout_s = 0.3;
	spec.kill_grace_s = 5;
	assert_int_equal(proc_run_sh(&spec,
	                             "(trap 'echo got > term-seen; exit 0' TERM;"
	                             " while :; do sleep 0.05; done) &"
	                             " trap 'wait; exit 7' TERM; wait",
	                             &res, NULL),
	                 0);
	assert_true(res.timed_out);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 7);
	assert_true(res.wall_s < 4);
	read_file(seen, &b);
	assert_string_equal(buf_str(&b), "got\n");
	buf_release(&b);
}

/* The soft and hard values of one line of /proc/self/limits. */
static void limits_line(const char *limits, const char *name, char *soft, char *hard)
{
	const char *p = strstr(limits, name);

	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(name), "%31s %31s", soft, hard), 2);
}

/* Let the test process allow cores, so RLIMIT_CORE 0 must come from
 * proc_run; the teardown puts the limit back even when the test fails, so
 * a later crash of this process leaves no core file behind. */
static struct rlimit saved_core;

static int allow_cores(void **state)
{
	struct rlimit core;

	(void)state;
	if (getrlimit(RLIMIT_CORE, &saved_core) < 0)
		return -1;
	core = saved_core;
	core.rlim_cur = core.rlim_max;
	return setrlimit(RLIMIT_CORE, &core);
}

static int restore_cores(void **state)
{
	(void)state;
	return setrlimit(RLIMIT_CORE, &saved_core);
}

static void test_limits_applied(void **state)
{
	struct buf out = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	char soft[32], hard[32];

	proc_spec_init(&spec);
	spec.limits.cpu_s = 6.5;
	spec.limits.as_bytes = (uint64_t)1 << 30;
	spec.limits.fsize_bytes = 3 << 20;
	spec.limits.nproc = 123;
	assert_int_equal(run_capture(&spec, "cat /proc/self/limits", &out, &res, NULL), 0);
	assert_true(proc_result_ok(&res));
	limits_line(buf_str(&out), "Max cpu time", soft, hard);
	assert_string_equal(soft, "7");
	assert_string_equal(hard, "8");
	limits_line(buf_str(&out), "Max file size", soft, hard);
	assert_string_equal(soft, "3145728");
	assert_string_equal(hard, "3145728");
	limits_line(buf_str(&out), "Max processes", soft, hard);
	assert_string_equal(soft, "123");
	assert_string_equal(hard, "123");
	limits_line(buf_str(&out), "Max address space", soft, hard);
	assert_string_equal(soft, "1073741824");
	assert_string_equal(hard, "1073741824");
	limits_line(buf_str(&out), "Max core file size", soft, hard);
	assert_string_equal(soft, "0");
	assert_string_equal(hard, "0");

	/* No limits asked: cores are still off, the rest is inherited. */
	proc_spec_init(&spec);
	assert_int_equal(run_capture(&spec, "cat /proc/self/limits", &out, &res, NULL), 0);
	limits_line(buf_str(&out), "Max core file size", soft, hard);
	assert_string_equal(soft, "0");
	limits_line(buf_str(&out), "Max cpu time", soft, hard);
	assert_string_equal(soft, "unlimited");
	buf_release(&out);
}

static void test_rlimit_as(void **state)
{
	struct proc_spec spec;
	struct proc_result res;
	const char *small[] = {"dd", "if=/dev/zero", "of=/dev/null", "bs=16M", "count=1", NULL};
	const char *mid[] = {"dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1", NULL};
	const char *big[] = {"dd", "if=/dev/zero", "of=/dev/null", "bs=512M", "count=1", NULL};

	/* dd allocates a bs-sized buffer and fills it (touches every page).
	 * (Filling 512 MiB takes seconds on a small VM, so the control is 128.) */
	proc_spec_init(&spec);
	spec.argv = mid;
	assert_int_equal(proc_run(&spec, &res, NULL), 0);
	assert_true(proc_result_ok(&res));
	assert_true(res.maxrss_kb > 100 * 1024);

	spec.limits.as_bytes = (uint64_t)256 << 20;
	spec.argv = small;
	assert_int_equal(proc_run(&spec, &res, NULL), 0);
	assert_true(proc_result_ok(&res));
	spec.argv = big;
	assert_int_equal(proc_run(&spec, &res, NULL), 0);
	assert_false(proc_result_ok(&res));
	assert_true(res.maxrss_kb < 256 * 1024);
}

static void test_rlimit_fsize(void **state)
{
	char big[PATH_MAX], out[PATH_MAX];
	struct proc_spec spec;
	struct proc_result res;

	tpath(big, sizeof(big), "fsize-big");
	tpath(out, sizeof(out), "fsize-stdout");
	proc_spec_init(&spec);
	spec.cwd = tmpdir;
	spec.limits.fsize_bytes = 1 << 20;
	assert_int_equal(
	    proc_run_sh(&spec, "exec dd if=/dev/zero of=fsize-big bs=64k count=32", &res, NULL), 0);
	assert_true(res.signaled);
	assert_int_equal(res.signo, SIGXFSZ);
	assert_int_equal(file_size(big), 1 << 20);

	/* Captured output is written by the parent: output_cap applies, not FSIZE. */
	spec.stdout_path = out;
	assert_int_equal(proc_run_sh(&spec, "head -c 2000000 /dev/zero", &res, NULL), 0);
	assert_true(proc_result_ok(&res));
	assert_int_equal(file_size(out), 2000000);
}

static void test_rlimit_cpu(void **state)
{
	struct buf err = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	proc_spec_init(&spec);
	spec.limits.cpu_s = 1;
	spec.timeout_s = 60;
	if (proc_run_sh(&spec, "while :; do :; done", &res, &err) < 0)
		fail_msg("%s", buf_str(&err));
	buf_release(&err);
	/* rusage and the kernel's limit check sample CPU time differently: on a
	 * loaded machine the child may die at 0.88 s by rusage. */
	if (res.timed_out || !res.signaled || (res.signo != SIGXCPU && res.signo != SIGKILL) ||
	    res.user_s + res.sys_s < 0.5)
		fail_msg(
		    "timed_out %d exited %d code %d signaled %d signo %d cpu %.3f s wall %.3f s",
		    res.timed_out, res.exited, res.exit_code, res.signaled, res.signo,
		    res.user_s + res.sys_s, res.wall_s);
}

/* Lines of `env` output that start with prefix. */
static int env_count(const char *env, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = env;
	int count = 0;

	while (p && *p) {
		if (strncmp(p, prefix, n) == 0)
			count++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return count;
}

static void test_env_scrubbed(void **state)
{
	const char *argv[] = {"env", NULL};
	struct buf out = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	setenv("OPENAI_API_KEY", "sk-test", 1);
	setenv("GITHUB_TOKEN", "ghp-test", 1);
	setenv("MY_SECRET_X", "x", 1);
	setenv("db_password", "hunter2", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "aws", 1);
	setenv("OPTIMIZE_TEST_VAR", "visible", 1);
	setenv("TOKENIZERS_PARALLELISM", "false", 1);
	proc_spec_init(&spec);
	spec.argv = argv;
	spec.stdout_buf = &out;
	assert_int_equal(proc_run(&spec, &res, NULL), 0);
	assert_true(proc_result_ok(&res));
	assert_int_equal(env_count(buf_str(&out), "OPENAI_API_KEY="), 0);
	assert_int_equal(env_count(buf_str(&out), "GITHUB_TOKEN="), 0);
	assert_int_equal(env_count(buf_str(&out), "MY_SECRET_X="), 0);
	assert_int_equal(env_count(buf_str(&out), "db_password="), 0);
	assert_int_equal(env_count(buf_str(&out), "AWS_SECRET_ACCESS_KEY="), 0);
	assert_null(strstr(buf_str(&out), "sk-test"));
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_TEST_VAR=visible\n"), 1);
	assert_int_equal(env_count(buf_str(&out), "TOKENIZERS_PARALLELISM=false\n"), 1);
	assert_int_equal(env_count(buf_str(&out), "PATH="), 1);
	/* The caller's own environment is untouched. */
	assert_string_equal(getenv("OPENAI_API_KEY"), "sk-test");

	unsetenv("OPENAI_API_KEY");
	unsetenv("GITHUB_TOKEN");
	unsetenv("MY_SECRET_X");
	unsetenv("db_password");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("TOKENIZERS_PARALLELISM");
	buf_release(&out);
}

static void test_env_add(void **state)
{
	const char *argv[] = {"env", NULL};
	const char *add[] = {"OPTIMIZE_TEST_VAR=replaced",
	                     "OPTIMIZE_NEW=1",
	                     "OPTIMIZE_NEW=2",
	                     "OPTIMIZE_GONE",
	                     "MY_API_KEY=explicit",
	                     NULL};
	const char *bad_path[] = {"PATH=/nonexistent-optimize", NULL};
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	setenv("OPTIMIZE_TEST_VAR", "visible", 1);
	setenv("OPTIMIZE_GONE", "here", 1);
	proc_spec_init(&spec);
	spec.argv = argv;
	spec.env_add = add;
	spec.stdout_buf = &out;
	assert_int_equal(proc_run(&spec, &res, NULL), 0);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_TEST_VAR="), 1);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_TEST_VAR=replaced\n"), 1);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_NEW="), 1);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_NEW=2\n"), 1);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_GONE="), 0);
	/* What the caller adds on purpose is passed, secret-looking or not. */
	assert_int_equal(env_count(buf_str(&out), "MY_API_KEY=explicit\n"), 1);

	/* argv[0] is looked up in the child's PATH. */
	spec.env_add = bad_path;
	assert_int_equal(proc_run(&spec, &res, &err), -1);
	assert_string_equal(buf_str(&err), "command 'env' not found");

	unsetenv("OPTIMIZE_GONE");
	buf_release(&out);
	buf_release(&err);
}

static void test_env_is_secret(void **state)
{
	static const char *const secret[] = {
	    "OPENAI_API_KEY",
	    "ANTHROPIC_API_KEY",
	    "openai_api_key",
	    "GITHUB_TOKEN",
	    "gh_token",
	    "MY_SECRET_X",
	    "CLIENT_SECRET",
	    "DB_PASSWORD",
	    "MYSQL_PWD_PASSWD",
	    "GPG_PASSPHRASE",
	    "AWS_CREDENTIALS",
	    "GOOGLE_APPLICATION_CREDENTIALS",
	    "AWS_SECRET_ACCESS_KEY",
	    "STRIPE_KEY",
	    "TOKEN",
	    "OPENAI_API_KEY_2",
	    "SERPAPIKEY",
	    "PrivatePassword",
	    "AWS_ACCESS_KEY_ID",
	    "SSH_AUTH_SOCK",
	    "NPM_AUTH",
	    "HTTP_AUTHORIZATION",
	    "AUTHORIZATION",
	    "DATABASE_URL",
	    "SENTRY_DSN",
	    "GITHUB_PAT",
	    "KRB5CCNAME",
	    "DBUS_SESSION_BUS_ADDRESS",
	};
	static const char *const plain[] = {
	    "PATH",   "HOME",     "OPTIMIZE_TEST_VAR", "TOKENIZERS_PARALLELISM",
	    "AUTHOR", "KEYBOARD", "LD_PRELOAD",        "CC",
	    "CFLAGS", "MONKEY",   "TOKENS_MAX",        "",
	};
	size_t i;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		if (!proc_env_is_secret(secret[i]))
			fail_msg("'%s' should be secret", secret[i]);
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (proc_env_is_secret(plain[i]))
			fail_msg("'%s' should not be secret", plain[i]);
	}
	assert_false(proc_env_is_secret(NULL));
	/* values: URLs with credentials */
	assert_true(proc_env_is_secret_entry("MY_DB=postgres://u:PW@db.example/x"));
	assert_true(proc_env_is_secret_entry("PROXY=http://me:pw@proxy:3128"));
	assert_false(proc_env_is_secret_entry("HOMEPAGE=https://example.com/a@b"));
	assert_false(proc_env_is_secret_entry("MAILTO=me@example.com"));
	assert_false(proc_env_is_secret_entry("URL=http://user@host/"));
	assert_true(proc_env_is_secret_entry("GH_TOKEN=x"));
	assert_false(proc_env_is_secret_entry("PATH=/usr/bin"));
}

/* env_pass: only the names listed (and prefixes ending in '*'), never a secret. */
static void test_env_pass(void **state)
{
	const char *argv[] = {"env", NULL};
	const char *pass[] = {"PATH", "OPTIMIZE_KEEP", "OPTIMIZE_P_*", "OPTIMIZE_PASS_API_KEY",
	                      NULL};
	const char *add[] = {"OPTIMIZE_ADDED=1", NULL};
	struct buf out = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	(void)state;
	setenv("OPTIMIZE_KEEP", "1", 1);
	setenv("OPTIMIZE_DROP", "1", 1);
	setenv("OPTIMIZE_P_ONE", "1", 1);
	setenv("OPTIMIZE_PASS_API_KEY", "sk", 1);
	proc_spec_init(&spec);
	spec.argv = argv;
	spec.env_add = add;
	spec.env_pass = pass;
	spec.stdout_buf = &out;
	assert_int_equal(proc_run(&spec, &res, NULL), 0);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_KEEP=1\n"), 1);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_P_ONE=1\n"), 1);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_ADDED=1\n"), 1);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_DROP="), 0);
	assert_int_equal(env_count(buf_str(&out), "OPTIMIZE_PASS_API_KEY="), 0);
	assert_int_equal(env_count(buf_str(&out), "HOME="), 0);
	unsetenv("OPTIMIZE_KEEP");
	unsetenv("OPTIMIZE_DROP");
	unsetenv("OPTIMIZE_P_ONE");
	unsetenv("OPTIMIZE_PASS_API_KEY");
	buf_release(&out);
}

struct hook_state {
	pid_t before_pid;
	int before_calls;
	char before_comm[64];
	pid_t before_pgid;
	int ticks;
	pid_t tick_pid;
	pid_t after_pid;
	int after_calls;
	int after_exit_code;
	int fail;
	int cancel_after_ticks;
	volatile sig_atomic_t *cancel;
};

static void read_comm(pid_t pid, char *out, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	out[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(out, (int)size, f))
		out[0] = '\0';
	fclose(f);
}

static int hook_before(pid_t pid, void *ctx, struct buf *err)
{
	struct hook_state *h = ctx;

	h->before_calls++;
	h->before_pid = pid;
	h->before_pgid = getpgid(pid);
	/* Give a child that did not wait the time to exec. */
	sleep_ms(30);
	read_comm(pid, h->before_comm, sizeof(h->before_comm));
	if (h->fail)
		return err_set(err, "no counters for %d", (int)pid);
	return 0;
}

static void hook_tick(pid_t pid, void *ctx)
{
	struct hook_state *h = ctx;

	h->ticks++;
	h->tick_pid = pid;
	if (h->cancel && h->cancel_after_ticks && h->ticks >= h->cancel_after_ticks)
		*h->cancel = 1;
}

static void hook_after(pid_t pid, const struct proc_result *res, void *ctx)
{
	struct hook_state *h = ctx;

	h->after_calls++;
	h->after_pid = pid;
	h->after_exit_code = res->exited ? res->exit_code : -1;
}

static void test_hooks(void **state)
{
	struct hook_state h;
	struct proc_hooks hooks = {hook_before, hook_tick, hook_after, &h, 20};
	struct buf out = BUF_INIT;
	char self[64];
	struct proc_spec spec;
	struct proc_result res;

	memset(&h, 0, sizeof(h));
	proc_spec_init(&spec);
	spec.hooks = &hooks;
	assert_int_equal(run_capture(&spec, "echo $$; sleep 0.25; exit 5", &out, &res, NULL), 0);
	assert_int_equal(res.exit_code, 5);
	assert_int_equal(h.before_calls, 1);
	/* The hook saw the child itself, in its own group, before the exec. */
	assert_int_equal(h.before_pid, (pid_t)strtol(buf_str(&out), NULL, 10));
	assert_int_equal(h.before_pgid, h.before_pid);
	read_comm(getpid(), self, sizeof(self));
	assert_string_equal(h.before_comm, self);
	/* About every 20 ms for 0.25 s; a loaded machine may skip some. */
	assert_true(h.ticks >= 3);
	assert_int_equal(h.tick_pid, h.before_pid);
	assert_int_equal(h.after_calls, 1);
	assert_int_equal(h.after_pid, h.before_pid);
	assert_int_equal(h.after_exit_code, 5);
	buf_release(&out);
}

static void test_hook_failure(void **state)
{
	char made[PATH_MAX];
	struct hook_state h;
	struct proc_hooks hooks = {hook_before, NULL, hook_after, &h, 0};
	struct buf err = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	memset(&h, 0, sizeof(h));
	h.fail = 1;
	tpath(made, sizeof(made), "hook-made");
	proc_spec_init(&spec);
	spec.cwd = tmpdir;
	spec.hooks = &hooks;
	assert_int_equal(proc_run_sh(&spec, "touch hook-made", &res, &err), -1);
	assert_non_null(strstr(buf_str(&err), "no counters for"));
	assert_int_equal(h.before_calls, 1);
	assert_int_equal(h.after_calls, 0);
	assert_int_equal(access(made, F_OK), -1);
	/* The aborted child was reaped. */
	assert_int_equal(waitpid(h.before_pid, NULL, WNOHANG), -1);
	buf_release(&err);
}

static void test_cancel(void **state)
{
	volatile sig_atomic_t cancel = 0;
	struct hook_state h;
	struct proc_hooks hooks = {NULL, hook_tick, NULL, &h, 20};
	struct buf d = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	memset(&h, 0, sizeof(h));
	h.cancel = &cancel;
	h.cancel_after_ticks = 3;
	proc_spec_init(&spec);
	spec.hooks = &hooks;
	spec.cancel = &cancel;
	spec.timeout_s = 5;
	assert_int_equal(proc_run_sh(&spec, "sleep 100", &res, NULL), 0);
	assert_true(res.cancelled);
	assert_false(res.timed_out);
	assert_true(res.wall_s < 10);
	assert_false(proc_result_ok(&res));
	proc_result_describe(&res, 0, &d);
	assert_string_equal(buf_str(&d), "cancelled");
	buf_release(&d);
}

static void test_start_failures(void **state)
{
	const char *missing[] = {"optimize-no-such-command-4711", "arg", NULL};
	const char *noexec[] = {"./not-executable", NULL};
	const char *empty[] = {NULL};
	char path[PATH_MAX];
	struct buf err = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	FILE *f;

	proc_spec_init(&spec);
	spec.argv = missing;
	assert_int_equal(proc_run(&spec, &res, &err), -1);
	assert_string_equal(buf_str(&err), "command 'optimize-no-such-command-4711' not found");

	tpath(path, sizeof(path), "not-executable");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	spec.argv = noexec;
	spec.cwd = tmpdir;
	assert_int_equal(proc_run(&spec, &res, &err), -1);
	assert_string_equal(buf_str(&err), "cannot run './not-executable': Permission denied");

	spec.argv = empty;
	assert_int_equal(proc_run(&spec, &res, &err), -1);
	assert_string_equal(buf_str(&err), "empty command");

	/* A NULL err is fine. */
	spec.argv = missing;
	assert_int_equal(proc_run(&spec, &res, NULL), -1);
	buf_release(&err);
}

static void test_cwd(void **state)
{
	char real[PATH_MAX], missing[PATH_MAX];
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	assert_non_null(realpath(tmpdir, real));
	proc_spec_init(&spec);
	spec.cwd = tmpdir;
	assert_int_equal(run_capture(&spec, "pwd -P", &out, &res, NULL), 0);
	buf_rtrim(&out);
	assert_string_equal(buf_str(&out), real);

	tpath(missing, sizeof(missing), "no-such-dir");
	spec.cwd = missing;
	assert_int_equal(run_capture(&spec, "pwd", &out, &res, &err), -1);
	assert_non_null(strstr(buf_str(&err), "cannot change to directory"));
	assert_non_null(strstr(buf_str(&err), "no-such-dir"));
	buf_release(&out);
	buf_release(&err);
}

static void test_cpu_pinning(void **state)
{
	char want[64];
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	cpu_set_t set;
	int cpu;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	assert_true(cpu < CPU_SETSIZE);
	proc_spec_init(&spec);
	spec.cpu = cpu;
	assert_int_equal(
	    run_capture(&spec, "grep Cpus_allowed_list /proc/self/status", &out, &res, NULL), 0);
	snprintf(want, sizeof(want), "Cpus_allowed_list:\t%d\n", cpu);
	assert_string_equal(buf_str(&out), want);

	spec.cpu = CPU_SETSIZE;
	assert_int_equal(run_capture(&spec, "true", &out, &res, &err), -1);
	assert_non_null(strstr(buf_str(&err), "out of range"));
	buf_release(&out);
	buf_release(&err);
}

static void test_child_starts_clean(void **state)
{
	const char *argv[] = {"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL};
	struct buf out = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;
	struct sigaction ign, old_int, old_pipe;
	sigset_t block, old_mask;
	int fd;

	/* The caller ignores and blocks signals and holds an inheritable fd. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 100), 100);

	/* No shell in between: a shell may reset signals itself. */
	proc_spec_init(&spec);
	spec.argv = argv;
	spec.stdout_buf = &out;
	assert_int_equal(proc_run(&spec, &res, NULL), 0);
	assert_string_equal(buf_str(&out),
	                    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");

	proc_spec_init(&spec);
	assert_int_equal(run_capture(&spec, "if [ -e /proc/self/fd/100 ]; then echo leaked; fi",
	                             &out, &res, NULL),
	                 0);
	assert_string_equal(buf_str(&out), "");

	close(100);
	close(fd);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	buf_release(&out);
}

static void test_rusage_and_parent_idle(void **state)
{
	struct proc_spec spec;
	struct proc_result res;
	struct rusage before, after;
	double self_s;

	proc_spec_init(&spec);
	spec.timeout_s = 60;
	assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
	assert_int_equal(proc_run_sh(&spec, "sleep 0.3", &res, NULL), 0);
	assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
	assert_true(proc_result_ok(&res));
	assert_true(res.wall_s >= 0.29);
	assert_true(res.wall_s < 10);
	assert_true(res.maxrss_kb > 0);
	assert_true(res.minflt > 0);
	assert_true(res.nvcsw > 0);
	/* The runner sleeps in poll while the child runs: no busy waiting. */
	self_s = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
	         (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
	         (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
	         (double)(after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
	assert_true(self_s < 0.1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec_init_and_defaults),
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_signal),
	    cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_capture_files),
	    cmocka_unit_test(test_capture_bufs_and_stdin),
	    cmocka_unit_test(test_capture_large_both_streams),
	    cmocka_unit_test(test_output_cap),
	    cmocka_unit_test(test_timeout_kills_grandchildren),
	    cmocka_unit_test(test_exit_kills_grandchildren),
	    cmocka_unit_test(test_sigterm_ignored_then_sigkill),
	    cmocka_unit_test(test_timeout_sigterm_reaches_group),
	    cmocka_unit_test_setup_teardown(test_limits_applied, allow_cores, restore_cores),
	    cmocka_unit_test(test_rlimit_as),
	    cmocka_unit_test(test_rlimit_fsize),
	    cmocka_unit_test(test_rlimit_cpu),
	    cmocka_unit_test(test_env_scrubbed),
	    cmocka_unit_test(test_env_add),
	    cmocka_unit_test(test_env_is_secret),
	    cmocka_unit_test(test_env_pass),
	    cmocka_unit_test(test_hooks),
	    cmocka_unit_test(test_hook_failure),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_start_failures),
	    cmocka_unit_test(test_cwd),
	    cmocka_unit_test(test_cpu_pinning),
	    cmocka_unit_test(test_child_starts_clean),
	    cmocka_unit_test(test_rusage_and_parent_idle),
	};

	return test_run(tests, setup_group, teardown_group);
}
