/*
 * binfile.h: what a build produced, read back from its ELF files (libelf,
 * libdw). Two questions: did two builds produce the same code (a build that
 * ignores $CFLAGS does), and which compiler command line made a binary.
 */
#ifndef OPTIMIZE_BINFILE_H
#define OPTIMIZE_BINFILE_H

#include "base/sha256.h"
#include "base/strlist.h"

/*
 * Feed path's code into ctx when it is an ELF file (an executable, a shared
 * library, an object) or an archive of them: the name and bytes of every
 * section that is loaded (SHF_ALLOC), notes excepted (the build id covers
 * debug information). So -g, which changes only debug sections, leaves the
 * hash alone. Every occurrence of `strip` (a workspace's absolute path, NULL
 * = none) is hashed as a fixed token, so that two workspaces compare equal.
 * 1: hashed; 0: not an ELF file or archive; -1: unreadable.
 */
int binfile_code_hash(const char *path, const char *strip, struct sha256_ctx *ctx);

/*
 * The compiler command lines recorded in an ELF file, appended to out
 * (without duplicates): the DW_AT_producer of each compilation unit (GCC
 * records its switches there with -g) and the .GCC.command.line section
 * (-frecord-gcc-switches, GCC and clang). Nothing when neither is there.
 */
void binfile_compiler_lines(const char *path, struct strlist *out);

#endif
