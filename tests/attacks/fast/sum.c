/* sum.c: the same sum in closed form (the honest winner): i*i mod 7 has period 7. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static const unsigned long r[7] = {0, 1, 4, 2, 2, 4, 1};
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = (unsigned long)(n / 7) * 14;

	for (long i = 0; i < n % 7; i++)
		s += r[i];
	printf("n %ld sum %lu\n", n, s);
	return 0;
}
