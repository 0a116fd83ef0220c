/*
 * render.c: Markdown, CSV, JSON and LaTeX tables of a suite. See render.h.
 */
#include "bench/render.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/fileio.h"
#include "base/json.h"
#include "bench/nodes.h"

static const cJSON *sub(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = json_get_string(o, k, NULL);
	return s && *s ? s : "-";
}

void bench_fingerprint_line(const struct bench_table *t, struct buf *out)
{
	const cJSON *f = sub(t->suite, "fingerprint"), *tool = sub(f, "tool");

	buf_addf(out,
	         "optimize %s (commit %s); cpu: %s (%d cores); compiler: %s; kernel: %s; host: %s",
	         str(tool, "version"), str(tool, "commit"), str(f, "cpu"),
	         (int)json_get_number(f, "cores", 0), str(f, "compiler"), str(f, "kernel"),
	         str(f, "host"));
}

/* The settings that decide a table, on one line. */
static void settings_line(const struct bench_table *t, struct buf *out)
{
	const cJSON *s = sub(t->suite, "settings"), *x;
	int first = 1;

	buf_addf(out, "proposer: %s; ", str(s, "proposer"));
	if (sub(s, "model"))
		buf_addf(out, "model: %s:%s, %d rounds x %d candidates, %s, cache %s; ",
		         str(s, "provider"), str(s, "model"), (int)json_get_number(s, "rounds", 0),
		         (int)json_get_number(s, "candidates", 0), str(s, "strategy"),
		         str(s, "cache"));
	buf_addf(out,
	         "objective: %s (counters %s); seed %d; pairs %d..%d; min gain %g%%; presets: ",
	         str(s, "objective"), str(s, "counters"), (int)json_get_number(s, "seed", 1),
	         (int)json_get_number(s, "min_runs", 0), (int)json_get_number(s, "max_runs", 0),
	         json_get_number(s, "min_gain", 0) * 100);
	cJSON_ArrayForEach(x, sub(s, "presets"))
	{
		buf_addf(out, "%s\"%s\"", first ? "" : ", ", x->valuestring);
		first = 0;
	}
	if (first)
		buf_addstr(out, "none");
}

static void fmt_value(double x, const char *unit, struct buf *out)
{
	if (!isfinite(x))
		buf_addstr(out, "-");
	else if (unit && !strcmp(unit, "s"))
		buf_addf(out, "%.4g s", x);
	else
		buf_addf(out, "%.6g%s%s", x, unit ? " " : "", unit ? unit : "");
}

static void fmt_speedup(double e, double lo, double hi, struct buf *out)
{
	if (!isfinite(e))
		buf_addstr(out, "-");
	else if (isfinite(lo) && isfinite(hi))
		buf_addf(out, "%.2fx [%.2f, %.2f]", e, lo, hi);
	else
		buf_addf(out, "%.2fx", e);
}

static void rejected_text(const struct bench_row *r, struct buf *out)
{
	for (size_t k = 0; k < r->nreject; k++)
		buf_addf(out, "%s%s %d", k ? ", " : "", r->reject_name[k], r->reject_count[k]);
	if (!r->nreject)
		buf_addstr(out, r->tried ? "0" : "-");
}

/* A Markdown cell: no '|' or newline, cut to max bytes. */
static void md_cell(const char *s, size_t max, struct buf *out)
{
	size_t n = 0;
	for (; s && *s && *s != '\n' && n < max; s++, n++)
		buf_addch(out, *s == '|' ? '/' : *s);
	if (s && *s && *s != '\n')
		buf_addstr(out, "...");
}

static void md_row(const struct bench_row *r, struct buf *out)
{
	buf_addf(out, "| %s | %s | %s | ", r->name, r->status, r->objective ? r->objective : "-");
	fmt_value(r->original, r->unit, out);
	buf_addstr(out, " | ");
	fmt_value(r->best, r->unit, out);
	buf_addstr(out, " | ");
	fmt_speedup(r->speedup, r->lo, r->hi, out);
	buf_addf(out, " | %s | ", r->correct ? "yes" : "no");
	md_cell(r->winner ? r->winner : "-", 50, out);
	buf_addf(out, " | %d | ", r->tried);
	rejected_text(r, out);
	buf_addf(out, " | %s | ", r->preset ? r->preset : "-");
	fmt_speedup(r->preset_vs_best, r->preset_vs_lo, r->preset_vs_hi, out);
	buf_addf(out, " | %ld | ", r->prompt_tokens + r->completion_tokens);
	if (isfinite(r->cost))
		buf_addf(out, "%.4f", r->cost);
	else
		buf_addstr(out, "-");
	buf_addstr(out, " |\n");
}

