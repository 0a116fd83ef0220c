/*
 * test_llm_prompt.c: the shipped templates load and every placeholder is
 * filled; trimming to a token budget drops history and context but never
 * the editable code; verify commands never reach a prompt; an unknown
 * placeholder or a missing template is a clear error.
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
#include <sys/stat.h>
#include <unistd.h>

#include "llm/llm_outline.h"
#include "llm/llm_prompt.h"
#include "test_util.h"

#define PROMPTS_DIR OPTIMIZE_SOURCE_DIR "/prompts"

static const char *const CODE = "int main(void)\n{\n\treturn hot_loop(4);\n}\n";

struct fx {
	struct llm_templates t;
	struct llm_prompt_input in;
	struct llm_prompt_file ed[1], ctx[2];
	struct profile prof;
	const char *hist[40];
	char hist_store[40][96];
	struct buf sys, user, err;
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct buf err = BUF_INIT;
	struct hot_line *l;
	struct hot_function *fn;
	int i;

	if (llm_templates_load(&f->t, PROMPTS_DIR, &err) < 0)
		fail_msg("loading %s: %s", PROMPTS_DIR, err.data);
	buf_release(&err);
	profile_init(&f->prof);
	profile_set_metric(&f->prof, "instructions", "count", 123456789, SRC_MEASURED, "perf", 1);
	profile_set_metric(&f->prof, "task-clock", "ms", 250, SRC_MEASURED, "perf", 1);
	fn = profile_add_function(&f->prof, "hot_loop", "sum", 900);
	fn->pct = 90;
	l = profile_add_line(&f->prof, "sum.c", 14, "hot_loop", "s += (i * i) % 7;", 700);
	l->pct = 70;
	f->prof.total_samples = 1000;
	profile_set_hotspot_source(&f->prof, "perf cpu-clock sampling");

	f->ed[0].path = "sum.c";
	f->ed[0].content = CODE;
	f->ed[0].len = strlen(CODE);
	f->ctx[0].path = "sum.h";
	f->ctx[0].content = "/* CONTEXT-ONE */\nint hot_loop(int);\n";
	f->ctx[0].len = strlen(f->ctx[0].content);
	f->ctx[1].path = "big.h";
	f->ctx[1].content = "/* CONTEXT-TWO */\n";
	f->ctx[1].len = strlen(f->ctx[1].content);
	for (i = 0; i < 40; i++) {
		snprintf(f->hist_store[i], sizeof(f->hist_store[i]),
		         "llm r%dc1: not-faster, ratio 1.01 [0.99, 1.03] HISTORY-%02d", i + 1, i);
		f->hist[i] = f->hist_store[i];
	}
	f->in.target = "sum";
	f->in.objective = "time (s)";
	f->in.editable = f->ed;
	f->in.neditable = 1;
	f->in.context = f->ctx;
	f->in.ncontext = 2;
	f->in.build = "$CC $CFLAGS -o sum sum.c";
	f->in.compiler = "gcc (Debian 12.2.0-14) 12.2.0";
	f->in.cflags = "-O1";
	f->in.profile = &f->prof;
	f->in.machine = "CPU: Test CPU 9000, 2 cores; SIMD: avx2";
	f->in.history = f->hist;
	f->in.nhistory = 3;
	f->in.round = 1;
	buf_init(&f->sys, 0);
	buf_init(&f->user, 0);
	buf_init(&f->err, 0);
	return f;
}

static void fx_free(struct fx *f)
{
	llm_templates_release(&f->t);
	profile_release(&f->prof);
	buf_release(&f->sys);
	buf_release(&f->user);
	buf_release(&f->err);
	free(f);
}

static void has(const struct buf *b, const char *s)
{
	if (!strstr(b->data, s))
		fail_msg("prompt lacks '%s':\n%s", s, b->data);
}

