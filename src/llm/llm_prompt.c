/*
 * llm_prompt.c: load prompt templates and render them within a token
 * budget. See llm_prompt.h.
 */
#include "llm/llm_prompt_int.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OPTIMIZE_SOURCE_DIR
#define OPTIMIZE_SOURCE_DIR "."
#endif

#define TEMPLATE_MAX               ((size_t)1 << 20)
#define LLM_PROMPT_PROFILE_DEFAULT 6000
#define LLM_PROMPT_PROFILE_MIN     400

static const char *const files[LLM_PROMPT_N] = {
    "system.md",
    "first.md",
    "feedback-compile-error.md",
    "feedback-wrong-result.md",
    "feedback-slower.md",
    "feedback-accepted.md",
};

static const char *const names[] = {
    "target",          "objective", "editable_files", "editable_list",
    "context_files",   "build",     "compiler",       "cflags",
    "ldflags",         "profile",   "machine",        "history",
    "output_contract", "feedback",  "round",          NULL,
};

const char *llm_prompt_file(enum llm_prompt_kind k)
{
	return k < LLM_PROMPT_N ? files[k] : "?";
}

const char *const *llm_prompt_placeholders(void)
{
	return names;
}

size_t llm_tokens_estimate(size_t bytes)
{
	return (bytes + 3) / 4;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void llm_prompts_default_dir(struct buf *out)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	buf_reset(out);
	if (n > 0) {
		exe[n] = '\0';
		buf_addf(out, "%s/../share/optimize/prompts", dirname(exe));
		if (is_dir(out->data))
			return;
		buf_reset(out);
	}
	buf_addstr(out, OPTIMIZE_SOURCE_DIR "/prompts");
}

/* Find the next {{...}} at or after p; sets name/len of the inside (trimmed). */
static const char *next_placeholder(const char *p, const char **name, size_t *len, const char **end)
{
	while ((p = strstr(p, "{{"))) {
		const char *q = p + 2, *e;
		while (*q == ' ')
			q++;
		e = q;
		while (isalnum((unsigned char)*e) || *e == '_')
			e++;
		*name = q;
		*len = (size_t)(e - q);
		while (*e == ' ')
			e++;
		if (*len && e[0] == '}' && e[1] == '}') {
			*end = e + 2;
			return p;
		}
		p += 2;
	}
	return NULL;
}

static int known(const char *name, size_t len)
{
	size_t i;
	for (i = 0; names[i]; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return 1;
	return 0;
}

int llm_template_check(const char *text, const char *origin, struct buf *err)
{
	const char *p = text, *name, *end;
	size_t len;

	while ((p = next_placeholder(p, &name, &len, &end))) {
		if (!known(name, len)) {
			struct buf list = BUF_INIT;
			const char *s;
			unsigned line = 1;
			size_t i;
			for (s = text; s < p; s++)
				line += *s == '\n';
			for (i = 0; names[i]; i++)
				buf_addf(&list, "%s%s", i ? ", " : "", names[i]);
			err_set(
			    err,
			    "prompt template '%s' line %u: unknown placeholder '{{%.*s}}' (known: "
			    "%s)",
			    origin, line, (int)len, name, list.data);
			buf_release(&list);
			return -1;
		}
		p = end;
	}
	return 0;
}

int llm_templates_load(struct llm_templates *t, const char *dir, struct buf *err)
{
	struct buf d = BUF_INIT, path = BUF_INIT;
	int i, r = 0;

	memset(t, 0, sizeof(*t));
	if (dir)
		buf_addstr(&d, dir);
	else
		llm_prompts_default_dir(&d);
	if (!is_dir(d.data)) {
		err_set(err, "prompts directory '%s' does not exist (give one with --prompts DIR)",
		        d.data);
		buf_release(&d);
		return -1;
	}
	for (i = 0; i < LLM_PROMPT_N && r == 0; i++) {
		struct buf text = BUF_INIT;
		buf_init(&text, TEMPLATE_MAX);
		buf_setf(&path, "%s/%s", d.data, files[i]);
		if (buf_read_file(&text, path.data) < 0) {
			if (text.truncated)
				r = err_set(err, "prompt template '%s' is larger than %zu bytes",
				            path.data, TEMPLATE_MAX);
			else
				r = err_set(
				    err,
				    "prompt template '%s' is missing or unreadable (%s): the "
				    "prompts directory needs system.md, first.md, "
				    "feedback-compile-error.md, feedback-wrong-result.md, "
				    "feedback-slower.md and feedback-accepted.md",
				    path.data, strerror(errno));
		} else if (llm_template_check(text.data, path.data, err) < 0) {
			r = -1;
		} else {
			t->text[i] = buf_detach(&text);
		}
		buf_release(&text);
	}
	t->dir = buf_detach(&d);
	buf_release(&path);
	if (r < 0)
		llm_templates_release(t);
	return r;
}

void llm_templates_release(struct llm_templates *t)
{
	int i;
	for (i = 0; i < LLM_PROMPT_N; i++)
		free(t->text[i]);
	free(t->dir);
	memset(t, 0, sizeof(*t));
}

/* ---- the pieces ---- */

const char *llm_prompt_lang(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot)
		return "";
	if (!strcmp(dot, ".c") || !strcmp(dot, ".h"))
		return "c";
	if (!strcmp(dot, ".cc") || !strcmp(dot, ".cpp") || !strcmp(dot, ".cxx") ||
	    !strcmp(dot, ".hpp") || !strcmp(dot, ".hh"))
		return "cpp";
	if (!strcmp(dot, ".cl"))
		return "opencl";
	return "";
}

