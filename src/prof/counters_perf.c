/*
 * counters_perf.c: the `perf` counter backend, perf_event_open on the child.
 *
 * Each event name is encoded with libpfm4 (PFM_OS_PERF_EVENT_EXT), which
 * knows the perf tool's names (cycles, L1-dcache-load-misses, task-clock),
 * the perf:: PMU and the raw events of the CPU's own PMU. Every event is
 * opened on its own (inherit cannot be combined with PERF_FORMAT_GROUP
 * reads) in the runner's before_exec hook, while the child waits before
 * exec: disabled, enable_on_exec and inherit, so counting starts at exec and
 * covers the whole process tree. After the child was reaped each count is
 * read with its enabled and running times and scaled when multiplexed.
 *
 * An event that cannot be opened is added as unsupported with the reason;
 * it never fails the run. rusage metrics are always added.
 */
#include "prof/counters.h"
#include "prof/hotspots.h"

#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <math.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dirent.h>

struct perf_slot {
	const char *name; /* as asked for; borrowed from the request */
	struct perf_event_attr attr;
	int fd;            /* -1 when not open */
	struct buf reason; /* why it is not counted; empty when open */
};

struct perf_run {
	struct perf_slot *slots;
	size_t n;
	struct hotspots_session *hs; /* NULL unless hotspots were asked for */
	struct buf hs_err;
	int hs_failed;
};

static long sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
                                unsigned long flags)
{
	return syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

/* libpfm4 keeps process-wide tables: initialise it once, on first use. */
static int pfm_ready(struct buf *why)
{
	static int state; /* 0 = not tried, 1 = ready, -1 = failed */
	static int code;

	if (!state) {
		code = pfm_initialize();
		state = code == PFM_SUCCESS ? 1 : -1;
	}
	if (state < 0) {
		if (why)
			buf_setf(why, "libpfm4 cannot be initialised: %s", pfm_strerror(code));
		return -1;
	}
	return 0;
}

int counters_perf_paranoid(void)
{
	struct buf b = BUF_INIT;
	int v = -100;

	buf_init(&b, 64);
	if (buf_read_file(&b, "/proc/sys/kernel/perf_event_paranoid") == 0 && b.len)
		v = atoi(b.data);
	buf_release(&b);
	return v;
}

/*
 * The core PMU shows up in /sys/bus/event_source/devices: on x86 as "cpu"
 * (or "cpu_core"/"cpu_atom" on hybrid parts) with type PERF_TYPE_RAW, on
 * arm64 as "armv8_*" with a dynamic type. Without one only software,
 * tracepoint and breakpoint events exist. Only used to word reasons.
 */
int counters_perf_have_pmu(void)
{
	const char *dir = "/sys/bus/event_source/devices";
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		struct buf path = BUF_INIT, type = BUF_INIT;

		if (e->d_name[0] == '.')
			continue;
		buf_init(&path, 4096);
		buf_init(&type, 64);
		buf_addf(&path, "%s/%s/type", dir, e->d_name);
		if (buf_read_file(&type, path.data) == 0 && atoi(type.data) == PERF_TYPE_RAW)
			found = 1;
		if (!strcmp(e->d_name, "cpu") || !strncmp(e->d_name, "cpu_", 4) ||
		    !strncmp(e->d_name, "armv", 4))
			found = 1;
		buf_release(&path);
		buf_release(&type);
	}
	closedir(d);
	return found;
}

static int running_in_vm(void)
{
	struct buf b = BUF_INIT;
	int vm;

	buf_init(&b, (size_t)4 << 20);
	buf_read_file(&b, "/proc/cpuinfo");
	vm = strstr(buf_str(&b), " hypervisor") != NULL;
	buf_release(&b);
	return vm;
}

static int is_hardware(const struct perf_event_attr *a)
{
	return a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_HW_CACHE ||
	       a->type == PERF_TYPE_RAW || a->type >= 6; /* dynamic PMU types */
}

/*
 * The user+kernel counts perf stat gives need root (CAP_PERFMON) or
 * perf_event_paranoid <= 1; otherwise count user space only, which
 * paranoid 2 still allows.
 */
static int default_plm(void)
{
	if (geteuid() == 0 || counters_perf_paranoid() <= 1)
		return PFM_PLM0 | PFM_PLM3;
	return PFM_PLM3;
}

