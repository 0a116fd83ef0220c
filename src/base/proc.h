/*
 * proc.h: the one process runner. Every build, run, verify and test of the
 * original or of a candidate goes through proc_run (no system(), no popen()).
 *
 * What it guarantees for each child:
 *  - its own process group; on timeout SIGTERM goes to the whole group, then
 *    SIGKILL after kill_grace_s, so grandchildren die too;
 *  - rlimits: CPU seconds, address space, file size, number of processes,
 *    and no core files (RLIMIT_CORE 0);
 *  - stdout and stderr go through pipes into files (or memory) with a size
 *    cap per stream; the rest is read and discarded, so a child that prints
 *    gigabytes neither fills the disk nor blocks;
 *  - a scrubbed environment: variables whose names look like secrets, or
 *    whose values are URLs with credentials (proc_env_is_secret_entry), are
 *    never passed on; with env_pass, only the names listed;
 *  - the child dies with us: PR_SET_PDEATHSIG(SIGKILL) (its descendants that
 *    left the group do not; see docs/security.md);
 *  - when the child exits, whatever is left of its process group is killed
 *    with SIGKILL, so no grandchild outlives the run. A grandchild that left
 *    the group with setsid/setpgid escapes that kill, but not the run: main
 *    sets PR_SET_CHILD_SUBREAPER, so such an orphan is reparented to this
 *    process, and after the reap proc_run kills and reaps every child it
 *    finds (kill_escaped in proc.c). Without the subreaper flag (a program
 *    other than main that links this) such a grandchild is out of reach;
 *  - wall time from CLOCK_MONOTONIC around the child, and user/sys time,
 *    max RSS, page faults and context switches from wait4.
 *
 * The child starts with every signal at its default action and none blocked,
 * stdin from /dev/null unless stdin_path says otherwise, and no file
 * descriptors of the caller other than 0, 1 and 2.
 *
 * The caller must not reap the child behind proc_run's back (no waitpid(-1)
 * in another thread, SIGCHLD not set to SIG_IGN). Because the child has its
 * own process group, a Ctrl-C at the terminal does not reach it: point
 * spec->cancel at a flag that the caller's SIGINT handler sets.
 *
 * Hooks let a counter backend attach to the child between fork and exec
 * (perf_event_open with enable_on_exec) and drain buffers while it runs.
 */
#ifndef OPTIMIZE_PROC_H
#define OPTIMIZE_PROC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"

struct proc_limits {
	double cpu_s;         /* RLIMIT_CPU; 0 = none */
	uint64_t as_bytes;    /* RLIMIT_AS; 0 = none */
	uint64_t fsize_bytes; /* RLIMIT_FSIZE; 0 = none */
	long nproc;           /* RLIMIT_NPROC; 0 = none */
};

/* Safe defaults for candidate processes (see docs/architecture.md). */
#define PROC_DEFAULT_CPU_S       600.0
#define PROC_DEFAULT_AS_BYTES    ((uint64_t)8 << 30) /* 8 GiB */
#define PROC_DEFAULT_FSIZE_BYTES ((uint64_t)1 << 30) /* 1 GiB */
#define PROC_DEFAULT_NPROC       4096L
#define PROC_DEFAULT_OUTPUT_CAP  ((uint64_t)16 << 20) /* 16 MiB per stream */
#define PROC_MAX_WRITABLE        8 /* writable_paths bound back inside hidden_paths */

struct proc_result;

struct proc_hooks {
	/* Parent side, after fork, while the child waits before exec (it is
	 * already in its own process group; rlimits, CPU pinning and cwd are
	 * applied after this returns). Return -1 to abort: the child is killed
	 * and proc_run fails with err. */
	int (*before_exec)(pid_t pid, void *ctx, struct buf *err);
	/* Parent side, about every tick_ms while the child runs. */
	void (*tick)(pid_t pid, void *ctx);
	/* Parent side, after the child was reaped. */
	void (*after_exit)(pid_t pid, const struct proc_result *res, void *ctx);
	void *ctx;
	int tick_ms; /* 0 = 50 */
};

/*
 * Paths (stdin_path, stdout_path, stderr_path) are opened by the caller's
 * process, relative to the caller's working directory, not to cwd. Output
 * files are created or truncated (mode 0644) and written by the parent, so
 * the child's RLIMIT_FSIZE does not apply to them; output_cap does.
 * Output kept in stdout_buf/stderr_buf is appended to what they hold, up to
 * output_cap bytes and the buffer's own max. A stream with neither a path
 * nor a buf is read and discarded.
 *
 * env_add: "NAME=value" sets NAME (replacing an inherited NAME; the later of
 * two entries for one name wins); a bare "NAME" removes NAME. Entries are
 * passed on as given, secret-looking or not. argv[0] is looked up in the
 * PATH of the child's environment.
 */
