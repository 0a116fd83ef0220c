/*
 * a01 (issue 9, item 1): plant symbolic links where the tool saves this
 * candidate's outputs and logs, pointing into the user's tree, so that the
 * tool's next write lands in TREE/notes.txt. Computes the right answer.
 * Expected: the tool never writes through a link (the state directory is
 * out of reach in the mount namespace; without one, every write beneath it
 * refuses links) and rejects the candidate for tampering.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* cwd is <state>/work/<run-id>/<target>/cNNNN; the state is TREE/.optimize. */
static void plant(void)
{
	static const char *tags[] = {"verify-verify0", "verify-verify1", "timed", "profile",
	                             "reverify-verify0", "reverify-run", NULL};
	char cwd[4096], a[4096], b[4096], c[4096], *me, *tgt, *id, *state;

	if (!getcwd(cwd, sizeof(cwd)))
		return;
	strcpy(a, cwd);
	me = strdup(basename(a));
	strcpy(a, dirname(a));
	tgt = strdup(basename(a));
	strcpy(a, dirname(a));
	id = strdup(basename(a));
	state = strdup(dirname(dirname(a)));
	snprintf(c, sizeof(c), "%s/../notes.txt", state);
	for (int i = 0; tags[i]; i++) {
		snprintf(a, sizeof(a), "%s/runs/%s/%s/%s", state, id, tgt, me);
		mkdir(a, 0755);
		snprintf(b, sizeof(b), "%s/%s", a, tags[i]);
		mkdir(b, 0755);
		snprintf(b, sizeof(b), "%s/%s/stdout", a, tags[i]);
		unlink(b);
		symlink(c, b);
	}
	snprintf(b, sizeof(b), "%s/work/%s/%s/logs/%s-test.out", state, id, tgt, me);
	unlink(b);
	symlink(c, b);
	/* A whole directory too: the profile's copy would go into the tree. */
	snprintf(a, sizeof(a), "%s/runs/%s/%s/%s/profile", state, id, tgt, me);
	rename(a, strcat(strcpy(b, a), ".old"));
	snprintf(b, sizeof(b), "%s/..", state);
	symlink(b, a);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long total = 0;
	volatile unsigned long sink = 0;

	plant();
	for (int rep = 0; rep < 16; rep++) { /* slower than the original */
		unsigned long s = 0;
		for (long i = 0; i < n; i++)
			s += (unsigned long)(i * i) % 7;
		sink = s;
		total = s;
	}
	(void)sink;
	printf("n %ld sum %lu\n", n, total);
	return 0;
}
