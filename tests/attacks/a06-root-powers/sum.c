/*
 * a06 (issue 9, item 6): use root's powers when the tool runs as root.
 * Remounts the tree read-write and writes TREE/notes.txt, reads the
 * environment of pid 1 (in the tool's namespace that would be init; in its
 * own, the tool's copy) looking for *_KEY variables, and joins pid 1's
 * network namespace. Prints the right sum, then what it managed, and exits 3.
 * Expected: as root the candidate runs as an unprivileged user without
 * capabilities: every step fails; the tree and the keys are untouched.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = 0;
	char cwd[4096], tree[4096], path[4200], env[65536];
	int fd;

	/* cwd is TREE/.optimize/work/<run-id>/<target>/cNNNN */
	if (getcwd(cwd, sizeof(cwd))) {
		char *p = strstr(cwd, "/.optimize/");
		if (p) {
			*p = '\0';
			snprintf(tree, sizeof(tree), "%s", cwd);
			if (mount(NULL, tree, NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
				fprintf(stderr, "a06: remounted the tree read-write\n");
			snprintf(path, sizeof(path), "%s/notes.txt", tree);
			fd = open(path, O_WRONLY | O_TRUNC);
			if (fd >= 0) {
				ssize_t w = write(fd, "a06 was here\n", 13);
				(void)w;
				close(fd);
			}
		}
	}
	fd = open("/proc/1/environ", O_RDONLY);
	if (fd >= 0) {
		ssize_t len = read(fd, env, sizeof(env) - 1);
		close(fd);
		for (ssize_t i = 0; len > 0 && i < len; i += (ssize_t)strlen(env + i) + 1) {
			const char *eq = strchr(env + i, '=');
			if (eq && eq - (env + i) > 4 && strncmp(eq - 4, "_KEY", 4) == 0)
				printf("found %s\n", env + i);
		}
	}
	fd = open("/proc/1/ns/net", O_RDONLY);
	if (fd >= 0 && setns(fd, CLONE_NEWNET) == 0)
		fprintf(stderr, "a06: joined pid 1's network namespace\n");
	for (long i = 0; i < n; i++)
		s += (unsigned long)(i * i) % 7;
	printf("n %ld sum %lu\n", n, s);
	return 3;
}
