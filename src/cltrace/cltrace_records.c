/*
 * cltrace_records.c: the records of liboptimize_cltrace.so: pending events,
 * their profiles once complete, the devices they ran on, and the trace
 * written at exit (or at once, for a failed build). See cltrace.c.
 */
#include "cltrace/cltrace_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define CT_POLL_PENDING 1024 /* poll for completed events past this many pending */
#define CT_MAX_DEVICES  64

struct device {
	cl_device_id id;
	char *platform, *name, *vendor, *driver_version;
	const char *type;
	cl_uint compute_units;
	size_t max_wg;
	cl_ulong local_mem, global_mem;
	cl_uint vw_float, vw_double, vw_int;
};

static struct rec *recs;
static size_t nrecs, recs_cap;
static size_t *pending; /* indices into recs */
static size_t npending, pending_cap;
static char **names;
static size_t nnames, names_cap;
static struct device devices[CT_MAX_DEVICES];
static size_t ndevices;
static unsigned long ndropped, nlost;
/* ---- a small growable string with JSON escaping ------------------------- */

struct sb {
	char *p;
	size_t len, cap;
	int failed;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		char *np;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (!np) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void sb_addf(struct sb *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = 1;
		return;
	}
	sb_add(b, tmp, (size_t)n);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string; invalid UTF-8 becomes U+FFFD; NULL becomes null. */
static void sb_json_str(struct sb *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i = 0;

	if (!str) {
		sb_add(b, "null", 4);
		return;
	}
	n = strlen(str);
	sb_add(b, "\"", 1);
	while (i < n) {
		unsigned char c = s[i];
		size_t run = i;

		/* copy a run of bytes that need no escaping in one go */
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			sb_add(b, str + i, run - i);
			i = run;
			continue;
		}
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			sb_add(b, esc, 2);
			i++;
		} else if (c == '\n') {
			sb_add(b, "\\n", 2);
			i++;
		} else if (c == '\t') {
			sb_add(b, "\\t", 2);
			i++;
		} else if (c == '\r') {
			sb_add(b, "\\r", 2);
			i++;
		} else if (c < 0x20) {
			sb_addf(b, "\\u%04x", c);
			i++;
		} else {
			size_t l = utf8_len(s + i, n - i);
			if (l) {
				sb_add(b, str + i, l);
				i += l;
			} else {
				sb_add(b, "\\ufffd", 6);
				i++;
			}
		}
	}
	sb_add(b, "\"", 1);
}

static void sb_key(struct sb *b, const char *key)
{
	sb_add(b, ",", 1);
	sb_json_str(b, key);
	sb_add(b, ":", 1);
}

