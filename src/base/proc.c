#include "base/proc.h"
#include "base/fileio.h"

#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

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

static int has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

static int contains(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	size_t i;

	for (i = 0; i + m <= n; i++)
		if (strncasecmp(s + i, needle, m) == 0)
			return 1;
	return 0;
}

static int is_secret(const char *name, size_t n)
{
	static const char *const inside[] = {"API_KEY", "APIKEY",     "SECRET",    "PASSWORD",
	                                     "PASSWD",  "PASSPHRASE", "CREDENTIAL"};
	size_t i;

	if ((n == 3 && strncasecmp(name, "KEY", 3) == 0) ||
	    (n == 5 && strncasecmp(name, "TOKEN", 5) == 0))
		return 1;
	if (has_suffix(name, n, "_KEY") || has_suffix(name, n, "_TOKEN"))
		return 1;
	for (i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		if (contains(name, n, inside[i]))
			return 1;
	return 0;
}

int proc_isolation_probe(int net, const char *const *readonly_paths,
                         const char *const *writable_paths, struct buf *why)
{
	struct proc_spec spec;
	struct proc_result res;
	const char *argv[] = {"true", NULL};

	proc_spec_init(&spec);
	spec.argv = argv;
	spec.isolate_net = net;
	spec.readonly_paths = readonly_paths;
	spec.writable_paths = writable_paths;
	spec.timeout_s = 10;
	if (proc_run(&spec, &res, why) < 0)
		return -1;
	if (!proc_result_ok(&res))
		return err_set(why, "a child in the namespaces did not run");
	return 0;
}

int proc_net_isolation_probe(struct buf *why)
{
	return proc_isolation_probe(1, NULL, NULL, why);
}

int proc_env_is_secret(const char *name)
{
	return name ? is_secret(name, strlen(name)) : 0;
}

static size_t env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* 1 if add[from..] has an entry for the name s[0..n). */
static int env_add_names(const char *const *add, size_t from, const char *s, size_t n)
{
	size_t i;

	if (!add)
		return 0;
	for (i = from; add[i]; i++)
		if (env_name_len(add[i]) == n && strncmp(add[i], s, n) == 0)
			return 1;
	return 0;
}

/* The child's environment: pointers into environ and add, in a new array. */
static char **env_build(const char *const *add)
{
	size_t count = 0, n = 0, i;
	char **env;

	for (i = 0; environ && environ[i]; i++)
		count++;
	for (i = 0; add && add[i]; i++)
		count++;
	env = calloc(count + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; environ && environ[i]; i++) {
		const char *e = environ[i];
		size_t len = env_name_len(e);

		if (!e[len] || !len || is_secret(e, len) || env_add_names(add, 0, e, len))
			continue;
		env[n++] = (char *)e;
	}
	for (i = 0; add && add[i]; i++) {
		size_t len = env_name_len(add[i]);

		/* A bare NAME only removes; a later entry for the same name wins. */
		if (!add[i][len] || !len || env_add_names(add, i + 1, add[i], len))
			continue;
		env[n++] = (char *)add[i];
	}
	env[n] = NULL;
	return env;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
};

static void child_fail(const struct child_ctx *c, int stage)
{
	struct child_report rep = {stage, errno};
	ssize_t n;

	n = write(c->report_w, &rep, sizeof(rep));
	(void)n;
	_exit(127);
}

static int child_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit cur, want;

	if (getrlimit(resource, &cur) < 0)
		return -1;
	/* Never ask for more than we hold: that would fail without privilege. */
	if (cur.rlim_max != RLIM_INFINITY && hard > cur.rlim_max)
		hard = cur.rlim_max;
	if (soft > hard)
		soft = hard;
	want.rlim_cur = soft;
	want.rlim_max = hard;
	return setrlimit(resource, &want);
}

