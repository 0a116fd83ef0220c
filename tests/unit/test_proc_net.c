/*
 * test_proc_net.c: candidates can be run in a network namespace that holds
 * only loopback (proc_spec.isolate_net): they cannot reach another host, and
 * loopback works inside. Without isolation the same child can. And the
 * user's tree can be made read-only for them (readonly_paths), except the
 * tool's own state directory (writable_paths).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/proc.h"

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
	struct buf why = BUF_INIT, in = BUF_INIT, out = BUF_INIT;

	(void)state;
	if (proc_net_isolation_probe(&why) < 0) {
		const char *skip_ok = getenv("OPTIMIZE_TEST_NO_NETNS");
		if (skip_ok && !strcmp(skip_ok, "1"))
			skip();
		fail_msg("network namespaces unavailable here (%s); set OPTIMIZE_TEST_NO_NETNS=1 "
		         "to skip on such a machine",
		         why.data);
	}
	run(1, &in);
	/* only loopback, no route anywhere, and loopback works */
	assert_non_null(strstr(in.data, "ifaces lo\n"));
	assert_non_null(strstr(in.data, "routes 0\n"));
	assert_non_null(strstr(in.data, "loopback ok"));
	/* the same child outside the namespace sees this machine's network */
	run(0, &out);
	assert_null(strstr(out.data, "ifaces lo\n"));
	assert_non_null(strstr(out.data, "loopback ok"));
	buf_release(&why);
	buf_release(&in);
	buf_release(&out);
}

/* readonly_paths: the child cannot write the directory, except the writable
 * subdirectory bound again on top; without them it can write both. */
static void test_readonly_tree_with_writable_state(void **state)
{
	char root[] = "/tmp/optimize-ro-XXXXXX";
	const char *ro[2], *rw[2];
	struct buf why = BUF_INIT, out = BUF_INIT, err = BUF_INIT, cmd = BUF_INIT, st = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	(void)state;
	assert_non_null(mkdtemp(root));
	buf_addf(&st, "%s/.optimize", root);
	assert_int_equal(mkdir(st.data, 0755), 0);
	ro[0] = root;
	ro[1] = NULL;
	rw[0] = st.data;
	rw[1] = NULL;
	if (proc_isolation_probe(0, ro, rw, &why) < 0) {
		const char *skip_ok = getenv("OPTIMIZE_TEST_NO_NETNS");
		if (skip_ok && !strcmp(skip_ok, "1"))
			skip();
		fail_msg("mount namespaces unavailable here (%s); set OPTIMIZE_TEST_NO_NETNS=1 "
		         "to skip on such a machine",
		         why.data);
	}
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
	buf_reset(&cmd);
	buf_addf(&cmd, "rm -rf %s", root);
	proc_spec_init(&spec);
	assert_int_equal(proc_run_sh(&spec, cmd.data, &res, &err), 0);
	buf_release(&why);
	buf_release(&out);
	buf_release(&err);
	buf_release(&cmd);
	buf_release(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_isolated_child_reaches_only_loopback),
	    cmocka_unit_test(test_readonly_tree_with_writable_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