/* A file in a fence; with line numbers "  12| text" for editable files. */
static void add_file(struct buf *out, const struct llm_prompt_file *f, int numbered)
{
	const char *p = f->content, *end = f->content + f->len;
	int line = 1;

	buf_addf(out, "%s\n```%s\n", f->path, llm_prompt_lang(f->path));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (numbered)
			buf_addf(out, "%4d| ", line++);
		buf_add(out, p, n);
		buf_addch(out, '\n');
		p += n + (nl ? 1 : 0);
	}
	buf_addstr(out, "```\n");
}

static void add_contract(struct buf *out, const struct llm_prompt_input *in, int outline)
{
	const char *ex = in->neditable ? in->editable[0].path : "path/to/file.c";
	size_t i;

	buf_addstr(out, "## Output contract\n"
	                "Answer with edits to the editable files only (");
	for (i = 0; i < in->neditable; i++)
		buf_addf(out, "%s%s", i ? ", " : "", in->editable[i].path);
	buf_addf(out,
	         "). Two forms are accepted; do not copy the line numbers shown above.\n\n"
	         "1. A whole new file in a fenced code block, with the path alone on the line "
	         "before the fence:\n\n"
	         "%s\n```%s\n<the complete new file>\n```\n\n"
	         "2. SEARCH/REPLACE blocks, with the path alone on the line before; the SEARCH "
	         "lines must match exactly one contiguous run of lines of the current file:\n\n"
	         "%s\n<<<<<<< SEARCH\n<lines to replace>\n=======\n<new lines>\n"
	         ">>>>>>> REPLACE\n\n"
	         "Never change other files, never print anything the original does not, and do "
	         "not leave out parts of a whole file (no \"...\" or \"rest unchanged\").\n",
	         ex, llm_prompt_lang(ex), ex);
	if (outline)
		buf_addstr(
		    out,
		    "\nFiles shown in part (\"shown in part\" above) must be edited with "
		    "SEARCH/REPLACE blocks only, whose SEARCH lines are copied from lines shown "
		    "(without their line numbers); a whole-file answer for them would delete "
		    "the lines not shown.\n");
}

/* What one rendering shows: how much history, context and profile, and
 * whether large editable files are outlined (and how far). */
struct fill_state {
	size_t hskip, ckeep, pbytes;
	int outline, level;
	size_t nhot;
	struct buf *desc; /* which context was sent, for the transcript; may be NULL */
};

static void add_editable(struct buf *out, const struct llm_prompt_input *in,
                         const struct fill_state *fs)
{
	size_t i;

	for (i = 0; i < in->neditable; i++) {
		if (i)
			buf_addch(out, '\n');
		if (fs->outline && in->editable[i].len > LLM_OUTLINE_SMALL_FILE) {
			llm_prompt_outline_file(&in->editable[i], in->profile, fs->level, fs->nhot,
			                        out, fs->desc);
		} else {
			add_file(out, &in->editable[i], 1);
			if (fs->desc)
				buf_addf(fs->desc, "%s%s: whole", fs->desc->len ? "; " : "",
				         in->editable[i].path);
		}
	}
	if (!in->neditable)
		buf_addstr(out, "(none)\n");
}

