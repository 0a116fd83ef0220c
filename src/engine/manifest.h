/*
 * manifest.h: the target manifest, optimize.json, parsed and validated.
 *
 * manifest_load reads <tree>/optimize.json (or an explicit file), validates
 * every field and fills a struct manifest of one or more targets. Nothing
 * runs before this succeeds. Errors name the place: file:line:column for
 * invalid JSON, the field path (targets[1].verify[0].rtol) and the expected
 * type for a mistyped field, a "did you mean" for an unknown field.
 *
 * Ownership: the manifest owns every string and array in it;
 * manifest_release frees them all.
 *
 * The field reference, with defaults and an example, is docs/manifest.md.
 * After a successful load every field below is filled: optional ones carry
 * their defaults, so users of a target never re-apply them.
 */
#ifndef OPTIMIZE_MANIFEST_H
#define OPTIMIZE_MANIFEST_H

#include <stddef.h>

#include "base/buf.h"
#include "base/proc.h"
#include "base/strlist.h"

enum compare_kind { COMPARE_STDOUT, COMPARE_STDERR, COMPARE_FILE };

struct compare_item {
	enum compare_kind kind;
	char *path; /* for COMPARE_FILE, relative to the workspace */
};

struct verify_spec {
	char *run;                    /* sh -c command */
	struct compare_item *compare; /* default: one COMPARE_STDOUT */
	size_t ncompare;
	double rtol, atol; /* default: the target's rtol/atol */
};

struct llm_settings {
	char *provider; /* "openai", "anthropic", "openai-compatible"; NULL = not set */
	char *model;
	char *url;
	double temperature; /* < 0 = not set */
	long max_tokens;    /* 0 = not set */
};

struct target {
	char *name;
	char *tree;              /* absolute path of the source tree */
	char *manifest_path;     /* the file it came from */
	struct strlist editable; /* globs, relative to tree */
	struct strlist context;  /* globs, read-only files an LLM may see */
	struct strlist outputs;  /* globs of build outputs, excluded from the protected check */
	char *build;
	char *cc;      /* default "cc" (overridden by --cc) */
	char *cflags;  /* NULL = not set (the project's own flags); see default_cflags */
	char *ldflags; /* default "" */
	char *run;
	struct verify_spec *verify;
	size_t nverify;
	double rtol, atol;                /* defaults for every comparison (run + verify): 0, 0 */
	struct compare_item *run_compare; /* what of the timed run is compared; default stdout */
	size_t nrun_compare;
	char *test;                /* NULL = none */
	double timeout_s;          /* default 60 */
	char *objective;           /* default "time" */
	struct proc_limits limits; /* defaults: PROC_DEFAULT_* (as proc_limits_default); 0 = off */
	/* OpenCL (kernel targets) */
	struct strlist kernels; /* globs of editable .cl files (also appended to editable) */
	char *cl_build_options; /* default "" */
	char *wg_size_env; /* env variable the host reads a work-group size from; NULL = none */
	struct strlist wg_sizes; /* work-group sizes the offline proposer may try */
	struct llm_settings llm;
	/* "env": {"pass": [...]}: only these variables (a trailing '*' matches a
	 * prefix) reach the target's processes; env_pass_set = 0: every
	 * variable but the secret-looking ones (proc_spec.env_pass). */
	struct strlist env_pass;
	int env_pass_set;
};

struct manifest {
	char *path;
	struct target *targets;
	size_t ntargets;
};

#define MANIFEST_FILENAME  "optimize.json"
#define MANIFEST_VERSION   1 /* the only "version" accepted */
#define MANIFEST_MAX_BYTES ((size_t)4 << 20)
#define MANIFEST_NAME_MAX  64 /* target names: [A-Za-z0-9._-]{1,64}, not "." or ".." */

/*
 * Load <path>: a directory (its optimize.json is read) or a manifest file.
 * m->path and each target's manifest_path are absolute; tree is the
 * manifest's directory, resolved with realpath. On failure m is left empty
 * (safe to release) and err says what is wrong, starting with the file.
 */
int manifest_load(const char *path, struct manifest *m, struct buf *err);
/*
 * Parse manifest text; `origin` names it in messages (and becomes m->path)
 * and `tree` is the base directory, copied as given (NULL = ".").
 */
int manifest_parse(const char *text, size_t len, const char *origin, const char *tree,
                   struct manifest *m, struct buf *err);
void manifest_release(struct manifest *m);

/* The target of that name, or NULL. */
const struct target *manifest_find_target(const struct manifest *m, const char *name);

/*
 * 0 if `objective` is one the manifest accepts ("time", "cycles",
 * "instructions", "cache-misses", "max-rss", "cpu-time", "kernel_time",
 * "kernel_time:NAME"); otherwise -1 and err lists the accepted ones. For
 * checking an --objective given on the command line the same way.
 */
int manifest_check_objective(const char *objective, struct buf *err);

#endif