/* Append the whole buffer to the trace file under an exclusive lock. */
static void append_to_trace(const struct sb *b)
{
	size_t off = 0;
	int fd;

	if (b->failed) {
		fprintf(stderr, "optimize-cltrace: out of memory writing the trace\n");
		return;
	}
	fd = open(ct_out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "optimize-cltrace: cannot open '%s': %s\n", ct_out,
		        strerror(errno));
		return;
	}
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	while (off < b->len) {
		ssize_t w = write(fd, b->p + off, b->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "optimize-cltrace: cannot write '%s': %s\n", ct_out,
			        strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	close(fd);
}

/* ---- devices ------------------------------------------------------------ */

static char *device_str(cl_device_id dev, cl_device_info what)
{
	size_t n = 0;
	char *s;

	if (clGetDeviceInfo(dev, what, 0, NULL, &n) != CL_SUCCESS || !n)
		return NULL;
	s = calloc(1, n + 1);
	if (s && clGetDeviceInfo(dev, what, n, s, NULL) != CL_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

static char *platform_name(cl_device_id dev)
{
	cl_platform_id plat;
	size_t n = 0;
	char *s;

	if (clGetDeviceInfo(dev, CL_DEVICE_PLATFORM, sizeof(plat), &plat, NULL) != CL_SUCCESS ||
	    clGetPlatformInfo(plat, CL_PLATFORM_NAME, 0, NULL, &n) != CL_SUCCESS || !n)
		return NULL;
	s = calloc(1, n + 1);
	if (s && clGetPlatformInfo(plat, CL_PLATFORM_NAME, n, s, NULL) != CL_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

static const char *device_type_name(cl_device_type t)
{
	if (t & CL_DEVICE_TYPE_GPU)
		return "GPU";
	if (t & CL_DEVICE_TYPE_CPU)
		return "CPU";
	if (t & CL_DEVICE_TYPE_ACCELERATOR)
		return "ACCELERATOR";
	if (t & CL_DEVICE_TYPE_CUSTOM)
		return "CUSTOM";
	return "OTHER";
}

/* The index of dev in devices, adding it (and its properties) when new.
 * Called with ct_lock held. */
unsigned ct_device_index(cl_device_id dev)
{
	struct device *d;
	cl_device_type type = 0;
	size_t i;

	for (i = 0; i < ndevices; i++)
		if (devices[i].id == dev)
			return (unsigned)i;
	if (ndevices == CT_MAX_DEVICES)
		return CT_MAX_DEVICES - 1;
	d = &devices[ndevices];
	memset(d, 0, sizeof(*d));
	d->id = dev;
	d->platform = platform_name(dev);
	d->name = device_str(dev, CL_DEVICE_NAME);
	d->vendor = device_str(dev, CL_DEVICE_VENDOR);
	d->driver_version = device_str(dev, CL_DRIVER_VERSION);
	clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof(type), &type, NULL);
	d->type = device_type_name(type);
	clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cl_uint), &d->compute_units, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(size_t), &d->max_wg, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_LOCAL_MEM_SIZE, sizeof(cl_ulong), &d->local_mem, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(cl_ulong), &d->global_mem, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof(cl_uint), &d->vw_float,
	                NULL);
	clGetDeviceInfo(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE, sizeof(cl_uint),
	                &d->vw_double, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT, sizeof(cl_uint), &d->vw_int,
	                NULL);
	return (unsigned)ndevices++;
}

static unsigned queue_device(cl_command_queue q)
{
	cl_device_id dev = NULL;

	clGetCommandQueueInfo(q, CL_QUEUE_DEVICE, sizeof(dev), &dev, NULL);
	return ct_device_index(dev);
}

/* ---- records ------------------------------------------------------------ */

/* Called with ct_lock held. */
unsigned ct_intern_name(const char *s)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		if (!strcmp(names[i], s))
			return (unsigned)i;
	if (nnames == names_cap) {
		size_t ncap = names_cap ? names_cap * 2 : 16;
		char **nn = realloc(names, ncap * sizeof(*nn));
		if (!nn)
			return UINT32_MAX;
		names = nn;
		names_cap = ncap;
	}
	names[nnames] = strdup(s);
	if (!names[nnames])
		return UINT32_MAX;
	return (unsigned)nnames++;
}

char *ct_kernel_name(cl_kernel k, char *small, size_t small_len)
{
	size_t n = 0;
	char *s;

	if (clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, small_len, small, &n) == CL_SUCCESS)
		return small;
	if (clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, 0, NULL, &n) != CL_SUCCESS || !n)
		return NULL;
	s = calloc(1, n + 1);
	if (s && clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, n, s, NULL) != CL_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

static void poll_pending(void);

/*
 * Keep rec (with ev) as pending. app_event: ev belongs to the application, so
 * a reference is taken here; otherwise ev was created for this library and
 * its only reference is handed over.
 */
void ct_add_record(struct rec *r, int app_event)
{
	int stored = 0, poll = 0;

	pthread_mutex_lock(&ct_lock);
	if (nrecs >= ct_max_records || ct_closed) {
		ndropped++;
	} else {
		if (nrecs == recs_cap) {
			size_t ncap = recs_cap ? recs_cap * 2 : 256;
			struct rec *nr = realloc(recs, ncap * sizeof(*nr));
			if (nr) {
				recs = nr;
				recs_cap = ncap;
			}
		}
		if (npending == pending_cap) {
			size_t ncap = pending_cap ? pending_cap * 2 : 256;
			size_t *np = realloc(pending, ncap * sizeof(*np));
			if (np) {
				pending = np;
				pending_cap = ncap;
			}
		}
		if (nrecs < recs_cap && npending < pending_cap) {
			r->device = (unsigned char)queue_device(r->queue);
			recs[nrecs] = *r;
			pending[npending++] = nrecs++;
			stored = 1;
			poll = npending >= CT_POLL_PENDING && npending % CT_POLL_PENDING == 0;
		} else {
			ndropped++;
		}
	}
	pthread_mutex_unlock(&ct_lock);
	if (stored && app_event)
		clRetainEvent(r->ev);
	else if (!stored && !app_event)
		clReleaseEvent(r->ev);
	if (poll)
		poll_pending();
}

/* Read the profile of the pending records selected by mode and release
 * their events. */
