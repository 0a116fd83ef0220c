#include "prof/hotspots_int.h"

#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * The kernel refuses mmap() of an inherited event opened for "any CPU"
 * (cpu == -1), so, like `perf record`, one event is opened per CPU the
 * child may run on, each with its own ring buffer. Records of different
 * buffers are put back in time order (sample_id_all + TIME) before they are
 * applied, so an MMAP seen on one CPU is known before a sample taken on
 * another.
 */

#define DEFAULT_CPU_CLOCK_PERIOD 1000000ULL /* ns: 1 kHz of CPU time */
#define DEFAULT_CYCLES_PERIOD    2000003ULL
#define DEFAULT_RING_PAGES       32u

static long sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group,
                                unsigned long flags)
{
	return syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

void hotspots_options_init(struct hotspots_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->event = HOTSPOTS_CPU_CLOCK;
}

static void fill_attr(struct perf_event_attr *attr, const struct hotspots_options *opt,
                      int exclude_kernel)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	if (opt->event == HOTSPOTS_CYCLES) {
		attr->type = PERF_TYPE_HARDWARE;
		attr->config = PERF_COUNT_HW_CPU_CYCLES;
		attr->sample_period = opt->period ? opt->period : DEFAULT_CYCLES_PERIOD;
	} else {
		attr->type = PERF_TYPE_SOFTWARE;
		attr->config = PERF_COUNT_SW_CPU_CLOCK;
		attr->sample_period = opt->period ? opt->period : DEFAULT_CPU_CLOCK_PERIOD;
	}
	attr->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
	attr->disabled = 1;
	attr->enable_on_exec = 1;
	attr->inherit = 1;
	attr->mmap = 1;
	attr->comm = 1;
	attr->task = 1;
	attr->sample_id_all = 1;
	attr->exclude_hv = 1;
	attr->exclude_kernel = exclude_kernel ? 1 : 0;
	attr->wakeup_events = 0;
}

static const char *open_errno_hint(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return "not permitted (lower /proc/sys/kernel/perf_event_paranoid, e.g. "
		       "sysctl kernel.perf_event_paranoid=1, or grant CAP_PERFMON)";
	case ENOENT:
	case EOPNOTSUPP:
		return "the event is not supported on this machine (no PMU?)";
	case ENOSYS:
		return "the kernel has no perf_event support";
	default:
		return strerror(e);
	}
}

int hotspots_probe(const struct hotspots_options *opt, struct buf *why)
{
	struct hotspots_options def;
	struct perf_event_attr attr;
	long fd;

	if (!opt) {
		hotspots_options_init(&def);
		opt = &def;
	}
	fill_attr(&attr, opt, 0);
	attr.enable_on_exec = 0;
	fd = sys_perf_event_open(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		fill_attr(&attr, opt, 1);
		attr.enable_on_exec = 0;
		fd = sys_perf_event_open(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd < 0)
		return err_set(why, "perf_event_open(%s): %s",
		               opt->event == HOTSPOTS_CYCLES ? "cycles" : "cpu-clock",
		               open_errno_hint(errno));
	close((int)fd);
	return 0;
}

struct hotspots_session *hotspots_session_new(const struct hotspots_options *opt)
{
	struct hotspots_session *s = xcalloc(1, sizeof(*s));

	if (opt)
		s->opt = *opt;
	else
		hotspots_options_init(&s->opt);
	s->mods = xcalloc(2, sizeof(*s->mods));
	s->amods = 2;
	s->nmods = 2;
	s->mods[MOD_KERNEL].path = xstrdup("[kernel]");
	s->mods[MOD_UNKNOWN].path = xstrdup("[unknown]");
	return s;
}

static void close_rings(struct hotspots_session *s)
{
	size_t i;

	for (i = 0; i < s->nrings; i++) {
		if (s->rings[i].base)
			munmap(s->rings[i].base, s->rings[i].map_len);
		if (s->rings[i].fd >= 0)
			close(s->rings[i].fd);
	}
	free(s->rings);
	s->rings = NULL;
	s->nrings = 0;
}

void hotspots_session_free(struct hotspots_session *s)
{
	size_t i;

	if (!s)
		return;
	close_rings(s);
	for (i = 0; i < s->nmods; i++)
		free(s->mods[i].path);
	free(s->mods);
	free(s->maps);
	free(s->counts);
	for (i = 0; i < s->nrecs; i++)
		free(s->recs[i].data);
	free(s->recs);
	free(s);
}

static int open_ring(struct hotspots_session *s, struct perf_event_attr *attr, pid_t pid, int cpu,
                     struct ring *r, int *err_no)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned pages = s->opt.ring_pages ? s->opt.ring_pages : DEFAULT_RING_PAGES;
	struct perf_event_mmap_page *meta;
	long fd;

	fd = sys_perf_event_open(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		*err_no = errno;
		return -1;
	}
	/* A smaller buffer when the locked-memory allowance is short. */
	for (;;) {
		size_t len = (size_t)(pages + 1) * (size_t)page;
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);

		if (p != MAP_FAILED) {
			r->fd = (int)fd;
			r->base = p;
			r->map_len = len;
			meta = p;
			r->data_offset = meta->data_offset ? meta->data_offset : (size_t)page;
			r->data_size = meta->data_size ? meta->data_size : (size_t)pages * page;
			return 0;
		}
		if (errno != EPERM && errno != ENOMEM)
			break;
		if (pages <= 4)
			break;
		pages /= 2;
	}
	*err_no = errno;
	close((int)fd);
	return -1;
}