static int child_limits(const struct proc_limits *l)
{
	if (l->cpu_s > 0) {
		rlim_t s = (rlim_t)l->cpu_s;

		if ((double)s < l->cpu_s || s == 0)
			s++;
		/* soft < hard: SIGXCPU first, which says why the child died. */
		if (child_limit(RLIMIT_CPU, s, s + 1) < 0)
			return -1;
	}
	if (l->as_bytes && child_limit(RLIMIT_AS, l->as_bytes, l->as_bytes) < 0)
		return -1;
	if (l->fsize_bytes && child_limit(RLIMIT_FSIZE, l->fsize_bytes, l->fsize_bytes) < 0)
		return -1;
	if (l->nproc > 0 && child_limit(RLIMIT_NPROC, (rlim_t)l->nproc, (rlim_t)l->nproc) < 0)
		return -1;
	return child_limit(RLIMIT_CORE, 0, 0);
}

/* Mark every descriptor above 2 close-on-exec. */
static void child_cloexec_rest(void)
{
	struct rlimit nofile;
	long fd, max = 65536;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
		max = nofile.rlim_cur < (1 << 20) ? (long)nofile.rlim_cur : (1 << 20);
	for (fd = 3; fd < max; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* Write "<id> <id> 1" to a /proc/self map file (async-signal-safe). */
static int child_write_map(const char *file, unsigned long id)
{
	char line[64], digits[24];
	size_t n = 0, k = 0;
	int fd, ok;

	do
		digits[k++] = (char)('0' + id % 10);
	while ((id /= 10) && k < sizeof(digits));
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = k; i > 0; i--)
			line[n++] = digits[i - 1];
		line[n++] = ' ';
	}
	line[n++] = '1';
	line[n++] = '\n';
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, line, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Namespaces for a candidate, created before the parent starts the clock:
 *  - network (isolate_net): only loopback, brought up, so a candidate can
 *    talk to itself but to nothing else;
 *  - mounts (readonly_paths): each listed directory becomes a read-only bind
 *    mount, except the writable_paths inside it, which stay writable;
 *    so a candidate cannot write into the user's tree even through "../..".
 * As root the namespaces are made directly; otherwise inside a user
 * namespace that maps our own uid and gid. Returns 0, or the failing stage.
 */
static int child_isolate(const struct proc_spec *spec)
{
	int flags = 0;
	size_t i;

	if (spec->isolate_net)
		flags |= CLONE_NEWNET;
	if (spec->readonly_paths && spec->readonly_paths[0])
		flags |= CLONE_NEWNS;
	if (!flags)
		return 0;
	if (geteuid() == 0) {
		if (unshare(flags) < 0)
			return STAGE_NET;
	} else {
		uid_t uid = getuid();
		gid_t gid = getgid();
		int sfd;

		if (unshare(CLONE_NEWUSER | flags) < 0)
			return STAGE_NET;
		sfd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
		if (sfd >= 0) {
			ssize_t w = write(sfd, "deny\n", 5);
			(void)w;
			close(sfd);
		}
		if (child_write_map("/proc/self/uid_map", uid) < 0 ||
		    child_write_map("/proc/self/gid_map", gid) < 0)
			return STAGE_NET;
	}
	if (spec->isolate_net) {
		struct ifreq ifr;
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

		if (fd < 0)
			return STAGE_NET;
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, "lo", 3);
		r = ioctl(fd, SIOCGIFFLAGS, &ifr);
		if (r == 0) {
			ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
			r = ioctl(fd, SIOCSIFFLAGS, &ifr);
		}
		close(fd);
		if (r < 0)
			return STAGE_NET;
	}
	if (!(flags & CLONE_NEWNS))
		return 0;
	/* Nothing done here may reach the parent's mounts. */
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return STAGE_FS;
	/* The writable ones first, as mounts of their own: the recursive bind
	 * below copies them, and the read-only remount touches only its top. */
	for (i = 0; spec->writable_paths && spec->writable_paths[i]; i++) {
		const char *p = spec->writable_paths[i];
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
			return STAGE_FS;
	}
	for (i = 0; spec->readonly_paths[i]; i++) {
		const char *p = spec->readonly_paths[i];
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
			return STAGE_FS;
	}
	return 0;
}

/*
 * Between fork and exec: only async-signal-safe calls, no allocation (the
 * caller may have other threads holding malloc's locks).
 */
