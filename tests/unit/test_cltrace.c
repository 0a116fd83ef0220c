/*
 * test_cltrace.c: the OpenCL interposer and its reader, on the machine's
 * OpenCL platform (PoCL here). The fixtures are built with cc into a
 * temporary directory and run under liboptimize_cltrace.so through
 * proc_run, as the tool does.
 *
 * Fails when the machine has no OpenCL device (OPTIMIZE_TEST_NO_OPENCL=1 skips); the "no
 * platform" path is tested by test_opencl_none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "prof/cltrace.h"
#include "engine/manifest.h"
#include "prof/opencl_info.h"
#include "base/proc.h"
#include "prof/profile.h"

#ifndef TEST_FIXTURES_DIR
#define TEST_FIXTURES_DIR "tests/fixtures"
#endif

static char tmpdir[] = "/tmp/test_cltrace.XXXXXX";
static int have_opencl;
static int have_lib;

struct run {
	struct proc_result res;
	struct buf out, errout;
	struct profile prof;
	struct buf err;
	int read_rc;
};

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->out, 0);
	buf_init(&r->errout, 0);
	buf_init(&r->err, 0);
	profile_init(&r->prof);
}

static void run_release(struct run *r)
{
	buf_release(&r->out);
	buf_release(&r->errout);
	buf_release(&r->err);
	profile_release(&r->prof);
}

static int build_fixture(const char *dir, const char *src, const char *exe)
{
	struct proc_spec spec;
	struct proc_result res;
	struct buf cmd = BUF_INIT, err = BUF_INIT, errout = BUF_INIT;
	int ok;

	buf_init(&cmd, 0);
	buf_init(&err, 0);
	buf_init(&errout, 0);
	proc_spec_init(&spec);
	spec.stderr_buf = &errout;
	spec.timeout_s = 120;
	buf_addf(&cmd, "cc -O2 -o '%s/%s' '%s/%s/%s' -lOpenCL -lm", tmpdir, exe, TEST_FIXTURES_DIR,
	         dir, src);
	ok = proc_run_sh(&spec, cmd.data, &res, &err) == 0 && proc_result_ok(&res);
	if (!ok)
		fprintf(stderr, "building %s failed: %s%s\n", exe, err.data, errout.data);
	buf_release(&cmd);
	buf_release(&err);
	buf_release(&errout);
	return ok ? 0 : -1;
}

static int group_setup(void **state)
{
	struct buf why = BUF_INIT, lib = BUF_INIT;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	buf_init(&why, 0);
	buf_init(&lib, 0);
	have_opencl = opencl_available(&why);
	if (!have_opencl)
		fprintf(stderr, "no OpenCL here (%s): OpenCL runs are skipped\n", why.data);
	have_lib = cltrace_library_path(&lib, &why) == 0;
	if (!have_lib)
		fprintf(stderr, "%s: interposer runs are skipped\n", why.data);
	buf_release(&why);
	buf_release(&lib);
	if (have_opencl && (build_fixture("cl_two_kernels", "two_kernels.c", "two_kernels") < 0 ||
	                    build_fixture("cl_syntax_error", "syntax_error.c", "syntax_error") < 0))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	struct proc_spec spec;
	struct proc_result res;
	const char *argv[] = {"rm", "-rf", tmpdir, NULL};

	(void)state;
	proc_spec_init(&spec);
	spec.argv = argv;
	proc_run(&spec, &res, NULL);
	return 0;
}

/* OpenCL (PoCL) is a dependency scripts/bootstrap.sh installs: without it
 * these tests fail, unless OPTIMIZE_TEST_NO_OPENCL=1 asks for a skip. */
static void need_opencl(void)
{
	if (have_opencl && have_lib)
		return;
	if (getenv("OPTIMIZE_TEST_NO_OPENCL") && !strcmp(getenv("OPTIMIZE_TEST_NO_OPENCL"), "1"))
		skip();
	fail_msg("no OpenCL platform or no interposer library: run scripts/bootstrap.sh, or set "
	         "OPTIMIZE_TEST_NO_OPENCL=1 to skip");
}

/* Run argv in tmpdir under the interposer (or bare when traced is 0). */
static void run_traced(struct run *r, const char *const *argv, const char *sh_cmd,
                       const char *build_options, int traced)
{
	struct strlist env = {0};
	struct proc_spec spec;
	struct buf trace = BUF_INIT;

	buf_init(&trace, 0);
	buf_addf(&trace, "%s/trace.jsonl", tmpdir);
	unlink(trace.data);
	if (traced)
		assert_int_equal(cltrace_env(trace.data, build_options, &env, &r->err), 0);
	proc_spec_init(&spec);
	spec.argv = argv;
	spec.cwd = tmpdir;
	spec.env_add = traced ? (const char *const *)env.v : NULL;
	spec.stdout_buf = &r->out;
	spec.stderr_buf = &r->errout;
	spec.timeout_s = 120;
	if (sh_cmd)
		assert_int_equal(proc_run_sh(&spec, sh_cmd, &r->res, &r->err), 0);
	else
		assert_int_equal(proc_run(&spec, &r->res, &r->err), 0);
	if (traced)
		r->read_rc = cltrace_read(trace.data, &r->prof, &r->err);
	strlist_release(&env);
	buf_release(&trace);
}

