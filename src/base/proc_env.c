/* proc_env.c: the environment a child gets, with secret-looking names scrubbed. */
#include "base/proc_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern char **environ;

static int has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

static int contains(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	size_t i;

	for (i = 0; i + m <= n; i++)
		if (strncasecmp(s + i, needle, m) == 0)
			return 1;
	return 0;
}

static int is_secret(const char *name, size_t n)
{
	static const char *const inside[] = {"API_KEY", "APIKEY",     "SECRET",    "PASSWORD",
	                                     "PASSWD",  "PASSPHRASE", "CREDENTIAL"};
	size_t i;

	if ((n == 3 && strncasecmp(name, "KEY", 3) == 0) ||
	    (n == 5 && strncasecmp(name, "TOKEN", 5) == 0))
		return 1;
	if (has_suffix(name, n, "_KEY") || has_suffix(name, n, "_TOKEN"))
		return 1;
	for (i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		if (contains(name, n, inside[i]))
			return 1;
	return 0;
}

int proc_env_is_secret(const char *name)
{
	return name ? is_secret(name, strlen(name)) : 0;
}

static size_t env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* 1 if add[from..] has an entry for the name s[0..n). */
static int env_add_names(const char *const *add, size_t from, const char *s, size_t n)
{
	size_t i;

	if (!add)
		return 0;
	for (i = from; add[i]; i++)
		if (env_name_len(add[i]) == n && strncmp(add[i], s, n) == 0)
			return 1;
	return 0;
}

/* The child's environment: pointers into environ and add, in a new array. */
char **proc_env_build(const char *const *add)
{
	size_t count = 0, n = 0, i;
	char **env;

	for (i = 0; environ && environ[i]; i++)
		count++;
	for (i = 0; add && add[i]; i++)
		count++;
	env = calloc(count + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; environ && environ[i]; i++) {
		const char *e = environ[i];
		size_t len = env_name_len(e);

		if (!e[len] || !len || is_secret(e, len) || env_add_names(add, 0, e, len))
			continue;
		env[n++] = (char *)e;
	}
	for (i = 0; add && add[i]; i++) {
		size_t len = env_name_len(add[i]);

		/* A bare NAME only removes; a later entry for the same name wins. */
		if (!add[i][len] || !len || env_add_names(add, i + 1, add[i], len))
			continue;
		env[n++] = (char *)add[i];
	}
	env[n] = NULL;
	return env;
}
