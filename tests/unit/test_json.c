/*
 * The cJSON wrapper: strict checking with exact positions, locating fields,
 * typed getters, builders and atomic writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/json.h"
#include "test_util.h"

/* json_check must refuse text at this offset with a message starting so. */
static void expect_bad(const char *text, size_t want_off, const char *want_what)
{
	size_t off = 12345;
	const char *what = NULL;

	assert_int_equal(json_check(text, strlen(text), &off, &what), -1);
	assert_non_null(what);
	if (strncmp(what, want_what, strlen(want_what)))
		fail_msg("for %s: expected '%s', got '%s'", text, want_what, what);
	if (off != want_off)
		fail_msg("for %s: expected offset %zu, got %zu (%s)", text, want_off, off, what);
}

static void test_check_valid(void **state)
{
	static const char *const good[] = {
	    "{}",
	    "[]",
	    " 0 ",
	    "-0.5e+3",
	    "1E9",
	    "\"\\u00e9\\n\\\"\"",
	    "[true, false, null]",
	    "{\"a\": {\"b\": [1, {\"c\": \"d\"}]}}",
	    "\t\r\n{\"\xc3\xa9\": 1}\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (json_check(good[i], strlen(good[i]), NULL, NULL) != 0)
			fail_msg("refused valid JSON: %s", good[i]);
}

static void test_check_invalid(void **state)
{
	struct buf deep = BUF_INIT;

	(void)state;
	expect_bad("", 0, "no JSON value");
	expect_bad("   ", 3, "no JSON value");
	expect_bad("{\"a\": 1,}", 7, "trailing comma before '}'");
	expect_bad("[1, 2, ]", 5, "trailing comma before ']'");
	expect_bad("{\"a\": 1 \"b\": 2}", 8, "expected ',' or '}'");
	expect_bad("[1 2]", 3, "expected ',' or ']'");
	expect_bad("{\"a\" 1}", 5, "expected ':' after the key");
	expect_bad("{a: 1}", 1, "expected a key in double quotes");
	expect_bad("{\"a\": 'x'}", 6, "strings need double quotes, not single quotes");
	expect_bad("{\"a\": x}", 6, "expected a value (strings need double quotes)");
	expect_bad("{\"a\": tru}", 6, "expected a value");
	expect_bad("{\"a\": truex}", 6, "expected a value");
	expect_bad("{\"a\": 01}", 6, "numbers may not have leading zeros");
	expect_bad("{\"a\": 1.}", 8, "expected a digit after '.'");
	expect_bad("{\"a\": 1e}", 8, "expected a digit in the exponent");
	expect_bad("{\"a\": -}", 7, "expected a digit");
	expect_bad("{\"a\": \"x}", 6, "unterminated string");
	expect_bad("{\"a\": \"x\ny\"}", 6, "unterminated string");
	expect_bad("{\"a\": \"\\q\"}", 7, "invalid escape");
	expect_bad("{\"a\": \"\\u12g4\"}", 7, "invalid \\u escape");
	expect_bad("{\"a\": \"\x01\"}", 7, "control character in a string");
	expect_bad("{\"a\": 1} x", 9, "unexpected text after the JSON value");
	expect_bad("{\"a\": 1", 7, "unexpected end of input: expected '}'");
	expect_bad("[1,", 3, "unexpected end of input: expected a value");
	expect_bad("{\"a\": 1, // no\n}", 9, "comments are not allowed in JSON");
	expect_bad("{\"a\": 1 /* no */}", 8, "comments are not allowed in JSON");

	buf_init(&deep, 0);
	for (int i = 0; i < 1001; i++)
		buf_addch(&deep, '[');
	expect_bad(deep.data, 1000, "nested too deeply");
	buf_release(&deep);
}

static void test_line_col(void **state)
{
	const char *t = "{\n\t\"\xc3\xa9\xc3\xa9\": 1,\n  x";
	unsigned line = 0, col = 0;

	(void)state;
	json_line_col(t, strlen(t), 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	json_line_col(t, strlen(t), 1, &line, &col); /* the newline itself */
	assert_int_equal(line, 1);
	assert_int_equal(col, 2);
	json_line_col(t, strlen(t), 8, &line, &col); /* the closing quote, after two 2-byte chars */
	assert_int_equal(line, 2);
	assert_int_equal(col, 5);
	json_line_col(t, strlen(t), strlen(t) - 1, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 3);
	json_line_col(t, strlen(t), 9999, &line, &col); /* clamped to the end */
	assert_int_equal(line, 3);
	assert_int_equal(col, 4);
}

static void test_excerpt(void **state)
{
	struct buf out = BUF_INIT, line = BUF_INIT;
	const char *t = "{\n\t\"a\": x\n}";

	(void)state;
	buf_init(&out, 0);
	buf_init(&line, 0);
	json_excerpt(t, strlen(t), 8, &out);
	assert_string_equal(out.data, "     2 | \t\"a\": x\n       | \t     ^");

	/* A long line is cut around the column, and the caret still points at it. */
	buf_addch(&line, '[');
	for (int i = 0; i < 150; i++)
		buf_addstr(&line, "1,");
	buf_addstr(&line, "x,");
	for (int i = 0; i < 150; i++)
		buf_addstr(&line, "1,");
	buf_addstr(&line, "1]");
	buf_reset(&out);
	json_excerpt(line.data, line.len, 301, &out);
	{
		const char *l1 = out.data, *nl = strchr(l1, '\n'), *caret;

		assert_non_null(nl);
		assert_int_equal(strncmp(l1, "     1 | ...", 12), 0);
		assert_int_equal(nl[-1], '.'); /* cut at the end too */
		caret = strchr(nl, '^');
		assert_non_null(caret);
		assert_int_equal(l1[caret - nl - 1], 'x');
		assert_true(strlen(l1) < 250);
	}
	buf_release(&out);
	buf_release(&line);
}

static void test_parse(void **state)
{
	struct buf err = BUF_INIT;
	cJSON *root;

	(void)state;
	buf_init(&err, 0);
	root = json_parse("\xEF\xBB\xBF{\"a\": [1, 2]}", 16, "x.json", &err);
	assert_non_null(root);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "a")), 2);
	cJSON_Delete(root);

	/* Not NUL-terminated: only len bytes are read. */
	root = json_parse("[1]garbage", 3, "x.json", &err);
	assert_non_null(root);
	cJSON_Delete(root);

	assert_null(json_parse("{\n  \"a\": 01\n}", 13, "x.json", &err));
	assert_string_equal(err.data,
	                    "x.json:2:8: invalid JSON: numbers may not have leading zeros\n"
	                    "     2 |   \"a\": 01\n"
	                    "       |        ^");
	buf_release(&err);
}

