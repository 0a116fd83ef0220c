/*
 * suite.h: a benchmark suite for `optimize bench` (docs/bench.md).
 *
 * A suite is either a folder whose subfolders hold an optimize.json each
 * (every target of every manifest is one entry, subfolders in name order),
 * or a suite.json that lists trees and the settings every target runs with:
 *
 *   {"version": 1, "name": "cpu", "targets": ["matmul", {"tree": "x", "target": "y"}],
 *    "proposer": "flags", "objective": "instructions", "presets": ["-O3"], ...}
 *
 * Loading parses every manifest once, to expand trees into targets. A
 * manifest that does not load is still an entry, with its error: the suite
 * goes on and the row says why. A suite with no entry, a suite.json with an
 * unknown field or a mistyped one is an error naming file:line.
 *
 * The entry index (0-based, in this order) is the unit of work the
 * executors hand out (`--task I`). It is stable as long as the suite's
 * folders and manifests are.
 *
 * Ownership: the suite owns every string; bench_suite_release frees them.
 */
#ifndef OPTIMIZE_BENCH_SUITE_H
#define OPTIMIZE_BENCH_SUITE_H

#include <stddef.h>

#include "base/buf.h"
#include "base/strlist.h"

struct bench_entry {
	char *name;   /* unique in the suite: [A-Za-z0-9._-], the row's key and folder */
	char *tree;   /* absolute path of the tree */
	char *target; /* the manifest's target name; NULL when the manifest did not load */
	char *error;  /* why the manifest did not load (the row's reason); NULL = fine */
};

/*
 * A setting of suite.json that is a command-line option of `optimize bench`
 * ("rounds": 3 is --rounds 3). The command applies them before its own
 * command line, which wins. origin is "suite.json:LINE" for messages.
 */
struct bench_setting {
	char *option; /* the long option, without -- */
	char *value;  /* NULL for a switch */
	char *origin;
};

#define BENCH_MAX_FAST_P  16
#define BENCH_MAX_PRESETS 8

struct bench_suite {
	char *path; /* the folder or suite.json, absolute */
	char *name; /* "name", else the folder's name */
	struct bench_entry *entries;
	size_t n;
	struct bench_setting *settings;
	size_t nsettings;
	char *proposer;         /* "flags", "llm", "llm+flags", "none"; NULL = as `run` */
	struct strlist presets; /* compiler flags measured head to head with the winner */
	int presets_set;        /* "presets" given (an empty list turns them off) */
	double fast_p[BENCH_MAX_FAST_P];
	size_t nfast_p; /* 0 = the defaults (bench_default_fast_p) */
};

/* The default p of fast_p: 0, 1.0, 1.1, 1.5, 2.0. */
size_t bench_default_fast_p(double *p, size_t max);
/* The default presets: "-O3", "-O3 -march=native". */
void bench_default_presets(struct strlist *out);

/* Load a suite folder or suite.json. 0, or -1 with err ("FILE:LINE: ..."). */
int bench_suite_load(const char *path, struct bench_suite *s, struct buf *err);
void bench_suite_release(struct bench_suite *s);

/* "flags" and "llm" in the proposer spec: 0 or -1 with err for other words. */
int bench_proposer_parse(const char *spec, int *flags, int *llm, struct buf *err);

#endif
