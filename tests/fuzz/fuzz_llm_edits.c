/*
 * fuzz_llm_edits.c: llm_edits_parse on an arbitrary model answer, against a
 * target with one editable file and against one with two, and
 * llm_edits_first_line with a small limit.
 *
 * The input is the answer; if it holds a NUL byte, what follows the first
 * one is the current content of sum.c (so SEARCH matching runs on files the
 * fuzzer chooses too), otherwise the content is a small C program.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llm/llm_edits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct files {
	const char *sum;
	size_t nsum;
};

static int read_file(void *ctx, const char *path, struct buf *out)
{
	const struct files *f = ctx;

	if (!strcmp(path, "sum.c"))
		return buf_add(out, f->sum, f->nsum);
	if (!strcmp(path, "src/util.c"))
		return buf_addstr(out, "int twice(int x)\n{\n\treturn x + x;\n}\n"
		                       "int thrice(int x)\n{\n\treturn x + x + x;\n}\n");
	return -1;
}

static void parse(const char *text, size_t len, int two, struct files *f)
{
	struct strlist editable = {0}, readonly = {0};
	struct llm_edits_target t = {
	    .editable = &editable, .readonly = &readonly, .read = read_file, .read_ctx = f};
	struct llm_edits e;
	struct buf err;

	buf_init(&err, 0);
	strlist_push(&editable, "sum.c");
	if (two)
		strlist_push(&editable, "src/util.c");
	strlist_push(&readonly, "sum.h");
	llm_edits_parse(text, len, 0, &t, &e, &err);
	llm_edits_release(&e);
	strlist_release(&editable);
	strlist_release(&readonly);
	buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sum[] = "#include <stdio.h>\n\nint main(void)\n{\n\tlong s = 0;\n"
	                          "\tfor (long i = 0; i < 100; i++)\n\t\ts += i;\n"
	                          "\tprintf(\"%ld\\n\", s);\n\treturn 0;\n}\n";
	const char *text = (const char *)data, *nul = memchr(data, '\0', size);
	size_t len = nul ? (size_t)(nul - text) : size;
	struct files f = {sum, sizeof(sum) - 1};
	struct buf line;

	if (nul) {
		f.sum = nul + 1;
		f.nsum = size - len - 1;
	}
	parse(text, len, 0, &f);
	parse(text, len, 1, &f);
	buf_init(&line, 0);
	llm_edits_first_line(text, len, 16, &line);
	buf_release(&line);
	return 0;
}