static void add_value(struct buf *out, const char *name, size_t len,
                      const struct llm_prompt_input *in, const struct fill_state *fs)
{
	size_t i, hskip = fs->hskip, ckeep = fs->ckeep, pbytes = fs->pbytes;

#define IS(s) (len == strlen(s) && !memcmp(name, s, len))
	if (IS("target")) {
		buf_addstr(out, in->target ? in->target : "");
	} else if (IS("objective")) {
		buf_addstr(out, in->objective ? in->objective : "time");
	} else if (IS("editable_files")) {
		add_editable(out, in, fs);
	} else if (IS("editable_list")) {
		for (i = 0; i < in->neditable; i++)
			buf_addf(out, "%s%s", i ? ", " : "", in->editable[i].path);
	} else if (IS("context_files")) {
		for (i = 0; i < in->ncontext && i < ckeep; i++) {
			if (i)
				buf_addch(out, '\n');
			add_file(out, &in->context[i], 0);
		}
		if (ckeep < in->ncontext)
			buf_addf(out,
			         "(%zu context file(s) left out to stay within the token budget)\n",
			         in->ncontext - ckeep);
		else if (!in->ncontext)
			buf_addstr(out, "(none)\n");
	} else if (IS("build")) {
		buf_addstr(out, in->build ? in->build : "");
	} else if (IS("compiler")) {
		buf_addstr(out, in->compiler && *in->compiler ? in->compiler : "cc");
	} else if (IS("cflags")) {
		buf_addstr(out, in->cflags && *in->cflags ? in->cflags : "(none)");
		if (in->ldflags && *in->ldflags)
			buf_addf(out, " (link: %s)", in->ldflags);
	} else if (IS("ldflags")) {
		buf_addstr(out, in->ldflags && *in->ldflags ? in->ldflags : "(none)");
	} else if (IS("profile")) {
		if (in->profile)
			profile_render_text(in->profile, pbytes, out);
		if (in->profile_note)
			buf_addf(out, "%s\n", in->profile_note);
		if (!in->profile && !in->profile_note)
			buf_addstr(out, "(no profile available)\n");
	} else if (IS("machine")) {
		buf_addstr(out, in->machine && *in->machine ? in->machine : "(unknown)");
	} else if (IS("history")) {
		if (hskip)
			buf_addf(
			    out,
			    "(%zu earlier attempt(s) left out to stay within the token budget)\n",
			    hskip);
		for (i = hskip; i < in->nhistory; i++)
			buf_addf(out, "- %s\n", in->history[i]);
		if (!in->nhistory)
			buf_addstr(out, "(none yet)\n");
	} else if (IS("output_contract")) {
		add_contract(out, in, fs->outline);
	} else if (IS("feedback")) {
		buf_addstr(out, in->feedback ? in->feedback : "");
	} else if (IS("round")) {
		buf_addf(out, "%d", in->round);
	}
#undef IS
}

static int fill(const char *tpl, const char *origin, const struct llm_prompt_input *in,
                const struct fill_state *fs, struct buf *out, struct buf *err)
{
	const char *p = tpl, *ph, *name, *end;
	size_t len;

	if (llm_template_check(tpl, origin, err) < 0)
		return -1;
	buf_reset(out);
	if (fs->desc)
		buf_reset(fs->desc);
	while ((ph = next_placeholder(p, &name, &len, &end))) {
		buf_add(out, p, (size_t)(ph - p));
		add_value(out, name, len, in, fs);
		p = end;
	}
	buf_addstr(out, p);
	if (out->truncated)
		return err_set(err, "the prompt from '%s' is too large", origin);
	return 0;
}

int llm_prompt_fill(const char *tpl, const char *origin, const struct llm_prompt_input *in,
                    size_t hskip, size_t ckeep, size_t pbytes, struct buf *out, struct buf *err)
{
	struct fill_state fs;

	memset(&fs, 0, sizeof(fs));
	fs.hskip = hskip;
	fs.ckeep = ckeep;
	fs.pbytes = pbytes;
	return fill(tpl, origin, in, &fs, out, err);
}

/* One trimming step for fs; 0 when there is nothing left to trim. In
 * whole-file mode: history (oldest first), then context files (last
 * first), then the profile when the files cannot be outlined. In outline
 * mode: history, context, the outline's detail, the profile, then the
 * number of hot functions shown whole. */
static int trim_step(const struct llm_prompt_input *in, struct fill_state *fs, int can_outline,
                     struct llm_prompt_stats *s)
{
	if (fs->hskip < in->nhistory) {
		fs->hskip++;
	} else if (fs->ckeep > 0) {
		fs->ckeep--;
	} else if (fs->outline && fs->level < 3) {
		fs->level++;
	} else if ((fs->outline || !can_outline) && in->profile &&
	           fs->pbytes > LLM_PROMPT_PROFILE_MIN) {
		fs->pbytes /= 2;
		s->profile_cut = 1;
	} else if (fs->outline && fs->nhot > 1) {
		fs->nhot--;
	} else {
		return 0;
	}
	return 1;
}

