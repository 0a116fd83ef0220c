/*
 * Hotspots by cpu-clock sampling: the known hot function of
 * tests/fixtures/hot comes first with most samples, its loop line is the
 * hottest line, and samples of grandchildren (inherit) are counted.
 * Fails where perf_event_open is refused, unless OPTIMIZE_TEST_NO_PERF=1
 * skips the sampling tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "prof/counters.h"
#include "prof/hotspots.h"
#include "base/proc.h"
#include "prof/profile.h"
#include "test_util.h"

#define HOT_SRC TEST_FIXTURES_DIR "/hot/hot.c"

static char workdir[4096];

/* First and last line of hot_loop in the fixture (between the markers). */
static void hot_range(int *first, int *last)
{
	FILE *f = fopen(HOT_SRC, "r");
	char line[512];
	int n = 0;

	assert_non_null(f);
	*first = *last = 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, "HOT-BEGIN"))
			*first = n;
		if (strstr(line, "HOT-END"))
			*last = n;
	}
	fclose(f);
	assert_true(*first > 0 && *last > *first);
}

static int setup(void **state)
{
	struct proc_spec spec;
	struct proc_result res;
	struct buf cmd = BUF_INIT, err = BUF_INIT, out = BUF_INIT;
	int rc;

	(void)state;
	snprintf(workdir, sizeof(workdir), "%s/hotspots-XXXXXX", test_tmpdir());
	if (!mkdtemp(workdir))
		return -1;
	buf_init(&cmd, 0);
	buf_init(&err, 0);
	buf_init(&out, 0);
	buf_addf(&cmd, "cc -O2 -g -o hot '%s'", HOT_SRC);
	proc_spec_init(&spec);
	spec.cwd = workdir;
	spec.stderr_buf = &out;
	spec.timeout_s = 120;
	rc = proc_run_sh(&spec, cmd.data, &res, &err);
	if (rc < 0 || !proc_result_ok(&res)) {
		fprintf(stderr, "cannot build the hot fixture: %s%s\n", err.data, out.data);
		rc = -1;
	}
	buf_release(&cmd);
	buf_release(&err);
	buf_release(&out);
	return rc;
}

static int teardown(void **state)
{
	struct buf cmd = BUF_INIT;
	struct proc_spec spec;
	struct proc_result res;

	(void)state;
	buf_init(&cmd, 0);
	buf_addf(&cmd, "rm -rf '%s'", workdir);
	proc_spec_init(&spec);
	proc_run_sh(&spec, cmd.data, &res, NULL);
	buf_release(&cmd);
	return 0;
}

/* Sampling needs perf_event_open (cpu-clock, a software event). */
static int sampling_probe(struct buf *why)
{
	return hotspots_probe(NULL, why);
}

/* Run cmd in workdir under sampling; the profile must be released. */
static void sample(const char *cmd, struct profile *p)
{
	struct counter_request req;
	struct proc_spec spec;
	struct proc_result res;
	struct buf err = BUF_INIT, out = BUF_INIT;

	buf_init(&err, 0);
	buf_init(&out, 0);
	proc_spec_init(&spec);
	spec.cwd = workdir;
	spec.stdout_buf = &out;
	spec.timeout_s = 60;
	memset(&req, 0, sizeof(req));
	req.spec = &spec;
	req.cmd = cmd;
	req.hotspots = 1;
	profile_init(p);
	if (hotspots_run(&req, NULL, &res, p, &err) < 0)
		fail_msg("hotspots_run: %s", err.data);
	assert_true(proc_result_ok(&res));
	assert_true(out.len > 0);
	buf_release(&err);
	buf_release(&out);
}

static void print_top(const struct profile *p)
{
	size_t i;

	fprintf(stderr, "# %llu samples (%s)\n", (unsigned long long)p->total_samples,
	        p->hotspot_source);
	for (i = 0; i < p->nfunctions && i < 4; i++)
		fprintf(stderr, "#   %6.2f%% %s [%s]\n", p->functions[i].pct, p->functions[i].name,
		        p->functions[i].module);
	for (i = 0; i < p->nlines && i < 3; i++)
		fprintf(stderr, "#   %6.2f%% %s:%d %s | %s\n", p->lines[i].pct, p->lines[i].file,
		        p->lines[i].line, p->lines[i].function, p->lines[i].text);
}

static void test_hot_function_first(void **state)
{
	struct profile p;
	int first, last;

	(void)state;
	test_require(TEST_NEED_PERF, sampling_probe);
	hot_range(&first, &last);
	sample("./hot 100", &p);
	print_top(&p);
	assert_string_equal(p.hotspot_source, "perf cpu-clock sampling");
	assert_true(p.total_samples >= 50);
	assert_true(p.nfunctions >= 1);
	assert_string_equal(p.functions[0].name, "hot_loop");
	assert_string_equal(p.functions[0].module, "hot");
	assert_true(p.functions[0].pct >= 50.0);
	/* the hottest line is inside hot_loop, with its text */
	assert_true(p.nlines >= 1);
	assert_string_equal(p.lines[0].function, "hot_loop");
	assert_true(p.lines[0].line > first && p.lines[0].line < last);
	assert_non_null(strstr(p.lines[0].file, "hot.c"));
	assert_non_null(p.lines[0].text);
	assert_true(strlen(p.lines[0].text) > 0);
	assert_true(p.lines[0].pct > 0 && p.lines[0].pct <= 100);
	profile_release(&p);
}

/* The program runs as a grandchild of the sh after a fork: inherit. */
static void test_inherited_children(void **state)
{
	struct profile p;

	(void)state;
	test_require(TEST_NEED_PERF, sampling_probe);
	sample("true; ./hot 60 | cat", &p);
	print_top(&p);
	assert_true(p.nfunctions >= 1);
	assert_string_equal(p.functions[0].name, "hot_loop");
	assert_true(p.functions[0].pct >= 50.0);
	profile_release(&p);
}

/* A command too short to be sampled gives an empty list, not an error. */
static void test_short_command(void **state)
{
	struct profile p;

	(void)state;
	test_require(TEST_NEED_PERF, sampling_probe);
	sample("echo hi", &p);
	assert_true(p.total_samples < 20);
	profile_release(&p);
}

static void test_display_path_and_text(void **state)
{
	char *s;

	(void)state;
	s = hotspots_display_path(HOT_SRC, TEST_FIXTURES_DIR);
	assert_string_equal(s, "hot/hot.c");
	free(s);
	s = hotspots_display_path(HOT_SRC, "/nonexistent-dir");
	assert_string_equal(s, HOT_SRC);
	free(s);
	s = hotspots_read_line(HOT_SRC, 1);
	assert_string_equal(s, "/*");
	free(s);
	assert_null(hotspots_read_line(HOT_SRC, 100000));
	assert_null(hotspots_read_line("/nonexistent/file.c", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_display_path_and_text),
	    cmocka_unit_test(test_hot_function_first),
	    cmocka_unit_test(test_inherited_children),
	    cmocka_unit_test(test_short_command),
	};

	return test_run(tests, setup, teardown);
}
