/*
 * redis_addr -- the forms of conf redis_address (lib/redis.h):
 *
 *   HOST:PORT, [IPV6]:PORT               one server over TCP
 *   unix:/PATH                           one server over a unix socket
 *   sentinel:HOST:PORT[,HOST:PORT...]/MASTER
 *                                        ask these sentinels for MASTER
 *   cluster:HOST:PORT[,HOST:PORT...]     seed nodes of a Redis Cluster
 *
 * Pure: text in, struct out; at most REDIS_ADDR_SEEDS seeds.
 */
#include <stdlib.h>
#include <string.h>

#include "errf.h"
#include "redis.h"

/* "HOST:PORT" or "[V6]:PORT" of len bytes into host/port; 0 / -1. */
static int
parse_hostport(const char *text, size_t len, char *host, size_t hostlen,
    int *port)
{
	const char	*colon = NULL, *h = text, *p;
	size_t		 hlen;
	long		 n;

	for (p = text; p < text + len; p++)
		if (*p == ':')
			colon = p;
	if (colon == NULL)
		return -1;
	hlen = (size_t)(colon - text);
	if (text[0] == '[') {
		if (hlen < 3 || colon[-1] != ']')
			return -1;
		h++;
		hlen -= 2;
	} else if (memchr(text, ':', hlen) != NULL)
		return -1;
	if (hlen == 0 || hlen >= hostlen || colon + 1 == text + len ||
	    (size_t)(text + len - colon - 1) > 5)
		return -1;
	for (n = 0, p = colon + 1; p < text + len; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (n < 1 || n > 65535)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)n;
	return 0;
}

/* A comma-separated list of HOST:PORT of len bytes into a->seeds. */
static int
parse_seeds(const char *text, size_t len, struct redis_addr *a)
{
	const char	*p = text, *end = text + len, *comma;

	while (p < end) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		if (a->nseeds == REDIS_ADDR_SEEDS ||
		    parse_hostport(p, (size_t)(comma - p),
		    a->seeds[a->nseeds].host, sizeof(a->seeds[0].host),
		    &a->seeds[a->nseeds].port) < 0)
			return -1;
		a->nseeds++;
		p = comma + 1;
		if (comma + 1 == end)
			return -1;		/* a trailing comma */
	}
	return a->nseeds > 0 ? 0 : -1;
}

static int
parse_sentinel(const char *text, const char *orig, struct redis_addr *a,
    char *err, size_t errlen)
{
	const char	*slash = strrchr(text, '/');

	a->kind = REDIS_ADDR_SENTINEL;
	if (slash == NULL || slash[1] == '\0' ||
	    strlen(slash + 1) >= sizeof(a->master) ||
	    strpbrk(slash + 1, " \t,/") != NULL ||
	    parse_seeds(text, (size_t)(slash - text), a) < 0)
		return errf(err, errlen, "redis_address %s: expected "
		    "sentinel:HOST:PORT[,HOST:PORT...]/MASTER (at most %d "
		    "sentinels)", orig, REDIS_ADDR_SEEDS);
	strcpy(a->master, slash + 1);
	return 0;
}

int
redis_addr_parse(const char *text, struct redis_addr *a, char *err,
    size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (strncmp(text, "sentinel:", 9) == 0)
		return parse_sentinel(text + 9, text, a, err, errlen);
	if (strncmp(text, "cluster:", 8) == 0) {
		a->kind = REDIS_ADDR_CLUSTER;
		if (parse_seeds(text + 8, strlen(text + 8), a) < 0)
			return errf(err, errlen, "redis_address %s: expected "
			    "cluster:HOST:PORT[,HOST:PORT...] (at most %d "
			    "seed nodes)", text, REDIS_ADDR_SEEDS);
		return 0;
	}
	if (strncmp(text, "unix:", 5) == 0) {
		if (text[5] != '/' || strlen(text + 5) >= sizeof(a->path))
			return errf(err, errlen, "redis_address %s: bad unix "
			    "socket path", text);
		a->kind = REDIS_ADDR_UNIX;
		a->unix_socket = 1;
		strcpy(a->path, text + 5);
		return 0;
	}
	a->kind = REDIS_ADDR_TCP;
	if (parse_hostport(text, strlen(text), a->host, sizeof(a->host),
	    &a->port) < 0)
		return errf(err, errlen, "redis_address %s: expected "
		    "HOST:PORT, [IPV6]:PORT, unix:/PATH, sentinel:HOST:PORT"
		    "[,...]/MASTER or cluster:HOST:PORT[,...]", text);
	return 0;
}

int
redis_addr_supported(const struct redis_addr *a, const char *text,
    char *err, size_t errlen)
{
	(void)a;
	(void)text;
	(void)err;
	(void)errlen;
	return 0;
}

int
redis_addr_supported_sync(const struct redis_addr *a, const char *text,
    char *err, size_t errlen)
{
	(void)a;
	(void)text;
	(void)err;
	(void)errlen;
	return 0;
}
