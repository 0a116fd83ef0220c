#include "base/proc_int.h"
#include "base/util.h"
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROC_DEFAULT_GRACE_S 2.0
#define PROC_DEFAULT_TICK_MS 50
/* Without a pidfd the child's exit is noticed by polling this often. */
#define PROC_EXIT_POLL_MS 20
/* After the reap: how long to wait for the last output, and for how long the
 * pipes may stay quiet before we stop (a writer that escaped the group). */
#define PROC_DRAIN_S        2.0
#define PROC_DRAIN_QUIET_MS 200

void proc_spec_init(struct proc_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->cpu = -1;
}

void proc_limits_default(struct proc_limits *l)
{
	l->cpu_s = PROC_DEFAULT_CPU_S;
	l->as_bytes = PROC_DEFAULT_AS_BYTES;
	l->fsize_bytes = PROC_DEFAULT_FSIZE_BYTES;
	l->nproc = PROC_DEFAULT_NPROC;
}

int proc_isolation_probe(int net, const char *const *readonly_paths,
                         const char *const *writable_paths, const char *const *hidden_paths,
                         struct buf *why)
{
	struct proc_spec spec;
	struct proc_result res;
	const char *argv[] = {"true", NULL};

	proc_spec_init(&spec);
	spec.argv = argv;
	spec.isolate_net = net;
	spec.readonly_paths = readonly_paths;
	spec.writable_paths = writable_paths;
	spec.hidden_paths = hidden_paths;
	spec.timeout_s = 10;
	if (proc_run(&spec, &res, why) < 0)
		return -1;
	if (!proc_result_ok(&res))
		return err_set(why, "a child in the namespaces did not run");
	return 0;
}

int proc_isolation_probe_spec(const struct proc_spec *proto, struct buf *why)
{
	struct proc_spec spec;
	struct proc_result res;
	const char *argv[] = {"true", NULL};

	proc_spec_init(&spec);
	spec.argv = argv;
	spec.isolate_net = proto->isolate_net;
	spec.readonly_paths = proto->readonly_paths;
	spec.writable_paths = proto->writable_paths;
	spec.hidden_paths = proto->hidden_paths;
	spec.isolate_pid = proto->isolate_pid;
	spec.private_tmp = proto->private_tmp;
	spec.run_as = proto->run_as;
	spec.run_uid = proto->run_uid;
	spec.run_gid = proto->run_gid;
	spec.cwd = proto->cwd;
	spec.timeout_s = 10;
	if (proc_run(&spec, &res, why) < 0)
		return -1;
	if (!proc_result_ok(&res))
		return err_set(why, "a child in the namespaces did not run");
	return 0;
}

int proc_net_isolation_probe(struct buf *why)
{
	return proc_isolation_probe(1, NULL, NULL, NULL, why);
}

static double mono_now(void)
{
	return clock_mono_s();
}

/* One captured stream. */
struct sink {
	int fd;   /* read end of the pipe; -1 once at EOF */
	int file; /* output file, or -1 */
	struct buf *b;
	uint64_t cap;
	uint64_t kept;
	int truncated;
	int error; /* errno of a failed write to file */
};

static void sink_keep(struct sink *s, const char *p, size_t n)
{
	uint64_t room = s->kept < s->cap ? s->cap - s->kept : 0;
	size_t keep = (uint64_t)n < room ? n : (size_t)room;

	if (s->file < 0 && !s->b)
		return;
	if (keep < n)
		s->truncated = 1;
	if (!keep)
		return;
	if (s->file >= 0) {
		if (!s->error && fd_write_all(s->file, p, keep) < 0)
			s->error = errno ? errno : EIO;
	} else if (buf_add(s->b, p, keep) < 0) {
		s->truncated = 1;
	}
	s->kept += keep;
}

