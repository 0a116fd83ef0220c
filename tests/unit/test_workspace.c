/*
 * test_workspace.c: candidate workspaces, the protected-file check, diffs,
 * and the only writer of the user's tree (ws_apply), which must be atomic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/manifest.h"
#include "base/fileio.h"
#include "engine/workspace.h"
#include "test_util.h"

static char root[256];

static void put(const char *rel, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static char *get(const char *path)
{
	struct buf b = BUF_INIT;
	if (buf_read_file(&b, path) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static int setup(void **state)
{
	(void)state;
	assert_true(snprintf(root, sizeof(root), "%s/ws-XXXXXX", test_tmpdir()) <
	            (int)sizeof(root));
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return ws_remove_tree(root, NULL);
}

/* A small source tree: tree/{a.c, notes.txt, sub/b.h, .optimize/x, .git/y} */
static void make_tree(void)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/tree/sub", root);
	assert_int_equal(file_mkdirs(p, 0755, NULL), 0);
	snprintf(p, sizeof(p), "%s/tree/.optimize", root);
	assert_int_equal(file_mkdirs(p, 0755, NULL), 0);
	snprintf(p, sizeof(p), "%s/tree/.git", root);
	assert_int_equal(file_mkdirs(p, 0755, NULL), 0);
	put("tree/a.c", "int main(void) { return 0; }\n");
	put("tree/notes.txt", "protected\n");
	put("tree/sub/b.h", "#define B 1\n");
	put("tree/.optimize/x", "state\n");
	put("tree/.git/y", "git\n");
	snprintf(p, sizeof(p), "%s/tree/a.c", root);
	chmod(p, 0750);
}

static void test_copy_skips_state_and_keeps_modes(void **state)
{
	char src[512], dst[512], p[600];
	struct buf err = BUF_INIT;
	struct strlist files = {0};
	struct stat st;

	(void)state;
	make_tree();
	snprintf(src, sizeof(src), "%s/tree", root);
	snprintf(dst, sizeof(dst), "%s/copy", root);
	assert_int_equal(ws_copy_tree(src, dst, &err), 0);
	assert_int_equal(ws_list_files(dst, &files, &err), 0);
	assert_int_equal(files.n, 3);
	assert_string_equal(files.v[0], "a.c");
	assert_string_equal(files.v[1], "notes.txt");
	assert_string_equal(files.v[2], "sub/b.h");
	snprintf(p, sizeof(p), "%s/a.c", dst);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	snprintf(p, sizeof(p), "%s/.optimize", dst);
	assert_int_equal(access(p, F_OK), -1);
	strlist_release(&files);
	buf_release(&err);
}

static void target_for(struct target *t)
{
	memset(t, 0, sizeof(*t));
	strlist_push(&t->editable, "a.c");
	strlist_push(&t->outputs, "prog");
}

static void test_protected_check(void **state)
{
	char src[512], dst[512];
	struct buf err = BUF_INIT, msg = BUF_INIT;
	struct strlist files = {0};
	struct target t;

	(void)state;
	make_tree();
	target_for(&t);
	snprintf(src, sizeof(src), "%s/tree", root);
	snprintf(dst, sizeof(dst), "%s/cand", root);
	assert_int_equal(ws_copy_tree(src, dst, &err), 0);
	assert_int_equal(ws_list_files(src, &files, &err), 0);
	/* unchanged: fine; an editable change and new files: fine */
	assert_int_equal(ws_check_protected(src, dst, &t, &files, &msg, &err), 0);
	put("cand/a.c", "int main(void) { return 1; }\n");
	put("cand/prog", "binary\n");
	put("cand/out.bin", "new file\n");
	assert_int_equal(ws_check_protected(src, dst, &t, &files, &msg, &err), 0);
	/* a protected file changed: rejected, named */
	put("cand/sub/b.h", "#define B 2\n");
	assert_int_equal(ws_check_protected(src, dst, &t, &files, &msg, &err), 1);
	assert_non_null(strstr(msg.data, "'sub/b.h' was changed"));
	/* removed: rejected, named */
	put("cand/sub/b.h", "#define B 1\n");
	{
		char p[600];
		snprintf(p, sizeof(p), "%s/notes.txt", dst);
		unlink(p);
	}
	assert_int_equal(ws_check_protected(src, dst, &t, &files, &msg, &err), 1);
	assert_non_null(strstr(msg.data, "'notes.txt' was removed"));
	strlist_release(&files);
	strlist_release(&t.editable);
	strlist_release(&t.outputs);
	buf_release(&err);
	buf_release(&msg);
}

