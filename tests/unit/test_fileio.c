/*
 * test_fileio.c: files beneath a trusted directory. A link planted anywhere
 * on the way (by a candidate, in the tool's state directory) is never
 * followed: the write fails or replaces the link, and the link's target
 * is untouched; a FIFO is refused without blocking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "test_util.h"

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	if (buf_read_file(&b, path) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* root/ holds state/ (trusted) and victim.txt (outside it). */
static int make_root(char *root, size_t n, int *dfd)
{
	char p[512];
	FILE *f;

	snprintf(root, n, "%s/fio-XXXXXX", test_tmpdir());
	if (!mkdtemp(root))
		return -1;
	snprintf(p, sizeof(p), "%s/state", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/victim.txt", root);
	f = fopen(p, "w");
	fputs("precious\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/state", root);
	*dfd = open(p, O_RDONLY | O_DIRECTORY);
	return *dfd < 0 ? -1 : 0;
}

static void test_links_not_followed(void **state)
{
	char root[256], p[512], t[512];
	struct buf err = BUF_INIT, in = BUF_INIT;
	int dfd;
	char *v;

	(void)state;
	assert_int_equal(make_root(root, sizeof(root), &dfd), 0);
	snprintf(t, sizeof(t), "%s/victim.txt", root);
	/* A link as the last component: replaced by the atomic writer ... */
	snprintf(p, sizeof(p), "%s/state/out", root);
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(file_write_beneath(dfd, "out", "new\n", 4, 0644, &err), 0);
	v = slurp(t);
	assert_string_equal(v, "precious\n");
	free(v);
	/* ... and refused by the plain one. */
	unlink(p);
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(file_put_beneath(dfd, "out", "new\n", 4, &err), -1);
	v = slurp(t);
	assert_string_equal(v, "precious\n");
	free(v);
	/* A link as a directory on the way: nothing is written through it. */
	snprintf(p, sizeof(p), "%s/state/dir", root);
	assert_int_equal(symlink(root, p), 0);
	assert_int_equal(file_write_beneath(dfd, "dir/victim.txt", "x", 1, 0644, &err), -1);
	assert_int_equal(file_put_beneath(dfd, "dir/victim.txt", "x", 1, &err), -1);
	assert_int_equal(file_mkdirs_beneath(dfd, "dir/sub", 0755, &err), -1);
	assert_int_equal(file_openat_beneath(dfd, "../victim.txt", O_RDONLY, 0), -1);
	assert_int_equal(file_read_nofollow(dfd, "dir/victim.txt", &in), -1);
	v = slurp(t);
	assert_string_equal(v, "precious\n");
	free(v);
	/* Directories are made beneath, and a file in them written. */
	assert_int_equal(file_mkdirs_beneath(dfd, "a/b/c", 0755, &err), 0);
	assert_int_equal(file_write_beneath(dfd, "a/b/c/f", "ok", 2, 0600, &err), 0);
	assert_int_equal(file_read_nofollow(dfd, "a/b/c/f", &in), 0);
	assert_string_equal(in.data, "ok");
	close(dfd);
	buf_release(&err);
	buf_release(&in);
}

/* path_dirname, the one dirname of the tool (manifests, --output, atomic writes, apply). */
static void test_path_dirname(void **state)
{
	static const char *const cases[][2] = {
	    {"optimize.json", "."}, {"/optimize.json", "/"}, {"a/b.json", "a"},
	    {"/x/y/z.c", "/x/y"},   {"dir/", "dir"},         {"", "."},
	};
	struct buf b = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 0);
		buf_addstr(&b, "keep:");
		path_dirname(&b, cases[i][0]);
		assert_string_equal(b.data + 5, cases[i][1]);
		assert_memory_equal(b.data, "keep:", 5);
		buf_release(&b);
	}
}

static void test_fifo_and_cap(void **state)
{
	char root[256], p[512];
	struct buf in = BUF_INIT, err = BUF_INIT;
	int dfd;

	(void)state;
	assert_int_equal(make_root(root, sizeof(root), &dfd), 0);
	snprintf(p, sizeof(p), "%s/state/fifo", root);
	assert_int_equal(mkfifo(p, 0644), 0);
	/* Would block forever with a plain open. */
	assert_int_equal(file_read_nofollow(dfd, "fifo", &in), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(file_write_beneath(dfd, "big", "0123456789", 10, 0644, &err), 0);
	buf_init(&in, 4);
	assert_int_equal(file_read_nofollow(dfd, "big", &in), -1);
	assert_int_equal(errno, EFBIG);
	close(dfd);
	buf_release(&in);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_links_not_followed),
	    cmocka_unit_test(test_fifo_and_cap),
	    cmocka_unit_test(test_path_dirname),
	};
	return test_run(tests, NULL, NULL);
}
