/*
 * Unit tests for compare.c: numeric-aware text comparison, byte comparison
 * and the messages that go back to an LLM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "engine/compare.h"
#include "test_util.h"

static const struct compare_opts exact = {0, 0};

/* compare_text on two C strings; the message lands in msg. */
static int cmp(const char *e, const char *a, double rtol, double atol, struct buf *msg)
{
	struct compare_opts o = {rtol, atol};

	return compare_text(e, strlen(e), a, strlen(a), &o, msg);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("'%s' unexpectedly found in:\n%s", needle, hay);
}

static void test_equal(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	buf_addstr(&msg, "stale");
	assert_int_equal(cmp("a 1 2.5\nb\n", "a 1 2.5\nb\n", 0, 0, &msg), 0);
	assert_int_equal(msg.len, 0);
	assert_int_equal(cmp("", "", 0, 0, &msg), 0);
	assert_int_equal(compare_text(NULL, 0, "", 0, NULL, &msg), 0);
	assert_int_equal(cmp("x", "x", 0, 0, NULL), 0);
	buf_release(&msg);
}

static void test_whitespace_ignored(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(cmp("1 2\n3\n", "  1\t2\r\n\n3  ", 0, 0, &msg), 0);
	assert_int_equal(cmp("\n\n", "   ", 0, 0, &msg), 0);
	/* But a token split in two is a difference. */
	assert_int_equal(cmp("ab", "a b", 0, 0, &msg), 1);
	buf_release(&msg);
}

static void test_number_forms(void **state)
{
	(void)state;
	assert_int_equal(cmp("1", "1.0", 0, 0, NULL), 0);
	assert_int_equal(cmp("0.0015", "1.5e-3", 0, 0, NULL), 0);
	assert_int_equal(cmp("0", "-0", 0, 0, NULL), 0);
	assert_int_equal(cmp("0.25", "0x1p-2", 0, 0, NULL), 0);
	assert_int_equal(cmp("+3", "3", 0, 0, NULL), 0);
	/* Not numbers: compared byte for byte. */
	assert_int_equal(cmp("1,5", "1,50", 1, 1, NULL), 1);
	assert_int_equal(cmp("12abc", "12abd", 1, 1, NULL), 1);
	assert_int_equal(cmp("0x", "0", 1, 1, NULL), 1);
	/* Overflowing numbers are compared as text, not as two equal infinities. */
	assert_int_equal(cmp("1e400", "2e400", 0, 0, NULL), 1);
	assert_int_equal(cmp("1e400", "1e400", 0, 0, NULL), 0);
}

static void test_rtol(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(cmp("1000", "1000.0009", 1e-6, 0, &msg), 0);
	assert_int_equal(cmp("-1000", "-999.9991", 1e-6, 0, &msg), 0);
	assert_int_equal(cmp("1000", "1000.0011", 1e-6, 0, &msg), 1);
	assert_contains(msg.data, "line 1, column 1: expected '1000' but got '1000.0011'");
	assert_contains(msg.data, "|diff| 0.0011 > tolerance 0.001 from rtol 1e-06, atol 0");
	assert_contains(msg.data, "relative diff 1.1e-06");
	/* rtol scales with the expected value, not the actual one. */
	assert_int_equal(cmp("1", "1.5", 0.4, 0, NULL), 1);
	assert_int_equal(cmp("1.5", "1", 0.4, 0, NULL), 0);
	buf_release(&msg);
}

static void test_atol(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(cmp("0", "0.0005", 0, 1e-3, &msg), 0);
	assert_int_equal(cmp("0", "-0.001", 0, 1e-3, &msg), 0);
	assert_int_equal(cmp("0", "0.002", 0, 1e-3, &msg), 1);
	assert_contains(msg.data, "|diff| 0.002 > tolerance 0.001 from rtol 0, atol 0.001)");
	/* Expected 0: no relative difference to print. */
	assert_lacks(msg.data, "relative");
	/* Both terms add up. */
	assert_int_equal(cmp("100", "100.15", 1e-3, 0.1, NULL), 0);
	assert_int_equal(cmp("100", "100.25", 1e-3, 0.1, NULL), 1);
	buf_release(&msg);
}

