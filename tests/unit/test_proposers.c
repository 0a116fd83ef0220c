/*
 * test_proposers.c: the proposers that ship without an LLM, against a view
 * of a real target: the flag search (what it tries, on top of which best,
 * never the same settings twice), hand-written directories, and the
 * sequence (order, a stop that ends the run, merged report fields). The
 * LLM proposer: test_proposer_llm.c, and end to end in tests/e2e/t05*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "engine/pipeline.h"
#include "engine_fixture.h"
#include "test_util.h"
#include "propose/propose.h"

static void test_flags_search(void **state)
{
	struct run_fixture x;
	struct proposer *p = proposer_flags_new();
	struct candidate *out[4];
	struct buf err = BUF_INIT;
	int n, total = 0;

	(void)state;
	run_fixture_open(&x);
	/* The first option replaces the manifest's -O1 by -O3. */
	assert_int_equal(p->propose(p, &x.v, out, 4, &err), 1);
	assert_string_equal(out[0]->set.cflags, "-O3");
	assert_string_equal(out[0]->label, "-O3");
	assert_string_equal(out[0]->origin, "flags");
	run_fixture_add(&x, p, out[0], CAND_NOT_FASTER);
	/* The next builds on the original again (it is still the best). */
	assert_int_equal(p->propose(p, &x.v, out, 4, &err), 1);
	assert_string_equal(out[0]->set.cflags, "-O1 -march=native");
	run_fixture_add(&x, p, out[0], CAND_ACCEPTED);
	/* Now on top of the new best. */
	assert_int_equal(p->propose(p, &x.v, out, 4, &err), 1);
	assert_int_equal(out[0]->parent, 2);
	assert_string_equal(out[0]->set.cflags, "-O1 -march=native -funroll-loops");
	run_fixture_add(&x, p, out[0], CAND_NOT_FASTER);
	/* Until it has nothing more: never the same settings twice. */
	while ((n = p->propose(p, &x.v, out, 4, &err)) > 0) {
		assert_int_equal(n, 1);
		run_fixture_add(&x, p, out[0], CAND_NOT_FASTER);
		assert_true(++total < 40);
	}
	assert_int_equal(n, 0);
	for (size_t i = 1; i < x.v.ncands; i++)
		for (size_t j = 1; j < i; j++)
			assert_string_not_equal(x.c[i]->hash, x.c[j]->hash);
	/* -O3 was tried again on the new best, and PGO once. */
	{
		int o3 = 0, pgo = 0;
		for (size_t i = 1; i < x.v.ncands; i++) {
			o3 += x.c[i]->set.cflags && strstr(x.c[i]->set.cflags, "-O3") != NULL;
			pgo += x.c[i]->set.pgo;
		}
		assert_true(o3 >= 2);
		assert_int_equal(pgo, 1);
	}
	p->release(p);
	buf_release(&err);
	run_fixture_close(&x);
}

static void test_dir(void **state)
{
	struct run_fixture x;
	struct strlist dirs = {0};
	struct proposer *p;
	struct candidate *out[2];
	struct buf err = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT, prog = BUF_INIT;

	(void)state;
	run_fixture_open(&x);
	buf_addf(&d1, "%s/rewrite", x.f.root);
	buf_addf(&d2, "%s/empty", x.f.root);
	assert_int_equal(file_mkdirs(d1.data, 0755, NULL), 0);
	assert_int_equal(file_mkdirs(d2.data, 0755, NULL), 0);
	fixture_prog(&prog, 0, 1, 42);
	buf_addstr(&d1, "/prog.c");
	assert_int_equal(file_write_atomic(d1.data, prog.data, prog.len, 0644, NULL), 0);
	buf_setf(&d1, "%s/rewrite", x.f.root);
	strlist_push(&dirs, d1.data);
	strlist_push(&dirs, d2.data);
	p = proposer_dir_new(&dirs);
	assert_int_equal(p->propose(p, &x.v, out, 2, &err), 1);
	assert_int_equal(out[0]->nfiles, 1);
	assert_string_equal(out[0]->files[0].path, "prog.c");
	assert_string_equal(out[0]->files[0].content, prog.data);
	run_fixture_add(&x, p, out[0], CAND_NOT_FASTER);
	assert_int_equal(p->propose(p, &x.v, out, 2, &err), 1);
	assert_int_equal(out[0]->status, CAND_EDIT_REJECTED);
	assert_non_null(strstr(out[0]->reason, "holds none of the editable files"));
	run_fixture_add(&x, p, out[0], CAND_EDIT_REJECTED);
	assert_int_equal(p->propose(p, &x.v, out, 2, &err), 0);
	p->release(p);
	strlist_release(&dirs);
	buf_release(&err);
	buf_release(&d1);
	buf_release(&d2);
	buf_release(&prog);
	run_fixture_close(&x);
}

/* A proposer that stops the run on its first call. */
static int stopper_propose(struct proposer *self, const struct run_view *v, struct candidate **out,
                           size_t max, struct buf *err)
{
	(void)self, (void)v, (void)out, (void)max;
	err_set(err, "token budget reached");
	return PROPOSER_STOP;
}

static void stopper_report(struct proposer *self, cJSON *obj)
{
	(void)self;
	json_add_string(obj, "stopper", "was here");
}

static void stopper_release(struct proposer *self)
{
	free(self);
}

static void test_seq(void **state)
{
	struct run_fixture x;
	struct proposer *list[2], *seq, *stopper = xcalloc(1, sizeof(*stopper));
	struct strlist dirs = {0};
	struct candidate *out[2];
	struct buf err = BUF_INIT, d = BUF_INIT, prog = BUF_INIT;
	cJSON *rep = cJSON_CreateObject();

	(void)state;
	run_fixture_open(&x);
	buf_addf(&d, "%s/rewrite", x.f.root);
	assert_int_equal(file_mkdirs(d.data, 0755, NULL), 0);
	strlist_push(&dirs, d.data);
	fixture_prog(&prog, 0, 1, 42);
	buf_addstr(&d, "/prog.c");
	assert_int_equal(file_write_atomic(d.data, prog.data, prog.len, 0644, NULL), 0);
	stopper->name = "stopper";
	stopper->propose = stopper_propose;
	stopper->report = stopper_report;
	stopper->release = stopper_release;
	list[0] = proposer_dir_new(&dirs);
	list[1] = stopper;
	seq = proposer_seq_new(list, 2);
	assert_int_equal(seq->propose(seq, &x.v, out, 2, &err), 1);
	assert_string_equal(out[0]->origin, "dir");
	run_fixture_add(&x, seq, out[0], CAND_NOT_FASTER);
	/* dir has nothing more; the next one stops the whole run. */
	assert_int_equal(seq->propose(seq, &x.v, out, 2, &err), PROPOSER_STOP);
	assert_string_equal(err.data, "token budget reached");
	seq->report(seq, rep);
	assert_string_equal(json_get_string(rep, "stopper", ""), "was here");
	seq->release(seq);
	cJSON_Delete(rep);
	strlist_release(&dirs);
	buf_release(&err);
	buf_release(&d);
	buf_release(&prog);
	run_fixture_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_search),
	    cmocka_unit_test(test_dir),
	    cmocka_unit_test(test_seq),
	};
	return test_run(tests, NULL, NULL);
}
