/*
 * fuzz_llm_cache.c: the LLM response cache reader (llm_cache_parse, what
 * llm_cache_lookup calls on the file's bytes) on an arbitrary entry. The
 * key is fixed; the seeds and the dictionary carry it.
 */
#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char key[] =
	    "5f3c0e8b9a0d4c1e7b2a6f9d8c3e1a0b4d7f2c9e6a8b1d3f5c7e9a2b4d6f8c0e";
	struct llm_result res;
	struct buf err;

	llm_result_init(&res);
	buf_init(&err, 0);
	llm_cache_parse((const char *)data, size, key, "fuzz/entry.json", &res, &err);
	llm_result_release(&res);
	buf_release(&err);
	return 0;
}