static void test_close_values_printed_apart(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	/* |diff| just above the tolerance must not print as the same number. */
	assert_int_equal(cmp("1", "1.0010000001", 0, 1e-3, &msg), 1);
	assert_lacks(msg.data, "|diff| 0.001 > tolerance 0.001 ");
	assert_contains(msg.data, "|diff| 0.0010000000999");
	buf_release(&msg);
}

/* The shapes the issue names: key=value, x:1.5, (1.5,2.5), CSV, units. */
static void test_numbers_inside_tokens(void **state)
{
	(void)state;
	/* The OpenCL program's line: relative difference 4.6e-7 under rtol 1e-5. */
	assert_int_equal(
	    cmp("n=1000 sum=2.185813e+03 bad=0", "n=1000 sum=2.185812e+03 bad=0", 1e-5, 0, NULL),
	    0);
	assert_int_equal(cmp("sum=2.185813e+03", "sum=2.185813e+03", 0, 0, NULL), 0);
	assert_int_equal(cmp("sum=2.185813e+03", "sum=2185.8130", 0, 0, NULL), 0);
	assert_int_equal(cmp("sum=2.185813e+03", "sum=2.195813e+03", 1e-5, 0, NULL), 1);
	assert_int_equal(cmp("x:1.5", "x:1.5000001", 1e-6, 0, NULL), 0);
	assert_int_equal(cmp("x:1.5", "x:1.6", 1e-6, 0, NULL), 1);
	assert_int_equal(cmp("(1.5,2.5)", "(1.5000001,2.4999999)", 1e-6, 0, NULL), 0);
	assert_int_equal(cmp("(1.5,2.5)", "(1.5,2.6)", 1e-6, 0, NULL), 1);
	assert_int_equal(cmp("1.0,2.0,3.0", "1,2,3", 0, 0, NULL), 0);
	assert_int_equal(cmp("1.0,-2.0,3e2", "1,-2.0000001,300", 1e-6, 0, NULL), 0);
	assert_int_equal(cmp("1.0,-2.0,3.0", "1.0,2.0,3.0", 1e-6, 0, NULL), 1);
	assert_int_equal(cmp("a,b,0.25", "a,b,0.2500001", 1e-6, 0, NULL), 0);
	assert_int_equal(cmp("t=1.5ms", "t=1.5000001ms", 1e-6, 0, NULL), 0);
	assert_int_equal(cmp("[0.1;0.2]", "[0.1;0.2000001]", 1e-6, 0, NULL), 0);
	/* atol applies inside tokens too. */
	assert_int_equal(cmp("err=0", "err=1e-12", 0, 1e-9, NULL), 0);
	assert_int_equal(cmp("err=0", "err=1e-6", 0, 1e-9, NULL), 1);
}

static void test_numbers_inside_tokens_text_exact(void **state)
{
	(void)state;
	/* The text around the numbers must be identical. */
	assert_int_equal(cmp("sum=1.5", "sun=1.5", 1, 1, NULL), 1);
	assert_int_equal(cmp("x:1.5", "x;1.5", 1, 1, NULL), 1);
	assert_int_equal(cmp("(1.5,2.5)", "(1.5,2.5]", 1, 1, NULL), 1);
	assert_int_equal(cmp("1,2,3", "1,2", 1, 1, NULL), 1);
	assert_int_equal(cmp("1,2", "1,2,", 1, 1, NULL), 1);
	assert_int_equal(cmp("t=1.5ms", "t=1.5us", 1, 1, NULL), 1);
	/* Words with digits stay text: no tolerance for identifiers or hex. */
	assert_int_equal(cmp("r4c1", "r5c1", 1, 10, NULL), 1);
	assert_int_equal(cmp("v1.2", "v1.3", 1, 10, NULL), 1);
	assert_int_equal(cmp("id=0x1f", "id=0x2f", 1, 10, NULL), 1);
	assert_int_equal(cmp("abc123", "abc124", 1, 10, NULL), 1);
	/* A number and text in the same place differ. */
	assert_int_equal(cmp("x=1", "x=a", 1, 10, NULL), 1);
	assert_int_equal(cmp("x=nan", "x=1", 1, 10, NULL), 1);
	/* An overflowing number inside a token is compared as text. */
	assert_int_equal(cmp("x=1e400", "x=2e400", 0, 0, NULL), 1);
	assert_int_equal(cmp("x=1e400", "x=1e400", 0, 0, NULL), 0);
}

