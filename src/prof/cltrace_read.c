/*
 * cltrace_read.c: find the OpenCL interposer, build the environment that
 * loads it, and turn its trace (JSON lines) into a struct profile.
 */
#include "prof/cltrace.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/json.h"
#include "base/xalloc.h"

#define TRACE_LINE_MAX ((size_t)64 << 20) /* a build log can be long, not this long */

const char *cltrace_error_name(int code)
{
	switch (code) {
	case 0:
		return "CL_SUCCESS";
	case -1:
		return "CL_DEVICE_NOT_FOUND";
	case -2:
		return "CL_DEVICE_NOT_AVAILABLE";
	case -3:
		return "CL_COMPILER_NOT_AVAILABLE";
	case -4:
		return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
	case -5:
		return "CL_OUT_OF_RESOURCES";
	case -6:
		return "CL_OUT_OF_HOST_MEMORY";
	case -7:
		return "CL_PROFILING_INFO_NOT_AVAILABLE";
	case -11:
		return "CL_BUILD_PROGRAM_FAILURE";
	case -14:
		return "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST";
	case -15:
		return "CL_COMPILE_PROGRAM_FAILURE";
	case -30:
		return "CL_INVALID_VALUE";
	case -33:
		return "CL_INVALID_DEVICE";
	case -34:
		return "CL_INVALID_CONTEXT";
	case -36:
		return "CL_INVALID_COMMAND_QUEUE";
	case -43:
		return "CL_INVALID_BUILD_OPTIONS";
	case -44:
		return "CL_INVALID_PROGRAM";
	case -45:
		return "CL_INVALID_PROGRAM_EXECUTABLE";
	case -46:
		return "CL_INVALID_KERNEL_NAME";
	case -48:
		return "CL_INVALID_KERNEL";
	case -52:
		return "CL_INVALID_KERNEL_ARGS";
	case -54:
		return "CL_INVALID_WORK_GROUP_SIZE";
	case -55:
		return "CL_INVALID_WORK_ITEM_SIZE";
	case -1001:
		return "CL_PLATFORM_NOT_FOUND_KHR";
	default:
		return "CL error";
	}
}

/* ---- the library and the environment ------------------------------------ */

static int try_path(struct buf *out, struct buf *tried, const char *dir, const char *rel)
{
	char real[PATH_MAX];
	struct buf p = BUF_INIT;
	int ok;

	buf_init(&p, PATH_MAX);
	buf_addf(&p, "%s%s", dir, rel);
	ok = access(p.data, R_OK) == 0 && realpath(p.data, real) != NULL;
	if (ok)
		buf_setf(out, "%s", real);
	else
		buf_addf(tried, "%s%s", tried->len ? ", " : "", p.data);
	buf_release(&p);
	return ok;
}

static int check_preloadable(const struct buf *path, struct buf *err)
{
	if (strpbrk(path->data, " :\t\n"))
		return err_set(err,
		               "cannot preload '%s': LD_PRELOAD cannot hold a path with "
		               "spaces or colons; set OPTIMIZE_CLTRACE_LIB to a copy elsewhere",
		               path->data);
	return 0;
}

int cltrace_library_path(struct buf *out, struct buf *err)
{
	const char *env = getenv("OPTIMIZE_CLTRACE_LIB");
	struct buf tried = BUF_INIT;
	char exe[PATH_MAX], *slash;
	ssize_t n;
	int found = 0;

	buf_init(&tried, 0);
	if (env && *env) {
		char real[PATH_MAX];

		if (access(env, R_OK) != 0 || !realpath(env, real)) {
			int e = errno;
			buf_release(&tried);
			return err_set(err, "OPTIMIZE_CLTRACE_LIB '%s': %s", env, strerror(e));
		}
		buf_setf(out, "%s", real);
		buf_release(&tried);
		return check_preloadable(out, err);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		found = try_path(out, &tried, exe, "/" CLTRACE_LIB_NAME) ||
		        try_path(out, &tried, exe, "/../" CLTRACE_LIB_NAME) ||
		        try_path(out, &tried, exe, "/../lib/optimize/" CLTRACE_LIB_NAME) ||
		        try_path(out, &tried, exe, "/../lib/" CLTRACE_LIB_NAME);
	}
#ifdef OPTIMIZE_SOURCE_DIR
	if (!found)
		found = try_path(out, &tried, OPTIMIZE_SOURCE_DIR, "/build/" CLTRACE_LIB_NAME);
#endif
	if (!found) {
		err_set(err,
		        "cannot find %s (tried %s): build the optimize_cltrace target or set "
		        "OPTIMIZE_CLTRACE_LIB to its path",
		        CLTRACE_LIB_NAME, tried.data);
		buf_release(&tried);
		return -1;
	}
	buf_release(&tried);
	return check_preloadable(out, err);
}

