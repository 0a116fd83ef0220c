/*
 * engine_fixture.h: a real target for the engine's unit tests (test_loop,
 * test_pipeline, test_report, test_proposers): a temporary tree holding a
 * tiny C program that loops and sleeps as much as the test says and prints
 * a sum, and an optimize.json for it. Candidates are edits of prog.c, so
 * every test runs the real pipeline (build, verify, measure) on programs
 * whose cost it chooses: exact instruction counts (cachegrind) make the
 * decisions immune to a loaded machine; sleeps of very different lengths
 * do the same for the time objective.
 * Header-only: each test includes it once.
 */
#ifndef ENGINE_FIXTURE_H
#define ENGINE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "engine/candidate.h"
#include "engine/manifest.h"
#include "engine/pipeline.h"
#include "engine/proposer.h"
#include "engine/view.h"
#include "engine/workspace.h"

struct fixture {
	char root[256]; /* temporary directory: tree/ and state/ under it */
	char tree[300];
	char state[300];
	struct manifest m;
};

/*
 * prog.c that does `work` thousand loop iterations (instructions, for the
 * deterministic objective), sleeps ms milliseconds (time, for the
 * interleaved measurement) and prints `value`.
 */
static inline void fixture_prog(struct buf *out, int ms, long work, long value)
{
	buf_reset(out);
	buf_addf(out,
	         "#include <stdio.h>\n#include <time.h>\n"
	         "int main(void)\n{\n"
	         "\tvolatile unsigned long s = 0;\n"
	         "\tfor (long i = 0; i < %ld * 1000L; i++)\n\t\ts += (unsigned long)i %% 7;\n"
	         "\tstruct timespec ts = {0, %d * 1000000L};\n"
	         "\tnanosleep(&ts, NULL);\n"
	         "\tprintf(\"sum %ld\\n\");\n"
	         "\treturn 0;\n}\n",
	         work, ms, value);
}

static inline void fixture_put(const struct fixture *f, const char *rel, const char *text)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", f->tree, rel);
	if (file_write_atomic(p.data, text, strlen(text), 0644, NULL) < 0)
		abort();
	buf_release(&p);
}

/*
 * A tree with prog.c (sleeping ms, printing 42) and a manifest; `extra`
 * is spliced into the manifest's object (e.g. "\"test\": \"true\",").
 */
static inline void fixture_init(struct fixture *f, int ms, long work, const char *extra)
{
	struct buf b = BUF_INIT, err = BUF_INIT;

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "%s/optimize-engine-test.XXXXXX",
	         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(f->root))
		abort();
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->root);
	snprintf(f->state, sizeof(f->state), "%s/state", f->root);
	if (file_mkdirs(f->tree, 0755, NULL) < 0)
		abort();
	fixture_prog(&b, ms, work, 42);
	fixture_put(f, "prog.c", b.data);
	fixture_put(f, "notes.txt", "protected\n");
	buf_reset(&b);
	buf_addf(&b,
	         "{\"name\": \"prog\", \"editable\": [\"prog.c\"], \"outputs\": [\"prog\"],\n"
	         " \"build\": \"$CC $CFLAGS -o prog prog.c\", \"cflags\": \"-O1\",\n"
	         " \"run\": \"./prog\", %s\n"
	         " \"verify\": [{\"run\": \"./prog\"}], \"timeout_s\": 30}\n",
	         extra ? extra : "");
	fixture_put(f, "optimize.json", b.data);
	if (manifest_load(f->tree, &f->m, &err) < 0) {
		fprintf(stderr, "fixture manifest: %s\n", err.data);
		abort();
	}
	buf_release(&b);
	buf_release(&err);
}

static inline void fixture_release(struct fixture *f)
{
	manifest_release(&f->m);
	ws_remove_tree(f->root, NULL);
}

/* A candidate that replaces prog.c (see fixture_prog). */
static inline struct candidate *fixture_candidate(const char *label, int ms, long work, long value)
{
	struct candidate *c = candidate_new("dir", label);
	struct buf b = BUF_INIT;

	fixture_prog(&b, ms, work, value);
	candidate_add_file(c, "prog.c", b.data, b.len);
	buf_release(&b);
	return c;
}

/*
 * A run for proposers: the fixture's target opened in a pipeline, the
 * original as candidate 0 (accepted), and a view of it. run_fixture_add
 * puts a proposed candidate into the run with an outcome the test chooses
 * and gives the proposer its feedback, as the loop would.
 */
struct run_fixture {
	struct fixture f;
	struct pipeline *p;
	struct candidate *c[64];
	struct run_view v;
};

static inline void run_fixture_open(struct run_fixture *x)
{
	struct pipeline_options po;
	struct buf err = BUF_INIT;

	memset(x, 0, sizeof(*x));
	fixture_init(&x->f, 0, 0, NULL);
	pipeline_options_default(&po);
	po.target = &x->f.m.targets[0];
	po.state_dir = x->f.state;
	po.run_id = "test";
	assert_int_equal(pipeline_open(&po, &x->p, &err), ENGINE_OK);
	x->c[0] = pipeline_original(x->p);
	candidate_resolve(x->c[0], x->c, pipeline_pristine(x->p));
	candidate_set(x->c[0], CAND_ACCEPTED, NULL);
	x->v.target = &x->f.m.targets[0];
	x->v.cands = x->c;
	x->v.ncands = 1;
	x->v.pipe = x->p;
	buf_release(&err);
}

/* Add a proposed candidate to the run with the given outcome; feed it back. */
static inline void run_fixture_add(struct run_fixture *x, struct proposer *p, struct candidate *c,
                                   enum cand_status s)
{
	assert_true(x->v.ncands < 64);
	if (c->parent < 0)
		c->parent = x->v.best;
	c->id = (int)x->v.ncands;
	x->c[x->v.ncands++] = c;
	candidate_resolve(c, x->c, pipeline_pristine(x->p));
	if (c->status == CAND_PENDING)
		candidate_set(c, s, NULL);
	if (s == CAND_ACCEPTED)
		x->v.best = c->id;
	if (p->feedback)
		p->feedback(p, &x->v, c);
}

static inline void run_fixture_close(struct run_fixture *x)
{
	for (size_t i = 0; i < x->v.ncands; i++)
		candidate_free(x->c[i]);
	pipeline_close(x->p);
	fixture_release(&x->f);
}

#endif