static size_t editable_bytes(const struct llm_prompt_input *in)
{
	size_t i, n = 0;

	for (i = 0; i < in->neditable; i++)
		n += in->editable[i].len;
	return n;
}

static int can_outline(const struct llm_prompt_input *in)
{
	size_t i;

	for (i = 0; i < in->neditable; i++)
		if (in->editable[i].len > LLM_OUTLINE_SMALL_FILE &&
		    llm_prompt_hot_count(&in->editable[i], in->profile) > 0)
			return 1;
	return 0;
}

int llm_prompt_render(const struct llm_templates *t, enum llm_prompt_kind k,
                      const struct llm_prompt_input *in, struct buf *system, struct buf *user,
                      struct llm_prompt_stats *stats, struct buf *err)
{
	struct llm_prompt_stats s;
	struct buf origin = BUF_INIT, desc = BUF_INIT;
	struct fill_state fs, fs0;
	int r = -1, outlinable = -1;

	memset(&s, 0, sizeof(s));
	memset(&fs, 0, sizeof(fs));
	fs.ckeep = in->ncontext;
	fs.pbytes = in->profile_max_bytes ? in->profile_max_bytes : LLM_PROMPT_PROFILE_DEFAULT;
	fs.nhot = LLM_OUTLINE_MAX_HOT;
	fs.desc = &desc;
	fs0 = fs;
	if (k <= LLM_PROMPT_SYSTEM || k >= LLM_PROMPT_N || !t->text[k] ||
	    !t->text[LLM_PROMPT_SYSTEM])
		return err_set(err, "no prompt template for kind %d", (int)k);
	buf_addf(&origin, "%s/%s", t->dir ? t->dir : ".", files[LLM_PROMPT_SYSTEM]);
	if (fill(t->text[LLM_PROMPT_SYSTEM], origin.data, in, &fs, system, err) < 0)
		goto out;
	buf_setf(&origin, "%s/%s", t->dir ? t->dir : ".", files[k]);
	for (;;) {
		if (fill(t->text[k], origin.data, in, &fs, user, err) < 0)
			goto out;
		s.tokens = llm_tokens_estimate(system->len + user->len);
		if (!in->budget_tokens || s.tokens <= in->budget_tokens)
			break;
		if (outlinable < 0)
			outlinable = can_outline(in);
		if (trim_step(in, &fs, outlinable, &s))
			continue;
		if (!fs.outline && outlinable) {
			/* The files do not fit whole: start again with their outline. */
			fs = fs0;
			fs.outline = 1;
			s.profile_cut = 0;
			continue;
		}
		s.over_budget = 1;
		if (fs.outline)
			err_set(
			    err,
			    "the prompt does not fit the budget of %zu tokens even with only the "
			    "hottest function of the editable code shown whole (~%zu tokens): "
			    "raise the model's context_tokens (docs/llm.md)",
			    in->budget_tokens, s.tokens);
		else
			err_set(
			    err,
			    "the editable code (~%zu tokens) does not fit the prompt budget of %zu "
			    "tokens, and the profile names no function of it to show whole: raise "
			    "the model's context_tokens (docs/llm.md), or make the profile find "
			    "the "
			    "hot code (build with -g, a longer run)",
			    llm_tokens_estimate(editable_bytes(in)), in->budget_tokens);
		goto out;
	}
	r = 0;
out:
	s.history_dropped = fs.hskip;
	s.context_dropped = in->ncontext - fs.ckeep;
	s.outlined = fs.outline;
	snprintf(s.parts, sizeof(s.parts), "%s", desc.len ? desc.data : "no editable file");
	if (stats)
		*stats = s;
	buf_release(&origin);
	buf_release(&desc);
	return r;
}

void llm_prompt_redact(const struct target *t, const char *text, struct buf *out)
{
	const char *p = text;

	if (!text)
		return;
	while (*p) {
		const char *best = NULL;
		size_t best_len = 0, i;
		/* The earliest occurrence of any verify command (longest on ties). */
		for (i = 0; t && i < t->nverify; i++) {
			const char *cmd = t->verify[i].run, *hit;
			if (!cmd || !*cmd)
				continue;
			hit = strstr(p, cmd);
			if (hit &&
			    (!best || hit < best || (hit == best && strlen(cmd) > best_len))) {
				best = hit;
				best_len = strlen(cmd);
			}
		}
		if (!best) {
			buf_addstr(out, p);
			return;
		}
		buf_add(out, p, (size_t)(best - p));
		buf_addstr(out, "<verify command>");
		p = best + best_len;
	}
}
