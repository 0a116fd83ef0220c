/*
 * hotspots_int.h: private to src/prof/hotspots*.c: the sampling session,
 * filled by hotspots.c (perf_event rings, mappings, counts per file
 * offset) and read by hotspots_symbols.c (offsets to functions and lines).
 */
#ifndef OPTIMIZE_HOTSPOTS_INT_H
#define OPTIMIZE_HOTSPOTS_INT_H

#include "prof/hotspots.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Pseudo-modules for addresses that do not belong to a mapped file. */
#define MOD_KERNEL  0
#define MOD_UNKNOWN 1

struct ring {
	int fd;
	void *base;
	size_t map_len;
	size_t data_size;
	size_t data_offset;
};

struct module {
	char *path; /* absolute file, or "[kernel]", "[vdso]", "//anon" */
};

struct mapping {
	pid_t pid;
	uint64_t start, end, pgoff;
	int mod;
};

/* One pending record copied out of a ring buffer, ordered by time. */
struct rec {
	uint64_t time;
	uint64_t seq;
	uint32_t size;
	unsigned char *data;
};

/* Samples counted per (module, file offset). */
struct addr_count {
	int mod;
	uint64_t off;
	uint64_t n;
};

struct hotspots_session {
	struct hotspots_options opt;
	struct ring *rings;
	size_t nrings;
	struct module *mods;
	size_t nmods, amods;
	struct mapping *maps;
	size_t nmaps, amaps;
	struct addr_count *counts; /* open addressing; mod < 0 = empty */
	size_t ncounts, acounts;
	struct rec *recs;
	size_t nrecs, arecs;
	uint64_t seq;
	uint64_t total;
	uint64_t lost;
};

/* After the rings are drained and closed: turn s's counts into out's hot
 * functions and lines (at most HOTSPOTS_MAX_*), source paths relative to
 * cwd where they lie under it. */
void hotspots_symbolize(struct hotspots_session *s, const char *cwd, struct profile *out);

#endif
