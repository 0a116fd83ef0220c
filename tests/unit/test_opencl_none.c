/*
 * test_opencl_none.c: a machine with no OpenCL platform. The ICD loader
 * (ocl-icd) reads its vendor list from $OCL_ICD_VENDORS when set, and caches
 * the platforms at the first OpenCL call of the process; so this executable
 * points it at an empty directory before any OpenCL call, and holds only
 * the tests that need that.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "prof/opencl_info.h"
#include "test_util.h"

static char emptydir[PATH_MAX];

/* Before any OpenCL call of the process: no vendors. */
static int setup(void **state)
{
	(void)state;
	snprintf(emptydir, sizeof(emptydir), "%s/no-vendors", test_tmpdir());
	if (mkdir(emptydir, 0755) < 0) {
		perror("mkdir");
		return -1;
	}
	setenv("OCL_ICD_VENDORS", emptydir, 1);
	unsetenv("OPENCL_VENDOR_PATH");
	return 0;
}

static void test_describe_says_no_platform(void **state)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct cJSON *json = (struct cJSON *)&text; /* must be reset to NULL */

	(void)state;
	buf_init(&text, 0);
	buf_init(&err, 0);
	assert_int_equal(opencl_describe(&text, &json, &err), -1);
	assert_null(json);
	assert_string_equal(err.data, OPENCL_NO_PLATFORM_MSG);
	assert_non_null(strstr(err.data, "pocl-opencl-icd"));
	buf_release(&text);
	buf_release(&err);
}

static void test_available_is_false(void **state)
{
	struct buf why = BUF_INIT;

	(void)state;
	buf_init(&why, 0);
	assert_int_equal(opencl_available(&why), 0);
	assert_string_equal(why.data, OPENCL_NO_PLATFORM_MSG);
	assert_int_equal(opencl_available(NULL), 0);
	buf_release(&why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_describe_says_no_platform),
	    cmocka_unit_test(test_available_is_false),
	};

	return test_run(tests, setup, NULL);
}
