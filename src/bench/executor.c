/*
 * executor.c: the table of executors, and `local`: every task in this
 * process, one after the other. See executor.h.
 */
#include "bench/executor.h"

#include <string.h>

static int local_run(const struct bench_job *job, struct buf *err)
{
	if (job->jobs > 1 && job->ntodo > 1)
		return bench_local_parallel(job, err);
	for (size_t k = 0; k < job->ntodo; k++) {
		int r;
		if (job->cancel && *job->cancel)
			return 1;
		r = job->run_task(job, job->todo[k], err);
		if (r != 0)
			return r;
	}
	return 0;
}

const struct bench_executor bench_executor_local = {
    "local",
    "this machine: targets one after the other, or --jobs N at once (default)",
    local_run,
};

static const struct bench_executor *const executors[] = {
    &bench_executor_local,
    &bench_executor_slurm,
    NULL,
};

const struct bench_executor *const *bench_executors(void)
{
	return executors;
}

const struct bench_executor *bench_executor_find(const char *name)
{
	for (size_t i = 0; executors[i]; i++)
		if (!strcmp(executors[i]->name, name))
			return executors[i];
	return NULL;
}
