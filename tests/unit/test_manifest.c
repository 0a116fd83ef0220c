/*
 * Manifest validation: valid manifests get every default, and each kind of
 * invalid one is refused with a message that names the place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "engine/manifest.h"
#include "test_util.h"

#define ORIGIN "t/optimize.json"
#define MDATA  TEST_DATA_DIR "/manifest"

static int parse(const char *text, struct manifest *m, struct buf *err)
{
	return manifest_parse(text, strlen(text), ORIGIN, "/tree", m, err);
}

/* The text must be refused with exactly this message. */
static void expect_error(const char *text, const char *message)
{
	struct manifest m;
	struct buf err = BUF_INIT;

	buf_init(&err, 0);
	assert_int_equal(parse(text, &m, &err), -1);
	assert_string_equal(buf_str(&err), message);
	/* A failed parse leaves nothing behind. */
	assert_null(m.targets);
	assert_int_equal(m.ntargets, 0);
	assert_null(m.path);
	buf_release(&err);
}

/* The text must be refused with a message that starts with prefix. */
static void expect_error_prefix(const char *text, const char *prefix)
{
	struct manifest m;
	struct buf err = BUF_INIT;

	buf_init(&err, 0);
	assert_int_equal(parse(text, &m, &err), -1);
	if (strncmp(buf_str(&err), prefix, strlen(prefix)))
		fail_msg("expected a message starting with\n  %s\ngot\n  %s", prefix,
		         buf_str(&err));
	buf_release(&err);
}

#define MIN_FIELDS "\"name\": \"t\", \"editable\": [\"a.c\"], \"build\": \"make\", \"run\": \"./a\""

static void test_minimal_defaults(void **state)
{
	struct manifest m;
	struct buf err = BUF_INIT;
	const struct target *t;

	(void)state;
	buf_init(&err, 0);
	assert_int_equal(parse("{" MIN_FIELDS "}", &m, &err), 0);
	assert_string_equal(m.path, ORIGIN);
	assert_int_equal(m.ntargets, 1);
	t = &m.targets[0];
	assert_string_equal(t->name, "t");
	assert_string_equal(t->tree, "/tree");
	assert_string_equal(t->manifest_path, ORIGIN);
	assert_int_equal(t->editable.n, 1);
	assert_string_equal(t->editable.v[0], "a.c");
	assert_null(t->editable.v[1]);
	assert_int_equal(t->context.n, 0);
	assert_int_equal(t->outputs.n, 0);
	assert_string_equal(t->build, "make");
	assert_string_equal(t->run, "./a");
	assert_string_equal(t->cc, "cc");
	assert_null(t->cflags); /* "make": the project's own flags (default_cflags) */
	assert_string_equal(t->ldflags, "");
	assert_int_equal(t->nverify, 0);
	assert_true(t->rtol == 0.0 && t->atol == 0.0);
	assert_int_equal(t->nrun_compare, 1);
	assert_int_equal(t->run_compare[0].kind, COMPARE_STDOUT);
	assert_null(t->run_compare[0].path);
	assert_null(t->test);
	assert_true(t->timeout_s == 60.0);
	assert_string_equal(t->objective, "time");
	assert_true(t->limits.cpu_s == PROC_DEFAULT_CPU_S);
	assert_true(t->limits.as_bytes == PROC_DEFAULT_AS_BYTES);
	assert_true(t->limits.fsize_bytes == PROC_DEFAULT_FSIZE_BYTES);
	assert_int_equal(t->limits.nproc, PROC_DEFAULT_NPROC);
	assert_int_equal(t->kernels.n, 0);
	assert_string_equal(t->cl_build_options, "");
	assert_null(t->wg_size_env);
	assert_int_equal(t->wg_sizes.n, 0);
	assert_null(t->llm.provider);
	assert_null(t->llm.model);
	assert_null(t->llm.url);
	assert_true(t->llm.temperature < 0);
	assert_int_equal(t->llm.max_tokens, 0);
	manifest_release(&m);
	assert_null(m.targets);
	buf_release(&err);
}

