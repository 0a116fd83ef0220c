/* sum.c: the same sum, computed once (the honest winner). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	volatile unsigned long s = 0;

	for (long i = 0; i < n; i++)
		s += (unsigned long)(i * i) % 7;
	printf("n %ld sum %lu\n", n, (unsigned long)s);
	return 0;
}
