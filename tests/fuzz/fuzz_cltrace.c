/*
 * fuzz_cltrace.c: the OpenCL trace reader (cltrace_parse, the in-memory
 * twin of cltrace_read) on arbitrary JSON lines, then the objective and the
 * table from the profile it made.
 */
#include <stddef.h>
#include <stdint.h>

#include "prof/cltrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile p;
	struct buf err, table;
	double ms;

	profile_init(&p);
	buf_init(&err, 0);
	buf_init(&table, 0);
	if (cltrace_parse((const char *)data, size, "fuzz.jsonl", &p, &err) == 0) {
		cltrace_objective(&p, NULL, &ms, &err);
		cltrace_objective(&p, "mm", &ms, &err);
		cltrace_render_table(&p, &table);
	}
	profile_release(&p);
	buf_release(&err);
	buf_release(&table);
	return 0;
}
