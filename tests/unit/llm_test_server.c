/*
 * llm_test_server.c: see llm_test_server.h. The server is started with
 * posix_spawn: proc.h only runs a child to completion and this one must
 * run in the background while the test talks to it.
 */
#include "llm_test_server.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "test_util.h"

#ifndef TEST_BUILD_DIR
#define TEST_BUILD_DIR "."
#endif

extern char **environ;

static int script_seq;

static const char *server_bin(void)
{
	const char *s = getenv("LLM_SERVER_BIN");

	return s ? s : TEST_BUILD_DIR "/tests/llm_server";
}

void llm_test_server_start(struct llm_test_server *s, const char *script)
{
	char script_path[512], port_path[512], err_path[512];
	posix_spawn_file_actions_t fa;
	struct buf port = BUF_INIT;
	int i, n = ++script_seq;
	const char *dir = test_tmpdir();

	memset(s, 0, sizeof(*s));
	snprintf(script_path, sizeof(script_path), "%s/llm-script-%d.json", dir, n);
	snprintf(port_path, sizeof(port_path), "%s/llm-port-%d", dir, n);
	snprintf(err_path, sizeof(err_path), "%s/llm-server-%d.err", dir, n);
	snprintf(s->log, sizeof(s->log), "%s/llm-requests-%d.jsonl", dir, n);
	if (access(server_bin(), X_OK) < 0)
		fail_msg("'%s' is missing: build the llm_server target (or set LLM_SERVER_BIN)",
		         server_bin());
	assert_int_equal(file_write_atomic(script_path, script, strlen(script), 0644, NULL), 0);
	{
		char *const argv[] = {
		    (char *)server_bin(), "--script", script_path, "--log", s->log,
		    "--port-file",        port_path,  NULL};
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC,
		                                 0644);
		assert_int_equal(posix_spawn(&s->pid, argv[0], &fa, NULL, argv, environ), 0);
		posix_spawn_file_actions_destroy(&fa);
	}
	buf_init(&port, 0);
	for (i = 0; i < 500; i++) {
		buf_reset(&port);
		if (buf_read_file(&port, port_path) == 0 && port.len)
			break;
		usleep(10000);
	}
	s->port = atoi(port.data);
	buf_release(&port);
	assert_true(s->port > 0);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/v1", s->port);
}

void llm_test_server_stop(struct llm_test_server *s)
{
	int st;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	s->pid = 0;
}

cJSON *llm_test_server_requests(const struct llm_test_server *s)
{
	struct buf text = BUF_INIT;
	cJSON *arr = cJSON_CreateArray();
	char *line, *save = NULL;

	buf_init(&text, 0);
	buf_read_file(&text, s->log);
	for (line = strtok_r(text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(line);
		assert_non_null(o);
		cJSON_AddItemToArray(arr, o);
	}
	buf_release(&text);
	return arr;
}
