/*
 * a07 (issue 9, items 6 and 7): read the tool's environment (API keys)
 * through /proc/<ancestor>/environ and /proc/1/environ, and print any
 * variable ending in _KEY it finds. Exits 3.
 * Expected: in its own PID namespace no ancestor of ours is visible, and
 * pid 1 is the namespace's own init; no key reaches any output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void dump(int pid)
{
	char path[64], env[65536];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	len = fread(env, 1, sizeof(env) - 1, f);
	fclose(f);
	env[len] = '\0';
	for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
		const char *eq = strchr(env + i, '=');
		if (eq && eq - (env + i) > 4 && strncmp(eq - 4, "_KEY", 4) == 0)
			printf("found %s\n", env + i);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = 0;
	int pid = getppid();

	/* the parent chain: whatever /proc shows of it */
	for (int depth = 0; pid > 1 && depth < 16; depth++) {
		char path[64], line[512], *p;
		FILE *f;

		dump(pid);
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f || !fgets(line, sizeof(line), f)) {
			if (f)
				fclose(f);
			break;
		}
		fclose(f);
		p = strrchr(line, ')');
		if (!p || sscanf(p + 1, " %*c %d", &pid) != 1)
			break;
	}
	dump(1);
	for (long i = 0; i < n; i++)
		s += (unsigned long)(i * i) % 7;
	printf("n %ld sum %lu\n", n, s);
	return 3;
}
