/*
 * gate_baseline.c: `gate record` and `gate --baseline`. See gate_baseline.h.
 */
#include "gate/gate_baseline.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "engine/candidate.h"
#include "engine/manifest.h"
#include "engine/objective.h"
#include "engine/workspace.h"
#include "prof/machine.h"

#define BASELINE_SCHEMA "optimize-gate-baseline"

/* One target measured alone: what was measured and where. */
struct alone {
	enum engine_status st;
	char *why; /* ENGINE_BASELINE / ENGINE_SETUP: the reason */
	char *objective, *source, *unit, *cpu_model, *compiler, *kernel;
	int deterministic;
	double value;
	double *values;
	size_t n;
};

static void alone_release(struct alone *a)
{
	free(a->why);
	free(a->objective);
	free(a->source);
	free(a->unit);
	free(a->cpu_model);
	free(a->compiler);
	free(a->kernel);
	free(a->values);
	memset(a, 0, sizeof(*a));
}

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

/* t (its tree as given) through the original's sequence, measured alone. */
static void measure_alone(const struct gate_options *o, const struct target *t, const char *run_id,
                          struct alone *a, struct buf *err)
{
	struct pipeline_options po;
	struct pipeline *p = NULL;
	struct candidate *c = NULL;
	struct buf why = BUF_INIT;
	int det = gate_objective_deterministic(o, t->objective, &why);

	memset(a, 0, sizeof(*a));
	a->st = det < 0 ? ENGINE_SETUP : ENGINE_OK;
	gate_pipeline_options(o, t, run_id, &po);
	/* Exact counts: one run; time: enough runs for a median and an interval. */
	po.baseline_runs = det > 0 ? 1 : (o->m.min_runs > 10 ? o->m.min_runs : 10);
	if (a->st == ENGINE_OK)
		a->st = pipeline_open(&po, &p, &why);
	if (a->st == ENGINE_OK) {
		const struct objective *obj = pipeline_objective(p);
		const struct machine_info *mi = pipeline_machine(p);
		a->objective = dup_or_empty(obj->name);
		a->source = dup_or_empty(obj->source);
		a->unit = dup_or_empty(obj->unit);
		a->deterministic = obj->deterministic;
		a->cpu_model = dup_or_empty(mi->cpu_model);
		a->compiler = dup_or_empty(mi->compiler);
		a->kernel = dup_or_empty(mi->kernel);
		c = pipeline_original(p);
		candidate_resolve(c, &c, pipeline_pristine(p));
		a->st = pipeline_baseline(p, c, &why);
	}
	if (a->st == ENGINE_OK) {
		a->value = c->meas.value;
		a->n = c->meas.nsamples;
		a->values = xcalloc(a->n + 1, sizeof(*a->values));
		memcpy(a->values, c->meas.cand_samples, a->n * sizeof(*a->values));
	} else {
		a->why = xstrdup(why.data);
		if (a->st == ENGINE_ERROR)
			err_set(err, "target '%s': %s", t->name, why.data);
	}
	if (c)
		candidate_free(c);
	pipeline_close(p);
	buf_release(&why);
}

static void remove_work(const struct gate_options *o, const char *run_id)
{
	struct buf work = BUF_INIT;

	buf_addf(&work, "%s/work/%s", o->state_dir, run_id);
	ws_remove_tree(work.data, NULL);
	buf_release(&work);
}

static int selected(const struct gate_options *o, const char *name)
{
	return !o->only || !strcmp(o->only, name);
}

enum engine_status gate_baseline_record(const struct gate_options *o, const char *tree,
                                        const char *run_id, const char *commit, int dirty,
                                        struct cJSON **out, struct buf *err)
{
	struct manifest m;
	cJSON *root, *env = NULL, *arr;
	enum engine_status st = ENGINE_OK;

