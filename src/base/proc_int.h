/*
 * proc_int.h: private to src/base/proc*.c, the runner split in three:
 * proc.c (proc_run and the parent loop), proc_child.c (what runs between
 * fork and exec: namespaces, limits) and proc_env.c (the scrubbed
 * environment). Users include proc.h only.
 */
#ifndef OPTIMIZE_PROC_INT_H
#define OPTIMIZE_PROC_INT_H

#include "base/proc.h"

#include <fcntl.h>

/* The new mount API's flags (open_tree, move_mount: Linux 5.2), for the C
 * libraries whose headers predate them; used by proc_ns.c and proc_ident.c. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* What the child writes to the report pipe when it cannot exec. */
enum child_stage {
	STAGE_STDIO = 1,
	STAGE_LIMITS,
	STAGE_CPU,
	STAGE_CWD,
	STAGE_EXEC,
	STAGE_NET,
	STAGE_FS,
	STAGE_PIDNS,  /* the PID namespace, its /proc, the private /tmp */
	STAGE_IDENT,  /* the unprivileged identity of run_as (proc_ident.c) */
	STAGE_PID,    /* not a failure: err holds the pid that will exec (proc_ns.c) */
	STAGE_CGROUP, /* entering the run's cgroup (proc_cgroup.c) */
};

/* proc_child.c: mkdir -p of path's components after its first `from`
 * bytes (0: all of them; strlen(top): those below top), mode 0755. No
 * allocation: it runs between fork and exec. 0, or -1 with errno. */
int proc_child_mkdirs(const char *path, size_t from);

/* proc_cgroup.c: the run's cgroup (spec->cgroup). v2: one directory; v1:
 * the memory one, then the pids one. */
struct proc_cgroup {
	int version; /* 1 or 2 once made */
	int ndirs;
	char *dirs[2];
	int procs_fd[2]; /* their cgroup.procs, for the child to enter */
};
/* Make the run's cgroup with l's memory (as_bytes) and processes (nproc) as
 * totals. 0, or -1 with err (nothing is left behind). */
int proc_cgroup_create(struct proc_cgroup *cg, const struct proc_limits *l, struct buf *err);
/* proc_disk.c: the disk total (spec->disk_total_bytes). start: what the
 * writable directories hold before the run; check: their growth since into
 * res (the largest seen), 1 when past the total (res->disk_exceeded). */
#define PROC_DISK_CHECK_S 0.5
struct proc_disk {
	const char *const *paths;
	const char *one[2];
	uint64_t base, limit;
};
void proc_disk_start(struct proc_disk *d, const struct proc_spec *spec);
int proc_disk_check(struct proc_disk *d, struct proc_result *res);
/* In the child, before it forks anything: move itself in. 0 or -1. */
int proc_cgroup_enter(const struct proc_cgroup *cg);
/* After the run: kill what is left in it, fill res's cgroup fields (res
 * may be NULL), remove it. Safe on a cgroup never made. */
void proc_cgroup_finish(struct proc_cgroup *cg, struct proc_result *res);

struct child_report {
	int stage;
	int err;
};

struct child_ctx {
	const struct proc_spec *spec;
	char *const *argv;
	char **envp;
	int stdin_fd, out_w, err_w, go_r, report_w;
	pid_t parent;                 /* proc_run's process: the child dies with it */
	const struct proc_cgroup *cg; /* NULL: no cgroup of its own */
};

/* The child's environment: environ less secret-looking entries (only the
 * names in pass, when pass is not NULL), with add applied
 * (proc_spec.env_add). The array is new (free it); its strings point into
 * environ and add. */
char **proc_env_build(const char *const *add, const char *const *pass);

/* The child after fork: namespaces, the go byte, stdio, limits, CPU, cwd,
 * then exec. Never returns; reports a failed stage on c->report_w. */
void __attribute__((noreturn)) proc_child_main(const struct child_ctx *c);
/* The part of proc_child_main after the namespaces: the go byte, stdio,
 * limits, CPU, cwd, exec. Never returns. */
void __attribute__((noreturn)) proc_child_exec(const struct child_ctx *c);
/* Report a failed stage (with errno) on c->report_w and _exit(127). */
void __attribute__((noreturn)) proc_child_fail(const struct child_ctx *c, int stage);

/*
 * proc_ns.c. With spec->isolate_pid, after child_isolate made the
 * namespaces (CLONE_NEWPID among them): fork the namespace's init (pid 1,
 * which mounts /proc and the private /tmp, then reaps orphans), fork the
 * child that execs (pid 2; its pid, as the caller sees it, goes to the
 * report pipe as STAGE_PID), wait for it, end the namespace, and exit the
 * way it did. Never returns.
 */
void __attribute__((noreturn)) proc_ns_main(const struct child_ctx *c);
/* proc_ident.c (spec->run_as, as root): in the child's mount namespace,
 * idmap its writable paths to run_uid/run_gid; and just before exec, drop
 * to that identity with no capabilities. 0, or -1 with errno. */
int proc_ident_prepare(const struct proc_spec *spec, int userns_fd);
/* Before the namespaces are made (its helper child must not become pid 1
 * of the new PID namespace): a user namespace mapping 0 to run_uid and
 * run_gid, as a descriptor for proc_ident_prepare (which closes it). */
int proc_ident_userns(const struct proc_spec *spec);
int proc_ident_drop(const struct proc_spec *spec);

/* The private /tmp and /run (spec->private_tmp) and, with proc, a fresh
 * /proc; in the child's mount namespace. Returns 0 or -1 with errno. */
int proc_ns_mounts(const struct proc_spec *spec, int proc);

#endif
