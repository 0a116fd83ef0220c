/*
 * opencl_info.h: which OpenCL platforms and devices this machine has, for
 * `optimize doctor` and for refusing kernel targets early with a clear
 * message when there are none.
 *
 * The ICD loader caches the platform list at the first OpenCL call of the
 * process, so what these report cannot change later in the same process.
 */
#ifndef OPTIMIZE_OPENCL_INFO_H
#define OPTIMIZE_OPENCL_INFO_H

#include "base/buf.h"

struct cJSON;

/* The message when the ICD loader finds no platform. */
#define OPENCL_NO_PLATFORM_MSG                                                                     \
	"no OpenCL platform found (install an OpenCL ICD, e.g. pocl-opencl-icd, or the GPU "       \
	"vendor's)"

/*
 * Describe every platform and its devices: name, vendor, version, driver,
 * type, compute units, max work-group size, local and global memory,
 * preferred vector widths (float, double, int). text (may be NULL) receives
 * lines for humans, appended; *json (json may be NULL) receives a new array
 * of platform objects {"name", "vendor", "version", "devices": [...]} that
 * the caller frees with cJSON_Delete. Returns 0, or -1 with err set (and
 * nothing returned in *json) when there is no platform or no device:
 * OPENCL_NO_PLATFORM_MSG, or "OpenCL platform 'X' has no device".
 */
int opencl_describe(struct buf *text, struct cJSON **json, struct buf *err);

/*
 * 1 when at least one OpenCL device can be used; 0 otherwise, with why
 * (may be NULL) receiving the reason (as opencl_describe's err).
 */
int opencl_available(struct buf *why);

#endif
