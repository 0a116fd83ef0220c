/*
 * version.h: which build of the tool this is. The version is the project's
 * (OPTIMIZE_VERSION, from CMakeLists.txt); the commit is compiled in at
 * build time by cmake/commit.cmake.
 */
#ifndef OPTIMIZE_BASE_VERSION_H
#define OPTIMIZE_BASE_VERSION_H

/*
 * The source tree's commit when the binary was built: `git describe
 * --always --dirty` without tags (an abbreviated hash, "-dirty" when the
 * tree had uncommitted changes), or "unknown" when built from a tree that
 * is not a git checkout (a release tarball). Static storage.
 */
const char *optimize_commit(void);

#endif
