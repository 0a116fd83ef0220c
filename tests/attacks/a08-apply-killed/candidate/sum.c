/*
 * a08 (issue 9, item 8): an honest winner that changes two files (sum.c
 * needs the new sum.h). The test kills --apply between the two renames;
 * the next `optimize apply --recover` (or run) completes the change, and
 * no temporary file is left in the tree.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sum.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = (unsigned long)(n / 7) * 14;

	for (long i = 0; i < n % 7; i++)
		s += r[i];
	printf("n %ld sum %lu\n", n, s);
	return 0;
}
