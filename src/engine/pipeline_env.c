/*
 * pipeline_env.c: the build settings every child of target code gets in
 * its environment: CC, CFLAGS (with -g), LDFLAGS, and CXX, CXXFLAGS
 * derived from them. See pipeline_child_spec.
 */
#include <string.h>

#include "base/buf.h"
#include "engine/pipeline_int.h"

/*
 * C++ trees: CXX is the C++ driver of CC's family (gcc -> g++, clang-14 ->
 * clang++-14, cc -> c++; any other compiler is used as it is) and CXXFLAGS
 * a copy of CFLAGS, so the flag search reaches C++ sources too.
 */
static void add_cxx_env(struct strlist *env)
{
	static const char *const family[][2] = {
	    {"gcc", "g++"}, {"clang", "clang++"}, {"cc", "c++"}};
	const char *cc = "cc", *cflags = NULL, *base, *rest, *args;
	struct buf cxx = BUF_INIT, prog = BUF_INIT;

	for (size_t i = 0; i < env->n; i++) {
		if (!strncmp(env->v[i], "CC=", 3))
			cc = env->v[i] + 3;
		else if (!strncmp(env->v[i], "CFLAGS=", 7))
			cflags = env->v[i] + 7;
	}
	/* CC may carry arguments after the program ("cc -g"): they follow CXX too. */
	args = cc + strcspn(cc, " \t");
	buf_add(&prog, cc, (size_t)(args - cc));
	base = strrchr(prog.data, '/') ? strrchr(prog.data, '/') + 1 : prog.data;
	buf_add(&cxx, prog.data, (size_t)(base - prog.data));
	for (size_t i = 0; i < sizeof(family) / sizeof(family[0]); i++) {
		size_t n = strlen(family[i][0]);
		rest = base + n;
		if (!strncmp(base, family[i][0], n) && (!*rest || *rest == '-')) {
			buf_addf(&cxx, "%s%s", family[i][1], rest);
			break;
		}
	}
	if (cxx.len == (size_t)(base - prog.data))
		buf_addstr(&cxx, base);
	strlist_pushf(env, "CXX=%s%s", cxx.data, args);
	buf_release(&prog);
	if (cflags)
		strlist_pushf(env, "CXXFLAGS=%s", cflags);
	else
		strlist_push(env, "CXXFLAGS"); /* CFLAGS not set: neither is CXXFLAGS */
	buf_release(&cxx);
}

/* CC, CFLAGS, LDFLAGS, CXX and CXXFLAGS of cfg, pushed onto env. */
void pipeline_build_env(const struct cand_config *cfg, struct strlist *env)
{
	/* -g everywhere, for hot lines and the recorded compiler command line
	 * (DW_AT_producer); GCC and Clang generate the same code with and
	 * without it. With cflags not set the project's own flags apply (a bare
	 * name removes CFLAGS), so -g rides on CC, which Make, CMake, Meson and
	 * autotools all pass to every compile. */
	if (cfg->cflags) {
		strlist_pushf(env, "CC=%s", cfg->cc ? cfg->cc : "cc");
		strlist_pushf(env, "CFLAGS=%s -g", cfg->cflags);
	} else {
		strlist_pushf(env, "CC=%s -g", cfg->cc ? cfg->cc : "cc");
		strlist_push(env, "CFLAGS");
	}
	strlist_pushf(env, "LDFLAGS=%s", cfg->ldflags ? cfg->ldflags : "");
	add_cxx_env(env);
}
