/*
 * opencl_info.c: list the OpenCL platforms and devices (for doctor, and to
 * refuse kernel targets early when there are none).
 */
#include "prof/opencl_info.h"

#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/json.h"

#define MAX_PLATFORMS 32
#define MAX_DEVICES   64
#ifndef CL_PLATFORM_NOT_FOUND_KHR
#define CL_PLATFORM_NOT_FOUND_KHR -1001
#endif

static void platform_str(cl_platform_id plat, cl_platform_info what, struct buf *out)
{
	char s[1024];

	buf_reset(out);
	if (clGetPlatformInfo(plat, what, sizeof(s), s, NULL) == CL_SUCCESS) {
		s[sizeof(s) - 1] = '\0';
		buf_addstr(out, s);
	} else {
		buf_addstr(out, "?");
	}
}

static void device_str(cl_device_id dev, cl_device_info what, struct buf *out)
{
	char s[1024];

	buf_reset(out);
	if (clGetDeviceInfo(dev, what, sizeof(s), s, NULL) == CL_SUCCESS) {
		s[sizeof(s) - 1] = '\0';
		buf_addstr(out, s);
	} else {
		buf_addstr(out, "?");
	}
}

static cl_uint device_uint(cl_device_id dev, cl_device_info what)
{
	cl_uint v = 0;

	clGetDeviceInfo(dev, what, sizeof(v), &v, NULL);
	return v;
}

static cl_ulong device_ulong(cl_device_id dev, cl_device_info what)
{
	cl_ulong v = 0;

	clGetDeviceInfo(dev, what, sizeof(v), &v, NULL);
	return v;
}

static const char *type_name(cl_device_type t)
{
	if (t & CL_DEVICE_TYPE_GPU)
		return "GPU";
	if (t & CL_DEVICE_TYPE_CPU)
		return "CPU";
	if (t & CL_DEVICE_TYPE_ACCELERATOR)
		return "ACCELERATOR";
	if (t & CL_DEVICE_TYPE_CUSTOM)
		return "CUSTOM";
	return "OTHER";
}

static void describe_device(cl_device_id dev, struct buf *text, cJSON *arr)
{
	struct buf name = BUF_INIT, vendor = BUF_INIT, version = BUF_INIT, driver = BUF_INIT;
	cl_device_type type = 0;
	size_t max_wg = 0;
	cl_uint cu, vf, vd, vi;
	cl_ulong lmem, gmem;
	cJSON *o;

	buf_init(&name, 0);
	buf_init(&vendor, 0);
	buf_init(&version, 0);
	buf_init(&driver, 0);
	device_str(dev, CL_DEVICE_NAME, &name);
	device_str(dev, CL_DEVICE_VENDOR, &vendor);
	device_str(dev, CL_DEVICE_VERSION, &version);
	device_str(dev, CL_DRIVER_VERSION, &driver);
	clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof(type), &type, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(max_wg), &max_wg, NULL);
	cu = device_uint(dev, CL_DEVICE_MAX_COMPUTE_UNITS);
	vf = device_uint(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT);
	vd = device_uint(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE);
	vi = device_uint(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT);
	lmem = device_ulong(dev, CL_DEVICE_LOCAL_MEM_SIZE);
	gmem = device_ulong(dev, CL_DEVICE_GLOBAL_MEM_SIZE);

	if (text)
		buf_addf(text,
		         "  device: %s (%s, %s)\n"
		         "    %s, driver %s\n"
		         "    %u compute units, max work-group %zu, local mem %llu KiB, "
		         "global mem %llu MiB\n"
		         "    preferred vector width: float %u, double %u, int %u\n",
		         name.data, type_name(type), vendor.data, version.data, driver.data, cu,
		         max_wg, (unsigned long long)(lmem >> 10), (unsigned long long)(gmem >> 20),
		         vf, vd, vi);
	if (arr) {
		o = json_add_object(arr, NULL);
		if (o) {
			json_add_string(o, "name", name.data);
			json_add_string(o, "vendor", vendor.data);
			json_add_string(o, "version", version.data);
			json_add_string(o, "driver_version", driver.data);
			json_add_string(o, "device_type", type_name(type));
			json_add_number(o, "compute_units", cu);
			json_add_number(o, "max_work_group_size", (double)max_wg);
			json_add_number(o, "local_mem_bytes", (double)lmem);
			json_add_number(o, "global_mem_bytes", (double)gmem);
			json_add_number(o, "pref_vector_width_float", vf);
			json_add_number(o, "pref_vector_width_double", vd);
			json_add_number(o, "pref_vector_width_int", vi);
		}
	}
	buf_release(&name);
	buf_release(&vendor);
	buf_release(&version);
	buf_release(&driver);
}

int opencl_describe(struct buf *text, struct cJSON **json, struct buf *err)
{
	cl_platform_id plats[MAX_PLATFORMS];
	cl_device_id devs[MAX_DEVICES];
	struct buf s = BUF_INIT;
	cl_uint nplat = 0, ndev, i, j;
	cl_int rc;
	cJSON *root = NULL;
	size_t total = 0;

	if (json)
		*json = NULL;
	rc = clGetPlatformIDs(MAX_PLATFORMS, plats, &nplat);
	if (rc == CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && nplat == 0))
		return err_set(err, OPENCL_NO_PLATFORM_MSG);
	if (rc != CL_SUCCESS)
		return err_set(err, "cannot list OpenCL platforms: clGetPlatformIDs returned %d",
		               rc);
	if (nplat > MAX_PLATFORMS)
		nplat = MAX_PLATFORMS;
	if (json) {
		root = cJSON_CreateArray();
		if (!root)
			return err_set(err, "out of memory");
	}
	buf_init(&s, 0);
	for (i = 0; i < nplat; i++) {
		cJSON *po = NULL, *darr = NULL;

		if (clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devs, &ndev) !=
		    CL_SUCCESS)
			ndev = 0;
		if (ndev > MAX_DEVICES)
			ndev = MAX_DEVICES;
		total += ndev;
		platform_str(plats[i], CL_PLATFORM_NAME, &s);
		if (text)
			buf_addf(text, "platform: %s", s.data);
		if (root) {
			po = json_add_object(root, NULL);
			if (po)
				json_add_string(po, "name", s.data);
		}
		platform_str(plats[i], CL_PLATFORM_VENDOR, &s);
		if (text)
			buf_addf(text, " (%s", s.data);
		if (po)
			json_add_string(po, "vendor", s.data);
		platform_str(plats[i], CL_PLATFORM_VERSION, &s);
		if (text)
			buf_addf(text, "; %s)%s\n", s.data, ndev ? "" : ": no device");
		if (po) {
			json_add_string(po, "version", s.data);
			darr = json_add_array(po, "devices");
		}
		for (j = 0; j < ndev; j++)
			describe_device(devs[j], text, darr);
	}
	if (!total) {
		platform_str(plats[0], CL_PLATFORM_NAME, &s);
		err_set(err, "OpenCL platform '%s' has no device", s.data);
		buf_release(&s);
		cJSON_Delete(root);
		return -1;
	}
	buf_release(&s);
	if (json)
		*json = root;
	return 0;
}

int opencl_available(struct buf *why)
{
	return opencl_describe(NULL, NULL, why) == 0;
}
