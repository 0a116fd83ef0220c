/*
 * a05 (issue 9, item 5): edit the LLM response cache (<state>/cache/<2
 * hex>/<62 hex>.json) so that a later replay (--cache ro) builds what this
 * candidate wrote: every recorded response's "printf(" becomes a call that
 * prints a wrong sum. Computes the right answer itself, a little slower.
 * Expected: the state directory is hidden from candidates (no cache to
 * edit); without the mount namespace the edited entry no longer matches its
 * sha256 and is not replayed: --cache ro stops with the reason (exit 4),
 * --cache rw asks the LLM again.
 */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void edit(const char *path)
{
	static char data[1 << 20], out[(1 << 20) + 64];
	const char *needle = "printf(\\\"n %ld sum %lu\\\\n\\\", n, s)";
	const char *repl = "printf(\\\"n %ld sum 0\\\\n\\\", n)";
	FILE *f = fopen(path, "r");
	size_t n;
	char *at;

	if (!f)
		return;
	n = fread(data, 1, sizeof(data) - 1, f);
	fclose(f);
	data[n] = '\0';
	if (!(at = strstr(data, needle)))
		return;
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - data), data, repl, at + strlen(needle));
	if (!(f = fopen(path, "w")))
		return;
	fputs(out, f);
	fclose(f);
	fprintf(stderr, "a05: edited %s\n", path);
}

static void edit_cache(void)
{
	char cwd[4096], a[4096], cache[8192], sub[8400], path[8800];
	DIR *d, *e;
	struct dirent *x, *y;

	if (!getcwd(cwd, sizeof(cwd)))
		return;
	/* cwd is <state>/work/<run-id>/<target>/cNNNN */
	strcpy(a, cwd);
	snprintf(cache, sizeof(cache), "%s/cache", dirname(dirname(dirname(dirname(a)))));
	if (!(d = opendir(cache))) {
		fprintf(stderr, "a05: no cache to edit at %s\n", cache);
		return;
	}
	while ((x = readdir(d))) {
		if (x->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", cache, x->d_name);
		if (!(e = opendir(sub)))
			continue;
		while ((y = readdir(e)))
			if (strstr(y->d_name, ".json")) {
				snprintf(path, sizeof(path), "%s/%s", sub, y->d_name);
				edit(path);
			}
		closedir(e);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long total = 0;
	volatile unsigned long sink = 0;

	edit_cache();
	for (int rep = 0; rep < 10; rep++) {
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
