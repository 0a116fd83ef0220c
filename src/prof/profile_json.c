/* profile_json.c: a profile as JSON (profile_to_json), the form report.json keeps. */
#include "prof/profile.h"

#include <math.h>

#include <cjson/cJSON.h>

static void add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_str(cJSON *o, const char *k, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, k, s);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *metric_to_json(const struct metric *m)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	add_str(o, "name", m->name);
	if (m->source == SRC_UNSUPPORTED)
		cJSON_AddNullToObject(o, "value");
	else
		add_num(o, "value", m->value);
	add_str(o, "unit", m->unit);
	add_str(o, "source", metric_source_name(m->source));
	add_str(o, "backend", m->backend);
	add_num(o, "scaling", m->scaling);
	if (m->source == SRC_UNSUPPORTED)
		add_str(o, "reason", m->reason ? m->reason : "not supported on this machine");
	return o;
}

static cJSON *device_to_json(const struct cl_device_info *d)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	add_str(o, "platform", d->platform);
	add_str(o, "name", d->name);
	add_str(o, "vendor", d->vendor);
	add_str(o, "driver_version", d->driver_version);
	add_str(o, "device_type", d->device_type);
	add_num(o, "compute_units", d->compute_units);
	add_num(o, "max_work_group_size", (double)d->max_work_group_size);
	add_num(o, "local_mem_bytes", (double)d->local_mem_bytes);
	add_num(o, "global_mem_bytes", (double)d->global_mem_bytes);
	add_num(o, "pref_vector_width_float", d->pref_vector_width_float);
	add_num(o, "pref_vector_width_double", d->pref_vector_width_double);
	add_num(o, "pref_vector_width_int", d->pref_vector_width_int);
	return o;
}

static cJSON *size3_to_json(const size_t v[3], unsigned dim)
{
	cJSON *a = cJSON_CreateArray();
	unsigned i;

	if (!a)
		return NULL;
	for (i = 0; i < dim && i < 3; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
	return a;
}

static cJSON *kernel_to_json(const struct kernel_timing *k)
{
	cJSON *o = cJSON_CreateObject();
	unsigned dim = k->work_dim ? k->work_dim : 1;

	if (!o)
		return NULL;
	add_str(o, "name", k->name);
	add_num(o, "launches", (double)k->launches);
	add_num(o, "total_ms", k->total_ms);
	add_num(o, "mean_ms", k->mean_ms);
	add_num(o, "median_ms", k->median_ms);
	add_num(o, "min_ms", k->min_ms);
	add_num(o, "max_ms", k->max_ms);
	add_num(o, "work_dim", k->work_dim);
	cJSON_AddItemToObject(o, "global", size3_to_json(k->global, dim));
	if (k->local[0])
		cJSON_AddItemToObject(o, "local", size3_to_json(k->local, dim));
	else
		cJSON_AddNullToObject(o, "local");
	return o;
}

struct cJSON *profile_to_json(const struct profile *p)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr, *o;
	size_t i;

	if (!root)
		return NULL;
	add_str(root, "command", p->command);

	arr = cJSON_AddArrayToObject(root, "metrics");
	for (i = 0; arr && i < p->nmetrics; i++)
		cJSON_AddItemToArray(arr, metric_to_json(&p->metrics[i]));

	add_str(root, "hotspot_source", p->hotspot_source);
	if (p->hotspot_error)
		add_str(root, "hotspot_error", p->hotspot_error);
	add_num(root, "total_samples", (double)p->total_samples);
	arr = cJSON_AddArrayToObject(root, "functions");
	for (i = 0; arr && i < p->nfunctions; i++) {
		const struct hot_function *f = &p->functions[i];

		o = cJSON_CreateObject();
		if (!o)
			break;
		add_str(o, "name", f->name);
		add_str(o, "module", f->module);
		add_num(o, "samples", (double)f->samples);
		add_num(o, "pct", f->pct);
		add_num(o, "ir", (double)f->ir);
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "lines");
	for (i = 0; arr && i < p->nlines; i++) {
		const struct hot_line *l = &p->lines[i];

		o = cJSON_CreateObject();
		if (!o)
			break;
		add_str(o, "file", l->file);
		add_num(o, "line", l->line);
		add_str(o, "function", l->function);
		add_str(o, "text", l->text);
		add_num(o, "samples", (double)l->samples);
		add_num(o, "pct", l->pct);
		add_num(o, "ir", (double)l->ir);
		add_num(o, "d1mr", (double)l->d1mr);
		add_num(o, "d1mw", (double)l->d1mw);
		add_num(o, "dlmr", (double)l->dlmr);
		add_num(o, "dlmw", (double)l->dlmw);
		add_num(o, "bcm", (double)l->bcm);
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "kernels");
	for (i = 0; arr && i < p->nkernels; i++)
		cJSON_AddItemToArray(arr, kernel_to_json(&p->kernels[i]));
	if (p->device)
		cJSON_AddItemToObject(root, "device", device_to_json(p->device));
	else
		cJSON_AddNullToObject(root, "device");
	add_str(root, "cl_build_log", p->cl_build_log);
	return root;
}
