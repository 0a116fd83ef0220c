/*
 * machine.h: facts about the machine and toolchain a run happened on, for
 * report.json (reproducibility) and for LLM prompts.
 */
#ifndef OPTIMIZE_MACHINE_H
#define OPTIMIZE_MACHINE_H

#include "base/buf.h"

struct cJSON;

struct machine_info {
	char *cpu_model;
	int cores;    /* online CPUs */
	char *kernel; /* uname -sr */
	char *hostname;
	char *cache_l1d, *cache_l2, *cache_l3; /* "48K", ... or NULL */
	char *simd;     /* "sse4_2 avx avx2 avx512f ..." (present ones among a known list) */
	char *compiler; /* the first line of `$CC --version` */
};

int machine_info_collect(struct machine_info *m, const char *cc);
void machine_info_release(struct machine_info *m);
/* Short text for prompts. */
void machine_info_text(const struct machine_info *m, struct buf *out);
struct cJSON *machine_info_json(const struct machine_info *m);

#endif
