/*
 * proc_ns.c: the child's own PID namespace, its /proc, and the private /tmp
 * and /run (proc_spec.isolate_pid, proc_spec.private_tmp).
 *
 * Three processes, forked by proc_run's child C (in the caller's PID
 * namespace, after child_isolate unshared CLONE_NEWPID with the others):
 *  - G, pid 1 of the new namespace: mounts a fresh /proc (and the private
 *    /tmp), says so to C, then only reaps the orphans of the namespace.
 *    When it dies, the kernel kills every process of the namespace, so
 *    nothing a candidate started (setsid daemons included) outlives the run.
 *  - X, pid 2: the child that execs the command (proc_child_exec). Its pid
 *    as the caller sees it goes to the report pipe first (STAGE_PID), for
 *    the hooks (perf_event_open, hotspots) to attach to it.
 *  - C waits for X, kills G, and exits the way X did (the same exit code,
 *    or the same signal), so the caller sees X's status on C. C ignores
 *    SIGTERM and the like (the group's SIGKILL after the grace still ends
 *    it), so a SIGTERM on timeout reaches X as before.
 * A process of the namespace cannot name the tool (getppid() is 0 there,
 * kill(-1, ...) reaches only the namespace), nor read its /proc entries.
 * Each process has PR_SET_PDEATHSIG(SIGKILL): the tool dies, C dies, G
 * dies, the namespace dies.
 *
 * Between fork and exec: only async-signal-safe calls, no allocation.
 */
#include "base/proc_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NS_MAX_KEPT 32 /* paths under /tmp and /run kept through the tmpfs */

static const char *const private_dirs[] = {"/tmp", "/run"};

/* Is p at or under dir ("/tmp" holds "/tmp/x", not "/tmpx")? */
static int path_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(p, dir, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

/* The paths of the spec under /tmp or /run that are not under another such
 * path: they are carried over the tmpfs as detached copies of their mounts. */
static int kept_paths(const struct proc_spec *spec, const char **kept, size_t *nkept)
{
	const char *const *lists[3] = {spec->readonly_paths, spec->writable_paths,
	                               spec->hidden_paths};

	*nkept = 0;
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; lists[l] && lists[l][i]; i++) {
			const char *p = lists[l][i];
			int priv = 0, inner = 0;

			for (size_t d = 0; d < sizeof(private_dirs) / sizeof(private_dirs[0]); d++)
				priv |= path_under(p, private_dirs[d]);
			if (!priv)
				continue;
			for (int m = 0; m < 3 && !inner; m++)
				for (size_t j = 0; lists[m] && lists[m][j] && !inner; j++)
					inner = lists[m][j] != p && strcmp(lists[m][j], p) != 0 &&
					        path_under(p, lists[m][j]);
			for (size_t k = 0; k < *nkept && !inner; k++)
				inner = strcmp(kept[k], p) == 0;
			if (inner)
				continue;
			if (*nkept == NS_MAX_KEPT)
				return errno = E2BIG, -1;
			kept[(*nkept)++] = p;
		}
	return 0;
}

int proc_ns_mounts(const struct proc_spec *spec, int proc)
{
	const char *kept[NS_MAX_KEPT];
	int fds[NS_MAX_KEPT];
	size_t nkept = 0, i, d;
	int r = 0;

	if (proc && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -1;
	if (!spec->private_tmp)
		return 0;
	if (kept_paths(spec, kept, &nkept) < 0)
		return -1;
	for (i = 0; i < nkept; i++) {
		fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, kept[i],
		                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fds[i] < 0) {
			while (i > 0)
				close(fds[--i]);
			return -1;
		}
	}
	for (d = 0; d < sizeof(private_dirs) / sizeof(private_dirs[0]) && !r; d++) {
		struct stat st;

		if (lstat(private_dirs[d], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		char opts[64];

		/* its size: the run's disk total (limits.fsize_bytes), as in its
		 * writable directories (proc_disk.c) */
		if (spec->limits.fsize_bytes)
			snprintf(opts, sizeof(opts), "mode=%s,size=%llu", d == 0 ? "1777" : "0755",
			         (unsigned long long)spec->limits.fsize_bytes);
		else
			snprintf(opts, sizeof(opts), "mode=%s", d == 0 ? "1777" : "0755");
		r = mount("tmpfs", private_dirs[d], "tmpfs", MS_NOSUID | MS_NODEV, opts);
	}
	for (i = 0; i < nkept; i++) {
		if (!r && (proc_child_mkdirs(kept[i], 0) < 0 ||
		           syscall(SYS_move_mount, fds[i], "", AT_FDCWD, kept[i],
		                   MOVE_MOUNT_F_EMPTY_PATH) < 0))
			r = -1;
		close(fds[i]);
	}
	return r;
}

/* G: pid 1. Reap whatever is orphaned in the namespace until killed. */
static void __attribute__((noreturn)) ns_init(int ready_w)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	close_range(0, (unsigned)ready_w - 1, 0);
	close_range((unsigned)ready_w + 1, ~0U, 0);
	close(ready_w);
	for (;;) {
		siginfo_t si;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sigwaitinfo(&chld, &si);
	}
}

/* C: leave the way X did. */
static void __attribute__((noreturn)) exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit none = {0, 0};
		sigset_t one;

		setrlimit(RLIMIT_CORE, &none);
		signal(sig, SIG_DFL);
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		kill(getpid(), sig);
		_exit(128 + sig);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

void __attribute__((noreturn)) proc_ns_main(const struct child_ctx *c)
{
	static const int ignored[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2};
	struct child_report rep = {STAGE_PID, 0};
	int ready[2], status = 0;
	pid_t g, x;
	ssize_t n;

	if (pipe2(ready, O_CLOEXEC) < 0)
		proc_child_fail(c, STAGE_PIDNS);
	g = fork();
	if (g < 0)
		proc_child_fail(c, STAGE_PIDNS);
	if (g == 0) {
		struct child_report r = {0, 0};

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* G is a copy of the tool that never execs: its memory and its
		 * environment are the tool's (API keys). Not dumpable, they are
		 * out of reach of /proc/1/environ, /proc/1/mem and ptrace for
		 * anything without CAP_SYS_PTRACE over the tool's namespace. */
		prctl(PR_SET_DUMPABLE, 0);
		close(ready[0]);
		if (proc_ns_mounts(c->spec, 1) < 0)
			r.stage = STAGE_PIDNS, r.err = errno;
		n = write(ready[1], &r, sizeof(r));
		if (r.stage)
			_exit(127);
		ns_init(ready[1]);
	}
	close(ready[1]);
	do
		n = read(ready[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (n != (ssize_t)sizeof(rep) || rep.stage) {
		errno = n == (ssize_t)sizeof(rep) ? rep.err : EIO;
		kill(g, SIGKILL);
		proc_child_fail(c, STAGE_PIDNS);
	}
	x = fork();
	if (x < 0) {
		kill(g, SIGKILL);
		proc_child_fail(c, STAGE_PIDNS);
	}
	if (x == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		proc_child_exec(c);
	}
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	rep.stage = STAGE_PID;
	rep.err = (int)x;
	n = write(c->report_w, &rep, sizeof(rep));
	(void)n;
	/* Only X holds these now: its exec (or death) is what the caller sees. */
	close(c->report_w);
	close(c->go_r);
	close(c->out_w);
	close(c->err_w);
	close(c->stdin_fd);
	while (waitpid(x, &status, 0) < 0)
		if (errno != EINTR)
			break;
	kill(g, SIGKILL);
	while (waitpid(g, NULL, 0) < 0 && errno == EINTR)
		;
	exit_like(status);
}
