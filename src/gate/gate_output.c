/*
 * gate_output.c: Markdown, JUnit XML, JSON and GitHub annotations of a
 * gate's result. See gate_output.h.
 */
#include "gate/gate_output.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

const char *gate_status_name(enum gate_status s)
{
	switch (s) {
	case GATE_PASS:
		return "pass";
	case GATE_REGRESSION:
		return "regression";
	case GATE_BROKEN:
		return "broken";
	case GATE_USAGE:
		return "cannot measure";
	case GATE_INCOMPLETE:
		break;
	}
	return "incomplete";
}

/* "1.234e+06 instructions", "0.0123 s" */
static void value_text(double v, const char *unit, struct buf *out)
{
	if (isnan(v))
		buf_addstr(out, "-");
	else if (v >= 1e4 && v == floor(v) && v < 1e18)
		buf_addf(out, "%.0f%s%s", v, unit && *unit ? " " : "", unit ? unit : "");
	else
		buf_addf(out, "%.6g%s%s", v, unit && *unit ? " " : "", unit ? unit : "");
}

static void interval_text(const struct gate_target *t, struct buf *out)
{
	if (t->deterministic)
		buf_addf(out, "[%.4f, %.4f] (exact counts)", t->ci.lo, t->ci.hi);
	else
		buf_addf(out, "[%.4f, %.4f] (%.4g%% CI)", t->ci.lo, t->ci.hi, t->level * 100);
}

void gate_target_summary(const struct gate_target *t, struct buf *out)
{
	double pct;

	if (t->outcome != GATE_MEASURED) {
		buf_addf(out, "%s: %s", gate_outcome_name(t->outcome), t->reason ? t->reason : "");
		return;
	}
	pct = (t->ci.estimate - 1) * 100;
	buf_addf(out, "%s: ", stats_gate_verdict_name(t->verdict));
	if (!isnan(pct))
		buf_addf(out, "%.1f%% %s, ", fabs(pct), pct >= 0 ? "slower" : "faster");
	buf_addf(out, "ratio head/base %.4f, interval ", t->ci.estimate);
	interval_text(t, out);
	buf_addf(out, ", threshold %.4g%%, %zu pair%s; base ", t->threshold * 100, t->n,
	         t->n == 1 ? "" : "s");
	value_text(t->base_value, t->unit, out);
	buf_addstr(out, ", head ");
	value_text(t->head_value, t->unit, out);
	buf_addf(out, " (%s)", t->objective ? t->objective : "");
}

/* New or removed: said everywhere, decides nothing. */
static int one_sided(const struct gate_target *t)
{
	return t->outcome == GATE_NEW || t->outcome == GATE_REMOVED;
}

static int fails(const struct gate_target *t, int inconclusive_fails)
{
	return t->outcome == GATE_MEASURED &&
	       (t->verdict == GATE_REGRESSED ||
	        (t->verdict == GATE_INCONCLUSIVE && inconclusive_fails));
}

/* A cell of a Markdown table: no newlines, no pipes. */
static void md_cell(const char *s, size_t max, struct buf *out)
{
	size_t n = 0;

	for (; s && *s && n < max; s++, n++) {
		if (*s == '|')
			buf_addstr(out, "\\|");
		else if (*s == '\n' || *s == '\r')
			buf_addch(out, ' ');
		else
			buf_addch(out, *s);
	}
	if (s && *s)
		buf_addstr(out, " …");
}

static void rule_text(const struct gate_result *r, struct buf *out)
{
	buf_addf(out,
	         "Verdict rule: *regressed* when the whole interval of head/base lies above 1 and "
	         "the slowdown is at least the threshold; *improved* symmetrically; *unchanged* "
	         "when the interval lies inside the threshold band; *inconclusive* otherwise. "
	         "Family-wise false-alarm rate %.4g%% over %zu compared target%s (Holm's "
	         "step-down on the intervals).\n",
	         r->alpha * 100, r->family, r->family == 1 ? "" : "s");
}

