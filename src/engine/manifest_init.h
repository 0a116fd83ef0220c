/*
 * manifest_init.h: a first optimize.json for a tree (`optimize init`).
 *
 * manifest_init_detect looks at the top of a tree for, in this order, a
 * meson.build, a CMakeLists.txt, a Makefile (Makefile, makefile or
 * GNUmakefile) or a single C or C++ source file, and guesses the program's
 * name. manifest_init_text writes the manifest for what it found:
 *
 *   - a build line that hands the flag search's flags to the build system
 *     only when the tool sets $CFLAGS (`make ${CFLAGS:+"CFLAGS=$CFLAGS"}`,
 *     CMake's CMAKE_C_FLAGS_RELEASE, meson's c_args), and no `cflags` for
 *     Make, CMake and Meson trees, so the original is the project's own build;
 *   - `run` and `verify` holding MANIFEST_PLACEHOLDER ("TODO: ..."), which
 *     the manifest parser rejects with the field's place until a person
 *     replaces them (a guessed command is never timed unconfirmed).
 */
#ifndef OPTIMIZE_MANIFEST_INIT_H
#define OPTIMIZE_MANIFEST_INIT_H

#include "base/buf.h"

/* A command field that starts with this was written by `optimize init`. */
#define MANIFEST_PLACEHOLDER "TODO:"

enum tree_kind {
	TREE_MESON,
	TREE_CMAKE,
	TREE_MAKE,
	TREE_SOURCE, /* one C or C++ file and no build system */
};

struct tree_guess {
	enum tree_kind kind;
	char *build_file; /* "meson.build", "CMakeLists.txt", "Makefile", or the source */
	char *program;    /* the executable, relative to the tree ("build-optimize/app") */
	char *name;       /* the target's name, from the directory's */
	int cxx;          /* C++ sources present */
	int guessed;      /* the program's name was found in the build file */
};

/* The build directory init's CMake and Meson build lines use. */
#define MANIFEST_INIT_BUILD_DIR "build-optimize"

/* "meson", "cmake", "make", "single source file". */
const char *tree_kind_name(enum tree_kind k);

/* What kind of tree `tree` is: 0, or -1 with err ("no Makefile, ..."). */
int manifest_init_detect(const char *tree, struct tree_guess *g, struct buf *err);

/* The manifest for g, as pretty JSON ending in a newline. */
void manifest_init_text(const struct tree_guess *g, struct buf *out);

void tree_guess_release(struct tree_guess *g);

#endif
