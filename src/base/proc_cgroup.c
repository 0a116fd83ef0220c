/*
 * proc_cgroup.c: a cgroup of its own for each run (proc_spec.cgroup), so
 * that limits.as_bytes and limits.nproc bind all of a run's processes
 * together, not each one (four children of 256 MiB under memory_mb 300).
 *
 * cgroup v2 where it is mounted: one directory with memory.max, pids.max
 * (and memory.swap.max 0); the tool's own cgroup must let it make
 * subgroups with those controllers (delegated to it, or root). cgroup v1
 * otherwise: a directory in the memory hierarchy (memory.limit_in_bytes,
 * memory.memsw.limit_in_bytes where swap is accounted) and one in the pids
 * hierarchy (pids.max), each under the tool's own cgroup there.
 *
 * The parent makes the directories and opens their cgroup.procs before the
 * fork; the child writes "0" (itself) to each first thing, before it forks
 * anything, so every process of the run is born inside. After the run,
 * whatever is left in them is killed, the peak memory, the OOM kills and
 * the refused forks are read, and the directories removed.
 */
#include "base/proc_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "base/xalloc.h"

/* mount point of the cgroup hierarchy with fstype and (for v1) controller
 * ctl among its super options, from /proc/self/mountinfo; NULL if none */
static char *hierarchy_mount(const char *fstype, const char *ctl)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), *mnt, *type, *opts, *save = NULL, *tok;

		if (!sep)
			continue;
		*sep = '\0';
		/* id parent dev root mountpoint ... */
		strtok_r(line, " ", &save);
		strtok_r(NULL, " ", &save);
		strtok_r(NULL, " ", &save);
		strtok_r(NULL, " ", &save);
		mnt = strtok_r(NULL, " ", &save);
		save = NULL;
		type = strtok_r(sep + 3, " ", &save);
		strtok_r(NULL, " ", &save); /* source */
		opts = strtok_r(NULL, " \n", &save);
		if (!mnt || !type || strcmp(type, fstype))
			continue;
		if (!ctl) {
			found = xstrdup(mnt);
			break;
		}
		save = NULL;
		for (tok = opts ? strtok_r(opts, ",", &save) : NULL; tok;
		     tok = strtok_r(NULL, ",", &save))
			if (!strcmp(tok, ctl))
				found = xstrdup(mnt);
	}
	fclose(f);
	return found;
}

/* this process's cgroup path in the hierarchy with controller ctl (v1), or
 * in the unified one (ctl NULL), from /proc/self/cgroup */
static char *own_cgroup(const char *ctl)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096], *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *save = NULL,
		     *tok;

		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		c2[strcspn(c2 + 1, "\n") + 1] = '\0';
		if (!ctl) {
			if (!strcmp(line, "0") && c1[1] == '\0')
				found = xstrdup(c2 + 1);
			continue;
		}
		for (tok = strtok_r(c1 + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (!strcmp(tok, ctl))
				found = xstrdup(c2 + 1);
	}
	fclose(f);
	return found;
}

/* the directory under which the tool makes its runs' cgroups */
static int base_dir(const char *fstype, const char *ctl, struct buf *dir, struct buf *why)
{
	char *mnt = hierarchy_mount(fstype, ctl), *own = mnt ? own_cgroup(ctl) : NULL;
	struct stat st;

	buf_reset(dir);
	if (!mnt || !own) {
		buf_setf(why, "no %s hierarchy%s%s is mounted", ctl ? "cgroup v1" : "cgroup v2",
		         ctl ? " with the controller " : "", ctl ? ctl : "");
		free(mnt);
		free(own);
		return -1;
	}
	buf_addf(dir, "%s%s", mnt, strcmp(own, "/") ? own : "");
	free(mnt);
	free(own);
	if (stat(dir->data, &st) < 0 || !S_ISDIR(st.st_mode)) {
		buf_setf(why, "this process's cgroup '%s' is not visible here", dir->data);
		return -1;
	}
	return 0;
}

static int write_file(const char *dir, const char *name, const char *value)
{
	char path[PATH_MAX];
	int fd, r = 0;
	size_t n = strlen(value);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return errno = ENAMETOOLONG, -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, value, n) != (ssize_t)n)
		r = -1;
	if (close(fd) < 0)
		r = -1;
	return r;
}

/* the number after "key " in DIR/NAME (a flat keyed file), or the whole
 * file's number when key is NULL; -1 when absent */