static void test_numbers_inside_tokens_message(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(
	    cmp("n=1000 sum=2.185813e+03 bad=0", "n=1000 sum=2.195813e+03 bad=0", 1e-5, 0, &msg),
	    1);
	assert_contains(msg.data,
	                "line 1, column 8: expected 'sum=2.185813e+03' but got 'sum=2.195813e+03'");
	assert_contains(msg.data,
	                "number '2.185813e+03' in the token: got '2.195813e+03' (|diff| 10 "
	                "> tolerance 0.0219 from rtol 1e-05, atol 0");
	/* A difference in the text names no number. */
	assert_int_equal(cmp("sum=1.5", "sun=1.5", 1, 1, &msg), 1);
	assert_contains(msg.data, "expected 'sum=1.5' but got 'sun=1.5'");
	assert_lacks(msg.data, "in the token");
	buf_release(&msg);
}

static void test_nan_inf(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(cmp("nan", "NaN", 0, 0, NULL), 0);
	assert_int_equal(cmp("-nan", "nan", 0, 0, NULL), 0);
	assert_int_equal(cmp("nan", "1", 1, 1e300, &msg), 1);
	assert_contains(msg.data, "(NaN matches only NaN)");
	assert_int_equal(cmp("1", "nan", 1, 1e300, &msg), 1);
	assert_contains(msg.data, "expected '1' but got 'nan' (NaN matches only NaN)");
	assert_int_equal(cmp("inf", "Infinity", 0, 0, NULL), 0);
	assert_int_equal(cmp("-inf", "-INF", 0, 0, NULL), 0);
	assert_int_equal(cmp("inf", "-inf", 1, 1e300, &msg), 1);
	assert_contains(msg.data, "an infinity matches only an infinity of the same sign");
	assert_int_equal(cmp("inf", "1e308", 1, 1e300, NULL), 1);
	assert_int_equal(cmp("1e308", "inf", 1, 1e300, NULL), 1);
	assert_int_equal(cmp("inf", "nan", 1, 1e300, NULL), 1);
	buf_release(&msg);
}

static void test_token_position(void **state)
{
	struct buf msg = BUF_INIT;
	const char *e = "alpha beta\ngamma delta\nepsilon foo zeta\n";
	const char *a = "alpha beta\ngamma delta\nepsilon   bar zeta\n";

	(void)state;
	assert_int_equal(cmp(e, a, 0, 0, &msg), 1);
	assert_string_equal(msg.data, "line 3, column 11: expected 'foo' but got 'bar'\n"
	                              "  expected:\n"
	                              "    2 | gamma delta\n"
	                              "    3 | epsilon foo zeta\n"
	                              "  actual:\n"
	                              "    2 | gamma delta\n"
	                              "    3 | epsilon   bar zeta\n");
	/* The position is the actual output's, even when the lines shift. */
	assert_int_equal(cmp("a b c", "a\n\n  b\r\n  x", 0, 0, &msg), 1);
	assert_contains(msg.data, "line 4, column 3: expected 'c' but got 'x'\n");
	assert_contains(msg.data, "    1 | a b c\n");
	assert_contains(msg.data, "    3 |   b\n    4 |   x\n");
	/* A number where text was expected, and the reverse. */
	assert_int_equal(cmp("1.5", "abc", 0, 0, &msg), 1);
	assert_contains(msg.data, "expected '1.5' but got 'abc' (expected a number)");
	assert_int_equal(cmp("abc", "1.5", 0, 0, &msg), 1);
	assert_contains(msg.data, "expected 'abc' but got '1.5'\n");
	buf_release(&msg);
}

