/*
 * test_proc_net.c: candidates can be run in a network namespace that holds
 * only loopback (proc_spec.isolate_net): they cannot reach another host, and
 * loopback works inside. Without isolation the same child can. And the
 * user's tree can be made read-only for them (readonly_paths), except the
 * tool's own state directory (writable_paths). Where namespaces are not
 * available these tests fail, unless OPTIMIZE_TEST_NO_NAMESPACES=1 (or the
 * older OPTIMIZE_TEST_NO_NETNS=1) skips them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/proc.h"
#include "test_util.h"

/*
 * What the child can see of the network, without sending anything anywhere:
 * its interfaces, its IPv4 routes (header line excluded), and whether a UDP
 * socket can bind to loopback.
 */
static const char *probe_cmd =
    "echo ifaces $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' '); "
    "echo routes $(tail -n +2 /proc/net/route | wc -l); "
    "python3 -c \"import socket; t=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
    "t.bind(('127.0.0.1', 0)); print('loopback ok')\"";

static void run(int isolate, struct buf *out)
{
	struct proc_spec spec;
	struct proc_result res;
	struct buf err = BUF_INIT;

	proc_spec_init(&spec);
	spec.isolate_net = isolate;
	spec.stdout_buf = out;
	spec.timeout_s = 30;
	assert_int_equal(proc_run_sh(&spec, probe_cmd, &res, &err), 0);
	assert_true(proc_result_ok(&res));
	buf_release(&err);
}

static void test_isolated_child_reaches_only_loopback(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;

	(void)state;
	test_require(TEST_NEED_NAMESPACES, proc_net_isolation_probe);
	run(1, &in);
	/* only loopback, no route anywhere, and loopback works */
	assert_non_null(strstr(in.data, "ifaces lo\n"));
	assert_non_null(strstr(in.data, "routes 0\n"));
	assert_non_null(strstr(in.data, "loopback ok"));
	/* the same child outside the namespace sees this machine's network */
	run(0, &out);
	assert_null(strstr(out.data, "ifaces lo\n"));
	assert_non_null(strstr(out.data, "loopback ok"));
	buf_release(&in);
	buf_release(&out);
}

/* A tree and its state directory, as the tool would make read-only and
 * writable; probed with the same kind of paths as the test uses. */
static int mount_probe(struct buf *why)
{
	char root[PATH_MAX], st[PATH_MAX + 16];
	const char *ro[2], *rw[2];

	snprintf(root, sizeof(root), "%s/probe-XXXXXX", test_tmpdir());
	if (!mkdtemp(root))
		return err_set(why, "mkdtemp '%s' failed", root);
	snprintf(st, sizeof(st), "%s/.optimize", root);
	if (mkdir(st, 0755) < 0)
		return err_set(why, "mkdir '%s' failed", st);
	ro[0] = root;
	ro[1] = NULL;
	rw[0] = st;
	rw[1] = NULL;
	return proc_isolation_probe(0, ro, rw, NULL, why);
}

/* readonly_paths: the child cannot write the directory, except the writable
 * subdirectory bound again on top; without them it can write both. */
static void test_readonly_tree_with_writable_state(void **state)
{
	char root[PATH_MAX];
	const char *ro[2], *rw[2];
	struct buf out = BUF_INIT, err = BUF_INIT, cmd = BUF_INIT, st = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	(void)state;
	test_require(TEST_NEED_NAMESPACES, mount_probe);
	snprintf(root, sizeof(root), "%s/ro-XXXXXX", test_tmpdir());
	assert_non_null(mkdtemp(root));
	buf_addf(&st, "%s/.optimize", root);
	assert_int_equal(mkdir(st.data, 0755), 0);
	ro[0] = root;
	ro[1] = NULL;
	rw[0] = st.data;
	rw[1] = NULL;
	buf_addf(
	    &cmd,
	    "(echo x > %s/user.c) 2>/dev/null && echo tree-writable || echo tree-readonly; "
	    "(echo x > %s/state.txt) 2>/dev/null && echo state-writable || echo state-readonly",
	    root, st.data);
	proc_spec_init(&spec);
	spec.readonly_paths = ro;
	spec.writable_paths = rw;
	spec.stdout_buf = &out;
	spec.timeout_s = 30;
	assert_int_equal(proc_run_sh(&spec, cmd.data, &res, &err), 0);
	assert_non_null(strstr(out.data, "tree-readonly"));
	assert_non_null(strstr(out.data, "state-writable"));
	/* outside the namespace the tree is writable: nothing leaked to the parent */
	buf_reset(&out);
	proc_spec_init(&spec);
	spec.stdout_buf = &out;
	spec.timeout_s = 30;
	assert_int_equal(proc_run_sh(&spec, cmd.data, &res, &err), 0);
	assert_non_null(strstr(out.data, "tree-writable"));
	assert_int_equal(test_rmtree(root), 0);
	buf_release(&out);
	buf_release(&err);
	buf_release(&cmd);
	buf_release(&st);
}

