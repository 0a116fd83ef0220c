#include "engine/manifest_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "base/json.h"
#include "base/util.h"
#include "base/xalloc.h"

#define MAX_LIMIT_MB (1024.0 * 1024.0 * 1024.0) /* 1 PiB: beyond it bytes could overflow */

/* The fields of a target, in the order docs/manifest.md lists them. */
static const char *const target_fields[] = {
    "name",
    "editable",
    "context",
    "outputs",
    "build",
    "cc",
    "cflags",
    "ldflags",
    "run",
    "verify",
    "rtol",
    "atol",
    "run_compare",
    "test",
    "timeout_s",
    "objective",
    "limits",
    "kernels",
    "cl_build_options",
    "wg_size_env",
    "wg_sizes",
    "llm",
    "env",
    NULL,
};
static const char *const single_fields[] = {
    "name",
    "editable",
    "context",
    "outputs",
    "build",
    "cc",
    "cflags",
    "ldflags",
    "run",
    "verify",
    "rtol",
    "atol",
    "run_compare",
    "test",
    "timeout_s",
    "objective",
    "limits",
    "kernels",
    "cl_build_options",
    "wg_size_env",
    "wg_sizes",
    "llm",
    "env",
    "$schema",
    "version",
    "targets",
    NULL,
};
static const char *const multi_fields[] = {"targets", "$schema", "version", NULL};
static const char *const verify_fields[] = {"run", "compare", "rtol", "atol", NULL};
static const char *const env_fields[] = {"pass", NULL};
static const char *const limits_fields[] = {"cpu_s", "memory_mb", "file_mb", "nproc", NULL};
static const char *const llm_fields[] = {"provider",    "model",      "url",
                                         "temperature", "max_tokens", NULL};
static const char *const llm_providers[] = {"openai", "anthropic", "openai-compatible", NULL};
static const char *const objectives[] = {"time",         "cpu-time", "cycles",      "instructions",
                                         "cache-misses", "max-rss",  "kernel_time", NULL};

static int looks_secret(const char *key)
{
	return strcasestr(key, "key") || strcasestr(key, "secret") || strcasestr(key, "password") ||
	       strcasestr(key, "token");
}

/*
 * Every member of obj must be known and appear once. `moved` names fields
 * that belong elsewhere (target fields next to "targets").
 */
static int check_members(struct mparse *mp, const cJSON *obj, const char *const *known,
                         const char *const *moved)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		const char *hint;
		int r;

		for (const cJSON *d = obj->child; d != c; d = d->next) {
			if (!strcmp(d->string, c->string)) {
				mparse_push_key(mp, c->string);
				r = mparse_merr(mp, "field '%s' appears more than once",
				                mparse_field_path(mp, NULL));
				mparse_pop(mp);
				return r;
			}
		}
		if (mparse_in_list(c->string, known))
			continue;
		mparse_push_key(mp, c->string);
		if (moved && mparse_in_list(c->string, moved)) {
			r = mparse_merr(
			    mp,
			    "field '%s' is not allowed next to 'targets': move it into each target",
			    c->string);
		} else if (known == target_fields && mparse_in_list(c->string, multi_fields)) {
			r = mparse_merr(
			    mp, "field '%s' belongs at the top of the file, next to 'targets'",
			    mparse_field_path(mp, NULL));
		} else if ((hint = suggest_word(c->string, known))) {
			r = mparse_merr(mp, "unknown field '%s'; did you mean '%s'?",
			                mparse_field_path(mp, NULL), hint);
		} else if (known == llm_fields && looks_secret(c->string)) {
			r = mparse_merr(mp,
			                "field '%s': API keys do not belong in the manifest; set "
			                "OPENAI_API_KEY "
			                "or ANTHROPIC_API_KEY in the environment",
			                mparse_field_path(mp, NULL));
		} else {
			r = mparse_merr(mp,
			                "unknown field '%s' (see docs/manifest.md for the fields)",
			                mparse_field_path(mp, NULL));
		}
		mparse_pop(mp);
		return r;
	}
	return 0;
}

static int valid_ident(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++) {
		int ok = *s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		         (*s >= 'A' && *s <= 'Z');
		if (!ok)
			return 0;
	}
	return 1;
}

static const char *objective_problem(const char *o, const char **hint)
{
	*hint = NULL;
	if (mparse_in_list(o, objectives))
		return NULL;
	if (!strncmp(o, "kernel_time:", 12))
		return valid_ident(o + 12) ? NULL : "needs a kernel name (kernel_time:NAME)";
	*hint = suggest_word(o, objectives);
	return "is not an objective";
}