static int push_env(struct strlist *env, struct buf *tmp, struct buf *err)
{
	if (tmp->truncated)
		return err_set(err,
		               "an environment entry for the OpenCL interposer passed %zu bytes",
		               tmp->max);
	strlist_push(env, tmp->data);
	return 0;
}

int cltrace_env(const char *trace_path, const char *build_options, struct strlist *env_out,
                struct buf *err)
{
	const char *inherited = getenv("LD_PRELOAD");
	struct buf lib = BUF_INIT, tmp = BUF_INIT;
	char cwd[PATH_MAX];
	int r = -1;

	buf_init(&lib, 0);
	buf_init(&tmp, 0);
	if (!trace_path || !*trace_path) {
		err_set(err, "cltrace_env: no trace path");
		goto out;
	}
	if (cltrace_library_path(&lib, err) < 0)
		goto out;
	buf_setf(&tmp, "LD_PRELOAD=%s", lib.data);
	if (inherited && *inherited && !strstr(inherited, CLTRACE_LIB_NAME))
		buf_addf(&tmp, ":%s", inherited);
	if (push_env(env_out, &tmp, err) < 0)
		goto out;
	if (trace_path[0] == '/') {
		buf_setf(&tmp, "OPTIMIZE_CLTRACE_OUT=%s", trace_path);
	} else {
		if (!getcwd(cwd, sizeof(cwd))) {
			err_set(err, "cannot get the current directory: %s", strerror(errno));
			goto out;
		}
		buf_setf(&tmp, "OPTIMIZE_CLTRACE_OUT=%s/%s", cwd, trace_path);
	}
	if (push_env(env_out, &tmp, err) < 0)
		goto out;
	buf_setf(&tmp, "OPTIMIZE_CL_BUILD_OPTIONS=%s", build_options ? build_options : "");
	if (push_env(env_out, &tmp, err) < 0)
		goto out;
	r = 0;
out:
	buf_release(&lib);
	buf_release(&tmp);
	return r;
}

/* ---- reading ------------------------------------------------------------- */

struct kacc {
	char *name;
	double *ms;
	size_t n, cap;
	size_t global[3], local[3];
	unsigned work_dim;
};

struct reader {
	const char *path;
	struct kacc *k;
	size_t nk;
	struct cl_device_info *device;
	struct buf log;
	size_t nlogs;
	double transfer_ms, transfer_bytes;
	unsigned long transfers, dropped, lost;
};

static char *dup_or_null(const cJSON *obj, const char *key)
{
	const char *s = json_get_string(obj, key, NULL);

	return xstrdup(s);
}

static unsigned get_uint(const cJSON *obj, const char *key)
{
	double v = json_get_number(obj, key, 0);

	return v > 0 && v < 4294967296.0 ? (unsigned)v : 0;
}

/* A count or size: 0 when absent, negative or too large to convert. */
static uint64_t to_u64(double v)
{
	return v > 0 && v < 1.8e19 ? (uint64_t)v : 0;
}

static uint64_t get_u64(const cJSON *obj, const char *key)
{
	return to_u64(json_get_number(obj, key, 0));
}

static void read_device(struct reader *rd, const cJSON *o)
{
	struct cl_device_info *d;

	if (rd->device)
		return; /* the first device is the one reported */
	d = xcalloc(1, sizeof(*d));
	d->platform = dup_or_null(o, "platform");
	d->name = dup_or_null(o, "name");
	d->vendor = dup_or_null(o, "vendor");
	d->driver_version = dup_or_null(o, "driver_version");
	d->device_type = dup_or_null(o, "device_type");
	d->compute_units = get_uint(o, "compute_units");
	d->max_work_group_size = (size_t)get_u64(o, "max_work_group_size");
	d->local_mem_bytes = get_u64(o, "local_mem_bytes");
	d->global_mem_bytes = get_u64(o, "global_mem_bytes");
	d->pref_vector_width_float = get_uint(o, "pref_vector_width_float");
	d->pref_vector_width_double = get_uint(o, "pref_vector_width_double");
	d->pref_vector_width_int = get_uint(o, "pref_vector_width_int");
	rd->device = d;
}

/* Device time of a record in ms, or -1 when it has none. */
static double record_ms(const cJSON *o)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "start");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "end");

	if (cJSON_GetObjectItemCaseSensitive(o, "error") || !cJSON_IsNumber(s) ||
	    !cJSON_IsNumber(e) || e->valuedouble < s->valuedouble)
		return -1;
	return (e->valuedouble - s->valuedouble) / 1e6;
}

