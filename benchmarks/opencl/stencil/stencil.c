/*
 * stencil: Jacobi iterations of a 5-point 2D stencil on an n x n float grid
 * on an OpenCL device (kernels/stencil.cl: one work-item per cell, every
 * neighbour read from global memory, one launch per iteration, two buffers
 * swapped). Boundary cells keep their value. The host runs the same
 * iterations, compares every cell and prints a checksum.
 *
 * Usage: stencil [n [iterations]]   (default 1024, 100 iterations)
 * Env:   STENCIL_WG=W               work-group of W x W (default: the driver's)
 */
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_FILE "kernels/stencil.cl"

static void die_cl(cl_int err, const char *what)
{
	if (err != CL_SUCCESS) {
		fprintf(stderr, "stencil: %s failed: %d\n", what, err);
		exit(2);
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *s;

	if (!f) {
		fprintf(stderr, "stencil: cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "stencil: cannot read %s\n", path);
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
		fprintf(stderr, "stencil: %s must be a work-group size from 1 to 1024\n", name);
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
		fprintf(stderr, "stencil: building %s failed:\n%s\n", path, log ? log : "");
		exit(2);
	}
	free(src);
	return prog;
}

static size_t round_up(size_t v, size_t m)
{
	return (v + m - 1) / m * m;
}


struct cl {
	cl_device_id dev;
	cl_context ctx;
	cl_command_queue q;
	cl_program prog;
};

static void cl_setup(struct cl *c)
{
	cl_platform_id plat;
	cl_int err;

	die_cl(clGetPlatformIDs(1, &plat, NULL), "clGetPlatformIDs");
	die_cl(clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 1, &c->dev, NULL), "clGetDeviceIDs");
	c->ctx = clCreateContext(NULL, 1, &c->dev, NULL, NULL, &err);
	die_cl(err, "clCreateContext");
	c->q = clCreateCommandQueue(c->ctx, c->dev, 0, &err);
	die_cl(err, "clCreateCommandQueue");
	c->prog = build(c->ctx, c->dev, KERNEL_FILE);
}

static void cl_teardown(struct cl *c)
{
	clReleaseProgram(c->prog);
	clReleaseCommandQueue(c->q);
	clReleaseContext(c->ctx);
}

static cl_kernel kernel(struct cl *c, const char *name)
{
	cl_int err;
	cl_kernel k = clCreateKernel(c->prog, name, &err);

	die_cl(err, "clCreateKernel");
	return k;
}

static cl_mem buffer(struct cl *c, cl_mem_flags flags, size_t bytes, void *host)
{
	cl_int err;
	cl_mem m = clCreateBuffer(c->ctx, flags | (host ? CL_MEM_COPY_HOST_PTR : 0), bytes, host,
	                          &err);

	die_cl(err, "clCreateBuffer");
	return m;
}

static void arg(cl_kernel k, cl_uint i, size_t size, const void *v)
{
	die_cl(clSetKernelArg(k, i, size, v), "clSetKernelArg");
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "stencil: out of memory\n");
		exit(2);
	}
	return p;
}

static size_t arg_size(int argc, char **argv, int i, size_t def, size_t max)
{
	char *end;
	unsigned long v;

	if (argc <= i)
		return def;
	v = strtoul(argv[i], &end, 10);
	if (*end || v == 0 || v > max) {
		fprintf(stderr, "stencil: argument %d must be from 1 to %zu\n", i, max);
		exit(2);
	}
	return v;
}

static void host_step(const float *in, float *out, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			size_t p = i * n + j;
			if (i == 0 || j == 0 || i == n - 1 || j == n - 1)
				out[p] = in[p];
			else
				out[p] = 0.2f * (in[p] + in[p - 1] + in[p + 1] + in[p - n] + in[p + n]);
		}
	}
}

int main(int argc, char **argv)
{
	size_t n = arg_size(argc, argv, 1, 1024, 16384);
	size_t iters = arg_size(argc, argv, 2, 100, 100000);
	size_t wg = env_size("STENCIL_WG");
	size_t i, it, bytes = n * n * sizeof(float), global[2], local[2];
	struct cl c;
	cl_kernel k;
	cl_mem bufs[2];
	cl_uint cn = (cl_uint)n;
	float *grid = xmalloc(bytes), *tmp = xmalloc(bytes), *got = xmalloc(bytes), *t;
	double sum = 0;
	int from = 0;

	/* noise on top of a hot square: the noise smooths out at once, the
	 * square spreads slowly, so every iteration shows in the result */
	for (i = 0; i < n * n; i++)
		grid[i] = (float)((i * 13) % 97) / 97.0f +
		          (i / n > n / 4 && i / n < n / 2 && i % n > n / 4 && i % n < n / 2 ? 4.0f : 0.0f);
	cl_setup(&c);
	k = kernel(&c, "stencil");
	bufs[0] = buffer(&c, CL_MEM_READ_WRITE, bytes, grid);
	bufs[1] = buffer(&c, CL_MEM_READ_WRITE, bytes, NULL);
	arg(k, 2, sizeof(cn), &cn);
	local[0] = local[1] = wg;
	global[0] = global[1] = wg ? round_up(n, wg) : n;
	for (it = 0; it < iters; it++) {
		arg(k, 0, sizeof(cl_mem), &bufs[from]);
		arg(k, 1, sizeof(cl_mem), &bufs[!from]);
		die_cl(clEnqueueNDRangeKernel(c.q, k, 2, NULL, global, wg ? local : NULL, 0, NULL,
		                              NULL),
		       "clEnqueueNDRangeKernel");
		from = !from;
	}
	die_cl(clEnqueueReadBuffer(c.q, bufs[from], CL_TRUE, 0, bytes, got, 0, NULL, NULL),
	       "clEnqueueReadBuffer");
	die_cl(clFinish(c.q), "clFinish");

	for (it = 0; it < iters; it++) {
		host_step(grid, tmp, n);
		t = grid;
		grid = tmp;
		tmp = t;
	}
	for (i = 0; i < n * n; i++) {
		if (fabsf(got[i] - grid[i]) > 1e-5f * fabsf(grid[i]) + 1e-6f) {
			fprintf(stderr, "stencil: cell (%zu, %zu) = %.9g, expected %.9g\n", i / n,
			        i % n, (double)got[i], (double)grid[i]);
			return 1;
		}
		sum += (double)got[i] * got[i]; /* smoothing lowers it: depends on every iteration */
	}
	printf("stencil n=%zu iterations=%zu energy %.6e\n", n, iters, sum);
	clReleaseMemObject(bufs[0]);
	clReleaseMemObject(bufs[1]);
	clReleaseKernel(k);
	cl_teardown(&c);
	free(grid);
	free(tmp);
	free(got);
	return 0;
}
