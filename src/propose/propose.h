/*
 * propose/proposer.h: the proposers that ship without an LLM. Each returns a
 * struct proposer (engine/proposer.h) the caller releases with ->release.
 *
 *   flags  the offline compiler-flag and PGO search (the default without an
 *          LLM): greedy, keeps adding what measured faster; for OpenCL kernel
 *          targets it tries kernel build options and work-group sizes
 *   dir    hand-written rewrites: each directory holds new versions of
 *          editable files, at the same relative paths (--candidate DIR)
 *   seq    several proposers one after another
 */
#ifndef OPTIMIZE_PROPOSE_PROPOSER_H
#define OPTIMIZE_PROPOSE_PROPOSER_H

#include "base/strlist.h"
#include "engine/proposer.h"

struct proposer *proposer_flags_new(void);
struct proposer *proposer_dir_new(const struct strlist *dirs);
struct proposer *proposer_seq_new(struct proposer **list, size_t n); /* takes ownership */

#endif