static void test_full_from_directory(void **state)
{
	struct manifest m;
	struct buf err = BUF_INIT;
	const struct target *t;
	char *tree;

	(void)state;
	buf_init(&err, 0);
	if (manifest_load(MDATA "/full", &m, &err) < 0)
		fail_msg("%s", buf_str(&err));
	tree = realpath(MDATA "/full", NULL);
	assert_non_null(tree);
	t = &m.targets[0];
	assert_int_equal(m.ntargets, 1);
	assert_string_equal(t->tree, tree);
	assert_string_equal(t->manifest_path, m.path);
	assert_int_equal(strncmp(m.path, tree, strlen(tree)), 0);
	assert_string_equal(m.path + strlen(tree), "/optimize.json");
	assert_string_equal(t->name, "matmul");
	/* kernels are appended to editable */
	assert_int_equal(t->editable.n, 3);
	assert_string_equal(t->editable.v[0], "matmul.c");
	assert_string_equal(t->editable.v[1], "src/**/*.c");
	assert_string_equal(t->editable.v[2], "kernels/*.cl");
	assert_int_equal(t->context.n, 1);
	assert_string_equal(t->context.v[0], "matmul.h");
	assert_int_equal(t->outputs.n, 2);
	assert_string_equal(t->outputs.v[1], "build/");
	assert_string_equal(t->cc, "gcc");
	assert_string_equal(t->cflags, "-O2 -g");
	assert_string_equal(t->ldflags, "-lm");
	assert_int_equal(t->nverify, 2);
	assert_string_equal(t->verify[0].run, "./matmul 7");
	assert_int_equal(t->verify[0].ncompare, 1);
	assert_int_equal(t->verify[0].compare[0].kind, COMPARE_STDOUT);
	/* a verify run without its own tolerance takes the target's */
	assert_true(t->verify[0].rtol == 1e-12);
	assert_true(t->verify[0].atol == 1e-15);
	assert_int_equal(t->verify[1].ncompare, 2);
	assert_int_equal(t->verify[1].compare[1].kind, COMPARE_FILE);
	assert_string_equal(t->verify[1].compare[1].path, "out.bin");
	assert_true(t->verify[1].rtol == 1e-9);
	assert_true(t->verify[1].atol == 0.0);
	assert_true(t->rtol == 1e-12);
	assert_int_equal(t->nrun_compare, 2);
	assert_int_equal(t->run_compare[1].kind, COMPARE_STDERR);
	assert_string_equal(t->test, "./selftest.sh");
	assert_true(t->timeout_s == 30.0);
	assert_string_equal(t->objective, "kernel_time:matmul");
	assert_true(t->limits.cpu_s == 120.0);
	assert_true(t->limits.as_bytes == (uint64_t)2048 << 20);
	assert_true(t->limits.fsize_bytes == (uint64_t)64 << 20);
	assert_int_equal(t->limits.nproc, 256);
	assert_int_equal(t->kernels.n, 1);
	assert_string_equal(t->kernels.v[0], "kernels/*.cl");
	assert_string_equal(t->cl_build_options, "-cl-std=CL1.2");
	assert_string_equal(t->wg_size_env, "MATMUL_WG");
	assert_int_equal(t->wg_sizes.n, 3);
	assert_string_equal(t->wg_sizes.v[0], "64");
	assert_string_equal(t->wg_sizes.v[1], "128");
	assert_string_equal(t->wg_sizes.v[2], "16,16");
	assert_string_equal(t->llm.provider, "openai-compatible");
	assert_string_equal(t->llm.model, "qwen2.5-coder");
	assert_string_equal(t->llm.url, "http://127.0.0.1:8080/v1");
	assert_true(t->llm.temperature == 0.2);
	assert_int_equal(t->llm.max_tokens, 4096);
	free(tree);
	manifest_release(&m);
	buf_release(&err);
}

static void test_load_file_and_minimal(void **state)
{
	struct manifest m;
	struct buf err = BUF_INIT;
	char *tree;

	(void)state;
	buf_init(&err, 0);
	if (manifest_load(MDATA "/minimal/optimize.json", &m, &err) < 0)
		fail_msg("%s", buf_str(&err));
	tree = realpath(MDATA "/minimal", NULL);
	assert_non_null(tree);
	assert_string_equal(m.targets[0].tree, tree);
	assert_string_equal(m.targets[0].name, "matmul");
	assert_string_equal(m.targets[0].build, "$CC $CFLAGS -o matmul matmul.c -lm");
	free(tree);
	manifest_release(&m);
	buf_release(&err);
}

