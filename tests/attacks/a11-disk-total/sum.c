/*
 * a11 (issue 9, item 11): a file size limit per file is no total. Writes 5
 * files of 60 MiB into its workspace (under a file_mb of 64 each is within
 * the limit), then prints the right sum in closed form. Exits 3 when a
 * write failed.
 * Expected: the run's disk total (file_mb for all its files together) stops
 * it; the candidate is rejected and the report says why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILES 5
#define SIZE  (60L << 20)

int main(int argc, char **argv)
{
	static const unsigned long r[7] = {0, 1, 4, 2, 2, 4, 1};
	static char block[1 << 20];
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = (unsigned long)(n / 7) * 14;

	memset(block, 'a', sizeof(block));
	for (int i = 0; i < FILES; i++) {
		char name[32];
		FILE *f;

		snprintf(name, sizeof(name), "a11-fill.%d", i);
		f = fopen(name, "w");
		if (!f)
			return 3;
		for (long w = 0; w < SIZE; w += (long)sizeof(block))
			if (fwrite(block, 1, sizeof(block), f) != sizeof(block)) {
				fclose(f);
				return 3;
			}
		if (fclose(f) != 0)
			return 3;
		/* slow enough that the tool looks in between */
		usleep(300000);
	}
	for (long i = 0; i < n % 7; i++)
		s += r[i];
	printf("n %ld sum %lu\n", n, s);
	return 0;
}
