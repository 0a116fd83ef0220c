/* big.c: prints 17 MiB of table, then its checksum (past the 16 MiB capture cap). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long seed = argc > 1 ? atol(argv[1]) : 1;
	unsigned long sum = 0;

	for (long i = 0; i < 17L * 1024 * 64; i++) { /* 16 bytes a line */
		unsigned long v = (unsigned long)(i * seed) % 1000000;
		sum += v;
		printf("row %11lu\n", v);
	}
	printf("checksum %lu\n", sum);
	return 0;
}
