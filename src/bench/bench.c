/*
 * bench.c: the suite record, and the task: one entry of a suite run into
 * DIR and recorded in the journal. See bench.h.
 */
#include "bench/bench.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/json.h"
#include "base/util.h"
#include "base/version.h"
#include "base/xalloc.h"
#include "bench/journal.h"
#include "bench/preset.h"
#include "bench/row.h"
#include "engine/manifest.h"
#include "engine/measure.h"
#include "engine/workspace.h"
#include "prof/machine.h"

const char *bench_lock_default(void)
{
	const char *e = getenv("OPTIMIZE_BENCH_LOCK");
	return e && *e ? e : "/tmp/optimize-bench.lock";
}

static cJSON *record(const char *kind, long task, const char *name)
{
	cJSON *r = cJSON_CreateObject();
	json_add_string(r, "record", kind);
	if (task >= 0) {
		json_add_number(r, "task", (double)task);
		json_add_string(r, "target", name);
	}
	json_add_number(r, "time", clock_unix_s());
	return r;
}

static void settings_json(cJSON *o, const struct bench_run *b)
{
	const struct run_settings *rs = b->rs;
	const struct llm_run_options *l = rs->llm;
	const struct bench_suite *s = b->suite;
	cJSON *a;

	json_add_string(o, "proposer", b->proposer);
	if (l && l->model && !rs->no_llm) {
		json_add_string(o, "provider", l->provider);
		json_add_string(o, "model", l->model);
		json_add_number(o, "rounds", l->rounds);
		json_add_number(o, "candidates", l->candidates);
		json_add_string(o, "strategy",
		                l->strategy == LLM_STRATEGY_BEAM ? "beam" : "greedy");
		json_add_string(o, "cache", llm_cache_mode_name(l->cache_mode));
		json_add_number(o, "budget_tokens", (double)l->budget_tokens);
	}
	json_add_string(o, "objective", rs->po.objective ? rs->po.objective : "(each manifest's)");
	json_add_string(o, "counters", rs->po.counters ? rs->po.counters : "automatic");
	json_add_string(o, "cc", rs->po.cc ? rs->po.cc : "(each manifest's)");
	json_add_number(o, "seed", (double)rs->po.m.seed);
	json_add_number(o, "min_runs", rs->po.m.min_runs);
	json_add_number(o, "max_runs", rs->po.m.max_runs);
	json_add_number(o, "warmup", rs->po.m.warmup);
	json_add_number(o, "min_gain", rs->po.m.min_gain);
	json_add_number(o, "confidence_level", rs->po.m.level);
	json_add_number(o, "budget_time_s", rs->lo.budget_time_s);
	a = json_add_array(o, "presets");
	for (size_t i = 0; !b->no_presets && i < s->presets.n; i++)
		json_add_string(a, NULL, s->presets.v[i]);
	a = json_add_array(o, "fast_p");
	for (size_t i = 0; i < s->nfast_p; i++)
		json_add_number(a, NULL, s->fast_p[i]);
}

static cJSON *fingerprint_json(const struct bench_run *b)
{
	struct machine_info mi;
	cJSON *f = cJSON_CreateObject(), *tool;

	memset(&mi, 0, sizeof(mi));
	machine_info_collect(&mi, b->rs->po.cc ? b->rs->po.cc : "cc");
	json_add_string(f, "cpu", mi.cpu_model);
	json_add_number(f, "cores", mi.cores);
	json_add_string(f, "kernel", mi.kernel);
	json_add_string(f, "host", mi.hostname);
	json_add_string(f, "compiler", mi.compiler);
	tool = json_add_object(f, "tool");
	json_add_string(tool, "name", "optimize");
	json_add_string(tool, "version", OPTIMIZE_VERSION);
	json_add_string(tool, "commit", optimize_commit());
	machine_info_release(&mi);
	return f;
}

struct cJSON *bench_suite_record(const struct bench_run *b)
{
	cJSON *r = record("suite", -1, NULL), *a;

	json_add_string(r, "schema", BENCH_JOURNAL_SCHEMA);
	json_add_number(r, "schema_version", BENCH_JOURNAL_VERSION);
	json_add_string(r, "suite", b->suite->path);
	json_add_string(r, "name", b->suite->name);
	json_add_string(r, "command", b->command);
	a = json_add_array(r, "entries");
	for (size_t i = 0; i < b->suite->n; i++)
		json_add_string(a, NULL, b->suite->entries[i].name);
	settings_json(json_add_object(r, "settings"), b);
	cJSON_AddItemToObject(r, "fingerprint", fingerprint_json(b));
	return r;
}

