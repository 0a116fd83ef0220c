/*
 * transpose: out = transpose(in) for a rows x cols float matrix on an
 * OpenCL device (kernels/transpose.cl). Consecutive work-items take
 * consecutive rows of the input, so their reads are a whole row apart
 * (uncoalesced), and no tile goes through local memory. The host checks
 * every element and prints a checksum.
 *
 * Usage: transpose [rows [cols [reps]]]   (default 4096 x 4096, 4 repetitions)
 * Env:   TRANSPOSE_WG=W             work-group of W x W (default: the driver's)
 */
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_FILE "kernels/transpose.cl"

static void die_cl(cl_int err, const char *what)
{
	if (err != CL_SUCCESS) {
		fprintf(stderr, "transpose: %s failed: %d\n", what, err);
		exit(2);
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *s;

	if (!f) {
		fprintf(stderr, "transpose: cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "transpose: cannot read %s\n", path);
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
		fprintf(stderr, "transpose: %s must be a work-group size from 1 to 1024\n", name);
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
		fprintf(stderr, "transpose: building %s failed:\n%s\n", path, log ? log : "");
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
		fprintf(stderr, "transpose: out of memory\n");
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
		fprintf(stderr, "transpose: argument %d must be from 1 to %zu\n", i, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	size_t rows = arg_size(argc, argv, 1, 4096, 16384);
	size_t cols = arg_size(argc, argv, 2, rows, 16384);
	size_t reps = arg_size(argc, argv, 3, 4, 1000);
	size_t wg = env_size("TRANSPOSE_WG");
	size_t i, j, r, bytes = rows * cols * sizeof(float), global[2], local[2];
	struct cl c;
	cl_kernel k;
	cl_mem din, dout;
	cl_uint cr = (cl_uint)rows, cc = (cl_uint)cols;
	float *in = xmalloc(bytes), *out = xmalloc(bytes);
	double sum = 0;

	for (i = 0; i < rows * cols; i++)
		in[i] = (float)(i % 4099) * 0.5f;
	cl_setup(&c);
	k = kernel(&c, "transpose");
	din = buffer(&c, CL_MEM_READ_ONLY, bytes, in);
	dout = buffer(&c, CL_MEM_WRITE_ONLY, bytes, NULL);
	arg(k, 0, sizeof(cl_mem), &din);
	arg(k, 1, sizeof(cl_mem), &dout);
	arg(k, 2, sizeof(cr), &cr);
	arg(k, 3, sizeof(cc), &cc);
	/* dimension 0 runs over rows of the input, dimension 1 over columns */
	local[0] = local[1] = wg;
	global[0] = wg ? round_up(rows, wg) : rows;
	global[1] = wg ? round_up(cols, wg) : cols;
	for (r = 0; r < reps; r++)
		die_cl(clEnqueueNDRangeKernel(c.q, k, 2, NULL, global, wg ? local : NULL, 0, NULL,
		                              NULL),
		       "clEnqueueNDRangeKernel");
	die_cl(clEnqueueReadBuffer(c.q, dout, CL_TRUE, 0, bytes, out, 0, NULL, NULL),
	       "clEnqueueReadBuffer");
	die_cl(clFinish(c.q), "clFinish");
	for (i = 0; i < rows; i++) {
		for (j = 0; j < cols; j++) {
			if (out[j * rows + i] != in[i * cols + j]) {
				fprintf(stderr, "transpose: out[%zu][%zu] = %g, expected %g\n", j, i,
				        (double)out[j * rows + i], (double)in[i * cols + j]);
				return 1;
			}
			sum += out[j * rows + i] * (double)((i + 2 * j) % 7);
		}
	}
	printf("transpose %zux%zu checksum %.6e\n", rows, cols, sum);
	clReleaseMemObject(din);
	clReleaseMemObject(dout);
	clReleaseKernel(k);
	cl_teardown(&c);
	free(in);
	free(out);
	return 0;
}