int hotspots_session_attach(struct hotspots_session *s, pid_t pid, struct buf *err)
{
	struct perf_event_attr attr;
	cpu_set_t set;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int cpu, exclude_kernel = 0, err_no = 0, use_mask;

	if (ncpu < 1)
		ncpu = 1;
	if (ncpu > CPU_SETSIZE)
		ncpu = CPU_SETSIZE;
	use_mask = sched_getaffinity(pid, sizeof(set), &set) == 0;
	s->rings = xcalloc((size_t)ncpu, sizeof(*s->rings));
	fill_attr(&attr, &s->opt, exclude_kernel);
	for (cpu = 0; cpu < ncpu; cpu++) {
		struct ring *r = &s->rings[s->nrings];

		if (use_mask && !CPU_ISSET(cpu, &set))
			continue;
		r->fd = -1;
		if (open_ring(s, &attr, pid, cpu, r, &err_no) == 0) {
			s->nrings++;
			continue;
		}
		if ((err_no == EACCES || err_no == EPERM) && !exclude_kernel && s->nrings == 0) {
			/* perf_event_paranoid >= 2: user space only. */
			exclude_kernel = 1;
			fill_attr(&attr, &s->opt, exclude_kernel);
			cpu--;
			continue;
		}
		if (err_no == ENODEV || err_no == ENXIO)
			continue; /* offline CPU */
		close_rings(s);
		return err_set(err, "cannot sample %s on cpu %d: %s",
		               s->opt.event == HOTSPOTS_CYCLES ? "cycles" : "cpu-clock", cpu,
		               open_errno_hint(err_no));
	}
	if (!s->nrings)
		return err_set(err, "cannot sample: no usable cpu");
	return 0;
}

static int find_module(struct hotspots_session *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->nmods; i++)
		if (!strcmp(s->mods[i].path, path))
			return (int)i;
	if (s->nmods == s->amods) {
		size_t na = s->amods * 2;

		s->mods = xreallocarray(s->mods, na, sizeof(*s->mods));
		s->amods = na;
	}
	s->mods[s->nmods].path = xstrdup(path);
	return (int)s->nmods++;
}

static void add_mapping(struct hotspots_session *s, pid_t pid, uint64_t start, uint64_t len,
                        uint64_t pgoff, int mod)
{
	if (s->nmaps == s->amaps) {
		size_t na = s->amaps ? s->amaps * 2 : 64;

		s->maps = xreallocarray(s->maps, na, sizeof(*s->maps));
		s->amaps = na;
	}
	s->maps[s->nmaps].pid = pid;
	s->maps[s->nmaps].start = start;
	s->maps[s->nmaps].end = start + len;
	s->maps[s->nmaps].pgoff = pgoff;
	s->maps[s->nmaps].mod = mod;
	s->nmaps++;
}

static void drop_mappings(struct hotspots_session *s, pid_t pid)
{
	size_t i, j = 0;

	for (i = 0; i < s->nmaps; i++)
		if (s->maps[i].pid != pid)
			s->maps[j++] = s->maps[i];
	s->nmaps = j;
}

static void copy_mappings(struct hotspots_session *s, pid_t from, pid_t to)
{
	size_t i, n = s->nmaps;

	for (i = 0; i < n; i++)
		if (s->maps[i].pid == from)
			add_mapping(s, to, s->maps[i].start, s->maps[i].end - s->maps[i].start,
			            s->maps[i].pgoff, s->maps[i].mod);
}