static void test_multiple_targets(void **state)
{
	struct manifest m;
	struct buf err = BUF_INIT;

	(void)state;
	buf_init(&err, 0);
	if (manifest_load(MDATA "/multi/", &m, &err) < 0)
		fail_msg("%s", buf_str(&err));
	assert_int_equal(m.ntargets, 2);
	assert_string_equal(m.targets[0].name, "matmul");
	assert_string_equal(m.targets[1].name, "stencil");
	assert_string_equal(m.targets[0].objective, "time");
	assert_string_equal(m.targets[1].objective, "instructions");
	assert_string_equal(m.targets[1].tree, m.targets[0].tree);
	assert_ptr_equal(manifest_find_target(&m, "stencil"), &m.targets[1]);
	assert_null(manifest_find_target(&m, "nope"));
	manifest_release(&m);
	buf_release(&err);
}

static void test_load_missing(void **state)
{
	char dir[PATH_MAX];
	struct manifest m;
	struct buf err = BUF_INIT, want = BUF_INIT;

	(void)state;
	buf_init(&err, 0);
	buf_init(&want, 0);
	snprintf(dir, sizeof(dir), "%s/manifest-XXXXXX", test_tmpdir());
	assert_non_null(mkdtemp(dir));
	assert_int_equal(manifest_load(dir, &m, &err), -1);
	buf_addf(&want,
	         "no manifest in '%s': create '%s/optimize.json' naming at least "
	         "\"name\", \"editable\", \"build\" and \"run\" (see docs/manifest.md)",
	         dir, dir);
	assert_string_equal(buf_str(&err), buf_str(&want));
	assert_null(m.targets);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(manifest_load(dir, &m, &err), -1);
	buf_setf(&want,
	         "'%s' does not exist: give a source tree that holds optimize.json, or the "
	         "manifest itself",
	         dir);
	assert_string_equal(buf_str(&err), buf_str(&want));
	buf_release(&err);
	buf_release(&want);
}

static void test_load_bad_json_names_file(void **state)
{
	struct manifest m;
	struct buf err = BUF_INIT;

	(void)state;
	buf_init(&err, 0);
	assert_int_equal(manifest_load(MDATA "/bad-comma.json", &m, &err), -1);
	assert_string_equal(
	    buf_str(&err),
	    MDATA "/bad-comma.json:4:2: invalid JSON: expected ',' or '}' (a missing comma?)\n"
	          "     4 | \t\"build\": \"cc -o matmul matmul.c\",\n"
	          "       | \t^");
	buf_release(&err);
}

static void test_bad_json(void **state)
{
	(void)state;
	expect_error("{\n  \"name\": \"t\",\n  \"run\": ./a\n}",
	             ORIGIN ":3:10: invalid JSON: expected a value\n"
	                    "     3 |   \"run\": ./a\n"
	                    "       |          ^");
	expect_error_prefix("{\"name\": \"t\",\n \"editable\": [\"a.c\",],\n}",
	                    ORIGIN ":2:20: invalid JSON: trailing comma before ']'");
	expect_error_prefix("{\n  // the name\n  \"name\": \"t\"}",
	                    ORIGIN ":2:3: invalid JSON: comments are not allowed in JSON");
	expect_error_prefix("{\"name\": \"t\"",
	                    ORIGIN ":1:13: invalid JSON: unexpected end of input");
	expect_error_prefix("", ORIGIN ":1:1: invalid JSON: no JSON value");
	/* columns count characters, not bytes */
	expect_error_prefix("{\"name\": \"\xc3\xa9t\xc3\xa9\", x}",
	                    ORIGIN ":1:17: invalid JSON: expected a key in double quotes");
}

static void test_not_an_object(void **state)
{
	(void)state;
	expect_error("[1, 2]", ORIGIN ":1:1: the manifest must be a JSON object, found an array");
}

