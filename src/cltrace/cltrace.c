/*
 * cltrace.c: liboptimize_cltrace.so, an OpenCL interposer loaded with
 * LD_PRELOAD into a target program's run. It times every kernel launch and
 * buffer transfer with device timestamps, without changing the program.
 *
 * The ICD loader (libOpenCL.so) stays in charge: each interposed entry point
 * calls the next definition found with dlsym(RTLD_NEXT, ...), which is the
 * loader's, and the loader dispatches to the vendor's driver as usual.
 *
 * Environment:
 *   OPTIMIZE_CLTRACE_OUT       file the records are appended to; unset or
 *                              empty: nothing is recorded or written
 *   OPTIMIZE_CL_BUILD_OPTIONS  appended to the options of every
 *                              clBuildProgram and clCompileProgram
 *   OPTIMIZE_CLTRACE_MAX_RECORDS  launches and transfers kept per process
 *                              (default 1000000); later ones are counted
 *                              as dropped
 *
 * Output (JSON lines, appended under flock so that several processes of one
 * run, e.g. `sh -c` and the program, can share the file):
 *   a process that never calls an interposed OpenCL function appends nothing,
 *   so a program without OpenCL leaves an empty file (the "empty trace");
 *   a process that does appends at exit
 *     {"type":"process","pid":N,"opencl":true,"records":N,"dropped":N,"lost":N}
 *     {"type":"device","index":0,"platform":...,"name":...,...}   one per device
 *     {"type":"kernel","name":...,"device":0,"work_dim":2,"global":[..],
 *      "local":[..] or null,"queued":ns,"submit":ns,"start":ns,"end":ns}
 *     {"type":"read"|"write"|"copy","device":0,"bytes":N,"queued":...,...}
 *   and, immediately when a build fails (so that a program that crashes
 *   afterwards still reports it),
 *     {"type":"build_error","function":"clBuildProgram","status":-11,
 *      "device":"...","options":"...","log":"..."}
 *
 * Profiling info is collected lazily: events stay pending (the application's
 * own event retained, or one created here) until clFinish, clWaitForEvents,
 * clReleaseCommandQueue or exit, when they are complete; then the four
 * timestamps are read and the reference held here is released.
 *
 * Not covered: programs that dlopen libOpenCL and look functions up
 * themselves, clEnqueueTask and the *Rect/Fill/Map transfers, queues created
 * through extension entry points, asynchronous builds (a pfn_notify
 * callback), and processes that end with _exit() or a signal (nothing is
 * written then).
 *
 * This file is built without sanitizers and without cJSON: it runs inside
 * arbitrary programs.
 */
#include "cltrace/cltrace_int.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CT_EXPORT              __attribute__((visibility("default")))
#define CT_DEFAULT_MAX_RECORDS 1000000UL

struct ct_real_fns ct_real;

static pthread_once_t ct_once = PTHREAD_ONCE_INIT;
pthread_mutex_t ct_lock = PTHREAD_MUTEX_INITIALIZER;
const char *ct_out;
static const char *ct_options; /* OPTIMIZE_CL_BUILD_OPTIONS; NULL = none */
pid_t ct_pid;
unsigned long ct_max_records = CT_DEFAULT_MAX_RECORDS;
int ct_used;
int ct_closed;

static void *resolve(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p)
		fprintf(stderr, "optimize-cltrace: cannot find the real %s: %s\n", name, dlerror());
	return p;
}