void gate_render_markdown(const struct gate_result *r, int inconclusive_fails, struct buf *out)
{
	enum gate_status st = gate_status_of(r, inconclusive_fails);

	buf_addf(out, "## optimize gate: %s\n\n", gate_status_name(st));
	buf_addf(out, "Base: %s · head: %s\n\n", r->base_label ? r->base_label : "?",
	         r->head_label ? r->head_label : "?");
	buf_addstr(out, "| target | verdict | base | head | head/base | interval | pairs |\n"
	                "|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		buf_addstr(out, "| ");
		md_cell(t->name, 200, out);
		if (t->outcome != GATE_MEASURED) {
			buf_addf(out, " | %s%s%s | - | - | - | - | - |\n", one_sided(t) ? "" : "**",
			         gate_outcome_name(t->outcome), one_sided(t) ? "" : "**");
			continue;
		}
		buf_addf(out, " | %s%s%s | ", fails(t, inconclusive_fails) ? "**" : "",
		         stats_gate_verdict_name(t->verdict),
		         fails(t, inconclusive_fails) ? "**" : "");
		value_text(t->base_value, t->unit, out);
		buf_addstr(out, " | ");
		value_text(t->head_value, t->unit, out);
		buf_addf(out, " | %.4f | ", t->ci.estimate);
		interval_text(t, out);
		buf_addf(out, " | %zu |\n", t->n);
	}
	buf_addstr(out, "\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		if (t->outcome == GATE_MEASURED)
			continue;
		buf_addstr(out, "- **");
		md_cell(t->name, 200, out);
		buf_addstr(out, "**: ");
		md_cell(t->reason, 2000, out);
		buf_addstr(out, "\n");
	}
	for (size_t i = 0; i < r->notes.n; i++)
		buf_addf(out, "- warning: %s\n", r->notes.v[i]);
	if (r->n && (r->notes.n || r->family < r->n))
		buf_addstr(out, "\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		if (t->outcome == GATE_MEASURED) {
			buf_addf(out, "Objective: %s (%s); threshold %.4g%%.\n", t->objective,
			         t->source, t->threshold * 100);
			break;
		}
	}
	rule_text(r, out);
}

static void xml_escape(const char *s, struct buf *out)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '<':
			buf_addstr(out, "&lt;");
			break;
		case '>':
			buf_addstr(out, "&gt;");
			break;
		case '&':
			buf_addstr(out, "&amp;");
			break;
		case '"':
			buf_addstr(out, "&quot;");
			break;
		default:
			/* XML 1.0 has no place for other control characters. */
			if (c < 0x20 && c != '\n' && c != '\t')
				buf_addch(out, ' ');
			else
				buf_addch(out, (char)c);
		}
	}
}

void gate_render_junit(const struct gate_result *r, int inconclusive_fails, struct buf *out)
{
	size_t failures = 0, errors = 0, skipped = 0;
	struct buf head = BUF_INIT;

	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		if (one_sided(t))
			skipped++;
		else if (t->outcome != GATE_MEASURED)
			errors++;
		else if (fails(t, inconclusive_fails))
			failures++;
		else if (t->verdict == GATE_INCONCLUSIVE)
			skipped++;
	}
	buf_addf(&head, "tests=\"%zu\" failures=\"%zu\" errors=\"%zu\"", r->n, failures, errors);
	buf_addf(out,
	         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	         "<testsuites name=\"optimize gate\" %s>\n"
	         "  <testsuite name=\"optimize gate\" %s skipped=\"%zu\">\n",
	         head.data, head.data, skipped);
	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		struct buf s = BUF_INIT;
		const char *tag = NULL;

		gate_target_summary(t, &s);
		buf_addstr(out, "    <testcase classname=\"optimize.gate\" name=\"");
		xml_escape(t->name, out);
		buf_addstr(out, "\"");
		if (one_sided(t))
			tag = "skipped";
		else if (t->outcome != GATE_MEASURED)
			tag = "error";
		else if (fails(t, inconclusive_fails))
			tag = "failure";
		else if (t->verdict == GATE_INCONCLUSIVE)
			tag = "skipped";
		if (!tag) {
			buf_addstr(out, "/>\n");
		} else {
			buf_addf(out, ">\n      <%s message=\"", tag);
			xml_escape(s.data, out);
			buf_addf(out, "\" type=\"%s\">",
			         t->outcome == GATE_MEASURED ? stats_gate_verdict_name(t->verdict)
			                                     : gate_outcome_name(t->outcome));
			xml_escape(s.data, out);
			buf_addf(out, "</%s>\n    </testcase>\n", tag);
		}
		buf_release(&s);
	}
	buf_addstr(out, "  </testsuite>\n</testsuites>\n");
	buf_release(&head);
}

