/*
 * llm_test_server.h: the scripted LLM server (tests/helpers/llm_server.c)
 * for unit tests, over real HTTP on 127.0.0.1: started in the background
 * with a script of answers, its request log read back, stopped. Shared by
 * test_llm_client and test_proposer_llm. Files go under test_tmpdir().
 */
#ifndef LLM_TEST_SERVER_H
#define LLM_TEST_SERVER_H

#include <sys/types.h>

struct cJSON;

struct llm_test_server {
	pid_t pid;
	int port;
	char log[512]; /* one JSON object per request (method, path, headers, body) */
	char url[128]; /* http://127.0.0.1:PORT/v1 */
};

/* Start one with `script` (a JSON array of answers, tests/helpers/README.md); fails the test when
 * it cannot. */
void llm_test_server_start(struct llm_test_server *s, const char *script);
/* Stop it (SIGTERM); it must exit 0. A server never started is fine. */
void llm_test_server_stop(struct llm_test_server *s);
/* The requests it received so far, as a JSON array (the caller deletes it). */
struct cJSON *llm_test_server_requests(const struct llm_test_server *s);

#endif