static const struct kernel_timing *find_kernel(const struct profile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nkernels; i++)
		if (!strcmp(p->kernels[i].name, name))
			return &p->kernels[i];
	return NULL;
}

static void check_two_kernels(struct run *r)
{
	const struct kernel_timing *ks, *kh;
	double sum = 0, ms = 0;
	size_t i;

	assert_true(proc_result_ok(&r->res));
	assert_int_equal(r->read_rc, 0);
	assert_int_equal(r->prof.nkernels, 2);
	ks = find_kernel(&r->prof, "scale");
	kh = find_kernel(&r->prof, "shift");
	assert_non_null(ks);
	assert_non_null(kh);
	assert_int_equal(ks->launches, 3);
	assert_int_equal(kh->launches, 3);
	for (i = 0; i < r->prof.nkernels; i++) {
		const struct kernel_timing *k = &r->prof.kernels[i];
		assert_true(k->min_ms > 0);
		assert_true(k->min_ms <= k->median_ms && k->median_ms <= k->max_ms);
		assert_true(k->total_ms >= k->max_ms);
		sum += k->total_ms;
	}
	assert_true(sum > 0);
	assert_true(sum <= r->res.wall_s * 1000.0);
	assert_int_equal(cltrace_objective(&r->prof, NULL, &ms, &r->err), 0);
	assert_true(ms > sum * 0.999999 && ms < sum * 1.000001);

	/* Geometry of the first launch. */
	assert_int_equal(ks->work_dim, 1);
	assert_int_equal(ks->global[0], 1 << 18);
	assert_int_equal(ks->local[0], 64);
	assert_int_equal(kh->local[0], 0); /* NULL local size */

	/* The device, and transfers as metrics. */
	assert_non_null(r->prof.device);
	assert_non_null(r->prof.device->name);
	assert_true(r->prof.device->compute_units > 0);
	assert_true(r->prof.device->max_work_group_size > 0);
	assert_true(r->prof.device->global_mem_bytes > 0);
	assert_true(profile_value(&r->prof, "opencl-transfer-size") >= 2048.0); /* 2 x 1 MiB */
	assert_true(profile_value(&r->prof, "opencl-launches") == 6.0);
	assert_null(r->prof.cl_build_log);

	/* The application's own event still worked, and it saw profiling on. */
	assert_non_null(strstr(r->out.data, "app_event: complete profiling=ok"));
}

static void test_two_kernels_legacy_queue(void **state)
{
	const char *argv[] = {"./two_kernels", "legacy", NULL};
	struct run r;

	(void)state;
	need_opencl();
	run_init(&r);
	run_traced(&r, argv, NULL, NULL, 1);
	assert_non_null(strstr(r.out.data, "queue: legacy"));
	check_two_kernels(&r);
	run_release(&r);
}

static void test_two_kernels_queue_with_properties(void **state)
{
	const char *argv[] = {"./two_kernels", "props", NULL};
	struct run r;

	(void)state;
	need_opencl();
	run_init(&r);
	run_traced(&r, argv, NULL, NULL, 1);
	assert_non_null(strstr(r.out.data, "queue: props"));
	check_two_kernels(&r);
	run_release(&r);
}

/* Through sh -c, as the tool runs targets: sh loads the interposer too and
 * must neither break the program nor add records. */
static void test_two_kernels_through_sh(void **state)
{
	struct run r;

	(void)state;
	need_opencl();
	run_init(&r);
	run_traced(&r, NULL, "./two_kernels legacy && true", NULL, 1);
	check_two_kernels(&r);
	run_release(&r);
}

/* Without the interposer the legacy queue has no profiling: the fixture
 * tells, so the profiling=ok above is the interposer's doing. */
static void test_bare_run_has_no_profiling(void **state)
{
	const char *argv[] = {"./two_kernels", "legacy", NULL};
	struct run r;

	(void)state;
	need_opencl();
	run_init(&r);
	run_traced(&r, argv, NULL, NULL, 0);
	assert_true(proc_result_ok(&r.res));
	assert_non_null(strstr(r.out.data, "app_event: complete profiling=unavailable"));
	run_release(&r);
}

static const char *checksum(const struct buf *out)
{
	const char *s = strstr(out->data, "checksum: ");

	return s ? s + 10 : "";
}

