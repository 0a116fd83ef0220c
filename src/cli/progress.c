#include "cli/progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/candidate.h"
#include "engine/stats.h"

#define LABEL_WIDTH 30

static void clear_bar(struct cli_progress *pr)
{
	if (pr->bar_shown) {
		fputs("\r\033[K", stderr);
		pr->bar_shown = 0;
	}
}

void cli_progress_note(void *ctx, enum note_level level, const char *msg)
{
	struct cli_progress *pr = ctx;

	if (level == NOTE_DETAIL && pr->verbosity < 1)
		return;
	if (level != NOTE_DETAIL && pr->verbosity < 0)
		return;
	clear_bar(pr);
	fprintf(stderr, "%s\n", msg);
}

/* "c7  ", "c12 ": ids padded to one width, so c9 and c10 line up. */
static void id_cell(int id, char *out, size_t n)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "c%d", id);
	snprintf(out, n, "%-4s", tmp);
}

/* A label cut to the column width, so the status column stays aligned. */
static void label_cell(const char *label, char *out, size_t n)
{
	size_t len = label ? strlen(label) : 0;

	if (len <= LABEL_WIDTH) {
		snprintf(out, n, "%-*s", LABEL_WIDTH, label ? label : "");
		return;
	}
	len = LABEL_WIDTH - 3;
	while (len && ((unsigned char)label[len] & 0xC0) == 0x80)
		len--;
	snprintf(out, n, "%.*s...%*s", (int)len, label, (int)(LABEL_WIDTH - 3 - len), "");
}

void cli_progress_pair(void *ctx, const struct candidate *c, size_t n,
                       const struct stats_interval *ci)
{
	struct cli_progress *pr = ctx;
	int width = 20, max = pr->max_runs > 0 ? pr->max_runs : 30;
	int filled = (int)(width * (double)n / max);
	char label[LABEL_WIDTH * 4 + 8], idc[32];

	if (!pr->tty || pr->verbosity < 0)
		return;
	label_cell(c->label, label, sizeof(label));
	id_cell(c->id, idc, sizeof(idc));
	fprintf(stderr, "\r\033[K  %s %s [", idc, label);
	for (int i = 0; i < width; i++)
		fputc(i < filled ? '#' : '.', stderr);
	if (isnan(ci->lo) || isnan(ci->hi)) /* the gate's interval needs more pairs */
		fprintf(stderr, "] %zu pairs, ratio %.3f (no interval yet)", n, ci->estimate);
	else
		fprintf(stderr, "] %zu pairs, ratio %.3f [%.3f, %.3f]", n, ci->estimate, ci->lo,
		        ci->hi);
	pr->bar_shown = 1;
}

void cli_progress_outcome(struct cli_progress *pr, const struct candidate *c)
{
	const char *reason = c->reason ? c->reason : "";
	const char *nl = strchr(reason, '\n');
	int len = nl && pr->verbosity < 1 ? (int)(nl - reason) : (int)strlen(reason);
	char label[LABEL_WIDTH * 4 + 8], idc[32];

	if (pr->verbosity < 0)
		return;
	clear_bar(pr);
	label_cell(c->label, label, sizeof(label));
	id_cell(c->id, idc, sizeof(idc));
	fprintf(stderr, "  %s %s %-22s %.*s\n", idc, label, cand_status_name(c->status), len,
	        reason);
}
