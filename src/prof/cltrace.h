/*
 * cltrace.h: the tool's side of the OpenCL interposer (liboptimize_cltrace.so,
 * src/cltrace/cltrace.c): where to find it, how to run a program under it,
 * and how to read what it wrote into a struct profile.
 *
 * Running a program under the interposer:
 *
 *	struct strlist env = {0};
 *	cltrace_env(trace, target->cl_build_options, &env, err);
 *	spec.env_add = (const char *const *)env.v;   (NULL-terminated)
 *	unlink(trace); proc_run_sh(&spec, cmd, &res, err);
 *	cltrace_read(trace, &prof, err);
 *	cltrace_objective(&prof, kernel_or_null, &ms, err);
 *
 * The trace file is JSON lines that every process of the run appends to at
 * its exit (format in src/cltrace/cltrace.c). A process that never calls
 * OpenCL appends nothing, so a program without OpenCL leaves an empty file:
 * cltrace_read then gives a profile with no device and no kernels, and
 * cltrace_objective fails. A missing file means no process of the run
 * reached its exit normally with the interposer loaded.
 *
 * Ownership: strings pushed to env_out belong to the strlist; what
 * cltrace_read puts into the profile belongs to the profile.
 */
#ifndef OPTIMIZE_CLTRACE_H
#define OPTIMIZE_CLTRACE_H

#include "base/buf.h"
#include "base/strlist.h"
#include "prof/profile.h"

#define CLTRACE_LIB_NAME "liboptimize_cltrace.so"

/*
 * Find liboptimize_cltrace.so; out receives its absolute path (replacing its
 * contents). Looked for, in order:
 *  1. $OPTIMIZE_CLTRACE_LIB (an error if set but not readable);
 *  2. the directory of the running executable (/proc/self/exe): the build
 *     directory holds both optimize and the library;
 *  3. its parent (unit tests run from <build>/tests/);
 *  4. <exe dir>/../lib/optimize/ and <exe dir>/../lib/ (an installed tree);
 *  5. <source dir>/build/ when the build defines OPTIMIZE_SOURCE_DIR.
 * The path must not contain spaces or colons (LD_PRELOAD splits on them).
 */
int cltrace_library_path(struct buf *out, struct buf *err);

/*
 * Push the environment entries that run a program under the interposer to
 * env_out, NULL-terminated so that env_out->v can be proc_spec.env_add:
 *   LD_PRELOAD=<library>[:<the inherited LD_PRELOAD>]
 *   OPTIMIZE_CLTRACE_OUT=<trace_path, made absolute>
 *   OPTIMIZE_CL_BUILD_OPTIONS=<build_options, "" when NULL>
 * The NULL terminator is not counted in env_out->n; push more entries with
 * strlist_push and the list stays NULL-terminated. The caller removes a
 * stale trace file before the run.
 */
int cltrace_env(const char *trace_path, const char *build_options, struct strlist *env_out,
                struct buf *err);

/*
 * Read a trace into out: out->device (the first device a queue was created
 * on), out->kernels (one per kernel name, slowest total first: launches,
 * total/mean/median/min/max device ms from the start and end timestamps,
 * the first launch's geometry), out->cl_build_log (every failed build's log,
 * NULL if none), and the metrics "opencl-kernel-time" (ms),
 * "opencl-launches", "opencl-transfer-time" (ms) and "opencl-transfer-size"
 * (KiB), backend "cltrace". Replaces what out held of these; other metrics
 * are kept. An empty trace is not an error.
 */
int cltrace_read(const char *trace_path, struct profile *out, struct buf *err);
/*
 * The same for a trace already in memory (len bytes, NUL bytes allowed);
 * `origin` names it in messages. cltrace_read streams the file line by line
 * through the same per-line reader instead, so that a long trace is never
 * held whole. For tests and the fuzzer.
 */
int cltrace_parse(const char *text, size_t len, const char *origin, struct profile *out,
                  struct buf *err);

/*
 * The kernel_time objective in ms: the device time of every launch, or of
 * the launches of one kernel (kernel_name != NULL). Fails when no launch
 * was recorded, or the named kernel never ran.
 */
int cltrace_objective(const struct profile *p, const char *kernel_name, double *ms,
                      struct buf *err);

/*
 * A per-kernel table for humans: the device line, then per kernel launches,
 * device time total/mean/median/min/max in ms and the first launch's global
 * and local size; the build log if there is one. Appends to out; writes
 * "no OpenCL kernel launches were recorded" when there are none.
 */
int cltrace_render_table(const struct profile *p, struct buf *out);

/* "CL_BUILD_PROGRAM_FAILURE" for -11 and so on; "CL error" for unknown codes. */
const char *cltrace_error_name(int code);

#endif