static void test_first_prompt_filled(void **state)
{
	struct fx *f = fx_new();
	struct llm_prompt_stats st;
	(void)state;
	assert_int_equal(
	    llm_prompt_render(&f->t, LLM_PROMPT_FIRST, &f->in, &f->sys, &f->user, &st, &f->err), 0);
	assert_null(strstr(f->user.data, "{{"));
	assert_null(strstr(f->sys.data, "{{"));
	has(&f->user, "\"sum\"");
	has(&f->user, "   1| int main(void)");
	has(&f->user, "   3| \treturn hot_loop(4);");
	has(&f->user, "CONTEXT-ONE");
	has(&f->user, "$CC $CFLAGS -o sum sum.c");
	has(&f->user, "gcc (Debian 12.2.0-14)");
	has(&f->user, "-O1");
	has(&f->user, "hot_loop");
	has(&f->user, "s += (i * i) % 7;");
	has(&f->user, "instructions");
	has(&f->user, "Test CPU 9000");
	has(&f->user, "HISTORY-02");
	has(&f->user, "<<<<<<< SEARCH");
	has(&f->user, "Output contract");
	assert_int_equal(st.over_budget, 0);
	assert_int_equal(st.history_dropped, 0);
	fx_free(f);
}

static void test_feedback_prompts(void **state)
{
	struct fx *f = fx_new();
	enum llm_prompt_kind k;
	(void)state;
	f->in.feedback = "FEEDBACK-TEXT: sum.c:3:9: error: expected ';'";
	f->in.round = 2;
	for (k = LLM_PROMPT_COMPILE_ERROR; k <= LLM_PROMPT_ACCEPTED; k++) {
		assert_int_equal(
		    llm_prompt_render(&f->t, k, &f->in, &f->sys, &f->user, NULL, &f->err), 0);
		has(&f->user, "FEEDBACK-TEXT");
		has(&f->user, "Round 2");
		has(&f->user, "   1| int main(void)");
		assert_null(strstr(f->user.data, "{{"));
	}
	fx_free(f);
}

static void test_budget_trims_history_then_context(void **state)
{
	struct fx *f = fx_new();
	struct llm_prompt_stats st;
	size_t full;
	(void)state;
	f->in.nhistory = 40;
	assert_int_equal(
	    llm_prompt_render(&f->t, LLM_PROMPT_FIRST, &f->in, &f->sys, &f->user, &st, &f->err), 0);
	full = st.tokens;
	has(&f->user, "HISTORY-00");
	/* a little under the full size: only the oldest history goes */
	f->in.budget_tokens = full - 60;
	assert_int_equal(
	    llm_prompt_render(&f->t, LLM_PROMPT_FIRST, &f->in, &f->sys, &f->user, &st, &f->err), 0);
	assert_true(st.tokens <= f->in.budget_tokens);
	assert_true(st.history_dropped > 0 && st.history_dropped < 40);
	assert_int_equal(st.context_dropped, 0);
	assert_null(strstr(f->user.data, "HISTORY-00"));
	has(&f->user, "HISTORY-39");
	has(&f->user, "left out to stay within the token budget");
	/* a tiny budget: history and context all go, the code is never cut, and a
	 * small file cannot be outlined: an error, never an over-budget prompt */
	f->in.budget_tokens = 10;
	assert_int_equal(
	    llm_prompt_render(&f->t, LLM_PROMPT_FIRST, &f->in, &f->sys, &f->user, &st, &f->err),
	    -1);
	assert_non_null(strstr(f->err.data, "does not fit the prompt budget of 10 tokens"));
	assert_non_null(strstr(f->err.data, "context_tokens"));
	assert_int_equal(st.history_dropped, 40);
	assert_int_equal(st.context_dropped, 2);
	assert_int_equal(st.over_budget, 1);
	assert_null(strstr(f->user.data, "HISTORY-"));
	assert_null(strstr(f->user.data, "CONTEXT-ONE"));
	has(&f->user, "   1| int main(void)");
	has(&f->user, "   2| {");
	has(&f->user, "   3| \treturn hot_loop(4);");
	has(&f->user, "   4| }");
	fx_free(f);
}