static void read_sizes(const cJSON *arr, size_t out[3])
{
	const cJSON *it;
	int i = 0;

	cJSON_ArrayForEach(it, arr)
	{
		if (i == 3)
			break;
		out[i++] = cJSON_IsNumber(it) ? (size_t)to_u64(it->valuedouble) : 0;
	}
}

static void read_kernel(struct reader *rd, const cJSON *o)
{
	const char *name = json_get_string(o, "name", "?");
	double ms = record_ms(o);
	struct kacc *k = NULL;
	size_t i;

	if (ms < 0)
		return;
	for (i = 0; i < rd->nk; i++)
		if (!strcmp(rd->k[i].name, name))
			k = &rd->k[i];
	if (!k) {
		rd->k = xreallocarray(rd->k, rd->nk + 1, sizeof(*rd->k));
		k = &rd->k[rd->nk];
		memset(k, 0, sizeof(*k));
		k->name = xstrdup(name);
		rd->nk++;
		k->work_dim = get_uint(o, "work_dim");
		if (k->work_dim > 3)
			k->work_dim = 3;
		read_sizes(cJSON_GetObjectItemCaseSensitive(o, "global"), k->global);
		read_sizes(cJSON_GetObjectItemCaseSensitive(o, "local"), k->local);
	}
	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 16;

		k->ms = xreallocarray(k->ms, ncap, sizeof(*k->ms));
		k->cap = ncap;
	}
	k->ms[k->n++] = ms;
}

static void read_build_error(struct reader *rd, const cJSON *o)
{
	const char *fn = json_get_string(o, "function", "clBuildProgram");
	const char *dev = json_get_string(o, "device", NULL);
	const char *log = json_get_string(o, "log", "");
	const char *opts = json_get_string(o, "options", "");
	long status = -11;

	json_get_long(o, "status", &status);
	if (rd->log.len)
		buf_addch(&rd->log, '\n');
	buf_addf(&rd->log, "%s failed with %s (%ld)%s%s%s%s%s:\n", fn,
	         cltrace_error_name((int)status), status, dev ? " on '" : "", dev ? dev : "",
	         dev ? "'" : "", *opts ? ", options: " : "", opts);
	buf_addstr(&rd->log, *log ? log : "(the build log is empty)\n");
	if (rd->log.len && rd->log.data[rd->log.len - 1] != '\n')
		buf_addch(&rd->log, '\n');
	rd->nlogs++;
}

static int read_line(struct reader *rd, const char *line, size_t len, size_t lineno,
                     struct buf *err)
{
	const char *type;
	cJSON *o;
	double ms;

	if (len > TRACE_LINE_MAX)
		return err_set(err, "trace '%s' line %zu: longer than %zu bytes", rd->path, lineno,
		               TRACE_LINE_MAX);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!len)
		return 0;
	o = cJSON_ParseWithLength(line, len);
	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return err_set(err, "trace '%s' line %zu: not a JSON object", rd->path, lineno);
	}
	type = json_get_string(o, "type", "");
	if (!strcmp(type, "device")) {
		read_device(rd, o);
	} else if (!strcmp(type, "kernel")) {
		read_kernel(rd, o);
	} else if (!strcmp(type, "read") || !strcmp(type, "write") || !strcmp(type, "copy")) {
		ms = record_ms(o);
		if (ms >= 0) {
			rd->transfer_ms += ms;
			rd->transfer_bytes += json_get_number(o, "bytes", 0);
			rd->transfers++;
		}
	} else if (!strcmp(type, "build_error")) {
		read_build_error(rd, o);
	} else if (!strcmp(type, "process")) {
		rd->dropped += get_u64(o, "dropped");
		rd->lost += get_u64(o, "lost");
	} /* other types: from a newer interposer, skipped */
	cJSON_Delete(o);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

static int cmp_kernel_total(const void *a, const void *b)
{
	const struct kernel_timing *x = a, *y = b;

	if (x->total_ms != y->total_ms)
		return x->total_ms < y->total_ms ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void clear_opencl(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->nkernels; i++)
		free(p->kernels[i].name);
	free(p->kernels);
	p->kernels = NULL;
	p->nkernels = 0;
	if (p->device) {
		free(p->device->platform);
		free(p->device->name);
		free(p->device->vendor);
		free(p->device->driver_version);
		free(p->device->device_type);
		free(p->device);
		p->device = NULL;
	}
	free(p->cl_build_log);
	p->cl_build_log = NULL;
}

