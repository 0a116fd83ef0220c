/*
 * a11 (issue 9, items 6 and 11): a fork bomb, run under "nproc": 200. Forks
 * up to 3000 children that sleep, counting how many it got, then kills
 * them. Exits 3 when all 3000 ran (the process limit did not bind: as root
 * it would not, were candidates run as root), 5 when a fork was refused
 * (contained: the expected outcome), printing the count on stderr.
 * Expected: refused by RLIMIT_NPROC of the unprivileged user candidates run
 * as, and by the run's cgroup (pids.max) where there is one; the candidate
 * is rejected with exit 5.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define WANT 3000

int main(void)
{
	static pid_t kids[WANT];
	int n = 0;

	for (; n < WANT; n++) {
		pid_t pid = fork();

		if (pid == 0) {
			sleep(30);
			_exit(0);
		}
		if (pid < 0)
			break;
		kids[n] = pid;
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	fprintf(stderr, "a11-fork-bomb: %d of %d forks\n", n, WANT);
	return n == WANT ? 3 : 5;
}