static void count_addr(struct hotspots_session *s, int mod, uint64_t off)
{
	size_t i, mask;
	uint64_t h;

	if (s->ncounts * 2 >= s->acounts) {
		size_t na = s->acounts ? s->acounts * 2 : 1024;
		struct addr_count *nc = xmalloc(na * sizeof(*nc));

		for (i = 0; i < na; i++)
			nc[i].mod = -1;
		for (i = 0; i < s->acounts; i++) {
			struct addr_count *c = &s->counts[i];
			size_t k;

			if (c->mod < 0)
				continue;
			h = (c->off ^ ((uint64_t)c->mod << 48)) * 0x9e3779b97f4a7c15ULL;
			for (k = (size_t)(h >> 20) & (na - 1); nc[k].mod >= 0;
			     k = (k + 1) & (na - 1))
				;
			nc[k] = *c;
		}
		free(s->counts);
		s->counts = nc;
		s->acounts = na;
	}
	mask = s->acounts - 1;
	h = (off ^ ((uint64_t)mod << 48)) * 0x9e3779b97f4a7c15ULL;
	for (i = (size_t)(h >> 20) & mask;; i = (i + 1) & mask) {
		struct addr_count *c = &s->counts[i];

		if (c->mod < 0) {
			c->mod = mod;
			c->off = off;
			c->n = 1;
			s->ncounts++;
			return;
		}
		if (c->mod == mod && c->off == off) {
			c->n++;
			return;
		}
	}
}