	*out = NULL;
	if (manifest_load(tree, &m, err) < 0)
		return ENGINE_SETUP;
	if (o->only && !manifest_find_target(&m, o->only)) {
		err_set(err, "--target '%s': no such target in %s", o->only, m.path);
		manifest_release(&m);
		return ENGINE_SETUP;
	}
	root = cJSON_CreateObject();
	json_add_string(root, "schema", BASELINE_SCHEMA);
	json_add_number(root, "version", 1);
	json_add_string(root, "tool_version", OPTIMIZE_VERSION);
	if (commit)
		json_add_string(root, "commit", commit);
	else
		cJSON_AddNullToObject(root, "commit");
	json_add_bool(root, "dirty", dirty);
	arr = json_add_array(root, "targets");
	for (size_t i = 0; st == ENGINE_OK && i < m.ntargets; i++) {
		const struct target *t = &m.targets[i];
		struct alone a;
		cJSON *jt, *vs;

		if (!selected(o, t->name))
			continue;
		measure_alone(o, t, run_id, &a, err);
		st = a.st;
		if (st != ENGINE_OK) {
			if (st != ENGINE_ERROR)
				err_set(err, "target '%s': %s", t->name, a.why ? a.why : "");
			alone_release(&a);
			break;
		}
		if (!env) {
			env = json_add_object(root, "environment");
			json_add_string(env, "cpu_model", a.cpu_model);
			json_add_string(env, "compiler", a.compiler);
			json_add_string(env, "kernel", a.kernel);
		}
		jt = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, jt);
		json_add_string(jt, "name", t->name);
		json_add_string(jt, "objective", a.objective);
		json_add_string(jt, "source", a.source);
		json_add_string(jt, "unit", a.unit);
		json_add_bool(jt, "deterministic", a.deterministic);
		json_add_string(jt, "cc", o->cc ? o->cc : t->cc ? t->cc : "cc");
		json_add_string(jt, "cflags", t->cflags ? t->cflags : "");
		json_add_string(jt, "ldflags", t->ldflags ? t->ldflags : "");
		json_add_number(jt, "value", a.value);
		vs = json_add_array(jt, "values");
		for (size_t k = 0; k < a.n; k++)
			cJSON_AddItemToArray(vs, cJSON_CreateNumber(a.values[k]));
		alone_release(&a);
	}
	remove_work(o, run_id);
	manifest_release(&m);
	if (st != ENGINE_OK) {
		cJSON_Delete(root);
		return st;
	}
	*out = root;
	return ENGINE_OK;
}

/* A baseline made by this tool version for this purpose; 0 or -1 (err). */
static int check_header(const cJSON *b, const char *file, struct buf *err)
{
	const char *schema = json_get_string(b, "schema", NULL);
	const char *version = json_get_string(b, "tool_version", NULL);

	if (!cJSON_IsObject(b) || !schema || strcmp(schema, BASELINE_SCHEMA))
		return err_set(err,
		               "'%s' is not a gate baseline (no \"schema\": \"%s\"): make one with "
		               "optimize gate record TREE --output FILE",
		               file, BASELINE_SCHEMA);
	if (json_get_number(b, "version", 0) != 1)
		return err_set(err, "'%s': baseline format version %g, this tool reads version 1",
		               file, json_get_number(b, "version", 0));
	if (!version || strcmp(version, OPTIMIZE_VERSION))
		return err_set(
		    err,
		    "'%s' was recorded by optimize %s, and this is optimize %s: counts and "
		    "settings may differ between versions; record the baseline again with "
		    "this version",
		    file, version ? version : "(unknown)", OPTIMIZE_VERSION);
	return 0;
}

static const cJSON *baseline_target(const cJSON *b, const char *name)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(b, "targets"))
	{
		const char *n = json_get_string(t, "name", NULL);
		if (n && !strcmp(n, name))
			return t;
	}
	return NULL;
}

/* The same set of targets in the baseline and in the manifest (as selected); 0 or -1. */
static int check_targets(const struct gate_options *o, const struct manifest *m, const cJSON *b,
                         const char *file, struct buf *err)
{
	struct buf ours = BUF_INIT, theirs = BUF_INIT;
	const cJSON *t;
	int same = 1;

	for (size_t i = 0; i < m->ntargets; i++) {
		if (!selected(o, m->targets[i].name))
			continue;
		buf_addf(&ours, "%s'%s'", ours.len ? ", " : "", m->targets[i].name);
		same &= baseline_target(b, m->targets[i].name) != NULL;
	}
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(b, "targets"))
	{
		const char *n = json_get_string(t, "name", "");
		buf_addf(&theirs, "%s'%s'", theirs.len ? ", " : "", n);
		same &= selected(o, n) && manifest_find_target(m, n) != NULL;
	}
	if (!same)
		err_set(err,
		        "'%s' holds the targets %s, and this gate compares %s: record the baseline "
		        "again for this target set (or pick one with --target)",
		        file, theirs.len ? theirs.data : "(none)", ours.len ? ours.data : "(none)");
	buf_release(&ours);
	buf_release(&theirs);
	return same ? 0 : -1;
}

#define WALL_NOTE "this baseline holds wall times from another job"

static int has_note(const struct gate_result *r, const char *start)
{
	for (size_t i = 0; i < r->notes.n; i++)
		if (!strncmp(r->notes.v[i], start, strlen(start)))
			return 1;
	return 0;
}