int bench_journal_prepare(const struct bench_run *b, struct buf *err)
{
	struct bench_journal j;
	const char **names = xcalloc(b->suite->n + 1, sizeof(*names));
	cJSON *rec = bench_suite_record(b);
	int r = bench_journal_init(b->out_dir, rec, err);

	cJSON_Delete(rec);
	for (size_t i = 0; i < b->suite->n; i++)
		names[i] = b->suite->entries[i].name;
	if (r == 0) {
		r = bench_journal_read(b->out_dir, &j, err);
		if (r == 0)
			r = bench_journal_same_suite(&j, names, b->suite->n, err);
		else if (r == 1)
			r = err_set(err, "%s/%s: the journal is empty", b->out_dir,
			            BENCH_JOURNAL_FILE);
		bench_journal_release(&j);
		if (r < 0)
			err_prefix(err, "%s: ", b->out_dir);
	}
	free(names);
	return r;
}

/*
 * The machine's timing lock: one fd held while the target runs; -1 = none.
 * A POSIX record lock (fcntl), not flock: fork does not pass it on, so a
 * child left behind by a killed suite cannot keep holding it.
 */
static int timing_lock(int fd, int wait)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
}

static int lock_timing(const struct bench_run *b, const struct engine_events *ev)
{
	const char *path = b->lock_path ? b->lock_path : bench_lock_default();
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0) {
		engine_note(ev, NOTE_WARNING, "cannot open the timing lock %s: %s", path,
		            strerror(errno));
		return -1;
	}
	(void)fchmod(fd, 0666); /* other users' suites share it; best effort */
	if (timing_lock(fd, 0) == 0)
		return fd;
	engine_note(ev, NOTE_DETAIL, "waiting for the timing lock %s (another target is measuring)",
	            path);
	while (timing_lock(fd, 1) < 0) {
		if (errno != EINTR || (b->cancel && *b->cancel)) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/*
 * The timing lock around each timed phase of a target (measure.h's guard):
 * held while the original or a head-to-head is measured, not while
 * candidates are built, verified or proposed, so tasks running at once
 * (--jobs, several suites, Slurm tasks on one node) overlap everything but
 * their timed runs. Each phase is logged to DIR/targets/<entry>/timed.log
 * ("START END", seconds since the epoch) once the lock is released.
 */
struct timing {
	const struct bench_run *b;
	const struct engine_events *ev;
	const char *log;
	int fd;
	double since;
};

static int timing_enter(void *ctx)
{
	struct timing *t = ctx;

	t->fd = lock_timing(t->b, t->ev);
	if (t->fd < 0 && t->b->cancel && *t->b->cancel)
		return -1;
	t->since = clock_unix_s();
	return 0;
}

static void timing_leave(void *ctx)
{
	struct timing *t = ctx;
	char line[64];
	int n = snprintf(line, sizeof(line), "%.6f %.6f\n", t->since, clock_unix_s()), fd;

	/* Closing the fd releases the record lock; the line is written after
	 * (the next phase's START is never before this END). */
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	fd = open(t->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) != n)
			engine_note(t->ev, NOTE_DETAIL, "cannot write %s", t->log);
		close(fd);
	}
}

/* Run one valid entry; *row gets its row unless interrupted. */
static enum engine_status run_entry(const struct bench_run *b, const struct bench_entry *e,
                                    const char *state_dir, cJSON **row, struct buf *err)
{
	struct manifest m = {0};
	const struct target *t;
	struct target_run tr;
	struct run_settings rs = *b->rs;
	const struct engine_events *ev = b->ev ? &b->ev->engine : NULL;
	enum engine_status st = ENGINE_OK;
	struct buf log = BUF_INIT;
	struct timing tm = {b, ev, NULL, -1, 0};
	const struct measure_guard guard = {timing_enter, timing_leave, &tm};
	int configured = 0;

	if (manifest_load(e->tree, &m, err) < 0 || !(t = manifest_find_target(&m, e->target))) {
		if (!err->len)
			buf_addf(err, "no target '%s' in %s", e->target, m.path);
		*row = bench_row_failed(e, BENCH_ROW_INVALID_MANIFEST, err->data);
		manifest_release(&m);
		return ENGINE_OK;
	}
	rs.po.state_dir = state_dir;
	rs.po.run_id = "bench";
	rs.po.cancel = b->cancel;
	rs.po.guard = &guard;
	buf_addf(&log, "%s/timed.log", state_dir);
	tm.log = log.data;
	if (target_run_init(&tr, &rs, t, ev, &configured, err) < 0) {
		*row = bench_row_failed(e, BENCH_ROW_ERROR, err->data);
		target_run_release(&tr);
		manifest_release(&m);
		buf_release(&log);
		return ENGINE_OK;
	}
	if (!(b->cancel && *b->cancel))
		st = target_run_exec(&tr, &rs, err);
	else
		st = ENGINE_INTERRUPTED;
	if (st != ENGINE_INTERRUPTED) {
		*row = bench_row_from_run(e, &tr, st, err->data);
		if (!b->no_presets && tr.l)
			st = bench_presets_run(&tr, &b->suite->presets, *row, err);
	}
	target_run_release(&tr);
	manifest_release(&m);
	buf_release(&log);
	return st;
}