static void md_aggregate(const struct bench_table *t, struct buf *out)
{
	const struct bench_aggregate *a = &t->agg;

	buf_addf(out, "\n## Aggregate over %zu targets\n\n| metric | value |\n|---|---|\n", a->n);
	buf_addf(out, "| correct | %zu/%zu (%.1f%%) |\n", a->ncorrect, a->n,
	         a->n ? 100 * a->correct_rate : 0);
	for (size_t k = 0; k < a->np; k++)
		buf_addf(out, "| fast_%g (correct and speedup > %g) | %.3f |\n", a->p[k], a->p[k],
		         a->fast_p[k]);
	buf_addstr(out, "| geometric mean speedup, all targets (failed = 1.0) | ");
	fmt_speedup(a->geo_all.estimate, a->geo_all.lo, a->geo_all.hi, out);
	buf_addf(out, " |\n| geometric mean speedup, correct targets (%zu) | ", a->ncorrect);
	fmt_speedup(a->geo_correct.estimate, a->geo_correct.lo, a->geo_correct.hi, out);
	buf_addf(out, " |\n| geometric mean, winner vs best preset (%zu targets) | ", a->npreset);
	fmt_speedup(a->geo_preset.estimate, a->geo_preset.lo, a->geo_preset.hi, out);
	buf_addstr(out, " |\n\nIntervals: 95% percentile bootstrap (2000 resamples) over targets "
	                "for the means, over measured pairs for a row.\n");
}

void bench_render_md(const struct bench_table *t, struct buf *out)
{
	int notes = 0;

	buf_addf(out, "# Benchmark: %s\n\n", str(t->suite, "name"));
	bench_fingerprint_line(t, out);
	buf_addstr(out, "\n\n");
	bench_nodes_note(t, out);
	settings_line(t, out);
	buf_addstr(out, "\n\n| target | status | objective | original | best | speedup [95% CI] | "
	                "correct | winner | tried | rejected | best preset | winner vs preset | "
	                "tokens | cost |\n"
	                "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < t->n; i++)
		md_row(&t->rows[i], out);
	for (size_t i = 0; i < t->n; i++) {
		const struct bench_row *r = &t->rows[i];
		if (!r->reason || !strcmp(r->status, "improved") ||
		    !strcmp(r->status, "no-improvement"))
			continue;
		buf_addstr(out, notes++ ? "" : "\nReasons:\n\n");
		buf_addf(out, "- %s (%s): ", r->name, r->status);
		md_cell(r->reason, 200, out);
		buf_addch(out, '\n');
	}
	if (t->nmissing)
		buf_addf(out,
		         "\n%zu target%s not finished yet: run the same command again to resume.\n",
		         t->nmissing, t->nmissing == 1 ? " is" : "s are");
	md_aggregate(t, out);
}

static void csv_field(const char *s, struct buf *out)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\n\r")) {
		buf_addstr(out, s);
		return;
	}
	buf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addch(out, '"');
		buf_addch(out, *s);
	}
	buf_addch(out, '"');
}

static void csv_num(double x, struct buf *out)
{
	buf_addch(out, ',');
	if (isfinite(x))
		buf_addf(out, "%.17g", x);
}

