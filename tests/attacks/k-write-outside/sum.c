/*
 * Write outside its workspace: climbs from its workspace to every ancestor
 * and tries to overwrite notes.txt there (the user's tree holds one), and
 * to create a file in each (which its private /tmp takes, and a test checks
 * that none persists). Exits 3 when notes.txt was overwritten, 5 when every
 * such write was refused (contained: the tree and the state directory are
 * read-only or hidden in its mount namespace).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char path[PATH_MAX] = ".";
	int wrote = 0;

	for (int up = 1; up <= 12; up++) {
		char f[PATH_MAX + 32];
		int fd;

		strncat(path, "/..", sizeof(path) - strlen(path) - 1);
		snprintf(f, sizeof(f), "%s/notes.txt", path);
		fd = open(f, O_WRONLY | O_TRUNC);
		if (fd >= 0) {
			wrote |= write(fd, "k-write-outside\n", 16) > 0;
			close(fd);
		}
		snprintf(f, sizeof(f), "%s/k-write-outside.txt", path);
		/* its private /tmp takes it: the test checks nothing persists */
		fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd >= 0) {
			fprintf(stderr, "k-write-outside: created %s\n", f);
			close(fd);
		}
	}
	fprintf(stderr, "k-write-outside: %s\n", wrote ? "wrote outside" : "every write refused");
	return wrote ? 3 : 5;
}