static long long read_key(const char *dir, const char *name, const char *key)
{
	char path[PATH_MAX], line[256];
	long long v = -1;
	size_t kn = key ? strlen(key) : 0;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtoll(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, kn) && line[kn] == ' ') {
			v = strtoll(line + kn + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static int dir_has(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path) &&
	       access(path, F_OK) == 0;
}

/* cgroup v2: memory and pids must be enabled for the subgroups of base.
 * Where base holds processes (ours), that is refused (no internal
 * processes), so the tool first moves itself into a leaf of its own. */
static int v2_enable(const char *base, struct buf *why)
{
	char ctl[256];
	struct buf leaf = BUF_INIT;
	FILE *f;
	int have = 0;

	if ((size_t)snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", base) >= sizeof(ctl))
		return buf_setf(why, "path too long"), -1;
	f = fopen(ctl, "re");
	if (f) {
		char line[512] = "";

		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		if (!strstr(line, "memory") || !strstr(line, "pids")) {
			buf_setf(
			    why,
			    "the cgroup v2 hierarchy at '%s' has no memory and pids controllers "
			    "(bound to cgroup v1 here)",
			    base);
			return -1;
		}
	}
	snprintf(ctl, sizeof(ctl), "%s/cgroup.subtree_control", base);
	f = fopen(ctl, "re");
	if (f) {
		char line[512];

		if (fgets(line, sizeof(line), f))
			have = strstr(line, "memory") && strstr(line, "pids");
		fclose(f);
	}
	if (have)
		return 0;
	if (write_file(base, "cgroup.subtree_control", "+memory +pids") == 0)
		return 0;
	if (errno != EBUSY) {
		buf_setf(why, "cannot enable memory and pids for subgroups of '%s': %s", base,
		         strerror(errno));
		return -1;
	}
	buf_addf(&leaf, "%s/optimize-tool.%ld", base, (long)getpid());
	if ((mkdir(leaf.data, 0755) < 0 && errno != EEXIST) ||
	    write_file(leaf.data, "cgroup.procs", "0") < 0 ||
	    write_file(base, "cgroup.subtree_control", "+memory +pids") < 0) {
		buf_setf(why,
		         "cannot enable memory and pids for subgroups of '%s' (%s): other "
		         "processes share the tool's cgroup; run it in a delegated one of its "
		         "own (systemd-run --user --scope -p Delegate=yes optimize ...)",
		         base, strerror(errno));
		write_file(base, "cgroup.procs", "0");
		rmdir(leaf.data);
		buf_release(&leaf);
		return -1;
	}
	buf_release(&leaf);
	return 0;
}

static void cg_close(struct proc_cgroup *cg)
{
	for (int i = 0; i < cg->ndirs; i++) {
		if (cg->procs_fd[i] >= 0)
			close(cg->procs_fd[i]);
		cg->procs_fd[i] = -1;
	}
}

/* kill what is left in DIR and remove it (a dying process holds it a
 * moment: retry for up to a second) */
static void cg_remove(const char *dir)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return;
	for (int i = 0; i < 200; i++) {
		struct timespec ms5 = {0, 5000000};
		FILE *f;
		long pid;

		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			return;
		f = fopen(path, "re");
		while (f && fscanf(f, "%ld", &pid) == 1)
			if (pid > 1)
				kill((pid_t)pid, SIGKILL);
		if (f)
			fclose(f);
		nanosleep(&ms5, NULL);
	}
}

static unsigned long cg_seq;

/* The parent directory of the runs' cgroups: found once (with v2 the tool
 * may have moved itself into a leaf since). index: 0 v2, 1 v1 memory, 2 v1
 * pids. */
static int cg_base(int index, struct buf *base, struct buf *why)
{
	static const char *const ctl[] = {NULL, "memory", "pids"};
	static char *cache[3];

	if (!cache[index]) {
		if (base_dir(index ? "cgroup" : "cgroup2", ctl[index], base, why) < 0 ||
		    (!index && v2_enable(base->data, why) < 0))
			return -1;
		cache[index] = xstrdup(base->data);
	}
	buf_reset(base);
	buf_addstr(base, cache[index]);
	return 0;
}

/* the directories for one run: v2 one, v1 memory and pids */
static int cg_make(struct proc_cgroup *cg, int version, struct buf *err)
{
	struct buf base = BUF_INIT, why = BUF_INIT;
	int n = version == 2 ? 1 : 2;

	for (int i = 0; i < n; i++) {
		if (cg_base(version == 2 ? 0 : 1 + i, &base, &why) < 0) {
			err_set(err, "%s", why.data);
			goto fail;
		}
		buf_addf(&base, "/optimize.%ld.%lu", (long)getpid(), ++cg_seq);
		cg->dirs[i] = buf_detach(&base);
		cg->procs_fd[i] = -1;
		cg->ndirs = i + 1;
		if (mkdir(cg->dirs[i], 0755) < 0) {
			err_set(err, "cannot make the cgroup '%s': %s", cg->dirs[i],
			        strerror(errno));
			free(cg->dirs[i]);
			cg->ndirs = i;
			goto fail;
		}
	}
	cg->version = version;
	buf_release(&base);
	buf_release(&why);
	return 0;
fail:
	buf_release(&base);
	buf_release(&why);
	proc_cgroup_finish(cg, NULL);
	return -1;
}

static int cg_limits(struct proc_cgroup *cg, const struct proc_limits *l, struct buf *err)
{
	char mem[32] = "max", pids[32] = "max";
	const char *memdir = cg->dirs[0], *piddir = cg->dirs[cg->ndirs - 1];

	if (l->as_bytes)
		snprintf(mem, sizeof(mem), "%" PRIu64, l->as_bytes);
	if (l->nproc > 0)
		snprintf(pids, sizeof(pids), "%ld", l->nproc);
	if (cg->version == 2) {
		if (write_file(memdir, "memory.max", mem) < 0)
			return err_set(err, "cannot set memory.max in '%s': %s", memdir,
			               strerror(errno));
		if (dir_has(memdir, "memory.swap.max"))
			write_file(memdir, "memory.swap.max", "0");
	} else if (l->as_bytes) {
		if (write_file(memdir, "memory.limit_in_bytes", mem) < 0)
			return err_set(err, "cannot set memory.limit_in_bytes in '%s': %s", memdir,
			               strerror(errno));
		/* with swap accounted: memory plus swap, so no swapping past it */
		if (dir_has(memdir, "memory.memsw.limit_in_bytes"))
			write_file(memdir, "memory.memsw.limit_in_bytes", mem);
	}
	if (write_file(piddir, "pids.max", pids) < 0)
		return err_set(err, "cannot set pids.max in '%s': %s", piddir, strerror(errno));
	return 0;
}

int proc_cgroup_create(struct proc_cgroup *cg, const struct proc_limits *l, struct buf *err)
{
	struct buf why = BUF_INIT;
	char path[PATH_MAX];
	int version;

	memset(cg, 0, sizeof(*cg));
	cg->procs_fd[0] = cg->procs_fd[1] = -1;
	version = proc_cgroup_probe(&why);
	if (version < 0) {
		err_set(err, "no cgroup for the run: %s", why.data);
		buf_release(&why);
		return -1;
	}
	buf_release(&why);
	if (cg_make(cg, version, err) < 0)
		return -1;
	if (cg_limits(cg, l, err) < 0)
		goto fail;
	for (int i = 0; i < cg->ndirs; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[i]);
		cg->procs_fd[i] = open(path, O_WRONLY | O_CLOEXEC);
		if (cg->procs_fd[i] < 0) {
			err_set(err, "cannot open '%s': %s", path, strerror(errno));
			goto fail;
		}
	}
	return 0;
fail:
	proc_cgroup_finish(cg, NULL);
	return -1;
}