/* Read once from a readable pipe; at EOF (or error) close it. */
static void sink_read(struct sink *s)
{
	char chunk[65536];
	ssize_t n = read(s->fd, chunk, sizeof(chunk));

	if (n > 0) {
		sink_keep(s, chunk, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(s->fd);
	s->fd = -1;
}

/* Poll the open sinks (and extra, if >= 0) for up to ms; read what is ready.
 * Returns poll's result; *extra_ready tells whether extra became readable. */
static int sinks_poll(struct sink *sinks, int nsinks, int extra, int ms, int *extra_ready)
{
	struct pollfd pfd[3];
	int map[3];
	int n = 0, i, r;

	for (i = 0; i < nsinks; i++) {
		if (sinks[i].fd < 0)
			continue;
		pfd[n].fd = sinks[i].fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		map[n++] = i;
	}
	if (extra >= 0) {
		pfd[n].fd = extra;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		map[n++] = -1;
	}
	if (extra_ready)
		*extra_ready = 0;
	r = poll(pfd, (nfds_t)n, ms);
	if (r <= 0)
		return r;
	for (i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (map[i] < 0) {
			if (extra_ready)
				*extra_ready = 1;
			continue;
		}
		sink_read(&sinks[map[i]]);
	}
	return r;
}

static int ms_until(double t, double now)
{
	double ms = (t - now) * 1000.0;

	if (ms <= 0)
		return 0;
	if (ms >= (double)(INT_MAX / 2))
		return INT_MAX / 2;
	return (int)ms + 1;
}

static int wait_min(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Keep our descriptors off 0, 1 and 2 (the child dup2s onto those). */
static int fd_off_stdio(int *fd)
{
	int nfd;

	if (*fd < 0 || *fd > 2)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	close(*fd);
	*fd = nfd;
	return nfd < 0 ? -1 : 0;
}

static int open_output(const char *path, const char *what, struct buf *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		err_set(err, "cannot open '%s' for %s: %s", path, what, strerror(errno));
	return fd;
}

static void report_error(const struct proc_spec *spec, const struct child_report *rep,
                         struct buf *err)
{
	const char *msg = strerror(rep->err);

	switch (rep->stage) {
	case STAGE_EXEC:
		if (rep->err == ENOENT)
			err_set(err, "command '%s' not found", spec->argv[0]);
		else
			err_set(err, "cannot run '%s': %s", spec->argv[0], msg);
		break;
	case STAGE_CWD:
		err_set(err, "cannot change to directory '%s': %s", spec->cwd, msg);
		break;
	case STAGE_CPU:
		err_set(err, "cannot pin '%s' to cpu %d: %s", spec->argv[0], spec->cpu, msg);
		break;
	case STAGE_LIMITS:
		err_set(err, "cannot set resource limits for '%s': %s", spec->argv[0], msg);
		break;
	case STAGE_NET:
		err_set(err, "cannot isolate '%s' from the network (network namespace): %s",
		        spec->argv[0], msg);
		break;
	case STAGE_FS:
		err_set(err, "cannot make the source tree read-only for '%s' (mount namespace): %s",
		        spec->argv[0], msg);
		break;
	case STAGE_IDENT:
		err_set(err, "cannot run '%s' as uid %d, gid %d without capabilities: %s",
		        spec->argv[0], (int)spec->run_uid, (int)spec->run_gid, msg);
		break;
	case STAGE_CGROUP:
		err_set(err, "cannot move '%s' into its cgroup: %s", spec->argv[0], msg);
		break;
	case STAGE_PIDNS:
		err_set(err,
		        "cannot give '%s' its own PID namespace, /proc and /tmp (mount, fork): %s",
		        spec->argv[0], msg);
		break;
	default:
		err_set(err, "cannot set up stdin/stdout/stderr for '%s': %s", spec->argv[0], msg);
		break;
	}
}

/* Everything proc_run opens, closed in one place. */
struct run_fds {
	int stdin_fd;
	int out_r, out_w, err_r, err_w;
	int go_r, go_w, rep_r, rep_w;
	int out_file, err_file;
	int pidfd;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void run_fds_close(struct run_fds *f)
{
	if (f->err_file == f->out_file)
		f->err_file = -1;
	close_fd(&f->stdin_fd);
	close_fd(&f->out_r);
	close_fd(&f->out_w);
	close_fd(&f->err_r);
	close_fd(&f->err_w);
	close_fd(&f->go_r);
	close_fd(&f->go_w);
	close_fd(&f->rep_r);
	close_fd(&f->rep_w);
	close_fd(&f->out_file);
	close_fd(&f->err_file);
	close_fd(&f->pidfd);
}

static int run_fds_open(const struct proc_spec *spec, struct run_fds *f, struct buf *err)
{
	int p[4][2], i;
	int *all[] = {&f->stdin_fd, &f->out_r, &f->out_w, &f->err_r, &f->err_w,
	              &f->go_r,     &f->go_w,  &f->rep_r, &f->rep_w};
	const char *in = spec->stdin_path ? spec->stdin_path : "/dev/null";

	f->stdin_fd = open(in, O_RDONLY | O_CLOEXEC);
	if (f->stdin_fd < 0)
		return err_set(err, "cannot open '%s' for stdin: %s", in, strerror(errno));
	if (spec->stdout_path) {
		f->out_file = open_output(spec->stdout_path, "stdout", err);
		if (f->out_file < 0)
			return -1;
	}
	if (spec->stderr_path) {
		/* The same file for both streams: share the offset, like 2>&1. */
		if (spec->stdout_path && strcmp(spec->stdout_path, spec->stderr_path) == 0)
			f->err_file = f->out_file;
		else
			f->err_file = open_output(spec->stderr_path, "stderr", err);
		if (f->err_file < 0)
			return -1;
	}
	for (i = 0; i < 4; i++) {
		if (pipe2(p[i], O_CLOEXEC) < 0)
			return err_set(err, "cannot create a pipe: %s", strerror(errno));
		*all[1 + 2 * i] = p[i][0];
		*all[2 + 2 * i] = p[i][1];
	}
	for (i = 0; i < (int)(sizeof(all) / sizeof(all[0])); i++)
		if (fd_off_stdio(all[i]) < 0)
			return err_set(err, "cannot duplicate a descriptor: %s", strerror(errno));
	fcntl(f->out_r, F_SETFL, O_NONBLOCK);
	fcntl(f->err_r, F_SETFL, O_NONBLOCK);
	return 0;
}

static void signal_child(pid_t pid, int sig)
{
	kill(-pid, sig);
	/* In case the child left its group. */
	kill(pid, sig);
}

/*
 * A descendant that left the group (setsid, setpgid) escapes kill(-pgid).
 * When this process is a child subreaper (main sets PR_SET_CHILD_SUBREAPER)
 * such orphans are reparented to us once their parent dies: between runs we
 * have no child of our own, so any child found now is one of those. Kill and
 * reap them, a few rounds, since killing one orphans its own children.
 */
static void kill_escaped(void)
{
	int sub = 0, round;
	pid_t self = getpid();

	if (prctl(PR_GET_CHILD_SUBREAPER, &sub) < 0 || !sub)
		return;
	{
		/* The common case, no child at all, costs one system call. */
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
			return;
	}
	for (round = 0; round < 8; round++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		int found = 0;

		if (!d)
			return;
		while ((e = readdir(d))) {
			char path[64], stat[512], *close_paren;
			long ppid = 0;
			ssize_t n;
			int fd;
			pid_t p = (pid_t)atol(e->d_name);

			if (p <= 0 || p == self)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, stat, sizeof(stat) - 1);
			close(fd);
			if (n <= 0)
				continue;
			stat[n] = '\0';
			/* "pid (comm) state ppid ...": comm may hold spaces and parentheses */
			close_paren = strrchr(stat, ')');
			if (!close_paren || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
				continue;
			if (ppid != self)
				continue;
			kill(p, SIGKILL);
			while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
				;
			found = 1;
		}
		closedir(d);
		if (!found)
			return;
	}
}

static int reap(pid_t pid, int *status, struct rusage *ru)
{
	pid_t r;

	do
		r = wait4(pid, status, 0, ru);
	while (r < 0 && errno == EINTR);
	return r == pid ? 0 : -1;
}

/* Has the child exited? Without reaping it, so its pid (and the group id)
 * stays reserved until we have killed the rest of the group. */
static int child_exited(pid_t pid, int pidfd, int pidfd_ready)
{
	siginfo_t si;

	if (pidfd >= 0)
		return pidfd_ready;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

/*
 * Let the child go: run the before_exec hook, send the go byte, and wait for
 * the exec (EOF on the report pipe) or the child's report of why it could
 * not. On failure the child is reaped and err says why.
 */
static int run_child_start(const struct proc_spec *spec, struct run_fds *f, pid_t pid,
                           pid_t *hook_pid, double *start, struct buf *err)
{
	const struct proc_hooks *hooks = spec->hooks;
	struct child_report rep;
	struct rusage ru;
	int status = 0;
	char go = 'g';
	ssize_t n;

	/* Both of us set the group, so neither can signal a group not yet made. */
	setpgid(pid, pid);
	*hook_pid = pid;
	if (spec->isolate_pid) {
		/* The pid that will exec, in its own PID namespace (proc_ns.c). */
		close_fd(&f->rep_w);
		do
			n = read(f->rep_r, &rep, sizeof(rep));
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(rep) || rep.stage != STAGE_PID) {
			if (n == (ssize_t)sizeof(rep))
				report_error(spec, &rep, err);
			else
				err_set(err, "cannot start '%s' in its own PID namespace",
				        spec->argv[0]);
			signal_child(pid, SIGKILL);
			reap(pid, &status, &ru);
			return -1;
		}
		*hook_pid = (pid_t)rep.err;
	}
	if (hooks && hooks->before_exec && hooks->before_exec(*hook_pid, hooks->ctx, err) < 0) {
		signal_child(pid, SIGKILL);
		reap(pid, &status, &ru);
		if (err && !err->len)
			err_set(err, "cannot prepare '%s' to run", spec->argv[0]);
		return -1;
	}
	close_fd(&f->go_r);
	close_fd(&f->out_w);
	close_fd(&f->err_w);
	close_fd(&f->rep_w);

	*start = mono_now();
	if (write(f->go_w, &go, 1) != 1) {
		err_set(err, "cannot start '%s': %s", spec->argv[0], strerror(errno));
		signal_child(pid, SIGKILL);
		reap(pid, &status, &ru);
		return -1;
	}
	close_fd(&f->go_w);
	/* EOF: the exec happened (the pipe is close-on-exec). */
	do
		n = read(f->rep_r, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(rep)) {
		report_error(spec, &rep, err);
		reap(pid, &status, &ru);
		return -1;
	}
	close_fd(&f->rep_r);
	return 0;
}

/*
 * While the child runs: keep the sinks drained, call the tick hook, and on
 * timeout or cancel send SIGTERM to the group, then SIGKILL after the grace.
 * Returns once the child has exited (not yet reaped).
 */
static void run_child_wait(const struct proc_spec *spec, struct run_fds *f, pid_t pid,
                           pid_t hook_pid, struct sink *sinks, double start, struct proc_disk *disk,
                           struct proc_result *res)
{
	const struct proc_hooks *hooks = spec->hooks;
	double grace = spec->kill_grace_s > 0 ? spec->kill_grace_s : PROC_DEFAULT_GRACE_S;
	double now, deadline = 0, kill_at = 0, next_tick = 0;
	double next_disk = disk->limit ? start + PROC_DISK_CHECK_S : 0;
	int stopping = 0, killed = 0, exited = 0, tick_ms = 0;

	f->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (spec->timeout_s > 0)
		deadline = start + spec->timeout_s;
	if (hooks && hooks->tick) {
		tick_ms = hooks->tick_ms > 0 ? hooks->tick_ms : PROC_DEFAULT_TICK_MS;
		next_tick = start + tick_ms / 1000.0;
	}

	while (!exited) {
		int ms = -1, pidfd_ready = 0;

		now = mono_now();
		if (!stopping && (spec->cancel && *spec->cancel)) {
			res->cancelled = 1;
			stopping = 1;
		} else if (!stopping && deadline && now >= deadline) {
			res->timed_out = 1;
			stopping = 1;
		} else if (!stopping && next_disk && now >= next_disk) {
			stopping = proc_disk_check(disk, res);
			next_disk = now + PROC_DISK_CHECK_S;
		}
		if (stopping == 1) {
			signal_child(pid, SIGTERM);
			/* A stopped process only sees SIGTERM once continued. */
			signal_child(pid, SIGCONT);
			kill_at = now + grace;
			stopping = 2;
		}
		if (stopping && !killed && now >= kill_at) {
			signal_child(pid, SIGKILL);
			killed = 1;
		}
		if (tick_ms && now >= next_tick) {
			hooks->tick(hook_pid, hooks->ctx);
			while (next_tick <= now)
				next_tick += tick_ms / 1000.0;
		}

		if (deadline && !stopping)
			ms = wait_min(ms, ms_until(deadline, now));
		if (stopping && !killed)
			ms = wait_min(ms, ms_until(kill_at, now));
		if (tick_ms)
			ms = wait_min(ms, ms_until(next_tick, now));
		if (next_disk && !stopping)
			ms = wait_min(ms, ms_until(next_disk, now));
		if (f->pidfd < 0)
			ms = wait_min(ms, PROC_EXIT_POLL_MS);
		else if (spec->cancel)
			ms = wait_min(ms, PROC_DEFAULT_TICK_MS);

		if (sinks_poll(sinks, 2, f->pidfd, ms, &pidfd_ready) < 0 && errno != EINTR) {
			/* Should not happen; fall back to noticing the exit by polling. */
			close_fd(&f->pidfd);
		}
		exited = child_exited(pid, f->pidfd, pidfd_ready);
	}
}

/* Grandchildren held the pipes too; they are dead now, so EOF comes at
 * once, unless one escaped the group: stop when the pipes stay quiet. */
static void sinks_drain(struct sink *sinks)
{
	double now, drain_end = mono_now() + PROC_DRAIN_S;
	int n;

	while (sinks[0].fd >= 0 || sinks[1].fd >= 0) {
		now = mono_now();
		if (now >= drain_end)
			break;
		n = sinks_poll(sinks, 2, -1,
		               wait_min(ms_until(drain_end, now), PROC_DRAIN_QUIET_MS), NULL);
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	close_fd(&sinks[0].fd);
	close_fd(&sinks[1].fd);
}

static void result_fill(struct proc_result *res, int status, const struct rusage *ru,
                        const struct sink *sinks)
{
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signaled = 1;
		res->signo = WTERMSIG(status);
	}
	res->stdout_truncated = sinks[0].truncated;
	res->stderr_truncated = sinks[1].truncated;
	res->output_error = sinks[0].error ? sinks[0].error : sinks[1].error;
	res->user_s = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6;
	res->sys_s = (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
	res->maxrss_kb = ru->ru_maxrss;
	res->minflt = ru->ru_minflt;
	res->majflt = ru->ru_majflt;
	res->nvcsw = ru->ru_nvcsw;
	res->nivcsw = ru->ru_nivcsw;
}

static int run_child(const struct proc_spec *spec, struct run_fds *f, pid_t pid,
                     struct proc_result *res, struct buf *err)
{
	const struct proc_hooks *hooks = spec->hooks;
	uint64_t cap = spec->output_cap ? spec->output_cap : PROC_DEFAULT_OUTPUT_CAP;
	struct sink sinks[2] = {
	    {f->out_r, f->out_file, f->out_file < 0 ? spec->stdout_buf : NULL, cap, 0, 0, 0},
	    {f->err_r, f->err_file, f->err_file < 0 ? spec->stderr_buf : NULL, cap, 0, 0, 0},
	};
	struct proc_disk disk;
	struct rusage ru;
	double start;
	pid_t hook_pid;
	int status = 0;

	proc_disk_start(&disk, spec);
	if (run_child_start(spec, f, pid, &hook_pid, &start, err) < 0)
		return -1;
	/* From here on the sinks own the read ends. */
	f->out_r = f->err_r = -1;
	run_child_wait(spec, f, pid, hook_pid, sinks, start, &disk, res);

	/* The child is a zombie, so its group id cannot be reused yet: kill
	 * what is left of the group before reaping. */
	kill(-pid, SIGKILL);
	if (reap(pid, &status, &ru) < 0) {
		err_set(err, "cannot wait for '%s': %s", spec->argv[0], strerror(errno));
		close_fd(&sinks[0].fd);
		close_fd(&sinks[1].fd);
		return -1;
	}
	res->wall_s = mono_now() - start;
	kill_escaped();
	sinks_drain(sinks);
	result_fill(res, status, &ru, sinks);
	proc_disk_check(&disk, res);
	if (hooks && hooks->after_exit)
		hooks->after_exit(hook_pid, res, hooks->ctx);
	return 0;
}

int proc_run(const struct proc_spec *spec, struct proc_result *res, struct buf *err)
{
	struct run_fds f = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
	struct proc_result local;
	struct proc_cgroup cg = {0};
	struct child_ctx c;
	sigset_t pipeset, oldmask, pending;
	char **envp;
	pid_t pid;
	int r = -1;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!spec || !spec->argv || !spec->argv[0] || !spec->argv[0][0])
		return err_set(err, "empty command");
	if (spec->cpu >= CPU_SETSIZE)
		return err_set(err, "cpu %d is out of range", spec->cpu);
	envp = proc_env_build(spec->env_add, spec->env_pass);
	if (run_fds_open(spec, &f, err) < 0)
		goto out;
	if (spec->cgroup && proc_cgroup_create(&cg, &spec->limits, err) < 0)
		goto out;

	/* A write to a closed pipe (the go byte to a dead child, an output
	 * "file" that is a FIFO) must fail with EPIPE, not kill the tool. */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &oldmask);

	c.spec = spec;
	c.argv = (char *const *)spec->argv;
	c.envp = envp;
	c.stdin_fd = f.stdin_fd;
	c.out_w = f.out_w;
	c.err_w = f.err_w;
	c.go_r = f.go_r;
	c.report_w = f.rep_w;
	c.parent = getpid();
	c.cg = spec->cgroup ? &cg : NULL;
	pid = fork();
	if (pid == 0)
		proc_child_main(&c);
	if (pid < 0)
		err_set(err, "cannot start '%s': %s", spec->argv[0], strerror(errno));
	else
		r = run_child(spec, &f, pid, res, err);

	if (!sigismember(&oldmask, SIGPIPE) && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE)) {
		struct timespec zero = {0, 0};

		sigtimedwait(&pipeset, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
out:
	proc_cgroup_finish(&cg, r == 0 ? res : NULL);
	run_fds_close(&f);
	free(envp);
	return r;
}

int proc_run_sh(const struct proc_spec *spec, const char *cmd, struct proc_result *res,
                struct buf *err)
{
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct proc_spec sh;

	if (!spec || !cmd) {
		if (res)
			memset(res, 0, sizeof(*res));
		return err_set(err, "empty command");
	}
	sh = *spec;
	sh.argv = argv;
	return proc_run(&sh, res, err);
}

void proc_result_describe(const struct proc_result *res, double timeout_s, struct buf *out)
{
	buf_reset(out);
	if (res->cancelled) {
		buf_addstr(out, "cancelled");
	} else if (res->timed_out) {
		if (timeout_s > 0)
			buf_addf(out, "timed out after %g s", timeout_s);
		else
			buf_addstr(out, "timed out");
	} else if (res->exited) {
		buf_addf(out, "exit %d", res->exit_code);
	} else if (res->signaled) {
		const char *abbrev = sigabbrev_np(res->signo);

		if (abbrev)
			buf_addf(out, "killed by SIG%s", abbrev);
		else
			buf_addf(out, "killed by signal %d", res->signo);
	} else {
		buf_addstr(out, "did not run");
	}
	if (res->oom_kills > 0)
		buf_addf(out, " (%ld process%s killed at the memory total of the run's cgroup)",
		         res->oom_kills, res->oom_kills == 1 ? "" : "es");
	if (res->disk_exceeded)
		buf_addf(
		    out,
		    " (stopped: its writable directories grew by %.1f MiB, past the disk total)",
		    (double)res->disk_grown_bytes / 1048576.0);
	if (res->pids_refused > 0)
		buf_addf(out, " (%ld fork%s refused at the process total of the run's cgroup)",
		         res->pids_refused, res->pids_refused == 1 ? "" : "s");
}

int proc_result_ok(const struct proc_result *res)
{
	return res->exited && res->exit_code == 0 && !res->timed_out && !res->cancelled &&
	       !res->disk_exceeded;
}
