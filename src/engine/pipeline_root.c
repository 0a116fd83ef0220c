/*
 * pipeline_root.c: when the tool runs as root, candidates do not. They run
 * as an unprivileged user (--run-as USER, default "nobody") without
 * capabilities and with no_new_privs (proc_spec.run_as), so the read-only
 * mounts, the network namespace and the process limit bind them, and the
 * tool's memory and root's files are out of their reach. Where that is not
 * possible here, the run is refused unless --allow-unsafe-root, and the
 * report says plainly that candidates keep root's powers.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/util.h"
#include "base/xalloc.h"
#include "engine/pipeline_int.h"

/* Can candidates run as pw here, with the namespaces chosen? */
static int root_probe(struct pipeline *p, const struct passwd *pw, const char *const *rw,
                      struct buf *why)
{
	struct proc_spec probe;

	if (pw->pw_uid == 0)
		return err_set(why, "user '%s' is root", pw->pw_name);
	proc_spec_init(&probe);
	probe.isolate_net = p->isolate_net;
	if (p->isolate_tree) {
		probe.readonly_paths = (const char *const *)p->readonly.v;
		probe.hidden_paths = p->hidden.n ? (const char *const *)p->hidden.v : NULL;
	}
	probe.writable_paths = rw;
	probe.isolate_pid = probe.private_tmp = p->isolate_pid;
	probe.run_as = 1;
	probe.run_uid = pw->pw_uid;
	probe.run_gid = pw->pw_gid;
	probe.cwd = rw[0]; /* can it reach its workspace (the tree's parents)? */
	return proc_isolation_probe_spec(&probe, why);
}

static void process_note(struct pipeline *p, const char *what)
{
	struct buf m = BUF_INIT;

	buf_setf(&m, "%s; %s", p->isolation_process, what);
	free(p->isolation_process);
	p->isolation_process = buf_detach(&m);
}

enum engine_status pipeline_setup_root(struct pipeline *p, const char *const *rw, struct buf *err)
{
	const char *name = p->opt.run_as ? p->opt.run_as : "nobody";
	const char *tests = getenv("OPTIMIZE_TEST_NO_ISOLATION");
	struct buf why = BUF_INIT, m = BUF_INIT;
	struct passwd *pw;
	enum engine_status st = ENGINE_OK;

	if (geteuid() != 0) {
		process_note(p, "same user as the tool");
		return ENGINE_OK;
	}
	pw = getpwnam(name);
	if (tests && !strcmp(tests, "1"))
		buf_addstr(&why, "OPTIMIZE_TEST_NO_ISOLATION=1");
	else if (!pw)
		buf_setf(&why, "no user '%s' on this machine", name);
	else if (root_probe(p, pw, rw, &why) == 0) {
		p->run_as = 1;
		p->run_uid = pw->pw_uid;
		p->run_gid = pw->pw_gid;
		buf_setf(&m,
		         "as root: candidates run as user '%s' (uid %d, gid %d), with no "
		         "capabilities and no_new_privs; their workspace is an idmapped mount",
		         name, (int)pw->pw_uid, (int)pw->pw_gid);
		process_note(p, m.data);
		goto out;
	}
	if (p->opt.allow_unsafe_root || (tests && !strcmp(tests, "1"))) {
		buf_setf(&m,
		         "AS ROOT, NOT CONTAINED: candidates keep root's powers "
		         "(--allow-unsafe-root; cannot run them as '%s': %s): they can remount "
		         "the tree read-write and ignore the process limit",
		         name, why.data);
		process_note(p, m.data);
		engine_note(p->opt.ev, NOTE_WARNING,
		            "warning: running as root, candidates keep root's powers: cannot run "
		            "them as '%s' (%s)",
		            name, why.data);
		goto out;
	}
	err_set(err,
	        "running as root, candidates cannot be run as the unprivileged user '%s' here "
	        "(%s): give --run-as USER (a user who can read the tree), run optimize as a "
	        "normal user, or accept that candidates keep root's powers with "
	        "--allow-unsafe-root",
	        name, why.data);
	st = ENGINE_SETUP;
out:
	buf_release(&why);
	buf_release(&m);
	return st;
}
