/*
 * Unit tests for manifest_init.c: what `optimize init` detects in a tree, the
 * program it guesses, and that what it writes parses once the placeholders
 * are replaced (and is rejected, naming the field, before).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "engine/manifest.h"
#include "engine/manifest_init.h"
#include "test_util.h"

/* A fresh tree dir/ with the given files ("name", "content", ..., NULL). */
static const char *tree(const char *dir, ...)
{
	static char path[4096];
	va_list ap;
	const char *name;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), dir);
	test_rmtree(path);
	assert_int_equal(file_mkdirs(path, 0755, NULL), 0);
	va_start(ap, dir);
	while ((name = va_arg(ap, const char *))) {
		const char *text = va_arg(ap, const char *);
		char f[4200];
		snprintf(f, sizeof(f), "%s/%s", path, name);
		assert_int_equal(file_write_atomic(f, text, strlen(text), 0644, NULL), 0);
	}
	va_end(ap);
	return path;
}

static void detect(const char *path, enum tree_kind kind, const char *program, int cxx)
{
	struct tree_guess g;
	struct buf err = BUF_INIT;

	if (manifest_init_detect(path, &g, &err) < 0)
		fail_msg("detect '%s': %s", path, err.data);
	assert_int_equal(g.kind, kind);
	assert_string_equal(g.program, program);
	assert_int_equal(g.cxx, cxx);
	tree_guess_release(&g);
	buf_release(&err);
}

static void test_detect_kinds(void **state)
{
	(void)state;
	detect(tree("one", "prog.c", "int main(void){return 0;}\n", "util.h", "", NULL),
	       TREE_SOURCE, "prog", 0);
	detect(tree("onecxx", "app.cpp", "int main(){}\n", NULL), TREE_SOURCE, "app", 1);
	detect(tree("mk", "Makefile",
	            "CFLAGS = -O2 -Wall\nprog: prog.c\n\t$(CC) $(CFLAGS) -o $@ $<\n", "prog.c", "",
	            NULL),
	       TREE_MAKE, "prog", 0);
	detect(
	    tree("mkvar", "Makefile", "TARGET := lz\nall: $(TARGET)\n", "a.c", "", "b.c", "", NULL),
	    TREE_MAKE, "lz", 0);
	detect(tree("mkall", "makefile", ".PHONY: all\nall: bench\nbench: x.c\n", "x.c", "", NULL),
	       TREE_MAKE, "bench", 0);
	detect(tree("mknone", "Makefile", "all:\n\t$(MAKE) -C src\n", NULL), TREE_MAKE, "PROGRAM",
	       0);
	/* lz4's layout: every rule .PHONY, target-specific variables: no guess */
	detect(tree("mkphony", "Makefile",
	            ".PHONY: default\ndefault: lib-release lz4-release\n.PHONY: lib lib-release\n"
	            "lib: lib-release\n.PHONY: usan\nusan: CFLAGS = -O3 -g\nusan: clean\n",
	            NULL),
	       TREE_MAKE, "PROGRAM", 0);
	detect(tree("mkspace", "Makefile", ".PHONY: all\nall : tool\ntool : tool.c\n", NULL),
	       TREE_MAKE, "tool", 0);
	detect(tree("cm", "CMakeLists.txt", "project(p C)\nadd_executable( solver main.c)\n",
	            "main.c", "", "Makefile", "ignored: x\n", NULL),
	       TREE_CMAKE, MANIFEST_INIT_BUILD_DIR "/solver", 0);
	detect(tree("ms", "meson.build", "project('p', 'cpp')\nexecutable('tool', 'm.cc')\n",
	            "m.cc", "", "CMakeLists.txt", "", NULL),
	       TREE_MESON, MANIFEST_INIT_BUILD_DIR "/tool", 1);
}

static void test_detect_refuses(void **state)
{
	struct tree_guess g;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(manifest_init_detect(tree("two", "a.c", "", "b.c", "", NULL), &g, &err),
	                 -1);
	assert_non_null(strstr(err.data, "found 2 C/C++ source files"));
	assert_int_equal(manifest_init_detect(tree("none", "README", "", NULL), &g, &err), -1);
	assert_non_null(strstr(err.data, "found no meson.build, CMakeLists.txt, Makefile"));
	buf_release(&err);
}

/* The text parses once run and verify are filled in, and not before. */
static void check_text(const char *path, const char *must_hold, int has_cflags)
{
	struct tree_guess g;
	struct buf text = BUF_INIT, err = BUF_INIT, f = BUF_INIT;
	struct manifest m = {0};
	char *p;

	assert_int_equal(manifest_init_detect(path, &g, &err), 0);
	manifest_init_text(&g, &text);
	assert_non_null(strstr(text.data, must_hold));
	assert_int_equal(strstr(text.data, "\"cflags\"") != NULL, has_cflags);
	buf_addf(&f, "%s/optimize.json", path);
	assert_int_equal(file_write_atomic(f.data, text.data, text.len, 0644, NULL), 0);
	assert_int_equal(manifest_load(path, &m, &err), -1);
	assert_non_null(
	    strstr(err.data, "field 'run' is still the placeholder 'optimize init' wrote"));
	manifest_release(&m);
	/* Fill in run, then verify. */
	p = strstr(text.data, "\"TODO:");
	memcpy(p, "\"true #", 7);
	assert_int_equal(file_write_atomic(f.data, text.data, text.len, 0644, NULL), 0);
	assert_int_equal(manifest_load(path, &m, &err), -1);
	assert_non_null(strstr(err.data, "field 'verify[0].run' is still the placeholder"));
	manifest_release(&m);
	p = strstr(text.data, "\"TODO:");
	memcpy(p, "\"true #", 7);
	assert_int_equal(file_write_atomic(f.data, text.data, text.len, 0644, NULL), 0);
	if (manifest_load(path, &m, &err) < 0)
		fail_msg("%s\n%s", err.data, text.data);
	assert_int_equal(m.ntargets, 1);
	manifest_release(&m);
	tree_guess_release(&g);
	buf_release(&text);
	buf_release(&err);
	buf_release(&f);
}

static void test_text_parses(void **state)
{
	(void)state;
	check_text(tree("t1", "prog.c", "", NULL), "\"build\": \"$CC $CFLAGS -o prog prog.c", 1);
	check_text(tree("t2", "Makefile", "prog: prog.c\n", NULL),
	           "\"build\": \"make ${CFLAGS:+\\\"CFLAGS=$CFLAGS\\\"}\"", 0);
	check_text(tree("t3", "CMakeLists.txt", "add_executable(x x.c)\n", NULL),
	           "-DCMAKE_C_FLAGS_RELEASE=$CFLAGS -DNDEBUG", 0);
	check_text(tree("t4", "meson.build", "executable('x', 'x.c')\n", NULL), "-Dc_args=$CFLAGS",
	           0);
	check_text(tree("t5", "meson.build", "executable('x', 'x.cpp')\n", "x.cpp", "", NULL),
	           "-Dcpp_args=$CXXFLAGS", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect_kinds),
	    cmocka_unit_test(test_detect_refuses),
	    cmocka_unit_test(test_text_parses),
	};

	return test_run(tests, NULL, NULL);
}
