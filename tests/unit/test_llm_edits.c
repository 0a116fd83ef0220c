/*
 * test_llm_edits.c: every accepted label style, SEARCH/REPLACE matching
 * (exact, trailing whitespace, indentation), and each rejection with the
 * message that goes back to the model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_edits.h"
#include "test_util.h"

static const char *const ORIG_SUM = "#include <stdio.h>\n"
                                    "\n"
                                    "int main(void)\n"
                                    "{\n"
                                    "\tlong s = 0;\n"
                                    "\tfor (long i = 0; i < 100; i++)\n"
                                    "\t\ts += i;\n"
                                    "\tprintf(\"%ld\\n\", s);\n"
                                    "\treturn 0;\n"
                                    "}\n";

static const char *const ORIG_UTIL = "int twice(int x)\n{\n\treturn x + x;\n}\n"
                                     "int thrice(int x)\n{\n\treturn x + x + x;\n}\n";

static int read_orig(void *ctx, const char *path, struct buf *out)
{
	(void)ctx;
	if (!strcmp(path, "sum.c"))
		return buf_addstr(out, ORIG_SUM);
	if (!strcmp(path, "src/util.c"))
		return buf_addstr(out, ORIG_UTIL);
	return -1;
}

struct fx {
	struct strlist editable, readonly;
	struct llm_edits_target t;
	struct llm_edits e;
	struct buf err;
};

static struct fx *fx_new(int two)
{
	struct fx *f = calloc(1, sizeof(*f));

	strlist_push(&f->editable, "sum.c");
	if (two)
		strlist_push(&f->editable, "src/util.c");
	strlist_push(&f->readonly, "sum.h");
	f->t.editable = &f->editable;
	f->t.readonly = &f->readonly;
	f->t.read = read_orig;
	buf_init(&f->err, 0);
	return f;
}

static void fx_free(struct fx *f)
{
	llm_edits_release(&f->e);
	strlist_release(&f->editable);
	strlist_release(&f->readonly);
	buf_release(&f->err);
	free(f);
}

static int parse(struct fx *f, const char *text)
{
	llm_edits_release(&f->e);
	buf_reset(&f->err);
	return llm_edits_parse(text, strlen(text), 0, &f->t, &f->e, &f->err);
}

static void expect_one(struct fx *f, const char *text, const char *path, const char *content)
{
	if (parse(f, text) != 0)
		fail_msg("parse failed: %s\n--- text:\n%s", f->err.data, text);
	assert_int_equal(f->e.n, 1);
	assert_string_equal(f->e.v[0].path, path);
	assert_string_equal(f->e.v[0].content, content);
	assert_int_equal(f->e.v[0].len, strlen(content));
}

static void expect_error(struct fx *f, const char *text, const char *needle)
{
	if (parse(f, text) == 0)
		fail_msg("parse succeeded, expected an error with '%s'", needle);
	if (!strstr(f->err.data, needle))
		fail_msg("error '%s' lacks '%s'", f->err.data, needle);
	assert_int_equal(f->e.n, 0);
}

#define NEWC "int main(void)\n{\n\treturn 0;\n}\n"

static void test_label_line_before(void **state)
{
	struct fx *f = fx_new(1);
	(void)state;
	expect_one(f, "Sum once.\n\nsum.c\n```c\n" NEWC "```\n", "sum.c", NEWC);
	expect_one(f, "**sum.c**\n```c\n" NEWC "```\n", "sum.c", NEWC);
	expect_one(f, "### File: `sum.c`\n```\n" NEWC "```\n", "sum.c", NEWC);
	expect_one(f, "Here is the new `sum.c`:\n\n```c\n" NEWC "```\n", "sum.c", NEWC);
	expect_one(f, "src/util.c\n```c\n" NEWC "```\n", "src/util.c", NEWC);
	fx_free(f);
}

static void test_label_info_string(void **state)
{
	struct fx *f = fx_new(1);
	(void)state;
	expect_one(f, "```c sum.c\n" NEWC "```\n", "sum.c", NEWC);
	expect_one(f, "```c:sum.c\n" NEWC "```\n", "sum.c", NEWC);
	expect_one(f, "```c src/util.c\n" NEWC "```\n", "src/util.c", NEWC);
	expect_one(f, "~~~c title=\"sum.c\"\n" NEWC "~~~\n", "sum.c", NEWC);
	/* a path with a prefix the tree does not use, and ./ */
	expect_one(f, "```c ./sum.c\n" NEWC "```\n", "sum.c", NEWC);
	expect_one(f, "```c util.c\n" NEWC "```\n", "src/util.c", NEWC);
	fx_free(f);
}

