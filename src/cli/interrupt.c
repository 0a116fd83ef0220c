/*
 * interrupt.c: the one process-wide flag that SIGINT/SIGTERM set (main.c
 * installs the handler). Long loops check it between runs, and the process
 * runner stops a running child when it is set (proc_spec.cancel). It lives
 * in the library, not in main.c, so every program linking the library has it.
 */
#include "cli/cli.h"

volatile sig_atomic_t optimize_interrupted;
