/*
 * test_cltrace.c: the OpenCL interposer and its reader, on the machine's
 * OpenCL platform (PoCL here). The fixtures are built with cc into a
 * temporary directory and run under liboptimize_cltrace.so through
 * proc_run, as the tool does.
 *
 * The runs on a device fail where the machine has no OpenCL platform,
 * unless OPTIMIZE_TEST_NO_OPENCL=1 skips them; the "no platform" path is
 * tested by test_opencl_none, the trace reader by test_cltrace_read.
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
#include "test_util.h"

#ifndef TEST_FIXTURES_DIR
#define TEST_FIXTURES_DIR "tests/fixtures"
#endif

static const char *tmpdir;
static int have_opencl;

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

/* OpenCL (PoCL) is a dependency scripts/bootstrap.sh installs: without a
 * platform the tests that run kernels fail, unless OPTIMIZE_TEST_NO_OPENCL=1
 * skips them. Where it passes, group_setup has built the fixtures. */
static int opencl_probe(struct buf *why)
{
	return opencl_available(why) ? 0 : -1;
}

static int group_setup(void **state)
{
	struct buf why = BUF_INIT, lib = BUF_INIT;
	int rc = 0;

	(void)state;
	tmpdir = test_tmpdir();
	buf_init(&why, 0);
	buf_init(&lib, 0);
	/* The interposer is built with the tests: without it nothing here can run. */
	if (cltrace_library_path(&lib, &why) < 0) {
		fprintf(stderr, "%s\n", why.data);
		rc = -1;
	}
	have_opencl = opencl_available(NULL);
	buf_release(&why);
	buf_release(&lib);
	if (!rc && have_opencl &&
	    (build_fixture("cl_two_kernels", "two_kernels.c", "two_kernels") < 0 ||
	     build_fixture("cl_syntax_error", "syntax_error.c", "syntax_error") < 0))
		rc = -1;
	return rc;
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
	test_require(TEST_NEED_OPENCL, opencl_probe);
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
	test_require(TEST_NEED_OPENCL, opencl_probe);
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
	test_require(TEST_NEED_OPENCL, opencl_probe);
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
	test_require(TEST_NEED_OPENCL, opencl_probe);
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
	test_require(TEST_NEED_OPENCL, opencl_probe);
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
	test_require(TEST_NEED_OPENCL, opencl_probe);
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

static void test_opencl_describe(void **state)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	cJSON *json = NULL, *dev;

	(void)state;
	test_require(TEST_NEED_OPENCL, opencl_probe);
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
	    cmocka_unit_test(test_no_opencl_gives_empty_trace),
	    cmocka_unit_test(test_opencl_describe),
	    cmocka_unit_test(test_two_kernels_legacy_queue),
	    cmocka_unit_test(test_two_kernels_queue_with_properties),
	    cmocka_unit_test(test_two_kernels_through_sh),
	    cmocka_unit_test(test_bare_run_has_no_profiling),
	    cmocka_unit_test(test_build_options_are_applied),
	    cmocka_unit_test(test_syntax_error_reports_build_log),
	};

	return test_run(tests, group_setup, NULL);
}
