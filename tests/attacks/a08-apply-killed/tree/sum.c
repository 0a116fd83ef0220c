/* sum.c: sums i*i mod 7 for i < n, the slow way (the loop is repeated). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long total = 0;
	volatile unsigned long sink = 0;

	for (int rep = 0; rep < 8; rep++) {
		unsigned long s = 0;
		for (long i = 0; i < n; i++)
			s += (unsigned long)(i * i) % 7;
		sink = s;
		total = s;
	}
	(void)sink;
	printf("n %ld sum %lu\n", n, total);
	return 0;
}