static void test_missing_field(void **state)
{
	(void)state;
	expect_error("{\"name\": \"t\", \"editable\": [\"a.c\"], \"build\": \"make\"}",
	             ORIGIN ":1:1: missing required field 'run' (a string)");
	expect_error("{\"name\": \"t\", \"build\": \"make\", \"run\": \"x\"}",
	             ORIGIN ":1:1: missing required field 'editable' (an array of strings)");
	expect_error("{\"targets\": [\n {" MIN_FIELDS
	             "},\n {\"name\": \"u\", \"editable\": [\"a.c\"], "
	             "\"build\": \"make\"}\n]}",
	             ORIGIN ":3:2: missing required field 'targets[1].run' (a string)");
	expect_error("{" MIN_FIELDS ", \"verify\": [{\"compare\": [\"stdout\"]}]}",
	             ORIGIN ":1:78: missing required field 'verify[0].run' (a string)");
}

static void test_wrong_type(void **state)
{
	(void)state;
	expect_error("{" MIN_FIELDS ",\n \"timeout_s\": \"10\"}",
	             ORIGIN ":2:2: field 'timeout_s': expected a number, found a string");
	expect_error("{\"name\": 5}",
	             ORIGIN ":1:2: field 'name': expected a string, found a number");
	expect_error("{\"name\": \"t\", \"editable\": \"a.c\"}", ORIGIN
	             ":1:15: field 'editable': expected an array of strings, found a string");
	expect_error("{\"name\": \"t\", \"editable\": [\"a.c\", 3]}",
	             ORIGIN ":1:35: field 'editable[1]': expected a string, found a number");
	expect_error(
	    "{\"targets\": [{" MIN_FIELDS ", \"verify\": [{\"run\": \"a\"}, {\"run\": \"b\", "
	    "\"rtol\": \"1e-9\"}]}]}",
	    ORIGIN ":1:118: field 'targets[0].verify[1].rtol': expected a number, found a string");
	expect_error("{" MIN_FIELDS ", \"limits\": {\"nproc\": 1.5}}",
	             ORIGIN ":1:78: field 'limits.nproc': expected an integer, found 1.5");
	expect_error("{" MIN_FIELDS ", \"llm\": true}",
	             ORIGIN ":1:67: field 'llm': expected an object, found true or false");
	expect_error("{\"targets\": {}}",
	             ORIGIN ":1:2: field 'targets': expected an array of objects, found an object");
	expect_error("{" MIN_FIELDS ", \"cc\": null}",
	             ORIGIN ":1:67: field 'cc': expected a string, found null");
}

static void test_unknown_field(void **state)
{
	(void)state;
	expect_error("{\"name\": \"t\",\n  \"biuld\": \"make\"}",
	             ORIGIN ":2:3: unknown field 'biuld'; did you mean 'build'?");
	expect_error("{" MIN_FIELDS ", \"timeout\": 3}",
	             ORIGIN ":1:67: unknown field 'timeout'; did you mean 'timeout_s'?");
	expect_error("{" MIN_FIELDS ", \"verify\": [{\"run\": \"a\", \"comapre\": []}]}",
	             ORIGIN ":1:91: unknown field 'verify[0].comapre'; did you mean 'compare'?");
	expect_error("{" MIN_FIELDS ", \"flavour\": 1}",
	             ORIGIN ":1:67: unknown field 'flavour' (see docs/manifest.md for the fields)");
	expect_error("{" MIN_FIELDS ", \"llm\": {\"api_key\": \"sk-x\"}}", ORIGIN
	             ":1:75: field 'llm.api_key': API keys do not belong in the manifest; set "
	             "OPENAI_API_KEY or ANTHROPIC_API_KEY in the environment");
	expect_error("{\"name\": \"t\", \"name\": \"u\"}",
	             ORIGIN ":1:2: field 'name' appears more than once");
	/* field names are case-sensitive */
	expect_error("{\"Name\": \"t\"}",
	             ORIGIN ":1:2: unknown field 'Name'; did you mean 'name'?");
}

