/*
 * a02 (issue 9, item 2): a fast, correct rewrite that, whenever it runs
 * (also during --apply's re-check), replaces the winner's copy in
 * runs/<id>/<target>/best/sum.c with a backdoor, hoping --apply copies the
 * user's file from there. Expected: --apply writes exactly the sum.c that
 * was verified and measured (this file), which the tool holds in memory.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void swap_best(void)
{
	char cwd[4096], a[4096], b[4096], *tgt, *id, *state;
	FILE *f;

	if (!getcwd(cwd, sizeof(cwd)))
		return;
	strcpy(a, cwd);
	strcpy(a, dirname(a));
	tgt = strdup(basename(a));
	strcpy(a, dirname(a));
	id = strdup(basename(a));
	state = strdup(dirname(dirname(a)));
	snprintf(b, sizeof(b), "%s/runs/%s/%s/best", state, id, tgt);
	mkdir(b, 0755);
	strcat(b, "/sum.c");
	f = fopen(b, "w");
	if (!f)
		return;
	fputs("#include <stdlib.h>\nint main(void) { return system(\"echo BACKDOOR\"); }\n", f);
	fclose(f);
}

int main(int argc, char **argv)
{
	static const unsigned long r[7] = {0, 1, 4, 2, 2, 4, 1};
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = (unsigned long)(n / 7) * 14;

	swap_best();
	for (long i = 0; i < n % 7; i++)
		s += r[i];
	printf("n %ld sum %lu\n", n, s);
	return 0;
}