static void test_numeric_message_format(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(cmp("radius 1\narea 3.14159\n", "radius 1\narea 3.15\n", 1e-9, 0, &msg),
	                 1);
	assert_string_equal(msg.data,
	                    "line 2, column 6: expected '3.14159' but got '3.15' (|diff| 0.00841 > "
	                    "tolerance 3.14e-09 from rtol 1e-09, atol 0; relative diff 0.00268)\n"
	                    "  expected:\n"
	                    "    1 | radius 1\n"
	                    "    2 | area 3.14159\n"
	                    "  actual:\n"
	                    "    1 | radius 1\n"
	                    "    2 | area 3.15\n");
	buf_release(&msg);
}

static void test_missing_tokens(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(cmp("a b\nc d e\n", "a b\nc\n", 0, 0, &msg), 1);
	assert_string_equal(msg.data,
	                    "line 2, column 2: expected more output: the actual output ends here, "
	                    "but 2 more tokens were expected, starting with 'd'\n"
	                    "  expected:\n"
	                    "    1 | a b\n"
	                    "    2 | c d e\n"
	                    "  actual:\n"
	                    "    1 | a b\n"
	                    "    2 | c\n");
	assert_int_equal(cmp("x\n", "", 0, 0, &msg), 1);
	assert_contains(msg.data, "line 1, column 1: expected more output: ");
	assert_contains(msg.data, "1 more token were");
	assert_contains(msg.data, "  actual:\n    (empty)\n");
	assert_int_equal(cmp("x\n", " \n ", 0, 0, &msg), 1);
	assert_contains(msg.data, "(only whitespace)");
	buf_release(&msg);
}

static void test_extra_tokens(void **state)
{
	struct buf msg = BUF_INIT;

	(void)state;
	assert_int_equal(cmp("1 2\n", "1 2\n3\n4 5\n", 0, 0, &msg), 1);
	assert_string_equal(
	    msg.data, "line 2, column 1: unexpected extra output: 3 more tokens after the end "
	              "of the expected output, starting with '3'\n"
	              "  expected:\n"
	              "    1 | 1 2\n"
	              "  actual:\n"
	              "    1 | 1 2\n"
	              "    2 | 3\n");
	assert_int_equal(cmp("", "debug", 0, 0, &msg), 1);
	assert_contains(msg.data, "unexpected extra output: 1 more token after");
	assert_contains(msg.data, "  expected:\n    (empty)\n");
	buf_release(&msg);
}

/* Builds "row <i> value <v>\n" lines; line `bad` (1-based) gets another value. */
static void make_rows(struct buf *b, int lines, int bad)
{
	int i;

	for (i = 1; i <= lines; i++)
		buf_addf(b, "row %d value %d.5\n", i, i == bad ? -i : i);
}

static void test_big_output_message_is_short(void **state)
{
	struct buf e = BUF_INIT, a = BUF_INIT, msg = BUF_INIT;

	(void)state;
	make_rows(&e, 10000, 0);
	make_rows(&a, 10000, 5000);
	assert_int_equal(compare_text(e.data, e.len, a.data, a.len, &exact, &msg), 1);
	assert_contains(msg.data, "line 5000, column 16: expected '5000.5' but got '-5000.5'");
	assert_contains(msg.data,
	                "    4999 | row 4999 value 4999.5\n    5000 | row 5000 value 5000.5\n");
	assert_contains(msg.data, "    5000 | row 5000 value -5000.5\n");
	assert_lacks(msg.data, "row 1 ");
	assert_lacks(msg.data, "row 5001 ");
	assert_lacks(msg.data, "row 9999 ");
	assert_true(msg.len < 1000);
	/* The same outputs with the extra rows cut are reported as missing, briefly. */
	assert_int_equal(compare_text(e.data, e.len, a.data, 100, &exact, &msg), 1);
	assert_contains(msg.data, "expected more output");
	assert_true(msg.len < 1000);
	buf_release(&e);
	buf_release(&a);
	buf_release(&msg);
}

