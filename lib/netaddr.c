/*
 * netaddr -- address syntax and CIDR matching; see netaddr.h.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"
#include "netaddr.h"

static int
valid_port(const char *p)
{
	char	*end;
	long	 v;

	if (*p == '\0')
		return 0;
	v = strtol(p, &end, 10);
	return *end == '\0' && v > 0 && v < 65536;
}

int
netaddr_parse(const char *text, struct netaddr *a, char *err, size_t errlen)
{
	const char	*hp, *colon;
	size_t		 hlen;

	memset(a, 0, sizeof(*a));
	if (strncmp(text, "unix:", 5) == 0) {
		a->kind = NETADDR_UNIX;
		if (text[5] != '/')
			return errf(err, errlen, "unix socket path must be "
			    "absolute: \"%s\"", text);
		if (strlen(text + 5) >= sizeof(a->path))
			return errf(err, errlen, "unix socket path too long: "
			    "\"%s\"", text);
		strcpy(a->path, text + 5);
		return 0;
	}
	if (strncmp(text, "inet:", 5) != 0)
		return errf(err, errlen, "address must start with unix: or "
		    "inet: (\"%s\")", text);
	a->kind = NETADDR_INET;
	hp = text + 5;
	if (*hp == '[') {
		const char *close = strchr(hp, ']');

		if (close == NULL || close[1] != ':')
			return errf(err, errlen, "bad IPv6 address, expected "
			    "inet:[ADDR]:PORT (\"%s\")", text);
		hlen = (size_t)(close - hp - 1);
		hp++;
		colon = close + 1;
		a->v6 = 1;
	} else {
		colon = strrchr(hp, ':');
		if (colon == NULL)
			return errf(err, errlen, "missing port, expected "
			    "inet:HOST:PORT (\"%s\")", text);
		hlen = (size_t)(colon - hp);
		if (memchr(hp, ':', hlen) != NULL)
			return errf(err, errlen, "IPv6 host must be bracketed: "
			    "inet:[ADDR]:PORT (\"%s\")", text);
	}
	if (hlen == 0 || hlen >= sizeof(a->host))
		return errf(err, errlen, "bad host in \"%s\"", text);
	memcpy(a->host, hp, hlen);
	a->host[hlen] = '\0';
	if (!valid_port(colon + 1) || strlen(colon + 1) >= sizeof(a->port))
		return errf(err, errlen, "bad port in \"%s\"", text);
	strcpy(a->port, colon + 1);
	return 0;
}

int
netaddr_milter(const struct netaddr *a, char *buf, size_t len)
{
	int	 n;

	if (a->kind == NETADDR_UNIX)
		n = snprintf(buf, len, "unix:%s", a->path);
	else
		n = snprintf(buf, len, "%s:%s@%s", a->v6 ? "inet6" : "inet",
		    a->port, a->host);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
cidr_parse(const char *text, struct cidr *c)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long		 bits;
	int		 max;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	c->bits = max;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 || bits > max)
			return -1;
		c->bits = (int)bits;
	}
	return 0;
}

static int
prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int		 full = bits / 8, rest = bits % 8;
	unsigned char	 mask;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

static int
match_bytes(const struct cidr *c, int family, const unsigned char *addr)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (family == AF_INET6 && c->family == AF_INET &&
	    memcmp(addr, mapped, sizeof(mapped)) == 0)
		return prefix_equal(c->addr, addr + 12, c->bits);
	if (family != c->family)
		return 0;
	return prefix_equal(c->addr, addr, c->bits);
}

int
cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return match_bytes(c, AF_INET, (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return match_bytes(c, AF_INET6, (const unsigned char *)
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return 0;
}

int
cidr_match_text(const struct cidr *c, const char *ip)
{
	unsigned char	 addr[16];

	if (ip == NULL)
		return 0;
	if (inet_pton(AF_INET, ip, addr) == 1)
		return match_bytes(c, AF_INET, addr);
	if (inet_pton(AF_INET6, ip, addr) == 1)
		return match_bytes(c, AF_INET6, addr);
	return 0;
}

int
cidrs_match_text(const struct cidr *list, size_t n, const char *ip)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (cidr_match_text(&list[i], ip))
			return 1;
	return 0;
}