void bench_render_csv(const struct bench_table *t, struct buf *out)
{
	struct buf tmp = BUF_INIT;

	buf_addstr(out, "# ");
	bench_fingerprint_line(t, out);
	buf_addstr(out, "\n");
	bench_nodes_note_lines(t, "# ", out);
	buf_addstr(out, "# ");
	settings_line(t, out);
	buf_addstr(out, "\nname,target,status,objective,unit,original,best,speedup,speedup_lo,"
	                "speedup_hi,correct,winner,tried,accepted,rejected,best_preset,"
	                "preset_speedup,winner_vs_preset,winner_vs_preset_lo,winner_vs_preset_hi,"
	                "prompt_tokens,completion_tokens,cost,reason\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct bench_row *r = &t->rows[i];
		csv_field(r->name, out);
		buf_addch(out, ',');
		csv_field(r->target, out);
		buf_addf(out, ",%s,", r->status);
		csv_field(r->objective, out);
		buf_addch(out, ',');
		csv_field(r->unit, out);
		csv_num(r->original, out);
		csv_num(r->best, out);
		csv_num(r->speedup, out);
		csv_num(r->lo, out);
		csv_num(r->hi, out);
		buf_addf(out, ",%d,", r->correct);
		csv_field(r->winner, out);
		buf_addf(out, ",%d,%d,", r->tried, r->accepted);
		buf_reset(&tmp);
		rejected_text(r, &tmp);
		csv_field(tmp.data, out);
		buf_addch(out, ',');
		csv_field(r->preset, out);
		csv_num(r->preset_speedup, out);
		csv_num(r->preset_vs_best, out);
		csv_num(r->preset_vs_lo, out);
		csv_num(r->preset_vs_hi, out);
		buf_addf(out, ",%ld,%ld", r->prompt_tokens, r->completion_tokens);
		csv_num(r->cost, out);
		buf_addch(out, ',');
		csv_field(r->reason, out);
		buf_addch(out, '\n');
	}
	buf_release(&tmp);
}

static void tex_escape(const char *s, struct buf *out)
{
	for (; s && *s && *s != '\n'; s++) {
		switch (*s) {
		case '&':
		case '%':
		case '$':
		case '#':
		case '_':
		case '{':
		case '}':
			buf_addch(out, '\\');
			buf_addch(out, *s);
			break;
		case '~':
			buf_addstr(out, "\\textasciitilde{}");
			break;
		case '^':
			buf_addstr(out, "\\textasciicircum{}");
			break;
		case '\\':
			buf_addstr(out, "\\textbackslash{}");
			break;
		default:
			buf_addch(out, *s);
		}
	}
}

static void tex_speedup(double e, double lo, double hi, struct buf *out)
{
	if (!isfinite(e))
		buf_addstr(out, "--");
	else if (isfinite(lo) && isfinite(hi))
		buf_addf(out, "%.2f$\\times$ [%.2f, %.2f]", e, lo, hi);
	else
		buf_addf(out, "%.2f$\\times$", e);
}

void bench_render_latex(const struct bench_table *t, struct buf *out)
{
	const struct bench_aggregate *a = &t->agg;

	buf_addstr(out, "% ");
	bench_fingerprint_line(t, out);
	buf_addstr(out, "\n");
	bench_nodes_note_lines(t, "% ", out);
	buf_addstr(out, "% ");
	settings_line(t, out);
	buf_addstr(out, "\n% needs \\usepackage{booktabs}\n\\begin{tabular}{llrrlcl}\n\\toprule\n"
	                "Target & Status & Original & Best & Speedup [95\\% CI] & Correct & "
	                "vs best preset \\\\\n\\midrule\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct bench_row *r = &t->rows[i];
		struct buf v = BUF_INIT;
		tex_escape(r->name, out);
		buf_addstr(out, " & ");
		tex_escape(r->status, out);
		buf_addstr(out, " & ");
		fmt_value(r->original, r->unit, &v);
		tex_escape(v.data, out);
		buf_addstr(out, " & ");
		buf_reset(&v);
		fmt_value(r->best, r->unit, &v);
		tex_escape(v.data, out);
		buf_addstr(out, " & ");
		tex_speedup(r->speedup, r->lo, r->hi, out);
		buf_addf(out, " & %s & ", r->correct ? "yes" : "no");
		tex_speedup(r->preset_vs_best, r->preset_vs_lo, r->preset_vs_hi, out);
		buf_addstr(out, " \\\\\n");
		buf_release(&v);
	}
	buf_addf(out, "\\midrule\n\\multicolumn{4}{l}{Correct} & %zu/%zu & & \\\\\n", a->ncorrect,
	         a->n);
	for (size_t k = 0; k < a->np; k++)
		buf_addf(out, "\\multicolumn{4}{l}{fast$_{%g}$} & %.3f & & \\\\\n", a->p[k],
		         a->fast_p[k]);
	buf_addstr(out, "\\multicolumn{4}{l}{Geometric mean, all (failed = 1)} & ");
	tex_speedup(a->geo_all.estimate, a->geo_all.lo, a->geo_all.hi, out);
	buf_addstr(out, " & & \\\\\n\\multicolumn{4}{l}{Geometric mean, correct} & ");
	tex_speedup(a->geo_correct.estimate, a->geo_correct.lo, a->geo_correct.hi, out);
	buf_addstr(out, " & & \\\\\n\\multicolumn{4}{l}{Geometric mean, vs best preset} & & & ");
	tex_speedup(a->geo_preset.estimate, a->geo_preset.lo, a->geo_preset.hi, out);
	buf_addstr(out, " \\\\\n\\bottomrule\n\\end{tabular}\n");
}