struct proc_spec {
	const char *const *argv;    /* argv[0] is looked up in PATH */
	const char *cwd;            /* NULL = current directory */
	const char *const *env_add; /* "NAME=value" added after scrubbing; may be NULL */
	/* NULL: every variable of ours but the secret-looking ones; else only
	 * these names (a trailing '*' matches a prefix), still never a secret.
	 * env_add is applied either way. */
	const char *const *env_pass;
	const char *stdin_path;    /* NULL = /dev/null */
	const char *stdout_path;   /* file that receives stdout; NULL = see stdout_buf */
	const char *stderr_path;   /* file that receives stderr; NULL = see stderr_buf */
	struct buf *stdout_buf;    /* if set (and no path), stdout is kept here */
	struct buf *stderr_buf;    /* if set (and no path), stderr is kept here */
	uint64_t output_cap;       /* bytes kept per stream; 0 = PROC_DEFAULT_OUTPUT_CAP */
	double timeout_s;          /* 0 = none */
	double kill_grace_s;       /* SIGTERM -> SIGKILL delay; 0 = 2 s */
	struct proc_limits limits; /* all 0 = no limits (use proc_limits_default) */
	int cpu;                   /* pin to this CPU; -1 = no pinning */
	int isolate_net;           /* run in a new network namespace with only loopback
	                              (up); see proc_isolation_probe */
	/* NULL-terminated absolute directories made read-only for the child (a
	 * private mount namespace), then writable_paths bound writable again on
	 * top: the user's tree, and the tool's own state directory inside it. */
	const char *const *readonly_paths;
	const char *const *writable_paths;
	/* NULL-terminated absolute directories hidden from the child: each
	 * becomes an empty read-only tmpfs in its mount namespace, with the
	 * writable_paths inside it bound back (the tool's state directory: a
	 * candidate sees its own workspace, not the references, the other
	 * workspaces or the cache). At most PROC_MAX_WRITABLE writable paths. */
	const char *const *hidden_paths;
	/* Its own PID namespace (needs a mount namespace, made for it): the
	 * child is pid 2 under a small init of ours (pid 1), sees a fresh /proc
	 * with only its own processes, so it can neither see nor signal the
	 * tool or any other process outside; when the run ends (or the tool
	 * dies) every process in it is killed. See proc_ns.c. */
	int isolate_pid;
	/* A fresh tmpfs over /tmp and /run (where they are directories), so a
	 * Unix socket there (an ssh-agent's, a test's) cannot be reached; the
	 * readonly_paths, writable_paths and hidden_paths under them are kept
	 * as they were. */
	int private_tmp;
	/* Only when the caller is root: the child runs as run_uid/run_gid, no
	 * supplementary groups, no capabilities, no_new_privs; its
	 * writable_paths are idmapped (root's files there look like its own).
	 * Needs a mount namespace (made for it). See proc_ident.c. */
	int run_as;
	uid_t run_uid;
	gid_t run_gid;
	/* A cgroup of its own for the run (where proc_cgroup_probe finds one;
	 * otherwise proc_run fails): limits.as_bytes of memory and
	 * limits.nproc processes for all its processes together, on top of the
	 * rlimits of each. See proc_cgroup.c. */
	int cgroup;
	/* What the run may add on disk in total to its writable_paths (or its
	 * cwd), summed every half second and at the end: past it the run is
	 * stopped (disk_exceeded). 0 = none. See proc_disk.c. */
	uint64_t disk_total_bytes;
	const struct proc_hooks *hooks;
	/* If set, the run is stopped (like a timeout, but cancelled is set
	 * instead of timed_out) as soon as *cancel becomes nonzero. A signal
	 * handler may set it; proc_run notices within 50 ms, or at once when
	 * the signal interrupts its poll. */
	volatile sig_atomic_t *cancel;
};

