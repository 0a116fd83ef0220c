/*
 * import_polybench.c: PolyBench/C kernels as targets. See import_polybench.h.
 */
#include "bench/import_polybench.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "base/json.h"
#include "base/xalloc.h"

static const char *const sizes[] = {"MINI", "SMALL", "MEDIUM", "LARGE", "EXTRALARGE", NULL};

void polybench_import_default(struct polybench_import *o)
{
	o->dataset = "MEDIUM";
	o->verify_dataset = "MINI";
	o->rtol = 1e-6;
	o->atol = 1e-9;
}

static int size_rank(const char *name)
{
	for (int i = 0; sizes[i]; i++)
		if (!strcmp(sizes[i], name))
			return i;
	return -1;
}

int polybench_dataset_check(const char *name, struct buf *err)
{
	if (size_rank(name) >= 0)
		return 0;
	return err_set(err, "dataset '%s': use MINI, SMALL, MEDIUM, LARGE or EXTRALARGE", name);
}

static int is_file(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Kernel folders below dir (relative to root), depth first, in name order. */
static void find_kernels(const char *root, const char *rel, struct strlist *out, int depth)
{
	struct buf d = BUF_INIT, p = BUF_INIT;
	struct strlist subs = {0};
	DIR *dp;
	struct dirent *de;

	buf_addf(&d, "%s%s%s", root, *rel ? "/" : "", rel);
	if (depth > 8 || !(dp = opendir(d.data))) {
		buf_release(&d);
		return;
	}
	while ((de = readdir(dp)))
		if (de->d_name[0] != '.' && (*rel || strcmp(de->d_name, "utilities")))
			strlist_push(&subs, de->d_name);
	closedir(dp);
	if (subs.n)
		qsort(subs.v, subs.n, sizeof(*subs.v), cmp_str);
	for (size_t i = 0; i < subs.n; i++) {
		struct stat sb;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", d.data, subs.v[i]);
		if (stat(p.data, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s/%s.c", d.data, subs.v[i], subs.v[i]);
		if (is_file(p.data)) {
			buf_reset(&p);
			buf_addf(&p, "%s/%s/%s.h", d.data, subs.v[i], subs.v[i]);
			if (is_file(p.data)) {
				strlist_pushf(out, "%s%s%s", rel, *rel ? "/" : "", subs.v[i]);
				continue;
			}
		}
		buf_reset(&p);
		buf_addf(&p, "%s%s%s", rel, *rel ? "/" : "", subs.v[i]);
		find_kernels(root, p.data, out, depth + 1);
	}
	strlist_release(&subs);
	buf_release(&d);
	buf_release(&p);
}

static int copy_file(const char *from, const char *to, struct buf *err)
{
	struct buf b = BUF_INIT;
	int r;

	if (buf_read_file(&b, from) < 0) {
		buf_release(&b);
		return err_set(err, "%s: %s", from, strerror(errno));
	}
	r = file_write_atomic(to, b.data ? b.data : "", b.len, 0644, err);
	buf_release(&b);
	return r;
}

static cJSON *manifest(const char *name, const struct polybench_import *o)
{
	cJSON *m = cJSON_CreateObject(), *a, *v;
	struct buf b = BUF_INIT;
	const char *inc = "-I utilities -I . utilities/polybench.c";

	json_add_number(m, "version", 1);
	json_add_string(m, "name", name);
	buf_addf(&b, "%s.c", name);
	a = json_add_array(m, "editable");
	json_add_string(a, NULL, b.data);
	buf_reset(&b);
	buf_addf(&b, "%s.h", name);
	a = json_add_array(m, "context");
	json_add_string(a, NULL, b.data);
	a = json_add_array(m, "outputs");
	json_add_string(a, NULL, name);
	buf_reset(&b);
	buf_addf(&b, "%s-verify", name);
	json_add_string(a, NULL, b.data);
	buf_reset(&b);
	buf_addf(
	    &b,
	    "$CC $CFLAGS %s %s.c -DPOLYBENCH_TIME -D%s_DATASET -o %s $LDFLAGS -lm && "
	    "$CC $CFLAGS %s %s.c -DPOLYBENCH_DUMP_ARRAYS -D%s_DATASET -o %s-verify $LDFLAGS -lm",
	    inc, name, o->dataset, name, inc, name, o->verify_dataset, name);
	json_add_string(m, "build", b.data);
	json_add_string(m, "cflags", "-O2");
	buf_reset(&b);
	buf_addf(&b, "./%s", name);
	json_add_string(m, "run", b.data);
	json_add_array(m, "run_compare"); /* the timing printout is not an output */
	a = json_add_array(m, "verify");
	v = json_add_object(a, NULL);
	buf_reset(&b);
	buf_addf(&b, "./%s-verify", name);
	json_add_string(v, "run", b.data);
	json_add_string(json_add_array(v, "compare"), NULL, "stderr");
	json_add_number(m, "rtol", o->rtol);
	json_add_number(m, "atol", o->atol);
	json_add_number(m, "timeout_s", 300);
	buf_release(&b);
	return m;
}

/* OUT/NAME: the kernel's sources, the utilities, the manifest. */
static int import_one(const char *path, const char *rel, const char *out,
                      const struct polybench_import *o, const char *name, struct buf *err)
{
	struct buf dir = BUF_INIT, from = BUF_INIT, to = BUF_INIT;
	const char *files[][2] = {{"utilities", "polybench.c"}, {"utilities", "polybench.h"}};
	struct stat sb;
	cJSON *m;
	int r = 0;

	buf_addf(&dir, "%s/%s", out, name);
	if (stat(dir.data, &sb) == 0)
		r = err_set(err, "%s exists: import into a new folder", dir.data);
	if (r == 0)
		r = file_mkdirs(dir.data, 0755, err);
	for (int ext = 0; r == 0 && ext < 2; ext++) {
		buf_reset(&from);
		buf_reset(&to);
		buf_addf(&from, "%s/%s/%s.%s", path, rel, name, ext ? "h" : "c");
		buf_addf(&to, "%s/%s.%s", dir.data, name, ext ? "h" : "c");
		r = copy_file(from.data, to.data, err);
	}
	buf_reset(&to);
	buf_addf(&to, "%s/utilities", dir.data);
	if (r == 0)
		r = file_mkdirs(to.data, 0755, err);
	for (int i = 0; r == 0 && i < 2; i++) {
		buf_reset(&from);
		buf_reset(&to);
		buf_addf(&from, "%s/%s/%s", path, files[i][0], files[i][1]);
		buf_addf(&to, "%s/%s/%s", dir.data, files[i][0], files[i][1]);
		r = copy_file(from.data, to.data, err);
	}
	buf_reset(&to);
	buf_addf(&to, "%s/optimize.json", dir.data);
	m = manifest(name, o);
	if (r == 0)
		r = json_write_file_atomic(to.data, m, 1, err);
	cJSON_Delete(m);
	buf_release(&dir);
	buf_release(&from);
	buf_release(&to);
	return r;
}

int polybench_import(const char *path, const char *out, const struct polybench_import *o,
                     struct strlist *names, struct buf *err)
{
	struct strlist kernels = {0};
	struct buf p = BUF_INIT;
	int r = 0;

	if (polybench_dataset_check(o->dataset, err) < 0 ||
	    polybench_dataset_check(o->verify_dataset, err) < 0)
		return -1;
	if (size_rank(o->verify_dataset) > size_rank(o->dataset))
		return err_set(err, "the verification size %s is larger than the timing size %s",
		               o->verify_dataset, o->dataset);
	buf_addf(&p, "%s/utilities/polybench.h", path);
	if (!is_file(p.data)) {
		r = err_set(err, "%s: no utilities/polybench.h: not a PolyBench/C tree", path);
		buf_release(&p);
		return r;
	}
	buf_release(&p);
	find_kernels(path, "", &kernels, 0);
	if (!kernels.n)
		r = err_set(err, "%s: no kernel (a folder NAME holding NAME.c and NAME.h)", path);
	if (r == 0)
		r = file_mkdirs(out, 0755, err);
	for (size_t i = 0; r == 0 && i < kernels.n; i++) {
		const char *slash = strrchr(kernels.v[i], '/');
		const char *name = slash ? slash + 1 : kernels.v[i];
		r = import_one(path, kernels.v[i], out, o, name, err);
		if (r == 0)
			strlist_push(names, name);
	}
	strlist_release(&kernels);
	return r;
}
