/*
 * test_cltrace_read.c: the OpenCL trace reader (a hand-written trace, files
 * it cannot read) and the environment that preloads the interposer. None of
 * it needs an OpenCL platform; the runs under the interposer are in
 * test_cltrace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "prof/cltrace.h"
#include "base/proc.h"
#include "prof/profile.h"
#include "test_util.h"

/* A hand-written trace: two processes, escapes, an error record, a named
 * objective and the table. */
static void test_read_written_trace(void **state)
{
	static const char text[] =
	    "{\"type\":\"process\",\"pid\":1,\"opencl\":true,\"records\":4,\"dropped\":0,\"lost\":"
	    "0}\n"
	    "{\"type\":\"device\",\"index\":0,\"platform\":\"P\",\"name\":\"Dev \\\"1\\\"\","
	    "\"vendor\":\"V\",\"driver_version\":\"9\",\"device_type\":\"GPU\",\"compute_units\":"
	    "80,"
	    "\"max_work_group_size\":1024,\"local_mem_bytes\":65536,\"global_mem_bytes\":"
	    "8589934592,"
	    "\"pref_vector_width_float\":1,\"pref_vector_width_double\":1,\"pref_vector_width_"
	    "int\":1}\n"
	    "{\"type\":\"kernel\",\"device\":0,\"name\":\"mm\",\"work_dim\":2,\"global\":[64,32],"
	    "\"local\":[8,4],\"queued\":0,\"submit\":1,\"start\":1000000,\"end\":4000000}\n"
	    "{\"type\":\"kernel\",\"device\":0,\"name\":\"mm\",\"work_dim\":2,\"global\":[1,1],"
	    "\"local\":null,\"queued\":0,\"submit\":1,\"start\":1000000,\"end\":2000000}\n"
	    "{\"type\":\"kernel\",\"device\":0,\"name\":\"mm\",\"work_dim\":2,\"global\":[1,1],"
	    "\"local\":null,\"error\":-7}\n"
	    "{\"type\":\"write\",\"device\":0,\"bytes\":2048,\"queued\":0,\"submit\":0,\"start\":0,"
	    "\"end\":500000}\n"
	    "\n"
	    "{\"type\":\"process\",\"pid\":2,\"opencl\":true,\"records\":1,\"dropped\":3,\"lost\":"
	    "0}\n"
	    "{\"type\":\"kernel\",\"device\":0,\"name\":\"add\",\"work_dim\":1,\"global\":[7],"
	    "\"local\":null,\"queued\":0,\"submit\":0,\"start\":10,\"end\":500010}\n"
	    "{\"type\":\"build_error\",\"function\":\"clBuildProgram\",\"status\":-11,"
	    "\"device\":\"Dev\",\"options\":\"-cl-mad-enable\",\"log\":\"a.cl:1:2: error: "
	    "\\u00e9\\n\"}\n"
	    "{\"type\":\"future_record\"}\n";
	struct buf path = BUF_INIT, err = BUF_INIT, table = BUF_INIT;
	struct profile p;
	double ms;
	FILE *f;

	(void)state;
	buf_init(&path, 0);
	buf_init(&err, 0);
	buf_init(&table, 0);
	profile_init(&p);
	buf_addf(&path, "%s/written.jsonl", test_tmpdir());
	f = fopen(path.data, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(cltrace_read(path.data, &p, &err), 0);
	assert_int_equal(p.nkernels, 2);
	assert_string_equal(p.kernels[0].name, "mm"); /* slowest first */
	assert_int_equal(p.kernels[0].launches, 2);
	assert_true(p.kernels[0].total_ms == 4.0);
	assert_true(p.kernels[0].median_ms == 2.0);
	assert_true(p.kernels[0].min_ms == 1.0 && p.kernels[0].max_ms == 3.0);
	assert_int_equal(p.kernels[0].work_dim, 2);
	assert_int_equal(p.kernels[0].global[1], 32);
	assert_int_equal(p.kernels[0].local[0], 8);
	assert_string_equal(p.device->name, "Dev \"1\"");
	assert_int_equal(p.device->global_mem_bytes, 8589934592ULL);
	assert_non_null(strstr(p.cl_build_log, "error: \xc3\xa9"));
	assert_non_null(strstr(p.cl_build_log, "-cl-mad-enable"));
	assert_true(profile_value(&p, "opencl-transfer-size") == 2.0);
	assert_true(profile_value(&p, "opencl-records-missing") == 3.0);

	assert_int_equal(cltrace_objective(&p, "add", &ms, &err), 0);
	assert_true(ms == 0.5);
	assert_int_equal(cltrace_objective(&p, NULL, &ms, &err), 0);
	assert_true(ms == 4.5);
	assert_int_equal(cltrace_objective(&p, "nope", &ms, &err), -1);
	assert_non_null(strstr(err.data, "kernel 'nope' was never launched"));
	assert_non_null(strstr(err.data, "'add'"));

	assert_int_equal(cltrace_render_table(&p, &table), 0);
	assert_non_null(strstr(table.data, "mm"));
	assert_non_null(strstr(table.data, "64x32"));
	assert_non_null(strstr(table.data, "8x4"));
	assert_non_null(strstr(table.data, "launches"));
	assert_non_null(strstr(table.data, "Dev \"1\""));
	assert_non_null(strstr(table.data, "build log"));

	/* Reading again replaces, does not add. */
	assert_int_equal(cltrace_read(path.data, &p, &err), 0);
	assert_int_equal(p.nkernels, 2);

	/* The same text from memory, its last line without a newline. */
	assert_int_equal(cltrace_parse(text, sizeof(text) - 2, "mem", &p, &err), 0);
	assert_int_equal(p.nkernels, 2);
	assert_true(p.kernels[0].total_ms == 4.0);
	assert_true(profile_value(&p, "opencl-records-missing") == 3.0);
	assert_non_null(strstr(p.cl_build_log, "-cl-mad-enable"));

	profile_release(&p);
	buf_release(&path);
	buf_release(&err);
	buf_release(&table);
}

static void test_read_huge_numbers(void **state)
{
	static const char text[] =
	    "{\"type\":\"process\",\"dropped\":6.7e68,\"lost\":-1}\n"
	    "{\"type\":\"kernel\",\"name\":\"k\",\"work_dim\":2,\"global\":[1e300,5],"
	    "\"local\":[-2,1.9e19],\"start\":0,\"end\":1000000}\n";
	struct buf err = BUF_INIT;
	struct profile p;

	(void)state;
	buf_init(&err, 0);
	profile_init(&p);
	assert_int_equal(cltrace_parse(text, sizeof(text) - 1, "mem", &p, &err), 0);
	assert_int_equal(p.nkernels, 1);
	assert_int_equal(p.kernels[0].global[0], 0);
	assert_int_equal(p.kernels[0].global[1], 5);
	assert_int_equal(p.kernels[0].local[0], 0);
	assert_int_equal(p.kernels[0].local[1], 0);
	assert_null(profile_find(&p, "opencl-records-missing"));
	profile_release(&p);
	buf_release(&err);
}

static void test_read_errors(void **state)
{
	struct buf path = BUF_INIT, err = BUF_INIT;
	struct profile p;
	FILE *f;

	(void)state;
	buf_init(&path, 0);
	buf_init(&err, 0);
	profile_init(&p);
	buf_addf(&path, "%s/missing.jsonl", test_tmpdir());
	assert_int_equal(cltrace_read(path.data, &p, &err), -1);
	assert_non_null(strstr(err.data, "no OpenCL trace was written"));

	buf_setf(&path, "%s/bad.jsonl", test_tmpdir());
	f = fopen(path.data, "w");
	assert_non_null(f);
	fputs("{\"type\":\"process\"}\n{\"type\":\"kernel\",\n", f);
	fclose(f);
	assert_int_equal(cltrace_read(path.data, &p, &err), -1);
	assert_non_null(strstr(err.data, "line 2"));
	assert_int_equal(cltrace_parse("{}\r\n\n{\"type\":\"kernel\",", 22, "mem", &p, &err), -1);
	assert_non_null(strstr(err.data, "trace 'mem' line 3"));
	profile_release(&p);
	buf_release(&path);
	buf_release(&err);
}

static void test_env_and_library_path(void **state)
{
	struct strlist env = {0};
	struct buf err = BUF_INIT, lib = BUF_INIT;
	char *saved =
	    getenv("OPTIMIZE_CLTRACE_LIB") ? strdup(getenv("OPTIMIZE_CLTRACE_LIB")) : NULL;

	(void)state;
	buf_init(&err, 0);
	buf_init(&lib, 0);
	assert_int_equal(cltrace_library_path(&lib, &err), 0);
	assert_true(lib.data[0] == '/');
	assert_non_null(strstr(lib.data, CLTRACE_LIB_NAME));

	assert_int_equal(cltrace_env("rel/trace.jsonl", "-cl-fast-relaxed-math", &env, &err), 0);
	assert_int_equal(env.n, 3);
	assert_null(env.v[3]);
	assert_true(!strncmp(env.v[0], "LD_PRELOAD=/", 12));
	assert_non_null(strstr(env.v[0], CLTRACE_LIB_NAME));
	assert_true(!strncmp(env.v[1], "OPTIMIZE_CLTRACE_OUT=/", 22));
	assert_non_null(strstr(env.v[1], "/rel/trace.jsonl"));
	assert_string_equal(env.v[2], "OPTIMIZE_CL_BUILD_OPTIONS=-cl-fast-relaxed-math");
	strlist_release(&env);

	setenv("OPTIMIZE_CLTRACE_LIB", "/nonexistent/liboptimize_cltrace.so", 1);
	assert_int_equal(cltrace_library_path(&lib, &err), -1);
	assert_non_null(strstr(err.data, "OPTIMIZE_CLTRACE_LIB"));
	setenv("OPTIMIZE_CLTRACE_LIB", lib.data, 1);
	assert_int_equal(cltrace_env("/tmp/t.jsonl", NULL, &env, &err), 0);
	assert_string_equal(env.v[2], "OPTIMIZE_CL_BUILD_OPTIONS=");
	strlist_release(&env);
	if (saved)
		setenv("OPTIMIZE_CLTRACE_LIB", saved, 1);
	else
		unsetenv("OPTIMIZE_CLTRACE_LIB");
	free(saved);
	buf_release(&err);
	buf_release(&lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_written_trace),
	    cmocka_unit_test(test_read_huge_numbers),
	    cmocka_unit_test(test_read_errors),
	    cmocka_unit_test(test_env_and_library_path),
	};

	return test_run(tests, NULL, NULL);
}
