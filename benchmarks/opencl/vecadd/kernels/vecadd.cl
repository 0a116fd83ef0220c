/* c[i] = a[i] + b[i]: one load of each input and one store per work-item. */
__kernel void vecadd(__global const float *a, __global const float *b, __global float *c,
                     uint n)
{
	size_t i = get_global_id(0);

	if (i < n)
		c[i] = a[i] + b[i];
}