static void test_label_first_line_comment(void **state)
{
	struct fx *f = fx_new(1);
	(void)state;
	expect_one(f, "```c\n// file: src/util.c\n" NEWC "```\n", "src/util.c",
	           "// file: src/util.c\n" NEWC);
	expect_one(f, "```c\n/* sum.c */\n" NEWC "```\n", "sum.c", "/* sum.c */\n" NEWC);
	expect_one(f, "```c\n/* sum.c: the same sum, computed once. */\n" NEWC "```\n", "sum.c",
	           "/* sum.c: the same sum, computed once. */\n" NEWC);
	fx_free(f);
}

static void test_unlabelled_single_file(void **state)
{
	struct fx *f = fx_new(0);
	(void)state;
	expect_one(f, "Compute it once instead of four times.\n\n```c\n" NEWC "```\nDone.\n",
	           "sum.c", NEWC);
	assert_string_equal(f->e.note, "Compute it once instead of four times.");
	/* a short snippet and then the whole file: the longest block wins; shell blocks are shown
	 * only */
	expect_one(f,
	           "Key change:\n```c\ns += i;\n```\nFull file:\n```c\n" NEWC
	           "```\nRun:\n```sh\nmake\n```\n",
	           "sum.c", NEWC);
	fx_free(f);
	f = fx_new(1);
	expect_error(f, "```c\n" NEWC "```\n", "name no file");
	fx_free(f);
}

static void test_search_replace_exact(void **state)
{
	struct fx *f = fx_new(1);
	const char *want = "#include <stdio.h>\n\nint main(void)\n{\n\tlong s = 0;\n"
	                   "\ts = 4950;\n\tprintf(\"%ld\\n\", s);\n\treturn 0;\n}\n";
	(void)state;
	expect_one(f,
	           "Closed form.\n\nsum.c\n<<<<<<< SEARCH\n\tfor (long i = 0; i < 100; i++)\n"
	           "\t\ts += i;\n=======\n\ts = 4950;\n>>>>>>> REPLACE\n",
	           "sum.c", want);
	assert_string_equal(f->e.note, "Closed form.");
	/* inside a fence labelled with the path */
	expect_one(f,
	           "```c sum.c\n<<<<<<< SEARCH\n\tfor (long i = 0; i < 100; i++)\n"
	           "\t\ts += i;\n=======\n\ts = 4950;\n>>>>>>> REPLACE\n```\n",
	           "sum.c", want);
	/* two blocks on two files, in order */
	assert_int_equal(parse(f, "sum.c\n<<<<<<< SEARCH\n\treturn 0;\n=======\n\treturn 1;\n"
	                          ">>>>>>> REPLACE\n\nsrc/util.c\n<<<<<<< SEARCH\n\treturn x + x;\n"
	                          "=======\n\treturn 2 * x;\n>>>>>>> REPLACE\n"
	                          "sum.c\n<<<<<<< SEARCH\n\treturn 1;\n=======\n\treturn 2;\n"
	                          ">>>>>>> REPLACE\n"),
	                 0);
	assert_int_equal(f->e.n, 2);
	assert_non_null(strstr(f->e.v[0].content, "\treturn 2;\n}\n"));
	assert_string_equal(f->e.v[1].path, "src/util.c");
	assert_non_null(strstr(f->e.v[1].content, "return 2 * x;"));
	assert_non_null(strstr(f->e.v[1].content, "return x + x + x;"));
	fx_free(f);
}

