/*
 * proc_disk.c: the disk total of a run (proc_spec.disk_total_bytes). What
 * its writable directories (spec->writable_paths, else its cwd) hold on
 * disk is summed when it starts and again every PROC_DISK_CHECK_S and when
 * it ends; growth past the total stops the run. RLIMIT_FSIZE bounds each
 * file; this bounds them together (five files just under file_mb). The
 * private /tmp is a tmpfs of that size (proc_ns.c).
 */
#include "base/proc_int.h"

#include <ftw.h>
#include <sys/stat.h>

static uint64_t walk_bytes;

static int add_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F || flag == FTW_SL || flag == FTW_D || flag == FTW_DP)
		walk_bytes += (uint64_t)st->st_blocks * 512;
	return 0;
}

static uint64_t usage(const struct proc_disk *d)
{
	walk_bytes = 0;
	for (size_t i = 0; d->paths[i]; i++)
		nftw(d->paths[i], add_entry, 16, FTW_PHYS | FTW_MOUNT);
	return walk_bytes;
}

void proc_disk_start(struct proc_disk *d, const struct proc_spec *spec)
{
	d->limit = spec->disk_total_bytes;
	d->one[0] = spec->cwd ? spec->cwd : ".";
	d->one[1] = NULL;
	d->paths = spec->writable_paths && spec->writable_paths[0] ? spec->writable_paths : d->one;
	d->base = d->limit ? usage(d) : 0;
}

int proc_disk_check(struct proc_disk *d, struct proc_result *res)
{
	uint64_t now;

	if (!d->limit)
		return 0;
	now = usage(d);
	if (now > d->base && now - d->base > res->disk_grown_bytes)
		res->disk_grown_bytes = now - d->base;
	if (res->disk_grown_bytes > d->limit)
		res->disk_exceeded = 1;
	return res->disk_exceeded;
}
