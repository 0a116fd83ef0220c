/* C = A * B, n x n, row-major. One work-item per element of C; every
 * work-item reads a whole row of A and a whole column of B from global
 * memory (no tiling in local memory). */
__kernel void matmul(__global const float *a, __global const float *b, __global float *c,
                     uint n)
{
	size_t col = get_global_id(0);
	size_t row = get_global_id(1);
	float acc = 0.0f;

	if (row >= n || col >= n)
		return;
	for (uint k = 0; k < n; k++)
		acc += a[row * n + k] * b[k * n + col];
	c[row * n + col] = acc;
}