static void test_search_replace_whitespace(void **state)
{
	struct fx *f = fx_new(0);
	(void)state;
	/* trailing spaces in SEARCH */
	assert_int_equal(parse(f, "<<<<<<< SEARCH\n\tlong s = 0;   \n=======\n\tlong s = 1;\n"
	                          ">>>>>>> REPLACE\n"),
	                 0);
	assert_non_null(strstr(f->e.v[0].content, "\tlong s = 1;\n"));
	/* spaces where the file has tabs: matched, and the replacement re-indented */
	assert_int_equal(parse(f, "sum.c\n<<<<<<< SEARCH\n    for (long i = 0; i < 100; i++)\n"
	                          "        s += i;\n=======\n    s = 4950;\n>>>>>>> REPLACE\n"),
	                 0);
	assert_non_null(strstr(f->e.v[0].content, "\n\ts = 4950;\n\tprintf"));
	fx_free(f);
}

static void test_search_no_match_closest(void **state)
{
	struct fx *f = fx_new(0);
	(void)state;
	expect_error(f,
	             "sum.c\n<<<<<<< SEARCH\n\tfor (int i = 0; i < 100; i++)\n=======\nx\n"
	             ">>>>>>> REPLACE\n",
	             "matches nothing");
	assert_non_null(
	    strstr(f->err.data, "the closest line is 6: 'for (long i = 0; i < 100; i++)'"));
	assert_non_null(strstr(f->err.data, "block 1 for 'sum.c'"));
	fx_free(f);
}

static void test_search_multiple_matches(void **state)
{
	struct fx *f = fx_new(1);
	(void)state;
	expect_error(f, "src/util.c\n<<<<<<< SEARCH\n{\n=======\n{ \n>>>>>>> REPLACE\n",
	             "matches 2 times (at lines 2 and 6)");
	fx_free(f);
}

static void test_not_editable(void **state)
{
	struct strlist prot = {0};
	struct fx *f = fx_new(0);
	(void)state;
	expect_error(f, "sum.h\n```c\nint x;\n```\n", "'sum.h', which is a read-only context file");
	expect_error(f, "```c other.c\nint x;\n```\n",
	             "'other.c', which is not a file of this target");
	assert_non_null(strstr(f->err.data, "'sum.c'"));
	expect_error(f, "Makefile.in\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n",
	             "'Makefile.in', which is not a file");
	fx_free(f);
	/* a valid edit and one of a protected file: the whole answer goes */
	f = fx_new(1);
	strlist_push(&prot, "main.c");
	f->t.protected_files = &prot;
	expect_error(f,
	             "sum.c\n<<<<<<< SEARCH\n\treturn 0;\n=======\n\treturn 1;\n>>>>>>> "
	             "REPLACE\n\nmain.c\n<<<<<<< SEARCH\nint main\n=======\nint x\n>>>>>>> "
	             "REPLACE\n",
	             "'main.c', which is a protected file of the tree (not editable)");
	assert_non_null(strstr(f->err.data, "the whole answer was rejected"));
	assert_int_equal(f->e.n, 0);
	strlist_release(&prot);
	fx_free(f);
}

static void test_no_edit_and_truncated(void **state)
{
	struct fx *f = fx_new(0);
	(void)state;
	expect_error(f, "I think the code is already optimal.\n", "contains no edit");
	expect_error(f, "Run this:\n```sh\nmake -j\n```\n", "contains no edit");
	expect_error(f, "sum.c\n<<<<<<< SEARCH\na\n=======\nb\n", "not closed");
	buf_reset(&f->err);
	assert_int_equal(llm_edits_parse("```c\n" NEWC "```\n", strlen("```c\n" NEWC "```\n"), 1,
	                                 &f->t, &f->e, &f->err),
	                 -1);
	assert_non_null(strstr(f->err.data, "cut off by the token limit"));
	assert_int_equal(f->e.n, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_label_line_before),
	    cmocka_unit_test(test_label_info_string),
	    cmocka_unit_test(test_label_first_line_comment),
	    cmocka_unit_test(test_unlabelled_single_file),
	    cmocka_unit_test(test_search_replace_exact),
	    cmocka_unit_test(test_search_replace_whitespace),
	    cmocka_unit_test(test_search_no_match_closest),
	    cmocka_unit_test(test_search_multiple_matches),
	    cmocka_unit_test(test_not_editable),
	    cmocka_unit_test(test_no_edit_and_truncated),
	};
	return test_run(tests, NULL, NULL);
}