static void test_bad_objective(void **state)
{
	struct manifest m;
	struct buf err = BUF_INIT;

	(void)state;
	expect_error(
	    "{" MIN_FIELDS ", \"objective\": \"tme\"}", ORIGIN
	    ":1:67: field 'objective': 'tme' is not an objective; did you mean 'time'? "
	    "(accepted: time, cpu-time, cycles, instructions, cache-misses, max-rss, kernel_time, "
	    "kernel_time:NAME)");
	expect_error(
	    "{" MIN_FIELDS ", \"objective\": \"watts\"}", ORIGIN
	    ":1:67: field 'objective': 'watts' is not an objective (accepted: time, cpu-time, "
	    "cycles, instructions, cache-misses, max-rss, kernel_time, kernel_time:NAME)");
	expect_error_prefix("{" MIN_FIELDS ", \"objective\": \"kernel_time:\"}",
	                    ORIGIN ":1:67: field 'objective': 'kernel_time:' needs a kernel name");
	buf_init(&err, 0);
	assert_int_equal(parse("{" MIN_FIELDS ", \"objective\": \"max-rss\"}", &m, &err), 0);
	assert_string_equal(m.targets[0].objective, "max-rss");
	manifest_release(&m);
	assert_int_equal(manifest_check_objective("cache-misses", &err), 0);
	assert_int_equal(manifest_check_objective("kernel_time:mm_tiled", &err), 0);
	assert_int_equal(manifest_check_objective("kernel_time:1x", &err), -1);
	assert_int_equal(manifest_check_objective("cycle", &err), -1);
	assert_string_equal(
	    buf_str(&err),
	    "objective 'cycle' is not an objective; did you mean "
	    "'cycles'? (accepted: time, cpu-time, cycles, instructions, cache-misses, max-rss, "
	    "kernel_time, kernel_time:NAME)");
	buf_release(&err);
}

static void test_bad_numbers(void **state)
{
	(void)state;
	expect_error("{" MIN_FIELDS ", \"rtol\": -1}",
	             ORIGIN ":1:67: field 'rtol': must be at least 0, found -1");
	expect_error("{" MIN_FIELDS ", \"verify\": [{\"run\": \"a\", \"atol\": -0.5}]}",
	             ORIGIN ":1:91: field 'verify[0].atol': must be at least 0, found -0.5");
	expect_error("{" MIN_FIELDS ", \"timeout_s\": 0}",
	             ORIGIN ":1:67: field 'timeout_s': must be greater than 0, found 0");
	expect_error("{" MIN_FIELDS ", \"limits\": {\"memory_mb\": -1}}",
	             ORIGIN ":1:78: field 'limits.memory_mb': must be at least 0, found -1");
	expect_error("{" MIN_FIELDS ", \"limits\": {\"file_mb\": 1e-7}}",
	             ORIGIN ":1:78: field 'limits.file_mb': must be 0 (no limit) or at least 1, "
	                    "found 1e-07");
	expect_error("{" MIN_FIELDS ", \"limits\": {\"memory_mb\": 0.5}}",
	             ORIGIN ":1:78: field 'limits.memory_mb': must be 0 (no limit) or at least 1, "
	                    "found 0.5");
	/* \u0000 would cut a string short; a lone surrogate is no character */
	expect_error_prefix("{" MIN_FIELDS ", \"cflags\": \"-O2\\u0000 -g\"}",
	                    ORIGIN ":1:81: invalid JSON: \\u0000 (a NUL character) is not allowed");
	expect_error_prefix("{" MIN_FIELDS ", \"cflags\": \"\\ud800\"}",
	                    ORIGIN ":1:78: invalid JSON: lone UTF-16 high surrogate");
	expect_error_prefix("{" MIN_FIELDS ", \"cflags\": \"\\udc00x\"}",
	                    ORIGIN ":1:78: invalid JSON: lone UTF-16 low surrogate");
	{
		/* a proper pair is fine */
		struct manifest m;
		struct buf err = BUF_INIT;
		assert_int_equal(
		    parse("{" MIN_FIELDS ", \"cflags\": \"\\ud83d\\ude00\"}", &m, &err), 0);
		assert_string_equal(m.targets[0].cflags, "\xf0\x9f\x98\x80");
		manifest_release(&m);
		buf_release(&err);
	}
	expect_error("{" MIN_FIELDS ", \"timeout_s\": 1e999}",
	             ORIGIN ":1:67: field 'timeout_s': the number is too large");
	expect_error("{" MIN_FIELDS ", \"llm\": {\"max_tokens\": 0}}",
	             ORIGIN ":1:75: field 'llm.max_tokens': must be at least 1, found 0");
}

