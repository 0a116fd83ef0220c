/*
 * pipeline_int.h: private to pipeline.c and pipeline_stages.c.
 */
#ifndef OPTIMIZE_PIPELINE_INT_H
#define OPTIMIZE_PIPELINE_INT_H

#include "engine/objective.h"
#include "engine/pipeline.h"
#include "engine/verify.h"
#include "prof/machine.h"

#define BUILD_ERROR_MAX 4000 /* bytes of compiler output kept as a reason */

struct pipeline {
	struct pipeline_options opt;
	const struct target *t;
	char *run_dir;            /* <state>/runs/<run-id>/<target>: written by the tool only */
	char *work_root;          /* <state>/work/<run-id>/<target>: the workspaces */
	char *pristine;           /* untouched copy of the tree */
	char *state_abs;          /* absolute state directory */
	char *work_abs;           /* work_root, absolute (what the mount namespace binds back) */
	int state_fd;             /* the state directory, opened once: what the tool writes or reads
	                             under it is reached beneath this, never through a link */
	char *run_rel, *work_rel; /* run_dir and work_root relative to state_fd */
	struct strlist original_files;
	struct objective obj;
	struct machine_info machine;
	char *machine_text;
	int kernel_target;
	int isolate_net, isolate_tree;
	int isolate_pid; /* own PID namespace and /proc, private /tmp and /run */
	int cgroup;      /* memory and processes totals per run: cgroup v1 or v2, 0 none */
	int run_as;      /* as root: candidates run as run_uid/run_gid (pipeline_root.c) */
	uid_t run_uid;
	gid_t run_gid;
	char *isolation_net, *isolation_tree, *isolation_process;
	struct strlist readonly;    /* read-only for candidates: the tree, the state directory */
	struct strlist hidden;      /* hidden from candidates: the state directory */
	struct capture *verify_ref; /* the original's outputs, one per verify spec */
	struct capture run_ref;     /* and of its timed run */
	int have_refs;
	int warned_noise;
	int flags_ignored;      /* a probe showed that the build ignores $CFLAGS (said once) */
	char *pin_how;          /* how the CPU in opt.m.cpu was chosen, for the report */
	struct ws_seal **seals; /* by candidate id: the builds others are timed against */
	size_t nseals;
	int last_ran;                 /* the candidate whose processes ran last (its evaluation) */
	const struct candidate *orig; /* the original (set by pipeline_baseline) */
	int seeded;                   /* the manifest uses $OPTIMIZE_SEED (pipeline_seed.c) */
	unsigned long seed0;          /* the original's seed: the references' */
	unsigned long cur_seed;       /* what children get now (seed0 between stages) */
	char *last_label;             /* and its label */
};

/*
 * A child process of candidate code: the spec and the storage it points
 * into. Made only by pipeline_child_spec; released with child_release.
 */
struct child {
	struct proc_spec spec;
	struct strlist env;
	struct strlist writable; /* absolute: [0] is also the cwd */
	struct strlist pass;     /* the manifest's env.pass, when set */
};

/*
 * The one maker of child specs for target code. cfg overrides c's effective
 * settings (PGO steps); NULL = c->cfg. trace: where the OpenCL interposer
 * writes (kernel targets; NULL = c's scratch trace). timeout 0 = the
 * target's.
 */
/* CC, CFLAGS (with -g), LDFLAGS, CXX, CXXFLAGS of cfg onto env (pipeline_env.c). */
void pipeline_build_env(const struct cand_config *cfg, struct strlist *env);

int pipeline_child_spec(const struct pipeline *p, const struct candidate *c,
                        const struct cand_config *cfg, const char *trace, double timeout,
                        struct child *ch, struct buf *err);
void child_release(struct child *ch);

/*
 * pipeline_root.c: when the tool runs as root, the unprivileged identity
 * candidates run as (opt.run_as, or "nobody"), probed with the namespaces
 * already chosen; said in isolation_process. Where impossible: ENGINE_SETUP
 * with err, unless opt.allow_unsafe_root (then a warning, and the report
 * says candidates keep root's powers). ENGINE_OK otherwise.
 */
enum engine_status pipeline_setup_root(struct pipeline *p, const char *const *rw, struct buf *err);

/* c's workspace, opened beneath state_fd (O_DIRECTORY); -1 with err. */
int pipeline_ws_fd(const struct pipeline *p, const struct candidate *c, struct buf *err);
/* Where a copy of c's capture `tag` is saved: <run_rel>/c<id>/<tag> beneath state_fd. */
void pipeline_save_rel(const struct pipeline *p, const struct candidate *c, const char *tag,
                       struct buf *out);