static void __attribute__((noreturn)) child_main(const struct child_ctx *c)
{
	const struct proc_spec *spec = c->spec;
	struct sigaction dfl;
	sigset_t none;
	ssize_t n;
	char go;
	int sig;

	setpgid(0, 0);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Before the parent starts the clock: the namespace costs no measured time. */
	{
		int stage = child_isolate(spec);
		if (stage)
			child_fail(c, stage);
	}

	/* Wait until the parent's before_exec hook has run; EOF means abort. */
	do
		n = read(c->go_r, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);

	if (dup2(c->stdin_fd, 0) < 0 || dup2(c->out_w, 1) < 0 || dup2(c->err_w, 2) < 0)
		child_fail(c, STAGE_STDIO);
	if (child_limits(&spec->limits) < 0)
		child_fail(c, STAGE_LIMITS);
	if (spec->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(spec->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			child_fail(c, STAGE_CPU);
	}
	if (spec->cwd && chdir(spec->cwd) < 0)
		child_fail(c, STAGE_CWD);
	child_cloexec_rest();
	/* execvp looks argv[0] up in the PATH of the environment it sees. */
	environ = c->envp;
	execvp(c->argv[0], c->argv);
	child_fail(c, STAGE_EXEC);
	_exit(127);
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

static int run_child(const struct proc_spec *spec, struct run_fds *f, pid_t pid,
                     struct proc_result *res, struct buf *err)
{
	const struct proc_hooks *hooks = spec->hooks;
	uint64_t cap = spec->output_cap ? spec->output_cap : PROC_DEFAULT_OUTPUT_CAP;
	double grace = spec->kill_grace_s > 0 ? spec->kill_grace_s : PROC_DEFAULT_GRACE_S;
	int tick_ms = 0;
	struct sink sinks[2] = {
	    {f->out_r, f->out_file, f->out_file < 0 ? spec->stdout_buf : NULL, cap, 0, 0, 0},
	    {f->err_r, f->err_file, f->err_file < 0 ? spec->stderr_buf : NULL, cap, 0, 0, 0},
	};
	struct child_report rep;
	struct rusage ru;
	double start, now, deadline = 0, kill_at = 0, next_tick = 0, drain_end;
	int stopping = 0, killed = 0, status = 0, exited = 0;
	char go = 'g';
	ssize_t n;

	/* Both of us set the group, so neither can signal a group not yet made. */
	setpgid(pid, pid);
	if (hooks && hooks->before_exec && hooks->before_exec(pid, hooks->ctx, err) < 0) {
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

	start = mono_now();
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
	/* From here on the sinks own the read ends. */
	f->out_r = f->err_r = -1;

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
			hooks->tick(pid, hooks->ctx);
			while (next_tick <= now)
				next_tick += tick_ms / 1000.0;
		}

		if (deadline && !stopping)
			ms = wait_min(ms, ms_until(deadline, now));
		if (stopping && !killed)
			ms = wait_min(ms, ms_until(kill_at, now));
		if (tick_ms)
			ms = wait_min(ms, ms_until(next_tick, now));
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

	/* Grandchildren held the pipes too; they are dead now, so EOF comes at
	 * once, unless one escaped the group: stop when the pipes stay quiet. */
	drain_end = mono_now() + PROC_DRAIN_S;
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
	res->user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	res->sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	res->maxrss_kb = ru.ru_maxrss;
	res->minflt = ru.ru_minflt;
	res->majflt = ru.ru_majflt;
	res->nvcsw = ru.ru_nvcsw;
	res->nivcsw = ru.ru_nivcsw;
	if (hooks && hooks->after_exit)
		hooks->after_exit(pid, res, hooks->ctx);
	return 0;
}

int proc_run(const struct proc_spec *spec, struct proc_result *res, struct buf *err)
{
	struct run_fds f = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
	struct proc_result local;
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
	envp = env_build(spec->env_add);
	if (!envp)
		return err_set(err, "out of memory");
	if (run_fds_open(spec, &f, err) < 0)
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
	pid = fork();
	if (pid == 0)
		child_main(&c);
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
}

int proc_result_ok(const struct proc_result *res)
{
	return res->exited && res->exit_code == 0 && !res->timed_out && !res->cancelled;
}