static void test_targets_rules(void **state)
{
	(void)state;
	expect_error("{\"targets\": [\n {" MIN_FIELDS "},\n {" MIN_FIELDS "}\n]}", ORIGIN
	             ":3:3: field 'targets[1].name': duplicate target name 't' (targets[0] has "
	             "it too)");
	expect_error("{\"targets\": []}",
	             ORIGIN ":1:2: field 'targets': must list at least one target");
	expect_error("{\"targets\": [{" MIN_FIELDS "}], \"cflags\": \"-O3\"}",
	             ORIGIN ":1:82: field 'cflags' is not allowed next to 'targets': move it into "
	                    "each target");
	expect_error("{\"targets\": [{" MIN_FIELDS ", \"version\": 1}]}", ORIGIN
	             ":1:80: field 'targets[0].version' belongs at the top of the file, next to "
	             "'targets'");
	expect_error("{\"version\": 2, " MIN_FIELDS "}", ORIGIN
	             ":1:2: field 'version': this optimize reads version 1 manifests, found 2");
	expect_error("{\"targets\": [5]}",
	             ORIGIN ":1:14: field 'targets[0]': expected an object, found a number");
}

static void test_names_and_paths(void **state)
{
	(void)state;
	expect_error("{\"name\": \"a/b\"}", ORIGIN
	             ":1:2: field 'name': 'a/b' cannot be used as a directory name (use up to 64 "
	             "letters, digits, '.', '_' or '-')");
	expect_error_prefix("{\"name\": \"..\"}", ORIGIN ":1:2: field 'name': '..' cannot be used");
	expect_error("{\"name\": \"t\", \"editable\": []}", ORIGIN
	             ":1:15: field 'editable': must list at least one file (a path or glob)");
	expect_error("{\"name\": \"t\", \"editable\": [\" \"]}",
	             ORIGIN ":1:28: field 'editable[0]': must not be empty");
	expect_error("{\"name\": \"t\", \"editable\": [\"/etc/passwd\"]}", ORIGIN
	             ":1:28: field 'editable[0]': '/etc/passwd' must be relative to the tree "
	             "(no leading '/')");
	expect_error("{\"name\": \"t\", \"editable\": [\"src/../../x.c\"]}",
	             ORIGIN ":1:28: field 'editable[0]': 'src/../../x.c' must stay inside the tree "
	                    "(no '..')");
	expect_error("{\"name\": \"t\", \"editable\": [\"a.c\"], \"build\": \"  \"}",
	             ORIGIN ":1:36: field 'build': must not be empty");
}

static void test_compare_lists(void **state)
{
	struct manifest m;
	struct buf err = BUF_INIT;

	(void)state;
	expect_error("{" MIN_FIELDS ", \"run_compare\": [\"stdot\"]}",
	             ORIGIN ":1:83: field 'run_compare[0]': unknown output 'stdot'; did you mean "
	                    "'stdout'?");
	expect_error("{" MIN_FIELDS ", \"run_compare\": [\"file:\"]}",
	             ORIGIN ":1:83: field 'run_compare[0]': 'file:' needs a path (file:PATH)");
	expect_error("{" MIN_FIELDS ", \"run_compare\": [\"file:a\", \"stdout\", \"file:a\"]}",
	             ORIGIN ":1:103: field 'run_compare[2]': 'file:a' is listed twice");
	expect_error("{" MIN_FIELDS ", \"run_compare\": [\"file:/tmp/x\"]}", ORIGIN
	             ":1:83: field 'run_compare[0]': '/tmp/x' must be relative to the tree (no "
	             "leading '/')");
	/* an empty list compares the exit status only */
	buf_init(&err, 0);
	assert_int_equal(parse("{" MIN_FIELDS ", \"run_compare\": []}", &m, &err), 0);
	assert_int_equal(m.targets[0].nrun_compare, 0);
	manifest_release(&m);
	buf_release(&err);
}

