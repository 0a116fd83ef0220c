/*
 * test_util.h: what every unit test executable shares (tests/README.md has
 * the variables and how a skip shows in ctest).
 *
 * main ends with `return test_run(tests, setup, teardown);` instead of
 * cmocka_run_group_tests. test_run makes a temporary directory for the
 * executable (test_tmpdir), runs the group with it as the working directory,
 * removes it, and returns the exit status ctest reads: 0 when every test
 * passed, 1 when one failed, 77 when none failed but one was skipped
 * (tests/CMakeLists.txt sets SKIP_RETURN_CODE 77, so ctest lists the
 * executable as skipped, not as passed). Before returning 77 it lists the
 * skipped tests and why.
 *
 * test_require is how a test says it needs something a machine may lack.
 * Where the probe says it is missing, the test fails with the probe's
 * reason and the variable that would turn the failure into a skip; with
 * that variable set to 1 it is skipped instead. Call it before the test
 * allocates anything: a failure or a skip leaves the test by longjmp.
 *
 * Where a missing capability has a failure path of its own (an event that
 * cannot be counted reads "not supported" with a reason), test that path
 * first, then require the capability for the rest.
 */
#ifndef OPTIMIZE_TEST_UTIL_H
#define OPTIMIZE_TEST_UTIL_H

#include "base/buf.h"

enum test_need {
	TEST_NEED_PERF,       /* perf_event_open for software events: OPTIMIZE_TEST_NO_PERF */
	TEST_NEED_VALGRIND,   /* valgrind in PATH: OPTIMIZE_TEST_NO_VALGRIND */
	TEST_NEED_OPENCL,     /* an OpenCL platform with a device: OPTIMIZE_TEST_NO_OPENCL */
	TEST_NEED_NAMESPACES, /* network and mount namespaces: OPTIMIZE_TEST_NO_NAMESPACES
	                       * (the older OPTIMIZE_TEST_NO_NETNS works too) */
};

/* A probe: 0 when this machine has the capability, -1 and why otherwise. */
typedef int test_probe_fn(struct buf *why);

/* Returns when probe() is 0; otherwise fails or skips the calling test. */
#define test_require(need, probe) test_require_at(need, probe, __func__, __FILE__, __LINE__)
void test_require_at(enum test_need need, test_probe_fn *probe, const char *test, const char *file,
                     int line);

/* The executable's temporary directory (absolute), its working directory
 * while the tests run. Kept with OPTIMIZE_TEST_KEEP_TMP=1. */
const char *test_tmpdir(void);

/* Remove path and everything below it, without following links. */
int test_rmtree(const char *path);

void test_start(void);
int test_finish(int failed);
#define test_run(tests, setup, teardown)                                                           \
	(test_start(), test_finish(cmocka_run_group_tests(tests, setup, teardown)))

#endif