/* The row names the machine it ran on (Slurm tasks spread over nodes). */
static void row_where(const struct bench_run *b, cJSON *row, const char *host)
{
	struct machine_info mi;
	struct buf reason = BUF_INIT;
	const char *log, *status;

	memset(&mi, 0, sizeof(mi));
	machine_info_collect(&mi, b->rs->po.cc ? b->rs->po.cc : "cc");
	json_add_string(row, "host", host);
	json_add_string(row, "cpu", mi.cpu_model);
	machine_info_release(&mi);
	/* A Slurm task (slurm_array_script) names its log: a row that did not
	 * run to a measurement points to it. */
	log = getenv("OPTIMIZE_BENCH_TASK_LOG");
	status = json_get_string(row, "status", "");
	if (log && *log) {
		json_add_string(row, "log", log);
		if (strcmp(status, BENCH_ROW_IMPROVED) &&
		    strcmp(status, BENCH_ROW_NO_IMPROVEMENT)) {
			buf_addf(&reason, "%s; log: %s", json_get_string(row, "reason", "failed"),
			         log);
			cJSON_DeleteItemFromObjectCaseSensitive(row, "reason");
			json_add_string(row, "reason", reason.data);
		}
	}
	buf_release(&reason);
}

enum engine_status bench_task_run(const struct bench_run *b, size_t i, struct buf *err)
{
	const struct bench_entry *e = &b->suite->entries[i];
	struct buf sd = BUF_INIT, e2 = BUF_INIT, wd = BUF_INIT;
	double t0 = clock_unix_s(), m0 = clock_mono_s();
	enum engine_status st = ENGINE_OK;
	cJSON *rec, *row = NULL;
	char host[256] = "";

	if (b->ev && b->ev->task_start)
		b->ev->task_start(b->ev->ctx, i, b->suite->n, e->name);
	rec = record("start", (long)i, e->name);
	gethostname(host, sizeof(host) - 1);
	json_add_string(rec, "host", host);
	json_add_number(rec, "pid", getpid());
	if (bench_journal_append(b->out_dir, rec, err) < 0)
		st = ENGINE_ERROR;
	cJSON_Delete(rec);
	buf_addf(&sd, "%s/targets/%s", b->out_dir, e->name);
	/* What a run cut short left behind is redone from the start. */
	if (st == ENGINE_OK &&
	    (ws_remove_tree(sd.data, err) < 0 || file_mkdirs(sd.data, 0755, err) < 0))
		st = ENGINE_ERROR;
	if (st == ENGINE_OK && e->error)
		row = bench_row_failed(e, BENCH_ROW_INVALID_MANIFEST, e->error);
	else if (st == ENGINE_OK)
		st = run_entry(b, e, sd.data, &row, &e2);
	if (row && st != ENGINE_INTERRUPTED) {
		json_add_number(row, "wall_s", clock_mono_s() - m0);
		row_where(b, row, host);
		rec = record("row", (long)i, e->name);
		json_add_number(rec, "started", t0);
		cJSON_AddItemToObject(rec, "row", row);
		st = bench_journal_append(b->out_dir, rec, err) < 0 ? ENGINE_ERROR : ENGINE_OK;
		if (st == ENGINE_OK && b->ev && b->ev->task_done)
			b->ev->task_done(b->ev->ctx, i, row);
		cJSON_Delete(rec);
	} else if (st == ENGINE_INTERRUPTED) {
		cJSON_Delete(row);
	}
	if (!b->keep_work) {
		buf_addf(&wd, "%s/work", sd.data);
		ws_remove_tree(wd.data, NULL);
	}
	buf_release(&sd);
	buf_release(&e2);
	buf_release(&wd);
	return st;
}
