/*
 * a07 (issue 9, item 7): stop and kill the tool. Walks up its ancestors
 * through /proc and sends SIGSTOP, then SIGKILL, to every one named
 * "optimize"; and, only where it sits in a PID namespace of its own (a pid
 * under 100: never on the real machine), kill(-1, SIGKILL). Prints the
 * right sum, but exits 3 saying whether it reached the tool.
 * Expected: in its own PID namespace the tool is not even visible (getppid()
 * is 0); the run goes on and the report names this candidate's failure.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parent_of(int pid, char *comm, size_t n)
{
	char path[64], line[512], *close_paren, *open_paren;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	open_paren = strchr(line, '(');
	close_paren = strrchr(line, ')');
	if (!open_paren || !close_paren)
		return 0;
	snprintf(comm, n, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	if (sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = 0;
	int hit = 0, pid = getppid();
	char comm[64];

	while (pid > 1) {
		int up = parent_of(pid, comm, sizeof(comm));

		if (strcmp(comm, "optimize") == 0) {
			hit += kill(pid, SIGSTOP) == 0;
			hit += kill(pid, SIGKILL) == 0;
		}
		pid = up;
	}
	if (getpid() < 100)
		kill(-1, SIGKILL);
	for (long i = 0; i < n; i++)
		s += (unsigned long)(i * i) % 7;
	printf("n %ld sum %lu\n", n, s);
	fprintf(stderr, "a07: %s\n", hit ? "signalled the tool" : "the tool was out of reach");
	return 3;
}
