/*
 * fuzz_openai.c: the OpenAI-compatible provider's parsers on an arbitrary
 * body: parse_response (a 2xx answer) and parse_error (the shared
 * error-message parser, for a non-2xx answer).
 */
#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct llm_provider *p = &llm_provider_openai_compatible;
	struct llm_result res;
	struct buf msg;

	llm_result_init(&res);
	p->parse_response((const char *)data, size, &res);
	llm_result_release(&res);
	buf_init(&msg, 0);
	p->parse_error((const char *)data, size, &msg);
	buf_release(&msg);
	return 0;
}
