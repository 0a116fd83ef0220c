/*
 * a04 (issue 9, item 4): slow the original down. The first run of this
 * candidate replaces the original's binary (<state>/work/<run-id>/<target>/
 * c0000/sum) with a wrapper that sleeps 50 ms and then runs the real one,
 * so that this rewrite, which computes the same thing six times slower, looks
 * faster. Expected: the state directory is hidden from candidates (nothing
 * to replace: not faster); without the mount namespace the original's build
 * no longer matches its seal before its next timed run, and the target
 * stops with "tampering", naming this candidate as the last to run.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void slow_the_original(void)
{
	char cwd[4096], a[4096], bin[8192], real[8192];
	FILE *f;

	if (!getcwd(cwd, sizeof(cwd)))
		return;
	strcpy(a, cwd);
	snprintf(bin, sizeof(bin), "%s/c0000/sum", dirname(a));
	snprintf(real, sizeof(real), "%s.real", bin);
	if (access(real, F_OK) == 0)
		return; /* done already */
	if (rename(bin, real) < 0) {
		fprintf(stderr, "a04: cannot reach the original's binary %s\n", bin);
		return;
	}
	if (!(f = fopen(bin, "w")))
		return;
	fprintf(f, "#!/bin/sh\nsleep 0.05\nexec %s \"$@\"\n", real);
	fclose(f);
	chmod(bin, 0755);
	fprintf(stderr, "a04: replaced %s\n", bin);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long total = 0;
	volatile unsigned long sink = 0;

	slow_the_original();
	for (int rep = 0; rep < 48; rep++) { /* slower than the original: never faster by noise */
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