int proc_cgroup_enter(const struct proc_cgroup *cg)
{
	for (int i = 0; i < cg->ndirs; i++)
		if (write(cg->procs_fd[i], "0", 1) != 1)
			return -1;
	return 0;
}

void proc_cgroup_finish(struct proc_cgroup *cg, struct proc_result *res)
{
	const char *memdir, *piddir;

	if (!cg->ndirs)
		return;
	memdir = cg->dirs[0];
	piddir = cg->dirs[cg->ndirs - 1];
	cg_close(cg);
	if (res && cg->version) {
		long long peak = read_key(
		    memdir, cg->version == 2 ? "memory.peak" : "memory.max_usage_in_bytes", NULL);

		res->cgroup = cg->version;
		res->mem_peak_bytes = peak > 0 ? (uint64_t)peak : 0;
		res->oom_kills = read_key(
		    memdir, cg->version == 2 ? "memory.events" : "memory.oom_control", "oom_kill");
		res->pids_refused = read_key(piddir, "pids.events", "max");
	}
	for (int i = cg->ndirs - 1; i >= 0; i--) {
		cg_remove(cg->dirs[i]);
		free(cg->dirs[i]);
		cg->dirs[i] = NULL;
	}
	cg->ndirs = 0;
}

/* The probe makes and removes one cgroup, as a run would; its answer is
 * kept (the machine does not change while the tool runs). */
int proc_cgroup_probe(struct buf *why)
{
	static int done, version = -1;
	static char reason[512];
	struct proc_cgroup cg = {0};
	struct buf e1 = BUF_INIT, e2 = BUF_INIT;

	if (!done) {
		char *v2 = hierarchy_mount("cgroup2", NULL);
		int mounted2 = v2 != NULL;

		free(v2);
		done = 1;
		if (mounted2 && cg_make(&cg, 2, &e2) == 0) {
			version = 2;
		} else if (cg_make(&cg, 1, &e1) == 0) {
			version = 1;
		} else {
			snprintf(reason, sizeof(reason), "%s%s%s", mounted2 ? e2.data : "",
			         mounted2 ? "; " : "", e1.data);
		}
		proc_cgroup_finish(&cg, NULL);
		buf_release(&e1);
		buf_release(&e2);
	}
	if (version < 0 && why)
		buf_setf(why, "%s", reason);
	return version;
}
