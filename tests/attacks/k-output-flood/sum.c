/*
 * An output flood: 1 GiB on stdout, then the right answer. Expected: the
 * capture is capped (16 MiB) and the rest read and dropped, so neither the
 * disk nor the tool's memory fills; an output past the cap is never
 * compared cut short: the candidate is rejected with that reason.
 */
#include <stdio.h>
#include <string.h>

int main(void)
{
	static char line[4096];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 2] = '\n';
	for (int i = 0; i < 262144; i++)
		fputs(line, stdout);
	return 0;
}