void ct_collect(enum take_mode mode, cl_command_queue q)
{
	struct {
		size_t idx;
		cl_event ev;
		cl_int error;
		cl_ulong t[4];
	} * take;
	size_t ntake = 0, i, keep = 0;
	cl_event *evs;

	pthread_mutex_lock(&ct_lock);
	if (!npending) {
		pthread_mutex_unlock(&ct_lock);
		return;
	}
	take = calloc(npending, sizeof(*take));
	if (!take) {
		pthread_mutex_unlock(&ct_lock);
		return;
	}
	for (i = 0; i < npending; i++) {
		struct rec *r = &recs[pending[i]];
		int sel;

		if (mode == TAKE_ALL) {
			sel = 1;
		} else if (mode == TAKE_QUEUE && r->queue == q) {
			sel = 1;
		} else {
			cl_int st = CL_QUEUED;
			clGetEventInfo(r->ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(st), &st,
			               NULL);
			sel = st <= CL_COMPLETE; /* complete, or terminated by an error */
		}
		if (sel) {
			take[ntake].idx = pending[i];
			take[ntake].ev = r->ev;
			ntake++;
		} else {
			pending[keep++] = pending[i];
		}
	}
	npending = keep;
	pthread_mutex_unlock(&ct_lock);

	/* Wait outside the lock: other threads may keep enqueueing. */
	if (ntake && mode != TAKE_COMPLETE) {
		evs = malloc(ntake * sizeof(*evs));
		if (evs) {
			for (i = 0; i < ntake; i++)
				evs[i] = take[i].ev;
			ct_real.wait((cl_uint)ntake, evs);
			free(evs);
		}
	}
	for (i = 0; i < ntake; i++) {
		static const cl_profiling_info what[4] = {
		    CL_PROFILING_COMMAND_QUEUED,
		    CL_PROFILING_COMMAND_SUBMIT,
		    CL_PROFILING_COMMAND_START,
		    CL_PROFILING_COMMAND_END,
		};
		int k;

		for (k = 0; k < 4 && !take[i].error; k++)
			take[i].error = clGetEventProfilingInfo(
			    take[i].ev, what[k], sizeof(cl_ulong), &take[i].t[k], NULL);
		clReleaseEvent(take[i].ev);
	}
	pthread_mutex_lock(&ct_lock);
	for (i = 0; i < ntake; i++) {
		struct rec *r = &recs[take[i].idx];
		r->ev = NULL;
		r->error = take[i].error;
		memcpy(r->t, take[i].t, sizeof(r->t));
	}
	pthread_mutex_unlock(&ct_lock);
	free(take);
}

static void poll_pending(void)
{
	ct_collect(TAKE_COMPLETE, NULL);
}

/* ---- writing -------------------------------------------------------------- */

static const char *kind_name(unsigned k)
{
	switch (k) {
	case REC_KERNEL:
		return "kernel";
	case REC_READ:
		return "read";
	case REC_WRITE:
		return "write";
	default:
		return "copy";
	}
}

static void write_records(void)
{
	struct sb b = {0};
	size_t i;

	sb_addf(&b,
	        "{\"type\":\"process\",\"pid\":%ld,\"opencl\":true,\"records\":%zu,"
	        "\"dropped\":%lu,\"lost\":%lu}\n",
	        (long)ct_pid, nrecs, ndropped, nlost);
	for (i = 0; i < ndevices; i++) {
		const struct device *d = &devices[i];

		sb_addf(&b, "{\"type\":\"device\",\"index\":%zu", i);
		sb_key(&b, "platform");
		sb_json_str(&b, d->platform);
		sb_key(&b, "name");
		sb_json_str(&b, d->name);
		sb_key(&b, "vendor");
		sb_json_str(&b, d->vendor);
		sb_key(&b, "driver_version");
		sb_json_str(&b, d->driver_version);
		sb_key(&b, "device_type");
		sb_json_str(&b, d->type);
		sb_addf(&b,
		        ",\"compute_units\":%u,\"max_work_group_size\":%zu,"
		        "\"local_mem_bytes\":%" PRIu64 ",\"global_mem_bytes\":%" PRIu64 ","
		        "\"pref_vector_width_float\":%u,\"pref_vector_width_double\":%u,"
		        "\"pref_vector_width_int\":%u}\n",
		        d->compute_units, d->max_wg, (uint64_t)d->local_mem,
		        (uint64_t)d->global_mem, d->vw_float, d->vw_double, d->vw_int);
	}
	for (i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		unsigned k;

		if (r->ev)
			continue; /* never completed: counted in lost */
		sb_addf(&b, "{\"type\":\"%s\",\"device\":%u", kind_name(r->kind), r->device);
		if (r->kind == REC_KERNEL) {
			sb_key(&b, "name");
			sb_json_str(&b, r->name < nnames ? names[r->name] : "?");
			sb_addf(&b, ",\"work_dim\":%u,\"global\":[", r->work_dim);
			for (k = 0; k < r->work_dim; k++)
				sb_addf(&b, "%s%zu", k ? "," : "", r->global[k]);
			if (r->has_local) {
				sb_add(&b, "],\"local\":[", 11);
				for (k = 0; k < r->work_dim; k++)
					sb_addf(&b, "%s%zu", k ? "," : "", r->local[k]);
				sb_add(&b, "]", 1);
			} else {
				sb_add(&b, "],\"local\":null", 14);
			}
		} else {
			sb_addf(&b, ",\"bytes\":%zu", r->bytes);
		}
		if (r->error)
			sb_addf(&b, ",\"error\":%d}\n", (int)r->error);
		else
			sb_addf(&b,
			        ",\"queued\":%" PRIu64 ",\"submit\":%" PRIu64 ",\"start\":%" PRIu64
			        ",\"end\":%" PRIu64 "}\n",
			        (uint64_t)r->t[0], (uint64_t)r->t[1], (uint64_t)r->t[2],
			        (uint64_t)r->t[3]);
	}
	append_to_trace(&b);
	free(b.p);
}

