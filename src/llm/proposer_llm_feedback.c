/*
 * proposer_llm_feedback.c: what happened to earlier candidates, as the
 * feedback of the next prompt and as the lines of its history.
 */
#include "llm/proposer_llm_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define FEEDBACK_REASON_MAX 2000 /* bytes of one candidate's reason in a feedback prompt */
#define HISTORY_REASON_MAX  160

static void first_line(const char *s, size_t max, struct buf *out)
{
	size_t n;

	if (!s)
		return;
	n = strcspn(s, "\n");
	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		buf_add(out, s, n);
		buf_addstr(out, "...");
		return;
	}
	buf_add(out, s, n);
}

/* A reason cut to max bytes at a line end, redacted. */
static void add_reason(const struct target *t, const char *reason, size_t max, struct buf *out)
{
	struct buf red = BUF_INIT;
	size_t n;

	llm_prompt_redact(t, reason ? reason : "", &red);
	n = red.len;
	if (n > max) {
		n = max;
		while (n > max / 2 && red.data[n] != '\n')
			n--;
		if (red.data[n] != '\n')
			n = max;
		while (n && ((unsigned char)red.data[n] & 0xC0) == 0x80)
			n--;
		buf_add(out, red.data, n);
		buf_addstr(out, "\n[... trimmed]");
	} else {
		buf_add(out, red.data, n);
	}
	buf_release(&red);
}

static enum llm_prompt_kind kind_of(enum cand_status s)
{
	switch (s) {
	case CAND_ACCEPTED:
		return LLM_PROMPT_ACCEPTED;
	case CAND_NOT_FASTER:
	case CAND_DUPLICATE:
		return LLM_PROMPT_SLOWER;
	case CAND_VERIFY_FAILED:
	case CAND_RUN_FAILED:
	case CAND_TEST_FAILED:
	case CAND_PROTECTED_CHANGED:
		return LLM_PROMPT_WRONG_RESULT;
	default:
		return LLM_PROMPT_COMPILE_ERROR;
	}
}

/* The template for the next prompt: the most promising outcome wins. */
static enum llm_prompt_kind choose_kind(const struct outcome *v, size_t n)
{
	static const enum llm_prompt_kind order[] = {LLM_PROMPT_ACCEPTED, LLM_PROMPT_SLOWER,
	                                             LLM_PROMPT_WRONG_RESULT,
	                                             LLM_PROMPT_COMPILE_ERROR};
	size_t i, j;

	for (j = 0; j < sizeof(order) / sizeof(order[0]); j++)
		for (i = 0; i < n; i++)
			if (kind_of(v[i].status) == order[j])
				return order[j];
	return LLM_PROMPT_FIRST;
}

static const char *what_happened(enum cand_status s)
{
	switch (s) {
	case CAND_EDIT_REJECTED:
		return "its edits could not be applied";
	case CAND_BUILD_FAILED:
		return "it did not compile";
	case CAND_PROTECTED_CHANGED:
		return "it changed a file that must not change";
	case CAND_RUN_FAILED:
		return "the timed run failed";
	case CAND_VERIFY_FAILED:
		return "it gave a wrong result";
	case CAND_TEST_FAILED:
		return "the test command failed";
	case CAND_NOT_FASTER:
		return "it was correct but not faster";
	case CAND_DUPLICATE:
		return "it was identical to an earlier candidate, so it was not run";
	case CAND_ACCEPTED:
		return "it was correct and faster: it is the new best";
	case CAND_SKIPPED:
		return "it was not evaluated";
	default:
		return "it was not evaluated";
	}
}

static void feedback_text(const struct llm_prop *lp, const struct run_view *v,
                          const struct outcome *outs, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct outcome *o = &outs[i];
		if (i)
			buf_addch(out, '\n');
		buf_addf(out, "Candidate %s", o->label ? o->label : "?");
		if (o->note && *o->note)
			buf_addf(out, " (\"%s\")", o->note);
		buf_addf(out, ": %s.\n", what_happened(o->status));
		if (o->status == CAND_BUILD_FAILED) {
			buf_addstr(out, "The first compiler errors:\n```\n");
			add_reason(v->target, o->reason, FEEDBACK_REASON_MAX, out);
			buf_addstr(out, "\n```\n");
		} else if (o->reason && *o->reason) {
			buf_addstr(out, o->status == CAND_VERIFY_FAILED ? "The first difference: "
			                : o->status == CAND_NOT_FASTER || o->status == CAND_ACCEPTED
			                    ? "Measured: "
			                    : "Why: ");
			add_reason(v->target, o->reason, FEEDBACK_REASON_MAX, out);
			buf_addch(out, '\n');
		}
	}
	(void)lp;
}

