/*
 * hotspots.h: where the time goes, in source terms, by sampling.
 *
 * A sampling event (the cpu-clock software event by default, so it works in
 * VMs without a PMU; `cycles` on request where a PMU exists) is attached to
 * the child through the process runner's hooks: perf_event_open in
 * before_exec (disabled, enable_on_exec, inherit, so the whole process tree
 * from exec on is sampled), the ring buffer drained in tick, the rest in
 * after_exit. Samples of inherited children land in the same ring buffer
 * (the kernel sends output of inherited events to the parent event's
 * buffer); MMAP/COMM/FORK records say which file each address belongs to.
 *
 * Samples are symbolized with elfutils libdwfl to a function (symbol) and a
 * file:line (DWARF; build with -g, which does not change code generation).
 * Samples in shared libraries are attributed to the library (module is its
 * basename), kernel samples to "[kernel]", unmapped ones to "[unknown]".
 *
 * Results go into struct profile: functions and lines (hottest first, with
 * samples and % of all samples, lines with their source text),
 * total_samples and hotspot_source. Paths of source files under the child's
 * cwd are made relative to it; the text is read while the files still exist.
 *
 * Nothing here prints; errors come back through err.
 */
#ifndef OPTIMIZE_HOTSPOTS_H
#define OPTIMIZE_HOTSPOTS_H

#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "prof/counters.h"
#include "base/proc.h"
#include "prof/profile.h"

/* Longest lists stored in the profile (the renderers show fewer). */
#define HOTSPOTS_MAX_FUNCTIONS 50
#define HOTSPOTS_MAX_LINES     50

enum hotspots_event {
	HOTSPOTS_CPU_CLOCK, /* software timer; works without a PMU */
	HOTSPOTS_CYCLES,    /* hardware cycles; needs a PMU */
};

struct hotspots_options {
	enum hotspots_event event;
	/* Sampling period: nanoseconds of CPU time for cpu-clock, cycles for
	 * cycles. 0 = 1 ms (about 1000 samples per CPU second) / 2,000,003 cycles. */
	uint64_t period;
	unsigned ring_pages; /* data pages of the ring buffer (power of 2); 0 = 128 */
};

void hotspots_options_init(struct hotspots_options *opt);

/* 0 if sampling can be used here; otherwise -1 and why says what stops it
 * (perf_event_paranoid, seccomp, no PMU for cycles). */
int hotspots_probe(const struct hotspots_options *opt, struct buf *why);

/*
 * Run req->cmd once (sh -c, through proc_run_sh with req->spec) under
 * sampling and add the hotspots to out (functions, lines, total_samples,
 * hotspot_source "perf cpu-clock sampling"). opt may be NULL (defaults).
 * Returns 0 when the child ran (inspect res for its outcome; a child that
 * failed still gives the samples taken until then), -1 when it could not
 * be started or sampling could not be set up (err says why).
 */
int hotspots_run(const struct counter_request *req, const struct hotspots_options *opt,
                 struct proc_result *res, struct profile *out, struct buf *err);

/*
 * The same in pieces, for a caller that owns its own proc hooks (a counter
 * backend that also wants samples from the same run):
 *   hotspots_session_new, then from before_exec hotspots_session_attach,
 *   from tick hotspots_session_drain, after the child was reaped
 *   hotspots_session_finish (drains the rest, symbolizes, fills out), and
 *   hotspots_session_free.
 * cwd is the child's working directory (NULL = ours), used to show source
 * paths relative to it and to read source lines.
 */
struct hotspots_session;

struct hotspots_session *hotspots_session_new(const struct hotspots_options *opt);
int hotspots_session_attach(struct hotspots_session *s, pid_t pid, struct buf *err);
void hotspots_session_drain(struct hotspots_session *s);
void hotspots_session_finish(struct hotspots_session *s, const char *cwd, struct profile *out);
void hotspots_session_free(struct hotspots_session *s);

/*
 * Helpers shared with the cachegrind backend (one place that turns a source
 * path into what a report shows):
 * hotspots_display_path: path relative to cwd when it lies under cwd,
 * otherwise unchanged (malloc'd; NULL when path is NULL).
 * hotspots_read_line: the text of line `line` (1-based) of path, trimmed,
 * malloc'd; NULL when the file or line cannot be read.
 * hotspots_profile_clear: see below.
 */
char *hotspots_display_path(const char *path, const char *cwd);
char *hotspots_read_line(const char *path, int line);

/* A symbol without the suffixes of compiler clones (hot.constprop.0,
 * f.part.1, g.cold -> hot, f, g), so a function is named as in its source
 * and its clones count together. malloc'd. */
char *hotspots_clean_name(const char *sym);

/* 1 when module (a path or basename) is a shell (sh, dash, bash, ...) or make:
 * its samples are the run command's plumbing and are not listed as hot
 * functions (they still count in the total). */
int hotspots_is_shell(const char *module);

/* Free the functions, lines and hotspot_source of a profile and zero them
 * (the backends replace the hotspot lists as a whole). */
void hotspots_profile_clear(struct profile *p);

#endif
