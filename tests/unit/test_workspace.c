/*
 * test_workspace.c: candidate workspaces, the protected-file check, diffs,
 * and the only writer of the user's tree (apply.h), atomic for the whole
 * change, also when killed between its renames.
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

#include "engine/apply.h"
#include "engine/manifest.h"
#include "engine/seal.h"
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

/* What --apply writes: the new content of each listed file of src_root, from memory. */
static int apply_from(const char *tree, const char *src_root, const struct strlist *files,
                      int no_backup, const struct apply_hooks *hooks, struct strlist *written,
                      struct buf *err)
{
	struct apply_set set = {0};
	int r;

	for (size_t i = 0; i < files->n; i++) {
		char p[600];
		char *s;
		snprintf(p, sizeof(p), "%s/%s", src_root, files->v[i]);
		s = get(p);
		assert_non_null(s);
		apply_set_add(&set, tree, files->v[i], s, strlen(s));
		free(s);
	}
	r = apply_commit(&set, root, no_backup, hooks, written, err);
	apply_set_release(&set);
	return r;
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
	assert_int_equal(apply_from(src, dst, &files, 0, NULL, &written, &err), 0);
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
	assert_int_equal(apply_from(src, dst, &files, 1, NULL, &written, &err), 0);
	assert_int_equal(access(p, F_OK), -1);
	strlist_release(&files);
	strlist_release(&written);
	buf_release(&err);
	buf_release(&patch);
}

static void kill_after_first(size_t i, void *ctx)
{
	(void)ctx;
	if (i == 0)
		raise(SIGKILL);
}

/* No temporary file or journal is left in dir. */
static void assert_clean(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		assert_null(strstr(e->d_name, ".optimize-new"));
		assert_null(strstr(e->d_name, ".tmp."));
		assert_null(strstr(e->d_name, "apply-journal"));
	}
	closedir(d);
}

/* Killed between two renames: a.c new, b.h old; recovery completes both. */
static void test_apply_killed_between_renames(void **state)
{
	char src[512], dst[512], p[600];
	struct buf err = BUF_INIT;
	struct strlist files = {0}, what = {0};
	struct apply_hooks hooks = {kill_after_first, NULL};
	int status;
	pid_t pid;
	char *s;

	(void)state;
	make_tree();
	snprintf(src, sizeof(src), "%s/tree", root);
	snprintf(dst, sizeof(dst), "%s/best", root);
	assert_int_equal(ws_copy_tree(src, dst, &err), 0);
	put("best/a.c", "int g(void) { return f(); }\n");
	put("best/sub/b.h", "int f(void) { return 1; }\n");
	strlist_push(&files, "a.c");
	strlist_push(&files, "sub/b.h");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(apply_from(src, dst, &files, 1, &hooks, NULL, &err) == 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	snprintf(p, sizeof(p), "%s/a.c", src);
	s = get(p);
	assert_string_equal(s, "int g(void) { return f(); }\n"); /* renamed */
	free(s);
	snprintf(p, sizeof(p), "%s/sub/b.h", src);
	s = get(p);
	assert_string_not_equal(s, "int f(void) { return 1; }\n"); /* not yet */
	free(s);
	snprintf(p, sizeof(p), "%s/apply-journal.json", root);
	assert_int_equal(access(p, F_OK), 0);
	/* A second apply refuses until the first is finished. */
	assert_int_equal(apply_from(src, dst, &files, 1, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.data, "optimize apply --recover"));
	assert_int_equal(apply_recover(root, &what, &err), 1);
	assert_int_equal(what.n, 2);
	snprintf(p, sizeof(p), "%s/sub/b.h", src);
	s = get(p);
	assert_string_equal(s, "int f(void) { return 1; }\n");
	free(s);
	assert_clean(src);
	snprintf(p, sizeof(p), "%s/sub", src);
	assert_clean(p);
	assert_clean(root);
	assert_int_equal(apply_recover(root, &what, &err), 0);
	strlist_release(&files);
	strlist_release(&what);
	buf_release(&err);
}

/* Killed before the commit mark: recovery rolls back, the tree is as it was. */
static void test_apply_rolled_back(void **state)
{
	char src[512], p[600];
	struct buf err = BUF_INIT;
	struct strlist what = {0};
	FILE *f;
	char *s, *before;

	(void)state;
	make_tree();
	snprintf(src, sizeof(src), "%s/tree", root);
	snprintf(p, sizeof(p), "%s/a.c", src);
	before = get(p);
	put("tree/a.c.optimize-new", "half");
	snprintf(p, sizeof(p), "%s/apply-journal.json", root);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f,
	        "{\"version\": 1, \"state\": \"prepare\", \"files\": [{\"tree\": \"%s\", "
	        "\"path\": \"a.c\", \"sha256\": \"x\"}]}",
	        src);
	fclose(f);
	assert_int_equal(apply_recover(root, &what, &err), 2);
	snprintf(p, sizeof(p), "%s/a.c", src);
	s = get(p);
	assert_string_equal(s, before);
	free(s);
	free(before);
	assert_clean(src);
	assert_clean(root);
	strlist_release(&what);
	buf_release(&err);
}

