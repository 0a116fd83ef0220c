/* out (cols x rows) = transpose of in (rows x cols), row-major. Work-item
 * (i, j) copies in[i][j]; neighbours in dimension 0 read a row apart. */
__kernel void transpose(__global const float *in, __global float *out, uint rows, uint cols)
{
	size_t i = get_global_id(0);
	size_t j = get_global_id(1);

	if (i >= rows || j >= cols)
		return;
	out[j * rows + i] = in[i * cols + j];
}