static void test_parse_file(void **state)
{
	struct buf err = BUF_INIT;
	cJSON *root;

	(void)state;
	buf_init(&err, 0);
	root = json_parse_file(TEST_DATA_DIR "/manifest/minimal/optimize.json", 0, &err);
	assert_non_null(root);
	assert_string_equal(json_get_string(root, "name", NULL), "matmul");
	cJSON_Delete(root);

	assert_null(json_parse_file(TEST_DATA_DIR "/manifest/minimal/optimize.json", 10, &err));
	assert_string_equal(err.data,
	                    TEST_DATA_DIR "/manifest/minimal/optimize.json: larger than 10 bytes");
	assert_null(json_parse_file("/nonexistent/x.json", 0, &err));
	assert_string_equal(err.data,
	                    "cannot read '/nonexistent/x.json': No such file or directory");
	assert_null(json_parse_file(TEST_DATA_DIR "/manifest/bad-comma.json", 0, &err));
	assert_int_equal(
	    strncmp(err.data, TEST_DATA_DIR "/manifest/bad-comma.json:4:2: invalid JSON",
	            strlen(TEST_DATA_DIR "/manifest/bad-comma.json:4:2: invalid JSON")),
	    0);
	buf_release(&err);
}

static void test_locate(void **state)
{
	const char *t = "{\"a\": 1, \"b\": {\"c\": [10, {\"d\": 2}]}, \"e\\n\": 3}";
	size_t n = strlen(t);
	struct json_seg p[4] = {{NULL, 0}};

	(void)state;
	assert_int_equal(json_locate(t, n, p, 0), 0);
	p[0] = (struct json_seg){"a", 0};
	assert_int_equal(json_locate(t, n, p, 1), 1);
	p[0] = (struct json_seg){"b", 0};
	assert_int_equal(json_locate(t, n, p, 1), 9);
	p[1] = (struct json_seg){"c", 0};
	assert_int_equal(json_locate(t, n, p, 2), 15);
	p[2] = (struct json_seg){NULL, 1};
	assert_int_equal(json_locate(t, n, p, 3), 25);
	p[3] = (struct json_seg){"d", 0};
	assert_int_equal(json_locate(t, n, p, 4), 26);
	p[2] = (struct json_seg){NULL, 2}; /* past the end */
	assert_int_equal(json_locate(t, n, p, 3), -1);
	p[0] = (struct json_seg){"zz", 0};
	assert_int_equal(json_locate(t, n, p, 1), -1);
	p[0] = (struct json_seg){NULL, 0}; /* the root is not an array */
	assert_int_equal(json_locate(t, n, p, 1), -1);
	p[0] = (struct json_seg){"a", 0};
	p[1] = (struct json_seg){"x", 0}; /* "a" is not an object */
	assert_int_equal(json_locate(t, n, p, 2), -1);
	p[0] = (struct json_seg){"e\n", 0}; /* escaped keys are compared raw */
	assert_int_equal(json_locate(t, n, p, 1), -1);
}