static void test_outline_scan(void **state)
{
	static const char src[] = "#include <stdio.h>\n"            /* 1 */
	                          "#define N \\\n  10\n"            /* 2-3 */
	                          "/* { not a brace } */\n"         /* 4 */
	                          "struct s { int a; char *b; };\n" /* 5 */
	                          "enum e { RED, GREEN = 2 };\n"    /* 6 */
	                          "static int g[N] = {1, 2};\n"     /* 7 */
	                          "int f(int x);\n"                 /* 8 */
	                          "static int\n"                    /* 9 */
	                          "f(int x)\n"                      /* 10 */
	                          "{\n"                             /* 11 */
	                          "\tconst char *q = \"}\";\n"      /* 12 */
	                          "\tif (x) { return g[0]; }\n"     /* 13 */
	                          "\treturn q[0] + RED;\n"          /* 14 */
	                          "}\n"                             /* 15 */
	                          "int main(void) { return f(1); }\n";
	struct llm_outline o;
	struct strlist ids = {0}, members = {0};
	(void)state;
	assert_int_equal(llm_outline_scan(src, strlen(src), &o), 0);
	assert_int_equal(o.n, 8);
	assert_int_equal(o.v[0].kind, LLM_OL_PP);
	assert_int_equal(o.v[1].kind, LLM_OL_PP);
	assert_string_equal(o.v[1].name, "N");
	assert_int_equal(o.v[1].last, 3);
	assert_int_equal(o.v[2].kind, LLM_OL_DECL);
	assert_true(strlist_has(&o.v[2].declares, "s"));
	assert_true(strlist_has(&o.v[2].members, "a"));
	assert_false(strlist_has(&o.v[2].declares, "a"));
	assert_true(strlist_has(&o.v[3].declares, "GREEN")); /* enum constants */
	assert_true(strlist_has(&o.v[4].declares, "g"));
	assert_int_equal(o.v[5].kind, LLM_OL_PROTO);
	assert_string_equal(o.v[5].name, "f");
	assert_int_equal(o.v[6].kind, LLM_OL_FUNC);
	assert_string_equal(o.v[6].name, "f");
	assert_int_equal(o.v[6].first, 9);
	assert_int_equal(o.v[6].body, 11);
	assert_int_equal(o.v[6].last, 15);
	assert_int_equal(o.v[7].kind, LLM_OL_FUNC);
	assert_int_equal(o.v[7].first, 16);
	assert_ptr_equal(llm_outline_function_at(&o, 13), &o.v[6]);
	assert_ptr_equal(llm_outline_function_named(&o, "f (inlined)"), &o.v[6]);
	assert_ptr_equal(llm_outline_function_named(&o, "ns::main(int)"), &o.v[7]);
	llm_outline_identifiers(src, strlen(src), 9, 15, &ids, &members);
	assert_true(strlist_has(&ids, "g") && strlist_has(&ids, "RED"));
	assert_false(strlist_has(&ids, "main"));
	strlist_release(&ids);
	strlist_release(&members);
	llm_outline_release(&o);
}

/* A linkage block inside #if (as lz4.c has it) and a C++ namespace are
 * transparent: the functions after and inside them are found. */
static void test_outline_scopes(void **state)
{
	static const char src[] = "#if defined (__cplusplus)\n"      /* 1 */
	                          "extern \"C\" {\n"                 /* 2 */
	                          "#endif\n"                         /* 3 */
	                          "int proto(int x);\n"              /* 4 */
	                          "#if defined (__cplusplus)\n"      /* 5 */
	                          "}\n"                              /* 6 */
	                          "#endif\n"                         /* 7 */
	                          "static int hash5(int s)\n"        /* 8 */
	                          "{\n"                              /* 9 */
	                          "\treturn s * 5;\n"                /* 10 */
	                          "}\n"                              /* 11 */
	                          "namespace ns {\n"                 /* 12 */
	                          "int work(long n) { return n; }\n" /* 13 */
	                          "}\n"                              /* 14 */
	                          "extern \"C\" int c_api(void);\n"; /* 15 */
	struct llm_outline o;
	(void)state;
	assert_int_equal(llm_outline_scan(src, strlen(src), &o), 0);
	assert_non_null(llm_outline_function_named(&o, "hash5"));
	assert_int_equal(llm_outline_function_named(&o, "hash5")->first, 8);
	assert_int_equal(llm_outline_function_named(&o, "hash5")->last, 11);
	assert_ptr_equal(llm_outline_function_at(&o, 10), llm_outline_function_named(&o, "hash5"));
	assert_non_null(llm_outline_function_at(&o, 13));
	assert_string_equal(llm_outline_function_at(&o, 13)->name, "work");
	llm_outline_release(&o);
}

