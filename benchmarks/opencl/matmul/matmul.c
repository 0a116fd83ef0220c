/*
 * matmul: C = A * B for n x n single-precision matrices on an OpenCL device,
 * with a naive kernel (kernels/matmul.cl: one work-item per element of C,
 * no local-memory tiling). The host checks the result (every element for
 * small n, a sample of rows and columns for large n) and prints a checksum.
 *
 * Usage: matmul [n]              (default 512)
 * Env:   MATMUL_WG=W             work-group of W x W (default: the driver's)
 */
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_FILE "kernels/matmul.cl"

static void die_cl(cl_int err, const char *what)
{
	if (err != CL_SUCCESS) {
		fprintf(stderr, "matmul: %s failed: %d\n", what, err);
		exit(2);
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *s;

	if (!f) {
		fprintf(stderr, "matmul: cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "matmul: cannot read %s\n", path);
		exit(2);
	}
	s[n] = '\0';
	fclose(f);
	return s;
}

static size_t env_size(const char *name)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > 1024) {
		fprintf(stderr, "matmul: %s must be a work-group size from 1 to 1024\n", name);
		exit(2);
	}
	return v;
}

static cl_program build(cl_context ctx, cl_device_id dev, const char *path)
{
	char *src = read_file(path);
	cl_int err;
	cl_program prog = clCreateProgramWithSource(ctx, 1, (const char **)&src, NULL, &err);

	die_cl(err, "clCreateProgramWithSource");
	err = clBuildProgram(prog, 1, &dev, "", NULL, NULL);
	if (err != CL_SUCCESS) {
		size_t n = 0;
		char *log;

		clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
		log = calloc(1, n + 1);
		if (log)
			clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, n, log, NULL);
		fprintf(stderr, "matmul: building %s failed:\n%s\n", path, log ? log : "");
		exit(2);
	}
	free(src);
	return prog;
}

static size_t round_up(size_t v, size_t m)
{
	return (v + m - 1) / m * m;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
	size_t wg = env_size("MATMUL_WG");
	size_t i, j, k, bytes, global[2], local[2];
	cl_platform_id plat;
	cl_device_id dev;
	cl_context ctx;
	cl_command_queue q;
	cl_program prog;
	cl_kernel kern;
	cl_mem da, db, dc;
	cl_int err;
	cl_uint cn;
	float *a, *b, *c;
	double sum = 0;
	size_t step, bad = 0;

	if (n == 0 || n > 8192) {
		fprintf(stderr, "usage: matmul [n]   (1 <= n <= 8192)\n");
		return 2;
	}
	bytes = n * n * sizeof(float);
	a = malloc(bytes);
	b = malloc(bytes);
	c = malloc(bytes);
	if (!a || !b || !c)
		return 2;
	for (i = 0; i < n * n; i++) {
		a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
		b[i] = (float)((i * 5) % 11) / 11.0f - 0.25f;
	}

	die_cl(clGetPlatformIDs(1, &plat, NULL), "clGetPlatformIDs");
	die_cl(clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 1, &dev, NULL), "clGetDeviceIDs");
	ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
	die_cl(err, "clCreateContext");
	q = clCreateCommandQueue(ctx, dev, 0, &err);
	die_cl(err, "clCreateCommandQueue");
	prog = build(ctx, dev, KERNEL_FILE);
	kern = clCreateKernel(prog, "matmul", &err);
	die_cl(err, "clCreateKernel");

	da = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, a, &err);
	die_cl(err, "clCreateBuffer");
	db = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, b, &err);
	die_cl(err, "clCreateBuffer");
	dc = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, bytes, NULL, &err);
	die_cl(err, "clCreateBuffer");
	cn = (cl_uint)n;
	die_cl(clSetKernelArg(kern, 0, sizeof(da), &da), "clSetKernelArg");
	die_cl(clSetKernelArg(kern, 1, sizeof(db), &db), "clSetKernelArg");
	die_cl(clSetKernelArg(kern, 2, sizeof(dc), &dc), "clSetKernelArg");
	die_cl(clSetKernelArg(kern, 3, sizeof(cn), &cn), "clSetKernelArg");

	/* The global size is rounded up to whole work-groups; the kernel
	 * ignores work-items outside the matrix. */
	local[0] = local[1] = wg;
	global[0] = global[1] = wg ? round_up(n, wg) : n;
	die_cl(clEnqueueNDRangeKernel(q, kern, 2, NULL, global, wg ? local : NULL, 0, NULL, NULL),
	       "clEnqueueNDRangeKernel");
	die_cl(clEnqueueReadBuffer(q, dc, CL_TRUE, 0, bytes, c, 0, NULL, NULL),
	       "clEnqueueReadBuffer");
	die_cl(clFinish(q), "clFinish");

	/* Check every element up to n = 128, else every step-th row and column. */
	step = n <= 128 ? 1 : n / 61;
	for (i = 0; i < n; i += step) {
		for (j = 0; j < n; j += step) {
			double want = 0;
			for (k = 0; k < n; k++)
				want += (double)a[i * n + k] * b[k * n + j];
			if (fabs(c[i * n + j] - want) > 1e-4 * (double)n * 0.5 + 1e-4) {
				if (bad++ < 5)
					fprintf(stderr, "matmul: C[%zu][%zu] = %g, expected %g\n", i,
					        j, (double)c[i * n + j], want);
			}
		}
	}
	if (bad) {
		fprintf(stderr, "matmul: %zu wrong elements\n", bad);
		return 1;
	}
	for (i = 0; i < n * n; i++)
		sum += c[i];
	printf("matmul n=%zu checksum %.6e\n", n, sum);

	clReleaseMemObject(da);
	clReleaseMemObject(db);
	clReleaseMemObject(dc);
	clReleaseKernel(kern);
	clReleaseProgram(prog);
	clReleaseCommandQueue(q);
	clReleaseContext(ctx);
	free(a);
	free(b);
	free(c);
	return 0;
}
