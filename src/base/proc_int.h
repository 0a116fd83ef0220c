/*
 * proc_int.h: private to src/base/proc*.c, the runner split in three:
 * proc.c (proc_run and the parent loop), proc_child.c (what runs between
 * fork and exec: namespaces, limits) and proc_env.c (the scrubbed
 * environment). Users include proc.h only.
 */
#ifndef OPTIMIZE_PROC_INT_H
#define OPTIMIZE_PROC_INT_H

#include "base/proc.h"

/* What the child writes to the report pipe when it cannot exec. */
enum child_stage {
	STAGE_STDIO = 1,
	STAGE_LIMITS,
	STAGE_CPU,
	STAGE_CWD,
	STAGE_EXEC,
	STAGE_NET,
	STAGE_FS,
};

struct child_report {
	int stage;
	int err;
};

struct child_ctx {
	const struct proc_spec *spec;
	char *const *argv;
	char **envp;
	int stdin_fd, out_w, err_w, go_r, report_w;
	pid_t parent; /* proc_run's process: the child dies with it */
};

/* The child's environment: environ less secret-looking entries (only the
 * names in pass, when pass is not NULL), with add applied
 * (proc_spec.env_add). The array is new (free it); its strings point into
 * environ and add. NULL when out of memory. */
char **proc_env_build(const char *const *add, const char *const *pass);

/* The child after fork: namespaces, the go byte, stdio, limits, CPU, cwd,
 * then exec. Never returns; reports a failed stage on c->report_w. */
void __attribute__((noreturn)) proc_child_main(const struct child_ctx *c);

#endif