/* Encode name into attr (counting mode, for a child from exec on). */
static int perf_encode(const char *name, struct perf_event_attr *attr, struct buf *why)
{
	pfm_perf_encode_arg_t arg;
	int r;

	if (pfm_ready(why) < 0)
		return -1;
	memset(attr, 0, sizeof(*attr));
	memset(&arg, 0, sizeof(arg));
	arg.attr = attr;
	arg.size = sizeof(arg);
	r = pfm_get_os_event_encoding(name, default_plm(), PFM_OS_PERF_EVENT_EXT, &arg);
	if (r != PFM_SUCCESS) {
		buf_setf(why, "unknown event '%s' (libpfm4: %s); see `showevtinfo` for the names",
		         name, pfm_strerror(r));
		return -1;
	}
	attr->size = sizeof(*attr);
	attr->disabled = 1;
	attr->enable_on_exec = 1;
	attr->inherit = 1;
	attr->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	attr->sample_period = 0;
	attr->sample_type = 0;
	return 0;
}

/* Turn a failed perf_event_open into a reason a person can act on. */
static void open_failure(const struct perf_event_attr *attr, int e, struct buf *why)
{
	int paranoid = counters_perf_paranoid();
	const char *msg = strerror(e);

	switch (e) {
	case ENOENT:
	case EOPNOTSUPP:
	case ENODEV:
		if (is_hardware(attr) && !counters_perf_have_pmu()) {
			buf_setf(why,
			         "no hardware PMU exposed to this machine (perf_event_open: %s)%s",
			         msg,
			         running_in_vm() ? "; it is a virtual machine whose hypervisor "
			                           "exposes no virtual PMU"
			                         : "");
			return;
		}
		buf_setf(why, "event not supported by this kernel or CPU (perf_event_open: %s)",
		         msg);
		return;
	case EACCES:
	case EPERM:
		if (paranoid > -100)
			buf_setf(why,
			         "perf_event_paranoid is %d: run as root or lower it with "
			         "sysctl kernel.perf_event_paranoid=1 (perf_event_open: %s)",
			         paranoid, msg);
		else
			buf_setf(why,
			         "perf_event_open not permitted (%s); a container's seccomp "
			         "profile may block it",
			         msg);
		return;
	case ENOSYS:
		buf_setf(why, "this kernel has no perf_event_open (%s)", msg);
		return;
	case EMFILE:
	case ENFILE:
		buf_setf(why, "too many open files for another counter (perf_event_open: %s)", msg);
		return;
	case ESRCH:
		buf_setf(why,
		         "the child exited before its counters were attached "
		         "(perf_event_open: %s)",
		         msg);
		return;
	default:
		buf_setf(why, "perf_event_open: %s (type %u, config 0x%llx)", msg, attr->type,
		         (unsigned long long)attr->config);
		return;
	}
}

int counters_perf_event_check(const char *event, struct buf *why)
{
	struct perf_event_attr attr;
	long fd;

	if (perf_encode(event, &attr, why) < 0)
		return -1;
	/* Open it for ourselves, never enabled: the same checks as for a child. */
	attr.enable_on_exec = 0;
	fd = sys_perf_event_open(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		open_failure(&attr, errno, why);
		return -1;
	}
	close((int)fd);
	return 0;
}

static int perf_probe(struct buf *why)
{
	struct buf tmp = BUF_INIT;

	buf_init(&tmp, 4096);
	if (counters_perf_event_check("perf::TASK-CLOCK", &tmp) < 0) {
		buf_setf(why, "%s", tmp.data);
		buf_release(&tmp);
		return -1;
	}
	buf_release(&tmp);
	return 0;
}

