/*
 * cltrace_int.h: private to the files of liboptimize_cltrace.so (src/cltrace/).
 * cltrace.c holds the interposed entry points, the real ones they call and
 * the settings read at the first call; cltrace_records.c the records, the
 * devices and the writing of the trace. Everything here is hidden: only the
 * interposed OpenCL functions are exported into the traced program.
 */
#ifndef OPTIMIZE_CLTRACE_INT_H
#define OPTIMIZE_CLTRACE_INT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#pragma GCC visibility push(hidden)

/* ---- the real entry points ---------------------------------------------- */

typedef cl_command_queue (*create_queue_fn)(cl_context, cl_device_id, cl_command_queue_properties,
                                            cl_int *);
typedef cl_command_queue (*create_queue_props_fn)(cl_context, cl_device_id,
                                                  const cl_queue_properties *, cl_int *);
typedef cl_int (*ndrange_fn)(cl_command_queue, cl_kernel, cl_uint, const size_t *, const size_t *,
                             const size_t *, cl_uint, const cl_event *, cl_event *);
typedef cl_int (*read_fn)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, void *, cl_uint,
                          const cl_event *, cl_event *);
typedef cl_int (*write_fn)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, const void *, cl_uint,
                           const cl_event *, cl_event *);
typedef cl_int (*copy_fn)(cl_command_queue, cl_mem, cl_mem, size_t, size_t, size_t, cl_uint,
                          const cl_event *, cl_event *);
typedef cl_int (*queue_fn)(cl_command_queue);
typedef cl_int (*wait_fn)(cl_uint, const cl_event *);
typedef void(CL_CALLBACK *notify_fn)(cl_program, void *);
typedef cl_int (*build_fn)(cl_program, cl_uint, const cl_device_id *, const char *, notify_fn,
                           void *);
typedef cl_int (*compile_fn)(cl_program, cl_uint, const cl_device_id *, const char *, cl_uint,
                             const cl_program *, const char **, notify_fn, void *);
struct ct_real_fns {
	create_queue_fn create_queue;
	create_queue_props_fn create_queue_props;
	ndrange_fn ndrange;
	read_fn read;
	write_fn write;
	copy_fn copy;
	queue_fn finish;
	queue_fn release_queue;
	wait_fn wait;
	build_fn build;
	compile_fn compile;
};

/* The loader's definitions (dlsym RTLD_NEXT), resolved at the first call. */
extern struct ct_real_fns ct_real;

/* ---- state --------------------------------------------------------------- */

enum rec_kind { REC_KERNEL, REC_READ, REC_WRITE, REC_COPY };

struct rec {
	cl_event ev; /* pending while non-NULL; this library holds one reference */
	cl_command_queue queue;
	cl_ulong t[4]; /* queued, submit, start, end */
	size_t global[3], local[3];
	size_t bytes;
	cl_int error;  /* CL error reading the profile; 0 = t[] valid */
	unsigned name; /* index into names (kernels) */
	unsigned char kind, device, work_dim, has_local;
};

enum take_mode {
	TAKE_COMPLETE, /* those already complete (or failed) */
	TAKE_QUEUE,    /* those of one queue, waiting for them */
	TAKE_ALL,      /* all, waiting for them */
};

extern pthread_mutex_t ct_lock;
extern const char *ct_out; /* OPTIMIZE_CLTRACE_OUT; NULL = not tracing */
extern pid_t ct_pid;       /* the process that loaded the library */
extern unsigned long ct_max_records;
extern int ct_used;   /* an interposed function was called */
extern int ct_closed; /* the records were written; pass through from now on */

/* ---- records (cltrace_records.c) ------------------------------------------ */

/* The device's index in the trace, described on first sight. Called with ct_lock held. */
unsigned ct_device_index(cl_device_id dev);
/* The kernel name's index. Called with ct_lock held. */
unsigned ct_intern_name(const char *s);
/* k's function name, in small when it fits, else allocated (free it if != small). */
char *ct_kernel_name(cl_kernel k, char *small, size_t small_len);
/* Keep rec (with ev) as pending; app_event: ev is the application's. */
void ct_add_record(struct rec *r, int app_event);
/* Read the profile of the pending records selected by mode and release their events. */
void ct_collect(enum take_mode mode, cl_command_queue q);
/* Registered with atexit at the first call: collect everything and write the trace. */
void ct_atexit(void);
/* Append a build_error record per device (to the trace, at once). */
void ct_record_build_error(const char *fn, cl_int status, cl_program prog, cl_uint ndev,
                           const cl_device_id *devs, const char *options);

#pragma GCC visibility pop

#endif
