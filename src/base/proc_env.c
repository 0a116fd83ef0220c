/* proc_env.c: the environment a child gets, with secret-looking names scrubbed. */
#include "base/proc_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xalloc.h"

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
	static const char *const inside[] = {
	    "API_KEY",    "APIKEY",     "SECRET",      "PASSWORD", "PASSWD", "PASSPHRASE",
	    "CREDENTIAL", "ACCESS_KEY", "PRIVATE_KEY", "_AUTH",    "COOKIE", "SESSION_KEY"};
	static const char *const suffix[] = {"_KEY", "_TOKEN", "_KEY_ID", "_DSN", "_PAT"};
	/* Not secrets by name but a way out: sockets and tickets of the user's session. */
	static const char *const exact[] = {"KEY",
	                                    "TOKEN",
	                                    "AUTH",
	                                    "DATABASE_URL",
	                                    "KRB5CCNAME",
	                                    "GPG_AGENT_INFO",
	                                    "DBUS_SESSION_BUS_ADDRESS",
	                                    "XDG_RUNTIME_DIR"};
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (n == strlen(exact[i]) && strncasecmp(name, exact[i], n) == 0)
			return 1;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++)
		if (has_suffix(name, n, suffix[i]))
			return 1;
	for (i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		if (contains(name, n, inside[i]))
			return 1;
	/* AUTH_..., AUTHORIZATION, ..._AUTH_... */
	if ((n >= 5 && strncasecmp(name, "AUTH_", 5) == 0) ||
	    (n >= 13 && strncasecmp(name, "AUTHORIZATION", 13) == 0))
		return 1;
	return 0;
}

/* A value that carries credentials: a URL with user:password@ (postgres://u:PW@host/db). */
static int value_has_credentials(const char *v)
{
	const char *p = strstr(v, "://"), *at, *end;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?# \t");
	at = memchr(p, '@', (size_t)(end - p));
	return at && memchr(p, ':', (size_t)(at - p)) != NULL;
}

int proc_env_is_secret(const char *name)
{
	return name ? is_secret(name, strlen(name)) : 0;
}

int proc_env_is_secret_entry(const char *entry)
{
	const char *eq;

	if (!entry)
		return 0;
	eq = strchr(entry, '=');
	if (!eq)
		return is_secret(entry, strlen(entry));
	return is_secret(entry, (size_t)(eq - entry)) || value_has_credentials(eq + 1);
}

/* 1 if the name s[0..n) is in pass: an exact name, or a prefix ending in '*'. */
static int env_passes(const char *const *pass, const char *s, size_t n)
{
	for (size_t i = 0; pass[i]; i++) {
		size_t m = strlen(pass[i]);

		if (m && pass[i][m - 1] == '*') {
			if (n >= m - 1 && strncmp(s, pass[i], m - 1) == 0)
				return 1;
		} else if (m == n && strncmp(s, pass[i], n) == 0) {
			return 1;
		}
	}
	return 0;
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
char **proc_env_build(const char *const *add, const char *const *pass)
{
	size_t count = 0, n = 0, i;
	char **env;

	for (i = 0; environ && environ[i]; i++)
		count++;
	for (i = 0; add && add[i]; i++)
		count++;
	env = xcalloc(count + 1, sizeof(*env));
	for (i = 0; environ && environ[i]; i++) {
		const char *e = environ[i];
		size_t len = env_name_len(e);

		if (!e[len] || !len || proc_env_is_secret_entry(e) || env_add_names(add, 0, e, len))
			continue;
		if (pass && !env_passes(pass, e, len))
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