/* <work_root>/c<id>.trace/<tag>.jsonl: the interposer's output for one run. */
void pipeline_trace_path(const struct pipeline *p, const struct candidate *c, const char *tag,
                         struct buf *out);

/* Run one `sh -c cmd` of c; its output into <work_root>/logs/c<id>-<name>.{out,err}.
 * errtext (if not NULL) gets a description and the trimmed output on failure. */
int pipeline_run_step(const struct pipeline *p, const struct candidate *c,
                      const struct cand_config *cfg, const char *cmd, const char *name,
                      double timeout, struct proc_result *res, struct buf *errtext,
                      struct buf *err);

/* The stages that make a workspace and a build (pipeline.c). */
int pipeline_materialize(struct pipeline *p, struct candidate *c, struct buf *err);
/* c's tree (the original or its source_tree, plus its files) made fresh in dir. */
int pipeline_materialize_at(struct pipeline *p, const struct candidate *c, const char *dir,
                            struct buf *err);
/* 0 built, 1 failed (why), -1 error. */
int pipeline_build(struct pipeline *p, struct candidate *c, struct buf *why, struct buf *err);

/* After c's build (pipeline_buildcheck.c): its build_hash, and whether it built
 * the same code as `against` although only its build settings differ. 0 go on;
 * 1 the same code (c's status set: nothing to measure); -1 error. */
int pipeline_check_same_build(struct pipeline *p, struct candidate *c,
                              const struct candidate *against, struct buf *err);

/* Seals (pipeline_buildcheck.c, engine/seal.h): c's workspace sealed once
 * built, verified and tested; a seal checked (0 holds or none, 1 broken: why
 * says what changed and which candidate ran last; -1 error). */
struct ws_seal;
int pipeline_seal(struct pipeline *p, const struct candidate *c, struct buf *err);
int pipeline_seal_check(struct pipeline *p, int id, struct buf *why, struct buf *err);
/* A measure_side check (engine/measure.h): ctx is a struct seal_side. */
struct seal_side {
	struct pipeline *p;
	int id;
};
int pipeline_seal_side_check(void *ctx, struct buf *why);
void pipeline_seals_release(struct pipeline *p);

/* $OPTIMIZE_SEED (pipeline_seed.c). setup: whether the manifest uses it,
 * and seed0; env: "OPTIMIZE_SEED=<cur_seed>" pushed. verify_seeded: c's
 * verify set on a fresh seed against the original's on the same seed: 0,
 * 1 failed (why, with the seed), 3 the original failed on it (why), -1
 * error, -2 not seeded. pair_env: a measure_config.pair_env (ctx: the
 * pipeline) giving each timed pair "OPTIMIZE_SEED=<fresh>". */
unsigned long pipeline_fresh_seed(void);
void pipeline_seed_setup(struct pipeline *p);
void pipeline_seed_env(const struct pipeline *p, struct strlist *env);
int pipeline_verify_seeded(struct pipeline *p, const struct candidate *c, struct buf *why,
                           struct buf *err);
void pipeline_seed_pair_env(void *ctx, struct buf *entry);

/* The start of an output, trimmed to BUILD_ERROR_MAX bytes, appended to out. */
void pipeline_excerpt(const struct buf *text, struct buf *out);

/* Shared by the stages (pipeline_stages.c) and the original's sequence
 * (pipeline_baseline.c). */
struct measure_config;
int pipeline_verify_set(struct pipeline *p, const struct candidate *c, const char *tag,
                        struct capture *caps, struct buf *why, struct buf *err);
int pipeline_compare_verify(const struct pipeline *p, const struct capture *ref,
                            const struct capture *got, struct buf *why, struct buf *err);
void pipeline_captures_free(const struct pipeline *p, struct capture *caps);
int pipeline_capture_run(struct pipeline *p, const struct candidate *c, const char *tag,
                         struct capture *cap, struct buf *err);
int pipeline_test(struct pipeline *p, const struct candidate *c, struct buf *why, struct buf *err);
void pipeline_profile_measured(struct pipeline *p, struct candidate *c, int hotspots);
void pipeline_measure_config(const struct pipeline *p, struct measure_config *cfg);
void pipeline_warn_noise(struct pipeline *p, const char *what, double cv);

#endif