static void test_getters(void **state)
{
	cJSON *root =
	    cJSON_Parse("{\"s\": \"x\", \"n\": 2.5, \"i\": -42, \"big\": 1e300, \"t\": true, "
	                "\"S\": \"upper\"}");
	long l = 7;

	(void)state;
	assert_non_null(root);
	assert_string_equal(json_get_string(root, "s", "d"), "x");
	assert_string_equal(json_get_string(root, "n", "d"), "d");
	assert_string_equal(json_get_string(root, "missing", "d"), "d");
	assert_string_equal(json_get_string(root, "S", NULL), "upper"); /* case-sensitive */
	assert_true(json_get_number(root, "n", 0) == 2.5);
	assert_true(json_get_number(root, "s", -1) == -1);
	assert_int_equal(json_get_bool(root, "t", 0), 1);
	assert_int_equal(json_get_bool(root, "n", 5), 5);
	assert_int_equal(json_get_long(root, "i", &l), 0);
	assert_int_equal(l, -42);
	assert_int_equal(json_get_long(root, "n", &l), -1);
	assert_int_equal(json_get_long(root, "big", &l), -1);
	assert_int_equal(json_get_long(root, "s", &l), -1);
	assert_int_equal(l, -42);
	assert_string_equal(json_type_name(cJSON_GetObjectItemCaseSensitive(root, "t")),
	                    "true or false");
	assert_string_equal(json_type_name(root), "an object");
	assert_string_equal(json_type_name(NULL), "nothing");
	cJSON_Delete(root);
}

static void test_builders(void **state)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char *s;

	(void)state;
	assert_non_null(json_add_measure(root, "wall", 1.5, "s", "rusage"));
	assert_non_null(json_add_measure(root, "ipc", NAN, NULL, "perf"));
	assert_non_null(json_add_string(root, "none", NULL));
	assert_non_null(json_add_number(root, "inf", INFINITY));
	assert_non_null(json_add_bool(root, "ok", 3));
	arr = json_add_array(root, "list");
	assert_non_null(arr);
	assert_non_null(json_add_string(arr, NULL, "a"));
	assert_non_null(json_add_number(arr, "ignored", 2));
	assert_non_null(json_add_object(arr, NULL));
	s = json_print_take(root, 0);
	assert_non_null(s);
	assert_string_equal(
	    s, "{\"wall\":{\"value\":1.5,\"unit\":\"s\",\"source\":\"rusage\"},"
	       "\"ipc\":{\"value\":null,\"source\":\"perf\"},\"none\":null,\"inf\":null,"
	       "\"ok\":true,\"list\":[\"a\",2,{}]}\n");
	free(s);
	s = json_print_take(arr, 1);
	assert_string_equal(s, "[\"a\", 2, {\n\t}]\n");
	free(s);
	cJSON_Delete(root);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_write_atomic(void **state)
{
	char dir[PATH_MAX];
	struct buf path = BUF_INIT, err = BUF_INIT, text = BUF_INIT;
	struct stat st;
	cJSON *root = cJSON_CreateObject();

	(void)state;
	buf_init(&path, 0);
	buf_init(&err, 0);
	buf_init(&text, 0);
	snprintf(dir, sizeof(dir), "%s/json-XXXXXX", test_tmpdir());
	assert_non_null(mkdtemp(dir));
	buf_addf(&path, "%s/report.json", dir);

	json_add_number(root, "n", 1);
	assert_int_equal(json_write_file_atomic(path.data, root, 0, &err), 0);
	assert_int_equal(buf_read_file(&text, path.data), 0);
	assert_string_equal(text.data, "{\"n\":1}\n");
	assert_int_equal(stat(path.data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	/* Replacing: the new content, and no temporary file left behind. */
	json_add_number(root, "m", 2);
	assert_int_equal(json_write_file_atomic(path.data, root, 0, &err), 0);
	buf_reset(&text);
	assert_int_equal(buf_read_file(&text, path.data), 0);
	assert_string_equal(text.data, "{\"n\":1,\"m\":2}\n");
	assert_int_equal(count_entries(dir), 1);

	/* A directory that does not exist: an error, nothing written. */
	buf_setf(&path, "%s/nope/report.json", dir);
	assert_int_equal(json_write_file_atomic(path.data, root, 0, &err), -1);
	assert_non_null(strstr(err.data, "cannot create a temporary file next to"));
	assert_non_null(strstr(err.data, "nope/report.json"));

	buf_setf(&path, "%s/report.json", dir);
	assert_int_equal(unlink(path.data), 0);
	assert_int_equal(rmdir(dir), 0);
	cJSON_Delete(root);
	buf_release(&path);
	buf_release(&err);
	buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_valid), cmocka_unit_test(test_check_invalid),
	    cmocka_unit_test(test_line_col),    cmocka_unit_test(test_excerpt),
	    cmocka_unit_test(test_parse),       cmocka_unit_test(test_parse_file),
	    cmocka_unit_test(test_locate),      cmocka_unit_test(test_getters),
	    cmocka_unit_test(test_builders),    cmocka_unit_test(test_write_atomic),
	};

	return test_run(tests, NULL, NULL);
}
