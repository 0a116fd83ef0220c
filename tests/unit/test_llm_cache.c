/*
 * llm/llm_cache: the response cache shared by concurrent writers (Slurm
 * tasks of one suite on several nodes share DIR/cache). Processes store
 * and read the same keys at once: every read sees a whole entry or none,
 * the first entry recorded for a key is the one kept, and no temporary
 * file is left behind.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/fileio.h"
#include "base/sha256.h"
#include "llm/llm.h"
#include "test_util.h"

#define WRITERS 6
#define KEYS    40

static void key_of(int k, char out[SHA256_HEX_LEN + 1])
{
	char text[32];

	snprintf(text, sizeof(text), "request %d", k);
	sha256_hex(text, strlen(text), out);
}

/* One writer: for every key (in an order of its own), look it up, and on a
 * miss store its own answer. Exit 0, or 1 on a torn or failed read/write. */
static int writer(const char *dir, int w)
{
	char key[SHA256_HEX_LEN + 1], text[64];
	struct llm_cache_entry e = {0};
	struct buf err = BUF_INIT;
	int i, k, r;

	for (i = 0; i < KEYS; i++) {
		struct llm_result res;

		k = (i * (w + 1) * 7 + w) % KEYS;
		key_of(k, key);
		memset(&res, 0, sizeof(res));
		buf_init(&res.text, 0);
		buf_init(&res.finish_reason, 0);
		r = llm_cache_lookup(dir, key, &res, &err);
		buf_release(&res.text);
		buf_release(&res.finish_reason);
		if (r < 0) {
			fprintf(stderr, "writer %d: %s\n", w, err.data);
			return 1;
		}
		if (r == 1)
			continue;
		snprintf(text, sizeof(text), "answer of writer %d for key %d", w, k);
		e.provider = "openai";
		e.model = "m";
		e.status = LLM_OK;
		e.text = text;
		if (llm_cache_store(dir, key, &e, &err) < 0) {
			fprintf(stderr, "writer %d: %s\n", w, err.data);
			return 1;
		}
	}
	buf_release(&err);
	return 0;
}

/* Files under dir whose name holds ".tmp." */
static int count_temps(const char *dir)
{
	char sub[4096];
	struct dirent *d, *f;
	DIR *top = opendir(dir), *inner;
	int n = 0;

	assert_non_null(top);
	while ((d = readdir(top))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, d->d_name);
		inner = opendir(sub);
		if (!inner)
			continue;
		while ((f = readdir(inner)))
			if (strstr(f->d_name, ".tmp."))
				n++;
		closedir(inner);
	}
	closedir(top);
	return n;
}

static void test_concurrent_writers(void **state)
{
	char dir[4096], key[SHA256_HEX_LEN + 1];
	pid_t pids[WRITERS];
	int w, k, status;
	struct buf err = BUF_INIT;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/shared-cache", test_tmpdir());
	for (w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0)
			_exit(writer(dir, w));
	}
	for (w = 0; w < WRITERS; w++) {
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(count_temps(dir), 0);
	/* Every key has one whole entry, from one of the writers. */
	for (k = 0; k < KEYS; k++) {
		struct llm_result res;
		int from = -1, kk = -1;

		key_of(k, key);
		memset(&res, 0, sizeof(res));
		buf_init(&res.text, 0);
		buf_init(&res.finish_reason, 0);
		assert_int_equal(llm_cache_lookup(dir, key, &res, &err), 1);
		assert_int_equal(
		    sscanf(res.text.data, "answer of writer %d for key %d", &from, &kk), 2);
		assert_int_equal(kk, k);
		assert_true(from >= 0 && from < WRITERS);
		buf_release(&res.text);
		buf_release(&res.finish_reason);
	}
	buf_release(&err);
}

/* A second store of a key keeps the first entry (an entry never changes
 * once a run may have read it). */
static void test_first_writer_wins(void **state)
{
	char dir[4096], key[SHA256_HEX_LEN + 1];
	struct llm_cache_entry e = {0};
	struct llm_result res;
	struct buf err = BUF_INIT, path = BUF_INIT;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/first", test_tmpdir());
	key_of(1, key);
	e.status = LLM_OK;
	e.text = "first";
	assert_int_equal(llm_cache_store(dir, key, &e, &err), 0);
	e.text = "second";
	assert_int_equal(llm_cache_store(dir, key, &e, &err), 0);
	memset(&res, 0, sizeof(res));
	buf_init(&res.text, 0);
	buf_init(&res.finish_reason, 0);
	assert_int_equal(llm_cache_lookup(dir, key, &res, &err), 1);
	assert_string_equal(res.text.data, "first");
	assert_int_equal(count_temps(dir), 0);
	/* file_write_new itself: 0 when it created the file, 1 when it was there. */
	buf_setf(&path, "%s/plain", dir);
	assert_int_equal(file_write_new(path.data, "a", 1, 0644, &err), 0);
	assert_int_equal(file_write_new(path.data, "b", 1, 0644, &err), 1);
	buf_reset(&res.text);
	assert_int_equal(buf_read_file(&res.text, path.data), 0);
	assert_string_equal(res.text.data, "a");
	buf_release(&res.text);
	buf_release(&res.finish_reason);
	buf_release(&path);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concurrent_writers),
	    cmocka_unit_test(test_first_writer_wins),
	};
	return test_run(tests, NULL, NULL);
}