static void interval_json(cJSON *o, const char *key, const struct stats_interval *s, size_t n)
{
	cJSON *x = json_add_object(o, key);
	json_add_number(x, "estimate", s->estimate);
	json_add_number(x, "lo", s->lo);
	json_add_number(x, "hi", s->hi);
	json_add_number(x, "level", STATS_DEFAULT_LEVEL);
	json_add_number(x, "targets", (double)n);
}

struct cJSON *bench_render_json(const struct bench_table *t)
{
	const struct bench_aggregate *a = &t->agg;
	cJSON *root = cJSON_CreateObject(), *rows, *agg, *fp;

	json_add_string(root, "schema", BENCH_TABLE_SCHEMA);
	json_add_number(root, "schema_version", BENCH_TABLE_SCHEMA_VERSION);
	json_add_string(root, "suite", json_get_string(t->suite, "name", NULL));
	cJSON_AddItemToObject(root, "fingerprint",
	                      cJSON_Duplicate(sub(t->suite, "fingerprint"), 1));
	cJSON_AddItemToObject(root, "settings", cJSON_Duplicate(sub(t->suite, "settings"), 1));
	bench_nodes_json(t, root);
	rows = json_add_array(root, "rows");
	for (size_t i = 0; i < t->j.n; i++)
		if (t->j.state[i] == BENCH_DONE)
			cJSON_AddItemToArray(rows, cJSON_Duplicate(t->j.rows[i], 1));
	json_add_number(root, "missing", (double)t->nmissing);
	agg = json_add_object(root, "aggregate");
	json_add_number(agg, "targets", (double)a->n);
	json_add_number(agg, "correct", (double)a->ncorrect);
	json_add_number(agg, "correct_rate", a->correct_rate);
	fp = json_add_array(agg, "fast_p");
	for (size_t k = 0; k < a->np; k++) {
		cJSON *o = json_add_object(fp, NULL);
		json_add_number(o, "p", a->p[k]);
		json_add_number(o, "value", a->fast_p[k]);
	}
	interval_json(agg, "geomean_all", &a->geo_all, a->n);
	interval_json(agg, "geomean_correct", &a->geo_correct, a->ncorrect);
	interval_json(agg, "geomean_vs_best_preset", &a->geo_preset, a->npreset);
	return root;
}

static int write_text(const char *dir, const char *name, const struct buf *b, struct buf *err)
{
	struct buf p = BUF_INIT;
	int r;
	buf_addf(&p, "%s/%s", dir, name);
	r = file_write_atomic(p.data, b->data ? b->data : "", b->len, 0644, err);
	buf_release(&p);
	return r;
}

int bench_render_files(const char *dir, const struct bench_table *t, struct buf *err)
{
	struct buf b = BUF_INIT, p = BUF_INIT;
	cJSON *j;
	int r;

	bench_render_md(t, &b);
	r = write_text(dir, "table.md", &b, err);
	buf_reset(&b);
	bench_render_csv(t, &b);
	if (r == 0)
		r = write_text(dir, "table.csv", &b, err);
	buf_reset(&b);
	bench_render_latex(t, &b);
	if (r == 0)
		r = write_text(dir, "table.tex", &b, err);
	j = bench_render_json(t);
	buf_addf(&p, "%s/table.json", dir);
	if (r == 0)
		r = json_write_file_atomic(p.data, j, 1, err);
	cJSON_Delete(j);
	buf_release(&b);
	buf_release(&p);
	return r;
}
