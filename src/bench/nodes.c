/*
 * nodes.c: where a suite's rows ran. See nodes.h.
 */
#include "bench/nodes.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "base/json.h"
#include "base/strlist.h"

/* Add s to l unless it is there. */
static void add_unique(struct strlist *l, const char *s)
{
	if (s && *s && !strlist_has(l, s))
		strlist_push(l, s);
}

static void join(const struct strlist *l, struct buf *out)
{
	for (size_t i = 0; i < l->n; i++)
		buf_addf(out, "%s%s", i ? ", " : "", l->v[i]);
}

/* The hosts and CPU models the finished rows name, in suite order. */
static void collect(const struct bench_table *t, struct strlist *hosts, struct strlist *cpus)
{
	for (size_t i = 0; i < t->j.n; i++) {
		const cJSON *row = t->j.rows ? t->j.rows[i] : NULL;
		if (!row)
			continue;
		add_unique(hosts, json_get_string(row, "host", NULL));
		add_unique(cpus, json_get_string(row, "cpu", NULL));
	}
}

void bench_nodes_note(const struct bench_table *t, struct buf *out)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(t->suite, "fingerprint");
	const char *host0 = json_get_string(f, "host", ""), *cpu0 = json_get_string(f, "cpu", "");
	struct strlist hosts = {0}, cpus = {0};
	size_t len0 = out->len;

	collect(t, &hosts, &cpus);
	if (hosts.n > 1 || (hosts.n == 1 && strcmp(hosts.v[0], host0))) {
		buf_addf(out, "Rows ran on %zu host%s (", hosts.n, hosts.n == 1 ? "" : "s");
		join(&hosts, out);
		buf_addstr(out, "); each row's host and CPU are in table.json.\n");
	}
	if (cpus.n > 1 || (cpus.n == 1 && strcmp(cpus.v[0], cpu0))) {
		buf_addf(out, "Rows come from %zu CPU model%s (", cpus.n, cpus.n == 1 ? "" : "s");
		join(&cpus, out);
		buf_addstr(out, cpus.n > 1 ? "): each speedup is a head-to-head on one node and "
		                             "compares across rows; the original's and the best's "
		                             "values do not.\n"
		                           : ").\n");
	}
	if (out->len > len0)
		buf_addch(out, '\n');
	strlist_release(&hosts);
	strlist_release(&cpus);
}

/* Call fn for each non-empty line of the note. */
static void each_line(const struct bench_table *t, void (*fn)(void *ctx, const char *line),
                      void *ctx)
{
	struct buf note = BUF_INIT;
	char *line, *save = NULL;

	bench_nodes_note(t, &note);
	for (line = note.len ? strtok_r(note.data, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		fn(ctx, line);
	buf_release(&note);
}

struct prefixed {
	const char *prefix;
	struct buf *out;
};

static void add_prefixed(void *ctx, const char *line)
{
	struct prefixed *p = ctx;
	buf_addf(p->out, "%s%s\n", p->prefix, line);
}

void bench_nodes_note_lines(const struct bench_table *t, const char *prefix, struct buf *out)
{
	struct prefixed p = {prefix, out};
	each_line(t, add_prefixed, &p);
}

static void add_json_line(void *ctx, const char *line)
{
	json_add_string(ctx, NULL, line);
}

void bench_nodes_json(const struct bench_table *t, struct cJSON *root)
{
	struct strlist hosts = {0}, cpus = {0};
	cJSON *o = json_add_object(root, "nodes"), *a;

	collect(t, &hosts, &cpus);
	a = json_add_array(o, "hosts");
	for (size_t i = 0; i < hosts.n; i++)
		json_add_string(a, NULL, hosts.v[i]);
	a = json_add_array(o, "cpus");
	for (size_t i = 0; i < cpus.n; i++)
		json_add_string(a, NULL, cpus.v[i]);
	each_line(t, add_json_line, json_add_array(o, "notes"));
	strlist_release(&hosts);
	strlist_release(&cpus);
}