static void test_long_line_and_token_cut(void **state)
{
	struct buf e = BUF_INIT, a = BUF_INIT, msg = BUF_INIT;
	int i;

	(void)state;
	/* One 100000-byte line whose last token differs. */
	for (i = 0; i < 20000; i++) {
		buf_addf(&e, "w%03d ", i % 1000);
		buf_addf(&a, "w%03d ", i % 1000);
	}
	buf_addstr(&e, "END\n");
	buf_addstr(&a, "FIN\n");
	assert_int_equal(compare_text(e.data, e.len, a.data, a.len, &exact, &msg), 1);
	assert_contains(msg.data, "line 1, column 100001: expected 'END' but got 'FIN'");
	/* The context window moved to the token and says it was cut. */
	assert_contains(msg.data, "    1 | ...");
	assert_contains(msg.data, " END\n");
	assert_contains(msg.data, " FIN\n");
	assert_true(msg.len < 700);

	/* A 5000-byte token is quoted as its first 80 bytes. */
	buf_reset(&e);
	buf_reset(&a);
	for (i = 0; i < 5000; i++)
		buf_addch(&e, 'x');
	buf_addstr(&a, e.data);
	buf_addch(&a, 'y');
	assert_int_equal(compare_text(e.data, e.len, a.data, a.len, &exact, &msg), 1);
	assert_contains(msg.data, "...' (5000 bytes) but got '");
	assert_contains(msg.data, "...' (5001 bytes)\n");
	assert_true(msg.len < 1200);
	buf_release(&e);
	buf_release(&a);
	buf_release(&msg);
}

static void test_control_bytes_escaped(void **state)
{
	struct buf msg = BUF_INIT;
	const char e[] = "ok a\001b";
	const char a[] = "ok a\002b";

	(void)state;
	assert_int_equal(compare_text(e, sizeof(e) - 1, a, sizeof(a) - 1, &exact, &msg), 1);
	assert_contains(msg.data, "expected 'a\\x01b' but got 'a\\x02b'");
	/* A NUL inside a token makes it text, not a number. */
	assert_int_equal(compare_text("1\0002", 3, "1\0003", 3, NULL, &msg), 1);
	assert_contains(msg.data, "expected '1\\x002' but got '1\\x003'\n");
	buf_release(&msg);
}

