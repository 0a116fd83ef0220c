/* One pass of a pairwise sum: out[i] = in[2i] + in[2i+1] for the first
 * ceil(len/2) elements. The host launches it again and again until one
 * element is left. */
__kernel void reduce_pass(__global const float *in, __global float *out, uint len)
{
	size_t i = get_global_id(0);
	size_t pairs = (len + 1) / 2;

	if (i >= pairs)
		return;
	out[i] = in[2 * i] + (2 * i + 1 < len ? in[2 * i + 1] : 0.0f);
}
