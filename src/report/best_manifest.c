/*
 * best_manifest.c: the winner's build settings written into the manifest of
 * its tree (best/optimize.json), so that a flags-only winner can be applied
 * (--apply writes that file like any other) and reused. See report.h.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "base/json.h"
#include "report/report.h"

int report_manifest_relpath(const struct target *t, struct buf *out)
{
	size_t n = strlen(t->tree);

	buf_reset(out);
	if (!t->manifest_path || strncmp(t->manifest_path, t->tree, n) ||
	    t->manifest_path[n] != '/')
		return 0;
	buf_addstr(out, t->manifest_path + n + 1);
	return 1;
}

static int differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* The object of target `name` in a manifest (the root, or one of "targets"). */
static cJSON *target_object(cJSON *root, const char *name)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "targets"), *t;

	if (!cJSON_IsArray(arr))
		return root;
	cJSON_ArrayForEach(t, arr)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(t, "name");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return t;
	}
	return NULL;
}

static void set_str(cJSON *o, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddItemToObject(o, key, cJSON_CreateString(value ? value : ""));
}

int report_best_manifest(const struct run_view *v, const char *best_dir, struct strlist *files,
                         struct buf *err)
{
	const struct target *t = v->target;
	const struct cand_config *w = &view_best(v)->cfg;
	struct buf rel = BUF_INIT, path = BUF_INIT;
	cJSON *root = NULL, *o;
	int r = 0;

	if (view_best(v)->id == 0 || !report_manifest_relpath(t, &rel))
		goto out;
	if (!differs(w->cflags, t->cflags) && !differs(w->ldflags, t->ldflags) &&
	    !differs(w->cc, t->cc) && !differs(w->cl_build_options, t->cl_build_options))
		goto out;
	buf_addf(&path, "%s/%s", best_dir, rel.data);
	root = json_parse_file(path.data, 0, err);
	if (!root) {
		r = -1;
		goto out;
	}
	o = target_object(root, t->name);
	if (!o)
		goto out;
	if (w->cflags && differs(w->cflags, t->cflags))
		set_str(o, "cflags", w->cflags);
	if (differs(w->ldflags, t->ldflags))
		set_str(o, "ldflags", w->ldflags);
	if (w->cc && differs(w->cc, t->cc))
		set_str(o, "cc", w->cc);
	if (differs(w->cl_build_options, t->cl_build_options))
		set_str(o, "cl_build_options", w->cl_build_options);
	r = json_write_file_atomic(path.data, root, 1, err);
	if (r == 0 && files && !strlist_has(files, rel.data))
		strlist_push(files, rel.data);
out:
	cJSON_Delete(root);
	buf_release(&rel);
	buf_release(&path);
	return r;
}
