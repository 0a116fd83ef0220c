/*
 * a07 (issue 9, item 7): outlive the tool. Starts a daemon (setsid, named
 * "a07-orphan") and then waits, so that the test can SIGKILL the tool
 * while both run.
 * Expected: when the tool dies, its child dies (PR_SET_PDEATHSIG), the PID
 * namespace's init with it, and so every process of the namespace: no
 * "a07-orphan" survives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void)
{
	if (fork() == 0) {
		setsid();
		prctl(PR_SET_NAME, "a07-orphan");
		for (int i = 0; i < 600; i++)
			sleep(1);
		_exit(0);
	}
	sleep(300);
	printf("n 0 sum 0\n");
	return 0;
}