/* A sealed workspace: untouched, touched (same bytes) and copied back hold;
 * a rewritten executable, one replaced by a link, a removed tree file and a
 * changed mode do not; new files and unsealed data files are free. */
static void test_seal(void **state)
{
	struct ws_seal s;
	struct buf why = BUF_INIT, err = BUF_INIT;
	struct strlist also = {0};
	char p[512], q[512];

	(void)state;
	put("prog", "\177ELF original binary");
	put("run.sh", "./prog\n");
	put("data.out", "written by runs\n");
	snprintf(p, sizeof(p), "%s/prog", root);
	chmod(p, 0755);
	strlist_push(&also, "run.sh");
	assert_int_equal(ws_seal_take(root, &also, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(ws_seal_check(&s, &why, &err), 0);
	put("data.out", "changed by a run\n"); /* not sealed */
	put("new.txt", "a new file\n");
	assert_int_equal(ws_seal_check(&s, &why, &err), 0);
	put("prog", "\177ELF original binary"); /* the same bytes again */
	assert_int_equal(ws_seal_check(&s, &why, &err), 0);
	put("prog", "#!/bin/sh\nsleep 1; exec ./prog.real\n");
	assert_int_equal(ws_seal_check(&s, &why, &err), 1);
	assert_non_null(strstr(why.data, "'prog' was rewritten"));
	put("prog", "\177ELF original binary");
	assert_int_equal(ws_seal_check(&s, &why, &err), 0);
	chmod(p, 0700);
	assert_int_equal(ws_seal_check(&s, &why, &err), 1);
	assert_non_null(strstr(why.data, "mode of 'prog'"));
	chmod(p, 0755);
	snprintf(q, sizeof(q), "%s/elsewhere", root);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(symlink(q, p), 0);
	assert_int_equal(ws_seal_check(&s, &why, &err), 1);
	assert_non_null(strstr(why.data, "'prog' was replaced by a symbolic link"));
	unlink(p);
	assert_int_equal(rename(q, p), 0);
	assert_int_equal(ws_seal_check(&s, &why, &err), 0);
	snprintf(q, sizeof(q), "%s/run.sh", root);
	unlink(q);
	assert_int_equal(ws_seal_check(&s, &why, &err), 1);
	assert_non_null(strstr(why.data, "'run.sh' was removed"));
	ws_seal_release(&s);
	strlist_release(&also);
	buf_release(&why);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_copy_skips_state_and_keeps_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_protected_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_atomic_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_write_keeps_old_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_and_diff, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_killed_between_renames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_rolled_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seal, setup, teardown),
	};
	return test_run(tests, NULL, NULL);
}
