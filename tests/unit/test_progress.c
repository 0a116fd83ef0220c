/*
 * Unit tests for cli/progress.c: one stderr line per candidate whose status
 * column stays aligned whatever the id (c9, c10, c100) and the label's length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "cli/progress.h"
#include "engine/candidate.h"
#include "test_util.h"

static void test_status_column_aligned(void **state)
{
	static const char *const labels[] = {
	    "-O3", "-O2 -funroll-loops -fno-semantic-interposition -march=native", "llm r4c1", "x"};
	static const int ids[] = {1, 9, 10, 100};
	struct cli_progress pr = {0, 0, 30, 0};
	struct buf text = BUF_INIT;
	char path[4096], *line, *save = NULL;
	long col = -1;
	int saved = dup(STDERR_FILENO), n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/stderr.txt", test_tmpdir());
	fflush(stderr);
	assert_non_null(freopen(path, "w", stderr));
	for (size_t i = 0; i < 4; i++) {
		struct candidate *c = candidate_new("flags", labels[i]);
		c->id = ids[i];
		candidate_set(c, i % 2 ? CAND_NOT_FASTER : CAND_ACCEPTED, "ratio 0.9");
		cli_progress_outcome(&pr, c);
		candidate_free(c);
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(buf_read_file(&text, path), 0);
	for (line = strtok_r(text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *st = strstr(line, "accepted") ? strstr(line, "accepted")
		                                          : strstr(line, "not-faster");
		assert_non_null(st);
		if (col < 0)
			col = st - line;
		if (st - line != col)
			fail_msg("status column %ld, not %ld, in:\n%s", (long)(st - line), col,
			         line);
		n++;
	}
	assert_int_equal(n, 4);
	buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_column_aligned),
	};

	return test_run(tests, NULL, NULL);
}