/* hidden_paths: the state directory is an empty read-only tmpfs for the
 * child, except its own workspace bound back (writable, its files there);
 * the parent's view is untouched. */
static void test_hidden_state_with_workspace(void **state)
{
	char root[PATH_MAX];
	const char *ro[2], *rw[2], *hide[2];
	struct buf out = BUF_INIT, err = BUF_INIT, cmd = BUF_INIT, st = BUF_INIT, ws = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	(void)state;
	test_require(TEST_NEED_NAMESPACES, mount_probe);
	snprintf(root, sizeof(root), "%s/hide-XXXXXX", test_tmpdir());
	assert_non_null(mkdtemp(root));
	buf_addf(&st, "%s/.optimize", root);
	buf_addf(&ws, "%s/work/r1/c0001", st.data);
	assert_int_equal(file_mkdirs(ws.data, 0755, NULL), 0);
	buf_addf(&cmd, "%s/secret", st.data);
	assert_int_equal(file_write_atomic(cmd.data, "ref\n", 4, 0644, NULL), 0);
	buf_reset(&cmd);
	buf_addf(&cmd, "%s/mine", ws.data);
	assert_int_equal(file_write_atomic(cmd.data, "own\n", 4, 0644, NULL), 0);
	ro[0] = root;
	rw[0] = ws.data;
	hide[0] = st.data;
	ro[1] = rw[1] = hide[1] = NULL;
	buf_reset(&cmd);
	buf_addf(&cmd,
	         "cat %s/secret 2>/dev/null || echo secret-hidden; ls %s | tr '\\n' ' '; echo; "
	         "cat mine; (echo x > %s/new) 2>/dev/null && echo state-writable || "
	         "echo state-readonly; echo y > out && echo ws-writable",
	         st.data, st.data, st.data);
	proc_spec_init(&spec);
	spec.readonly_paths = ro;
	spec.writable_paths = rw;
	spec.hidden_paths = hide;
	spec.cwd = ws.data;
	spec.stdout_buf = &out;
	spec.timeout_s = 30;
	assert_int_equal(proc_run_sh(&spec, cmd.data, &res, &err), 0);
	assert_true(proc_result_ok(&res));
	assert_non_null(strstr(out.data, "secret-hidden"));
	assert_non_null(strstr(out.data, "work \n")); /* only the path to the workspace */
	assert_non_null(strstr(out.data, "own"));
	assert_non_null(strstr(out.data, "state-readonly"));
	assert_non_null(strstr(out.data, "ws-writable"));
	/* the parent still sees the state, and the workspace's new file */
	buf_reset(&cmd);
	buf_addf(&cmd, "%s/secret", st.data);
	assert_int_equal(access(cmd.data, R_OK), 0);
	buf_reset(&cmd);
	buf_addf(&cmd, "%s/out", ws.data);
	assert_int_equal(access(cmd.data, R_OK), 0);
	assert_int_equal(test_rmtree(root), 0);
	buf_release(&out);
	buf_release(&err);
	buf_release(&cmd);
	buf_release(&st);
	buf_release(&ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_isolated_child_reaches_only_loopback),
	    cmocka_unit_test(test_readonly_tree_with_writable_state),
	    cmocka_unit_test(test_hidden_state_with_workspace),
	};
	return test_run(tests, NULL, NULL);
}