static void apply_sample(struct hotspots_session *s, const unsigned char *d, uint16_t misc)
{
	uint64_t ip;
	uint32_t pid;
	size_t i;

	memcpy(&ip, d, 8);
	memcpy(&pid, d + 8, 4);
	s->total++;
	if ((misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL) {
		count_addr(s, MOD_KERNEL, 0);
		return;
	}
	for (i = s->nmaps; i-- > 0;) {
		const struct mapping *m = &s->maps[i];

		if (m->pid == (pid_t)pid && ip >= m->start && ip < m->end) {
			count_addr(s, m->mod, ip - m->start + m->pgoff);
			return;
		}
	}
	count_addr(s, MOD_UNKNOWN, 0);
}

/* Apply one record (header included) in time order. */
static void apply_record(struct hotspots_session *s, const unsigned char *p, size_t size)
{
	struct perf_event_header h;
	const unsigned char *d = p + sizeof(h);
	uint32_t pid, ppid, tid;
	uint64_t addr, len, pgoff, lost;

	memcpy(&h, p, sizeof(h));
	switch (h.type) {
	case PERF_RECORD_SAMPLE:
		if (size >= sizeof(h) + 16)
			apply_sample(s, d, h.misc);
		break;
	case PERF_RECORD_MMAP: {
		char path[PATH_MAX];
		size_t maxname;

		if (size < sizeof(h) + 32 + 16)
			break;
		memcpy(&pid, d, 4);
		memcpy(&addr, d + 8, 8);
		memcpy(&len, d + 16, 8);
		memcpy(&pgoff, d + 24, 8);
		/* filename is NUL-padded; the sample_id trailer (16 bytes) follows */
		maxname = size - sizeof(h) - 32 - 16;
		if (maxname >= sizeof(path))
			maxname = sizeof(path) - 1;
		memcpy(path, d + 32, maxname);
		path[maxname] = '\0';
		add_mapping(s, (pid_t)pid, addr, len, pgoff, find_module(s, path));
		break;
	}
	case PERF_RECORD_COMM:
		if (size < sizeof(h) + 8)
			break;
		memcpy(&pid, d, 4);
		memcpy(&tid, d + 4, 4);
		if ((h.misc & PERF_RECORD_MISC_COMM_EXEC) && pid == tid)
			drop_mappings(s, (pid_t)pid); /* a new image replaces the old */
		break;
	case PERF_RECORD_FORK:
		if (size < sizeof(h) + 16)
			break;
		memcpy(&pid, d, 4);
		memcpy(&ppid, d + 4, 4);
		memcpy(&tid, d + 8, 4);
		if (pid == tid && pid != ppid)
			copy_mappings(s, (pid_t)ppid, (pid_t)pid);
		break;
	case PERF_RECORD_EXIT:
		if (size < sizeof(h) + 16)
			break;
		memcpy(&pid, d, 4);
		memcpy(&tid, d + 8, 4);
		if (pid == tid)
			drop_mappings(s, (pid_t)pid);
		break;
	case PERF_RECORD_LOST:
		if (size < sizeof(h) + 16)
			break;
		memcpy(&lost, d + 8, 8);
		s->lost += lost;
		break;
	default:
		break;
	}
}

static uint64_t record_time(const unsigned char *p, size_t size)
{
	struct perf_event_header h;
	uint64_t t = 0;

	memcpy(&h, p, sizeof(h));
	if (h.type == PERF_RECORD_SAMPLE) {
		if (size >= sizeof(h) + 24)
			memcpy(&t, p + sizeof(h) + 16, 8);
	} else if (size >= sizeof(h) + 8) {
		/* sample_id trailer: { pid, tid; time } ends the record */
		memcpy(&t, p + size - 8, 8);
	}
	return t;
}

static void queue_record(struct hotspots_session *s, const unsigned char *p, size_t size)
{
	struct rec *r;

	if (s->nrecs == s->arecs) {
		size_t na = s->arecs ? s->arecs * 2 : 256;

		s->recs = xreallocarray(s->recs, na, sizeof(*s->recs));
		s->arecs = na;
	}
	r = &s->recs[s->nrecs];
	r->data = xmalloc(size);
	memcpy(r->data, p, size);
	r->size = (uint32_t)size;
	r->time = record_time(p, size);
	r->seq = s->seq++;
	s->nrecs++;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static void read_ring(struct hotspots_session *s, struct ring *r)
{
	struct perf_event_mmap_page *meta = r->base;
	unsigned char *data = (unsigned char *)r->base + r->data_offset;
	unsigned char tmp[65536];
	uint64_t head, tail;

	head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	tail = meta->data_tail;
	while (tail < head) {
		struct perf_event_header h;
		size_t at = (size_t)(tail % r->data_size);
		size_t first;

		if (r->data_size - at >= sizeof(h)) {
			memcpy(&h, data + at, sizeof(h));
		} else {
			first = r->data_size - at;
			memcpy(&h, data + at, first);
			memcpy((unsigned char *)&h + first, data, sizeof(h) - first);
		}
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		if (at + h.size <= r->data_size) {
			queue_record(s, data + at, h.size);
		} else {
			first = r->data_size - at;
			memcpy(tmp, data + at, first);
			memcpy(tmp + first, data, h.size - first);
			queue_record(s, tmp, h.size);
		}
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

void hotspots_session_drain(struct hotspots_session *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nrings; i++)
		read_ring(s, &s->rings[i]);
	if (!s->nrecs)
		return;
	qsort(s->recs, s->nrecs, sizeof(*s->recs), rec_cmp);
	for (i = 0; i < s->nrecs; i++) {
		apply_record(s, s->recs[i].data, s->recs[i].size);
		free(s->recs[i].data);
	}
	s->nrecs = 0;
}

void hotspots_session_finish(struct hotspots_session *s, const char *cwd, struct profile *out)
{
	hotspots_session_drain(s);
	close_rings(s);
	hotspots_symbolize(s, cwd, out);
}

/* ---- one sampled run through the process runner ---- */

struct run_ctx {
	struct hotspots_session *s;
};

static int hook_before_exec(pid_t pid, void *ctx, struct buf *err)
{
	struct run_ctx *rc = ctx;

	return hotspots_session_attach(rc->s, pid, err);
}

static void hook_tick(pid_t pid, void *ctx)
{
	struct run_ctx *rc = ctx;

	(void)pid;
	hotspots_session_drain(rc->s);
}

static void hook_after_exit(pid_t pid, const struct proc_result *res, void *ctx)
{
	struct run_ctx *rc = ctx;

	(void)pid;
	(void)res;
	hotspots_session_drain(rc->s);
}

int hotspots_run(const struct counter_request *req, const struct hotspots_options *opt,
                 struct proc_result *res, struct profile *out, struct buf *err)
{
	struct proc_hooks hooks;
	struct proc_spec spec;
	struct run_ctx ctx;
	int rc;

	if (req->spec)
		spec = *req->spec;
	else
		proc_spec_init(&spec);
	ctx.s = hotspots_session_new(opt);
	memset(&hooks, 0, sizeof(hooks));
	hooks.before_exec = hook_before_exec;
	hooks.tick = hook_tick;
	hooks.after_exit = hook_after_exit;
	hooks.ctx = &ctx;
	hooks.tick_ms = 50;
	spec.hooks = &hooks;
	rc = proc_run_sh(&spec, req->cmd, res, err);
	if (rc == 0)
		hotspots_session_finish(ctx.s, spec.cwd, out);
	hotspots_session_free(ctx.s);
	return rc;
}
