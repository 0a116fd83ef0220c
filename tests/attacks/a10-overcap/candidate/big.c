/*
 * a10 (issue 9, item 10): the table is right, the checksum after it is
 * wrong. Its output passes the 16 MiB capture cap, so a comparison of what
 * was captured would never see the checksum. Expected: outputs past the cap
 * are never compared cut short; the target stops with the reason.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long seed = argc > 1 ? atol(argv[1]) : 1;

	for (long i = 0; i < 17L * 1024 * 64; i++)
		printf("row %11lu\n", (unsigned long)(i * seed) % 1000000);
	printf("checksum 0\n");
	return 0;
}