/* A named mismatch between the baseline's setting and this job's, as a note. */
static void mismatch(struct gate_result *r, const char *what, const char *was, const char *now)
{
	if (!was || !now || !strcmp(was, now))
		return;
	strlist_pushf(&r->notes,
	              "%s differs from the baseline's: recorded with '%s', this job has '%s'; "
	              "counts and times may differ for that reason alone",
	              what, was, now);
}

static enum engine_status compare_one(const struct gate_options *o, const struct target *t,
                                      const char *run_id, const cJSON *jt, const char *file,
                                      struct gate_result *r, struct buf *err)
{
	struct gate_target *gt = gate_result_add(r, t->name);
	const char *obj = json_get_string(jt, "objective", "");
	double base = json_get_number(jt, "value", NAN);
	struct alone a;
	enum engine_status st;
	struct buf w = BUF_INIT;

	measure_alone(o, t, run_id, &a, err);
	st = a.st;
	if (st == ENGINE_OK && strcmp(obj, a.objective)) {
		err_set(err,
		        "'%s': target '%s' was recorded with the objective '%s', and this gate "
		        "measures '%s': give --objective %s or record the baseline again",
		        file, t->name, obj, a.objective, obj);
		st = ENGINE_SETUP;
	} else if (st == ENGINE_OK) {
		gt->outcome = GATE_MEASURED;
		gt->objective = xstrdup(a.objective);
		gt->unit = xstrdup(a.unit);
		gt->source = xstrdup(a.source);
		gt->deterministic = a.deterministic;
		gt->threshold =
		    o->threshold > 0 ? o->threshold : gate_default_threshold(a.deterministic);
		gt->base_value = base;
		gt->head_value = a.value;
		gt->n = a.deterministic ? 1 : a.n;
		gt->ratios = xcalloc(gt->n + 1, sizeof(*gt->ratios));
		for (size_t i = 0; i < gt->n; i++)
			gt->ratios[i] = (a.deterministic ? a.value : a.values[i]) / base;
		mismatch(r, "CC", json_get_string(jt, "cc", NULL),
		         o->cc   ? o->cc
		         : t->cc ? t->cc
		                 : "cc");
		mismatch(r, "CFLAGS", json_get_string(jt, "cflags", NULL),
		         t->cflags ? t->cflags : "");
		mismatch(r, "LDFLAGS", json_get_string(jt, "ldflags", NULL),
		         t->ldflags ? t->ldflags : "");
		if (!a.deterministic && !has_note(r, WALL_NOTE))
			strlist_pushf(
			    &r->notes,
			    "%s: timings from another job, at another time, on another "
			    "machine, are not comparable, and this verdict may be wrong "
			    "either way; prefer --base REF (both measured here) or exact counts",
			    WALL_NOTE);
	} else if (st == ENGINE_SETUP) {
		gt->outcome = GATE_SETUP_FAILED;
		gt->reason = xstrdup(a.why ? a.why : "");
		st = ENGINE_OK;
	} else if (st == ENGINE_BASELINE) {
		buf_addf(&w, "the head: %s", a.why ? a.why : "");
		gt->outcome = GATE_HEAD_FAILED;
		gt->reason = buf_detach(&w);
		st = ENGINE_OK;
	}
	buf_release(&w);
	alone_release(&a);
	return st;
}

enum engine_status gate_baseline_compare(const struct gate_options *o, const char *tree,
                                         const char *run_id, const cJSON *b, const char *file,
                                         struct gate_result *r, struct buf *err)
{
	struct manifest m;
	struct machine_info mi;
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(b, "environment");
	enum engine_status st = ENGINE_OK;

	if (check_header(b, file, err) < 0)
		return ENGINE_SETUP;
	if (manifest_load(tree, &m, err) < 0)
		return ENGINE_SETUP;
	if (check_targets(o, &m, b, file, err) < 0) {
		manifest_release(&m);
		return ENGINE_SETUP;
	}
	memset(&mi, 0, sizeof(mi));
	machine_info_collect(&mi, o->cc ? o->cc : m.ntargets ? m.targets[0].cc : "cc");
	mismatch(r, "the CPU model", json_get_string(env, "cpu_model", NULL), mi.cpu_model);
	mismatch(r, "the compiler", json_get_string(env, "compiler", NULL), mi.compiler);
	machine_info_release(&mi);
	for (size_t i = 0; st == ENGINE_OK && i < m.ntargets; i++)
		if (selected(o, m.targets[i].name))
			st = compare_one(o, &m.targets[i], run_id,
			                 baseline_target(b, m.targets[i].name), file, r, err);
	gate_family(r, o->alpha);
	remove_work(o, run_id);
	manifest_release(&m);
	return st;
}