void ct_atexit(void)
{
	pthread_mutex_lock(&ct_lock);
	if (ct_closed || getpid() != ct_pid) {
		pthread_mutex_unlock(&ct_lock);
		return;
	}
	pthread_mutex_unlock(&ct_lock);

	ct_collect(TAKE_ALL, NULL);

	pthread_mutex_lock(&ct_lock);
	if (!ct_closed) {
		ct_closed = 1;
		nlost = npending;
		write_records();
	}
	pthread_mutex_unlock(&ct_lock);
}

/*
 * A process that never called OpenCL still creates the (empty) trace file,
 * so that the tool can tell "ran without OpenCL" from "never ran". It does
 * not read events here: the driver may already be gone.
 */
__attribute__((destructor)) static void ct_fini(void)
{
	const char *out = getenv("OPTIMIZE_CLTRACE_OUT");
	int fd;

	pthread_mutex_lock(&ct_lock);
	if (ct_closed || (ct_pid && getpid() != ct_pid) || !out || !*out) {
		pthread_mutex_unlock(&ct_lock);
		return;
	}
	ct_closed = 1;
	if (ct_used && ct_out) {
		nlost = npending;
		write_records();
	} else {
		fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	pthread_mutex_unlock(&ct_lock);
}

/* ---- build failures -------------------------------------------------------- */

static char *program_log(cl_program prog, cl_device_id dev)
{
	size_t n = 0;
	char *s;

	if (clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &n) != CL_SUCCESS)
		return NULL;
	s = calloc(1, n + 1);
	if (s && n &&
	    clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, n, s, NULL) != CL_SUCCESS) {
		free(s);
		return NULL;
	}
	return s;
}

void ct_record_build_error(const char *fn, cl_int status, cl_program prog, cl_uint ndev,
                           const cl_device_id *devs, const char *options)
{
	cl_device_id *all = NULL;
	struct sb b = {0};
	cl_uint i;

	if (!devs || !ndev) {
		ndev = 0;
		if (clGetProgramInfo(prog, CL_PROGRAM_NUM_DEVICES, sizeof(ndev), &ndev, NULL) !=
		        CL_SUCCESS ||
		    !ndev)
			ndev = 0;
		all = ndev ? calloc(ndev, sizeof(*all)) : NULL;
		if (all && clGetProgramInfo(prog, CL_PROGRAM_DEVICES, ndev * sizeof(*all), all,
		                            NULL) != CL_SUCCESS)
			ndev = 0;
		devs = all;
		if (!all)
			ndev = 0;
	}
	for (i = 0; i < ndev || (i == 0 && ndev == 0); i++) {
		char *log = ndev ? program_log(prog, devs[i]) : NULL;
		char *dname = ndev ? device_str(devs[i], CL_DEVICE_NAME) : NULL;

		sb_add(&b, "{\"type\":\"build_error\"", 21);
		sb_key(&b, "function");
		sb_json_str(&b, fn);
		sb_addf(&b, ",\"status\":%d", (int)status);
		sb_key(&b, "device");
		sb_json_str(&b, dname);
		sb_key(&b, "options");
		sb_json_str(&b, options ? options : "");
		sb_key(&b, "log");
		sb_json_str(&b, log ? log : "");
		sb_add(&b, "}\n", 2);
		free(log);
		free(dname);
	}
	append_to_trace(&b);
	free(b.p);
	free(all);
}
