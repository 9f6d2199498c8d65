/* paths.c: where dstreamc finds the runtime it links programs with.
 *
 * Each file is looked for in order:
 *   1. the environment (DSTREAM_RUNTIME_INCLUDE, DSTREAM_RUNTIME_LIB,
 *      DSTREAM_RUNTIME_BC), taken as given;
 *   2. the build tree this dstreamc was built in (DS_BUILD_RT_INCLUDE,
 *      DS_BUILD_RT_LIB, DS_BUILD_RT_BC): defined only for the dstreamc that
 *      stays in the build tree, so that the installed one holds no path of
 *      the build machine;
 *   3. the installed layout, relative to the directory of the running
 *      executable (/proc/self/exe): DS_REL_RT_INCLUDE, DS_REL_RT_LIB,
 *      DS_REL_RT_BC, e.g. "../include", so that an installed prefix can be
 *      moved as a whole.
 * This file is compiled once per dstreamc executable (CMakeLists.txt), each
 * with its own definitions; nothing else in the compiler names a path.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"

#ifndef DS_REL_RT_INCLUDE
#define DS_REL_RT_INCLUDE "../include"
#endif
#ifndef DS_REL_RT_LIB
#define DS_REL_RT_LIB "../lib/libdstream_rt.a"
#endif
#ifndef DS_REL_RT_BC
#define DS_REL_RT_BC "../lib/dstream/dstream_rt_inline.bc"
#endif

/* The directory of the running executable, or "" if unknown. */
static const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	static bool done;
	if (!done) {
		done = true;
		ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
		dir[n > 0 ? n : 0] = 0;
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		else
			dir[0] = 0;
	}
	return dir;
}

/* env, else build (when it exists), else the executable's dir + rel (when
 * it exists); NULL when none is there. */
static const char *find(const char *env, const char *build, const char *rel)
{
	const char *e = getenv(env);
	if (e && *e)
		return e;
	if (build && *build && access(build, F_OK) == 0)
		return build;
	if (*exe_dir()) {
		const char *p = arena_printf("%s/%s", exe_dir(), rel);
		if (access(p, F_OK) == 0)
			return p;
	}
	return NULL;
}

const char *paths_rt_include(void)
{
#ifdef DS_BUILD_RT_INCLUDE
	return find("DSTREAM_RUNTIME_INCLUDE", DS_BUILD_RT_INCLUDE, DS_REL_RT_INCLUDE);
#else
	return find("DSTREAM_RUNTIME_INCLUDE", NULL, DS_REL_RT_INCLUDE);
#endif
}

const char *paths_rt_lib(void)
{
#ifdef DS_BUILD_RT_LIB
	return find("DSTREAM_RUNTIME_LIB", DS_BUILD_RT_LIB, DS_REL_RT_LIB);
#else
	return find("DSTREAM_RUNTIME_LIB", NULL, DS_REL_RT_LIB);
#endif
}

const char *paths_rt_bc(void)
{
#ifdef DS_BUILD_RT_BC
	return find("DSTREAM_RUNTIME_BC", DS_BUILD_RT_BC, DS_REL_RT_BC);
#else
	return find("DSTREAM_RUNTIME_BC", NULL, DS_REL_RT_BC);
#endif
}