static int perf_before_exec(pid_t pid, void *ctx, struct buf *err)
{
	struct perf_run *run = ctx;
	size_t i;

	for (i = 0; i < run->n; i++) {
		struct perf_slot *s = &run->slots[i];
		long fd;

		if (s->reason.len)
			continue; /* not encodable: the reason is already there */
		fd = sys_perf_event_open(&s->attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			open_failure(&s->attr, errno, &s->reason);
		else
			s->fd = (int)fd;
	}
	if (run->hs && hotspots_session_attach(run->hs, pid, &run->hs_err) < 0)
		run->hs_failed = 1;
	return 0; /* an event that cannot be counted never fails the run */
}

static void perf_tick(pid_t pid, void *ctx)
{
	struct perf_run *run = ctx;

	if (run->hs && !run->hs_failed)
		hotspots_session_drain(run->hs);
}

static int is_clock(const struct perf_event_attr *a)
{
	return a->type == PERF_TYPE_SOFTWARE &&
	       (a->config == PERF_COUNT_SW_TASK_CLOCK || a->config == PERF_COUNT_SW_CPU_CLOCK);
}

static void perf_collect(struct perf_slot *s, struct profile *out)
{
	uint64_t v[3];
	const char *unit = is_clock(&s->attr) ? "ms" : "count";
	double value, scaling = 1.0;
	ssize_t n;

	if (s->fd < 0) {
		profile_set_unsupported(out, s->name, unit, "perf", s->reason.data);
		return;
	}
	n = read(s->fd, v, sizeof(v));
	if (n != (ssize_t)sizeof(v)) {
		buf_setf(&s->reason, "reading the counter failed (%s)",
		         n < 0 ? strerror(errno) : "short read");
		profile_set_unsupported(out, s->name, unit, "perf", s->reason.data);
		return;
	}
	value = (double)v[0];
	if (v[1] && !v[2]) {
		profile_set_unsupported(out, s->name, unit, "perf",
		                        "the event was never scheduled on the PMU (too many events "
		                        "multiplexed: ask for fewer)");
		return;
	}
	if (v[2] && v[2] < v[1]) {
		scaling = (double)v[1] / (double)v[2];
		value *= scaling;
	}
	if (is_clock(&s->attr))
		value /= 1e6; /* ns -> ms, as perf stat shows it */
	profile_set_metric(out, s->name, unit, value, scaling > 1.0 ? SRC_SCALED : SRC_MEASURED,
	                   "perf", scaling);
}

static int perf_run(const struct counter_request *req, struct proc_result *res, struct profile *out,
                    struct buf *err)
{
	struct perf_run run;
	struct proc_hooks hooks;
	struct proc_spec spec;
	size_t i;
	int r;

	memset(&run, 0, sizeof(run));
	buf_init(&run.hs_err, 4096);
	run.n = counters_request_count(req);
	run.slots = xcalloc(run.n, sizeof(*run.slots));
	for (i = 0; i < run.n; i++) {
		struct perf_slot *s = &run.slots[i];

		s->name = counters_request_event(req, i);
		s->fd = -1;
		buf_init(&s->reason, 4096);
		if (!s->name)
			s->name = "?";
		if (perf_encode(s->name, &s->attr, &s->reason) < 0 && !s->reason.len)
			buf_addstr(&s->reason, "cannot encode the event");
	}
	if (req->hotspots)
		run.hs = hotspots_session_new(NULL);

	memset(&hooks, 0, sizeof(hooks));
	hooks.before_exec = perf_before_exec;
	hooks.tick = run.hs ? perf_tick : NULL;
	hooks.ctx = &run;
	if (req->spec)
		spec = *req->spec;
	else
		proc_spec_init(&spec);
	spec.hooks = &hooks;
	if (!out->command)
		profile_set_command(out, req->cmd);

	r = proc_run_sh(&spec, req->cmd, res, err);
	if (r == 0) {
		for (i = 0; i < run.n; i++)
			perf_collect(&run.slots[i], out);
		counters_add_rusage(out, res);
		profile_derive(out);
		if (run.hs && !run.hs_failed)
			hotspots_session_finish(run.hs, spec.cwd, out);
		/* Hotspots are an extra: without them the counts still stand. */
		if (run.hs_failed)
			profile_set_hotspot_error(out, buf_str(&run.hs_err));
	}

	for (i = 0; i < run.n; i++) {
		if (run.slots[i].fd >= 0)
			close(run.slots[i].fd);
		buf_release(&run.slots[i].reason);
	}
	free(run.slots);
	if (run.hs)
		hotspots_session_free(run.hs);
	buf_release(&run.hs_err);
	return r;
}

const struct counter_backend counters_perf = {
    .name = "perf",
    .deterministic = 0,
    .probe = perf_probe,
    .run = perf_run,
};