static void test_atomic_write(void **state)
{
	char p[512];
	struct buf err = BUF_INIT;
	char *s;
	DIR *d;
	struct dirent *e;
	int leftovers = 0;

	(void)state;
	snprintf(p, sizeof(p), "%s/f.txt", root);
	assert_int_equal(file_write_atomic(p, "old\n", 4, 0644, &err), 0);
	assert_int_equal(file_write_atomic(p, "new contents\n", 13, 0644, &err), 0);
	s = get(p);
	assert_string_equal(s, "new contents\n");
	free(s);
	d = opendir(root);
	while ((e = readdir(d)))
		leftovers += strstr(e->d_name, ".tmp.") != NULL;
	closedir(d);
	assert_int_equal(leftovers, 0);
	buf_release(&err);
}

/*
 * A write that fails half-way (here: the file-size limit is hit) leaves the
 * old file whole and no temporary file behind: a reader sees old or new,
 * never a part.
 */
static void test_failed_write_keeps_old_file(void **state)
{
	char p[512];
	pid_t pid;
	int status;
	char *s;

	(void)state;
	snprintf(p, sizeof(p), "%s/g.txt", root);
	assert_int_equal(file_write_atomic(p, "the old version\n", 16, 0644, NULL), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {4096, 4096};
		static char big[65536];
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		memset(big, 'x', sizeof(big));
		_exit(file_write_atomic(p, big, sizeof(big), 0644, NULL) == 0 ? 0 : 7);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	s = get(p);
	assert_string_equal(s, "the old version\n");
	free(s);
	{
		DIR *d = opendir(root);
		struct dirent *e;
		int leftovers = 0;
		while ((e = readdir(d)))
			leftovers += strstr(e->d_name, ".tmp.") != NULL;
		closedir(d);
		assert_int_equal(leftovers, 0);
	}
}

static void test_apply_and_diff(void **state)
{
	char src[512], dst[512], p[600];
	struct buf err = BUF_INIT, patch = BUF_INIT;
	struct strlist files = {0}, written = {0};
	char *s;

	(void)state;
	make_tree();
	snprintf(src, sizeof(src), "%s/tree", root);
	snprintf(dst, sizeof(dst), "%s/best", root);
	assert_int_equal(ws_copy_tree(src, dst, &err), 0);
	put("best/a.c", "int main(void) { return 42; }\n");
	strlist_push(&files, "a.c");
	strlist_push(&files, "sub/b.h"); /* unchanged: not written, no .orig */
	assert_int_equal(ws_diff(src, dst, &files, &patch, &err), 0);
	assert_non_null(strstr(patch.data, "--- a/a.c"));
	assert_non_null(strstr(patch.data, "+++ b/a.c"));
	assert_non_null(strstr(patch.data, "+int main(void) { return 42; }"));
	assert_null(strstr(patch.data, "b.h"));
	assert_int_equal(ws_apply(src, dst, &files, 0, &written, &err), 0);
	assert_int_equal(written.n, 1);
	snprintf(p, sizeof(p), "%s/a.c", src);
	s = get(p);
	assert_string_equal(s, "int main(void) { return 42; }\n");
	free(s);
	snprintf(p, sizeof(p), "%s/a.c.orig", src);
	s = get(p);
	assert_string_equal(s, "int main(void) { return 0; }\n");
	free(s);
	snprintf(p, sizeof(p), "%s/sub/b.h.orig", src);
	assert_int_equal(access(p, F_OK), -1);
	/* the mode of the replaced file is kept */
	{
		struct stat st;
		snprintf(p, sizeof(p), "%s/a.c", src);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0750);
	}
	/* --no-backup */
	put("best/a.c", "int main(void) { return 7; }\n");
	snprintf(p, sizeof(p), "%s/a.c.orig", src);
	unlink(p);
	strlist_release(&written);
	assert_int_equal(ws_apply(src, dst, &files, 1, &written, &err), 0);
	assert_int_equal(access(p, F_OK), -1);
	strlist_release(&files);
	strlist_release(&written);
	buf_release(&err);
	buf_release(&patch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_copy_skips_state_and_keeps_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_protected_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_atomic_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_write_keeps_old_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_and_diff, setup, teardown),
	};
	return test_run(tests, NULL, NULL);
}