struct proc_result {
	int exited; /* exited normally; exit_code is valid */
	int exit_code;
	int signaled; /* killed by a signal; signo is valid */
	int signo;
	int timed_out;        /* the timeout fired and the group was killed */
	int cancelled;        /* *spec->cancel was set and the group was killed */
	int stdout_truncated; /* output passed output_cap (or the buf's max) */
	int stderr_truncated;
	int output_error;     /* errno of a failed write to an output file; 0 = none */
	double wall_s;        /* CLOCK_MONOTONIC, from the go to exec (after before_exec) to reap */
	double user_s, sys_s; /* from wait4 rusage (the child and its reaped children) */
	long maxrss_kb;
	long minflt, majflt;
	long nvcsw, nivcsw;
	/* With spec->cgroup: its version (1 or 2), the peak memory of all the
	 * run's processes together, how many the kernel killed for passing the
	 * memory total, how many forks it refused at the process total (-1:
	 * not known). All 0 without a cgroup. */
	int cgroup;
	uint64_t mem_peak_bytes;
	long oom_kills;
	long pids_refused;
	/* With disk_total_bytes: the most the writable directories grew by
	 * during the run, and whether that passed the total (the run was
	 * stopped, or ended past it). */
	uint64_t disk_grown_bytes;
	int disk_exceeded;
};

/* All zero and NULL, except cpu = -1. */
void proc_spec_init(struct proc_spec *spec);
/* The PROC_DEFAULT_* limits. */
void proc_limits_default(struct proc_limits *l);

/*
 * Run the child to completion. Returns 0 when the child was started and
 * reaped (whatever its exit status: inspect res), -1 when it could not be
 * started (err says why: command not found, cwd missing, hook failure).
 */
int proc_run(const struct proc_spec *spec, struct proc_result *res, struct buf *err);

/* The same for `sh -c cmd`. */
int proc_run_sh(const struct proc_spec *spec, const char *cmd, struct proc_result *res,
                struct buf *err);

/*
 * 0 when this machine can run children with isolate_net (a network
 * namespace: as root directly, otherwise inside a user namespace that maps
 * the caller's own uid and gid); -1 with the reason otherwise. It forks a
 * child to try, so call it once and remember the answer.
 */
int proc_net_isolation_probe(struct buf *why);
/* The same for any combination of network, read-only and hidden mounts. */
int proc_isolation_probe(int net, const char *const *readonly_paths,
                         const char *const *writable_paths, const char *const *hidden_paths,
                         struct buf *why);
/*
 * 2 or 1: the cgroup version in which this process can give each run a
 * cgroup of its own with memory and pids limits (spec->cgroup); -1 with the
 * reason otherwise (not mounted, not delegated to this user). Makes and
 * removes one to know; the answer is kept.
 */
int proc_cgroup_probe(struct buf *why);
/* The same for the isolation fields of proto (isolate_net, readonly_paths,
 * writable_paths, hidden_paths, isolate_pid, private_tmp, run_as and its
 * ids, cwd); its other fields are ignored. */
int proc_isolation_probe_spec(const struct proc_spec *proto, struct buf *why);

/*
 * 1 if an environment variable of this name must not reach a candidate.
 * Case-insensitive; a name is secret when it
 *  - ends in _KEY, _TOKEN, _KEY_ID, _DSN or _PAT, or is KEY, TOKEN or AUTH
 *    (OPENAI_API_KEY, GH_TOKEN, AWS_ACCESS_KEY_ID, SENTRY_DSN),
 *  - contains API_KEY, APIKEY, SECRET, PASSWORD, PASSWD, PASSPHRASE,
 *    CREDENTIAL, ACCESS_KEY, PRIVATE_KEY, COOKIE, SESSION_KEY, or _AUTH,
 *    or starts with AUTH_ or AUTHORIZATION (SSH_AUTH_SOCK, NPM_AUTH_TOKEN),
 *  - is DATABASE_URL, KRB5CCNAME, GPG_AGENT_INFO, DBUS_SESSION_BUS_ADDRESS
 *    or XDG_RUNTIME_DIR (a way to the user's session, not a secret itself).
 * TOKENIZERS_PARALLELISM, KEYBOARD and the like are kept.
 */
int proc_env_is_secret(const char *name);
/* The same for a "NAME=value" entry, which is also secret when its value
 * is a URL with credentials (scheme://user:password@host). */
int proc_env_is_secret_entry(const char *entry);

/* Describe the outcome in a few words: "exit 0", "exit 2", "killed by SIGSEGV",
 * "timed out after 10 s", "cancelled". Writes into out (replacing its
 * contents). */
void proc_result_describe(const struct proc_result *res, double timeout_s, struct buf *out);

/* 1 if the child exited with status 0. */
int proc_result_ok(const struct proc_result *res);

#endif