#define OBJECTIVES_ACCEPTED                                                                        \
	"time, cpu-time, cycles, instructions, cache-misses, max-rss, kernel_time, "               \
	"kernel_time:NAME"

int manifest_check_objective(const char *objective, struct buf *err)
{
	const char *hint, *what = objective_problem(objective, &hint);

	if (!what)
		return 0;
	if (hint)
		return err_set(err, "objective '%s' %s; did you mean '%s'? (accepted: %s)",
		               objective, what, hint, OBJECTIVES_ACCEPTED);
	return err_set(err, "objective '%s' %s (accepted: %s)", objective, what,
	               OBJECTIVES_ACCEPTED);
}

static int check_objective(struct mparse *mp, const char *objective)
{
	const char *hint, *what = objective_problem(objective, &hint);
	int r;

	if (!what)
		return 0;
	mparse_push_key(mp, "objective");
	if (hint)
		r = mparse_merr(mp, "field '%s': '%s' %s; did you mean '%s'? (accepted: %s)",
		                mparse_field_path(mp, NULL), objective, what, hint,
		                OBJECTIVES_ACCEPTED);
	else
		r = mparse_merr(mp, "field '%s': '%s' %s (accepted: %s)",
		                mparse_field_path(mp, NULL), objective, what, OBJECTIVES_ACCEPTED);
	mparse_pop(mp);
	return r;
}

static int check_name(struct mparse *mp, const char *name)
{
	size_t n = strlen(name);
	int ok = n <= MANIFEST_NAME_MAX && strcmp(name, ".") && strcmp(name, "..");
	int r;

	for (const char *p = name; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
	if (ok)
		return 0;
	mparse_push_key(mp, "name");
	r = mparse_merr(
	    mp,
	    "field '%s': '%s' cannot be used as a directory name (use up to %d letters, "
	    "digits, '.', '_' or '-')",
	    mparse_field_path(mp, NULL), name, MANIFEST_NAME_MAX);
	mparse_pop(mp);
	return r;
}

static int parse_verify(struct mparse *mp, const cJSON *obj, struct target *t)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "verify");
	const cJSON *e;
	size_t n, i = 0;
	int r = 0;

	if (!it)
		return 0;
	mparse_push_key(mp, "verify");
	if (!cJSON_IsArray(it)) {
		r = mparse_type_error(mp, it, "an array of objects");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(it);
	t->verify = xcalloc(n, sizeof(*t->verify));
	cJSON_ArrayForEach(e, it)
	{
		struct verify_spec *v = &t->verify[i];

		mparse_push_index(mp, i++);
		t->nverify = i;
		if (!cJSON_IsObject(e))
			r = mparse_type_error(mp, e, "an object");
		else if (!(r = check_members(mp, e, verify_fields, NULL)) &&
		         !(r = mparse_get_str(mp, e, "run", F_REQUIRED | F_NONBLANK | F_COMMAND,
		                              NULL, &v->run)) &&
		         !(r = mparse_get_compare(mp, e, "compare", &v->compare, &v->ncompare)) &&
		         !(r = mparse_get_num(mp, e, "rtol", t->rtol, 0, 0, &v->rtol)))
			r = mparse_get_num(mp, e, "atol", t->atol, 0, 0, &v->atol);
		mparse_pop(mp);
		if (r)
			break;
	}
out:
	mparse_pop(mp);
	return r;
}

