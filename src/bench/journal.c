/*
 * journal.c: the append-only journal of a suite. See journal.h.
 */
#include "bench/journal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/json.h"
#include "base/xalloc.h"

static void journal_path(const char *dir, struct buf *out)
{
	buf_addf(out, "%s/%s", dir, BENCH_JOURNAL_FILE);
}

/*
 * Under the lock: when the file does not end with a newline (a torn write),
 * start a fresh line; then write rec as one line and fsync. With if_empty,
 * write only into an empty file.
 */
static int append_locked(int fd, const struct cJSON *rec, int if_empty, const char *path,
                         struct buf *err)
{
	struct stat sb;
	char *text;
	struct buf line = BUF_INIT;
	int r = 0;

	if (fstat(fd, &sb) < 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	if (if_empty && sb.st_size > 0)
		return 0;
	if (sb.st_size > 0) {
		char last = '\n';
		if (pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n')
			buf_addch(&line, '\n');
	}
	text = json_print_take(rec, 0); /* ends with a newline */
	buf_addstr(&line, text);
	free(text);
	if (fd_write_all(fd, line.data, line.len) < 0 || fsync(fd) < 0)
		r = err_set(err, "cannot write the journal %s: %s", path, strerror(errno));
	buf_release(&line);
	return r;
}

static int append(const char *dir, const struct cJSON *rec, int if_empty, struct buf *err)
{
	struct buf p = BUF_INIT;
	int fd, r;

	journal_path(dir, &p);
	fd = open(p.data, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = err_set(err, "cannot open the journal %s: %s", p.data, strerror(errno));
		buf_release(&p);
		return r;
	}
	if (flock(fd, LOCK_EX) < 0) {
		r = err_set(err, "cannot lock the journal %s: %s", p.data, strerror(errno));
	} else {
		r = append_locked(fd, rec, if_empty, p.data, err);
		flock(fd, LOCK_UN);
	}
	close(fd);
	buf_release(&p);
	return r;
}

int bench_journal_append(const char *dir, const struct cJSON *rec, struct buf *err)
{
	return append(dir, rec, 0, err);
}

int bench_journal_init(const char *dir, const struct cJSON *suite_rec, struct buf *err)
{
	return append(dir, suite_rec, 1, err);
}

long bench_journal_index(const struct bench_journal *j, const char *name)
{
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(j->suite, "entries");
	long i = 0;
	const cJSON *x;

	cJSON_ArrayForEach(x, names)
	{
		if (cJSON_IsString(x) && !strcmp(x->valuestring, name))
			return i;
		i++;
	}
	return -1;
}

/* One parsed record into the per-entry state. */
static void take(struct bench_journal *j, cJSON *rec)
{
	const char *kind = json_get_string(rec, "record", "");
	long task;
	const char *name = json_get_string(rec, "target", NULL);

	if (!strcmp(kind, "suite") && !j->suite) {
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(rec, "entries");
		j->suite = rec;
		j->n = (size_t)cJSON_GetArraySize(names);
		j->state = xcalloc(j->n + 1, sizeof(*j->state));
		j->rows = xcalloc(j->n + 1, sizeof(*j->rows));
		j->started = xcalloc(j->n + 1, sizeof(*j->started));
		j->finished = xcalloc(j->n + 1, sizeof(*j->finished));
		return;
	}
	if (!j->suite || json_get_long(rec, "task", &task) < 0 || task < 0 || (size_t)task >= j->n)
		return;
	/* The name must agree with the suite record's entry of that index. */
	if (!name || bench_journal_index(j, name) != task)
		return;
	if (!strcmp(kind, "start")) {
		if (j->state[task] != BENCH_DONE)
			j->state[task] = BENCH_STARTED;
		j->started[task] = json_get_number(rec, "time", 0);
	} else if (!strcmp(kind, "row") && cJSON_IsObject(cJSON_GetObjectItem(rec, "row"))) {
		j->state[task] = BENCH_DONE;
		j->rows[task] = cJSON_GetObjectItem(rec, "row");
		j->finished[task] = json_get_number(rec, "time", 0);
	}
}

int bench_journal_read(const char *dir, struct bench_journal *j, struct buf *err)
{
	struct buf p = BUF_INIT, text = BUF_INIT, e = BUF_INIT;
	char *line, *next;
	int r = 0;

	memset(j, 0, sizeof(*j));
	journal_path(dir, &p);
	if (buf_read_file(&text, p.data) < 0) {
		r = errno == ENOENT ? 1 : err_set(err, "%s: %s", p.data, strerror(errno));
		goto out;
	}
	j->all = cJSON_CreateArray();
	for (line = text.data; line && *line; line = next) {
		cJSON *rec;
		next = strchr(line, '\n');
		if (!next) {
			j->torn++; /* the last write was cut short */
			break;
		}
		*next++ = '\0';
		if (!*line)
			continue;
		buf_reset(&e);
		rec = json_parse(line, strlen(line), p.data, &e);
		if (!rec || !cJSON_IsObject(rec)) {
			cJSON_Delete(rec);
			j->torn++;
			continue;
		}
		cJSON_AddItemToArray(j->all, rec);
		take(j, rec);
	}
	if (!j->suite)
		r = text.len ? err_set(err, "%s: no suite record: not a journal of optimize bench",
		                       p.data)
		             : 1;
out:
	if (r != 0) {
		bench_journal_release(j);
	}
	buf_release(&p);
	buf_release(&text);
	buf_release(&e);
	return r;
}

void bench_journal_release(struct bench_journal *j)
{
	cJSON_Delete(j->all);
	free(j->state);
	free(j->rows);
	free(j->started);
	free(j->finished);
	memset(j, 0, sizeof(*j));
}

int bench_journal_same_suite(const struct bench_journal *j, const char *const *names, size_t n,
                             struct buf *err)
{
	if (j->n != n)
		return err_set(err,
		               "the journal is of a suite of %zu targets, this suite has %zu: use "
		               "another --output",
		               j->n, n);
	for (size_t i = 0; i < n; i++)
		if (bench_journal_index(j, names[i]) != (long)i)
			return err_set(
			    err,
			    "the journal's target %zu is not '%s': the suite changed; use "
			    "another --output",
			    i, names[i]);
	return 0;
}