static void test_build_options_are_applied(void **state)
{
	const char *argv[] = {"./two_kernels", "props", NULL};
	struct run a, b;

	(void)state;
	need_opencl();
	run_init(&a);
	run_init(&b);
	run_traced(&a, argv, NULL, "", 1);
	run_traced(&b, argv, NULL, "-DSCALE=3.0f", 1);
	assert_true(proc_result_ok(&a.res));
	assert_true(proc_result_ok(&b.res));
	assert_string_not_equal(checksum(&a.out), "");
	assert_string_not_equal(checksum(&a.out), checksum(&b.out));
	assert_int_equal(b.read_rc, 0);
	assert_int_equal(b.prof.nkernels, 2);
	run_release(&a);
	run_release(&b);
}

static void test_syntax_error_reports_build_log(void **state)
{
	const char *argv[] = {"./syntax_error", NULL};
	struct run r;
	double ms;

	(void)state;
	need_opencl();
	run_init(&r);
	run_traced(&r, argv, NULL, NULL, 1);
	assert_true(r.res.exited);
	assert_int_equal(r.res.exit_code, 1);
	assert_int_equal(r.read_rc, 0);
	assert_int_equal(r.prof.nkernels, 0);
	assert_non_null(r.prof.cl_build_log);
	assert_non_null(strstr(r.prof.cl_build_log, "CL_BUILD_PROGRAM_FAILURE"));
	/* the compiler's own message, with the line and column of the error */
	assert_non_null(strstr(r.prof.cl_build_log, "error"));
	assert_non_null(strstr(r.prof.cl_build_log, ":3:"));
	assert_int_equal(cltrace_objective(&r.prof, NULL, &ms, &r.err), -1);
	assert_non_null(strstr(r.err.data, "build failed"));
	run_release(&r);
}

static void test_no_opencl_gives_empty_trace(void **state)
{
	const char *argv[] = {"/bin/true", NULL};
	struct run r;
	struct stat st;
	struct buf trace = BUF_INIT;
	double ms;

	(void)state;
	need_opencl();
	run_init(&r);
	run_traced(&r, argv, NULL, NULL, 1);
	assert_true(proc_result_ok(&r.res));
	buf_init(&trace, 0);
	buf_addf(&trace, "%s/trace.jsonl", tmpdir);
	assert_int_equal(stat(trace.data, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(r.read_rc, 0);
	assert_null(r.prof.device);
	assert_int_equal(r.prof.nkernels, 0);
	assert_null(r.prof.cl_build_log);
	assert_int_equal(cltrace_objective(&r.prof, NULL, &ms, &r.err), -1);
	assert_string_equal(r.err.data, "objective kernel_time needs an OpenCL program: "
	                                "no kernel launches were recorded");
	buf_release(&trace);
	run_release(&r);
}

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
	buf_addf(&path, "%s/written.jsonl", tmpdir);
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

/* Counts and sizes no integer holds (found by fuzzing: converting them was
 * undefined) read as 0. */
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
	buf_addf(&path, "%s/missing.jsonl", tmpdir);
	assert_int_equal(cltrace_read(path.data, &p, &err), -1);
	assert_non_null(strstr(err.data, "no OpenCL trace was written"));

	buf_setf(&path, "%s/bad.jsonl", tmpdir);
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
	need_opencl();
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

static void test_opencl_describe(void **state)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	cJSON *json = NULL, *dev;

	(void)state;
	need_opencl();
	buf_init(&text, 0);
	buf_init(&err, 0);
	assert_int_equal(opencl_describe(&text, &json, &err), 0);
	assert_non_null(strstr(text.data, "platform: "));
	assert_non_null(strstr(text.data, "compute units"));
	assert_non_null(json);
	assert_true(cJSON_GetArraySize(json) >= 1);
	dev = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(json, 0), "devices"), 0);
	assert_non_null(cJSON_GetObjectItem(dev, "max_work_group_size"));
	assert_non_null(cJSON_GetObjectItem(dev, "pref_vector_width_float"));
	cJSON_Delete(json);
	buf_release(&text);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_written_trace),
	    cmocka_unit_test(test_read_huge_numbers),
	    cmocka_unit_test(test_read_errors),
	    cmocka_unit_test(test_env_and_library_path),
	    cmocka_unit_test(test_opencl_describe),
	    cmocka_unit_test(test_two_kernels_legacy_queue),
	    cmocka_unit_test(test_two_kernels_queue_with_properties),
	    cmocka_unit_test(test_two_kernels_through_sh),
	    cmocka_unit_test(test_bare_run_has_no_profiling),
	    cmocka_unit_test(test_build_options_are_applied),
	    cmocka_unit_test(test_syntax_error_reports_build_log),
	    cmocka_unit_test(test_no_opencl_gives_empty_trace),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