/*
 * The line of a reason that says what happened. A build failure's first
 * line only names the build command, and compilers print context ("In
 * function ...", warnings) before the error: take the first error line
 * (for a link error, from "undefined reference" on), else the first line.
 */
static const char *reason_gist(enum cand_status status, const char *reason)
{
	const char *line, *ref = NULL;
	size_t n;

	if (status != CAND_BUILD_FAILED || !strchr(reason, '\n'))
		return reason;
	/* the first line names the build command, which may hold "-Werror" */
	for (line = strchr(reason, '\n') + 1; *line; line += n + (line[n] == '\n')) {
		const char *u;

		n = strcspn(line, "\n");
		if (memmem(line, n, "error:", 6) && strncmp(line, "collect2:", 9))
			return line;
		u = memmem(line, n, "undefined reference", 19);
		if (u && !ref)
			ref = u;
	}
	return ref ? ref : reason;
}

void llm_prop_history_line(struct llm_prop *lp, const struct run_view *v, const struct candidate *c)
{
	struct buf b = BUF_INIT, r = BUF_INIT;

	buf_addf(&b, "%s", c->label ? c->label : "?");
	if (c->note && *c->note) {
		buf_addstr(&b, " (");
		first_line(c->note, 80, &b);
		buf_addch(&b, ')');
	}
	buf_addf(&b, ": %s", cand_status_name(c->status));
	llm_prompt_redact(v->target, c->reason, &r);
	if (r.len) {
		buf_addstr(&b, ": ");
		first_line(reason_gist(c->status, r.data), HISTORY_REASON_MAX, &b);
	}
	strlist_push(&lp->history, b.data);
	buf_release(&b);
	buf_release(&r);
}

enum llm_prompt_kind llm_prop_parent_feedback(const struct llm_prop *lp, const struct run_view *v,
                                              int parent, struct buf *fb)
{
	struct outcome *mine = NULL;
	enum llm_prompt_kind kind;
	size_t nmine = 0, i;

	/*
	 * The previous round's outcomes that matter to this parent. With beam,
	 * its children's, and its own when it was made in the previous round
	 * (a parent fresh from round 1 has no children yet: without its own
	 * outcome its prompt would have no feedback at all).
	 */
	mine = xcalloc(lp->nprev, sizeof(*mine));
	for (i = 0; i < lp->nprev; i++)
		if (lp->opt.strategy != LLM_STRATEGY_BEAM || lp->prev[i].parent == parent ||
		    lp->prev[i].id == parent)
			mine[nmine++] = lp->prev[i]; /* shallow: owned by prev */
	kind = lp->round == 1 ? LLM_PROMPT_FIRST : choose_kind(mine, nmine);
	if (kind != LLM_PROMPT_FIRST)
		feedback_text(lp, v, mine, nmine, fb);
	free(mine);
	return kind;
}

int llm_prop_repairable(enum cand_status s)
{
	switch (s) {
	case CAND_EDIT_REJECTED:
	case CAND_BUILD_FAILED:
	case CAND_VERIFY_FAILED:
	case CAND_RUN_FAILED:
	case CAND_TEST_FAILED:
	case CAND_PROTECTED_CHANGED:
		return 1;
	default:
		return 0;
	}
}

/* The gist of a failure with its numbers masked (line and column numbers
 * move when code is fixed; the message stays). */
static void error_key(enum cand_status s, const char *reason, struct buf *out)
{
	const char *g = reason_gist(s, reason ? reason : ""), *p;
	size_t n = strcspn(g, "\n");

	for (p = g; p < g + n; p++)
		if (*p >= '0' && *p <= '9') {
			if (!out->len || out->data[out->len - 1] != '#')
				buf_addch(out, '#');
		} else {
			buf_addch(out, *p);
		}
}

int llm_prop_same_error(const struct outcome *a, const struct outcome *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int same;

	error_key(a->status, a->reason, &x);
	error_key(b->status, b->reason, &y);
	same = a->status == b->status && !strcmp(buf_str(&x), buf_str(&y));
	buf_release(&x);
	buf_release(&y);
	return same;
}

enum llm_prompt_kind llm_prop_repair_feedback(const struct llm_prop *lp, const struct run_view *v,
                                              const struct outcome *o, struct buf *fb)
{
	buf_addf(fb,
	         "This is repair %d of at most %d for your answer %s. The editable files below "
	         "are that answer's version (its own code, not the best version so far): fix the "
	         "error with edits against them and keep the optimization if it is sound.\n\n",
	         o->depth + 1, lp->opt.repairs, o->label ? o->label : "?");
	feedback_text(lp, v, o, 1, fb);
	return kind_of(o->status);
}