static void ct_init(void)
{
	const char *s;

	ct_real.create_queue = (create_queue_fn)resolve("clCreateCommandQueue");
	ct_real.create_queue_props =
	    (create_queue_props_fn)resolve("clCreateCommandQueueWithProperties");
	ct_real.ndrange = (ndrange_fn)resolve("clEnqueueNDRangeKernel");
	ct_real.read = (read_fn)resolve("clEnqueueReadBuffer");
	ct_real.write = (write_fn)resolve("clEnqueueWriteBuffer");
	ct_real.copy = (copy_fn)resolve("clEnqueueCopyBuffer");
	ct_real.finish = (queue_fn)resolve("clFinish");
	ct_real.release_queue = (queue_fn)resolve("clReleaseCommandQueue");
	ct_real.wait = (wait_fn)resolve("clWaitForEvents");
	ct_real.build = (build_fn)resolve("clBuildProgram");
	ct_real.compile = (compile_fn)resolve("clCompileProgram");

	s = getenv("OPTIMIZE_CLTRACE_OUT");
	ct_out = (s && *s) ? s : NULL;
	s = getenv("OPTIMIZE_CL_BUILD_OPTIONS");
	ct_options = (s && *s) ? s : NULL;
	s = getenv("OPTIMIZE_CLTRACE_MAX_RECORDS");
	if (s && *s) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);
		if (!*end)
			ct_max_records = v;
	}
	ct_pid = getpid();
	/*
	 * Registered here, on the first OpenCL call (after the driver has
	 * initialised), so it runs before the driver's own exit handlers and
	 * long before library destructors: the events can still be read.
	 */
	if (ct_out)
		atexit(ct_atexit);
}

/* Returns 1 when this call should be traced. */
static int ct_enter(void)
{
	int tracing;

	pthread_once(&ct_once, ct_init);
	pthread_mutex_lock(&ct_lock);
	ct_used = 1;
	tracing = ct_out && !ct_closed && getpid() == ct_pid;
	pthread_mutex_unlock(&ct_lock);
	return tracing;
}

/* options + " " + OPTIMIZE_CL_BUILD_OPTIONS; NULL when there is nothing to add
 * (use options as they are) or memory ran out. */
static char *merge_options(const char *options)
{
	size_t a, e;
	char *s;

	if (!ct_options)
		return NULL;
	a = options ? strlen(options) : 0;
	e = strlen(ct_options);
	s = malloc(a + e + 2);
	if (!s)
		return NULL;
	if (a) {
		memcpy(s, options, a);
		s[a++] = ' ';
	}
	memcpy(s + a, ct_options, e + 1);
	return s;
}

/* ---- interposed entry points ------------------------------------------------ */

/* Note the queue's device now, while the driver surely is alive. */
static cl_command_queue queue_created(cl_command_queue q, cl_device_id device)
{
	if (q) {
		pthread_mutex_lock(&ct_lock);
		ct_device_index(device);
		pthread_mutex_unlock(&ct_lock);
	}
	return q;
}

CT_EXPORT cl_command_queue CL_API_CALL clCreateCommandQueue(cl_context context, cl_device_id device,
                                                            cl_command_queue_properties properties,
                                                            cl_int *errcode_ret)
{
	int tracing = ct_enter();

	if (!ct_real.create_queue) {
		if (errcode_ret)
			*errcode_ret = CL_INVALID_OPERATION;
		return NULL;
	}
	if (!tracing)
		return ct_real.create_queue(context, device, properties, errcode_ret);
	return queue_created(ct_real.create_queue(context, device,
	                                          properties | CL_QUEUE_PROFILING_ENABLE,
	                                          errcode_ret),
	                     device);
}

CT_EXPORT cl_command_queue CL_API_CALL
clCreateCommandQueueWithProperties(cl_context context, cl_device_id device,
                                   const cl_queue_properties *properties, cl_int *errcode_ret)
{
	cl_queue_properties local[32], *props = local;
	cl_command_queue q;
	size_t n = 0, i;
	int found = 0;

	if (!ct_enter() || !ct_real.create_queue_props) {
		if (!ct_real.create_queue_props) {
			if (errcode_ret)
				*errcode_ret = CL_INVALID_OPERATION;
			return NULL;
		}
		return ct_real.create_queue_props(context, device, properties, errcode_ret);
	}
	/* Copy the 0-terminated list of (name, value) pairs, OR-ing in profiling. */
	while (properties && properties[n])
		n += 2;
	if (n + 3 > sizeof(local) / sizeof(local[0])) {
		props = malloc((n + 3) * sizeof(*props));
		if (!props)
			return ct_real.create_queue_props(context, device, properties, errcode_ret);
	}
	for (i = 0; i < n; i += 2) {
		props[i] = properties[i];
		props[i + 1] = properties[i + 1];
		if (properties[i] == CL_QUEUE_PROPERTIES) {
			props[i + 1] |= CL_QUEUE_PROFILING_ENABLE;
			found = 1;
		}
	}
	if (!found) {
		props[n++] = CL_QUEUE_PROPERTIES;
		props[n++] = CL_QUEUE_PROFILING_ENABLE;
	}
	props[n] = 0;
	q = ct_real.create_queue_props(context, device, props, errcode_ret);
	if (props != local)
		free(props);
	return queue_created(q, device);
}

