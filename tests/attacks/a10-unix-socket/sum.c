/*
 * a10 (issue 9, item 10): reach a Unix socket outside. Looks for sockets
 * named "optimize-attack.sock" in /tmp and the directories below it (two
 * levels), connects to each and writes "a10 was here". Exits 3 either way.
 * Expected: /tmp is a fresh tmpfs for candidates: no such socket is seen,
 * the listener the test made gets no connection.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int tried;

static void poke(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(path) >= sizeof(a.sun_path))
		return;
	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		ssize_t w = write(fd, "a10 was here\n", 13);
		(void)w;
		fprintf(stderr, "a10: connected to %s\n", path);
	}
	tried++;
	close(fd);
}

static void walk(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISSOCK(st.st_mode) && strcmp(e->d_name, "optimize-attack.sock") == 0)
			poke(p);
		else if (S_ISDIR(st.st_mode) && depth < 2)
			walk(p, depth + 1);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = 0;

	walk("/tmp", 0);
	for (long i = 0; i < n; i++)
		s += (unsigned long)(i * i) % 7;
	printf("n %ld sum %lu\n", n, s);
	fprintf(stderr, "a10: %d socket(s) tried\n", tried);
	return 3;
}
