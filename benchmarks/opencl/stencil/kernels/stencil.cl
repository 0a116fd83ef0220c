/* One Jacobi step of a 5-point stencil on an n x n grid, row-major.
 * Boundary cells are copied. */
__kernel void stencil(__global const float *in, __global float *out, uint n)
{
	size_t j = get_global_id(0);
	size_t i = get_global_id(1);
	size_t p = i * n + j;

	if (i >= n || j >= n)
		return;
	if (i == 0 || j == 0 || i == n - 1 || j == n - 1) {
		out[p] = in[p];
		return;
	}
	out[p] = 0.2f * (in[p] + in[p - 1] + in[p + 1] + in[p - n] + in[p + n]);
}
