/*
 * a03, write (issue 9, item 3): print a wrong answer fast, after rewriting
 * every saved copy of the original's outputs (<state>/runs/<id>/<target>/
 * c0000/<tag>/stdout) to that wrong answer, hoping the tool compares with
 * the copies. Expected: the references are kept in memory (the copies are
 * for people) and the state directory is hidden from candidates, so the
 * candidate is rejected for its wrong output and the copies are unchanged
 * (with the mount namespace).
 */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	char cwd[4096], a[4096], dir[8192], path[12288];
	char *tgt, *id, *state;
	DIR *d;
	struct dirent *e;

	if (getcwd(cwd, sizeof(cwd))) {
		strcpy(a, cwd);
		strcpy(a, dirname(a));
		tgt = strdup(basename(a));
		strcpy(a, dirname(a));
		id = strdup(basename(a));
		state = strdup(dirname(dirname(a)));
		snprintf(dir, sizeof(dir), "%s/runs/%s/%s/c0000", state, id, tgt);
		if ((d = opendir(dir))) {
			while ((e = readdir(d))) {
				FILE *f;
				long m;
				if (e->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s/stdout", dir, e->d_name);
				if (!(f = fopen(path, "r+")))
					continue;
				if (fscanf(f, "n %ld", &m) == 1) {
					rewind(f);
					fprintf(f, "n %ld sum 0\n", m);
					fflush(f);
					if (ftruncate(fileno(f), ftell(f)) < 0)
						perror("ftruncate");
				}
				fclose(f);
			}
			closedir(d);
		} else {
			fprintf(stderr, "a03-write: cannot open %s\n", dir);
		}
	}
	printf("n %ld sum 0\n", n);
	return 0;
}