static void test_bytes(void **state)
{
	struct buf msg = BUF_INIT;
	const char e[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
	char a[sizeof(e)];

	(void)state;
	memcpy(a, e, sizeof(e));
	assert_int_equal(compare_bytes(e, sizeof(e), a, sizeof(a), &msg), 0);
	assert_int_equal(msg.len, 0);
	a[12] = 0x7f;
	assert_int_equal(compare_bytes(e, sizeof(e), a, sizeof(a), &msg), 1);
	assert_string_equal(
	    msg.data, "byte 12 (0xc): expected 0x0c but got 0x7f (expected 20 bytes, got 20)\n"
	              "  expected: at 0x4: 04 05 06 07 08 09 0a 0b [0c] 0d 0e 0f 10 11 12 13\n"
	              "  actual:   at 0x4: 04 05 06 07 08 09 0a 0b [7f] 0d 0e 0f 10 11 12 13\n");
	assert_int_equal(compare_bytes(e, sizeof(e), e, 3, &msg), 1);
	assert_contains(msg.data,
	                "byte 3 (0x3): expected more output: the actual output ends after "
	                "3 bytes, expected 20\n");
	assert_contains(msg.data, "  actual:   at 0x0: 00 01 02 [end]\n");
	assert_int_equal(compare_bytes(e, 3, e, sizeof(e), &msg), 1);
	assert_contains(msg.data, "unexpected extra output: got 20 bytes, expected 3\n");
	assert_int_equal(compare_bytes("", 0, "", 0, NULL), 0);
	buf_release(&msg);
}

static void test_is_binary(void **state)
{
	char *big;

	(void)state;
	assert_int_equal(compare_is_binary("text\n", 5), 0);
	assert_int_equal(compare_is_binary("a\0b", 3), 1);
	assert_int_equal(compare_is_binary(NULL, 0), 0);
	big = calloc(COMPARE_SNIFF_BYTES + 10, 1);
	assert_non_null(big);
	memset(big, 'a', COMPARE_SNIFF_BYTES);
	/* A NUL after the first 8 KiB does not make a file binary. */
	assert_int_equal(compare_is_binary(big, COMPARE_SNIFF_BYTES + 10), 0);
	big[COMPARE_SNIFF_BYTES - 1] = '\0';
	assert_int_equal(compare_is_binary(big, COMPARE_SNIFF_BYTES + 10), 1);
	free(big);
}

struct files {
	char dir[PATH_MAX];
	struct buf path;
};

static const char *write_file(struct files *f, const char *name, const void *data, size_t len)
{
	FILE *fp;

	buf_setf(&f->path, "%s/%s", f->dir, name);
	fp = fopen(f->path.data, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return f->path.data;
}

static void test_files(void **state)
{
	struct files f;
	struct buf msg = BUF_INIT, e = BUF_INIT, a = BUF_INIT, bin = BUF_INIT;
	struct compare_opts o = {1e-6, 0};
	const char be[] = "\x7f"
	                  "ELF\0\1\2\3",
	           ba[] = "\x7f"
	                  "ELF\0\1\11\3";

	(void)state;
	snprintf(f.dir, sizeof(f.dir), "%s/compare-XXXXXX", test_tmpdir());
	assert_non_null(mkdtemp(f.dir));
	buf_init(&f.path, 0);

	buf_addstr(&e, write_file(&f, "e.txt", "x 1.0000000\n", 12));
	buf_addstr(&a, write_file(&f, "a.txt", "x 1.0000001\n", 12));
	assert_int_equal(compare_files(e.data, a.data, &o, &msg), 0);
	write_file(&f, "a.txt", "x 1.1\n", 6);
	assert_int_equal(compare_files(e.data, a.data, &o, &msg), 1);
	assert_contains(msg.data, "line 1, column 3: expected '1.0000000' but got '1.1'");

	/* A NUL in the first 8 KiB: compared as bytes. */
	buf_addstr(&bin, write_file(&f, "e.bin", be, sizeof(be) - 1));
	write_file(&f, "a.bin", ba, sizeof(ba) - 1);
	assert_int_equal(compare_files(bin.data, f.path.data, &o, &msg), 1);
	assert_contains(msg.data, "byte 6 (0x6): expected 0x02 but got 0x09");
	assert_int_equal(compare_files(bin.data, bin.data, &o, &msg), 0);
	/* Text against binary is a byte difference, not an error. */
	assert_int_equal(compare_files(e.data, bin.data, &o, &msg), 1);
	assert_contains(msg.data, "byte 0 (0x0)");

	buf_setf(&f.path, "%s/missing.txt", f.dir);
	assert_int_equal(compare_files(e.data, f.path.data, &o, &msg), -1);
	assert_contains(msg.data, "cannot read actual output '");
	assert_contains(msg.data, "missing.txt': No such file or directory");
	assert_int_equal(compare_files(f.path.data, e.data, &o, &msg), -1);
	assert_contains(msg.data, "cannot read expected output '");
	assert_int_equal(compare_files(f.path.data, e.data, &o, NULL), -1);

	unlink(e.data);
	unlink(a.data);
	unlink(bin.data);
	buf_setf(&f.path, "%s/a.bin", f.dir);
	unlink(f.path.data);
	rmdir(f.dir);
	buf_release(&f.path);
	buf_release(&msg);
	buf_release(&e);
	buf_release(&a);
	buf_release(&bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_whitespace_ignored),
	    cmocka_unit_test(test_number_forms),
	    cmocka_unit_test(test_rtol),
	    cmocka_unit_test(test_atol),
	    cmocka_unit_test(test_close_values_printed_apart),
	    cmocka_unit_test(test_nan_inf),
	    cmocka_unit_test(test_numbers_inside_tokens),
	    cmocka_unit_test(test_numbers_inside_tokens_text_exact),
	    cmocka_unit_test(test_numbers_inside_tokens_message),
	    cmocka_unit_test(test_token_position),
	    cmocka_unit_test(test_numeric_message_format),
	    cmocka_unit_test(test_missing_tokens),
	    cmocka_unit_test(test_extra_tokens),
	    cmocka_unit_test(test_big_output_message_is_short),
	    cmocka_unit_test(test_long_line_and_token_cut),
	    cmocka_unit_test(test_control_bytes_escaped),
	    cmocka_unit_test(test_bytes),
	    cmocka_unit_test(test_is_binary),
	    cmocka_unit_test(test_files),
	};

	return test_run(tests, NULL, NULL);
}
