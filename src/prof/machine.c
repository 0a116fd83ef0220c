#include "prof/machine.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/xalloc.h"

static char *read_trimmed(const char *path)
{
	struct buf b = BUF_INIT;
	b.max = 4096;
	if (buf_read_file(&b, path) < 0 && !b.len) {
		buf_release(&b);
		return NULL;
	}
	buf_rtrim(&b);
	return buf_detach(&b);
}

static char *cpuinfo_field(const char *text, const char *field)
{
	const char *p = text;
	size_t fl = strlen(field);

	while (p && *p) {
		if (!strncmp(p, field, fl) && (p[fl] == '\t' || p[fl] == ' ' || p[fl] == ':')) {
			const char *c = strchr(p, ':');
			const char *e = strchr(p, '\n');
			if (c && (!e || c < e)) {
				c++;
				while (*c == ' ')
					c++;
				return xstrndup(c, e ? (size_t)(e - c) : strlen(c));
			}
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int machine_info_collect(struct machine_info *m, const char *cc)
{
	static const char *const simd_flags[] = {"sse2", "sse4_2",  "avx",      "avx2",
	                                         "fma",  "avx512f", "avx512bw", "avx512vl",
	                                         "neon", "asimd",   "sve",      NULL};
	struct buf cpuinfo = BUF_INIT, simd = BUF_INIT;
	struct utsname u;
	char *flags;
	size_t i;

	memset(m, 0, sizeof(*m));
	cpuinfo.max = (size_t)4 << 20;
	buf_read_file(&cpuinfo, "/proc/cpuinfo");
	m->cpu_model = cpuinfo_field(cpuinfo.data, "model name");
	if (!m->cpu_model)
		m->cpu_model = xstrdup("unknown");
	m->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0) {
		struct buf k = BUF_INIT;
		buf_addf(&k, "%s %s %s", u.sysname, u.release, u.machine);
		m->kernel = buf_detach(&k);
		m->hostname = xstrdup(u.nodename);
	}
	m->cache_l1d = read_trimmed("/sys/devices/system/cpu/cpu0/cache/index0/size");
	m->cache_l2 = read_trimmed("/sys/devices/system/cpu/cpu0/cache/index2/size");
	m->cache_l3 = read_trimmed("/sys/devices/system/cpu/cpu0/cache/index3/size");
	flags = cpuinfo_field(cpuinfo.data, "flags");
	if (!flags)
		flags = cpuinfo_field(cpuinfo.data, "Features");
	for (i = 0; flags && simd_flags[i]; i++) {
		const char *f = simd_flags[i];
		size_t fl = strlen(f);
		const char *p = flags;
		while ((p = strstr(p, f))) {
			if ((p == flags || p[-1] == ' ') && (p[fl] == ' ' || p[fl] == '\0')) {
				buf_addf(&simd, "%s%s", simd.len ? " " : "", f);
				break;
			}
			p += fl;
		}
	}
	m->simd = buf_detach(&simd);
	free(flags);
	buf_release(&cpuinfo);
	if (cc) {
		struct proc_spec spec;
		struct proc_result res;
		struct buf out = BUF_INIT, err = BUF_INIT;
		const char *argv[] = {cc, "--version", NULL};
		proc_spec_init(&spec);
		spec.argv = argv;
		spec.stdout_buf = &out;
		spec.timeout_s = 10;
		if (proc_run(&spec, &res, &err) == 0 && proc_result_ok(&res)) {
			char *nl = strchr(out.data, '\n');
			if (nl)
				*nl = '\0';
			m->compiler = xstrdup(out.data);
		}
		buf_release(&out);
		buf_release(&err);
	}
	return 0;
}

void machine_info_release(struct machine_info *m)
{
	free(m->cpu_model);
	free(m->kernel);
	free(m->hostname);
	free(m->cache_l1d);
	free(m->cache_l2);
	free(m->cache_l3);
	free(m->simd);
	free(m->compiler);
	memset(m, 0, sizeof(*m));
}

void machine_info_text(const struct machine_info *m, struct buf *out)
{
	buf_addf(out, "CPU: %s, %d cores", m->cpu_model ? m->cpu_model : "unknown", m->cores);
	if (m->cache_l1d || m->cache_l2 || m->cache_l3)
		buf_addf(out, "; caches L1d %s, L2 %s, L3 %s", m->cache_l1d ? m->cache_l1d : "?",
		         m->cache_l2 ? m->cache_l2 : "?", m->cache_l3 ? m->cache_l3 : "?");
	buf_addf(out, "\nSIMD: %s\n", m->simd && *m->simd ? m->simd : "none detected");
	if (m->compiler)
		buf_addf(out, "Compiler: %s\n", m->compiler);
}

struct cJSON *machine_info_json(const struct machine_info *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cpu_model", m->cpu_model ? m->cpu_model : "unknown");
	cJSON_AddNumberToObject(o, "cores", m->cores);
	cJSON_AddStringToObject(o, "kernel", m->kernel ? m->kernel : "unknown");
	if (m->cache_l1d)
		cJSON_AddStringToObject(o, "cache_l1d", m->cache_l1d);
	if (m->cache_l2)
		cJSON_AddStringToObject(o, "cache_l2", m->cache_l2);
	if (m->cache_l3)
		cJSON_AddStringToObject(o, "cache_l3", m->cache_l3);
	cJSON_AddStringToObject(o, "simd", m->simd ? m->simd : "");
	cJSON_AddStringToObject(o, "compiler", m->compiler ? m->compiler : "unknown");
	return o;
}