CT_EXPORT cl_int CL_API_CALL clEnqueueNDRangeKernel(cl_command_queue queue, cl_kernel kernel,
                                                    cl_uint work_dim, const size_t *offset,
                                                    const size_t *global, const size_t *local,
                                                    cl_uint nwait, const cl_event *wait_list,
                                                    cl_event *event)
{
	cl_event own = NULL, *evp = event ? event : &own;
	char small[256], *name;
	struct rec r;
	cl_int ret;
	cl_uint k;

	if (!ct_enter())
		return ct_real.ndrange ? ct_real.ndrange(queue, kernel, work_dim, offset, global,
		                                         local, nwait, wait_list, event)
		                       : CL_INVALID_OPERATION;
	ret =
	    ct_real.ndrange(queue, kernel, work_dim, offset, global, local, nwait, wait_list, evp);
	if (ret != CL_SUCCESS || !*evp)
		return ret;
	memset(&r, 0, sizeof(r));
	r.kind = REC_KERNEL;
	r.ev = *evp;
	r.queue = queue;
	r.work_dim = (unsigned char)(work_dim > 3 ? 3 : work_dim);
	for (k = 0; k < r.work_dim; k++) {
		r.global[k] = global ? global[k] : 0;
		r.local[k] = local ? local[k] : 0;
	}
	r.has_local = local != NULL;
	name = ct_kernel_name(kernel, small, sizeof(small));
	pthread_mutex_lock(&ct_lock);
	r.name = ct_intern_name(name ? name : "?");
	pthread_mutex_unlock(&ct_lock);
	if (name && name != small)
		free(name);
	ct_add_record(&r, event != NULL);
	return ret;
}

static cl_int transfer_done(cl_int ret, enum rec_kind kind, cl_command_queue queue, size_t bytes,
                            cl_event *evp, int app_event)
{
	struct rec r;

	if (ret != CL_SUCCESS || !*evp)
		return ret;
	memset(&r, 0, sizeof(r));
	r.kind = (unsigned char)kind;
	r.ev = *evp;
	r.queue = queue;
	r.bytes = bytes;
	ct_add_record(&r, app_event);
	return ret;
}

CT_EXPORT cl_int CL_API_CALL clEnqueueReadBuffer(cl_command_queue queue, cl_mem buffer,
                                                 cl_bool blocking, size_t offset, size_t size,
                                                 void *ptr, cl_uint nwait,
                                                 const cl_event *wait_list, cl_event *event)
{
	cl_event own = NULL, *evp = event ? event : &own;

	if (!ct_enter())
		return ct_real.read ? ct_real.read(queue, buffer, blocking, offset, size, ptr,
		                                   nwait, wait_list, event)
		                    : CL_INVALID_OPERATION;
	return transfer_done(
	    ct_real.read(queue, buffer, blocking, offset, size, ptr, nwait, wait_list, evp),
	    REC_READ, queue, size, evp, event != NULL);
}

