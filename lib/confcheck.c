/*
 * confcheck -- the start-up checks of -n; see confcheck.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "conf.h"
#include "confcheck.h"
#include "errf.h"
#include "netaddr.h"
#include "privdrop.h"
#include "redis.h"

int
confcheck_line(const char *path, const char *key)
{
	FILE	*fp;
	char	 line[4096];
	size_t	 klen = strlen(key);
	int	 n = 0, found = 0;

	if (path == NULL || (fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		if (strncmp(line, key, klen) == 0 &&
		    (line[klen] == '=' || isspace((unsigned char)line[klen])))
			found = n;
	}
	fclose(fp);
	return found;
}

/* "path:line: key: " or "path: key: " */
static int
where(const char *path, const char *key, char *buf, size_t len)
{
	int	 line = confcheck_line(path, key);

	if (line > 0)
		return snprintf(buf, len, "%s:%d: %s: ", path, line, key);
	return snprintf(buf, len, "%s: %s: ", path, key);
}

int
confcheck_user(const struct conf *c, const char *path, char *err,
    size_t errlen)
{
	char	 why[256];
	uid_t	 uid;
	gid_t	 gid;
	int	 n;

	if (privdrop_lookup(c->user, &uid, &gid, why, sizeof(why)) == 0)
		return 0;
	n = where(path, "user", err, errlen);
	if (n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - n, "no such account \"%s\"",
		    c->user);
	return -1;
}

int
confcheck_addr(const char *path, const char *key, const char *value,
    char *err, size_t errlen)
{
	struct netaddr	 a;
	char		 why[256];
	int		 n;

	if (netaddr_parse(value, &a, why, sizeof(why)) == 0)
		return 0;
	n = where(path, key, err, errlen);
	if (n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - n, "%s", why);
	return -1;
}

int
confcheck_redis_async(const struct conf *c, const char *path, char *err,
    size_t errlen)
{
	struct redis_addr	 a;
	char			 why[512];
	int			 n;

	if (redis_addr_parse(c->redis_address, &a, why, sizeof(why)) == 0 &&
	    redis_addr_supported(&a, c->redis_address, why,
	    sizeof(why)) == 0) {
		if (a.kind != REDIS_ADDR_CLUSTER || c->redis_db == 0)
			return 0;
		snprintf(why, sizeof(why), "redis_address %s: a Redis Cluster "
		    "has only database 0 (redis_db = %ld)", c->redis_address,
		    (long)c->redis_db);
	}
	n = where(path, "redis_address", err, errlen);
	if (n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - n, "%s", why);
	return -1;
}

int
confcheck_redis(const struct conf *c, const char *path, char *err,
    size_t errlen)
{
	struct redis	*r;
	redisReply	*rep;
	char		 why[512];
	int		 n;

	if ((r = redis_new(c, why, sizeof(why))) == NULL) {
		n = where(path, "redis_address", err, errlen);
		if (n >= 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - n, "%s", why);
		return -1;
	}
	if ((rep = redis_command(r, "PING")) != NULL) {
		freeReplyObject(rep);
		redis_free(r);
		return 0;
	}
	errf(err, errlen, "Redis at %s does not answer now: %s (not a "
	    "configuration error: the daemon retries)", c->redis_address,
	    redis_errstr(r));
	redis_free(r);
	return 1;
}
