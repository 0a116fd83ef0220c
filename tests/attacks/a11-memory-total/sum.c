/*
 * a11 (issue 9, item 11): limits per process are no total. Forks 4 children
 * that each touch 256 MiB (under a memory_mb of 300, each is within its own
 * limit), waits until all four hold their memory at once, then prints the
 * right sum in closed form. Exits 3 when a child did not make it.
 * Expected: with a cgroup per run, the run's processes together are held to
 * memory_mb: the kernel kills one, the candidate is rejected, the report
 * says why. Without one (a normal user here), the report says the limits
 * are per process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 4
#define CHUNK    (256L << 20)

int main(int argc, char **argv)
{
	static const unsigned long r[7] = {0, 1, 4, 2, 2, 4, 1};
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = (unsigned long)(n / 7) * 14;
	int hold[2], failed = 0;
	char b;

	if (pipe(hold) < 0)
		return 3;
	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			/* volatile: the compiler must not drop the stores */
			volatile char *p = malloc(CHUNK);

			close(hold[1]);
			if (!p)
				_exit(1);
			for (long k = 0; k < CHUNK; k += 4096)
				p[k] = 1;
			/* hold it until the parent says so (EOF) */
			while (read(hold[0], &b, 1) > 0)
				;
			_exit(p[CHUNK - 4096] == 1 ? 0 : 1);
		}
		if (pid < 0)
			failed = 1;
	}
	close(hold[0]);
	sleep(1); /* all four hold 256 MiB now */
	close(hold[1]);
	for (int i = 0; i < CHILDREN; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	}
	if (failed) {
		fprintf(stderr, "a11-memory-total: a child did not hold its 256 MiB\n");
		return 3;
	}
	for (long i = 0; i < n % 7; i++)
		s += r[i];
	printf("n %ld sum %lu\n", n, s);
	return 0;
}