CT_EXPORT cl_int CL_API_CALL clEnqueueWriteBuffer(cl_command_queue queue, cl_mem buffer,
                                                  cl_bool blocking, size_t offset, size_t size,
                                                  const void *ptr, cl_uint nwait,
                                                  const cl_event *wait_list, cl_event *event)
{
	cl_event own = NULL, *evp = event ? event : &own;

	if (!ct_enter())
		return ct_real.write ? ct_real.write(queue, buffer, blocking, offset, size, ptr,
		                                     nwait, wait_list, event)
		                     : CL_INVALID_OPERATION;
	return transfer_done(
	    ct_real.write(queue, buffer, blocking, offset, size, ptr, nwait, wait_list, evp),
	    REC_WRITE, queue, size, evp, event != NULL);
}

CT_EXPORT cl_int CL_API_CALL clEnqueueCopyBuffer(cl_command_queue queue, cl_mem src, cl_mem dst,
                                                 size_t src_offset, size_t dst_offset, size_t size,
                                                 cl_uint nwait, const cl_event *wait_list,
                                                 cl_event *event)
{
	cl_event own = NULL, *evp = event ? event : &own;

	if (!ct_enter())
		return ct_real.copy ? ct_real.copy(queue, src, dst, src_offset, dst_offset, size,
		                                   nwait, wait_list, event)
		                    : CL_INVALID_OPERATION;
	return transfer_done(
	    ct_real.copy(queue, src, dst, src_offset, dst_offset, size, nwait, wait_list, evp),
	    REC_COPY, queue, size, evp, event != NULL);
}

CT_EXPORT cl_int CL_API_CALL clFinish(cl_command_queue queue)
{
	int tracing = ct_enter();
	cl_int ret;

	if (!ct_real.finish)
		return CL_INVALID_OPERATION;
	ret = ct_real.finish(queue);
	if (tracing && ret == CL_SUCCESS)
		ct_collect(TAKE_QUEUE, queue);
	return ret;
}

CT_EXPORT cl_int CL_API_CALL clWaitForEvents(cl_uint n, const cl_event *list)
{
	int tracing = ct_enter();
	cl_int ret;

	if (!ct_real.wait)
		return CL_INVALID_OPERATION;
	ret = ct_real.wait(n, list);
	if (tracing)
		ct_collect(TAKE_COMPLETE, NULL);
	return ret;
}

CT_EXPORT cl_int CL_API_CALL clReleaseCommandQueue(cl_command_queue queue)
{
	if (ct_enter())
		ct_collect(TAKE_QUEUE, queue);
	return ct_real.release_queue ? ct_real.release_queue(queue) : CL_INVALID_OPERATION;
}

CT_EXPORT cl_int CL_API_CALL clBuildProgram(cl_program program, cl_uint ndev,
                                            const cl_device_id *devs, const char *options,
                                            notify_fn notify, void *user_data)
{
	int tracing = ct_enter();
	char *merged;
	cl_int ret;

	if (!ct_real.build)
		return CL_INVALID_OPERATION;
	merged = merge_options(options);
	ret = ct_real.build(program, ndev, devs, merged ? merged : options, notify, user_data);
	if (tracing && ret != CL_SUCCESS)
		ct_record_build_error("clBuildProgram", ret, program, ndev, devs,
		                      merged ? merged : options);
	free(merged);
	return ret;
}

CT_EXPORT cl_int CL_API_CALL clCompileProgram(cl_program program, cl_uint ndev,
                                              const cl_device_id *devs, const char *options,
                                              cl_uint nheaders, const cl_program *headers,
                                              const char **header_names, notify_fn notify,
                                              void *user_data)
{
	int tracing = ct_enter();
	char *merged;
	cl_int ret;

	if (!ct_real.compile)
		return CL_INVALID_OPERATION;
	merged = merge_options(options);
	ret = ct_real.compile(program, ndev, devs, merged ? merged : options, nheaders, headers,
	                      header_names, notify, user_data);
	if (tracing && ret != CL_SUCCESS)
		ct_record_build_error("clCompileProgram", ret, program, ndev, devs,
		                      merged ? merged : options);
	free(merged);
	return ret;
}
