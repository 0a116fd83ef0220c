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

void bench_nodes_note(const struct bench_table *t, struct buf *out)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(t->suite, "fingerprint");
	const char *host0 = json_get_string(f, "host", ""), *cpu0 = json_get_string(f, "cpu", "");
	struct strlist hosts = {0}, cpus = {0};
	size_t len0 = out->len;

	for (size_t i = 0; i < t->j.n; i++) {
		const cJSON *row = t->j.rows ? t->j.rows[i] : NULL;
		if (!row)
			continue;
		add_unique(&hosts, json_get_string(row, "host", NULL));
		add_unique(&cpus, json_get_string(row, "cpu", NULL));
	}
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