static void fill_profile(struct reader *rd, struct profile *p)
{
	double total = 0;
	uint64_t launches = 0;
	size_t i, j;

	clear_opencl(p);
	if (rd->nk)
		p->kernels = xcalloc(rd->nk, sizeof(*p->kernels));
	for (i = 0; i < rd->nk; i++) {
		struct kacc *a = &rd->k[i];
		struct kernel_timing *k = &p->kernels[i];

		qsort(a->ms, a->n, sizeof(*a->ms), cmp_double);
		k->name = a->name;
		a->name = NULL;
		p->nkernels++;
		k->launches = a->n;
		for (j = 0; j < a->n; j++)
			k->total_ms += a->ms[j];
		k->mean_ms = k->total_ms / (double)a->n;
		k->median_ms =
		    a->n % 2 ? a->ms[a->n / 2] : (a->ms[a->n / 2 - 1] + a->ms[a->n / 2]) / 2;
		k->min_ms = a->ms[0];
		k->max_ms = a->ms[a->n - 1];
		k->work_dim = a->work_dim;
		memcpy(k->global, a->global, sizeof(k->global));
		memcpy(k->local, a->local, sizeof(k->local));
		total += k->total_ms;
		launches += k->launches;
	}
	if (p->nkernels)
		qsort(p->kernels, p->nkernels, sizeof(*p->kernels), cmp_kernel_total);
	p->device = rd->device;
	rd->device = NULL;
	if (rd->nlogs)
		p->cl_build_log = buf_detach(&rd->log);
	if (p->device || launches) {
		profile_set_metric(p, "opencl-kernel-time", "ms", total, SRC_MEASURED, "cltrace",
		                   1);
		profile_set_metric(p, "opencl-launches", "count", (double)launches, SRC_MEASURED,
		                   "cltrace", 1);
		profile_set_metric(p, "opencl-transfer-time", "ms", rd->transfer_ms, SRC_MEASURED,
		                   "cltrace", 1);
		profile_set_metric(p, "opencl-transfer-size", "KiB", rd->transfer_bytes / 1024,
		                   SRC_MEASURED, "cltrace", 1);
		if (rd->dropped || rd->lost)
			profile_set_metric(p, "opencl-records-missing", "count",
			                   (double)(rd->dropped + rd->lost), SRC_MEASURED,
			                   "cltrace", 1);
	}
}

static void reader_release(struct reader *rd)
{
	size_t i;

	for (i = 0; i < rd->nk; i++) {
		free(rd->k[i].name);
		free(rd->k[i].ms);
	}
	free(rd->k);
	if (rd->device) {
		free(rd->device->platform);
		free(rd->device->name);
		free(rd->device->vendor);
		free(rd->device->driver_version);
		free(rd->device->device_type);
		free(rd->device);
	}
	buf_release(&rd->log);
}

static void reader_init(struct reader *rd, const char *path)
{
	memset(rd, 0, sizeof(*rd));
	rd->path = path;
	buf_init(&rd->log, 0);
}

/* The end of every read: on success (r == 0) the profile gets what was read. */
static int reader_finish(struct reader *rd, int r, struct profile *out)
{
	if (!r)
		fill_profile(rd, out);
	reader_release(rd);
	return r;
}

int cltrace_read(const char *trace_path, struct profile *out, struct buf *err)
{
	struct reader rd;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	FILE *f;
	int r = 0;

	f = fopen(trace_path, "r");
	if (!f) {
		if (errno == ENOENT)
			return err_set(err,
			               "no OpenCL trace was written to '%s': the program did not "
			               "exit normally with the interposer loaded (killed, _exit, "
			               "or LD_PRELOAD ignored)",
			               trace_path);
		return err_set(err, "cannot read trace '%s': %s", trace_path, strerror(errno));
	}
	reader_init(&rd, trace_path);
	/* Line by line: a trace of many launches need not fit in memory at once. */
	while ((n = getline(&line, &cap, f)) >= 0) {
		r = read_line(&rd, line, (size_t)n, ++lineno, err);
		if (r < 0)
			break;
	}
	if (!r && ferror(f))
		r = err_set(err, "cannot read trace '%s': %s", trace_path, strerror(errno));
	free(line);
	fclose(f);
	return reader_finish(&rd, r, out);
}

int cltrace_parse(const char *text, size_t len, const char *origin, struct profile *out,
                  struct buf *err)
{
	struct reader rd;
	size_t pos = 0, lineno = 0;
	int r = 0;