static void test_no_verify_commands(void **state)
{
	struct fx *f = fx_new();
	struct target t;
	struct verify_spec v[2];
	struct buf red = BUF_INIT;
	enum llm_prompt_kind k;
	(void)state;
	memset(&t, 0, sizeof(t));
	memset(v, 0, sizeof(v));
	v[0].run = "./sum 1001";
	v[1].run = "./sum 7 --secret-input";
	t.verify = v;
	t.nverify = 2;
	llm_prompt_redact(&t,
	                  "verify run 1 ('./sum 1001'): stdout differs at line 1: expected "
	                  "'n 1001 sum 2998', got 'n 1001 sum 0'; and ./sum 7 --secret-input",
	                  &red);
	assert_null(strstr(red.data, "./sum 1001"));
	assert_null(strstr(red.data, "--secret-input"));
	assert_non_null(strstr(red.data, "('<verify command>')"));
	assert_non_null(strstr(red.data, "got 'n 1001 sum 0'"));
	f->in.feedback = red.data;
	for (k = LLM_PROMPT_FIRST; k <= LLM_PROMPT_ACCEPTED; k++) {
		assert_int_equal(
		    llm_prompt_render(&f->t, k, &f->in, &f->sys, &f->user, NULL, &f->err), 0);
		assert_null(strstr(f->user.data, "./sum 1001"));
		assert_null(strstr(f->user.data, "--secret-input"));
		assert_null(strstr(f->sys.data, "./sum 1001"));
	}
	buf_release(&red);
	fx_free(f);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_template_errors(void **state)
{
	char dir[PATH_MAX];
	struct llm_templates t;
	struct buf err = BUF_INIT, p = BUF_INIT;
	int i;
	(void)state;
	snprintf(dir, sizeof(dir), "%s/prompts-XXXXXX", test_tmpdir());
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < LLM_PROMPT_N; i++) {
		buf_setf(&p, "%s/%s", dir, llm_prompt_file((enum llm_prompt_kind)i));
		write_file(p.data, "hello {{target}}\n{{ round }}\n");
	}
	assert_int_equal(llm_templates_load(&t, dir, &err), 0);
	llm_templates_release(&t);
	buf_setf(&p, "%s/first.md", dir);
	write_file(p.data, "line one\n{{editable_files}}\n{{hot_loops}}\n");
	assert_int_equal(llm_templates_load(&t, dir, &err), -1);
	assert_non_null(strstr(err.data, "first.md' line 3: unknown placeholder '{{hot_loops}}'"));
	unlink(p.data);
	assert_int_equal(llm_templates_load(&t, dir, &err), -1);
	assert_non_null(strstr(err.data, "first.md' is missing"));
	for (i = 0; i < LLM_PROMPT_N; i++) {
		buf_setf(&p, "%s/%s", dir, llm_prompt_file((enum llm_prompt_kind)i));
		unlink(p.data);
	}
	rmdir(dir);
	assert_int_equal(llm_templates_load(&t, dir, &err), -1);
	assert_non_null(strstr(err.data, "does not exist"));
	buf_release(&err);
	buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_prompt_filled),
	    cmocka_unit_test(test_feedback_prompts),
	    cmocka_unit_test(test_budget_trims_history_then_context),
	    cmocka_unit_test(test_outline_scan),
	    cmocka_unit_test(test_outline_scopes),
	    cmocka_unit_test(test_no_verify_commands),
	    cmocka_unit_test(test_template_errors),
	};
	return test_run(tests, NULL, NULL);
}
