/*
 * proc_child.c: the child side of proc_run, between fork and exec:
 * namespaces, signals, stdio, rlimits, CPU pinning, cwd, exec.
 */
#include "base/proc_int.h"

#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

void proc_child_fail(const struct child_ctx *c, int stage)
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

int proc_child_mkdirs(const char *path, size_t from)
{
	char buf[4096];
	size_t n = strlen(path), i = from;

	if (n >= sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	memcpy(buf, path, n + 1);
	for (i++; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/* path is top itself or below it. */
static int child_below(const char *top, const char *path)
{
	size_t n = strlen(top);
	return !strncmp(top, path, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * Each hidden path becomes an empty tmpfs, read-only once the writable
 * paths inside it are bound back. Those are reached through descriptors
 * opened before (wfd), since the tmpfs covers them.
 */
static int child_hide(const struct proc_spec *spec, const int *wfd, size_t nw)
{
	for (size_t h = 0; spec->hidden_paths && spec->hidden_paths[h]; h++) {
		const char *top = spec->hidden_paths[h];
		const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;

		if (mount("tmpfs", top, "tmpfs", fl, "mode=0755,size=1m") < 0)
			return -1;
		for (size_t i = 0; i < nw; i++) {
			const char *w = spec->writable_paths[i];
			char src[40] = "/proc/self/fd/";
			char digits[12];
			size_t k = 0, n = strlen(src);
			int fd = wfd[i];

			if (!child_below(top, w) || !strcmp(top, w))
				continue;
			do
				digits[k++] = (char)('0' + fd % 10);
			while ((fd /= 10) && k < sizeof(digits));
			while (k)
				src[n++] = digits[--k];
			src[n] = '\0';
			if (proc_child_mkdirs(w, strlen(top)) < 0 ||
			    mount(src, w, NULL, MS_BIND | MS_REC, NULL) < 0)
				return -1;
		}
		if (mount(NULL, top, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | fl, NULL) < 0)
			return -1;
	}
	return 0;
}

/*
 * Namespaces for a candidate, created before the parent starts the clock:
 *  - network (isolate_net): only loopback, brought up, so a candidate can
 *    talk to itself but to nothing else;
 *  - mounts (readonly_paths): each listed directory becomes a read-only bind
 *    mount, except the writable_paths inside it, which stay writable;
 *    so a candidate cannot write into the user's tree even through "../..";
 *  - hidden_paths: an empty read-only tmpfs over each, the writable_paths
 *    inside bound back, so the tool's state cannot even be read.
 * As root the namespaces are made directly; otherwise inside a user
 * namespace that maps our own uid and gid. Returns 0, or the failing stage.
 */
static int child_isolate(const struct proc_spec *spec)
{
	int flags = 0, wfd[PROC_MAX_WRITABLE];
	size_t i, nw = 0;

	if (spec->isolate_net)
		flags |= CLONE_NEWNET;
	if ((spec->readonly_paths && spec->readonly_paths[0]) ||
	    (spec->hidden_paths && spec->hidden_paths[0]))
		flags |= CLONE_NEWNS;
	if (spec->isolate_pid)
		flags |= CLONE_NEWPID | CLONE_NEWNS;
	if (spec->private_tmp || (spec->run_as && geteuid() == 0))
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
		if (i >= PROC_MAX_WRITABLE)
			return STAGE_FS;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
			return STAGE_FS;
		wfd[nw] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (wfd[nw++] < 0)
			return STAGE_FS;
	}
	for (i = 0; spec->readonly_paths && spec->readonly_paths[i]; i++) {
		const char *p = spec->readonly_paths[i];
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
			return STAGE_FS;
	}
	if (child_hide(spec, wfd, nw) < 0)
		return STAGE_FS;
	for (i = 0; i < nw; i++)
		close(wfd[i]);
	return 0;
}

/*
 * Between fork and exec: only async-signal-safe calls, no allocation (the
 * caller may have other threads holding malloc's locks).
 */
void __attribute__((noreturn)) proc_child_main(const struct child_ctx *c)
{
	const struct proc_spec *spec = c->spec;
	struct sigaction dfl;
	sigset_t none;
	int sig, ident_ns = -1;

	setpgid(0, 0);
	/* Nothing outlives the tool: if it dies (even by SIGKILL), so does this
	 * child; and if it died already, do not start. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != c->parent)
		_exit(127);
	/* Before anything forks: every process of the run is born inside. */
	if (c->cg && proc_cgroup_enter(c->cg) < 0)
		proc_child_fail(c, STAGE_CGROUP);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (spec->run_as && geteuid() == 0) {
		ident_ns = proc_ident_userns(spec);
		if (ident_ns < 0)
			proc_child_fail(c, STAGE_IDENT);
	}
	/* Before the parent starts the clock: the namespace costs no measured time. */
	{
		int stage = child_isolate(spec);
		if (stage)
			proc_child_fail(c, stage);
	}
	if (ident_ns >= 0 && proc_ident_prepare(spec, ident_ns) < 0)
		proc_child_fail(c, STAGE_IDENT);
	if (spec->isolate_pid)
		proc_ns_main(c);
	if (spec->private_tmp && proc_ns_mounts(spec, 0) < 0)
		proc_child_fail(c, STAGE_PIDNS);
	proc_child_exec(c);
}

void __attribute__((noreturn)) proc_child_exec(const struct child_ctx *c)
{
	const struct proc_spec *spec = c->spec;
	ssize_t n;
	char go;

	/* Wait until the parent's before_exec hook has run; EOF means abort. */
	do
		n = read(c->go_r, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);

	if (dup2(c->stdin_fd, 0) < 0 || dup2(c->out_w, 1) < 0 || dup2(c->err_w, 2) < 0)
		proc_child_fail(c, STAGE_STDIO);
	if (child_limits(&spec->limits) < 0)
		proc_child_fail(c, STAGE_LIMITS);
	if (spec->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(spec->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			proc_child_fail(c, STAGE_CPU);
	}
	if (spec->run_as && geteuid() == 0 && proc_ident_drop(spec) < 0)
		proc_child_fail(c, STAGE_IDENT);
	if (spec->cwd && chdir(spec->cwd) < 0)
		proc_child_fail(c, STAGE_CWD);
	child_cloexec_rest();
	/* execvp looks argv[0] up in the PATH of the environment it sees. */
	environ = c->envp;
	execvp(c->argv[0], c->argv);
	proc_child_fail(c, STAGE_EXEC);
	_exit(127);
}