static int parse_limits(struct mparse *mp, const cJSON *obj, struct proc_limits *l)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "limits");
	double cpu, mem, file;
	int r;

	/* The macros rather than proc_limits_default(): same values, and the
	 * manifest does not need the process runner linked in. */
	l->cpu_s = PROC_DEFAULT_CPU_S;
	l->as_bytes = PROC_DEFAULT_AS_BYTES;
	l->fsize_bytes = PROC_DEFAULT_FSIZE_BYTES;
	l->nproc = PROC_DEFAULT_NPROC;
	if (!it)
		return 0;
	mparse_push_key(mp, "limits");
	if (!cJSON_IsObject(it)) {
		r = mparse_type_error(mp, it, "an object");
		goto out;
	}
	if ((r = check_members(mp, it, limits_fields, NULL)) ||
	    (r = mparse_get_num(mp, it, "cpu_s", l->cpu_s, 0, 0, &cpu)) ||
	    (r = mparse_get_num(mp, it, "memory_mb", -1, 0, 0, &mem)) ||
	    (r = mparse_get_num(mp, it, "file_mb", -1, 0, 0, &file)) ||
	    (r = mparse_get_long(mp, it, "nproc", l->nproc, 0, &l->nproc)))
		goto out;
	l->cpu_s = cpu;
	if (mem > MAX_LIMIT_MB || file > MAX_LIMIT_MB) {
		mparse_push_key(mp, mem > MAX_LIMIT_MB ? "memory_mb" : "file_mb");
		r = mparse_merr(mp, "field '%s': must be at most %.0f", mparse_field_path(mp, NULL),
		                MAX_LIMIT_MB);
		mparse_pop(mp);
		goto out;
	}
	/* A fraction of a megabyte would round to 0 bytes, which means "no limit". */
	if ((mem > 0 && mem < 1) || (file > 0 && file < 1)) {
		int m = mem > 0 && mem < 1;
		mparse_push_key(mp, m ? "memory_mb" : "file_mb");
		r = mparse_merr(mp, "field '%s': must be 0 (no limit) or at least 1, found %g",
		                mparse_field_path(mp, NULL), m ? mem : file);
		mparse_pop(mp);
		goto out;
	}
	if (mem >= 0)
		l->as_bytes = (uint64_t)ceil(mem * 1048576.0);
	if (file >= 0)
		l->fsize_bytes = (uint64_t)ceil(file * 1048576.0);
out:
	mparse_pop(mp);
	return r;
}

static int parse_llm(struct mparse *mp, const cJSON *obj, struct llm_settings *llm)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "llm");
	const char *hint;
	int r;

	llm->temperature = -1;
	llm->max_tokens = 0;
	if (!it)
		return 0;
	mparse_push_key(mp, "llm");
	if (!cJSON_IsObject(it)) {
		r = mparse_type_error(mp, it, "an object");
		goto out;
	}
	if ((r = check_members(mp, it, llm_fields, NULL)) ||
	    (r = mparse_get_str(mp, it, "provider", F_NONBLANK, NULL, &llm->provider)) ||
	    (r = mparse_get_str(mp, it, "model", F_NONBLANK, NULL, &llm->model)) ||
	    (r = mparse_get_str(mp, it, "url", F_NONBLANK, NULL, &llm->url)) ||
	    (r = mparse_get_num(mp, it, "temperature", -1, 0, 0, &llm->temperature)) ||
	    (r = mparse_get_long(mp, it, "max_tokens", 0, 1, &llm->max_tokens)))
		goto out;
	if (llm->provider && !mparse_in_list(llm->provider, llm_providers)) {
		mparse_push_key(mp, "provider");
		hint = suggest_word(llm->provider, llm_providers);
		r = mparse_merr(
		    mp,
		    "field '%s': unknown provider '%s'%s%s%s (accepted: openai, anthropic, "
		    "openai-compatible)",
		    mparse_field_path(mp, NULL), llm->provider, hint ? "; did you mean '" : "",
		    hint ? hint : "", hint ? "'?" : "");
		mparse_pop(mp);
	} else if (llm->url && strncmp(llm->url, "http://", 7) &&
	           strncmp(llm->url, "https://", 8)) {
		mparse_push_key(mp, "url");
		r = mparse_merr(mp, "field '%s': '%s' must start with http:// or https://",
		                mparse_field_path(mp, NULL), llm->url);
		mparse_pop(mp);
	}
out:
	mparse_pop(mp);
	return r;
}

/* "env": {"pass": [NAME, PREFIX*, ...]}: the allow-list of variables. */
static int parse_env(struct mparse *mp, const cJSON *obj, struct target *t)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "env");
	int r;

	if (!it)
		return 0;
	mparse_push_key(mp, "env");
	if (!cJSON_IsObject(it)) {
		r = mparse_type_error(mp, it, "an object");
		goto out;
	}
	if ((r = check_members(mp, it, env_fields, NULL)) ||
	    (r = mparse_get_strlist(mp, it, "pass", 0, &t->env_pass)))
		goto out;
	t->env_pass_set = cJSON_GetObjectItemCaseSensitive(it, "pass") != NULL;
	for (size_t i = 0; i < t->env_pass.n && !r; i++) {
		const char *name = t->env_pass.v[i];
		size_t n = strlen(name);
		char *bare = xstrndup(name, n && name[n - 1] == '*' ? n - 1 : n);

		mparse_push_key(mp, "pass");
		mparse_push_index(mp, i);
		if (!valid_ident(bare))
			r = mparse_merr(mp,
			                "field '%s': '%s' is not an environment variable name (or "
			                "a prefix ending in '*')",
			                mparse_field_path(mp, NULL), name);
		else if (proc_env_is_secret(bare))
			r = mparse_merr(mp,
			                "field '%s': '%s' looks like a secret, and secrets never "
			                "reach the target's processes (docs/security.md)",
			                mparse_field_path(mp, NULL), name);
		mparse_pop(mp);
		mparse_pop(mp);
		free(bare);
	}