	reader_init(&rd, origin);
	while (pos < len && !r) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) + 1 : len - pos;

		r = read_line(&rd, text + pos, n, ++lineno, err);
		pos += n;
	}
	return reader_finish(&rd, r, out);
}

int cltrace_objective(const struct profile *p, const char *kernel_name, double *ms, struct buf *err)
{
	struct buf names = BUF_INIT;
	size_t i;
	double sum = 0;

	*ms = NAN;
	if (!p->nkernels) {
		if (p->cl_build_log)
			return err_set(err,
			               "objective kernel_time: no kernel ran because the OpenCL "
			               "build failed:\n%s",
			               p->cl_build_log);
		return err_set(err, "objective kernel_time needs an OpenCL program: no kernel "
		                    "launches were recorded");
	}
	for (i = 0; i < p->nkernels; i++) {
		if (kernel_name && strcmp(kernel_name, p->kernels[i].name))
			continue;
		sum += p->kernels[i].total_ms;
		if (kernel_name) {
			*ms = sum;
			return 0;
		}
	}
	if (!kernel_name) {
		*ms = sum;
		return 0;
	}
	buf_init(&names, 4096);
	for (i = 0; i < p->nkernels; i++)
		buf_addf(&names, "%s'%s'", i ? ", " : "", p->kernels[i].name);
	err_set(err, "objective kernel_time:%s: kernel '%s' was never launched (launched: %s)",
	        kernel_name, kernel_name, names.data);
	buf_release(&names);
	return -1;
}

/* ---- rendering ------------------------------------------------------------ */

static void add_geometry(struct buf *b, const size_t v[3], unsigned dim, int is_local)
{
	struct buf g = BUF_INIT;
	unsigned i;

	buf_init(&g, 128);
	if (!dim || (is_local && !v[0]))
		buf_addstr(&g, is_local ? "auto" : "-");
	for (i = 0; i < dim && !(is_local && !v[0]); i++)
		buf_addf(&g, "%s%zu", i ? "x" : "", v[i]);
	buf_addf(b, "  %-16s", g.data);
	buf_release(&g);
}

int cltrace_render_table(const struct profile *p, struct buf *out)
{
	const struct cl_device_info *d = p->device;
	int w = 6;
	size_t i;
	uint64_t launches = 0;
	double total = 0;

	if (d)
		buf_addf(out,
		         "OpenCL device: %s (%s, %s; platform %s, driver %s)\n"
		         "  %u compute units, max work-group %zu, local mem %llu KiB, "
		         "global mem %llu MiB, preferred vector width float %u double %u int %u\n",
		         d->name ? d->name : "?", d->device_type ? d->device_type : "?",
		         d->vendor ? d->vendor : "?", d->platform ? d->platform : "?",
		         d->driver_version ? d->driver_version : "?", d->compute_units,
		         d->max_work_group_size, (unsigned long long)(d->local_mem_bytes >> 10),
		         (unsigned long long)(d->global_mem_bytes >> 20),
		         d->pref_vector_width_float, d->pref_vector_width_double,
		         d->pref_vector_width_int);
	if (!p->nkernels) {
		buf_addstr(out, "no OpenCL kernel launches were recorded\n");
	} else {
		for (i = 0; i < p->nkernels; i++) {
			int len = (int)strlen(p->kernels[i].name);
			if (len > w)
				w = len > 40 ? 40 : len;
		}
		buf_addf(out, "%-*s  %8s  %12s  %10s  %10s  %10s  %10s  %-16s  %-16s\n", w,
		         "kernel", "launches", "total ms", "mean ms", "median ms", "min ms",
		         "max ms", "global", "local");
		for (i = 0; i < p->nkernels; i++) {
			const struct kernel_timing *k = &p->kernels[i];

			buf_addf(out, "%-*.*s  %8llu  %12.3f  %10.3f  %10.3f  %10.3f  %10.3f", w, w,
			         k->name, (unsigned long long)k->launches, k->total_ms, k->mean_ms,
			         k->median_ms, k->min_ms, k->max_ms);
			add_geometry(out, k->global, k->work_dim, 0);
			add_geometry(out, k->local, k->work_dim, 1);
			buf_rtrim(out);
			buf_addch(out, '\n');
			launches += k->launches;
			total += k->total_ms;
		}
		buf_addf(out, "%-*s  %8llu  %12.3f   (device time, start to end of each launch)\n",
		         w, "total", (unsigned long long)launches, total);
	}
	if (p->cl_build_log)
		buf_addf(out, "OpenCL build log:\n%s", p->cl_build_log);
	return out->truncated ? -1 : 0;
}