static void json_number_or_null(cJSON *o, const char *key, double v)
{
	if (isfinite(v))
		json_add_number(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

void gate_render_json(const struct gate_result *r, int inconclusive_fails, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *arr, *notes;
	char *text;

	json_add_string(root, "schema", "optimize-gate");
	json_add_number(root, "version", 1);
	json_add_string(root, "tool_version", OPTIMIZE_VERSION);
	json_add_string(root, "status", gate_status_name(gate_status_of(r, inconclusive_fails)));
	json_add_string(root, "base", r->base_label ? r->base_label : "");
	json_add_string(root, "head", r->head_label ? r->head_label : "");
	json_add_number(root, "alpha", r->alpha);
	json_add_string(root, "family_correction", "holm");
	json_add_number(root, "family_size", (double)r->family);
	json_add_bool(root, "inconclusive_fails", inconclusive_fails);
	arr = json_add_array(root, "targets");
	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		cJSON *o = cJSON_CreateObject(), *rs;
		cJSON_AddItemToArray(arr, o);
		json_add_string(o, "name", t->name);
		json_add_string(o, "outcome", gate_outcome_name(t->outcome));
		json_add_string(o, "verdict",
		                t->outcome == GATE_MEASURED ? stats_gate_verdict_name(t->verdict)
		                                            : gate_outcome_name(t->outcome));
		json_add_bool(o, "fails",
		              fails(t, inconclusive_fails) ||
		                  (t->outcome != GATE_MEASURED && !one_sided(t)));
		if (t->reason)
			json_add_string(o, "reason", t->reason);
		if (t->objective)
			json_add_string(o, "objective", t->objective);
		if (t->unit)
			json_add_string(o, "unit", t->unit);
		if (t->source)
			json_add_string(o, "source", t->source);
		json_add_bool(o, "deterministic", t->deterministic);
		json_add_number(o, "threshold", t->threshold);
		json_number_or_null(o, "base_value", t->base_value);
		json_number_or_null(o, "head_value", t->head_value);
		json_number_or_null(o, "ratio", t->ci.estimate);
		json_number_or_null(o, "ci_low", t->ci.lo);
		json_number_or_null(o, "ci_high", t->ci.hi);
		json_number_or_null(o, "level", t->outcome == GATE_MEASURED ? t->level : NAN);
		json_add_number(o, "pairs", (double)t->n);
		rs = json_add_array(o, "ratios");
		for (size_t j = 0; j < t->n; j++)
			cJSON_AddItemToArray(rs, cJSON_CreateNumber(t->ratios[j]));
		if (t->base_samples && t->head_samples) {
			cJSON *bs = json_add_array(o, "base_samples"), *hs;
			hs = json_add_array(o, "head_samples");
			for (size_t j = 0; j < t->n; j++) {
				cJSON_AddItemToArray(bs, cJSON_CreateNumber(t->base_samples[j]));
				cJSON_AddItemToArray(hs, cJSON_CreateNumber(t->head_samples[j]));
			}
		}
	}
	notes = json_add_array(root, "notes");
	for (size_t i = 0; i < r->notes.n; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes.v[i]));
	text = json_print_take(root, 1);
	buf_addstr(out, text);
	buf_addstr(out, "\n");
	free(text);
	cJSON_Delete(root);
}

/* GitHub's workflow commands: %, CR and LF escaped in the message. */
static void gh_escape(const char *s, int property, struct buf *out)
{
	for (; s && *s; s++) {
		if (*s == '%')
			buf_addstr(out, "%25");
		else if (*s == '\r')
			buf_addstr(out, "%0D");
		else if (*s == '\n')
			buf_addstr(out, "%0A");
		else if (property && *s == ':')
			buf_addstr(out, "%3A");
		else if (property && *s == ',')
			buf_addstr(out, "%2C");
		else
			buf_addch(out, *s);
	}
}

void gate_render_annotations(const struct gate_result *r, int inconclusive_fails, struct buf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct gate_target *t = &r->t[i];
		struct buf s = BUF_INIT, title = BUF_INIT;
		const char *kind = NULL;

		if (one_sided(t))
			kind = "notice";
		else if (t->outcome != GATE_MEASURED || fails(t, inconclusive_fails))
			kind = "error";
		else if (t->verdict == GATE_INCONCLUSIVE)
			kind = "warning";
		if (kind) {
			gate_target_summary(t, &s);
			buf_addf(&title, "optimize gate: %s %s", t->name,
			         t->outcome == GATE_MEASURED ? stats_gate_verdict_name(t->verdict)
			                                     : gate_outcome_name(t->outcome));
			buf_addf(out, "::%s title=", kind);
			gh_escape(title.data, 1, out);
			buf_addstr(out, "::");
			gh_escape(t->name, 0, out);
			buf_addstr(out, " ");
			gh_escape(s.data, 0, out);
			buf_addstr(out, "\n");
		}
		buf_release(&s);
		buf_release(&title);
	}
	for (size_t i = 0; i < r->notes.n; i++) {
		buf_addstr(out, "::warning title=optimize gate::");
		gh_escape(r->notes.v[i], 0, out);
		buf_addstr(out, "\n");
	}
}