out:
	mparse_pop(mp);
	return r;
}

/* Kernel sources are editable too: add the globs editable does not name. */
static int merge_kernels(struct target *t)
{
	for (size_t i = 0; i < t->kernels.n; i++) {
		int seen = 0;

		for (size_t j = 0; j < t->editable.n && !seen; j++)
			seen = !strcmp(t->kernels.v[i], t->editable.v[j]);
		if (!seen)
			strlist_push(&t->editable, t->kernels.v[i]);
	}
	return 0;
}

/*
 * cflags left out: "-O2" when the build command uses $CFLAGS as it is (a
 * compile line, `make CFLAGS="$CFLAGS"`); otherwise not set, so that the
 * original is the project's own build (docs/build-systems.md): a build that
 * does not name it (make, cmake) or passes it only when set (`${CFLAGS:+...}`,
 * as optimize init writes). null: never set.
 */
static int default_cflags(const cJSON *obj, struct target *t)
{
	if (t->cflags || cJSON_GetObjectItemCaseSensitive(obj, "cflags") ||
	    !strstr(t->build, "CFLAGS") || strstr(t->build, "${CFLAGS:+"))
		return 0;
	t->cflags = xstrdup("-O2");
	return 0;
}

static int parse_target(struct mparse *mp, const cJSON *obj, struct target *t, const char *tree,
                        const char *stored_path, int single)
{
	const cJSON *wg;
	int r;

	if ((r = check_members(mp, obj, single ? single_fields : target_fields, NULL)))
		return r;
	if ((r = mparse_get_str(mp, obj, "name", F_REQUIRED | F_NONBLANK, NULL, &t->name)) ||
	    (r = check_name(mp, t->name)) ||
	    (r = mparse_get_strlist(mp, obj, "editable", F_REQUIRED | F_NONEMPTY | F_GLOB,
	                            &t->editable)) ||
	    (r = mparse_get_str(mp, obj, "build", F_REQUIRED | F_NONBLANK | F_COMMAND, NULL,
	                        &t->build)) ||
	    (r = mparse_get_str(mp, obj, "run", F_REQUIRED | F_NONBLANK | F_COMMAND, NULL,
	                        &t->run)) ||
	    (r = mparse_get_strlist(mp, obj, "context", F_GLOB, &t->context)) ||
	    (r = mparse_get_strlist(mp, obj, "outputs", F_GLOB, &t->outputs)) ||
	    (r = mparse_get_str(mp, obj, "cc", F_NONBLANK, "cc", &t->cc)) ||
	    (r = mparse_get_str(mp, obj, "cflags", F_NULLABLE, NULL, &t->cflags)) ||
	    (r = default_cflags(obj, t)) ||
	    (r = mparse_get_str(mp, obj, "ldflags", 0, "", &t->ldflags)) ||
	    (r = mparse_get_num(mp, obj, "rtol", 0, 0, 0, &t->rtol)) ||
	    (r = mparse_get_num(mp, obj, "atol", 0, 0, 0, &t->atol)) ||
	    (r = parse_verify(mp, obj, t)) ||
	    (r = mparse_get_compare(mp, obj, "run_compare", &t->run_compare, &t->nrun_compare)) ||
	    (r = mparse_get_str(mp, obj, "test", F_NONBLANK | F_COMMAND, NULL, &t->test)) ||
	    (r = mparse_get_num(mp, obj, "timeout_s", 60, 0, 1, &t->timeout_s)) ||
	    (r = mparse_get_str(mp, obj, "objective", F_NONBLANK, "time", &t->objective)) ||
	    (r = check_objective(mp, t->objective)) || (r = parse_limits(mp, obj, &t->limits)) ||
	    (r = mparse_get_strlist(mp, obj, "kernels", F_GLOB, &t->kernels)) ||
	    (r = merge_kernels(t)) ||
	    (r = mparse_get_str(mp, obj, "cl_build_options", 0, "", &t->cl_build_options)) ||
	    (r = mparse_get_str(mp, obj, "wg_size_env", F_NONBLANK, NULL, &t->wg_size_env)) ||
	    (r = mparse_get_strlist(mp, obj, "wg_sizes", F_INTS, &t->wg_sizes)) ||
	    (r = parse_llm(mp, obj, &t->llm)) || (r = parse_env(mp, obj, t)))
		return r;
	if (t->wg_size_env && !valid_ident(t->wg_size_env)) {
		mparse_push_key(mp, "wg_size_env");
		r = mparse_merr(mp, "field '%s': '%s' is not an environment variable name",
		                mparse_field_path(mp, NULL), t->wg_size_env);
		mparse_pop(mp);
		return r;
	}
	wg = cJSON_GetObjectItemCaseSensitive(obj, "wg_sizes");
	if (wg && !t->wg_size_env) {
		mparse_push_key(mp, "wg_sizes");
		r = mparse_merr(
		    mp,
		    "field '%s' needs 'wg_size_env', the environment variable the program "
		    "reads the work-group size from",
		    mparse_field_path(mp, NULL));
		mparse_pop(mp);
		return r;
	}
	t->tree = xstrdup(tree);
	t->manifest_path = xstrdup(stored_path);
	return 0;
}

