/*
 * proc_ident.c: a child of root runs as an unprivileged identity
 * (proc_spec.run_as): the uid and gid of run_uid and run_gid, no
 * supplementary groups, no capabilities (the bounding and ambient sets
 * emptied too) and no_new_privs, so the read-only mounts, the network
 * namespace and RLIMIT_NPROC bind it, and it cannot read the tool's
 * memory or files of root. Its writable paths are idmapped mounts (files
 * of root there look like its own, and what it writes is root's on disk),
 * so it can build in its workspace while the tool sees root's files.
 *
 * Between fork and exec: only async-signal-safe calls, no allocation.
 */
#include "base/proc_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

struct ident_mount_attr { /* struct mount_attr of linux/mount.h */
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

/* "0 <id> 1\n" into /proc/<pid>/<file>. */
static int write_map(pid_t pid, const char *file, unsigned long id)
{
	char path[64], line[48];
	int fd, n, ok;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	n = snprintf(line, sizeof(line), "0 %lu 1\n", id);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, line, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/* A user namespace that maps 0 to run_uid/run_gid, as a descriptor: made
 * by a helper child, its maps written by us (root). */
int proc_ident_userns(const struct proc_spec *spec)
{
	int up[2], hold[2], fd = -1;
	char path[64], b;
	pid_t h;

	if (pipe2(up, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(up[0]);
		close(up[1]);
		return -1;
	}
	h = fork();
	if (h == 0) {
		close(up[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		if (write(up[1], "u", 1) != 1)
			_exit(1);
		if (read(hold[0], &b, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(up[1]);
	close(hold[0]);
	if (h > 0 && read(up[0], &b, 1) == 1 && write_map(h, "uid_map", spec->run_uid) == 0 &&
	    write_map(h, "gid_map", spec->run_gid) == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)h);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	close(up[0]);
	close(hold[1]);
	if (h > 0)
		while (waitpid(h, NULL, 0) < 0 && errno == EINTR)
			;
	return fd;
}

int proc_ident_prepare(const struct proc_spec *spec, int ns)
{
	struct ident_mount_attr attr;
	int r = 0;

	if (ns < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_IDMAP;
	attr.userns_fd = (unsigned long long)ns;
	for (size_t i = 0; !r && spec->writable_paths && spec->writable_paths[i]; i++) {
		const char *w = spec->writable_paths[i];
		int fd = (int)syscall(SYS_open_tree, AT_FDCWD, w,
		                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

		if (fd < 0) {
			r = -1;
			break;
		}
		if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		            sizeof(attr)) < 0 ||
		    syscall(SYS_move_mount, fd, "", AT_FDCWD, w, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			r = -1;
		close(fd);
	}
	close(ns);
	return r;
}

int proc_ident_drop(const struct proc_spec *spec)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (setgroups(0, NULL) < 0 || setresgid(spec->run_gid, spec->run_gid, spec->run_gid) < 0 ||
	    setresuid(spec->run_uid, spec->run_uid, spec->run_uid) < 0)
		return -1;
	/* Changing the uid cleared the parent-death signal. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (geteuid() == 0 || getuid() == 0)
		return errno = EPERM, -1;
	return 0;
}
