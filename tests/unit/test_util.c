/*
 * test_util.c: the temporary directory, the exit status and the
 * capability checks every unit test executable shares (see test_util.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

/* What each need is called in messages, and the variables that skip it. */
static const struct {
	const char *what;
	const char *var;
	const char *old_var; /* an earlier name that still works, or NULL */
} needs[] = {
    [TEST_NEED_PERF] = {"perf_event_open", "OPTIMIZE_TEST_NO_PERF", NULL},
    [TEST_NEED_VALGRIND] = {"valgrind", "OPTIMIZE_TEST_NO_VALGRIND", NULL},
    [TEST_NEED_OPENCL] = {"OpenCL platform", "OPTIMIZE_TEST_NO_OPENCL", NULL},
    [TEST_NEED_NAMESPACES] = {"namespaces", "OPTIMIZE_TEST_NO_NAMESPACES",
                              "OPTIMIZE_TEST_NO_NETNS"},
};

#define MAX_SKIPS 64

static struct {
	char *test;
	char *reason;
} skips[MAX_SKIPS];
static size_t nskips;

static char tmpdir[PATH_MAX];

static int env_is_1(const char *name)
{
	const char *v = name ? getenv(name) : NULL;

	return v && !strcmp(v, "1");
}

void test_require_at(enum test_need need, test_probe_fn *probe, const char *test, const char *file,
                     int line)
{
	struct buf why = BUF_INIT;
	char reason[2048];
	const char *var = NULL;

	buf_init(&why, 0);
	if (probe(&why) == 0) {
		buf_release(&why);
		return;
	}
	snprintf(reason, sizeof(reason), "%s not available here: %s", needs[need].what,
	         why.len ? why.data : "the probe gave no reason");
	buf_release(&why);

	if (env_is_1(needs[need].var))
		var = needs[need].var;
	else if (env_is_1(needs[need].old_var))
		var = needs[need].old_var;
	if (var) {
		size_t len = strlen(reason);

		snprintf(reason + len, sizeof(reason) - len, " (%s=1)", var);
		print_message("SKIP: %s\n", reason);
		if (nskips < MAX_SKIPS) {
			skips[nskips].test = strdup(test);
			skips[nskips].reason = strdup(reason);
		}
		nskips++;
		_skip(file, line);
		return;
	}
	print_error("%s; set %s=1 to skip the tests that need it\n", reason, needs[need].var);
	_fail(file, line);
}

const char *test_tmpdir(void)
{
	return tmpdir;
}

static int make_writable(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D)
		chmod(path, (st->st_mode & 07777) | S_IRWXU);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "test_rmtree: cannot remove '%s': %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int test_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	/* A test may leave a directory without write permission (file modes are
	 * what some of them check): give it back before removing. */
	nftw(path, make_writable, 16, FTW_PHYS);
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

void test_start(void)
{
	const char *base = getenv("TMPDIR");
	char made[PATH_MAX];

	if (!base || !*base)
		base = "/tmp";
	snprintf(made, sizeof(made), "%s/optimize-%s.XXXXXX", base, program_invocation_short_name);
	if (!mkdtemp(made) || !realpath(made, tmpdir) || chdir(tmpdir) < 0) {
		fprintf(stderr, "cannot make a temporary directory '%s': %s\n", made,
		        strerror(errno));
		exit(1);
	}
}

int test_finish(int failed)
{
	size_t i, j;

	if (chdir("/") < 0)
		failed++;
	if (env_is_1("OPTIMIZE_TEST_KEEP_TMP")) {
		printf("kept the temporary directory %s (OPTIMIZE_TEST_KEEP_TMP=1)\n", tmpdir);
	} else if (test_rmtree(tmpdir) < 0) {
		printf("cannot remove the temporary directory %s\n", tmpdir);
		failed++;
	}
	if (nskips)
		printf("%zu test(s) skipped, as the environment asked:\n", nskips);
	/* Each reason once, with the tests it skipped. */
	for (i = 0; i < nskips && i < MAX_SKIPS; i++) {
		if (!skips[i].reason)
			continue;
		printf("  %s", skips[i].test ? skips[i].test : "?");
		for (j = i + 1; j < nskips && j < MAX_SKIPS; j++) {
			if (skips[j].reason && !strcmp(skips[j].reason, skips[i].reason)) {
				printf(", %s", skips[j].test ? skips[j].test : "?");
				free(skips[j].reason);
				skips[j].reason = NULL;
			}
		}
		printf(": %s\n", skips[i].reason);
		free(skips[i].reason);
	}
	for (i = 0; i < nskips && i < MAX_SKIPS; i++)
		free(skips[i].test);
	fflush(stdout);
	if (failed)
		return 1;
	return nskips ? 77 : 0;
}