static void test_opencl_and_llm_rules(void **state)
{
	(void)state;
	expect_error("{" MIN_FIELDS ", \"wg_sizes\": [64]}",
	             ORIGIN ":1:67: field 'wg_sizes' needs 'wg_size_env', the environment variable "
	                    "the program reads the work-group size from");
	expect_error("{" MIN_FIELDS ", \"wg_size_env\": \"WG\", \"wg_sizes\": [0]}",
	             ORIGIN ":1:101: field 'wg_sizes[0]': expected a positive integer, found 0");
	expect_error("{" MIN_FIELDS ", \"wg_size_env\": \"WG-SIZE\"}", ORIGIN
	             ":1:67: field 'wg_size_env': 'WG-SIZE' is not an environment variable name");
	expect_error("{" MIN_FIELDS ", \"llm\": {\"provider\": \"antropic\"}}", ORIGIN
	             ":1:75: field 'llm.provider': unknown provider 'antropic'; did you mean "
	             "'anthropic'? (accepted: openai, anthropic, openai-compatible)");
	expect_error("{" MIN_FIELDS ", \"llm\": {\"url\": \"localhost:8080\"}}",
	             ORIGIN ":1:75: field 'llm.url': 'localhost:8080' must start with http:// or "
	                    "https://");
	expect_error("{" MIN_FIELDS ", \"llm\": {\"modle\": \"x\"}}",
	             ORIGIN ":1:75: unknown field 'llm.modle'; did you mean 'model'?");
}

static void test_bom_and_schema(void **state)
{
	struct manifest m;
	struct buf err = BUF_INIT;

	(void)state;
	buf_init(&err, 0);
	assert_int_equal(parse("\xEF\xBB\xBF{\"$schema\": \"x\", " MIN_FIELDS "}", &m, &err), 0);
	assert_string_equal(m.targets[0].name, "t");
	manifest_release(&m);
	/* the BOM does not shift reported columns */
	expect_error("\xEF\xBB\xBF{\"nam\": 1}",
	             ORIGIN ":1:2: unknown field 'nam'; did you mean 'name'?");
	/* A $schema next to a bad version is freed (a leak found by fuzzing; the asan
	 * pass runs this under LeakSanitizer). */
	expect_error("{\"$schema\": \"x\", \"version\": 0.5, " MIN_FIELDS "}",
	             ORIGIN ":1:18: field 'version': expected an integer, found 0.5");
	buf_release(&err);
}

static int match1(const char *glob, const char *path)
{
	char *v[2] = {(char *)glob, NULL};
	struct strlist l = {v, 1};

	return strlist_match(&l, path);
}