static void compare_release(struct compare_item *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].path);
	free(c);
}

static void target_release(struct target *t)
{
	free(t->name);
	free(t->tree);
	free(t->manifest_path);
	strlist_release(&t->editable);
	strlist_release(&t->context);
	strlist_release(&t->outputs);
	free(t->build);
	free(t->cc);
	free(t->cflags);
	free(t->ldflags);
	free(t->run);
	for (size_t i = 0; i < t->nverify; i++) {
		free(t->verify[i].run);
		compare_release(t->verify[i].compare, t->verify[i].ncompare);
	}
	free(t->verify);
	compare_release(t->run_compare, t->nrun_compare);
	free(t->test);
	free(t->objective);
	strlist_release(&t->kernels);
	free(t->cl_build_options);
	free(t->wg_size_env);
	strlist_release(&t->wg_sizes);
	free(t->llm.provider);
	free(t->llm.model);
	free(t->llm.url);
	strlist_release(&t->env_pass);
	memset(t, 0, sizeof(*t));
}

void manifest_release(struct manifest *m)
{
	for (size_t i = 0; i < m->ntargets; i++)
		target_release(&m->targets[i]);
	free(m->targets);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

static int parse_root(struct mparse *mp, const cJSON *root, const char *tree,
                      const char *stored_path, struct manifest *m)
{
	const cJSON *targets = cJSON_GetObjectItemCaseSensitive(root, "targets");
	const cJSON *e;
	char *schema = NULL;
	long version;
	size_t n, i = 0;
	int r;

	if (!cJSON_IsObject(root))
		return mparse_merr(mp, "the manifest must be a JSON object, found %s",
		                   json_type_name(root));
	if ((r = check_members(mp, root, targets ? multi_fields : single_fields,
	                       targets ? target_fields : NULL)) ||
	    (r = mparse_get_str(mp, root, "$schema", 0, NULL, &schema)))
		return r;
	free(schema); /* only checked to be a string; freed before anything else can fail */
	if ((r = mparse_get_long(mp, root, "version", MANIFEST_VERSION, 0, &version)))
		return r;
	if (version != MANIFEST_VERSION) {
		mparse_push_key(mp, "version");
		r = mparse_merr(
		    mp, "field 'version': this optimize reads version %d manifests, found %ld",
		    MANIFEST_VERSION, version);
		mparse_pop(mp);
		return r;
	}
	if (!targets) {
		m->targets = xcalloc(1, sizeof(*m->targets));
		m->ntargets = 1;
		return parse_target(mp, root, &m->targets[0], tree, stored_path, 1);
	}

	mparse_push_key(mp, "targets");
	if (!cJSON_IsArray(targets)) {
		r = mparse_type_error(mp, targets, "an array of objects");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(targets);
	if (!n) {
		r = mparse_merr(mp, "field 'targets': must list at least one target");
		goto out;
	}
	m->targets = xcalloc(n, sizeof(*m->targets));
	cJSON_ArrayForEach(e, targets)
	{
		struct target *t = &m->targets[i];

		mparse_push_index(mp, i);
		m->ntargets = ++i;
		if (!cJSON_IsObject(e))
			r = mparse_type_error(mp, e, "an object");
		else
			r = parse_target(mp, e, t, tree, stored_path, 0);
		for (size_t j = 0; !r && j + 1 < i; j++) {
			if (strcmp(m->targets[j].name, t->name))
				continue;
			mparse_push_key(mp, "name");
			r = mparse_merr(
			    mp, "field '%s': duplicate target name '%s' (targets[%zu] has it too)",
			    mparse_field_path(mp, NULL), t->name, j);
			mparse_pop(mp);
		}
		mparse_pop(mp);
		if (r)
			break;
	}
out:
	mparse_pop(mp);
	return r;
}

static int parse_common(const char *text, size_t len, const char *origin, const char *stored_path,
                        const char *tree, struct manifest *m, struct buf *err)
{
	struct mparse mp = {0};
	cJSON *root;
	int r;

	memset(m, 0, sizeof(*m));
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		/* Skipped here too, so that columns of field errors are not shifted. */
		text += 3;
		len -= 3;
	}
	root = json_parse(text, len, origin, err);
	if (!root)
		return -1;
	mp.text = text;
	mp.len = len;
	mp.origin = origin;
	mp.err = err;
	buf_init(&mp.path, 0);
	r = parse_root(&mp, root, tree ? tree : ".", stored_path, m);
	if (!r)
		m->path = xstrdup(stored_path);
	buf_release(&mp.path);
	cJSON_Delete(root);
	if (r)
		manifest_release(m);
	return r;
}

int manifest_parse(const char *text, size_t len, const char *origin, const char *tree,
                   struct manifest *m, struct buf *err)
{
	return parse_common(text, len, origin, origin, tree, m, err);
}

int manifest_load(const char *path, struct manifest *m, struct buf *err)
{
	struct buf file = BUF_INIT, dir = BUF_INIT, text = BUF_INIT, stored = BUF_INIT;
	const char *slash, *base;
	char *tree = NULL;
	struct stat st;
	int r = -1;

	memset(m, 0, sizeof(*m));
	buf_init(&file, 0);
	buf_init(&dir, 0);
	buf_init(&stored, 0);
	buf_init(&text, MANIFEST_MAX_BYTES);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			err_set(err,
			        "'%s' does not exist: give a source tree that holds %s, or the "
			        "manifest itself",
			        path, MANIFEST_FILENAME);
		else
			err_set(err, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);

		buf_addstr(&dir, path);
		buf_addf(&file, "%s%s%s", path, n && path[n - 1] == '/' ? "" : "/",
		         MANIFEST_FILENAME);
		base = MANIFEST_FILENAME;
		if (stat(file.data, &st) < 0) {
			if (errno == ENOENT)
				err_set(err,
				        "no manifest in '%s': create '%s' naming at least "
				        "\"name\", \"editable\", \"build\" and \"run\" (see "
				        "docs/manifest.md)",
				        path, file.data);
			else
				err_set(err, "cannot open '%s': %s", file.data, strerror(errno));
			goto out;
		}
	} else {
		buf_addstr(&file, path);
		path_dirname(&dir, path);
		slash = strrchr(path, '/');
		base = slash ? slash + 1 : path;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, "'%s' is not a regular file", file.data);
		goto out;
	}
	if (buf_read_file(&text, file.data) < 0) {
		if (text.truncated)
			err_set(err, "%s: larger than %zu bytes; is this really a manifest?",
			        file.data, (size_t)MANIFEST_MAX_BYTES);
		else
			err_set(err, "cannot read '%s': %s", file.data, strerror(errno));
		goto out;
	}
	/* The directory as the user named it, resolved; a symlinked manifest
	 * still describes the tree it sits in. */
	tree = realpath(dir.data, NULL);
	if (!tree) {
		err_set(err, "cannot resolve '%s': %s", dir.data, strerror(errno));
		goto out;
	}
	buf_addf(&stored, "%s%s%s", tree, strcmp(tree, "/") ? "/" : "", base);
	r = parse_common(text.data, text.len, file.data, stored.data, tree, m, err);
out:
	free(tree);
	buf_release(&file);
	buf_release(&dir);
	buf_release(&text);
	buf_release(&stored);
	return r;
}

const struct target *manifest_find_target(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->ntargets; i++)
		if (m->targets[i].name && !strcmp(m->targets[i].name, name))
			return &m->targets[i];
	return NULL;
}
