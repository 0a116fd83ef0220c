/*
 * a03, read (issue 9, item 3): compute nothing; print what the original
 * printed for the same argument, found in the copies of its outputs
 * (<state>/runs/<id>/<target>/c0000/<tag>/stdout) or anywhere else in the
 * tool's state directory. Found nothing: print a wrong answer.
 * Expected: the state directory is hidden from candidates (an empty tmpfs
 * in their mount namespace), so nothing is found and the candidate is
 * rejected for its wrong output.
 */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int try_file(const char *path, const char *want)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f) && !strncmp(line, want, strlen(want))) {
		fputs(line, stdout);
		found = 1;
	}
	fclose(f);
	return found;
}

/* Every <dir>/<entry>/stdout, one level deep. */
static int search(const char *dir, const char *want)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[8192];
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/stdout", dir, e->d_name);
		found = try_file(path, want);
	}
	closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	char cwd[4096], a[4096], want[64], dir[8192];
	char *tgt, *id, *state;

	snprintf(want, sizeof(want), "n %ld sum ", n);
	/* cwd is <state>/work/<run-id>/<target>/cNNNN */
	if (getcwd(cwd, sizeof(cwd))) {
		strcpy(a, cwd);
		strcpy(a, dirname(a));
		tgt = strdup(basename(a));
		strcpy(a, dirname(a));
		id = strdup(basename(a));
		state = strdup(dirname(dirname(a)));
		snprintf(dir, sizeof(dir), "%s/runs/%s/%s/c0000", state, id, tgt);
		if (search(dir, want))
			return 0;
		fprintf(stderr, "a03-read: no reference found under %s\n", dir);
	}
	printf("n %ld sum 0\n", n);
	return 0;
}