static void test_strlist_match(void **state)
{
	struct strlist l = {NULL, 0};

	(void)state;
	assert_true(match1("*.c", "a.c"));
	assert_false(match1("*.c", "src/a.c")); /* FNM_PATHNAME: '*' stops at '/' */
	assert_true(match1("src/*.c", "src/a.c"));
	assert_false(match1("src/*.c", "src/x/a.c"));
	assert_true(match1("src/", "src/a.c")); /* "dir/": everything under dir */
	assert_true(match1("src/", "src/x/y/a.c"));
	assert_false(match1("src/", "src"));
	assert_false(match1("src/", "srcx/a.c"));
	assert_true(match1("**/*.c", "a.c")); /* "**" is any number of components */
	assert_true(match1("**/*.c", "x/y/a.c"));
	assert_false(match1("**/*.c", "x/y/a.h"));
	assert_true(match1("src/**/*.c", "src/a.c"));
	assert_true(match1("src/**/*.c", "src/p/q/a.c"));
	assert_false(match1("src/**/*.c", "lib/p/a.c"));
	assert_true(match1("src/**", "src/p/a.c"));
	assert_false(match1("src/**", "src"));
	assert_true(match1("a/**/b/**/c", "a/x/b/y/z/c"));
	assert_false(match1("a/**/b/**/c", "a/x/y/z/c"));
	assert_true(match1("k?rnel[0-9].cl", "kernel3.cl"));
	assert_true(match1("./a.c", "a.c"));
	assert_true(match1("a.c", "./a.c"));
	assert_false(match1("a.c", ""));
	assert_false(match1("a.c", "b.c"));

	assert_false(strlist_match(&l, "a.c"));
	assert_int_equal(strlist_push(&l, "x.c"), 0);
	assert_int_equal(strlist_push(&l, "lib/"), 0);
	assert_int_equal(l.n, 2);
	assert_null(l.v[2]);
	assert_true(strlist_match(&l, "lib/a.c"));
	assert_true(strlist_match(&l, "x.c"));
	assert_false(strlist_match(&l, "y.c"));
	strlist_release(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

/* Every ```json block in docs/manifest.md is a valid manifest. */
static void test_docs_examples_parse(void **state)
{
	struct buf doc = BUF_INIT, err = BUF_INIT;
	const char *p, *end;
	int blocks = 0;

	(void)state;
	buf_init(&doc, 0);
	buf_init(&err, 0);
	assert_int_equal(buf_read_file(&doc, OPTIMIZE_SOURCE_DIR "/docs/manifest.md"), 0);
	for (p = doc.data; (p = strstr(p, "```json\n")); p = end + 4) {
		struct manifest m;

		p += 8;
		end = strstr(p, "```");
		assert_non_null(end);
		if (manifest_parse(p, (size_t)(end - p), "docs/manifest.md", "/tree", &m, &err) < 0)
			fail_msg("example %d: %s", blocks + 1, buf_str(&err));
		manifest_release(&m);
		blocks++;
	}
	assert_true(blocks >= 2);
	buf_release(&doc);
	buf_release(&err);
}

/* cflags left out: -O2 for a compile line, not set for make; null: not set. */
static void test_cflags_default(void **state)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{\"name\": \"t\", \"editable\": [\"a.c\"], \"build\": \"$CC $CFLAGS a.c\", "
	     "\"run\": \"./a\"}",
	     "-O2"},
	    {"{" MIN_FIELDS "}", NULL},
	    {"{\"name\": \"t\", \"editable\": [\"a.c\"], \"build\": \"make "
	     "${CFLAGS:+\\\"CFLAGS=$CFLAGS\\\"}\", "
	     "\"run\": \"./a\"}",
	     NULL},
	    {"{" MIN_FIELDS ", \"cflags\": \"-O3\"}", "-O3"},
	    {"{\"name\": \"t\", \"editable\": [\"a.c\"], \"build\": \"$CC $CFLAGS a.c\", "
	     "\"run\": \"./a\", \"cflags\": null}",
	     NULL},
	};
	struct buf err = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct manifest m;
		assert_int_equal(parse(cases[i].json, &m, &err), 0);
		if (cases[i].want)
			assert_string_equal(m.targets[0].cflags, cases[i].want);
		else
			assert_null(m.targets[0].cflags);
		manifest_release(&m);
	}
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal_defaults),
	    cmocka_unit_test(test_full_from_directory),
	    cmocka_unit_test(test_load_file_and_minimal),
	    cmocka_unit_test(test_multiple_targets),
	    cmocka_unit_test(test_load_missing),
	    cmocka_unit_test(test_load_bad_json_names_file),
	    cmocka_unit_test(test_bad_json),
	    cmocka_unit_test(test_not_an_object),
	    cmocka_unit_test(test_missing_field),
	    cmocka_unit_test(test_wrong_type),
	    cmocka_unit_test(test_unknown_field),
	    cmocka_unit_test(test_bad_objective),
	    cmocka_unit_test(test_bad_numbers),
	    cmocka_unit_test(test_targets_rules),
	    cmocka_unit_test(test_names_and_paths),
	    cmocka_unit_test(test_compare_lists),
	    cmocka_unit_test(test_opencl_and_llm_rules),
	    cmocka_unit_test(test_bom_and_schema),
	    cmocka_unit_test(test_strlist_match),
	    cmocka_unit_test(test_docs_examples_parse),
	    cmocka_unit_test(test_cflags_default),
	};

	return test_run(tests, NULL, NULL);
}
